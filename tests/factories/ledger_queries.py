"""Factories for the ledger's read-side tests: a business in a chosen calendar, locations,
menu rows and ledger lines written through `record_lines` (the write path every source uses)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from tableside.db.database import Database, set_tenant
from tableside.ledger.lines import LineIn
from tableside.ledger.writer import record_lines
from tableside.models import SaleSource
from tests.factories import Account, register
from tests.factories.sales import create_category, create_item, set_business

SALES = "/api/v1/sales"
D = Decimal


async def ledger_business(
    client: httpx.AsyncClient, *, timezone: str = "UTC", cutoff_hour: int = 4
) -> Account:
    """A freshly registered business keeping its days in `timezone` from `cutoff_hour`."""
    owner = await register(client)
    await set_business(client, owner, timezone=timezone, day_cutoff_hour=cutoff_hour)
    return owner


async def create_location(
    client: httpx.AsyncClient, owner: Account, name: str | None = None, **fields: Any
) -> str:
    response = await client.post(
        "/api/v1/locations",
        headers=owner.headers,
        json={"name": name or f"Location {uuid.uuid4().hex[:8]}", **fields},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def local(timezone: str, year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A local wall time as a UTC instant (fold=0 for an ambiguous time: its first pass)."""
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def sale(
    sold_at: datetime,
    amount: str | Decimal,
    *,
    quantity: str | Decimal = "1",
    item: str | uuid.UUID | None = None,
    category: str | uuid.UUID | None = None,
    location: str | uuid.UUID | None = None,
    cost: str | Decimal | None = None,
    covers: int = 0,
    transactions: int = 1,
    business_date: date | None = None,
) -> LineIn:
    """One ledger line (by default the one line of a one-line sale: transactions=1)."""

    def _id(value: str | uuid.UUID | None) -> uuid.UUID | None:
        return uuid.UUID(str(value)) if value is not None else None

    return LineIn(
        sold_at=sold_at,
        quantity=D(quantity),
        net_amount=D(amount),
        location_id=_id(location),
        menu_item_id=_id(item),
        category_id=_id(category),
        cost=D(cost) if cost is not None else None,
        covers=covers,
        transactions=transactions,
        business_date=business_date,
    )


def refund(
    sold_at: datetime,
    amount: str | Decimal,
    *,
    quantity: str | Decimal = "1",
    **fields: Any,
) -> LineIn:
    """A refund line: negative amount and quantity, no transaction."""
    return sale(sold_at, -D(amount), quantity=-D(quantity), transactions=0, **fields)


async def record(
    database: Database,
    account: Account,
    lines: Sequence[LineIn],
    *,
    source: SaleSource = SaleSource.pos,
) -> None:
    """Write lines (and their rollups) in one transaction of the account's business."""
    business_id = uuid.UUID(account.business_id)
    async with database.session() as session:
        await set_tenant(session, business_id)
        await record_lines(session, business_id, lines, source=source)


async def get(
    client: httpx.AsyncClient, account: Account, path: str, **params: Any
) -> httpx.Response:
    """GET /api/v1/sales/<path> with the given query parameters (None values left out)."""
    query = {key: str(value) for key, value in params.items() if value is not None}
    return await client.get(f"{SALES}/{path}", headers=account.headers, params=query)


async def get_ok(
    client: httpx.AsyncClient, account: Account, path: str, **params: Any
) -> dict[str, Any]:
    response = await get(client, account, path, **params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@dataclass
class Shop:
    owner: Account
    downtown: str
    airport: str
    coffee: str
    tea: str
    burger: str
    drinks: str
    food: str


async def shop(client: httpx.AsyncClient, database: Database) -> Shop:
    """A UTC business (midnight cutoff), two locations, three items in two categories and a
    fortnight of sales (1-14 June 2026, starting on a Monday)."""
    owner = await ledger_business(client, timezone="UTC", cutoff_hour=0)
    downtown = await create_location(client, owner, "Downtown")
    airport = await create_location(client, owner, "Airport")
    drinks = await create_category(database, owner, "Drinks")
    food = await create_category(database, owner, "Food")
    coffee = (await create_item(database, owner, name="Coffee", category_id=drinks)).id
    tea = (await create_item(database, owner, name="Tea", category_id=drinks)).id
    burger = (await create_item(database, owner, name="Burger", category_id=food)).id

    def at(day: int, hour: int, minute: int = 0) -> datetime:
        return datetime(2026, 6, day, hour, minute, tzinfo=UTC)

    await record(
        database,
        owner,
        [
            # One sale of two lines: the sale counts once, on its first line.
            sale(at(1, 8, 15), "6.00", quantity="2", item=coffee, category=drinks,
                 location=downtown, covers=1),
            sale(at(1, 8, 15), "12.00", item=burger, category=food, location=downtown,
                 transactions=0),
            sale(at(3, 13), "3.00", item=tea, category=drinks, location=airport, covers=2),
            sale(at(10, 8, 45), "24.00", quantity="2", item=burger, category=food,
                 location=downtown, covers=2),
            # A service charge: no item, no location.
            sale(at(10, 20), "5.00", quantity="0"),
            refund(at(12, 8, 30), "3.00", item=coffee, category=drinks, location=downtown),
        ],
    )  # fmt: skip
    return Shop(owner, downtown, airport, coffee, tea, burger, drinks, food)

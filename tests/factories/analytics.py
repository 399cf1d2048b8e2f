"""Factories for analytics tests: menu items and customers through the API, sales straight
into the ledger with `record_lines` (as a till, a refund or an import would write them)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import httpx

from tableside.db.database import Database, set_tenant
from tableside.ledger.lines import LineIn
from tableside.ledger.writer import record_lines
from tableside.models import SaleSource
from tests.factories import Account

ANALYTICS = "/api/v1/analytics"
NOON = time(12, 0)


@dataclass(frozen=True)
class Sold:
    """One line of a sale: what, how many, for how much (net) and at what cost."""

    item: uuid.UUID | None
    quantity: str | int
    amount: str
    cost: str | None = None


def _uuid(value: str | uuid.UUID | None) -> uuid.UUID | None:
    return uuid.UUID(str(value)) if value is not None else None


def sale(
    day: date,
    lines: Sequence[Sold],
    *,
    server: str | None = None,
    customer: str | None = None,
    location: str | None = None,
    at: time = NOON,
) -> list[LineIn]:
    """A completed sale on `day` (at `at` UTC): one transaction, on its first line."""
    sale_id = uuid.uuid4()
    sold_at = datetime.combine(day, at, tzinfo=UTC)
    return [
        LineIn(
            sold_at=sold_at,
            quantity=Decimal(str(line.quantity)),
            net_amount=Decimal(line.amount),
            menu_item_id=line.item,
            cost=Decimal(line.cost) if line.cost is not None else None,
            transactions=1 if index == 0 else 0,
            sale_id=sale_id,
            server_id=_uuid(server),
            customer_id=_uuid(customer),
            location_id=_uuid(location),
        )
        for index, line in enumerate(lines)
    ]


def refund(
    day: date,
    line: Sold,
    *,
    server: str | None = None,
    customer: str | None = None,
    location: str | None = None,
) -> list[LineIn]:
    """A refund on `day`: the line's quantity, amount and cost taken back (no transaction)."""
    return [
        LineIn(
            sold_at=datetime.combine(day, NOON, tzinfo=UTC),
            quantity=-Decimal(str(line.quantity)),
            net_amount=-Decimal(line.amount),
            menu_item_id=line.item,
            cost=-Decimal(line.cost) if line.cost is not None else None,
            server_id=_uuid(server),
            customer_id=_uuid(customer),
            location_id=_uuid(location),
        )
    ]


def daily_import(day: date, amount: str, *, location: str | None = None) -> list[LineIn]:
    """A day's revenue from an import: no item, no transaction, booked on the date."""
    return [
        LineIn(
            sold_at=datetime.combine(day, NOON, tzinfo=UTC),
            quantity=Decimal(0),
            net_amount=Decimal(amount),
            business_date=day,
            location_id=_uuid(location),
        )
    ]


async def record(
    database: Database,
    account: Account,
    *batches: list[LineIn],
    source: SaleSource = SaleSource.pos,
) -> None:
    """Write the lines to the account's ledger in one transaction."""
    business_id = uuid.UUID(account.business_id)
    lines = [line for batch in batches for line in batch]
    async with database.session() as session:
        await set_tenant(session, business_id)
        await record_lines(session, business_id, lines, source=source)


async def menu_item(
    client: httpx.AsyncClient, account: Account, name: str, price: str, **fields: Any
) -> uuid.UUID:
    response = await client.post(
        "/api/v1/menu/items", headers=account.headers, json={"name": name, "price": price, **fields}
    )
    assert response.status_code == 201, response.text
    return uuid.UUID(response.json()["id"])


async def menu_category(client: httpx.AsyncClient, account: Account, name: str) -> str:
    response = await client.post(
        "/api/v1/menu/categories", headers=account.headers, json={"name": name}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def customer(client: httpx.AsyncClient, account: Account, name: str) -> str:
    response = await client.post("/api/v1/customers", headers=account.headers, json={"name": name})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def location(client: httpx.AsyncClient, account: Account, name: str) -> str:
    response = await client.post("/api/v1/locations", headers=account.headers, json={"name": name})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def get(
    client: httpx.AsyncClient, account: Account, path: str, **params: Any
) -> httpx.Response:
    return await client.get(f"{ANALYTICS}/{path}", headers=account.headers, params=params)


async def ok(
    client: httpx.AsyncClient, account: Account, path: str, **params: Any
) -> dict[str, Any]:
    """GET an analytics endpoint and return its body, asserting 200."""
    response = await get(client, account, path, **params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body

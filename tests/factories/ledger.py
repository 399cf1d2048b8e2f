"""Factories for ledger ingestion tests: a business with a calendar, a menu and locations
written straight into the database, CSV documents, and the ledger and rollups read back."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import text

from tableside.db.database import Database, set_tenant
from tableside.models import Location, MenuCategory, MenuItem
from tests.factories import Account, register

BULK = "/api/v1/sales/bulk"
IMPORT = "/api/v1/sales/import"
# A file's cell that is not a number, as the import reports it (decimal point, or comma in a
# semicolon file that writes them).
NOT_A_NUMBER = (
    "is not a number: write digits with a decimal point, without a currency sign, "
    "thousands separators or brackets (a minus sign for a refund)"
)
NOT_A_NUMBER_COMMA = NOT_A_NUMBER.replace("decimal point", "decimal comma")


@dataclass
class Shop:
    """A registered business with its menu (by SKU) and locations (by name)."""

    owner: Account
    items: dict[str, uuid.UUID] = field(default_factory=dict)
    categories: dict[str, uuid.UUID] = field(default_factory=dict)
    locations: dict[str, uuid.UUID] = field(default_factory=dict)

    @property
    def business_id(self) -> uuid.UUID:
        return uuid.UUID(self.owner.business_id)


async def create_shop(
    client: httpx.AsyncClient,
    database: Database,
    *,
    timezone: str = "UTC",
    cutoff: int = 4,
    items: list[tuple[str, str, str | None]] | None = None,
    locations: list[tuple[str, str | None]] | None = None,
) -> Shop:
    """A business in `timezone` with day cutoff `cutoff`; `items` are (sku, name, cost) in
    one category, `locations` (name, own time zone or None) besides the one registration
    made (named after the business)."""
    owner = await register(client, business_name=f"Ledger Shop {uuid.uuid4().hex[:8]}")
    response = await client.put(
        "/api/v1/business",
        headers=owner.headers,
        json={"timezone": timezone, "day_cutoff_hour": cutoff},
    )
    assert response.status_code == 200, response.text
    shop = Shop(owner=owner)
    business_id = shop.business_id
    async with database.session() as session:
        await set_tenant(session, business_id)
        category = MenuCategory(business_id=business_id, name="Food")
        session.add(category)
        await session.flush()
        shop.categories["Food"] = category.id
        for sku, name, cost in items or [
            ("PIZ", "Pizza", "4.00"),
            ("PAS", "Pasta", "3.00"),
            ("TIR", "Tiramisu", None),
        ]:
            item = MenuItem(
                business_id=business_id,
                category_id=category.id,
                name=name,
                price=Decimal("10.00"),
                cost=Decimal(cost) if cost is not None else None,
                sku=sku,
                barcode=f"BC-{sku}-{uuid.uuid4().hex[:6]}",
            )
            session.add(item)
            await session.flush()
            shop.items[sku] = item.id
        for name, zone in locations or [("Main", None), ("Harbour", None)]:
            location = Location(business_id=business_id, name=name, timezone=zone)
            session.add(location)
            await session.flush()
            shop.locations[name] = location.id
    return shop


async def add_category(database: Database, shop: Shop, name: str) -> uuid.UUID:
    """Another menu category of the shop (kept in `shop.categories`)."""
    async with database.session() as session:
        await set_tenant(session, shop.business_id)
        category = MenuCategory(business_id=shop.business_id, name=name)
        session.add(category)
        await session.flush()
    shop.categories[name] = category.id
    return category.id


def csv_bytes(header: list[str], rows: list[list[Any]], *, bom: bool = False) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    data = buffer.getvalue().encode("utf-8")
    return (b"\xef\xbb\xbf" + data) if bom else data


async def upload(
    client: httpx.AsyncClient,
    account: Account,
    content: bytes,
    *,
    filename: str = "sales.csv",
    content_type: str = "text/csv",
    **params: Any,
) -> httpx.Response:
    query = {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in params.items()}
    return await client.post(
        IMPORT,
        headers=account.headers,
        params=query,
        files={"file": (filename, content, content_type)},
    )


async def bulk(
    client: httpx.AsyncClient,
    account: Account,
    lines: list[Any],
    *,
    batch_id: str | None = None,
    **params: Any,
) -> httpx.Response:
    query = {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in params.items()}
    return await client.post(
        BULK,
        headers=account.headers,
        params=query,
        json={"batch_id": batch_id or uuid.uuid4().hex, "lines": lines},
    )


async def fetch(
    database: Database, business_id: uuid.UUID, sql: str, **params: Any
) -> list[dict[str, Any]]:
    """Rows of `sql` (scoped to the business by row-level security) as dicts."""
    async with database.session() as session:
        await set_tenant(session, business_id)
        result = await session.execute(text(sql), params)
        return [dict(row._mapping) for row in result]


async def ledger_lines(database: Database, business_id: uuid.UUID) -> list[dict[str, Any]]:
    return await fetch(database, business_id, "SELECT * FROM sales_ledger ORDER BY id")


async def daily_rollups(database: Database, business_id: uuid.UUID) -> list[dict[str, Any]]:
    return await fetch(
        database,
        business_id,
        "SELECT business_date, location_key, item_key, category_key, category_id, quantity,"
        " net_amount, cost, line_count, costed_revenue FROM sales_daily_item_rollups"
        " ORDER BY 1, 2, 3, 4",
    )


async def hourly_rollups(database: Database, business_id: uuid.UUID) -> list[dict[str, Any]]:
    return await fetch(
        database,
        business_id,
        "SELECT hour_start, location_key, business_date, local_hour, quantity, net_amount,"
        " cost, transactions, covers FROM sales_hourly_rollups ORDER BY 1, 2",
    )


async def assert_rollups_match_ledger(database: Database, business_id: uuid.UUID) -> None:
    """The rollups (per location and item, per item, per hour) equal a GROUP BY over the
    business's ledger lines; lines without an item are kept apart by category."""
    no_key = "'00000000-0000-0000-0000-000000000000'::uuid"
    category_key = (
        f"CASE WHEN menu_item_id IS NULL THEN coalesce(category_id, {no_key}) ELSE {no_key} END"
        " AS category_key"
    )
    item_sums = (
        "sum(quantity) AS quantity, sum(net_amount) AS net_amount,"
        " sum(coalesce(cost, 0)) AS cost, sum(sign(quantity))::bigint AS line_count,"
        " coalesce(sum(net_amount) FILTER (WHERE cost IS NOT NULL), 0) AS costed_revenue"
    )
    daily = await fetch(
        database,
        business_id,
        f"SELECT business_date, coalesce(location_id, {no_key}) AS location_key,"
        f" coalesce(menu_item_id, {no_key}) AS item_key, {category_key}, {item_sums}"
        " FROM sales_ledger GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4",
    )
    stored_daily = [
        {k: v for k, v in row.items() if k != "category_id"}
        for row in await daily_rollups(database, business_id)
    ]
    assert _normal(stored_daily) == _normal(daily)
    totals = await fetch(
        database,
        business_id,
        f"SELECT business_date, coalesce(menu_item_id, {no_key}) AS item_key, {category_key},"
        f" {item_sums} FROM sales_ledger GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
    )
    stored_totals = await fetch(
        database,
        business_id,
        "SELECT business_date, item_key, category_key, quantity, net_amount, cost, line_count,"
        " costed_revenue FROM sales_daily_item_totals ORDER BY 1, 2, 3",
    )
    assert _normal(stored_totals) == _normal(totals)
    hourly = await fetch(
        database,
        business_id,
        f"SELECT hour_start, coalesce(location_id, {no_key}) AS location_key,"
        " min(business_date) AS business_date, min(local_hour) AS local_hour,"
        " sum(quantity) AS quantity, sum(net_amount) AS net_amount,"
        " sum(coalesce(cost, 0)) AS cost, sum(transactions)::bigint AS transactions,"
        " sum(covers)::bigint AS covers FROM sales_ledger GROUP BY 1, 2 ORDER BY 1, 2",
    )
    assert _normal(await hourly_rollups(database, business_id)) == _normal(hourly)


def _normal(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with equal decimals compared by value (12.50 == 12.5) and rows with nothing
    left (a sale fully refunded) kept: the rollups keep them too."""
    out = []
    for row in rows:
        out.append({k: (v.normalize() if isinstance(v, Decimal) else v) for k, v in row.items()})
    return out


def iso(value: datetime | date) -> str:
    return value.isoformat().replace("+00:00", "Z")

"""Menu factories: categories and items through the API, sales straight into the database."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import httpx

from tableside.db.database import Database, set_tenant
from tableside.models import Sale, SaleLine, SaleStatus
from tests.factories import Account

MENU = "/api/v1/menu"


async def create_category(
    client: httpx.AsyncClient, account: Account, name: str | None = None, **fields: Any
) -> dict[str, Any]:
    """A category created through the API (a unique name unless one is given)."""
    body = {"name": name or f"Category {uuid.uuid4().hex[:8]}", **fields}
    response = await client.post(f"{MENU}/categories", headers=account.headers, json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def create_item(
    client: httpx.AsyncClient,
    account: Account,
    name: str = "Margherita",
    price: str = "12.50",
    **fields: Any,
) -> dict[str, Any]:
    """An item created through the API."""
    body = {"name": name, "price": price, **fields}
    response = await client.post(f"{MENU}/items", headers=account.headers, json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def csv_file(
    rows: list[list[Any]],
    header: list[str] | None = None,
    *,
    encoding: str = "utf-8",
) -> bytes:
    """A CSV document: the header (default name,category,price,cost,description,is_active)
    and rows of cells."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header or ["name", "category", "price", "cost", "description", "is_active"])
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


async def upload_csv(
    client: httpx.AsyncClient,
    account: Account,
    content: bytes,
    *,
    dry_run: bool = False,
    filename: str = "menu.csv",
    content_type: str = "text/csv",
) -> httpx.Response:
    return await client.post(
        f"{MENU}/items/import-csv",
        headers=account.headers,
        params={"dry_run": "true"} if dry_run else None,
        files={"file": (filename, content, content_type)},
    )


async def insert_sale(
    database: Database,
    business_id: str,
    *,
    lines: list[dict[str, Any]],
    business_date: date,
    status: SaleStatus = SaleStatus.completed,
    sold_at: datetime | None = None,
) -> uuid.UUID:
    """A sale with its lines, written directly (the sales API belongs to another domain).

    Each line needs `menu_item_id`, `quantity`, `unit_price`; `net_amount` defaults to
    quantity * unit_price and `unit_cost` to None.
    """
    business_uuid = uuid.UUID(business_id)
    sale_id = uuid.uuid4()
    totals = Decimal("0")
    sale_lines = []
    for position, line in enumerate(lines, start=1):
        quantity = int(line["quantity"])
        unit_price = Decimal(str(line["unit_price"]))
        line_total = unit_price * quantity
        net = Decimal(str(line.get("net_amount", line_total)))
        totals += net
        sale_lines.append(
            SaleLine(
                business_id=business_uuid,
                sale_id=sale_id,
                position=position,
                menu_item_id=uuid.UUID(str(line["menu_item_id"])),
                name=line.get("name", "Item"),
                quantity=quantity,
                unit_price=unit_price,
                unit_cost=Decimal(str(line["unit_cost"])) if line.get("unit_cost") else None,
                line_total=line_total,
                discount_amount=line_total - net,
                net_amount=net,
            )
        )
    moment = sold_at or datetime.combine(business_date, time(12, 0), tzinfo=UTC)
    async with database.session() as session:
        await set_tenant(session, business_uuid)
        session.add(
            Sale(
                id=sale_id,
                business_id=business_uuid,
                sale_number=f"S-{uuid.uuid4().hex[:10]}",
                status=status,
                subtotal=totals,
                total_amount=totals,
                paid_amount=totals if status == SaleStatus.completed else Decimal("0"),
                sold_at=moment,
                business_date=business_date,
            )
        )
        await session.flush()
        session.add_all(sale_lines)
    return sale_id

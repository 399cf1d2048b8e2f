"""Factories for order and kitchen tests.

Menu items, tables, customers and sales are inserted directly (their APIs belong to other
domains); orders are created through the API, as a till would."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import null

from tableside.db.database import Database, set_tenant
from tableside.models import Customer, DiningTable, MenuItem, Sale, SaleStatus, TableStatus
from tableside.orders.lifecycle import record_payment
from tests.factories import Account

ORDERS = "/api/v1/orders"
KITCHEN = "/api/v1/kitchen"


def _tag() -> str:
    return uuid.uuid4().hex[:10]


async def _insert(database: Database, account: Account, row: Any) -> uuid.UUID:
    async with database.session() as session:
        await set_tenant(session, uuid.UUID(account.business_id))
        session.add(row)
        await session.flush()
        row_id: uuid.UUID = row.id
    return row_id


async def create_menu_item(
    database: Database,
    account: Account,
    *,
    name: str = "Margherita Pizza",
    price: str = "12.99",
    cost: str | None = None,
    station: str | None = "kitchen",
    is_active: bool = True,
) -> str:
    """A menu item of the account's business; returns its id as a string."""
    tag = _tag()
    item = MenuItem(
        business_id=uuid.UUID(account.business_id),
        name=name,
        price=Decimal(price),
        cost=Decimal(cost) if cost is not None else None,
        sku=f"SKU-{tag}",
        barcode=f"BC-{tag}",
        # An explicit None would be replaced by the column default ("kitchen"): write NULL.
        station=station if station is not None else null(),
        is_active=is_active,
    )
    return str(await _insert(database, account, item))


async def create_table(
    database: Database,
    account: Account,
    *,
    status: TableStatus = TableStatus.available,
    capacity: int = 4,
    is_active: bool = True,
) -> str:
    table = DiningTable(
        business_id=uuid.UUID(account.business_id),
        table_number=f"T-{_tag()}",
        section="Main Floor",
        capacity=capacity,
        status=status,
        is_active=is_active,
    )
    return str(await _insert(database, account, table))


async def create_customer(
    database: Database, account: Account, *, name: str = "John Doe", is_active: bool = True
) -> str:
    customer = Customer(
        business_id=uuid.UUID(account.business_id),
        name=name,
        email=f"guest-{_tag()}@example.com",
        is_active=is_active,
    )
    return str(await _insert(database, account, customer))


async def create_sale(
    database: Database,
    account: Account,
    order_id: str,
    *,
    status: SaleStatus = SaleStatus.pending,
    total: str = "0",
) -> str:
    """A sale for the order, as the payments domain would open one."""
    sale = Sale(
        business_id=uuid.UUID(account.business_id),
        sale_number=f"S-{_tag()}",
        order_id=uuid.UUID(order_id),
        status=status,
        subtotal=Decimal(total),
        total_amount=Decimal(total),
        sold_at=datetime.now(UTC),
        business_date=date.today(),
    )
    return str(await _insert(database, account, sale))


async def table_status(database: Database, account: Account, table_id: str) -> TableStatus:
    async with database.session() as session:
        await set_tenant(session, uuid.UUID(account.business_id))
        table = await session.get(DiningTable, uuid.UUID(table_id))
        assert table is not None
        return table.status


async def pay(database: Database, account: Account, order_id: str) -> None:
    """The payments domain's hook: the order's sale is fully paid."""
    async with database.session() as session:
        await set_tenant(session, uuid.UUID(account.business_id))
        await record_payment(session, uuid.UUID(account.business_id), uuid.UUID(order_id))


async def set_business(client: httpx.AsyncClient, owner: Account, **settings: Any) -> None:
    response = await client.put("/api/v1/business", headers=owner.headers, json=settings)
    assert response.status_code == 200, response.text


def line(menu_item_id: str, quantity: int = 1, **extra: Any) -> dict[str, Any]:
    return {"menu_item_id": menu_item_id, "quantity": quantity, **extra}


async def create_order(
    client: httpx.AsyncClient,
    account: Account,
    items: list[dict[str, Any]] | None = None,
    *,
    order_type: str = "takeaway",
    **fields: Any,
) -> dict[str, Any]:
    """Create an order through the API and return its body (asserting 201)."""
    response = await client.post(
        ORDERS,
        headers=account.headers,
        json={"order_type": order_type, "items": items or [], **fields},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def post(
    client: httpx.AsyncClient, account: Account, path: str, json: Any = None
) -> httpx.Response:
    return await client.post(path, headers=account.headers, json=json)


async def send(client: httpx.AsyncClient, account: Account, order_id: str) -> dict[str, Any]:
    response = await client.post(f"{ORDERS}/{order_id}/send", headers=account.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def tickets_of(
    client: httpx.AsyncClient, account: Account, order_number: str, **params: Any
) -> list[dict[str, Any]]:
    """The kitchen tickets of one order (any status unless `status` is given), by number."""
    query: dict[str, Any] = {
        "status": params.pop("status", ["pending", "preparing", "ready", "served", "cancelled"]),
        "page_size": 100,
        **params,
    }
    response = await client.get(f"{KITCHEN}/tickets", headers=account.headers, params=query)
    assert response.status_code == 200, response.text
    tickets = [t for t in response.json()["items"] if t["order_number"] == order_number]
    return sorted(tickets, key=lambda t: t["ticket_number"])

"""Factories for sales tests.

Menu items, categories, customers and orders are written straight into the database (their
APIs are built elsewhere), with order totals computed by the same money rule the orders
domain uses, so they are consistent. Sales themselves go through the API, as a till would.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from tableside.db.database import Database, set_tenant
from tableside.kit.money import percent_of
from tableside.models import (
    Customer,
    DailyItemRollup,
    DiningTable,
    HourlyRollup,
    LedgerLine,
    MenuCategory,
    MenuItem,
    Order,
    OrderItem,
    OrderItemStatus,
    OrderStatus,
    OrderType,
    TableStatus,
)
from tests.factories import Account

SALES = "/api/v1/sales"


@dataclass(frozen=True)
class Item:
    """A menu item as written, enough to predict a sale of it."""

    id: str
    name: str
    price: Decimal
    cost: Decimal | None
    sku: str
    barcode: str
    category_id: str | None


def _uid() -> str:
    return uuid.uuid4().hex[:10]


async def set_business(client: httpx.AsyncClient, owner: Account, **settings: Any) -> None:
    """Change the business's settings (tax_rate, allow_negative_stock, timezone...)."""
    response = await client.put("/api/v1/business", headers=owner.headers, json=settings)
    assert response.status_code == 200, response.text


async def create_category(database: Database, account: Account, name: str | None = None) -> str:
    business_id = uuid.UUID(account.business_id)
    category = MenuCategory(business_id=business_id, name=name or f"Category {_uid()}")
    async with database.session() as session:
        await set_tenant(session, business_id)
        session.add(category)
        await session.flush()
    return str(category.id)


async def create_item(
    database: Database,
    account: Account,
    *,
    price: str | Decimal = "10.00",
    cost: str | Decimal | None = None,
    stock: int | None = None,
    category_id: str | None = None,
    is_active: bool = True,
    name: str | None = None,
) -> Item:
    """A menu item; `stock` makes it a counted (retail) good."""
    business_id = uuid.UUID(account.business_id)
    suffix = _uid()
    item = MenuItem(
        business_id=business_id,
        category_id=uuid.UUID(category_id) if category_id else None,
        name=name or f"Item {suffix}",
        price=Decimal(price),
        cost=Decimal(cost) if cost is not None else None,
        sku=f"SKU-{suffix}",
        barcode=f"BC{suffix}",
        stock=stock,
        is_active=is_active,
    )
    async with database.session() as session:
        await set_tenant(session, business_id)
        session.add(item)
        await session.flush()
    return Item(
        id=str(item.id),
        name=item.name,
        price=item.price,
        cost=item.cost,
        sku=item.sku,
        barcode=item.barcode,
        category_id=category_id,
    )


async def item_stock(database: Database, account: Account, item: Item) -> int | None:
    from sqlalchemy import select

    business_id = uuid.UUID(account.business_id)
    async with database.session() as session:
        await set_tenant(session, business_id)
        stmt = select(MenuItem.stock).where(MenuItem.id == uuid.UUID(item.id))
        stock: int | None = (await session.execute(stmt)).scalar_one()
        return stock


async def create_customer(database: Database, account: Account, name: str = "Ada Guest") -> str:
    business_id = uuid.UUID(account.business_id)
    customer = Customer(
        business_id=business_id, name=name, email=f"{_uid()}@example.com", phone="555-0100"
    )
    async with database.session() as session:
        await set_tenant(session, business_id)
        session.add(customer)
        await session.flush()
    return str(customer.id)


@dataclass(frozen=True)
class OrderRef:
    id: str
    subtotal: Decimal
    discount_amount: Decimal
    tax_amount: Decimal
    tip_amount: Decimal
    total_amount: Decimal
    item_ids: list[str]


async def create_order(
    database: Database,
    account: Account,
    lines: list[tuple[Item, int]],
    *,
    status: OrderStatus = OrderStatus.pending,
    tax_rate: str = "10",
    discount_amount: str = "0",
    tip_amount: str = "0",
    voided: list[tuple[Item, int]] | None = None,
    customer_id: str | None = None,
    notes: list[str] | None = None,
    order_type: OrderType = OrderType.takeaway,
    table_id: str | None = None,
    server_id: str | None = None,
) -> OrderRef:
    """An order with its items and consistent totals (voided lines count for nothing)."""
    business_id = uuid.UUID(account.business_id)
    subtotal = sum((item.price * qty for item, qty in lines), Decimal("0.00"))
    discount = Decimal(discount_amount)
    tax = percent_of(subtotal - discount, Decimal(tax_rate))
    tip = Decimal(tip_amount)
    sequence = random.randint(1, 10**9)
    order = Order(
        business_id=business_id,
        order_number=f"T-{sequence}",
        business_date=date(2026, 1, 15),
        sequence_number=sequence,
        order_type=order_type,
        status=status,
        table_id=uuid.UUID(table_id) if table_id else None,
        server_id=uuid.UUID(server_id) if server_id else None,
        customer_id=uuid.UUID(customer_id) if customer_id else None,
        tax_rate=Decimal(tax_rate),
        subtotal=subtotal,
        discount_amount=discount,
        tax_amount=tax,
        tip_amount=tip,
        total_amount=subtotal - discount + tax + tip,
        ready_at=datetime.now(UTC) if status == OrderStatus.ready else None,
    )
    item_ids: list[str] = []
    added_at = datetime.now(UTC)
    async with database.session() as session:
        await set_tenant(session, business_id)
        session.add(order)
        await session.flush()
        rows = [(item, qty, OrderItemStatus.served) for item, qty in lines]
        rows += [(item, qty, OrderItemStatus.voided) for item, qty in voided or []]
        for index, (item, qty, item_status) in enumerate(rows):
            order_item = OrderItem(
                business_id=business_id,
                order_id=order.id,
                menu_item_id=uuid.UUID(item.id),
                name=item.name,
                sku=item.sku,
                quantity=qty,
                unit_price=item.price,
                unit_cost=item.cost,
                line_total=item.price * qty,
                status=item_status,
                notes=notes[index] if notes and index < len(notes) else None,
                # Lines keep the order they were added in (as the orders domain stamps them).
                created_at=added_at + timedelta(microseconds=index),
            )
            session.add(order_item)
            await session.flush()
            if item_status != OrderItemStatus.voided:
                item_ids.append(str(order_item.id))
    return OrderRef(
        id=str(order.id),
        subtotal=order.subtotal,
        discount_amount=discount,
        tax_amount=tax,
        tip_amount=tip,
        total_amount=order.total_amount,
        item_ids=item_ids,
    )


async def order_row(database: Database, account: Account, order_id: str) -> Order:
    from sqlalchemy import select

    business_id = uuid.UUID(account.business_id)
    async with database.session() as session:
        await set_tenant(session, business_id)
        stmt = select(Order).where(Order.id == uuid.UUID(order_id))
        return (await session.execute(stmt)).scalar_one()


def cash(amount: str | Decimal, **extra: Any) -> dict[str, Any]:
    return {"method": "cash", "amount": str(amount), **extra}


def card(amount: str | Decimal, **extra: Any) -> dict[str, Any]:
    return {"method": "card", "amount": str(amount), **extra}


async def counter_sale(
    client: httpx.AsyncClient,
    account: Account,
    lines: list[tuple[Item, int]],
    payments: list[dict[str, Any]] | None = None,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> httpx.Response:
    """POST /sales for menu items (and payments, if any)."""
    body: dict[str, Any] = {
        "items": [{"menu_item_id": item.id, "quantity": qty} for item, qty in lines],
        **extra,
    }
    if payments is not None:
        body["payments"] = payments
    return await client.post(SALES, headers={**account.headers, **(headers or {})}, json=body)


async def pay(
    client: httpx.AsyncClient,
    account: Account,
    sale_id: str,
    payment: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return await client.post(
        f"{SALES}/{sale_id}/payments", headers={**account.headers, **(headers or {})}, json=payment
    )


async def create_seated_table(
    database: Database, account: Account, *, party_size: int, server_id: str | None = None
) -> str:
    """An occupied table with a party seated at it (the tables API is another domain)."""
    business_id = uuid.UUID(account.business_id)
    table = DiningTable(
        business_id=business_id,
        table_number=f"T{_uid()[:6]}",
        capacity=max(party_size, 4),
        status=TableStatus.occupied,
        party_size=party_size,
        server_id=uuid.UUID(server_id) if server_id else None,
        seated_at=datetime.now(UTC),
    )
    async with database.session() as session:
        await set_tenant(session, business_id)
        session.add(table)
        await session.flush()
    return str(table.id)


async def table_party_size(database: Database, account: Account, table_id: str) -> int | None:
    from sqlalchemy import select

    business_id = uuid.UUID(account.business_id)
    async with database.session() as session:
        await set_tenant(session, business_id)
        stmt = select(DiningTable.party_size).where(DiningTable.id == uuid.UUID(table_id))
        size: int | None = (await session.execute(stmt)).scalar_one()
        return size


# The sales ledger, read straight from its tables in the business's own scope. -----------------


@dataclass(frozen=True)
class LedgerRow:
    """One `sales_ledger` row, detached from its session."""

    sale_id: uuid.UUID | None
    source: str
    sold_at: datetime
    business_date: date
    local_hour: int
    location_id: uuid.UUID | None
    menu_item_id: uuid.UUID | None
    category_id: uuid.UUID | None
    quantity: Decimal
    net_amount: Decimal
    cost: Decimal | None
    covers: int
    transactions: int
    server_id: uuid.UUID | None
    customer_id: uuid.UUID | None


@dataclass(frozen=True)
class Ledger:
    """A business's ledger lines (in the order written) and its rollup rows."""

    lines: list[LedgerRow]
    daily: list[DailyItemRollup]
    hourly: list[HourlyRollup]

    def of_sale(self, sale_id: str) -> list[LedgerRow]:
        return [line for line in self.lines if line.sale_id == uuid.UUID(sale_id)]

    def day(self, business_date: date, item_id: str) -> DailyItemRollup:
        """The daily rollup row of one item on one business day (no location)."""
        (row,) = [
            r
            for r in self.daily
            if r.business_date == business_date and r.item_key == uuid.UUID(item_id)
        ]
        return row


def net_of(lines: list[LedgerRow]) -> Decimal:
    return sum((line.net_amount for line in lines), Decimal("0"))


async def read_ledger(database: Database, account: Account) -> Ledger:
    """Everything the ledger holds for the account's business."""
    from sqlalchemy import select

    business_id = uuid.UUID(account.business_id)
    async with database.session() as session:
        await set_tenant(session, business_id)
        lines = (await session.execute(select(LedgerLine).order_by(LedgerLine.id))).scalars()
        rows = [
            LedgerRow(
                sale_id=line.sale_id,
                source=str(line.source),
                sold_at=line.sold_at,
                business_date=line.business_date,
                local_hour=line.local_hour,
                location_id=line.location_id,
                menu_item_id=line.menu_item_id,
                category_id=line.category_id,
                quantity=line.quantity,
                net_amount=line.net_amount,
                cost=line.cost,
                covers=line.covers,
                transactions=line.transactions,
                server_id=line.server_id,
                customer_id=line.customer_id,
            )
            for line in lines
        ]
        daily = list((await session.execute(select(DailyItemRollup))).scalars())
        hourly = list((await session.execute(select(HourlyRollup))).scalars())
        for row in [*daily, *hourly]:
            session.expunge(row)
    return Ledger(rows, daily, hourly)


async def external_sale(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    lines: list[tuple[Item, int, str]],
    *,
    source: str = "webhook",
    by_sku: bool = False,
    **extra: Any,
) -> httpx.Response:
    """POST /sales of a sale another system made: `(item, quantity, unit_price)` lines."""
    key = "sku" if by_sku else "menu_item_id"
    body: dict[str, Any] = {
        "source": source,
        "items": [
            {key: item.sku if by_sku else item.id, "quantity": qty, "unit_price": price}
            for item, qty, price in lines
        ],
        **extra,
    }
    return await client.post(SALES, headers=headers, json=body)


async def api_key_headers(client: httpx.AsyncClient, owner: Account, role: str) -> dict[str, str]:
    """Headers of a new API key of `role` in the owner's business."""
    response = await client.post(
        "/api/v1/api-keys",
        headers=owner.headers,
        json={"name": f"Other POS {_uid()}", "role": role},
    )
    assert response.status_code == 201, response.text
    return {"X-API-Key": response.json()["key"]}

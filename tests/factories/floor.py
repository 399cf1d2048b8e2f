"""Factories for customers, tables and the orders that sit on them.

Orders are inserted straight into the database (the orders API is another domain); tables,
customers and locations go through the API like a client would.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import select

from tableside.db.database import Database, set_tenant
from tableside.models import Order, OrderStatus, OrderType
from tests.factories import Account

_sequence = itertools.count(1)


async def create_table(
    client: httpx.AsyncClient, account: Account, **fields: Any
) -> dict[str, Any]:
    """A table through the API (4 seats and a unique number unless given)."""
    payload: dict[str, Any] = {"table_number": f"T{uuid.uuid4().hex[:6]}", "capacity": 4}
    payload.update(fields)
    response = await client.post("/api/v1/tables", headers=account.headers, json=payload)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def create_customer(
    client: httpx.AsyncClient, account: Account, **fields: Any
) -> dict[str, Any]:
    """A customer through the API."""
    payload: dict[str, Any] = {"name": "Grace Guest"}
    payload.update(fields)
    response = await client.post("/api/v1/customers", headers=account.headers, json=payload)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def create_location(
    client: httpx.AsyncClient, owner: Account, name: str | None = None
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/locations",
        headers=owner.headers,
        json={"name": name or f"Branch {uuid.uuid4().hex[:6]}"},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def insert_order(
    database: Database,
    business_id: str,
    *,
    table_id: str | None = None,
    customer_id: str | None = None,
    status: OrderStatus = OrderStatus.pending,
    order_type: OrderType = OrderType.dine_in,
    total: str = "10.00",
    created_at: datetime | None = None,
) -> tuple[str, str]:
    """Insert an order row; returns (id, order_number)."""
    sequence = next(_sequence)
    number = f"ORD-{sequence:05d}-{uuid.uuid4().hex[:4]}"
    now = created_at or datetime.now(UTC)
    order = Order(
        business_id=uuid.UUID(business_id),
        order_number=number,
        business_date=date(2026, 1, 1),
        sequence_number=sequence,
        order_type=order_type,
        status=status,
        table_id=uuid.UUID(table_id) if table_id else None,
        customer_id=uuid.UUID(customer_id) if customer_id else None,
        tax_rate=Decimal("0"),
        subtotal=Decimal(total),
        total_amount=Decimal(total),
        completed_at=now if status == OrderStatus.completed else None,
    )
    if created_at is not None:
        order.created_at = created_at
    async with database.session() as session:
        await set_tenant(session, uuid.UUID(business_id))
        session.add(order)
        await session.flush()
        return str(order.id), number


async def set_order_status(
    database: Database, business_id: str, order_id: str, status: OrderStatus
) -> None:
    """Move an inserted order to `status` (stamping completed_at when it completes)."""
    async with database.session() as session:
        await set_tenant(session, uuid.UUID(business_id))
        order = (
            await session.execute(select(Order).where(Order.id == uuid.UUID(order_id)))
        ).scalar_one()
        order.status = status
        if status == OrderStatus.completed:
            order.completed_at = datetime.now(UTC)

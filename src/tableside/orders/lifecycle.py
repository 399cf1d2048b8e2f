"""Order hooks other domains call inside their own transaction."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tableside.kit.schemas import utcnow
from tableside.models import Order, OrderStatus
from tableside.tables.lifecycle import release_after_order


async def record_payment(
    session: AsyncSession, business_id: uuid.UUID, order_id: uuid.UUID
) -> None:
    """The order's sale is fully paid: stamp `paid_at`, and complete an order that is already
    ready (the guest paid on the way out), freeing its table when it was the last open order.

    An order still cooking stays where it is; it completes later through `/complete`."""
    stmt = (
        select(Order)
        .where(Order.business_id == business_id, Order.id == order_id)
        .with_for_update()
    )
    order = (await session.execute(stmt)).scalar_one_or_none()
    if order is None:
        return
    now = utcnow()
    order.paid_at = order.paid_at or now
    if order.status == OrderStatus.ready:
        order.status = OrderStatus.completed
        order.completed_at = now
        if order.table_id is not None:
            await release_after_order(session, business_id, order.table_id, order.id)
    await session.flush()

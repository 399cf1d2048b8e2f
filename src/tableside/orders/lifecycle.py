"""Order hooks other domains call inside their own transaction: payment received (payments),
kitchen progress (kitchen), and the completion step shared with `/complete`.

Every function here expects the order row to be locked by the caller or locks it itself, so
order, lines and tickets change one request at a time (lock order: order, then tickets, then
table)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from tableside.kit.schemas import utcnow
from tableside.kitchen.repository import TicketRepository
from tableside.models import Order, OrderItemStatus, OrderStatus, TicketStatus
from tableside.orders.repository import OrderRepository
from tableside.tables.lifecycle import release_after_order

FINISHED_TICKET_STATUSES = (TicketStatus.ready, TicketStatus.served)


async def record_payment(
    session: AsyncSession, business_id: uuid.UUID, order_id: uuid.UUID
) -> None:
    """The order's sale is fully paid: stamp `paid_at`, and complete an order that is already
    ready (the guest paid on the way out), freeing its table when it was the last open order.

    An order still cooking stays where it is; it completes later through `/complete`."""
    order = await OrderRepository(session, business_id).get_for_update(order_id)
    if order is None:
        return
    now = utcnow()
    order.paid_at = order.paid_at or now
    if order.status == OrderStatus.ready:
        await finish_order(session, business_id, order, now)
    await session.flush()


async def finish_order(
    session: AsyncSession, business_id: uuid.UUID, order: Order, now: datetime
) -> None:
    """Complete a ready order (locked by the caller): its ready tickets and sent lines are
    handed over (served), and its table is freed when no other order is open on it."""
    order.status = OrderStatus.completed
    order.completed_at = now
    for ticket in await TicketRepository(session, business_id).for_order(
        order.id, (TicketStatus.ready,)
    ):
        ticket.status = TicketStatus.served
        ticket.served_at = now
    for line in await OrderRepository(session, business_id).lines(order.id):
        if line.sent_at is not None and line.status not in (
            OrderItemStatus.voided,
            OrderItemStatus.served,
        ):
            line.status = OrderItemStatus.served
    await session.flush()
    if order.table_id is not None:
        await release_after_order(session, business_id, order.table_id, order.id)


async def refresh_progress(session: AsyncSession, business_id: uuid.UUID, order: Order) -> None:
    """Follow the kitchen: after any ticket or line change of `order` (locked by the caller).

    A preparing order becomes ready when every line that counts was sent and every ticket that
    was not cancelled is ready or served; once every such ticket is served, the order's sent
    lines are served too (the counter lines handed over with them)."""
    if order.status not in (OrderStatus.preparing, OrderStatus.ready):
        return
    lines = [
        line
        for line in await OrderRepository(session, business_id).lines(order.id)
        if line.status != OrderItemStatus.voided
    ]
    tickets = [
        ticket
        for ticket in await TicketRepository(session, business_id).for_order(order.id)
        if ticket.status != TicketStatus.cancelled
    ]
    all_sent = all(line.sent_at is not None for line in lines)
    if (
        order.status == OrderStatus.preparing
        and all_sent
        and all(ticket.status in FINISHED_TICKET_STATUSES for ticket in tickets)
    ):
        order.status = OrderStatus.ready
        order.ready_at = utcnow()
    if tickets and all_sent and all(t.status == TicketStatus.served for t in tickets):
        for line in lines:
            line.status = OrderItemStatus.served
    await session.flush()

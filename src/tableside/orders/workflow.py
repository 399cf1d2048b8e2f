"""The order's status flow: send to the kitchen, ready, complete, cancel.

pending -> preparing -> ready -> completed, or cancelled from pending, preparing or ready;
anything else is 409 INVALID_STATE. Each step locks the order row first, like every change."""

from __future__ import annotations

import uuid
from collections import defaultdict

from sqlalchemy.ext.asyncio import AsyncSession

from tableside.audit import service as audit
from tableside.auth.dependencies import Principal
from tableside.auth.permissions import Action, Area
from tableside.errors import Forbidden, InvalidState, NotFound
from tableside.kit.schemas import utcnow
from tableside.kitchen import flow as kitchen
from tableside.models import Order, OrderItem, OrderItemStatus, OrderStatus, TicketPriority
from tableside.orders import lifecycle
from tableside.orders.guards import (
    locked,
    require_manager,
    require_not_paying,
    require_open,
    with_lines,
)
from tableside.orders.repository import OrderRepository
from tableside.tables.lifecycle import release_after_order


async def send_order(
    session: AsyncSession,
    principal: Principal,
    order_id: uuid.UUID,
    priority: TicketPriority = TicketPriority.normal,
) -> Order:
    """Send every unsent line: one new kitchen ticket per station, and lines without a
    station ready at once (handed over at the counter)."""
    repository = OrderRepository(session, principal.business_id)
    order = await locked(repository, order_id)
    require_open(order, "send to the kitchen")
    unsent = [
        line
        for line in await repository.lines(order.id)
        if line.sent_at is None and line.status != OrderItemStatus.voided
    ]
    if not unsent:
        raise InvalidState(
            "Nothing to send: every item was already sent",
            details=[{"field": "items", "message": "no unsent items"}],
        )
    now = utcnow()
    by_station: dict[str, list[OrderItem]] = defaultdict(list)
    for line in unsent:
        if line.station:
            by_station[line.station].append(line)
        else:
            line.sent_at = now
            line.status = OrderItemStatus.ready
    tickets = await kitchen.create_tickets(
        session, principal.business_id, order.id, by_station, priority=priority, now=now
    )
    order.sent_at = order.sent_at or now
    if tickets:
        order.status = OrderStatus.preparing
        order.ready_at = None
    elif order.status == OrderStatus.pending:
        order.status = OrderStatus.preparing
    await repository.flush()
    await lifecycle.refresh_progress(session, principal.business_id, order)
    return await with_lines(repository, order)


async def mark_ready(session: AsyncSession, principal: Principal, order_id: uuid.UUID) -> Order:
    """For clients that drive the status generically: every ticket still cooking is marked
    ready, as the kitchen would (needs kitchen write rights)."""
    if not principal.can(Area.kitchen, Action.write):
        raise Forbidden("Only the kitchen can mark an order ready")
    repository = OrderRepository(session, principal.business_id)
    order = await locked(repository, order_id)
    if order.status != OrderStatus.preparing:
        raise InvalidState(
            f"Only a preparing order can become ready: the order is {order.status}",
            details=[{"field": "status", "message": f"order status is {order.status}"}],
        )
    lines = await repository.lines(order.id)
    if any(line.sent_at is None and line.status != OrderItemStatus.voided for line in lines):
        raise InvalidState("Some items were not sent to the kitchen yet: send them first")
    await kitchen.ready_open_tickets(session, principal.business_id, order.id, utcnow())
    await lifecycle.refresh_progress(session, principal.business_id, order)
    return await with_lines(repository, order)


async def complete_order(session: AsyncSession, principal: Principal, order_id: uuid.UUID) -> Order:
    """ready -> completed, only once paid (or when nothing is owed); frees the table."""
    repository = OrderRepository(session, principal.business_id)
    order = await locked(repository, order_id)
    if order.status != OrderStatus.ready:
        raise InvalidState(
            f"Only a ready order can be completed: the order is {order.status}",
            details=[{"field": "status", "message": f"order status is {order.status}"}],
        )
    lines = await repository.lines(order.id)
    if any(line.sent_at is None and line.status != OrderItemStatus.voided for line in lines):
        raise InvalidState(
            "Some items were never sent to the kitchen: send or remove them first",
            details=[{"field": "items", "message": "unsent items"}],
        )
    if order.paid_at is None and order.total_amount != 0:
        raise InvalidState(
            f"The order has an unpaid balance of {order.total_amount}: take the payment first",
            details=[{"field": "paid_at", "message": "unpaid balance"}],
        )
    await lifecycle.finish_order(session, principal.business_id, order, utcnow())
    return await with_lines(repository, order)


async def cancel_order(
    session: AsyncSession, principal: Principal, order_id: uuid.UUID, reason: str | None
) -> Order:
    """Cancel an open order that nobody paid for: its open tickets leave the kitchen and the
    table is freed. Once anything was sent to the kitchen, only a manager may cancel."""
    repository = OrderRepository(session, principal.business_id)
    order = await locked(repository, order_id)
    require_open(order, "cancel")
    if order.paid_at is not None:
        raise InvalidState("The order is paid: refund the payment before cancelling")
    await require_not_paying(repository, order)
    if order.sent_at is not None:
        require_manager(principal, "cancel an order already sent to the kitchen")
    now = utcnow()
    previous_status = order.status
    tickets = await kitchen.cancel_open_tickets(session, principal.business_id, order.id, now)
    order.status = OrderStatus.cancelled
    order.cancelled_at = now
    order.cancel_reason = reason
    await repository.flush()
    if order.table_id is not None:
        await release_after_order(session, principal.business_id, order.table_id, order.id)
    await audit.record(
        session,
        business_id=principal.business_id,
        action="order.cancelled",
        principal=principal,
        entity_type="order",
        entity_id=order.id,
        details={
            "order_number": order.order_number,
            "status_before": str(previous_status),
            "total_amount": str(order.total_amount),
            "tickets_cancelled": tickets,
            "reason": reason,
        },
    )
    return await with_lines(repository, order)


async def set_status(
    session: AsyncSession,
    principal: Principal,
    order_id: uuid.UUID,
    status: OrderStatus,
    reason: str | None,
) -> Order:
    """The generic status endpoint: each target runs the same rules as its own endpoint."""
    if status == OrderStatus.preparing:
        return await send_order(session, principal, order_id)
    if status == OrderStatus.ready:
        return await mark_ready(session, principal, order_id)
    if status == OrderStatus.completed:
        return await complete_order(session, principal, order_id)
    if status == OrderStatus.cancelled:
        return await cancel_order(session, principal, order_id, reason)
    order = await OrderRepository(session, principal.business_id).get(order_id)
    if order is None:
        raise NotFound("Order not found")
    raise InvalidState(
        f"An order cannot go back to {status}",
        details=[{"field": "status", "message": f"order status is {order.status}"}],
    )

"""How tickets and their lines move together. Used by the kitchen endpoints and by the orders
domain (send, void, cancel), always with the order's row lock already held by the caller."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from tableside.kitchen.repository import TicketRepository
from tableside.models import KitchenTicket, OrderItem, OrderItemStatus, TicketPriority, TicketStatus

OPEN_TICKET_STATUSES = (TicketStatus.pending, TicketStatus.preparing, TicketStatus.ready)

# Item-level moves a cook may make (anything else is 409 INVALID_STATE).
LINE_TRANSITIONS: dict[OrderItemStatus, frozenset[OrderItemStatus]] = {
    OrderItemStatus.pending: frozenset({OrderItemStatus.preparing, OrderItemStatus.ready}),
    OrderItemStatus.preparing: frozenset({OrderItemStatus.ready}),
    OrderItemStatus.ready: frozenset({OrderItemStatus.served}),
}


def live_lines(lines: Sequence[OrderItem]) -> list[OrderItem]:
    return [line for line in lines if line.status != OrderItemStatus.voided]


async def create_tickets(
    session: AsyncSession,
    business_id: uuid.UUID,
    order_id: uuid.UUID,
    lines_by_station: Mapping[str, Sequence[OrderItem]],
    *,
    priority: TicketPriority,
    now: datetime,
) -> list[KitchenTicket]:
    """One new ticket per station for one send of the order, numbered after the order's
    existing tickets; the lines are stamped as sent and point at their ticket."""
    repository = TicketRepository(session, business_id)
    number = await repository.next_ticket_number(order_id)
    tickets = []
    for station in sorted(lines_by_station):
        ticket = await repository.add_ticket(
            KitchenTicket(
                business_id=business_id,
                order_id=order_id,
                ticket_number=number,
                station=station,
                status=TicketStatus.pending,
                priority=priority,
            )
        )
        for line in lines_by_station[station]:
            line.ticket_id = ticket.id
            line.sent_at = now
        tickets.append(ticket)
        number += 1
    await repository.flush()
    return tickets


def mark_started(ticket: KitchenTicket, lines: Sequence[OrderItem], now: datetime) -> None:
    ticket.status = TicketStatus.preparing
    ticket.started_at = ticket.started_at or now
    for line in live_lines(lines):
        if line.status == OrderItemStatus.pending:
            line.status = OrderItemStatus.preparing


def mark_ready(ticket: KitchenTicket, lines: Sequence[OrderItem], now: datetime) -> None:
    """The ticket is ready, and so is every line on it not yet handed over."""
    ticket.status = TicketStatus.ready
    ticket.ready_at = now
    for line in live_lines(lines):
        if line.status != OrderItemStatus.served:
            line.status = OrderItemStatus.ready


def mark_served(ticket: KitchenTicket, lines: Sequence[OrderItem], now: datetime) -> None:
    ticket.status = TicketStatus.served
    ticket.ready_at = ticket.ready_at or now
    ticket.served_at = now
    for line in live_lines(lines):
        line.status = OrderItemStatus.served


def settle_from_lines(ticket: KitchenTicket, lines: Sequence[OrderItem], now: datetime) -> None:
    """Move an open ticket forward to match its lines: started once a line is being worked on,
    ready when every line is ready (or served), served when every line is served."""
    if ticket.status not in OPEN_TICKET_STATUSES:
        return
    live = live_lines(lines)
    if not live:
        return
    if all(line.status == OrderItemStatus.served for line in live):
        mark_served(ticket, live, now)
    elif ticket.status != TicketStatus.ready and all(
        line.status in (OrderItemStatus.ready, OrderItemStatus.served) for line in live
    ):
        mark_ready(ticket, live, now)
    elif ticket.status == TicketStatus.pending and any(
        line.status != OrderItemStatus.pending for line in live
    ):
        ticket.status = TicketStatus.preparing
        ticket.started_at = ticket.started_at or now


async def after_line_voided(
    session: AsyncSession, business_id: uuid.UUID, ticket_id: uuid.UUID, now: datetime
) -> None:
    """A line on the ticket was voided: cancel the ticket when nothing is left to cook on it,
    otherwise let the remaining lines decide its status."""
    repository = TicketRepository(session, business_id)
    ticket = await repository.get_for_update(ticket_id)
    if ticket is None or ticket.status not in OPEN_TICKET_STATUSES:
        return
    lines = await repository.lines([ticket.id])
    if not live_lines(lines):
        ticket.status = TicketStatus.cancelled
        ticket.cancelled_at = now
    else:
        settle_from_lines(ticket, lines, now)
    await repository.flush()


async def cancel_open_tickets(
    session: AsyncSession, business_id: uuid.UUID, order_id: uuid.UUID, now: datetime
) -> int:
    """The order was cancelled: its tickets still open leave the kitchen display."""
    repository = TicketRepository(session, business_id)
    tickets = await repository.for_order(order_id, OPEN_TICKET_STATUSES)
    for ticket in tickets:
        ticket.status = TicketStatus.cancelled
        ticket.cancelled_at = now
    await repository.flush()
    return len(tickets)


async def ready_open_tickets(
    session: AsyncSession, business_id: uuid.UUID, order_id: uuid.UUID, now: datetime
) -> None:
    """Mark every ticket of the order still cooking (pending or preparing) ready."""
    repository = TicketRepository(session, business_id)
    tickets = await repository.for_order(order_id, (TicketStatus.pending, TicketStatus.preparing))
    lines = await repository.lines([ticket.id for ticket in tickets])
    for ticket in tickets:
        mark_ready(ticket, [line for line in lines if line.ticket_id == ticket.id], now)
    await repository.flush()

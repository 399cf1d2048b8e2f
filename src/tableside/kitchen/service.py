"""The kitchen display: reading tickets, moving them through their statuses, statistics.

Every change locks the ticket's order first (the same lock the orders domain takes), so a cook
marking a ticket ready and a server adding or voiding a line never interleave; the order then
follows its tickets (`orders.lifecycle.refresh_progress`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from tableside.audit import service as audit
from tableside.auth.dependencies import Principal
from tableside.auth.permissions import Action, Area
from tableside.errors import Forbidden, InvalidState, NotFound, ValidationFailed
from tableside.kit.business_time import business_date, business_day_bounds
from tableside.kit.pagination import ListParams
from tableside.kit.schemas import utcnow
from tableside.kitchen import flow
from tableside.kitchen.repository import OrderContext, TicketFilters, TicketRepository
from tableside.kitchen.schemas import (
    KitchenStats,
    StationStats,
    StatusCounts,
    Ticket,
    TicketLine,
    TicketUpdate,
)
from tableside.models import (
    KitchenTicket,
    Order,
    OrderItem,
    OrderItemStatus,
    OrderStatus,
    TicketStatus,
)
from tableside.orders.lifecycle import refresh_progress
from tableside.orders.repository import OrderRepository

# Reading -------------------------------------------------------------------------------------


def _view(ticket: KitchenTicket, context: OrderContext, lines: Sequence[OrderItem]) -> Ticket:
    return Ticket(
        id=ticket.id,
        order_id=ticket.order_id,
        order_number=context.order_number,
        order_type=context.order_type,
        order_notes=context.order_notes,
        table_number=context.table_number,
        customer_name=context.customer_name,
        ticket_number=ticket.ticket_number,
        station=ticket.station,
        status=ticket.status,
        priority=ticket.priority,
        assigned_to=ticket.assigned_to,
        notes=ticket.notes,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        started_at=ticket.started_at,
        ready_at=ticket.ready_at,
        served_at=ticket.served_at,
        cancelled_at=ticket.cancelled_at,
        items=[_line_view(line) for line in flow.live_lines(lines)],
    )


def _line_view(line: OrderItem) -> TicketLine:
    return TicketLine(
        line_id=line.id,
        name=line.name,
        quantity=line.quantity,
        notes=line.notes,
        modifiers=list(line.modifiers or []),
        status=line.status,
    )


async def _views(repository: TicketRepository, tickets: Sequence[KitchenTicket]) -> list[Ticket]:
    contexts = await repository.order_context({ticket.order_id for ticket in tickets})
    lines = await repository.lines([ticket.id for ticket in tickets])
    return [
        _view(
            ticket,
            contexts[ticket.order_id],
            [line for line in lines if line.ticket_id == ticket.id],
        )
        for ticket in tickets
    ]


async def list_tickets(
    session: AsyncSession, principal: Principal, params: ListParams, filters: TicketFilters
) -> tuple[list[Ticket], int]:
    """A page of tickets with their order's context and their lines, oldest first."""
    repository = TicketRepository(session, principal.business_id)
    tickets, total = await repository.list_tickets(params, filters)
    return await _views(repository, tickets), total


async def get_ticket(session: AsyncSession, principal: Principal, ticket_id: uuid.UUID) -> Ticket:
    repository = TicketRepository(session, principal.business_id)
    ticket = await repository.get(ticket_id)
    if ticket is None:
        raise NotFound("Kitchen ticket not found")
    return (await _views(repository, [ticket]))[0]


# Changing ------------------------------------------------------------------------------------


async def _lock(
    session: AsyncSession, principal: Principal, ticket_id: uuid.UUID
) -> tuple[Order, KitchenTicket, list[OrderItem]]:
    """The ticket's order locked first, then the ticket with its lines as committed."""
    repository = TicketRepository(session, principal.business_id)
    found = await repository.get(ticket_id)
    if found is None:
        raise NotFound("Kitchen ticket not found")
    order = await OrderRepository(session, principal.business_id).get_for_update(found.order_id)
    ticket = await repository.get_for_update(ticket_id)
    if order is None or ticket is None:
        raise NotFound("Kitchen ticket not found")
    return order, ticket, await repository.lines([ticket.id])


def _require_status(ticket: KitchenTicket, allowed: Sequence[TicketStatus], action: str) -> None:
    if ticket.status not in allowed:
        raise InvalidState(
            f"Cannot {action} a {ticket.status} ticket",
            details=[{"field": "status", "message": f"ticket status is {ticket.status}"}],
        )


async def _assignee(repository: TicketRepository, user_id: uuid.UUID) -> uuid.UUID:
    if await repository.active_user(user_id) is None:
        raise ValidationFailed(
            "User not found",
            details=[{"field": "assigned_to", "message": "no such active user in this business"}],
        )
    return user_id


async def _finish(
    session: AsyncSession, principal: Principal, order: Order, ticket: KitchenTicket
) -> Ticket:
    """Let the order follow its tickets, then return the ticket as the display shows it."""
    repository = TicketRepository(session, principal.business_id)
    await repository.flush()
    await refresh_progress(session, principal.business_id, order)
    return (await _views(repository, [ticket]))[0]


async def start_ticket(
    session: AsyncSession,
    principal: Principal,
    ticket_id: uuid.UUID,
    assigned_to: uuid.UUID | None,
) -> Ticket:
    """pending -> preparing; optionally taken by a cook (someone else only with kitchen
    manage rights)."""
    order, ticket, lines = await _lock(session, principal, ticket_id)
    _require_status(ticket, (TicketStatus.pending,), "start")
    if assigned_to is not None:
        if assigned_to != principal.user_id and not principal.can(Area.kitchen, Action.manage):
            raise Forbidden("Only a kitchen manager can assign a ticket to someone else")
        ticket.assigned_to = await _assignee(
            TicketRepository(session, principal.business_id), assigned_to
        )
    flow.mark_started(ticket, lines, utcnow())
    return await _finish(session, principal, order, ticket)


async def ready_ticket(session: AsyncSession, principal: Principal, ticket_id: uuid.UUID) -> Ticket:
    """pending or preparing -> ready, with every line on it."""
    order, ticket, lines = await _lock(session, principal, ticket_id)
    _require_status(ticket, (TicketStatus.pending, TicketStatus.preparing), "mark ready")
    flow.mark_ready(ticket, lines, utcnow())
    return await _finish(session, principal, order, ticket)


async def serve_ticket(session: AsyncSession, principal: Principal, ticket_id: uuid.UUID) -> Ticket:
    """ready -> served, with every line on it."""
    order, ticket, lines = await _lock(session, principal, ticket_id)
    _require_status(ticket, (TicketStatus.ready,), "serve")
    flow.mark_served(ticket, lines, utcnow())
    return await _finish(session, principal, order, ticket)


async def cancel_ticket(
    session: AsyncSession, principal: Principal, ticket_id: uuid.UUID
) -> Ticket:
    """The kitchen will not make this ticket. Its lines go back to the order as unsent, so
    nothing is lost or billed unseen: front of house sends them again or removes them."""
    order, ticket, lines = await _lock(session, principal, ticket_id)
    _require_status(ticket, flow.OPEN_TICKET_STATUSES, "cancel")
    ticket.status = TicketStatus.cancelled
    ticket.cancelled_at = utcnow()
    returned = flow.live_lines(lines)
    for line in returned:
        line.ticket_id = None
        line.sent_at = None
        line.status = OrderItemStatus.pending
    if returned and order.status == OrderStatus.ready:
        # Something the guest ordered is no longer on its way: the order is not ready.
        order.status = OrderStatus.preparing
        order.ready_at = None
    view = await _finish(session, principal, order, ticket)
    await audit.record(
        session,
        business_id=principal.business_id,
        action="kitchen.ticket_cancelled",
        principal=principal,
        entity_type="kitchen_ticket",
        entity_id=ticket.id,
        details={
            "order_id": str(order.id),
            "order_number": order.order_number,
            "station": ticket.station,
            "lines_returned": [str(line.id) for line in returned],
        },
    )
    # The lines left the ticket; show what was on it when it was cancelled.
    return view.model_copy(update={"items": [_line_view(line) for line in returned]})


async def assign_ticket(
    session: AsyncSession, principal: Principal, ticket_id: uuid.UUID, assigned_to: uuid.UUID | None
) -> Ticket:
    """Give an open ticket to a cook (or take it back with null)."""
    order, ticket, _ = await _lock(session, principal, ticket_id)
    _require_status(ticket, flow.OPEN_TICKET_STATUSES, "assign")
    repository = TicketRepository(session, principal.business_id)
    ticket.assigned_to = None if assigned_to is None else await _assignee(repository, assigned_to)
    return await _finish(session, principal, order, ticket)


async def update_ticket(
    session: AsyncSession, principal: Principal, ticket_id: uuid.UUID, changes: TicketUpdate
) -> Ticket:
    """Priority and notes of an open ticket."""
    order, ticket, _ = await _lock(session, principal, ticket_id)
    _require_status(ticket, flow.OPEN_TICKET_STATUSES, "change")
    if changes.priority is not None:
        ticket.priority = changes.priority
    if "notes" in changes.model_fields_set:
        ticket.notes = changes.notes
    return await _finish(session, principal, order, ticket)


async def set_line_status(
    session: AsyncSession,
    principal: Principal,
    ticket_id: uuid.UUID,
    line_id: uuid.UUID,
    status: OrderItemStatus,
) -> Ticket:
    """Item-level progress; the ticket follows its lines (see `flow.settle_from_lines`)."""
    order, ticket, lines = await _lock(session, principal, ticket_id)
    line = next((candidate for candidate in lines if candidate.id == line_id), None)
    if line is None:
        raise NotFound("No such line on this ticket")
    _require_status(ticket, flow.OPEN_TICKET_STATUSES, "change a line of")
    if status not in flow.LINE_TRANSITIONS.get(line.status, frozenset()):
        raise InvalidState(
            f"A {line.status} line cannot become {status}",
            details=[{"field": "status", "message": f"line status is {line.status}"}],
        )
    line.status = status
    flow.settle_from_lines(ticket, lines, utcnow())
    return await _finish(session, principal, order, ticket)


# Statistics ----------------------------------------------------------------------------------


def _counts(pairs: Sequence[tuple[TicketStatus, int]]) -> StatusCounts:
    counts = StatusCounts()
    for status, count in pairs:
        setattr(counts, status.value, getattr(counts, status.value) + count)
    return counts


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


async def stats(
    session: AsyncSession,
    principal: Principal,
    *,
    station: str | None,
    date_from: date | None,
    date_to: date | None,
) -> KitchenStats:
    """Ticket counts and prep times over business days [date_from, date_to] (default: today)."""
    repository = TicketRepository(session, principal.business_id)
    business = await OrderRepository(session, principal.business_id).business()
    today = business_date(utcnow(), business.timezone, business.day_cutoff_hour)
    # A range open at the end runs to today; a lone `date_to` is that one day.
    first = date_from or date_to or today
    last = date_to or max(first, today)
    if last < first:
        raise ValidationFailed(
            details=[{"field": "date_to", "message": "must not be before date_from"}]
        )
    start, _ = business_day_bounds(first, business.timezone, business.day_cutoff_hour)
    _, end = business_day_bounds(last, business.timezone, business.day_cutoff_hour)
    rows = await repository.status_counts(start, end, station)
    overall = (await repository.prep_times(start, end, station, per_station=False))[0]
    per_station = {
        times.station: times
        for times in await repository.prep_times(start, end, station, per_station=True)
    }
    stations = []
    for name in sorted({row.station for row in rows}):
        station_rows = [(row.status, row.count) for row in rows if row.station == name]
        times = per_station.get(name)
        stations.append(
            StationStats(
                station=name,
                counts=_counts(station_rows),
                total=sum(count for _, count in station_rows),
                average_prep_seconds=_seconds(times.average_seconds if times else None),
                p90_prep_seconds=_seconds(times.p90_seconds if times else None),
            )
        )
    return KitchenStats(
        date_from=first,
        date_to=last,
        station=station,
        counts=_counts([(row.status, row.count) for row in rows]),
        total=sum(row.count for row in rows),
        average_prep_seconds=_seconds(overall.average_seconds),
        p90_prep_seconds=_seconds(overall.p90_seconds),
        stations=stations,
    )

"""HTTP endpoints under /api/v1/kitchen."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query

from tableside.auth.dependencies import Principal, require
from tableside.auth.permissions import Action, Area
from tableside.db.session import SessionDep
from tableside.kit.pagination import ListParamsDep, Page
from tableside.kit.validators import IsoDate
from tableside.kitchen import service
from tableside.kitchen.repository import TicketFilters
from tableside.kitchen.schemas import (
    KitchenStats,
    LineStatusChange,
    Ticket,
    TicketAssign,
    TicketStart,
    TicketUpdate,
)
from tableside.models import OrderItemStatus, OrderType, TicketPriority, TicketStatus

router = APIRouter(prefix="/kitchen", tags=["kitchen"])

KitchenReader = Annotated[Principal, Depends(require(Area.kitchen, Action.read))]
KitchenWriter = Annotated[Principal, Depends(require(Area.kitchen, Action.write))]
KitchenManager = Annotated[Principal, Depends(require(Area.kitchen, Action.manage))]

DEFAULT_STATUSES = (TicketStatus.pending, TicketStatus.preparing, TicketStatus.ready)


@router.get("/tickets", response_model=Page[Ticket], summary="Tickets on the display")
async def list_tickets(
    principal: KitchenReader,
    session: SessionDep,
    params: ListParamsDep,
    status_filter: Annotated[
        list[TicketStatus] | None,
        Query(alias="status", description="Repeatable; default pending, preparing, ready"),
    ] = None,
    station: Annotated[str | None, Query(max_length=40)] = None,
    priority: TicketPriority | None = None,
    assigned_to: uuid.UUID | None = None,
    order_type: OrderType | None = None,
) -> Page[Ticket]:
    """Oldest first by default; `sort_by` is created_at, priority, station or status."""
    filters = TicketFilters(
        statuses=status_filter or DEFAULT_STATUSES,
        station=station,
        priority=priority,
        assigned_to=assigned_to,
        order_type=order_type,
    )
    tickets, total = await service.list_tickets(session, principal, params, filters)
    return Page[Ticket].build(tickets, total, params)


@router.get("/stats", response_model=KitchenStats, summary="Ticket counts and prep times")
async def kitchen_stats(
    principal: KitchenReader,
    session: SessionDep,
    station: Annotated[str | None, Query(max_length=40)] = None,
    date_from: Annotated[
        IsoDate | None, Query(description="First business day (default today)")
    ] = None,
    date_to: Annotated[
        IsoDate | None, Query(description="Last business day (default today)")
    ] = None,
) -> KitchenStats:
    return await service.stats(
        session, principal, station=station, date_from=date_from, date_to=date_to
    )


@router.get("/tickets/{ticket_id}", response_model=Ticket, summary="Get a ticket")
async def get_ticket(ticket_id: uuid.UUID, principal: KitchenReader, session: SessionDep) -> Ticket:
    return await service.get_ticket(session, principal, ticket_id)


@router.post(
    "/tickets/{ticket_id}/start",
    response_model=Ticket,
    summary="Start cooking (pending -> preparing)",
)
async def start_ticket(
    ticket_id: uuid.UUID,
    principal: KitchenWriter,
    session: SessionDep,
    body: Annotated[TicketStart | None, Body()] = None,
) -> Ticket:
    assigned_to = body.assigned_to if body is not None else None
    return await service.start_ticket(session, principal, ticket_id, assigned_to)


@router.post(
    "/tickets/{ticket_id}/ready",
    response_model=Ticket,
    summary="Mark ready (from pending or preparing)",
)
async def ready_ticket(
    ticket_id: uuid.UUID, principal: KitchenWriter, session: SessionDep
) -> Ticket:
    return await service.ready_ticket(session, principal, ticket_id)


@router.post(
    "/tickets/{ticket_id}/served", response_model=Ticket, summary="Mark served (from ready)"
)
async def serve_ticket(
    ticket_id: uuid.UUID, principal: KitchenWriter, session: SessionDep
) -> Ticket:
    return await service.serve_ticket(session, principal, ticket_id)


@router.post(
    "/tickets/{ticket_id}/cancel",
    response_model=Ticket,
    summary="Cancel a ticket (kitchen manager)",
    description="Its items go back to the order as unsent, to be sent again or removed.",
)
async def cancel_ticket(
    ticket_id: uuid.UUID, principal: KitchenManager, session: SessionDep
) -> Ticket:
    return await service.cancel_ticket(session, principal, ticket_id)


@router.put(
    "/tickets/{ticket_id}/assign", response_model=Ticket, summary="Assign a cook (kitchen manager)"
)
async def assign_ticket(
    ticket_id: uuid.UUID, body: TicketAssign, principal: KitchenManager, session: SessionDep
) -> Ticket:
    return await service.assign_ticket(session, principal, ticket_id, body.assigned_to)


@router.patch("/tickets/{ticket_id}", response_model=Ticket, summary="Change priority or notes")
async def update_ticket(
    ticket_id: uuid.UUID, body: TicketUpdate, principal: KitchenWriter, session: SessionDep
) -> Ticket:
    return await service.update_ticket(session, principal, ticket_id, body)


@router.put(
    "/tickets/{ticket_id}/items/{line_id}/status",
    response_model=Ticket,
    summary="Item-level status (preparing, ready, served)",
    description="When every item is ready the ticket is ready; when every item is served, served.",
)
async def set_item_status(
    ticket_id: uuid.UUID,
    line_id: uuid.UUID,
    body: LineStatusChange,
    principal: KitchenWriter,
    session: SessionDep,
) -> Ticket:
    return await service.set_line_status(
        session, principal, ticket_id, line_id, OrderItemStatus(body.status)
    )

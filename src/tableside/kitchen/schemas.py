"""Kitchen display models of the API."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from pydantic import Field

from tableside.kit.schemas import ResponseSchema, Schema, UtcDatetime
from tableside.models import OrderItemStatus, OrderType, TicketPriority, TicketStatus


class TicketLine(ResponseSchema):
    """One order line as the cook sees it (voided lines are not shown)."""

    line_id: uuid.UUID
    name: str
    quantity: int
    notes: str | None
    modifiers: list[str]
    status: OrderItemStatus


class Ticket(ResponseSchema):
    id: uuid.UUID
    order_id: uuid.UUID
    order_number: str
    order_type: OrderType
    order_notes: str | None
    table_number: str | None
    customer_name: str | None
    ticket_number: int
    station: str
    status: TicketStatus
    priority: TicketPriority
    assigned_to: uuid.UUID | None
    notes: str | None
    created_at: UtcDatetime
    updated_at: UtcDatetime
    started_at: UtcDatetime | None
    ready_at: UtcDatetime | None
    served_at: UtcDatetime | None
    cancelled_at: UtcDatetime | None
    items: list[TicketLine]


class TicketStart(Schema):
    assigned_to: uuid.UUID | None = Field(
        default=None,
        description="The cook taking the ticket: yourself, or anyone when you manage the kitchen",
    )


class TicketAssign(Schema):
    assigned_to: uuid.UUID | None = Field(
        description="An active user of the business; null unassigns"
    )


class TicketUpdate(Schema):
    priority: TicketPriority | None = None
    notes: Annotated[str, Field(max_length=1000)] | None = None


class LineStatusChange(Schema):
    status: Literal["preparing", "ready", "served"]


class StatusCounts(ResponseSchema):
    pending: int = 0
    preparing: int = 0
    ready: int = 0
    served: int = 0
    cancelled: int = 0


class StationStats(ResponseSchema):
    station: str
    counts: StatusCounts
    total: int
    average_prep_seconds: float | None
    p90_prep_seconds: float | None


class KitchenStats(ResponseSchema):
    """Tickets created in the business days [date_from, date_to]. Prep time is ready_at -
    created_at over the tickets that reached ready; null when none did."""

    date_from: date
    date_to: date
    station: str | None
    counts: StatusCounts
    total: int
    average_prep_seconds: float | None
    p90_prep_seconds: float | None
    stations: list[StationStats]

"""Order models of the API. Requests carry no prices: every amount is computed by the server
(unknown fields such as `unit_price` are refused by the schema base)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from pydantic import Field

from tableside.kit.schemas import DecimalNumber, Resource, ResponseSchema, Schema, UtcDatetime
from tableside.models import OrderItemStatus, OrderStatus, OrderType, TicketPriority

Quantity = Annotated[int, Field(ge=1, le=999, description="1 to 999")]
Notes = Annotated[str, Field(max_length=1000)]
Modifier = Annotated[str, Field(min_length=1, max_length=120)]
Modifiers = Annotated[
    list[Modifier],
    Field(max_length=30, description="Free-text modifiers, e.g. 'no onions', 'extra cheese'"),
]
MoneyIn = Annotated[DecimalNumber, Field(ge=0, max_digits=12, description="Amount, e.g. 5.00")]
Percent = Annotated[
    DecimalNumber, Field(ge=0, le=100, max_digits=5, decimal_places=2, description="Percent, 0-100")
]


class OrderLineCreate(Schema):
    menu_item_id: uuid.UUID
    quantity: Quantity = 1
    notes: Notes | None = None
    modifiers: Modifiers = Field(default_factory=list)


class OrderCreate(Schema):
    order_type: OrderType
    table_id: uuid.UUID | None = Field(
        default=None, description="Required for dine_in, refused for takeaway and delivery"
    )
    customer_id: uuid.UUID | None = None
    location_id: uuid.UUID | None = None
    notes: Notes | None = None
    items: list[OrderLineCreate] = Field(
        default_factory=list,
        max_length=200,
        description="May be empty: a table can be opened first and ordered later",
    )


class OrderLinesAdd(Schema):
    items: list[OrderLineCreate] = Field(min_length=1, max_length=200)


class OrderLineUpdate(Schema):
    quantity: Quantity | None = None
    notes: Notes | None = None
    modifiers: Modifiers | None = None


class LineVoid(Schema):
    reason: Annotated[str, Field(max_length=1000)] | None = None


class OrderUpdate(Schema):
    notes: Notes | None = None
    customer_id: uuid.UUID | None = None
    tip_amount: MoneyIn | None = None
    discount_amount: MoneyIn | None = Field(
        default=None, description="A fixed discount (clears any percent); manager or above"
    )
    discount_percent: Percent | None = Field(
        default=None,
        description="A percent of the subtotal (null clears the discount); manager or above",
    )


class OrderSend(Schema):
    priority: TicketPriority = TicketPriority.normal


class OrderCancel(Schema):
    reason: Annotated[str, Field(max_length=1000)] | None = None


class OrderStatusChange(Schema):
    status: OrderStatus
    reason: Annotated[str, Field(max_length=1000)] | None = Field(
        default=None, description="Only for `cancelled`"
    )


class OrderLine(ResponseSchema):
    id: uuid.UUID
    menu_item_id: uuid.UUID | None
    name: str
    sku: str | None
    station: str | None
    quantity: int
    unit_price: DecimalNumber
    line_total: DecimalNumber
    notes: str | None
    modifiers: list[str]
    status: OrderItemStatus
    ticket_id: uuid.UUID | None
    sent_at: UtcDatetime | None
    voided_at: UtcDatetime | None
    voided_by: uuid.UUID | None
    void_reason: str | None
    created_at: UtcDatetime


class OrderSummary(Resource):
    order_number: str
    business_date: date
    order_type: OrderType
    status: OrderStatus
    table_id: uuid.UUID | None
    customer_id: uuid.UUID | None
    server_id: uuid.UUID | None
    location_id: uuid.UUID | None
    notes: str | None
    tax_rate: DecimalNumber
    subtotal: DecimalNumber
    discount_amount: DecimalNumber
    discount_percent: DecimalNumber | None
    tax_amount: DecimalNumber
    tip_amount: DecimalNumber
    total_amount: DecimalNumber
    sent_at: UtcDatetime | None
    ready_at: UtcDatetime | None
    paid_at: UtcDatetime | None
    completed_at: UtcDatetime | None
    cancelled_at: UtcDatetime | None
    cancel_reason: str | None


class Order(OrderSummary):
    items: list[OrderLine]

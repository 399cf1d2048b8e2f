"""HTTP endpoints under /api/v1/orders."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Response, status

from tableside.auth.dependencies import Principal, require
from tableside.auth.permissions import Action, Area
from tableside.db.session import SessionDep
from tableside.kit.pagination import ListParamsDep, Page, page_of
from tableside.kit.validators import IsoDate
from tableside.models import OrderStatus, OrderType
from tableside.orders import service, workflow
from tableside.orders.repository import OrderFilters
from tableside.orders.schemas import (
    LineVoid,
    Order,
    OrderCancel,
    OrderCreate,
    OrderLinesAdd,
    OrderLineUpdate,
    OrderSend,
    OrderStatusChange,
    OrderSummary,
    OrderUpdate,
)

router = APIRouter(prefix="/orders", tags=["orders"])

OrderReader = Annotated[Principal, Depends(require(Area.orders, Action.read))]
OrderWriter = Annotated[Principal, Depends(require(Area.orders, Action.write))]

MONEY_RULE = """
**Money** (computed by the server; a request carrying a price or an amount of its own is 422):
`line_total = unit_price x quantity` (exact; the menu price is copied when the line is added);
`subtotal` = sum of the line totals of the lines not voided; `discount` = `discount_amount`, or
`round_money(subtotal x discount_percent / 100)` when a percent is set, never above the
subtotal; `tax = percent_of(subtotal - discount, tax_rate)` with the business's tax rate copied
onto the order at creation; `total = subtotal - discount + tax + tip_amount`. Each amount is
rounded once, half up to the currency's minor unit, and all are recomputed from the lines on
every change.
"""


@router.get("", response_model=Page[OrderSummary], summary="List orders (newest first)")
async def list_orders(
    principal: OrderReader,
    session: SessionDep,
    params: ListParamsDep,
    status_filter: Annotated[
        list[OrderStatus] | None, Query(alias="status", description="Repeatable")
    ] = None,
    order_type: OrderType | None = None,
    table_id: uuid.UUID | None = None,
    customer_id: uuid.UUID | None = None,
    server_id: uuid.UUID | None = None,
    location_id: uuid.UUID | None = None,
    date_from: Annotated[IsoDate | None, Query(description="First business day")] = None,
    date_to: Annotated[IsoDate | None, Query(description="Last business day")] = None,
) -> Page[OrderSummary]:
    """`search` matches the order number; `sort_by` is created_at, order_number or
    total_amount."""
    filters = OrderFilters(
        statuses=status_filter or (),
        order_type=order_type,
        table_id=table_id,
        customer_id=customer_id,
        server_id=server_id,
        location_id=location_id,
        date_from=date_from,
        date_to=date_to,
    )
    rows, total = await service.list_orders(session, principal, params, filters)
    return page_of(OrderSummary, rows, total, params)


@router.post(
    "",
    response_model=Order,
    status_code=status.HTTP_201_CREATED,
    summary="Create an order",
    description=(
        "Opens an order. `table_id` is required for dine_in (the table becomes occupied) and "
        "refused for takeaway and delivery. `items` may be empty (open a table, order later). "
        "Unknown or inactive references are 422 on their field (`items.0.menu_item_id`). The "
        "order number is `YYYYMMDD-NNNN`, sequential per business day.\n" + MONEY_RULE
    ),
)
async def create_order(body: OrderCreate, principal: OrderWriter, session: SessionDep) -> Order:
    return Order.model_validate(await service.create_order(session, principal, body))


@router.get("/table/{table_id}", response_model=Page[OrderSummary], summary="Orders of a table")
async def orders_for_table(
    table_id: uuid.UUID, principal: OrderReader, session: SessionDep, params: ListParamsDep
) -> Page[OrderSummary]:
    rows, total = await service.orders_for_table(session, principal, table_id, params)
    return page_of(OrderSummary, rows, total, params)


@router.get(
    "/customer/{customer_id}", response_model=Page[OrderSummary], summary="Orders of a customer"
)
async def orders_for_customer(
    customer_id: uuid.UUID, principal: OrderReader, session: SessionDep, params: ListParamsDep
) -> Page[OrderSummary]:
    rows, total = await service.orders_for_customer(session, principal, customer_id, params)
    return page_of(OrderSummary, rows, total, params)


@router.get("/{order_id}", response_model=Order, summary="Get an order with its items")
async def get_order(order_id: uuid.UUID, principal: OrderReader, session: SessionDep) -> Order:
    return Order.model_validate(await service.get_order(session, principal, order_id))


@router.patch(
    "/{order_id}",
    response_model=Order,
    summary="Update notes, customer, tip or discount",
    description=(
        "A discount (`discount_amount` or `discount_percent`, one at a time) needs a manager. "
        "Tip and discount change only while the order is open and not being paid.\n" + MONEY_RULE
    ),
)
async def update_order(
    order_id: uuid.UUID, body: OrderUpdate, principal: OrderWriter, session: SessionDep
) -> Order:
    return Order.model_validate(await service.update_order(session, principal, order_id, body))


@router.post(
    "/{order_id}/items",
    response_model=Order,
    status_code=status.HTTP_201_CREATED,
    summary="Add items to an open order",
)
async def add_items(
    order_id: uuid.UUID, body: OrderLinesAdd, principal: OrderWriter, session: SessionDep
) -> Order:
    order = await service.add_lines(session, principal, order_id, body.items)
    return Order.model_validate(order)


@router.patch(
    "/{order_id}/items/{line_id}",
    response_model=Order,
    summary="Change an item not yet sent to the kitchen",
)
async def update_item(
    order_id: uuid.UUID,
    line_id: uuid.UUID,
    body: OrderLineUpdate,
    principal: OrderWriter,
    session: SessionDep,
) -> Order:
    order = await service.update_line(session, principal, order_id, line_id, body)
    return Order.model_validate(order)


@router.delete(
    "/{order_id}/items/{line_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove an unsent item, or void a sent one (manager)",
    description=(
        "An item not yet sent is removed. An item already sent is voided: it stays on the "
        "order marked `voided`, leaves its kitchen ticket and the totals, and the void is "
        "audited; this needs a manager. The reason comes from the JSON body or `reason`."
    ),
)
async def remove_item(
    order_id: uuid.UUID,
    line_id: uuid.UUID,
    principal: OrderWriter,
    session: SessionDep,
    body: Annotated[LineVoid | None, Body()] = None,
    reason: Annotated[str | None, Query(max_length=1000)] = None,
) -> Response:
    void_reason = body.reason if body is not None and body.reason else reason
    await service.remove_line(session, principal, order_id, line_id, void_reason)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{order_id}/send",
    response_model=Order,
    summary="Send unsent items to the kitchen",
    description=(
        "Items with a station become kitchen tickets (one per station per send); items "
        "without one are ready at once. pending -> preparing (or ready when nothing needs "
        "cooking). Nothing to send is 409."
    ),
)
async def send_order(
    order_id: uuid.UUID,
    principal: OrderWriter,
    session: SessionDep,
    body: Annotated[OrderSend | None, Body()] = None,
) -> Order:
    priority = body.priority if body is not None else OrderSend().priority
    return Order.model_validate(await workflow.send_order(session, principal, order_id, priority))


@router.post(
    "/{order_id}/complete",
    response_model=Order,
    summary="Complete a ready, paid order",
    description="Only from ready, and only when paid or when the total is 0; frees the table.",
)
async def complete_order(order_id: uuid.UUID, principal: OrderWriter, session: SessionDep) -> Order:
    return Order.model_validate(await workflow.complete_order(session, principal, order_id))


@router.post(
    "/{order_id}/cancel",
    response_model=Order,
    summary="Cancel an open, unpaid order",
    description=(
        "From pending, preparing or ready; refused once paid (refund first). Cancelling an "
        "order already sent to the kitchen needs a manager. Open tickets are cancelled."
    ),
)
async def cancel_order(
    order_id: uuid.UUID,
    principal: OrderWriter,
    session: SessionDep,
    body: Annotated[OrderCancel | None, Body()] = None,
) -> Order:
    reason = body.reason if body is not None else None
    return Order.model_validate(await workflow.cancel_order(session, principal, order_id, reason))


@router.put(
    "/{order_id}/status",
    response_model=Order,
    summary="Move an order to a status (same rules as the dedicated endpoints)",
    description=(
        "`preparing` sends, `ready` marks the open tickets ready (kitchen rights), `completed` "
        "completes, `cancelled` cancels (with `reason`); going back to `pending` is 409."
    ),
)
async def set_status(
    order_id: uuid.UUID, body: OrderStatusChange, principal: OrderWriter, session: SessionDep
) -> Order:
    order = await workflow.set_status(session, principal, order_id, body.status, body.reason)
    return Order.model_validate(order)

"""Orders: reading, creation and numbering, lines and money (the status flow is in `workflow`).

Every change to an existing order starts by locking the order row (`get_for_update`), then
recomputes the totals from the lines as they are in the database (see the money rule in the
package docstring). Once a sale is being paid for the order, its lines and money are frozen."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tableside.audit import service as audit
from tableside.auth.dependencies import Principal
from tableside.errors import InvalidState, NotFound, ValidationFailed
from tableside.kit.business_time import business_date
from tableside.kit.money import MAX_AMOUNT, round_money
from tableside.kit.pagination import ListParams
from tableside.kit.schemas import utcnow
from tableside.kitchen import flow as kitchen
from tableside.models import (
    Business,
    MenuItem,
    Order,
    OrderItem,
    OrderItemStatus,
    OrderStatus,
    OrderType,
)
from tableside.orders import lifecycle
from tableside.orders.guards import (
    invalid,
    locked,
    require_manager,
    require_not_paying,
    require_open,
    with_lines,
)
from tableside.orders.numbering import format_order_number
from tableside.orders.repository import OrderFilters, OrderRepository
from tableside.orders.schemas import OrderCreate, OrderLineCreate, OrderLineUpdate, OrderUpdate
from tableside.orders.totals import compute_totals, line_total
from tableside.tables.lifecycle import occupy_for_order

# Helpers -------------------------------------------------------------------------------------


def _check_minor_units(field: str, amount: Decimal, currency: str) -> None:
    if round_money(amount, currency) != amount:
        raise invalid(field, f"has more decimals than {currency} allows")


async def _menu_items(
    repository: OrderRepository, items: Sequence[OrderLineCreate]
) -> dict[uuid.UUID, MenuItem]:
    """The menu items the lines refer to; every unknown, inactive or foreign one is a 422 on
    its own path (`items.<i>.menu_item_id`)."""
    found = await repository.active_menu_items({item.menu_item_id for item in items})
    missing = [
        {"field": f"items.{index}.menu_item_id", "message": "no such active menu item"}
        for index, item in enumerate(items)
        if item.menu_item_id not in found
    ]
    if missing:
        raise ValidationFailed("Menu item not found", details=missing)
    return found


def _new_lines(
    order: Order,
    items: Sequence[OrderLineCreate],
    menu: dict[uuid.UUID, MenuItem],
    *,
    currency: str,
    principal: Principal,
    now: datetime,
) -> list[OrderItem]:
    """Lines with the menu's name, SKU, station, price and cost copied as they are now.

    Creation times step by a microsecond so lines added together keep the request's order."""
    too_large = [
        {"field": f"items.{index}.quantity", "message": f"the line's total is above {MAX_AMOUNT}"}
        for index, item in enumerate(items)
        if line_total(menu[item.menu_item_id].price, item.quantity, currency) > MAX_AMOUNT
    ]
    if too_large:
        raise ValidationFailed("An amount of this order is too large", details=too_large)
    lines = []
    for index, item in enumerate(items):
        menu_item = menu[item.menu_item_id]
        lines.append(
            OrderItem(
                business_id=order.business_id,
                order_id=order.id,
                menu_item_id=menu_item.id,
                name=menu_item.name,
                sku=menu_item.sku,
                station=menu_item.station or None,
                quantity=item.quantity,
                unit_price=menu_item.price,
                unit_cost=menu_item.cost,
                line_total=line_total(menu_item.price, item.quantity, currency),
                notes=item.notes,
                modifiers=list(item.modifiers),
                status=OrderItemStatus.pending,
                added_by=principal.user_id,
                created_at=now + timedelta(microseconds=index),
            )
        )
    return lines


async def _recompute(
    repository: OrderRepository, order: Order, currency: str, *, cause: str = "items"
) -> Order:
    """Totals from the lines as stored, then the lines attached for the response.

    A total past what an order holds is 422 on `cause` (the field the request changed); the
    request's transaction then rolls back whatever it had changed."""
    lines = await repository.lines(order.id)
    totals = compute_totals(
        (line.line_total for line in lines if line.status != OrderItemStatus.voided),
        tax_rate=order.tax_rate,
        discount_amount=order.discount_amount,
        discount_percent=order.discount_percent,
        tip_amount=order.tip_amount,
        currency=currency,
    )
    if max(totals.subtotal, totals.total_amount) > MAX_AMOUNT:
        raise invalid(
            cause,
            f"the order's total would be above {MAX_AMOUNT}",
            "An amount of this order is too large",
        )
    order.subtotal = totals.subtotal
    order.discount_amount = totals.discount_amount
    order.tax_amount = totals.tax_amount
    order.tip_amount = totals.tip_amount
    order.total_amount = totals.total_amount
    await repository.flush()
    await repository.load_lines(order)
    return order


# Reading -------------------------------------------------------------------------------------


async def list_orders(
    session: AsyncSession, principal: Principal, params: ListParams, filters: OrderFilters
) -> tuple[Sequence[Order], int]:
    return await OrderRepository(session, principal.business_id).list_orders(params, filters)


async def get_order(session: AsyncSession, principal: Principal, order_id: uuid.UUID) -> Order:
    """The order with its lines (voided ones included, marked as such)."""
    repository = OrderRepository(session, principal.business_id)
    order = await repository.get(order_id)
    if order is None:
        raise NotFound("Order not found")
    return await with_lines(repository, order)


async def orders_for_table(
    session: AsyncSession, principal: Principal, table_id: uuid.UUID, params: ListParams
) -> tuple[Sequence[Order], int]:
    repository = OrderRepository(session, principal.business_id)
    if await repository.table(table_id) is None:
        raise NotFound("Table not found")
    return await repository.list_orders(params, OrderFilters(table_id=table_id))


async def orders_for_customer(
    session: AsyncSession, principal: Principal, customer_id: uuid.UUID, params: ListParams
) -> tuple[Sequence[Order], int]:
    repository = OrderRepository(session, principal.business_id)
    if await repository.customer(customer_id) is None:
        raise NotFound("Customer not found")
    return await repository.list_orders(params, OrderFilters(customer_id=customer_id))


# Creating and changing -----------------------------------------------------------------------


async def _check_customer(repository: OrderRepository, customer_id: uuid.UUID) -> None:
    customer = await repository.customer(customer_id)
    if customer is None or not customer.is_active:
        raise invalid("customer_id", "no such customer", "Customer not found")


async def create_order(session: AsyncSession, principal: Principal, data: OrderCreate) -> Order:
    """Open an order: references checked, table occupied (dine-in), number drawn, lines priced
    from the menu, totals computed."""
    repository = OrderRepository(session, principal.business_id)
    business = await repository.business()
    if data.order_type == OrderType.dine_in and data.table_id is None:
        raise invalid("table_id", "is required for a dine_in order")
    if data.order_type != OrderType.dine_in and data.table_id is not None:
        raise invalid("table_id", f"a {data.order_type} order has no table")
    if data.customer_id is not None:
        await _check_customer(repository, data.customer_id)
    if data.location_id is not None:
        location = await repository.location(data.location_id)
        if location is None or not location.is_active:
            raise invalid("location_id", "no such location", "Location not found")
    menu = await _menu_items(repository, data.items)
    if data.table_id is not None:
        await occupy_for_order(session, principal.business_id, data.table_id)

    now = utcnow()
    day = business_date(now, business.timezone, business.day_cutoff_hour)
    sequence = await repository.next_sequence(day)
    order = await repository.add(
        Order(
            business_id=principal.business_id,
            order_number=format_order_number(day, sequence),
            business_date=day,
            sequence_number=sequence,
            location_id=data.location_id,
            order_type=data.order_type,
            status=OrderStatus.pending,
            table_id=data.table_id,
            customer_id=data.customer_id,
            server_id=principal.user_id,
            notes=data.notes,
            tax_rate=business.tax_rate,
            subtotal=Decimal(0),
            discount_amount=Decimal(0),
            tax_amount=Decimal(0),
            tip_amount=Decimal(0),
            total_amount=Decimal(0),
        )
    )
    lines = _new_lines(
        order, data.items, menu, currency=business.currency, principal=principal, now=now
    )
    await repository.add_lines(lines)
    return await _recompute(repository, order, business.currency)


async def add_lines(
    session: AsyncSession,
    principal: Principal,
    order_id: uuid.UUID,
    items: Sequence[OrderLineCreate],
) -> Order:
    """Add lines to an open order (they stay unsent until the next send)."""
    repository = OrderRepository(session, principal.business_id)
    order = await locked(repository, order_id)
    require_open(order, "add items")
    await require_not_paying(repository, order)
    business = await repository.business()
    menu = await _menu_items(repository, items)
    lines = _new_lines(
        order, items, menu, currency=business.currency, principal=principal, now=utcnow()
    )
    await repository.add_lines(lines)
    return await _recompute(repository, order, business.currency)


async def _line_to_change(
    repository: OrderRepository, order: Order, line_id: uuid.UUID
) -> tuple[OrderItem, Business]:
    require_open(order, "change items")
    line = await repository.get_line(order.id, line_id)
    if line is None:
        raise NotFound("Order line not found")
    await require_not_paying(repository, order)
    return line, await repository.business()


async def update_line(
    session: AsyncSession,
    principal: Principal,
    order_id: uuid.UUID,
    line_id: uuid.UUID,
    changes: OrderLineUpdate,
) -> Order:
    """Quantity, notes or modifiers of a line not yet sent (its price stays as copied)."""
    repository = OrderRepository(session, principal.business_id)
    order = await locked(repository, order_id)
    line, business = await _line_to_change(repository, order, line_id)
    if line.status == OrderItemStatus.voided or line.sent_at is not None:
        raise InvalidState(
            "This line was already sent to the kitchen: void it and add a new one",
            details=[{"field": "line_id", "message": f"line status is {line.status}"}],
        )
    if changes.quantity is not None:
        total = line_total(line.unit_price, changes.quantity, business.currency)
        if total > MAX_AMOUNT:
            raise invalid("quantity", f"the line's total would be above {MAX_AMOUNT}")
        line.quantity = changes.quantity
        line.line_total = total
    if "notes" in changes.model_fields_set:
        line.notes = changes.notes
    if changes.modifiers is not None:
        line.modifiers = list(changes.modifiers)
    return await _recompute(repository, order, business.currency, cause="quantity")


async def remove_line(
    session: AsyncSession,
    principal: Principal,
    order_id: uuid.UUID,
    line_id: uuid.UUID,
    reason: str | None,
) -> Order:
    """An unsent line is deleted; a sent one is voided (manager or above), which takes it off
    its kitchen ticket and out of the totals, and is written to the audit log."""
    repository = OrderRepository(session, principal.business_id)
    order = await locked(repository, order_id)
    line, business = await _line_to_change(repository, order, line_id)
    if line.status == OrderItemStatus.voided:
        raise InvalidState(
            "This line is already voided",
            details=[{"field": "line_id", "message": "line status is voided"}],
        )
    if line.sent_at is None:
        await repository.delete_line(line)
        return await _recompute(repository, order, business.currency)

    require_manager(principal, "void an item already sent to the kitchen")
    now = utcnow()
    previous_status = line.status
    line.status = OrderItemStatus.voided
    line.voided_at = now
    line.voided_by = principal.user_id
    line.void_reason = reason
    await repository.flush()
    if line.ticket_id is not None:
        await kitchen.after_line_voided(session, principal.business_id, line.ticket_id, now)
    await lifecycle.refresh_progress(session, principal.business_id, order)
    result = await _recompute(repository, order, business.currency)
    await audit.record(
        session,
        business_id=principal.business_id,
        action="order.item_voided",
        principal=principal,
        entity_type="order",
        entity_id=order.id,
        details={
            "order_number": order.order_number,
            "line_id": str(line.id),
            "name": line.name,
            "quantity": line.quantity,
            "line_total": str(line.line_total),
            "status_before": str(previous_status),
            "reason": reason,
        },
    )
    return result


async def update_order(
    session: AsyncSession, principal: Principal, order_id: uuid.UUID, changes: OrderUpdate
) -> Order:
    """Notes, customer, tip and discount. A discount needs a manager; money changes need an
    open order that is not being paid. Discount and tip changes are audited."""
    repository = OrderRepository(session, principal.business_id)
    order = await locked(repository, order_id)
    fields = changes.model_fields_set
    discount_fields = fields & {"discount_amount", "discount_percent"}
    if discount_fields:
        require_manager(principal, "give a discount")
    if len(discount_fields) == 2 and None not in (
        changes.discount_amount,
        changes.discount_percent,
    ):
        raise invalid("discount_percent", "send either discount_amount or discount_percent")
    money_changes = discount_fields or (changes.tip_amount is not None)
    business = await repository.business()
    if money_changes:
        require_open(order, "change the order's amounts")
        await require_not_paying(repository, order)
    if "customer_id" in fields:
        if changes.customer_id is not None:
            await _check_customer(repository, changes.customer_id)
        order.customer_id = changes.customer_id
    if "notes" in fields:
        order.notes = changes.notes

    before = _money_snapshot(order)
    if changes.tip_amount is not None:
        _check_minor_units("tip_amount", changes.tip_amount, business.currency)
        order.tip_amount = changes.tip_amount
    if changes.discount_amount is not None:
        _check_minor_units("discount_amount", changes.discount_amount, business.currency)
        if changes.discount_amount > order.subtotal:
            raise invalid("discount_amount", f"must not exceed the subtotal ({order.subtotal})")
        order.discount_amount = changes.discount_amount
        order.discount_percent = None
    elif changes.discount_percent is not None:
        order.discount_percent = changes.discount_percent
    elif discount_fields:
        # An explicit null removes the discount.
        order.discount_amount = Decimal(0)
        order.discount_percent = None
    if not money_changes:
        return await with_lines(repository, order)

    cause = "tip_amount" if changes.tip_amount is not None else "discount_amount"
    result = await _recompute(repository, order, business.currency, cause=cause)
    after = _money_snapshot(order)
    for action, keys in (
        ("order.discount_changed", ("discount_amount", "discount_percent")),
        ("order.tip_changed", ("tip_amount",)),
    ):
        if any(before[key] != after[key] for key in keys):
            await audit.record(
                session,
                business_id=principal.business_id,
                action=action,
                principal=principal,
                entity_type="order",
                entity_id=order.id,
                details={"order_number": order.order_number, "before": before, "after": after},
            )
    return result


def _money_snapshot(order: Order) -> dict[str, Any]:
    keys = ("discount_amount", "discount_percent", "tip_amount", "total_amount")
    return {key: None if getattr(order, key) is None else str(getattr(order, key)) for key in keys}

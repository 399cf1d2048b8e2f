"""Checks shared by the order services: lock, state, payment freeze, rights."""

from __future__ import annotations

import uuid

from tableside.auth.dependencies import Principal
from tableside.auth.permissions import Action, Area
from tableside.errors import Forbidden, InvalidState, NotFound, ValidationFailed
from tableside.models import Order, OrderStatus
from tableside.orders.repository import OrderRepository

OPEN_STATUSES = (OrderStatus.pending, OrderStatus.preparing, OrderStatus.ready)


def invalid(field: str, message: str, summary: str | None = None) -> ValidationFailed:
    """A 422 on one request field."""
    return ValidationFailed(summary, details=[{"field": field, "message": message}])


async def locked(repository: OrderRepository, order_id: uuid.UUID) -> Order:
    """The order, locked for the rest of the transaction; 404 when it is not this business's."""
    order = await repository.get_for_update(order_id)
    if order is None:
        raise NotFound("Order not found")
    return order


def require_open(order: Order, action: str) -> None:
    """409 unless the order is pending, preparing or ready."""
    if order.status not in OPEN_STATUSES:
        raise InvalidState(
            f"Cannot {action}: the order is {order.status}",
            details=[{"field": "status", "message": f"order status is {order.status}"}],
        )


async def require_not_paying(repository: OrderRepository, order: Order) -> None:
    """Lines and money are frozen once a sale exists for the order (pending or completed)."""
    if await repository.has_active_sale(order.id):
        raise InvalidState(
            "The order is being paid: its lines and amounts can no longer change",
            details=[{"field": "order_id", "message": "the order is being paid"}],
        )


def require_manager(principal: Principal, what: str) -> None:
    """403 unless the principal may manage orders (manager or above)."""
    if not principal.can(Area.orders, Action.manage):
        raise Forbidden(f"Only a manager can {what}")


async def with_lines(repository: OrderRepository, order: Order) -> Order:
    """Flush, then re-read the order and attach its lines for the response."""
    await repository.flush()
    await repository.load_lines(order)
    return order

"""How a table follows its orders: occupied with the first open order, available again when the
last one closes. Called by the orders domain inside the order's own transaction."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from tableside.errors import InvalidState, ValidationFailed
from tableside.kit.schemas import utcnow
from tableside.models import DiningTable, TableStatus
from tableside.tables.repository import TableRepository

# A table in these states cannot take a new order until staff change its status.
UNSEATABLE = (TableStatus.cleaning, TableStatus.out_of_service)


async def occupy_for_order(
    session: AsyncSession, business_id: uuid.UUID, table_id: uuid.UUID
) -> DiningTable:
    """Lock the table for a new order and mark it occupied.

    The table is a reference in the request body, so an unknown one (or another business's,
    or an inactive one) is 422 VALIDATION_ERROR on `table_id`; a table being cleaned or out of
    service is 409 INVALID_STATE.
    """
    repository = TableRepository(session, business_id)
    table = await repository.get_for_update(table_id)
    if table is None or not table.is_active:
        raise ValidationFailed(
            "Table not found", details=[{"field": "table_id", "message": "no such table"}]
        )
    if table.status in UNSEATABLE:
        raise InvalidState(
            f"Table {table.table_number} is {table.status.replace('_', ' ')}",
            details=[{"field": "table_id", "message": f"table status is {table.status}"}],
        )
    if table.status != TableStatus.occupied:
        table.status = TableStatus.occupied
        table.seated_at = table.seated_at or utcnow()
        await repository.flush()
    return table


async def release_after_order(
    session: AsyncSession, business_id: uuid.UUID, table_id: uuid.UUID, order_id: uuid.UUID
) -> None:
    """After `order_id` completed or was cancelled: free the table if no other order is open.

    The table is reset as `clear` would (party, server and seating time cleared)."""
    repository = TableRepository(session, business_id)
    table = await repository.get_for_update(table_id)
    if table is None or table.status != TableStatus.occupied:
        return
    if await repository.count_open_orders(table_id, excluding=order_id) > 0:
        return
    table.status = TableStatus.available
    table.party_size = None
    table.server_id = None
    table.seated_at = None
    await repository.flush()

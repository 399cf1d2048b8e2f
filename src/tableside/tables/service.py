"""Dining tables: layout (create, update, delete) and the floor (status, seat, assign, clear).

Every status change locks the table row first (`TableRepository.get_for_update`), so two
hosts seating the same table, or a host and an order opening on it, are serialized: the
second one sees the first one's result and gets 409 INVALID_STATE.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from tableside.audit import service as audit
from tableside.auth.dependencies import Principal
from tableside.errors import InvalidState, NotFound, ValidationFailed
from tableside.kit.pagination import ListParams
from tableside.kit.schemas import utcnow
from tableside.models import DiningTable, Order, OrderStatus, OrderType, TableStatus
from tableside.orders.repository import OrderHistoryRepository
from tableside.tables.repository import TableRepository
from tableside.tables.schemas import SeatParty, TableCreate, TableUpdate

S = TableStatus

# Legal moves of PUT /tables/{id}/status. A table becomes occupied only by seating a party or
# by an order opening on it (tables.lifecycle), never by a bare status change.
TRANSITIONS: dict[TableStatus, frozenset[TableStatus]] = {
    S.available: frozenset({S.reserved, S.cleaning, S.out_of_service}),
    S.reserved: frozenset({S.available, S.out_of_service}),
    S.occupied: frozenset({S.cleaning, S.available}),
    S.cleaning: frozenset({S.available, S.out_of_service}),
    S.out_of_service: frozenset({S.available, S.cleaning}),
}
SEATABLE = frozenset({S.available, S.reserved})
# The order in which allowed targets are listed in messages.
_STATUS_ORDER = list(TableStatus)


@dataclass(frozen=True)
class TableView:
    """A table with its server's name and its open orders (id, order number)."""

    table: DiningTable
    server_name: str | None
    open_orders: list[tuple[uuid.UUID, str]]

    @property
    def open_order_ids(self) -> list[uuid.UUID]:
        return [order_id for order_id, _ in self.open_orders]


async def _views(repository: TableRepository, tables: Sequence[DiningTable]) -> list[TableView]:
    """Look up servers' names and open orders for several tables in two queries."""
    open_orders = await repository.open_orders([table.id for table in tables])
    names = await repository.user_names(
        [table.server_id for table in tables if table.server_id is not None]
    )
    return [
        TableView(
            table,
            names.get(table.server_id) if table.server_id else None,
            open_orders.get(table.id, []),
        )
        for table in tables
    ]


async def _view(repository: TableRepository, table: DiningTable) -> TableView:
    return (await _views(repository, [table]))[0]


async def _locked(repository: TableRepository, table_id: uuid.UUID) -> DiningTable:
    table = await repository.get_for_update(table_id)
    if table is None:
        raise NotFound("Table not found")
    return table


def _require_active(table: DiningTable) -> None:
    if not table.is_active:
        raise InvalidState(
            f"Table {table.table_number} has been removed; restore it first",
            details=[{"field": "is_active", "message": "table is inactive"}],
        )


async def _require_no_open_orders(
    repository: TableRepository, table: DiningTable, doing: str
) -> None:
    open_orders = (await repository.open_orders([table.id]))[table.id]
    if open_orders:
        numbers = ", ".join(number for _, number in open_orders)
        raise InvalidState(
            f"Cannot {doing} table {table.table_number}: open orders {numbers}",
            details=[{"field": "open_orders", "message": numbers}],
        )


async def _require_server(repository: TableRepository, server_id: uuid.UUID) -> None:
    if await repository.active_user(server_id) is None:
        raise ValidationFailed(
            "Server not found",
            details=[{"field": "server_id", "message": "no active user with this id"}],
        )


async def _require_location(repository: TableRepository, location_id: uuid.UUID) -> None:
    if await repository.active_location(location_id) is None:
        raise ValidationFailed(
            "Location not found",
            details=[{"field": "location_id", "message": "no active location with this id"}],
        )


def _reset_seating(table: DiningTable) -> None:
    """The party left: nobody is seated and no server is attached any more."""
    table.party_size = None
    table.server_id = None
    table.seated_at = None


# --- layout -------------------------------------------------------------------------------


async def list_tables(
    session: AsyncSession,
    principal: Principal,
    params: ListParams,
    *,
    status: TableStatus | None,
    section: str | None,
    location_id: uuid.UUID | None,
    min_capacity: int | None,
    include_inactive: bool,
) -> tuple[list[TableView], int]:
    """One page of tables with their servers and open orders."""
    repository = TableRepository(session, principal.business_id)
    rows, total = await repository.list_tables(
        params,
        status=status,
        section=section,
        location_id=location_id,
        min_capacity=min_capacity,
        include_inactive=include_inactive,
    )
    return await _views(repository, rows), total


async def get_table(session: AsyncSession, principal: Principal, table_id: uuid.UUID) -> TableView:
    """One table (active or not)."""
    repository = TableRepository(session, principal.business_id)
    table = await repository.get(table_id)
    if table is None:
        raise NotFound("Table not found")
    return await _view(repository, table)


async def create_table(session: AsyncSession, principal: Principal, data: TableCreate) -> TableView:
    """Add a table to the layout; its number is unique in the business (409 otherwise)."""
    repository = TableRepository(session, principal.business_id)
    if data.location_id is not None:
        await _require_location(repository, data.location_id)
    table = await repository.add(
        DiningTable(business_id=principal.business_id, **data.model_dump())
    )
    await audit.record(
        session,
        business_id=principal.business_id,
        action="table.created",
        principal=principal,
        entity_type="table",
        entity_id=table.id,
        details={"table_number": table.table_number, "capacity": table.capacity},
    )
    return await _view(repository, table)


async def update_table(
    session: AsyncSession, principal: Principal, table_id: uuid.UUID, changes: TableUpdate
) -> TableView:
    """Change the layout fields sent; a status sent follows the same rules as PUT /status."""
    repository = TableRepository(session, principal.business_id)
    table = await _locked(repository, table_id)
    updates = changes.model_dump(exclude_unset=True)
    if updates.get("location_id") is not None:
        await _require_location(repository, updates["location_id"])
    capacity = updates.get("capacity")
    if capacity is not None and table.party_size is not None and capacity < table.party_size:
        raise ValidationFailed(
            f"Capacity {capacity} is smaller than the party seated ({table.party_size})",
            details=[{"field": "capacity", "message": "smaller than the party seated"}],
        )
    if updates.get("is_active") is False and table.is_active:
        await _require_no_open_orders(repository, table, "remove")
    target = updates.pop("status", None)
    for field, value in updates.items():
        setattr(table, field, value)
    if target is not None:
        await _transition(repository, table, target)
    await repository.flush()
    return await _view(repository, table)


async def delete_table(session: AsyncSession, principal: Principal, table_id: uuid.UUID) -> None:
    """Deactivate the table (its order history stays); refused while orders are open on it."""
    repository = TableRepository(session, principal.business_id)
    table = await _locked(repository, table_id)
    if not table.is_active:
        return
    await _require_no_open_orders(repository, table, "remove")
    table.is_active = False
    await repository.flush()
    await audit.record(
        session,
        business_id=principal.business_id,
        action="table.deactivated",
        principal=principal,
        entity_type="table",
        entity_id=table.id,
        details={"table_number": table.table_number},
    )


# --- the floor ----------------------------------------------------------------------------


async def _transition(repository: TableRepository, table: DiningTable, target: TableStatus) -> None:
    """Move the (locked) table to `target` if the move is legal; same status is a no-op."""
    current = table.status
    if target == current:
        return
    _require_active(table)
    allowed = TRANSITIONS[current]
    if target not in allowed:
        listed = ", ".join(s.value for s in _STATUS_ORDER if s in allowed)
        hint = (
            " (a table becomes occupied by seating a party or opening an order)"
            if target == S.occupied
            else ""
        )
        raise InvalidState(
            f"Table {table.table_number} cannot go from {current.value} to {target.value};"
            f" allowed: {listed}{hint}",
            details=[{"field": "status", "message": f"allowed: {listed}"}],
        )
    if current == S.occupied:
        await _require_no_open_orders(repository, table, f"set to {target.value}")
        _reset_seating(table)
    table.status = target


async def change_status(
    session: AsyncSession, principal: Principal, table_id: uuid.UUID, target: TableStatus
) -> TableView:
    """Apply a legal status transition (409 INVALID_STATE with the allowed targets otherwise)."""
    repository = TableRepository(session, principal.business_id)
    table = await _locked(repository, table_id)
    await _transition(repository, table, target)
    await repository.flush()
    return await _view(repository, table)


async def seat_party(
    session: AsyncSession, principal: Principal, table_id: uuid.UUID, data: SeatParty
) -> TableView:
    """Seat a party at an available or reserved table, optionally with its server."""
    repository = TableRepository(session, principal.business_id)
    table = await _locked(repository, table_id)
    _require_active(table)
    if table.status not in SEATABLE:
        raise InvalidState(
            f"Table {table.table_number} is {table.status.value.replace('_', ' ')};"
            " a party can be seated only at an available or reserved table",
            details=[{"field": "status", "message": f"table status is {table.status.value}"}],
        )
    if data.party_size > table.capacity:
        raise ValidationFailed(
            f"A party of {data.party_size} does not fit table {table.table_number}"
            f" ({table.capacity} seats)",
            details=[
                {"field": "party_size", "message": f"must not exceed capacity ({table.capacity})"}
            ],
        )
    if data.server_id is not None:
        await _require_server(repository, data.server_id)
    table.status = S.occupied
    table.party_size = data.party_size
    table.server_id = data.server_id
    table.seated_at = utcnow()
    if data.notes is not None:
        table.notes = data.notes
    await repository.flush()
    return await _view(repository, table)


async def assign_server(
    session: AsyncSession, principal: Principal, table_id: uuid.UUID, server_id: uuid.UUID
) -> TableView:
    """Give the table a server; any status but out of service."""
    repository = TableRepository(session, principal.business_id)
    table = await _locked(repository, table_id)
    _require_active(table)
    if table.status == S.out_of_service:
        raise InvalidState(
            f"Table {table.table_number} is out of service",
            details=[{"field": "status", "message": "table status is out_of_service"}],
        )
    await _require_server(repository, server_id)
    table.server_id = server_id
    await repository.flush()
    return await _view(repository, table)


async def clear_table(
    session: AsyncSession, principal: Principal, table_id: uuid.UUID, *, to_cleaning: bool
) -> TableView:
    """The party has gone: reset seating and make the table available (or send it to cleaning).

    Refused while an order is still open on the table."""
    repository = TableRepository(session, principal.business_id)
    table = await _locked(repository, table_id)
    _require_active(table)
    await _require_no_open_orders(repository, table, "clear")
    _reset_seating(table)
    table.status = S.cleaning if to_cleaning else S.available
    await repository.flush()
    return await _view(repository, table)


async def list_table_orders(
    session: AsyncSession,
    principal: Principal,
    table_id: uuid.UUID,
    params: ListParams,
    *,
    status: OrderStatus | None,
    order_type: OrderType | None,
) -> tuple[Sequence[Order], int]:
    """The table's orders, newest first unless sorted otherwise."""
    table = await TableRepository(session, principal.business_id).get(table_id)
    if table is None:
        raise NotFound("Table not found")
    return await OrderHistoryRepository(session, principal.business_id).history(
        params, table_id=table.id, status=status, order_type=order_type
    )

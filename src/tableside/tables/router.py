"""HTTP endpoints under /api/v1/tables.

Layout changes (create, update, delete) need `tables: manage` (manager and up); the floor's
operations (status, seat, assign, clear) need `tables: write` (cashier, wait staff, manager+).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from fastapi import status as http_status

from tableside.auth.dependencies import Principal, require
from tableside.auth.permissions import Action, Area
from tableside.customers.schemas import OrderSummary
from tableside.db.session import SessionDep
from tableside.kit.pagination import ListParamsDep, Page, page_of
from tableside.models import OrderStatus, OrderType, TableStatus
from tableside.tables import service
from tableside.tables.schemas import (
    AssignServer,
    ClearTable,
    SeatParty,
    Table,
    TableCreate,
    TableStatusChange,
    TableUpdate,
)

router = APIRouter(prefix="/tables", tags=["tables"])

TableReader = Annotated[Principal, Depends(require(Area.tables, Action.read))]
FloorStaff = Annotated[Principal, Depends(require(Area.tables, Action.write))]
LayoutManager = Annotated[Principal, Depends(require(Area.tables, Action.manage))]


def _out(view: service.TableView) -> Table:
    return Table.build(view.table, view.server_name, view.open_order_ids)


@router.get("", response_model=Page[Table], summary="List tables")
async def list_tables(
    principal: TableReader,
    session: SessionDep,
    params: ListParamsDep,
    status: TableStatus | None = None,
    section: Annotated[str | None, Query(max_length=80)] = None,
    location_id: uuid.UUID | None = None,
    min_capacity: Annotated[int | None, Query(ge=1, description="Seats at least n")] = None,
    capacity: Annotated[
        int | None, Query(ge=1, description="Same as min_capacity (seats at least n)")
    ] = None,
    include_inactive: bool = False,
) -> Page[Table]:
    """`search` matches the table number or section."""
    wanted = [n for n in (min_capacity, capacity) if n is not None]
    views, total = await service.list_tables(
        session,
        principal,
        params,
        status=status,
        section=section.strip() if section and section.strip() else None,
        location_id=location_id,
        min_capacity=max(wanted) if wanted else None,
        include_inactive=include_inactive,
    )
    return Page[Table].build([_out(view) for view in views], total, params)


@router.post(
    "", response_model=Table, status_code=http_status.HTTP_201_CREATED, summary="Create a table"
)
async def create_table(body: TableCreate, principal: LayoutManager, session: SessionDep) -> Table:
    return _out(await service.create_table(session, principal, body))


@router.get("/{table_id}", response_model=Table, summary="Get a table")
async def get_table(table_id: uuid.UUID, principal: TableReader, session: SessionDep) -> Table:
    return _out(await service.get_table(session, principal, table_id))


@router.patch("/{table_id}", response_model=Table, summary="Update a table")
async def update_table(
    table_id: uuid.UUID, body: TableUpdate, principal: LayoutManager, session: SessionDep
) -> Table:
    return _out(await service.update_table(session, principal, table_id, body))


router.add_api_route(
    "/{table_id}",
    update_table,
    methods=["PUT"],
    response_model=Table,
    summary="Update a table (same as PATCH: only the fields sent change)",
)


@router.delete(
    "/{table_id}",
    status_code=http_status.HTTP_204_NO_CONTENT,
    summary="Remove a table from the layout (its history stays)",
)
async def delete_table(
    table_id: uuid.UUID, principal: LayoutManager, session: SessionDep
) -> Response:
    await service.delete_table(session, principal, table_id)
    return Response(status_code=http_status.HTTP_204_NO_CONTENT)


@router.put("/{table_id}/status", response_model=Table, summary="Change a table's status")
async def change_status(
    table_id: uuid.UUID, body: TableStatusChange, principal: FloorStaff, session: SessionDep
) -> Table:
    """Legal moves only: available → reserved, cleaning, out_of_service; reserved → available,
    out_of_service; occupied → cleaning, available (no open orders); cleaning → available,
    out_of_service; out_of_service → available, cleaning."""
    return _out(await service.change_status(session, principal, table_id, body.status))


@router.post("/{table_id}/seat", response_model=Table, summary="Seat a party at a table")
async def seat_party(
    table_id: uuid.UUID, body: SeatParty, principal: FloorStaff, session: SessionDep
) -> Table:
    return _out(await service.seat_party(session, principal, table_id, body))


@router.post("/{table_id}/assign", response_model=Table, summary="Assign a server to a table")
async def assign_server(
    table_id: uuid.UUID, body: AssignServer, principal: FloorStaff, session: SessionDep
) -> Table:
    return _out(await service.assign_server(session, principal, table_id, body.server_id))


router.add_api_route(
    "/{table_id}/assign",
    assign_server,
    methods=["PUT"],
    response_model=Table,
    summary="Assign a server to a table (same as POST)",
)


@router.post("/{table_id}/clear", response_model=Table, summary="Clear a table")
async def clear_table(
    table_id: uuid.UUID,
    principal: FloorStaff,
    session: SessionDep,
    body: ClearTable | None = None,
) -> Table:
    """Reset party, server and seating time and make the table available, or send it to
    cleaning with `{"to_cleaning": true}`. Refused while an order is open on the table."""
    to_cleaning = body.to_cleaning if body is not None else False
    return _out(await service.clear_table(session, principal, table_id, to_cleaning=to_cleaning))


@router.get(
    "/{table_id}/orders",
    response_model=Page[OrderSummary],
    summary="The table's orders, newest first",
)
async def list_table_orders(
    table_id: uuid.UUID,
    principal: TableReader,
    session: SessionDep,
    params: ListParamsDep,
    status: OrderStatus | None = None,
    order_type: OrderType | None = None,
) -> Page[OrderSummary]:
    rows, total = await service.list_table_orders(
        session, principal, table_id, params, status=status, order_type=order_type
    )
    return page_of(OrderSummary, rows, total, params)

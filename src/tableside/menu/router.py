"""HTTP endpoints under /api/v1/menu."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, Response, UploadFile, status

from tableside.auth.dependencies import Principal, require
from tableside.auth.permissions import Action, Area
from tableside.db.session import SessionDep
from tableside.kit.money import MAX_AMOUNT
from tableside.kit.pagination import ListParamsDep, Page
from tableside.menu import imports, service, stats
from tableside.menu.repository import ItemFilters
from tableside.menu.schemas import (
    BulkImportRequest,
    Category,
    CategoryCreate,
    CategoryUpdate,
    ImportReport,
    Item,
    ItemCreate,
    ItemDetail,
    ItemUpdate,
    StockUpdate,
)

router = APIRouter(prefix="/menu", tags=["menu"])

MenuReader = Annotated[Principal, Depends(require(Area.menu, Action.read))]
MenuWriter = Annotated[Principal, Depends(require(Area.menu, Action.write))]
MenuManager = Annotated[Principal, Depends(require(Area.menu, Action.manage))]

# ---------------------------------------------------------------------------------------------
# Categories


@router.get("/categories", response_model=Page[Category], summary="List menu categories")
async def list_categories(
    principal: MenuReader,
    session: SessionDep,
    params: ListParamsDep,
    include_inactive: bool = False,
) -> Page[Category]:
    """Search matches name and description; sort by `sort_order` (default), `name` or
    `created_at`. Each category shows its number of active items."""
    return await service.list_categories(
        session, principal, params, include_inactive=include_inactive
    )


@router.post(
    "/categories",
    response_model=Category,
    status_code=status.HTTP_201_CREATED,
    summary="Create a menu category",
)
async def create_category(
    body: CategoryCreate, principal: MenuWriter, session: SessionDep
) -> Category:
    return await service.create_category(session, principal, body)


@router.get("/categories/{category_id}", response_model=Category, summary="Get a menu category")
async def get_category(
    category_id: uuid.UUID, principal: MenuReader, session: SessionDep
) -> Category:
    return await service.get_category(session, principal, category_id)


@router.patch(
    "/categories/{category_id}", response_model=Category, summary="Update a menu category"
)
async def update_category(
    category_id: uuid.UUID, body: CategoryUpdate, principal: MenuWriter, session: SessionDep
) -> Category:
    return await service.update_category(session, principal, category_id, body)


router.add_api_route(
    "/categories/{category_id}",
    update_category,
    methods=["PUT"],
    response_model=Category,
    summary="Update a menu category (same as PATCH: only the fields sent change)",
)


@router.delete(
    "/categories/{category_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Deactivate a menu category (its items keep it)",
)
async def delete_category(
    category_id: uuid.UUID, principal: MenuManager, session: SessionDep
) -> Response:
    await service.delete_category(session, principal, category_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# ---------------------------------------------------------------------------------------------
# Imports (declared before /items/{item_id} so their paths are never read as ids)


@router.post(
    "/items/bulk-import",
    response_model=ImportReport,
    summary="Create or update up to 10,000 items from a JSON array",
)
async def bulk_import(
    body: BulkImportRequest, principal: MenuWriter, session: SessionDep
) -> ImportReport:
    """Each row: `name`, `price` (required), `cost`, `description`, `category` (a name,
    created when missing) or `category_id`, `sku`, `barcode`, `stock`, `station`,
    `is_active`. A row whose SKU matches an item updates it (only the fields the row has).
    Valid rows are written even when others fail; `dry_run` writes nothing."""
    return await imports.import_rows(
        session,
        principal,
        imports.rows_from_json(body.items),
        dry_run=body.dry_run,
        source="json",
    )


@router.post(
    "/items/import-csv",
    response_model=ImportReport,
    summary="Create or update items from a CSV file",
)
async def import_csv(
    principal: MenuWriter,
    session: SessionDep,
    file: Annotated[UploadFile, File(description="UTF-8 CSV (a BOM is fine)")],
    dry_run: Annotated[bool, Query(description="Validate and report without writing")] = False,
) -> ImportReport:
    """Header: `name,category,price,cost,description,is_active`, optionally `sku`,
    `barcode`, `stock`, `station` (only `name` and `price` are required; columns left out
    keep an updated item's values). An empty cell clears `cost`, `description`, `stock`,
    `station` and `category`. Result `row` n is line n+1 of the file."""
    content = await file.read()
    rows = imports.rows_from_csv(content, file.content_type)
    return await imports.import_rows(session, principal, rows, dry_run=dry_run, source="csv")


# ---------------------------------------------------------------------------------------------
# Items


@router.get("/items", response_model=Page[Item], summary="List menu items")
async def list_items(
    principal: MenuReader,
    session: SessionDep,
    params: ListParamsDep,
    category_id: uuid.UUID | None = None,
    station: Annotated[str | None, Query(max_length=40)] = None,
    is_active: Annotated[
        bool | None, Query(description="Only active (true) or inactive (false) items")
    ] = None,
    include_inactive: Annotated[
        bool, Query(description="Active and inactive items (when is_active is not given)")
    ] = False,
    min_price: Annotated[Decimal | None, Query(ge=0, le=MAX_AMOUNT)] = None,
    max_price: Annotated[Decimal | None, Query(ge=0, le=MAX_AMOUNT)] = None,
    in_stock: Annotated[
        bool | None,
        Query(description="true: made to order or stock above 0; false: counted and out"),
    ] = None,
) -> Page[Item]:
    """Search matches name, description, SKU and barcode (case-insensitive, partial). Sort
    by `name` (default), `price`, `created_at`, `sku` or `stock`."""
    filters = ItemFilters(
        category_id=category_id,
        station=station.strip().lower() if station else None,
        is_active=is_active,
        include_inactive=include_inactive,
        min_price=min_price,
        max_price=max_price,
        in_stock=in_stock,
    )
    return await service.list_items(session, principal, params, filters)


@router.post(
    "/items", response_model=Item, status_code=status.HTTP_201_CREATED, summary="Create an item"
)
async def create_item(body: ItemCreate, principal: MenuWriter, session: SessionDep) -> Item:
    return await service.create_item(session, principal, body)


@router.get("/items/{item_id}", response_model=Item, summary="Get a menu item")
async def get_item(item_id: uuid.UUID, principal: MenuReader, session: SessionDep) -> Item:
    return await service.get_item(session, principal, item_id)


@router.get(
    "/items/{item_id}/detail",
    response_model=ItemDetail,
    summary="A menu item with its sales over the last 30 business days",
)
async def get_item_detail(
    item_id: uuid.UUID, principal: MenuReader, session: SessionDep
) -> ItemDetail:
    return await stats.item_detail(session, principal, item_id)


@router.patch("/items/{item_id}", response_model=Item, summary="Update a menu item")
async def update_item(
    item_id: uuid.UUID, body: ItemUpdate, principal: MenuWriter, session: SessionDep
) -> Item:
    return await service.update_item(session, principal, item_id, body)


router.add_api_route(
    "/items/{item_id}",
    update_item,
    methods=["PUT"],
    response_model=Item,
    summary="Update a menu item (same as PATCH: only the fields sent change)",
)


@router.put("/items/{item_id}/stock", response_model=Item, summary="Set or adjust stock")
async def update_stock(
    item_id: uuid.UUID, body: StockUpdate, principal: MenuWriter, session: SessionDep
) -> Item:
    """`{"stock": n}` sets the count (`null`: made to order); `{"adjust_by": ±n}` adds or
    removes units atomically and refuses to go below zero unless the business allows
    negative stock."""
    return await service.update_stock(session, principal, item_id, body)


@router.delete(
    "/items/{item_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Deactivate a menu item (its history stays)",
)
async def delete_item(item_id: uuid.UUID, principal: MenuManager, session: SessionDep) -> Response:
    await service.delete_item(session, principal, item_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

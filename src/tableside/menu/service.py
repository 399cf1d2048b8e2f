"""Menu categories and items: CRUD, generated codes and stock."""

from __future__ import annotations

import uuid
from typing import Any, NoReturn

from sqlalchemy.ext.asyncio import AsyncSession

from tableside.audit import service as audit
from tableside.auth.dependencies import Principal
from tableside.businesses import service as businesses
from tableside.errors import DuplicateEntry, InvalidState, NotFound, ValidationFailed
from tableside.kit.pagination import ListParams, Page
from tableside.menu.codes import format_sku, random_in_store_barcode, sku_prefix
from tableside.menu.repository import CategoryRepository, ItemFilters, ItemRepository
from tableside.menu.schemas import (
    Category,
    CategoryCreate,
    CategoryUpdate,
    Item,
    ItemCreate,
    ItemUpdate,
    StockUpdate,
)
from tableside.models import MenuCategory, MenuItem

# SKU generation is serialized per business, so a generated SKU clashes only with one a client
# chose concurrently, and a generated barcode only by a one-in-10^11 chance: a few attempts
# always suffice.
CODE_ATTEMPTS = 5


def _plain(value: object) -> object:
    """A JSON-safe copy of a value for the audit log."""
    return value if isinstance(value, int | bool | str | type(None)) else str(value)


# ---------------------------------------------------------------------------------------------
# Categories


async def _category_or_404(repository: CategoryRepository, category_id: uuid.UUID) -> MenuCategory:
    category = await repository.get(category_id)
    if category is None:
        raise NotFound("Category not found")
    return category


async def _category_response(repository: CategoryRepository, category: MenuCategory) -> Category:
    counts = await repository.active_item_counts([category.id])
    return Category.model_validate(category).model_copy(
        update={"item_count": counts.get(category.id, 0)}
    )


async def _ensure_category_name_free(
    repository: CategoryRepository, name: str, *, excluding: uuid.UUID | None = None
) -> None:
    """Names are unique per business regardless of letter case, inactive ones included."""
    existing = await repository.find_by_name(name, excluding=excluding)
    if existing is not None:
        hint = "" if existing.is_active else " (inactive: reactivate it instead)"
        raise DuplicateEntry(
            f"A category named {existing.name!r} already exists{hint}",
            details=[{"field": "name", "message": "already exists"}],
        )


async def list_categories(
    session: AsyncSession, principal: Principal, params: ListParams, *, include_inactive: bool
) -> Page[Category]:
    """A page of categories, each with its number of active items."""
    repository = CategoryRepository(session, principal.business_id)
    rows, total = await repository.list(params, include_inactive=include_inactive)
    counts = await repository.active_item_counts([row.id for row in rows])
    items = [
        Category.model_validate(row).model_copy(update={"item_count": counts.get(row.id, 0)})
        for row in rows
    ]
    return Page[Category].build(items, total, params)


async def get_category(
    session: AsyncSession, principal: Principal, category_id: uuid.UUID
) -> Category:
    repository = CategoryRepository(session, principal.business_id)
    return await _category_response(repository, await _category_or_404(repository, category_id))


async def create_category(
    session: AsyncSession, principal: Principal, data: CategoryCreate
) -> Category:
    repository = CategoryRepository(session, principal.business_id)
    await _ensure_category_name_free(repository, data.name)
    category = await repository.add(
        MenuCategory(business_id=principal.business_id, **data.model_dump())
    )
    await audit.record(
        session,
        business_id=principal.business_id,
        action="menu_category.created",
        principal=principal,
        entity_type="menu_category",
        entity_id=category.id,
        details={"name": category.name},
    )
    return Category.model_validate(category)


async def update_category(
    session: AsyncSession, principal: Principal, category_id: uuid.UUID, changes: CategoryUpdate
) -> Category:
    """Apply the fields sent; a rename must keep the name unique."""
    repository = CategoryRepository(session, principal.business_id)
    category = await _category_or_404(repository, category_id)
    updates = changes.model_dump(exclude_unset=True)
    if "name" in updates and updates["name"] != category.name:
        await _ensure_category_name_free(repository, updates["name"], excluding=category.id)
    for field, value in updates.items():
        setattr(category, field, value)
    await repository.flush()
    return await _category_response(repository, category)


async def delete_category(
    session: AsyncSession, principal: Principal, category_id: uuid.UUID
) -> None:
    """Deactivate the category; its items keep it (and their sales history keeps its name)."""
    repository = CategoryRepository(session, principal.business_id)
    category = await _category_or_404(repository, category_id)
    if not category.is_active:
        return
    category.is_active = False
    await repository.flush()
    await audit.record(
        session,
        business_id=principal.business_id,
        action="menu_category.deactivated",
        principal=principal,
        entity_type="menu_category",
        entity_id=category.id,
        details={"name": category.name},
    )


# ---------------------------------------------------------------------------------------------
# Items


async def _item_response(
    repository: ItemRepository, item_id: uuid.UUID, *, refresh: bool = False
) -> Item:
    found = await repository.get_with_category_name(item_id, refresh=refresh)
    if found is None:
        raise NotFound("Menu item not found")
    return Item.of(*found)


async def _item_or_404(repository: ItemRepository, item_id: uuid.UUID) -> MenuItem:
    item = await repository.get(item_id)
    if item is None:
        raise NotFound("Menu item not found")
    return item


async def _body_category(
    session: AsyncSession, principal: Principal, category_id: uuid.UUID | None
) -> MenuCategory | None:
    """The category a request body names; one of another business is a 422 on the field."""
    if category_id is None:
        return None
    category = await CategoryRepository(session, principal.business_id).get(category_id)
    if category is None:
        raise ValidationFailed(
            details=[{"field": "category_id", "message": "is not a category of this business"}]
        )
    return category


async def list_items(
    session: AsyncSession, principal: Principal, params: ListParams, filters: ItemFilters
) -> Page[Item]:
    rows, total = await ItemRepository(session, principal.business_id).list(params, filters)
    return Page[Item].build([Item.of(item, name) for item, name in rows], total, params)


async def get_item(session: AsyncSession, principal: Principal, item_id: uuid.UUID) -> Item:
    return await _item_response(ItemRepository(session, principal.business_id), item_id)


async def next_free_barcode(repository: ItemRepository) -> str:
    """A random in-store EAN-13 no item of the business has yet."""
    while True:
        candidate = random_in_store_barcode()
        if not await repository.barcodes_taken([candidate]):
            return candidate


async def create_item(session: AsyncSession, principal: Principal, data: ItemCreate) -> Item:
    """Create an item, generating its SKU and barcode when absent.

    A generated code that a concurrent request took first is generated again; a code the
    client chose that is taken is 409 DUPLICATE_ENTRY.
    """
    repository = ItemRepository(session, principal.business_id)
    category = await _body_category(session, principal, data.category_id)
    prefix = sku_prefix(category.name if category else None, data.name)
    values: dict[str, Any] = data.model_dump()
    if data.sku is None:
        await repository.lock_sku_generation()
    for attempt in range(1, CODE_ATTEMPTS + 1):
        values["id"] = uuid.uuid4()
        if data.sku is None:
            numbers = await repository.max_sku_numbers([prefix])
            values["sku"] = format_sku(prefix, numbers.get(prefix, 0) + 1)
        if data.barcode is None:
            values["barcode"] = await next_free_barcode(repository)
        try:
            await repository.insert_item(values)
            break
        except DuplicateEntry as exc:
            field = exc.details[0]["field"] if exc.details else None
            generated = (field == "sku" and data.sku is None) or (
                field == "barcode" and data.barcode is None
            )
            if not generated or attempt == CODE_ATTEMPTS:
                raise
    await audit.record(
        session,
        business_id=principal.business_id,
        action="menu_item.created",
        principal=principal,
        entity_type="menu_item",
        entity_id=values["id"],
        details={"name": data.name, "sku": values["sku"], "price": str(data.price)},
    )
    return await _item_response(repository, values["id"])


async def update_item(
    session: AsyncSession, principal: Principal, item_id: uuid.UUID, changes: ItemUpdate
) -> Item:
    """Apply the fields sent; the audit log keeps what changed (prices above all)."""
    repository = ItemRepository(session, principal.business_id)
    item = await _item_or_404(repository, item_id)
    updates = changes.model_dump(exclude_unset=True)
    if "category_id" in updates:
        await _body_category(session, principal, updates["category_id"])
    changed = {field: value for field, value in updates.items() if getattr(item, field) != value}
    before = {field: _plain(getattr(item, field)) for field in changed}
    for field, value in changed.items():
        setattr(item, field, value)
    await repository.flush()
    if changed:
        await audit.record(
            session,
            business_id=principal.business_id,
            action="menu_item.updated",
            principal=principal,
            entity_type="menu_item",
            entity_id=item.id,
            details={"before": before, "after": {k: _plain(v) for k, v in changed.items()}},
        )
    return await _item_response(repository, item.id)


async def delete_item(session: AsyncSession, principal: Principal, item_id: uuid.UUID) -> None:
    """Deactivate the item: orders and sales keep pointing at it."""
    repository = ItemRepository(session, principal.business_id)
    item = await _item_or_404(repository, item_id)
    if not item.is_active:
        return
    item.is_active = False
    await repository.flush()
    await audit.record(
        session,
        business_id=principal.business_id,
        action="menu_item.deactivated",
        principal=principal,
        entity_type="menu_item",
        entity_id=item.id,
        details={"name": item.name, "sku": item.sku},
    )


async def update_stock(
    session: AsyncSession, principal: Principal, item_id: uuid.UUID, change: StockUpdate
) -> Item:
    """Set the stock count, or adjust it atomically.

    An adjustment never takes stock below zero unless the business allows negative stock;
    a made-to-order item (no stock count) cannot be adjusted, only given a count.
    """
    repository = ItemRepository(session, principal.business_id)
    if "adjust_by" in change.model_fields_set:
        assert change.adjust_by is not None  # StockUpdate refuses a null adjustment
        business = await businesses.get_business(session, principal)
        new_stock = await repository.adjust_stock(
            item_id, change.adjust_by, allow_negative=business.allow_negative_stock
        )
        if new_stock is None:
            await _refuse_adjustment(repository, item_id, change.adjust_by)
        details: dict[str, Any] = {"adjust_by": change.adjust_by, "stock": new_stock}
        action = "menu_item.stock_adjusted"
    else:
        item = await repository.get_for_update(item_id)
        if item is None:
            raise NotFound("Menu item not found")
        details = {"before": item.stock, "stock": change.stock}
        item.stock = change.stock
        await repository.flush()
        action = "menu_item.stock_set"
    await audit.record(
        session,
        business_id=principal.business_id,
        action=action,
        principal=principal,
        entity_type="menu_item",
        entity_id=item_id,
        details=details,
    )
    return await _item_response(repository, item_id, refresh=True)


async def _refuse_adjustment(
    repository: ItemRepository, item_id: uuid.UUID, delta: int
) -> NoReturn:
    """Explain why an adjustment matched no row: missing, not counted, or out of stock."""
    item = await repository.get_for_update(item_id)
    if item is None:
        raise NotFound("Menu item not found")
    if item.stock is None:
        raise InvalidState(
            "This item is made to order and has no stock count; set one with `stock` first",
            details=[{"field": "adjust_by", "message": "the item has no stock count"}],
        )
    raise InvalidState(
        f"Not enough stock: {item.stock} on hand, cannot remove {-delta}"
        if delta < 0
        else "The stock count would leave its allowed range",
        details=[{"field": "adjust_by", "message": f"stock is {item.stock}"}],
    )

"""SQL for the menu: categories, items, item codes, stock and item sales."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from typing import cast as typed

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    String,
    Table,
    any_,
    bindparam,
    cast,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError

from tableside.kit.pagination import ListParams
from tableside.kit.repository import TenantRepository, integrity_error_to_app_error
from tableside.menu.codes import GENERATED_SKU_PATTERN, SKU_PREFIX_LENGTH
from tableside.models import MenuCategory, MenuItem, Sale, SaleLine, SaleStatus

ITEMS = typed(Table, MenuItem.__table__)
CATEGORIES = typed(Table, MenuCategory.__table__)

# Stock is an int column; refusing adjustments past this keeps every result in range.
MAX_STOCK = 2_000_000_000


@dataclass(frozen=True)
class ItemFilters:
    """The item list's filters beyond search, sorting and paging."""

    category_id: uuid.UUID | None = None
    station: str | None = None
    is_active: bool | None = None
    include_inactive: bool = False
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    in_stock: bool | None = None


@dataclass(frozen=True)
class ItemCodes:
    """An existing item as an import sees it: its id and its two codes."""

    id: uuid.UUID
    sku: str
    barcode: str


@dataclass(frozen=True)
class CategoryRef:
    id: uuid.UUID
    name: str
    is_active: bool


@dataclass(frozen=True)
class DaySales:
    """One business day's completed sales of one item."""

    day: date
    quantity: int
    revenue: Decimal
    cost: Decimal | None
    uncosted_lines: int
    sale_count: int


def _text_array(values: Iterable[str]) -> Any:
    """One array parameter instead of thousands of IN parameters."""
    return bindparam(None, list(values), type_=ARRAY(String))


def _raise_duplicate(exc: IntegrityError) -> None:
    raise integrity_error_to_app_error(exc) from exc


class CategoryRepository(TenantRepository[MenuCategory]):
    model = MenuCategory
    sortable = {"name": "name", "sort_order": "sort_order", "created_at": "created_at"}
    default_sort = "sort_order"
    searchable = ("name", "description")

    async def list(
        self, params: ListParams, *, include_inactive: bool = False
    ) -> tuple[Sequence[MenuCategory], int]:
        stmt = self.base_select()
        if not include_inactive:
            stmt = stmt.where(MenuCategory.is_active.is_(True))
        return await self.paginate(stmt, params)

    async def find_by_name(
        self, name: str, *, excluding: uuid.UUID | None = None
    ) -> MenuCategory | None:
        """A category with this name in any letter case (active or not)."""
        stmt = self.base_select().where(func.lower(MenuCategory.name) == name.lower())
        if excluding is not None:
            stmt = stmt.where(MenuCategory.id != excluding)
        return (await self.session.execute(stmt.limit(1))).scalar_one_or_none()

    async def active_item_counts(self, category_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        """Active items per category, for the given categories."""
        if not category_ids:
            return {}
        stmt = (
            select(MenuItem.category_id, func.count())
            .where(
                MenuItem.business_id == self.business_id,
                MenuItem.category_id.in_(category_ids),
                MenuItem.is_active.is_(True),
            )
            .group_by(MenuItem.category_id)
        )
        rows = await self.session.execute(stmt)
        return {row[0]: int(row[1]) for row in rows if row[0] is not None}

    async def all_refs(self) -> Sequence[CategoryRef]:
        """Every category of the business, oldest first (imports match names against them)."""
        stmt = select(MenuCategory.id, MenuCategory.name, MenuCategory.is_active).where(
            MenuCategory.business_id == self.business_id
        )
        rows = await self.session.execute(stmt.order_by(MenuCategory.created_at, MenuCategory.id))
        return [CategoryRef(id=r.id, name=r.name, is_active=r.is_active) for r in rows]

    async def insert_many(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert categories whose ids the caller chose."""
        if not rows:
            return
        values = [{**row, "business_id": self.business_id} for row in rows]
        try:
            async with self.session.begin_nested():
                await self.session.execute(insert(CATEGORIES), values)
        except IntegrityError as exc:
            _raise_duplicate(exc)

    async def reactivate(self, category_ids: Sequence[uuid.UUID]) -> None:
        if not category_ids:
            return
        stmt = (
            update(MenuCategory)
            .where(MenuCategory.business_id == self.business_id, MenuCategory.id.in_(category_ids))
            .values(is_active=True)
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(stmt)


class ItemRepository(TenantRepository[MenuItem]):
    model = MenuItem
    sortable = {
        "name": "name",
        "price": "price",
        "created_at": "created_at",
        "sku": "sku",
        "stock": "stock",
    }
    default_sort = "name"
    searchable = ("name", "description", "sku", "barcode")
    nulls_last = True  # made-to-order items (no stock) sort after counted ones

    def _with_category_name(self) -> Select[MenuItem, str]:
        return (
            select(MenuItem, MenuCategory.name)
            .outerjoin(
                MenuCategory,
                (MenuCategory.id == MenuItem.category_id)
                & (MenuCategory.business_id == self.business_id),
            )
            .where(MenuItem.business_id == self.business_id)
        )

    async def list(
        self, params: ListParams, filters: ItemFilters
    ) -> tuple[Sequence[tuple[MenuItem, str | None]], int]:
        """A page of items with their category names."""
        stmt = self._with_category_name()
        conditions: list[ColumnElement[bool]] = []
        if filters.is_active is not None:
            conditions.append(MenuItem.is_active.is_(filters.is_active))
        elif not filters.include_inactive:
            conditions.append(MenuItem.is_active.is_(True))
        if filters.category_id is not None:
            conditions.append(MenuItem.category_id == filters.category_id)
        if filters.station is not None:
            conditions.append(MenuItem.station == filters.station)
        if filters.min_price is not None:
            conditions.append(MenuItem.price >= filters.min_price)
        if filters.max_price is not None:
            conditions.append(MenuItem.price <= filters.max_price)
        if filters.in_stock is True:
            conditions.append(or_(MenuItem.stock.is_(None), MenuItem.stock > 0))
        elif filters.in_stock is False:
            conditions.append(MenuItem.stock <= 0)
        page, total = await self.page_statement(stmt.where(*conditions), params)
        rows = (await self.session.execute(page)).all()
        return [(row[0], row[1]) for row in rows], total

    async def get_with_category_name(
        self, item_id: uuid.UUID, *, refresh: bool = False
    ) -> tuple[MenuItem, str | None] | None:
        """The item and its category's name; `refresh` reloads a row changed by plain SQL."""
        stmt = self._with_category_name().where(MenuItem.id == item_id)
        if refresh:
            stmt = stmt.execution_options(populate_existing=True)
        row = (await self.session.execute(stmt)).first()
        return (row[0], row[1]) if row is not None else None

    async def get_for_update(self, item_id: uuid.UUID) -> MenuItem | None:
        """The item, locked until the transaction ends."""
        stmt = (
            self.base_select()
            .where(MenuItem.id == item_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def insert_item(self, values: Mapping[str, Any]) -> None:
        """Insert one item (id chosen by the caller); a taken SKU or barcode raises
        DuplicateEntry naming the field, and leaves the transaction usable for a retry."""
        try:
            async with self.session.begin_nested():
                await self.session.execute(
                    insert(ITEMS).values(**values, business_id=self.business_id)
                )
        except IntegrityError as exc:
            _raise_duplicate(exc)

    async def lock_sku_generation(self) -> None:
        """Serialize SKU generation within the business until this transaction ends.

        A generated SKU follows the highest one committed so far, and a concurrent request's
        uncommitted item is invisible; without the lock, concurrent creates in one category
        would all pick the same next number and collide one after another.
        """
        key = func.hashtextextended(f"tableside.menu.sku:{self.business_id}", 0)
        await self.session.execute(select(func.pg_advisory_xact_lock(key)))

    async def max_sku_numbers(self, prefixes: Iterable[str]) -> dict[str, int]:
        """The highest number of generated-shape SKUs (`PIZ-0042`) per prefix."""
        wanted = sorted(set(prefixes))
        if not wanted:
            return {}
        prefix = func.substring(MenuItem.sku, 1, SKU_PREFIX_LENGTH)
        number = cast(func.substring(MenuItem.sku, SKU_PREFIX_LENGTH + 2), BigInteger)
        stmt = (
            select(prefix, func.max(number))
            .where(
                MenuItem.business_id == self.business_id,
                MenuItem.sku.regexp_match(GENERATED_SKU_PATTERN),
                prefix == any_(_text_array(wanted)),
            )
            .group_by(prefix)
        )
        return {row[0]: int(row[1]) for row in await self.session.execute(stmt)}

    async def barcodes_taken(self, barcodes: Iterable[str]) -> set[str]:
        """Which of these barcodes an item of the business already has."""
        wanted = list(set(barcodes))
        if not wanted:
            return set()
        stmt = select(MenuItem.barcode).where(
            MenuItem.business_id == self.business_id,
            MenuItem.barcode == any_(_text_array(wanted)),
        )
        return set((await self.session.execute(stmt)).scalars())

    async def codes_matching(
        self, skus: Iterable[str], barcodes: Iterable[str]
    ) -> Sequence[ItemCodes]:
        """Existing items holding any of these SKUs or barcodes (one query for an import)."""
        sku_list, barcode_list = list(set(skus)), list(set(barcodes))
        if not sku_list and not barcode_list:
            return []
        stmt = select(MenuItem.id, MenuItem.sku, MenuItem.barcode).where(
            MenuItem.business_id == self.business_id,
            or_(
                MenuItem.sku == any_(_text_array(sku_list)),
                MenuItem.barcode == any_(_text_array(barcode_list)),
            ),
        )
        rows = (await self.session.execute(stmt)).all()
        return [ItemCodes(id=r.id, sku=r.sku, barcode=r.barcode) for r in rows]

    async def insert_many(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert items (ids chosen by the caller, same keys in every row) in batched
        multi-row INSERTs."""
        if not rows:
            return
        values = [{**row, "business_id": self.business_id} for row in rows]
        try:
            async with self.session.begin_nested():
                await self.session.execute(insert(ITEMS), values)
        except IntegrityError as exc:
            _raise_duplicate(exc)

    async def update_many(self, fields: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> None:
        """Set `fields` on many items in one executemany; each row holds `id` and the fields."""
        if not rows:
            return
        stmt = (
            update(ITEMS)
            .where(ITEMS.c.business_id == self.business_id, ITEMS.c.id == bindparam("item_id"))
            .values({field: bindparam(f"new_{field}") for field in fields})
        )
        params = [
            {"item_id": row["id"], **{f"new_{field}": row[field] for field in fields}}
            for row in rows
        ]
        try:
            async with self.session.begin_nested():
                await self.session.execute(stmt, params)
        except IntegrityError as exc:
            _raise_duplicate(exc)

    async def adjust_stock(
        self, item_id: uuid.UUID, delta: int, *, allow_negative: bool
    ) -> int | None:
        """Add `delta` to a counted item's stock in one statement; None when the item is
        missing, not counted, or the result would leave the allowed range.

        The row lock the UPDATE takes serializes concurrent adjustments, and PostgreSQL
        re-checks the WHERE clause against the row as the previous adjustment left it, so no
        two requests can sell the same last unit.
        """
        new_stock = MenuItem.stock + delta
        stmt = update(MenuItem).where(
            MenuItem.business_id == self.business_id,
            MenuItem.id == item_id,
            MenuItem.stock.is_not(None),
            new_stock <= MAX_STOCK,
        )
        if not allow_negative:
            stmt = stmt.where(new_stock >= 0)
        else:
            stmt = stmt.where(new_stock >= -MAX_STOCK)
        stmt = (
            stmt.values(stock=new_stock)
            .returning(MenuItem.stock)
            .execution_options(synchronize_session=False)
        )
        result: int | None = (await self.session.execute(stmt)).scalar_one_or_none()
        return result


class ItemSalesRepository:
    """Completed sales of one item, by business day."""

    def __init__(self, session: Any, business_id: uuid.UUID) -> None:
        self.session = session
        self.business_id = business_id

    async def daily(self, item_id: uuid.UUID, first: date, last: date) -> Sequence[DaySales]:
        """Per business day in [first, last]: units, net revenue, cost of the lines that
        recorded one, lines that did not, and distinct sales."""
        line_cost = SaleLine.unit_cost * SaleLine.quantity
        stmt = (
            select(
                Sale.business_date,
                func.sum(SaleLine.quantity),
                func.sum(SaleLine.net_amount),
                func.sum(line_cost),
                func.count() - func.count(SaleLine.unit_cost),
                func.count(func.distinct(Sale.id)),
            )
            .join(Sale, (Sale.id == SaleLine.sale_id) & (Sale.business_id == self.business_id))
            .where(
                SaleLine.business_id == self.business_id,
                SaleLine.menu_item_id == item_id,
                Sale.status == SaleStatus.completed,
                Sale.business_date >= first,
                Sale.business_date <= last,
            )
            .group_by(Sale.business_date)
        )
        return [
            DaySales(
                day=row[0],
                quantity=int(row[1]),
                revenue=row[2],
                cost=row[3],
                uncosted_lines=int(row[4]),
                sale_count=int(row[5]),
            )
            for row in await self.session.execute(stmt)
        ]

    async def last_sold_at(self, item_id: uuid.UUID) -> datetime | None:
        """When the item was last part of a completed sale."""
        stmt = (
            select(func.max(Sale.sold_at))
            .join(
                SaleLine, (SaleLine.sale_id == Sale.id) & (SaleLine.business_id == Sale.business_id)
            )
            .where(
                Sale.business_id == self.business_id,
                SaleLine.menu_item_id == item_id,
                Sale.status == SaleStatus.completed,
            )
        )
        result: datetime | None = (await self.session.execute(stmt)).scalar_one()
        return result

"""SQL of the ledger's read side. Aggregates read the rollups, never `sales_ledger`; only the
raw-lines listing reads the ledger itself. Every statement is scoped to one business."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import BigInteger, Date, DateTime, Integer, Select, cast, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from tableside.db.binary_copy import ColumnKind, copy_columns
from tableside.ledger.schemas import Granularity, GroupBy, HistoricalMetric, TopItemsOrder
from tableside.models import (
    NO_KEY,
    Business,
    DailyItemRollup,
    DailySignal,
    HourlyRollup,
    LedgerLine,
    Location,
    MenuCategory,
    MenuItem,
    SaleSource,
)
from tableside.models.ledger import counted_revenue, daily_items_table

HOURLY_GROUPS = frozenset({GroupBy.hour_of_day, GroupBy.day_of_week, GroupBy.location})
DAILY_GROUPS = frozenset({GroupBy.category, GroupBy.item})


@dataclass(frozen=True)
class RangeFilter:
    """Business dates [date_from, date_to] and, optionally, one location."""

    date_from: date
    date_to: date
    location_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Totals:
    revenue: Decimal
    quantity: Decimal
    transactions: int
    covers: int
    # The revenue of the location-days whose sales were counted (`counted_revenue`): what an
    # average ticket divides by `transactions`.
    counted_revenue: Decimal


@dataclass(frozen=True)
class LedgerFilter:
    """Filters of the raw-lines listing. `sold_after`/`sold_before` bound `sold_at` loosely
    around the business dates so the (business_id, sold_at, id) index narrows the scan; the
    business-date test is the exact one."""

    date_from: date | None = None
    date_to: date | None = None
    sold_after: datetime | None = None
    sold_before: datetime | None = None
    location_id: uuid.UUID | None = None
    menu_item_id: uuid.UUID | None = None
    source: SaleSource | None = None


def _bucket(column: Any, granularity: Granularity) -> ColumnElement[Any]:
    """The period start of a business date: itself, its ISO week's Monday or its month's 1st.
    The date is cast to a timestamp without zone so the session time zone plays no part."""
    if granularity is Granularity.day:
        return column
    unit = "week" if granularity is Granularity.week else "month"
    return cast(func.date_trunc(unit, cast(column, DateTime(timezone=False))), Date)


def _exact(column: Any) -> ColumnElement[int]:
    """sum(column) of an integer column as a bigint (PostgreSQL sums bigints as numerics)."""
    return cast(func.sum(column), BigInteger)


def _merge_no_item_rows(columns: list[np.ndarray[Any, Any]]) -> list[np.ndarray[Any, Any]]:
    """Rows of (period, item key, values...) with the `NO_KEY` rows of a period summed into
    one: the rollups keep a row per category for the lines without an item."""
    periods, groups, *values = columns
    no_item = groups == np.void(NO_KEY.bytes)
    rows = np.flatnonzero(no_item)
    days, slot = np.unique(periods[rows], return_inverse=True)
    if len(days) == len(rows):
        return columns
    keep = ~no_item
    merged = [
        np.concatenate([periods[keep], days]),
        np.concatenate([groups[keep], np.full(len(days), np.void(NO_KEY.bytes), groups.dtype)]),
    ]
    for column in values:
        sums = np.zeros(len(days), column.dtype)
        np.add.at(sums, slot, column[rows])
        merged.append(np.concatenate([column[keep], sums]))
    return merged


@dataclass(frozen=True)
class SeriesColumns:
    """A series query's rows column by column as numpy arrays, aligned: each (period, group)
    at most once. `periods` are dates (datetime64[D]) or, for hours, UTC instants
    (datetime64[us]); `groups` are UUID bytes (V16: locations, items, categories, with
    `NO_KEY` for none) or integers (hour of day, ISO weekday), None when the series is not
    grouped. Money in cents and quantities in thousandths, as exact int64; `covers` is None
    when the source keeps no covers (items)."""

    periods: np.ndarray[Any, Any]
    groups: np.ndarray[Any, Any] | None
    cents: np.ndarray[Any, np.dtype[np.int64]]
    thousandths: np.ndarray[Any, np.dtype[np.int64]]
    transactions: np.ndarray[Any, np.dtype[np.int64]]
    covers: np.ndarray[Any, np.dtype[np.int64]] | None


class LedgerQueryRepository:
    def __init__(self, session: AsyncSession, business_id: uuid.UUID) -> None:
        self.session = session
        self.business_id = business_id

    # --- lookups ------------------------------------------------------------------------

    async def business(self) -> Any:
        """The business's zone, day cutoff and currency."""
        stmt = select(Business.timezone, Business.day_cutoff_hour, Business.currency).where(
            Business.id == self.business_id
        )
        return (await self.session.execute(stmt)).one()

    async def location(self, location_id: uuid.UUID) -> Any:
        """A location of this business (active or not) with its own zone, if any."""
        stmt = select(Location.id, Location.timezone).where(
            Location.business_id == self.business_id, Location.id == location_id
        )
        return (await self.session.execute(stmt)).first()

    async def menu_item_exists(self, item_id: uuid.UUID) -> bool:
        stmt = select(MenuItem.id).where(
            MenuItem.business_id == self.business_id, MenuItem.id == item_id
        )
        return (await self.session.execute(stmt)).first() is not None

    async def category_exists(self, category_id: uuid.UUID) -> bool:
        stmt = select(MenuCategory.id).where(
            MenuCategory.business_id == self.business_id, MenuCategory.id == category_id
        )
        return (await self.session.execute(stmt)).first() is not None

    async def names(self, group_by: GroupBy, keys: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
        """Current names of categories, menu items or locations (deactivated ones included)."""
        wanted = [key for key in keys if key is not None]
        if not wanted:
            return {}
        model: Any = {
            GroupBy.category: MenuCategory,
            GroupBy.item: MenuItem,
            GroupBy.location: Location,
        }[group_by]
        stmt = select(model.id, model.name).where(
            model.business_id == self.business_id, model.id.in_(wanted)
        )
        return {row.id: row.name for row in await self.session.execute(stmt)}

    async def items_with_categories(self, item_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Any]:
        """Name, SKU and current category of menu items."""
        if not item_ids:
            return {}
        stmt = (
            select(
                MenuItem.id,
                MenuItem.name,
                MenuItem.sku,
                MenuItem.category_id,
                MenuCategory.name.label("category_name"),
            )
            .outerjoin(MenuCategory, MenuCategory.id == MenuItem.category_id)
            .where(MenuItem.business_id == self.business_id, MenuItem.id.in_(item_ids))
        )
        return {row.id: row for row in await self.session.execute(stmt)}

    # --- rollup reads -------------------------------------------------------------------

    def _hourly_where(self, where: RangeFilter) -> list[ColumnElement[bool]]:
        clauses = [
            HourlyRollup.business_id == self.business_id,
            HourlyRollup.business_date >= where.date_from,
            HourlyRollup.business_date <= where.date_to,
        ]
        if where.location_id is not None:
            clauses.append(HourlyRollup.location_key == where.location_id)
        return clauses

    def _daily_where(self, where: RangeFilter) -> list[ColumnElement[bool]]:
        table = daily_items_table(where.location_id)
        clauses = [
            table.business_id == self.business_id,
            table.business_date >= where.date_from,
            table.business_date <= where.date_to,
        ]
        if where.location_id is not None:
            clauses.append(DailyItemRollup.location_key == where.location_id)
        return clauses

    async def totals(self, where: RangeFilter) -> Totals:
        """Revenue, units, sales and covers over the range (hourly rollups)."""
        days = (
            select(
                func.sum(HourlyRollup.net_amount).label("revenue"),
                func.sum(HourlyRollup.quantity).label("quantity"),
                func.sum(HourlyRollup.transactions).label("transactions"),
                func.sum(HourlyRollup.covers).label("covers"),
            )
            .where(*self._hourly_where(where))
            .group_by(HourlyRollup.business_date, HourlyRollup.location_key)
            .subquery()
        )
        stmt = select(
            func.coalesce(func.sum(days.c.revenue), 0),
            func.coalesce(func.sum(days.c.quantity), 0),
            func.coalesce(func.sum(days.c.transactions), 0),
            func.coalesce(func.sum(days.c.covers), 0),
            counted_revenue(days.c.revenue, days.c.transactions),
        )
        revenue, quantity, transactions, covers, counted = (await self.session.execute(stmt)).one()
        return Totals(
            Decimal(revenue), Decimal(quantity), int(transactions), int(covers), Decimal(counted)
        )

    async def hourly_series(
        self, where: RangeFilter, granularity: Granularity, group_by: GroupBy | None
    ) -> SeriesColumns:
        """Sums per period (and group) from the hourly rollups; the period is `hour_start`
        for hours, else a date. Money and quantities come as exact integers (the rollups
        keep 2 and 3 decimals)."""
        period: Any
        if granularity is Granularity.hour:
            period, period_kind = HourlyRollup.hour_start, ColumnKind.timestamptz
        else:
            period, period_kind = _bucket(HourlyRollup.business_date, granularity), ColumnKind.date
        group: Any = None
        if group_by is GroupBy.location:
            group, group_kind = HourlyRollup.location_key, ColumnKind.uuid
        elif group_by is GroupBy.hour_of_day:
            group, group_kind = cast(HourlyRollup.local_hour, Integer), ColumnKind.int4
        elif group_by is GroupBy.day_of_week:
            group = cast(func.extract("isodow", HourlyRollup.business_date), Integer)
            group_kind = ColumnKind.int4
        keys, kinds = (
            ([period], [period_kind])
            if group is None
            else ([period, group], [period_kind, group_kind])
        )
        stmt = (
            select(
                *keys,
                _exact(HourlyRollup.net_cents),
                _exact(HourlyRollup.quantity_thousandths),
                _exact(HourlyRollup.transactions),
                _exact(HourlyRollup.covers),
            )
            .where(*self._hourly_where(where))
            .group_by(*keys)
        )
        columns = await copy_columns(self.session, stmt, [*kinds, *[ColumnKind.int8] * 4])
        groups = columns.pop(1) if group is not None else None
        periods, cents, thousandths, transactions, covers = columns
        return SeriesColumns(periods, groups, cents, thousandths, transactions, covers)

    async def daily_series(
        self, where: RangeFilter, granularity: Granularity, group_by: GroupBy
    ) -> SeriesColumns:
        """Sums per period and item or category from the daily item rollups (no covers:
        they belong to sales, not to items). Lines of no category count under `NO_KEY`."""
        table = daily_items_table(where.location_id)
        group: Any = (
            table.item_key if group_by is GroupBy.item else func.coalesce(table.category_id, NO_KEY)
        )
        stmt: Select[Any]
        if granularity is Granularity.day and group_by is GroupBy.item:
            # One rollup row per date and item already (per location when filtered by one),
            # but for the lines without an item, kept per category: read the values as they
            # are, without grouping 73,000 one-row groups, and add those few up after.
            stmt = select(
                table.business_date,
                group,
                table.net_cents,
                table.quantity_thousandths,
                table.line_count,
            ).where(*self._daily_where(where))
        else:
            period = _bucket(table.business_date, granularity)
            stmt = (
                select(
                    period,
                    group,
                    _exact(table.net_cents),
                    _exact(table.quantity_thousandths),
                    _exact(table.line_count),
                )
                .where(*self._daily_where(where))
                .group_by(period, group)
            )
        kinds = [ColumnKind.date, ColumnKind.uuid, *[ColumnKind.int8] * 3]
        columns = await copy_columns(self.session, stmt, kinds)
        if granularity is Granularity.day and group_by is GroupBy.item:
            columns = _merge_no_item_rows(columns)
        periods, groups, cents, thousandths, transactions = columns
        return SeriesColumns(periods, groups, cents, thousandths, transactions, None)

    async def top_items(
        self, where: RangeFilter, order_by: TopItemsOrder, limit: int
    ) -> Sequence[Any]:
        """The best items by revenue or units (ties: the other measure, then the id)."""
        table = daily_items_table(where.location_id)
        revenue = func.sum(table.net_amount)
        quantity = func.sum(table.quantity)
        ordering = (
            [revenue.desc(), quantity.desc()]
            if order_by is TopItemsOrder.revenue
            else [quantity.desc(), revenue.desc()]
        )
        stmt = (
            select(
                table.item_key,
                quantity.label("quantity"),
                revenue.label("revenue"),
                func.sum(table.cost).label("cost"),
                func.sum(table.line_count).label("transactions"),
            )
            .where(*self._daily_where(where), table.item_key != NO_KEY)
            .group_by(table.item_key)
            .order_by(*ordering, table.item_key)
            .limit(limit)
        )
        return (await self.session.execute(stmt)).all()

    async def daily_values(
        self,
        where: RangeFilter,
        metric: HistoricalMetric,
        *,
        menu_item_id: uuid.UUID | None = None,
        category_id: uuid.UUID | None = None,
    ) -> dict[date, Decimal | int]:
        """One metric per business date that has rollup rows: from the daily item rollups
        for an item or a category (transactions = lines sold), else the hourly rollups."""
        if menu_item_id is None and category_id is None:
            column: Any = {
                HistoricalMetric.revenue: HourlyRollup.net_amount,
                HistoricalMetric.quantity: HourlyRollup.quantity,
                HistoricalMetric.transactions: HourlyRollup.transactions,
                HistoricalMetric.covers: HourlyRollup.covers,
            }[metric]
            stmt = (
                select(HourlyRollup.business_date, func.sum(column))
                .where(*self._hourly_where(where))
                .group_by(HourlyRollup.business_date)
            )
        else:
            table = daily_items_table(where.location_id)
            column = {
                HistoricalMetric.revenue: table.net_amount,
                HistoricalMetric.quantity: table.quantity,
                HistoricalMetric.transactions: table.line_count,
            }[metric]
            clauses = self._daily_where(where)
            if menu_item_id is not None:
                clauses.append(table.item_key == menu_item_id)
            if category_id is not None:
                clauses.append(table.category_id == category_id)
            stmt = (
                select(table.business_date, func.sum(column))
                .where(*clauses)
                .group_by(table.business_date)
            )
        return {day: value for day, value in await self.session.execute(stmt)}

    async def daily_signals(self, where: RangeFilter) -> dict[date, tuple[Decimal | None, bool]]:
        """Marketing spend (summed over locations) and holiday flag (any location) per date,
        as daily imports gave them."""
        clauses = [
            DailySignal.business_id == self.business_id,
            DailySignal.business_date >= where.date_from,
            DailySignal.business_date <= where.date_to,
        ]
        if where.location_id is not None:
            clauses.append(DailySignal.location_key == where.location_id)
        stmt = (
            select(
                DailySignal.business_date,
                func.sum(DailySignal.marketing_spend),
                func.bool_or(DailySignal.is_holiday),
            )
            .where(*clauses)
            .group_by(DailySignal.business_date)
        )
        return {day: (spend, holiday) for day, spend, holiday in await self.session.execute(stmt)}

    # --- raw lines ----------------------------------------------------------------------

    async def ledger_page(
        self, where: LedgerFilter, after: tuple[datetime, int] | None, limit: int
    ) -> Sequence[Any]:
        """Up to `limit` lines, newest first by (sold_at, id), strictly older than `after`."""
        table = LedgerLine.__table__
        stmt = select(*(c for c in table.c if c.name != "business_id")).where(
            table.c.business_id == self.business_id
        )
        if where.date_from is not None:
            stmt = stmt.where(table.c.business_date >= where.date_from)
        if where.date_to is not None:
            stmt = stmt.where(table.c.business_date <= where.date_to)
        if where.sold_after is not None:
            stmt = stmt.where(table.c.sold_at >= where.sold_after)
        if where.sold_before is not None:
            stmt = stmt.where(table.c.sold_at < where.sold_before)
        if where.location_id is not None:
            stmt = stmt.where(table.c.location_id == where.location_id)
        if where.menu_item_id is not None:
            stmt = stmt.where(table.c.menu_item_id == where.menu_item_id)
        if where.source is not None:
            stmt = stmt.where(table.c.source == where.source)
        if after is not None:
            stmt = stmt.where(tuple_(table.c.sold_at, table.c.id) < tuple_(*after))
        stmt = stmt.order_by(table.c.sold_at.desc(), table.c.id.desc()).limit(limit)
        return (await self.session.execute(stmt)).all()

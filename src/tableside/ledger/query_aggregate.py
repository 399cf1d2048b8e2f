"""GET /sales/aggregate: totals and a zero-filled time series, per period and group.

A year by day and item is 73,000 points (12 MB of JSON), so this path is built for volume:
the series queries arrive as numpy columns of exact integers (cents, thousandths of a unit),
are scattered into zero-filled grids in one step, and the points are written as JSON text
column by column (`series_json`), never as a dict per point. The response is that text, not
re-validated against `SalesAggregate` (whose shape tests check). Totals stay exact decimals
until they are written.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from tableside.auth.dependencies import Principal
from tableside.kit.arrays import factorize
from tableside.kit.money import round_money
from tableside.ledger import query_periods as periods
from tableside.ledger.queries import invalid, resolve_scope
from tableside.ledger.query_repository import (
    DAILY_GROUPS,
    LedgerQueryRepository,
    SeriesColumns,
)
from tableside.ledger.schemas import Granularity, GroupBy
from tableside.ledger.series_json import IntGrid, points_json
from tableside.models import NO_KEY

UNASSIGNED_NAMES = {
    GroupBy.category: "Uncategorized",
    GroupBy.item: "No item",
    GroupBy.location: "No location",
}


def check_combination(granularity: Granularity, group_by: GroupBy | None) -> None:
    """Refuse what the rollups cannot answer (items and categories per hour) and groupings
    that would only repeat the period (each hour has one hour of day, each day one weekday)."""
    if granularity is Granularity.hour and group_by in DAILY_GROUPS:
        raise invalid(
            "group_by",
            f"hourly figures per {group_by} are not kept (the rollups hold items per day): "
            "use granularity day, week or month, or group_by hour_of_day for the hourly "
            "profile",
        )
    if granularity is Granularity.hour and group_by in {GroupBy.hour_of_day, GroupBy.day_of_week}:
        raise invalid(
            "group_by", f"every hour has a single {group_by}: use granularity day, week or month"
        )
    if granularity is Granularity.day and group_by is GroupBy.day_of_week:
        raise invalid(
            "group_by", "every day has a single day_of_week: use granularity week or month"
        )


@dataclass
class _Group:
    raw: Any  # the key as the query returns it (NO_KEY or None for "none")
    label: dict[str, Any] | None  # {"key", "name"} as the API shows it; None when ungrouped


async def _groups(
    repository: LedgerQueryRepository, group_by: GroupBy, raw_keys: set[Any]
) -> list[_Group]:
    """The groups that have data, with their names, in a stable order: hours and weekdays
    by number, the others by name (unnamed and "none" last)."""
    if group_by is GroupBy.hour_of_day:
        return [_Group(k, {"key": k, "name": periods.hour_label(k)}) for k in sorted(raw_keys)]
    if group_by is GroupBy.day_of_week:
        return [_Group(k, {"key": k, "name": periods.day_name(k)}) for k in sorted(raw_keys)]
    ids = {k for k in raw_keys if k is not None and k != NO_KEY}
    names = await repository.names(group_by, ids)

    def order(key: Any) -> tuple[bool, bool, str, str]:
        name = names.get(key)
        return (key not in ids, name is None, name or "", str(key))

    return [
        _Group(k, {"key": str(k), "name": names.get(k)})
        if k in ids
        else _Group(k, {"key": None, "name": UNASSIGNED_NAMES[group_by]})
        for k in sorted(raw_keys, key=order)
    ]


def _money(cents: int) -> float:
    """Exact cents as the JSON number `DecimalNumber` gives the same amount (true division
    of integers rounds once, to the nearest double, as float(Decimal) does)."""
    return cents / 100


def _units(thousandths: int) -> float:
    return thousandths / 1000


def _number(value: Decimal) -> float:
    return float(value)


async def aggregate(
    session: AsyncSession,
    principal: Principal,
    *,
    date_from: date | None,
    date_to: date | None,
    granularity: Granularity,
    group_by: GroupBy | None,
    location_id: uuid.UUID | None,
) -> bytes:
    """Totals and a zero-filled series per period (and group) over business dates, as the
    JSON text of a `SalesAggregate`."""
    check_combination(granularity, group_by)
    scope = await resolve_scope(session, principal, date_from, date_to, location_id)
    repository, where = scope.repository, scope.where
    totals = await repository.totals(where)
    by_item = group_by in DAILY_GROUPS
    if by_item:
        assert group_by is not None
        columns = await repository.daily_series(where, granularity, group_by)
    else:
        columns = await repository.hourly_series(where, granularity, group_by)

    timeline: np.ndarray[Any, Any]  # the periods in order, as the rows hold them
    if granularity is Granularity.hour:
        generated = periods.utc_instants(
            periods.hour_periods(where.date_from, where.date_to, scope.timezone, scope.cutoff_hour)
        )
        # Hours that hold data but were not generated (a location keeping its own time zone
        # starts its hours elsewhere) are periods too.
        timeline = np.union1d(generated, columns.periods)
        labels = periods.iso_instants(timeline)
    else:
        dates = periods.date_periods(where.date_from, where.date_to, granularity)
        timeline = np.array(dates, dtype="datetime64[D]")
        labels = [day.isoformat() for day in dates]

    if group_by is None or columns.groups is None:
        groups = [_Group(None, None)]
        group_index = None
    else:
        keys, codes = factorize(columns.groups)
        raw_keys = [_raw_key(key) for key in keys.tolist()]
        groups = await _groups(repository, group_by, set(raw_keys))
        position = {group.raw: index for index, group in enumerate(groups)}
        group_index = np.array([position[key] for key in raw_keys], np.int64)[codes]
    grids = _grids(timeline, len(groups), group_index, columns)
    group_totals = (
        None
        if group_by is None
        else [
            {
                **(group.label or {}),
                "revenue": _money(cents),
                "transactions": transactions,
                "items_sold": _units(thousandths),
                "covers": None if by_item else covers,
            }
            for group, cents, transactions, thousandths, covers in zip(
                groups, *grids.group_sums(len(timeline)), strict=True
            )
        ]
    )
    points = points_json(
        labels,
        [group.label for group in groups],
        grids.cents,
        grids.transactions,
        grids.thousandths,
        grids.covers,
    )

    average = (
        _number(round_money(totals.counted_revenue / totals.transactions, scope.currency))
        if totals.transactions > 0
        else None
    )
    head = orjson.dumps(
        {
            "date_from": where.date_from.isoformat(),
            "date_to": where.date_to.isoformat(),
            "granularity": granularity.value,
            "group_by": group_by.value if group_by else None,
            "location_id": str(location_id) if location_id else None,
            "currency": scope.currency,
            "total_revenue": _number(totals.revenue),
            "transaction_count": totals.transactions,
            "items_sold": _number(totals.quantity),
            "average_transaction_value": average,
            "covers": totals.covers,
            "groups": group_totals,
        }
    )
    # The points are JSON text already: spliced in, not parsed and serialized again.
    return b"".join((head[:-1], b',"time_series":', *points, b"}"))


def _raw_key(key: Any) -> Any:
    """A group key as `_groups` takes it: a UUID from its 16 bytes, an hour or weekday as is."""
    return uuid.UUID(bytes=key) if isinstance(key, bytes) else key


@dataclass
class _Grids:
    """One value per (period, group) point, period-major, zero where no row holds it."""

    cents: IntGrid
    transactions: IntGrid
    thousandths: IntGrid
    covers: IntGrid | None

    def group_sums(self, period_count: int) -> list[list[int] | list[None]]:
        """Per measure (cents, transactions, thousandths, covers), each group's sum over the
        periods; covers None per group when the series keeps none."""

        def sums(cells: IntGrid) -> list[int]:
            result: list[int] = cells.reshape(period_count, -1).sum(axis=0).tolist()
            return result

        width = len(self.cents) // period_count if period_count else 0
        no_covers: list[None] = [None] * width
        return [
            sums(self.cents),
            sums(self.transactions),
            sums(self.thousandths),
            sums(self.covers) if self.covers is not None else no_covers,
        ]


def _grids(
    timeline: np.ndarray[Any, Any],
    width: int,
    group_index: np.ndarray[Any, np.dtype[np.int64]] | None,
    columns: SeriesColumns,
) -> _Grids:
    """Scatter the rows into zeroed integer grids of every (period, group) point in one
    vectorized step; the grids hold the exact integers (cents, thousandths)."""
    size = len(timeline) * width
    period_index = np.searchsorted(timeline, columns.periods)
    if len(columns.periods) and (
        period_index.max() >= len(timeline) or (timeline[period_index] != columns.periods).any()
    ):
        raise RuntimeError("a series row falls outside the periods of the range")
    slots = period_index * width
    if group_index is not None:
        slots += group_index

    def grid(values: IntGrid) -> IntGrid:
        cells = np.zeros(size, np.int64)
        cells[slots] = values
        return cells

    return _Grids(
        grid(columns.cents),
        grid(columns.transactions),
        grid(columns.thousandths),
        grid(columns.covers) if columns.covers is not None else None,
    )

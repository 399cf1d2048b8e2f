"""GET /sales/aggregate: totals and a zero-filled time series, per period and group.

A year by day and item is 73,000 points (12 MB of JSON), so this path is built for volume:
the series queries return exact integers (cents, thousandths of a unit), the points are
plain dicts turned into JSON numbers exactly as `DecimalNumber` would (the nearest double of
the exact decimal), and the router serializes them in one pass without re-validating them
against `SalesAggregate` (whose shape tests check). Totals stay exact decimals until then.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import repeat
from typing import Any

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from tableside.auth.dependencies import Principal
from tableside.kit.memory import paused_gc
from tableside.kit.money import round_money
from tableside.ledger import query_periods as periods
from tableside.ledger.queries import invalid, resolve_scope
from tableside.ledger.query_repository import (
    DAILY_GROUPS,
    LedgerQueryRepository,
    SeriesColumns,
)
from tableside.ledger.schemas import Granularity, GroupBy
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
) -> dict[str, Any]:
    """Totals and a zero-filled series per period (and group) over business dates, as a
    JSON-ready dict in the shape of `SalesAggregate`."""
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

    timeline: list[tuple[Any, str]]  # (period as the rows hold it, its label)
    if granularity is Granularity.hour:
        generated = periods.hour_periods(
            where.date_from, where.date_to, scope.timezone, scope.cutoff_hour
        )
        hours = periods.merge_hours(generated, columns.periods)
        timeline = list(zip(hours, periods.iso_instants(hours), strict=True))
    else:
        dates = periods.date_periods(where.date_from, where.date_to, granularity)
        timeline = [(day, day.isoformat()) for day in dates]

    if group_by is None or columns.groups is None:
        groups = [_Group(None, None)]
        group_of: dict[Any, int] | None = None
    else:
        groups = await _groups(repository, group_by, set(columns.groups))
        group_of = {group.raw: index for index, group in enumerate(groups)}
    with paused_gc():
        time_series, sums = _series(timeline, groups, group_of, columns)
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
            for group, (cents, transactions, thousandths, covers) in zip(groups, sums, strict=True)
        ]
    )

    average = (
        _number(round_money(totals.revenue / totals.transactions, scope.currency))
        if totals.transactions > 0
        else None
    )
    return {
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
        "time_series": time_series,
        "groups": group_totals,
    }


def _series(
    timeline: list[tuple[Any, str]],
    groups: list[_Group],
    group_of: dict[Any, int] | None,
    columns: SeriesColumns,
) -> tuple[list[dict[str, Any]], list[list[int]]]:
    """Every (period, group) point in order, period by period, zero where no row holds it,
    and each group's sums (cents, transactions, thousandths, covers).

    Written for volume (a year by day and item is 73,000 points): the rows are scattered
    into zeroed integer grids in one vectorized step, the grids summed per group, and one
    comprehension builds the points. Grids hold exact integers; dividing them in float64
    gives the same nearest double as Python's int / int for any amount under 2**53 cents."""
    width = len(groups)
    size = len(timeline) * width
    count = len(columns.periods)
    start_of = {period: index * width for index, (period, _) in enumerate(timeline)}
    slots = np.fromiter(map(start_of.__getitem__, columns.periods), np.int64, count)
    if group_of is not None and columns.groups is not None:
        slots += np.fromiter(map(group_of.__getitem__, columns.groups), np.int64, count)

    def grid(values: list[int]) -> np.ndarray[Any, np.dtype[np.int64]]:
        cells = np.zeros(size, np.int64)
        cells[slots] = np.fromiter(values, np.int64, count)
        return cells

    cents = grid(columns.cents)
    thousandths = grid(columns.thousandths)
    transactions = grid(columns.transactions)
    covers = grid(columns.covers) if columns.covers is not None else None

    def per_group(cells: np.ndarray[Any, np.dtype[np.int64]] | None) -> list[int]:
        if cells is None:
            return [0] * width
        sums: list[int] = cells.reshape(len(timeline), width).sum(axis=0).tolist()
        return sums

    totals = [
        list(group_sums)
        for group_sums in zip(
            per_group(cents),
            per_group(transactions),
            per_group(thousandths),
            per_group(covers),
            strict=True,
        )
    ]
    labels = [label for _, label in timeline for _ in range(width)]
    group_labels = [group.label for group in groups] * len(timeline)
    # Items have no covers: null on every point; other groupings count 0 where no sale was.
    covers_of: Iterable[int | None] = covers.tolist() if covers is not None else repeat(None)
    points = [
        {
            "period_start": label,
            "revenue": revenue,
            "transactions": count_of_sales,
            "items_sold": units,
            "covers": guests,
            "group": group,
        }
        for label, revenue, count_of_sales, units, guests, group in zip(
            labels,
            (cents / 100).tolist(),
            transactions.tolist(),
            (thousandths / 1000).tolist(),
            covers_of,
            group_labels,
            strict=False,
        )
    ]
    return points, totals

"""The ledger's read side: top items, the historical daily series and the raw lines (the
aggregate endpoint lives in `query_aggregate`), all in the business's own calendar.

Everything but the raw lines reads the rollups only: item and category figures the daily
item rollups, everything else (totals, sales, covers, hours, locations) the hourly rollups.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tableside.auth.dependencies import Principal
from tableside.errors import ValidationFailed
from tableside.kit.business_time import business_date
from tableside.kit.pagination import page_length
from tableside.kit.schemas import utcnow
from tableside.ledger import query_periods as periods
from tableside.ledger.lines import sold_since, sold_until
from tableside.ledger.query_cursor import decode_cursor, encode_cursor
from tableside.ledger.query_repository import (
    LedgerFilter,
    LedgerQueryRepository,
    RangeFilter,
)
from tableside.ledger.schemas import (
    HistoricalMetric,
    HistoricalPage,
    LedgerCursorPage,
    LedgerLineOut,
    TopItems,
    TopItemsOrder,
)
from tableside.models import SaleSource

ZERO = Decimal(0)
FOUR_PLACES = Decimal("0.0001")
HUNDREDTH = Decimal("0.01")
LEDGER_PAGE_SIZE = 100  # lines per page of the raw ledger when none is asked for
HISTORICAL_PAGE_SIZE = 100  # days per page of the historical series when none is asked for


def invalid(field: str, message: str) -> ValidationFailed:
    """A 422 naming the query parameter at fault."""
    return ValidationFailed(details=[{"field": field, "message": message}])


@dataclass(frozen=True)
class Scope:
    """What a query needs of the business: its calendar, currency and the date range."""

    repository: LedgerQueryRepository
    timezone: str
    cutoff_hour: int
    currency: str
    where: RangeFilter


async def resolve_scope(
    session: AsyncSession,
    principal: Principal,
    date_from: date | None,
    date_to: date | None,
    location_id: uuid.UUID | None,
) -> Scope:
    """Check the location (422 when not this business's), resolve the range (422 when
    inverted or longer than 3 years) in the location's zone if it keeps one."""
    repository = LedgerQueryRepository(session, principal.business_id)
    business = await repository.business()
    timezone = business.timezone
    if location_id is not None:
        location = await repository.location(location_id)
        if location is None:
            raise invalid("location_id", "no such location in this business")
        timezone = location.timezone or timezone
    today = business_date(utcnow(), timezone, business.day_cutoff_hour)
    try:
        first, last = periods.resolve_range(date_from, date_to, today)
    except periods.RangeError as exc:
        raise invalid(exc.field, exc.message) from exc
    return Scope(
        repository,
        timezone,
        business.day_cutoff_hour,
        business.currency,
        RangeFilter(first, last, location_id),
    )


# --- top items -------------------------------------------------------------------------------


async def top_items(
    session: AsyncSession,
    principal: Principal,
    *,
    date_from: date | None,
    date_to: date | None,
    location_id: uuid.UUID | None,
    limit: int,
    order_by: TopItemsOrder,
) -> TopItems:
    """The best-selling items by revenue or units, with their share of all revenue; items
    equal on both measures share a rank."""
    scope = await resolve_scope(session, principal, date_from, date_to, location_id)
    repository, where = scope.repository, scope.where
    rows = await repository.top_items(where, order_by, limit)
    total = (await repository.totals(where)).revenue
    details = await repository.items_with_categories([row.item_key for row in rows])
    items = []
    rank, tie = 0, None
    for position, row in enumerate(rows, start=1):
        # Items equal on both measures share a rank (1, 2, 2, 4): the order between them is
        # only that of their ids, and a rank must not say one sold better.
        if (row.revenue, row.quantity) != tie:
            rank, tie = position, (row.revenue, row.quantity)
        item = details.get(row.item_key)
        share = (
            (row.revenue * 100 / total).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)
            if total
            else None
        )
        items.append(
            {
                "rank": rank,
                "menu_item_id": row.item_key,
                "name": item.name if item else None,
                "sku": item.sku if item else None,
                "category_id": item.category_id if item else None,
                "category": item.category_name if item else None,
                "quantity": row.quantity,
                "revenue": row.revenue,
                "cost": row.cost,
                "transactions": int(row.transactions),
                "revenue_share_percent": share,
            }
        )
    return TopItems.model_validate(
        {
            "date_from": where.date_from,
            "date_to": where.date_to,
            "location_id": location_id,
            "order_by": order_by,
            "currency": scope.currency,
            "total_revenue": total,
            "items": items,
        }
    )


# --- historical ------------------------------------------------------------------------------


async def historical(
    session: AsyncSession,
    principal: Principal,
    *,
    date_from: date | None,
    date_to: date | None,
    location_id: uuid.UUID | None,
    menu_item_id: uuid.UUID | None,
    category_id: uuid.UUID | None,
    metric: HistoricalMetric,
    page: int,
    page_size: int | None,
    limit: int | None = None,
) -> HistoricalPage:
    """One metric per business date, zero-filled, a page of it and a summary of all of it.
    The page length is `page_size` (API.md's name) or `limit` (SFS's), 100 by default."""
    page_size = page_length(page_size, limit, HISTORICAL_PAGE_SIZE)
    if menu_item_id is not None and category_id is not None:
        raise invalid("category_id", "give menu_item_id or category_id, not both")
    if metric is HistoricalMetric.covers and (menu_item_id or category_id):
        raise invalid("metric", "covers belong to a sale, not to an item or a category")
    scope = await resolve_scope(session, principal, date_from, date_to, location_id)
    repository, where = scope.repository, scope.where
    if menu_item_id is not None and not await repository.menu_item_exists(menu_item_id):
        raise invalid("menu_item_id", "no such menu item in this business")
    if category_id is not None and not await repository.category_exists(category_id):
        raise invalid("category_id", "no such category in this business")
    found = await repository.daily_values(
        where, metric, menu_item_id=menu_item_id, category_id=category_id
    )
    signals = await repository.daily_signals(where)
    counted = metric in {HistoricalMetric.transactions, HistoricalMetric.covers}
    all_days = periods.days(where.date_from, where.date_to)
    values: list[Decimal | int] = [
        int(found.get(day, 0)) if counted else Decimal(found.get(day, ZERO)) for day in all_days
    ]
    count = len(values)
    start = (page - 1) * page_size
    items = []
    for day, value in zip(all_days[start : start + page_size], values[start:], strict=False):
        spend, holiday = signals.get(day, (None, None))
        items.append({"date": day, "value": value, "marketing_spend": spend, "is_holiday": holiday})
    return HistoricalPage.model_validate(
        {
            "metric": metric,
            "menu_item_id": menu_item_id,
            "category_id": category_id,
            "location_id": location_id,
            "summary": summarize(values, where.date_from, where.date_to),
            "items": items,
            **HistoricalPage.paging(count, page, page_size),
        }
    )


def summarize(values: Sequence[Decimal | int], first: date, last: date) -> dict[str, Any]:
    """Total, mean, min, max and population standard deviation, exactly in decimals (mean and
    std rounded to 4 places at the end)."""
    exact = [Decimal(v) for v in values]
    total = sum(exact, ZERO)
    mean = total / len(exact)
    variance = sum(((v - mean) ** 2 for v in exact), ZERO) / len(exact)
    integral = all(isinstance(v, int) for v in values)
    return {
        "total": int(total) if integral else total,
        "mean": mean.quantize(FOUR_PLACES, rounding=ROUND_HALF_UP),
        "min": min(values),
        "max": max(values),
        "std": variance.sqrt().quantize(FOUR_PLACES, rounding=ROUND_HALF_UP),
        "days": len(exact),
        "date_from": first,
        "date_to": last,
    }


# --- raw lines -------------------------------------------------------------------------------


async def ledger_lines(
    session: AsyncSession,
    principal: Principal,
    *,
    secret: str,
    cursor: str | None,
    limit: int | None,
    page_size: int | None,
    date_from: date | None,
    date_to: date | None,
    location_id: uuid.UUID | None,
    menu_item_id: uuid.UUID | None,
    source: SaleSource | None,
) -> LedgerCursorPage:
    """Ledger lines newest first by (sold_at, id), a page after `cursor`. The page length is
    `page_size` (API.md's name for it) or `limit` (the sources'), 100 by default."""
    limit = page_length(page_size, limit, LEDGER_PAGE_SIZE)
    try:
        periods.check_bounds(date_from=date_from, date_to=date_to)
    except periods.RangeError as exc:
        raise invalid(exc.field, exc.message) from exc
    if date_from is not None and date_to is not None and date_to < date_from:
        raise invalid("date_to", "must not be before date_from")
    repository = LedgerQueryRepository(session, principal.business_id)
    if location_id is not None and await repository.location(location_id) is None:
        raise invalid("location_id", "no such location in this business")
    # As /historical answers: another business's item is an error, not an empty page that
    # reads as "this item never sold".
    if menu_item_id is not None and not await repository.menu_item_exists(menu_item_id):
        raise invalid("menu_item_id", "no such menu item in this business")
    # A line keeps the business date of the calendar it was booked in, which the business or
    # its location may have changed since: sold_at is bounded by the zone-proof window.
    sold_after = sold_since(date_from) if date_from is not None else None
    sold_before = sold_until(date_to) if date_to is not None else None
    where = LedgerFilter(
        date_from=date_from,
        date_to=date_to,
        sold_after=sold_after,
        sold_before=sold_before,
        location_id=location_id,
        menu_item_id=menu_item_id,
        source=source,
    )
    # A cursor is a position in the lines these filters select: sent with other filters it
    # would silently skip their lines newer than it, so it is bound to them (not to the
    # page length, which may change from page to page).
    filters = "|".join(
        str(value) if value is not None else ""
        for value in (date_from, date_to, location_id, menu_item_id, source)
    )
    after = decode_cursor(secret, principal.business_id, filters, cursor) if cursor else None
    rows = await repository.ledger_page(where, after, limit + 1)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor(secret, principal.business_id, filters, last.sold_at, last.id)
    return LedgerCursorPage(
        items=[LedgerLineOut.model_validate(row._mapping) for row in rows],
        next_cursor=next_cursor,
    )

"""Sales analytics over a range of business days: item performance and revenue trends (from
the ledger's rollups), staff performance and customer segments (`analytics.people`, from the
ledger's lines).

Every figure is net: discounts are already out of a line's amount and refunds are negative
lines, so they reduce revenue, quantity and cost on the day they were made. Periods compare
with the previous range of the same length (the 30 days before a 30-day range).

A range that reaches today, whose sales are still coming in, is counted up to now, and the
previous range up to the same point: its matching day only up to the same local time of day.
Compared with whole days, this morning would read as a fall every morning.
"""

from __future__ import annotations

import dataclasses
import math
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from tableside.analytics import schemas
from tableside.analytics.repository import AnalyticsRepository, ItemRow, Span
from tableside.auth.dependencies import Principal
from tableside.errors import ValidationFailed
from tableside.forecasting.service import project_revenue as forecast_revenue
from tableside.kit.business_time import business_date, same_local_time
from tableside.kit.money import round_money
from tableside.kit.pagination import ListParams, SortOrder, page_length
from tableside.kit.schemas import utcnow
from tableside.ledger.query_periods import EARLIEST, RangeError, check_bounds

DEFAULT_DAYS = 30
MAX_DAYS = 3660  # ten years of days in one request
ZERO = Decimal(0)
HUNDRED = Decimal(100)
HUNDREDTH = Decimal("0.01")
# A fitted change per period under 1% of the average period's revenue is "flat".
FLAT_THRESHOLD_PERCENT = Decimal(1)


# The period and the helpers every endpoint shares ---------------------------------------------


@dataclass(frozen=True)
class Scope:
    """What a request reads: the business's repository and currency, the business days
    `first`..`last`, the location filter, and now: the instant, the time zone of the days
    (the business's, or the filtered location's own) and today's business date in it (whose
    sales are still coming in)."""

    repository: AnalyticsRepository
    currency: str
    first: date
    last: date
    location_id: uuid.UUID | None
    today: date
    now: datetime
    timezone: str

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def previous_first(self) -> date:
        return self.first - timedelta(days=self.days)

    @property
    def previous_last(self) -> date:
        return self.first - timedelta(days=1)

    @property
    def partial(self) -> bool:
        """Whether the range reaches today (or later): it is counted only up to now."""
        return self.last >= self.today

    def current(self) -> Span:
        """What the period counts: its days, up to now when it reaches today."""
        if not self.partial:
            return Span(self.first, self.last)
        return Span(self.first, self.last, self.now, self.today)

    def previous(self) -> Span:
        """What the previous period counts: its days, and when the period is counted up to
        now, up to the same point: the day as far into it as today is into the period, up
        to the same local time of day (not 24 hours a day back: a daylight-saving day lies
        between). Before the period has begun, that point is before this one, too."""
        if not self.partial:
            return Span(self.previous_first, self.previous_last)
        day = self.previous_first + (self.today - self.first)
        before = same_local_time(self.now, self.today, day, self.timezone)
        return Span(self.previous_first, self.previous_last, before, day)

    def period(self) -> schemas.Period:
        return _period(self.current(), self.days)

    def previous_period(self) -> schemas.Period:
        return _period(self.previous(), self.days)

    def money(self, amount: Decimal) -> Decimal:
        return round_money(amount, self.currency)

    def per(self, amount: Decimal, count: Decimal | int) -> Decimal | None:
        """`amount / count` as money; None when `count` is zero."""
        return None if count == 0 else round_money(amount / count, self.currency)


def _period(span: Span, days: int) -> schemas.Period:
    return schemas.Period(
        date_from=span.first,
        date_to=span.last,
        days=days,
        through=span.before,
        partial=span.before is not None,
    )


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(details=[{"field": field, "message": message}])


def resolve_period(today: date, date_from: date | None, date_to: date | None) -> tuple[date, date]:
    """The business days to report: the given range; by default the 30 days ending today
    (or ending on `date_to`, or from `date_from` to today)."""
    # The given dates first: the defaults are computed from them, and 30 days before
    # 0001-01-01 is no date at all.
    try:
        check_bounds(date_from=date_from, date_to=date_to)
    except RangeError as exc:
        raise _invalid(exc.field, exc.message) from exc
    # A range too long is the fault of the end the caller sent: with date_from alone the end
    # is today, and naming date_to would point at a parameter never given.
    too_long = f"the range may span at most {MAX_DAYS} days"
    if date_to is None:
        date_to = today if date_from is None else max(today, date_from)
        if date_from is not None and (date_to - date_from).days + 1 > MAX_DAYS:
            raise _invalid("date_from", f"{too_long}; give date_to too")
    if date_from is None:
        date_from = date_to - timedelta(days=DEFAULT_DAYS - 1)
    if date_from < EARLIEST:
        raise _invalid("date_to", f"the default 30 days would start before {EARLIEST}")
    if date_from > date_to:
        raise _invalid("date_from", "must not be after date_to")
    if (date_to - date_from).days + 1 > MAX_DAYS:
        raise _invalid("date_to", too_long)
    return date_from, date_to


async def open_scope(
    session: AsyncSession,
    principal: Principal,
    date_from: date | None,
    date_to: date | None,
    location_id: uuid.UUID | None,
) -> Scope:
    """Check the location filter (a location of another business, or none at all, is 422)
    and resolve the period in the business's calendar, or in the location's when it keeps
    its own time zone: its lines carry business dates of that zone, so "today" and the
    partial day's cut are its own (as the ledger queries' `resolve_scope` reads them)."""
    repository = AnalyticsRepository(session, principal.business_id)
    business = await repository.business()
    timezone = business.timezone
    if location_id is not None:
        location = await repository.location(location_id)
        if location is None:
            raise _invalid("location_id", "no such location")
        timezone = location.timezone or timezone
    now = utcnow()
    today = business_date(now, timezone, business.day_cutoff_hour)
    first, last = resolve_period(today, date_from, date_to)
    return Scope(repository, business.currency, first, last, location_id, today, now, timezone)


def percent(part: Decimal, whole: Decimal) -> Decimal | None:
    """`part` as a percent of `whole`, half up to two places; None when `whole` is zero."""
    if whole == 0:
        return None
    return (part * HUNDRED / whole).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


def growth(current: Decimal, previous: Decimal) -> Decimal | None:
    """Change from `previous` to `current` in percent of `previous`'s size (so going from
    -10 to -5 is +50%); None when `previous` is zero."""
    return percent(current - previous, abs(previous))


def competition_ranks(values: Sequence[Decimal]) -> list[int]:
    """Ranks by value, highest first; equal values share a rank and the next rank skips
    (1, 2, 2, 4)."""
    ordered = sorted(values, reverse=True)
    first_position: dict[Decimal, int] = {}
    for position, value in enumerate(ordered, start=1):
        first_position.setdefault(value, position)
    return [first_position[value] for value in values]


# Item performance -----------------------------------------------------------------------------


def _item_cost(row: ItemRow) -> Decimal | None:
    """The item's cost in the period, or None when it is unknown.

    Rollups add up the costs the lines recorded, a missing cost as zero, and the revenue of
    the lines that recorded one (`costed_revenue`). With neither, no line had a cost
    (history imported without costs, an item without a cost), unless the menu says the item
    costs nothing."""
    if row.cost != 0 or row.costed_revenue != 0 or row.menu_cost == 0:
        return row.cost
    return None


def _item_margin(row: ItemRow, cost: Decimal | None) -> Decimal | None:
    """Gross margin over the revenue that has a cost: revenue of lines without one (history
    imported before the item had a cost) is left out, not counted as pure margin."""
    return None if cost is None else row.costed_revenue - cost


def _item_entry(scope: Scope, row: ItemRow, rank: int, total: Decimal) -> schemas.ItemPerformance:
    cost = _item_cost(row)
    margin = _item_margin(row, cost)
    return schemas.ItemPerformance(
        menu_item_id=row.item_id,
        name=row.name,
        sku=row.sku,
        category_id=row.category_id,
        category_name=row.category_name,
        quantity=row.quantity,
        revenue=scope.money(row.revenue),
        cost=None if cost is None else scope.money(cost),
        gross_margin=None if margin is None else scope.money(margin),
        margin_percent=None if margin is None else percent(margin, row.costed_revenue),
        uncosted_revenue=scope.money(row.revenue - row.costed_revenue),
        revenue_share_percent=percent(row.revenue, total),
        average_price=scope.per(row.revenue, row.quantity),
        previous_quantity=row.previous_quantity,
        previous_revenue=scope.money(row.previous_revenue),
        revenue_growth_percent=growth(row.revenue, row.previous_revenue),
        quantity_growth_percent=growth(row.quantity, row.previous_quantity),
        rank=rank,
    )


_ITEM_SORT_KEYS: dict[schemas.ItemSort, Callable[[schemas.ItemPerformance], object]] = {
    schemas.ItemSort.revenue: lambda e: e.revenue,
    schemas.ItemSort.quantity: lambda e: e.quantity,
    schemas.ItemSort.margin: lambda e: e.gross_margin,
    schemas.ItemSort.margin_percent: lambda e: e.margin_percent,
    schemas.ItemSort.growth: lambda e: e.revenue_growth_percent,
    schemas.ItemSort.name: lambda e: e.name.casefold() if e.name is not None else None,
}


def _sort_items(
    entries: list[schemas.ItemPerformance], params: ListParams
) -> list[schemas.ItemPerformance]:
    """Sort by the requested key; items without a value (no cost, no previous sales) go
    last either way, and ties keep the revenue rank order."""
    try:
        sort = schemas.ItemSort(params.sort_by or schemas.ItemSort.revenue)
    except ValueError:
        choices = ", ".join(s.value for s in schemas.ItemSort)
        raise _invalid("sort_by", f"must be one of: {choices}") from None
    descending = (
        params.sort_order == SortOrder.desc
        if params.sort_order is not None
        else sort != schemas.ItemSort.name
    )
    key = _ITEM_SORT_KEYS[sort]
    base = sorted(entries, key=lambda e: (e.rank, (e.name or "").casefold(), str(e.menu_item_id)))
    present = [e for e in base if key(e) is not None]
    missing = [e for e in base if key(e) is None]
    present.sort(key=key, reverse=descending)  # type: ignore[arg-type]
    return present + missing


def with_limit(params: ListParams, limit: int | None, *, page_size_given: bool) -> ListParams:
    """The list parameters with the POS document's `limit` (items to return) as the page
    length: a client following that document sends it, and ignoring it answered a whole page
    of 20. With `page_size` as well, the two must agree (as /sales/ledger takes them)."""
    if limit is None:
        return params
    asked = params.page_size if page_size_given else None
    return dataclasses.replace(params, page_size=page_length(asked, limit, params.page_size))


def _matches(
    entry: schemas.ItemPerformance, category_id: uuid.UUID | None, search: str | None
) -> bool:
    if category_id is not None and entry.category_id != category_id:
        return False
    if search:
        needle = search.casefold()
        return any(needle in (text or "").casefold() for text in (entry.name, entry.sku))
    return True


def _item_summary(
    scope: Scope, entries: Sequence[schemas.ItemPerformance], rows: dict[uuid.UUID, ItemRow]
) -> schemas.ItemSummary:
    revenue = sum((rows[e.menu_item_id].revenue for e in entries), ZERO)
    previous = sum((rows[e.menu_item_id].previous_revenue for e in entries), ZERO)
    costed = [rows[e.menu_item_id] for e in entries if e.cost is not None]
    cost = sum((row.cost for row in costed), ZERO)
    costed_revenue = sum((row.costed_revenue for row in costed), ZERO)
    margin = costed_revenue - cost if costed else None
    return schemas.ItemSummary(
        item_count=len(entries),
        total_quantity=sum((rows[e.menu_item_id].quantity for e in entries), ZERO),
        total_revenue=scope.money(revenue),
        total_cost=scope.money(cost),
        gross_margin=None if margin is None else scope.money(margin),
        margin_percent=None if margin is None else percent(margin, costed_revenue),
        uncosted_revenue=scope.money(revenue - costed_revenue),
        previous_revenue=scope.money(previous),
        revenue_growth_percent=growth(revenue, previous),
    )


async def item_performance(
    session: AsyncSession,
    principal: Principal,
    params: ListParams,
    *,
    date_from: date | None,
    date_to: date | None,
    location_id: uuid.UUID | None,
    category_id: uuid.UUID | None,
) -> schemas.ItemPerformancePage:
    """Per menu item sold in the period or the previous one: units, revenue, cost, margin,
    share of all items' revenue, growth and rank by revenue.

    Ranks and shares are among every item; `category_id` and `search` (name or SKU) then
    narrow the list, and the summary adds up the items that match, over all pages. A
    period reaching today is counted up to now, the previous one up to the same point."""
    scope = await open_scope(session, principal, date_from, date_to, location_id)
    # As /sales/historical answers: another business's category is an error, not an empty
    # page that reads as "this category sold nothing".
    if category_id is not None and not await scope.repository.category_exists(category_id):
        raise _invalid("category_id", "no such category in this business")
    rows = await scope.repository.item_rows(scope.previous(), scope.current(), scope.location_id)
    total = sum((row.revenue for row in rows), ZERO)
    ranks = competition_ranks([row.revenue for row in rows])
    entries = [_item_entry(scope, row, rank, total) for row, rank in zip(rows, ranks, strict=True)]
    listed = [e for e in entries if _matches(e, category_id, params.search)]
    ordered = _sort_items(listed, params)
    page_items = ordered[params.offset : params.offset + params.page_size]
    pages = math.ceil(len(listed) / params.page_size) if listed else 0
    return schemas.ItemPerformancePage(
        items=page_items,
        total=len(listed),
        page=params.page,
        page_size=params.page_size,
        pages=pages,
        has_next=params.page < pages,
        has_previous=params.page > 1,
        period=scope.period(),
        previous_period=scope.previous_period(),
        summary=_item_summary(scope, listed, {row.item_id: row for row in rows}),
    )


# Revenue trends -------------------------------------------------------------------------------


def _period_start(day: date, granularity: schemas.Granularity) -> date:
    if granularity == schemas.Granularity.week:
        return day - timedelta(days=day.weekday())  # ISO weeks start on Monday
    if granularity == schemas.Granularity.month:
        return day.replace(day=1)
    return day


def _next_start(start: date, granularity: schemas.Granularity) -> date:
    if granularity == schemas.Granularity.week:
        return start + timedelta(days=7)
    if granularity == schemas.Granularity.month:
        return date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return start + timedelta(days=1)


def periods_of(
    first: date, last: date, granularity: schemas.Granularity
) -> list[tuple[date, date]]:
    """The calendar periods (days, ISO weeks or months) covering `first`..`last`, clipped to
    it: a range starting on a Wednesday has a first week from that Wednesday to Sunday."""
    spans = []
    start = _period_start(first, granularity)
    while start <= last:
        following = _next_start(start, granularity)
        spans.append((max(start, first), min(following - timedelta(days=1), last)))
        start = following
    return spans


def _is_whole(start: date, end: date, granularity: schemas.Granularity) -> bool:
    """Whether `start`..`end` is a whole calendar period, not one clipped by the range."""
    period = _period_start(start, granularity)
    return start == period and end == _next_start(period, granularity) - timedelta(days=1)


def least_squares_trend(revenues: Sequence[Decimal], currency: str) -> schemas.Trend:
    """The slope of the least-squares line through the revenues at periods 0, 1, 2...: the
    fitted change per period. `flat` when fewer than two periods, or when the change is
    under 1% of the average period's revenue (or zero when that average is zero)."""
    count = len(revenues)
    if count < 2:
        return schemas.Trend(slope=None, slope_percent=None, direction=schemas.Direction.flat)
    mean_x = Decimal(count - 1) / 2
    mean_y = sum(revenues, ZERO) / count
    numerator = sum(((Decimal(x) - mean_x) * (y - mean_y) for x, y in enumerate(revenues)), ZERO)
    denominator = sum(((Decimal(x) - mean_x) ** 2 for x in range(count)), ZERO)
    slope = numerator / denominator
    relative = percent(slope, abs(mean_y))
    if relative is not None:
        flat = abs(slope * HUNDRED / abs(mean_y)) < FLAT_THRESHOLD_PERCENT
    else:
        flat = slope == 0
    direction = (
        schemas.Direction.flat
        if flat
        else schemas.Direction.up
        if slope > 0
        else schemas.Direction.down
    )
    return schemas.Trend(
        slope=round_money(slope, currency), slope_percent=relative, direction=direction
    )


async def project_revenue(
    session: AsyncSession,
    business_id: uuid.UUID,
    *,
    location_id: uuid.UUID | None,
    granularity: schemas.Granularity,
    after: date,
    periods: int,
) -> schemas.RevenueProjection | None:
    """Projected revenue for the periods after `after`, from the latest fresh run of a
    revenue forecast of the business (or of the location): see
    `forecasting.service.project_revenue`. Only the periods that run covers are given.

    Without such a run this returns None and the response says `projection_status:
    "unavailable"`. A straight-line extension of the trend is deliberately not offered in its
    place: it would be a number presented as a forecast without being one."""
    projected = await forecast_revenue(
        session,
        business_id,
        location_id=location_id,
        granularity=granularity.value,
        after=after,
        periods=periods,
    )
    if projected is None:
        return None
    currency = (await AnalyticsRepository(session, business_id).business()).currency
    points = [
        schemas.ProjectionPoint(
            period_start=start, period_end=end, revenue=round_money(Decimal(str(value)), currency)
        )
        for start, end, value in projected
    ]
    total = sum((point.revenue for point in points), ZERO)
    return schemas.RevenueProjection(series=points, total_revenue=round_money(total, currency))


async def revenue_trends(
    session: AsyncSession,
    principal: Principal,
    *,
    date_from: date | None,
    date_to: date | None,
    location_id: uuid.UUID | None,
    granularity: schemas.Granularity,
) -> schemas.RevenueTrends:
    """Revenue, transactions and average ticket per day, week or month, with growth point
    to point and against the previous range, and the least-squares trend. Every period of
    the range is in the series, those without sales at zero. A period that reaches today is
    not `complete` (its sales are still coming in) and stays out of the trend, as does a
    week or month the range cuts (not `whole`); the
    projection starts with the first day whose sales are not complete. Such a range counts
    today up to now (later days not at all), and the previous range's totals up to the same
    point, so the growth compares like with like."""
    scope = await open_scope(session, principal, date_from, date_to, location_id)
    now, before = scope.current(), scope.previous()
    days = await scope.repository.daily_revenue(scope.previous_first, scope.last, location_id)
    current = {row.day: row for row in days if now.first <= row.day <= now.whole_last}
    previous = [row for row in days if before.first <= row.day <= before.whole_last]
    so_far = await scope.repository.cut_day_revenue(now, location_id)
    if so_far is not None:
        current[so_far.day] = so_far
    matching = await scope.repository.cut_day_revenue(before, location_id)
    if matching is not None:
        previous.append(matching)
    previous_revenue = sum((row.revenue for row in previous), ZERO)
    previous_transactions = sum(row.transactions for row in previous)
    series: list[schemas.TrendPoint] = []
    revenues: list[Decimal] = []
    counted_revenues: list[Decimal] = []
    for start, end in periods_of(scope.first, scope.last, granularity):
        in_span = [
            current[day]
            for offset in range((end - start).days + 1)
            if (day := start + timedelta(days=offset)) in current
        ]
        revenue = sum((row.revenue for row in in_span), ZERO)
        counted = sum((row.counted_revenue for row in in_span), ZERO)
        counted_revenues.append(counted)
        transactions = sum(row.transactions for row in in_span)
        series.append(
            schemas.TrendPoint(
                period_start=start,
                period_end=end,
                complete=end < scope.today,
                whole=_is_whole(start, end, granularity),
                revenue=scope.money(revenue),
                transactions=transactions,
                average_ticket=scope.per(counted, transactions),
                growth_percent=growth(revenue, revenues[-1]) if revenues else None,
            )
        )
        revenues.append(revenue)
    # A week that began on Monday, or one the range starts on its Sunday, would read as a
    # collapse: the trend is of finished, whole periods.
    finished = [
        value
        for point, value in zip(series, revenues, strict=True)
        if point.complete and point.whole
    ]
    revenue = sum(revenues, ZERO)
    counted = sum(counted_revenues, ZERO)
    transactions = sum(point.transactions for point in series)
    projection = await project_revenue(
        session,
        principal.business_id,
        location_id=location_id,
        granularity=granularity,
        after=min(scope.last, scope.today - timedelta(days=1)),
        periods=len(series),
    )
    return schemas.RevenueTrends(
        period=scope.period(),
        previous_period=scope.previous_period(),
        granularity=granularity,
        series=series,
        totals=schemas.TrendTotals(
            revenue=scope.money(revenue),
            transactions=transactions,
            average_ticket=scope.per(counted, transactions),
            previous_revenue=scope.money(previous_revenue),
            previous_transactions=previous_transactions,
            growth_percent=growth(revenue, previous_revenue),
        ),
        trend=least_squares_trend(finished, scope.currency),
        projection=projection,
        projection_status=(
            schemas.ProjectionStatus.unavailable
            if projection is None
            else schemas.ProjectionStatus.available
        ),
    )

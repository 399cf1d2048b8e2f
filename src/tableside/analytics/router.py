"""HTTP endpoints under /api/v1/analytics: item performance, revenue trends, staff
performance and customer segments. Readers: owner, admin, manager, viewer."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from tableside.analytics import people, service
from tableside.analytics.schemas import (
    CustomerSegments,
    Granularity,
    ItemPerformancePage,
    RevenueTrends,
    Segment,
    StaffPerformance,
)
from tableside.auth.dependencies import Principal, require
from tableside.auth.permissions import Action, Area
from tableside.db.session import SessionDep
from tableside.http.errors import error_responses
from tableside.kit.pagination import MAX_PAGE_SIZE, ListParamsDep
from tableside.kit.validators import IsoDate
from tableside.models import Role

router = APIRouter(
    prefix="/analytics", tags=["analytics"], responses=error_responses(401, 403, 422, 429)
)

AnalyticsReader = Annotated[Principal, Depends(require(Area.analytics, Action.read))]

DateFrom = Annotated[
    IsoDate | None,
    Query(description="First business day (YYYY-MM-DD); default: 29 days before date_to"),
]
DateTo = Annotated[
    IsoDate | None, Query(description="Last business day (YYYY-MM-DD); default: today's")
]
LocationFilter = Annotated[
    uuid.UUID | None, Query(description="Only this location's sales (422 if not a location)")
]

PERIOD_NOTE = """
The period is a range of business days (the business's time zone and day cutoff: a sale at
01:30 with a 04:00 cutoff belongs to the previous day; with `location_id`, that location's own
time zone if it keeps one, today included), by default the 30 days ending today,
at most 3660 days. Figures are net: discounts are out and refunds, recorded as negative lines
on the day they were made, reduce them. A ratio over zero (an average without sales, growth
against a period without revenue) is `null`.

A range that reaches today, whose sales are still coming in (or a later day), is counted up to
now: `period.partial` is true and `period.through` is now. Where the response compares with the
previous period, that one is counted up to the same point, so that 10:00 does not read as a
fall against whole days: its days as far into it as today is into the range, the last of them
only up to the same local time of day (the same clock reading, across a daylight-saving change),
given as `previous_period.through`. A range that ended before today compares whole days
(`through: null`, `partial: false`). A daily revenue import has no time of day and counts from
the start of its day.
"""

ITEMS_DESCRIPTION = (
    """
Per menu item sold in the period or in the previous period of the same length: quantity,
revenue, cost, gross margin and margin percent (`null` when no cost was recorded), share of
all items' revenue, average price, growth of revenue and quantity against the previous period
(`null` when it had none; up to the same point when the period reaches today, see below) and
rank by revenue (equal revenue, equal rank).

Margins are taken over the revenue of the lines that recorded a cost only; `uncosted_revenue`
is the rest (sales imported before the item had a cost). When it is not 0 the margin covers
part of the item's revenue, never counting revenue without a cost as pure margin.

`sort_by`: `revenue` (default), `quantity`, `margin` (gross margin), `margin_percent`,
`growth` (revenue growth) or `name`; descending by default except `name`. Items without a
value for the key go last. `search` matches name or SKU. Ranks and shares are among every
item; the filters narrow the list, and `summary` adds up the matching items over all pages.
`limit` (the POS document's name) is the same as `page_size`.
"""
    + PERIOD_NOTE
)

TRENDS_DESCRIPTION = (
    """
Revenue, transactions and average ticket per `granularity` period (day, ISO week from Monday,
calendar month; the first and last are clipped to the range), each with its growth against the
previous point; totals with growth against the previous range of the same length (up to the
same point when the range reaches today: days after today are not counted yet); the
least-squares `trend` (revenue change per period, and `up`/`down`, or `flat` under 1% of the
average period's revenue) through the `complete` and `whole` periods only: the period that
holds today (this week, when the range ends today) is shown with the sales so far and
`complete: false`, and a week or month the range cuts (starting on a Wednesday, ending on the
15th) with its days inside only and `whole: false`; either would otherwise read as a collapse.

`projection`: forecast revenue per period from the first day whose sales are not complete
(today, when the range reaches it) to the end of the latest fresh revenue forecast, each point
with its `period_start` and `period_end` (the first period is clipped to start that day). It
is `null` with `projection_status: "unavailable"` until revenue forecasts exist, and for a range
that ended before yesterday. No straight-line extrapolation is offered in its place.
"""
    + PERIOD_NOTE
)

STAFF_DESCRIPTION = (
    """
Per server (the user who took the sale or served the order): sales count, revenue, items sold,
average ticket, share of the period's revenue and rank by revenue. Sales recorded without a
server are the `unattributed` row (no rank). `role` keeps that role's staff only (ranks and
shares stay those among everyone); totals add up the rows returned.
"""
    + PERIOD_NOTE
)

CUSTOMERS_DESCRIPTION = (
    """
Customers who visited (bought) in the period, segmented by their visits up to the end of the
period: `new` below `returning_min_visits` (by default: one visit, their first, inside the
period), `returning` from `returning_min_visits` (2), `loyal` from `loyal_min_visits` (5). Per
segment and in total: customers, visits in the period, revenue, spend per visit
(`average_spend`) and revenue per customer (`average_customer_value`); and the `top` customers
by revenue (`segment` narrows that list only). With `location_id`, visits are counted at that
location only.
"""
    + PERIOD_NOTE
)


@router.get(
    "/items",
    response_model=ItemPerformancePage,
    summary="Item performance",
    description=ITEMS_DESCRIPTION,
)
async def item_performance(
    request: Request,
    principal: AnalyticsReader,
    session: SessionDep,
    params: ListParamsDep,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    location_id: LocationFilter = None,
    category_id: Annotated[
        uuid.UUID | None,
        Query(description="Only items of this menu category (422 if not one of this business's)"),
    ] = None,
    limit: Annotated[
        int | None,
        Query(ge=1, le=MAX_PAGE_SIZE, description="Items per page (the same as page_size)"),
    ] = None,
) -> ItemPerformancePage:
    return await service.item_performance(
        session,
        principal,
        service.with_limit(params, limit, page_size_given="page_size" in request.query_params),
        date_from=date_from,
        date_to=date_to,
        location_id=location_id,
        category_id=category_id,
    )


@router.get(
    "/revenue-trends",
    response_model=RevenueTrends,
    summary="Revenue trends",
    description=TRENDS_DESCRIPTION,
)
async def revenue_trends(
    principal: AnalyticsReader,
    session: SessionDep,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    location_id: LocationFilter = None,
    granularity: Annotated[Granularity, Query(description="day, week or month")] = (
        Granularity.day
    ),
) -> RevenueTrends:
    return await service.revenue_trends(
        session,
        principal,
        date_from=date_from,
        date_to=date_to,
        location_id=location_id,
        granularity=granularity,
    )


@router.get(
    "/staff-performance",
    response_model=StaffPerformance,
    summary="Staff performance",
    description=STAFF_DESCRIPTION,
)
async def staff_performance(
    principal: AnalyticsReader,
    session: SessionDep,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    location_id: LocationFilter = None,
    role: Annotated[Role | None, Query(description="Only staff with this role")] = None,
) -> StaffPerformance:
    return await people.staff_performance(
        session,
        principal,
        date_from=date_from,
        date_to=date_to,
        location_id=location_id,
        role=role,
    )


@router.get(
    "/customers",
    response_model=CustomerSegments,
    summary="Customer segments",
    description=CUSTOMERS_DESCRIPTION,
)
async def customer_segments(
    principal: AnalyticsReader,
    session: SessionDep,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    location_id: LocationFilter = None,
    returning_min_visits: Annotated[
        int, Query(ge=2, le=10_000, description="Visits to date from which a customer returns")
    ] = 2,
    loyal_min_visits: Annotated[
        int, Query(ge=3, le=10_000, description="Visits to date from which a customer is loyal")
    ] = 5,
    segment: Annotated[
        Segment | None, Query(description="Only this segment in top_customers")
    ] = None,
    top: Annotated[int, Query(ge=1, le=100, description="How many top customers")] = 10,
) -> CustomerSegments:
    return await people.customer_segments(
        session,
        principal,
        date_from=date_from,
        date_to=date_to,
        location_id=location_id,
        returning_min_visits=returning_min_visits,
        loyal_min_visits=loyal_min_visits,
        segment=segment,
        top=top,
    )

"""HTTP endpoints of the ledger under /api/v1/sales (mounted before the sales router so
`/sales/aggregate` is never read as a sale id): aggregates, top items, the historical daily
series and the raw ledger lines. Owner, admin, manager and viewer may read them."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from tableside.auth.dependencies import Principal, require
from tableside.auth.permissions import Action, Area
from tableside.config import Settings
from tableside.db.session import SessionDep
from tableside.http.errors import error_responses
from tableside.kit.validators import IsoDate
from tableside.ledger import queries, query_aggregate
from tableside.ledger.schemas import (
    Granularity,
    GroupBy,
    HistoricalMetric,
    HistoricalPage,
    LedgerCursorPage,
    SalesAggregate,
    TopItems,
    TopItemsOrder,
)
from tableside.models import SaleSource

router = APIRouter(
    prefix="/sales", tags=["sales ledger"], responses=error_responses(401, 403, 422, 429)
)

LedgerReader = Annotated[Principal, Depends(require(Area.analytics, Action.read))]

DateFrom = Annotated[
    IsoDate | None,
    Query(description="First business date (YYYY-MM-DD, inclusive); default: date_to - 29 days"),
]
DateTo = Annotated[
    IsoDate | None,
    Query(description="Last business date (inclusive); default: today's business date"),
]
LocationFilter = Annotated[
    uuid.UUID | None,
    Query(description="Only this location (422 when it is not one of this business's)"),
]

RANGE_NOTE = """
Dates are **business dates**: a business day runs from the day-cutoff hour to the same hour
the next day in the business's time zone (a location's own zone when `location_id` names one
that keeps it), so a sale at 01:30 with a 04:00 cutoff counts on the previous date. The range
is inclusive and shorter than 3 years (`date_to` before `date_from` plus 3 years), by
default the 30 days ending today; dates lie between 1900-01-01 and 9999-01-01.
"""

AGGREGATE_DESCRIPTION = (
    """
Totals (`total_revenue`, `transaction_count`, `items_sold`, `covers`,
`average_transaction_value`) and a `time_series` with one point per period, and per group when
`group_by` is given. **Gaps are zero-filled**: every period of the range appears (for every
group that has any data in the range).

- `granularity=hour`: `period_start` is the UTC instant the local hour began; a
  spring-forward day has 23 hourly periods, a fall-back day 25 (the repeated hour twice).
- `day`, `week` (ISO, Monday), `month` (the 1st): `period_start` is a business date. The first
  and last week or month may begin before or end after the range; only days in range count.
- `group_by`: `category` or `item` (names looked up now; `transactions` is then the number of
  lines sold of it and `covers` is null), `hour_of_day` (0-23 local), `day_of_week` (1-7, ISO,
  Monday = 1) or `location`. `groups` gives each group's totals over the range. Daily
  imports' revenue counts under the row's `product_category` by `category` and as "No item"
  (key null) by `item`.
- Not available (422 on `group_by`): per `item` or `category` by `hour` (the rollups keep
  items per day; use `day`, or `hour_of_day` for an hourly profile), and groupings a period
  already fixes (`hour` with `hour_of_day` or `day_of_week`, `day` with `day_of_week`).

Refunds reduce revenue and units on the date they were made.
"""
    + RANGE_NOTE
)


@router.get(
    "/aggregate",
    response_model=SalesAggregate,
    summary="Sales totals and a time series over business dates",
    description=AGGREGATE_DESCRIPTION,
)
async def get_aggregate(
    principal: LedgerReader,
    session: SessionDep,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    granularity: Granularity = Granularity.day,
    group_by: GroupBy | None = None,
    location_id: LocationFilter = None,
) -> Response:
    # A series may hold tens of thousands of points: the service writes the JSON text itself,
    # column by column, and it is not re-validated against the response model.
    body = await query_aggregate.aggregate(
        session,
        principal,
        date_from=date_from,
        date_to=date_to,
        granularity=granularity,
        group_by=group_by,
        location_id=location_id,
    )
    return Response(content=body, media_type="application/json")


@router.get(
    "/top-items",
    response_model=TopItems,
    summary="Best-selling items over business dates",
    description="Items ranked by revenue or units sold (ties: the other measure; items "
    "equal on both share a rank and the next rank skips: 1, 2, 2, 4), with "
    "their share of the range's total revenue (lines without an item included in the "
    "total, never ranked)." + RANGE_NOTE,
)
async def get_top_items(
    principal: LedgerReader,
    session: SessionDep,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    location_id: LocationFilter = None,
    limit: Annotated[int, Query(ge=1, le=100, description="Items to return")] = 10,
    order_by: TopItemsOrder = TopItemsOrder.revenue,
) -> TopItems:
    return await queries.top_items(
        session,
        principal,
        date_from=date_from,
        date_to=date_to,
        location_id=location_id,
        limit=limit,
        order_by=order_by,
    )


@router.get(
    "/historical",
    response_model=HistoricalPage,
    summary="A daily series of one metric, with its summary",
    description="""
One value per business date, zero-filled, paginated over the days (`page`, `page_size` up to
1000, 100 by default; `limit`, SFS's name, is the same as `page_size`). `metric`: `revenue`,
`quantity`, `transactions` (sales; for an item or category, the lines sold of it) or `covers`
(not per item or category). Give `menu_item_id` **or**
`category_id` for that item's or category's series. `summary` covers the whole range: total,
mean, min, max, `std` (the **population** standard deviation), days. Each day also carries
`marketing_spend` and `is_holiday` when a daily import gave them.
"""
    + RANGE_NOTE,
)
async def get_historical(
    principal: LedgerReader,
    session: SessionDep,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    location_id: LocationFilter = None,
    menu_item_id: Annotated[uuid.UUID | None, Query(description="Only this item")] = None,
    category_id: Annotated[uuid.UUID | None, Query(description="Only this category")] = None,
    metric: HistoricalMetric = HistoricalMetric.revenue,
    page: Annotated[int, Query(ge=1, description="Page number, from 1")] = 1,
    page_size: Annotated[
        int | None, Query(ge=1, le=1000, description="Days per page (default 100)")
    ] = None,
    limit: Annotated[
        int | None, Query(ge=1, le=1000, description="Days per page (the same as page_size)")
    ] = None,
) -> HistoricalPage:
    return await queries.historical(
        session,
        principal,
        date_from=date_from,
        date_to=date_to,
        location_id=location_id,
        menu_item_id=menu_item_id,
        category_id=category_id,
        metric=metric,
        page=page,
        page_size=page_size,
        limit=limit,
    )


@router.get(
    "/ledger",
    response_model=LedgerCursorPage,
    summary="The raw sales ledger lines, newest first",
    description="""
Every line of the sales ledger (point-of-sale sales and refunds, imports, webhooks), newest
first by `sold_at` then `id`, `page_size` (or `limit`) at a time, 100 by default and at most
1000. Pass the `next_cursor` of a page back as
`cursor` for the next one (null on the last page), with the same filters (the page length
may change); a cursor that was altered or is sent with other filters is 422.
`date_from`/`date_to` filter on business dates. A `location_id` or `menu_item_id` that is not
this business's is 422, as in the other sales queries. (This is the ledger list;
`GET /api/v1/sales` lists the point of sale's sales.)
""",
)
async def get_ledger(
    request: Request,
    principal: LedgerReader,
    session: SessionDep,
    cursor: Annotated[str | None, Query(max_length=500, description="From next_cursor")] = None,
    limit: Annotated[int | None, Query(ge=1, le=1000, description="Lines per page")] = None,
    page_size: Annotated[
        int | None, Query(ge=1, le=1000, description="Lines per page (the same as limit)")
    ] = None,
    date_from: Annotated[IsoDate | None, Query(description="First business date")] = None,
    date_to: Annotated[IsoDate | None, Query(description="Last business date")] = None,
    location_id: LocationFilter = None,
    menu_item_id: Annotated[uuid.UUID | None, Query(description="Only this item")] = None,
    source: Annotated[SaleSource | None, Query(description="pos, import or webhook")] = None,
) -> LedgerCursorPage:
    settings: Settings = request.app.state.settings
    return await queries.ledger_lines(
        session,
        principal,
        secret=settings.resolved_secret_key(),
        cursor=cursor,
        limit=limit,
        page_size=page_size,
        date_from=date_from,
        date_to=date_to,
        location_id=location_id,
        menu_item_id=menu_item_id,
        source=source,
    )

"""Models of the ledger's read API: aggregates, top items, the historical series and raw lines.

Money and quantities are `DecimalNumber` (exact in code, a JSON number on the wire); counts
are integers.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date

from pydantic import Field

from tableside.kit.pagination import Page
from tableside.kit.schemas import DecimalNumber, ResponseSchema, UtcDatetime
from tableside.models import SaleSource


class Granularity(enum.StrEnum):
    hour = "hour"
    day = "day"
    week = "week"
    month = "month"


class GroupBy(enum.StrEnum):
    category = "category"
    item = "item"
    hour_of_day = "hour_of_day"
    day_of_week = "day_of_week"
    location = "location"


class TopItemsOrder(enum.StrEnum):
    revenue = "revenue"
    quantity = "quantity"


class HistoricalMetric(enum.StrEnum):
    revenue = "revenue"
    quantity = "quantity"
    transactions = "transactions"
    covers = "covers"


# --- GET /sales/aggregate ------------------------------------------------------------------


class AggregateGroup(ResponseSchema):
    """What a series is about: a category, item or location id (null for lines without one),
    the local hour 0-23, or the ISO weekday 1-7 (Monday = 1)."""

    key: uuid.UUID | int | None
    name: str | None = Field(description="Looked up now; null for an id no longer in the menu")


class AggregatePoint(ResponseSchema):
    period_start: str = Field(
        description="Hour granularity: the UTC instant the local hour began (ISO 8601, Z). "
        "Day, week, month: the business date the period starts (YYYY-MM-DD; weeks start on "
        "Monday, months on the 1st)."
    )
    revenue: DecimalNumber
    transactions: int = Field(
        description="Sales; for an item or category group, the lines sold of it (refunded "
        "lines count minus one)"
    )
    items_sold: DecimalNumber
    covers: int | None = Field(
        description="Null for item and category groups: covers belong to a sale, not an item"
    )
    group: AggregateGroup | None = None


class AggregateGroupTotal(AggregateGroup):
    """One group's totals over the whole range."""

    revenue: DecimalNumber
    transactions: int
    items_sold: DecimalNumber
    covers: int | None


class SalesAggregate(ResponseSchema):
    date_from: date
    date_to: date
    granularity: Granularity
    group_by: GroupBy | None
    location_id: uuid.UUID | None
    currency: str
    total_revenue: DecimalNumber
    transaction_count: int
    items_sold: DecimalNumber
    average_transaction_value: DecimalNumber | None = Field(
        description="Revenue per transaction, rounded to the currency's minor unit: the "
        "revenue of the days and locations whose sales were counted / transaction_count. "
        "Daily totals imported without a transactions column add to total_revenue, not to the "
        "average (it would otherwise show a ticket nobody paid). Null without transactions"
    )
    covers: int
    time_series: list[AggregatePoint]
    groups: list[AggregateGroupTotal] | None = Field(
        description="Per group totals over the range (null when not grouped)"
    )


# --- GET /sales/top-items ------------------------------------------------------------------


class TopItem(ResponseSchema):
    rank: int = Field(description="From 1; items equal on both measures share a rank")
    menu_item_id: uuid.UUID
    name: str | None
    sku: str | None
    category_id: uuid.UUID | None
    category: str | None
    quantity: DecimalNumber
    revenue: DecimalNumber
    cost: DecimalNumber
    transactions: int = Field(description="Lines sold of the item (refunded lines count -1)")
    revenue_share_percent: DecimalNumber | None = Field(
        description="The item's revenue as a percent of the range's total revenue (all lines, "
        "with or without an item), 2 decimals; null when that total is 0"
    )


class TopItems(ResponseSchema):
    date_from: date
    date_to: date
    location_id: uuid.UUID | None
    order_by: TopItemsOrder
    currency: str
    total_revenue: DecimalNumber
    items: list[TopItem]


# --- GET /sales/historical -----------------------------------------------------------------

HistoricalValue = int | DecimalNumber


class HistoricalPoint(ResponseSchema):
    date: date
    value: HistoricalValue
    marketing_spend: DecimalNumber | None = Field(
        default=None, description="From a daily import, when it said (summed over locations)"
    )
    is_holiday: bool | None = Field(default=None, description="From a daily import")


class HistoricalSummary(ResponseSchema):
    """Over every day of the range (not only the page); zero-filled days count."""

    total: HistoricalValue
    mean: DecimalNumber = Field(description="Rounded to 4 decimals")
    min: HistoricalValue
    max: HistoricalValue
    std: DecimalNumber = Field(
        description="Population standard deviation (divides by days), rounded to 4 decimals"
    )
    days: int
    date_from: date
    date_to: date


class HistoricalPage(Page[HistoricalPoint]):
    """A page of the daily series, in the API.md page shape, with its summary."""

    metric: HistoricalMetric
    menu_item_id: uuid.UUID | None
    category_id: uuid.UUID | None
    location_id: uuid.UUID | None
    summary: HistoricalSummary


# --- GET /sales/ledger ---------------------------------------------------------------------


class LedgerLineOut(ResponseSchema):
    id: int
    business_date: date
    sold_at: UtcDatetime
    hour_start: UtcDatetime
    local_hour: int
    location_id: uuid.UUID | None
    menu_item_id: uuid.UUID | None
    category_id: uuid.UUID | None
    quantity: DecimalNumber
    net_amount: DecimalNumber
    cost: DecimalNumber | None
    covers: int
    transactions: int
    source: SaleSource
    sale_id: uuid.UUID | None
    batch_id: uuid.UUID | None
    server_id: uuid.UUID | None
    customer_id: uuid.UUID | None


class LedgerCursorPage(ResponseSchema):
    """A cursor page (API.md): pass `next_cursor` back as `cursor` for the next lines."""

    items: list[LedgerLineOut]
    next_cursor: str | None

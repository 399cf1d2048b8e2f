"""Response models of the analytics endpoints.

Money and quantities are `DecimalNumber` (JSON numbers, money at the currency's minor unit);
percentages are rounded half up to two places. A ratio whose denominator is zero (an average
ticket without transactions, growth against a period without sales) is `null`, never 0.
"""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum

from pydantic import Field

from tableside.kit.pagination import Page
from tableside.kit.schemas import DecimalNumber, ResponseSchema, UtcDatetime
from tableside.models import Role


class Period(ResponseSchema):
    """A range of business days, both ends included, counted up to `through` when it
    reaches the business day still in progress."""

    date_from: date
    date_to: date
    days: int
    through: UtcDatetime | None = Field(
        default=None,
        description="When set, only sales before this instant are counted: the range "
        "reaches today's unfinished business day (or beyond). For the period that is now; "
        "for the previous period it is the same local time of day on its matching day, so "
        "the two compare like with like. null: every sale of the days counts",
    )
    partial: bool = Field(
        default=False, description="True when `through` is set: the figures are so far"
    )


# Item performance ----------------------------------------------------------------------------


class ItemSort(StrEnum):
    revenue = "revenue"
    quantity = "quantity"
    margin = "margin"
    margin_percent = "margin_percent"
    growth = "growth"
    name = "name"


class ItemPerformance(ResponseSchema):
    menu_item_id: uuid.UUID
    name: str | None = Field(description="From the menu; null when the item is not on it")
    sku: str | None
    category_id: uuid.UUID | None
    category_name: str | None
    quantity: DecimalNumber
    revenue: DecimalNumber = Field(description="Net of discounts and refunds")
    cost: DecimalNumber | None = Field(description="Recorded cost; null when none was recorded")
    gross_margin: DecimalNumber | None = Field(
        description="Revenue of the lines with a recorded cost, minus that cost"
    )
    margin_percent: DecimalNumber | None = Field(
        description="Gross margin / the revenue of the lines with a recorded cost x 100"
    )
    uncosted_revenue: DecimalNumber = Field(
        description="Revenue of lines without a recorded cost (history imported before the "
        "item had a cost): left out of the margin, which is partial when this is not 0"
    )
    revenue_share_percent: DecimalNumber | None = Field(
        description="Share of all items' revenue in the period"
    )
    average_price: DecimalNumber | None = Field(description="Revenue per unit sold")
    previous_quantity: DecimalNumber
    previous_revenue: DecimalNumber
    revenue_growth_percent: DecimalNumber | None = Field(
        description="Against the previous period (up to `previous_period.through` when "
        "the period is partial); null when it had no revenue"
    )
    quantity_growth_percent: DecimalNumber | None
    rank: int = Field(description="By revenue in the period (equal revenue, equal rank)")


class ItemSummary(ResponseSchema):
    item_count: int
    total_quantity: DecimalNumber
    total_revenue: DecimalNumber
    total_cost: DecimalNumber = Field(description="Cost of the items whose cost is known")
    gross_margin: DecimalNumber | None = Field(description="Over the revenue whose cost is known")
    margin_percent: DecimalNumber | None
    uncosted_revenue: DecimalNumber = Field(
        description="Revenue without a recorded cost, left out of the margin"
    )
    previous_revenue: DecimalNumber
    revenue_growth_percent: DecimalNumber | None


class ItemPerformancePage(Page[ItemPerformance]):
    """A page of items, with the periods compared and the totals over every item."""

    period: Period
    previous_period: Period
    summary: ItemSummary


# Revenue trends ------------------------------------------------------------------------------


class Granularity(StrEnum):
    day = "day"
    week = "week"
    month = "month"


class Direction(StrEnum):
    up = "up"
    down = "down"
    flat = "flat"


class ProjectionStatus(StrEnum):
    available = "available"
    unavailable = "unavailable"


class TrendPoint(ResponseSchema):
    period_start: date = Field(description="First day of the period inside the range")
    period_end: date = Field(description="Last day of the period inside the range")
    complete: bool = Field(
        description="False for a period that reaches today or later: its sales are still "
        "coming in, so it is left out of the trend"
    )
    whole: bool = Field(
        description="False for a week or month the range cuts (its first or last may start "
        "or end inside one): it holds only the days inside, so it is left out of the trend"
    )
    revenue: DecimalNumber
    transactions: int
    average_ticket: DecimalNumber | None = Field(
        description="Revenue per transaction, of the days and locations whose sales were "
        "counted: daily totals imported without a transactions column add to revenue, not to "
        "the average. Null without transactions"
    )
    growth_percent: DecimalNumber | None = Field(
        description="Revenue against the previous point; null for the first or after a zero"
    )


class TrendTotals(ResponseSchema):
    revenue: DecimalNumber
    transactions: int
    average_ticket: DecimalNumber | None = Field(
        description="Revenue per transaction, of the days and locations whose sales were "
        "counted: daily totals imported without a transactions column add to revenue, not to "
        "the average. Null without transactions"
    )
    previous_revenue: DecimalNumber
    previous_transactions: int
    growth_percent: DecimalNumber | None = Field(
        description="Revenue against the previous range of the same length (up to "
        "`previous_period.through` when the period is partial)"
    )


class Trend(ResponseSchema):
    slope: DecimalNumber | None = Field(
        description="Least-squares revenue change per period; null with fewer than 2 periods"
    )
    slope_percent: DecimalNumber | None = Field(
        description="The slope as a percent of the average revenue per period"
    )
    direction: Direction


class ProjectionPoint(ResponseSchema):
    period_start: date = Field(description="First projected day of the period")
    period_end: date = Field(description="Last day of the period")
    revenue: DecimalNumber


class RevenueProjection(ResponseSchema):
    series: list[ProjectionPoint]
    total_revenue: DecimalNumber


class RevenueTrends(ResponseSchema):
    period: Period
    previous_period: Period
    granularity: Granularity
    series: list[TrendPoint]
    totals: TrendTotals
    trend: Trend
    projection: RevenueProjection | None
    projection_status: ProjectionStatus


# Staff performance ---------------------------------------------------------------------------


class StaffMember(ResponseSchema):
    user_id: uuid.UUID | None = Field(description="null for the unattributed group")
    name: str | None = Field(description="The user's full name; null when the user is gone")
    role: Role | None
    sales_count: int
    revenue: DecimalNumber
    items_sold: DecimalNumber
    average_ticket: DecimalNumber | None
    revenue_share_percent: DecimalNumber | None
    rank: int | None = Field(description="By revenue among staff; null for unattributed")


class StaffTotals(ResponseSchema):
    staff_count: int
    sales_count: int
    revenue: DecimalNumber
    items_sold: DecimalNumber
    average_ticket: DecimalNumber | None


class StaffPerformance(ResponseSchema):
    period: Period
    staff: list[StaffMember]
    unattributed: StaffMember | None = Field(
        description="Sales recorded without a server (imports, self-service)"
    )
    totals: StaffTotals


# Customers -----------------------------------------------------------------------------------


class Segment(StrEnum):
    new = "new"
    returning = "returning"
    loyal = "loyal"


class SegmentThresholds(ResponseSchema):
    returning_min_visits: int
    loyal_min_visits: int


class SegmentStats(ResponseSchema):
    segment: Segment
    customers: int
    visits: int = Field(description="Visits in the period")
    revenue: DecimalNumber
    average_spend: DecimalNumber | None = Field(description="Revenue per visit")
    average_customer_value: DecimalNumber | None = Field(
        description="Revenue per customer; null without customers"
    )
    revenue_share_percent: DecimalNumber | None


class TopCustomer(ResponseSchema):
    customer_id: uuid.UUID
    name: str | None
    email: str | None
    segment: Segment
    visits: int = Field(description="Visits in the period")
    visits_to_date: int = Field(description="Visits up to the end of the period")
    revenue: DecimalNumber
    average_spend: DecimalNumber | None
    last_visit: date | None


class CustomerTotals(ResponseSchema):
    customers: int
    visits: int
    revenue: DecimalNumber
    average_spend: DecimalNumber | None = Field(description="Revenue per visit")
    average_customer_value: DecimalNumber | None = Field(
        description="Revenue per customer; null without customers"
    )


class CustomerSegments(ResponseSchema):
    period: Period
    thresholds: SegmentThresholds
    segments: list[SegmentStats]
    top_customers: list[TopCustomer]
    totals: CustomerTotals

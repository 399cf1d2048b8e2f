"""SQL of the analytics endpoints. Item and revenue figures come from the ledger's rollups,
except for a day counted only up to an instant (the unfinished business day, and the day it is
compared with), which comes from its lines; staff and customer figures from the ledger's lines
(they carry server_id and customer_id). Every statement is scoped to one business."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, false, func, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from tableside.models import (
    NO_KEY,
    Business,
    Customer,
    DailyItemRollup,
    HourlyRollup,
    LedgerLine,
    Location,
    MenuCategory,
    MenuItem,
    Role,
    User,
)
from tableside.models.ledger import counted_revenue, daily_items_table

ZERO = Decimal(0)


@dataclass(frozen=True)
class Span:
    """What a period counts: the lines of business days `first`..`last` sold before `before`
    (all of them when it is None). `before` falls on business day `before_day`: the days
    before that one are whole and read from the rollups, that day is read from its lines,
    and the days after it hold nothing yet."""

    first: date
    last: date
    before: datetime | None = None
    before_day: date | None = None

    @property
    def whole_last(self) -> date:
        """The last day counted whole (before `first` when there is none)."""
        if self.before_day is None:
            return self.last
        return min(self.last, self.before_day - timedelta(days=1))

    @property
    def cut_day(self) -> date | None:
        """The day inside the span counted only up to `before`, if any."""
        day = self.before_day
        return day if day is not None and self.first <= day <= self.last else None

    def whole(self, column: Any) -> Any:
        """SQL: `column` (a business date) is one of the whole days."""
        if self.whole_last < self.first:
            return false()
        return and_(column >= self.first, column <= self.whole_last)


@dataclass(frozen=True)
class ItemRow:
    """One item's sums in the period and in the previous one, with its menu entry."""

    item_id: uuid.UUID
    quantity: Decimal
    revenue: Decimal
    cost: Decimal
    # The part of `revenue` from lines with a recorded cost: what a margin is taken over.
    costed_revenue: Decimal
    previous_quantity: Decimal
    previous_revenue: Decimal
    name: str | None
    sku: str | None
    category_id: uuid.UUID | None
    category_name: str | None
    menu_cost: Decimal | None


@dataclass(frozen=True)
class DayRow:
    day: date
    revenue: Decimal
    transactions: int
    # The revenue of the day's locations whose sales were counted (`counted_revenue`).
    counted_revenue: Decimal


@dataclass(frozen=True)
class ServerRow:
    server_id: uuid.UUID | None
    sales_count: int
    revenue: Decimal
    items_sold: Decimal


@dataclass(frozen=True)
class StaffUser:
    full_name: str
    role: Role


@dataclass(frozen=True)
class CustomerRow:
    customer_id: uuid.UUID
    visits: int
    revenue: Decimal
    last_visit: date | None
    visits_to_date: int
    name: str | None
    email: str | None


def _sold_at_window(first: date, last: date) -> tuple[datetime, datetime]:
    """UTC instants that surely contain every sale of business days `first`..`last`.

    A line's business date is its local time minus the cutoff hour (0-23), and local time is
    UTC-12 to UTC+14, so a day's sales lie within a day before and three days after it in
    UTC. The ledger's index starts with (business_id, sold_at): this range lets a query read
    only the period's lines; the exact business_date condition then applies."""
    return (
        datetime.combine(first - timedelta(days=1), time(), tzinfo=UTC),
        datetime.combine(last + timedelta(days=3), time(), tzinfo=UTC),
    )


def _item_sums(now: Any, before: Any, quantity: Any, amount: Any, cost: Any) -> list[Any]:
    """The per-item sums of the period (`now`) and the previous one (`before`)."""
    return [
        func.coalesce(func.sum(quantity).filter(now), 0).label("quantity"),
        func.coalesce(func.sum(amount).filter(now), 0).label("revenue"),
        func.coalesce(func.sum(cost).filter(now), 0).label("cost"),
        func.coalesce(func.sum(quantity).filter(before), 0).label("prev_qty"),
        func.coalesce(func.sum(amount).filter(before), 0).label("prev_rev"),
    ]


class AnalyticsRepository:
    def __init__(self, session: AsyncSession, business_id: uuid.UUID) -> None:
        self.session = session
        self.business_id = business_id

    async def business(self) -> Business:
        stmt = select(Business).where(Business.id == self.business_id)
        return (await self.session.execute(stmt)).scalar_one()

    async def location(self, location_id: uuid.UUID) -> Any:
        """A location of this business (active or not: history stays readable) with its own
        time zone (None when it keeps the business's); None when there is no such one."""
        stmt = select(Location.id, Location.timezone).where(
            Location.business_id == self.business_id, Location.id == location_id
        )
        return (await self.session.execute(stmt)).first()

    async def category_exists(self, category_id: uuid.UUID) -> bool:
        """Whether the menu category is this business's (deactivated ones included)."""
        stmt = select(MenuCategory.id).where(
            MenuCategory.business_id == self.business_id, MenuCategory.id == category_id
        )
        return (await self.session.execute(stmt)).first() is not None

    # Items and revenue: the rollups, and a cut day's lines ---------------------------------

    def _cut_lines(self, span: Span) -> Any:
        """SQL: a line of the span's cut day sold before its instant (none without one). The
        sold_at bounds keep the read on the (business_id, sold_at) index: one day's lines."""
        day = span.cut_day
        if day is None or span.before is None:
            return false()
        start, _ = _sold_at_window(day, day)
        line = LedgerLine
        return and_(line.business_date == day, line.sold_at >= start, line.sold_at < span.before)

    async def cut_day_revenue(self, span: Span, location_id: uuid.UUID | None) -> DayRow | None:
        """Revenue and transactions of the span's cut day up to its instant (None without a
        cut day)."""
        if span.cut_day is None:
            return None
        line = LedgerLine
        conditions: list[Any] = [line.business_id == self.business_id, self._cut_lines(span)]
        if location_id is not None:
            conditions.append(line.location_id == location_id)
        places = (
            select(
                func.sum(line.net_amount).label("revenue"),
                func.sum(line.transactions).label("transactions"),
            )
            .where(*conditions)
            .group_by(line.location_id)
            .subquery()
        )
        stmt = select(
            func.coalesce(func.sum(places.c.revenue), 0),
            func.coalesce(func.sum(places.c.transactions), 0),
            counted_revenue(places.c.revenue, places.c.transactions),
        )
        revenue, count, counted = (await self.session.execute(stmt)).one()
        return DayRow(span.cut_day, Decimal(revenue), int(count), Decimal(counted))

    async def item_rows(
        self, previous: Span, current: Span, location_id: uuid.UUID | None
    ) -> list[ItemRow]:
        """Per item sold in `previous` or `current`: its sums in each. Lines without an item
        are left out. Whole days come from the rollups, a cut day from its lines."""
        rollup: Any = daily_items_table(location_id)
        now = current.whole(rollup.business_date)
        before = previous.whole(rollup.business_date)
        conditions: list[Any] = [
            rollup.business_id == self.business_id,
            rollup.business_date >= previous.first,
            rollup.business_date <= current.last,
            or_(now, before),
            rollup.item_key != NO_KEY,
        ]
        if location_id is not None:
            conditions.append(DailyItemRollup.location_key == location_id)
        parts = [
            select(
                rollup.item_key.label("item_id"),
                *_item_sums(now, before, rollup.quantity, rollup.net_amount, rollup.cost),
                func.coalesce(func.sum(rollup.costed_revenue).filter(now), 0).label(
                    "costed_revenue"
                ),
            )
            .where(*conditions)
            .group_by(rollup.item_key)
        ]
        cuts = [span for span in (current, previous) if span.cut_day is not None]
        if cuts:
            line = LedgerLine
            now_lines = self._cut_lines(current)
            before_lines = self._cut_lines(previous)
            cost = func.coalesce(line.cost, 0)  # as the rollups count a missing cost
            line_conditions: list[Any] = [
                line.business_id == self.business_id,
                or_(*(self._cut_lines(span) for span in cuts)),
                line.menu_item_id.is_not(None),
            ]
            if location_id is not None:
                line_conditions.append(line.location_id == location_id)
            parts.append(
                select(
                    line.menu_item_id.label("item_id"),
                    *_item_sums(now_lines, before_lines, line.quantity, line.net_amount, cost),
                    func.coalesce(
                        func.sum(line.net_amount).filter(now_lines, line.cost.is_not(None)), 0
                    ).label("costed_revenue"),
                )
                .where(*line_conditions)
                .group_by(line.menu_item_id)
            )
        both = union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
        sums = (
            select(
                both.c.item_id,
                *(
                    func.sum(both.c[name]).label(name)
                    for name in ("quantity", "revenue", "cost", "costed_revenue")
                ),
                func.sum(both.c.prev_qty).label("prev_qty"),
                func.sum(both.c.prev_rev).label("prev_rev"),
            )
            .group_by(both.c.item_id)
            .subquery()
        )
        stmt = (
            select(
                sums,
                MenuItem.name,
                MenuItem.sku,
                MenuItem.category_id,
                MenuCategory.name.label("category_name"),
                MenuItem.cost.label("menu_cost"),
            )
            .outerjoin(
                MenuItem,
                and_(MenuItem.id == sums.c.item_id, MenuItem.business_id == self.business_id),
            )
            .outerjoin(
                MenuCategory,
                and_(
                    MenuCategory.id == MenuItem.category_id,
                    MenuCategory.business_id == self.business_id,
                ),
            )
        )
        rows = (await self.session.execute(stmt)).all()
        return [
            ItemRow(
                item_id=row.item_id,
                quantity=Decimal(row.quantity),
                revenue=Decimal(row.revenue),
                cost=Decimal(row.cost),
                costed_revenue=Decimal(row.costed_revenue),
                previous_quantity=Decimal(row.prev_qty),
                previous_revenue=Decimal(row.prev_rev),
                name=row.name,
                sku=row.sku,
                category_id=row.category_id,
                category_name=row.category_name,
                menu_cost=row.menu_cost,
            )
            for row in rows
        ]

    async def daily_revenue(
        self, first: date, last: date, location_id: uuid.UUID | None
    ) -> list[DayRow]:
        """Revenue, transactions and counted revenue per business day with any (days without
        are absent)."""
        hourly = HourlyRollup
        conditions: list[Any] = [
            hourly.business_id == self.business_id,
            hourly.business_date >= first,
            hourly.business_date <= last,
        ]
        if location_id is not None:
            conditions.append(hourly.location_key == location_id)
        places = (
            select(
                hourly.business_date,
                func.sum(hourly.net_amount).label("revenue"),
                func.sum(hourly.transactions).label("transactions"),
            )
            .where(*conditions)
            .group_by(hourly.business_date, hourly.location_key)
            .subquery()
        )
        stmt = (
            select(
                places.c.business_date,
                func.sum(places.c.revenue),
                func.sum(places.c.transactions),
                counted_revenue(places.c.revenue, places.c.transactions),
            )
            .group_by(places.c.business_date)
            .order_by(places.c.business_date)
        )
        rows = (await self.session.execute(stmt)).all()
        return [
            DayRow(day, Decimal(revenue), int(count), Decimal(counted))
            for day, revenue, count, counted in rows
        ]

    # Staff and customers: the lines ---------------------------------------------------------

    def _line_conditions(
        self,
        first: date | None,
        last: date,
        location_id: uuid.UUID | None,
        before: datetime | None = None,
    ) -> list[Any]:
        """Lines of business days `first`..`last` (from the beginning when `first` is None)
        sold before `before` (when given)."""
        line = LedgerLine
        start, end = _sold_at_window(first or last, last)
        conditions: list[Any] = [
            line.business_id == self.business_id,
            line.sold_at < (end if before is None else min(end, before)),
            line.business_date <= last,
        ]
        if first is not None:
            conditions += [line.sold_at >= start, line.business_date >= first]
        if location_id is not None:
            conditions.append(line.location_id == location_id)
        return conditions

    async def server_rows(self, span: Span, location_id: uuid.UUID | None) -> list[ServerRow]:
        """Per server (None: lines recorded without one): sales, revenue and units."""
        line = LedgerLine
        stmt = (
            select(
                line.server_id,
                func.coalesce(func.sum(line.transactions), 0),
                func.coalesce(func.sum(line.net_amount), 0),
                func.coalesce(func.sum(line.quantity), 0),
            )
            .where(*self._line_conditions(span.first, span.last, location_id, span.before))
            .group_by(line.server_id)
        )
        rows = (await self.session.execute(stmt)).all()
        return [
            ServerRow(server_id, int(count), Decimal(revenue), Decimal(units))
            for server_id, count, revenue, units in rows
        ]

    async def users(self, user_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, StaffUser]:
        """Names and roles of this business's users among `user_ids`."""
        if not user_ids:
            return {}
        stmt = select(User.id, User.full_name, User.role).where(
            User.business_id == self.business_id, User.id.in_(list(user_ids))
        )
        rows = (await self.session.execute(stmt)).all()
        return {user_id: StaffUser(name, role) for user_id, name, role in rows}

    async def customer_rows(
        self, span: Span, location_id: uuid.UUID | None
    ) -> Sequence[CustomerRow]:
        """Customers with at least one visit (a sale) in the span: their visits, revenue
        (refunds included) and last visit in it, and their visits up to its end."""
        line = LedgerLine
        period = (
            select(
                line.customer_id.label("customer_id"),
                func.sum(line.transactions).label("visits"),
                func.sum(line.net_amount).label("revenue"),
                func.max(line.business_date).filter(line.transactions > 0).label("last_visit"),
            )
            .where(
                *self._line_conditions(span.first, span.last, location_id, span.before),
                line.customer_id.is_not(None),
            )
            .group_by(line.customer_id)
            .having(func.sum(line.transactions) > 0)
            .cte("period")
        )
        history = (
            select(
                line.customer_id.label("customer_id"),
                func.sum(line.transactions).label("visits_to_date"),
            )
            .where(
                *self._line_conditions(None, span.last, location_id, span.before),
                line.customer_id.in_(select(period.c.customer_id)),
            )
            .group_by(line.customer_id)
            .subquery()
        )
        stmt = (
            select(
                period.c.customer_id,
                period.c.visits,
                period.c.revenue,
                period.c.last_visit,
                history.c.visits_to_date,
                Customer.name,
                Customer.email,
            )
            .join(history, history.c.customer_id == period.c.customer_id)
            .outerjoin(
                Customer,
                and_(Customer.id == period.c.customer_id, Customer.business_id == self.business_id),
            )
        )
        rows = (await self.session.execute(stmt)).all()
        return [
            CustomerRow(
                customer_id=row.customer_id,
                visits=int(row.visits),
                revenue=Decimal(row.revenue),
                last_visit=row.last_visit,
                visits_to_date=int(row.visits_to_date),
                name=row.name,
                email=row.email,
            )
            for row in rows
        ]

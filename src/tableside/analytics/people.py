"""Staff performance and customer segments, from the ledger's lines: each line names the
user who took the sale or served the order (`server_id`) and the customer (`customer_id`),
and one line per sale carries `transactions = 1`, so summing it counts sales (visits)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from tableside.analytics import schemas
from tableside.analytics.repository import CustomerRow, ServerRow
from tableside.analytics.service import (
    ZERO,
    Scope,
    competition_ranks,
    open_scope,
    percent,
)
from tableside.auth.dependencies import Principal
from tableside.errors import ValidationFailed
from tableside.models import Role

# Staff ----------------------------------------------------------------------------------------


def _member(
    scope: Scope,
    row: ServerRow,
    total: Decimal,
    *,
    name: str | None,
    role: Role | None,
    rank: int | None,
) -> schemas.StaffMember:
    return schemas.StaffMember(
        user_id=row.server_id,
        name=name,
        role=role,
        sales_count=row.sales_count,
        revenue=scope.money(row.revenue),
        items_sold=row.items_sold,
        average_ticket=scope.per(row.revenue, row.sales_count),
        revenue_share_percent=percent(row.revenue, total),
        rank=rank,
    )


async def staff_performance(
    session: AsyncSession,
    principal: Principal,
    *,
    date_from: date | None,
    date_to: date | None,
    location_id: uuid.UUID | None,
    role: Role | None,
) -> schemas.StaffPerformance:
    """Per server: sales, revenue (net of refunds), units, average ticket, share of the
    period's revenue and rank by revenue among all servers.

    Lines recorded without a server (imports, self-service) are one `unattributed` row,
    outside the ranking; shares are of all the period's revenue, so with it they add up to
    100. `role` keeps the servers of that role only (and drops the unattributed row), their
    ranks and shares unchanged; totals add up the rows returned."""
    scope = await open_scope(session, principal, date_from, date_to, location_id)
    rows = await scope.repository.server_rows(scope.current(), scope.location_id)
    total = sum((row.revenue for row in rows), ZERO)
    servers = [row for row in rows if row.server_id is not None]
    users = await scope.repository.users([row.server_id for row in servers if row.server_id])
    ranks = competition_ranks([row.revenue for row in servers])
    staff = []
    for row, rank in zip(servers, ranks, strict=True):
        user = users.get(row.server_id) if row.server_id else None
        if role is not None and (user is None or user.role != role):
            continue
        staff.append(
            _member(
                scope,
                row,
                total,
                name=user.full_name if user else None,
                role=user.role if user else None,
                rank=rank,
            )
        )
    staff.sort(key=lambda m: (m.rank or 0, (m.name or "").casefold(), str(m.user_id)))
    unattributed_row = next((row for row in rows if row.server_id is None), None)
    unattributed = None
    if unattributed_row is not None and role is None:
        unattributed = _member(scope, unattributed_row, total, name=None, role=None, rank=None)
    shown = staff + ([unattributed] if unattributed else [])
    revenue = sum((m.revenue for m in shown), ZERO)
    sales = sum(m.sales_count for m in shown)
    return schemas.StaffPerformance(
        period=scope.period(),
        staff=staff,
        unattributed=unattributed,
        totals=schemas.StaffTotals(
            staff_count=len(staff),
            sales_count=sales,
            revenue=scope.money(revenue),
            items_sold=sum((m.items_sold for m in shown), ZERO),
            average_ticket=scope.per(revenue, sales),
        ),
    )


# Customers ------------------------------------------------------------------------------------


def segment_of(visits_to_date: int, returning_min: int, loyal_min: int) -> schemas.Segment:
    """The segment for a customer's visits up to the end of the period.

    With the defaults (2 and 5): one visit, necessarily inside the period, is `new`; 2 to 4
    visits `returning`; 5 or more `loyal`."""
    if visits_to_date >= loyal_min:
        return schemas.Segment.loyal
    if visits_to_date >= returning_min:
        return schemas.Segment.returning
    return schemas.Segment.new


def _top_customer(scope: Scope, row: CustomerRow, segment: schemas.Segment) -> schemas.TopCustomer:
    return schemas.TopCustomer(
        customer_id=row.customer_id,
        name=row.name,
        email=row.email,
        segment=segment,
        visits=row.visits,
        visits_to_date=row.visits_to_date,
        revenue=scope.money(row.revenue),
        average_spend=scope.per(row.revenue, row.visits),
        last_visit=row.last_visit,
    )


async def customer_segments(
    session: AsyncSession,
    principal: Principal,
    *,
    date_from: date | None,
    date_to: date | None,
    location_id: uuid.UUID | None,
    returning_min_visits: int,
    loyal_min_visits: int,
    segment: schemas.Segment | None,
    top: int,
) -> schemas.CustomerSegments:
    """Customers who visited in the period, segmented by their visits up to its end, with
    each segment's visits, revenue, spend per visit and revenue per customer, and the top
    customers by revenue.

    A visit is a sale naming the customer. Revenue is the customer's lines in the period, so
    a refund made in it reduces it; a customer whose only line in the period is a refund
    did not visit and is not counted. With `location_id`, visits and history are that
    location's. `segment` narrows the top customers only."""
    if loyal_min_visits <= returning_min_visits:
        raise ValidationFailed(
            details=[
                {
                    "field": "loyal_min_visits",
                    # Both values: with only returning_min_visits sent, this names a field
                    # the caller left at its default.
                    "message": f"must be greater than returning_min_visits"
                    f" ({returning_min_visits}); it is {loyal_min_visits}",
                }
            ]
        )
    scope = await open_scope(session, principal, date_from, date_to, location_id)
    rows = await scope.repository.customer_rows(scope.current(), scope.location_id)
    segmented = [
        (row, segment_of(row.visits_to_date, returning_min_visits, loyal_min_visits))
        for row in rows
    ]
    total_revenue = sum((row.revenue for row in rows), ZERO)
    total_visits = sum(row.visits for row in rows)
    segments = []
    for name in schemas.Segment:
        members = [row for row, of in segmented if of == name]
        revenue = sum((row.revenue for row in members), ZERO)
        visits = sum(row.visits for row in members)
        segments.append(
            schemas.SegmentStats(
                segment=name,
                customers=len(members),
                visits=visits,
                revenue=scope.money(revenue),
                average_spend=scope.per(revenue, visits),
                average_customer_value=scope.per(revenue, len(members)),
                revenue_share_percent=percent(revenue, total_revenue),
            )
        )
    candidates = [(row, of) for row, of in segmented if segment is None or of == segment]
    candidates.sort(
        key=lambda pair: (
            -pair[0].revenue,
            -pair[0].visits,
            (pair[0].name or "").casefold(),
            str(pair[0].customer_id),
        )
    )
    return schemas.CustomerSegments(
        period=scope.period(),
        thresholds=schemas.SegmentThresholds(
            returning_min_visits=returning_min_visits, loyal_min_visits=loyal_min_visits
        ),
        segments=segments,
        top_customers=[_top_customer(scope, row, of) for row, of in candidates[:top]],
        totals=schemas.CustomerTotals(
            customers=len(rows),
            visits=total_visits,
            revenue=scope.money(total_revenue),
            average_spend=scope.per(total_revenue, total_visits),
            average_customer_value=scope.per(total_revenue, len(rows)),
        ),
    )

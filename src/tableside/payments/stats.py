"""Sales and split-payment statistics over a range of business days.

Only sales that completed count (status `completed`, or `refunded`: a refunded sale completed
first and its refund is reported apart), so `net_sales = total_sales - total_refunded` and the
per-method amounts (net of refunds) add up to `net_sales`.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from tableside.auth.dependencies import Principal
from tableside.errors import ValidationFailed
from tableside.kit.business_time import business_date
from tableside.kit.money import round_money
from tableside.kit.schemas import utcnow
from tableside.models import Business
from tableside.payments import schemas
from tableside.payments.repository import SaleRepository, StatsFilter

DEFAULT_DAYS = 30
HUNDREDTH = Decimal("0.01")


def period(business: Business, date_from: date | None, date_to: date | None) -> tuple[date, date]:
    """The business days to report: the given range, by default the last 30 up to today
    (with only `date_to`, the 30 days ending then, or fewer from the first date there is)."""
    if date_to is None:
        today = business_date(utcnow(), business.timezone, business.day_cutoff_hour)
        date_to = today if date_from is None else max(today, date_from)
    if date_from is None:
        date_from = date_to - timedelta(days=min(DEFAULT_DAYS - 1, (date_to - date.min).days))
    if date_from > date_to:
        raise ValidationFailed(
            details=[{"field": "date_from", "message": "must not be after date_to"}]
        )
    return date_from, date_to


async def sales_stats(
    session: AsyncSession,
    principal: Principal,
    *,
    date_from: date | None,
    date_to: date | None,
    location_id: uuid.UUID | None,
) -> schemas.SaleStats:
    """Totals, refunds, tips, the split by payment method and the ten most sold items."""
    repository = SaleRepository(session, principal.business_id)
    business = await repository.business()
    first, last = period(business, date_from, date_to)
    where = StatsFilter(first, last, location_id)
    count, total, refunded, tips = await repository.sales_totals(where)
    methods = await repository.by_payment_method(where)
    top = await repository.top_items(where)
    currency = business.currency
    return schemas.SaleStats(
        date_from=first,
        date_to=last,
        total_sales=round_money(total, currency),
        total_refunded=round_money(refunded, currency),
        net_sales=round_money(total - refunded, currency),
        transaction_count=count,
        average_order_value=round_money(total / count if count else Decimal(0), currency),
        total_tips=round_money(tips, currency),
        by_payment_method=[
            schemas.PaymentMethodStats(method=method, count=n, amount=round_money(amount, currency))
            for method, n, amount in methods
        ],
        top_items=[
            schemas.TopItem(
                menu_item_id=item_id,
                name=name,
                quantity=quantity,
                revenue=round_money(revenue, currency),
            )
            for item_id, name, quantity, revenue in top
        ],
    )


async def split_stats(
    session: AsyncSession,
    principal: Principal,
    *,
    date_from: date | None,
    date_to: date | None,
    location_id: uuid.UUID | None,
) -> schemas.SplitStats:
    """Sales settled by two or more payments: how many, their total, the average payment in
    them and the average number of payments per such sale."""
    repository = SaleRepository(session, principal.business_id)
    business = await repository.business()
    first, last = period(business, date_from, date_to)
    sales, total, payments, paid = await repository.split_totals(
        StatsFilter(first, last, location_id)
    )
    currency = business.currency
    return schemas.SplitStats(
        date_from=first,
        date_to=last,
        total_split_sales=sales,
        total_amount=round_money(total, currency),
        average_split_amount=round_money(paid / payments if payments else Decimal(0), currency),
        average_payments_per_sale=(Decimal(payments) / sales if sales else Decimal(0)).quantize(
            HUNDREDTH, rounding=ROUND_HALF_UP
        ),
    )

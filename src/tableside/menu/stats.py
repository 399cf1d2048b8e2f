"""Item detail: the item with its completed sales over the last 30 business days."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from tableside.auth.dependencies import Principal
from tableside.businesses import service as businesses
from tableside.errors import NotFound
from tableside.kit.business_time import business_date
from tableside.kit.money import CENT, ZERO
from tableside.kit.schemas import utcnow
from tableside.menu.repository import ItemRepository, ItemSalesRepository
from tableside.menu.schemas import DailySales, Item, ItemDetail, Sales30d

WINDOW_DAYS = 30


async def item_detail(
    session: AsyncSession, principal: Principal, item_id: uuid.UUID
) -> ItemDetail:
    """The item plus `sales_30d`: completed sales only, by business day, ending today.

    "Today" is the business day of now in the business's time zone and day cutoff, so a
    sale at 01:30 before a 04:00 cutoff counts for the previous day. Cancelled, pending and
    refunded sales do not count. `cost` is null when any counted line recorded no unit cost
    (a partial sum would overstate the margin).
    """
    found = await ItemRepository(session, principal.business_id).get_with_category_name(item_id)
    if found is None:
        raise NotFound("Menu item not found")
    business = await businesses.get_business(session, principal)
    today = business_date(utcnow(), business.timezone, business.day_cutoff_hour)
    first = today - timedelta(days=WINDOW_DAYS - 1)
    sales = ItemSalesRepository(session, principal.business_id)
    by_day = {day.day: day for day in await sales.daily(item_id, first, today)}
    daily = []
    for offset in range(WINDOW_DAYS):
        day = first + timedelta(days=offset)
        sold = by_day.get(day)
        daily.append(
            DailySales(
                date=day,
                quantity=sold.quantity if sold else 0,
                revenue=sold.revenue if sold else ZERO,
            )
        )
    quantity = sum(day.quantity for day in daily)
    revenue = sum((day.revenue for day in daily), ZERO)
    cost: Decimal | None = None
    if not any(day.uncosted_lines for day in by_day.values()):
        cost = sum((day.cost for day in by_day.values() if day.cost is not None), ZERO)
    summary = Sales30d(
        start_date=first,
        end_date=today,
        quantity=quantity,
        revenue=revenue,
        cost=cost,
        gross_margin=None if cost is None else revenue - cost,
        order_count=sum(day.sale_count for day in by_day.values()),
        average_daily_quantity=(Decimal(quantity) / WINDOW_DAYS).quantize(
            CENT, rounding=ROUND_HALF_UP
        ),
        last_sold_at=await sales.last_sold_at(item_id),
        daily=daily,
    )
    item = Item.of(*found)
    return ItemDetail.model_validate({**item.model_dump(), "sales_30d": summary})

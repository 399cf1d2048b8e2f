"""Ledger maintenance: recompute a business's rollups from its ledger lines.

The write paths keep the rollups exact as lines arrive; a rebuild is for after loading lines
without them (the demo history, a bulk COPY) or to repair rollups. It is set-based: two
DELETEs and three INSERT ... SELECT ... GROUP BY, whatever the number of lines.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Integer,
    SmallInteger,
    cast,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from tableside.ledger.repository import (
    LINE_CATEGORY_KEY,
    LINE_ITEM_KEY,
    LINE_LOCATION_KEY,
    LedgerRepository,
)
from tableside.models import DailyItemRollup, DailyItemTotal, HourlyRollup, LedgerLine


@dataclass(frozen=True)
class RebuildResult:
    daily_rows: int
    hourly_rows: int


async def rebuild_rollups(session: AsyncSession, business_id: uuid.UUID) -> RebuildResult:
    """Replace the business's daily item and hourly rollups with sums over its ledger lines,
    in the caller's transaction (the caller has set the tenant).

    The result equals what the write paths would have built line by line: `line_count` adds
    +1 per sold line and -1 per refund line, `cost` counts a missing cost as 0 and
    `costed_revenue` sums the net amounts of the lines with a cost, a row's
    `category_id` is that of the newest line carrying one, and lines without an item are
    kept apart by category (`category_key`). An hour row's `business_date` and
    `local_hour` are the same for all its lines (their zone fixes them), taken with min().

    Holds the business's ledger lock (as bulk imports do) so an import cannot interleave;
    single sales written meanwhile by the tills are not serialized with it, so run it when
    the business is not selling (or repair again afterwards).
    """
    await LedgerRepository(session, business_id).lock_business_ledger()
    await session.execute(delete(DailyItemRollup).where(DailyItemRollup.business_id == business_id))
    await session.execute(delete(HourlyRollup).where(HourlyRollup.business_id == business_id))
    await session.execute(delete(DailyItemTotal).where(DailyItemTotal.business_id == business_id))

    line = LedgerLine
    location_key, item_key, category_key = LINE_LOCATION_KEY, LINE_ITEM_KEY, LINE_CATEGORY_KEY
    newest_category = func.array_agg(aggregate_order_by(line.category_id, line.id.desc())).filter(
        line.category_id.is_not(None)
    )
    # What both item tables hold per key: the newest category and the sums.
    item_sums = (
        newest_category[1],
        func.sum(line.quantity),
        func.sum(line.net_amount),
        func.coalesce(func.sum(line.cost), 0),
        cast(func.sum(func.sign(line.quantity)), BigInteger),
        func.coalesce(func.sum(line.net_amount).filter(line.cost.is_not(None)), 0),
    )
    item_columns = ["category_id", "quantity", "net_amount", "cost", "line_count", "costed_revenue"]

    async def rebuild_items(table: Any, keys: dict[str, Any]) -> int:
        """Fill `table` with the item sums of the business's lines grouped by `keys`."""
        grouped = (
            select(line.business_id, *keys.values(), *item_sums)
            .where(line.business_id == business_id)
            .group_by(line.business_id, *keys.values())
        )
        result = await session.execute(
            insert(table).from_select(["business_id", *keys, *item_columns], grouped)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    daily_rows = await rebuild_items(
        DailyItemRollup,
        {
            "business_date": line.business_date,
            "location_key": location_key,
            "item_key": item_key,
            "category_key": category_key,
        },
    )
    await rebuild_items(
        DailyItemTotal,
        {"business_date": line.business_date, "item_key": item_key, "category_key": category_key},
    )
    hourly = (
        select(
            line.business_id,
            line.hour_start,
            location_key,
            func.min(line.business_date),
            cast(func.min(line.local_hour), SmallInteger),
            func.sum(line.quantity),
            func.sum(line.net_amount),
            func.coalesce(func.sum(line.cost), 0),
            func.sum(cast(line.transactions, Integer)),
            func.sum(line.covers),
        )
        .where(line.business_id == business_id)
        .group_by(line.business_id, line.hour_start, location_key)
    )
    hourly_result = await session.execute(
        insert(HourlyRollup).from_select(
            [
                "business_id",
                "hour_start",
                "location_key",
                "business_date",
                "local_hour",
                "quantity",
                "net_amount",
                "cost",
                "transactions",
                "covers",
            ],
            hourly,
        )
    )
    return RebuildResult(
        daily_rows=daily_rows,
        hourly_rows=hourly_result.rowcount,  # type: ignore[attr-defined]
    )

"""rebuild_rollups: rollups written line by line equal those recomputed from the ledger."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import delete, select

from tableside.db.database import Database, set_tenant
from tableside.ledger.lines import LineIn
from tableside.ledger.maintenance import rebuild_rollups
from tableside.models import DailyItemRollup, DailyItemTotal, HourlyRollup, SaleSource
from tests.factories import Account
from tests.factories.ledger_queries import (
    create_location,
    get_ok,
    ledger_business,
    local,
    record,
    refund,
    sale,
)

NY = "America/New_York"


async def snapshot(database: Database, account: Account) -> dict[str, set[tuple[Any, ...]]]:
    """Every rollup row of the business, all columns."""
    business_id = uuid.UUID(account.business_id)
    async with database.session() as session:
        await set_tenant(session, business_id)
        daily = (await session.execute(select(DailyItemRollup.__table__))).all()
        hourly = (await session.execute(select(HourlyRollup.__table__))).all()
        totals = (await session.execute(select(DailyItemTotal.__table__))).all()
    summed: dict[tuple[Any, ...], list[Any]] = {}
    for row in daily:
        key = (row.business_id, row.business_date, row.item_key)
        total = summed.setdefault(key, [0, 0, 0, 0])
        for index, column in enumerate(("quantity", "net_amount", "cost", "line_count")):
            total[index] += getattr(row, column)
    # The business-wide totals are the daily item rollups summed over locations.
    assert {
        (row.business_id, row.business_date, row.item_key): [
            row.quantity,
            row.net_amount,
            row.cost,
            row.line_count,
        ]
        for row in totals
    } == summed
    return {
        "daily": {tuple(row) for row in daily},
        "hourly": {tuple(row) for row in hourly},
        "totals": {tuple(row) for row in totals},
    }


async def rebuild(database: Database, account: Account) -> tuple[int, int]:
    business_id = uuid.UUID(account.business_id)
    async with database.session() as session:
        await set_tenant(session, business_id)
        result = await rebuild_rollups(session, business_id)
    return result.daily_rows, result.hourly_rows


def random_lines(
    rng: random.Random,
    days: list[date],
    items: list[tuple[uuid.UUID | None, uuid.UUID | None]],
    locations: list[uuid.UUID | None],
) -> list[LineIn]:
    """A few sales (some of several lines), refunds and a daily import line."""
    lines: list[LineIn] = []
    for _ in range(rng.randint(1, 4)):
        day = rng.choice(days)
        at = local(NY, day.year, day.month, day.day, 0) + timedelta(minutes=rng.randrange(24 * 60))
        location = rng.choice(locations)
        for position in range(rng.randint(1, 3)):
            item, category = rng.choice(items)
            quantity = rng.randint(1, 4)
            amount = f"{rng.randint(50, 5000) / 100:.2f}"
            if rng.random() < 0.2:
                lines.append(
                    refund(at, amount, quantity=str(quantity), item=item, category=category,
                           location=location, cost="0.50")
                )  # fmt: skip
            else:
                lines.append(
                    sale(at, amount, quantity=str(quantity), item=item, category=category,
                         location=location, cost=rng.choice([None, "1.25"]),
                         covers=rng.randint(0, 4) if position == 0 else 0,
                         transactions=1 if position == 0 else 0)
                )  # fmt: skip
    if rng.random() < 0.3:
        lines.append(sale(datetime(2000, 1, 1, tzinfo=UTC), "300.00", quantity="0",
                          business_date=rng.choice(days), transactions=0))  # fmt: skip
    return lines


async def test_incremental_rollups_equal_the_rebuild(
    client: httpx.AsyncClient, database: Database
) -> None:
    owner = await ledger_business(client, timezone=NY, cutoff_hour=4)
    # A location in another zone: its lines keep their own business dates and hours.
    london = uuid.UUID(await create_location(client, owner, "London", timezone="Europe/London"))
    queens = uuid.UUID(await create_location(client, owner, "Queens"))
    categories = [uuid.uuid4(), uuid.uuid4()]
    items = [(uuid.uuid4(), categories[n % 2]) for n in range(5)] + [(uuid.uuid4(), None)]
    items.append((None, None))
    locations: list[uuid.UUID | None] = [london, queens, None]
    # Both DST changes (8 March and 1 November 2026) and ordinary days around them.
    dst_days = [date(2026, 3, 7) + timedelta(days=n) for n in range(3)]
    dst_days += [date(2026, 10, 31) + timedelta(days=n) for n in range(3)]
    rng = random.Random(20261124)
    # Recent days first, then lines arriving late for old dates.
    for batch in range(30):
        days = dst_days[3:] if batch < 15 else dst_days[:3]
        await record(database, owner, random_lines(rng, days, items, locations))
    await record(
        database,
        owner,
        [
            sale(local(NY, 2026, 3, 8, 1, 30), "9.00", item=items[0][0], category=items[0][1]),
            sale(local(NY, 2026, 3, 8, 3, 30), "9.00", item=items[0][0], category=items[0][1]),
            sale(datetime(2026, 11, 1, 5, 30, tzinfo=UTC), "7.00", location=queens),
            sale(datetime(2026, 11, 1, 6, 30, tzinfo=UTC), "7.00", location=queens),
        ],
        source=SaleSource.webhook,
    )
    incremental = await snapshot(database, owner)
    assert len(incremental["daily"]) > 20 and len(incremental["hourly"]) > 20
    before = await get_ok(
        client, owner, "aggregate", date_from="2026-03-06", date_to="2026-11-03", group_by="item"
    )

    counts = await rebuild(database, owner)
    assert await snapshot(database, owner) == incremental
    assert counts == (len(incremental["daily"]), len(incremental["hourly"]))
    # Rebuilding twice changes nothing either.
    await rebuild(database, owner)
    assert await snapshot(database, owner) == incremental
    after = await get_ok(
        client, owner, "aggregate", date_from="2026-03-06", date_to="2026-11-03", group_by="item"
    )
    assert after == before


async def test_rebuild_restores_missing_rollups_of_one_business_only(
    client: httpx.AsyncClient, database: Database
) -> None:
    owner = await ledger_business(client, timezone="UTC", cutoff_hour=0)
    other = await ledger_business(client, timezone="UTC", cutoff_hour=0)
    item = uuid.uuid4()
    lines = [
        sale(datetime(2026, 6, 1, 12, tzinfo=UTC), "10.00", item=item, covers=2),
        sale(datetime(2026, 6, 2, 12, tzinfo=UTC), "20.00", item=item),
        refund(datetime(2026, 6, 3, 12, tzinfo=UTC), "10.00", item=item),
    ]
    await record(database, owner, lines)
    await record(database, other, lines[:1])
    expected = await snapshot(database, owner)
    theirs = await snapshot(database, other)
    business_id = uuid.UUID(owner.business_id)
    # Lines loaded without rollups (as a COPY would leave them).
    async with database.session() as session:
        await set_tenant(session, business_id)
        await session.execute(delete(DailyItemRollup))
        await session.execute(delete(HourlyRollup))
        await session.execute(delete(DailyItemTotal))
    assert await snapshot(database, owner) == {"daily": set(), "hourly": set(), "totals": set()}
    assert await rebuild(database, owner) == (3, 3)
    assert await snapshot(database, owner) == expected
    assert await snapshot(database, other) == theirs
    body = await get_ok(client, owner, "aggregate", date_from="2026-06-01", date_to="2026-06-03")
    assert body["total_revenue"] == 20 and body["transaction_count"] == 2 and body["covers"] == 2


async def test_rebuild_of_an_empty_ledger(client: httpx.AsyncClient, database: Database) -> None:
    owner = await ledger_business(client)
    assert await rebuild(database, owner) == (0, 0)

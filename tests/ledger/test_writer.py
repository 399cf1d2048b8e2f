"""The small write path: lines stamped in the business's calendar, rollups kept exact."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
from sqlalchemy import select

from tableside.db.database import Database, set_tenant
from tableside.ledger.lines import LineIn
from tableside.ledger.writer import record_lines
from tableside.models import NO_KEY, DailyItemRollup, HourlyRollup, LedgerLine, SaleSource
from tests.factories import register

D = Decimal


async def test_lines_land_on_business_days_and_rollups_add_up(
    client: httpx.AsyncClient, database: Database
) -> None:
    owner = await register(client)
    await client.put(
        "/api/v1/business",
        headers=owner.headers,
        json={"timezone": "America/New_York", "day_cutoff_hour": 4},
    )
    business_id = uuid.UUID(owner.business_id)
    item = uuid.uuid4()
    sale = uuid.uuid4()
    lines = [
        # 01:30 local on 24 Nov: business day 23 Nov.
        LineIn(datetime(2026, 11, 24, 6, 30, tzinfo=UTC), D(2), D("20.00"), menu_item_id=item,
               cost=D("6.00"), transactions=1, covers=2, sale_id=sale),
        LineIn(datetime(2026, 11, 24, 6, 45, tzinfo=UTC), D(1), D("5.50"), transactions=1),
        # A refund of one unit the next morning.
        LineIn(datetime(2026, 11, 24, 15, 0, tzinfo=UTC), D(-1), D("-10.00"), menu_item_id=item,
               cost=D("-3.00"), sale_id=sale),
        # A daily import booked on its date.
        LineIn(datetime(2026, 1, 1, tzinfo=UTC), D(0), D("1000.00"),
               business_date=date(2026, 11, 20)),
    ]  # fmt: skip
    async with database.session() as session:
        await set_tenant(session, business_id)
        assert await record_lines(session, business_id, lines, source=SaleSource.pos) == 4
    async with database.session() as session:
        await set_tenant(session, business_id)
        stored = (await session.execute(select(LedgerLine).order_by(LedgerLine.id))).scalars()
        stamped = [(line.business_date, line.local_hour) for line in stored]
        assert stamped == [
            (date(2026, 11, 23), 1),
            (date(2026, 11, 23), 1),
            (date(2026, 11, 24), 10),
            (date(2026, 11, 20), 4),
        ]
        daily = {
            (row.business_date, row.item_key): row
            for row in (await session.execute(select(DailyItemRollup))).scalars()
        }
        assert daily[(date(2026, 11, 23), item)].net_amount == D("20.00")
        assert daily[(date(2026, 11, 24), item)].line_count == -1
        assert daily[(date(2026, 11, 23), NO_KEY)].net_amount == D("5.50")
        hours = (await session.execute(select(HourlyRollup))).scalars().all()
        assert sum(h.net_amount for h in hours) == D("1015.50")
        assert sum(h.transactions for h in hours) == 2
        assert sum(h.covers for h in hours) == 2
        # Both lines of 01:xx local fall in one hour row.
        first = [h for h in hours if h.hour_start == datetime(2026, 11, 24, 6, 0, tzinfo=UTC)]
        assert len(first) == 1 and first[0].net_amount == D("25.50")

"""Property: whatever lines go through record_lines, the aggregate endpoint gives back the
sums Python computes from the same lines in the business's calendar."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tableside.db.database import Database
from tableside.kit.business_time import business_date
from tableside.ledger.lines import LineIn
from tests.factories import money
from tests.factories.ledger_queries import get_ok, ledger_business, record

NY = "America/New_York"
CUTOFF = 4
ITEMS = [uuid.UUID(int=n) for n in range(1, 4)]
# Around the fall-back night of 1 November 2026, so some examples cross it.
START = datetime(2026, 10, 29, tzinfo=UTC)

lines_strategy = st.lists(
    st.builds(
        LineIn,
        sold_at=st.integers(0, 6 * 24 * 60 - 1).map(lambda m: START + timedelta(minutes=m)),
        quantity=st.integers(-3, 6).map(Decimal),
        net_amount=st.integers(-5_000, 20_000).map(lambda c: Decimal(c) / 100),
        menu_item_id=st.sampled_from([None, *ITEMS]),
        covers=st.integers(0, 5),
        transactions=st.integers(0, 1),
    ),
    min_size=1,
    max_size=25,
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(lines=lines_strategy, split=st.integers(1, 3))
async def test_aggregates_equal_python_sums(
    client: httpx.AsyncClient, database: Database, lines: list[LineIn], split: int
) -> None:
    owner = await ledger_business(client, timezone=NY, cutoff_hour=CUTOFF)
    for start in range(split):
        await record(database, owner, lines[start::split])
    dates = [business_date(line.sold_at, NY, CUTOFF) for line in lines]
    first, last = min(dates), max(dates)
    revenue: defaultdict[str, Decimal] = defaultdict(Decimal)
    per_item: defaultdict[str | None, Decimal] = defaultdict(Decimal)
    for day, line in zip(dates, lines, strict=True):
        revenue[day.isoformat()] += line.net_amount
        item = str(line.menu_item_id) if line.menu_item_id else None
        per_item[item] += line.net_amount

    body = await get_ok(
        client, owner, "aggregate", date_from=first.isoformat(), date_to=last.isoformat()
    )
    assert money(body["total_revenue"]) == sum(line.net_amount for line in lines)
    assert money(body["items_sold"]) == sum(line.quantity for line in lines)
    assert body["transaction_count"] == sum(line.transactions for line in lines)
    assert body["covers"] == sum(line.covers for line in lines)
    assert len(body["time_series"]) == (last - first).days + 1
    for point in body["time_series"]:
        assert money(point["revenue"]) == revenue.get(point["period_start"], 0)

    by_item = await get_ok(
        client,
        owner,
        "aggregate",
        date_from=first.isoformat(),
        date_to=last.isoformat(),
        group_by="item",
    )
    assert {g["key"]: money(g["revenue"]) for g in by_item["groups"]} == dict(per_item)

    hourly = await get_ok(
        client,
        owner,
        "aggregate",
        date_from=first.isoformat(),
        date_to=last.isoformat(),
        granularity="hour",
    )
    hours: defaultdict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        hours[line.sold_at.replace(minute=0).strftime("%Y-%m-%dT%H:%M:%SZ")] += line.net_amount
    served = {p["period_start"]: money(p["revenue"]) for p in hourly["time_series"]}
    assert len(served) == len(hourly["time_series"])
    assert {k: v for k, v in served.items() if v} == {k: v for k, v in hours.items() if v}
    assert set(hours) <= set(served)

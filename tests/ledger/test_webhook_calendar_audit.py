"""Audit of the single external sale (`POST /api/v1/sales` with a `source` and a past
`sold_at`) and of the business calendar of the sales queries: each case is a fault an
integration or an operator hit, or a check of the numbers against sums computed here
independently with zoneinfo."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx
import pytest

from tableside.db.database import Database
from tests.factories import assert_error, money
from tests.factories.ledger_queries import create_location, get_ok, ledger_business
from tests.factories.sales import SALES, create_item, external_sale, read_ledger


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def test_a_sale_of_another_system_at_a_location_closed_since_is_recorded(
    client: httpx.AsyncClient, database: Database
) -> None:
    """Replaying last year's sales of a location closed since was 422 "no such location",
    while the same sale's retired menu items are accepted (and the bulk import takes any
    location of the business). The sale happened there: it is recorded, on that location's
    business day. A till still cannot ring up a sale at a closed location."""
    owner = await ledger_business(client, timezone="UTC", cutoff_hour=4)
    closed = await create_location(client, owner, "Harbour", timezone="America/New_York")
    response = await client.delete(f"/api/v1/locations/{closed}", headers=owner.headers)
    assert response.status_code == 204, response.text
    item = await create_item(database, owner, price="5.00", is_active=False)
    # 05:30 UTC is 00:30 in New York (EST): with a 04:00 cutoff, business day 19 January.
    response = await external_sale(
        client,
        owner.headers,
        [(item, 2, "4.50")],
        sold_at="2024-01-20T05:30:00Z",
        status="completed",
        location_id=closed,
        external_id="harbour-1",
    )
    assert response.status_code == 201, response.text
    sale = response.json()
    assert (sale["location_id"], sale["business_date"]) == (closed, "2024-01-19")
    (line,) = (await read_ledger(database, owner)).of_sale(sale["id"])
    assert (str(line.location_id), line.business_date.isoformat()) == (closed, "2024-01-19")
    body = await get_ok(
        client, owner, "aggregate", date_from="2024-01-19", date_to="2024-01-19",
        location_id=closed,
    )  # fmt: skip
    assert money(body["total_revenue"]) == money("9.00")

    till = await create_item(database, owner, price="5.00")
    refused = await client.post(
        SALES,
        headers=owner.headers,
        json={"items": [{"menu_item_id": till.id, "quantity": 1}], "location_id": closed},
    )
    error = assert_error(refused, 422, "VALIDATION_ERROR")
    assert [d["field"] for d in error["details"]] == ["location_id"]


async def test_a_refund_is_never_booked_before_the_sale_it_refunds(
    client: httpx.AsyncClient, database: Database
) -> None:
    """Another system's clock may run up to 5 minutes ahead of ours, so its sale can carry a
    `sold_at` a little after now. Refunding it at once booked the negative lines at the
    refund's instant, before the sale's own lines: in an earlier hour (and, across the day
    cutoff, on the business day before the sale, which then read as a loss). The refund now
    lands no earlier than the sale."""
    owner = await ledger_business(client, timezone="UTC", cutoff_hour=0)
    item = await create_item(database, owner, price="5.00")
    ahead = datetime.now(UTC) + timedelta(minutes=4)
    sale = (
        await external_sale(
            client, owner.headers, [(item, 2, "5.00")], sold_at=_iso(ahead), status="completed"
        )
    ).json()
    refunded = await client.post(
        f"{SALES}/{sale['id']}/refunds",
        headers=owner.headers,
        json={"payment_id": sale["payments"][0]["id"], "amount": "4.00", "reason": "cold"},
    )
    assert refunded.status_code == 201, refunded.text
    lines = (await read_ledger(database, owner)).of_sale(sale["id"])
    assert [(x.quantity, x.net_amount) for x in lines] == [
        (money("2"), money("10.00")),
        (money("0"), money("-4.00")),
    ]
    sold, refund = lines
    assert refund.sold_at >= sold.sold_at
    assert (refund.business_date, refund.local_hour) == (sold.business_date, sold.local_hour)
    # Every hour of the sale's day nets to what was kept: no negative hour before the sale.
    ledger = await read_ledger(database, owner)
    assert [(h.hour_start, h.net_amount) for h in ledger.hourly if h.net_amount] == [
        (sold.sold_at.replace(minute=0, second=0, microsecond=0), money("6.00"))
    ]


async def test_sales_statistics_ending_in_the_first_days_of_the_calendar_are_not_a_500(
    client: httpx.AsyncClient,
) -> None:
    """`/sales/stats` and `/sales/split/stats` with only a `date_to` report the 30 days ending
    then; a `date_to` in the first 29 days of year 1 made that start a date Python cannot
    hold: 500. The range now starts at the first date there is."""
    owner = await ledger_business(client, timezone="UTC", cutoff_hour=0)
    for path in ("stats", "split/stats"):
        response = await client.get(
            f"{SALES}/{path}", headers=owner.headers, params={"date_to": "0001-01-05"}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["date_from"], body["date_to"]) == ("0001-01-01", "0001-01-05")
        # An ordinary date_to still reports the 30 days ending then.
        response = await client.get(
            f"{SALES}/{path}", headers=owner.headers, params={"date_to": "2026-03-01"}
        )
        assert response.json()["date_from"] == "2026-01-31"


# Zone, cutoff, and a UTC start two days before a clock change: midnight changes (Santiago,
# Havana) with a midnight cutoff, a change on the cutoff hour (London, 01:00), a half-hour
# change (Lord Howe) and New Year with a 04:00 cutoff (New York).
CALENDARS = [
    ("America/Santiago", 0, datetime(2026, 9, 5, tzinfo=UTC)),
    ("America/Santiago", 0, datetime(2026, 4, 3, tzinfo=UTC)),
    ("Europe/London", 1, datetime(2026, 10, 24, tzinfo=UTC)),
    ("America/Havana", 0, datetime(2026, 10, 31, tzinfo=UTC)),
    ("Australia/Lord_Howe", 2, datetime(2026, 4, 3, tzinfo=UTC)),
    ("America/New_York", 4, datetime(2025, 12, 30, tzinfo=UTC)),
]


def _business_date(instant: datetime, zone: str, cutoff: int) -> date:
    local = instant.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    return (local - timedelta(hours=cutoff)).date()


def _hour_label(instant: datetime, zone: str) -> str:
    local = instant.astimezone(ZoneInfo(zone))
    start = instant - timedelta(minutes=local.minute, seconds=local.second)
    return start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize(("zone", "cutoff", "start"), CALENDARS)
async def test_webhook_sales_aggregate_to_independent_sums_across_clock_changes(
    client: httpx.AsyncClient, database: Database, zone: str, cutoff: int, start: datetime
) -> None:
    """Webhook sales every 97 minutes over two days around a clock change: each sale's
    business date, and every period of every granularity (with `hour_of_day` and
    `day_of_week` groups), equal sums computed here from the instants with zoneinfo; the
    hours of the range (23, 24, 25 or 23.5 a day) are found by walking it quarter-hour by
    quarter-hour."""
    owner = await ledger_business(client, timezone=zone, cutoff_hour=cutoff)
    item = await create_item(database, owner, price="1.00")
    sold = {start + timedelta(minutes=37 + 97 * n): Decimal(n + 1) for n in range(30)}
    for instant, amount in sold.items():
        response = await external_sale(
            client, owner.headers, [(item, 1, str(amount))], sold_at=_iso(instant),
            status="completed",
        )  # fmt: skip
        assert response.status_code == 201, response.text
        assert response.json()["business_date"] == _business_date(instant, zone, cutoff).isoformat()
    dates = sorted({_business_date(instant, zone, cutoff) for instant in sold})
    first, last = dates[0], dates[-1]
    span = {"date_from": first.isoformat(), "date_to": last.isoformat()}

    hours: dict[str, Decimal] = {}
    walk = datetime.combine(first - timedelta(days=2), datetime.min.time(), tzinfo=UTC)
    while walk.date() <= last + timedelta(days=2):
        if first <= _business_date(walk, zone, cutoff) <= last:
            hours.setdefault(_hour_label(walk, zone), Decimal(0))
        walk += timedelta(minutes=15)
    for instant, amount in sold.items():
        hours[_hour_label(instant, zone)] += amount
    body = await get_ok(client, owner, "aggregate", granularity="hour", **span)
    assert {p["period_start"]: money(p["revenue"]) for p in body["time_series"]} == hours
    assert money(body["total_revenue"]) == sum(sold.values())

    buckets: dict[str, Callable[[date], date]] = {
        "day": lambda day: day,
        "week": lambda day: day - timedelta(days=day.weekday()),
        "month": lambda day: day.replace(day=1),
    }
    groups: dict[str, Callable[[datetime], int]] = {
        "hour_of_day": lambda instant: instant.astimezone(ZoneInfo(zone)).hour,
        "day_of_week": lambda instant: _business_date(instant, zone, cutoff).isoweekday(),
    }
    for granularity, bucket in buckets.items():
        expected: defaultdict[str, Decimal] = defaultdict(Decimal)
        for offset in range((last - first).days + 1):
            expected[bucket(first + timedelta(days=offset)).isoformat()] += 0
        for instant, amount in sold.items():
            expected[bucket(_business_date(instant, zone, cutoff)).isoformat()] += amount
        body = await get_ok(client, owner, "aggregate", granularity=granularity, **span)
        served = {p["period_start"]: money(p["revenue"]) for p in body["time_series"]}
        assert served == expected, granularity
        for group_by, key in groups.items():
            if (granularity, group_by) == ("day", "day_of_week"):
                continue
            grouped: defaultdict[tuple[str, int], Decimal] = defaultdict(Decimal)
            for instant, amount in sold.items():
                period = bucket(_business_date(instant, zone, cutoff)).isoformat()
                grouped[(period, key(instant))] += amount
            body = await get_ok(
                client, owner, "aggregate", granularity=granularity, group_by=group_by, **span
            )
            served_groups = {
                (p["period_start"], p["group"]["key"]): money(p["revenue"])
                for p in body["time_series"]
                if p["revenue"]
            }
            assert served_groups == grouped, (granularity, group_by)

    # The ledger's pages and the sales list hold the first business date's sales only.
    on_first = sorted(a for i, a in sold.items() if _business_date(i, zone, cutoff) == first)
    page = await client.get(
        f"{SALES}/ledger", headers=owner.headers,
        params={"date_from": first.isoformat(), "date_to": first.isoformat(), "source": "webhook"},
    )  # fmt: skip
    assert sorted(money(x["net_amount"]) for x in page.json()["items"]) == on_first
    listed = await client.get(
        SALES, headers=owner.headers,
        params={"date_from": first.isoformat(), "date_to": first.isoformat(), "page_size": 100},
    )  # fmt: skip
    assert sorted(money(x["total_amount"]) for x in listed.json()["items"]) == on_first

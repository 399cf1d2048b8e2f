"""Revenue trends, against numbers worked out by hand.

Period 2026-03-02 (a Monday) .. 03-15 (a Sunday): two ISO weeks; previous 02-16..03-01.

    03-02  two sales, 20.00 + 10.00          30.00, 2 transactions
    03-04  one sale                          15.00, 1
    03-09  one sale 40.00, a refund -5.00    35.00, 1
    03-12  a daily import (no transaction)  100.00, 0
    02-20  two sales of 25.00 (previous)     50.00, 2
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tableside.analytics import service
from tableside.db.database import Database
from tableside.kit.business_time import business_date
from tests.factories import Account, money
from tests.factories.analytics import Sold, daily_import, ok, record, refund, sale

PERIOD = {"date_from": "2026-03-02", "date_to": "2026-03-15"}
# "Now" for the tests about today: 10:00 on business day 2026-11-25 (UTC, 04:00 cutoff).
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


async def _sales(owner: Account, database: Database) -> None:
    await record(
        database,
        owner,
        sale(date(2026, 3, 2), [Sold(None, 1, "20.00")]),
        sale(date(2026, 3, 2), [Sold(None, 1, "10.00")]),
        sale(date(2026, 3, 4), [Sold(None, 1, "15.00")]),
        sale(date(2026, 3, 9), [Sold(None, 2, "40.00")]),
        refund(date(2026, 3, 9), Sold(None, 1, "5.00")),
        daily_import(date(2026, 3, 12), "100.00"),
        sale(date(2026, 2, 20), [Sold(None, 1, "25.00")]),
        sale(date(2026, 2, 20), [Sold(None, 1, "25.00")]),
        sale(date(2026, 3, 16), [Sold(None, 1, "999.00")]),  # after the period
    )


def _points(body: dict[str, Any]) -> list[tuple[str, Decimal, int]]:
    return [(p["period_start"], money(p["revenue"]), p["transactions"]) for p in body["series"]]


async def test_weekly_trend_totals_and_growth(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    await _sales(owner, database)
    body = await ok(client, owner, "revenue-trends", **PERIOD, granularity="week")
    assert body["granularity"] == "week"
    assert body["period"] == {
        "date_from": "2026-03-02",
        "date_to": "2026-03-15",
        "days": 14,
        "through": None,
        "partial": False,
    }
    assert body["previous_period"]["date_from"] == "2026-02-16"
    first, second = body["series"]
    assert (first["period_start"], first["period_end"]) == ("2026-03-02", "2026-03-08")
    assert first["complete"] and second["complete"]  # weeks long past
    assert money(first["revenue"]) == 45 and first["transactions"] == 3
    assert money(first["average_ticket"]) == 15
    assert first["growth_percent"] is None
    assert (second["period_start"], second["period_end"]) == ("2026-03-09", "2026-03-15")
    assert money(second["revenue"]) == 135 and second["transactions"] == 1
    # The daily import's 100.00 came without a count: the average is of the counted sale.
    assert money(second["average_ticket"]) == 35
    assert money(second["growth_percent"]) == 200  # 135 against 45

    totals = body["totals"]
    assert money(totals["revenue"]) == 180 and totals["transactions"] == 4
    assert money(totals["average_ticket"]) == 20  # (30 + 15 + 35) / 4, the import left out
    assert money(totals["previous_revenue"]) == 50 and totals["previous_transactions"] == 2
    assert money(totals["growth_percent"]) == 260  # 130 / 50

    # Two points: the line through them rises 90 per week, 100% of the 90 average.
    assert money(body["trend"]["slope"]) == 90
    assert money(body["trend"]["slope_percent"]) == 100
    assert body["trend"]["direction"] == "up"
    assert body["projection"] is None
    assert body["projection_status"] == "unavailable"


async def test_daily_series_has_every_day(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    await _sales(owner, database)
    body = await ok(client, owner, "revenue-trends", **PERIOD)  # granularity: day
    assert body["granularity"] == "day"
    series = body["series"]
    assert len(series) == 14
    assert _points(body)[:4] == [
        ("2026-03-02", Decimal(30), 2),
        ("2026-03-03", Decimal(0), 0),
        ("2026-03-04", Decimal(15), 1),
        ("2026-03-05", Decimal(0), 0),
    ]
    assert series[0]["growth_percent"] is None
    assert money(series[1]["growth_percent"]) == -100  # 0 against 30
    assert series[2]["growth_percent"] is None  # against a day without revenue
    assert series[1]["average_ticket"] is None  # no transactions
    assert money(series[10]["revenue"]) == 100 and series[10]["average_ticket"] is None
    # Revenues at x = 0..13: 30 (x=0), 15 (2), 35 (7), 100 (10). Sum of (x - 6.5) * y =
    # -195 - 67.5 + 17.5 + 350 = 105; sum of (x - 6.5)^2 = 227.5; slope 0.4615...
    assert money(body["trend"]["slope"]) == money("0.46")
    assert money(body["trend"]["slope_percent"]) == money("3.59")  # of 180 / 14
    assert body["trend"]["direction"] == "up"


async def test_monthly_series_is_clipped_to_the_range(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    await _sales(owner, database)
    body = await ok(
        client,
        owner,
        "revenue-trends",
        date_from="2026-02-16",
        date_to="2026-03-15",
        granularity="month",
    )
    assert [(p["period_start"], p["period_end"]) for p in body["series"]] == [
        ("2026-02-16", "2026-02-28"),
        ("2026-03-01", "2026-03-15"),
    ]
    assert [money(p["revenue"]) for p in body["series"]] == [50, 180]
    assert money(body["series"][1]["growth_percent"]) == 260
    # The previous 28 days (01-19..02-15) sold nothing: no growth figure, not 0 or infinity.
    assert money(body["totals"]["previous_revenue"]) == 0
    assert body["totals"]["growth_percent"] is None
    # Half a February against half a March is no trend: both months are cut by the range.
    assert [p["whole"] for p in body["series"]] == [False, False]
    assert body["trend"] == {"slope": None, "slope_percent": None, "direction": "flat"}
    # Whole months are: January (nothing sold) to March (230 with the 999 of 03-16).
    whole = await ok(
        client,
        owner,
        "revenue-trends",
        date_from="2026-01-01",
        date_to="2026-03-31",
        granularity="month",
    )
    assert [p["whole"] for p in whole["series"]] == [True, True, True]
    assert [money(p["revenue"]) for p in whole["series"]] == [0, 50, 1179]
    assert money(whole["trend"]["slope"]) == money("589.50")


async def test_empty_range_and_defaults(
    client: httpx.AsyncClient, owner: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "utcnow", lambda: NOW)
    body = await ok(client, owner, "revenue-trends")
    assert body["period"] == {
        "date_from": "2026-10-27",
        "date_to": "2026-11-25",  # today: counted up to now
        "days": 30,
        "through": "2026-11-25T10:00:00Z",
        "partial": True,
    }
    assert len(body["series"]) == 30
    assert all(money(p["revenue"]) == 0 and p["average_ticket"] is None for p in body["series"])
    totals = body["totals"]
    assert (totals["average_ticket"], totals["growth_percent"]) == (None, None)
    assert body["trend"] == {"slope": 0.0, "slope_percent": None, "direction": "flat"}

    one_day = await ok(
        client, owner, "revenue-trends", date_from="2026-03-02", date_to="2026-03-02"
    )
    assert len(one_day["series"]) == 1
    assert one_day["trend"] == {"slope": None, "slope_percent": None, "direction": "flat"}


async def test_days_follow_the_business_calendar(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    """01:30 in New York with a 04:00 cutoff belongs to the previous business day."""
    response = await client.put(
        "/api/v1/business",
        headers=owner.headers,
        json={"timezone": "America/New_York", "day_cutoff_hour": 4},
    )
    assert response.status_code == 200, response.text
    await record(
        database,
        owner,
        # 2026-03-03 06:30 UTC is 01:30 EST on 03-03: business day 03-02.
        sale(date(2026, 3, 3), [Sold(None, 1, "12.00")], at=time(6, 30)),
        # 2026-03-03 10:00 UTC is 05:00 EST: business day 03-03.
        sale(date(2026, 3, 3), [Sold(None, 1, "8.00")], at=time(10, 0)),
    )
    body = await ok(client, owner, "revenue-trends", date_from="2026-03-02", date_to="2026-03-03")
    assert _points(body) == [("2026-03-02", Decimal(12), 1), ("2026-03-03", Decimal(8), 1)]


async def test_the_period_in_progress_is_shown_but_left_out_of_the_trend(
    client: httpx.AsyncClient, owner: Account, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "utcnow", lambda: NOW)
    today = business_date(NOW, "UTC", 4)
    await record(
        database,
        owner,
        *(sale(today - timedelta(days=back), [Sold(None, 1, "100.00")]) for back in (3, 2, 1)),
        sale(today, [Sold(None, 1, "10.00")], at=time(9, 0)),  # the morning so far
    )
    span = {"date_from": (today - timedelta(days=3)).isoformat(), "date_to": today.isoformat()}
    body = await ok(client, owner, "revenue-trends", **span)
    assert [p["complete"] for p in body["series"]] == [True, True, True, False]
    assert money(body["series"][-1]["revenue"]) == 10  # shown as it stands
    # Three finished days of 100: flat, not a fall to 10.
    assert body["trend"] == {"slope": 0.0, "slope_percent": 0.0, "direction": "flat"}

    finished = await ok(
        client,
        owner,
        "revenue-trends",
        date_from=span["date_from"],
        date_to=(today - timedelta(days=1)).isoformat(),
    )
    assert all(p["complete"] for p in finished["series"])

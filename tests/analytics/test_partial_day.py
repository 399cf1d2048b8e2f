"""A range that reaches the unfinished business day compares like with like.

"Now" is frozen at 2026-03-10 10:00 UTC (business in UTC, 04:00 cutoff: business day 03-10,
six hours old). Every day from 02-20 sells one Margherita (10.00) at 09:00 and, on the days
that are over, another at 15:00; today has sold the morning one only.

    03-04..03-10 (today)        6 whole days x 20.00 + today's morning 10.00 = 130.00
    02-25..03-03 (previous)     6 whole days x 20.00 + 03-03 before 10:00 10.00 = 130.00

Growth is 0: counting 03-03 whole (140.00) made every item look 7% down at 10:00.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
import pytest

from tableside.analytics import service
from tableside.db.database import Database
from tests.factories import Account, add_user, assert_error, money, register
from tests.factories.analytics import (
    Sold,
    customer,
    daily_import,
    get,
    menu_item,
    ok,
    record,
    sale,
)

NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
TODAY = date(2026, 3, 10)
WEEK = {"date_from": "2026-03-04", "date_to": "2026-03-10"}
MORNING = time(9, 0)
AFTERNOON = time(15, 0)


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "utcnow", lambda: NOW)


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


async def _daily_sales(
    client: httpx.AsyncClient,
    account: Account,
    database: Database,
    *,
    server: str | None = None,
    guest: str | None = None,
) -> None:
    """One sale at 09:00 every day from 02-20 to today and one at 15:00 on the days before."""
    item = await menu_item(client, account, "Margherita", "10.00", cost="4.00")

    def one(day: date, at: time) -> list[Any]:
        return sale(day, [Sold(item, 1, "10.00", "4.00")], at=at, server=server, customer=guest)

    days = _days(date(2026, 2, 20), TODAY)
    await record(
        database,
        account,
        *(one(day, MORNING) for day in days),
        *(one(day, AFTERNOON) for day in days if day < TODAY),
    )


async def test_items_compare_this_morning_with_the_previous_periods_morning(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    await _daily_sales(client, owner, database)
    body = await ok(client, owner, "items", **WEEK)
    (item,) = body["items"]
    assert money(item["revenue"]) == 130 and money(item["quantity"]) == 13
    assert money(item["previous_revenue"]) == 130 and money(item["previous_quantity"]) == 13
    assert money(item["revenue_growth_percent"]) == 0  # was -7.14: 130 against 140
    assert money(item["quantity_growth_percent"]) == 0
    assert money(item["cost"]) == 52
    summary = body["summary"]
    assert money(summary["previous_revenue"]) == 130
    assert money(summary["revenue_growth_percent"]) == 0
    # What was compared: both up to 10:00 of their last day.
    assert body["period"] == {
        "date_from": "2026-03-04",
        "date_to": "2026-03-10",
        "days": 7,
        "through": "2026-03-10T10:00:00Z",
        "partial": True,
    }
    assert body["previous_period"] == {
        "date_from": "2026-02-25",
        "date_to": "2026-03-03",
        "days": 7,
        "through": "2026-03-03T10:00:00Z",
        "partial": True,
    }

    # The default range (30 days ending today) is cut the same way.
    default = await ok(client, owner, "items")
    assert default["period"]["date_to"] == "2026-03-10"
    assert default["period"]["through"] == "2026-03-10T10:00:00Z"
    assert default["previous_period"]["through"] == "2026-02-08T10:00:00Z"


async def test_a_range_ending_in_the_future_counts_through_now(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    """03-07..03-13 holds 3 whole days and this morning; the previous 02-28..03-06 the same
    3 days and 03-03 up to 10:00 (its 03-04..03-06 are after the equivalent instant)."""
    await _daily_sales(client, owner, database)
    span = {"date_from": "2026-03-07", "date_to": "2026-03-13"}
    body = await ok(client, owner, "items", **span)
    (item,) = body["items"]
    assert money(item["revenue"]) == 70
    assert money(item["previous_revenue"]) == 70
    assert money(item["revenue_growth_percent"]) == 0  # was -50: 70 against 7 whole days
    assert body["period"]["through"] == "2026-03-10T10:00:00Z"
    assert body["previous_period"]["date_to"] == "2026-03-06"
    assert body["previous_period"]["through"] == "2026-03-03T10:00:00Z"

    trends = await ok(client, owner, "revenue-trends", **span)
    assert [money(p["revenue"]) for p in trends["series"]] == [20, 20, 20, 10, 0, 0, 0]
    assert money(trends["totals"]["previous_revenue"]) == 70
    assert money(trends["totals"]["growth_percent"]) == 0


async def test_revenue_trends_totals_compare_like_with_like(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    await _daily_sales(client, owner, database)
    body = await ok(client, owner, "revenue-trends", **WEEK)
    assert money(body["series"][-1]["revenue"]) == 10 and not body["series"][-1]["complete"]
    totals = body["totals"]
    assert money(totals["revenue"]) == 130 and totals["transactions"] == 13
    assert money(totals["previous_revenue"]) == 130 and totals["previous_transactions"] == 13
    assert money(totals["growth_percent"]) == 0
    assert body["previous_period"]["through"] == "2026-03-03T10:00:00Z"


async def test_a_range_in_the_past_is_unchanged(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    await _daily_sales(client, owner, database)
    body = await ok(client, owner, "items", date_from="2026-02-27", date_to="2026-03-09")
    assert body["period"]["through"] is None and body["period"]["partial"] is False
    assert body["previous_period"] == {
        "date_from": "2026-02-16",
        "date_to": "2026-02-26",
        "days": 11,
        "through": None,
        "partial": False,
    }
    (item,) = body["items"]
    assert money(item["revenue"]) == 220  # 11 whole days, afternoons included
    assert money(item["previous_revenue"]) == 140  # 02-20..02-26
    assert money(item["revenue_growth_percent"]) == money("57.14")


async def test_the_previous_periods_day_is_cut_at_its_own_local_time_across_dst(
    client: httpx.AsyncClient, owner: Account, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New York, 04:00 cutoff. Now: 2026-03-08 10:00 EDT (14:00Z). The previous day, business
    day 03-07, is the 23-hour one (clocks sprang forward at 02:00 on the 8th); its 10:00 is
    EST, 15:00Z, not 24 hours back (14:00Z, which would leave out its 09:30 sale)."""
    monkeypatch.setattr(service, "utcnow", lambda: datetime(2026, 3, 8, 14, 0, tzinfo=UTC))
    response = await client.put(
        "/api/v1/business",
        headers=owner.headers,
        json={"timezone": "America/New_York", "day_cutoff_hour": 4},
    )
    assert response.status_code == 200, response.text
    item = await menu_item(client, owner, "Bagel", "10.00")
    await record(
        database,
        owner,
        sale(date(2026, 3, 8), [Sold(item, 1, "10.00")], at=time(13, 30)),  # 09:30 EDT
        sale(date(2026, 3, 7), [Sold(item, 1, "10.00")], at=time(14, 30)),  # 09:30 EST
        sale(date(2026, 3, 7), [Sold(item, 1, "10.00")], at=time(15, 30)),  # 10:30 EST
    )
    body = await ok(client, owner, "items", date_from="2026-03-08", date_to="2026-03-08")
    (bagel,) = body["items"]
    assert money(bagel["revenue"]) == 10 and money(bagel["previous_revenue"]) == 10
    assert money(bagel["revenue_growth_percent"]) == 0
    assert body["period"]["through"] == "2026-03-08T14:00:00Z"
    assert body["previous_period"]["through"] == "2026-03-07T15:00:00Z"


async def test_staff_and_customers_count_through_now(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    """Their period says so, and a line booked after now (tomorrow's daily import, which the
    import accepts a day ahead) is not counted in a range that reaches into the future."""
    waiter = await add_user(client, owner, "wait_staff")
    guest = await customer(client, owner, "Ann")
    await _daily_sales(client, owner, database, server=waiter.user_id, guest=guest)
    await record(database, owner, daily_import(TODAY + timedelta(days=1), "500.00"))
    span = {"date_from": "2026-03-07", "date_to": "2026-03-13"}

    staff = await ok(client, owner, "staff-performance", **span)
    (member,) = staff["staff"]
    assert (member["sales_count"], money(member["revenue"])) == (7, 70)
    assert staff["unattributed"] is None  # the 500.00 of tomorrow is not yet
    assert money(staff["totals"]["revenue"]) == 70
    assert staff["period"]["through"] == "2026-03-10T10:00:00Z"
    assert staff["period"]["partial"] is True

    customers = await ok(client, owner, "customers", **span)
    (ann,) = customers["top_customers"]
    assert (ann["visits"], money(ann["revenue"])) == (7, 70)
    assert ann["visits_to_date"] == 2 * 18 + 1  # 02-20..03-09 twice a day, this morning
    assert customers["period"]["through"] == "2026-03-10T10:00:00Z"

    trends = await ok(client, owner, "revenue-trends", **span)
    assert money(trends["totals"]["revenue"]) == 70
    assert money(trends["series"][4]["revenue"]) == 0  # 03-11: not counted before it begins


async def test_another_business_and_refused_roles(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    other = await register(client, business_name="Elsewhere")
    await _daily_sales(client, other, database)
    theirs = await ok(client, other, "items", **WEEK)
    assert money(theirs["summary"]["revenue_growth_percent"]) == 0
    ours = await ok(client, owner, "items", **WEEK)
    assert ours["items"] == [] and money(ours["summary"]["previous_revenue"]) == 0
    trends = await ok(client, owner, "revenue-trends", **WEEK)
    assert money(trends["totals"]["revenue"]) == 0
    assert money(trends["totals"]["previous_revenue"]) == 0
    staff = await ok(client, owner, "staff-performance", **WEEK)
    assert staff["unattributed"] is None

    cashier = await add_user(client, owner, "cashier")
    for path in ("items", "revenue-trends", "staff-performance", "customers"):
        assert_error(await get(client, cashier, path, **WEEK), 403, "FORBIDDEN")

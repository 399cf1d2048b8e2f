"""GET /api/v1/sales/aggregate: totals and zero-filled series in the business's calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tableside.db.database import Database
from tableside.ledger.schemas import SalesAggregate
from tests.factories import Account, add_user, assert_error, money
from tests.factories.ledger_queries import (
    create_location,
    get,
    get_ok,
    ledger_business,
    local,
    record,
    refund,
    sale,
    shop,
)

D = Decimal
NY = "America/New_York"


def series(body: dict[str, Any]) -> list[tuple[str, Decimal, int, Decimal, int | None]]:
    return [
        (p["period_start"], money(p["revenue"]), p["transactions"], money(p["items_sold"]),
         p["covers"])
        for p in body["time_series"]
    ]  # fmt: skip


async def test_day_series_totals_cutoff_and_refunds(
    client: httpx.AsyncClient, database: Database
) -> None:
    owner = await ledger_business(client, timezone=NY, cutoff_hour=4)
    await record(
        database,
        owner,
        [
            sale(local(NY, 2026, 11, 20, 12), "20.00", quantity="2", covers=2),
            # 01:30 on the 24th with a 04:00 cutoff: business date the 23rd.
            sale(local(NY, 2026, 11, 24, 1, 30), "10.00", covers=1),
            sale(local(NY, 2026, 11, 23, 19), "30.00", quantity="3", covers=4),
            refund(local(NY, 2026, 11, 23, 20), "5.00"),
        ],
    )
    body = await get_ok(client, owner, "aggregate", date_from="2026-11-20", date_to="2026-11-24")
    SalesAggregate.model_validate(body)
    assert money(body["total_revenue"]) == D("55.00")
    assert body["transaction_count"] == 3
    assert money(body["items_sold"]) == D("5")
    assert body["covers"] == 7
    assert money(body["average_transaction_value"]) == D("18.33")
    assert body["granularity"] == "day" and body["group_by"] is None and body["groups"] is None
    assert [p["group"] for p in body["time_series"]] == [None] * 5
    assert series(body) == [
        ("2026-11-20", D("20.00"), 1, D("2"), 2),
        ("2026-11-21", D("0"), 0, D("0"), 0),
        ("2026-11-22", D("0"), 0, D("0"), 0),
        ("2026-11-23", D("35.00"), 2, D("3"), 5),
        ("2026-11-24", D("0"), 0, D("0"), 0),
    ]
    # The cutoff edge on its own: only the 01:30 sale's business date.
    edge = await get_ok(client, owner, "aggregate", date_from="2026-11-24", date_to="2026-11-24")
    assert money(edge["total_revenue"]) == 0 and edge["transaction_count"] == 0
    assert edge["average_transaction_value"] is None


async def test_no_data_still_lists_every_period(client: httpx.AsyncClient) -> None:
    owner = await ledger_business(client, timezone="UTC", cutoff_hour=0)
    body = await get_ok(
        client, owner, "aggregate", date_from="2026-05-01", date_to="2026-05-01", granularity="hour"
    )
    assert [p["period_start"] for p in body["time_series"]] == [
        f"2026-05-01T{hour:02d}:00:00Z" for hour in range(24)
    ]
    assert money(body["total_revenue"]) == 0 and body["average_transaction_value"] is None


async def test_hours_on_daylight_saving_days(client: httpx.AsyncClient, database: Database) -> None:
    """With a 04:00 cutoff the clock changes of 8 March and 1 November 2026 (02:00 local) fall
    in the business days of 7 March (23 hours) and 31 October (25 hours)."""
    owner = await ledger_business(client, timezone=NY, cutoff_hour=4)
    await record(
        database,
        owner,
        [
            sale(local(NY, 2026, 3, 7, 4, 5), "1.00"),
            sale(local(NY, 2026, 3, 8, 1, 30), "2.00"),  # EST, just before the gap
            sale(local(NY, 2026, 3, 8, 3, 30), "4.00"),  # EDT, just after it
            # The repeated hour 01:00-02:00 of 1 November: once in EDT, once in EST.
            sale(datetime(2026, 11, 1, 5, 30, tzinfo=UTC), "8.00"),
            sale(datetime(2026, 11, 1, 6, 30, tzinfo=UTC), "16.00"),
        ],
    )
    spring = await get_ok(
        client, owner, "aggregate", date_from="2026-03-07", date_to="2026-03-07", granularity="hour"
    )
    starts = [p["period_start"] for p in spring["time_series"]]
    assert len(starts) == 23
    assert starts[0] == "2026-03-07T09:00:00Z" and starts[-1] == "2026-03-08T07:00:00Z"
    revenue = {p["period_start"]: money(p["revenue"]) for p in spring["time_series"]}
    assert revenue["2026-03-07T09:00:00Z"] == D("1.00")
    assert revenue["2026-03-08T06:00:00Z"] == D("2.00")
    assert revenue["2026-03-08T07:00:00Z"] == D("4.00")
    assert sum(revenue.values()) == money(spring["total_revenue"]) == D("7.00")

    fall = await get_ok(
        client, owner, "aggregate", date_from="2026-10-31", date_to="2026-10-31", granularity="hour"
    )
    starts = [p["period_start"] for p in fall["time_series"]]
    assert len(starts) == 25 == len(set(starts))
    assert starts[0] == "2026-10-31T08:00:00Z" and starts[-1] == "2026-11-01T08:00:00Z"
    revenue = {p["period_start"]: money(p["revenue"]) for p in fall["time_series"]}
    assert revenue["2026-11-01T05:00:00Z"] == D("8.00")
    assert revenue["2026-11-01T06:00:00Z"] == D("16.00")

    # Both passes of the repeated hour are local hour 1.
    profile = await get_ok(
        client,
        owner,
        "aggregate",
        date_from="2026-10-31",
        date_to="2026-10-31",
        group_by="hour_of_day",
    )
    assert [(p["group"], money(p["revenue"])) for p in profile["time_series"]] == [
        ({"key": 1, "name": "01:00"}, D("24.00"))
    ]
    # An ordinary day has 24 hours; two days in a row 48, with the DST day 47.
    ordinary = await get_ok(
        client, owner, "aggregate", date_from="2026-03-06", date_to="2026-03-07", granularity="hour"
    )
    assert len(ordinary["time_series"]) == 24 + 23


async def test_hours_when_the_clock_moves_half_an_hour(
    client: httpx.AsyncClient, database: Database
) -> None:
    """Lord Howe Island moves its clock by 30 minutes (UTC+11 in summer, +10:30 in winter):
    after the change its hours begin half an hour off the hours before it, and the series
    lists those hours, once each, not the hours of the old offset."""
    zone = "Australia/Lord_Howe"
    owner = await ledger_business(client, timezone=zone, cutoff_hour=0)
    await record(
        database,
        owner,
        [
            # 5 April 2026: 02:00 +11 becomes 01:30 +10:30.
            sale(datetime(2026, 4, 4, 14, 15, tzinfo=UTC), "1.00"),  # 01:15 +11
            sale(datetime(2026, 4, 4, 15, 15, tzinfo=UTC), "2.00"),  # 01:45 +10:30 (again)
            sale(datetime(2026, 4, 4, 18, 40, tzinfo=UTC), "4.00"),  # 05:10 +10:30
            # 4 October 2026: 02:00 +10:30 becomes 02:30 +11.
            sale(datetime(2026, 10, 3, 16, 10, tzinfo=UTC), "8.00"),  # 03:10 +11
        ],
    )
    autumn = await get_ok(
        client, owner, "aggregate", date_from="2026-04-05", date_to="2026-04-05", granularity="hour"
    )
    starts = [p["period_start"] for p in autumn["time_series"]]
    # 24.5 hours: local hour 1 twice (its second pass only half an hour long).
    assert len(starts) == 25 == len(set(starts))
    assert starts[:4] == [
        "2026-04-04T13:00:00Z",
        "2026-04-04T14:00:00Z",
        "2026-04-04T14:30:00Z",
        "2026-04-04T15:30:00Z",
    ]
    assert starts[-1] == "2026-04-05T12:30:00Z"
    revenue = {p["period_start"]: money(p["revenue"]) for p in autumn["time_series"]}
    assert revenue["2026-04-04T14:00:00Z"] == D("1.00")
    assert revenue["2026-04-04T14:30:00Z"] == D("2.00")
    assert revenue["2026-04-04T18:30:00Z"] == D("4.00")

    spring = await get_ok(
        client, owner, "aggregate", date_from="2026-10-04", date_to="2026-10-04", granularity="hour"
    )
    starts = [p["period_start"] for p in spring["time_series"]]
    # 23.5 hours: local hour 2 only from 02:30.
    assert len(starts) == 24 == len(set(starts))
    assert starts[0] == "2026-10-03T13:30:00Z" and starts[-1] == "2026-10-04T12:00:00Z"
    revenue = {p["period_start"]: money(p["revenue"]) for p in spring["time_series"]}
    assert revenue["2026-10-03T16:00:00Z"] == D("8.00")


def by_group(body: dict[str, Any]) -> dict[Any, list[tuple[str, Decimal, int, Decimal, Any]]]:
    grouped: dict[Any, list[tuple[str, Decimal, int, Decimal, Any]]] = {}
    for p in body["time_series"]:
        grouped.setdefault(p["group"]["name"], []).append(
            (p["period_start"], money(p["revenue"]), p["transactions"], money(p["items_sold"]),
             p["covers"])
        )  # fmt: skip
    return grouped


async def test_group_by_item_and_category(client: httpx.AsyncClient, database: Database) -> None:
    s = await shop(client, database)
    body = await get_ok(
        client, s.owner, "aggregate", date_from="2026-06-01", date_to="2026-06-14", group_by="item"
    )
    SalesAggregate.model_validate(body)  # the documented shape
    assert money(body["total_revenue"]) == D("47.00")
    assert body["transaction_count"] == 4 and body["covers"] == 5
    assert money(body["items_sold"]) == D("5")
    # Every group has every day (4 x 14), period by period, groups by name, "No item" last.
    assert len(body["time_series"]) == 56
    assert [p["group"]["name"] for p in body["time_series"][:4]] == [
        "Burger", "Coffee", "Tea", "No item"
    ]  # fmt: skip
    assert body["time_series"][0]["group"] == {"key": s.burger, "name": "Burger"}
    assert body["time_series"][3]["group"] == {"key": None, "name": "No item"}
    coffee = by_group(body)["Coffee"]
    assert len(coffee) == 14
    assert coffee[0] == ("2026-06-01", D("6.00"), 1, D("2"), None)
    assert coffee[1] == ("2026-06-02", D("0"), 0, D("0"), None)
    assert coffee[11] == ("2026-06-12", D("-3.00"), -1, D("-1"), None)
    totals = {g["name"]: g for g in body["groups"]}
    assert money(totals["Coffee"]["revenue"]) == D("3.00") and totals["Coffee"]["transactions"] == 0
    assert money(totals["Burger"]["revenue"]) == D("36.00")
    assert money(totals["Burger"]["items_sold"]) == D("3") and totals["Burger"]["covers"] is None
    assert money(totals["No item"]["revenue"]) == D("5.00")
    assert sum(money(g["revenue"]) for g in body["groups"]) == D("47.00")

    weekly = await get_ok(
        client,
        s.owner,
        "aggregate",
        date_from="2026-06-01",
        date_to="2026-06-14",
        granularity="week",
        group_by="category",
    )
    assert by_group(weekly) == {
        "Drinks": [("2026-06-01", D("9.00"), 2, D("3"), None),
                   ("2026-06-08", D("-3.00"), -1, D("-1"), None)],
        "Food": [("2026-06-01", D("12.00"), 1, D("1"), None),
                 ("2026-06-08", D("24.00"), 1, D("2"), None)],
        "Uncategorized": [("2026-06-01", D("0"), 0, D("0"), None),
                          ("2026-06-08", D("5.00"), 0, D("0"), None)],
    }  # fmt: skip
    assert weekly["time_series"][0]["group"] == {"key": s.drinks, "name": "Drinks"}


async def test_group_by_location_hour_of_day_and_day_of_week(
    client: httpx.AsyncClient, database: Database
) -> None:
    s = await shop(client, database)
    monthly = await get_ok(
        client,
        s.owner,
        "aggregate",
        date_from="2026-06-01",
        date_to="2026-06-14",
        granularity="month",
        group_by="location",
    )
    assert by_group(monthly) == {
        "Airport": [("2026-06-01", D("3.00"), 1, D("1"), 2)],
        "Downtown": [("2026-06-01", D("39.00"), 2, D("4"), 3)],
        "No location": [("2026-06-01", D("5.00"), 1, D("0"), 0)],
    }
    assert monthly["time_series"][0]["group"] == {"key": s.airport, "name": "Airport"}
    assert monthly["time_series"][2]["group"] == {"key": None, "name": "No location"}

    hours = await get_ok(
        client,
        s.owner,
        "aggregate",
        date_from="2026-06-01",
        date_to="2026-06-03",
        group_by="hour_of_day",
    )
    assert [p["group"] for p in hours["time_series"][:2]] == [
        {"key": 8, "name": "08:00"},
        {"key": 13, "name": "13:00"},
    ]
    assert by_group(hours) == {
        "08:00": [("2026-06-01", D("18.00"), 1, D("3"), 1),
                  ("2026-06-02", D("0"), 0, D("0"), 0),
                  ("2026-06-03", D("0"), 0, D("0"), 0)],
        "13:00": [("2026-06-01", D("0"), 0, D("0"), 0),
                  ("2026-06-02", D("0"), 0, D("0"), 0),
                  ("2026-06-03", D("3.00"), 1, D("1"), 2)],
    }  # fmt: skip

    weekdays = await get_ok(
        client,
        s.owner,
        "aggregate",
        date_from="2026-06-01",
        date_to="2026-06-14",
        granularity="week",
        group_by="day_of_week",
    )
    assert [g["key"] for g in weekdays["groups"]] == [1, 3, 5]
    assert [g["name"] for g in weekdays["groups"]] == ["Monday", "Wednesday", "Friday"]
    assert by_group(weekdays)["Wednesday"] == [
        ("2026-06-01", D("3.00"), 1, D("1"), 2),
        ("2026-06-08", D("29.00"), 2, D("2"), 2),
    ]

    # One location only; months start on the 1st even before the range.
    downtown = await get_ok(
        client,
        s.owner,
        "aggregate",
        date_from="2026-05-20",
        date_to="2026-07-05",
        granularity="month",
        location_id=s.downtown,
    )
    assert money(downtown["total_revenue"]) == D("39.00") and downtown["covers"] == 3
    assert [(p["period_start"], money(p["revenue"])) for p in downtown["time_series"]] == [
        ("2026-05-01", D("0")),
        ("2026-06-01", D("39.00")),
        ("2026-07-01", D("0")),
    ]


async def test_weeks_start_on_monday(client: httpx.AsyncClient, database: Database) -> None:
    s = await shop(client, database)
    body = await get_ok(
        client, s.owner, "aggregate", date_from="2026-06-03", date_to="2026-06-16",
        granularity="week",
    )  # fmt: skip
    # 3 June is a Wednesday: its week starts on 1 June; the 1 June sale is outside the range.
    assert [(p["period_start"], money(p["revenue"])) for p in body["time_series"]] == [
        ("2026-06-01", D("3.00")),
        ("2026-06-08", D("26.00")),
        ("2026-06-15", D("0")),
    ]


async def test_default_range_is_the_last_30_days(
    client: httpx.AsyncClient, database: Database
) -> None:
    owner = await ledger_business(client, timezone="UTC", cutoff_hour=0)
    now = datetime.now(UTC)
    await record(
        database,
        owner,
        [sale(now - timedelta(minutes=1), "7.00"), sale(now - timedelta(days=40), "100.00")],
    )
    body = await get_ok(client, owner, "aggregate")
    today = now.date()
    assert body["date_to"] in {today.isoformat(), (today - timedelta(days=1)).isoformat()}
    assert date.fromisoformat(body["date_to"]) - date.fromisoformat(body["date_from"]) == (
        timedelta(days=29)
    )
    assert len(body["time_series"]) == 30
    assert money(body["total_revenue"]) == D("7.00")


async def test_other_business_is_invisible(client: httpx.AsyncClient, database: Database) -> None:
    s = await shop(client, database)
    other = await ledger_business(client, timezone="UTC", cutoff_hour=0)
    other_location = await create_location(client, other, "Elsewhere")
    await record(
        database,
        other,
        [sale(datetime(2026, 6, 2, 9, tzinfo=UTC), "999.00", item=s.coffee, location=s.downtown)],
    )
    mine = await get_ok(
        client, s.owner, "aggregate", date_from="2026-06-01", date_to="2026-06-14", group_by="item"
    )
    assert money(mine["total_revenue"]) == D("47.00")
    assert sum(money(g["revenue"]) for g in mine["groups"]) == D("47.00")
    theirs = await get_ok(client, other, "aggregate", date_from="2026-06-01", date_to="2026-06-14")
    assert money(theirs["total_revenue"]) == D("999.00")
    # Their location is not a location of mine.
    response = await get(client, s.owner, "aggregate", location_id=other_location)
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "location_id"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"date_from": "2026-06-10", "date_to": "2026-06-09"}, "date_to"),
        ({"date_from": "2023-01-01", "date_to": "2026-01-01"}, "date_to"),
        ({"date_from": "2020-01-01"}, "date_from"),
        ({"granularity": "minute"}, "granularity"),
        ({"group_by": "server"}, "group_by"),
        ({"date_from": "2026-13-01"}, "date_from"),
        ({"granularity": "hour", "group_by": "item"}, "group_by"),
        ({"granularity": "hour", "group_by": "category"}, "group_by"),
        ({"granularity": "hour", "group_by": "hour_of_day"}, "group_by"),
        ({"granularity": "day", "group_by": "day_of_week"}, "group_by"),
        ({"location_id": "6b0c4d4e-0000-4000-8000-000000000000"}, "location_id"),
        ({"location_id": "not-a-uuid"}, "location_id"),
        # Dates at the ends of the calendar: 422, not an overflow (500).
        ({"date_from": "9999-12-31", "date_to": "9999-12-31"}, "date_from"),
        ({"date_from": "9999-12-31"}, "date_from"),
        ({"date_to": "0001-01-01"}, "date_to"),
        ({"date_from": "0001-01-01", "date_to": "0001-01-02", "granularity": "hour"}, "date_from"),
        ({"date_from": "9999-12-30", "date_to": "9999-12-31", "granularity": "month"}, "date_from"),
    ],
)
async def test_bad_parameters(
    client: httpx.AsyncClient, owner: Account, params: dict[str, str], field: str
) -> None:
    error = assert_error(await get(client, owner, "aggregate", **params), 422, "VALIDATION_ERROR")
    assert field in [detail["field"] for detail in error["details"]], error


@pytest.mark.parametrize(
    "params",
    [
        {"date_from": "9998-12-01", "date_to": "9999-01-01", "granularity": "month"},
        {"date_from": "9999-01-01"},
        {"date_from": "1900-01-01", "date_to": "1900-01-01", "granularity": "hour"},
    ],
)
async def test_ranges_at_the_ends_of_the_calendar(
    client: httpx.AsyncClient, owner: Account, params: dict[str, str]
) -> None:
    """The first and last dates a query may name work (three years on from them is past
    what Python's dates hold: that was a 500)."""
    body = await get_ok(client, owner, "aggregate", **params)
    assert money(body["total_revenue"]) == 0 and body["time_series"]


async def test_three_years_is_the_longest_range(client: httpx.AsyncClient, owner: Account) -> None:
    body = await get_ok(
        client,
        owner,
        "aggregate",
        date_from="2023-01-01",
        date_to="2025-12-31",
        granularity="month",
    )
    assert len(body["time_series"]) == 36


@pytest.mark.parametrize(
    ("role", "status"),
    [("cashier", 403), ("wait_staff", 403), ("kitchen_staff", 403), ("viewer", 200),
     ("manager", 200), ("admin", 200)],
)  # fmt: skip
async def test_who_may_read(
    client: httpx.AsyncClient, owner: Account, role: str, status: int
) -> None:
    user = await add_user(client, owner, role)
    for path in ("aggregate", "top-items", "historical", "ledger"):
        response = await get(client, user, path)
        assert response.status_code == status, (path, response.text)
        if status == 403:
            assert_error(response, 403, "FORBIDDEN")


async def test_requires_authentication(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/api/v1/sales/aggregate"), 401, "UNAUTHORIZED")

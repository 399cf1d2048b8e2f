"""Customer segments, against numbers worked out by hand (period 2026-03-01..03-31).

Ann  visits 01-10, 02-05; in March 03-03 (30.00), 03-20 (20.00)   4 to date: returning
Ben  first visit 03-05 (40.00), refund 03-06 (-10.00); 04-02 later  1 to date: new
Cat  four visits in Jan/Feb; 03-08 (15.00)                          5 to date: loyal
Dan  a visit 02-01; only a refund in March (-5.00)                  no visit: left out
Eve  first visits 03-10 (12.00), 03-11 (8.00)                       2 to date: returning
Revenue 115.00 over 6 visits by 4 customers.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from tableside.db.database import Database
from tests.factories import Account, assert_error, money
from tests.factories.analytics import Sold, customer, get, ok, record, refund, sale

PERIOD = {"date_from": "2026-03-01", "date_to": "2026-03-31"}


async def _visits(client: httpx.AsyncClient, owner: Account, database: Database) -> None:
    ann, ben, cat, dan, eve = [
        await customer(client, owner, name) for name in ("Ann", "Ben", "Cat", "Dan", "Eve")
    ]

    def visit(day: date, amount: str, who: str) -> list[Any]:
        return sale(day, [Sold(None, 1, amount)], customer=who)

    await record(
        database,
        owner,
        visit(date(2026, 1, 10), "10.00", ann),
        visit(date(2026, 2, 5), "10.00", ann),
        visit(date(2026, 3, 3), "30.00", ann),
        visit(date(2026, 3, 20), "20.00", ann),
        visit(date(2026, 3, 5), "40.00", ben),
        refund(date(2026, 3, 6), Sold(None, 1, "10.00"), customer=ben),
        visit(date(2026, 4, 2), "70.00", ben),  # after the period
        *[visit(date(2026, 1, day), "9.00", cat) for day in (3, 9, 17)],
        visit(date(2026, 2, 14), "9.00", cat),
        visit(date(2026, 3, 8), "15.00", cat),
        visit(date(2026, 2, 1), "5.00", dan),
        refund(date(2026, 3, 2), Sold(None, 1, "5.00"), customer=dan),
        visit(date(2026, 3, 10), "12.00", eve),
        visit(date(2026, 3, 11), "8.00", eve),
        sale(date(2026, 3, 12), [Sold(None, 1, "500.00")]),  # no customer
    )


def _segments(body: dict[str, Any]) -> dict[str, tuple[int, int, Any, Any, Any]]:
    return {
        s["segment"]: (
            s["customers"],
            s["visits"],
            money(s["revenue"]),
            money(s["average_spend"]) if s["average_spend"] is not None else None,
            money(s["revenue_share_percent"]) if s["revenue_share_percent"] is not None else None,
        )
        for s in body["segments"]
    }


async def test_customer_segments(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    await _visits(client, owner, database)
    body = await ok(client, owner, "customers", **PERIOD)
    assert body["thresholds"] == {"returning_min_visits": 2, "loyal_min_visits": 5}
    assert [s["segment"] for s in body["segments"]] == ["new", "returning", "loyal"]
    assert _segments(body) == {
        "new": (1, 1, money("30.00"), money("30.00"), money("26.09")),
        "returning": (2, 4, money("70.00"), money("17.50"), money("60.87")),
        "loyal": (1, 1, money("15.00"), money("15.00"), money("13.04")),
    }
    assert body["totals"] == {
        "customers": 4,
        "visits": 6,
        "revenue": 115.0,
        "average_spend": 19.17,  # 115 / 6
        "average_customer_value": 28.75,  # 115 / 4
    }
    top = body["top_customers"]
    assert [(c["name"], c["segment"], money(c["revenue"])) for c in top] == [
        ("Ann", "returning", 50),
        ("Ben", "new", 30),
        ("Eve", "returning", 20),
        ("Cat", "loyal", 15),
    ]
    ann = top[0]
    assert (ann["visits"], ann["visits_to_date"], ann["last_visit"]) == (2, 4, "2026-03-20")
    assert money(ann["average_spend"]) == 25
    assert (top[1]["visits_to_date"], top[1]["last_visit"]) == (1, "2026-03-05")
    assert top[3]["visits_to_date"] == 5


async def test_thresholds_segment_filter_and_top(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    await _visits(client, owner, database)
    # Loyal from 4 visits: Ann joins Cat.
    loyal4 = await ok(client, owner, "customers", **PERIOD, loyal_min_visits=4)
    assert _segments(loyal4)["loyal"][:3] == (2, 3, money("65.00"))
    assert _segments(loyal4)["returning"][:3] == (1, 2, money("20.00"))
    # Returning from 3 visits: Eve's 2 make her new.
    returning3 = await ok(client, owner, "customers", **PERIOD, returning_min_visits=3)
    assert _segments(returning3)["new"][:3] == (2, 3, money("50.00"))
    assert _segments(returning3)["returning"][:3] == (1, 2, money("50.00"))

    only_new = await ok(client, owner, "customers", **PERIOD, segment="new")
    assert [c["name"] for c in only_new["top_customers"]] == ["Ben"]
    assert only_new["totals"]["customers"] == 4  # the filter narrows the top list only
    top2 = await ok(client, owner, "customers", **PERIOD, top=2)
    assert [c["name"] for c in top2["top_customers"]] == ["Ann", "Ben"]

    for params in (
        {"loyal_min_visits": 2},
        {"returning_min_visits": 1},
        {"returning_min_visits": 5, "loyal_min_visits": 5},
        {"top": 0},
        {"top": 101},
        {"segment": "vip"},
    ):
        error = assert_error(
            await get(client, owner, "customers", **PERIOD, **params), 422, "VALIDATION_ERROR"
        )
        assert error["details"], params


async def test_customer_segments_without_visits(client: httpx.AsyncClient, owner: Account) -> None:
    body = await ok(client, owner, "customers", **PERIOD)
    assert all(
        (s["customers"], s["visits"], s["average_spend"], s["revenue_share_percent"])
        == (0, 0, None, None)
        for s in body["segments"]
    )
    assert body["top_customers"] == []
    assert body["totals"]["average_spend"] is None


async def test_a_returning_threshold_past_the_default_loyal_one_says_why(
    client: httpx.AsyncClient, owner: Account
) -> None:
    """Only `returning_min_visits=6` sent: the refusal is about the loyal threshold's default
    (5), so the message gives both values: the caller sees why a field they never sent is
    named."""
    error = assert_error(
        await get(client, owner, "customers", **PERIOD, returning_min_visits=6),
        422,
        "VALIDATION_ERROR",
    )
    assert error["details"] == [
        {
            "field": "loyal_min_visits",
            "message": "must be greater than returning_min_visits (6); it is 5",
        }
    ]

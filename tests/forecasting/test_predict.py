"""POST /forecasts/{id}/predict: trained on the rollups, stored as runs, served from a fresh
run, recomputed on new data; hourly opening hours; too little history; the analytics
projection."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from tableside.db.database import Database, set_tenant
from tableside.ledger.maintenance import rebuild_rollups
from tests.factories import assert_error
from tests.factories.ledger import bulk, create_shop
from tests.forecasting.conftest import (
    DINNER_HOUR,
    FORECASTS,
    LUNCH_HOUR,
    PIZZA_BY_WEEKDAY,
    Bistro,
    today,
    write_history,
)


async def test_daily_revenue_per_location(bistro: Bistro, client: httpx.AsyncClient) -> None:
    forecast = await bistro.create(scope="location", horizon=14, levels=[80, 95])
    response = await bistro.predict(forecast["id"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model_version"] == 1 and body["cached"] is False
    assert body["levels"] == [80, 95] and body["granularity"] == "day"
    first = today()
    assert body["trained_through"] == (first - timedelta(days=1)).isoformat()
    assert body["start_date"] == first.isoformat()
    assert body["end_date"] == (first + timedelta(days=13)).isoformat()
    series = {s["location_id"]: s for s in body["series"]}
    assert set(series) == {bistro.location("Main"), bistro.location("Harbour")}
    main = series[bistro.location("Main")]
    assert main["series_key"] == f"loc:{bistro.location('Main')}"
    assert main["method_used"] == "seasonal_naive" and main["fallback"] is None
    assert len(main["points"]) == 14
    dates = [p["timestamp"] for p in main["points"]]
    assert dates == [(first + timedelta(days=i)).isoformat() for i in range(14)]
    for point in main["points"]:
        assert point["lower_bound"] == point["intervals"]["80"]["lower"]
        assert point["upper_bound"] == point["intervals"]["80"]["upper"]
        assert 0 <= point["intervals"]["95"]["lower"] <= point["lower_bound"] <= point["value"]
        assert point["value"] <= point["upper_bound"] <= point["intervals"]["95"]["upper"]
    # The weekly shape is learned: Saturday is the best day at Main (pizza and pasta).
    by_day = {date.fromisoformat(p["timestamp"]).weekday(): p["value"] for p in main["points"]}
    assert max(by_day, key=by_day.__getitem__) == PIZZA_BY_WEEKDAY.index(max(PIZZA_BY_WEEKDAY))
    # Harbour never opens on Mondays: closed days are forecast as zero.
    harbour = series[bistro.location("Harbour")]
    for point in harbour["points"]:
        if date.fromisoformat(point["timestamp"]).weekday() == 0:
            assert point["value"] == 0 and point["upper_bound"] == 0
        else:
            assert point["value"] > 0

    # A narrower range, summed by week.
    weekly = await bistro.predict(
        forecast["id"],
        start_date=first.isoformat(),
        end_date=(first + timedelta(days=6)).isoformat(),
        granularity="week",
    )
    assert weekly.status_code == 200, weekly.text
    week_points = {s["location_id"]: s["points"] for s in weekly.json()["series"]}
    daily_sum = sum(p["value"] for p in main["points"][:7])
    assert sum(p["value"] for p in week_points[bistro.location("Main")]) == pytest.approx(
        daily_sum, abs=0.01
    )
    # Points say which period they hold and whether all of it: a range starting after a
    # Monday cuts its first week (and ending before a Sunday, its last).
    for point in main["points"]:
        assert point["period_end"] == point["timestamp"] and point["complete"] is True
    for point in week_points[bistro.location("Main")]:
        monday = date.fromisoformat(point["timestamp"])
        assert monday.weekday() == 0
        assert point["period_end"] == (monday + timedelta(days=6)).isoformat()
        assert point["complete"] is (first.weekday() == 0)
    whole_weeks = await bistro.predict(forecast["id"], granularity="week")
    completes = [p["complete"] for p in whole_weeks.json()["series"][0]["points"]]
    # 14 days from today: whole weeks in the middle, cut ones at the ends unless on Monday.
    assert completes[0] is (first.weekday() == 0) and completes[-1] is False
    assert all(completes[1:-1])
    # A range starting in the past is answered from the first day the forecast covers.
    earlier = await bistro.predict(
        forecast["id"], start_date=(first - timedelta(days=10)).isoformat()
    )
    assert earlier.status_code == 200, earlier.text
    assert earlier.json()["start_date"] == first.isoformat()
    assert earlier.json()["not_forecast"] == []
    assert_error(await bistro.predict(forecast["id"], granularity="hour"), 422, "VALIDATION_ERROR")
    beyond = await bistro.predict(
        forecast["id"], start_date=(first + timedelta(days=30)).isoformat()
    )
    assert_error(beyond, 422, "VALIDATION_ERROR")


async def test_fresh_run_is_reused_until_new_data(
    bistro: Bistro, client: httpx.AsyncClient
) -> None:
    forecast = await bistro.create(target="item_units", scope="item", item_skus=["PIZ", "PAS"],
                                   horizon=7)  # fmt: skip
    first = (await bistro.predict(forecast["id"])).json()
    assert first["model_version"] == 1 and first["cached"] is False
    keys = {s["series_key"] for s in first["series"]}
    assert keys == {
        f"loc:{bistro.location(loc)}|item:{bistro.item(sku)}"
        for loc in ("Main", "Harbour")
        for sku in ("PIZ", "PAS")
    }
    assert {s["sku"] for s in first["series"]} == {"PIZ", "PAS"}
    again = (await bistro.predict(forecast["id"])).json()
    assert again["model_version"] == 1 and again["cached"] is True
    assert again["series"] == first["series"]

    # Sales that arrive late for yesterday change the data: the next predict trains anew.
    yesterday = today() - timedelta(days=1)
    late = await bulk(client, bistro.owner, [
        {"date": yesterday.isoformat(), "sku": "PIZ", "quantity": 5, "amount": "60.00",
         "location_id": bistro.location("Main")},
    ])  # fmt: skip
    assert late.status_code == 201, late.text
    fresh = (await bistro.predict(forecast["id"])).json()
    assert fresh["model_version"] == 2 and fresh["cached"] is False
    # A sale today does not: today's business day is not over, the history ends yesterday.
    now = await bulk(client, bistro.owner, [
        {"date": today().isoformat(), "sku": "PIZ", "quantity": 1, "amount": "12.00",
         "location_id": bistro.location("Main")},
    ])  # fmt: skip
    assert now.status_code == 201
    assert (await bistro.predict(forecast["id"])).json()["model_version"] == 2
    # Changing the definition makes the stored run stale too.
    patched = await client.patch(
        f"{FORECASTS}/{forecast['id']}", headers=bistro.owner.headers, json={"horizon": 5}
    )
    assert patched.status_code == 200
    changed = (await bistro.predict(forecast["id"])).json()
    assert changed["model_version"] == 3
    assert all(len(s["points"]) == 5 for s in changed["series"])

    runs = await client.get(f"{FORECASTS}/{forecast['id']}/runs", headers=bistro.owner.headers)
    assert [r["model_version"] for r in runs.json()["items"]] == [3, 2, 1]
    assert all(r["trigger"] == "predict" and r["status"] == "succeeded"
               for r in runs.json()["items"])  # fmt: skip


async def test_hourly_covers_respect_opening_hours(bistro: Bistro) -> None:
    forecast = await bistro.create(
        target="covers",
        scope="location",
        location_id=bistro.location("Main"),
        granularity="hour",
        horizon=48,
    )
    response = await bistro.predict(forecast["id"])
    assert response.status_code == 200, response.text
    (series,) = response.json()["series"]
    points = series["points"]
    # Every hour of the two business days is there, from the 04:00 cutoff on (UTC shop).
    assert len(points) == 48
    assert points[0]["timestamp"] == f"{today().isoformat()}T04:00:00Z"
    trading = {LUNCH_HOUR, LUNCH_HOUR + 7}
    for point in points:
        hour = int(point["timestamp"][11:13])
        if hour in range(LUNCH_HOUR, LUNCH_HOUR + 8):
            continue  # between the two trading hours the shop is open
        assert point["value"] == 0, point
        assert point["intervals"]["95"]["upper"] == 0, point
    assert all(p["value"] > 0 for p in points if int(p["timestamp"][11:13]) in trading)
    by_day = await bistro.predict(forecast["id"], granularity="day")
    day_points = by_day.json()["series"][0]["points"]
    assert [p["timestamp"] for p in day_points] == [
        today().isoformat(),
        (today() + timedelta(days=1)).isoformat(),
    ]


async def test_too_little_history(client: httpx.AsyncClient, database: Database) -> None:
    empty = Bistro(shop=await create_shop(client, database, timezone="UTC"), client=client)
    forecast = await empty.create()
    error = assert_error(await empty.predict(forecast["id"]), 422, "INSUFFICIENT_HISTORY")
    assert "No sales" in error["message"]
    runs = await client.get(f"{FORECASTS}/{forecast['id']}/runs", headers=empty.owner.headers)
    assert runs.json()["total"] == 0


async def test_revenue_projection_in_analytics(bistro: Bistro, client: httpx.AsyncClient) -> None:
    path = "/api/v1/analytics/revenue-trends"
    before = await client.get(path, headers=bistro.owner.headers)
    assert before.json()["projection_status"] == "unavailable"
    forecast = await bistro.create(scope="business", horizon=21)
    assert (await bistro.predict(forecast["id"])).status_code == 200
    trends = await client.get(path, headers=bistro.owner.headers)
    body = trends.json()
    assert body["projection_status"] == "available", body
    projection = body["projection"]["series"]
    # The range ends today, whose sales are still coming in: the projection starts today and
    # stops where the run does (trained through yesterday, 21 days).
    assert projection[0]["period_start"] == today().isoformat()
    assert all(p["period_start"] == p["period_end"] for p in projection)
    assert len(projection) == 21
    assert body["projection"]["total_revenue"] == pytest.approx(
        sum(p["revenue"] for p in projection), abs=0.05
    )
    weekly = await client.get(path, headers=bistro.owner.headers, params={"granularity": "week"})
    assert weekly.json()["projection_status"] == "available"
    # Weeks run Monday to Sunday: the first is clipped to start today, the others are whole.
    first, *others = weekly.json()["projection"]["series"]
    sunday = today() + timedelta(days=6 - today().weekday())
    assert (first["period_start"], first["period_end"]) == (today().isoformat(), sunday.isoformat())
    for week in others:
        start, end = (
            date.fromisoformat(week["period_start"]),
            date.fromisoformat(week["period_end"]),
        )
        assert start.weekday() == 0 and (end - start).days == 6
    # The days projected in the first week add up to its point.
    assert first["revenue"] == pytest.approx(
        sum(p["revenue"] for p in projection[: (sunday - today()).days + 1]), abs=0.05
    )
    # A range that ended yesterday is followed by the projection from today.
    yesterday = await client.get(
        path,
        headers=bistro.owner.headers,
        params={"date_to": (today() - timedelta(days=1)).isoformat()},
    )
    assert yesterday.json()["projection"]["series"][0]["period_start"] == today().isoformat()
    # A range that ended in the past is history: nothing is projected after it.
    past = await client.get(
        path,
        headers=bistro.owner.headers,
        params={"date_to": (today() - timedelta(days=10)).isoformat()},
    )
    assert past.json()["projection_status"] == "unavailable"


async def test_category_and_weekly_forecasts(bistro: Bistro) -> None:
    category = str(bistro.shop.categories["Food"])
    by_category = await bistro.create(
        target="item_units", scope="category", category_id=category, horizon=7
    )
    body = (await bistro.predict(by_category["id"])).json()
    (series,) = body["series"]
    assert series["series_key"] == f"cat:{category}" and series["item_id"] is None
    assert all(p["value"] > 0 for p in series["points"])

    weekly = await bistro.create(scope="business", granularity="week", horizon=4)
    response = await bistro.predict(weekly["id"])
    assert response.status_code == 200, response.text
    body = response.json()
    # Only complete weeks are learned from: the history ends on the Sunday before today's
    # week at the latest.
    trained_through = date.fromisoformat(body["trained_through"])
    assert trained_through.weekday() == 6 and trained_through < today()
    (series,) = body["series"]
    starts = [date.fromisoformat(p["timestamp"]) for p in series["points"]]
    assert starts == [trained_through + timedelta(days=1 + 7 * i) for i in range(4)]
    # Ten weeks are short of two yearly seasons: the series is forecast by a fallback, and
    # the response says which.
    assert series["fallback"] is not None
    assert all(p["value"] > 0 for p in series["points"])


async def test_covers_are_forecast_only_where_guests_are_seated(
    client: httpx.AsyncClient, database: Database
) -> None:
    """A shop counter sells but seats nobody: no covers series for it (not a row of zeros),
    while its revenue is forecast like any location's."""
    shop = await create_shop(
        client, database, locations=[("Main", None), ("Harbour", None), ("Counter", None)]
    )
    last = today() - timedelta(days=1)
    first = last - timedelta(days=27)
    await write_history(client, shop, first, last)
    counter = str(shop.locations["Counter"])
    takeaway = [
        {"sold_at": f"{(first + timedelta(days=i)).isoformat()}T10:15:00Z", "sku": "TIR",
         "quantity": 2, "amount": "12.00", "location_id": counter}
        for i in range(28)
    ]  # fmt: skip
    assert (await bulk(client, shop.owner, takeaway)).status_code == 201
    bistro = Bistro(shop=shop, client=client)
    seated = {bistro.location("Main"), bistro.location("Harbour")}

    for granularity, horizon in (("day", 7), ("hour", 48)):
        covers = await bistro.create(
            target="covers", scope="location", granularity=granularity, horizon=horizon
        )
        response = await bistro.predict(covers["id"])
        assert response.status_code == 200, response.text
        assert {s["location_id"] for s in response.json()["series"]} == seated

    revenue = await bistro.create(target="revenue", scope="location", horizon=7)
    served = (await bistro.predict(revenue["id"])).json()
    assert {s["location_id"] for s in served["series"]} == {*seated, counter}

    only_counter = await bistro.create(
        target="covers", scope="location", location_id=counter, horizon=7
    )
    error = assert_error(await bistro.predict(only_counter["id"]), 422, "INSUFFICIENT_HISTORY")
    assert "seated guests" in error["message"]


async def test_business_projection_adds_up_a_forecast_per_location(
    bistro: Bistro, client: httpx.AsyncClient
) -> None:
    forecast = await bistro.create(scope="location", horizon=14)
    served = (await bistro.predict(forecast["id"])).json()
    assert len(served["series"]) == 2
    by_day: dict[str, float] = {}
    for series in served["series"]:
        for point in series["points"]:
            by_day[point["timestamp"]] = by_day.get(point["timestamp"], 0.0) + point["value"]

    path = "/api/v1/analytics/revenue-trends"
    body = (await client.get(path, headers=bistro.owner.headers)).json()
    assert body["projection_status"] == "available", body
    projection = body["projection"]["series"]
    assert len(projection) == 14
    for point in projection:
        assert point["revenue"] == pytest.approx(by_day[point["period_start"]], abs=0.05)
    # One location's projection is that location's series alone.
    main = bistro.location("Main")
    one = (
        await client.get(path, headers=bistro.owner.headers, params={"location_id": main})
    ).json()
    (series,) = [s for s in served["series"] if s["location_id"] == main]
    assert one["projection"]["series"][0]["revenue"] == pytest.approx(
        series["points"][0]["value"], abs=0.05
    )


async def test_items_without_a_forecast_are_listed_with_why(
    client: httpx.AsyncClient, database: Database
) -> None:
    """Asked for three items: one sells every day, one first sold the day before yesterday
    (two days of history), one never sold."""
    items = [("PIZ", "Pizza", "4.00"), ("PAS", "Pasta", "3.00"), ("TIR", "Tiramisu", None)]
    items += [("RARE", "Truffle risotto", None), ("NEW", "Newcomer", None)]
    shop = await create_shop(client, database, items=items)
    last = today() - timedelta(days=1)
    await write_history(client, shop, last - timedelta(days=41), last)
    main = str(shop.locations["Main"])
    rare = [
        {"sold_at": f"{(last - timedelta(days=d)).isoformat()}T19:00:00Z", "sku": "RARE",
         "quantity": 1, "amount": "24.00", "location_id": main}
        for d in (0, 1)
    ]  # fmt: skip
    assert (await bulk(client, shop.owner, rare)).status_code == 201
    bistro = Bistro(shop=shop, client=client)
    wanted = [bistro.item("PIZ"), bistro.item("RARE"), bistro.item("NEW")]
    forecast = await bistro.create(
        target="item_units", scope="item", item_ids=wanted, location_id=main, horizon=7
    )
    response = await bistro.predict(forecast["id"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert [s["item_id"] for s in body["series"]] == [bistro.item("PIZ")]
    missing = {entry["item_id"]: entry for entry in body["not_forecast"]}
    assert set(missing) == {bistro.item("RARE"), bistro.item("NEW")}
    rare_entry = missing[bistro.item("RARE")]
    assert rare_entry["series_key"] == f"loc:{main}|item:{bistro.item('RARE')}"
    assert rare_entry["location_id"] == main and "open periods" in rare_entry["reason"]
    new_entry = missing[bistro.item("NEW")]
    assert new_entry["series_key"] is None and new_entry["reason"] == "no sales in the history"


async def test_revenue_projection_ignores_a_run_of_another_definition(
    bistro: Bistro, client: httpx.AsyncClient
) -> None:
    """A covers forecast changed to revenue (or a location forecast moved to another
    location) keeps its old run until it trains again: that run's covers (or the other
    location's revenue) are not projected as this revenue."""
    path = "/api/v1/analytics/revenue-trends"
    covers = await bistro.create(target="covers", scope="business", horizon=14)
    assert (await bistro.predict(covers["id"])).status_code == 200
    patched = await client.patch(
        f"{FORECASTS}/{covers['id']}", headers=bistro.owner.headers, json={"target": "revenue"}
    )
    assert patched.status_code == 200, patched.text
    body = (await client.get(path, headers=bistro.owner.headers)).json()
    assert body["projection_status"] == "unavailable", body

    main, harbour = bistro.location("Main"), bistro.location("Harbour")
    moved = await bistro.create(scope="location", location_id=main, horizon=14)
    assert (await bistro.predict(moved["id"])).status_code == 200
    patched = await client.patch(
        f"{FORECASTS}/{moved['id']}", headers=bistro.owner.headers, json={"location_id": harbour}
    )
    assert patched.status_code == 200, patched.text
    at_harbour = await client.get(path, headers=bistro.owner.headers,
                                  params={"location_id": harbour})  # fmt: skip
    assert at_harbour.json()["projection_status"] == "unavailable", at_harbour.json()
    # Trained again under the new definition, it projects.
    assert (await bistro.predict(covers["id"])).json()["cached"] is False
    body = (await client.get(path, headers=bistro.owner.headers)).json()
    assert body["projection_status"] == "available", body


async def test_a_weekly_forecast_read_by_the_month_shares_weeks_between_months(
    bistro: Bistro,
) -> None:
    """Weeks do not nest in months: a week from the 29th to the 4th holds four days of one
    month and three of the next. Read by the month, each week counts in each month for the
    days of it inside (a seventh per day), not wholly in the month it starts in."""
    weekly = await bistro.create(scope="business", granularity="week", horizon=12)
    weeks = (await bistro.predict(weekly["id"])).json()
    (series,) = weeks["series"]
    expected: dict[date, float] = {}
    for point in series["points"]:
        start = date.fromisoformat(point["timestamp"])
        for offset in range(7):
            day = start + timedelta(days=offset)
            month = day.replace(day=1)
            expected[month] = expected.get(month, 0.0) + point["value"] / 7
    response = await bistro.predict(weekly["id"], granularity="month")
    assert response.status_code == 200, response.text
    months = response.json()["series"][0]["points"]
    assert [date.fromisoformat(p["timestamp"]) for p in months] == sorted(expected)
    for point in months:
        month = date.fromisoformat(point["timestamp"])
        assert point["value"] == pytest.approx(expected[month], abs=0.01), month
        assert point["lower_bound"] <= point["value"] <= point["upper_bound"]
    # The range of 12 weeks starts and ends inside a month: neither end month is whole.
    assert months[0]["complete"] is False and months[-1]["complete"] is False
    assert sum(p["value"] for p in months) == pytest.approx(
        sum(p["value"] for p in series["points"]), abs=0.05
    )


async def test_a_new_open_day_from_other_items_makes_an_item_run_stale(
    bistro: Bistro, client: httpx.AsyncClient
) -> None:
    """An item forecast learns a zero for its item on every day its location traded: a late
    sale of another item on a day the location had not traded yet makes that day open, so
    the stored run (which skipped it as closed) is no longer fresh."""
    forecast = await bistro.create(target="item_units", scope="item", item_skus=["TIR"],
                                   horizon=7)  # fmt: skip
    first = (await bistro.predict(forecast["id"])).json()
    assert (await bistro.predict(forecast["id"])).json()["cached"] is True
    # Harbour is closed on Mondays: a pizza sold there on the last Monday opens that day.
    yesterday = today() - timedelta(days=1)
    monday = yesterday - timedelta(days=yesterday.weekday())
    late = await bulk(client, bistro.owner, [
        {"date": monday.isoformat(), "sku": "PIZ", "quantity": 1, "amount": "12.00",
         "location_id": bistro.location("Harbour")},
    ])  # fmt: skip
    assert late.status_code == 201, late.text
    again = (await bistro.predict(forecast["id"])).json()
    assert again["cached"] is False
    assert again["model_version"] == first["model_version"] + 1


async def test_a_business_day_the_hourly_horizon_cuts_is_not_a_whole_day(
    bistro: Bistro, client: httpx.AsyncClient
) -> None:
    """30 hours from the 04:00 cutoff: the second business day has only its first six hours
    (04:00-10:00, before lunch). Read by the day it is not `complete`, and the revenue
    projection does not present those six hours as the day's revenue."""
    forecast = await bistro.create(scope="business", granularity="hour", horizon=30)
    response = await bistro.predict(forecast["id"], granularity="day")
    assert response.status_code == 200, response.text
    first, second = response.json()["series"][0]["points"]
    assert first["complete"] is True and first["value"] > 0
    assert second["timestamp"] == (today() + timedelta(days=1)).isoformat()
    assert second["complete"] is False
    weekly = await bistro.predict(forecast["id"], granularity="week")
    assert all(p["complete"] is False for p in weekly.json()["series"][0]["points"])

    body = (await client.get("/api/v1/analytics/revenue-trends",
                             headers=bistro.owner.headers)).json()  # fmt: skip
    assert body["projection_status"] == "available", body
    projected = body["projection"]["series"]
    assert [p["period_start"] for p in projected] == [today().isoformat()]
    assert projected[0]["revenue"] == pytest.approx(first["value"], abs=0.05)


async def test_a_category_series_starts_at_its_first_sale(
    bistro: Bistro, client: httpx.AsyncClient
) -> None:
    """A brunch menu launched ten days ago: its category's series starts with its first sale
    (as an item's does), not with the business's first open day, so two months of zeros
    from before it existed are not learned as demand; its short history is forecast by a
    fallback and the response says so. A category that never sold has nothing to learn."""
    from tests.factories.analytics import menu_category, menu_item

    brunch = await menu_category(client, bistro.owner, "Brunch")
    await menu_item(client, bistro.owner, "Eggs", "9.00", sku="EGG", category_id=brunch)
    lines = []
    for back in range(1, 11):
        day = today() - timedelta(days=back)
        lines.append({"date": day.isoformat(), "sku": "EGG", "quantity": 20, "amount": "180.00",
                      "location_id": bistro.location("Main")})  # fmt: skip
    assert (await bulk(client, bistro.owner, lines)).status_code == 201
    average = {"method": "moving_average", "training_config": {"params": {"window": 28}}}
    forecast = await bistro.create(scope="category", category_id=brunch, horizon=7, **average)
    response = await bistro.predict(forecast["id"])
    assert response.status_code == 200, response.text
    (series,) = response.json()["series"]
    assert series["fallback"] is not None
    assert all(p["value"] == pytest.approx(180, rel=0.05) for p in series["points"])

    empty = await menu_category(client, bistro.owner, "Empty")
    never = await bistro.create(scope="category", category_id=empty, horizon=7)
    assert_error(await bistro.predict(never["id"]), 422, "INSUFFICIENT_HISTORY")


async def test_best_forecasts_an_item_sold_now_and_then_by_its_demand_rate(
    client: httpx.AsyncClient, database: Database
) -> None:
    """A caviar dish sells 1 to 3 portions on about one day in ten, at random: on every
    weekday the usual sale is none, so `best`'s candidates forecast 0 every day. The forecast
    says it uses the intermittent method and forecasts the dish's demand rate instead."""
    shop = await create_shop(client, database, timezone="UTC", cutoff=4, items=[
        ("PIZ", "Pizza", "4.00"), ("CAV", "Caviar blini", "9.00"),
    ])  # fmt: skip
    rng = random.Random(11)
    main = str(shop.locations["Main"])
    last = today() - timedelta(days=1)
    lines: list[dict[str, Any]] = []
    sold = 0
    for back in range(150):
        day = (last - timedelta(days=back)).isoformat()
        lines.append({"date": day, "sku": "PIZ", "quantity": 20 + rng.randint(0, 6),
                      "amount": "240.00", "location_id": main})  # fmt: skip
        if rng.random() < 0.1:
            portions = rng.randint(1, 3)
            sold += portions
            lines.append({"date": day, "sku": "CAV", "quantity": portions,
                          "amount": f"{portions * 25}.00", "location_id": main})  # fmt: skip
    assert (await bulk(client, shop.owner, lines)).status_code == 201
    bistro = Bistro(shop=shop, client=client)
    forecast = await bistro.create(target="item_units", scope="item", item_skus=["CAV", "PIZ"],
                                   location_id=main, method="best", horizon=14)  # fmt: skip
    response = await bistro.predict(forecast["id"])
    assert response.status_code == 200, response.text
    series = {s["sku"]: s for s in response.json()["series"]}
    assert series["CAV"]["method_used"] == "intermittent", series["CAV"]
    rate = sold / 150
    values = [p["value"] for p in series["CAV"]["points"]]
    assert all(0.3 * rate < v < 3 * rate for v in values), (values, rate)
    assert series["PIZ"]["method_used"] != "intermittent"


async def test_a_sale_moved_to_another_hour_makes_an_hourly_run_stale(
    bistro: Bistro, database: Database
) -> None:
    """Yesterday's dinner pizza at Main is corrected to lunch (the ledger line's time fixed,
    the rollups rebuilt by the repair): every day total is the same, the hours are not. The
    hourly forecast learned the old hours, so its run is stale; the daily one learned only
    the day totals, which did not change, so its run is still served."""
    hourly = await bistro.create(scope="location", granularity="hour", horizon=48)
    daily = await bistro.create(scope="location", horizon=7)
    first_hourly = (await bistro.predict(hourly["id"])).json()
    first_daily = (await bistro.predict(daily["id"])).json()
    assert (await bistro.predict(hourly["id"])).json()["cached"] is True

    yesterday = today() - timedelta(days=1)
    business_id = bistro.shop.business_id
    moved = timedelta(hours=DINNER_HOUR - LUNCH_HOUR)
    async with database.session() as session:
        await set_tenant(session, business_id)
        result = await session.execute(
            text(
                "UPDATE sales_ledger SET sold_at = sold_at - CAST(:moved AS interval),"
                " hour_start = hour_start - CAST(:moved AS interval), local_hour = :lunch"
                " WHERE id = (SELECT min(id) FROM sales_ledger WHERE business_date = :day"
                " AND location_id = :main AND local_hour = :dinner AND quantity > 0)"
            ),
            {"moved": moved, "lunch": LUNCH_HOUR, "dinner": DINNER_HOUR, "day": yesterday,
             "main": bistro.shop.locations["Main"]},
        )  # fmt: skip
        assert result.rowcount == 1  # type: ignore[attr-defined]
        await rebuild_rollups(session, business_id)

    again_hourly = (await bistro.predict(hourly["id"])).json()
    assert again_hourly["cached"] is False
    assert again_hourly["model_version"] == first_hourly["model_version"] + 1
    assert again_hourly["generated_at"] != first_hourly["generated_at"]
    again_daily = (await bistro.predict(daily["id"])).json()
    assert again_daily["cached"] is True
    assert again_daily["run_id"] == first_daily["run_id"]

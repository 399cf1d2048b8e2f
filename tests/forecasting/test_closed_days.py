"""Closed days of restaurants that close on a weekday, seen through predictions: a weekly
closing day is not an annual closure, and hourly forecasts reach the end of their horizon
after a closed day."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx

from tableside.db.database import Database
from tests.factories.ledger import bulk, create_shop
from tests.forecasting.conftest import Bistro, today

MONDAY = 0


async def closed_weekly(
    client: httpx.AsyncClient,
    database: Database,
    *,
    days: int,
    closed: int = MONDAY,
    hours: tuple[int, ...] = (12,),
    cutoff: int = 4,
) -> Bistro:
    """A one-location UTC shop open every business day but the `closed` weekday, with `days`
    days of pizza sales (at `hours`; those before the `cutoff` hour are sold after midnight,
    the next calendar day) ending yesterday."""
    shop = await create_shop(
        client, database, timezone="UTC", cutoff=cutoff, locations=[("Main", None)]
    )
    lines: list[dict[str, Any]] = []
    last = today(cutoff) - timedelta(days=1)
    for back in range(days):
        day = last - timedelta(days=back)
        if day.weekday() == closed:
            continue
        for hour in hours:
            sold_on = day + timedelta(days=1) if hour < cutoff else day
            lines.append(
                {"sold_at": f"{sold_on.isoformat()}T{hour:02d}:30:00Z", "sku": "PIZ",
                 "quantity": 5 + day.weekday(), "amount": f"{(5 + day.weekday()) * 12}.00",
                 "location_id": str(shop.locations["Main"]), "covers": 2,
                 "transaction_id": uuid.uuid4().hex}
            )  # fmt: skip
    response = await bulk(client, shop.owner, lines)
    assert response.status_code == 201, response.text
    return Bistro(shop=shop, client=client)


async def test_a_weekly_closing_day_a_year_ago_does_not_close_the_date(
    client: httpx.AsyncClient, database: Database
) -> None:
    # A bit over a year of history: a year ago, some of the next weeks' dates were Mondays.
    shop = await closed_weekly(client, database, days=400)
    forecast = await shop.create(scope="location", horizon=28)
    response = await shop.predict(forecast["id"])
    assert response.status_code == 200, response.text
    (series,) = response.json()["series"]
    for point in series["points"]:
        day = date.fromisoformat(point["timestamp"])
        if day.weekday() == MONDAY:
            assert point["value"] == 0, point
        else:
            assert point["value"] > 0, point
    runs = await client.get(f"/api/v1/forecasts/{forecast['id']}/runs", headers=shop.owner.headers)
    calendar = runs.json()["items"][0]["parameters"]["calendar"]
    assert calendar["closed_weekdays"] == [MONDAY]
    assert calendar["closed_dates"] == []


async def test_hourly_forecast_after_a_closed_day_reaches_its_horizon(
    client: httpx.AsyncClient, database: Database
) -> None:
    # Closed yesterday (every week on that weekday): the series ends over a day before the
    # forecast starts, and still every hour of the horizon is forecast.
    # Midnight cutoff: from 00:00 to 04:00 UTC its day is already the next one.
    shop_today = today(cutoff=0)
    yesterday = shop_today - timedelta(days=1)
    shop = await closed_weekly(
        client, database, days=70, closed=yesterday.weekday(), hours=(12, 13, 19, 20), cutoff=0
    )
    forecast = await shop.create(target="covers", scope="location", granularity="hour", horizon=48)
    response = await shop.predict(forecast["id"])
    assert response.status_code == 200, response.text
    (series,) = response.json()["series"]
    stamps = [point["timestamp"] for point in series["points"]]
    assert len(stamps) == 48
    assert stamps[0] == f"{shop_today.isoformat()}T00:00:00Z"
    assert stamps[-1] == f"{(shop_today + timedelta(days=1)).isoformat()}T23:00:00Z"
    dinner = [p for p in series["points"] if p["timestamp"].endswith("T20:00:00Z")]
    assert len(dinner) == 2 and all(p["value"] > 0 for p in dinner)


async def test_hours_past_midnight_before_a_closed_day_are_open(
    client: httpx.AsyncClient, database: Database
) -> None:
    # Open until 02:00 (cutoff 04:00), closed on the weekday after tomorrow: tomorrow's
    # business night runs into that weekday's first hours, and those hours are still open.
    closed = (today() + timedelta(days=2)).weekday()
    shop = await closed_weekly(client, database, days=70, closed=closed, hours=(19, 20, 0, 1))
    forecast = await shop.create(target="covers", scope="location", granularity="hour", horizon=96)
    response = await shop.predict(forecast["id"])
    assert response.status_code == 200, response.text
    (series,) = response.json()["series"]
    values = {point["timestamp"]: point["value"] for point in series["points"]}
    closed_day = (today() + timedelta(days=2)).isoformat()
    assert values[f"{closed_day}T00:00:00Z"] > 0 and values[f"{closed_day}T01:00:00Z"] > 0
    # The closed business day itself (from its 04:00 on) is zero.
    assert values[f"{closed_day}T20:00:00Z"] == 0


async def test_explicit_open_hours_of_one_weekday_keep_the_learned_hours_of_the_others(
    client: httpx.AsyncClient, database: Database
) -> None:
    # Lunch and dinner every day but Monday; the owner says today's weekday is lunch only.
    # Only that weekday changes: the other days keep the hours learned from the sales, so
    # their nights stay closed instead of becoming open around the clock.
    shop_today = today(cutoff=0)
    closed = (shop_today + timedelta(days=3)).weekday()
    shop = await closed_weekly(
        client, database, days=70, closed=closed, hours=(12, 13, 19, 20), cutoff=0
    )
    lunch_only = {str(shop_today.weekday()): [12, 14]}
    forecast = await shop.create(
        target="covers",
        scope="location",
        granularity="hour",
        horizon=48,
        training_config={"open_hours": lunch_only},
    )
    response = await shop.predict(forecast["id"])
    assert response.status_code == 200, response.text
    (series,) = response.json()["series"]
    values = {point["timestamp"]: point["value"] for point in series["points"]}
    tomorrow = (shop_today + timedelta(days=1)).isoformat()
    assert values[f"{shop_today.isoformat()}T12:00:00Z"] > 0
    assert values[f"{shop_today.isoformat()}T20:00:00Z"] == 0  # the explicit hours
    assert values[f"{tomorrow}T20:00:00Z"] > 0  # learned: dinner
    assert all(values[f"{tomorrow}T{hour:02d}:00:00Z"] == 0 for hour in (3, 8, 16, 23))
    runs = await client.get(f"/api/v1/forecasts/{forecast['id']}/runs", headers=shop.owner.headers)
    hours = runs.json()["items"][0]["parameters"]["calendar"]["open_hours"]
    assert hours[str(shop_today.weekday())] == [12, 14]
    assert hours[str((shop_today + timedelta(days=1)).weekday())] == [12, 21]

"""GET /forecasts/{id}/accuracy: stored predictions against the actuals that came later."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

import httpx
import pytest

from tableside.db.database import Database, set_tenant
from tableside.forecasting import runs
from tableside.forecasting.repository import ForecastRepository
from tests.factories import assert_error
from tests.factories.ledger import bulk, create_shop
from tests.forecasting.conftest import (
    DINNER_HOUR,
    FORECASTS,
    HISTORY_DAYS,
    LUNCH_HOUR,
    Bistro,
    day_lines,
    today,
)


async def train_as_of(database: Database, bistro: Bistro, forecast_id: str, days_ago: int) -> int:
    """Train the forecast as it would have been `days_ago` days ago (at 05:00 UTC, after
    that day's cutoff): on the history up to the day before, predicting from that day on."""
    business_id = bistro.shop.business_id
    then = datetime.combine(today() - timedelta(days=days_ago), time(5), tzinfo=UTC)
    async with database.session() as session:
        await set_tenant(session, business_id)
        forecast = await ForecastRepository(session, business_id).get_for_update(
            uuid.UUID(forecast_id)
        )
        assert forecast is not None
        run = await runs.train(session, business_id, forecast, trigger="retrain", now=then)
        return run.model_version


async def test_nothing_to_compare_yet(bistro: Bistro, client: httpx.AsyncClient) -> None:
    forecast = await bistro.create(scope="business", horizon=7)
    path = f"{FORECASTS}/{forecast['id']}/accuracy"
    assert_error(await client.get(path, headers=bistro.owner.headers), 404, "INSUFFICIENT_DATA")
    # A run made now predicts days still ahead: still nothing to compare.
    assert (await bistro.predict(forecast["id"])).status_code == 200
    error = assert_error(
        await client.get(path, headers=bistro.owner.headers), 404, "INSUFFICIENT_DATA"
    )
    assert "actual" in error["message"]


async def test_past_runs_against_actuals(
    bistro: Bistro, client: httpx.AsyncClient, database: Database
) -> None:
    forecast = await bistro.create(scope="location", horizon=14, levels=[80, 95])
    first = await train_as_of(database, bistro, forecast["id"], days_ago=14)
    second = await train_as_of(database, bistro, forecast["id"], days_ago=7)
    response = await client.get(
        f"{FORECASTS}/{forecast['id']}/accuracy",
        headers=bistro.owner.headers,
        params={"days_back": 14},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model_versions"] == [first, second]
    assert body["period"] == {
        "date_from": (today() - timedelta(days=14)).isoformat(),
        "date_to": (today() - timedelta(days=1)).isoformat(),
    }
    daily = body["daily"]
    assert len(daily) == 14
    metrics = body["metrics"]
    assert metrics["series"] == 2 and metrics["n"] == 28  # closed Mondays count, at zero
    for key in ("mae", "rmse", "wape", "mase", "bias", "grade"):
        assert metrics[key] is not None, key
    assert set(metrics["coverage"]) == {"80", "95"}
    # The history repeats its weekly shape exactly: the seasonal naive is (nearly) exact.
    assert metrics["wape"] == pytest.approx(0, abs=0.05)
    assert metrics["grade"] in {"A", "B", "C", "D", "F"}
    for day in daily:
        assert day["error"] == pytest.approx(day["predicted"] - day["actual"], abs=1e-3)
    assert body["trend"]["direction"] in {"improving", "stable", "worsening"}


async def test_worse_forecast_shows_in_errors_and_trend(
    bistro: Bistro, client: httpx.AsyncClient, database: Database
) -> None:
    """Sales doubled in the last week: the run trained two weeks ago misses by half in its
    second week, and the trend says so."""
    from tests.forecasting.conftest import write_history

    forecast = await bistro.create(scope="business", horizon=14, levels=[80])
    await train_as_of(database, bistro, forecast["id"], days_ago=14)
    last_week = today() - timedelta(days=7)
    await write_history(client, bistro.shop, last_week, today() - timedelta(days=1))
    response = await client.get(
        f"{FORECASTS}/{forecast['id']}/accuracy",
        headers=bistro.owner.headers,
        params={"days_back": 14},
    )
    body = response.json()
    assert body["model_versions"] == [1]
    early, late = body["daily"][:7], body["daily"][7:]
    assert all(abs(d["percentage_error"]) < 5 for d in early)
    assert all(d["percentage_error"] == pytest.approx(-50, abs=5) for d in late)
    assert body["trend"]["direction"] == "worsening"
    assert body["metrics"]["bias"] < 0


async def test_hourly_intervals_are_judged_hour_by_hour(
    client: httpx.AsyncClient, database: Database
) -> None:
    """An exact weekly pattern (no tiramisu now and then), except that in the last week lunch
    and dinner swapped their sales: every day's total is as usual, but no hour is. The
    hours' intervals missed, and coverage says so; the day's summed bounds still hold the
    day's actual."""
    shop = await create_shop(client, database, timezone="UTC", cutoff=4)
    last = today() - timedelta(days=1)
    swapped_from = today() - timedelta(days=7)
    lines = []
    for offset in range(HISTORY_DAYS):
        day = last - timedelta(days=offset)
        for line in day_lines(shop, day):
            if line["sku"] == "TIR":
                continue
            if day >= swapped_from:
                lunch, dinner = f"T{LUNCH_HOUR:02d}:", f"T{DINNER_HOUR:02d}:"
                stamp = line["sold_at"]
                line["sold_at"] = (
                    stamp.replace(lunch, dinner) if lunch in stamp else stamp.replace(dinner, lunch)
                )
            lines.append(line)
    assert (await bulk(client, shop.owner, lines)).status_code == 201
    bistro = Bistro(shop=shop, client=client)
    forecast = await bistro.create(
        scope="location", granularity="hour", horizon=7 * 24, levels=[80, 95]
    )
    await train_as_of(database, bistro, forecast["id"], days_ago=7)
    response = await client.get(
        f"{FORECASTS}/{forecast['id']}/accuracy",
        headers=shop.owner.headers,
        params={"days_back": 7},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    metrics = body["metrics"]
    assert metrics["coverage_granularity"] == "hour"
    # The day totals are what the weekly pattern predicts...
    assert metrics["wape"] == pytest.approx(0, abs=0.05)
    for day in body["daily"]:
        assert day["lower_bound"] <= day["actual"] <= day["upper_bound"]
    # ... but each open hour got twice or half what it should have.
    assert metrics["coverage"]["80"] == pytest.approx(0, abs=0.05)
    assert metrics["coverage"]["95"] == pytest.approx(0, abs=0.05)


async def test_daily_coverage_is_judged_per_day(
    bistro: Bistro, client: httpx.AsyncClient, database: Database
) -> None:
    forecast = await bistro.create(scope="location", horizon=14, levels=[80])
    await train_as_of(database, bistro, forecast["id"], days_ago=7)
    response = await client.get(
        f"{FORECASTS}/{forecast['id']}/accuracy",
        headers=bistro.owner.headers,
        params={"days_back": 7},
    )
    metrics = response.json()["metrics"]
    assert metrics["coverage_granularity"] == "day"
    assert 0 <= metrics["coverage"]["80"] <= 1


async def test_the_same_comparisons_score_the_same_however_far_back_asked(
    bistro: Bistro, client: httpx.AsyncClient, database: Database
) -> None:
    """MASE is scaled by the history just before the days compared, not before the start of
    the requested window: asking further back than there are predictions changes nothing."""
    forecast = await bistro.create(scope="location", horizon=7, levels=[80])
    await train_as_of(database, bistro, forecast["id"], days_ago=7)
    bodies = []
    for days_back in (7, 30, 60):
        response = await client.get(
            f"{FORECASTS}/{forecast['id']}/accuracy",
            headers=bistro.owner.headers,
            params={"days_back": days_back},
        )
        assert response.status_code == 200, response.text
        bodies.append(response.json())
    assert all(body["daily"] == bodies[0]["daily"] for body in bodies)
    assert bodies[0]["metrics"]["mase"] is not None
    assert all(body["metrics"] == bodies[0]["metrics"] for body in bodies)


async def test_runs_without_a_level_do_not_count_in_its_coverage(
    bistro: Bistro, client: httpx.AsyncClient, database: Database
) -> None:
    """The levels changed between two runs: the days predicted by the run without the 95%
    interval neither count as misses of it nor show bounds of 0."""
    forecast = await bistro.create(scope="location", horizon=14, levels=[80])
    await train_as_of(database, bistro, forecast["id"], days_ago=14)
    patched = await client.patch(
        f"{FORECASTS}/{forecast['id']}", headers=bistro.owner.headers, json={"levels": [95]}
    )
    assert patched.status_code == 200, patched.text
    await train_as_of(database, bistro, forecast["id"], days_ago=7)
    path = f"{FORECASTS}/{forecast['id']}/accuracy"
    both = (await client.get(path, headers=bistro.owner.headers, params={"days_back": 14})).json()
    second = (await client.get(path, headers=bistro.owner.headers, params={"days_back": 7})).json()
    assert both["model_versions"] == [1, 2] and second["model_versions"] == [2]
    assert second["metrics"]["coverage"]["95"] > 0
    assert both["metrics"]["coverage"]["95"] == second["metrics"]["coverage"]["95"]
    first_week, second_week = both["daily"][:7], both["daily"][7:]
    assert all(d["lower_bound"] is None and d["upper_bound"] is None for d in first_week)
    assert all(d["upper_bound"] is not None and d["upper_bound"] > 0 for d in second_week)


async def test_runs_of_another_target_or_scope_are_not_judged_against_the_new_one(
    bistro: Bistro, client: httpx.AsyncClient, database: Database
) -> None:
    """A forecast of revenue changed to covers (or from per location to the whole business):
    its old runs predicted another quantity or other series, so they are not compared with
    the new actuals (revenue against covers, or per-location predictions against nothing)."""
    forecast = await bistro.create(scope="business", horizon=14, levels=[80])
    await train_as_of(database, bistro, forecast["id"], days_ago=14)
    path = f"{FORECASTS}/{forecast['id']}/accuracy"
    params = {"days_back": 14}
    before = await client.get(path, headers=bistro.owner.headers, params=params)
    assert before.status_code == 200, before.text
    assert before.json()["metrics"]["wape"] == pytest.approx(0, abs=0.05)

    patched = await client.patch(
        f"{FORECASTS}/{forecast['id']}", headers=bistro.owner.headers, json={"target": "covers"}
    )
    assert patched.status_code == 200, patched.text
    assert_error(
        await client.get(path, headers=bistro.owner.headers, params=params),
        404,
        "INSUFFICIENT_DATA",
    )
    # Runs of the new definition are judged as usual.
    await train_as_of(database, bistro, forecast["id"], days_ago=14)
    body = (await client.get(path, headers=bistro.owner.headers, params=params)).json()
    assert body["model_versions"] == [2]
    assert body["metrics"]["wape"] == pytest.approx(0, abs=0.05)

    scoped = await bistro.create(scope="location", horizon=14, levels=[80])
    await train_as_of(database, bistro, scoped["id"], days_ago=14)
    patched = await client.patch(
        f"{FORECASTS}/{scoped['id']}", headers=bistro.owner.headers, json={"scope": "business"}
    )
    assert patched.status_code == 200, patched.text
    assert_error(
        await client.get(f"{FORECASTS}/{scoped['id']}/accuracy", headers=bistro.owner.headers,
                         params=params),
        404,
        "INSUFFICIENT_DATA",
    )  # fmt: skip
    # Items dropped from the list: their old predictions are not judged (nothing read for them).
    items = await bistro.create(target="item_units", scope="item", item_skus=["PIZ", "PAS"],
                                horizon=14, levels=[80])  # fmt: skip
    await train_as_of(database, bistro, items["id"], days_ago=14)
    patched = await client.patch(
        f"{FORECASTS}/{items['id']}", headers=bistro.owner.headers, json={"item_skus": ["PIZ"]}
    )
    assert patched.status_code == 200, patched.text
    body = (await client.get(f"{FORECASTS}/{items['id']}/accuracy", headers=bistro.owner.headers,
                             params=params)).json()  # fmt: skip
    assert body["metrics"]["series"] == 2  # pizza at Main and Harbour, not pasta
    assert body["metrics"]["wape"] == pytest.approx(0, abs=0.05)


async def test_a_day_the_hourly_horizon_cuts_is_not_judged(
    bistro: Bistro, client: httpx.AsyncClient, database: Database
) -> None:
    """A 30-hour forecast made three days ago covered that day whole and the next one's first
    six hours: only the whole day is compared with the day's sales."""
    forecast = await bistro.create(scope="business", granularity="hour", horizon=30, levels=[80])
    await train_as_of(database, bistro, forecast["id"], days_ago=3)
    response = await client.get(f"{FORECASTS}/{forecast['id']}/accuracy",
                                headers=bistro.owner.headers, params={"days_back": 3})  # fmt: skip
    assert response.status_code == 200, response.text
    (day,) = response.json()["daily"]
    assert day["date"] == (today() - timedelta(days=3)).isoformat()
    assert day["percentage_error"] == pytest.approx(0, abs=5)

"""Daily signals of sales imports feed the forecasts: holiday flags join the calendar and
marketing spend becomes an exogenous feature of daily panels."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import httpx
import pandas as pd
import pytest

from tableside.db.database import Database
from tableside.forecasting.series import MIN_SPEND_DAYS, SPEND_COLUMN, SeriesMeta, _spend_features
from tableside.models import NO_KEY
from tests.factories.ledger import create_shop, csv_bytes, upload
from tests.forecasting.conftest import FORECASTS, Bistro, today

DAYS = 84
BASE, PER_SPENT = 500, 10


def spend_on(day: date) -> int:
    """A spend that varies from day to day with no weekly pattern: 0, 40 or 80."""
    return 40 * ((day.toordinal() * 7) % 11 % 3)


@pytest.fixture
async def promoted(client: httpx.AsyncClient, database: Database) -> tuple[Bistro, date]:
    """A shop whose daily sales are exactly BASE + PER_SPENT x the day's marketing spend,
    imported in the SFS daily shape, with one date flagged as a holiday."""
    shop = await create_shop(client, database, timezone="UTC", cutoff=4)
    last = today() - timedelta(days=1)
    holiday = last - timedelta(days=10)
    rows = []
    for offset in range(DAYS):
        day = last - timedelta(days=DAYS - 1 - offset)
        rows.append(
            [day.isoformat(), BASE + PER_SPENT * spend_on(day), spend_on(day),
             "true" if day == holiday else "false"]
        )  # fmt: skip
    body = csv_bytes(["date", "daily_sales", "marketing_spend", "is_holiday"], rows)
    response = await upload(client, shop.owner, body)
    assert response.status_code == 201, response.text
    return Bistro(shop=shop, client=client), holiday


async def latest_run(bistro: Bistro, forecast_id: str) -> dict[str, object]:
    response = await bistro.client.get(
        f"{FORECASTS}/{forecast_id}/runs", headers=bistro.owner.headers
    )
    assert response.status_code == 200, response.text
    return dict(response.json()["items"][0])


async def test_marketing_spend_and_holidays_are_learned(
    promoted: tuple[Bistro, date],
) -> None:
    bistro, holiday = promoted
    forecast = await bistro.create(method="linear_trend", scope="business", horizon=7)
    response = await bistro.predict(forecast["id"])
    assert response.status_code == 200, response.text
    run = await latest_run(bistro, forecast["id"])
    parameters = run["parameters"]
    assert isinstance(parameters, dict)
    assert parameters["config"]["exog_columns"] == [SPEND_COLUMN]
    assert holiday.isoformat() in parameters["calendar"]["extra_holidays"]
    # No plan for the coming days: they take the mean spend of the last 28 days, and the
    # regression has learned what a unit of spend brings.
    last = today() - timedelta(days=1)
    recent = [spend_on(last - timedelta(days=k)) for k in range(28)]
    expected = BASE + PER_SPENT * sum(recent) / len(recent)
    values = [p["value"] for p in response.json()["series"][0]["points"]]
    assert len(values) == 7
    for value in values:
        assert value == pytest.approx(expected, rel=0.03)


async def test_a_planned_spend_makes_the_stored_run_stale(
    promoted: tuple[Bistro, date], client: httpx.AsyncClient
) -> None:
    """Marketing spend planned for the coming days (a daily file with future dates) changes
    what the forecast reads: the stored run, made without the plan, is no longer served."""
    bistro, _ = promoted
    forecast = await bistro.create(method="linear_trend", scope="business", horizon=7)
    first = (await bistro.predict(forecast["id"])).json()
    assert (await bistro.predict(forecast["id"])).json()["cached"] is True
    tomorrow = today() + timedelta(days=1)
    body = csv_bytes(["date", "daily_sales", "marketing_spend"], [[tomorrow.isoformat(), 0, 300]])
    response = await upload(client, bistro.owner, body)
    assert response.status_code == 201, response.text
    again = (await bistro.predict(forecast["id"])).json()
    assert again["cached"] is False and again["model_version"] == first["model_version"] + 1
    by_day = {p["timestamp"]: p["value"] for p in again["series"][0]["points"]}
    assert by_day[tomorrow.isoformat()] == pytest.approx(BASE + PER_SPENT * 300, rel=0.05)


async def test_signals_can_be_switched_off(promoted: tuple[Bistro, date]) -> None:
    bistro, holiday = promoted
    forecast = await bistro.create(
        method="linear_trend", scope="business", horizon=7,
        training_config={"use_signals": False},
    )  # fmt: skip
    response = await bistro.predict(forecast["id"])
    assert response.status_code == 200, response.text
    parameters = (await latest_run(bistro, forecast["id"]))["parameters"]
    assert isinstance(parameters, dict)
    assert parameters["config"]["exog_columns"] == []
    assert holiday.isoformat() not in parameters["calendar"]["extra_holidays"]


async def test_signals_feed_gradient_boosting(promoted: tuple[Bistro, date]) -> None:
    bistro, _ = promoted
    forecast = await bistro.create(method="gradient_boosting", scope="business", horizon=14)
    response = await bistro.predict(forecast["id"])
    assert response.status_code == 200, response.text
    points = response.json()["series"][0]["points"]
    assert len(points) == 14 and all(p["value"] >= 0 for p in points)
    importance = await bistro.client.get(
        f"{FORECASTS}/{forecast['id']}/feature-importance", headers=bistro.owner.headers
    )
    assert importance.status_code == 200, importance.text
    assert SPEND_COLUMN in importance.text


# --- the panel's spend column, without the API ------------------------------------------------

LAST = date(2026, 3, 31)
MAIN, HARBOUR = uuid.uuid4(), uuid.uuid4()


def daily_panel(keys: list[str], days: int) -> pd.DataFrame:
    dates = pd.date_range(end=pd.Timestamp(LAST), periods=days)
    return pd.DataFrame(
        [(key, ds, 1.0) for key in keys for ds in dates], columns=["unique_id", "ds", "y"]
    )


def test_spend_per_location_plus_business_wide_and_plans() -> None:
    meta = {
        "loc:main": SeriesMeta("loc:main", MAIN, None, None),
        "loc:harbour": SeriesMeta("loc:harbour", HARBOUR, None, None),
    }
    panel = daily_panel(list(meta), 30)
    signals = []
    for k in range(30):
        day = LAST - timedelta(days=k)
        signals.append((day, MAIN, 10, None))
        signals.append((day, NO_KEY, 1, None))
    planned = LAST + timedelta(days=2)
    signals.append((planned, HARBOUR, 50, None))
    result = _spend_features(panel, meta, signals, True, LAST, horizon_days=5)
    assert result is not None
    with_spend, future = result
    by_key = with_spend.groupby("unique_id")[SPEND_COLUMN].unique()
    assert list(by_key["loc:main"]) == [11.0] and list(by_key["loc:harbour"]) == [1.0]
    ahead = future.set_index(["unique_id", "ds"])[SPEND_COLUMN]
    # Unplanned days: the mean of the last 28 days; a planned day: its plan plus the shared.
    assert ahead[("loc:main", pd.Timestamp(LAST + timedelta(days=1)))] == 11.0
    assert ahead[("loc:harbour", pd.Timestamp(LAST + timedelta(days=1)))] == 1.0
    assert ahead[("loc:harbour", pd.Timestamp(planned))] == 50.0
    assert future["ds"].max() == pd.Timestamp(LAST + timedelta(days=5))


def test_business_wide_series_sum_every_location() -> None:
    meta = {"all": SeriesMeta("all", None, None, None)}
    panel = daily_panel(["all"], 20)
    signals = [
        (LAST - timedelta(days=k), loc, 5, None) for k in range(20) for loc in (MAIN, HARBOUR)
    ]
    result = _spend_features(panel, meta, signals, False, LAST, horizon_days=3)
    assert result is not None
    assert set(result[0][SPEND_COLUMN]) == {10.0}
    # The mean of the last 28 days counts the 8 days without a record as 0.
    assert set(result[1][SPEND_COLUMN]) == {10.0 * 20 / 28}


def test_too_little_spend_is_no_feature() -> None:
    meta = {"all": SeriesMeta("all", None, None, None)}
    panel = daily_panel(["all"], 30)
    few = [(LAST - timedelta(days=k), MAIN, 5, None) for k in range(MIN_SPEND_DAYS - 1)]
    assert _spend_features(panel, meta, few, False, LAST, horizon_days=3) is None
    # Planned days do not count toward the history's.
    plans = [(LAST + timedelta(days=k), MAIN, 5, None) for k in range(1, 30)]
    assert _spend_features(panel, meta, few + plans, False, LAST, horizon_days=3) is None
    # Holiday flags alone carry no spend.
    flags = [(LAST - timedelta(days=k), MAIN, None, True) for k in range(30)]
    assert _spend_features(panel, meta, flags, False, LAST, horizon_days=3) is None


@pytest.mark.parametrize("method", ["seasonal_naive", "exp_smoothing", "intermittent", "best"])
async def test_every_method_trains_with_the_spend_column(
    promoted: tuple[Bistro, date], method: str
) -> None:
    bistro, _ = promoted
    forecast = await bistro.create(method=method, scope="business", horizon=7)
    response = await bistro.predict(forecast["id"])
    assert response.status_code == 200, response.text
    points = response.json()["series"][0]["points"]
    assert len(points) == 7
    # Daily sales never fell below BASE; a forecast far below it learned nothing.
    assert all(p["value"] >= BASE * 0.8 for p in points)

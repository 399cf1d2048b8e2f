"""Training jobs: retrain (202 + job result = the stored run), the ad-hoc generate and quick
forecast requests, retries, failures stored as runs, and the nightly schedule."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import httpx

from tableside.config import Settings
from tableside.db.database import Database
from tableside.forecasting.tasks import schedule_retrains
from tests.factories import assert_error
from tests.factories.ledger import create_shop
from tests.forecasting.conftest import FORECASTS, Bistro, run_job, today


async def test_retrain_returns_a_job_whose_result_is_the_run(
    bistro: Bistro, client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    forecast = await bistro.create(scope="location", horizon=7)
    path = f"{FORECASTS}/{forecast['id']}/retrain"
    response = await client.post(path, headers=bistro.owner.headers)
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["status"] == "queued"
    assert accepted["status_url"] == f"/api/v1/jobs/{accepted['job_id']}"
    assert response.headers["location"] == accepted["status_url"]
    # Asked again while it waits: the same job.
    again = await client.post(path, headers=bistro.owner.headers)
    assert again.status_code == 202 and again.json()["job_id"] == accepted["job_id"]

    job = await run_job(client, database, settings, bistro.owner, accepted["job_id"])
    assert job["status"] == "succeeded" and job["progress"] == 100
    result = job["result"]
    assert result["forecast_id"] == forecast["id"] and result["model_version"] == 1
    assert job["message"] == (
        f"Trained model version 1 on sales through {today() - timedelta(days=1)}"
    )
    assert result["method"] == "seasonal_naive" and result["series_count"] == 2
    assert result["trained_through"] == (today() - timedelta(days=1)).isoformat()
    assert result["predict_url"] == f"{FORECASTS}/{forecast['id']}/predict"
    assert result["metrics"]["mase"] is not None
    # Backtest coverage of the method's own intervals, out of sample.
    assert 0 <= result["metrics"]["coverage_80"] <= result["metrics"]["coverage_95"] <= 1

    runs = (await client.get(f"{FORECASTS}/{forecast['id']}/runs",
                             headers=bistro.owner.headers)).json()  # fmt: skip
    (run,) = runs["items"]
    assert run["id"] == result["run_id"] and run["trigger"] == "retrain"
    assert run["job_id"] == accepted["job_id"]
    assert run["parameters"]["config"]["horizon"] >= 7
    assert run["parameters"]["calendar"]["country"] is None  # UTC is no country
    detail = await client.get(
        f"{FORECASTS}/{forecast['id']}/runs/{run['id']}", headers=bistro.owner.headers
    )
    assert set(detail.json()["series_metrics"]) == {
        f"loc:{bistro.location('Main')}",
        f"loc:{bistro.location('Harbour')}",
    }
    # The run is fresh: predict serves it without training.
    served = (await bistro.predict(forecast["id"])).json()
    assert served["cached"] is True and served["run_id"] == run["id"]
    # Once the job is done, a new retrain is a new job and a new version.
    second = await client.post(path, headers=bistro.owner.headers)
    assert second.json()["job_id"] != accepted["job_id"]
    job = await run_job(client, database, settings, bistro.owner, second.json()["job_id"])
    assert job["result"]["model_version"] == 2


async def test_failed_training_is_a_failed_job_and_run(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    empty = Bistro(shop=await create_shop(client, database, timezone="UTC"), client=client)
    forecast = await empty.create()
    response = await client.post(
        f"{FORECASTS}/{forecast['id']}/retrain", headers=empty.owner.headers
    )
    job = await run_job(client, database, settings, empty.owner, response.json()["job_id"])
    assert job["status"] == "failed"
    assert "No sales" in job["error"]["message"]
    # The API code, as a request that failed the same way would give it.
    assert job["error"]["code"] == "INSUFFICIENT_HISTORY"
    runs = (await client.get(f"{FORECASTS}/{forecast['id']}/runs",
                             headers=empty.owner.headers)).json()  # fmt: skip
    (run,) = runs["items"]
    assert run["status"] == "failed" and run["model_version"] == 1
    assert "No sales" in run["error"]["message"]


async def test_generate_and_quick_forecast(
    bistro: Bistro, client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    headers = bistro.owner.headers
    body = {
        "item_skus": ["PIZ"],
        "method": "sma",
        "horizon_days": 10,
        "confidence_level": 0.9,
        "parameters": {"window": 7},
    }
    response = await client.post(
        f"{FORECASTS}/generate", headers=headers | {"Idempotency-Key": "gen-1"}, json=body
    )
    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]
    # A retry with the same key replays the first answer: no second job.
    retry = await client.post(
        f"{FORECASTS}/generate", headers=headers | {"Idempotency-Key": "gen-1"}, json=body
    )
    assert retry.status_code == 202 and retry.json()["job_id"] == job_id
    job = await run_job(client, database, settings, bistro.owner, job_id)
    assert job["status"] == "succeeded", job
    result = job["result"]
    assert result["method"] == "moving_average" and result["levels"] == [90]
    assert result["series_count"] == 2  # pizza at each location
    forecast = (await client.get(f"{FORECASTS}/{result['forecast_id']}", headers=headers)).json()
    assert forecast["origin"] == "generate" and forecast["is_active"] is False
    assert forecast["scope"] == "item" and forecast["item_ids"] == [bistro.item("PIZ")]
    assert forecast["training_config"]["params"] == {"window": 7}
    # The same request again: a new version of the same ad-hoc forecast.
    second = await client.post(f"{FORECASTS}/generate", headers=headers, json=body)
    job = await run_job(client, database, settings, bistro.owner, second.json()["job_id"])
    assert job["result"]["forecast_id"] == forecast["id"]
    assert job["result"]["model_version"] == 2

    quick = await client.post(
        "/api/v1/forecast",
        headers=headers,
        json={"horizon": 5, "model": "seasonal_naive", "include_ci": True},
    )
    assert quick.status_code == 202, quick.text
    job = await run_job(client, database, settings, bistro.owner, quick.json()["job_id"])
    assert job["status"] == "succeeded", job
    assert job["result"]["levels"] == [95] and job["result"]["series_count"] == 1
    prediction = (await bistro.predict(job["result"]["forecast_id"])).json()
    assert prediction["cached"] is True
    assert len(prediction["series"][0]["points"]) == 5

    no_ci = await client.post(
        "/api/v1/forecast", headers=headers, json={"horizon": 3, "model": "seasonal_naive",
                                                   "include_ci": False},
    )  # fmt: skip
    job = await run_job(client, database, settings, bistro.owner, no_ci.json()["job_id"])
    assert job["result"]["levels"] == []
    point = (await bistro.predict(job["result"]["forecast_id"])).json()["series"][0]["points"][0]
    assert point["intervals"] == {} and point["lower_bound"] is None and point["value"] > 0

    unknown = await client.post(f"{FORECASTS}/generate", headers=headers,
                                json=body | {"method": "magic"})  # fmt: skip
    assert_error(unknown, 422, "UNKNOWN_METHOD")
    other_items = await client.post(f"{FORECASTS}/generate", headers=headers,
                                    json=body | {"item_skus": ["NOPE"]})  # fmt: skip
    assert_error(other_items, 422, "VALIDATION_ERROR")


async def test_nightly_schedule_queues_active_forecasts(
    bistro: Bistro, client: httpx.AsyncClient, database: Database
) -> None:
    active = await bistro.create(name="Nightly")
    inactive = await bistro.create(name="Paused", is_active=False)
    # The shop keeps UTC with a 04:00 cutoff: at 04:05 its day has just ended.
    at_cutoff = datetime.combine(today(), time(4, 5), tzinfo=UTC)
    assert await schedule_retrains(database, at_cutoff - timedelta(hours=1)) >= 0
    jobs = await client.get(
        "/api/v1/jobs", headers=bistro.owner.headers, params={"kind": "forecasting.retrain"}
    )
    assert jobs.json()["total"] == 0
    assert await schedule_retrains(database, at_cutoff) >= 1
    # Twice in the same hour (a second worker): still one job per forecast.
    await schedule_retrains(database, at_cutoff)
    jobs = await client.get(
        "/api/v1/jobs", headers=bistro.owner.headers, params={"kind": "forecasting.retrain"}
    )
    assert jobs.json()["total"] == 1
    (job,) = jobs.json()["items"]
    assert job["status"] == "queued"
    runs = await client.get(f"{FORECASTS}/{inactive['id']}/runs", headers=bistro.owner.headers)
    assert runs.json()["total"] == 0
    assert active["is_active"] is True


async def test_the_method_names_of_the_source_apis_are_understood(
    bistro: Bistro, client: httpx.AsyncClient
) -> None:
    """Sentia's generate lists `linear_regression` among its methods, and the SFS forecast
    (like Flux) names its gradient-boosted trees `xgboost`: clients written for them are not
    refused with UNKNOWN_METHOD."""
    headers = bistro.owner.headers
    generate = await client.post(
        f"{FORECASTS}/generate",
        headers=headers,
        json={"item_skus": ["PIZ"], "method": "linear_regression", "horizon_days": 7},
    )
    assert generate.status_code == 202, generate.text
    quick = await client.post(
        "/api/v1/forecast", headers=headers, json={"horizon": 7, "model": "xgboost"}
    )
    assert quick.status_code == 202, quick.text
    listed = await client.get(FORECASTS, headers=headers, params={"is_active": "false"})
    methods = {f["origin"]: f["method"] for f in listed.json()["items"]}
    assert methods == {"generate": "linear_trend", "quick": "gradient_boosting"}

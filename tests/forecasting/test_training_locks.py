"""A training does not hold the forecast's row while it fits: a DELETE or PATCH of the forecast
meanwhile answers at once, and the run is then stored honestly (nothing for a deleted
forecast; for a changed one, under the definition it was trained on)."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any, TypeVar

import httpx
import pytest

from tableside.config import Settings
from tableside.db.database import Database
from tableside.forecasting import runs
from tableside.jobs.tasks import execute_job
from tableside.models import JobStatus
from tests.factories.ledger import bulk, fetch
from tests.factories.locks import advisory_locks, until_waiting_or
from tests.forecasting.conftest import FORECASTS, Bistro, run_job, today

T = TypeVar("T")
# How long a request may take while the engine is held: far more than a DELETE or PATCH
# needs, far less than the hold.
PROMPT = 10.0


class HeldEngine:
    """The engine's fit, held in its worker thread until released: a training that lasts as
    long as the test needs."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.calls = 0

    def __call__(self, *args: Any) -> Any:
        self.calls += 1
        self.started.set()
        # Bounded, so a failing test never hangs the run.
        self.release.wait(60)
        return ORIGINAL_FIT(*args)

    async def wait_started(self) -> None:
        assert await asyncio.to_thread(self.started.wait, 60), "the training never started"


ORIGINAL_FIT = runs._fit_predict


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> HeldEngine:
    engine = HeldEngine()
    monkeypatch.setattr(runs, "_fit_predict", engine)
    return engine


@asynccontextmanager
async def training(
    held: HeldEngine, database: Database, settings: Settings, job_id: str
) -> AsyncIterator[asyncio.Task[JobStatus | None]]:
    """Run the job in the background; inside the block its engine fit is under way. On exit
    the fit is released and the job awaited."""
    task = asyncio.create_task(execute_job(database, settings, uuid.UUID(job_id)))
    try:
        await held.wait_started()
        yield task
    finally:
        held.release.set()
        await task


async def promptly(request: Awaitable[T]) -> T:
    """The request's answer, which must come while the training is still held."""
    task = asyncio.ensure_future(request)
    done, _ = await asyncio.wait({task}, timeout=PROMPT)
    assert task in done, "the request waited for the training"
    return task.result()


async def retrain(bistro: Bistro, forecast_id: str) -> str:
    response = await bistro.client.post(
        f"{FORECASTS}/{forecast_id}/retrain", headers=bistro.owner.headers
    )
    assert response.status_code == 202, response.text
    return str(response.json()["job_id"])


async def stored_runs(database: Database, bistro: Bistro, forecast_id: str) -> list[dict[str, Any]]:
    return await fetch(
        database,
        bistro.shop.business_id,
        "SELECT model_version, method FROM forecast_runs WHERE forecast_id = :id",
        id=uuid.UUID(forecast_id),
    )


async def test_a_delete_during_a_retrain_does_not_wait_and_leaves_no_run(
    bistro: Bistro,
    client: httpx.AsyncClient,
    database: Database,
    settings: Settings,
    held: HeldEngine,
) -> None:
    forecast = await bistro.create(scope="location", horizon=7)
    job_id = await retrain(bistro, forecast["id"])
    async with training(held, database, settings, job_id):
        deleted = await promptly(
            client.delete(f"{FORECASTS}/{forecast['id']}", headers=bistro.owner.headers)
        )
        assert deleted.status_code == 204, deleted.text
    job = (await client.get(f"/api/v1/jobs/{job_id}", headers=bistro.owner.headers)).json()
    assert job["status"] == "failed", job
    assert job["error"]["code"] == "NOT_FOUND"
    assert "deleted while it trained" in job["error"]["message"]
    assert job["result"] is None
    assert await stored_runs(database, bistro, forecast["id"]) == []


async def test_a_patch_during_a_retrain_does_not_wait_and_the_run_keeps_its_definition(
    bistro: Bistro,
    client: httpx.AsyncClient,
    database: Database,
    settings: Settings,
    held: HeldEngine,
) -> None:
    forecast = await bistro.create(scope="location", horizon=7, method="seasonal_naive")
    path = f"{FORECASTS}/{forecast['id']}"
    job_id = await retrain(bistro, forecast["id"])
    async with training(held, database, settings, job_id):
        patched = await promptly(
            client.patch(
                path,
                headers=bistro.owner.headers,
                json={"target": "covers", "method": "moving_average", "horizon": 5},
            )
        )
        assert patched.status_code == 200, patched.text
    job = (await client.get(f"/api/v1/jobs/{job_id}", headers=bistro.owner.headers)).json()
    assert job["status"] == "succeeded", job
    result = job["result"]
    # The run says what it was trained as: the definition read when the training began.
    assert result["method"] == "seasonal_naive" and result["horizon"] == 7
    assert result["definition_current"] is False
    run = (await client.get(f"{path}/runs/{result['run_id']}", headers=bistro.owner.headers)).json()
    assert run["method"] == "seasonal_naive" and run["horizon"] == 7
    assert run["parameters"]["config"]["horizon"] >= 7
    # Revenue, not the covers the forecast now measures: not served, not judged as covers.
    served = (await bistro.predict(forecast["id"])).json()
    assert served["cached"] is False and served["model_version"] == 2
    assert all(len(s["points"]) == 5 for s in served["series"])
    versions = await stored_runs(database, bistro, forecast["id"])
    assert sorted((r["model_version"], r["method"]) for r in versions) == [
        (1, "seasonal_naive"),
        (2, "moving_average"),
    ]
    # Its series digest is the revenue one: accuracy and the revenue projection tell it
    # apart from the covers runs of the definition as it is now.
    second = (
        await client.get(f"{path}/runs/{served['run_id']}", headers=bistro.owner.headers)
    ).json()
    assert run["parameters"]["series_digest"] != second["parameters"]["series_digest"]
    assert run["parameters"]["definition_digest"] != second["parameters"]["definition_digest"]


async def test_a_delete_during_a_predict_training_does_not_wait(
    bistro: Bistro, client: httpx.AsyncClient, database: Database, held: HeldEngine
) -> None:
    """A predict that trains in the request does not hold the row either: the DELETE answers
    at once and the predict, finding the forecast gone when it stores, is a 404."""
    forecast = await bistro.create(scope="location", horizon=7)
    predicting = asyncio.create_task(bistro.predict(forecast["id"]))
    try:
        await held.wait_started()
        deleted = await promptly(
            client.delete(f"{FORECASTS}/{forecast['id']}", headers=bistro.owner.headers)
        )
        assert deleted.status_code == 204, deleted.text
    finally:
        held.release.set()
        predicted = await predicting
    assert predicted.status_code == 404, predicted.text
    assert "deleted while it trained" in predicted.json()["error"]["message"]
    assert await stored_runs(database, bistro, forecast["id"]) == []


async def test_concurrent_predicts_still_train_once(bistro: Bistro, held: HeldEngine) -> None:
    """Two predicts of a stale forecast: the second waits for the first one's run and serves
    it, instead of training another."""
    forecast = await bistro.create(scope="location", horizon=7)
    first = asyncio.create_task(bistro.predict(forecast["id"]))
    await held.wait_started()
    second = asyncio.create_task(bistro.predict(forecast["id"]))
    await asyncio.sleep(0.5)
    held.release.set()
    one, two = (await first).json(), (await second).json()
    assert one["model_version"] == 1 and one["cached"] is False
    assert two["model_version"] == 1 and two["cached"] is True


# --- a retrain job and a predict share the training lock --------------------------------------


async def job_of(bistro: Bistro, job_id: str) -> dict[str, Any]:
    response = await bistro.client.get(f"/api/v1/jobs/{job_id}", headers=bistro.owner.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_a_retrain_waits_for_a_predicts_training_and_reuses_its_run(
    bistro: Bistro, database: Database, database_url: str, settings: Settings, held: HeldEngine
) -> None:
    """The retrain was asked for, then a predict found the forecast stale and started
    training; the job, running meanwhile, waits for that training and keeps its run."""
    forecast = await bistro.create(scope="location", horizon=7)
    job_id = await retrain(bistro, forecast["id"])
    predicting = asyncio.ensure_future(bistro.predict(forecast["id"]))
    try:
        await held.wait_started()
        training_job = asyncio.ensure_future(execute_job(database, settings, uuid.UUID(job_id)))
        waited = await until_waiting_or(database_url, lambda: held.calls > 1)
        assert waited, "the retrain trained alongside the predict instead of waiting for it"
        waiting = await job_of(bistro, job_id)
        assert waiting["status"] == "running"
        assert waiting["message"] == "Waiting for the training of this forecast under way"
    finally:
        held.release.set()
    predicted, status = await asyncio.gather(predicting, training_job)
    assert predicted.status_code == 200, predicted.text
    served = predicted.json()
    assert served["cached"] is False and served["model_version"] == 1
    assert status == JobStatus.succeeded
    job = await job_of(bistro, job_id)
    result = job["result"]
    assert result["trained"] is False and result["reused_run_id"] == served["run_id"]
    assert result["run_id"] == served["run_id"] and result["model_version"] == 1
    assert result["definition_current"] is True
    assert job["message"].startswith("Kept model version 1")
    assert held.calls == 1
    assert await stored_runs(database, bistro, forecast["id"]) == [
        {"model_version": 1, "method": "seasonal_naive"}
    ]


async def test_a_predict_waits_for_a_retrain_and_serves_its_run(
    bistro: Bistro, database: Database, database_url: str, settings: Settings, held: HeldEngine
) -> None:
    forecast = await bistro.create(scope="location", horizon=7)
    job_id = await retrain(bistro, forecast["id"])
    training_job = asyncio.ensure_future(execute_job(database, settings, uuid.UUID(job_id)))
    try:
        await held.wait_started()
        predicting = asyncio.ensure_future(bistro.predict(forecast["id"]))
        waited = await until_waiting_or(database_url, lambda: held.calls > 1)
    finally:
        held.release.set()
    status, predicted = await asyncio.gather(training_job, predicting)
    assert waited, "the predict trained alongside the retrain instead of waiting for it"
    assert status == JobStatus.succeeded
    result = (await job_of(bistro, job_id))["result"]
    assert result["trained"] is True and result["reused_run_id"] is None
    assert result["model_version"] == 1
    assert predicted.status_code == 200, predicted.text
    served = predicted.json()
    assert served["cached"] is True and served["run_id"] == result["run_id"]
    assert held.calls == 1
    assert len(await stored_runs(database, bistro, forecast["id"])) == 1


async def test_a_retrain_trains_when_data_came_after_the_run_it_waited_for(
    bistro: Bistro, client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    """A run stored while the retrain waited is kept only if it saw the same data and
    definition: a sale recorded since, or a PATCH, and the retrain trains."""
    forecast = await bistro.create(scope="location", horizon=7)
    path = f"{FORECASTS}/{forecast['id']}"
    job_id = await retrain(bistro, forecast["id"])
    assert (await bistro.predict(forecast["id"])).json()["model_version"] == 1
    yesterday = today() - timedelta(days=1)
    late_sale = {
        "sold_at": f"{yesterday.isoformat()}T21:00:00Z",
        "location_id": bistro.location("Main"),
        "sku": "PIZ",
        "quantity": 2,
        "amount": "24.00",
    }
    assert (await bulk(client, bistro.owner, [late_sale])).status_code == 201
    job = await run_job(client, database, settings, bistro.owner, job_id)
    assert job["status"] == "succeeded", job
    assert job["result"]["trained"] is True and job["result"]["model_version"] == 2

    # The definition changed since the run (v3, by a predict): a retrain asked before it
    # trains again.
    job_id = await retrain(bistro, forecast["id"])
    patched = await client.patch(path, headers=bistro.owner.headers, json={"horizon": 5})
    assert patched.status_code == 200, patched.text
    assert (await bistro.predict(forecast["id"])).json()["model_version"] == 3
    assert (await client.patch(path, headers=bistro.owner.headers, json={"horizon": 6})).is_success
    job = await run_job(client, database, settings, bistro.owner, job_id)
    assert job["result"]["trained"] is True and job["result"]["model_version"] == 4
    assert job["result"]["horizon"] == 6


async def test_a_retrain_asked_after_the_run_still_trains(
    bistro: Bistro, client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    """Only a run stored after the retrain was asked for stands in for it: asking for a
    retrain of a fresh run is a new version, as it always was."""
    forecast = await bistro.create(scope="location", horizon=7)
    assert (await bistro.predict(forecast["id"])).json()["model_version"] == 1
    job = await run_job(
        client, database, settings, bistro.owner, await retrain(bistro, forecast["id"])
    )
    assert job["result"]["trained"] is True and job["result"]["model_version"] == 2


async def test_a_retrain_stopped_while_it_waits_leaves_no_lock_behind(
    bistro: Bistro,
    client: httpx.AsyncClient,
    database: Database,
    database_url: str,
    settings: Settings,
    held: HeldEngine,
) -> None:
    """A retrain interrupted while it waits for the lock (a worker shutting down, an abort)
    gives its connection up rather than the pool a connection that may hold the lock: the
    lock is free afterwards, and the job, queued again, keeps the predict's run."""
    forecast = await bistro.create(scope="location", horizon=7)
    job_id = await retrain(bistro, forecast["id"])
    predicting = asyncio.ensure_future(bistro.predict(forecast["id"]))
    try:
        await held.wait_started()
        training_job = asyncio.ensure_future(execute_job(database, settings, uuid.UUID(job_id)))
        assert await until_waiting_or(database_url, lambda: held.calls > 1)
        training_job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await training_job
    finally:
        held.release.set()
    assert (await predicting).json()["model_version"] == 1
    assert await advisory_locks(database_url) == 0
    assert (await job_of(bistro, job_id))["status"] == "queued"
    job = await run_job(client, database, settings, bistro.owner, job_id)
    assert job["result"]["trained"] is False and job["result"]["model_version"] == 1
    assert await advisory_locks(database_url) == 0


async def test_a_retrain_cancelled_while_it_fits_stores_no_run(
    bistro: Bistro,
    client: httpx.AsyncClient,
    database: Database,
    settings: Settings,
    held: HeldEngine,
) -> None:
    """A cancel that comes while the model fits (the fit runs in a thread and does not see
    it) wins: the run is stored with the job's success or not at all, never under a
    cancelled job."""
    forecast = await bistro.create(scope="location", horizon=7)
    job_id = await retrain(bistro, forecast["id"])
    async with training(held, database, settings, job_id) as task:
        cancelled = await promptly(
            client.post(f"/api/v1/jobs/{job_id}/cancel", headers=bistro.owner.headers)
        )
        assert cancelled.status_code == 200, cancelled.text
    assert task.result() == JobStatus.cancelled
    job = await job_of(bistro, job_id)
    assert job["status"] == "cancelled" and job["result"] is None, job
    assert await stored_runs(database, bistro, forecast["id"]) == []


async def test_a_retrain_records_its_outcome_with_its_run(
    bistro: Bistro, client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    forecast = await bistro.create(scope="location", horizon=7)
    job = await run_job(
        client, database, settings, bistro.owner, await retrain(bistro, forecast["id"])
    )
    assert job["status"] == "succeeded" and job["progress"] == 100
    assert job["message"].startswith("Trained model version 1 on sales through"), job
    assert job["result"]["run_id"] == (await stored_runs_ids(database, bistro, forecast["id"]))[0]


async def stored_runs_ids(database: Database, bistro: Bistro, forecast_id: str) -> list[str]:
    rows = await fetch(
        database,
        bistro.shop.business_id,
        "SELECT id FROM forecast_runs WHERE forecast_id = :id",
        id=uuid.UUID(forecast_id),
    )
    return [str(row["id"]) for row in rows]

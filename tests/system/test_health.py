"""`GET /health`: shape, queue counts, and the 503 / degraded answers when components fail."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from tableside import __version__
from tableside.app import create_app
from tableside.db.database import Database
from tableside.system.schemas import ComponentHealth, HealthComponents, JobQueueHealth
from tableside.system.service import check_job_queue, in_process_worker_state, overall_status
from tests.conftest import make_settings

UNREACHABLE_DATABASE = "postgresql://postgres@127.0.0.1:1/x"
COMPONENT_KEYS = {"status", "latency_ms", "error"}
QUEUE_KEYS = COMPONENT_KEYS | {"todo", "doing", "workers", "in_process_worker"}


def assert_health_shape(body: dict) -> None:
    assert set(body) == {"status", "version", "uptime_seconds", "checked_at", "components"}
    assert body["version"] == __version__
    assert body["uptime_seconds"] >= 0
    assert body["checked_at"].endswith("Z")
    components = body["components"]
    assert set(components) == {"database", "redis", "job_queue"}
    assert set(components["database"]) == COMPONENT_KEYS
    assert set(components["redis"]) == COMPONENT_KEYS
    assert set(components["job_queue"]) == QUEUE_KEYS


@pytest.fixture
async def dead_database_client() -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app whose database is a closed port."""
    settings = make_settings(UNREACHABLE_DATABASE)
    database = Database(UNREACHABLE_DATABASE, settings)
    app = create_app(settings, database=database)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
    await database.dispose()


class BrokenStorage:
    """A rate limiter whose Redis does not answer."""

    async def check_storage(self) -> bool:
        raise ConnectionError("redis://:secret@10.0.0.9:6379 refused")


async def test_health_is_ok_with_every_component(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert_health_shape(body)
    assert body["status"] == "ok"
    database = body["components"]["database"]
    assert database["status"] == "ok"
    assert database["latency_ms"] >= 0
    assert database["error"] is None
    assert body["components"]["redis"] == {
        "status": "not_configured",
        "latency_ms": None,
        "error": None,
    }
    queue = body["components"]["job_queue"]
    assert queue["status"] == "ok"
    assert queue["todo"] >= 0
    assert queue["doing"] >= 0
    assert queue["workers"] >= 0
    assert queue["in_process_worker"] == "disabled"  # the test settings run no worker


async def test_health_needs_no_credentials_and_exposes_no_connection_string(
    client: httpx.AsyncClient, database_url: str
) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert database_url not in response.text
    assert "postgresql://" not in response.text


async def test_health_counts_open_jobs_and_live_workers(
    client: httpx.AsyncClient, database: Database
) -> None:
    before = (await client.get("/health")).json()["components"]["job_queue"]
    async with database.engine.begin() as connection:
        job_id = (
            await connection.execute(
                text(
                    "INSERT INTO procrastinate_jobs (queue_name, task_name, status)"
                    " VALUES ('health-test', 'health.test', 'todo') RETURNING id"
                )
            )
        ).scalar_one()
        worker_id = (
            await connection.execute(
                text("INSERT INTO procrastinate_workers DEFAULT VALUES RETURNING id")
            )
        ).scalar_one()
        stale_worker_id = (
            await connection.execute(
                text(
                    "INSERT INTO procrastinate_workers (last_heartbeat)"
                    " VALUES (now() - interval '1 hour') RETURNING id"
                )
            )
        ).scalar_one()
    try:
        after = (await client.get("/health")).json()["components"]["job_queue"]
    finally:
        async with database.engine.begin() as connection:
            await connection.execute(
                text("DELETE FROM procrastinate_jobs WHERE id = :id"), {"id": job_id}
            )
            await connection.execute(
                text("DELETE FROM procrastinate_workers WHERE id IN (:a, :b)"),
                {"a": worker_id, "b": stale_worker_id},
            )
    assert after["todo"] == before["todo"] + 1
    assert after["doing"] == before["doing"]
    assert after["workers"] == before["workers"] + 1  # the stale one is not counted


async def test_health_is_503_down_when_the_database_is_unreachable(
    dead_database_client: httpx.AsyncClient,
) -> None:
    response = await dead_database_client.get("/health")
    assert response.status_code == 503
    body = response.json()
    assert_health_shape(body)
    assert body["status"] == "down"
    database = body["components"]["database"]
    assert database["status"] == "down"
    assert database["error"]
    assert body["components"]["job_queue"]["status"] == "down"
    # The failure kind is named; the address it failed on is not.
    assert "127.0.0.1" not in response.text
    assert "postgresql://" not in response.text


async def test_metrics_still_answer_when_the_database_is_down(
    dead_database_client: httpx.AsyncClient,
) -> None:
    response = await dead_database_client.get("/metrics")
    assert response.status_code == 200
    assert "tableside_db_pool_size" in response.text


async def test_health_is_degraded_but_200_when_redis_is_down(
    database: Database, database_url: str
) -> None:
    settings = make_settings(database_url, redis_url="redis://:secret@10.0.0.9:6379/0")
    app: FastAPI = create_app(settings, database=database)
    app.state.rate_limiter = BrokenStorage()
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    redis = body["components"]["redis"]
    assert redis["status"] == "down"
    assert redis["error"] == "ConnectionError"
    assert "secret" not in response.text
    assert "10.0.0.9" not in response.text
    assert body["components"]["database"]["status"] == "ok"


def _components(database: str, redis: str, queue: str) -> HealthComponents:
    return HealthComponents(
        database=ComponentHealth(status=database),  # type: ignore[arg-type]
        redis=ComponentHealth(status=redis),  # type: ignore[arg-type]
        job_queue=JobQueueHealth(status=queue),  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("database", "redis", "queue", "expected"),
    [
        ("ok", "ok", "ok", "ok"),
        ("ok", "not_configured", "ok", "ok"),
        ("ok", "down", "ok", "degraded"),
        ("ok", "not_configured", "down", "degraded"),
        ("down", "ok", "ok", "down"),
        ("down", "down", "down", "down"),
    ],
)
def test_overall_status(database: str, redis: str, queue: str, expected: str) -> None:
    assert overall_status(_components(database, redis, queue)) == expected


async def test_in_process_worker_state() -> None:
    running = SimpleNamespace(task=asyncio.get_running_loop().create_future())
    finished = SimpleNamespace(task=asyncio.get_running_loop().create_future())
    finished.task.set_result(None)
    assert in_process_worker_state(False, None) == "disabled"
    assert in_process_worker_state(True, None) == "stopped"
    assert in_process_worker_state(True, finished) == "stopped"  # type: ignore[arg-type]
    assert in_process_worker_state(True, running) == "running"  # type: ignore[arg-type]
    running.task.cancel()


async def test_stopped_in_process_worker_is_down_only_without_other_workers(
    database: Database,
) -> None:
    alone = await check_job_queue(database, "stopped")
    assert alone.in_process_worker == "stopped"
    if alone.workers:  # another test's worker is alive in this database: jobs still run
        assert alone.status == "ok"
    else:
        assert (alone.status, alone.error) == ("down", "in_process_worker_stopped")
    async with database.engine.begin() as connection:
        worker_id = (
            await connection.execute(
                text("INSERT INTO procrastinate_workers DEFAULT VALUES RETURNING id")
            )
        ).scalar_one()
    try:
        helped = await check_job_queue(database, "stopped")
    finally:
        async with database.engine.begin() as connection:
            await connection.execute(
                text("DELETE FROM procrastinate_workers WHERE id = :id"), {"id": worker_id}
            )
    assert (helped.status, helped.workers) == ("ok", (alone.workers or 0) + 1)

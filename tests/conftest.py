"""Test fixtures: a migrated PostgreSQL database per xdist worker, the app and an HTTP client.

The database is the embedded server by default, or the server in TABLESIDE_TEST_DATABASE_URL.
Every test creates its own business (tenants are isolated), so tests never see each other's
rows and need no cleanup between them.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from tableside.app import create_app
from tableside.config import Settings
from tableside.db.database import Database, asyncpg_connect_kwargs, libpq_url, with_database
from tableside.db.embedded import embedded_postgres_url
from tableside.db.migrate import upgrade

ROOT = Path(__file__).resolve().parents[1]


def _server_url() -> str:
    configured = os.environ.get("TABLESIDE_TEST_DATABASE_URL")
    if configured:
        return libpq_url(configured)
    return embedded_postgres_url(Path(os.environ.get("TABLESIDE_TEST_DATA_DIR", ROOT / "var/test")))


async def _recreate_database(server_url: str, name: str) -> str:
    conn = await asyncpg.connect(**asyncpg_connect_kwargs(with_database(server_url, "postgres")))
    try:
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
        )
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return with_database(server_url, name)


def database_prefix() -> str:
    """Test databases are named `<prefix>_<worker>`; a distinct TABLESIDE_TEST_DB_PREFIX lets
    several test runs share one server without dropping each other's databases."""
    return os.environ.get("TABLESIDE_TEST_DB_PREFIX", "tableside_test")


@pytest.fixture(scope="session")
def worker_id(request: pytest.FixtureRequest) -> str:
    return str(getattr(request.config, "workerinput", {}).get("workerid", "main"))


@pytest.fixture(scope="session")
async def database_url(worker_id: str) -> str:
    """A freshly migrated database for this test worker."""
    url = await _recreate_database(_server_url(), f"{database_prefix()}_{worker_id}")
    await asyncio.to_thread(upgrade, url)
    return url


def make_settings(database_url: str, **overrides: object) -> Settings:
    """Test settings: no in-process worker, generous rate limits, a fixed secret."""
    values: dict[str, object] = {
        "env": "test",
        "database_url": database_url,
        "secret_key": "test-secret-key-with-enough-entropy-0123456789",
        "run_worker_in_process": False,
        "rate_limit_user": "100000/minute",
        "rate_limit_business": "100000/minute",
        "rate_limit_anonymous": "100000/minute",
        "log_json": False,
        "log_level": "WARNING",
        "data_dir": ROOT / "var/test",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture(scope="session")
async def database(database_url: str, settings: Settings) -> AsyncIterator[Database]:
    from tableside.jobs.app import close_open_apps

    db = Database(database_url, settings)
    yield db
    # The API opens a procrastinate connection pool lazily to defer jobs; close it with the loop.
    await close_open_apps()
    await db.dispose()


@pytest.fixture(scope="session")
def app(settings: Settings, database: Database) -> FastAPI:
    return create_app(settings, database=database)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def owner(client: httpx.AsyncClient) -> Account:
    """The owner of a freshly registered business."""
    return await register(client)


@pytest.fixture
def redis_url() -> str:
    """The Redis for tests that need a real one; skipped without it (a failure in CI)."""
    url = os.environ.get("TABLESIDE_TEST_REDIS_URL")
    if not url:
        pytest.skip("TABLESIDE_TEST_REDIS_URL is not set")
    return url


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    """With TABLESIDE_REQUIRE_REDIS_TESTS (set by .ci/run), a skipped Redis test fails."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if (
        report.skipped
        and item.get_closest_marker("redis") is not None
        and os.environ.get("TABLESIDE_REQUIRE_REDIS_TESTS")
    ):
        report.outcome = "failed"
        report.longrepr = f"Redis test skipped where Redis is required: {report.longrepr}"
    return None


from tests.factories import Account, register  # noqa: E402

"""Fixtures for the job tests.

Tests that run a worker get a database of their own (`jobs_database_url`): a worker takes
every procrastinate job it finds, and the shared test database holds jobs other tests queued
and never meant to run.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

import tests.jobs.handlers  # noqa: F401  (registers the test.* job kinds in this process)
from tableside.config import Settings
from tableside.db.database import Database, asyncpg_connect_kwargs, set_tenant, with_database
from tableside.db.migrate import upgrade
from tableside.jobs.app import close_open_apps
from tableside.models import Business
from tests.conftest import database_prefix, make_settings


@pytest.fixture(scope="session")
async def jobs_database_url(database_url: str, worker_id: str) -> str:
    """A migrated database used only by job tests that run workers."""
    name = f"{database_prefix()}_jobs_{worker_id}"
    conn = await asyncpg.connect(**asyncpg_connect_kwargs(with_database(database_url, "postgres")))
    try:
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
        )
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url = with_database(database_url, name)
    await asyncio.to_thread(upgrade, url)
    return url


@pytest.fixture(scope="session")
def jobs_settings(jobs_database_url: str) -> Settings:
    return make_settings(jobs_database_url, worker_concurrency=4)


@pytest.fixture(scope="session")
async def jobs_database(jobs_database_url: str, jobs_settings: Settings) -> AsyncIterator[Database]:
    db = Database(jobs_database_url, jobs_settings)
    yield db
    await close_open_apps()
    await db.dispose()


async def create_business(database: Database, name: str = "Job Test Bistro") -> uuid.UUID:
    """A bare business row (no users), enough to own jobs."""
    business_id = uuid.uuid4()
    async with database.session() as session:
        await set_tenant(session, business_id)
        session.add(Business(id=business_id, name=name, slug=f"jobs-{business_id.hex[:12]}"))
    return business_id


@pytest.fixture
async def business_id(jobs_database: Database) -> uuid.UUID:
    return await create_business(jobs_database)

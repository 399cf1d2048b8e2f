"""The worker inside the API process: start, run a job, abort a cancelled one, stop."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI

from tableside.auth.dependencies import Principal
from tableside.config import Settings
from tableside.db.database import Database, set_tenant
from tableside.jobs import service
from tableside.jobs.repository import JobRepository
from tableside.jobs.runtime import start_in_process_worker, stop_in_process_worker
from tableside.models import Job, JobStatus, Role, User
from tests.jobs.handlers import events_for

EVENT_TIMEOUT_SECONDS = 30


@pytest.fixture
async def api_app(jobs_settings: Settings, jobs_database: Database) -> AsyncIterator[FastAPI]:
    app = FastAPI()
    app.state.settings = jobs_settings
    app.state.database = jobs_database
    await start_in_process_worker(app)
    yield app
    await stop_in_process_worker(app)


async def load(database: Database, business_id: uuid.UUID, job_id: uuid.UUID) -> Job:
    async with database.session() as session:
        await set_tenant(session, business_id)
        job = await JobRepository(session, business_id).get(job_id)
    assert job is not None
    return job


def owner_principal(business_id: uuid.UUID) -> Principal:
    user = User(id=uuid.uuid4(), business_id=business_id, email="owner@example.com")
    return Principal(business_id=business_id, role=Role.owner, kitchen_profile=None, user=user)


async def test_in_process_worker_runs_job_and_stops_cleanly(
    api_app: FastAPI, jobs_database: Database, business_id: uuid.UUID
) -> None:
    token = uuid.uuid4().hex
    started, interrupted = events_for(token)
    async with jobs_database.session() as session:
        await set_tenant(session, business_id)
        echo = await service.enqueue_job(session, business_id=business_id, kind="test.echo")
    async with jobs_database.session() as session:
        await set_tenant(session, business_id)
        blocked = await service.enqueue_job(
            session, business_id=business_id, kind="test.block", params={"token": token}
        )
    # procrastinate fetches in id order, so once the blocking job has started the echo job has
    # been fetched too: it is running or done, and stopping the worker waits for it.
    await asyncio.wait_for(started.wait(), EVENT_TIMEOUT_SECONDS)
    async with jobs_database.session() as session:
        await set_tenant(session, business_id)
        await service.cancel_job(session, owner_principal(business_id), blocked.id)
    await asyncio.wait_for(interrupted.wait(), EVENT_TIMEOUT_SECONDS)

    # Stopping waits for running jobs, so afterwards every outcome is recorded.
    await stop_in_process_worker(api_app)
    assert getattr(api_app.state, "job_worker", None) is None
    await stop_in_process_worker(api_app)  # a second stop is a no-op

    echo_row = await load(jobs_database, business_id, echo.id)
    assert echo_row.status == JobStatus.succeeded
    assert echo_row.result is not None and echo_row.result["echo"] == {}
    assert (await load(jobs_database, business_id, blocked.id)).status == JobStatus.cancelled


async def test_cancel_aborts_running_handler(
    api_app: FastAPI, jobs_database: Database, business_id: uuid.UUID
) -> None:
    token = uuid.uuid4().hex
    started, interrupted = events_for(token)
    async with jobs_database.session() as session:
        await set_tenant(session, business_id)
        job = await service.enqueue_job(
            session, business_id=business_id, kind="test.block", params={"token": token}
        )
    await asyncio.wait_for(started.wait(), EVENT_TIMEOUT_SECONDS)
    assert (await load(jobs_database, business_id, job.id)).status == JobStatus.running

    async with jobs_database.session() as session:
        await set_tenant(session, business_id)
        cancelled = await service.cancel_job(session, owner_principal(business_id), job.id)
        assert cancelled.status == JobStatus.cancelled

    # The abort request reaches the worker, which cancels the handler's asyncio task.
    await asyncio.wait_for(interrupted.wait(), EVENT_TIMEOUT_SECONDS)
    row = await load(jobs_database, business_id, job.id)
    assert row.status == JobStatus.cancelled
    assert row.finished_at is not None
    assert row.result is None


async def test_stop_without_worker_is_noop() -> None:
    await stop_in_process_worker(FastAPI())

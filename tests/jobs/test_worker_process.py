"""Jobs enqueued through the service run in a separate `tableside` worker process.

The worker runs in burst mode: it works through the queue and exits, so the test waits for the
process, not for time to pass.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from tableside.db.database import Database, enter_system_scope, set_tenant
from tableside.email.service import queue_email
from tableside.jobs.app import open_app_for
from tableside.jobs.repository import JobRepository
from tableside.jobs.service import enqueue_job
from tableside.jobs.tasks import sweep_outbox
from tableside.kit.schemas import utcnow
from tableside.models import Job, JobStatus
from tests.jobs.conftest import create_business

ROOT = Path(__file__).resolve().parents[2]
WORKER_TIMEOUT_SECONDS = 120


@dataclass
class Processed:
    business_id: uuid.UUID
    ids: dict[str, uuid.UUID]
    worker_output: str


async def run_burst_worker(database_url: str) -> str:
    """Run `python -m tableside.jobs.runtime --burst` against `database_url`; return its log."""
    env = {
        **os.environ,
        "TABLESIDE_DATABASE_URL": database_url,
        "TABLESIDE_LOG_JSON": "false",
        "TABLESIDE_LOG_LEVEL": "INFO",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tableside.jobs.runtime",
        "--burst",
        "--import",
        "tests.jobs.handlers",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), WORKER_TIMEOUT_SECONDS)
    log = output.decode(errors="replace")
    assert process.returncode == 0, log
    return log


async def load_job(database: Database, business_id: uuid.UUID, job_id: uuid.UUID) -> Job:
    async with database.session() as session:
        await set_tenant(session, business_id)
        job = await JobRepository(session, business_id).get(job_id)
    assert job is not None
    return job


async def procrastinate_rows(database: Database, job_id: uuid.UUID) -> list[Any]:
    async with database.session() as session:
        result = await session.execute(
            text("SELECT id, status FROM procrastinate_jobs WHERE args->>'job_id' = :job_id"),
            {"job_id": str(job_id)},
        )
        return list(result.all())


@pytest.fixture(scope="module")
async def processed(jobs_database: Database, jobs_database_url: str) -> Processed:
    """Queue one job of each outcome, then let one separate worker process run them all."""
    business_id = await create_business(jobs_database)
    ids: dict[str, uuid.UUID] = {}
    async with jobs_database.session() as session:
        await set_tenant(session, business_id)
        for name, kind, params in [
            ("echo", "test.echo", {"n": 1, "ref": uuid.UUID(int=7)}),
            ("fail", "test.fail", {"reason": "The oven is cold"}),
            ("unknown", "test.no_such_kind", {}),
            ("to_cancel", "test.echo", {}),
            ("late", "test.late_result", {}),
        ]:
            ids[name] = (
                await enqueue_job(session, business_id=business_id, kind=kind, params=params)
            ).id
        email = await queue_email(
            session,
            business_id=business_id,
            to="chef@example.com",
            subject="Reset your password",
            body="Use token abc123",
        )
        ids["email"] = email.id

    # Cancelled before any worker saw it: withdrawn from procrastinate, never run.
    async with jobs_database.session() as session:
        await set_tenant(session, business_id)
        job = await JobRepository(session, business_id).get_for_update(ids["to_cancel"])
        assert job is not None
        job.status = JobStatus.cancelled
    app = await open_app_for(jobs_database_url)
    cancel_pid = (await load_job(jobs_database, business_id, ids["to_cancel"])).procrastinate_job_id
    assert cancel_pid is not None
    assert await app.job_manager.cancel_job_by_id_async(cancel_pid, abort=True)

    # Committed but never deferred (as if the process died right after the commit): the
    # outbox sweep sends it once it is a minute old.
    async with jobs_database.session() as session:
        await set_tenant(session, business_id)
        orphan = Job(
            business_id=business_id,
            kind="test.echo",
            params={"orphan": True},
            status=JobStatus.queued,
            progress=0,
            attempts=0,
            created_at=utcnow() - timedelta(minutes=5),
        )
        await JobRepository(session, business_id).add(orphan)
        ids["orphan"] = orphan.id
    assert await sweep_outbox(jobs_database, app, older_than=timedelta(minutes=1)) >= 1

    output = await run_burst_worker(jobs_database_url)
    return Processed(business_id=business_id, ids=ids, worker_output=output)


async def test_job_runs_in_separate_process_and_succeeds(
    processed: Processed, jobs_database: Database
) -> None:
    job = await load_job(jobs_database, processed.business_id, processed.ids["echo"])
    assert job.status == JobStatus.succeeded, processed.worker_output
    assert job.result is not None
    assert job.result["pid"] != os.getpid()
    assert job.result["echo"] == {"n": 1, "ref": str(uuid.UUID(int=7))}
    assert job.result["business_id"] == str(processed.business_id)
    assert job.progress == 100
    assert job.message == "Half way"
    assert job.attempts == 1
    assert job.error is None
    assert job.started_at is not None and job.finished_at is not None
    assert job.started_at <= job.finished_at
    # Successful procrastinate jobs are deleted; our row is the record.
    assert await procrastinate_rows(jobs_database, job.id) == []


async def test_failing_handler_ends_failed_with_message(
    processed: Processed, jobs_database: Database
) -> None:
    job = await load_job(jobs_database, processed.business_id, processed.ids["fail"])
    assert job.status == JobStatus.failed
    assert job.error == {"type": "ValueError", "message": "The oven is cold"}
    assert job.result is None
    assert job.progress == 30
    assert job.finished_at is not None


async def test_unknown_kind_fails(processed: Processed, jobs_database: Database) -> None:
    job = await load_job(jobs_database, processed.business_id, processed.ids["unknown"])
    assert job.status == JobStatus.failed
    assert job.error is not None
    assert job.error["type"] == "UnknownJobKind"
    assert "test.no_such_kind" in job.error["message"]


async def test_cancelled_before_start_never_runs(
    processed: Processed, jobs_database: Database
) -> None:
    job = await load_job(jobs_database, processed.business_id, processed.ids["to_cancel"])
    assert job.status == JobStatus.cancelled
    assert job.started_at is None
    assert job.attempts == 0
    assert [row.status for row in await procrastinate_rows(jobs_database, job.id)] == ["cancelled"]


async def test_result_after_cancel_is_discarded(
    processed: Processed, jobs_database: Database
) -> None:
    job = await load_job(jobs_database, processed.business_id, processed.ids["late"])
    assert job.status == JobStatus.cancelled
    assert job.result is None


async def test_email_job_delivers_and_forgets_its_params(
    processed: Processed, jobs_database: Database
) -> None:
    job = await load_job(jobs_database, processed.business_id, processed.ids["email"])
    assert job.status == JobStatus.succeeded
    assert job.result == {"to": "chef@example.com", "subject": "Reset your password"}
    # The body held a token: gone from the row once delivered.
    assert job.params == {}
    assert "Reset your password" in processed.worker_output


async def test_outbox_sweep_delivers_orphaned_job(
    processed: Processed, jobs_database: Database
) -> None:
    job = await load_job(jobs_database, processed.business_id, processed.ids["orphan"])
    assert job.procrastinate_job_id is not None
    assert job.status == JobStatus.succeeded


async def test_rollback_enqueues_nothing(jobs_database: Database, business_id: uuid.UUID) -> None:
    class Boom(Exception):
        pass

    job_id: uuid.UUID | None = None
    with pytest.raises(Boom):
        async with jobs_database.session() as session:
            await set_tenant(session, business_id)
            job = await enqueue_job(session, business_id=business_id, kind="test.echo")
            job_id = job.id
            raise Boom()
    assert job_id is not None
    async with jobs_database.session() as session:
        await enter_system_scope(session)
        assert (await session.execute(select(Job).where(Job.id == job_id))).first() is None
    assert await procrastinate_rows(jobs_database, job_id) == []

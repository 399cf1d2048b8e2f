"""The job service and runner without a worker: enqueue, run inline, housekeeping."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from tableside.db.database import Database, set_tenant
from tableside.errors import InvalidState
from tableside.jobs.app import RUN_JOB_TASK, open_app_for
from tableside.jobs.registry import (
    JobContext,
    discover_handlers,
    get_handler,
    job_handler,
    registered_kinds,
)
from tableside.jobs.repository import JobRepository
from tableside.jobs.service import enqueue_job
from tableside.jobs.tasks import (
    MAX_ATTEMPTS,
    error_of,
    execute_job,
    purge_idempotency_records,
    recover_stalled,
)
from tableside.kit.schemas import utcnow
from tableside.models import IdempotencyRecord, Job, JobStatus


async def enqueue(
    database: Database, business_id: uuid.UUID, kind: str, params: dict | None = None
) -> Job:
    async with database.session() as session:
        await set_tenant(session, business_id)
        return await enqueue_job(session, business_id=business_id, kind=kind, params=params)


async def load(database: Database, business_id: uuid.UUID, job_id: uuid.UUID) -> Job:
    async with database.session() as session:
        await set_tenant(session, business_id)
        job = await JobRepository(session, business_id).get(job_id)
    assert job is not None
    return job


async def procrastinate_job(database: Database, procrastinate_id: int) -> dict:
    async with database.session() as session:
        row = (
            await session.execute(
                text("SELECT task_name, status, args FROM procrastinate_jobs WHERE id = :id"),
                {"id": procrastinate_id},
            )
        ).one()
    return dict(row._mapping)


async def test_enqueue_defers_one_task_after_commit(
    jobs_database: Database, business_id: uuid.UUID
) -> None:
    async with jobs_database.session() as session:
        await set_tenant(session, business_id)
        first = await enqueue_job(
            session,
            business_id=business_id,
            kind="test.echo",
            params={"amount": Decimal("12.50"), "ref": uuid.UUID(int=1)},
        )
        second = await enqueue_job(session, business_id=business_id, kind="test.echo")
        assert first.status == JobStatus.queued
        # Nothing leaves before the commit.
        assert first.procrastinate_job_id is None
    first_row = await load(jobs_database, business_id, first.id)
    second_row = await load(jobs_database, business_id, second.id)
    assert first_row.params == {"amount": "12.50", "ref": str(uuid.UUID(int=1))}
    assert first_row.procrastinate_job_id is not None
    assert second_row.procrastinate_job_id not in (None, first_row.procrastinate_job_id)
    deferred = await procrastinate_job(jobs_database, first_row.procrastinate_job_id)
    assert deferred == {
        "task_name": RUN_JOB_TASK,
        "status": "todo",
        "args": {"job_id": str(first.id)},
    }


async def test_execute_job_inline_and_only_once(
    jobs_database: Database, jobs_settings, business_id: uuid.UUID
) -> None:
    job = await enqueue(jobs_database, business_id, "test.echo", {"x": 1})
    assert await execute_job(jobs_database, jobs_settings, job.id) == JobStatus.succeeded
    # A second delivery of the same job (outbox sweep racing the hook) does not run it again.
    assert await execute_job(jobs_database, jobs_settings, job.id) == JobStatus.succeeded
    row = await load(jobs_database, business_id, job.id)
    assert row.attempts == 1
    assert row.result is not None and row.result["echo"] == {"x": 1}


async def test_execute_missing_job_is_skipped(jobs_database: Database, jobs_settings) -> None:
    assert await execute_job(jobs_database, jobs_settings, uuid.uuid4()) is None


async def test_cancelled_job_is_not_run(
    jobs_database: Database, jobs_settings, business_id: uuid.UUID
) -> None:
    job = await enqueue(jobs_database, business_id, "test.echo")
    async with jobs_database.session() as session:
        await set_tenant(session, business_id)
        row = await JobRepository(session, business_id).get(job.id)
        assert row is not None
        row.status = JobStatus.cancelled
    assert await execute_job(jobs_database, jobs_settings, job.id) == JobStatus.cancelled
    row = await load(jobs_database, business_id, job.id)
    assert row.started_at is None and row.attempts == 0


async def test_handler_stopping_on_cancel_ends_cancelled(
    jobs_database: Database, jobs_settings, business_id: uuid.UUID
) -> None:
    job = await enqueue(jobs_database, business_id, "test.cancel_self")
    assert await execute_job(jobs_database, jobs_settings, job.id) == JobStatus.cancelled
    row = await load(jobs_database, business_id, job.id)
    assert row.result is None and row.error is None


async def test_success_recorded_in_the_handlers_transaction(
    jobs_database: Database, jobs_settings, business_id: uuid.UUID
) -> None:
    """`succeed_in` commits the outcome with the handler's work; the runner keeps it."""
    job = await enqueue(jobs_database, business_id, "test.succeed_in", {"value": 7})
    assert await execute_job(jobs_database, jobs_settings, job.id) == JobStatus.succeeded
    row = await load(jobs_database, business_id, job.id)
    assert row.status == JobStatus.succeeded and row.progress == 100
    assert row.result == {"done": 7} and row.message == "work done"
    assert row.finished_at is not None and row.params == {}


async def test_succeed_in_after_a_cancel_rolls_the_work_back(
    jobs_database: Database, jobs_settings, business_id: uuid.UUID
) -> None:
    job = await enqueue(
        jobs_database, business_id, "test.succeed_in", {"value": 7, "cancel_first": True}
    )
    assert await execute_job(jobs_database, jobs_settings, job.id) == JobStatus.cancelled
    row = await load(jobs_database, business_id, job.id)
    assert row.status == JobStatus.cancelled and row.result is None
    # The handler's work went with its transaction; its params (sensitive) are cleared.
    assert row.message != "work done" and row.params == {}


async def test_sensitive_params_are_cleared(
    jobs_database: Database, jobs_settings, business_id: uuid.UUID
) -> None:
    job = await enqueue(jobs_database, business_id, "test.secret", {"token": "s3cret-token"})
    assert await execute_job(jobs_database, jobs_settings, job.id) == JobStatus.succeeded
    row = await load(jobs_database, business_id, job.id)
    assert row.params == {}
    assert row.result == {"length": 12}


async def test_failure_error_has_no_traceback(
    jobs_database: Database, jobs_settings, business_id: uuid.UUID
) -> None:
    job = await enqueue(jobs_database, business_id, "test.fail", {"reason": "No flour"})
    assert await execute_job(jobs_database, jobs_settings, job.id) == JobStatus.failed
    row = await load(jobs_database, business_id, job.id)
    assert row.error == {"type": "ValueError", "message": "No flour"}


def test_error_of_hides_sql_and_keeps_app_messages() -> None:
    db_error = OperationalError("SELECT secret FROM t", {}, Exception("conn lost"))
    assert error_of(db_error) == {
        "type": "OperationalError",
        "message": "A database error occurred",
    }
    assert error_of(InvalidState("Order is closed")) == {
        "type": "InvalidState",
        "code": "INVALID_STATE",
        "message": "Order is closed",
    }
    assert error_of(RuntimeError()) == {"type": "RuntimeError", "message": "RuntimeError"}


def test_job_handler_registry() -> None:
    discover_handlers()
    assert {"test.echo", "email.send"} <= set(registered_kinds())
    email_handler = get_handler("email.send")
    assert email_handler is not None and email_handler.sensitive_params

    async def other(ctx: JobContext, params: dict) -> None:
        return None

    try:
        job_handler("test.echo")(other)
    except ValueError as exc:
        assert "already handled" in str(exc)
    else:
        raise AssertionError("a second handler for one kind must be refused")


async def test_stalled_job_is_requeued_then_failed(
    jobs_database: Database, jobs_database_url: str, business_id: uuid.UUID
) -> None:
    app = await open_app_for(jobs_database_url)

    async def stall(job: Job, attempts: int) -> None:
        """Make `job` look claimed by a worker that has since died."""
        async with jobs_database.session() as session:
            await set_tenant(session, business_id)
            claimed = await JobRepository(session, business_id).claim(job.id, utcnow())
            assert claimed is not None
            claimed_row = await JobRepository(session, business_id).get(job.id)
            assert claimed_row is not None
            claimed_row.attempts = attempts
            pid = claimed_row.procrastinate_job_id
        async with jobs_database.session() as session:
            await session.execute(
                text(
                    "UPDATE procrastinate_jobs SET status = 'doing', worker_id = NULL"
                    " WHERE id = :id"
                ),
                {"id": pid},
            )

    retry = await enqueue(jobs_database, business_id, "test.echo")
    give_up = await enqueue(jobs_database, business_id, "test.echo")
    await stall(await load(jobs_database, business_id, retry.id), attempts=1)
    await stall(await load(jobs_database, business_id, give_up.id), attempts=MAX_ATTEMPTS)

    assert await recover_stalled(jobs_database, app) >= 2

    retried = await load(jobs_database, business_id, retry.id)
    assert retried.status == JobStatus.queued
    assert retried.procrastinate_job_id is None  # the outbox sweep sends it again
    failed = await load(jobs_database, business_id, give_up.id)
    assert failed.status == JobStatus.failed
    assert failed.error is not None and failed.error["type"] == "WorkerLost"
    assert failed.procrastinate_job_id is not None
    closed = await procrastinate_job(jobs_database, failed.procrastinate_job_id)
    assert closed["status"] == "failed"
    # Leave nothing queued for the worker tests that share this database.
    async with jobs_database.session() as session:
        await set_tenant(session, business_id)
        row = await JobRepository(session, business_id).get(retry.id)
        assert row is not None
        row.status = JobStatus.cancelled


async def test_purge_deletes_only_expired_idempotency_records(jobs_database: Database) -> None:
    now = utcnow()
    keys = {"old": uuid.uuid4().hex, "fresh": uuid.uuid4().hex}
    async with jobs_database.session() as session:
        for label, expires_at in (
            ("old", now - timedelta(hours=1)),
            ("fresh", now + timedelta(hours=1)),
        ):
            session.add(
                IdempotencyRecord(
                    principal="user:test",
                    method="POST",
                    path="/api/v1/orders",
                    key=keys[label],
                    request_hash="0" * 64,
                    expires_at=expires_at,
                )
            )
    assert await purge_idempotency_records(jobs_database) >= 1
    async with jobs_database.session() as session:
        remaining = set(
            (
                await session.execute(
                    select(IdempotencyRecord.key).where(IdempotencyRecord.key.in_(keys.values()))
                )
            ).scalars()
        )
    assert remaining == {keys["fresh"]}

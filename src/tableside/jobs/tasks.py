"""The procrastinate tasks: the job runner and the periodic housekeeping.

`tableside.run_job(job_id)` is the only task domain work goes through: it claims our `jobs` row,
calls the handler registered for the row's kind and records the outcome. Two periodic tasks keep
the system honest: the outbox sweep (every minute) re-sends queued jobs whose after-commit
deferral never happened and recovers jobs of workers that died; the purge (every five minutes)
deletes expired idempotency records and old finished procrastinate jobs.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import procrastinate
import structlog
from procrastinate.jobs import Status as ProcrastinateStatus
from pydantic_core import to_jsonable_python
from sqlalchemy.exc import SQLAlchemyError

from tableside.config import Settings
from tableside.db.database import Database, enter_system_scope, set_tenant
from tableside.errors import AppError
from tableside.jobs.app import (
    PURGE_IDEMPOTENCY_TASK,
    RUN_JOB_TASK,
    SWEEP_OUTBOX_TASK,
    run_job_kwargs,
)
from tableside.jobs.registry import (
    JobCancelled,
    JobContext,
    PeriodicSpec,
    get_handler,
    registered_periodic,
)
from tableside.jobs.repository import (
    IdempotencyCleanupRepository,
    JobRepository,
    JobSystemRepository,
)
from tableside.kit.schemas import utcnow
from tableside.models import Job, JobStatus

logger = structlog.get_logger("tableside.jobs")

OUTBOX_DELAY = timedelta(minutes=1)
OUTBOX_BATCH = 500
# A job whose worker died is sent again this many times in all, then marked failed: a job that
# kills its worker (out of memory) must not take down every worker in turn.
MAX_ATTEMPTS = 3
# Finished procrastinate jobs (failed, cancelled, aborted) are kept this long for inspection.
PROCRASTINATE_RETENTION_HOURS = 24 * 7
MAX_ERROR_MESSAGE = 2000


def register_tasks(app: procrastinate.App) -> None:
    """Register the runner and the periodic tasks on a freshly built procrastinate app."""
    app.task(name=RUN_JOB_TASK, pass_context=True)(run_job_task)
    sweep = app.task(name=SWEEP_OUTBOX_TASK, pass_context=True)(sweep_outbox_task)
    app.periodic(cron="* * * * *", periodic_id="every-minute")(sweep)
    purge = app.task(name=PURGE_IDEMPOTENCY_TASK, pass_context=True)(purge_task)
    app.periodic(cron="*/5 * * * *", periodic_id="every-5-minutes")(purge)
    # Domains' periodic tasks (registered by `discover_handlers`, which workers run first).
    for spec in registered_periodic():
        task = app.task(name=f"tableside.periodic.{spec.name}", pass_context=True)(
            _periodic_task(spec)
        )
        app.periodic(cron=spec.cron, periodic_id=spec.name)(task)


def _periodic_task(spec: PeriodicSpec) -> Any:
    """The procrastinate entry point of a domain's periodic task."""

    async def run(context: procrastinate.JobContext, timestamp: int) -> dict[str, Any] | None:
        resources = _resources(context)
        return await spec.func(resources.database, resources.settings, timestamp)

    run.__name__ = f"periodic_{spec.name.replace('-', '_').replace('.', '_')}"
    return run


@dataclass(frozen=True)
class WorkerResources:
    """What the worker hands every task through procrastinate's `additional_context`."""

    database: Database
    settings: Settings

    def as_context(self) -> dict[str, Any]:
        """The `additional_context` dict for `App.run_worker_async`."""
        return {"tableside": self}


def _resources(context: procrastinate.JobContext) -> WorkerResources:
    resources = context.additional_context.get("tableside")
    if not isinstance(resources, WorkerResources):
        raise RuntimeError(
            "Tableside tasks need a worker started by tableside.jobs.runtime "
            "(the plain `procrastinate worker` command does not provide the database)"
        )
    return resources


async def run_job_task(context: procrastinate.JobContext, job_id: str) -> None:
    """procrastinate entry point of `tableside.run_job`."""
    resources = _resources(context)
    await execute_job(resources.database, resources.settings, uuid.UUID(job_id))


async def execute_job(
    database: Database, settings: Settings, job_id: uuid.UUID
) -> JobStatus | None:
    """Run one job to its end and return its final status (None when there is no such job).

    Also usable without procrastinate (a test or a script running a job inline). A job that is
    not queued (cancelled, or already claimed by a duplicate delivery) is left alone.
    """
    async with database.session() as session:
        # The job id alone does not say whose job it is: look across businesses once, then
        # narrow the transaction to that business for everything else.
        await enter_system_scope(session)
        business_id = await JobSystemRepository(session).business_of(job_id)
        if business_id is None:
            logger.info("job.skipped_missing", job_id=str(job_id))
            return None
        await set_tenant(session, business_id)
        repo = JobRepository(session, business_id)
        job = await repo.claim(job_id, utcnow())
        status = job.status if job is not None else await repo.status_of(job_id)
    if job is None:
        logger.info("job.skipped", job_id=str(job_id), status=str(status))
        return status

    with structlog.contextvars.bound_contextvars(
        job_id=str(job.id), job_kind=job.kind, business_id=str(business_id)
    ):
        return await _run_claimed(database, settings, job)


async def _run_claimed(database: Database, settings: Settings, job: Job) -> JobStatus:
    spec = get_handler(job.kind)
    if spec is None:
        logger.error("job.unknown_kind")
        error = {"type": "UnknownJobKind", "message": f"No handler for job kind {job.kind!r}"}
        return await _finish(database, job, JobStatus.failed, error=error)

    ctx = JobContext(
        database=database,
        settings=settings,
        business_id=job.business_id,
        job_id=job.id,
        kind=job.kind,
    )
    logger.info("job.started", attempt=job.attempts)
    try:
        result = await spec.func(ctx, dict(job.params or {}))
    except JobCancelled:
        logger.info("job.stopped_after_cancel")
        return await _finish(database, job, JobStatus.cancelled, clear_params=spec.sensitive_params)
    except asyncio.CancelledError:
        # Either a user's cancel (the row already says cancelled) or a worker shutdown (the
        # row still says running: give it back to the queue for another worker).
        await asyncio.shield(_requeue_interrupted(database, job))
        raise
    except Exception as exc:
        logger.exception("job.failed")
        return await _finish(
            database,
            job,
            JobStatus.failed,
            error=error_of(exc),
            clear_params=spec.sensitive_params,
        )
    if ctx.succeeded_in_transaction:
        # Committed with the handler's work (`JobContext.succeed_in`).
        logger.info("job.succeeded")
        return JobStatus.succeeded
    logger.info("job.succeeded")
    return await _finish(
        database,
        job,
        JobStatus.succeeded,
        result=_jsonable_result(result),
        clear_params=spec.sensitive_params,
    )


async def _finish(
    database: Database,
    job: Job,
    status: JobStatus,
    *,
    result: dict[str, Any] | None = None,
    error: dict[str, Any] | None = None,
    clear_params: bool = False,
) -> JobStatus:
    async with database.session() as session:
        await set_tenant(session, job.business_id)
        repo = JobRepository(session, job.business_id)
        finished = await repo.finish(
            job.id,
            status=status,
            now=utcnow(),
            result=result,
            error=error,
            clear_params=clear_params,
        )
        if finished:
            return status
        # Cancelled while running: the cancellation stands, the late outcome is dropped.
        if clear_params:
            await repo.clear_params(job.id)
        current = await repo.status_of(job.id)
    logger.info("job.outcome_discarded", outcome=str(status), status=str(current))
    return current or status


async def _requeue_interrupted(database: Database, job: Job) -> None:
    try:
        async with database.session() as session:
            await set_tenant(session, job.business_id)
            if await JobRepository(session, job.business_id).requeue(job.id):
                logger.info("job.requeued_after_interrupt")
    except Exception:
        logger.warning("job.requeue_failed", exc_info=True)


def error_of(exc: BaseException) -> dict[str, str]:
    """The `error` a failed job shows: the exception's type and message, without a stack
    trace, and without SQL for database errors; for an application error also its API code
    (`INSUFFICIENT_HISTORY`), which a client acts on as it would on the same error answered
    by a request."""
    if isinstance(exc, AppError):
        return {
            "type": type(exc).__name__,
            "code": exc.code,
            "message": exc.message[:MAX_ERROR_MESSAGE],
        }
    if isinstance(exc, SQLAlchemyError):
        message = "A database error occurred"
    else:
        message = str(exc) or type(exc).__name__
    return {"type": type(exc).__name__, "message": message[:MAX_ERROR_MESSAGE]}


def _jsonable_result(result: Any) -> dict[str, Any] | None:
    if result is None:
        return None
    value = to_jsonable_python(result)
    return value if isinstance(value, dict) else {"value": value}


# --- periodic housekeeping -------------------------------------------------------------------


async def sweep_outbox_task(context: procrastinate.JobContext, timestamp: int) -> dict[str, int]:
    """procrastinate entry point of the every-minute outbox sweep."""
    resources = _resources(context)
    resent = await sweep_outbox(resources.database, context.app)
    recovered = await recover_stalled(resources.database, context.app)
    return {"resent": resent, "recovered": recovered}


async def sweep_outbox(
    database: Database,
    app: procrastinate.App,
    *,
    older_than: timedelta = OUTBOX_DELAY,
    limit: int = OUTBOX_BATCH,
) -> int:
    """Defer queued jobs that no procrastinate job carries; return how many were sent."""
    async with database.session() as session:
        await enter_system_scope(session)
        repo = JobSystemRepository(session)
        rows = await repo.lock_undelivered(older_than, limit)
        if not rows:
            return 0
        # Deferred before our commit: should the commit fail, the next sweep sends them again
        # and the runner's claim lets only one delivery run.
        procrastinate_ids = await app.configure_task(RUN_JOB_TASK).batch_defer_async(
            *[run_job_kwargs(job_id) for job_id, _ in rows]
        )
        for (job_id, _), procrastinate_id in zip(rows, procrastinate_ids, strict=True):
            await repo.set_procrastinate_id(job_id, procrastinate_id)
    logger.info("job.outbox_resent", count=len(rows))
    return len(rows)


async def recover_stalled(database: Database, app: procrastinate.App) -> int:
    """Jobs whose worker stopped sending heartbeats: queue them again, or fail them after
    `MAX_ATTEMPTS`. Returns how many were recovered."""
    stalled = list(await app.job_manager.get_stalled_jobs(task_name=RUN_JOB_TASK))
    for procrastinate_job in stalled:
        if procrastinate_job.id is None:
            continue
        job_id = uuid.UUID(str(procrastinate_job.task_kwargs["job_id"]))
        async with database.session() as session:
            await enter_system_scope(session)
            business_id = await JobSystemRepository(session).business_of(job_id)
            if business_id is not None:
                await set_tenant(session, business_id)
                await _recover_one(JobRepository(session, business_id), job_id)
        # Closing the procrastinate job last: if we crash before, the next sweep retries.
        await app.job_manager.finish_job_by_id_async(
            procrastinate_job.id, status=ProcrastinateStatus.FAILED, delete_job=False
        )
    if stalled:
        logger.warning("job.stalled_recovered", count=len(stalled))
    return len(stalled)


async def _recover_one(repo: JobRepository, job_id: uuid.UUID) -> None:
    job = await repo.get(job_id)
    if job is None or job.status != JobStatus.running:
        return
    if job.attempts < MAX_ATTEMPTS:
        await repo.requeue(job_id)
        return
    await repo.finish(
        job_id,
        status=JobStatus.failed,
        now=utcnow(),
        error={"type": "WorkerLost", "message": "The worker running this job stopped"},
    )
    # The handler never got to release what the job holds (a stored upload), and nothing
    # will run it again: release it here, as a cancel would.
    spec = get_handler(job.kind)
    if spec is not None and spec.on_cancel is not None:
        await spec.on_cancel(repo.session, job.business_id, dict(job.params or {}))


async def purge_task(context: procrastinate.JobContext, timestamp: int) -> dict[str, int]:
    """procrastinate entry point of the five-minute purge."""
    resources = _resources(context)
    deleted = await purge_idempotency_records(resources.database)
    await context.app.job_manager.delete_old_jobs(
        nb_hours=PROCRASTINATE_RETENTION_HOURS,
        include_failed=True,
        include_cancelled=True,
        include_aborted=True,
    )
    return {"idempotency_records_deleted": deleted}


async def purge_idempotency_records(database: Database) -> int:
    """Delete idempotency records past their `expires_at`; return how many went."""
    async with database.session() as session:
        deleted = await IdempotencyCleanupRepository(session).delete_expired(utcnow())
    if deleted:
        logger.info("idempotency.purged", count=deleted)
    return deleted

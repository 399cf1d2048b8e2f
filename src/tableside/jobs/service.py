"""Starting, listing and cancelling jobs.

A job is a `jobs` row plus one procrastinate job `tableside.run_job(job_id=...)`. The row is
written in the caller's transaction and the procrastinate job is deferred only after that
transaction commits, so a rolled-back request starts nothing and a worker never looks for a row
that is not there yet. If the deferral itself fails (the database blinked between the commit
and the defer), the row stays queued without a procrastinate id and the periodic outbox sweep
defers it again.
"""

from __future__ import annotations

import functools
import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import structlog
from pydantic_core import to_jsonable_python
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from tableside.auth.dependencies import Principal
from tableside.auth.permissions import Action, Area
from tableside.db.database import after_commit, set_tenant
from tableside.errors import Forbidden, InvalidState, NotFound
from tableside.jobs.app import RUN_JOB_TASK, open_app_for, run_job_kwargs
from tableside.jobs.registry import get_handler
from tableside.jobs.repository import ACTIVE_STATUSES, JobRepository
from tableside.jobs.schemas import JobRead
from tableside.kit.pagination import ListParams, Page, SortOrder
from tableside.kit.schemas import utcnow
from tableside.models import Job, JobStatus

logger = structlog.get_logger("tableside.jobs")

_PENDING_DEFERRALS = "tableside.jobs.pending_deferrals"


async def enqueue_job(
    session: AsyncSession,
    *,
    business_id: uuid.UUID,
    kind: str,
    params: Mapping[str, Any] | None = None,
    created_by_id: uuid.UUID | None = None,
) -> Job:
    """Create a queued job in the caller's transaction; it is sent to a worker after commit.

    `params` must be JSON-like; UUIDs, decimals and datetimes are turned into strings here so
    a bad value fails now, in the request, rather than in the worker.
    """
    job = Job(
        business_id=business_id,
        kind=kind,
        status=JobStatus.queued,
        progress=0,
        attempts=0,
        params=to_jsonable_python(dict(params or {})),
        created_by_id=created_by_id,
    )
    await JobRepository(session, business_id).add(job)
    _defer_after_commit(session, job)
    logger.info("job.enqueued", job_id=str(job.id), kind=kind, business_id=str(business_id))
    return job


def _defer_after_commit(session: AsyncSession, job: Job) -> None:
    # One hook per transaction, deferring every job the transaction created in one batch
    # (a bulk import may start hundreds).
    pending: list[tuple[uuid.UUID, uuid.UUID]] | None = session.info.get(_PENDING_DEFERRALS)
    if pending is None:
        pending = session.info[_PENDING_DEFERRALS] = []
        after_commit(session, functools.partial(_deliver, session, database_url_of(session)))
    pending.append((job.id, job.business_id))


def database_url_of(session: AsyncSession) -> str:
    """The URL (password included) of the database `session` talks to."""
    bind = session.bind
    if bind is None:
        raise RuntimeError("The session is not bound to an engine")
    engine = bind.engine if isinstance(bind, AsyncConnection) else bind
    return engine.url.render_as_string(hide_password=False)


async def _deliver(session: AsyncSession, url: str) -> None:
    """After commit: defer the transaction's jobs, then note their procrastinate ids."""
    pending: list[tuple[uuid.UUID, uuid.UUID]] = session.info.pop(_PENDING_DEFERRALS, [])
    if not pending:
        return
    try:
        app = await open_app_for(url)
        procrastinate_ids = await app.configure_task(RUN_JOB_TASK).batch_defer_async(
            *[run_job_kwargs(job_id) for job_id, _ in pending]
        )
    except Exception:
        # The rows are committed and stay queued: the outbox sweep defers them later.
        logger.exception("job.defer_failed", job_ids=[str(job_id) for job_id, _ in pending])
        return
    by_business: dict[uuid.UUID, list[tuple[uuid.UUID, int]]] = defaultdict(list)
    for (job_id, business_id), procrastinate_id in zip(pending, procrastinate_ids, strict=True):
        by_business[business_id].append((job_id, procrastinate_id))
    try:
        for business_id, pairs in by_business.items():
            await set_tenant(session, business_id)
            await JobRepository(session, business_id).set_procrastinate_ids(pairs)
        # The caller's unit of work has already committed; this is a second, tiny one.
        await session.commit()
    except Exception:
        await session.rollback()
        # Only bookkeeping is lost: the jobs are deferred. Cancel then cannot withdraw them
        # from procrastinate, but the runner skips cancelled jobs anyway.
        logger.warning("job.procrastinate_id_not_saved", exc_info=True)


def sees_all_jobs(principal: Principal) -> bool:
    """Managers and above see every job of the business; others only the jobs they started."""
    return principal.can(Area.jobs, Action.manage)


async def list_jobs(
    session: AsyncSession,
    principal: Principal,
    params: ListParams,
    *,
    status: JobStatus | None = None,
    kind: str | None = None,
) -> Page[JobRead]:
    """A page of the jobs the principal may see, newest first unless sorted otherwise."""
    repo = JobRepository(session, principal.business_id)
    stmt = repo.list_select(
        status=status,
        kind=kind,
        created_by_id=principal.user_id,
        only_created_by=not sees_all_jobs(principal),
    )
    if params.sort_by is None:
        # Most recent work is what people look for; API.md's default order is ascending.
        params = replace(params, sort_by="created_at", sort_order=SortOrder.desc)
    rows, total = await repo.paginate(stmt, params)
    return Page[JobRead].build([JobRead.model_validate(row) for row in rows], total, params)


def _check_visible(principal: Principal, job: Job) -> None:
    if sees_all_jobs(principal):
        return
    if principal.user_id is None or job.created_by_id != principal.user_id:
        raise Forbidden("You can only see and cancel jobs you started")


async def get_job(session: AsyncSession, principal: Principal, job_id: uuid.UUID) -> Job:
    """One job of the principal's business; 404 for another business, 403 for a colleague's
    job when the principal is below manager."""
    job = await JobRepository(session, principal.business_id).get(job_id)
    if job is None:
        raise NotFound("Job not found")
    _check_visible(principal, job)
    return job


async def cancel_job(session: AsyncSession, principal: Principal, job_id: uuid.UUID) -> Job:
    """Cancel a queued or running job (its creator, or a manager and above).

    A queued job is withdrawn from procrastinate; a running one gets an abort request, which
    cancels an async handler at its next await. Either way the row says `cancelled` at once,
    and the runner never overwrites that with a late result. The kind's `on_cancel` hook runs
    in this transaction, so what the job held (a stored upload) goes with the cancellation.
    The job's row lock comes first: a handler recording its success with its work
    (`JobContext.succeed_in`) holds it until that commits, and the cancel then finds the job
    succeeded (409) instead of cancelling work that is already in.
    """
    repo = JobRepository(session, principal.business_id)
    job = await repo.get_for_update(job_id)
    if job is None:
        raise NotFound("Job not found")
    _check_visible(principal, job)
    if job.status not in ACTIVE_STATUSES:
        raise InvalidState(f"A {job.status} job cannot be cancelled")
    job.status = JobStatus.cancelled
    job.finished_at = utcnow()
    job.message = f"Cancelled by {principal.display}"
    await repo.flush()
    spec = get_handler(job.kind)
    if spec is not None and spec.on_cancel is not None:
        await spec.on_cancel(session, job.business_id, dict(job.params or {}))
    if job.procrastinate_job_id is not None:
        after_commit(
            session,
            functools.partial(
                _withdraw, database_url_of(session), job.id, job.procrastinate_job_id
            ),
        )
    logger.info("job.cancelled", job_id=str(job.id), by=principal.display)
    return job


async def _withdraw(url: str, job_id: uuid.UUID, procrastinate_job_id: int) -> None:
    """After commit: cancel the procrastinate job (todo) or ask its worker to abort (doing)."""
    try:
        app = await open_app_for(url)
        await app.job_manager.cancel_job_by_id_async(procrastinate_job_id, abort=True)
    except Exception:
        # The runner checks our row before starting and after finishing, so a job that
        # could not be withdrawn still ends cancelled.
        logger.warning("job.withdraw_failed", job_id=str(job_id), exc_info=True)

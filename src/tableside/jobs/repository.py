"""SQL for job records, and the few cross-business statements the job machinery needs."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, false, func, null, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Update

from tableside.kit.repository import TenantRepository
from tableside.models import IdempotencyRecord, Job, JobStatus

ACTIVE_STATUSES = (JobStatus.queued, JobStatus.running)


class JobRepository(TenantRepository[Job]):
    """Job rows of one business."""

    model = Job
    sortable = {
        "created_at": "created_at",
        "updated_at": "updated_at",
        "started_at": "started_at",
        "finished_at": "finished_at",
        "status": "status",
        "kind": "kind",
        "progress": "progress",
    }
    default_sort = "created_at"
    searchable = ("kind", "message")

    def _update(self) -> Update:
        """Every UPDATE here starts from the business filter, like `base_select`."""
        return update(Job).where(Job.business_id == self.business_id)

    def list_select(
        self,
        *,
        status: JobStatus | None = None,
        kind: str | None = None,
        created_by_id: uuid.UUID | None = None,
        only_created_by: bool = False,
    ) -> Select[Job]:
        """Jobs filtered by status and kind; with `only_created_by`, just that user's jobs."""
        stmt = self.base_select()
        if status is not None:
            stmt = stmt.where(Job.status == status)
        if kind is not None:
            stmt = stmt.where(Job.kind == kind)
        if only_created_by:
            # A caller without a user (an API key) started nothing it could be matched to.
            stmt = (
                stmt.where(Job.created_by_id == created_by_id)
                if created_by_id is not None
                else stmt.where(false())
            )
        return stmt

    async def get_for_update(self, job_id: uuid.UUID) -> Job | None:
        """The job, row-locked so a cancel and the runner's claim cannot interleave."""
        stmt = self.base_select().where(Job.id == job_id).with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def status_of(self, job_id: uuid.UUID) -> JobStatus | None:
        """The job's current status (None when there is no such job in this business)."""
        stmt = select(Job.status).where(Job.business_id == self.business_id, Job.id == job_id)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def claim(self, job_id: uuid.UUID, now: datetime) -> Job | None:
        """queued → running in one statement; None when the job is not queued (cancelled,
        already claimed by a duplicate delivery, or gone)."""
        stmt = (
            self._update()
            .where(Job.id == job_id, Job.status == JobStatus.queued)
            .values(
                status=JobStatus.running,
                started_at=now,
                finished_at=None,
                attempts=Job.attempts + 1,
                progress=0,
                message=None,
                # SQL NULL, not a JSON `null`, so `result IS NULL` means what it says.
                result=null(),
                error=null(),
            )
            .returning(Job)
            .execution_options(synchronize_session=False)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def finish(
        self,
        job_id: uuid.UUID,
        *,
        status: JobStatus,
        now: datetime,
        result: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
        clear_params: bool = False,
        message: str | None = None,
    ) -> bool:
        """running → a final status (and a last message, when given). False when the job
        left `running` meanwhile (cancelled): a late result must not overwrite the
        cancellation."""
        values: dict[str, Any] = {
            "status": status,
            "finished_at": now,
            "result": result if result is not None else null(),
            "error": error if error is not None else null(),
        }
        if status == JobStatus.succeeded:
            values["progress"] = 100
        if message is not None:
            values["message"] = message
        if clear_params:
            values["params"] = {}
        stmt = (
            self._update()
            .where(Job.id == job_id, Job.status == JobStatus.running)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(await self.session.execute(stmt)) == 1

    async def clear_params(self, job_id: uuid.UUID) -> None:
        """Forget the job's params (they held a secret, such as a reset link)."""
        stmt = (
            self._update()
            .where(Job.id == job_id)
            .values(params={})
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(stmt)

    async def requeue(self, job_id: uuid.UUID) -> bool:
        """running → queued without a procrastinate job, so the outbox sweep sends it again
        (the worker was shut down mid-job)."""
        stmt = (
            self._update()
            .where(Job.id == job_id, Job.status == JobStatus.running)
            .values(status=JobStatus.queued, procrastinate_job_id=None, started_at=None)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(await self.session.execute(stmt)) == 1

    async def set_progress(self, job_id: uuid.UUID, progress: int, message: str | None) -> None:
        """Progress (and a message, when given) of a running job; ignored once it ended."""
        values: dict[str, Any] = {"progress": progress}
        if message is not None:
            values["message"] = message
        stmt = (
            self._update()
            .where(Job.id == job_id, Job.status == JobStatus.running)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(stmt)

    async def set_procrastinate_ids(self, pairs: Sequence[tuple[uuid.UUID, int]]) -> None:
        """Remember which procrastinate job carries each of our jobs."""
        for job_id, procrastinate_job_id in pairs:
            stmt = (
                self._update()
                .where(Job.id == job_id, Job.procrastinate_job_id.is_(None))
                .values(procrastinate_job_id=procrastinate_job_id)
                .execution_options(synchronize_session=False)
            )
            await self.session.execute(stmt)


class JobSystemRepository:
    """Statements across businesses. Valid only in a transaction that entered the system scope
    (`enter_system_scope`): the runner finding a job's business and the periodic sweeps."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def business_of(self, job_id: uuid.UUID) -> uuid.UUID | None:
        """Whose job this is, so the runner can narrow its transaction to that business."""
        stmt = select(Job.business_id).where(Job.id == job_id)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def lock_undelivered(
        self, older_than: timedelta, limit: int
    ) -> Sequence[tuple[uuid.UUID, uuid.UUID]]:
        """(job id, business id) of queued jobs no procrastinate job carries, older than
        `older_than`: their after-commit deferral failed or never ran. Locked, skipping rows
        another sweep holds."""
        stmt = (
            select(Job.id, Job.business_id)
            .where(
                Job.status == JobStatus.queued,
                Job.procrastinate_job_id.is_(None),
                Job.created_at < func.now() - older_than,
            )
            .order_by(Job.created_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows = (await self.session.execute(stmt)).all()
        return [(row[0], row[1]) for row in rows]

    async def set_procrastinate_id(self, job_id: uuid.UUID, procrastinate_job_id: int) -> None:
        """Note the procrastinate job the outbox sweep just deferred for `job_id`."""
        stmt = (
            update(Job)
            .where(Job.id == job_id)
            .values(procrastinate_job_id=procrastinate_job_id)
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(stmt)


class IdempotencyCleanupRepository:
    """Expired idempotency records (the table has no tenant: it is keyed by principal)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def delete_expired(self, now: datetime, limit: int = 10_000) -> int:
        """Delete up to `limit` expired records; the batch keeps each transaction short."""
        doomed = (
            select(IdempotencyRecord.id)
            .where(IdempotencyRecord.expires_at < now)
            .limit(limit)
            .scalar_subquery()
        )
        stmt = (
            delete(IdempotencyRecord)
            .where(IdempotencyRecord.id.in_(doomed))
            .execution_options(synchronize_session=False)
        )
        return _rowcount(await self.session.execute(stmt))


def _rowcount(result: Any) -> int:
    return result.rowcount if isinstance(result, CursorResult) else 0

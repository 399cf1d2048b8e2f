"""Ledger jobs: importing a large sales file in the background.

`POST /api/v1/sales/import` stores a large (or `background=true`) upload in `ledger_uploads`
and starts `ledger.import_sales` with the upload's id. The job runs the same import as the
request would and returns the same report as its result; it reports progress while it reads
the file and after each phase. The stored file is deleted once the job has run, whatever the
outcome, except when the worker is stopped mid-run (the job is queued again and needs it), and
when the job is cancelled, queued or running, or given up after its workers died
(`discard_cancelled_upload`, in the cancelling or recovering transaction): an import that ends
without running leaves nothing behind, and the same file can be sent again.

An attempt that fails on a lost connection, a deadlock or a serialization conflict
(`db.errors.is_transient`) wrote nothing, so the job imports the file again,
`IMPORT_ATTEMPTS` times in all, before it fails.

The import's transaction records the job's success itself, just before it commits
(`JobContext.succeed_in`), so the outcome is one of two and never a mix: the cancel wins (the
import rolls back, nothing is written, the job is `cancelled`) or the import wins (its lines
are written, the job is `succeeded`, and the cancel answers 409 INVALID_STATE).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from tableside.db.errors import is_transient
from tableside.errors import ValidationFailed
from tableside.jobs.registry import JobContext, job_handler
from tableside.ledger.csv_format import BytesSource
from tableside.ledger.import_schemas import OnOverlap
from tableside.ledger.ingest import IMPORT_SALES_JOB, ImportOptions, import_file
from tableside.ledger.ingest_repository import IngestRepository
from tableside.ledger.overlap import ImportOverlap

# Progress (percent) when each phase of the import ends; reading the file fills the rest.
_PHASES = {"inspected": 5, "copied": 45, "validated": 70, "written": 95}
_MESSAGES = {
    "copying": "Reading the file",
    "inspected": "File checked",
    "copied": "File read",
    "validated": "Rows checked",
    "written": "Lines written",
}
_SUMMARY_ERRORS = 20
# Attempts at an import whose database connection was lost or which lost a deadlock, and the
# pause before the next one (times the attempt number).
IMPORT_ATTEMPTS = 3
RETRY_DELAY_SECONDS = 1.0

logger = structlog.get_logger("tableside.ledger")


async def discard_cancelled_upload(
    session: AsyncSession, business_id: uuid.UUID, params: dict[str, Any]
) -> None:
    """On cancel (or when the stalled-job recovery gives the job up): delete the job's stored
    upload. A queued job never runs, so nothing else would; a running one rolls its import
    back, its own delete with it (it finds the job cancelled before it commits, if the abort
    has not stopped it earlier)."""
    if "upload_id" in params:
        upload_id = uuid.UUID(str(params["upload_id"]))
        await IngestRepository(session, business_id).delete_upload(upload_id)


@job_handler(IMPORT_SALES_JOB, on_cancel=discard_cancelled_upload)
async def import_sales(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """Import the stored upload `params["upload_id"]` into the job's business."""
    upload_id = uuid.UUID(str(params["upload_id"]))
    reported = {"percent": 0}

    async def progress(phase: str, done: int, total: int) -> None:
        if phase == "copying":
            percent = 5 + (40 * done // total if total else 0)
        else:
            percent = _PHASES.get(phase, reported["percent"])
        # A few updates are enough: each is a small transaction of its own.
        if percent >= reported["percent"] + 10 or phase in _PHASES:
            reported["percent"] = percent
            await ctx.set_progress(percent, _MESSAGES.get(phase))

    for attempt in range(1, IMPORT_ATTEMPTS + 1):
        try:
            return await _import_upload(ctx, upload_id, params, progress)
        except ValidationFailed as exc:
            await _discard(ctx, upload_id)
            raise ValidationFailed(_summary(exc)) from exc
        except ImportOverlap as exc:
            await _discard(ctx, upload_id)
            raise ImportOverlap(_overlap_summary(exc)) from exc
        except Exception as exc:
            # The import is one transaction: a lost connection or a deadlock left nothing
            # written, so the same file is imported again instead of making the user upload
            # it again.
            if attempt < IMPORT_ATTEMPTS and is_transient(exc):
                logger.warning("ledger.import_retry", attempt=attempt, exc_info=True)
                reported["percent"] = 0
                await asyncio.sleep(RETRY_DELAY_SECONDS * attempt)
                continue
            await _discard(ctx, upload_id)
            raise
    raise AssertionError("unreachable: the last attempt returns or raises")


async def _import_upload(
    ctx: JobContext,
    upload_id: uuid.UUID,
    params: dict[str, Any],
    progress: Callable[[str, int, int], Awaitable[None]],
) -> dict[str, Any]:
    """One attempt at the import, in one transaction; returns the report."""
    async with ctx.session() as session:
        repo = IngestRepository(session, ctx.business_id)
        upload = await repo.get_upload(upload_id)
        if upload is None:
            raise ValueError("The uploaded file is no longer available; upload it again")
        options = ImportOptions(
            skip_invalid=upload.skip_invalid,
            default_location=upload.default_location,
            created_by=upload.created_by,
            # Jobs queued before the option existed refuse an overlap, as it is now.
            on_overlap=OnOverlap(params.get("on_overlap", OnOverlap.reject)),
        )
        outcome = await import_file(
            session,
            ctx.business_id,
            BytesSource(upload.content, upload.filename),
            options,
            progress=progress,
        )
        result = outcome.report.model_dump(mode="json")
        # The lines and the job's success commit together, or neither does: a cancel that
        # came first rolls the import back here (JobCancelled), and one that comes later
        # waits for this commit and is refused as too late. The job row is locked before the
        # upload row, in the order a cancel locks them.
        await ctx.succeed_in(session, result)
        await repo.delete_upload(upload_id)
    return result


async def _discard(ctx: JobContext, upload_id: uuid.UUID) -> None:
    """Delete the stored file after a failed import (the import's own transaction, which
    would have deleted it, was rolled back)."""
    async with ctx.session() as session:
        await IngestRepository(session, ctx.business_id).delete_upload(upload_id)


def _overlap_summary(exc: ImportOverlap) -> str:
    """The job's error message for an overlap: the refusal, then the earlier imports it
    names (a request lists them in its details; a job error has no list)."""
    earlier = "; ".join(
        f"{detail['message']} (import {detail['import_id']})"
        for detail in exc.details[:_SUMMARY_ERRORS]
    )
    return f"{exc.message}. {earlier}" if earlier else exc.message


def _summary(exc: ValidationFailed) -> str:
    """The job's error message: the count, then the first errors (a job error has no list)."""
    parts = []
    for detail in exc.details[:_SUMMARY_ERRORS]:
        where = f"line {detail['line']}, " if "line" in detail else ""
        parts.append(f"{where}{detail.get('field')}: {detail.get('message')}")
    listed = "; ".join(parts)
    return f"{exc.message}. {listed}" if listed else exc.message

"""`/api/v1/jobs`: follow and cancel background work."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from tableside.auth.dependencies import Principal, require
from tableside.auth.permissions import Action, Area
from tableside.db.session import SessionDep
from tableside.jobs import service
from tableside.jobs.schemas import JobRead
from tableside.kit.pagination import ListParamsDep, Page
from tableside.models import JobStatus

router = APIRouter(prefix="/jobs", tags=["jobs"])

ReadJobs = Annotated[Principal, Depends(require(Area.jobs, Action.read))]
WriteJobs = Annotated[Principal, Depends(require(Area.jobs, Action.write))]


@router.get("", response_model=Page[JobRead], summary="List jobs")
async def list_jobs(
    session: SessionDep,
    principal: ReadJobs,
    params: ListParamsDep,
    status: Annotated[JobStatus | None, Query(description="Only jobs in this status")] = None,
    kind: Annotated[str | None, Query(max_length=80, description="Only jobs of this kind")] = None,
) -> Page[JobRead]:
    """Jobs of the business, newest first. Below manager, only the jobs you started."""
    return await service.list_jobs(session, principal, params, status=status, kind=kind)


@router.get("/{job_id}", response_model=JobRead, summary="Get a job")
async def get_job(job_id: uuid.UUID, session: SessionDep, principal: ReadJobs) -> JobRead:
    """Status, progress (0-100), message, result or error, and times."""
    return JobRead.model_validate(await service.get_job(session, principal, job_id))


@router.post("/{job_id}/cancel", response_model=JobRead, summary="Cancel a job")
async def cancel_job(job_id: uuid.UUID, session: SessionDep, principal: WriteJobs) -> JobRead:
    """Cancel a queued or running job; a finished one answers 409 INVALID_STATE. A job
    that records its outcome with its work (a sales import, a forecast retrain) may be
    finishing as the cancel comes: the cancel then waits for that commit and answers 409,
    and the result stands."""
    return JobRead.model_validate(await service.cancel_job(session, principal, job_id))

"""Job responses, and the `202 Accepted` body other domains return when they start a job."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import Field

from tableside.kit.schemas import Resource, ResponseSchema, UtcDatetime
from tableside.models import Job, JobStatus

JOBS_PATH = "/api/v1/jobs"


class JobError(ResponseSchema):
    """Why a job failed: an exception type and a message, never a stack trace."""

    type: str
    code: str | None = Field(
        default=None,
        description="The API error code (API.md) when the job failed as a request would "
        "(INSUFFICIENT_HISTORY, VALIDATION_ERROR, ...); null for an unexpected failure",
    )
    message: str


class JobRead(Resource):
    """A job as `GET /api/v1/jobs/{id}` shows it. Params are not shown: they may hold secrets."""

    kind: str
    status: JobStatus
    progress: int = Field(ge=0, le=100, description="0-100")
    message: str | None = None
    result: dict[str, Any] | None = None
    error: JobError | None = None
    attempts: int
    created_by_id: uuid.UUID | None = None
    started_at: UtcDatetime | None = None
    finished_at: UtcDatetime | None = None


class JobAccepted(ResponseSchema):
    """The `202` body for work that outlives the request."""

    job_id: uuid.UUID
    status: JobStatus
    status_url: str

    @classmethod
    def from_job(cls, job: Job) -> JobAccepted:
        return cls(job_id=job.id, status=job.status, status_url=job_status_url(job.id))


def job_status_url(job_id: uuid.UUID) -> str:
    """Where a client polls the job (relative to the API's origin)."""
    return f"{JOBS_PATH}/{job_id}"


def accepted(job: Job) -> JSONResponse:
    """`202 Accepted` with `{"job_id", "status", "status_url"}` and a `Location` header.

    Routers return this directly; declare `responses={202: {"model": JobAccepted}}` and
    `status_code=202` on the route so the OpenAPI schema shows it.
    """
    body = JobAccepted.from_job(job)
    return JSONResponse(
        status_code=202,
        content=body.model_dump(mode="json"),
        headers={"Location": body.status_url},
    )

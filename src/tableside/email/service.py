"""Queue an email: an `email.send` job, sent by a worker once the caller's transaction commits."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from tableside.jobs.service import enqueue_job
from tableside.models import Job

EMAIL_SEND = "email.send"


async def queue_email(
    session: AsyncSession,
    *,
    business_id: uuid.UUID,
    to: str,
    subject: str,
    body: str,
    html: str | None = None,
    created_by_id: uuid.UUID | None = None,
) -> Job:
    """Enqueue delivery of one email; nothing is sent if the transaction rolls back."""
    params: dict[str, str] = {"to": to, "subject": subject, "body": body}
    if html is not None:
        params["html"] = html
    return await enqueue_job(
        session,
        business_id=business_id,
        kind=EMAIL_SEND,
        params=params,
        created_by_id=created_by_id,
    )

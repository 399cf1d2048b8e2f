"""A sales file waiting for its import job: large uploads are imported in the background, so
the bytes are kept here until the job has read them."""

from __future__ import annotations

import uuid

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from tableside.db.base import TenantModel


class LedgerUpload(TenantModel):
    """An uploaded sales CSV and the options it was sent with. One pending upload per file
    (same SHA-256) per business: sending the file again while it waits returns the same job.
    The import job deletes the row once it has run; cancelling the job deletes it at once."""

    __tablename__ = "ledger_uploads"
    __table_args__ = (UniqueConstraint("business_id", "content_hash"),)

    filename: Mapped[str | None] = mapped_column(String(300))
    content_hash: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    skip_invalid: Mapped[bool] = mapped_column(Boolean, default=False)
    # The location (name or id) for rows without one, as the request gave it.
    default_location: Mapped[str | None] = mapped_column(String(200))
    job_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )

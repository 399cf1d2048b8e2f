"""Stored first responses of POST requests sent with an idempotency key."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Integer, LargeBinary, String, UniqueConstraint, Uuid
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tableside.db.base import Model


class IdempotencyRecord(Model):
    """Not under row-level security: it is read before the tenant is known, always by
    `principal` (the user, API key or anonymous client) that sent the key."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("principal", "method", "path", "key"),)

    business_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    principal: Mapped[str] = mapped_column(String(120))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="in_progress")
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_headers: Mapped[list[Any] | None] = mapped_column(JSONB)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)

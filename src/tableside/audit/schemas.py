"""Audit log responses."""

from __future__ import annotations

import uuid
from typing import Any

from tableside.kit.schemas import ResponseSchema, UtcDatetime


class AuditEntryOut(ResponseSchema):
    id: uuid.UUID
    action: str
    actor_user_id: uuid.UUID | None
    actor_api_key_id: uuid.UUID | None
    actor_email: str | None
    entity_type: str | None
    entity_id: str | None
    details: dict[str, Any]
    ip_address: str | None
    request_id: str | None
    created_at: UtcDatetime

"""API key models of the API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field

from tableside.kit.schemas import Resource, Schema, UtcDatetime
from tableside.models import KitchenProfile, Role


class ApiKey(Resource):
    name: str
    prefix: str = Field(description="The first characters of the key, to recognise it")
    role: Role
    kitchen_profile: KitchenProfile | None
    created_by_id: uuid.UUID | None
    expires_at: UtcDatetime | None
    last_used_at: UtcDatetime | None
    revoked_at: UtcDatetime | None


class ApiKeyCreate(Schema):
    name: Annotated[str, Field(min_length=1, max_length=120)]
    role: Role = Field(default=Role.manager, description="Never above your own role")
    kitchen_profile: KitchenProfile | None = None
    expires_at: datetime | None = Field(default=None, description="Optional expiry (UTC)")


class ApiKeyCreated(ApiKey):
    key: str = Field(description="Shown once: store it now. Send it as the X-API-Key header.")

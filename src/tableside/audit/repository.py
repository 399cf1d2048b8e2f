"""SQL for the audit log."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from tableside.kit.pagination import ListParams
from tableside.kit.repository import TenantRepository
from tableside.models import AuditEntry


class AuditRepository(TenantRepository[AuditEntry]):
    model = AuditEntry
    sortable = {"created_at": "created_at", "action": "action"}
    searchable = ("action", "actor_email", "entity_type")
    default_order_desc = True

    async def list(
        self,
        params: ListParams,
        *,
        action: str | None = None,
        actor_user_id: uuid.UUID | None = None,
        entity_type: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> tuple[Sequence[AuditEntry], int]:
        stmt = self.base_select()
        if action:
            stmt = stmt.where(AuditEntry.action == action)
        if actor_user_id:
            stmt = stmt.where(AuditEntry.actor_user_id == actor_user_id)
        if entity_type:
            stmt = stmt.where(AuditEntry.entity_type == entity_type)
        if since:
            stmt = stmt.where(AuditEntry.created_at >= since)
        if until:
            stmt = stmt.where(AuditEntry.created_at < until)
        return await self.paginate(stmt, params)

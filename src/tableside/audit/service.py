"""Writing and reading the audit log."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from tableside.audit.repository import AuditRepository
from tableside.http.context import client_ip_var, request_id_var
from tableside.kit.pagination import ListParams
from tableside.models import AuditEntry

if TYPE_CHECKING:
    from tableside.auth.dependencies import Principal


async def record(
    session: AsyncSession,
    *,
    business_id: uuid.UUID,
    action: str,
    principal: Principal | None = None,
    actor_user_id: uuid.UUID | None = None,
    actor_email: str | None = None,
    entity_type: str | None = None,
    entity_id: uuid.UUID | str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append an entry in the caller's transaction, with the request's id and client address."""
    if principal is not None:
        actor_user_id = actor_user_id or principal.user_id
        actor_email = actor_email or principal.display
    entry = AuditEntry(
        business_id=business_id,
        action=action,
        actor_user_id=actor_user_id,
        actor_api_key_id=principal.api_key.id if principal and principal.api_key else None,
        actor_email=actor_email,
        entity_type=entity_type,
        entity_id=str(entity_id) if entity_id is not None else None,
        details=details or {},
        ip_address=client_ip_var.get(),
        request_id=request_id_var.get(),
    )
    session.add(entry)
    await session.flush()


async def list_entries(
    session: AsyncSession, principal: Principal, params: ListParams, **filters: Any
) -> tuple[Sequence[AuditEntry], int]:
    """One page of the principal's business's audit log, newest first by default."""
    return await AuditRepository(session, principal.business_id).list(params, **filters)

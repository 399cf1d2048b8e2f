"""Creating, listing and revoking API keys."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from tableside.api_keys.repository import ApiKeyRepository
from tableside.api_keys.schemas import ApiKeyCreate
from tableside.audit import service as audit
from tableside.auth.dependencies import Principal
from tableside.auth.permissions import can_grant_role
from tableside.auth.tokens import hash_token, new_opaque_token
from tableside.errors import Forbidden, NotFound, ValidationFailed
from tableside.kit.pagination import ListParams
from tableside.kit.schemas import utcnow
from tableside.models import ApiKey

KEY_PREFIX = "tsk_"
SHOWN_PREFIX_LENGTH = 12


async def list_keys(
    session: AsyncSession, principal: Principal, params: ListParams, *, include_revoked: bool
) -> tuple[Sequence[ApiKey], int]:
    return await ApiKeyRepository(session, principal.business_id).list(
        params, include_revoked=include_revoked
    )


async def create_key(
    session: AsyncSession, principal: Principal, data: ApiKeyCreate
) -> tuple[ApiKey, str]:
    """Create a key; the secret is returned once and only its hash is stored."""
    if not can_grant_role(principal.role, data.role):
        raise Forbidden(f"A {principal.role} cannot create a key with the role {data.role}")
    if data.expires_at is not None and data.expires_at <= utcnow():
        raise ValidationFailed(
            details=[{"field": "expires_at", "message": "must be in the future"}]
        )
    raw_key = new_opaque_token(KEY_PREFIX)
    key = await ApiKeyRepository(session, principal.business_id).add(
        ApiKey(
            business_id=principal.business_id,
            name=data.name,
            prefix=raw_key[:SHOWN_PREFIX_LENGTH],
            key_hash=hash_token(raw_key),
            role=data.role,
            kitchen_profile=data.kitchen_profile,
            created_by_id=principal.user_id,
            expires_at=data.expires_at,
        )
    )
    await audit.record(
        session,
        business_id=principal.business_id,
        action="api_key.created",
        principal=principal,
        entity_type="api_key",
        entity_id=key.id,
        details={"name": key.name, "role": str(key.role), "prefix": key.prefix},
    )
    return key, raw_key


async def get_key(session: AsyncSession, principal: Principal, key_id: uuid.UUID) -> ApiKey:
    key = await ApiKeyRepository(session, principal.business_id).get(key_id)
    if key is None:
        raise NotFound("API key not found")
    return key


async def revoke_key(session: AsyncSession, principal: Principal, key_id: uuid.UUID) -> None:
    """Revoke at once: the next request with this key is 401."""
    key = await get_key(session, principal, key_id)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        await ApiKeyRepository(session, principal.business_id).flush()
        await audit.record(
            session,
            business_id=principal.business_id,
            action="api_key.revoked",
            principal=principal,
            entity_type="api_key",
            entity_id=key.id,
            details={"name": key.name, "prefix": key.prefix},
        )

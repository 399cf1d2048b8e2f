"""Credential lookups. Most run before the tenant is known, so they use the system scope
explicitly and return rows that carry their own `business_id`; callers then scope the
transaction to that business."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tableside.db.database import enter_system_scope, leave_system_scope
from tableside.models import (
    ActionToken,
    ActionTokenPurpose,
    ApiKey,
    AuthSession,
    Business,
    Invitation,
    RefreshToken,
    User,
)


class CredentialRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def users_by_email(self, email: str) -> Sequence[tuple[User, Business]]:
        """Every membership of this email, across businesses (login, password reset)."""
        await enter_system_scope(self.session)
        try:
            stmt = (
                select(User, Business)
                .join(Business, Business.id == User.business_id)
                .where(User.email == email.lower())
                .order_by(User.created_at)
            )
            return [(u, b) for u, b in (await self.session.execute(stmt)).tuples().all()]
        finally:
            await leave_system_scope(self.session)

    async def refresh_token_by_hash(self, token_hash: str) -> RefreshToken | None:
        await enter_system_scope(self.session)
        try:
            stmt = select(RefreshToken).where(RefreshToken.token_hash == token_hash)
            return (await self.session.execute(stmt)).scalar_one_or_none()
        finally:
            await leave_system_scope(self.session)

    async def action_token_by_hash(
        self, token_hash: str, purpose: ActionTokenPurpose
    ) -> ActionToken | None:
        await enter_system_scope(self.session)
        try:
            stmt = (
                select(ActionToken)
                .where(ActionToken.token_hash == token_hash, ActionToken.purpose == purpose)
                .with_for_update()
            )
            return (await self.session.execute(stmt)).scalar_one_or_none()
        finally:
            await leave_system_scope(self.session)

    async def invitation_by_hash(self, token_hash: str) -> Invitation | None:
        await enter_system_scope(self.session)
        try:
            stmt = select(Invitation).where(Invitation.token_hash == token_hash).with_for_update()
            return (await self.session.execute(stmt)).scalar_one_or_none()
        finally:
            await leave_system_scope(self.session)

    async def api_key_by_hash(self, key_hash: str) -> ApiKey | None:
        await enter_system_scope(self.session)
        try:
            stmt = select(ApiKey).where(ApiKey.key_hash == key_hash)
            return (await self.session.execute(stmt)).scalar_one_or_none()
        finally:
            await leave_system_scope(self.session)

    async def slug_taken(self, slug: str) -> bool:
        await enter_system_scope(self.session)
        try:
            stmt = select(Business.id).where(Business.slug == slug)
            return (await self.session.execute(stmt)).first() is not None
        finally:
            await leave_system_scope(self.session)

    # The queries below run inside the tenant scope the caller has already set.

    async def active_login(
        self, business_id: uuid.UUID, user_id: uuid.UUID, session_id: uuid.UUID
    ) -> tuple[User, AuthSession] | None:
        """The user and login session named by an access token, if both are still valid."""
        stmt = (
            select(User, AuthSession)
            .join(AuthSession, AuthSession.user_id == User.id)
            .where(
                User.business_id == business_id,
                User.id == user_id,
                User.is_active.is_(True),
                AuthSession.id == session_id,
                AuthSession.revoked_at.is_(None),
            )
        )
        row = (await self.session.execute(stmt)).tuples().first()
        return (row[0], row[1]) if row else None

    async def lock_session(self, business_id: uuid.UUID, session_id: uuid.UUID) -> AuthSession:
        stmt = (
            select(AuthSession)
            .where(AuthSession.business_id == business_id, AuthSession.id == session_id)
            .with_for_update()
        )
        return (await self.session.execute(stmt)).scalar_one()

    async def get_user(self, business_id: uuid.UUID, user_id: uuid.UUID) -> User | None:
        stmt = select(User).where(User.business_id == business_id, User.id == user_id)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def get_business(self, business_id: uuid.UUID) -> Business:
        stmt = select(Business).where(Business.id == business_id)
        return (await self.session.execute(stmt)).scalar_one()

    async def revoke_session(
        self, business_id: uuid.UUID, session_id: uuid.UUID, reason: str, now: datetime
    ) -> None:
        await self.session.execute(
            update(AuthSession)
            .where(
                AuthSession.business_id == business_id,
                AuthSession.id == session_id,
                AuthSession.revoked_at.is_(None),
            )
            .values(revoked_at=now, revoked_reason=reason)
        )

    async def revoke_user_sessions(
        self, business_id: uuid.UUID, user_id: uuid.UUID, reason: str, now: datetime
    ) -> None:
        await self.session.execute(
            update(AuthSession)
            .where(
                AuthSession.business_id == business_id,
                AuthSession.user_id == user_id,
                AuthSession.revoked_at.is_(None),
            )
            .values(revoked_at=now, revoked_reason=reason)
        )

    async def invalidate_action_tokens(
        self, business_id: uuid.UUID, user_id: uuid.UUID, purpose: ActionTokenPurpose, now: datetime
    ) -> None:
        """Older unused tokens of the same purpose die when a new one is issued or one is used."""
        await self.session.execute(
            update(ActionToken)
            .where(
                ActionToken.business_id == business_id,
                ActionToken.user_id == user_id,
                ActionToken.purpose == purpose,
                ActionToken.used_at.is_(None),
            )
            .values(used_at=now)
        )

    async def add(self, *entities: object) -> None:
        self.session.add_all(entities)
        await self.session.flush()

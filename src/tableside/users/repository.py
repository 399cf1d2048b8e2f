"""SQL for users and invitations."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select

from tableside.kit.pagination import ListParams
from tableside.kit.repository import TenantRepository
from tableside.models import Invitation, Role, User


class UserRepository(TenantRepository[User]):
    model = User
    sortable = {
        "created_at": "created_at",
        "full_name": "full_name",
        "email": "email",
        "role": "role",
        "last_login_at": "last_login_at",
    }
    default_sort = "full_name"
    searchable = ("full_name", "email", "phone")

    async def list(
        self, params: ListParams, *, role: Role | None = None, is_active: bool | None = None
    ) -> tuple[Sequence[User], int]:
        stmt = self.base_select()
        if role is not None:
            stmt = stmt.where(User.role == role)
        if is_active is not None:
            stmt = stmt.where(User.is_active.is_(is_active))
        return await self.paginate(stmt, params)

    async def get_by_email(self, email: str) -> User | None:
        stmt = self.base_select().where(User.email == email.lower())
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def lock_active_owners(self) -> int:
        """Lock the active owners and count them, so two concurrent demotions cannot both
        pass the "at least one owner remains" check."""
        stmt = (
            select(User.id)
            .where(
                User.business_id == self.business_id,
                User.role == Role.owner,
                User.is_active.is_(True),
            )
            .with_for_update()
        )
        return len((await self.session.execute(stmt)).all())

    async def lock(self, user: User) -> None:
        """Serialise changes to one user (role changes, deactivation) across requests."""
        await self.session.execute(self.base_select().where(User.id == user.id).with_for_update())


class InvitationRepository(TenantRepository[Invitation]):
    model = Invitation
    sortable = {"created_at": "created_at", "email": "email", "expires_at": "expires_at"}
    default_order_desc = True
    searchable = ("email",)

    async def list(
        self, params: ListParams, *, pending_only: bool
    ) -> tuple[Sequence[Invitation], int]:
        stmt = self.base_select()
        if pending_only:
            stmt = stmt.where(
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > func.now(),
            )
        return await self.paginate(stmt, params)

"""Managing the people of a business: accounts, roles, deactivation and invitations."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from tableside.audit import service as audit
from tableside.auth.dependencies import Principal
from tableside.auth.passwords import hash_password
from tableside.auth.permissions import ROLE_RANK, can_grant_role
from tableside.auth.repository import CredentialRepository
from tableside.auth.tokens import hash_token, new_opaque_token
from tableside.config import Settings
from tableside.email.service import queue_email
from tableside.errors import DuplicateEntry, Forbidden, InvalidState, NotFound
from tableside.kit.pagination import ListParams
from tableside.kit.schemas import utcnow
from tableside.models import Invitation, Role, User
from tableside.users.repository import InvitationRepository, UserRepository
from tableside.users.schemas import InvitationCreate, UserCreate, UserUpdate


def _check_can_grant(principal: Principal, role: Role) -> None:
    if not can_grant_role(principal.role, role):
        raise Forbidden(f"A {principal.role} cannot give the role {role}")


def _check_can_manage(principal: Principal, target: User) -> None:
    """Nobody manages someone of a higher rank (an admin cannot touch an owner)."""
    if ROLE_RANK[target.role] > ROLE_RANK[principal.role]:
        raise Forbidden(f"A {principal.role} cannot change a {target.role}")


async def list_users(
    session: AsyncSession,
    principal: Principal,
    params: ListParams,
    *,
    role: Role | None,
    is_active: bool | None,
) -> tuple[Sequence[User], int]:
    return await UserRepository(session, principal.business_id).list(
        params, role=role, is_active=is_active
    )


async def get_user(session: AsyncSession, principal: Principal, user_id: uuid.UUID) -> User:
    user = await UserRepository(session, principal.business_id).get(user_id)
    if user is None:
        raise NotFound("User not found")
    return user


async def create_user(session: AsyncSession, principal: Principal, data: UserCreate) -> User:
    """Create a staff account directly (for staff who will log in at a shared till)."""
    _check_can_grant(principal, data.role)
    repository = UserRepository(session, principal.business_id)
    email = data.email.lower()
    if await repository.get_by_email(email) is not None:
        raise DuplicateEntry(
            "A user with this email already exists in this business",
            details=[{"field": "email", "message": "already exists"}],
        )
    user = await repository.add(
        User(
            business_id=principal.business_id,
            email=email,
            full_name=data.full_name,
            phone=data.phone,
            hashed_password=hash_password(data.password),
            role=data.role,
            kitchen_profile=data.kitchen_profile,
        )
    )
    await audit.record(
        session,
        business_id=principal.business_id,
        action="user.created",
        principal=principal,
        entity_type="user",
        entity_id=user.id,
        details={"email": user.email, "role": str(user.role)},
    )
    return user


async def update_user(
    session: AsyncSession, principal: Principal, user_id: uuid.UUID, changes: UserUpdate
) -> User:
    """Change profile, role, kitchen profile or active flag, keeping at least one owner."""
    repository = UserRepository(session, principal.business_id)
    user = await get_user(session, principal, user_id)
    await repository.lock(user)
    await session.refresh(user)
    _check_can_manage(principal, user)
    updates = changes.model_dump(exclude_unset=True)
    new_role = updates.get("role")
    deactivating = updates.get("is_active") is False and user.is_active
    if principal.user_id == user.id and (
        (new_role is not None and new_role != user.role) or deactivating
    ):
        raise Forbidden("You cannot change your own role or deactivate yourself")
    if new_role is not None and new_role != user.role:
        _check_can_grant(principal, new_role)
    losing_owner = user.role == Role.owner and (
        (new_role is not None and new_role != Role.owner) or deactivating
    )
    if losing_owner and await repository.lock_active_owners() <= 1:
        raise InvalidState("The business must keep at least one active owner")

    old_role, old_profile = user.role, user.kitchen_profile
    for field, value in updates.items():
        setattr(user, field, value)
    await repository.flush()

    if (new_role is not None and new_role != old_role) or user.kitchen_profile != old_profile:
        await audit.record(
            session,
            business_id=principal.business_id,
            action="user.role_changed",
            principal=principal,
            entity_type="user",
            entity_id=user.id,
            details={
                "from": {"role": str(old_role), "kitchen_profile": _text(old_profile)},
                "to": {"role": str(user.role), "kitchen_profile": _text(user.kitchen_profile)},
            },
        )
    if deactivating:
        await _end_sessions(session, principal, user, "user.deactivated")
    elif updates.get("is_active"):
        await audit.record(
            session,
            business_id=principal.business_id,
            action="user.reactivated",
            principal=principal,
            entity_type="user",
            entity_id=user.id,
        )
    other_fields = set(updates) - {"role", "kitchen_profile", "is_active"}
    if other_fields:
        await audit.record(
            session,
            business_id=principal.business_id,
            action="user.updated",
            principal=principal,
            entity_type="user",
            entity_id=user.id,
            details={"fields": sorted(other_fields)},
        )
    return user


async def deactivate_user(session: AsyncSession, principal: Principal, user_id: uuid.UUID) -> User:
    """Deactivate an account: its sessions end at once and its tokens stop working."""
    return await update_user(session, principal, user_id, UserUpdate(is_active=False))


async def _end_sessions(
    session: AsyncSession, principal: Principal, user: User, action: str
) -> None:
    await CredentialRepository(session).revoke_user_sessions(
        principal.business_id, user.id, "deactivated", utcnow()
    )
    await audit.record(
        session,
        business_id=principal.business_id,
        action=action,
        principal=principal,
        entity_type="user",
        entity_id=user.id,
    )


def _text(value: object) -> str | None:
    return None if value is None else str(value)


async def list_invitations(
    session: AsyncSession, principal: Principal, params: ListParams, *, pending_only: bool
) -> tuple[Sequence[Invitation], int]:
    return await InvitationRepository(session, principal.business_id).list(
        params, pending_only=pending_only
    )


async def create_invitation(
    session: AsyncSession, principal: Principal, data: InvitationCreate, settings: Settings
) -> tuple[Invitation, str]:
    """Invite someone by email with a role no higher than the inviter's; returns the token once."""
    _check_can_grant(principal, data.role)
    email = data.email.lower()
    if await UserRepository(session, principal.business_id).get_by_email(email) is not None:
        raise DuplicateEntry(
            "This person already has an account in this business",
            details=[{"field": "email", "message": "already a member"}],
        )
    token = new_opaque_token("inv_")
    invitation = await InvitationRepository(session, principal.business_id).add(
        Invitation(
            business_id=principal.business_id,
            email=email,
            role=data.role,
            kitchen_profile=data.kitchen_profile,
            token_hash=hash_token(token),
            invited_by_id=principal.user_id,
            expires_at=utcnow() + timedelta(days=settings.invitation_days),
        )
    )
    business = await CredentialRepository(session).get_business(principal.business_id)
    await queue_email(
        session,
        business_id=principal.business_id,
        to=email,
        subject=f"You are invited to join {business.name} on Tableside",
        body=(
            f"{principal.display} invited you to join {business.name} as {data.role}.\n\n"
            f"Register at {settings.public_url}/docs#/auth/register with this invitation token:\n"
            f"{token}\n\nThe invitation expires in {settings.invitation_days} days."
        ),
        created_by_id=principal.user_id,
    )
    await audit.record(
        session,
        business_id=principal.business_id,
        action="invitation.created",
        principal=principal,
        entity_type="invitation",
        entity_id=invitation.id,
        details={"email": email, "role": str(data.role)},
    )
    return invitation, token


async def revoke_invitation(
    session: AsyncSession, principal: Principal, invitation_id: uuid.UUID
) -> None:
    repository = InvitationRepository(session, principal.business_id)
    invitation = await repository.get(invitation_id)
    if invitation is None:
        raise NotFound("Invitation not found")
    if invitation.accepted_at is not None:
        raise InvalidState("This invitation has already been accepted")
    if invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
        await repository.flush()
        await audit.record(
            session,
            business_id=principal.business_id,
            action="invitation.revoked",
            principal=principal,
            entity_type="invitation",
            entity_id=invitation.id,
        )

"""Registration, login, token rotation, logout, password reset and email verification."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from tableside.audit import service as audit
from tableside.auth.dependencies import Principal
from tableside.auth.passwords import hash_password, verify_password
from tableside.auth.permissions import PERMISSIONS, is_allowed
from tableside.auth.repository import CredentialRepository
from tableside.auth.schemas import (
    LoginRequest,
    PasswordChange,
    PasswordResetConfirm,
    PasswordResetRequest,
    ProfileUpdate,
    RegisterRequest,
    TokenPair,
)
from tableside.auth.tokens import create_access_token, hash_token, new_opaque_token
from tableside.config import Settings
from tableside.db.database import enter_system_scope, set_tenant
from tableside.email.service import queue_email
from tableside.errors import BadRequest, DuplicateEntry, Unauthorized
from tableside.kit.schemas import utcnow
from tableside.kit.validators import slugify
from tableside.models import (
    ActionToken,
    ActionTokenPurpose,
    AuthSession,
    Business,
    Location,
    LocationType,
    RefreshToken,
    Role,
    User,
)

LOGIN_FAILED = "Incorrect email or password"


@dataclass(frozen=True)
class ClientInfo:
    ip_address: str | None
    user_agent: str | None


async def _issue_tokens(
    session: AsyncSession,
    settings: Settings,
    user: User,
    auth_session: AuthSession,
) -> TokenPair:
    """A fresh access token and a new refresh token in the login session's family."""
    refresh_lifetime = timedelta(days=settings.refresh_token_days)
    access_lifetime = timedelta(minutes=settings.access_token_minutes)
    refresh_token = new_opaque_token("rt_")
    session.add(
        RefreshToken(
            business_id=user.business_id,
            session_id=auth_session.id,
            token_hash=hash_token(refresh_token),
            expires_at=utcnow() + refresh_lifetime,
        )
    )
    access_token, _ = create_access_token(
        user_id=user.id,
        business_id=user.business_id,
        session_id=auth_session.id,
        secret=settings.resolved_secret_key(),
        algorithm=settings.jwt_algorithm,
        lifetime=access_lifetime,
    )
    await session.flush()
    return TokenPair(
        access_token=access_token,
        refresh_token=refresh_token,
        expires_in=int(access_lifetime.total_seconds()),
        refresh_expires_in=int(refresh_lifetime.total_seconds()),
    )


async def _start_session(
    session: AsyncSession, settings: Settings, user: User, client: ClientInfo
) -> TokenPair:
    auth_session = AuthSession(
        business_id=user.business_id,
        user_id=user.id,
        ip_address=client.ip_address,
        user_agent=(client.user_agent or "")[:400] or None,
        last_used_at=utcnow(),
    )
    session.add(auth_session)
    await session.flush()
    user.last_login_at = utcnow()
    return await _issue_tokens(session, settings, user, auth_session)


async def _unique_slug(credentials: CredentialRepository, name: str) -> str:
    base = slugify(name)
    if not await credentials.slug_taken(base):
        return base
    for _ in range(20):
        candidate = f"{base[:52]}-{secrets.token_hex(3)}"
        if not await credentials.slug_taken(candidate):
            return candidate
    raise DuplicateEntry("Could not find a free slug for this business name")


async def register(
    session: AsyncSession, settings: Settings, data: RegisterRequest, client: ClientInfo
) -> tuple[User, Business, TokenPair]:
    """Create a business with its owner, or join one through an invitation."""
    credentials = CredentialRepository(session)
    email = data.email.lower()
    if data.invitation_token is not None:
        invitation = await credentials.invitation_by_hash(hash_token(data.invitation_token))
        now = utcnow()
        if (
            invitation is None
            or invitation.accepted_at is not None
            or invitation.revoked_at is not None
            or invitation.expires_at <= now
        ):
            raise BadRequest("This invitation is invalid, used, revoked or expired")
        if invitation.email != email:
            raise BadRequest("This invitation was sent to another email address")
        await set_tenant(session, invitation.business_id)
        business = await credentials.get_business(invitation.business_id)
        role, kitchen_profile = invitation.role, invitation.kitchen_profile
        invitation.accepted_at = now
        # An invitation proves the address received mail.
        verified_at = now
    else:
        assert data.business_name is not None
        slug = await _unique_slug(credentials, data.business_name)
        await enter_system_scope(session)
        business = Business(name=data.business_name, slug=slug)
        session.add(business)
        await session.flush()
        await set_tenant(session, business.id)
        session.add(
            Location(business_id=business.id, name=data.business_name, type=LocationType.restaurant)
        )
        role, kitchen_profile, verified_at = Role.owner, None, None

    existing = [
        u for u, _ in await credentials.users_by_email(email) if u.business_id == business.id
    ]
    if existing:
        raise DuplicateEntry(
            "This email already has an account in this business",
            details=[{"field": "email", "message": "already exists"}],
        )
    user = User(
        business_id=business.id,
        email=email,
        full_name=data.full_name,
        hashed_password=hash_password(data.password),
        role=role,
        kitchen_profile=kitchen_profile,
        email_verified_at=verified_at,
    )
    session.add(user)
    await session.flush()
    tokens = await _start_session(session, settings, user, client)
    await audit.record(
        session,
        business_id=business.id,
        action="auth.registered" if data.invitation_token is None else "auth.joined",
        actor_user_id=user.id,
        actor_email=user.email,
        entity_type="user",
        entity_id=user.id,
        details={"role": str(role)},
    )
    if verified_at is None:
        await _send_verification(session, settings, user)
    return user, business, tokens


async def login(
    session: AsyncSession, settings: Settings, data: LoginRequest, client: ClientInfo
) -> TokenPair:
    """Check the password and open a login session; failures are audited and look identical."""
    email = data.email.lower()
    memberships = await CredentialRepository(session).users_by_email(email)
    if data.business_slug:
        memberships = [(u, b) for u, b in memberships if b.slug == data.business_slug]
    matches = [
        (user, business)
        for user, business in memberships
        if verify_password(data.password, user.hashed_password)
    ]
    if not memberships:
        verify_password(data.password, None)
    active = [(u, b) for u, b in matches if u.is_active and b.is_active]
    if not active:
        for user, business in memberships:
            await set_tenant(session, business.id)
            await audit.record(
                session,
                business_id=business.id,
                action="auth.login_failed",
                actor_user_id=user.id,
                actor_email=email,
                entity_type="user",
                entity_id=user.id,
                details={"reason": "inactive" if matches else "bad_password"},
            )
        raise Unauthorized(LOGIN_FAILED, keep_changes=True)
    if len(active) > 1:
        raise BadRequest(
            "This email belongs to several businesses: send business_slug",
            details=[
                {"field": "business_slug", "message": f"one of: {business.slug}"}
                for _, business in active
            ],
        )
    user, business = active[0]
    await set_tenant(session, business.id)
    tokens = await _start_session(session, settings, user, client)
    await audit.record(
        session,
        business_id=business.id,
        action="auth.login",
        actor_user_id=user.id,
        actor_email=user.email,
        entity_type="user",
        entity_id=user.id,
    )
    return tokens


async def refresh(session: AsyncSession, settings: Settings, raw_token: str) -> TokenPair:
    """Rotate a refresh token. Presenting a used one revokes its whole family."""
    credentials = CredentialRepository(session)
    token = await credentials.refresh_token_by_hash(hash_token(raw_token))
    if token is None:
        raise Unauthorized("Invalid refresh token")
    await set_tenant(session, token.business_id)
    auth_session = await credentials.lock_session(token.business_id, token.session_id)
    await session.refresh(token)
    now = utcnow()
    if token.used_at is not None:
        if auth_session.revoked_at is None:
            await credentials.revoke_session(token.business_id, auth_session.id, "token_reuse", now)
            await audit.record(
                session,
                business_id=token.business_id,
                action="auth.refresh_token_reused",
                actor_user_id=auth_session.user_id,
                entity_type="auth_session",
                entity_id=auth_session.id,
            )
        raise Unauthorized(
            "This refresh token was already used; the session has been revoked",
            keep_changes=True,
        )
    if auth_session.revoked_at is not None or token.expires_at <= now:
        raise Unauthorized("This refresh token has expired or its session has ended")
    user = await credentials.get_user(token.business_id, auth_session.user_id)
    if user is None or not user.is_active:
        raise Unauthorized("This account is inactive")
    token.used_at = now
    auth_session.last_used_at = now
    return await _issue_tokens(session, settings, user, auth_session)


async def logout(session: AsyncSession, principal: Principal) -> None:
    """End the caller's login session: its access and refresh tokens stop working."""
    if principal.session_id is None:
        raise BadRequest("API keys have no session to log out of; revoke the key instead")
    await CredentialRepository(session).revoke_session(
        principal.business_id, principal.session_id, "logout", utcnow()
    )
    await audit.record(
        session,
        business_id=principal.business_id,
        action="auth.logout",
        principal=principal,
        entity_type="auth_session",
        entity_id=principal.session_id,
    )


async def _create_action_token(
    session: AsyncSession, user: User, purpose: ActionTokenPurpose, lifetime: timedelta
) -> str:
    credentials = CredentialRepository(session)
    now = utcnow()
    await credentials.invalidate_action_tokens(user.business_id, user.id, purpose, now)
    token = new_opaque_token()
    await credentials.add(
        ActionToken(
            business_id=user.business_id,
            user_id=user.id,
            purpose=purpose,
            token_hash=hash_token(token),
            expires_at=now + lifetime,
        )
    )
    return token


async def _send_verification(session: AsyncSession, settings: Settings, user: User) -> None:
    token = await _create_action_token(
        session,
        user,
        ActionTokenPurpose.email_verification,
        timedelta(hours=settings.email_verification_hours),
    )
    await queue_email(
        session,
        business_id=user.business_id,
        to=user.email,
        subject="Confirm your email for Tableside",
        body=(
            f"Hello {user.full_name},\n\nConfirm your email address by sending\n"
            f"POST {settings.public_url}/api/v1/auth/verify-email/{token}\n\n"
            f"The link expires in {settings.email_verification_hours} hours."
        ),
        created_by_id=user.id,
    )


async def resend_verification(
    session: AsyncSession, settings: Settings, principal: Principal
) -> None:
    if principal.user is None:
        raise BadRequest("API keys have no email to verify")
    if principal.user.email_verified_at is None:
        await _send_verification(session, settings, principal.user)


async def request_password_reset(
    session: AsyncSession, settings: Settings, data: PasswordResetRequest
) -> None:
    """Email a reset token to every active account with this address; reveal nothing."""
    memberships = await CredentialRepository(session).users_by_email(data.email.lower())
    for user, business in memberships:
        if not user.is_active or (data.business_slug and business.slug != data.business_slug):
            continue
        await set_tenant(session, business.id)
        token = await _create_action_token(
            session,
            user,
            ActionTokenPurpose.password_reset,
            timedelta(minutes=settings.password_reset_minutes),
        )
        await queue_email(
            session,
            business_id=business.id,
            to=user.email,
            subject=f"Reset your Tableside password for {business.name}",
            body=(
                f"Hello {user.full_name},\n\nUse this token to choose a new password "
                f"(POST {settings.public_url}/api/v1/auth/password-reset/confirm):\n{token}\n\n"
                f"It expires in {settings.password_reset_minutes} minutes. If you did not ask "
                "for it, ignore this email."
            ),
        )
        await audit.record(
            session,
            business_id=business.id,
            action="auth.password_reset_requested",
            actor_user_id=user.id,
            actor_email=user.email,
            entity_type="user",
            entity_id=user.id,
        )


async def _consume_action_token(
    session: AsyncSession, raw_token: str, purpose: ActionTokenPurpose
) -> User:
    credentials = CredentialRepository(session)
    token = await credentials.action_token_by_hash(hash_token(raw_token), purpose)
    now = utcnow()
    if token is None or token.used_at is not None or token.expires_at <= now:
        raise BadRequest("This token is invalid, already used or expired")
    await set_tenant(session, token.business_id)
    token.used_at = now
    user = await credentials.get_user(token.business_id, token.user_id)
    if user is None or not user.is_active:
        raise BadRequest("This token is invalid, already used or expired")
    return user


async def confirm_password_reset(session: AsyncSession, data: PasswordResetConfirm) -> None:
    """Set the new password and end every session of the account."""
    user = await _consume_action_token(session, data.token, ActionTokenPurpose.password_reset)
    await _set_password(session, user, data.new_password, "auth.password_reset")


async def _set_password(session: AsyncSession, user: User, password: str, action: str) -> None:
    credentials = CredentialRepository(session)
    now = utcnow()
    user.hashed_password = hash_password(password)
    await credentials.revoke_user_sessions(user.business_id, user.id, "password_changed", now)
    await credentials.invalidate_action_tokens(
        user.business_id, user.id, ActionTokenPurpose.password_reset, now
    )
    await audit.record(
        session,
        business_id=user.business_id,
        action=action,
        actor_user_id=user.id,
        actor_email=user.email,
        entity_type="user",
        entity_id=user.id,
    )


async def change_password(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    data: PasswordChange,
    client: ClientInfo,
) -> TokenPair:
    """Change one's own password: other sessions end, this one gets fresh tokens."""
    user = principal.user
    if user is None:
        raise BadRequest("API keys have no password")
    if not verify_password(data.current_password, user.hashed_password):
        raise Unauthorized("The current password is incorrect")
    await _set_password(session, user, data.new_password, "auth.password_changed")
    return await _start_session(session, settings, user, client)


async def verify_email(session: AsyncSession, raw_token: str) -> User:
    user = await _consume_action_token(session, raw_token, ActionTokenPurpose.email_verification)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    await audit.record(
        session,
        business_id=user.business_id,
        action="auth.email_verified",
        actor_user_id=user.id,
        actor_email=user.email,
        entity_type="user",
        entity_id=user.id,
    )
    return user


async def update_profile(session: AsyncSession, principal: Principal, data: ProfileUpdate) -> User:
    if principal.user is None:
        raise BadRequest("API keys have no profile")
    for field, value in data.model_dump(exclude_unset=True).items():
        setattr(principal.user, field, value)
    await session.flush()
    return principal.user


async def me(
    session: AsyncSession, principal: Principal
) -> tuple[User, Business, dict[str, list[str]]]:
    """The caller, their business and what the permission matrix lets them do."""
    if principal.user is None:
        raise BadRequest("This endpoint is for users; API keys have no profile")
    business = await CredentialRepository(session).get_business(principal.business_id)
    permissions = {
        str(area): [
            str(action)
            for action in actions
            if is_allowed(principal.role, principal.kitchen_profile, area, action)
        ]
        for area, actions in PERMISSIONS.items()
    }
    return principal.user, business, {k: v for k, v in permissions.items() if v}

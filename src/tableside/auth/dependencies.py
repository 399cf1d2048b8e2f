"""Who is calling: the principal behind a bearer token or an API key, and the role check."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession

from tableside.auth.permissions import Action, Area, is_allowed
from tableside.auth.repository import CredentialRepository
from tableside.auth.tokens import decode_access_token, hash_token
from tableside.config import Settings
from tableside.db.database import set_tenant
from tableside.db.session import SessionDep
from tableside.errors import Forbidden, Unauthorized
from tableside.http.ratelimit import RateLimiter
from tableside.kit.schemas import utcnow
from tableside.models import ApiKey, KitchenProfile, Role, User

bearer_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/login", auto_error=False)
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False)

API_KEY_TOUCH_INTERVAL = timedelta(minutes=1)


@dataclass
class Principal:
    """The caller of a request: a user through a login session, or an API key."""

    business_id: uuid.UUID
    role: Role
    kitchen_profile: KitchenProfile | None
    user: User | None = None
    api_key: ApiKey | None = None
    session_id: uuid.UUID | None = None
    # Copied at authentication: after a rollback the ORM user is expired, and the access log
    # (which runs after the transaction) must not touch it.
    user_id: uuid.UUID | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.user_id = self.user.id if self.user is not None else None

    @property
    def rate_limit_key(self) -> str:
        if self.user is not None:
            return f"user:{self.user.id}"
        assert self.api_key is not None
        return f"apikey:{self.api_key.id}"

    @property
    def display(self) -> str:
        if self.user is not None:
            return self.user.email
        assert self.api_key is not None
        return f"api-key:{self.api_key.prefix}"

    def can(self, area: Area, action: Action) -> bool:
        return is_allowed(self.role, self.kitchen_profile, area, action)


async def authenticate(
    request: Request,
    session: SessionDep,
    token: Annotated[str | None, Depends(bearer_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Principal:
    """Resolve the caller, scope the transaction to their business and count the request."""
    settings: Settings = request.app.state.settings
    if token:
        principal = await _principal_from_token(session, token, settings)
    elif api_key:
        principal = await _principal_from_api_key(session, api_key)
    else:
        raise Unauthorized("Authentication required")
    request.state.principal = principal
    limiter: RateLimiter = request.app.state.rate_limiter
    state = await limiter.hit_principal(
        principal.rate_limit_key, f"business:{principal.business_id}"
    )
    if state is not None:
        request.state.rate_limit = state
    return principal


async def _principal_from_token(session: AsyncSession, token: str, settings: Settings) -> Principal:
    claims = decode_access_token(
        token, secret=settings.resolved_secret_key(), algorithm=settings.jwt_algorithm
    )
    if claims is None:
        raise Unauthorized("Invalid or expired access token")
    await set_tenant(session, claims.business_id)
    login = await CredentialRepository(session).active_login(
        claims.business_id, claims.user_id, claims.session_id
    )
    if login is None:
        raise Unauthorized("This session has ended or the account is inactive")
    user, auth_session = login
    return Principal(
        business_id=user.business_id,
        role=user.role,
        kitchen_profile=user.kitchen_profile,
        user=user,
        session_id=auth_session.id,
    )


async def _principal_from_api_key(session: AsyncSession, raw_key: str) -> Principal:
    key = await CredentialRepository(session).api_key_by_hash(hash_token(raw_key))
    now = utcnow()
    if key is None or key.revoked_at is not None or (key.expires_at and key.expires_at <= now):
        raise Unauthorized("Invalid, revoked or expired API key")
    await set_tenant(session, key.business_id)
    if key.last_used_at is None or now - key.last_used_at > API_KEY_TOUCH_INTERVAL:
        key.last_used_at = now
    return Principal(
        business_id=key.business_id,
        role=key.role,
        kitchen_profile=key.kitchen_profile,
        api_key=key,
    )


CurrentPrincipal = Annotated[Principal, Depends(authenticate)]


def require(area: Area, action: Action) -> Callable[..., Awaitable[Principal]]:
    """A dependency that admits only principals the matrix allows for `area` and `action`."""

    async def check(principal: CurrentPrincipal) -> Principal:
        if not principal.can(area, action):
            raise Forbidden(
                f"Your role ({principal.role}) cannot {action} {area.replace('_', ' ')}"
            )
        return principal

    return check

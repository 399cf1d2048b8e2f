"""JWT access tokens and opaque random tokens stored only as hashes."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

ACCESS_TOKEN_TYPE = "access"


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    business_id: uuid.UUID
    session_id: uuid.UUID
    expires_at: datetime


def create_access_token(
    *,
    user_id: uuid.UUID,
    business_id: uuid.UUID,
    session_id: uuid.UUID,
    secret: str,
    algorithm: str,
    lifetime: timedelta,
) -> tuple[str, datetime]:
    """A signed access token naming the user, business and login session."""
    now = datetime.now(UTC)
    expires_at = now + lifetime
    payload = {
        "sub": str(user_id),
        "bid": str(business_id),
        "sid": str(session_id),
        "typ": ACCESS_TOKEN_TYPE,
        "iat": int(now.timestamp()),
        "exp": int(expires_at.timestamp()),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(payload, secret, algorithm=algorithm), expires_at


def decode_access_token(token: str, *, secret: str, algorithm: str) -> AccessClaims | None:
    """The token's claims, or None when it is malformed, forged, expired or not an access token."""
    try:
        payload = jwt.decode(
            token, secret, algorithms=[algorithm], options={"require": ["exp", "sub", "bid", "sid"]}
        )
        if payload.get("typ") != ACCESS_TOKEN_TYPE:
            return None
        return AccessClaims(
            user_id=uuid.UUID(payload["sub"]),
            business_id=uuid.UUID(payload["bid"]),
            session_id=uuid.UUID(payload["sid"]),
            expires_at=datetime.fromtimestamp(payload["exp"], UTC),
        )
    except (jwt.PyJWTError, ValueError, KeyError, TypeError):
        return None


def new_opaque_token(prefix: str = "") -> str:
    """A random, URL-safe token with 256 bits of entropy."""
    return prefix + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Tokens are stored only as SHA-256 digests; high entropy makes a slow hash unnecessary."""
    return hashlib.sha256(token.encode()).hexdigest()

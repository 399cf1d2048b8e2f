"""Rate limits per user, per business and per anonymous client, on the `limits` library.

Counters live in memory by default and in Redis when `TABLESIDE_REDIS_URL` is set, so every
API process behind a load balancer shares one budget.

Authenticated requests are counted by `tableside.auth.dependencies.authenticate`, which knows the
user and business; `AnonymousRateLimitMiddleware` counts everything else by client address and
puts the `X-RateLimit-*` headers on every response.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, cast

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tableside.auth.tokens import AccessClaims, decode_access_token
from tableside.config import Settings
from tableside.errors import RateLimited
from tableside.http.errors import error_response
from tableside.http.middleware import client_ip, header

DEFAULT_KEY_PREFIX = "tableside"

# Paths that must stay reachable however busy a client is: probes, scrapers and the docs.
EXEMPT_PATHS = ("/health", "/metrics", "/docs", "/redoc", "/openapi.json")

_RATE_LIMIT_HEADERS = (b"x-ratelimit-limit", b"x-ratelimit-remaining", b"x-ratelimit-reset")
_CLAIMS_STATE_KEY = "_bearer_claims"


@dataclass(frozen=True)
class RateLimitState:
    """What the `X-RateLimit-*` headers report: the tightest limit that applied."""

    limit: int
    remaining: int
    reset_at: float

    def headers(self) -> dict[str, str]:
        """The `X-RateLimit-Limit`, `-Remaining` and `-Reset` (epoch seconds) headers."""
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(self.remaining, 0)),
            "X-RateLimit-Reset": str(math.ceil(self.reset_at)),
        }


class RateLimiter:
    """Moving-window counters for users, businesses and anonymous clients."""

    def __init__(self, settings: Settings, key_prefix: str = DEFAULT_KEY_PREFIX) -> None:
        self.enabled = settings.rate_limit_enabled
        self.storage: Storage = (
            # An `async+` URI always yields an async storage. `limits` defaults to the coredis
            # client; we ship redis-py, so ask for it.
            cast(
                Storage,
                storage_from_string(
                    _async_uri(settings.redis_url), implementation="redispy", key_prefix=key_prefix
                ),
            )
            if settings.redis_url
            else MemoryStorage()
        )
        self.strategy = MovingWindowRateLimiter(self.storage)
        self.user_limit = parse(settings.rate_limit_user)
        self.business_limit = parse(settings.rate_limit_business)
        self.anonymous_limit = parse(settings.rate_limit_anonymous)

    async def hit_principal(self, user_key: str, business_key: str) -> RateLimitState | None:
        """Count one request against the caller's own and their business's budget.

        Raises `RateLimited` (with `Retry-After`) when either budget is spent; returns the
        tightest of the two states, or None when rate limiting is off.
        """
        return await self._hit(
            [(self.user_limit, "user", user_key), (self.business_limit, "business", business_key)]
        )

    async def hit_anonymous(self, client_key: str) -> RateLimitState | None:
        """Count one request from a client that sent no credentials (raises `RateLimited`)."""
        return await self._hit([(self.anonymous_limit, "anon", client_key)])

    async def _hit(self, checks: list[tuple[RateLimitItem, str, str]]) -> RateLimitState | None:
        if not self.enabled:
            return None
        tightest: RateLimitState | None = None
        for item, scope, key in checks:
            allowed = await self.strategy.hit(item, scope, key)
            stats = await self.strategy.get_window_stats(item, scope, key)
            state = RateLimitState(item.amount, stats.remaining, stats.reset_time)
            if not allowed:
                retry_after = max(1, math.ceil(stats.reset_time - time.time()))
                raise RateLimited(
                    f"Rate limit of {item.amount} per {item.multiples} {item.GRANULARITY.name}"
                    f" exceeded for this {'client' if scope == 'anon' else scope}",
                    headers={**state.headers(), "Retry-After": str(retry_after)},
                )
            if tightest is None or state.remaining < tightest.remaining:
                tightest = state
        return tightest

    async def check_storage(self) -> bool:
        """Whether the counter storage answers (for the health check)."""
        return bool(await self.storage.check())

    async def reset(self) -> None:
        """Forget every counter under this limiter's key prefix."""
        await self.storage.reset()


def _async_uri(url: str) -> str:
    return url if url.startswith("async+") else f"async+{url}"


def bearer_claims(scope: Scope) -> AccessClaims | None:
    """The claims of a valid bearer access token on the request, decoded once per request.

    Only the signature and expiry are checked (no database): enough to tell a caller with a
    genuine token from one sending junk, not enough to trust the session is still live.
    """
    state: dict[str, Any] = scope.setdefault("state", {})
    if _CLAIMS_STATE_KEY in state:
        cached: AccessClaims | None = state[_CLAIMS_STATE_KEY]
        return cached
    claims: AccessClaims | None = None
    authorization = header(scope, b"authorization")
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            settings: Settings = scope["app"].state.settings
            claims = decode_access_token(
                token.strip(),
                secret=settings.resolved_secret_key(),
                algorithm=settings.jwt_algorithm,
            )
    state[_CLAIMS_STATE_KEY] = claims
    return claims


def is_exempt(path: str) -> bool:
    """Whether `path` is a probe or documentation path that is never rate limited."""
    return any(path == p or path.startswith(p + "/") for p in EXEMPT_PATHS)


class AnonymousRateLimitMiddleware:
    """Count requests without credentials per client address; add `X-RateLimit-*` headers.

    A request is anonymous when it has no `X-API-Key` and no bearer token that verifies; it is
    counted before the app runs and refused with 429 once the client's budget is spent. Checking
    the token's signature (not just the presence of `Authorization`) stops a client escaping the
    budget of public endpoints such as login by sending `Authorization: Bearer junk`.

    A request that did send credentials is normally counted by the auth dependency. When it was
    not (the route is public, or the credentials were rejected), it is charged to the anonymous
    budget as its response starts, and a client already over that budget gets 429 instead of
    the response: otherwise any API key string, or a caller's own valid token, would buy
    unlimited login attempts.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_exempt(scope["path"]):
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        limiter: RateLimiter = scope["app"].state.rate_limiter
        anonymous = _is_anonymous(scope)
        if anonymous:
            try:
                limit_state = await limiter.hit_anonymous(client_ip(scope))
            except RateLimited as exc:
                await error_response(exc, state.get("request_id"))(scope, receive, send)
                return
            if limit_state is not None:
                state["rate_limit"] = limit_state
        replaced = False

        async def send_with_headers(message: Message) -> None:
            nonlocal replaced
            if replaced:
                return  # the rest of a response we answered with 429 instead
            if message["type"] == "http.response.start":
                if not anonymous and "rate_limit" not in state and message["status"] != 429:
                    try:
                        late_state = await limiter.hit_anonymous(client_ip(scope))
                    except RateLimited as exc:
                        replaced = True
                        await error_response(exc, state.get("request_id"))(scope, receive, send)
                        return
                    if late_state is not None:
                        state["rate_limit"] = late_state
                # Read at response time: the auth dependency sets it while the app runs.
                current: RateLimitState | None = state.get("rate_limit")
                if current is not None:
                    message["headers"] = with_rate_limit_headers(
                        list(message.get("headers", [])), current
                    )
            await send(message)

        await self.app(scope, receive, send_with_headers)


def with_rate_limit_headers(
    headers: list[tuple[bytes, bytes]], state: RateLimitState
) -> list[tuple[bytes, bytes]]:
    """`headers` plus the `X-RateLimit-*` ones, unless the response already carries them."""
    if any(name.lower() in _RATE_LIMIT_HEADERS for name, _ in headers):
        return headers
    return headers + [(k.lower().encode(), v.encode()) for k, v in state.headers().items()]


def _is_anonymous(scope: Scope) -> bool:
    if header(scope, b"x-api-key"):
        return False
    return bearer_claims(scope) is None

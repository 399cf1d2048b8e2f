"""Rate limits: anonymous clients by address, users and businesses by budget, shared via Redis."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tableside.app import create_app
from tableside.config import Settings
from tableside.db.database import Database
from tableside.errors import RateLimited
from tableside.http.ratelimit import RateLimiter, is_exempt
from tests.conftest import make_settings
from tests.factories import Account, add_user, assert_error, register

NOWHERE = "/api/v1/no-such-route"  # routing answers 404 without touching the database
ME = "/api/v1/auth/me"
REDIS_URL = os.environ.get("TABLESIDE_TEST_REDIS_URL")

ClientFactory = Callable[..., httpx.AsyncClient]


@pytest.fixture
async def make_client() -> AsyncIterator[ClientFactory]:
    """A client for `app` that calls from `ip`."""
    clients: list[httpx.AsyncClient] = []

    def build(app: FastAPI, ip: str = "203.0.113.7") -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(ip, 40000))
        http = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        clients.append(http)
        return http

    yield build
    for http in clients:
        await http.aclose()


@pytest.fixture
def build_app(database_url: str, database: Database) -> Callable[..., FastAPI]:
    """An app with its own settings (and so its own in-memory counters)."""

    def build(**overrides: Any) -> FastAPI:
        return create_app(make_settings(database_url, **overrides), database=database)

    return build


def assert_rate_limit_headers(response: httpx.Response, limit: int, remaining: int) -> None:
    assert response.headers["x-ratelimit-limit"] == str(limit)
    assert response.headers["x-ratelimit-remaining"] == str(remaining)
    reset = int(response.headers["x-ratelimit-reset"])
    assert time.time() - 1 <= reset <= time.time() + 3600


def assert_rate_limited(response: httpx.Response, limit: int) -> dict[str, Any]:
    error = assert_error(response, 429, "RATE_LIMITED")
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert_rate_limit_headers(response, limit, 0)
    return error


# --- anonymous clients ---------------------------------------------------------------------


async def test_anonymous_clients_are_limited_per_address(
    build_app: Callable[..., FastAPI], make_client: ClientFactory
) -> None:
    app = build_app(rate_limit_anonymous="3/minute")
    http = make_client(app)

    allowed = [await http.get(NOWHERE) for _ in range(3)]
    refused = await http.get(NOWHERE)

    assert [r.status_code for r in allowed] == [404, 404, 404]
    assert [r.headers["x-ratelimit-remaining"] for r in allowed] == ["2", "1", "0"]
    assert_rate_limit_headers(allowed[0], 3, 2)
    error = assert_rate_limited(refused, 3)
    assert "client" in error["message"]
    assert refused.headers["x-request-id"] == error["request_id"]

    elsewhere = make_client(app, ip="198.51.100.9")
    assert (await elsewhere.get(NOWHERE)).status_code == 404


async def test_probes_and_docs_are_never_limited(
    build_app: Callable[..., FastAPI], make_client: ClientFactory
) -> None:
    app = build_app(rate_limit_anonymous="1/minute")
    http = make_client(app)
    assert (await http.get(NOWHERE)).status_code == 404
    assert (await http.get(NOWHERE)).status_code == 429

    docs = await http.get("/openapi.json")

    assert docs.status_code == 200
    assert "x-ratelimit-limit" not in docs.headers
    assert all(is_exempt(p) for p in ("/health", "/metrics", "/docs", "/docs/oauth2-redirect"))
    assert not is_exempt("/healthz")


async def test_a_junk_bearer_token_is_still_anonymous(
    build_app: Callable[..., FastAPI], make_client: ClientFactory
) -> None:
    app = build_app(rate_limit_anonymous="2/minute")
    http = make_client(app)
    junk = {"Authorization": "Bearer not-a-jwt"}

    assert (await http.get(NOWHERE, headers=junk)).status_code == 404
    assert (await http.get(NOWHERE, headers=junk)).status_code == 404
    assert_rate_limited(await http.get(NOWHERE, headers=junk), 2)


async def test_credentials_on_a_public_route_are_charged_to_the_address(
    build_app: Callable[..., FastAPI], make_client: ClientFactory
) -> None:
    """An `X-API-Key` header (valid or not) must not buy unlimited login attempts."""
    app = build_app(rate_limit_anonymous="2/minute")
    http = make_client(app)
    attempt = {"email": "nobody@example.com", "password": "wrong-password"}
    junk = {"X-API-Key": "ts_guess"}

    first = await http.post("/api/v1/auth/login", json=attempt, headers=junk)
    second = await http.post("/api/v1/auth/login", json=attempt, headers=junk)
    third = await http.post("/api/v1/auth/login", json=attempt, headers=junk)

    assert first.status_code == second.status_code == 401
    assert_rate_limit_headers(second, 2, 0)
    assert_rate_limited(third, 2)


async def test_disabled_limits_add_no_headers(
    build_app: Callable[..., FastAPI], make_client: ClientFactory
) -> None:
    app = build_app(rate_limit_anonymous="1/minute", rate_limit_enabled=False)
    http = make_client(app)
    responses = [await http.get(NOWHERE) for _ in range(3)]
    assert [r.status_code for r in responses] == [404, 404, 404]
    assert "x-ratelimit-limit" not in responses[-1].headers


# --- users and businesses ------------------------------------------------------------------


async def test_authenticated_responses_carry_rate_limit_headers(
    client: httpx.AsyncClient, owner: Account
) -> None:
    response = await client.get(ME, headers=owner.headers)
    assert response.status_code == 200
    assert int(response.headers["x-ratelimit-limit"]) == 100000
    assert 0 < int(response.headers["x-ratelimit-remaining"]) < 100000
    assert int(response.headers["x-ratelimit-reset"]) >= int(time.time())


async def test_each_user_has_a_budget(
    build_app: Callable[..., FastAPI], make_client: ClientFactory
) -> None:
    app = build_app(rate_limit_user="3/minute")
    http = make_client(app)
    owner = await register(http)
    colleague = await add_user(http, owner, "manager")
    await app.state.rate_limiter.reset()  # setting up spent some of the owner's budget

    allowed = [await http.get(ME, headers=owner.headers) for _ in range(3)]
    refused = await http.get(ME, headers=owner.headers)
    other = await http.get(ME, headers=colleague.headers)

    assert [r.status_code for r in allowed] == [200, 200, 200]
    assert_rate_limit_headers(allowed[-1], 3, 0)
    error = assert_rate_limited(refused, 3)
    assert "user" in error["message"]
    assert other.status_code == 200
    assert_rate_limit_headers(other, 3, 2)


async def test_a_business_shares_one_budget(
    build_app: Callable[..., FastAPI], make_client: ClientFactory
) -> None:
    app = build_app(rate_limit_business="4/minute")
    http = make_client(app)
    owner = await register(http)
    colleague = await add_user(http, owner, "manager")
    outsider = await register(http, business_name="Elsewhere")
    await app.state.rate_limiter.reset()

    for account in (owner, owner, colleague):
        assert (await http.get(ME, headers=account.headers)).status_code == 200
    last = await http.get(ME, headers=colleague.headers)
    refused = await http.get(ME, headers=owner.headers)
    unrelated = await http.get(ME, headers=outsider.headers)

    assert last.status_code == 200
    assert_rate_limit_headers(last, 4, 0)  # the business budget is the tighter one
    error = assert_rate_limited(refused, 4)
    assert "business" in error["message"]
    assert unrelated.status_code == 200


async def test_rate_limiter_reports_the_tightest_budget() -> None:
    settings = Settings(
        rate_limit_user="5/minute", rate_limit_business="2/minute", rate_limit_anonymous="1/hour"
    )
    limiter = RateLimiter(settings)

    first = await limiter.hit_principal("user:a", "business:x")
    assert first is not None and (first.limit, first.remaining) == (2, 1)
    second = await limiter.hit_principal("user:b", "business:x")
    assert second is not None and second.remaining == 0
    with pytest.raises(RateLimited) as refused:
        await limiter.hit_principal("user:a", "business:x")
    assert refused.value.headers["X-RateLimit-Limit"] == "2"
    assert "Retry-After" in refused.value.headers

    assert await limiter.hit_principal("user:a", "business:y") is not None
    assert await limiter.hit_anonymous("10.0.0.1") is not None
    with pytest.raises(RateLimited):
        await limiter.hit_anonymous("10.0.0.1")


# --- Redis: one budget across processes ----------------------------------------------------


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    """A key prefix of this test's own, removed afterwards."""
    if not REDIS_URL:
        pytest.skip("TABLESIDE_TEST_REDIS_URL is not set")
    prefix = f"tableside-test-{uuid.uuid4().hex}"
    yield prefix
    cleaner = RateLimiter(Settings(redis_url=REDIS_URL), key_prefix=prefix)
    await cleaner.reset()


@pytest.mark.redis
async def test_apps_sharing_redis_share_one_budget(
    build_app: Callable[..., FastAPI], make_client: ClientFactory, redis_prefix: str
) -> None:
    apps = [build_app(redis_url=REDIS_URL, rate_limit_anonymous="4/minute") for _ in range(2)]
    for app in apps:
        # The same prefix on both, as two processes of one deployment would have.
        app.state.rate_limiter = RateLimiter(app.state.settings, key_prefix=redis_prefix)
    first, second = (make_client(app) for app in apps)

    responses = [
        await first.get(NOWHERE),
        await second.get(NOWHERE),
        await first.get(NOWHERE),
        await second.get(NOWHERE),
    ]
    refused_here = await first.get(NOWHERE)
    refused_there = await second.get(NOWHERE)

    assert [r.status_code for r in responses] == [404] * 4
    assert [r.headers["x-ratelimit-remaining"] for r in responses] == ["3", "2", "1", "0"]
    assert_rate_limited(refused_here, 4)
    assert_rate_limited(refused_there, 4)
    assert await apps[0].state.rate_limiter.check_storage()


@pytest.mark.redis
async def test_user_budgets_are_shared_through_redis(
    build_app: Callable[..., FastAPI], make_client: ClientFactory, redis_prefix: str
) -> None:
    apps = [build_app(redis_url=REDIS_URL, rate_limit_user="3/minute") for _ in range(2)]
    for app in apps:
        app.state.rate_limiter = RateLimiter(app.state.settings, key_prefix=redis_prefix)
    first, second = (make_client(app) for app in apps)
    owner = await register(first)
    await apps[0].state.rate_limiter.reset()

    statuses = [
        (await http.get(ME, headers=owner.headers)).status_code for http in (first, second, first)
    ]
    refused = await second.get(ME, headers=owner.headers)

    assert statuses == [200, 200, 200]
    assert_rate_limited(refused, 3)

"""Idempotency keys on POST: replay, conflicts, concurrency, scoping and what is not stored."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import func, select, update

from tableside.app import create_app
from tableside.db.database import Database
from tableside.http import idempotency
from tableside.kit.schemas import utcnow
from tableside.models.idempotency import IdempotencyRecord
from tests.conftest import make_settings
from tests.factories import Account, assert_error, register, unique_email

LOCATIONS = "/api/v1/locations"  # names are unique per business
API_KEYS = "/api/v1/api-keys"  # names may repeat, so a second run creates a second key


def keyed(account: Account | None = None, key: str | None = None) -> dict[str, str]:
    headers = dict(account.headers) if account else {}
    headers["Idempotency-Key"] = key or uuid.uuid4().hex
    return headers


async def resource_count(client: httpx.AsyncClient, account: Account, path: str = LOCATIONS) -> int:
    response = await client.get(path, headers=account.headers)
    assert response.status_code == 200, response.text
    return int(response.json()["total"])


async def record_count(database: Database, key: str) -> int:
    async with database.session() as session:
        count = await session.scalar(
            select(func.count()).select_from(IdempotencyRecord).where(IdempotencyRecord.key == key)
        )
    return int(count or 0)


class Probe:
    """Test-only POST routes whose calls the tests count, gate and fail on purpose."""

    def __init__(self) -> None:
        self.calls = 0
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        self.fail_first = 0

    def install(self, app: FastAPI) -> None:
        async def gated(payload: dict[str, Any]) -> dict[str, Any]:
            self.calls += 1
            call = self.calls
            self.entered.set()
            await asyncio.wait_for(self.release.wait(), timeout=10)
            return {"call": call, "echo": payload}

        async def flaky(payload: dict[str, Any]) -> JSONResponse:
            self.calls += 1
            if self.calls <= self.fail_first:
                return JSONResponse({"call": self.calls}, status_code=503)
            return JSONResponse({"call": self.calls}, status_code=201)

        async def crashing(payload: dict[str, Any]) -> dict[str, Any]:
            self.calls += 1
            if self.calls == 1:
                raise RuntimeError("boom")
            return {"call": self.calls}

        app.add_api_route("/api/v1/_probe/gated", gated, methods=["POST"])
        app.add_api_route("/api/v1/_probe/flaky", flaky, methods=["POST"])
        app.add_api_route("/api/v1/_probe/crashing", crashing, methods=["POST"])


AppFactory = Callable[..., Awaitable[tuple[FastAPI, httpx.AsyncClient]]]


@pytest.fixture
async def make_client(database_url: str, database: Database) -> AsyncIterator[AppFactory]:
    """Build an app with its own settings (and probe routes) and a client for it."""
    clients: list[httpx.AsyncClient] = []

    async def build(
        probe: Probe | None = None, **overrides: Any
    ) -> tuple[FastAPI, httpx.AsyncClient]:
        app = create_app(make_settings(database_url, **overrides), database=database)
        if probe is not None:
            probe.install(app)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        http = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        clients.append(http)
        return app, http

    yield build
    for http in clients:
        await http.aclose()


async def test_replay_is_byte_identical_and_the_handler_runs_once(
    client: httpx.AsyncClient, owner: Account
) -> None:
    headers = keyed(owner)
    before = await resource_count(client, owner)

    first = await client.post(LOCATIONS, headers=headers, json={"name": "Patio"})
    second = await client.post(LOCATIONS, headers=headers, json={"name": "Patio"})

    assert first.status_code == 201, first.text
    assert second.status_code == 201
    assert second.content == first.content
    assert second.headers["content-type"] == first.headers["content-type"]
    assert second.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await resource_count(client, owner) == before + 1


async def test_register_with_a_key_creates_one_business(client: httpx.AsyncClient) -> None:
    email = unique_email("idem")
    body = {
        "email": email,
        "password": "Passw0rd!x",
        "full_name": "Ida Empotent",
        "business_name": "Once Only",
    }
    headers = {"Idempotency-Key": uuid.uuid4().hex}

    first = await client.post("/api/v1/auth/register", json=body, headers=headers)
    second = await client.post("/api/v1/auth/register", json=body, headers=headers)

    assert first.status_code == 201, first.text
    # Without the key the second registration would be a DUPLICATE_ENTRY for the email.
    assert second.status_code == 201
    assert second.content == first.content
    assert second.headers["idempotent-replayed"] == "true"


async def test_the_x_prefixed_header_is_accepted(client: httpx.AsyncClient, owner: Account) -> None:
    headers = {**owner.headers, "X-Idempotency-Key": uuid.uuid4().hex}
    first = await client.post(LOCATIONS, headers=headers, json={"name": "Bar"})
    second = await client.post(LOCATIONS, headers=headers, json={"name": "Bar"})
    assert first.status_code == 201
    assert second.content == first.content
    assert second.headers["idempotent-replayed"] == "true"


async def test_same_key_with_a_different_body_is_a_conflict(
    client: httpx.AsyncClient, owner: Account
) -> None:
    headers = keyed(owner)
    first = await client.post(LOCATIONS, headers=headers, json={"name": "Terrace"})
    assert first.status_code == 201

    second = await client.post(LOCATIONS, headers=headers, json={"name": "Rooftop"})

    assert_error(second, 409, "IDEMPOTENCY_CONFLICT")
    assert "idempotent-replayed" not in second.headers


async def test_same_key_with_a_different_query_is_a_conflict(
    client: httpx.AsyncClient, owner: Account
) -> None:
    headers = keyed(owner)
    first = await client.post(LOCATIONS, headers=headers, json={"name": "Cellar"})
    assert first.status_code == 201
    second = await client.post(f"{LOCATIONS}?x=1", headers=headers, json={"name": "Cellar"})
    assert_error(second, 409, "IDEMPOTENCY_CONFLICT")


async def test_a_key_is_scoped_to_the_route(client: httpx.AsyncClient, owner: Account) -> None:
    headers = keyed(owner)
    created = await client.post(LOCATIONS, headers=headers, json={"name": "Kiosk"})
    other_route = await client.post(
        API_KEYS, headers=headers, json={"name": "Kiosk", "role": "viewer"}
    )
    assert created.status_code == 201
    assert other_route.status_code == 201, other_route.text
    assert "idempotent-replayed" not in other_route.headers


async def test_keys_belong_to_their_principal(client: httpx.AsyncClient) -> None:
    alice = await register(client, business_name="Alice's")
    bob = await register(client, business_name="Bob's")
    key = uuid.uuid4().hex

    for_alice = await client.post(LOCATIONS, headers=keyed(alice, key), json={"name": "Same"})
    for_bob = await client.post(LOCATIONS, headers=keyed(bob, key), json={"name": "Same"})

    assert for_alice.status_code == 201
    assert for_bob.status_code == 201
    assert "idempotent-replayed" not in for_bob.headers
    assert for_alice.json()["id"] != for_bob.json()["id"]
    assert await resource_count(client, bob) == await resource_count(client, alice)


async def test_an_api_key_is_its_own_principal(client: httpx.AsyncClient, owner: Account) -> None:
    created = await client.post(
        API_KEYS, headers=owner.headers, json={"name": "pos", "role": "admin"}
    )
    assert created.status_code == 201, created.text
    machine = {"X-API-Key": created.json()["key"]}
    key = uuid.uuid4().hex

    body = {"name": "dock", "role": "viewer"}
    by_owner = await client.post(API_KEYS, headers=keyed(owner, key), json=body)
    by_machine = await client.post(API_KEYS, headers={**machine, "Idempotency-Key": key}, json=body)
    replayed = await client.post(API_KEYS, headers={**machine, "Idempotency-Key": key}, json=body)

    assert by_owner.status_code == 201
    assert by_machine.status_code == 201, by_machine.text
    assert by_machine.json()["id"] != by_owner.json()["id"]
    assert replayed.content == by_machine.content
    assert replayed.headers["idempotent-replayed"] == "true"


async def test_requests_without_a_key_are_not_stored(
    client: httpx.AsyncClient, owner: Account
) -> None:
    before = await resource_count(client, owner, API_KEYS)
    body = {"name": "twice", "role": "viewer"}
    first = await client.post(API_KEYS, headers=owner.headers, json=body)
    second = await client.post(API_KEYS, headers=owner.headers, json=body)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]
    assert await resource_count(client, owner, API_KEYS) == before + 2


async def test_a_key_over_255_characters_is_a_validation_error(
    client: httpx.AsyncClient, owner: Account
) -> None:
    response = await client.post(
        LOCATIONS, headers=keyed(owner, "k" * 256), json={"name": "Too long"}
    )
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "Idempotency-Key"

    at_limit = await client.post(LOCATIONS, headers=keyed(owner, "k" * 255), json={"name": "Ok"})
    assert at_limit.status_code == 201


async def test_concurrent_duplicates_run_the_handler_once(
    make_client: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    probe = Probe()
    _app, http = await make_client(probe)
    waiting = asyncio.Event()

    async def observed_sleep(delay: float) -> None:
        # The duplicate is now polling for the first request's response: let that finish.
        waiting.set()
        await asyncio.sleep(0)

    monkeypatch.setattr(idempotency, "_sleep", observed_sleep)
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    body = {"order": 42}

    first = asyncio.create_task(http.post("/api/v1/_probe/gated", headers=headers, json=body))
    await asyncio.wait_for(probe.entered.wait(), timeout=10)
    second = asyncio.create_task(http.post("/api/v1/_probe/gated", headers=headers, json=body))
    await asyncio.wait_for(waiting.wait(), timeout=10)
    probe.release.set()
    responses = await asyncio.gather(first, second)

    assert probe.calls == 1
    assert [r.status_code for r in responses] == [200, 200]
    assert responses[0].content == responses[1].content == b'{"call":1,"echo":{"order":42}}'
    assert "idempotent-replayed" not in responses[0].headers
    assert responses[1].headers["idempotent-replayed"] == "true"


async def test_concurrent_duplicates_through_a_real_endpoint(
    client: httpx.AsyncClient, owner: Account
) -> None:
    headers = keyed(owner)
    before = await resource_count(client, owner)

    responses = await asyncio.gather(
        *(client.post(LOCATIONS, headers=headers, json={"name": "Race"}) for _ in range(4))
    )

    assert {r.status_code for r in responses} == {201}
    assert len({r.content for r in responses}) == 1
    assert sum("idempotent-replayed" in r.headers for r in responses) == 3
    assert await resource_count(client, owner) == before + 1


async def test_a_duplicate_that_waits_too_long_is_a_conflict(make_client: AppFactory) -> None:
    probe = Probe()
    _app, http = await make_client(probe, idempotency_wait_seconds=0)
    headers = {"Idempotency-Key": uuid.uuid4().hex}

    first = asyncio.create_task(http.post("/api/v1/_probe/gated", headers=headers, json={}))
    await asyncio.wait_for(probe.entered.wait(), timeout=10)
    second = await http.post("/api/v1/_probe/gated", headers=headers, json={})
    probe.release.set()
    completed = await first

    error = assert_error(second, 409, "IDEMPOTENCY_CONFLICT")
    assert "in progress" in error["message"]
    assert completed.status_code == 200
    assert probe.calls == 1


async def test_a_different_body_conflicts_even_while_the_first_runs(
    make_client: AppFactory,
) -> None:
    probe = Probe()
    _app, http = await make_client(probe)
    headers = {"Idempotency-Key": uuid.uuid4().hex}

    first = asyncio.create_task(http.post("/api/v1/_probe/gated", headers=headers, json={"a": 1}))
    await asyncio.wait_for(probe.entered.wait(), timeout=10)
    other = await http.post("/api/v1/_probe/gated", headers=headers, json={"a": 2})
    probe.release.set()
    await first

    assert_error(other, 409, "IDEMPOTENCY_CONFLICT")


async def test_5xx_responses_are_not_stored(make_client: AppFactory, database: Database) -> None:
    probe = Probe()
    probe.fail_first = 1
    _app, http = await make_client(probe)
    key = uuid.uuid4().hex
    headers = {"Idempotency-Key": key}

    failed = await http.post("/api/v1/_probe/flaky", headers=headers, json={})
    assert failed.status_code == 503
    assert await record_count(database, key) == 0

    retried = await http.post("/api/v1/_probe/flaky", headers=headers, json={})
    again = await http.post("/api/v1/_probe/flaky", headers=headers, json={})

    assert retried.status_code == 201
    assert retried.json() == {"call": 2}
    assert again.content == retried.content
    assert again.headers["idempotent-replayed"] == "true"
    assert probe.calls == 2


async def test_an_unhandled_error_releases_the_key(
    make_client: AppFactory, database: Database
) -> None:
    probe = Probe()
    _app, http = await make_client(probe)
    key = uuid.uuid4().hex
    headers = {"Idempotency-Key": key}

    crashed = await http.post("/api/v1/_probe/crashing", headers=headers, json={})
    assert_error(crashed, 500, "INTERNAL_ERROR")
    assert await record_count(database, key) == 0

    retried = await http.post("/api/v1/_probe/crashing", headers=headers, json={})
    assert retried.status_code == 200
    assert retried.json() == {"call": 2}


async def test_a_rejected_credential_is_not_stored(
    client: httpx.AsyncClient, owner: Account
) -> None:
    key = uuid.uuid4().hex
    rejected = await client.post(
        LOCATIONS, headers={"X-API-Key": "not-a-key", "Idempotency-Key": key}, json={"name": "X"}
    )
    assert_error(rejected, 401, "UNAUTHORIZED")
    again = await client.post(
        LOCATIONS, headers={"X-API-Key": "not-a-key", "Idempotency-Key": key}, json={"name": "X"}
    )
    assert "idempotent-replayed" not in again.headers


async def test_an_expired_record_counts_as_absent(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    key = uuid.uuid4().hex
    body = {"name": "old", "role": "viewer"}
    first = await client.post(API_KEYS, headers=keyed(owner, key), json=body)
    assert first.status_code == 201
    async with database.session() as session:
        await session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.key == key)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )

    second = await client.post(API_KEYS, headers=keyed(owner, key), json=body)

    assert second.status_code == 201
    assert "idempotent-replayed" not in second.headers
    assert second.json()["id"] != first.json()["id"]
    assert await record_count(database, key) == 1


async def test_the_record_expires_after_the_configured_ttl(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    key = uuid.uuid4().hex
    before = utcnow()
    response = await client.post(LOCATIONS, headers=keyed(owner, key), json={"name": "Ttl"})
    assert response.status_code == 201
    after = utcnow()
    async with database.session() as session:
        record = await session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.key == key))
    assert record is not None
    assert record.status == "completed"
    assert record.principal == f"user:{owner.user_id}"
    assert str(record.business_id) == owner.business_id
    assert before + timedelta(hours=24) <= record.expires_at <= after + timedelta(hours=24)


async def test_a_body_over_the_limit_is_413_and_claims_nothing(
    make_client: AppFactory, database: Database
) -> None:
    _app, http = await make_client(Probe(), max_body_bytes=64)
    key = uuid.uuid4().hex
    headers = {"Idempotency-Key": key, "Content-Type": "application/json"}

    declared = await http.post("/api/v1/_probe/gated", headers=headers, content=b"x" * 100)

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"x" * 10

    streamed = await http.post("/api/v1/_probe/gated", headers=headers, content=chunks())

    assert_error(declared, 413, "PAYLOAD_TOO_LARGE")
    assert_error(streamed, 413, "PAYLOAD_TOO_LARGE")
    assert await record_count(database, key) == 0


async def test_get_requests_ignore_the_key(client: httpx.AsyncClient, owner: Account) -> None:
    headers = keyed(owner)
    first = await client.get(LOCATIONS, headers=headers)
    second = await client.get(LOCATIONS, headers=headers)
    assert first.status_code == second.status_code == 200
    assert "idempotent-replayed" not in second.headers

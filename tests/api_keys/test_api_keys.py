"""API keys: shown once, stored hashed, act with their role, revoked at once."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from tableside.db.database import Database, enter_system_scope
from tableside.models import ApiKey
from tests.factories import add_user, assert_error, register


async def test_create_use_and_revoke(client: httpx.AsyncClient, database: Database) -> None:
    owner = await register(client)
    created = await client.post(
        "/api/v1/api-keys", headers=owner.headers, json={"name": "Other POS", "role": "manager"}
    )
    assert created.status_code == 201, created.text
    body = created.json()
    raw_key = body["key"]
    assert raw_key.startswith("tsk_")
    assert body["prefix"] == raw_key[:12]
    # Stored hashed: the raw key appears nowhere in the database row.
    async with database.session() as session:
        await enter_system_scope(session)
        row = (await session.execute(select(ApiKey).where(ApiKey.id == body["id"]))).scalar_one()
        assert raw_key not in (row.key_hash, row.prefix) and len(row.key_hash) == 64
    # Listing never shows the key again.
    listing = await client.get("/api/v1/api-keys", headers=owner.headers)
    assert "key" not in listing.json()["items"][0]

    key_headers = {"X-API-Key": raw_key}
    locations = await client.get("/api/v1/locations", headers=key_headers)
    assert locations.status_code == 200
    # A manager key cannot read users' admin-only areas.
    assert_error(await client.get("/api/v1/api-keys", headers=key_headers), 403, "FORBIDDEN")

    revoke = await client.delete(f"/api/v1/api-keys/{body['id']}", headers=owner.headers)
    assert revoke.status_code == 204
    assert_error(await client.get("/api/v1/locations", headers=key_headers), 401, "UNAUTHORIZED")
    audit = await client.get(
        "/api/v1/audit-log", headers=owner.headers, params={"entity_type": "api_key"}
    )
    assert {e["action"] for e in audit.json()["items"]} == {"api_key.created", "api_key.revoked"}


async def test_key_role_never_above_creator(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    admin = await add_user(client, owner, "admin")
    response = await client.post(
        "/api/v1/api-keys", headers=admin.headers, json={"name": "Too strong", "role": "owner"}
    )
    assert_error(response, 403, "FORBIDDEN")


async def test_expired_key_rejected(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    past = await client.post(
        "/api/v1/api-keys",
        headers=owner.headers,
        json={"name": "Old", "expires_at": "2001-01-01T00:00:00Z"},
    )
    assert_error(past, 422, "VALIDATION_ERROR")


async def test_other_business_key_not_found(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    stranger = await register(client)
    theirs = (
        await client.post("/api/v1/api-keys", headers=stranger.headers, json={"name": "Theirs"})
    ).json()
    assert_error(
        await client.get(f"/api/v1/api-keys/{theirs['id']}", headers=owner.headers),
        404,
        "NOT_FOUND",
    )
    assert_error(
        await client.delete(f"/api/v1/api-keys/{theirs['id']}", headers=owner.headers),
        404,
        "NOT_FOUND",
    )
    still_works = await client.get("/api/v1/locations", headers={"X-API-Key": theirs["key"]})
    assert still_works.status_code == 200


async def test_lower_roles_cannot_manage_keys(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    manager = await add_user(client, owner, "manager")
    response = await client.post("/api/v1/api-keys", headers=manager.headers, json={"name": "X"})
    assert_error(response, 403, "FORBIDDEN")

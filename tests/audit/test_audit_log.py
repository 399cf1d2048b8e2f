"""The audit log: what is recorded, who may read it, filters and isolation."""

from __future__ import annotations

import httpx

from tests.factories import add_user, assert_error, login, register


async def test_security_events_are_recorded_newest_first(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    cashier = await add_user(client, owner, "cashier")
    await client.patch(
        f"/api/v1/users/{cashier.user_id}", headers=owner.headers, json={"role": "manager"}
    )
    await login(client, cashier.email, "Wrong-Passw0rd")
    response = await client.get("/api/v1/audit-log", headers=owner.headers)
    assert response.status_code == 200
    entries = response.json()["items"]
    actions = [e["action"] for e in entries]
    for expected in (
        "auth.registered",
        "user.created",
        "auth.login",
        "user.role_changed",
        "auth.login_failed",
    ):
        assert expected in actions
    assert actions[0] == "auth.login_failed"
    stamps = [e["created_at"] for e in entries]
    assert stamps == sorted(stamps, reverse=True)
    role_change = next(e for e in entries if e["action"] == "user.role_changed")
    assert role_change["actor_user_id"] == owner.user_id
    assert role_change["entity_id"] == cashier.user_id
    assert role_change["details"]["to"]["role"] == "manager"
    assert role_change["request_id"]


async def test_filters_and_search(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    await add_user(client, owner, "viewer")
    by_entity = await client.get(
        "/api/v1/audit-log", headers=owner.headers, params={"entity_type": "user"}
    )
    assert by_entity.json()["total"] >= 2
    assert all(e["entity_type"] == "user" for e in by_entity.json()["items"])
    by_actor = await client.get(
        "/api/v1/audit-log", headers=owner.headers, params={"actor_user_id": owner.user_id}
    )
    assert all(e["actor_user_id"] == owner.user_id for e in by_actor.json()["items"])
    search = await client.get(
        "/api/v1/audit-log", headers=owner.headers, params={"search": "USER.CREATED"}
    )
    assert [e["action"] for e in search.json()["items"]] == ["user.created"]
    future = await client.get(
        "/api/v1/audit-log", headers=owner.headers, params={"since": "2999-01-01T00:00:00Z"}
    )
    assert future.json()["total"] == 0


async def test_only_owner_and_admin_read_it(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    admin = await add_user(client, owner, "admin")
    manager = await add_user(client, owner, "manager")
    assert (await client.get("/api/v1/audit-log", headers=admin.headers)).status_code == 200
    assert_error(await client.get("/api/v1/audit-log", headers=manager.headers), 403, "FORBIDDEN")


async def test_other_business_entries_are_invisible(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    stranger = await register(client)
    await login(client, stranger.email, "Wrong-Passw0rd")
    mine = (await client.get("/api/v1/audit-log", headers=owner.headers)).json()["items"]
    assert all(e["actor_email"] != stranger.email for e in mine)

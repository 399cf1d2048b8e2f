"""Users CRUD, role rules, kitchen profiles and invitations."""

from __future__ import annotations

import asyncio

import httpx

from tests.factories import PASSWORD, add_user, assert_error, login, register, unique_email


async def test_owner_creates_lists_and_updates_users(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    cook = await add_user(client, owner, "kitchen_staff", kitchen_profile="kitchen_write")
    listing = await client.get(
        "/api/v1/users", headers=owner.headers, params={"search": cook.email[:10].upper()}
    )
    assert listing.status_code == 200
    assert [u["id"] for u in listing.json()["items"]] == [cook.user_id]
    by_role = await client.get(
        "/api/v1/users", headers=owner.headers, params={"role": "kitchen_staff"}
    )
    assert by_role.json()["total"] == 1
    changed = await client.patch(
        f"/api/v1/users/{cook.user_id}",
        headers=owner.headers,
        json={"kitchen_profile": "kitchen_manager", "full_name": "Head Cook"},
    )
    assert changed.status_code == 200
    assert changed.json()["kitchen_profile"] == "kitchen_manager"
    audit = await client.get(
        "/api/v1/audit-log", headers=owner.headers, params={"action": "user.role_changed"}
    )
    assert audit.json()["total"] == 1


async def test_pagination_and_sorting(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    for _ in range(4):
        await add_user(client, owner, "viewer")
    page = await client.get(
        "/api/v1/users",
        headers=owner.headers,
        params={"page": 2, "page_size": 2, "sort_by": "email", "sort_order": "desc"},
    )
    body = page.json()
    assert body["total"] == 5
    assert body["pages"] == 3
    assert body["page"] == 2
    assert body["has_next"] is True and body["has_previous"] is True
    assert len(body["items"]) == 2
    all_users = await client.get(
        "/api/v1/users", headers=owner.headers, params={"sort_by": "email", "sort_order": "desc"}
    )
    emails = [u["email"] for u in all_users.json()["items"]]
    assert emails == sorted(emails, reverse=True)
    bad_sort = await client.get("/api/v1/users", headers=owner.headers, params={"sort_by": "nope"})
    assert_error(bad_sort, 422, "VALIDATION_ERROR")
    too_big = await client.get("/api/v1/users", headers=owner.headers, params={"page_size": 101})
    assert_error(too_big, 422, "VALIDATION_ERROR")


async def test_duplicate_email_in_business(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    cashier = await add_user(client, owner, "cashier")
    response = await client.post(
        "/api/v1/users",
        headers=owner.headers,
        json={
            "email": cashier.email.upper(),
            "full_name": "Again",
            "password": PASSWORD,
            "role": "cashier",
        },
    )
    assert_error(response, 409, "DUPLICATE_ENTRY")


async def test_role_ceiling_and_owner_protection(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    admin = await add_user(client, owner, "admin")
    # An admin cannot create an owner, nor change the owner.
    response = await client.post(
        "/api/v1/users",
        headers=admin.headers,
        json={"email": unique_email(), "full_name": "X", "password": PASSWORD, "role": "owner"},
    )
    assert_error(response, 403, "FORBIDDEN")
    response = await client.patch(
        f"/api/v1/users/{owner.user_id}", headers=admin.headers, json={"role": "viewer"}
    )
    assert_error(response, 403, "FORBIDDEN")
    # Nobody changes their own role.
    response = await client.patch(
        f"/api/v1/users/{admin.user_id}", headers=admin.headers, json={"role": "owner"}
    )
    assert_error(response, 403, "FORBIDDEN")
    # Two owners demoting each other at the same moment: one wins, an owner always remains.
    second_owner = await add_user(client, owner, "owner")
    results = await asyncio.gather(
        client.patch(
            f"/api/v1/users/{owner.user_id}", headers=second_owner.headers, json={"role": "admin"}
        ),
        client.patch(
            f"/api/v1/users/{second_owner.user_id}", headers=owner.headers, json={"role": "admin"}
        ),
    )
    assert sorted(r.status_code for r in results)[0] == 200
    assert sum(r.status_code == 200 for r in results) == 1
    owners = await client.get(
        "/api/v1/users", headers=admin.headers, params={"role": "owner", "is_active": True}
    )
    assert owners.json()["total"] == 1


async def test_manager_reads_users_but_cannot_write(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    manager = await add_user(client, owner, "manager")
    assert (await client.get("/api/v1/users", headers=manager.headers)).status_code == 200
    response = await client.post(
        "/api/v1/users",
        headers=manager.headers,
        json={"email": unique_email(), "full_name": "X", "password": PASSWORD, "role": "cashier"},
    )
    assert_error(response, 403, "FORBIDDEN")


async def test_invitation_flow(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    manager = await add_user(client, owner, "manager")
    invitee = unique_email("invitee")
    too_high = await client.post(
        "/api/v1/users/invitations",
        headers=manager.headers,
        json={"email": invitee, "role": "admin"},
    )
    assert_error(too_high, 403, "FORBIDDEN")
    created = await client.post(
        "/api/v1/users/invitations",
        headers=manager.headers,
        json={"email": invitee, "role": "wait_staff"},
    )
    assert created.status_code == 201, created.text
    token = created.json()["token"]

    wrong_email = await client.post(
        "/api/v1/auth/register",
        json={
            "email": unique_email("other"),
            "password": PASSWORD,
            "full_name": "Other",
            "invitation_token": token,
        },
    )
    assert_error(wrong_email, 400, "BAD_REQUEST")
    joined = await client.post(
        "/api/v1/auth/register",
        json={
            "email": invitee,
            "password": PASSWORD,
            "full_name": "Ivy Invitee",
            "invitation_token": token,
        },
    )
    assert joined.status_code == 201, joined.text
    body = joined.json()
    assert body["business"]["id"] == owner.business_id
    assert body["user"]["role"] == "wait_staff"
    again = await client.post(
        "/api/v1/auth/register",
        json={
            "email": invitee,
            "password": PASSWORD,
            "full_name": "Ivy Again",
            "invitation_token": token,
        },
    )
    assert_error(again, 400, "BAD_REQUEST")
    pending = await client.get(
        "/api/v1/users/invitations", headers=owner.headers, params={"pending_only": True}
    )
    assert pending.json()["total"] == 0


async def test_revoked_invitation_cannot_be_used(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    invitee = unique_email("revoked")
    created = await client.post(
        "/api/v1/users/invitations",
        headers=owner.headers,
        json={"email": invitee, "role": "viewer"},
    )
    invitation = created.json()
    revoke = await client.delete(
        f"/api/v1/users/invitations/{invitation['id']}", headers=owner.headers
    )
    assert revoke.status_code == 204
    response = await client.post(
        "/api/v1/auth/register",
        json={
            "email": invitee,
            "password": PASSWORD,
            "full_name": "Too Late",
            "invitation_token": invitation["token"],
        },
    )
    assert_error(response, 400, "BAD_REQUEST")


async def test_other_business_users_are_not_found(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    stranger = await register(client)
    for method, path in [
        ("GET", f"/api/v1/users/{stranger.user_id}"),
        ("PATCH", f"/api/v1/users/{stranger.user_id}"),
        ("POST", f"/api/v1/users/{stranger.user_id}/deactivate"),
        ("DELETE", f"/api/v1/users/{stranger.user_id}"),
    ]:
        response = await client.request(
            method, path, headers=owner.headers, json={} if method == "PATCH" else None
        )
        assert_error(response, 404, "NOT_FOUND")
    # The stranger is untouched.
    assert (await login(client, stranger.email)).status_code == 200


async def test_delete_user_deactivates(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    viewer = await add_user(client, owner, "viewer")
    response = await client.delete(f"/api/v1/users/{viewer.user_id}", headers=owner.headers)
    assert response.status_code == 204
    user = await client.get(f"/api/v1/users/{viewer.user_id}", headers=owner.headers)
    assert user.json()["is_active"] is False
    yourself = await client.delete(f"/api/v1/users/{owner.user_id}", headers=owner.headers)
    assert_error(yourself, 403, "FORBIDDEN")

"""Registration, login (JSON and OAuth2 form), /me and the password policy."""

from __future__ import annotations

import httpx
import pytest

from tests.factories import PASSWORD, assert_error, login, register, unique_email


async def test_register_creates_business_owner_and_location(client: httpx.AsyncClient) -> None:
    email = unique_email("founder")
    response = await client.post(
        "/api/v1/auth/register",
        json={
            "email": email,
            "password": PASSWORD,
            "full_name": "Ada Founder",
            "business_name": "Café Ünïcode & Co",
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 30 * 60
    assert body["refresh_expires_in"] == 7 * 24 * 3600
    assert body["user"]["role"] == "owner"
    assert body["user"]["email"] == email
    assert body["user"]["email_verified"] is False
    assert body["business"]["slug"].startswith("cafe-unicode-co")
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    locations = await client.get("/api/v1/locations", headers=headers)
    assert locations.status_code == 200
    assert locations.json()["total"] == 1


async def test_same_business_name_gets_distinct_slugs(client: httpx.AsyncClient) -> None:
    first = await register(client, business_name="Twin Diner")
    second = await register(client, business_name="Twin Diner")
    assert first.business_slug != second.business_slug


@pytest.mark.parametrize(
    ("password", "fragment"),
    [
        ("Sh0rt!", "at least 8"),
        ("alllowercase1", "upper-case"),
        ("ALLUPPERCASE1", "lower-case"),
        ("NoDigitsHere", "digit"),
    ],
)
async def test_password_policy(client: httpx.AsyncClient, password: str, fragment: str) -> None:
    response = await client.post(
        "/api/v1/auth/register",
        json={
            "email": unique_email(),
            "password": password,
            "full_name": "X",
            "business_name": "Policy Place",
        },
    )
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "password"
    assert fragment in error["details"][0]["message"]


async def test_register_requires_exactly_one_way_in(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/register",
        json={"email": unique_email(), "password": PASSWORD, "full_name": "X"},
    )
    assert_error(response, 422, "VALIDATION_ERROR")


async def test_register_cannot_choose_a_role(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/register",
        json={
            "email": unique_email(),
            "password": PASSWORD,
            "full_name": "Sneaky",
            "business_name": "Mine",
            "role": "admin",
        },
    )
    assert_error(response, 422, "VALIDATION_ERROR")


async def test_login_json_and_me(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    response = await login(client, owner.email)
    assert response.status_code == 200, response.text
    tokens = response.json()
    me = await client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert me.status_code == 200
    body = me.json()
    assert body["email"] == owner.email
    assert body["role"] == "owner"
    assert body["business"]["id"] == owner.business_id
    assert "manage" in body["permissions"]["business"]
    assert me.headers["X-RateLimit-Limit"]


async def test_login_oauth2_form(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    response = await client.post(
        "/api/v1/auth/login",
        data={"username": owner.email, "password": PASSWORD, "grant_type": "password"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["access_token"]


async def test_login_failures_look_the_same_and_are_audited(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    wrong_password = await login(client, owner.email, "Wrong-Passw0rd")
    unknown_email = await login(client, unique_email("nobody"), "Wrong-Passw0rd")
    first = assert_error(wrong_password, 401, "UNAUTHORIZED")
    second = assert_error(unknown_email, 401, "UNAUTHORIZED")
    assert first["message"] == second["message"]
    assert wrong_password.headers["WWW-Authenticate"] == "Bearer"
    log = await client.get(
        "/api/v1/audit-log", headers=owner.headers, params={"action": "auth.login_failed"}
    )
    assert log.status_code == 200
    assert log.json()["total"] == 1
    assert log.json()["items"][0]["actor_email"] == owner.email


async def test_email_in_two_businesses_needs_slug(client: httpx.AsyncClient) -> None:
    email = unique_email("multi")
    first = await register(client, email=email, business_name="First Place")
    second = await register(client, email=email, business_name="Second Place")
    ambiguous = await login(client, email)
    error = assert_error(ambiguous, 400, "BAD_REQUEST")
    assert "business_slug" in error["message"]
    chosen = await login(client, email, business_slug=second.business_slug)
    assert chosen.status_code == 200
    me = await client.get(
        "/api/v1/auth/me",
        headers={"Authorization": f"Bearer {chosen.json()['access_token']}"},
    )
    assert me.json()["business"]["id"] == second.business_id != first.business_id


async def test_missing_and_garbage_tokens(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/api/v1/auth/me"), 401, "UNAUTHORIZED")
    assert_error(
        await client.get("/api/v1/auth/me", headers={"Authorization": "Bearer not-a-jwt"}),
        401,
        "UNAUTHORIZED",
    )
    assert_error(
        await client.get("/api/v1/auth/me", headers={"X-API-Key": "tsk_nope"}),
        401,
        "UNAUTHORIZED",
    )


async def test_expired_access_token_is_rejected(client: httpx.AsyncClient, settings) -> None:  # type: ignore[no-untyped-def]
    import uuid
    from datetime import timedelta

    from tableside.auth.tokens import create_access_token

    owner = await register(client)
    me = (await client.get("/api/v1/auth/me", headers=owner.headers)).json()
    token, _ = create_access_token(
        user_id=uuid.UUID(me["id"]),
        business_id=uuid.UUID(owner.business_id),
        session_id=uuid.uuid4(),
        secret=settings.resolved_secret_key(),
        algorithm=settings.jwt_algorithm,
        lifetime=timedelta(seconds=-5),
    )
    response = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert_error(response, 401, "UNAUTHORIZED")


async def test_forged_token_is_rejected(client: httpx.AsyncClient) -> None:
    import jwt

    owner = await register(client)
    claims = jwt.decode(owner.access_token, options={"verify_signature": False})
    forged = jwt.encode(claims, "another-secret-entirely-0123456789abcdef", algorithm="HS256")
    response = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {forged}"})
    assert_error(response, 401, "UNAUTHORIZED")


async def test_update_profile(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    response = await client.patch(
        "/api/v1/auth/me", headers=owner.headers, json={"full_name": "New Name"}
    )
    assert response.status_code == 200
    assert response.json()["full_name"] == "New Name"
    response = await client.patch("/api/v1/auth/me", headers=owner.headers, json={"role": "admin"})
    assert_error(response, 422, "VALIDATION_ERROR")

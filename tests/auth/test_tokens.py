"""Refresh rotation and reuse detection, logout, deactivation, password reset, verification."""

from __future__ import annotations

import asyncio

import httpx

from tableside.db.database import Database
from tests.factories import (
    PASSWORD,
    add_user,
    assert_error,
    emails_to,
    login,
    register,
    token_in,
)


async def test_refresh_rotates_and_old_token_dies(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    first = await client.post("/api/v1/auth/refresh", json={"refresh_token": owner.refresh_token})
    assert first.status_code == 200, first.text
    rotated = first.json()
    assert rotated["refresh_token"] != owner.refresh_token
    me = await client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {rotated['access_token']}"}
    )
    assert me.status_code == 200


async def test_reusing_a_refresh_token_revokes_the_family(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    rotated = (
        await client.post("/api/v1/auth/refresh", json={"refresh_token": owner.refresh_token})
    ).json()
    reuse = await client.post("/api/v1/auth/refresh", json={"refresh_token": owner.refresh_token})
    assert_error(reuse, 401, "UNAUTHORIZED")
    # The thief's reuse kills the legitimate newer token and the session's access tokens too.
    newer = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]}
    )
    assert_error(newer, 401, "UNAUTHORIZED")
    me = await client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {rotated['access_token']}"}
    )
    assert_error(me, 401, "UNAUTHORIZED")
    # Other logins of the same user are not affected.
    other = await login(client, owner.email)
    assert other.status_code == 200


async def test_concurrent_refresh_with_one_token_succeeds_at_most_once(
    client: httpx.AsyncClient,
) -> None:
    owner = await register(client)
    results = await asyncio.gather(
        *(
            client.post("/api/v1/auth/refresh", json={"refresh_token": owner.refresh_token})
            for _ in range(3)
        )
    )
    assert sum(r.status_code == 200 for r in results) <= 1
    assert all(r.status_code in (200, 401) for r in results)


async def test_unknown_refresh_token(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": "rt_this-token-does-not-exist"}
    )
    assert_error(response, 401, "UNAUTHORIZED")


async def test_logout_ends_access_and_refresh(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    response = await client.post("/api/v1/auth/logout", headers=owner.headers)
    assert response.status_code == 204
    assert_error(await client.get("/api/v1/auth/me", headers=owner.headers), 401, "UNAUTHORIZED")
    refresh = await client.post("/api/v1/auth/refresh", json={"refresh_token": owner.refresh_token})
    assert_error(refresh, 401, "UNAUTHORIZED")


async def test_deactivated_user_tokens_stop_at_once(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    cashier = await add_user(client, owner, "cashier")
    assert (await client.get("/api/v1/auth/me", headers=cashier.headers)).status_code == 200
    response = await client.post(
        f"/api/v1/users/{cashier.user_id}/deactivate", headers=owner.headers
    )
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert_error(await client.get("/api/v1/auth/me", headers=cashier.headers), 401, "UNAUTHORIZED")
    refresh = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": cashier.refresh_token}
    )
    assert_error(refresh, 401, "UNAUTHORIZED")
    assert_error(await login(client, cashier.email), 401, "UNAUTHORIZED")


async def test_password_reset_flow(client: httpx.AsyncClient, database: Database) -> None:
    owner = await register(client)
    known = await client.post("/api/v1/auth/password-reset", json={"email": owner.email})
    unknown = await client.post(
        "/api/v1/auth/password-reset", json={"email": "nobody-at-all@example.com"}
    )
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()

    mail = (await emails_to(database, owner.email))[-1]
    token = token_in(mail["body"], "/password-reset/confirm):")
    weak = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": "weak"}
    )
    assert_error(weak, 422, "VALIDATION_ERROR")
    new_password = "N3w-Secret-Pass"
    done = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": new_password}
    )
    assert done.status_code == 200, done.text
    # Single use.
    again = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": new_password}
    )
    assert_error(again, 400, "BAD_REQUEST")
    # Every old session ended; the new password works, the old does not.
    assert_error(await client.get("/api/v1/auth/me", headers=owner.headers), 401, "UNAUTHORIZED")
    assert_error(await login(client, owner.email, PASSWORD), 401, "UNAUTHORIZED")
    assert (await login(client, owner.email, new_password)).status_code == 200


async def test_password_reset_token_expires(client: httpx.AsyncClient, database: Database) -> None:
    from sqlalchemy import update

    from tableside.db.database import enter_system_scope
    from tableside.kit.schemas import utcnow
    from tableside.models import ActionToken

    owner = await register(client)
    await client.post("/api/v1/auth/password-reset", json={"email": owner.email})
    token = token_in((await emails_to(database, owner.email))[-1]["body"], "confirm):")
    async with database.session() as session:
        await enter_system_scope(session)
        await session.execute(update(ActionToken).values(expires_at=utcnow()))
    response = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": "An0ther-Pass"}
    )
    assert_error(response, 400, "BAD_REQUEST")


async def test_email_verification(client: httpx.AsyncClient, database: Database) -> None:
    owner = await register(client)
    mail = (await emails_to(database, owner.email))[-1]
    token = token_in(mail["body"], "/verify-email/")
    response = await client.post(f"/api/v1/auth/verify-email/{token}")
    assert response.status_code == 200, response.text
    assert response.json()["email_verified"] is True
    again = await client.post(f"/api/v1/auth/verify-email/{token}")
    assert_error(again, 400, "BAD_REQUEST")
    me = await client.get("/api/v1/auth/me", headers=owner.headers)
    assert me.json()["email_verified"] is True


async def test_change_password(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    wrong = await client.post(
        "/api/v1/auth/change-password",
        headers=owner.headers,
        json={"current_password": "Wr0ng-pass", "new_password": "Brand-N3w-Pass"},
    )
    assert_error(wrong, 401, "UNAUTHORIZED")
    done = await client.post(
        "/api/v1/auth/change-password",
        headers=owner.headers,
        json={"current_password": PASSWORD, "new_password": "Brand-N3w-Pass"},
    )
    assert done.status_code == 200
    new_headers = {"Authorization": f"Bearer {done.json()['access_token']}"}
    assert (await client.get("/api/v1/auth/me", headers=new_headers)).status_code == 200
    assert_error(await client.get("/api/v1/auth/me", headers=owner.headers), 401, "UNAUTHORIZED")

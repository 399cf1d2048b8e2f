"""Plain-function factories that build test data through the API, as a client would."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx

PASSWORD = "Passw0rd!x"


@dataclass
class Account:
    """A logged-in user: ids, tokens and ready-made headers."""

    user_id: str
    business_id: str
    email: str
    role: str
    access_token: str
    refresh_token: str
    business_slug: str = ""
    password: str = PASSWORD
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def unique_email(label: str = "user") -> str:
    return f"{label}-{uuid.uuid4().hex[:12]}@example.com"


async def register(
    client: httpx.AsyncClient, *, business_name: str = "Test Bistro", email: str | None = None
) -> Account:
    """Register a new business through the API; returns its owner."""
    email = email or unique_email("owner")
    response = await client.post(
        "/api/v1/auth/register",
        json={
            "email": email,
            "password": PASSWORD,
            "full_name": "Olivia Owner",
            "business_name": business_name,
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return Account(
        user_id=body["user"]["id"],
        business_id=body["business"]["id"],
        business_slug=body["business"]["slug"],
        email=email,
        role="owner",
        access_token=body["access_token"],
        refresh_token=body["refresh_token"],
    )


async def login(
    client: httpx.AsyncClient,
    email: str,
    password: str = PASSWORD,
    business_slug: str | None = None,
) -> httpx.Response:
    payload: dict[str, Any] = {"email": email, "password": password}
    if business_slug:
        payload["business_slug"] = business_slug
    return await client.post("/api/v1/auth/login", json=payload)


async def add_user(
    client: httpx.AsyncClient,
    owner: Account,
    role: str,
    *,
    kitchen_profile: str | None = None,
    email: str | None = None,
) -> Account:
    """Create a user of `role` in the owner's business and log them in."""
    email = email or unique_email(role)
    response = await client.post(
        "/api/v1/users",
        headers=owner.headers,
        json={
            "email": email,
            "full_name": f"{role.title()} Person",
            "password": PASSWORD,
            "role": role,
            "kitchen_profile": kitchen_profile,
        },
    )
    assert response.status_code == 201, response.text
    user = response.json()
    logged_in = await login(client, email)
    assert logged_in.status_code == 200, logged_in.text
    tokens = logged_in.json()
    return Account(
        user_id=user["id"],
        business_id=owner.business_id,
        business_slug=owner.business_slug,
        email=email,
        role=role,
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
    )


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """Assert the API.md error body and return its `error` object."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code, error
    assert error["request_id"]
    assert error["timestamp"].endswith("Z")
    assert isinstance(error["details"], list)
    return dict(error)


async def emails_to(database: Any, address: str) -> list[dict[str, Any]]:
    """Emails queued for `address` (the params of `email.send` jobs), oldest first."""
    from sqlalchemy import select

    from tableside.db.database import enter_system_scope
    from tableside.models import Job

    async with database.session() as session:
        await enter_system_scope(session)
        jobs = (
            await session.execute(
                select(Job).where(Job.kind == "email.send").order_by(Job.created_at)
            )
        ).scalars()
        return [job.params for job in jobs if job.params.get("to") == address]


def token_in(body: str, marker: str) -> str:
    """The token printed after `marker` in an email body (on the same or the next line)."""
    after = body.split(marker, 1)[1].strip()
    return after.split()[0].strip()


def money(value: Any) -> Decimal:
    """A decimal from the API (a JSON number) as an exact Decimal, through its shortest repr."""
    return Decimal(str(value))

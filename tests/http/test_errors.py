"""The one error body: unknown routes, wrong methods, validation, unhandled errors, body size,
and request ids."""

from __future__ import annotations

import logging
import uuid

import httpx
import pytest
from fastapi import APIRouter

from tableside.app import create_app
from tableside.config import Settings
from tableside.db.database import Database
from tests.conftest import make_settings
from tests.factories import assert_error, register


async def test_unknown_route_is_404_in_api_format(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/no-such-thing")
    error = assert_error(response, 404, "NOT_FOUND")
    assert "/api/v1/no-such-thing" in error["message"]


async def test_wrong_method_is_405(client: httpx.AsyncClient) -> None:
    response = await client.delete("/api/v1/auth/login")
    assert_error(response, 405, "METHOD_NOT_ALLOWED")


async def test_validation_error_details(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    response = await client.post(
        "/api/v1/locations", headers=owner.headers, json={"name": "", "type": "garage"}
    )
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert {d["field"] for d in error["details"]} == {"name", "type"}
    bad_uuid = await client.get("/api/v1/locations/not-a-uuid", headers=owner.headers)
    assert assert_error(bad_uuid, 422, "VALIDATION_ERROR")["details"][0]["field"] == "location_id"
    malformed = await client.post(
        "/api/v1/locations",
        headers={**owner.headers, "Content-Type": "application/json"},
        content=b"{not json",
    )
    assert_error(malformed, 422, "VALIDATION_ERROR")


async def test_request_id_is_echoed_or_generated(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/nope", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"
    assert response.json()["error"]["request_id"] == "abc-123"
    generated = await client.get("/api/v1/nope")
    assert len(generated.headers["X-Request-ID"]) == 32
    assert generated.json()["error"]["request_id"] == generated.headers["X-Request-ID"]
    hostile = await client.get("/api/v1/nope", headers={"X-Request-ID": "bad id\twith spaces"})
    assert hostile.headers["X-Request-ID"] != "bad id\twith spaces"


async def test_unhandled_exception_hides_internals(database_url: str, database: Database) -> None:
    app = create_app(make_settings(database_url), database=database)
    boom = APIRouter()

    @boom.get("/api/v1/boom")
    async def explode() -> None:
        raise RuntimeError("secret: postgresql://user:pw@host/db")

    app.include_router(boom)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        response = await http.get("/api/v1/boom", headers={"X-Request-ID": "trace-me"})
    error = assert_error(response, 500, "INTERNAL_ERROR")
    assert "secret" not in response.text and "postgresql" not in response.text
    assert error["request_id"] == "trace-me"
    assert response.headers["X-Request-ID"] == "trace-me"


async def test_body_over_limit_is_413(database_url: str, database: Database) -> None:
    settings: Settings = make_settings(database_url, max_body_bytes=1024)
    app = create_app(settings, database=database)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        response = await http.post(
            "/api/v1/auth/login",
            content=b'{"email": "' + b"a" * 5000 + b'"}',
            headers={"Content-Type": "application/json"},
        )
        assert_error(response, 413, "PAYLOAD_TOO_LARGE")

        async def chunks():  # type: ignore[no-untyped-def]
            for _ in range(10):
                yield b"x" * 512

        streamed = await http.post(
            "/api/v1/auth/login", content=chunks(), headers={"Content-Type": "application/json"}
        )
        assert_error(streamed, 413, "PAYLOAD_TOO_LARGE")


async def test_openapi_and_docs(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    assert "/api/v1/auth/login" in schema["paths"]
    assert "OAuth2PasswordBearer" in schema["components"]["securitySchemes"]
    assert (await client.get("/docs")).status_code == 200
    assert (await client.get("/redoc")).status_code == 200


async def test_access_log_names_the_user_of_a_failed_request(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A request that fails after authentication rolls back its transaction; the access log
    line written afterwards still names the caller (and does not crash on an expired user)."""
    owner = await register(client)
    with caplog.at_level(logging.INFO, logger="tableside.access"):
        response = await client.get(f"/api/v1/locations/{uuid.uuid4()}", headers=owner.headers)
    assert_error(response, 404, "NOT_FOUND")
    access = [
        record.msg
        for record in caplog.records
        if isinstance(record.msg, dict) and record.msg.get("event") == "request"
    ]
    assert len(access) == 1
    assert access[0]["user_id"] == owner.user_id
    assert access[0]["business_id"] == owner.business_id
    assert access[0]["status"] == 404


async def test_bulk_import_routes_take_larger_bodies(database_url: str, database: Database) -> None:
    """A 100,000-line bulk request is larger than the general limit: the import routes have
    their own, larger one, and every other route keeps the general one."""
    settings = make_settings(database_url, max_body_bytes=1024, max_import_body_bytes=64 * 1024)
    app = create_app(settings, database=database)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        owner = await register(http)
        body = {"batch_id": "big", "lines": [{"date": "2026-01-01", "quantity": 1}] * 200}
        bulk = await http.post("/api/v1/sales/bulk", headers=owner.headers, json=body)
        assert bulk.status_code == 422  # read and validated (no sku or amount), not refused
        assert bulk.json()["error"]["code"] == "VALIDATION_ERROR"
        elsewhere = await http.post("/api/v1/locations", headers=owner.headers, json=body)
        assert_error(elsewhere, 413, "PAYLOAD_TOO_LARGE")
        huge = {"batch_id": "huge", "lines": [{"date": "2026-01-01"}] * 5000}
        too_big = await http.post("/api/v1/sales/bulk", headers=owner.headers, json=huge)
        assert_error(too_big, 413, "PAYLOAD_TOO_LARGE")

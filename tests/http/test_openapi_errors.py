"""The OpenAPI document describes the errors the API sends: the API.md body
`{"error": {...}}` for every 4xx of every operation, never FastAPI's `{"detail": [...]}`."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.factories import assert_error, register

ERROR_REF = "#/components/schemas/ErrorResponse"


def _operations(openapi: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, operations in openapi["paths"].items()
        for method, operation in operations.items()
    ]


def _schema_refs(response: dict[str, Any]) -> list[str]:
    return [
        media.get("schema", {}).get("$ref", "")
        for media in (response.get("content") or {}).values()
    ]


def _documented(app: FastAPI, method: str, path: str) -> set[int]:
    responses = app.openapi()["paths"][path][method]["responses"]
    return {int(status) for status in responses}


def test_no_fastapi_validation_error_schema_remains(app: FastAPI) -> None:
    schemas = app.openapi()["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert "ValidationError" not in schemas
    with_detail = [name for name, s in schemas.items() if "detail" in s.get("properties", {})]
    assert with_detail == []
    assert schemas["ErrorResponse"]["required"] == ["error"]
    info = schemas["ErrorInfo"]
    assert set(info["required"]) == {"code", "message", "details", "request_id", "timestamp"}


def test_every_operation_documents_its_422_with_the_api_error_body(app: FastAPI) -> None:
    operations = _operations(app.openapi())
    missing, wrong = [], []
    for path, method, operation in operations:
        takes_input = bool(operation.get("parameters")) or "requestBody" in operation
        response = operation["responses"].get("422")
        if takes_input and response is None:
            missing.append(f"{method.upper()} {path}")
        if response is not None and _schema_refs(response) != [ERROR_REF]:
            wrong.append(f"{method.upper()} {path}")
    assert (missing, wrong) == ([], [])
    # Not vacuous: most of the API takes input (the menu, locations, users...).
    assert sum("422" in op["responses"] for _, _, op in operations) > 100


def test_every_documented_client_error_has_the_api_error_body(app: FastAPI) -> None:
    wrong = [
        f"{method.upper()} {path} {status}"
        for path, method, operation in _operations(app.openapi())
        for status, response in operation["responses"].items()
        if status.startswith("4") and _schema_refs(response) != [ERROR_REF]
    ]
    assert wrong == []


def test_operations_document_the_errors_every_such_operation_can_send(app: FastAPI) -> None:
    openapi = app.openapi()
    for path, method, operation in _operations(openapi):
        documented = set(operation["responses"])
        name = f"{method.upper()} {path}"
        if "requestBody" in operation:
            assert {"400", "413"} <= documented, name
        if operation.get("security"):
            assert {"401", "403"} <= documented, name
        if any(p["in"] == "path" for p in operation.get("parameters", [])):
            assert "404" in documented, name
        if method == "post":
            assert "409" in documented, name  # an Idempotency-Key reused with another body
        if path.startswith("/api/"):
            assert "429" in documented, name
    # Probes and the scraper are not rate limited and take no input.
    assert set(openapi["paths"]["/health"]["get"]["responses"]) == {"200", "503"}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("post", "/api/v1/auth/login", "401"),
        ("post", "/api/v1/auth/refresh", "401"),
        ("post", "/api/v1/auth/logout", "400"),
        ("get", "/api/v1/auth/me", "400"),
        ("post", "/api/v1/auth/verify-email/{token}", "400"),
    ],
)
def test_auth_documents_its_own_errors(app: FastAPI, method: str, path: str, status: str) -> None:
    response = app.openapi()["paths"][path][method]["responses"][status]
    assert _schema_refs(response) == [ERROR_REF]


async def test_errors_found_by_fuzzing_are_documented(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """Answers schemathesis flagged as undocumented, each now in its operation's responses."""
    owner = await register(client)
    headers = {**owner.headers, "Content-Type": "application/json"}
    not_utf8 = await client.put("/api/v1/business", headers=headers, content=b"\xd1>")
    assert_error(not_utf8, 400, "BAD_REQUEST")
    assert 400 in _documented(app, "put", "/api/v1/business")

    unknown = await client.get(f"/api/v1/locations/{uuid.uuid4()}", headers=owner.headers)
    assert_error(unknown, 404, "NOT_FOUND")
    assert 404 in _documented(app, "get", "/api/v1/locations/{location_id}")

    category = {"name": "Mains"}
    created = await client.post("/api/v1/menu/categories", headers=owner.headers, json=category)
    assert created.status_code == 201, created.text
    twice = await client.post("/api/v1/menu/categories", headers=owner.headers, json=category)
    assert_error(twice, 409, "DUPLICATE_ENTRY")
    assert 409 in _documented(app, "post", "/api/v1/menu/categories")

    bad_login = await client.post(
        "/api/v1/auth/login", json={"email": owner.email, "password": "wrong-password-1"}
    )
    assert_error(bad_login, 401, "UNAUTHORIZED")
    assert 401 in _documented(app, "post", "/api/v1/auth/login")

"""Faults found by fuzzing the API against its OpenAPI document (schemathesis), each pinned
as a plain request: no 500s, and every answer in the API.md error body."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tableside.app import create_app
from tableside.db.database import Database
from tests.conftest import make_settings
from tests.factories import Account, assert_error, register
from tests.factories.ledger_queries import shop

# The ledger and analytics endpoints of issue 4, fuzzed from their own OpenAPI document.
FUZZED_PATHS = r"^/api/v1/(sales/(aggregate|top-items|historical|ledger|bulk|import)|analytics/)"
CONTRACT_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
async def fuzz_owner(client: httpx.AsyncClient, database: Database) -> Account:
    """The owner of a business with locations, items and a fortnight of ledger lines."""
    return (await shop(client, database)).owner


def test_ledger_and_analytics_keep_their_openapi_contract(
    database_url: str, fuzz_owner: Account
) -> None:
    """A small, derandomized schemathesis run over every ledger and analytics operation: no
    500s, and every answer's status, content type and body as the OpenAPI document gives
    them. The app is one of its own: schemathesis serves it on its own event loop, where the
    app's lifespan opens its own database pool."""
    app = create_app(make_settings(database_url))
    schema = schemathesis.openapi.from_dict(app.openapi()).include(path_regex=FUZZED_PATHS)
    schema.app = app
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=10,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        def keeps_its_contract(case: Any) -> None:
            case.call_and_validate(headers=fuzz_owner.headers, checks=CONTRACT_CHECKS)

        keeps_its_contract()


@pytest.mark.parametrize("name", ["min_price", "max_price"])
async def test_a_price_filter_above_any_price_is_a_validation_error(
    client: httpx.AsyncClient, name: str
) -> None:
    """`GET /menu/items?max_price=2.8e16` was a 500: the bound went to a NUMERIC(12, 2)
    comparison that overflowed. A bound above the largest price is now a 422 naming the
    field; the largest price itself still filters."""
    owner = await register(client)
    response = await client.get(
        "/api/v1/menu/items", headers=owner.headers, params={name: "2.8094914431613956e+16"}
    )
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert [d["field"] for d in error["details"]] == [name]
    largest = await client.get(
        "/api/v1/menu/items", headers=owner.headers, params={name: "9999999999.99"}
    )
    assert largest.status_code == 200, largest.text


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/v1/locations", {"search": "a\x00b"}, "search"),
        ("/api/v1/menu/categories", {"search": "\x00"}, "search"),
        ("/api/v1/menu/items", {"station": "grill\x00"}, "station"),
        ("/api/v1/sales/imports", {"search": "sales\x00.csv"}, "search"),
        ("/api/v1/users", {"search": "x\x00"}, "search"),
    ],
)
async def test_a_nul_character_in_a_query_parameter_is_a_validation_error(
    client: httpx.AsyncClient, path: str, params: dict[str, str], field: str
) -> None:
    """A `%00` in a search or filter was a 500 (PostgreSQL text cannot hold NUL). It is now
    422 naming the parameter, on every route under /api/v1."""
    owner = await register(client)
    response = await client.get(path, headers=owner.headers, params=params)
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert error["details"] == [{"field": field, "message": "must not contain a NUL character"}]
    accented = await client.get(path, headers=owner.headers, params={field: "café"})
    assert accented.status_code == 200, accented.text


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("post", "/api/v1/locations", {"name": "Dock\x00side"}, "name"),
        ("put", "/api/v1/business", {"name": "Bistro\x00"}, "name"),
        ("post", "/api/v1/menu/categories", {"name": "\x00Mains"}, "name"),
        (
            "post",
            "/api/v1/menu/items",
            {"name": "Soup", "price": 4, "description": "\x00"},
            "description",
        ),
    ],
)
async def test_a_nul_character_in_a_body_is_a_validation_error(
    client: httpx.AsyncClient, method: str, path: str, body: dict[str, object], field: str
) -> None:
    """Creating a location, renaming the business or a menu row with a NUL in a text field
    was a 500; it is now 422 naming the field, and nothing is written."""
    owner = await register(client)
    response = await client.request(method, path, headers=owner.headers, json=body)
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert error["details"] == [{"field": field, "message": "must not contain a NUL character"}]
    business = (await client.get("/api/v1/business", headers=owner.headers)).json()
    assert "\x00" not in business["name"]
    locations = (await client.get("/api/v1/locations", headers=owner.headers)).json()
    assert all("\x00" not in row["name"] for row in locations["items"])


async def test_a_nul_character_in_a_path_token_is_a_validation_error(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/api/v1/auth/verify-email/abc%00def")
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert error["details"] == [{"field": "token", "message": "must not contain a NUL character"}]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/sales/aggregate",
        "/api/v1/sales/top-items",
        "/api/v1/sales/historical",
        "/api/v1/sales/ledger",
        "/api/v1/sales/stats",
        "/api/v1/analytics/items",
        "/api/v1/analytics/revenue-trends",
        "/api/v1/analytics/staff-performance",
        "/api/v1/analytics/customers",
    ],
)
async def test_a_date_that_is_not_yyyy_mm_dd_is_a_validation_error(
    client: httpx.AsyncClient, path: str
) -> None:
    """`date_to=0` was read as a Unix time, 1970-01-01, and answered 200 with an empty
    period; `20260601` (a compact date) was refused with a message about datetimes. Both
    are now 422 "must be a date as YYYY-MM-DD" on the parameter; YYYY-MM-DD still reads."""
    owner = await register(client)
    for value in ("0", "1780000000", "20260601"):
        response = await client.get(path, headers=owner.headers, params={"date_to": value})
        error = assert_error(response, 422, "VALIDATION_ERROR")
        assert error["details"] == [{"field": "date_to", "message": "must be a date as YYYY-MM-DD"}]
    valid = await client.get(
        path, headers=owner.headers, params={"date_from": "2026-06-01", "date_to": "2026-06-14"}
    )
    assert valid.status_code == 200, valid.text

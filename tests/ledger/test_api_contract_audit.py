"""The ledger's and analytics' endpoints against the conventions of API.md: error bodies and
status codes for bad parameters, pagination, and what the OpenAPI schema says about them."""

from __future__ import annotations

from typing import Any

import httpx

from tableside.db.database import Database
from tests.factories import assert_error
from tests.factories.ledger import bulk, create_shop, csv_bytes

LINE = {"sold_at": "2026-01-02T12:00:00Z", "sku": "PIZ", "quantity": 1, "amount": "10"}


async def test_a_page_number_past_any_list_is_422_not_500(
    client: httpx.AsyncClient, database: Database
) -> None:
    """A page whose offset PostgreSQL cannot hold (past a 64-bit integer) was a 500 from the
    driver; it is a validation error on `page`, on the import history as on every list."""
    shop = await create_shop(client, database)
    assert (await bulk(client, shop.owner, [LINE])).status_code == 201
    for path in ("/api/v1/sales/imports", "/api/v1/sales"):
        response = await client.get(
            path, headers=shop.owner.headers, params={"page": "99999999999999999999"}
        )
        error = assert_error(response, 422, "VALIDATION_ERROR")
        assert [d["field"] for d in error["details"]] == ["page"]
    # The last page a list may ask for still answers, empty.
    response = await client.get(
        "/api/v1/sales/imports",
        headers=shop.owner.headers,
        params={"page": 2_147_483_647, "page_size": 100},
    )
    assert response.status_code == 200, response.text
    assert response.json()["items"] == [] and response.json()["total"] == 1


async def test_an_unknown_import_kind_is_422_not_an_empty_history(
    client: httpx.AsyncClient, database: Database
) -> None:
    """`kind` was free text: a misspelt or empty kind answered 200 with no imports, which
    reads as "nothing was imported". It is one of the four kinds, else 422 on `kind`."""
    shop = await create_shop(client, database)
    assert (await bulk(client, shop.owner, [LINE])).status_code == 201
    for kind in ("bulks", "CSV", ""):
        response = await client.get(
            "/api/v1/sales/imports", headers=shop.owner.headers, params={"kind": kind}
        )
        error = assert_error(response, 422, "VALIDATION_ERROR")
        assert [d["field"] for d in error["details"]] == ["kind"]
    listed = await client.get(
        "/api/v1/sales/imports", headers=shop.owner.headers, params={"kind": "bulk"}
    )
    assert listed.status_code == 200 and listed.json()["total"] == 1
    none = await client.get(
        "/api/v1/sales/imports", headers=shop.owner.headers, params={"kind": "csv_daily"}
    )
    assert none.status_code == 200 and none.json()["total"] == 0


async def test_a_body_that_is_not_json_is_reported_on_body(
    client: httpx.AsyncClient, database: Database
) -> None:
    """A bulk body that does not parse named field "1" (the character where parsing failed,
    read as a field), with "JSON decode error". The detail is on `body` and says why and
    where."""
    shop = await create_shop(client, database)
    response = await client.post(
        "/api/v1/sales/bulk",
        headers={**shop.owner.headers, "Content-Type": "application/json"},
        content=b'{"batch_id": "b1", "lines": [,]}',
    )
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert len(error["details"]) == 1
    detail = error["details"][0]
    assert detail["field"] == "body"
    assert detail["message"].startswith("is not valid JSON: ")
    assert detail["message"].endswith("(at character 29)")


# Each endpoint with the errors API.md gives it: every one needs credentials (401) and a
# role (403), validates its parameters (422) and is rate limited (429); an import is found or
# not (404); uploads are refused as unusable (400), too large (413), or conflicting (409).
DOCUMENTED_ERRORS: dict[tuple[str, str], set[str]] = {
    ("get", "/api/v1/sales/aggregate"): {"401", "403", "422", "429"},
    ("get", "/api/v1/sales/top-items"): {"401", "403", "422", "429"},
    ("get", "/api/v1/sales/historical"): {"401", "403", "422", "429"},
    ("get", "/api/v1/sales/ledger"): {"401", "403", "422", "429"},
    ("post", "/api/v1/sales/bulk"): {"400", "401", "403", "409", "413", "422", "429"},
    ("post", "/api/v1/sales/import"): {"400", "401", "403", "409", "413", "422", "429"},
    ("get", "/api/v1/sales/imports"): {"401", "403", "422", "429"},
    ("get", "/api/v1/sales/imports/{import_id}"): {"401", "403", "404", "422", "429"},
    ("delete", "/api/v1/sales/imports/{import_id}"): {"401", "403", "404", "422", "429"},
    ("get", "/api/v1/analytics/items"): {"401", "403", "422", "429"},
    ("get", "/api/v1/analytics/revenue-trends"): {"401", "403", "422", "429"},
    ("get", "/api/v1/analytics/staff-performance"): {"401", "403", "422", "429"},
    ("get", "/api/v1/analytics/customers"): {"401", "403", "422", "429"},
}


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


async def test_openapi_documents_the_api_md_error_body(client: httpx.AsyncClient) -> None:
    """The schema documented every 422 as FastAPI's `{"detail": [...]}` (which the API never
    sends) and no other error at all, so a generated client could not read a single error.
    Each ledger and analytics endpoint now lists its error statuses with the one body
    `{"error": {code, message, details, request_id, timestamp}}`."""
    schema = (await client.get("/openapi.json")).json()
    for (method, path), statuses in DOCUMENTED_ERRORS.items():
        responses = schema["paths"][path][method]["responses"]
        errors = {code for code in responses if code.startswith(("4", "5"))}
        assert errors == statuses, (method, path, errors)
        for code in statuses:
            body = _resolve(schema, responses[code]["content"]["application/json"]["schema"])
            assert list(body["properties"]) == ["error"], (method, path, code)
            error = _resolve(schema, body["properties"]["error"])
            assert set(error["required"]) == {
                "code",
                "message",
                "details",
                "request_id",
                "timestamp",
            }, (method, path, code)


async def test_a_retried_upload_with_its_idempotency_key_is_replayed(
    client: httpx.AsyncClient, database: Database
) -> None:
    """A client retrying `POST /sales/import` with the same Idempotency-Key and the same file
    builds a new multipart body, with a new random boundary: the bytes differed, so the retry
    was 409 IDEMPOTENCY_CONFLICT. The boundary is not part of what was sent: the retry is the
    first answer replayed; another file under the key is still a conflict."""
    shop = await create_shop(client, database)
    headers = {**shop.owner.headers, "Idempotency-Key": "upload-1"}
    content = csv_bytes(["date", "item", "quantity", "amount"], [["2026-01-01", "PIZ", 1, "10"]])
    first = await client.post(
        "/api/v1/sales/import", headers=headers, files={"file": ("a.csv", content, "text/csv")}
    )
    assert first.status_code == 201, first.text
    retry = await client.post(
        "/api/v1/sales/import", headers=headers, files={"file": ("a.csv", content, "text/csv")}
    )
    assert retry.status_code == 201, retry.text
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    other = csv_bytes(["date", "item", "quantity", "amount"], [["2026-01-01", "PIZ", 2, "20"]])
    conflict = await client.post(
        "/api/v1/sales/import", headers=headers, files={"file": ("a.csv", other, "text/csv")}
    )
    assert_error(conflict, 409, "IDEMPOTENCY_CONFLICT")

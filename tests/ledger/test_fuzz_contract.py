"""Faults found by fuzzing the API against its OpenAPI document (schemathesis), each pinned
as a plain request: no 500s, and every answer in the API.md error body."""

from __future__ import annotations

import httpx
import pytest

from tests.factories import assert_error, register


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

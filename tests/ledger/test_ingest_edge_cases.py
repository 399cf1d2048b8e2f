"""Inputs an operator's spreadsheet or an integrator's client really sends, found by an
adversarial audit of the sales import and bulk ingest: each one answered a 500, a misleading
error or a silent guess before."""

from __future__ import annotations

import httpx

from tableside.db.database import Database
from tests.factories import assert_error
from tests.factories.ledger import BULK, bulk, create_shop, ledger_lines

GOOD = {"sold_at": "2026-11-02T12:00:00Z", "sku": "PIZ", "quantity": 1, "amount": 10}


async def test_a_batch_id_with_a_nul_character_is_a_validation_error(
    client: httpx.AsyncClient, database: Database
) -> None:
    """PostgreSQL text cannot hold NUL: looking the batch id up failed with a 500."""
    shop = await create_shop(client, database)
    response = await bulk(client, shop.owner, [GOOD], batch_id="pos\u00001")
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert error["details"] == [
        {"field": "batch_id", "message": "must not contain a NUL character"}
    ]
    assert await ledger_lines(database, shop.business_id) == []


async def test_values_json_allows_but_the_ledger_cannot_hold_are_line_errors(
    client: httpx.AsyncClient, database: Database
) -> None:
    """JSON allows integers of any size and lone UTF-16 surrogates (`"\\ud800"`); both made
    the batch's fingerprint (and a surrogate the COPY) fail with a 500."""
    shop = await create_shop(client, database)
    huge = {**GOOD, "quantity": 10**40}
    error = assert_error(await bulk(client, shop.owner, [GOOD, huge]), 422, "VALIDATION_ERROR")
    assert error["details"] == [
        {"index": 1, "field": "lines.1.quantity", "message": "is too large"}
    ]
    good = b'{"sold_at":"2026-11-02T12:00:00Z","sku":"PIZ","quantity":1,"amount":10}'
    broken = b'{"sold_at":"2026-11-02T13:00:00Z","sku":"PI\\ud800Z","quantity":1,"amount":10}'
    body = b'{"batch_id":"surrogates","lines":[' + good + b"," + broken + b"]}"
    headers = {**shop.owner.headers, "content-type": "application/json"}
    response = await client.post(BULK, headers=headers, content=body)
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert error["details"] == [
        {"index": 1, "field": "lines.1.sku", "message": "is not valid Unicode text"}
    ]
    assert await ledger_lines(database, shop.business_id) == []
    written = await client.post(BULK + "?skip_invalid=true", headers=headers, content=body)
    assert written.status_code == 201, written.text
    assert (written.json()["lines_written"], written.json()["lines_skipped"]) == (1, 1)
    # The same batch again is recognised (its fingerprint is stable).
    again = await client.post(BULK + "?skip_invalid=true", headers=headers, content=body)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert len(await ledger_lines(database, shop.business_id)) == 1

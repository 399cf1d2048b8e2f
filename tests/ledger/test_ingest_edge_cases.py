"""Inputs an operator's spreadsheet or an integrator's client really sends, found by an
adversarial audit of the sales import and bulk ingest: each one answered a 500, a misleading
error or a silent guess before."""

from __future__ import annotations

import httpx

from tableside.db.database import Database
from tests.factories import assert_error
from tests.factories.ledger import bulk, create_shop, ledger_lines

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

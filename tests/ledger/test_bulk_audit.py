"""Audit of `POST /api/v1/sales/bulk` and of the single sale another system sends
(`POST /api/v1/sales` with a `source`), as an integrating developer uses them: each test is a
fault that was found, with the behaviour it has now."""

from __future__ import annotations

import httpx

from tableside.app import create_app
from tableside.db.database import Database
from tests.conftest import make_settings
from tests.factories import assert_error
from tests.factories.ledger import BULK, create_shop, ledger_lines


async def test_a_bulk_request_past_the_general_body_limit_keeps_its_idempotency_key(
    database_url: str, database: Database
) -> None:
    """A bulk request larger than the general body limit (10 MiB by default; 100,000 lines
    are more) but within the import routes' own limit skipped the Idempotency-Key: a retry
    that rebuilt its batch_id (a new one per attempt) wrote every line a second time, and a
    plain retry was not replayed. The key now holds on the import routes up to their limit."""
    settings = make_settings(database_url, max_body_bytes=1024, max_import_body_bytes=64 * 1024)
    app = create_app(settings, database=database)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        shop = await create_shop(http, database)
        lines = [
            {"sold_at": "2026-11-02T12:00:00Z", "sku": "PIZ", "quantity": 1, "amount": 10}
        ] * 40
        headers = {**shop.owner.headers, "Idempotency-Key": "export-2026-11-02"}
        first = await http.post(BULK, headers=headers, json={"batch_id": "a1", "lines": lines})
        assert first.status_code == 201, first.text
        assert int(first.request.headers["content-length"]) > settings.max_body_bytes
        retry = await http.post(BULK, headers=headers, json={"batch_id": "a1", "lines": lines})
        assert retry.status_code == 201, retry.text
        assert retry.headers.get("Idempotent-Replayed") == "true"
        assert retry.json() == first.json()
        rebuilt = await http.post(BULK, headers=headers, json={"batch_id": "a2", "lines": lines})
        assert_error(rebuilt, 409, "IDEMPOTENCY_CONFLICT")
        assert len(await ledger_lines(database, shop.business_id)) == 40

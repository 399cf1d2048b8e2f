"""Edge cases of the ledger's read side found by an adversarial audit: tampered cursors,
calendars whose clock changes fall on the day cutoff, and the like."""

from __future__ import annotations

import base64

import httpx

from tableside.db.database import Database
from tests.factories import assert_error
from tests.factories.ledger_queries import get, get_ok, shop


def _encode(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


async def test_a_cursor_with_a_non_ascii_signature_is_422_not_500(
    client: httpx.AsyncClient, database: Database
) -> None:
    """A cursor is base64 of "<sold_at>|<id>|<mac>". A forged one whose mac part holds a
    non-ASCII character made `hmac.compare_digest` raise TypeError: 500 INTERNAL_ERROR."""
    s = await shop(client, database)
    cursor = (await get_ok(client, s.owner, "ledger", limit=1))["next_cursor"]
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    sold_at, line_id, mac = raw.split("|")
    for forged in (
        _encode(f"{sold_at}|{line_id}|é"),
        _encode(f"{sold_at}|{line_id}|{mac[:-1]}ü"),
        _encode(f"é|{line_id}|{mac}"),
    ):
        error = assert_error(await get(client, s.owner, "ledger", cursor=forged), 422,
                             "VALIDATION_ERROR")  # fmt: skip
        assert error["details"] == [
            {"field": "cursor", "message": "is not a cursor returned by this endpoint"}
        ]

"""What the Flux sales router and the SFS historical/upload endpoints promise a reader,
checked through our API (our names and error format follow API.md; where a source's
parameter is one a client sends as is, we take it)."""

from __future__ import annotations

import httpx

from tableside.db.database import Database
from tests.factories import assert_error
from tests.factories.ledger_queries import get, get_ok, shop

FORTNIGHT = {"date_from": "2026-06-01", "date_to": "2026-06-14"}


async def test_historical_takes_the_sfs_limit(
    client: httpx.AsyncClient, database: Database
) -> None:
    """SFS's /api/historical pages with `limit`; ours ignored it and answered 100 days. It is
    the page length, as `page_size` (as /sales/ledger takes it)."""
    s = await shop(client, database)
    first = await get_ok(client, s.owner, "historical", limit=5, **FORTNIGHT)
    assert [point["date"] for point in first["items"]] == [f"2026-06-0{d}" for d in range(1, 6)]
    assert (first["page_size"], first["pages"], first["has_next"]) == (5, 3, True)
    assert first["summary"]["days"] == 14  # the summary still covers the whole range
    last = await get_ok(client, s.owner, "historical", limit=5, page=3, **FORTNIGHT)
    assert [point["date"] for point in last["items"]] == [f"2026-06-{d}" for d in range(11, 15)]
    both = await get_ok(client, s.owner, "historical", limit=5, page_size=5, **FORTNIGHT)
    assert len(both["items"]) == 5
    default = await get_ok(client, s.owner, "historical", **FORTNIGHT)
    assert default["page_size"] == 100
    conflict = await get(client, s.owner, "historical", limit=5, page_size=6, **FORTNIGHT)
    assert assert_error(conflict, 422, "VALIDATION_ERROR")["details"][0]["field"] == "page_size"
    for bad in ("0", "1001"):
        error = assert_error(
            await get(client, s.owner, "historical", limit=bad, **FORTNIGHT),
            422,
            "VALIDATION_ERROR",
        )
        assert error["details"][0]["field"] == "limit"

"""GET /api/v1/sales/ledger: the raw lines, newest first, cursor-paginated."""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

import httpx

from tableside.db.database import Database
from tableside.models import SaleSource
from tests.factories import assert_error, money
from tests.factories.ledger_queries import (
    get,
    get_ok,
    ledger_business,
    local,
    record,
    sale,
    shop,
)

D = Decimal


def amounts(body: dict[str, Any]) -> list[Decimal]:
    return [money(line["net_amount"]) for line in body["items"]]


async def test_pages_newest_first_until_the_end(
    client: httpx.AsyncClient, database: Database
) -> None:
    s = await shop(client, database)
    first = await get_ok(client, s.owner, "ledger", limit=4)
    assert amounts(first) == [D("-3.00"), D("5.00"), D("24.00"), D("3.00")]
    assert first["next_cursor"]
    line = first["items"][0]
    assert (
        line["sold_at"] == "2026-06-12T08:30:00Z" and line["hour_start"] == "2026-06-12T08:00:00Z"
    )
    assert line["business_date"] == "2026-06-12" and line["local_hour"] == 8
    assert line["menu_item_id"] == s.coffee and line["location_id"] == s.downtown
    assert money(line["quantity"]) == -1 and line["transactions"] == 0
    assert line["source"] == "pos" and isinstance(line["id"], int)
    second = await get_ok(client, s.owner, "ledger", limit=4, cursor=first["next_cursor"])
    # Two lines sold at the same instant: the later id first.
    assert amounts(second) == [D("12.00"), D("6.00")]
    assert second["items"][0]["id"] > second["items"][1]["id"]
    assert second["next_cursor"] is None
    everything = await get_ok(client, s.owner, "ledger")
    assert len(everything["items"]) == 6 and everything["next_cursor"] is None
    exact = await get_ok(client, s.owner, "ledger", limit=6)
    assert exact["next_cursor"] is None


async def test_page_size_as_api_md_names_it(client: httpx.AsyncClient, database: Database) -> None:
    """API.md names a list's page length `page_size`: the ledger takes it as well as `limit`
    (it was ignored: 100 lines came back whatever it said)."""
    s = await shop(client, database)
    first = await get_ok(client, s.owner, "ledger", page_size=4)
    assert amounts(first) == [D("-3.00"), D("5.00"), D("24.00"), D("3.00")]
    second = await get_ok(client, s.owner, "ledger", page_size=4, cursor=first["next_cursor"])
    assert amounts(second) == [D("12.00"), D("6.00")] and second["next_cursor"] is None
    assert len((await get_ok(client, s.owner, "ledger", page_size=1))["items"]) == 1
    for bad in (0, 1001):
        assert_error(await get(client, s.owner, "ledger", page_size=bad), 422, "VALIDATION_ERROR")
    conflict = await get(client, s.owner, "ledger", page_size=2, limit=3)
    assert assert_error(conflict, 422, "VALIDATION_ERROR")["details"][0]["field"] == "page_size"


async def test_filters(client: httpx.AsyncClient, database: Database) -> None:
    s = await shop(client, database)
    await record(database, s.owner, [sale(local("UTC", 2026, 6, 4, 9), "50.00")],
                 source=SaleSource.import_)  # fmt: skip
    downtown = await get_ok(client, s.owner, "ledger", location_id=s.downtown)
    assert amounts(downtown) == [D("-3.00"), D("24.00"), D("12.00"), D("6.00")]
    coffee = await get_ok(client, s.owner, "ledger", menu_item_id=s.coffee)
    assert amounts(coffee) == [D("-3.00"), D("6.00")]
    imported = await get_ok(client, s.owner, "ledger", source="import")
    assert amounts(imported) == [D("50.00")]
    dated = await get_ok(client, s.owner, "ledger", date_from="2026-06-03", date_to="2026-06-10")
    assert amounts(dated) == [D("5.00"), D("24.00"), D("50.00"), D("3.00")]
    paged = await get_ok(
        client, s.owner, "ledger", date_from="2026-06-03", date_to="2026-06-10", limit=3
    )
    rest = await get_ok(
        client,
        s.owner,
        "ledger",
        date_from="2026-06-03",
        date_to="2026-06-10",
        limit=3,
        cursor=paged["next_cursor"],
    )
    assert amounts(paged) + amounts(rest) == amounts(dated)


async def test_business_dates_follow_the_cutoff(
    client: httpx.AsyncClient, database: Database
) -> None:
    owner = await ledger_business(client, timezone="America/New_York", cutoff_hour=4)
    ny = "America/New_York"
    await record(
        database,
        owner,
        [sale(local(ny, 2026, 11, 24, 1, 30), "10.00"), sale(local(ny, 2026, 11, 24, 4), "20.00")],
    )
    on_23rd = await get_ok(client, owner, "ledger", date_from="2026-11-23", date_to="2026-11-23")
    assert amounts(on_23rd) == [D("10.00")]
    assert on_23rd["items"][0]["business_date"] == "2026-11-23"
    on_24th = await get_ok(client, owner, "ledger", date_from="2026-11-24")
    assert amounts(on_24th) == [D("20.00")]


async def test_cursors_cannot_be_forged(client: httpx.AsyncClient, database: Database) -> None:
    s = await shop(client, database)
    cursor = (await get_ok(client, s.owner, "ledger", limit=1))["next_cursor"]
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    sold_at, line_id, mac = raw.split("|")
    forged_raw = f"{sold_at}|{int(line_id) + 1000}|{mac}"
    forged = base64.urlsafe_b64encode(forged_raw.encode()).decode().rstrip("=")
    flipped = cursor[:10] + ("A" if cursor[10] != "A" else "B") + cursor[11:]
    other = await ledger_business(client)
    for bad in (forged, flipped, "not-a-cursor", "", "%%%", cursor[:-4]):
        response = await get(client, s.owner, "ledger", cursor=bad)
        if bad == "":
            # An empty cursor is no cursor: the first page.
            assert response.status_code == 200
            continue
        error = assert_error(response, 422, "VALIDATION_ERROR")
        assert error["details"][0]["field"] == "cursor", bad
    # Another business cannot reuse it either.
    assert_error(await get(client, other, "ledger", cursor=cursor), 422, "VALIDATION_ERROR")


async def test_bad_parameters_and_isolation(client: httpx.AsyncClient, database: Database) -> None:
    s = await shop(client, database)
    other = await ledger_business(client)
    assert (await get_ok(client, other, "ledger"))["items"] == []
    for params, field in [
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"source": "fax"}, "source"),
        ({"date_from": "2026-06-02", "date_to": "2026-06-01"}, "date_to"),
        ({"location_id": s.downtown}, "location_id"),
        ({"menu_item_id": s.coffee}, "menu_item_id"),
        ({"date_from": "0001-01-01"}, "date_from"),
        ({"date_to": "9999-12-31"}, "date_to"),
    ]:
        error = assert_error(await get(client, other, "ledger", **params), 422, "VALIDATION_ERROR")
        assert field in [detail["field"] for detail in error["details"]], (params, error)
    assert len((await get_ok(client, s.owner, "ledger", limit=1000))["items"]) == 6

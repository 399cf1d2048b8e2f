"""GET /api/v1/sales/imports and DELETE /api/v1/sales/imports/{id}: the import history, and
taking an import back out of the ledger exactly."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any

import httpx

from tableside.db.database import Database
from tests.factories import add_user, assert_error, money, register
from tests.factories.ledger import (
    Shop,
    add_category,
    assert_rollups_match_ledger,
    bulk,
    create_shop,
    csv_bytes,
    daily_rollups,
    fetch,
    hourly_rollups,
    ledger_lines,
    upload,
)

IMPORTS = "/api/v1/sales/imports"
LINE_HEADER = ["timestamp", "sku", "quantity", "amount", "location", "transaction_id", "covers"]


async def rollups(database: Database, shop: Shop) -> dict[str, list[dict[str, Any]]]:
    """Every rollup row of the shop, decimals normalized (12.50 == 12.5)."""
    totals = await fetch(
        database,
        shop.business_id,
        "SELECT business_date, item_key, category_key, category_id, quantity, net_amount, cost,"
        " line_count, costed_revenue FROM sales_daily_item_totals ORDER BY 1, 2, 3",
    )
    tables = {
        "daily": await daily_rollups(database, shop.business_id),
        "hourly": await hourly_rollups(database, shop.business_id),
        "totals": totals,
    }
    return {
        name: [
            {k: (v.normalize() if isinstance(v, Decimal) else v) for k, v in row.items()}
            for row in rows
        ]
        for name, rows in tables.items()
    }


async def aggregate(client: httpx.AsyncClient, shop: Shop, **params: Any) -> dict[str, Any]:
    query = {"date_from": "2026-11-01", "date_to": "2026-11-22", **params}
    response = await client.get("/api/v1/sales/aggregate", headers=shop.owner.headers, params=query)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def export(location: str = "Main") -> bytes:
    """A till export: lunch on the 18th (a key the other sales share), dinner on the 20th
    (keys only this file has), a refund."""
    return csv_bytes(
        LINE_HEADER,
        [
            ["2026-11-18T12:10:00Z", "PIZ", 2, "21.00", location, "E1", 2],
            ["2026-11-18T12:10:00Z", "PAS", 1, "9.50", location, "E1", 2],
            ["2026-11-20T19:40:00Z", "TIR", 3, "15.00", location, "E2", 4],
            ["2026-11-20T20:05:00Z", "PIZ", -1, "-10.50", location, "", ""],
        ],
    )  # fmt: skip


async def other_sales(client: httpx.AsyncClient, shop: Shop) -> None:
    """Sales from elsewhere on the same days, one of them a sale and its refund."""
    main = str(shop.locations["Main"])
    lines = [
        {"sold_at": "2026-11-18T12:30:00Z", "sku": "PIZ", "quantity": 1, "amount": "10.50",
         "location_id": main, "covers": 1, "transaction_id": "T1"},
        {"sold_at": "2026-11-19T13:00:00Z", "sku": "PAS", "quantity": 2, "amount": "19.00",
         "location_id": main},
        {"sold_at": "2026-11-21T12:00:00Z", "sku": "TIR", "quantity": 1, "amount": "5.00",
         "location_id": main},
        {"sold_at": "2026-11-21T12:20:00Z", "sku": "TIR", "quantity": -1, "amount": "-5.00",
         "location_id": main},
    ]  # fmt: skip
    response = await bulk(client, shop.owner, lines, batch_id="pos-sync-1")
    assert response.status_code == 201, response.text


async def test_reverting_an_import_restores_every_rollup_and_frees_the_file(
    client: httpx.AsyncClient, database: Database
) -> None:
    shop = await create_shop(client, database)
    await other_sales(client, shop)
    before = await rollups(database, shop)
    by_item_before = await aggregate(client, shop, group_by="item")
    lines_before = len(await ledger_lines(database, shop.business_id))

    response = await upload(client, shop.owner, export(), filename="till.csv")
    assert response.status_code == 201, response.text
    listed = (await client.get(IMPORTS, headers=shop.owner.headers)).json()
    assert listed["total"] == 2
    newest = listed["items"][0]
    assert newest["filename"] == "till.csv" and newest["kind"] == "csv_lines"
    assert newest["lines_written"] == 4 and money(newest["net_amount"]) == Decimal("35.00")
    assert newest["first_date"] == "2026-11-18" and newest["last_date"] == "2026-11-20"
    assert newest["batch_id"] is None and newest["created_by"] == shop.owner.user_id
    assert listed["items"][1]["batch_id"] == "pos-sync-1"
    single = await client.get(f"{IMPORTS}/{newest['id']}", headers=shop.owner.headers)
    assert single.status_code == 200 and single.json() == newest
    assert await rollups(database, shop) != before

    deleted = await client.delete(f"{IMPORTS}/{newest['id']}", headers=shop.owner.headers)
    assert deleted.status_code == 204, deleted.text
    # As if the file had never come: rollups row for row (the dinner's rows are gone, not
    # left at zero; the sale and its refund of the 21st stay), the ledger, the aggregates.
    assert await rollups(database, shop) == before
    assert len(await ledger_lines(database, shop.business_id)) == lines_before
    assert await aggregate(client, shop, group_by="item") == by_item_before
    await assert_rollups_match_ledger(database, shop.business_id)
    gone = await client.get(f"{IMPORTS}/{newest['id']}", headers=shop.owner.headers)
    assert_error(gone, 404, "NOT_FOUND")
    assert (await client.get(IMPORTS, headers=shop.owner.headers)).json()["total"] == 1

    # The same file is new again (it was sent for the wrong location, say).
    again = await upload(client, shop.owner, export("Harbour"), filename="till.csv")
    assert again.status_code == 201 and again.json()["duplicate"] is False
    await assert_rollups_match_ledger(database, shop.business_id)
    audit = await client.get(
        "/api/v1/audit-log",
        headers=shop.owner.headers,
        params={"action": "sales.import_reverted"},
    )
    (entry,) = audit.json()["items"]
    assert entry["entity_id"] == newest["id"]
    assert entry["details"]["lines_deleted"] == 4 and entry["details"]["filename"] == "till.csv"


async def test_a_reverted_bulk_batch_id_can_be_sent_again(
    client: httpx.AsyncClient, database: Database
) -> None:
    shop = await create_shop(client, database)
    await other_sales(client, shop)
    listed = (await client.get(IMPORTS, headers=shop.owner.headers)).json()
    (batch,) = listed["items"]
    assert batch["kind"] == "bulk" and batch["batch_id"] == "pos-sync-1"
    deleted = await client.delete(f"{IMPORTS}/{batch['id']}", headers=shop.owner.headers)
    assert deleted.status_code == 204
    assert await ledger_lines(database, shop.business_id) == []
    empty = await rollups(database, shop)
    assert empty == {"daily": [], "hourly": [], "totals": []}
    await other_sales(client, shop)  # 201, not "already imported"
    await assert_rollups_match_ledger(database, shop.business_id)


async def test_a_daily_file_is_reverted_too(client: httpx.AsyncClient, database: Database) -> None:
    shop = await create_shop(client, database)
    await add_category(database, shop, "Drinks")
    await other_sales(client, shop)
    before = await rollups(database, shop)
    # Two categories on the same dates, one of them a date the other sales share.
    content = csv_bytes(
        ["date", "daily_sales", "marketing_spend", "product_category"],
        [["2026-11-18", "1200.00", "50", "Food"], ["2026-11-18", "300.00", "10", "Drinks"],
         ["2026-11-22", "980.50", "40", "Food"]],
    )  # fmt: skip
    response = await upload(client, shop.owner, content, location="Main")
    assert response.status_code == 201, response.text
    listed = (await client.get(IMPORTS, headers=shop.owner.headers)).json()["items"]
    assert listed[0]["kind"] == "csv_daily"
    deleted = await client.delete(f"{IMPORTS}/{listed[0]['id']}", headers=shop.owner.headers)
    assert deleted.status_code == 204
    assert await rollups(database, shop) == before
    await assert_rollups_match_ledger(database, shop.business_id)
    totals = await aggregate(client, shop, date_from="2026-11-22", date_to="2026-11-22")
    assert money(totals["total_revenue"]) == 0


async def test_other_businesses_and_roles(client: httpx.AsyncClient, database: Database) -> None:
    shop = await create_shop(client, database)
    await other_sales(client, shop)
    (batch,) = (await client.get(IMPORTS, headers=shop.owner.headers)).json()["items"]
    path = f"{IMPORTS}/{batch['id']}"
    stranger = await register(client)
    assert_error(await client.get(path, headers=stranger.headers), 404, "NOT_FOUND")
    assert_error(await client.delete(path, headers=stranger.headers), 404, "NOT_FOUND")
    assert (await client.get(IMPORTS, headers=stranger.headers)).json()["total"] == 0
    viewer = await add_user(client, shop.owner, "viewer")
    assert (await client.get(path, headers=viewer.headers)).status_code == 200
    assert_error(await client.delete(path, headers=viewer.headers), 403, "FORBIDDEN")
    cashier = await add_user(client, shop.owner, "cashier")
    assert_error(await client.get(IMPORTS, headers=cashier.headers), 403, "FORBIDDEN")
    unknown = f"{IMPORTS}/{uuid.uuid4()}"
    assert_error(await client.delete(unknown, headers=shop.owner.headers), 404, "NOT_FOUND")
    bad_id = await client.get(f"{IMPORTS}/not-an-id", headers=shop.owner.headers)
    assert_error(bad_id, 422, "VALIDATION_ERROR")
    # Nothing of the shop's moved.
    assert len(await ledger_lines(database, shop.business_id)) == 4
    manager = await add_user(client, shop.owner, "manager")
    assert (await client.delete(path, headers=manager.headers)).status_code == 204


async def test_two_reverts_at_once_take_the_lines_out_once(
    client: httpx.AsyncClient, database: Database
) -> None:
    shop = await create_shop(client, database)
    await other_sales(client, shop)
    response = await upload(client, shop.owner, export())
    assert response.status_code == 201
    listed = (await client.get(IMPORTS, headers=shop.owner.headers)).json()["items"]
    newest = listed[0]["id"]
    first, second = await asyncio.gather(
        client.delete(f"{IMPORTS}/{newest}", headers=shop.owner.headers),
        client.delete(f"{IMPORTS}/{newest}", headers=shop.owner.headers),
    )
    assert sorted([first.status_code, second.status_code]) == [204, 404]
    assert len(await ledger_lines(database, shop.business_id)) == 4
    await assert_rollups_match_ledger(database, shop.business_id)


async def test_list_filters_and_sorts(client: httpx.AsyncClient, database: Database) -> None:
    shop = await create_shop(client, database)
    await other_sales(client, shop)
    assert (await upload(client, shop.owner, export(), filename="nov.csv")).status_code == 201
    headers = shop.owner.headers
    by_kind = (await client.get(IMPORTS, headers=headers, params={"kind": "bulk"})).json()
    assert [i["batch_id"] for i in by_kind["items"]] == ["pos-sync-1"]
    found = (await client.get(IMPORTS, headers=headers, params={"search": "NOV"})).json()
    assert [i["filename"] for i in found["items"]] == ["nov.csv"]
    by_lines = await client.get(
        IMPORTS, headers=headers, params={"sort_by": "lines", "sort_order": "asc"}
    )
    assert [i["lines_written"] for i in by_lines.json()["items"]] == [4, 4]
    bad = await client.get(IMPORTS, headers=headers, params={"sort_by": "amount"})
    assert_error(bad, 422, "VALIDATION_ERROR")


async def test_sorts_by_the_fields_the_history_shows(
    client: httpx.AsyncClient, database: Database
) -> None:
    """`sort_by` takes the response's own field name, `lines_written` (and `lines`, as before)."""
    shop = await create_shop(client, database)
    main = str(shop.locations["Main"])

    def line(amount: str) -> dict[str, Any]:
        return {"sold_at": "2026-11-18T12:00:00Z", "sku": "PIZ", "quantity": 1,
                "amount": amount, "location_id": main}  # fmt: skip

    for batch_id, count in (("two", 2), ("three", 3), ("one", 1)):
        response = await bulk(client, shop.owner, [line("10.50")] * count, batch_id=batch_id)
        assert response.status_code == 201, response.text
    for sort_by in ("lines_written", "lines"):
        for order, expected in (("asc", [1, 2, 3]), ("desc", [3, 2, 1])):
            page = await client.get(
                IMPORTS,
                headers=shop.owner.headers,
                params={"sort_by": sort_by, "sort_order": order},
            )
            assert page.status_code == 200, page.text
            assert [i["lines_written"] for i in page.json()["items"]] == expected

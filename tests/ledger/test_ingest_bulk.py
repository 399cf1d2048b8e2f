"""POST /api/v1/sales/bulk: sale lines from elsewhere, validated line by line, written once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from decimal import Decimal

import httpx

from tableside.db.database import Database
from tests.factories import add_user, assert_error, money
from tests.factories.ledger import (
    BULK,
    assert_rollups_match_ledger,
    bulk,
    create_shop,
    fetch,
    hourly_rollups,
    ledger_lines,
)

D = Decimal


async def test_bulk_writes_lines_sales_and_refunds(
    client: httpx.AsyncClient, database: Database
) -> None:
    shop = await create_shop(client, database, timezone="America/New_York", cutoff=4)
    main = str(shop.locations["Main"])
    response = await bulk(
        client,
        shop.owner,
        [
            # One sale of two lines (01:30 local: the previous business day), four guests.
            {"sold_at": "2026-11-24T06:30:00Z", "sku": "PIZ", "quantity": 2, "amount": 24.5,
             "location_id": main, "transaction_id": "T1", "covers": 4},
            {"sold_at": "2026-11-24T06:30:00Z", "menu_item_id": str(shop.items["PAS"]),
             "quantity": "1", "amount": "9.99", "location_id": main, "transaction_id": "T1",
             "covers": 4},
            # A line without a transaction id is a sale of its own.
            {"sold_at": "2026-11-24T18:05:00+01:00", "sku": "TIR", "quantity": 1,
             "amount": "6.00", "location_id": main, "covers": 1},
            # A refund: negative quantity and amount, no sale counted.
            {"sold_at": "2026-11-24T15:00:00Z", "sku": "PIZ", "quantity": -1,
             "amount": "-12.25", "location_id": main},
            # A line booked on a business date.
            {"date": "2026-11-20", "sku": "PAS", "quantity": 3, "amount": "30.00"},
        ],
        batch_id="pos-export-1",
    )  # fmt: skip
    assert response.status_code == 201, response.text
    report = response.json()
    assert report["batch_id"] == "pos-export-1"
    assert report["kind"] == "bulk" and report["duplicate"] is False
    assert report["lines_written"] == 5 and report["lines_skipped"] == 0
    assert report["errors"] == []
    assert money(report["net_amount"]) == D("58.24")
    assert report["first_date"] == "2026-11-20" and report["last_date"] == "2026-11-24"

    lines = {
        (row["net_amount"], row["quantity"]): row
        for row in await ledger_lines(database, shop.business_id)
    }
    pizza = lines[(D("24.50"), D("2.000"))]
    assert pizza["business_date"] == date(2026, 11, 23) and pizza["local_hour"] == 1
    assert pizza["menu_item_id"] == shop.items["PIZ"]
    assert pizza["category_id"] == shop.categories["Food"]
    assert pizza["cost"] == D("8.00")  # 2 x the item's cost of 4.00
    assert pizza["source"] == "import"
    pasta = lines[(D("9.99"), D("1.000"))]
    # One sale: counted once, with its guests once.
    assert pizza["transactions"] + pasta["transactions"] == 1
    assert pizza["covers"] + pasta["covers"] == 4
    tiramisu = lines[(D("6.00"), D("1.000"))]
    assert tiramisu["transactions"] == 1 and tiramisu["covers"] == 1
    assert tiramisu["cost"] is None  # no cost on the menu item
    refund = lines[(D("-12.25"), D("-1.000"))]
    assert refund["transactions"] == 0 and refund["cost"] == D("-4.00")
    booked = lines[(D("30.00"), D("3.000"))]
    assert booked["business_date"] == date(2026, 11, 20)
    assert booked["location_id"] is None and booked["local_hour"] == 4

    hours = await hourly_rollups(database, shop.business_id)
    assert sum(h["transactions"] for h in hours) == 3
    assert sum(h["covers"] for h in hours) == 5
    await assert_rollups_match_ledger(database, shop.business_id)
    batches = await fetch(
        database, shop.business_id, "SELECT kind, line_count, net_amount FROM ledger_batches"
    )
    assert batches == [{"kind": "bulk", "line_count": 5, "net_amount": D("58.24")}]
    audit = await client.get(
        "/api/v1/audit-log", headers=shop.owner.headers, params={"entity_type": "ledger_batch"}
    )
    assert [entry["action"] for entry in audit.json()["items"]] == ["sales.imported"]


async def test_repeated_batch_id_adds_nothing(
    client: httpx.AsyncClient, database: Database
) -> None:
    shop = await create_shop(client, database)
    lines = [{"sold_at": "2026-11-02T12:00:00Z", "sku": "PIZ", "quantity": 1, "amount": 10}]
    first = await bulk(client, shop.owner, lines, batch_id="b-1")
    assert first.status_code == 201, first.text
    # The same lines again (a retry), however the JSON is laid out: a duplicate.
    reordered = [dict(reversed(list(line.items()))) for line in lines]
    again = await bulk(client, shop.owner, reordered, batch_id="b-1")
    assert again.status_code == 200, again.text
    body = again.json()
    assert body["duplicate"] is True and body["lines_written"] == 1
    assert money(body["net_amount"]) == D("10")
    # Other lines under the same batch id would be dropped by a "duplicate": a conflict.
    other = await bulk(client, shop.owner, [*lines, *lines], batch_id="b-1")
    error = assert_error(other, 409, "IDEMPOTENCY_CONFLICT")
    assert "b-1" in error["message"] and error["details"][0]["field"] == "batch_id"
    assert len(await ledger_lines(database, shop.business_id)) == 1
    # Under a new batch id they are imported.
    assert (await bulk(client, shop.owner, [*lines, *lines], batch_id="b-2")).status_code == 201
    assert len(await ledger_lines(database, shop.business_id)) == 3


async def test_concurrent_identical_batches_write_once(
    client: httpx.AsyncClient, database: Database
) -> None:
    shop = await create_shop(client, database)
    lines = [
        {"sold_at": f"2026-11-02T1{i % 10}:00:00Z", "sku": "PIZ", "quantity": 1, "amount": 10}
        for i in range(200)
    ]
    responses = await asyncio.gather(
        *(bulk(client, shop.owner, lines, batch_id="same-batch") for _ in range(3))
    )
    assert sorted(r.status_code for r in responses) == [200, 200, 201], [r.text for r in responses]
    assert len(await ledger_lines(database, shop.business_id)) == 200
    await assert_rollups_match_ledger(database, shop.business_id)


async def test_invalid_lines_refuse_the_batch(
    client: httpx.AsyncClient, database: Database
) -> None:
    shop = await create_shop(client, database)
    good = {"sold_at": "2026-11-02T12:00:00Z", "sku": "PIZ", "quantity": 1, "amount": 10}
    response = await bulk(
        client,
        shop.owner,
        [
            good,
            {**good, "quantity": "two"},
            {**good, "amount": "10.005"},
            {**good, "sold_at": "yesterday"},
            {**good, "sku": "NOPE"},
            {**good, "quantity": 2, "amount": -5},
            "not an object",
            {**good, "price": 3},
            {**good, "date": "2026-11-02"},
            {"sku": "PIZ", "quantity": 1, "amount": 1},
            {"sold_at": "2026-11-02T12:00:00Z", "quantity": 1, "amount": 1},
            {**good, "covers": -2},
            {**good, "quantity": True},
            {**good, "location_id": "Main"},
            {**good, "sold_at": "2026-02-30T10:00:00Z"},
        ],
        batch_id="bad-batch",
    )
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert error["message"].startswith("14 of 15 lines are invalid")
    found = {(d["index"], d["field"]): d["message"] for d in error["details"]}
    assert found == {
        (1, "lines.1.quantity"): "is not a number",
        (2, "lines.2.amount"): "has more than 2 decimals",
        (3, "lines.3.sold_at"): found[(3, "lines.3.sold_at")],
        (4, "lines.4.sku"): "unknown item",
        (5, "lines.5.amount"): ("must have the same sign as quantity (a refund has both negative)"),
        (6, "lines.6"): "must be an object",
        (7, "lines.7.price"): "is not a field of a sale line",
        (8, "lines.8.date"): "give either sold_at or date, not both",
        (9, "lines.9.sold_at"): "is required (or date)",
        (10, "lines.10.menu_item_id"): "is required (or sku)",
        (11, "lines.11.covers"): "must not be negative",
        (12, "lines.12.quantity"): "must be a number or a string, not true/false",
        (13, "lines.13.location_id"): "is not a valid id",
        (14, "lines.14.sold_at"): found[(14, "lines.14.sold_at")],
    }
    assert found[(3, "lines.3.sold_at")].startswith("is not an ISO 8601 date-time")
    assert found[(14, "lines.14.sold_at")].startswith("is not an ISO 8601 date-time")
    # Listed in order of the lines.
    assert [d["index"] for d in error["details"]] == sorted(d["index"] for d in error["details"])
    assert await ledger_lines(database, shop.business_id) == []
    # Nothing was claimed either: the fixed batch may be sent under the same id.
    fixed = await bulk(client, shop.owner, [good], batch_id="bad-batch")
    assert fixed.status_code == 201, fixed.text


async def test_skip_invalid_writes_the_good_lines(
    client: httpx.AsyncClient, database: Database
) -> None:
    shop = await create_shop(client, database)
    good = {"sold_at": "2026-11-02T12:00:00Z", "sku": "PIZ", "quantity": 1, "amount": 10}
    response = await bulk(
        client,
        shop.owner,
        [good, {**good, "sku": "NOPE"}, {**good, "amount": "x"}, good],
        skip_invalid=True,
    )
    assert response.status_code == 201, response.text
    report = response.json()
    assert report["lines_written"] == 2 and report["lines_skipped"] == 2
    assert report["error_count"] == 2
    assert [(e["index"], e["field"]) for e in report["errors"]] == [
        (1, "lines.1.sku"),
        (2, "lines.2.amount"),
    ]
    assert money(report["net_amount"]) == D("20")
    assert len(await ledger_lines(database, shop.business_id)) == 2


async def test_another_business_ids_are_line_errors(
    client: httpx.AsyncClient, database: Database
) -> None:
    shop = await create_shop(client, database)
    other = await create_shop(client, database)
    good = {"sold_at": "2026-11-02T12:00:00Z", "sku": "PIZ", "quantity": 1, "amount": 10}
    response = await bulk(
        client,
        shop.owner,
        [
            {**good, "sku": None, "menu_item_id": str(other.items["PIZ"])},
            {**good, "location_id": str(other.locations["Main"])},
            {**good, "location_id": str(uuid.uuid4())},
            {**good, "menu_item_id": str(shop.items["PAS"])},  # sku and id disagree
        ],
    )
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert [(d["field"], d["message"]) for d in error["details"]] == [
        ("lines.0.menu_item_id", "unknown menu item"),
        ("lines.1.location_id", "unknown location"),
        ("lines.2.location_id", "unknown location"),
        ("lines.3.sku", "does not name the same item as menu_item_id"),
    ]
    assert await ledger_lines(database, other.business_id) == []


async def test_roles_and_api_keys(client: httpx.AsyncClient, database: Database) -> None:
    shop = await create_shop(client, database)
    line = {"sold_at": "2026-11-02T12:00:00Z", "sku": "PIZ", "quantity": 1, "amount": 10}
    for role in ("cashier", "wait_staff", "kitchen_staff", "viewer"):
        account = await add_user(client, shop.owner, role)
        assert_error(await bulk(client, account, [line]), 403, "FORBIDDEN")
    manager = await add_user(client, shop.owner, "manager")
    assert (await bulk(client, manager, [line])).status_code == 201
    created = await client.post(
        "/api/v1/api-keys", headers=shop.owner.headers, json={"name": "POS", "role": "manager"}
    )
    key = created.json()["key"]
    response = await client.post(
        BULK, headers={"X-API-Key": key}, json={"batch_id": "from-key", "lines": [line]}
    )
    assert response.status_code == 201, response.text
    cashier_key = await client.post(
        "/api/v1/api-keys", headers=shop.owner.headers, json={"name": "Till", "role": "cashier"}
    )
    response = await client.post(
        BULK,
        headers={"X-API-Key": cashier_key.json()["key"]},
        json={"batch_id": "till", "lines": [line]},
    )
    assert_error(response, 403, "FORBIDDEN")
    anonymous = await client.post(BULK, json={"batch_id": "x", "lines": [line]})
    assert_error(anonymous, 401, "UNAUTHORIZED")


async def test_body_limits(client: httpx.AsyncClient, database: Database) -> None:
    shop = await create_shop(client, database)
    too_many = await client.post(
        BULK, headers=shop.owner.headers, json={"batch_id": "big", "lines": [{}] * 100_001}
    )
    error = assert_error(too_many, 422, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "lines"
    empty = await client.post(BULK, headers=shop.owner.headers, json={"batch_id": "e", "lines": []})
    assert_error(empty, 422, "VALIDATION_ERROR")
    no_id = await client.post(BULK, headers=shop.owner.headers, json={"lines": [{}]})
    assert_error(no_id, 422, "VALIDATION_ERROR")


async def test_many_lines_in_one_request(client: httpx.AsyncClient, database: Database) -> None:
    shop = await create_shop(client, database, timezone="Europe/Paris")
    skus = ["PIZ", "PAS", "TIR"]
    lines = [
        {
            "sold_at": f"2026-10-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z",
            "sku": skus[i % 3],
            "quantity": 1 + i % 3,
            "amount": f"{(1 + i % 3) * 4.5:.2f}",
            "location_id": str(shop.locations["Main" if i % 2 else "Harbour"]),
            "transaction_id": f"T{i // 3}",
            "covers": 1 + i % 4,
        }
        for i in range(20_000)
    ]
    response = await bulk(client, shop.owner, lines)
    assert response.status_code == 201, response.text
    assert response.json()["lines_written"] == 20_000
    hours = await hourly_rollups(database, shop.business_id)
    assert sum(h["transactions"] for h in hours) == 6667
    await assert_rollups_match_ledger(database, shop.business_id)


async def test_nul_characters_are_line_errors(
    client: httpx.AsyncClient, database: Database
) -> None:
    shop = await create_shop(client, database)
    good = {"sold_at": "2026-11-02T12:00:00Z", "sku": "PIZ", "quantity": 1, "amount": 10}
    lines = [good, {**good, "transaction_id": "T\u00001"}, {**good, "sku": "NOPE"}, good]
    error = assert_error(await bulk(client, shop.owner, lines), 422, "VALIDATION_ERROR")
    assert [(d["field"], d["message"]) for d in error["details"]] == [
        ("lines.1.transaction_id", "contains a NUL character"),
        ("lines.2.sku", "unknown item"),
    ]
    written = await bulk(client, shop.owner, lines, skip_invalid=True)
    assert written.status_code == 201 and written.json()["lines_written"] == 2


async def test_a_day_total_past_the_ledger_bound_is_refused(
    client: httpx.AsyncClient, database: Database
) -> None:
    shop = await create_shop(client, database)
    huge = {"sold_at": "2026-11-02T12:00:00Z", "sku": "TIR", "quantity": 1,
            "amount": "999999999999.99"}  # fmt: skip
    assert (await bulk(client, shop.owner, [huge])).status_code == 201
    error = assert_error(await bulk(client, shop.owner, [huge]), 422, "VALIDATION_ERROR")
    assert error["details"] == [{"field": "amount", "message": "a day's total is too large"}]
    assert len(await ledger_lines(database, shop.business_id)) == 1

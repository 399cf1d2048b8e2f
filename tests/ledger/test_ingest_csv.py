"""POST /api/v1/sales/import: both CSV shapes, every malformed case, duplicates."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal

import httpx

from tableside.db.database import Database, set_tenant
from tableside.models import MenuItem
from tests.factories import add_user, assert_error, money
from tests.factories.ledger import (
    NOT_A_NUMBER,
    NOT_A_NUMBER_COMMA,
    add_category,
    assert_rollups_match_ledger,
    create_shop,
    csv_bytes,
    daily_rollups,
    fetch,
    ledger_lines,
    upload,
)

D = Decimal
LINE_HEADER = ["timestamp", "item", "quantity", "amount", "location", "transaction_id", "covers"]


async def test_line_shape(client: httpx.AsyncClient, database: Database) -> None:
    shop = await create_shop(client, database, timezone="Europe/London", cutoff=5)
    content = csv_bytes(
        LINE_HEADER,
        [
            ["2026-11-20T12:00:00Z", "PIZ", 2, "21.00", "Main", "A", 3],
            ["2026-11-20T12:00:00Z", "pasta", 1, "9.50", "Main", "A", 3],  # by name
            ["2026-11-20 13:15", "  TIRAMISU ", 1, "5", "harbour", "", ""],  # local time
            ["2026-11-21T02:00:00+00:00", "PIZ", -1, "-10.50", str(shop.locations["Main"]), "", 0],
            ["2026-11-21T09:00:00Z", "PIZ", "0.5", "5.25", "", "B", 2],
        ],
    )  # fmt: skip
    response = await upload(client, shop.owner, content, filename="export.csv")
    assert response.status_code == 201, response.text
    report = response.json()
    assert report["kind"] == "csv_lines" and report["filename"] == "export.csv"
    assert report["lines_written"] == 5 and money(report["net_amount"]) == D("30.25")
    assert report["first_date"] == "2026-11-20" and report["last_date"] == "2026-11-21"
    rows = sorted(await ledger_lines(database, shop.business_id), key=lambda r: r["sold_at"])
    by_amount = {r["net_amount"]: r for r in rows}
    assert by_amount[D("9.50")]["menu_item_id"] == shop.items["PAS"]  # matched by name
    assert by_amount[D("5.00")]["menu_item_id"] == shop.items["TIR"]
    assert by_amount[D("5.00")]["location_id"] == shop.locations["Harbour"]
    assert by_amount[D("5.00")]["local_hour"] == 13  # London is on UTC in November
    # 02:00 with a 05:00 cutoff is the previous business day.
    assert by_amount[D("-10.50")]["business_date"] == date(2026, 11, 20)
    assert by_amount[D("5.25")]["location_id"] is None
    assert by_amount[D("5.25")]["quantity"] == D("0.500")
    assert sum(r["transactions"] for r in rows) == 3  # A, the tiramisu, B
    assert sum(r["covers"] for r in rows) == 3 + 0 + 2
    await assert_rollups_match_ledger(database, shop.business_id)


async def test_sku_column_date_column_and_default_location(
    client: httpx.AsyncClient, database: Database
) -> None:
    shop = await create_shop(client, database, timezone="America/Chicago", cutoff=3)
    content = csv_bytes(
        ["date", "sku", "quantity", "amount"],
        [["2026-07-04", "PIZ", 10, "120"], ["2026-07-05", "PAS", 4, "40"]],
    )
    response = await upload(client, shop.owner, content, location="Harbour")
    assert response.status_code == 201, response.text
    rows = sorted(await ledger_lines(database, shop.business_id), key=lambda r: r["sold_at"])
    assert {r["location_id"] for r in rows} == {shop.locations["Harbour"]}
    assert [r["business_date"] for r in rows] == [date(2026, 7, 4), date(2026, 7, 5)]
    # Booked at the start of the business day: 03:00 in Chicago (CDT, UTC-5).
    assert rows[0]["sold_at"].isoformat() == "2026-07-04T08:00:00+00:00"
    assert rows[0]["local_hour"] == 3
    unknown = await upload(client, shop.owner, content + b"\n", location="Nowhere")
    error = assert_error(unknown, 422, "VALIDATION_ERROR")
    assert error["details"] == [{"field": "location", "message": "unknown location"}]


async def test_daily_shape_and_signals(client: httpx.AsyncClient, database: Database) -> None:
    shop = await create_shop(client, database, timezone="Asia/Tokyo", cutoff=4)
    drinks = await add_category(database, shop, "Drinks")
    content = csv_bytes(
        ["date", "daily_sales", "marketing_spend", "is_holiday", "product_category",
         "day_of_week", "transactions"],
        [
            ["2026-01-01", "1234.56", "100.00", "1", "Food", "Thursday", "48"],
            ["2026-01-02", "987.10", "", "false", "", "Friday", ""],
            ["2026-01-03", "0", "25", "yes", "Drinks", "Saturday", "0"],
        ],
    )  # fmt: skip
    response = await upload(client, shop.owner, content, filename="sfs.csv")
    assert response.status_code == 201, response.text
    report = response.json()
    assert report["kind"] == "csv_daily" and report["lines_written"] == 3
    assert report["signals_written"] == 3
    assert money(report["net_amount"]) == D("2221.66")
    rows = sorted(await ledger_lines(database, shop.business_id), key=lambda r: r["sold_at"])
    assert [
        (r["business_date"], r["quantity"], r["menu_item_id"], r["category_id"]) for r in rows
    ] == [
        (date(2026, 1, 1), D("0.000"), None, shop.categories["Food"]),
        (date(2026, 1, 2), D("0.000"), None, None),
        (date(2026, 1, 3), D("0.000"), None, drinks),
    ]
    assert [r["transactions"] for r in rows] == [48, 0, 0]
    assert rows[0]["local_hour"] == 4 and rows[0]["sold_at"].isoformat() == (
        "2025-12-31T19:00:00+00:00"
    )
    signals = await fetch(
        database,
        shop.business_id,
        "SELECT business_date, marketing_spend, is_holiday, product_category"
        " FROM sales_daily_signals ORDER BY business_date",
    )
    assert signals == [
        {"business_date": date(2026, 1, 1), "marketing_spend": D("100.00"),
         "is_holiday": True, "product_category": "Food"},
        {"business_date": date(2026, 1, 2), "marketing_spend": None, "is_holiday": False,
         "product_category": None},
        {"business_date": date(2026, 1, 3), "marketing_spend": D("25.00"), "is_holiday": True,
         "product_category": "Drinks"},
    ]  # fmt: skip
    # A second file for the same days, added to the first (`on_overlap=add`): sales add
    # up, signals are updated (empty keeps).
    second = csv_bytes(
        ["date", "daily_sales", "marketing_spend", "location"],
        [["2026-01-01", "10", "", "Main"], ["2026-01-02", "5", "50", ""]],
    )
    response = await upload(client, shop.owner, second, on_overlap="add")
    assert response.status_code == 201, response.text
    signals = await fetch(
        database,
        shop.business_id,
        "SELECT business_date, location_key, marketing_spend FROM sales_daily_signals"
        " ORDER BY business_date, location_key",
    )
    assert [(s["business_date"], s["marketing_spend"]) for s in signals] == [
        (date(2026, 1, 1), D("100.00")),
        (date(2026, 1, 2), D("50.00")),
        (date(2026, 1, 3), D("25.00")),
    ]
    daily = await daily_rollups(database, shop.business_id)
    assert sum(row["net_amount"] for row in daily) == D("2236.66")
    await assert_rollups_match_ledger(database, shop.business_id)


async def test_bom_semicolons_crlf_and_names(client: httpx.AsyncClient, database: Database) -> None:
    shop = await create_shop(client, database)
    content = (
        "\ufeffTimestamp ; SKU;Quantity;Amount\r\n"
        "2026-11-02T10:00:00Z;PIZ;1;10.00\r\n"
        "2026-11-02T11:00:00Z;PAS;2;19.00\r\n\r\n\r\n"
    ).encode()
    response = await upload(client, shop.owner, content)
    assert response.status_code == 201, response.text
    assert response.json()["lines_written"] == 2


async def test_spaces_around_date_cells_are_trimmed(
    client: httpx.AsyncClient, database: Database
) -> None:
    """A spreadsheet that pads its cells (`" 2026-01-05"`) has its dates and timestamps read
    like every other cell, trimmed, in both shapes and whether or not another row is bad."""
    shop = await create_shop(client, database, timezone="Europe/London", cutoff=4)
    daily = csv_bytes(
        ["date", "daily_sales", "is_holiday"],
        [[" 2026-01-05", "100", "1"], ["2026-01-06 ", "50", ""], ["\t2026-01-07\t", "25", ""]],
    )
    response = await upload(client, shop.owner, daily)
    assert response.status_code == 201, response.text
    assert response.json()["lines_written"] == 3
    lines = csv_bytes(
        ["timestamp", "sku", "quantity", "amount"],
        [[" 2026-01-05T12:00:00Z", "PIZ", 1, "10"], ["2026-01-05 13:00 ", "PAS", 1, "9.50"]],
    )
    response = await upload(client, shop.owner, lines)
    assert response.status_code == 201, response.text
    dated = csv_bytes(["date", "sku", "quantity", "amount"], [["  2026-01-06 ", "PIZ", 2, "20"]])
    response = await upload(client, shop.owner, dated)
    assert response.status_code == 201, response.text
    rows = sorted(await ledger_lines(database, shop.business_id), key=lambda r: r["sold_at"])
    assert [(r["business_date"], r["net_amount"]) for r in rows] == [
        (date(2026, 1, 5), D("100.00")),
        (date(2026, 1, 5), D("10.00")),
        (date(2026, 1, 5), D("9.50")),
        (date(2026, 1, 6), D("50.00")),
        (date(2026, 1, 6), D("20.00")),
        (date(2026, 1, 7), D("25.00")),
    ]
    assert rows[2]["local_hour"] == 13
    # The careful conversion (a bad row elsewhere in the file) trims the same way.
    mixed = csv_bytes(
        ["timestamp", "sku", "quantity", "amount"],
        [[" 2026-01-08T12:00:00Z ", "PIZ", 1, "10"], [" 2026-01-08 ", "PIZ", "x", "1"]],
    )
    error = assert_error(await upload(client, shop.owner, mixed), 422, "VALIDATION_ERROR")
    assert [(d["line"], d["field"]) for d in error["details"]] == [(3, "timestamp")]
    await assert_rollups_match_ledger(database, shop.business_id)


async def test_semicolon_files_may_write_decimal_commas(
    client: httpx.AsyncClient, database: Database
) -> None:
    """Spreadsheets in decimal-comma locales (most of Europe) save CSV with semicolons, and
    their numbers with a comma: 12,50 is twelve and a half there."""
    shop = await create_shop(client, database)
    lines = (
        b"timestamp;sku;quantity;amount\n"
        b"2026-11-02T10:00:00Z;PIZ;1;12,50\n"
        b"2026-11-02T11:00:00Z;PAS;0,5;4,75\n"
        b"2026-11-02T12:00:00Z;PAS;-1;-9,5\n"
        b"2026-11-02T13:00:00Z;PAS;1;1.234,50\n"  # thousands separators are not guessed at
    )
    refused = await upload(client, shop.owner, lines)
    error = assert_error(refused, 422, "VALIDATION_ERROR")
    assert [(d["line"], d["field"], d["message"]) for d in error["details"]] == [
        (5, "amount", NOT_A_NUMBER_COMMA)
    ]
    # The same with a row only the careful conversion reads (a 30 February).
    careful = lines + b"2026-02-30T10:00:00Z;PAS;1;2,50\n"
    error = assert_error(await upload(client, shop.owner, careful), 422, "VALIDATION_ERROR")
    assert [(d["line"], d["field"]) for d in error["details"]] == [(5, "amount"), (6, "timestamp")]
    written = await upload(client, shop.owner, lines, skip_invalid=True)
    assert written.status_code == 201, written.text
    assert written.json()["lines_written"] == 3
    found = sorted(
        (r["quantity"], r["net_amount"]) for r in await ledger_lines(database, shop.business_id)
    )
    assert found == [(D("-1"), D("-9.50")), (D("0.5"), D("4.75")), (D("1"), D("12.50"))]
    daily = b"date;daily_sales;marketing_spend\n2026-11-03;1234,56;20,5\n"
    response = await upload(client, shop.owner, daily)
    assert response.status_code == 201, response.text
    assert money(response.json()["net_amount"]) == D("1234.56")
    signals = await fetch(
        database, shop.business_id, "SELECT marketing_spend FROM sales_daily_signals"
    )
    assert signals == [{"marketing_spend": D("20.50")}]
    # In a comma-separated file a comma inside a number is still refused.
    quoted = b'date,daily_sales\n2026-11-04,"12,50"\n'
    assert_error(await upload(client, shop.owner, quoted), 422, "VALIDATION_ERROR")


async def test_item_names_and_ambiguity(client: httpx.AsyncClient, database: Database) -> None:
    shop = await create_shop(client, database)
    async with database.session() as session:
        await set_tenant(session, shop.business_id)
        for sku, active in (("PIZ-OLD", False), ("PAS-2", True)):
            session.add(
                MenuItem(
                    business_id=shop.business_id,
                    name="Pizza" if sku == "PIZ-OLD" else "pasta",
                    price=D("1"),
                    sku=sku,
                    barcode=f"BC-{sku}-{shop.business_id.hex[:6]}",
                    is_active=active,
                )
            )
    content = csv_bytes(
        ["timestamp", "item", "quantity", "amount"],
        [
            ["2026-11-02T10:00:00Z", "PIZZA", 1, "10"],  # the active one wins
            ["2026-11-02T10:00:00Z", "Pasta", 1, "10"],  # two active: ambiguous
            ["2026-11-02T10:00:00Z", "PIZ-OLD", 1, "10"],  # an inactive item by SKU
        ],
    )
    response = await upload(client, shop.owner, content)
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert error["details"] == [
        {"line": 3, "field": "item", "message": "matches 2 menu items by name; use the SKU"}
    ]
    fixed = await upload(client, shop.owner, content, skip_invalid=True)
    assert fixed.status_code == 201, fixed.text
    items = {r["menu_item_id"] for r in await ledger_lines(database, shop.business_id)}
    assert shop.items["PIZ"] in items and len(items) == 2


async def test_an_item_cell_naming_another_item_than_the_sku_is_a_row_error(
    client: httpx.AsyncClient, database: Database
) -> None:
    """The bulk API refuses a sku that names another item than menu_item_id; a file whose
    item and sku cells disagree was booked to the SKU's item without a word."""
    shop = await create_shop(client, database)
    content = csv_bytes(
        ["timestamp", "item", "sku", "quantity", "amount"],
        [
            ["2026-11-02T10:00:00Z", "pizza", "PIZ", 1, "10"],  # the same item
            ["2026-11-02T10:00:00Z", "Pasta", "PIZ", 1, "10"],  # another item by name
            ["2026-11-02T10:00:00Z", "TIR", "PIZ", 1, "10"],  # another item by SKU
            ["2026-11-02T10:00:00Z", "Pizza Marg. (till)", "PIZ", 1, "10"],  # the till's name
        ],
    )
    response = await upload(client, shop.owner, content)
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert error["details"] == [
        {"line": 3, "field": "item", "message": "names another menu item than the sku"},
        {"line": 4, "field": "item", "message": "names another menu item than the sku"},
    ]
    assert await ledger_lines(database, shop.business_id) == []
    written = await upload(client, shop.owner, content, skip_invalid=True)
    assert written.status_code == 201, written.text
    rows = await ledger_lines(database, shop.business_id)
    assert [r["menu_item_id"] for r in rows] == [shop.items["PIZ"]] * 2


async def test_row_errors_name_their_lines(client: httpx.AsyncClient, database: Database) -> None:
    shop = await create_shop(client, database)
    content = csv_bytes(
        ["timestamp", "sku", "quantity", "amount", "covers"],
        [
            ["2026-11-02T10:00:00Z", "PIZ", 1, "10", ""],  # line 2: fine
            ["2026-13-02T10:00:00Z", "PIZ", 1, "10", ""],  # 3: month 13
            ["02/11/2026 10:00", "PIZ", 1, "10", ""],  # 4: not ISO
            ["2026-11-02T10:00:00Z", "PIZ", "abc", "10", ""],  # 5
            ["2026-11-02T10:00:00Z", "PIZ", -1, "10", ""],  # 6: mixed signs
            ["2026-11-02T10:00:00Z", "PIZ", 1, "1.234", ""],  # 7
            ["2026-11-02T10:00:00Z", "NOPE", 1, "10", ""],  # 8
            ["2026-11-02T10:00:00Z", "PIZ", "", "10", ""],  # 9
            ["2026-11-02T10:00:00Z", "PIZ", 1, "10", "2.5"],  # 10
            ["2026-11-02T10:00:00 UTC", "PIZ", 1, "10", ""],  # 11: zone names are not ISO
            ["", "PIZ", 1, "10", ""],  # 12
            ["2026-11-02T24:00:00Z", "PIZ", 1, "10", ""],  # 13
            ["2026-11-02T10:00:00Z", "PIZ", "1e400", "10", ""],  # 14
            ["2026-11-02T10:00:00Z", "PIZ", "NaN", "10", ""],  # 15
        ],
    )
    response = await upload(client, shop.owner, content)
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert error["message"].startswith("13 of 14 lines are invalid; nothing was written")
    found = [(d["line"], d["field"], d["message"]) for d in error["details"]]
    ts = "is not an ISO 8601 date-time (YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM])"
    assert found == [
        (3, "timestamp", ts),
        (4, "timestamp", ts),
        (5, "quantity", NOT_A_NUMBER),
        (6, "amount", "must have the same sign as quantity (a refund has both negative)"),
        (7, "amount", "has more than 2 decimals"),
        (8, "sku", "unknown item"),
        (9, "quantity", "is required"),
        (10, "covers", "is not a whole number"),
        (11, "timestamp", ts),
        (12, "timestamp", "is required"),
        (13, "timestamp", ts),
        (14, "quantity", "is too large"),
        (15, "quantity", NOT_A_NUMBER),
    ]
    assert await ledger_lines(database, shop.business_id) == []


async def test_structurally_broken_rows(client: httpx.AsyncClient, database: Database) -> None:
    shop = await create_shop(client, database)
    content = (
        b"timestamp,sku,quantity,amount\n"
        b"2026-11-02T10:00:00Z,PIZ,1,10\n"
        b"2026-11-02T10:00:00Z,PIZ,1\n"  # line 3: a cell short
        b"\n"  # line 4: blank, skipped
        b"2026-11-02T10:00:00Z,PIZ,1,10,extra\n"  # line 5: a cell too many
        b'2026-11-02T10:00:00Z,"PI\nZ",1,10\n'  # lines 6-7: a quoted line break
        b"2026-11-02T10:00:00Z,NOPE,1,10\n"  # line 8
    )
    response = await upload(client, shop.owner, content)
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert [(d["line"], d["field"]) for d in error["details"]] == [
        (3, "row"),
        (5, "row"),
        (6, "sku"),
        (8, "sku"),
    ]
    assert error["details"][0]["message"] == "has 3 cells; the header has 4 columns"
    written = await upload(client, shop.owner, content, skip_invalid=True)
    assert written.status_code == 201, written.text
    assert written.json()["lines_written"] == 1
    assert written.json()["lines_skipped"] == 4


async def test_quoted_line_breaks_keep_line_numbers(
    client: httpx.AsyncClient, database: Database
) -> None:
    shop = await create_shop(client, database)
    content = (
        b"timestamp,sku,quantity,amount\n"
        b'2026-11-02T10:00:00Z,"PIZ",1,10\n'
        b'"2026-11-02T10:00:00Z\n",PIZ,1,10\n'  # lines 3-4
        b"2026-11-02T10:00:00Z,PIZ,x,10\n"  # line 5
    )
    error = assert_error(await upload(client, shop.owner, content), 422, "VALIDATION_ERROR")
    assert [(d["line"], d["field"]) for d in error["details"]] == [
        (3, "timestamp"),
        (5, "quantity"),
    ]


async def test_file_level_problems(client: httpx.AsyncClient, database: Database) -> None:
    shop = await create_shop(client, database)
    owner = shop.owner
    assert_error(await upload(client, owner, b""), 400, "BAD_REQUEST")
    assert_error(await upload(client, owner, b"\xef\xbb\xbf \n\n"), 400, "BAD_REQUEST")
    header_only = await upload(client, owner, b"timestamp,sku,quantity,amount\n\n")
    assert "no data rows" in assert_error(header_only, 400, "BAD_REQUEST")["message"]
    # Lines ended by a carriage return alone are rows, not one long header: say why.
    old_mac = await upload(client, owner, b"date,daily_sales\r2026-01-01,10\r2026-01-02,12\r")
    assert "carriage return" in assert_error(old_mac, 400, "BAD_REQUEST")["message"]
    latin1 = "date,daily_sales,product_category\n2026-01-01,10,Caf\xe9\n".encode("latin-1")
    assert (
        "UTF-8" in assert_error(await upload(client, owner, latin1), 400, "BAD_REQUEST")["message"]
    )
    binary = await upload(client, owner, b"date,daily_sales\n\x00\x01\x02")
    assert_error(binary, 400, "BAD_REQUEST")
    wrong_type = await upload(client, owner, b"a,b\n1,2\n", content_type="image/png")
    assert_error(wrong_type, 400, "BAD_REQUEST")

    unknown = await upload(client, owner, b"timestamp,sku,qty,amount,colour\n2026,a,1,2,x\n")
    error = assert_error(unknown, 422, "VALIDATION_ERROR")
    messages = " ".join(d["message"] for d in error["details"])
    assert "missing required column(s): quantity" in messages
    assert "'qty'" in messages and "'colour'" in messages
    both = await upload(client, owner, b"timestamp,date,sku,quantity,amount\n1,2,3,4,5\n")
    assert "either timestamp or date" in str(assert_error(both, 422, "VALIDATION_ERROR"))
    no_item = await upload(client, owner, b"timestamp,quantity,amount\n1,2,3\n")
    assert "item (or sku)" in str(assert_error(no_item, 422, "VALIDATION_ERROR"))
    repeated = await upload(client, owner, b"date,daily_sales,date\n1,2,3\n")
    assert "repeated column(s): date" in str(assert_error(repeated, 422, "VALIDATION_ERROR"))
    daily_missing = await upload(client, owner, b"daily_sales,marketing_spend\n1,2\n")
    assert "date" in str(assert_error(daily_missing, 422, "VALIDATION_ERROR"))
    no_file = await client.post("/api/v1/sales/import", headers=owner.headers)
    assert_error(no_file, 422, "VALIDATION_ERROR")


async def test_daily_row_errors(client: httpx.AsyncClient, database: Database) -> None:
    shop = await create_shop(client, database)
    content = csv_bytes(
        ["date", "daily_sales", "marketing_spend", "is_holiday", "transactions", "location"],
        [
            ["2026-01-01", "100", "10", "0", "5", "Main"],
            ["2026-02-30", "100", "", "", "", ""],
            ["2026-01-02", "-5", "", "", "", ""],
            ["2026-01-03", "5", "-1", "", "", ""],
            ["2026-01-04", "5", "", "maybe", "", ""],
            ["2026-01-05", "5", "", "", "-3", ""],
            ["2026-01-06", "5", "", "", "", "Moon Base"],
            ["2026-01-07", "", "", "", "", ""],
            ["20260108", "5", "", "", "", ""],
        ],
    )
    error = assert_error(await upload(client, shop.owner, content), 422, "VALIDATION_ERROR")
    assert [(d["line"], d["field"], d["message"]) for d in error["details"]] == [
        (3, "date", "is not a date (YYYY-MM-DD)"),
        (4, "daily_sales", "must not be negative"),
        (5, "marketing_spend", "must not be negative"),
        (6, "is_holiday", "must be true/false, yes/no or 1/0 (1.0/0.0)"),
        (7, "transactions", "must not be negative"),
        (8, "location", "unknown location"),
        (9, "daily_sales", "is required"),
        (10, "date", "is not a date (YYYY-MM-DD)"),
    ]


async def test_reupload_adds_nothing(client: httpx.AsyncClient, database: Database) -> None:
    shop = await create_shop(client, database)
    content = csv_bytes(
        ["timestamp", "sku", "quantity", "amount"], [["2026-11-02T10:00:00Z", "PIZ", 1, "10"]]
    )
    first = await upload(client, shop.owner, content)
    assert first.status_code == 201, first.text
    again = await upload(client, shop.owner, content, filename="renamed.csv", skip_invalid=True)
    assert again.status_code == 200, again.text
    assert again.json()["duplicate"] is True
    assert again.json()["batch_id"] == first.json()["batch_id"]
    assert again.json()["lines_written"] == 1
    # One more byte is another file.
    other = await upload(client, shop.owner, content + b"\n")
    assert other.status_code == 201
    assert len(await ledger_lines(database, shop.business_id)) == 2


async def test_reupload_reports_the_lines_the_first_upload_skipped(
    client: httpx.AsyncClient, database: Database
) -> None:
    shop = await create_shop(client, database)
    content = csv_bytes(
        ["timestamp", "sku", "quantity", "amount"],
        [
            ["2026-11-02T10:00:00Z", "PIZ", 1, "10"],
            ["2026-11-02T11:00:00Z", "NOPE", 1, "10"],
            ["2026-11-02T12:00:00Z", "NOPE", 2, "20"],
        ],
    )
    first = await upload(client, shop.owner, content, skip_invalid=True)
    assert first.status_code == 201, first.text
    assert (first.json()["lines_written"], first.json()["lines_skipped"]) == (1, 2)
    # The same file again adds nothing, and says what the first upload left out: the two
    # rows are not in the ledger and this file will never bring them in.
    again = await upload(client, shop.owner, content, skip_invalid=True)
    assert again.status_code == 200, again.text
    body = again.json()
    assert body["duplicate"] is True
    assert (body["lines_written"], body["lines_skipped"], body["error_count"]) == (1, 2, 2)
    assert len(await ledger_lines(database, shop.business_id)) == 1


async def test_a_file_of_skipped_rows_only_can_be_sent_again(
    client: httpx.AsyncClient, database: Database
) -> None:
    shop = await create_shop(client, database)
    content = csv_bytes(
        ["timestamp", "item", "quantity", "amount"],
        [
            ["2026-11-02T10:00:00Z", "Lasagne", 1, "12"],
            ["2026-11-02T11:00:00Z", "Lasagne", 2, "24"],
        ],
    )
    first = await upload(client, shop.owner, content, skip_invalid=True)
    assert first.status_code == 201, first.text
    assert (first.json()["lines_written"], first.json()["lines_skipped"]) == (0, 2)
    # Nothing was written, so nothing was recorded: once the item is on the menu the same
    # file brings its rows in (it was answered "already imported, 0 lines" before).
    async with database.session() as session:
        await set_tenant(session, shop.business_id)
        session.add(
            MenuItem(
                business_id=shop.business_id,
                name="Lasagne",
                price=D("12"),
                sku="LAS",
                barcode=f"BC-LAS-{shop.business_id.hex[:6]}",
            )
        )
    again = await upload(client, shop.owner, content, skip_invalid=True)
    assert again.status_code == 201, again.text
    assert again.json()["duplicate"] is False and again.json()["lines_written"] == 2
    assert len(await ledger_lines(database, shop.business_id)) == 2
    # Imported now: a third time is a duplicate.
    third = await upload(client, shop.owner, content)
    assert third.status_code == 200 and third.json()["duplicate"] is True


async def test_concurrent_identical_uploads_write_once(
    client: httpx.AsyncClient, database: Database
) -> None:
    shop = await create_shop(client, database)
    content = csv_bytes(
        ["timestamp", "sku", "quantity", "amount", "location"],
        [[f"2026-11-0{1 + i % 9}T1{i % 10}:00:00Z", "PIZ", 1, "10", "Main"] for i in range(500)],
    )
    responses = await asyncio.gather(*(upload(client, shop.owner, content) for _ in range(3)))
    assert sorted(r.status_code for r in responses) == [200, 200, 201], [r.text for r in responses]
    assert len(await ledger_lines(database, shop.business_id)) == 500
    await assert_rollups_match_ledger(database, shop.business_id)


async def test_wrong_role(client: httpx.AsyncClient, database: Database) -> None:
    shop = await create_shop(client, database)
    cashier = await add_user(client, shop.owner, "cashier")
    content = csv_bytes(["date", "daily_sales"], [["2026-01-01", "1"]])
    assert_error(await upload(client, cashier, content), 403, "FORBIDDEN")
    manager = await add_user(client, shop.owner, "manager")
    assert (await upload(client, manager, content)).status_code == 201

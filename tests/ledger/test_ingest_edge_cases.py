"""Inputs an operator's spreadsheet or an integrator's client really sends, found by an
adversarial audit of the sales import and bulk ingest: each one answered a 500, a misleading
error or a silent guess before."""

from __future__ import annotations

import httpx

from tableside.db.database import Database, set_tenant
from tableside.models import Location
from tests.factories import assert_error
from tests.factories.ledger import BULK, bulk, create_shop, csv_bytes, ledger_lines, upload

LINES_HEADER = ["timestamp", "sku", "quantity", "amount"]
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


async def test_the_location_parameter_is_checked_like_a_location_cell(
    client: httpx.AsyncClient, database: Database
) -> None:
    """`?location=` with a NUL character answered 500; a name two locations share (in
    another case) silently chose the older one, where the same name in the file's `location`
    column is a row error asking for the id."""
    shop = await create_shop(client, database)
    async with database.session() as session:
        await set_tenant(session, shop.business_id)
        session.add(Location(business_id=shop.business_id, name="MAIN"))
    content = csv_bytes(LINES_HEADER, [["2026-11-02T12:00:00Z", "PIZ", "1", "10"]])
    nul = await upload(client, shop.owner, content, location="Main\x00")
    error = assert_error(nul, 422, "VALIDATION_ERROR")
    assert error["details"] == [
        {"field": "location", "message": "must not contain a NUL character"}
    ]
    ambiguous = await upload(client, shop.owner, content, location="main")
    error = assert_error(ambiguous, 422, "VALIDATION_ERROR")
    assert error["details"] == [
        {"field": "location", "message": "matches 2 locations by name; use the id"}
    ]
    in_file = csv_bytes(
        [*LINES_HEADER, "location"], [["2026-11-02T12:00:00Z", "PIZ", "1", "10", "main"]]
    )
    error = assert_error(await upload(client, shop.owner, in_file), 422, "VALIDATION_ERROR")
    assert error["details"][0]["message"] == "matches 2 locations by name; use the id"
    assert await ledger_lines(database, shop.business_id) == []
    # A name written as the location has it is not ambiguous.
    exact = await upload(client, shop.owner, content, location="Main")
    assert exact.status_code == 201, exact.text
    rows = await ledger_lines(database, shop.business_id)
    assert [row["location_id"] for row in rows] == [shop.locations["Main"]]


async def test_a_utf16_file_is_named_as_such(client: httpx.AsyncClient, database: Database) -> None:
    """Excel's "Unicode Text" and some tills save UTF-16 (with a byte-order mark): that was
    refused as "binary data", which sends the operator looking for the wrong problem."""
    shop = await create_shop(client, database)
    text = "date\tdaily_sales\n2026-01-01\t10\n"
    for content in (
        b"\xff\xfe" + text.encode("utf-16-le"),
        b"\xfe\xff" + text.encode("utf-16-be"),
    ):
        error = assert_error(await upload(client, shop.owner, content), 400, "BAD_REQUEST")
        assert "UTF-16" in error["message"] and "CSV UTF-8" in error["message"]
    assert await ledger_lines(database, shop.business_id) == []


async def test_a_file_without_line_breaks_is_refused_briefly(
    client: httpx.AsyncClient, database: Database
) -> None:
    """A file with no line feed (a JSON export on one line, old Mac line ends) was held
    whole in memory and searched again for every megabyte read, time growing with the
    square of its size (seconds of a blocked event loop for a file of 100 MB), and a JSON
    file was then answered "a header but no data rows"."""
    shop = await create_shop(client, database)
    one_line = b"[" + b",".join([b'{"date":"2026-01-01","daily_sales":10}'] * 60_000) + b"]"
    response = await upload(client, shop.owner, one_line)
    error = assert_error(response, 400, "BAD_REQUEST")
    assert "first line" in error["message"]
    assert len(response.content) < 2_000
    old_mac = b"date,daily_sales\r" + b"2026-01-01,10\r" * 200_000
    error = assert_error(await upload(client, shop.owner, old_mac), 400, "BAD_REQUEST")
    assert "carriage return" in error["message"]
    assert await ledger_lines(database, shop.business_id) == []


async def test_transaction_ids_are_trimmed_like_every_other_cell(
    client: httpx.AsyncClient, database: Database
) -> None:
    """A padded transaction cell (`"T1 "`, or a lone space where a till leaves it blank) was
    read as written: `T1` and `T1 ` were two sales, and every row whose cell held a space
    became one sale, so the day's transaction count (and average ticket) came out wrong."""
    shop = await create_shop(client, database)
    content = csv_bytes(
        [*LINES_HEADER, "transaction_id", "covers"],
        [
            ["2026-11-02T12:00:00Z", "PIZ", "1", "10", "T1", "2"],
            ["2026-11-02T12:00:00Z", "PAS", "1", "9", " T1 ", "2"],
            ["2026-11-02T12:05:00Z", "PIZ", "1", "10", " ", "3"],
            ["2026-11-02T12:10:00Z", "PIZ", "1", "10", " ", "3"],
            ["2026-11-02T12:20:00Z", "PIZ", "1", "10", " ", "3"],
            ["2026-11-02T12:15:00Z", "PIZ", "1", "10", "\t", "3"],
        ],
    )
    response = await upload(client, shop.owner, content)
    assert response.status_code == 201, response.text
    rows = await ledger_lines(database, shop.business_id)
    # T1 is one sale of two guests; each row without a transaction id is a sale of its own.
    assert sum(row["transactions"] for row in rows) == 1 + 4
    assert sum(row["covers"] for row in rows) == 2 + 3 * 4


async def test_unnamed_header_columns_are_named_by_position(
    client: httpx.AsyncClient, database: Database
) -> None:
    """Spreadsheets save columns that once held something as empty header cells
    (`date,daily_sales,,`): the error listed them as unknown columns `'', ''` and as
    "repeated column(s): " followed by nothing."""
    shop = await create_shop(client, database)
    content = b"date,daily_sales,,\n2026-01-01,10,,\n"
    error = assert_error(await upload(client, shop.owner, content), 422, "VALIDATION_ERROR")
    assert error["details"] == [
        {"field": "file", "message": "columns 3, 4 have no name: delete them or name them"}
    ]
    one = b"Date;Daily_Sales;;Colour\n2026-01-01;10;;red\n"
    error = assert_error(await upload(client, shop.owner, one), 422, "VALIDATION_ERROR")
    messages = [detail["message"] for detail in error["details"]]
    assert messages[0].startswith("unknown column(s): 'colour';")
    assert messages[1:] == ["column 3 has no name: delete it or name it"]


async def test_a_count_past_the_integer_range_is_too_large(
    client: httpx.AsyncClient, database: Database
) -> None:
    """Covers or transactions of ten digits and more were "not a whole number"."""
    shop = await create_shop(client, database)
    lines = csv_bytes(
        [*LINES_HEADER, "covers"],
        [
            ["2026-11-02T12:00:00Z", "PIZ", "1", "10", "99999"],
            ["2026-11-02T12:00:00Z", "PIZ", "1", "10", "9999999999"],
            ["2026-11-02T12:00:00Z", "PIZ", "1", "10", "\t-9999999999"],
            ["2026-11-02T12:00:00Z", "PIZ", "1", "10", "12345678901234567890123"],
            ["2026-11-02T12:00:00Z", "PIZ", "1", "10", "2.5"],
        ],
    )
    error = assert_error(await upload(client, shop.owner, lines), 422, "VALIDATION_ERROR")
    assert [(d["line"], d["message"]) for d in error["details"]] == [
        (2, "is too large (at most 32767)"),
        (3, "is too large (at most 32767)"),
        (4, "must not be negative"),
        (5, "is too large (at most 32767)"),
        (6, "is not a whole number"),
    ]
    daily = b"date,daily_sales,transactions\n2026-11-02,10,99999999999\n"
    error = assert_error(await upload(client, shop.owner, daily), 422, "VALIDATION_ERROR")
    assert error["details"] == [
        {"line": 2, "field": "transactions", "message": "is too large (at most 32767)"}
    ]


async def test_whole_counts_written_with_a_decimal_point_are_whole(
    client: httpx.AsyncClient, database: Database
) -> None:
    """`covers: 2.0` is what a JSON encoder writes for a float that holds a count, and `3.0`
    what a spreadsheet saves for a cell formatted with a decimal place: both are whole
    numbers. A true fraction stays an error."""
    shop = await create_shop(client, database)
    response = await bulk(client, shop.owner, [{**GOOD, "covers": 2.0}])
    assert response.status_code == 201, response.text
    content = csv_bytes(
        [*LINES_HEADER, "covers"],
        [["2026-11-02T13:00:00Z", "PIZ", "1", "10", " 3.00 "]],
    )
    assert (await upload(client, shop.owner, content)).status_code == 201
    assert sorted(row["covers"] for row in await ledger_lines(database, shop.business_id)) == [
        2,
        3,
    ]
    daily = b"date,daily_sales,transactions\n2026-11-03,10,4.0\n2026-11-04,10,4.5\n"
    error = assert_error(await upload(client, shop.owner, daily), 422, "VALIDATION_ERROR")
    assert error["details"] == [
        {"line": 3, "field": "transactions", "message": "is not a whole number"}
    ]


async def test_a_blank_batch_id_is_a_validation_error(
    client: httpx.AsyncClient, database: Database
) -> None:
    """A batch id of spaces names nothing a sender could send again on purpose."""
    shop = await create_shop(client, database)
    response = await bulk(client, shop.owner, [GOOD], batch_id="   ")
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert error["details"] == [{"field": "batch_id", "message": "must not be blank"}]
    assert await ledger_lines(database, shop.business_id) == []

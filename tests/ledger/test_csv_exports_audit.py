"""POST /api/v1/sales/import and `tableside import sales` fed the files operators actually
have: spreadsheet exports (Excel, Google Sheets, LibreOffice) and POS exports, with the
quirks those tools write."""

from __future__ import annotations

from decimal import Decimal

import httpx

from tableside.db.database import Database
from tests.factories import assert_error, money
from tests.factories.ledger import (
    NOT_A_NUMBER,
    add_category,
    assert_rollups_match_ledger,
    create_shop,
    ledger_lines,
    upload,
)

D = Decimal


async def test_rows_of_empty_cells_are_skipped_like_blank_lines(
    client: httpx.AsyncClient, database: Database
) -> None:
    """A spreadsheet saves the empty rows under its data (formatted once, or cleared) as
    delimiters only: `,,`. They are blank rows, skipped as a blank line is, whether or not
    the file has anything else COPY cannot read; a file of nothing else has no data rows."""
    shop = await create_shop(client, database)
    trailing = b"date,daily_sales,marketing_spend\r\n2026-03-01,100,5\r\n,,\r\n , ,\t\r\n"
    response = await upload(client, shop.owner, trailing)
    assert response.status_code == 201, response.text
    assert response.json()["lines_written"] == 1
    assert money(response.json()["net_amount"]) == D("100")
    # The same empty row in a file with a blank line (read by the other path) is skipped
    # too, and a bad row keeps its line number.
    mixed = b"timestamp,sku,quantity,amount\n2026-03-02T12:00:00Z,PIZ,1,10\n,,,\n\n,,,\n"
    response = await upload(client, shop.owner, mixed)
    assert response.status_code == 201, response.text
    assert response.json()["lines_written"] == 1
    for content in (mixed, mixed.replace(b"\n\n", b"\n")):
        broken = content.replace(b",,,\n", b",,,\n2026-03-02T13:00:00Z,PIZ,x,10\n", 1)
        error = assert_error(await upload(client, shop.owner, broken), 422, "VALIDATION_ERROR")
        assert error["message"].startswith("1 of 2 lines are invalid")
        assert [(d["line"], d["field"]) for d in error["details"]] == [(4, "quantity")]
    for empty in (
        b"date,daily_sales\n,\n",
        b"date,daily_sales\n,\n\n,\n",
        b'date,daily_sales\n"",\n',
    ):
        error = assert_error(await upload(client, shop.owner, empty), 400, "BAD_REQUEST")
        assert error["message"] == "The file has a header but no data rows"
    assert len(await ledger_lines(database, shop.business_id)) == 2
    await assert_rollups_match_ledger(database, shop.business_id)


async def test_a_daily_file_giving_a_date_twice_is_refused_not_added_up(
    client: httpx.AsyncClient, database: Database
) -> None:
    """A daily row is the whole of its date's sales (per location and category): a file with
    two rows of the same date, location and category (an export pasted twice, two versions of
    a day) names both rows instead of adding them up into a doubled day. Rows of the same
    date for other categories or locations are the day's parts and add up."""
    shop = await create_shop(client, database)
    await add_category(database, shop, "Drinks")
    content = (
        b"date,daily_sales,product_category,location\n"
        b"2026-03-01,100,Food,Main\n"  # 2
        b"2026-03-01,40,Drinks,Main\n"  # 3: another category of the day
        b"2026-03-01,70,Food,Harbour\n"  # 4: another location
        b"2026-03-02,80,Food,Main\n"  # 5
        b"2026-03-01,100, food ,main\n"  # 6: line 2 again
        b"2026-03-02,x,Food,Main\n"  # 7: a bad row is not a second version of line 5
    )
    error = assert_error(await upload(client, shop.owner, content), 422, "VALIDATION_ERROR")
    assert error["message"].startswith("3 of 6 lines are invalid")
    assert [(d["line"], d["field"], d["message"]) for d in error["details"]] == [
        (2, "date", "2026-03-01 is given again on line 6 for the same location and category;"
         " a daily row is the whole of its date's sales: give the date once"),
        (6, "date", "2026-03-01 is given already on line 2 for the same location and category;"
         " a daily row is the whole of its date's sales: give the date once"),
        (7, "daily_sales", NOT_A_NUMBER),
    ]  # fmt: skip
    assert await ledger_lines(database, shop.business_id) == []
    written = await upload(client, shop.owner, content, skip_invalid=True)
    assert written.status_code == 201, written.text
    assert written.json()["lines_written"] == 3 and written.json()["lines_skipped"] == 3
    assert money(written.json()["net_amount"]) == D("190")
    # Without location and category columns, a date is the business's whole day.
    plain = b"date,daily_sales\n2026-04-01,10\n2026-04-02,20\n2026-04-01,10\n"
    error = assert_error(await upload(client, shop.owner, plain), 422, "VALIDATION_ERROR")
    assert [(d["line"], d["message"]) for d in error["details"]] == [
        (2, "2026-04-01 is given again on line 4; a daily row is the whole of its date's sales:"
         " give the date once"),
        (4, "2026-04-01 is given already on line 2; a daily row is the whole of its date's"
         " sales: give the date once"),
    ]  # fmt: skip
    await assert_rollups_match_ledger(database, shop.business_id)


async def test_column_names_written_with_spaces_are_the_documented_columns(
    client: httpx.AsyncClient, database: Database
) -> None:
    """A header typed in a spreadsheet says `Daily Sales` or `Transaction ID` where the
    documentation writes `daily_sales` and `transaction_id`: the same columns (names are
    read trimmed and in any case already), not a line-shape file missing item and quantity."""
    shop = await create_shop(client, database)
    daily = (
        b"Date,Daily Sales,Marketing  Spend,Is-Holiday,Product Category\n2026-03-01,100,5,no,Food\n"
    )
    response = await upload(client, shop.owner, daily)
    assert response.status_code == 201, response.text
    assert response.json()["kind"] == "csv_daily" and response.json()["signals_written"] == 1
    lines = b"Timestamp,SKU,Quantity,Amount,Transaction ID\n2026-03-02T12:00:00Z,PIZ,1,x,T1\n"
    error = assert_error(await upload(client, shop.owner, lines), 422, "VALIDATION_ERROR")
    assert error["details"] == [{"line": 2, "field": "amount", "message": NOT_A_NUMBER}]
    response = await upload(client, shop.owner, lines.replace(b",x,", b",10,"))
    assert response.status_code == 201, response.text
    unknown = b"Date,Daily Sales,Notes Column\n2026-03-03,1,x\n"
    error = assert_error(await upload(client, shop.owner, unknown), 422, "VALIDATION_ERROR")
    assert [d["message"].split(";")[0] for d in error["details"]] == [
        "unknown column(s): 'notes_column'"
    ]


async def test_a_quote_left_open_in_a_free_text_cell_loses_no_rows_silently(
    client: httpx.AsyncClient, database: Database
) -> None:
    """A quotation mark opened in a cell and never closed takes the rows below into that
    cell. Where the cell is looked up or converted that fails; a transaction id or the
    ignored `day_of_week` took them in silently and the file imported one row of three."""
    shop = await create_shop(client, database)
    lines = (
        b"timestamp,sku,quantity,amount,transaction_id\n"
        b'2026-03-01T12:00:00Z,PIZ,1,10,"T1\n'
        b"2026-03-01T12:05:00Z,PIZ,1,10,T2\n"
        b"2026-03-01T12:06:00Z,PIZ,1,10,T3\n"
    )
    daily = (
        b"date,daily_sales,day_of_week\n"
        b"2026-03-02,10,Monday\n"
        b'2026-03-03,20,"Tuesday\n'
        b"2026-03-04,30,Wednesday\n"
    )
    for content, line, field in ((lines, 2, "transaction_id"), (daily, 3, "day_of_week")):
        error = assert_error(await upload(client, shop.owner, content), 422, "VALIDATION_ERROR")
        assert error["details"] == [
            {
                "line": line,
                "field": field,
                "message": "spans several lines: a quotation mark opened here and never closed"
                " took the rows below into this cell",
            }
        ]
    assert await ledger_lines(database, shop.business_id) == []
    # Closed, the quotes are only quotes.
    closed = lines.replace(b'"T1\n', b'"T1"\n')
    response = await upload(client, shop.owner, closed)
    assert response.status_code == 201, response.text
    assert response.json()["lines_written"] == 3

"""POST /api/v1/sales/import and `tableside import sales` fed the files operators actually
have: spreadsheet exports (Excel, Google Sheets, LibreOffice) and POS exports, with the
quirks those tools write."""

from __future__ import annotations

from decimal import Decimal

import httpx

from tableside.db.database import Database
from tests.factories import assert_error, money
from tests.factories.ledger import (
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

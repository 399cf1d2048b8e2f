"""Values as spreadsheets and data tools write them: a holiday flag from a float column,
and numbers an export formats for reading (the message says what to write instead)."""

from __future__ import annotations

import httpx

from tableside.db.database import Database
from tests.factories import assert_error
from tests.factories.ledger import (
    NOT_A_NUMBER,
    create_shop,
    csv_bytes,
    fetch,
    upload,
)


async def test_a_holiday_flag_written_as_a_float_is_read(
    client: httpx.AsyncClient, database: Database
) -> None:
    # pandas writes a 0/1 column that has gaps as 1.0, 0.0 and empty cells.
    shop = await create_shop(client, database)
    content = csv_bytes(
        ["date", "daily_sales", "is_holiday"],
        [
            ["2026-05-01", "100", "1.0"],
            ["2026-05-02", "100", "0.0"],
            ["2026-05-03", "100", ""],
            ["2026-05-04", "100", " 1.00 "],
        ],
    )
    response = await upload(client, shop.owner, content)
    assert response.status_code == 201, response.text
    flags = await fetch(
        database,
        shop.business_id,
        "SELECT business_date, is_holiday FROM sales_daily_signals ORDER BY 1",
    )
    assert [(str(row["business_date"]), row["is_holiday"]) for row in flags] == [
        ("2026-05-01", True),
        ("2026-05-02", False),
        ("2026-05-04", True),
    ]


async def test_other_floats_are_not_flags(client: httpx.AsyncClient, database: Database) -> None:
    shop = await create_shop(client, database)
    content = csv_bytes(
        ["date", "daily_sales", "is_holiday"],
        [["2026-05-01", "100", "0.5"], ["2026-05-02", "100", "2.0"]],
    )
    error = assert_error(await upload(client, shop.owner, content), 422, "VALIDATION_ERROR")
    assert [(d["line"], d["field"]) for d in error["details"]] == [
        (2, "is_holiday"),
        (3, "is_holiday"),
    ]


async def test_formatted_numbers_are_refused_with_what_to_write(
    client: httpx.AsyncClient, database: Database
) -> None:
    shop = await create_shop(client, database)
    content = csv_bytes(
        ["timestamp", "sku", "quantity", "amount"],
        [
            ["2026-05-01T12:00:00Z", "PIZ", "1", "$12.50"],
            ["2026-05-01T12:00:00Z", "PIZ", "1", "1,234.50"],
            ["2026-05-01T12:00:00Z", "PIZ", "1", "(12.50)"],
            ["2026-05-01T12:00:00Z", "PIZ", "one", "12.50"],
            ["2026-05-01T12:00:00Z", "PIZ", "1", "12.50"],
        ],
    )
    error = assert_error(await upload(client, shop.owner, content), 422, "VALIDATION_ERROR")
    assert [(d["line"], d["field"], d["message"]) for d in error["details"]] == [
        (2, "amount", NOT_A_NUMBER),
        (3, "amount", NOT_A_NUMBER),
        (4, "amount", NOT_A_NUMBER),
        (5, "quantity", NOT_A_NUMBER),
    ]

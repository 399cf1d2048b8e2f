"""Values at the edges of what a file may hold: a value is accepted or refused the same way
whether the file is otherwise clean (plain casts) or has a bad row elsewhere (every cast
guarded), so one row never decides another's fate."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from tableside.db.database import Database
from tableside.kit.business_time import business_date
from tableside.kit.schemas import utcnow
from tests.factories import assert_error
from tests.factories.ledger import Shop, bulk, create_shop, csv_bytes, upload
from tests.factories.sales import set_business

TIMESTAMPS = {
    "2026-11-02T10:00:00Z": True,
    "2026-11-02 10:00": True,
    "2026-11-02t10:00:00z": True,
    "2026-11-02T10:00:00.123456789+05:30": True,
    "2026-11-02T10:00:00+0530": True,
    "2026-11-02T10:00:00 +05:00": True,
    "2026-11-02T10:00:00-03": True,
    "2026-11-02T10:00:00+5": True,
    "2026-11-02T10:00:00+05:30:15": True,
    "2026-11-02T10:00+05": True,
    "2024-02-29T10:00:00Z": True,
    "2026-11-02T10:00:00 UTC": False,
    "2026-11-02T10:00:00EST5": False,
    "2026-11-02T10:00:00 America/New_York": False,
    "2026-11-02T24:00:00Z": False,
    "2026-11-02T10:60:00Z": False,
    "2026-11-02T10:00:60Z": False,
    "2026-02-29T10:00:00Z": False,
    "2026-04-31T10:00:00Z": False,
    "0000-01-01T00:00:00Z": False,
    "2026-11-02T10:00:00+16:00": False,
    "2026-11-02": False,
    "now": False,
    # Cells are trimmed, timestamps like any other.
    "2026-11-02T10:00:00Z ": True,
    " 2026-11-02T10:00:00Z": True,
    "\t2026-11-02 10:00 ": True,
    "2026-11-02 T10:00:00Z": False,
    "2026-11-02T10:00:00 PM": False,
    "2026/11/02 10:00": False,
    # Instants whose business date no query can name (or that fall outside Python's dates).
    "0001-01-01T00:00:00+14:00": False,
    "9999-12-31T23:59:59-12:00": False,
    "1900-06-01T10:00:00Z": False,
    "1901-01-01T00:00:00Z": True,
    # A sale line cannot lie ahead (the forecasts would read it as demand).
    "9998-12-31T23:59:59Z": False,
    "2099-06-01T12:00:00Z": False,
}
AMOUNTS = {
    "10": True,
    "+10": True,
    " 10 ": True,
    "10.50": True,
    "10.500": True,
    "10.": True,
    ".5": True,
    "1e1": True,
    "1E+1": True,
    "10.505": False,
    "1e-5": False,
    "1e400": False,
    "NaN": False,
    "Infinity": False,
    "inf": False,
    "1,5": False,
    "0x10": False,
    "--1": False,
    "1.2.3": False,
    "999999999999.99": True,
    "1000000000000": False,
}
DATES = {
    "2026-01-31": True,
    " 2026-01-31": True,
    "2026-01-31  ": True,
    "\t2026-01-31": True,
    "2026 -01-31": False,
    "2024-02-29": True,
    "2026-02-29": False,
    "2026-1-31": False,
    "2026-13-01": False,
    "0000-01-01": False,
    "31/01/2026": False,
    "20260131": False,
    "today": False,
    "0001-01-01": False,
    "1900-12-31": False,
    "9999-12-31": False,
    "1901-01-01": True,
    "9998-12-31": True,
}
HOLIDAYS = {"1": True, "0": True, "yes": True, "No": True, "t": True, "FALSE": True,
            " on ": True, "of": True, "maybe": False, "2": False, "o": False}  # fmt: skip


async def _accepted(client: httpx.AsyncClient, shop: Shop, header: list[str], row: list[str],
                    broken: list[str] | None) -> bool:  # fmt: skip
    rows = [row] + ([broken] if broken else [])
    # Daily files of one date in a row: added up, not refused as overlapping.
    response = await upload(client, shop.owner, csv_bytes(header, rows), on_overlap="add")
    if broken is None:
        assert response.status_code in (201, 422), response.text
        return response.status_code == 201
    assert response.status_code == 422, response.text
    return 2 not in [detail["line"] for detail in response.json()["error"]["details"]]


@pytest.mark.parametrize(
    ("column", "values"),
    [("timestamp", TIMESTAMPS), ("amount", AMOUNTS)],
)
async def test_line_values(
    client: httpx.AsyncClient, database: Database, column: str, values: dict[str, bool]
) -> None:
    shop = await create_shop(client, database)
    header = ["timestamp", "sku", "quantity", "amount"]
    position = header.index(column)
    broken = ["2026-11-02T10:00:00Z", "PIZ", "not a number", "1"]
    for index, (value, expected) in enumerate(values.items()):
        # A day of its own per value (a day's total has a bound too) and a file that differs
        # from every other (a repeated file would be a duplicate).
        row = [f"2026-10-{index + 1:02d}T10:00:00Z", "PIZ", "1", f"{index}.{index % 7}"]
        row[position] = value
        plain = await _accepted(client, shop, header, row, None)
        guarded = await _accepted(client, shop, header, row, broken)
        assert (value, plain, guarded) == (value, expected, expected)


@pytest.mark.parametrize(("column", "values"), [("date", DATES), ("is_holiday", HOLIDAYS)])
async def test_daily_values(
    client: httpx.AsyncClient, database: Database, column: str, values: dict[str, bool]
) -> None:
    shop = await create_shop(client, database)
    header = ["date", "daily_sales", "is_holiday"]
    position = header.index(column)
    broken = ["2026-01-01", "lots", ""]
    for index, (value, expected) in enumerate(values.items()):
        row = ["2026-01-01", f"{index + 1}", ""]
        row[position] = value
        plain = await _accepted(client, shop, header, row, None)
        guarded = await _accepted(client, shop, header, row, broken)
        assert (value, plain, guarded) == (value, expected, expected)


async def test_amounts_finer_than_the_currency_are_refused(
    client: httpx.AsyncClient, database: Database
) -> None:
    """A yen has no cents: 10.50 in a JPY business is refused by the bulk and CSV imports,
    as by POST /sales, instead of being written and then rounded differently by the
    aggregate (10.5) and the analytics (11)."""
    shop = await create_shop(client, database)
    await set_business(client, shop.owner, currency="JPY")
    line = {"sold_at": "2026-11-02T10:00:00Z", "sku": "PIZ", "quantity": 1, "amount": "10.50"}
    error = assert_error(await bulk(client, shop.owner, [line]), 422, "VALIDATION_ERROR")
    assert error["details"] == [
        {"index": 0, "field": "lines.0.amount", "message": "has more decimals than JPY allows"}
    ]
    daily = csv_bytes(["date", "daily_sales", "marketing_spend"], [["2026-11-02", "1000", "5.5"]])
    error = assert_error(await upload(client, shop.owner, daily), 422, "VALIDATION_ERROR")
    assert error["details"] == [
        {"line": 2, "field": "marketing_spend", "message": "has more decimals than JPY allows"}
    ]
    whole = await bulk(client, shop.owner, [{**line, "amount": "1050"}, {**line, "amount": "10.0"}])
    assert whole.status_code == 201, whole.text


async def test_sale_lines_cannot_lie_ahead(client: httpx.AsyncClient, database: Database) -> None:
    """Lines dated after today (a day of slack for a location in a zone ahead) are row
    errors; a daily file may hold future days (planned marketing spend, holidays)."""
    shop = await create_shop(client, database)
    today = business_date(utcnow(), "UTC", 4)
    header = ["date", "sku", "quantity", "amount"]
    rows = [[(today + timedelta(days=offset)).isoformat(), "PIZ", "1", "10"] for offset in (1, 2)]
    response = await upload(client, shop.owner, csv_bytes(header, rows))
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert [(d["line"], d["message"]) for d in error["details"]] == [(3, "must not be after today")]
    stamp = (utcnow() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    bulk_response = await bulk(
        client, shop.owner, [{"sold_at": stamp, "sku": "PIZ", "quantity": 1, "amount": 10}]
    )
    error = assert_error(bulk_response, 422, "VALIDATION_ERROR")
    assert error["details"][0]["message"] == "must not be in the future"
    daily = csv_bytes(
        ["date", "daily_sales", "marketing_spend"],
        [[(today - timedelta(days=1)).isoformat(), "100", "5"],
         [(today + timedelta(days=7)).isoformat(), "0", "50"]],
    )  # fmt: skip
    assert (await upload(client, shop.owner, daily)).status_code == 201

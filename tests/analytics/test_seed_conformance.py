"""What the POS document's analytics endpoints promise a reader, checked through our API.

The POS document (`../shared/seeds/`, `GET /sales/analytics/items|revenue|staff|customers`)
names its own parameters and fields; ours follow API.md. Where a parameter of that document
is one a client would send as is (`limit`), we take it; where it reports a figure an operator
reads (revenue per customer), we report it too.
"""

from __future__ import annotations

from datetime import date

import httpx

from tableside.db.database import Database
from tests.factories import Account, assert_error, money
from tests.factories.analytics import Sold, customer, get, menu_item, ok, record, sale

JANUARY = {"date_from": "2026-01-01", "date_to": "2026-01-31"}


async def _three_items(client: httpx.AsyncClient, owner: Account, database: Database) -> None:
    pizza = await menu_item(client, owner, "Margherita Pizza", "18.99", cost="8.50")
    soup = await menu_item(client, owner, "Soup", "5.00", cost="2.00")
    salad = await menu_item(client, owner, "Salad", "7.00")
    await record(
        database,
        owner,
        sale(date(2026, 1, 5), [Sold(pizza, 45, "854.55", "382.50")]),
        sale(date(2026, 1, 6), [Sold(soup, 10, "50.00", "20.00"), Sold(salad, 1, "7.00")]),
    )


async def test_item_performance_takes_the_pos_limit(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    """The POS document's `limit` (items to return) was ignored: `limit=1` answered every
    item. It is the page length, as `page_size` (and as /sales/ledger takes it)."""
    await _three_items(client, owner, database)
    top = await ok(client, owner, "items", **JANUARY, limit=1)
    assert [item["name"] for item in top["items"]] == ["Margherita Pizza"]
    assert (top["page_size"], top["total"], top["pages"], top["has_next"]) == (1, 3, 3, True)
    # The POS example's figures: margin 472.05 / 854.55, 854.55 per 45 units.
    assert money(top["items"][0]["margin_percent"]) == money("55.24")
    assert money(top["items"][0]["average_price"]) == money("18.99")
    second = await ok(client, owner, "items", **JANUARY, limit=2, page=2)
    assert [item["name"] for item in second["items"]] == ["Salad"]
    same = await ok(client, owner, "items", **JANUARY, limit=2, page_size=2)
    assert len(same["items"]) == 2
    conflict = assert_error(
        await get(client, owner, "items", **JANUARY, limit=2, page_size=3), 422, "VALIDATION_ERROR"
    )
    assert conflict["details"][0]["field"] == "page_size"
    for bad in ("0", "101", "x"):
        error = assert_error(
            await get(client, owner, "items", **JANUARY, limit=bad), 422, "VALIDATION_ERROR"
        )
        assert error["details"][0]["field"] == "limit"


async def test_customers_report_value_per_customer(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    """The POS document's customer summary gives `averageCustomerValue` (revenue per
    customer); we gave only spend per visit, which is not it as soon as a customer comes
    twice. Each segment and the totals now give both."""
    ann, ben = await customer(client, owner, "Ann"), await customer(client, owner, "Ben")
    await record(
        database,
        owner,
        sale(date(2026, 1, 3), [Sold(None, 1, "30.00")], customer=ann),
        sale(date(2026, 1, 20), [Sold(None, 1, "20.00")], customer=ann),
        sale(date(2026, 1, 9), [Sold(None, 1, "40.00")], customer=ben),
    )
    body = await ok(client, owner, "customers", **JANUARY)
    totals = body["totals"]
    assert (totals["customers"], totals["visits"], money(totals["revenue"])) == (2, 3, 90)
    assert money(totals["average_spend"]) == 30  # per visit: 90 / 3
    assert money(totals["average_customer_value"]) == 45  # per customer: 90 / 2
    by_segment = {s["segment"]: s for s in body["segments"]}
    assert money(by_segment["returning"]["average_spend"]) == 25  # Ann: 50 over 2 visits
    assert money(by_segment["returning"]["average_customer_value"]) == 50
    assert money(by_segment["new"]["average_customer_value"]) == 40
    assert by_segment["loyal"]["average_customer_value"] is None  # nobody in it

    empty = await ok(client, owner, "customers", date_from="2025-01-01", date_to="2025-01-31")
    assert empty["totals"]["average_customer_value"] is None


async def test_trends_description_says_which_periods_the_trend_reads(
    client: httpx.AsyncClient,
) -> None:
    """The revenue-trends description said the least-squares trend runs through the
    `complete` periods only; the code also leaves out a week or month the range cuts
    (`whole: false`), which a reader of the description could not tell from it."""
    schema = (await client.get("/openapi.json")).json()
    description = schema["paths"]["/api/v1/analytics/revenue-trends"]["get"]["description"]
    assert "`complete` and `whole` periods only" in description

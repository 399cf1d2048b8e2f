"""The average ticket (`average_transaction_value`, analytics `average_ticket`) divides the
revenue of the sales that were counted by their count. Daily totals imported without a
`transactions` column bring revenue but no count: dividing it by other days' sales would
make a range that mixes imported history and till sales show an average no ticket had.

    11-02, 11-03  daily import, Main, 1000.00 a day, no transactions column
    11-04         daily import, Main, 600.00 with transactions 20 (counted: 30.00 a ticket)
    11-10         Main: sales of 20, 30, 10, 40 (4 transactions); Harbour: the daily-import
                  shape never reaches it, one sale of 50
    11-12         Main: a refund of 10.00, no sale that day (it still lowers the average)
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from tableside.db.database import Database
from tests.factories import money
from tests.factories.ledger import Shop, bulk, create_shop, csv_bytes, upload

RANGE = {"date_from": "2026-11-01", "date_to": "2026-11-15"}


async def _history(client: httpx.AsyncClient, database: Database) -> Shop:
    shop = await create_shop(client, database)
    untracked = csv_bytes(
        ["date", "daily_sales"], [["2026-11-02", "1000.00"], ["2026-11-03", "1000.00"]]
    )
    response = await upload(client, shop.owner, untracked, filename="history.csv", location="Main")
    assert response.status_code == 201, response.text
    counted = csv_bytes(["date", "daily_sales", "transactions"], [["2026-11-04", "600.00", 20]])
    response = await upload(client, shop.owner, counted, filename="counted.csv", location="Main")
    assert response.status_code == 201, response.text
    main, harbour = str(shop.locations["Main"]), str(shop.locations["Harbour"])

    def line(at: str, amount: str, location: str, quantity: int = 1) -> dict[str, Any]:
        return {"sold_at": at, "sku": "PIZ", "quantity": quantity, "amount": amount,
                "location_id": location}  # fmt: skip

    lines = [
        line("2026-11-10T12:00:00Z", "20.00", main),
        line("2026-11-10T12:30:00Z", "30.00", main),
        line("2026-11-10T19:00:00Z", "10.00", main),
        line("2026-11-10T20:00:00Z", "40.00", main),
        line("2026-11-10T20:00:00Z", "50.00", harbour),
        line("2026-11-12T13:00:00Z", "-10.00", main, quantity=-1),
    ]
    response = await bulk(client, shop.owner, lines)
    assert response.status_code == 201, response.text
    return shop


async def _get(client: httpx.AsyncClient, shop: Shop, path: str, **params: Any) -> Any:
    response = await client.get(path, headers=shop.owner.headers, params={**RANGE, **params})
    assert response.status_code == 200, response.text
    return response.json()


async def test_aggregate_average_leaves_out_revenue_without_a_count(
    client: httpx.AsyncClient, database: Database
) -> None:
    shop = await _history(client, database)
    body = await _get(client, shop, "/api/v1/sales/aggregate")
    assert money(body["total_revenue"]) == Decimal("2740.00")  # every sale still counts
    assert body["transaction_count"] == 25
    # (600 + 20 + 30 + 10 + 40 + 50 - 10) / 25
    assert money(body["average_transaction_value"]) == Decimal("29.60")

    main = await _get(client, shop, "/api/v1/sales/aggregate", location_id=shop.locations["Main"])
    assert money(main["total_revenue"]) == Decimal("2690.00") and main["transaction_count"] == 24
    assert money(main["average_transaction_value"]) == Decimal("28.75")  # 690 / 24

    only_imported = await _get(
        client, shop, "/api/v1/sales/aggregate", date_from="2026-11-02", date_to="2026-11-03"
    )
    assert money(only_imported["total_revenue"]) == Decimal("2000.00")
    assert only_imported["average_transaction_value"] is None


async def test_revenue_trends_average_leaves_out_revenue_without_a_count(
    client: httpx.AsyncClient, database: Database
) -> None:
    shop = await _history(client, database)
    body = await _get(client, shop, "/api/v1/analytics/revenue-trends", granularity="week")
    by_week = {p["period_start"]: p for p in body["series"]}
    # 11-02..11-08: 2000 untracked + 600 over 20 transactions.
    assert money(by_week["2026-11-02"]["revenue"]) == Decimal("2600.00")
    assert money(by_week["2026-11-02"]["average_ticket"]) == Decimal("30.00")
    # 11-09..11-15: 150 over 5 sales, less the 10 refunded.
    assert money(by_week["2026-11-09"]["average_ticket"]) == Decimal("28.00")
    totals = body["totals"]
    assert money(totals["revenue"]) == Decimal("2740.00") and totals["transactions"] == 25
    assert money(totals["average_ticket"]) == Decimal("29.60")

    daily = await _get(client, shop, "/api/v1/analytics/revenue-trends", granularity="day")
    by_day = {p["period_start"]: p for p in daily["series"]}
    assert money(by_day["2026-11-02"]["revenue"]) == 1000
    assert by_day["2026-11-02"]["average_ticket"] is None
    assert money(by_day["2026-11-12"]["revenue"]) == -10
    assert by_day["2026-11-12"]["average_ticket"] is None

"""Sales and split-payment statistics, checked against numbers worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from tableside.db.database import Database
from tableside.kit.business_time import business_date
from tests.factories import Account, add_user, assert_error
from tests.factories.sales import (
    SALES,
    card,
    cash,
    counter_sale,
    create_item,
    pay,
)


async def _refund(
    client: httpx.AsyncClient, owner: Account, sale: dict[str, Any], index: int, amount: str
) -> None:
    response = await client.post(
        f"{SALES}/{sale['id']}/refund",
        headers=owner.headers,
        json={"payment_index": index, "refund_amount": amount, "reason": "returned"},
    )
    assert response.status_code == 201, response.text


async def test_sales_and_split_statistics(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    cashier = await add_user(client, owner, "cashier")
    a = await create_item(database, owner, price="10.00", name="Alpha")
    b = await create_item(database, owner, price="5.00", name="Bravo")
    c = await create_item(database, owner, price="3.33", name="Charlie")
    location = await client.post("/api/v1/locations", headers=owner.headers, json={"name": "Pier"})
    assert location.status_code == 201, location.text
    pier = location.json()["id"]

    async def sale(lines: list[Any], payments: list[Any], **extra: Any) -> dict[str, Any]:
        response = await counter_sale(client, owner, lines, payments, **extra)
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    await sale([(a, 2), (b, 1), (c, 1)], [card("28.33")])  # S1 28.33
    await sale([(a, 1)], [cash("4.00"), card("6.00")])  # S2 10.00, split in 2
    await sale(  # S3 15.00, split in 3, with a tip
        [(b, 3)], [card("5.00"), {"method": "mobile", "amount": "5.00"}, cash("5", tip_amount="1")]
    )
    s4 = await sale([(a, 1)], [card("10.00")])  # S4 10.00, 4.00 refunded
    await _refund(client, owner, s4, 0, "4.00")
    await sale([(b, 1)], [card("2.00")])  # S5 pending: not counted
    s6 = await sale([(a, 1)], [])  # S6 cancelled: not counted
    await client.post(f"{SALES}/{s6['id']}/cancel", headers=owner.headers, json={"reason": "x"})
    s7 = await sale([(b, 2)], [card("10.00")])  # S7 10.00, fully refunded
    await _refund(client, owner, s7, 0, "10.00")
    await sale([(a, 1)], [card("10.00")], location_id=pier)  # S8 10.00 at the pier

    response = await client.get(f"{SALES}/stats", headers=cashier.headers)
    assert response.status_code == 200, response.text
    stats = response.json()
    today = business_date(datetime.now(UTC), "UTC", 4)
    assert stats["date_to"] == today.isoformat()
    assert stats["date_from"] == (today - timedelta(days=29)).isoformat()
    # Settled: S1 28.33 + S2 10 + S3 15 + S4 10 + S7 10 + S8 10 = 83.33 over 6 sales.
    assert stats["total_sales"] == 83.33
    assert stats["total_refunded"] == 14.00
    assert stats["net_sales"] == 69.33
    assert stats["transaction_count"] == 6
    assert stats["average_order_value"] == 13.89  # 83.33 / 6 = 13.888...
    assert stats["total_tips"] == 1.00
    # Net of refunds: card 28.33 + 6 + 5 + (10 - 4) + (10 - 10) + 10 = 55.33.
    assert stats["by_payment_method"] == [
        {"method": "card", "count": 6, "amount": 55.33},
        {"method": "cash", "count": 2, "amount": 9.00},
        {"method": "mobile", "count": 1, "amount": 5.00},
    ]
    assert sum(float(m["amount"]) for m in stats["by_payment_method"]) == 69.33
    assert [
        (t["menu_item_id"], t["name"], t["quantity"], t["revenue"]) for t in stats["top_items"]
    ] == [
        (b.id, "Bravo", 6, 30.00),  # S1 1 + S3 3 + S7 2
        (a.id, "Alpha", 5, 50.00),  # S1 2 + S2 1 + S4 1 + S8 1
        (c.id, "Charlie", 1, 3.33),
    ]

    at_pier = (
        await client.get(f"{SALES}/stats", headers=owner.headers, params={"location_id": pier})
    ).json()
    assert (at_pier["total_sales"], at_pier["transaction_count"]) == (10.00, 1)
    assert at_pier["average_order_value"] == 10.00

    split = (await client.get(f"{SALES}/split/stats", headers=cashier.headers)).json()
    # S2 (2 payments, 10.00) and S3 (3 payments, 15.00): 25.00 over 5 payments.
    assert split["total_split_sales"] == 2
    assert split["total_amount"] == 25.00
    assert split["average_split_amount"] == 5.00
    assert split["average_payments_per_sale"] == 2.50

    tomorrow = (today + timedelta(days=1)).isoformat()
    empty = (
        await client.get(f"{SALES}/stats", headers=owner.headers, params={"date_from": tomorrow})
    ).json()
    assert (empty["total_sales"], empty["transaction_count"]) == (0.00, 0)
    assert (empty["average_order_value"], empty["by_payment_method"]) == (0.00, [])
    assert empty["date_to"] == tomorrow
    empty_split = (
        await client.get(
            f"{SALES}/split/stats",
            headers=owner.headers,
            params={"date_from": tomorrow, "date_to": tomorrow},
        )
    ).json()
    assert empty_split["total_split_sales"] == 0
    assert empty_split["average_payments_per_sale"] == 0.00
    assert_error(
        await client.get(
            f"{SALES}/stats",
            headers=owner.headers,
            params={"date_from": "2026-03-02", "date_to": "2026-03-01"},
        ),
        422,
        "VALIDATION_ERROR",
    )


async def test_split_stats_count_only_settled_sales(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    item = await create_item(database, owner, price="9.00")
    open_sale = (await counter_sale(client, owner, [(item, 1)], [card("3"), card("3")])).json()
    assert open_sale["status"] == "pending"
    split = (await client.get(f"{SALES}/split/stats", headers=owner.headers)).json()
    assert split["total_split_sales"] == 0
    await pay(client, owner, open_sale["id"], card("3"))
    split = (await client.get(f"{SALES}/split/stats", headers=owner.headers)).json()
    assert (split["total_split_sales"], split["average_payments_per_sale"]) == (1, 3.00)
    assert split["average_split_amount"] == 3.00


async def test_business_day_follows_the_time_zone_and_cutoff(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    await client.put(
        "/api/v1/business",
        headers=owner.headers,
        json={"timezone": "Pacific/Kiritimati", "day_cutoff_hour": 23},
    )
    item = await create_item(database, owner, price="1.00")
    sale = (await counter_sale(client, owner, [(item, 1)], [card("1")])).json()
    sold_at = datetime.fromisoformat(sale["sold_at"].replace("Z", "+00:00"))
    expected = business_date(sold_at, "Pacific/Kiritimati", 23)
    assert sale["business_date"] == expected.isoformat()
    stats = (
        await client.get(
            f"{SALES}/stats",
            headers=owner.headers,
            params={"date_from": expected.isoformat(), "date_to": expected.isoformat()},
        )
    ).json()
    assert stats["transaction_count"] == 1
    assert date.fromisoformat(stats["date_from"]) == expected

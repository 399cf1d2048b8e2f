"""Sales made from orders: copied lines and totals, the order marked paid, one sale per order."""

from __future__ import annotations

from decimal import Decimal

import httpx

from tableside.db.database import Database
from tableside.models import OrderStatus
from tests.factories import Account, assert_error, money
from tests.factories.sales import (
    SALES,
    card,
    cash,
    create_category,
    create_customer,
    create_item,
    create_order,
    item_stock,
    order_row,
    pay,
)


async def test_sale_from_a_ready_order_copies_it_and_completes_it(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    category = await create_category(database, owner, "Mains")
    steak = await create_item(
        database, owner, price="24.00", cost="9.00", category_id=category, name="Steak"
    )
    wine = await create_item(database, owner, price="8.50", stock=6, name="Wine")
    customer = await create_customer(database, owner, "Regular Rita")
    # 2 x 24 + 8.50 = 56.50; discount 5.00 -> 51.50; tax 10% = 5.15; tip 3.00 -> total 59.65
    order = await create_order(
        database,
        owner,
        [(steak, 2), (wine, 1)],
        voided=[(steak, 1)],
        status=OrderStatus.ready,
        tax_rate="10",
        discount_amount="5.00",
        tip_amount="3.00",
        customer_id=customer,
        notes=["medium rare"],
    )
    assert order.total_amount == Decimal("59.65")
    response = await client.post(
        SALES, headers=owner.headers, json={"order_id": order.id, "payments": [card("59.65")]}
    )
    assert response.status_code == 201, response.text
    sale = response.json()
    assert sale["order_id"] == order.id
    assert sale["customer_id"] == customer
    assert sale["customer_name"] == "Regular Rita"
    assert (sale["subtotal"], sale["discount_amount"], sale["tax_amount"]) == (
        56.50,
        5.00,
        5.15,
    )
    assert (sale["tip_amount"], sale["total_amount"], sale["status"]) == (
        3.00,
        59.65,
        "completed",
    )
    lines = sale["lines"]
    assert [line["order_item_id"] for line in lines] == order.item_ids
    assert [line["name"] for line in lines] == ["Steak", "Wine"]
    assert lines[0]["notes"] == "medium rare"
    assert (lines[0]["category_id"], lines[0]["category_name"]) == (category, "Mains")
    assert lines[0]["barcode"] == steak.barcode
    assert (lines[0]["unit_price"], lines[0]["unit_cost"], lines[0]["line_total"]) == (
        24.00,
        9.00,
        48.00,
    )
    # The order's discount spread over its lines: 48/56.5 and 8.5/56.5 of 5.00.
    assert [line["discount_amount"] for line in lines] == [4.25, 0.75]
    assert sum(money(line["net_amount"]) for line in lines) == Decimal("51.50")
    row = await order_row(database, owner, order.id)
    assert row.paid_at is not None
    assert row.status == OrderStatus.completed
    assert row.completed_at is not None
    assert await item_stock(database, owner, wine) == 5


async def test_order_still_cooking_is_stamped_paid_but_stays_open(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    item = await create_item(database, owner, price="12.00")
    order = await create_order(
        database, owner, [(item, 1)], status=OrderStatus.preparing, tax_rate="0"
    )
    sale = (await client.post(SALES, headers=owner.headers, json={"order_id": order.id})).json()
    assert sale["status"] == "pending"
    assert (await order_row(database, owner, order.id)).paid_at is None
    paid = await pay(client, owner, sale["id"], cash("20.00"))
    assert paid.json()["status"] == "completed"
    assert paid.json()["change_given"] == 8.00
    row = await order_row(database, owner, order.id)
    assert row.paid_at is not None
    assert row.status == OrderStatus.preparing


async def test_one_open_sale_per_order(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    item = await create_item(database, owner, price="5.00")
    order = await create_order(database, owner, [(item, 2)], tax_rate="0")
    first = await client.post(SALES, headers=owner.headers, json={"order_id": order.id})
    assert first.status_code == 201, first.text
    sale_id = first.json()["id"]
    error = assert_error(
        await client.post(SALES, headers=owner.headers, json={"order_id": order.id}),
        409,
        "INVALID_STATE",
    )
    assert sale_id in error["message"]
    # Completed: still one sale.
    await pay(client, owner, sale_id, card("10.00"))
    assert_error(
        await client.post(SALES, headers=owner.headers, json={"order_id": order.id}),
        409,
        "INVALID_STATE",
    )


async def test_a_cancelled_sale_frees_its_order_for_a_new_one(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    item = await create_item(database, owner, price="5.00")
    order = await create_order(database, owner, [(item, 1)], tax_rate="0")
    first = (await client.post(SALES, headers=owner.headers, json={"order_id": order.id})).json()
    cancelled = await client.post(
        f"{SALES}/{first['id']}/cancel", headers=owner.headers, json={"reason": "wrong till"}
    )
    assert cancelled.status_code == 200, cancelled.text
    second = await client.post(
        SALES, headers=owner.headers, json={"order_id": order.id, "payments": [card("5.00")]}
    )
    assert second.status_code == 201, second.text
    listed = (await client.get(SALES, headers=owner.headers, params={"order_id": order.id})).json()
    assert [row["id"] for row in listed["items"]] == [second.json()["id"]]


async def test_cancelled_order_cannot_be_sold(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    item = await create_item(database, owner, price="5.00")
    order = await create_order(database, owner, [(item, 1)], status=OrderStatus.cancelled)
    assert_error(
        await client.post(SALES, headers=owner.headers, json={"order_id": order.id}),
        409,
        "INVALID_STATE",
    )


async def test_order_with_only_voided_lines_cannot_be_sold(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    item = await create_item(database, owner, price="5.00")
    order = await create_order(database, owner, [], voided=[(item, 1)])
    assert_error(
        await client.post(SALES, headers=owner.headers, json={"order_id": order.id}),
        409,
        "INVALID_STATE",
    )


async def test_order_sale_refuses_a_discount_and_a_second_customer(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    item = await create_item(database, owner, price="5.00")
    customer = await create_customer(database, owner)
    other_customer = await create_customer(database, owner, "Someone Else")
    order = await create_order(database, owner, [(item, 1)], customer_id=customer)
    error = assert_error(
        await client.post(
            SALES, headers=owner.headers, json={"order_id": order.id, "discount_amount": "1"}
        ),
        422,
        "VALIDATION_ERROR",
    )
    assert error["details"][0]["field"] == "discount_amount"
    error = assert_error(
        await client.post(
            SALES,
            headers=owner.headers,
            json={"order_id": order.id, "customer_id": other_customer},
        ),
        422,
        "VALIDATION_ERROR",
    )
    assert error["details"][0]["field"] == "customer_id"
    error = assert_error(
        await client.post(
            SALES,
            headers=owner.headers,
            json={"order_id": order.id, "items": [{"menu_item_id": item.id, "quantity": 1}]},
        ),
        422,
        "VALIDATION_ERROR",
    )
    assert error["details"][0]["field"] == "order_id"

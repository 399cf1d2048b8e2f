"""Sales: counter sales, payments, change, refunds and cancellation."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from tableside.db.database import Database
from tests.factories import Account, add_user, assert_error, money
from tests.factories.sales import (
    SALES,
    card,
    cash,
    counter_sale,
    create_category,
    create_customer,
    create_item,
    item_stock,
    pay,
    set_business,
)


async def _audit(client: httpx.AsyncClient, owner: Account, action: str) -> list[dict[str, Any]]:
    response = await client.get(
        "/api/v1/audit-log", headers=owner.headers, params={"action": action}
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_counter_sale_paid_in_one_go(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    await set_business(client, owner, tax_rate="8.875")
    category = await create_category(database, owner, "Pizza")
    pizza = await create_item(
        database, owner, price="12.50", cost="4.10", category_id=category, name="Margherita"
    )
    soda = await create_item(database, owner, price="3.99", stock=10)
    customer = await create_customer(database, owner, "Ada Guest")
    # 2 x 12.50 + 3.99 = 28.99; tax 8.875% = 2.5728... -> 2.57; total 31.56
    response = await counter_sale(
        client,
        owner,
        [(pizza, 2), (soda, 1)],
        [card("31.56", reference="CC-1", payer_name="Ada")],
        customer_id=customer,
    )
    assert response.status_code == 201, response.text
    sale = response.json()
    assert sale["status"] == "completed"
    assert sale["sale_number"].startswith("S-")
    assert sale["source"] == "pos"
    assert sale["user_id"] == owner.user_id
    assert sale["customer_id"] == customer
    assert sale["customer_name"] == "Ada Guest"
    assert (sale["subtotal"], sale["discount_amount"], sale["tax_amount"]) == (
        28.99,
        0.00,
        2.57,
    )
    assert (sale["total_amount"], sale["total_paid"], sale["remaining_amount"]) == (
        31.56,
        31.56,
        0.00,
    )
    assert sale["change_given"] == 0.00
    assert sale["completed_at"] is not None
    first, second = sale["lines"]
    assert first["menu_item_id"] == pizza.id
    assert first["name"] == "Margherita"
    assert first["sku"] == pizza.sku
    assert first["barcode"] == pizza.barcode
    assert first["category_id"] == category
    assert first["category_name"] == "Pizza"
    assert (first["quantity"], first["unit_price"], first["unit_cost"]) == (2, 12.50, 4.10)
    assert (first["line_total"], first["net_amount"]) == (25.00, 25.00)
    assert second["unit_cost"] is None
    [payment] = sale["payments"]
    assert (payment["method"], payment["amount"], payment["tendered_amount"]) == (
        "card",
        31.56,
        31.56,
    )
    assert payment["reference"] == "CC-1"
    assert payment["payer_name"] == "Ada"
    assert payment["status"] == "completed"
    assert payment["refunds"] == []
    assert await item_stock(database, owner, soda) == 9
    assert await item_stock(database, owner, pizza) is None

    fetched = await client.get(f"{SALES}/{sale['id']}", headers=owner.headers)
    assert fetched.json() == sale
    alias = await client.get(f"{SALES}/{sale['id']}/with-items", headers=owner.headers)
    assert alias.json() == sale
    [created] = await _audit(client, owner, "sale.created")
    assert created["entity_id"] == sale["id"]
    [paid] = await _audit(client, owner, "payment.added")
    assert paid["details"]["method"] == "card"
    assert paid["details"]["amount"] == "31.56"
    assert paid["details"]["change"] == "0.00"


async def test_split_across_three_payments_completes_exactly_at_the_last(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    cashier = await add_user(client, owner, "cashier")
    item = await create_item(database, owner, price="10.00", stock=5)
    created = await counter_sale(client, cashier, [(item, 3)])
    assert created.status_code == 201, created.text
    sale = created.json()
    assert (sale["status"], sale["total_amount"], sale["remaining_amount"]) == (
        "pending",
        30.00,
        30.00,
    )
    steps = [
        (card("10.00", payer_name="Ann"), "pending", "20.00"),
        ({"method": "mobile", "amount": "7.50", "tip_amount": "1.00"}, "pending", "12.50"),
        (card("12.50", payer_name="Cy", tip_amount="2.25"), "completed", "0.00"),
    ]
    for payment, status, remaining in steps:
        assert await item_stock(database, owner, item) == 5  # stock moves only at completion
        response = await pay(client, cashier, sale["id"], payment)
        assert response.status_code == 201, response.text
        body = response.json()
        assert (body["status"], money(body["remaining_amount"])) == (status, Decimal(remaining))
    assert body["total_paid"] == 30.00
    assert body["total_amount"] == 30.00
    assert body["tip_amount"] == 3.25
    assert [p["amount"] for p in body["payments"]] == [10.00, 7.50, 12.50]
    assert [p["payer_name"] for p in body["payments"]] == ["Ann", None, "Cy"]
    assert await item_stock(database, owner, item) == 2


async def test_split_payments_sent_with_the_sale(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    item = await create_item(database, owner, price="25.00")
    response = await counter_sale(
        client,
        owner,
        [(item, 4)],
        [card("40.00"), cash("35.00"), {"method": "gift_card", "amount": "25.00"}],
        notes="Split between 3 people",
    )
    assert response.status_code == 201, response.text
    sale = response.json()
    assert sale["status"] == "completed"
    assert [p["method"] for p in sale["payments"]] == ["card", "cash", "gift_card"]
    assert sale["notes"] == "Split between 3 people"
    # The POS document's path for the same thing.
    alias = await client.post(
        f"{SALES}/split",
        headers=owner.headers,
        json={"items": [{"menu_item_id": item.id, "quantity": 1}], "payments": [card("25")]},
    )
    assert alias.status_code == 201, alias.text
    assert alias.json()["status"] == "completed"


async def test_cash_overpayment_gives_change(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    await set_business(client, owner, tax_rate="10")
    item = await create_item(database, owner, price="19.80")
    # 19.80 + 1.98 tax = 21.78
    response = await counter_sale(client, owner, [(item, 1)], [cash("50.00")])
    assert response.status_code == 201, response.text
    sale = response.json()
    assert sale["status"] == "completed"
    assert sale["total_amount"] == 21.78
    assert sale["total_paid"] == 21.78
    assert sale["change_given"] == 28.22
    [payment] = sale["payments"]
    assert (payment["amount"], payment["tendered_amount"], payment["change_given"]) == (
        21.78,
        50.00,
        28.22,
    )
    [audit] = await _audit(client, owner, "payment.added")
    assert audit["details"]["change"] == "28.22"


async def test_card_overpayment_is_refused_and_nothing_is_written(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    item = await create_item(database, owner, price="20.00", stock=3)
    sale = (await counter_sale(client, owner, [(item, 1)], [card("5.00")])).json()
    before = (await client.get(f"{SALES}/{sale['id']}", headers=owner.headers)).json()

    error = assert_error(await pay(client, owner, sale["id"], card("15.01")), 409, "INVALID_STATE")
    assert "exceeds the remaining balance of 15.00" in error["message"]
    after = (await client.get(f"{SALES}/{sale['id']}", headers=owner.headers)).json()
    assert after == before
    assert len(await _audit(client, owner, "payment.added")) == 1

    # Sent with a new sale, the refused payment leaves no sale at all.
    assert_error(
        await counter_sale(client, owner, [(item, 1)], [card("10.00"), card("10.01")]),
        409,
        "INVALID_STATE",
    )
    listed = (await client.get(SALES, headers=owner.headers)).json()
    assert listed["total"] == 1
    assert await item_stock(database, owner, item) == 3


async def test_payment_on_closed_sales_is_refused(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    item = await create_item(database, owner, price="8.00")
    done = (await counter_sale(client, owner, [(item, 1)], [cash("8.00")])).json()
    assert done["status"] == "completed"
    assert_error(await pay(client, owner, done["id"], cash("1.00")), 409, "INVALID_STATE")
    # Payments sent with a sale past its total land on a completed sale.
    assert_error(
        await counter_sale(client, owner, [(item, 1)], [cash("8.00"), cash("1.00")]),
        409,
        "INVALID_STATE",
    )
    open_sale = (await counter_sale(client, owner, [(item, 1)])).json()
    cancelled = await client.post(
        f"{SALES}/{open_sale['id']}/cancel", headers=owner.headers, json={"reason": "mistake"}
    )
    assert cancelled.status_code == 200, cancelled.text
    assert_error(await pay(client, owner, open_sale["id"], card("1.00")), 409, "INVALID_STATE")


async def test_refunds_partial_then_full(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    manager = await add_user(client, owner, "manager")
    cashier = await add_user(client, owner, "cashier")
    item = await create_item(database, owner, price="50.00", stock=4)
    sale = (await counter_sale(client, cashier, [(item, 2)], [card("60.00"), cash("40.00")])).json()
    card_payment, cash_payment = sale["payments"]
    url = f"{SALES}/{sale['id']}/refunds"

    assert_error(
        await client.post(
            url,
            headers=cashier.headers,
            json={"payment_id": card_payment["id"], "amount": "1.00", "reason": "x"},
        ),
        403,
        "FORBIDDEN",
    )
    partial = await client.post(
        url,
        headers=manager.headers,
        json={"payment_id": card_payment["id"], "amount": "20.00", "reason": "cold pizza"},
    )
    assert partial.status_code == 201, partial.text
    body = partial.json()
    assert body["status"] == "completed"
    assert body["total_refunded"] == 20.00
    refunded_payment = body["payments"][0]
    assert refunded_payment["status"] == "partially_refunded"
    assert refunded_payment["refunded_amount"] == 20.00
    assert refunded_payment["refunds"][0]["reason"] == "cold pizza"
    assert refunded_payment["refunds"][0]["refunded_by"] == manager.user_id

    # Beyond what the payment settled (60 - 20 = 40 left): refused, nothing changes.
    error = assert_error(
        await client.post(
            url,
            headers=manager.headers,
            json={"payment_id": card_payment["id"], "amount": "40.01", "reason": "too much"},
        ),
        409,
        "INVALID_STATE",
    )
    assert "40.00" in error["message"]
    rest = await client.post(
        url,
        headers=manager.headers,
        json={"payment_id": card_payment["id"], "amount": "40.00", "reason": "all of it"},
    )
    assert rest.json()["payments"][0]["status"] == "refunded"
    assert rest.json()["status"] == "completed"
    # The POS-document shape: the payment by its index.
    last = await client.post(
        f"{SALES}/{sale['id']}/refund",
        headers=manager.headers,
        json={"payment_index": 1, "refund_amount": "40.00", "reason": "walked out"},
    )
    assert last.status_code == 201, last.text
    final = last.json()
    assert final["status"] == "refunded"
    assert final["total_refunded"] == 100.00
    assert final["payments"][1]["id"] == cash_payment["id"]
    assert final["payments"][1]["status"] == "refunded"
    # Refunds do not restock.
    assert await item_stock(database, owner, item) == 2
    audits = await _audit(client, owner, "refund.created")
    assert {a["details"]["reason"] for a in audits} == {"cold pizza", "all of it", "walked out"}
    assert_error(
        await client.post(
            f"{SALES}/{sale['id']}/refund",
            headers=manager.headers,
            json={"payment_index": 2, "refund_amount": "1.00", "reason": "x"},
        ),
        422,
        "VALIDATION_ERROR",
    )


@pytest.mark.parametrize(
    "body",
    [
        {"amount": "0", "reason": "x"},
        {"amount": "-1", "reason": "x"},
        {"amount": "1.001", "reason": "x"},
        {"amount": "1.00", "reason": "   "},
        {"amount": "1.00"},
    ],
)
async def test_refund_rejects_bad_values(
    client: httpx.AsyncClient, owner: Account, database: Database, body: dict[str, str]
) -> None:
    item = await create_item(database, owner, price="5.00")
    sale = (await counter_sale(client, owner, [(item, 1)], [card("5.00")])).json()
    response = await client.post(
        f"{SALES}/{sale['id']}/refunds",
        headers=owner.headers,
        json={"payment_id": sale["payments"][0]["id"], **body},
    )
    assert_error(response, 422, "VALIDATION_ERROR")


async def test_refund_payment_must_belong_to_the_sale(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    item = await create_item(database, owner, price="5.00")
    first = (await counter_sale(client, owner, [(item, 1)], [card("5.00")])).json()
    second = (await counter_sale(client, owner, [(item, 1)], [card("5.00")])).json()
    error = assert_error(
        await client.post(
            f"{SALES}/{first['id']}/refunds",
            headers=owner.headers,
            json={"payment_id": second["payments"][0]["id"], "amount": "1", "reason": "x"},
        ),
        422,
        "VALIDATION_ERROR",
    )
    assert error["details"][0]["field"] == "payment_id"


async def test_refund_on_a_pending_sale_reopens_the_balance_then_cancel(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    manager = await add_user(client, owner, "manager")
    cashier = await add_user(client, owner, "cashier")
    item = await create_item(database, owner, price="30.00")
    sale = (await counter_sale(client, cashier, [(item, 1)], [card("10.00")])).json()
    cancel_url = f"{SALES}/{sale['id']}/cancel"
    assert_error(
        await client.post(cancel_url, headers=cashier.headers, json={"reason": "left"}),
        403,
        "FORBIDDEN",
    )
    error = assert_error(
        await client.post(cancel_url, headers=manager.headers, json={"reason": "left"}),
        409,
        "INVALID_STATE",
    )
    assert "refund" in error["message"]
    refunded = await client.post(
        f"{SALES}/{sale['id']}/refunds",
        headers=manager.headers,
        json={"payment_id": sale["payments"][0]["id"], "amount": "10.00", "reason": "left"},
    )
    body = refunded.json()
    assert (body["status"], body["total_paid"], body["remaining_amount"]) == (
        "pending",
        0.00,
        30.00,
    )
    cancelled = await client.post(cancel_url, headers=manager.headers, json={"reason": "left"})
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancelled_at"] is not None
    [audit] = await _audit(client, owner, "sale.cancelled")
    assert audit["details"]["reason"] == "left"
    assert_error(
        await client.post(cancel_url, headers=manager.headers, json={"reason": "again"}),
        409,
        "INVALID_STATE",
    )


async def test_completed_sale_cannot_be_cancelled(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    item = await create_item(database, owner, price="3.00")
    sale = (await counter_sale(client, owner, [(item, 1)], [cash("3")])).json()
    assert_error(
        await client.post(
            f"{SALES}/{sale['id']}/cancel", headers=owner.headers, json={"reason": "oops"}
        ),
        409,
        "INVALID_STATE",
    )


async def test_free_sale_completes_at_creation(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    water = await create_item(database, owner, price="0.00", stock=2)
    response = await counter_sale(client, owner, [(water, 1)])
    assert response.status_code == 201, response.text
    sale = response.json()
    assert (sale["status"], sale["total_amount"], sale["payments"]) == ("completed", 0.00, [])
    assert await item_stock(database, owner, water) == 1


async def test_discounts(client: httpx.AsyncClient, owner: Account, database: Database) -> None:
    await set_business(client, owner, tax_rate="10")
    cashier = await add_user(client, owner, "cashier")
    manager = await add_user(client, owner, "manager")
    a = await create_item(database, owner, price="10.00")
    b = await create_item(database, owner, price="20.00")
    assert_error(
        await counter_sale(client, cashier, [(a, 1)], discount_amount="1.00"), 403, "FORBIDDEN"
    )
    # 10 + 20 = 30, discount 1.00 split 0.33 / 0.67, tax 10% of 29 = 2.90, total 31.90
    response = await counter_sale(client, manager, [(a, 1), (b, 1)], discount_amount="1.00")
    assert response.status_code == 201, response.text
    sale = response.json()
    assert (sale["discount_amount"], sale["tax_amount"], sale["total_amount"]) == (
        1.00,
        2.90,
        31.90,
    )
    assert [line["discount_amount"] for line in sale["lines"]] == [0.33, 0.67]
    assert [line["net_amount"] for line in sale["lines"]] == [9.67, 19.33]
    # 15% of 30 = 4.50; tax 10% of 25.50 = 2.55; total 28.05
    pct = (await counter_sale(client, owner, [(a, 1), (b, 1)], discount_percent="15")).json()
    assert (pct["discount_amount"], pct["tax_amount"], pct["total_amount"]) == (
        4.50,
        2.55,
        28.05,
    )
    error = assert_error(
        await counter_sale(client, manager, [(a, 1)], discount_amount="10.01"),
        422,
        "VALIDATION_ERROR",
    )
    assert error["details"][0]["field"] == "discount_amount"
    assert_error(
        await counter_sale(client, manager, [(a, 1)], discount_amount="1", discount_percent="5"),
        422,
        "VALIDATION_ERROR",
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "items"),
        ({"items": []}, "items"),
        ({"items": [{"menu_item_id": "ITEM", "quantity": 0}]}, "items.0.quantity"),
        ({"items": [{"menu_item_id": "ITEM", "quantity": 1000}]}, "items.0.quantity"),
        (
            {"items": [{"menu_item_id": "ITEM", "quantity": 1, "unit_price": "0.01"}]},
            "items.0.unit_price",
        ),
        ({"items": [{"menu_item_id": "ITEM", "quantity": 1}], "total_amount": "1"}, "total_amount"),
        (
            {"items": [{"menu_item_id": "ITEM", "quantity": 1}], "payments": [card("1.001")]},
            "payments.0.amount",
        ),
        (
            {"items": [{"menu_item_id": "ITEM", "quantity": 1}], "payments": [card("0")]},
            "payments.0.amount",
        ),
        (
            {
                "items": [{"menu_item_id": "ITEM", "quantity": 1}],
                "payments": [card("1", tip_amount="-1")],
            },
            "payments.0.tip_amount",
        ),
        (
            {
                "items": [{"menu_item_id": "ITEM", "quantity": 1}],
                "payments": [{"method": "bitcoin", "amount": "1"}],
            },
            "payments.0.method",
        ),
        ({"items": [{"menu_item_id": "ITEM", "quantity": 1}], "customer_id": "NEW"}, "customer_id"),
        ({"items": [{"menu_item_id": "ITEM", "quantity": 1}], "location_id": "NEW"}, "location_id"),
        ({"items": [{"menu_item_id": "NEW", "quantity": 1}]}, "items.0.menu_item_id"),
        ({"items": [{"menu_item_id": "ITEM", "quantity": 1}], "order_id": "NEW"}, "order_id"),
    ],
)
async def test_create_sale_rejects_bad_values(
    client: httpx.AsyncClient,
    owner: Account,
    database: Database,
    body: dict[str, Any],
    field: str,
) -> None:
    import json
    import uuid

    item = await create_item(database, owner, price="1.00")
    text = json.dumps(body).replace('"ITEM"', f'"{item.id}"')
    text = text.replace('"NEW"', f'"{uuid.uuid4()}"')
    response = await client.post(
        SALES, headers={**owner.headers, "Content-Type": "application/json"}, content=text
    )
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert field in [d["field"] for d in error["details"]], error


async def test_inactive_menu_item_is_refused(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    active = await create_item(database, owner, price="1.00")
    retired = await create_item(database, owner, price="1.00", is_active=False)
    error = assert_error(
        await counter_sale(client, owner, [(active, 1), (retired, 1)]), 422, "VALIDATION_ERROR"
    )
    assert error["details"] == [
        {"field": "items.1.menu_item_id", "message": error["details"][0]["message"]}
    ]


async def test_roles(client: httpx.AsyncClient, owner: Account, database: Database) -> None:
    item = await create_item(database, owner, price="1.00")
    waiter = await add_user(client, owner, "wait_staff")
    viewer = await add_user(client, owner, "viewer")
    for account in (waiter, viewer):
        assert_error(await counter_sale(client, account, [(item, 1)]), 403, "FORBIDDEN")
        assert_error(await client.get(SALES, headers=account.headers), 403, "FORBIDDEN")
        assert_error(await client.get(f"{SALES}/stats", headers=account.headers), 403, "FORBIDDEN")


async def test_other_business_ids(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    from tests.factories import register
    from tests.factories.sales import create_order

    other = await register(client)
    theirs = await create_item(database, other, price="4.00")
    their_sale = (await counter_sale(client, other, [(theirs, 1)], [card("2.00")])).json()
    their_order = await create_order(database, other, [(theirs, 1)])
    their_customer = await create_customer(database, other)
    mine = await create_item(database, owner, price="4.00")

    sale_url = f"{SALES}/{their_sale['id']}"
    assert_error(await client.get(sale_url, headers=owner.headers), 404, "NOT_FOUND")
    assert_error(
        await client.get(f"{sale_url}/with-items", headers=owner.headers), 404, "NOT_FOUND"
    )
    assert_error(await pay(client, owner, their_sale["id"], card("1")), 404, "NOT_FOUND")
    assert_error(
        await client.post(
            f"{sale_url}/refunds",
            headers=owner.headers,
            json={"payment_id": their_sale["payments"][0]["id"], "amount": "1", "reason": "x"},
        ),
        404,
        "NOT_FOUND",
    )
    assert_error(
        await client.post(f"{sale_url}/cancel", headers=owner.headers, json={"reason": "x"}),
        404,
        "NOT_FOUND",
    )
    error = assert_error(await counter_sale(client, owner, [(theirs, 1)]), 422, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "items.0.menu_item_id"
    error = assert_error(
        await client.post(SALES, headers=owner.headers, json={"order_id": their_order.id}),
        422,
        "VALIDATION_ERROR",
    )
    assert error["details"][0]["field"] == "order_id"
    error = assert_error(
        await counter_sale(client, owner, [(mine, 1)], customer_id=their_customer),
        422,
        "VALIDATION_ERROR",
    )
    assert error["details"][0]["field"] == "customer_id"
    # Their sale is untouched.
    again = await client.get(sale_url, headers=other.headers)
    assert again.json()["total_paid"] == 2.00


async def test_list_filters_and_search(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    cashier = await add_user(client, owner, "cashier")
    item = await create_item(database, owner, price="2.00")
    customer = await create_customer(database, owner, "Grace Hopper")
    first = (await counter_sale(client, owner, [(item, 1)], [cash("2")])).json()
    second = (
        await counter_sale(client, cashier, [(item, 2)], customer_name="Linus Walk-in")
    ).json()
    third = (
        await counter_sale(client, owner, [(item, 3)], [card("6")], customer_id=customer)
    ).json()

    async def ids(**params: Any) -> list[str]:
        response = await client.get(SALES, headers=owner.headers, params=params)
        assert response.status_code == 200, response.text
        return [row["id"] for row in response.json()["items"]]

    assert await ids() == [third["id"], second["id"], first["id"]]
    assert await ids(status="pending") == [second["id"]]
    assert await ids(user_id=cashier.user_id) == [second["id"]]
    assert await ids(customer_id=customer) == [third["id"]]
    assert await ids(search="linus") == [second["id"]]
    assert await ids(search=first["sale_number"]) == [first["id"]]
    assert await ids(source="pos", sort_by="total_amount", sort_order="asc") == [
        first["id"],
        second["id"],
        third["id"],
    ]
    today = first["business_date"]
    assert len(await ids(date_from=today, date_to=today)) == 3
    assert await ids(date_to="2000-01-01") == []
    page = (await client.get(SALES, headers=owner.headers, params={"page_size": 2})).json()
    assert (page["total"], page["pages"], page["has_next"]) == (3, 2, True)
    assert page["items"][0]["total_paid"] == 6.00
    assert "lines" not in page["items"][0]
    assert_error(
        await client.get(
            SALES,
            headers=owner.headers,
            params={"date_from": "2026-02-02", "date_to": "2026-02-01"},
        ),
        422,
        "VALIDATION_ERROR",
    )
    assert_error(
        await client.get(SALES, headers=owner.headers, params={"sort_by": "password"}),
        422,
        "VALIDATION_ERROR",
    )


async def test_sale_numbers_are_sequential_per_business(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    from tests.factories import register

    item = await create_item(database, owner, price="1.00")
    numbers = [
        (await counter_sale(client, owner, [(item, 1)])).json()["sale_number"] for _ in range(3)
    ]
    assert numbers == ["S-000001", "S-000002", "S-000003"]
    other = await register(client)
    their_item = await create_item(database, other, price="1.00")
    theirs = (await counter_sale(client, other, [(their_item, 1)])).json()
    assert theirs["sale_number"] == "S-000001"
    # A sale that fails leaves no gap.
    assert_error(
        await counter_sale(client, owner, [(item, 1)], [card("5.00")]), 409, "INVALID_STATE"
    )
    after = (await counter_sale(client, owner, [(item, 1)])).json()
    assert after["sale_number"] == "S-000004"


async def test_amounts_finer_than_the_currency_are_refused(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    await set_business(client, owner, currency="JPY")
    item = await create_item(database, owner, price="500")
    response = await counter_sale(client, owner, [(item, 1)], [cash("500.50")])
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "payments.0.amount"
    ok = await counter_sale(client, owner, [(item, 1)], [cash("1000")])
    assert ok.json()["change_given"] == 500.00


async def test_money_in_json_numbers_is_accepted(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    item = await create_item(database, owner, price="0.10")
    response = await client.post(
        SALES,
        headers=owner.headers,
        json={
            "items": [{"menu_item_id": item.id, "quantity": 3}],
            "payments": [{"method": "card", "amount": 0.1}, {"method": "card", "amount": 0.2}],
        },
    )
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "completed"
    assert money(response.json()["total_paid"]) == money(0.30)

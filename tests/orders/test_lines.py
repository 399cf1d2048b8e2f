"""Lines and money of an open order: add, change, remove, void, discount, tip, concurrency."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

import httpx
import pytest

from tableside.db.database import Database
from tableside.models import SaleStatus
from tableside.orders.totals import compute_totals
from tests.factories import Account, add_user, assert_error, money
from tests.factories.orders import (
    ORDERS,
    create_customer,
    create_menu_item,
    create_order,
    create_sale,
    line,
    pay,
    send,
    set_business,
    tickets_of,
)


def _items(order_id: str) -> str:
    return f"{ORDERS}/{order_id}/items"


async def test_add_items_while_open(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    await set_business(client, owner, tax_rate="8.5")
    pizza = await create_menu_item(database, owner, price="12.99")
    pasta = await create_menu_item(database, owner, name="Spaghetti Carbonara", price="16.99")
    order = await create_order(client, owner, [line(pizza, 2)])
    response = await client.post(
        _items(order["id"]),
        headers=owner.headers,
        json={"items": [line(pasta, 1, notes="No onions"), line(pizza, 1)]},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert [(i["name"], i["quantity"]) for i in body["items"]] == [
        ("Margherita Pizza", 2),
        ("Spaghetti Carbonara", 1),
        ("Margherita Pizza", 1),
    ]
    assert body["subtotal"] == 55.96
    assert body["tax_amount"] == 4.76  # 4.7566
    assert body["total_amount"] == 60.72

    # Still possible once sent (preparing) and once ready.
    await send(client, owner, order["id"])
    again = await client.post(
        _items(order["id"]), headers=owner.headers, json={"items": [line(pizza)]}
    )
    assert again.status_code == 201
    assert again.json()["status"] == "preparing"
    assert again.json()["items"][-1]["sent_at"] is None

    bad = await client.post(_items(order["id"]), headers=owner.headers, json={"items": []})
    assert_error(bad, 422, "VALIDATION_ERROR")
    unknown = await client.post(
        _items(order["id"]), headers=owner.headers, json={"items": [line(str(uuid.uuid4()))]}
    )
    error = assert_error(unknown, 422, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "items.0.menu_item_id"
    priced = await client.post(
        _items(order["id"]),
        headers=owner.headers,
        json={"items": [{"menu_item_id": pizza, "unit_price": "0.01"}]},
    )
    assert assert_error(priced, 422, "VALIDATION_ERROR")["details"][0]["field"] == (
        "items.0.unit_price"
    )
    missing = await client.post(
        _items(str(uuid.uuid4())), headers=owner.headers, json={"items": [line(pizza)]}
    )
    assert_error(missing, 404, "NOT_FOUND")


async def test_no_items_on_a_closed_order(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    pizza = await create_menu_item(database, owner)
    cancelled = await create_order(client, owner, [line(pizza)])
    await client.post(f"{ORDERS}/{cancelled['id']}/cancel", headers=owner.headers)
    free = await create_menu_item(database, owner, price="0.00", station=None)
    completed = await create_order(client, owner, [line(free)])
    await send(client, owner, completed["id"])
    done = await client.post(f"{ORDERS}/{completed['id']}/complete", headers=owner.headers)
    assert done.json()["status"] == "completed"
    for order in (cancelled, completed):
        response = await client.post(
            _items(order["id"]), headers=owner.headers, json={"items": [line(pizza)]}
        )
        assert_error(response, 409, "INVALID_STATE")


async def test_concurrent_additions_lose_nothing(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    await set_business(client, owner, tax_rate="8.875")
    prices = [f"{n}.{n * 7 % 100:02d}" for n in range(1, 11)]
    items = [
        await create_menu_item(database, owner, name=f"Dish {n}", price=price)
        for n, price in enumerate(prices)
    ]
    order = await create_order(client, owner)
    responses = await asyncio.gather(
        *(
            client.post(_items(order["id"]), headers=owner.headers, json={"items": [line(item, 2)]})
            for item in items
        )
    )
    assert [r.status_code for r in responses] == [201] * 10, [r.text for r in responses]
    final = (await client.get(f"{ORDERS}/{order['id']}", headers=owner.headers)).json()
    assert sorted(i["menu_item_id"] for i in final["items"]) == sorted(items)
    expected = compute_totals([Decimal(p) * 2 for p in prices], tax_rate=Decimal("8.875"))
    assert money(final["subtotal"]) == expected.subtotal
    assert money(final["tax_amount"]) == expected.tax_amount
    assert money(final["total_amount"]) == expected.total_amount
    assert money(final["subtotal"]) == sum(money(i["line_total"]) for i in final["items"])
    # The response of the last writer already saw every line.
    assert max(len(r.json()["items"]) for r in responses) == 10


async def test_change_an_unsent_line(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    pizza = await create_menu_item(database, owner, price="12.99")
    order = await create_order(client, owner, [line(pizza, 1, notes="well done")])
    line_id = order["items"][0]["id"]
    path = f"{_items(order['id'])}/{line_id}"
    response = await client.patch(
        path, headers=owner.headers, json={"quantity": 3, "modifiers": ["no basil"]}
    )
    assert response.status_code == 200, response.text
    item = response.json()["items"][0]
    assert (item["quantity"], item["line_total"], item["modifiers"]) == (3, 38.97, ["no basil"])
    assert item["notes"] == "well done"
    assert response.json()["total_amount"] == 38.97
    cleared = await client.patch(path, headers=owner.headers, json={"notes": None})
    assert cleared.json()["items"][0]["notes"] is None

    for body in ({"quantity": 0}, {"unit_price": "1.00"}, {"quantity": 1000}):
        assert_error(
            await client.patch(path, headers=owner.headers, json=body), 422, "VALIDATION_ERROR"
        )
    missing = await client.patch(
        f"{_items(order['id'])}/{uuid.uuid4()}", headers=owner.headers, json={}
    )
    assert_error(missing, 404, "NOT_FOUND")

    await send(client, owner, order["id"])
    sent = await client.patch(path, headers=owner.headers, json={"quantity": 1})
    assert_error(sent, 409, "INVALID_STATE")


async def test_remove_unsent_and_void_sent_lines(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    pizza = await create_menu_item(database, owner, price="12.99")
    salad = await create_menu_item(database, owner, name="Salad", price="8.00", station="cold")
    cashier = await add_user(client, owner, "cashier")
    manager = await add_user(client, owner, "manager")
    order = await create_order(client, cashier, [line(pizza), line(salad)])
    oid = order["id"]
    pizza_line, salad_line = (i["id"] for i in order["items"])

    # Unsent: anyone who writes orders removes it, no trace.
    removed = await client.delete(f"{_items(oid)}/{salad_line}", headers=cashier.headers)
    assert removed.status_code == 204
    current = (await client.get(f"{ORDERS}/{oid}", headers=cashier.headers)).json()
    assert [i["id"] for i in current["items"]] == [pizza_line]
    assert current["total_amount"] == 12.99

    sent = await send(client, cashier, oid)
    ticket_id = sent["items"][0]["ticket_id"]
    forbidden = await client.delete(f"{_items(oid)}/{pizza_line}", headers=cashier.headers)
    assert_error(forbidden, 403, "FORBIDDEN")

    voided = await client.request(
        "DELETE",
        f"{_items(oid)}/{pizza_line}",
        headers=manager.headers,
        json={"reason": "guest changed their mind"},
    )
    assert voided.status_code == 204, voided.text
    current = (await client.get(f"{ORDERS}/{oid}", headers=manager.headers)).json()
    [item] = current["items"]
    assert item["status"] == "voided"
    assert item["voided_by"] == manager.user_id
    assert item["void_reason"] == "guest changed their mind"
    assert item["voided_at"] is not None
    assert current["subtotal"] == 0.00 and current["total_amount"] == 0.00
    [ticket] = await tickets_of(client, owner, order["order_number"])
    assert ticket["id"] == ticket_id
    assert ticket["status"] == "cancelled"
    assert ticket["items"] == []

    again = await client.delete(f"{_items(oid)}/{pizza_line}", headers=manager.headers)
    assert_error(again, 409, "INVALID_STATE")
    audit = await client.get(
        "/api/v1/audit-log", headers=owner.headers, params={"action": "order.item_voided"}
    )
    [entry] = audit.json()["items"]
    assert entry["details"]["line_id"] == pizza_line
    assert entry["details"]["reason"] == "guest changed their mind"
    assert entry["details"]["line_total"] == "12.99"


async def test_void_one_line_keeps_the_ticket_and_reason_from_query(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    pizza = await create_menu_item(database, owner, price="12.99")
    pasta = await create_menu_item(database, owner, name="Pasta", price="16.99")
    order = await create_order(client, owner, [line(pizza), line(pasta)])
    sent = await send(client, owner, order["id"])
    pizza_line = sent["items"][0]["id"]
    response = await client.delete(
        f"{_items(order['id'])}/{pizza_line}", headers=owner.headers, params={"reason": "burnt"}
    )
    assert response.status_code == 204
    current = (await client.get(f"{ORDERS}/{order['id']}", headers=owner.headers)).json()
    assert current["items"][0]["void_reason"] == "burnt"
    assert current["total_amount"] == 16.99
    [ticket] = await tickets_of(client, owner, order["order_number"])
    assert ticket["status"] == "pending"
    assert [i["name"] for i in ticket["items"]] == ["Pasta"]


async def test_voiding_the_last_unready_line_makes_the_order_ready(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    pizza = await create_menu_item(database, owner, price="12.99")
    pasta = await create_menu_item(database, owner, name="Pasta", price="16.99")
    order = await create_order(client, owner, [line(pizza), line(pasta)])
    sent = await send(client, owner, order["id"])
    pizza_line, pasta_line = (i["id"] for i in sent["items"])
    ticket_id = sent["items"][0]["ticket_id"]
    ready = await client.put(
        f"/api/v1/kitchen/tickets/{ticket_id}/items/{pasta_line}/status",
        headers=owner.headers,
        json={"status": "ready"},
    )
    assert ready.json()["status"] == "preparing"
    await client.delete(f"{_items(order['id'])}/{pizza_line}", headers=owner.headers)
    current = (await client.get(f"{ORDERS}/{order['id']}", headers=owner.headers)).json()
    assert current["status"] == "ready"
    [ticket] = await tickets_of(client, owner, order["order_number"])
    assert ticket["status"] == "ready"


async def test_discounts_and_tips(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    await set_business(client, owner, tax_rate="8.875")
    pizza = await create_menu_item(database, owner, price="12.99")
    pasta = await create_menu_item(database, owner, price="16.99")
    cashier = await add_user(client, owner, "cashier")
    manager = await add_user(client, owner, "manager")
    order = await create_order(client, cashier, [line(pizza, 2), line(pasta)])
    path = f"{ORDERS}/{order['id']}"
    assert order["subtotal"] == 42.97

    for body in ({"discount_percent": "10"}, {"discount_amount": "1.00"}):
        assert_error(await client.patch(path, headers=cashier.headers, json=body), 403, "FORBIDDEN")

    percent = await client.patch(path, headers=manager.headers, json={"discount_percent": "15"})
    assert percent.status_code == 200, percent.text
    body = percent.json()
    assert (body["discount_percent"], body["discount_amount"]) == (15.00, 6.45)
    assert body["tax_amount"] == 3.24
    assert body["total_amount"] == 39.76

    tip = await client.patch(path, headers=cashier.headers, json={"tip_amount": "5.00"})
    assert tip.json()["tip_amount"] == 5.00
    assert tip.json()["total_amount"] == 44.76

    # The percent follows the subtotal when lines change.
    more = await client.post(
        f"{path}/items", headers=cashier.headers, json={"items": [line(pasta)]}
    )
    body = more.json()
    assert body["subtotal"] == 59.96
    assert body["discount_amount"] == 8.99  # 8.994
    assert body["tax_amount"] == 4.52  # 50.97 x 8.875% = 4.5235875
    assert body["total_amount"] == 60.49

    fixed = await client.patch(path, headers=manager.headers, json={"discount_amount": "10.00"})
    body = fixed.json()
    assert (body["discount_percent"], body["discount_amount"]) == (None, 10.00)
    assert body["tax_amount"] == 4.43  # 49.96 x 8.875% = 4.43395
    assert body["total_amount"] == 59.39

    removed = await client.patch(path, headers=manager.headers, json={"discount_percent": None})
    assert (removed.json()["discount_amount"], removed.json()["discount_percent"]) == (0.00, None)

    bad_bodies = [
        ({"discount_amount": "60.00"}, "discount_amount"),
        ({"discount_amount": "1.00", "discount_percent": "5"}, "discount_percent"),
        ({"discount_percent": "100.01"}, "discount_percent"),
        ({"discount_amount": "-1"}, "discount_amount"),
        ({"tip_amount": "-0.01"}, "tip_amount"),
        ({"tip_amount": "1.005"}, "tip_amount"),
        ({"total_amount": "1.00"}, "total_amount"),
    ]
    for bad, field in bad_bodies:
        error = assert_error(
            await client.patch(path, headers=manager.headers, json=bad), 422, "VALIDATION_ERROR"
        )
        assert error["details"][0]["field"] == field, bad

    audit = await client.get(
        "/api/v1/audit-log", headers=owner.headers, params={"action": "order.discount_changed"}
    )
    assert audit.json()["total"] == 3
    tips = await client.get(
        "/api/v1/audit-log", headers=owner.headers, params={"action": "order.tip_changed"}
    )
    assert tips.json()["items"][0]["details"]["after"]["tip_amount"] == "5.00"


async def test_notes_and_customer(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    customer = await create_customer(database, owner)
    waiter = await add_user(client, owner, "wait_staff")
    order = await create_order(client, waiter)
    path = f"{ORDERS}/{order['id']}"
    response = await client.patch(
        path, headers=waiter.headers, json={"notes": "birthday", "customer_id": customer}
    )
    assert (response.json()["notes"], response.json()["customer_id"]) == ("birthday", customer)
    bad = await client.patch(path, headers=waiter.headers, json={"customer_id": str(uuid.uuid4())})
    assert assert_error(bad, 422, "VALIDATION_ERROR")["details"][0]["field"] == "customer_id"
    viewer = await add_user(client, owner, "viewer")
    assert_error(
        await client.patch(path, headers=viewer.headers, json={"notes": "x"}), 403, "FORBIDDEN"
    )

    await client.post(f"{path}/cancel", headers=waiter.headers)
    # Notes may still be written on a closed order; money may not.
    assert (
        await client.patch(path, headers=waiter.headers, json={"notes": "late"})
    ).status_code == 200
    closed = await client.patch(path, headers=waiter.headers, json={"tip_amount": "1.00"})
    assert_error(closed, 409, "INVALID_STATE")


@pytest.mark.parametrize("sale_status", [SaleStatus.pending, SaleStatus.completed])
async def test_lines_and_money_freeze_once_a_sale_exists(
    client: httpx.AsyncClient, owner: Account, database: Database, sale_status: SaleStatus
) -> None:
    pizza = await create_menu_item(database, owner, price="12.99")
    order = await create_order(client, owner, [line(pizza), line(pizza)])
    oid = order["id"]
    first, second = (i["id"] for i in order["items"])
    await create_sale(database, owner, oid, status=sale_status, total="25.98")
    attempts = [
        client.post(_items(oid), headers=owner.headers, json={"items": [line(pizza)]}),
        client.patch(f"{_items(oid)}/{first}", headers=owner.headers, json={"quantity": 2}),
        client.delete(f"{_items(oid)}/{second}", headers=owner.headers),
        client.patch(f"{ORDERS}/{oid}", headers=owner.headers, json={"discount_percent": "10"}),
        client.patch(f"{ORDERS}/{oid}", headers=owner.headers, json={"tip_amount": "2.00"}),
        client.post(f"{ORDERS}/{oid}/cancel", headers=owner.headers),
    ]
    for response in attempts:
        error = assert_error(await response, 409, "INVALID_STATE")
        assert "paid" in error["message"]
    current = (await client.get(f"{ORDERS}/{oid}", headers=owner.headers)).json()
    assert current["total_amount"] == 25.98 and len(current["items"]) == 2
    # Sending what was ordered is still fine while the guest pays.
    assert (await send(client, owner, oid))["status"] == "preparing"


async def test_cancelled_sale_unfreezes_the_order(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    pizza = await create_menu_item(database, owner, price="12.99")
    order = await create_order(client, owner, [line(pizza)])
    await create_sale(database, owner, order["id"], status=SaleStatus.cancelled)
    response = await client.post(
        _items(order["id"]), headers=owner.headers, json={"items": [line(pizza)]}
    )
    assert response.status_code == 201
    await pay(database, owner, order["id"])
    paid = (await client.get(f"{ORDERS}/{order['id']}", headers=owner.headers)).json()
    assert paid["paid_at"] is not None and paid["status"] == "pending"

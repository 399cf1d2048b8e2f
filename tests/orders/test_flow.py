"""The status flow: send, ready, complete, cancel, the generic status endpoint, tables."""

from __future__ import annotations

import httpx

from tableside.db.database import Database
from tableside.models import TableStatus
from tests.factories import Account, add_user, assert_error
from tests.factories.orders import (
    KITCHEN,
    ORDERS,
    create_menu_item,
    create_order,
    create_table,
    line,
    pay,
    send,
    table_status,
    tickets_of,
)


async def _get(client: httpx.AsyncClient, account: Account, order_id: str) -> dict:
    response = await client.get(f"{ORDERS}/{order_id}", headers=account.headers)
    assert response.status_code == 200
    return dict(response.json())


async def _ticket_action(
    client: httpx.AsyncClient, account: Account, ticket_id: str, action: str
) -> dict:
    response = await client.post(f"{KITCHEN}/tickets/{ticket_id}/{action}", headers=account.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_send_routes_lines_to_stations(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    pizza = await create_menu_item(database, owner, name="Pizza", station="oven")
    salad = await create_menu_item(database, owner, name="Salad", station="cold")
    soda = await create_menu_item(database, owner, name="Soda", price="2.50", station=None)
    order = await create_order(client, owner, [line(pizza), line(salad), line(soda), line(pizza)])
    sent = await send(client, owner, order["id"])
    assert sent["status"] == "preparing"
    assert sent["sent_at"] is not None
    by_name = {}
    for item in sent["items"]:
        by_name.setdefault(item["name"], []).append(item)
    assert {i["status"] for i in by_name["Soda"]} == {"ready"}
    assert by_name["Soda"][0]["ticket_id"] is None and by_name["Soda"][0]["sent_at"]
    assert all(i["ticket_id"] and i["status"] == "pending" for i in by_name["Pizza"])
    assert len({i["ticket_id"] for i in by_name["Pizza"]}) == 1

    tickets = await tickets_of(client, owner, order["order_number"])
    assert [(t["ticket_number"], t["station"]) for t in tickets] == [(1, "cold"), (2, "oven")]
    assert [len(t["items"]) for t in tickets] == [1, 2]

    nothing = await client.post(f"{ORDERS}/{order['id']}/send", headers=owner.headers)
    assert_error(nothing, 409, "INVALID_STATE")

    # Items added later go out on new tickets, numbered after the first ones.
    await client.post(
        f"{ORDERS}/{order['id']}/items", headers=owner.headers, json={"items": [line(pizza)]}
    )
    urgent = await client.post(
        f"{ORDERS}/{order['id']}/send", headers=owner.headers, json={"priority": "urgent"}
    )
    assert urgent.status_code == 200
    tickets = await tickets_of(client, owner, order["order_number"])
    assert [(t["ticket_number"], t["station"], t["priority"]) for t in tickets] == [
        (1, "cold", "normal"),
        (2, "oven", "normal"),
        (3, "oven", "urgent"),
    ]


async def test_counter_only_order_is_ready_at_once(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    soda = await create_menu_item(database, owner, price="2.50", station=None)
    pizza = await create_menu_item(database, owner, station="oven")
    order = await create_order(client, owner, [line(soda, 2)])
    sent = await send(client, owner, order["id"])
    assert sent["status"] == "ready"
    assert sent["ready_at"] is not None
    assert await tickets_of(client, owner, order["order_number"]) == []

    # A ready order that gets new kitchen lines goes back to preparing.
    await client.post(
        f"{ORDERS}/{order['id']}/items", headers=owner.headers, json={"items": [line(pizza)]}
    )
    assert (await _get(client, owner, order["id"]))["status"] == "ready"
    again = await send(client, owner, order["id"])
    assert again["status"] == "preparing"
    assert again["ready_at"] is None
    [ticket] = await tickets_of(client, owner, order["order_number"])
    await _ticket_action(client, owner, ticket["id"], "ready")
    assert (await _get(client, owner, order["id"]))["status"] == "ready"


async def test_order_follows_its_tickets_then_completes_when_paid(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    pizza = await create_menu_item(database, owner, price="12.99", station="oven")
    salad = await create_menu_item(database, owner, price="7.01", station="cold")
    cashier = await add_user(client, owner, "cashier")
    order = await create_order(client, cashier, [line(pizza), line(salad)])
    oid = order["id"]

    pending = await client.post(f"{ORDERS}/{oid}/complete", headers=cashier.headers)
    assert_error(pending, 409, "INVALID_STATE")
    await send(client, cashier, oid)
    preparing = await client.post(f"{ORDERS}/{oid}/complete", headers=cashier.headers)
    assert_error(preparing, 409, "INVALID_STATE")

    cold, oven = await tickets_of(client, owner, order["order_number"])
    await _ticket_action(client, owner, oven["id"], "start")
    await _ticket_action(client, owner, oven["id"], "ready")
    assert (await _get(client, owner, oid))["status"] == "preparing"
    await _ticket_action(client, owner, cold["id"], "ready")
    ready = await _get(client, owner, oid)
    assert ready["status"] == "ready"
    assert ready["ready_at"] is not None
    assert {i["status"] for i in ready["items"]} == {"ready"}

    unpaid = await client.post(f"{ORDERS}/{oid}/complete", headers=cashier.headers)
    error = assert_error(unpaid, 409, "INVALID_STATE")
    assert "unpaid balance" in error["message"]
    assert "20.00" in error["message"]

    # The payments hook on a ready order completes it at once.
    await pay(database, owner, oid)
    done = await _get(client, owner, oid)
    assert done["status"] == "completed"
    assert done["paid_at"] is not None and done["completed_at"] is not None
    assert {i["status"] for i in done["items"]} == {"served"}
    tickets = await tickets_of(client, owner, order["order_number"])
    assert {t["status"] for t in tickets} == {"served"}
    again = await client.post(f"{ORDERS}/{oid}/complete", headers=cashier.headers)
    assert_error(again, 409, "INVALID_STATE")


async def test_paid_while_cooking_completes_through_the_endpoint(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    pizza = await create_menu_item(database, owner, price="12.99", station="oven")
    table = await create_table(database, owner)
    order = await create_order(client, owner, [line(pizza)], order_type="dine_in", table_id=table)
    oid = order["id"]
    await send(client, owner, oid)
    await pay(database, owner, oid)
    paid = await _get(client, owner, oid)
    assert paid["status"] == "preparing" and paid["paid_at"] is not None
    [ticket] = await tickets_of(client, owner, order["order_number"])
    await _ticket_action(client, owner, ticket["id"], "ready")
    assert await table_status(database, owner, table) == TableStatus.occupied
    done = await client.post(f"{ORDERS}/{oid}/complete", headers=owner.headers)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "completed"
    assert await table_status(database, owner, table) == TableStatus.available
    [ticket] = await tickets_of(client, owner, order["order_number"])
    assert ticket["status"] == "served" and ticket["served_at"] is not None
    assert_error(
        await client.post(f"{ORDERS}/{oid}/cancel", headers=owner.headers), 409, "INVALID_STATE"
    )


async def test_complete_refused_with_unsent_items(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    free = await create_menu_item(database, owner, price="0.00", station=None)
    order = await create_order(client, owner, [line(free)])
    await send(client, owner, order["id"])
    await client.post(
        f"{ORDERS}/{order['id']}/items", headers=owner.headers, json={"items": [line(free)]}
    )
    response = await client.post(f"{ORDERS}/{order['id']}/complete", headers=owner.headers)
    assert "never sent" in assert_error(response, 409, "INVALID_STATE")["message"]
    await send(client, owner, order["id"])
    response = await client.post(f"{ORDERS}/{order['id']}/complete", headers=owner.headers)
    assert response.json()["status"] == "completed"


async def test_table_is_freed_after_its_last_order(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    free = await create_menu_item(database, owner, price="0.00", station=None)
    table = await create_table(database, owner)
    first = await create_order(client, owner, [line(free)], order_type="dine_in", table_id=table)
    second = await create_order(client, owner, order_type="dine_in", table_id=table)
    assert await table_status(database, owner, table) == TableStatus.occupied
    await send(client, owner, first["id"])
    done = await client.post(f"{ORDERS}/{first['id']}/complete", headers=owner.headers)
    assert done.json()["status"] == "completed"
    assert await table_status(database, owner, table) == TableStatus.occupied
    cancelled = await client.post(
        f"{ORDERS}/{second['id']}/cancel", headers=owner.headers, json={"reason": "left"}
    )
    assert cancelled.json()["status"] == "cancelled"
    assert await table_status(database, owner, table) == TableStatus.available


async def test_cancel_rules(client: httpx.AsyncClient, owner: Account, database: Database) -> None:
    pizza = await create_menu_item(database, owner, price="12.99", station="oven")
    cashier = await add_user(client, owner, "cashier")
    manager = await add_user(client, owner, "manager")

    unsent = await create_order(client, cashier, [line(pizza)])
    response = await client.post(
        f"{ORDERS}/{unsent['id']}/cancel", headers=cashier.headers, json={"reason": "mistake"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["cancel_reason"]) == ("cancelled", "mistake")
    assert body["cancelled_at"] is not None
    again = await client.post(f"{ORDERS}/{unsent['id']}/cancel", headers=cashier.headers)
    assert_error(again, 409, "INVALID_STATE")

    sent = await create_order(client, cashier, [line(pizza)])
    await send(client, cashier, sent["id"])
    forbidden = await client.post(f"{ORDERS}/{sent['id']}/cancel", headers=cashier.headers)
    assert_error(forbidden, 403, "FORBIDDEN")
    by_manager = await client.post(
        f"{ORDERS}/{sent['id']}/cancel", headers=manager.headers, json={"reason": "guest left"}
    )
    assert by_manager.json()["status"] == "cancelled"
    [ticket] = await tickets_of(client, owner, sent["order_number"])
    assert ticket["status"] == "cancelled" and ticket["cancelled_at"] is not None
    audit = await client.get(
        "/api/v1/audit-log", headers=owner.headers, params={"action": "order.cancelled"}
    )
    entries = {e["entity_id"]: e for e in audit.json()["items"]}
    assert entries[sent["id"]]["details"]["reason"] == "guest left"
    assert entries[sent["id"]]["details"]["tickets_cancelled"] == 1
    assert unsent["id"] in entries

    paid = await create_order(client, cashier, [line(pizza)])
    await pay(database, owner, paid["id"])
    refused = await client.post(f"{ORDERS}/{paid['id']}/cancel", headers=manager.headers)
    assert "refund" in assert_error(refused, 409, "INVALID_STATE")["message"]

    viewer = await add_user(client, owner, "viewer")
    fresh = await create_order(client, cashier, [line(pizza)])
    assert_error(
        await client.post(f"{ORDERS}/{fresh['id']}/cancel", headers=viewer.headers),
        403,
        "FORBIDDEN",
    )


async def test_generic_status_endpoint(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    pizza = await create_menu_item(database, owner, price="0.00", station="oven")
    waiter = await add_user(client, owner, "wait_staff")
    order = await create_order(client, waiter, [line(pizza)])
    path = f"{ORDERS}/{order['id']}/status"

    assert_error(
        await client.put(path, headers=waiter.headers, json={"status": "pending"}),
        409,
        "INVALID_STATE",
    )
    assert_error(
        await client.put(path, headers=waiter.headers, json={"status": "completed"}),
        409,
        "INVALID_STATE",
    )
    assert_error(
        await client.put(path, headers=waiter.headers, json={"status": "eaten"}),
        422,
        "VALIDATION_ERROR",
    )
    preparing = await client.put(path, headers=waiter.headers, json={"status": "preparing"})
    assert preparing.json()["status"] == "preparing"
    assert len(await tickets_of(client, owner, order["order_number"])) == 1
    # Marking food ready is the kitchen's call.
    assert_error(
        await client.put(path, headers=waiter.headers, json={"status": "ready"}), 403, "FORBIDDEN"
    )
    ready = await client.put(path, headers=owner.headers, json={"status": "ready"})
    assert ready.json()["status"] == "ready"
    [ticket] = await tickets_of(client, owner, order["order_number"])
    assert ticket["status"] == "ready"
    assert_error(
        await client.put(path, headers=owner.headers, json={"status": "ready"}),
        409,
        "INVALID_STATE",
    )
    completed = await client.put(path, headers=waiter.headers, json={"status": "completed"})
    assert completed.json()["status"] == "completed"  # nothing owed: total is 0
    assert_error(
        await client.put(path, headers=owner.headers, json={"status": "cancelled"}),
        409,
        "INVALID_STATE",
    )

    other = await create_order(client, waiter, [line(pizza)])
    cancelled = await client.put(
        f"{ORDERS}/{other['id']}/status",
        headers=waiter.headers,
        json={"status": "cancelled", "reason": "duplicate"},
    )
    assert (cancelled.json()["status"], cancelled.json()["cancel_reason"]) == (
        "cancelled",
        "duplicate",
    )

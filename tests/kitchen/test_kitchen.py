"""The kitchen display: reading tickets, statuses, item-level progress, assignment, roles."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from tableside.db.database import Database
from tests.factories import Account, add_user, assert_error, register
from tests.factories.orders import (
    KITCHEN,
    ORDERS,
    create_customer,
    create_menu_item,
    create_order,
    create_table,
    line,
    send,
    tickets_of,
)

TICKETS = f"{KITCHEN}/tickets"


async def _sent_order(
    client: httpx.AsyncClient,
    account: Account,
    database: Database,
    *stations: str,
    **fields: object,
) -> tuple[dict, list[dict]]:
    """An order with one line per station, sent; returns the order and its tickets."""
    items = [
        line(await create_menu_item(database, account, name=f"{station} dish", station=station))
        for station in stations
    ]
    order = await create_order(client, account, items, **fields)
    await send(client, account, order["id"])
    return order, await tickets_of(client, account, order["order_number"])


async def _order(client: httpx.AsyncClient, account: Account, order_id: str) -> dict:
    return dict((await client.get(f"{ORDERS}/{order_id}", headers=account.headers)).json())


async def test_ticket_view(client: httpx.AsyncClient, owner: Account, database: Database) -> None:
    table = await create_table(database, owner)
    customer = await create_customer(database, owner, name="Ada Guest")
    pizza = await create_menu_item(database, owner, name="Pizza", station="oven")
    order = await create_order(
        client,
        owner,
        [line(pizza, 2, notes="crispy", modifiers=["no basil"]), line(pizza)],
        order_type="dine_in",
        table_id=table,
        customer_id=customer,
        notes="allergy: nuts",
    )
    sent = await send(client, owner, order["id"])
    ticket_id = sent["items"][0]["ticket_id"]
    response = await client.get(f"{TICKETS}/{ticket_id}", headers=owner.headers)
    assert response.status_code == 200
    ticket = response.json()
    assert ticket["order_id"] == order["id"]
    assert ticket["order_number"] == order["order_number"]
    assert ticket["order_type"] == "dine_in"
    assert ticket["order_notes"] == "allergy: nuts"
    assert ticket["table_number"].startswith("T-")
    assert ticket["customer_name"] == "Ada Guest"
    assert (ticket["ticket_number"], ticket["station"]) == (1, "oven")
    assert (ticket["status"], ticket["priority"], ticket["assigned_to"]) == (
        "pending",
        "normal",
        None,
    )
    assert ticket["created_at"].endswith("Z")
    assert ticket["items"] == [
        {
            "line_id": sent["items"][0]["id"],
            "name": "Pizza",
            "quantity": 2,
            "notes": "crispy",
            "modifiers": ["no basil"],
            "status": "pending",
        },
        {
            "line_id": sent["items"][1]["id"],
            "name": "Pizza",
            "quantity": 1,
            "notes": None,
            "modifiers": [],
            "status": "pending",
        },
    ]
    # Voided lines leave the display.
    await client.delete(
        f"{ORDERS}/{order['id']}/items/{sent['items'][1]['id']}", headers=owner.headers
    )
    ticket = (await client.get(f"{TICKETS}/{ticket_id}", headers=owner.headers)).json()
    assert [i["quantity"] for i in ticket["items"]] == [2]


async def test_list_filters_and_default_statuses(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    cook = await add_user(client, owner, "kitchen_staff")
    first, first_tickets = await _sent_order(client, owner, database, "oven", "grill")
    table = await create_table(database, owner)
    second, second_tickets = await _sent_order(
        client, owner, database, "oven", order_type="dine_in", table_id=table
    )
    oven_one, grill_one = sorted(first_tickets, key=lambda t: t["station"], reverse=True)
    await client.post(f"{TICKETS}/{grill_one['id']}/ready", headers=cook.headers)
    await client.post(f"{TICKETS}/{grill_one['id']}/served", headers=cook.headers)
    await client.patch(
        f"{TICKETS}/{second_tickets[0]['id']}", headers=cook.headers, json={"priority": "urgent"}
    )
    await client.put(
        f"{TICKETS}/{oven_one['id']}/assign",
        headers=owner.headers,
        json={"assigned_to": cook.user_id},
    )

    async def ids(**params: object) -> list[str]:
        response = await client.get(TICKETS, headers=cook.headers, params=params)
        assert response.status_code == 200, response.text
        return [t["id"] for t in response.json()["items"]]

    # Oldest first, served ones hidden by default.
    assert await ids() == [oven_one["id"], second_tickets[0]["id"]]
    assert await ids(status="served") == [grill_one["id"]]
    assert set(await ids(status=["served", "pending"])) == {
        grill_one["id"],
        oven_one["id"],
        second_tickets[0]["id"],
    }
    assert await ids(station="grill", status="served") == [grill_one["id"]]
    assert await ids(station="oven") == [oven_one["id"], second_tickets[0]["id"]]
    assert await ids(priority="urgent") == [second_tickets[0]["id"]]
    assert await ids(assigned_to=cook.user_id) == [oven_one["id"]]
    assert await ids(order_type="dine_in") == [second_tickets[0]["id"]]
    assert await ids(order_type="takeaway") == [oven_one["id"]]
    assert await ids(sort_by="priority", sort_order="desc") == [
        second_tickets[0]["id"],
        oven_one["id"],
    ]
    assert_error(
        await client.get(TICKETS, headers=cook.headers, params={"status": "burnt"}),
        422,
        "VALIDATION_ERROR",
    )
    assert first["id"] and second["id"]


async def test_ticket_status_flow(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    cook = await add_user(client, owner, "kitchen_staff")
    order, [ticket] = await _sent_order(client, owner, database, "oven")
    tid = ticket["id"]

    assert_error(
        await client.post(f"{TICKETS}/{tid}/served", headers=cook.headers), 409, "INVALID_STATE"
    )
    started = await client.post(
        f"{TICKETS}/{tid}/start", headers=cook.headers, json={"assigned_to": cook.user_id}
    )
    assert started.status_code == 200, started.text
    body = started.json()
    assert (body["status"], body["assigned_to"]) == ("preparing", cook.user_id)
    assert body["started_at"] is not None
    assert body["items"][0]["status"] == "preparing"
    assert_error(
        await client.post(f"{TICKETS}/{tid}/start", headers=cook.headers), 409, "INVALID_STATE"
    )

    ready = (await client.post(f"{TICKETS}/{tid}/ready", headers=cook.headers)).json()
    assert (ready["status"], ready["items"][0]["status"]) == ("ready", "ready")
    assert ready["ready_at"] is not None
    assert (await _order(client, owner, order["id"]))["status"] == "ready"
    assert_error(
        await client.post(f"{TICKETS}/{tid}/ready", headers=cook.headers), 409, "INVALID_STATE"
    )

    served = (await client.post(f"{TICKETS}/{tid}/served", headers=cook.headers)).json()
    assert (served["status"], served["items"][0]["status"]) == ("served", "served")
    assert served["served_at"] is not None
    current = await _order(client, owner, order["id"])
    assert current["status"] == "ready"
    assert {i["status"] for i in current["items"]} == {"served"}

    for action in ("start", "ready", "served"):
        response = await client.post(f"{TICKETS}/{tid}/{action}", headers=cook.headers)
        assert_error(response, 409, "INVALID_STATE")
    assert_error(
        await client.post(f"{TICKETS}/{tid}/cancel", headers=owner.headers), 409, "INVALID_STATE"
    )
    assert_error(
        await client.patch(f"{TICKETS}/{tid}", headers=cook.headers, json={"priority": "high"}),
        409,
        "INVALID_STATE",
    )


async def test_ready_straight_from_pending(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    _, [ticket] = await _sent_order(client, owner, database, "bar")
    ready = (await client.post(f"{TICKETS}/{ticket['id']}/ready", headers=owner.headers)).json()
    assert ready["status"] == "ready"
    assert ready["started_at"] is None


async def test_item_level_status(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    cook = await add_user(client, owner, "kitchen_staff")
    pizza = await create_menu_item(database, owner, name="Pizza", station="oven")
    bread = await create_menu_item(database, owner, name="Bread", station="oven")
    salad = await create_menu_item(database, owner, name="Salad", station="cold")
    order = await create_order(client, owner, [line(pizza), line(bread), line(salad)])
    sent = await send(client, owner, order["id"])
    pizza_line, bread_line, salad_line = (i["id"] for i in sent["items"])
    oven = sent["items"][0]["ticket_id"]
    cold = sent["items"][2]["ticket_id"]

    def item_path(ticket: str, line_id: str) -> str:
        return f"{TICKETS}/{ticket}/items/{line_id}/status"

    first = await client.put(
        item_path(oven, pizza_line), headers=cook.headers, json={"status": "preparing"}
    )
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "preparing"
    assert first.json()["started_at"] is not None
    statuses = {i["line_id"]: i["status"] for i in first.json()["items"]}
    assert statuses == {pizza_line: "preparing", bread_line: "pending"}

    # Illegal moves and wrong lines.
    assert_error(
        await client.put(
            item_path(oven, pizza_line), headers=cook.headers, json={"status": "served"}
        ),
        409,
        "INVALID_STATE",
    )
    assert_error(
        await client.put(
            item_path(oven, pizza_line), headers=cook.headers, json={"status": "preparing"}
        ),
        409,
        "INVALID_STATE",
    )
    assert_error(
        await client.put(
            item_path(oven, salad_line), headers=cook.headers, json={"status": "ready"}
        ),
        404,
        "NOT_FOUND",
    )
    assert_error(
        await client.put(
            item_path(oven, pizza_line), headers=cook.headers, json={"status": "voided"}
        ),
        422,
        "VALIDATION_ERROR",
    )

    await client.put(item_path(oven, pizza_line), headers=cook.headers, json={"status": "ready"})
    both = await client.put(
        item_path(oven, bread_line), headers=cook.headers, json={"status": "ready"}
    )
    assert both.json()["status"] == "ready"
    assert both.json()["ready_at"] is not None
    assert (await _order(client, owner, order["id"]))["status"] == "preparing"
    await client.put(item_path(cold, salad_line), headers=cook.headers, json={"status": "ready"})
    assert (await _order(client, owner, order["id"]))["status"] == "ready"

    await client.put(item_path(oven, pizza_line), headers=cook.headers, json={"status": "served"})
    oven_done = await client.put(
        item_path(oven, bread_line), headers=cook.headers, json={"status": "served"}
    )
    assert oven_done.json()["status"] == "served"
    assert {i["status"] for i in (await _order(client, owner, order["id"]))["items"]} == {
        "served",
        "ready",
    }
    await client.post(f"{TICKETS}/{cold}/served", headers=cook.headers)
    assert {i["status"] for i in (await _order(client, owner, order["id"]))["items"]} == {"served"}

    # A voided line has no kitchen status any more.
    other = await create_order(client, owner, [line(pizza), line(bread)])
    sent = await send(client, owner, other["id"])
    voided = sent["items"][0]["id"]
    await client.delete(f"{ORDERS}/{other['id']}/items/{voided}", headers=owner.headers)
    response = await client.put(
        item_path(sent["items"][0]["ticket_id"], voided),
        headers=cook.headers,
        json={"status": "ready"},
    )
    assert_error(response, 409, "INVALID_STATE")


async def test_assignment(client: httpx.AsyncClient, owner: Account, database: Database) -> None:
    cook = await add_user(client, owner, "kitchen_staff")
    chef = await add_user(client, owner, "kitchen_staff", kitchen_profile="kitchen_manager")
    manager = await add_user(client, owner, "manager")
    stranger = await register(client)
    _, [ticket] = await _sent_order(client, owner, database, "oven")
    path = f"{TICKETS}/{ticket['id']}/assign"

    assert_error(
        await client.put(path, headers=cook.headers, json={"assigned_to": cook.user_id}),
        403,
        "FORBIDDEN",
    )
    by_chef = await client.put(path, headers=chef.headers, json={"assigned_to": cook.user_id})
    assert by_chef.json()["assigned_to"] == cook.user_id
    by_manager = await client.put(path, headers=manager.headers, json={"assigned_to": chef.user_id})
    assert by_manager.json()["assigned_to"] == chef.user_id
    for bad in (str(uuid.uuid4()), stranger.user_id):
        error = assert_error(
            await client.put(path, headers=manager.headers, json={"assigned_to": bad}),
            422,
            "VALIDATION_ERROR",
        )
        assert error["details"][0]["field"] == "assigned_to"
    assert_error(await client.put(path, headers=manager.headers, json={}), 422, "VALIDATION_ERROR")
    cleared = await client.put(path, headers=manager.headers, json={"assigned_to": None})
    assert cleared.json()["assigned_to"] is None

    # Starting for someone else is an assignment too.
    start = f"{TICKETS}/{ticket['id']}/start"
    assert_error(
        await client.post(start, headers=cook.headers, json={"assigned_to": chef.user_id}),
        403,
        "FORBIDDEN",
    )
    started = await client.post(start, headers=chef.headers, json={"assigned_to": cook.user_id})
    assert started.json()["assigned_to"] == cook.user_id


async def test_priority_and_notes(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    cook = await add_user(client, owner, "kitchen_staff")
    _, [ticket] = await _sent_order(client, owner, database, "oven")
    path = f"{TICKETS}/{ticket['id']}"
    response = await client.patch(
        path, headers=cook.headers, json={"priority": "high", "notes": "VIP table"}
    )
    assert (response.json()["priority"], response.json()["notes"]) == ("high", "VIP table")
    kept = await client.patch(path, headers=cook.headers, json={"priority": "urgent"})
    assert (kept.json()["priority"], kept.json()["notes"]) == ("urgent", "VIP table")
    for bad in ({"priority": "asap"}, {"status": "ready"}):
        assert_error(
            await client.patch(path, headers=cook.headers, json=bad), 422, "VALIDATION_ERROR"
        )


async def test_cancel_ticket_returns_its_lines_to_the_order(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    cook = await add_user(client, owner, "kitchen_staff")
    chef = await add_user(client, owner, "kitchen_staff", kitchen_profile="kitchen_manager")
    order, [cold, oven] = await _sent_order(client, owner, database, "oven", "cold")
    assert_error(
        await client.post(f"{TICKETS}/{oven['id']}/cancel", headers=cook.headers), 403, "FORBIDDEN"
    )
    response = await client.post(f"{TICKETS}/{oven['id']}/cancel", headers=chef.headers)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    assert [i["name"] for i in response.json()["items"]] == ["oven dish"]

    current = await _order(client, owner, order["id"])
    oven_line = next(i for i in current["items"] if i["name"] == "oven dish")
    assert (oven_line["sent_at"], oven_line["ticket_id"], oven_line["status"]) == (
        None,
        None,
        "pending",
    )
    assert current["total_amount"] == order["total_amount"]
    # The rest is ready, but the order waits for the returned line.
    await client.post(f"{TICKETS}/{cold['id']}/ready", headers=cook.headers)
    assert (await _order(client, owner, order["id"]))["status"] == "preparing"
    resent = await send(client, owner, order["id"])
    assert resent["status"] == "preparing"
    tickets = await tickets_of(client, owner, order["order_number"])
    assert [(t["ticket_number"], t["status"]) for t in tickets] == [
        (1, "ready"),
        (2, "cancelled"),
        (3, "pending"),
    ]
    audit = await client.get(
        "/api/v1/audit-log", headers=owner.headers, params={"action": "kitchen.ticket_cancelled"}
    )
    assert audit.json()["items"][0]["entity_id"] == oven["id"]


async def test_kitchen_roles(client: httpx.AsyncClient, owner: Account, database: Database) -> None:
    _, [ticket] = await _sent_order(client, owner, database, "oven")
    tid = ticket["id"]
    waiter = await add_user(client, owner, "wait_staff")
    viewer = await add_user(client, owner, "viewer")
    reader = await add_user(client, owner, "wait_staff", kitchen_profile="kitchen_read")
    writer = await add_user(client, owner, "cashier", kitchen_profile="kitchen_write")
    cook = await add_user(client, owner, "kitchen_staff")

    for account in (waiter, viewer):
        assert_error(await client.get(TICKETS, headers=account.headers), 403, "FORBIDDEN")
        assert_error(
            await client.get(f"{TICKETS}/{tid}", headers=account.headers), 403, "FORBIDDEN"
        )
        assert_error(
            await client.get(f"{KITCHEN}/stats", headers=account.headers), 403, "FORBIDDEN"
        )
    assert (await client.get(TICKETS, headers=reader.headers)).status_code == 200
    assert (await client.get(f"{KITCHEN}/stats", headers=reader.headers)).status_code == 200
    assert_error(
        await client.post(f"{TICKETS}/{tid}/start", headers=reader.headers), 403, "FORBIDDEN"
    )
    assert_error(
        await client.patch(f"{TICKETS}/{tid}", headers=reader.headers, json={"notes": "x"}),
        403,
        "FORBIDDEN",
    )
    started = await client.post(f"{TICKETS}/{tid}/start", headers=writer.headers)
    assert started.json()["status"] == "preparing"
    assert_error(
        await client.post(f"{TICKETS}/{tid}/cancel", headers=writer.headers), 403, "FORBIDDEN"
    )
    ready = await client.post(f"{TICKETS}/{tid}/ready", headers=cook.headers)
    assert ready.json()["status"] == "ready"


async def test_another_business_ticket_is_not_found(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    order, [ticket] = await _sent_order(client, owner, database, "oven")
    line_id = ticket["items"][0]["line_id"]
    other = await register(client)
    tid = ticket["id"]
    attempts = [
        client.get(f"{TICKETS}/{tid}", headers=other.headers),
        client.post(f"{TICKETS}/{tid}/start", headers=other.headers),
        client.post(f"{TICKETS}/{tid}/ready", headers=other.headers),
        client.post(f"{TICKETS}/{tid}/served", headers=other.headers),
        client.post(f"{TICKETS}/{tid}/cancel", headers=other.headers),
        client.put(f"{TICKETS}/{tid}/assign", headers=other.headers, json={"assigned_to": None}),
        client.patch(f"{TICKETS}/{tid}", headers=other.headers, json={"priority": "high"}),
        client.put(
            f"{TICKETS}/{tid}/items/{line_id}/status",
            headers=other.headers,
            json={"status": "ready"},
        ),
        client.get(f"{TICKETS}/{uuid.uuid4()}", headers=owner.headers),
    ]
    for response in await asyncio.gather(*attempts):
        assert_error(response, 404, "NOT_FOUND")
    assert (await client.get(TICKETS, headers=other.headers)).json()["total"] == 0
    assert (await _order(client, owner, order["id"]))["status"] == "preparing"


async def test_cancelling_a_ready_ticket_takes_the_order_back_to_preparing(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    order, [ticket] = await _sent_order(client, owner, database, "oven")
    await client.post(f"{TICKETS}/{ticket['id']}/ready", headers=owner.headers)
    assert (await _order(client, owner, order["id"]))["status"] == "ready"
    cancelled = await client.post(f"{TICKETS}/{ticket['id']}/cancel", headers=owner.headers)
    assert cancelled.json()["status"] == "cancelled"
    current = await _order(client, owner, order["id"])
    assert (current["status"], current["ready_at"]) == ("preparing", None)
    assert_error(
        await client.post(f"{ORDERS}/{order['id']}/complete", headers=owner.headers),
        409,
        "INVALID_STATE",
    )

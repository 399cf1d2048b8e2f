"""Tables as layout: create, list, update, delete, roles and tenancy (C1)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tableside.db.database import Database
from tableside.models import OrderStatus
from tests.factories import Account, add_user, assert_error, register
from tests.factories.floor import (
    create_location,
    create_table,
    insert_order,
    set_order_status,
)

BASE = "/api/v1/tables"

RESPONSE_FIELDS = {
    "id",
    "table_number",
    "capacity",
    "section",
    "location_id",
    "status",
    "party_size",
    "server_id",
    "server_name",
    "seated_at",
    "notes",
    "is_active",
    "open_order_ids",
    "created_at",
    "updated_at",
}


async def test_create_and_get_table(client: httpx.AsyncClient, owner: Account) -> None:
    location = await create_location(client, owner)
    table = await create_table(
        client,
        owner,
        table_number=" A1 ",
        capacity=6,
        location_id=location["id"],
        notes="Window",
    )
    assert set(table) == RESPONSE_FIELDS
    assert table["table_number"] == "A1"
    assert table["section"] == "Main Floor"
    assert table["status"] == "available"
    assert table["location_id"] == location["id"]
    assert table["party_size"] is None and table["server_id"] is None
    assert table["open_order_ids"] == []
    assert table["is_active"] is True
    fetched = await client.get(f"{BASE}/{table['id']}", headers=owner.headers)
    assert fetched.status_code == 200
    assert fetched.json() == table
    audit = await client.get(
        "/api/v1/audit-log", headers=owner.headers, params={"action": "table.created"}
    )
    assert audit.json()["items"][0]["details"]["table_number"] == "A1"


@pytest.mark.parametrize("status", ["available", "reserved", "out_of_service"])
async def test_create_with_allowed_status(
    client: httpx.AsyncClient, owner: Account, status: str
) -> None:
    table = await create_table(client, owner, status=status)
    assert table["status"] == status


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"table_number": "X", "capacity": 0}, "capacity"),
        ({"table_number": "X", "capacity": -2}, "capacity"),
        ({"table_number": "X", "capacity": 101}, "capacity"),
        ({"table_number": "X", "capacity": "four"}, "capacity"),
        ({"capacity": 4}, "table_number"),
        ({"table_number": "  ", "capacity": 4}, "table_number"),
        ({"table_number": "X" * 21, "capacity": 4}, "table_number"),
        ({"table_number": "X", "capacity": 4, "status": "occupied"}, "status"),
        ({"table_number": "X", "capacity": 4, "status": "cleaning"}, "status"),
        ({"table_number": "X", "capacity": 4, "status": "dancing"}, "status"),
        ({"table_number": "X", "capacity": 4, "section": ""}, "section"),
        ({"table_number": "X", "capacity": 4, "location_id": "nope"}, "location_id"),
        ({"table_number": "X", "capacity": 4, "party_size": 2}, "party_size"),
    ],
)
async def test_create_rejects_bad_values(
    client: httpx.AsyncClient, owner: Account, payload: dict[str, object], field: str
) -> None:
    response = await client.post(BASE, headers=owner.headers, json=payload)
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == field


async def test_location_must_belong_to_the_business(
    client: httpx.AsyncClient, owner: Account
) -> None:
    other = await register(client)
    foreign = await create_location(client, other)
    for location_id in (foreign["id"], str(uuid.uuid4())):
        response = await client.post(
            BASE,
            headers=owner.headers,
            json={"table_number": "L1", "capacity": 2, "location_id": location_id},
        )
        error = assert_error(response, 422, "VALIDATION_ERROR")
        assert error["details"][0]["field"] == "location_id"
    table = await create_table(client, owner)
    update = await client.patch(
        f"{BASE}/{table['id']}", headers=owner.headers, json={"location_id": foreign["id"]}
    )
    assert assert_error(update, 422, "VALIDATION_ERROR")["details"][0]["field"] == "location_id"


async def test_table_number_is_unique_per_business(
    client: httpx.AsyncClient, owner: Account
) -> None:
    await create_table(client, owner, table_number="B1")
    duplicate = await client.post(
        BASE, headers=owner.headers, json={"table_number": "B1", "capacity": 2}
    )
    error = assert_error(duplicate, 409, "DUPLICATE_ENTRY")
    assert error["details"][0]["field"] == "table_number"
    second = await create_table(client, owner, table_number="B2")
    rename = await client.put(
        f"{BASE}/{second['id']}", headers=owner.headers, json={"table_number": "B1"}
    )
    assert_error(rename, 409, "DUPLICATE_ENTRY")
    other = await register(client)
    await create_table(client, other, table_number="B1")


async def test_list_filters(client: httpx.AsyncClient, owner: Account) -> None:
    location = await create_location(client, owner)
    small = await create_table(client, owner, table_number="1", capacity=2, section="Patio")
    big = await create_table(
        client, owner, table_number="2", capacity=8, location_id=location["id"]
    )
    reserved = await create_table(client, owner, table_number="3", capacity=4, status="reserved")
    gone = await create_table(client, owner, table_number="4", capacity=4)
    assert (await client.delete(f"{BASE}/{gone['id']}", headers=owner.headers)).status_code == 204

    async def ids(**query: object) -> list[str]:
        response = await client.get(BASE, headers=owner.headers, params=query)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert await ids() == [small["id"], big["id"], reserved["id"]]
    assert await ids(include_inactive=True) == [small["id"], big["id"], reserved["id"], gone["id"]]
    assert await ids(status="reserved") == [reserved["id"]]
    assert await ids(section="patio") == [small["id"]]
    assert await ids(section="Main Floor") == [big["id"], reserved["id"]]
    assert await ids(location_id=location["id"]) == [big["id"]]
    assert await ids(capacity=4) == [big["id"], reserved["id"]]
    assert await ids(min_capacity=5) == [big["id"]]
    assert await ids(search="pat") == [small["id"]]
    assert await ids(sort_by="capacity", sort_order="desc") == [
        big["id"],
        reserved["id"],
        small["id"],
    ]
    for bad in ({"status": "busy"}, {"capacity": 0}, {"location_id": "x"}):
        response = await client.get(BASE, headers=owner.headers, params=bad)
        assert_error(response, 422, "VALIDATION_ERROR")


async def test_update_table(client: httpx.AsyncClient, owner: Account) -> None:
    table = await create_table(client, owner, table_number="C1", capacity=4, notes="Corner")
    patched = await client.patch(
        f"{BASE}/{table['id']}",
        headers=owner.headers,
        json={"capacity": 6, "section": "Terrace", "notes": None},
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert (body["capacity"], body["section"], body["notes"]) == (6, "Terrace", None)
    assert body["table_number"] == "C1"
    put = await client.put(
        f"{BASE}/{table['id']}", headers=owner.headers, json={"status": "out_of_service"}
    )
    assert put.json()["status"] == "out_of_service"
    illegal = await client.put(
        f"{BASE}/{table['id']}", headers=owner.headers, json={"status": "reserved"}
    )
    assert_error(illegal, 409, "INVALID_STATE")
    for payload, field in (
        ({"capacity": 0}, "capacity"),
        ({"capacity": None}, "capacity"),
        ({"table_number": None}, "table_number"),
        ({"status": None}, "status"),
        ({"party_size": 2}, "party_size"),
    ):
        response = await client.patch(f"{BASE}/{table['id']}", headers=owner.headers, json=payload)
        assert assert_error(response, 422, "VALIDATION_ERROR")["details"][0]["field"] == field


async def test_capacity_cannot_shrink_below_the_seated_party(
    client: httpx.AsyncClient, owner: Account
) -> None:
    table = await create_table(client, owner, capacity=6)
    seated = await client.post(
        f"{BASE}/{table['id']}/seat", headers=owner.headers, json={"party_size": 5}
    )
    assert seated.status_code == 200
    shrink = await client.patch(
        f"{BASE}/{table['id']}", headers=owner.headers, json={"capacity": 4}
    )
    assert assert_error(shrink, 422, "VALIDATION_ERROR")["details"][0]["field"] == "capacity"
    ok = await client.patch(f"{BASE}/{table['id']}", headers=owner.headers, json={"capacity": 5})
    assert ok.status_code == 200


async def test_delete_is_soft_and_refused_with_open_orders(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    table = await create_table(client, owner, table_number="D1")
    order_id, number = await insert_order(database, owner.business_id, table_id=table["id"])
    refused = await client.delete(f"{BASE}/{table['id']}", headers=owner.headers)
    error = assert_error(refused, 409, "INVALID_STATE")
    assert number in error["message"]
    deactivate = await client.patch(
        f"{BASE}/{table['id']}", headers=owner.headers, json={"is_active": False}
    )
    assert_error(deactivate, 409, "INVALID_STATE")

    await set_order_status(database, owner.business_id, order_id, OrderStatus.completed)
    deleted = await client.delete(f"{BASE}/{table['id']}", headers=owner.headers)
    assert deleted.status_code == 204
    fetched = await client.get(f"{BASE}/{table['id']}", headers=owner.headers)
    assert fetched.json()["is_active"] is False
    # A removed table takes no guests until it is restored.
    seat = await client.post(
        f"{BASE}/{table['id']}/seat", headers=owner.headers, json={"party_size": 2}
    )
    assert_error(seat, 409, "INVALID_STATE")
    restored = await client.patch(
        f"{BASE}/{table['id']}", headers=owner.headers, json={"is_active": True}
    )
    assert restored.json()["is_active"] is True
    # The number stays taken by the removed table's history.
    assert (await client.delete(f"{BASE}/{table['id']}", headers=owner.headers)).status_code == 204
    again = await client.post(
        BASE, headers=owner.headers, json={"table_number": "D1", "capacity": 2}
    )
    assert_error(again, 409, "DUPLICATE_ENTRY")
    audit = await client.get(
        "/api/v1/audit-log", headers=owner.headers, params={"action": "table.deactivated"}
    )
    assert audit.json()["total"] == 2


async def test_roles(client: httpx.AsyncClient, owner: Account) -> None:
    viewer = await add_user(client, owner, "viewer")
    wait_staff = await add_user(client, owner, "wait_staff")
    cashier = await add_user(client, owner, "cashier")
    manager = await add_user(client, owner, "manager")
    table = await create_table(client, owner)
    url = f"{BASE}/{table['id']}"
    new = {"table_number": "R1", "capacity": 2}

    assert (await client.get(BASE, headers=viewer.headers)).status_code == 200
    assert (await client.get(url, headers=viewer.headers)).status_code == 200
    assert (await client.get(f"{url}/orders", headers=viewer.headers)).status_code == 200
    for account in (viewer, wait_staff, cashier):
        assert_error(await client.post(BASE, headers=account.headers, json=new), 403, "FORBIDDEN")
        assert_error(
            await client.patch(url, headers=account.headers, json={"capacity": 3}),
            403,
            "FORBIDDEN",
        )
        assert_error(await client.delete(url, headers=account.headers), 403, "FORBIDDEN")
    for path, payload in (
        ("status", {"status": "reserved"}),
        ("seat", {"party_size": 2}),
        ("assign", {"server_id": viewer.user_id}),
        ("clear", {}),
    ):
        method = client.put if path == "status" else client.post
        assert_error(
            await method(f"{url}/{path}", headers=viewer.headers, json=payload), 403, "FORBIDDEN"
        )
    # Wait staff work the floor.
    seated = await client.post(f"{url}/seat", headers=wait_staff.headers, json={"party_size": 2})
    assert seated.status_code == 200, seated.text
    cleared = await client.post(f"{url}/clear", headers=cashier.headers)
    assert cleared.status_code == 200
    created = await client.post(BASE, headers=manager.headers, json=new)
    assert created.status_code == 201


async def test_other_business_gets_404(client: httpx.AsyncClient, owner: Account) -> None:
    table = await create_table(client, owner)
    other = await register(client)
    url = f"{BASE}/{table['id']}"
    assert_error(await client.get(url, headers=other.headers), 404, "NOT_FOUND")
    assert_error(
        await client.patch(url, headers=other.headers, json={"capacity": 2}), 404, "NOT_FOUND"
    )
    assert_error(await client.delete(url, headers=other.headers), 404, "NOT_FOUND")
    assert_error(
        await client.put(f"{url}/status", headers=other.headers, json={"status": "cleaning"}),
        404,
        "NOT_FOUND",
    )
    assert_error(
        await client.post(f"{url}/seat", headers=other.headers, json={"party_size": 2}),
        404,
        "NOT_FOUND",
    )
    assert_error(
        await client.post(
            f"{url}/assign", headers=other.headers, json={"server_id": other.user_id}
        ),
        404,
        "NOT_FOUND",
    )
    assert_error(await client.post(f"{url}/clear", headers=other.headers), 404, "NOT_FOUND")
    assert_error(await client.get(f"{url}/orders", headers=other.headers), 404, "NOT_FOUND")
    assert (await client.get(BASE, headers=other.headers)).json()["total"] == 0
    missing = f"{BASE}/{uuid.uuid4()}"
    assert_error(await client.get(missing, headers=owner.headers), 404, "NOT_FOUND")

"""Tables on the floor: status transitions, seating, servers, clearing, order history (C1)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tableside.db.database import Database
from tableside.models import OrderStatus, OrderType
from tests.factories import Account, add_user, assert_error, register
from tests.factories.floor import create_table, insert_order, set_order_status

BASE = "/api/v1/tables"

LEGAL = {
    "available": {"reserved", "cleaning", "out_of_service"},
    "reserved": {"available", "out_of_service"},
    "cleaning": {"available", "out_of_service"},
    "out_of_service": {"available", "cleaning"},
}
STATUSES = ["available", "occupied", "reserved", "cleaning", "out_of_service"]


async def _table_in(client: httpx.AsyncClient, owner: Account, status: str) -> dict[str, object]:
    """A table brought to `status` through legal moves."""
    if status in ("available", "reserved", "out_of_service"):
        return await create_table(client, owner, status=status)
    table = await create_table(client, owner)
    if status == "occupied":
        response = await client.post(
            f"{BASE}/{table['id']}/seat", headers=owner.headers, json={"party_size": 2}
        )
    else:
        response = await client.put(
            f"{BASE}/{table['id']}/status", headers=owner.headers, json={"status": status}
        )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


@pytest.mark.parametrize("current", list(LEGAL))
@pytest.mark.parametrize("target", STATUSES)
async def test_status_transitions(
    client: httpx.AsyncClient, owner: Account, current: str, target: str
) -> None:
    table = await _table_in(client, owner, current)
    response = await client.put(
        f"{BASE}/{table['id']}/status", headers=owner.headers, json={"status": target}
    )
    if target == current or target in LEGAL[current]:
        assert response.status_code == 200, response.text
        assert response.json()["status"] == target
    else:
        error = assert_error(response, 409, "INVALID_STATE")
        for allowed in LEGAL[current]:
            assert allowed in error["message"]


async def test_same_status_is_a_no_op(client: httpx.AsyncClient, owner: Account) -> None:
    table = await create_table(client, owner, status="reserved")
    response = await client.put(
        f"{BASE}/{table['id']}/status", headers=owner.headers, json={"status": "reserved"}
    )
    assert response.status_code == 200
    assert response.json()["updated_at"] == table["updated_at"]


async def test_unknown_status_is_422(client: httpx.AsyncClient, owner: Account) -> None:
    table = await create_table(client, owner)
    for body in ({"status": "dirty"}, {}, {"status": "available", "extra": 1}):
        response = await client.put(
            f"{BASE}/{table['id']}/status", headers=owner.headers, json=body
        )
        assert_error(response, 422, "VALIDATION_ERROR")


@pytest.mark.parametrize("target", ["available", "cleaning"])
async def test_leaving_occupied_resets_seating(
    client: httpx.AsyncClient, owner: Account, target: str
) -> None:
    waiter = await add_user(client, owner, "wait_staff")
    table = await create_table(client, owner, capacity=4)
    seated = await client.post(
        f"{BASE}/{table['id']}/seat",
        headers=waiter.headers,
        json={"party_size": 3, "server_id": waiter.user_id},
    )
    assert seated.json()["server_name"] == "Wait_Staff Person"
    response = await client.put(
        f"{BASE}/{table['id']}/status", headers=waiter.headers, json={"status": target}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == target
    assert body["party_size"] is None and body["server_id"] is None
    assert body["seated_at"] is None and body["server_name"] is None


async def test_occupied_with_open_orders_cannot_be_freed(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    table = await _table_in(client, owner, "occupied")
    order_id, number = await insert_order(database, owner.business_id, table_id=str(table["id"]))
    fetched = await client.get(f"{BASE}/{table['id']}", headers=owner.headers)
    assert fetched.json()["open_order_ids"] == [order_id]
    for target in ("available", "cleaning"):
        response = await client.put(
            f"{BASE}/{table['id']}/status", headers=owner.headers, json={"status": target}
        )
        error = assert_error(response, 409, "INVALID_STATE")
        assert number in error["message"]
    cleared = await client.post(f"{BASE}/{table['id']}/clear", headers=owner.headers)
    assert number in assert_error(cleared, 409, "INVALID_STATE")["message"]

    await set_order_status(database, owner.business_id, order_id, OrderStatus.ready)
    still_open = await client.post(f"{BASE}/{table['id']}/clear", headers=owner.headers)
    assert_error(still_open, 409, "INVALID_STATE")
    await set_order_status(database, owner.business_id, order_id, OrderStatus.completed)
    response = await client.put(
        f"{BASE}/{table['id']}/status", headers=owner.headers, json={"status": "cleaning"}
    )
    assert response.status_code == 200
    assert response.json()["open_order_ids"] == []


async def test_seat_party(client: httpx.AsyncClient, owner: Account) -> None:
    waiter = await add_user(client, owner, "wait_staff")
    table = await create_table(client, owner, capacity=4, status="reserved", notes="Old")
    before = datetime.now(UTC) - timedelta(seconds=5)
    response = await client.post(
        f"{BASE}/{table['id']}/seat",
        headers=waiter.headers,
        json={"party_size": 4, "server_id": waiter.user_id, "notes": "Birthday"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "occupied"
    assert body["party_size"] == 4
    assert body["server_id"] == waiter.user_id
    assert body["notes"] == "Birthday"
    seated_at = datetime.fromisoformat(body["seated_at"].replace("Z", "+00:00"))
    assert seated_at >= before and body["seated_at"].endswith("Z")

    again = await client.post(
        f"{BASE}/{table['id']}/seat", headers=waiter.headers, json={"party_size": 2}
    )
    assert "occupied" in assert_error(again, 409, "INVALID_STATE")["message"]


@pytest.mark.parametrize("status", ["cleaning", "out_of_service", "occupied"])
async def test_seat_refused_unless_available_or_reserved(
    client: httpx.AsyncClient, owner: Account, status: str
) -> None:
    table = await _table_in(client, owner, status)
    response = await client.post(
        f"{BASE}/{table['id']}/seat", headers=owner.headers, json={"party_size": 1}
    )
    assert_error(response, 409, "INVALID_STATE")


async def test_seat_validation(client: httpx.AsyncClient, owner: Account) -> None:
    table = await create_table(client, owner, capacity=4)
    url = f"{BASE}/{table['id']}/seat"
    other = await register(client)
    inactive = await add_user(client, owner, "wait_staff")
    deactivated = await client.delete(f"/api/v1/users/{inactive.user_id}", headers=owner.headers)
    assert deactivated.status_code in (200, 204), deactivated.text
    cases = [
        ({"party_size": 5}, "party_size"),
        ({"party_size": 0}, "party_size"),
        ({"party_size": -1}, "party_size"),
        ({}, "party_size"),
        ({"party_size": 2, "server_id": other.user_id}, "server_id"),
        ({"party_size": 2, "server_id": str(uuid.uuid4())}, "server_id"),
        ({"party_size": 2, "server_id": inactive.user_id}, "server_id"),
        ({"party_size": 2, "server_id": "bob"}, "server_id"),
    ]
    for payload, field in cases:
        response = await client.post(url, headers=owner.headers, json=payload)
        error = assert_error(response, 422, "VALIDATION_ERROR")
        assert error["details"][0]["field"] == field, payload
    unchanged = await client.get(f"{BASE}/{table['id']}", headers=owner.headers)
    assert unchanged.json()["status"] == "available"


async def test_concurrent_seats_exactly_one_wins(client: httpx.AsyncClient, owner: Account) -> None:
    """Two hosts seat the same table at once: the row lock lets exactly one through."""
    host = await add_user(client, owner, "wait_staff")
    # Warm both callers up so the two requests really overlap in the database.
    for account in (owner, host):
        assert (await client.get(BASE, headers=account.headers)).status_code == 200
    for _ in range(3):
        table = await create_table(client, owner, capacity=4)
        url = f"{BASE}/{table['id']}/seat"
        responses = await asyncio.gather(
            client.post(url, headers=owner.headers, json={"party_size": 2}),
            client.post(url, headers=host.headers, json={"party_size": 3}),
        )
        codes = sorted(response.status_code for response in responses)
        assert codes == [200, 409], [response.text for response in responses]
        winner = next(response for response in responses if response.status_code == 200)
        loser = next(response for response in responses if response.status_code == 409)
        assert_error(loser, 409, "INVALID_STATE")
        final = await client.get(f"{BASE}/{table['id']}", headers=owner.headers)
        assert final.json()["party_size"] == winner.json()["party_size"]


@pytest.mark.parametrize("method", ["post", "put"])
async def test_assign_server(client: httpx.AsyncClient, owner: Account, method: str) -> None:
    waiter = await add_user(client, owner, "wait_staff")
    cashier = await add_user(client, owner, "cashier")
    table = await create_table(client, owner, status="reserved")
    response = await client.request(
        method.upper(),
        f"{BASE}/{table['id']}/assign",
        headers=cashier.headers,
        json={"server_id": waiter.user_id},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["server_id"] == waiter.user_id
    assert body["server_name"] == "Wait_Staff Person"
    assert body["status"] == "reserved"
    listed = await client.get(BASE, headers=owner.headers)
    assert listed.json()["items"][0]["server_name"] == "Wait_Staff Person"


async def test_assign_server_validation_and_state(
    client: httpx.AsyncClient, owner: Account
) -> None:
    other = await register(client)
    table = await create_table(client, owner)
    url = f"{BASE}/{table['id']}/assign"
    for payload, field in (
        ({"server_id": other.user_id}, "server_id"),
        ({"server_id": str(uuid.uuid4())}, "server_id"),
        ({"server_id": None}, "server_id"),
        ({}, "server_id"),
    ):
        response = await client.post(url, headers=owner.headers, json=payload)
        assert assert_error(response, 422, "VALIDATION_ERROR")["details"][0]["field"] == field
    broken = await create_table(client, owner, status="out_of_service")
    refused = await client.post(
        f"{BASE}/{broken['id']}/assign", headers=owner.headers, json={"server_id": owner.user_id}
    )
    assert_error(refused, 409, "INVALID_STATE")
    occupied = await _table_in(client, owner, "occupied")
    ok = await client.post(
        f"{BASE}/{occupied['id']}/assign", headers=owner.headers, json={"server_id": owner.user_id}
    )
    assert ok.json()["server_name"] == "Olivia Owner"


async def test_clear_table(client: httpx.AsyncClient, owner: Account) -> None:
    table = await create_table(client, owner, capacity=6)
    await client.post(
        f"{BASE}/{table['id']}/seat",
        headers=owner.headers,
        json={"party_size": 5, "server_id": owner.user_id},
    )
    cleared = await client.post(f"{BASE}/{table['id']}/clear", headers=owner.headers)
    assert cleared.status_code == 200, cleared.text
    body = cleared.json()
    assert body["status"] == "available"
    assert (body["party_size"], body["server_id"], body["seated_at"]) == (None, None, None)

    await client.post(f"{BASE}/{table['id']}/seat", headers=owner.headers, json={"party_size": 2})
    to_cleaning = await client.post(
        f"{BASE}/{table['id']}/clear", headers=owner.headers, json={"to_cleaning": True}
    )
    assert to_cleaning.json()["status"] == "cleaning"
    assert to_cleaning.json()["party_size"] is None
    bad = await client.post(
        f"{BASE}/{table['id']}/clear", headers=owner.headers, json={"to_cleaning": "later"}
    )
    assert_error(bad, 422, "VALIDATION_ERROR")


async def test_table_orders(client: httpx.AsyncClient, owner: Account, database: Database) -> None:
    table = await create_table(client, owner)
    other_table = await create_table(client, owner)
    start = datetime(2026, 5, 1, 18, 0, tzinfo=UTC)
    old, _ = await insert_order(
        database,
        owner.business_id,
        table_id=table["id"],
        status=OrderStatus.completed,
        total="42.00",
        created_at=start,
    )
    takeaway, _ = await insert_order(
        database,
        owner.business_id,
        table_id=table["id"],
        status=OrderStatus.cancelled,
        order_type=OrderType.takeaway,
        created_at=start + timedelta(hours=1),
    )
    current, current_number = await insert_order(
        database,
        owner.business_id,
        table_id=table["id"],
        status=OrderStatus.preparing,
        created_at=start + timedelta(hours=2),
    )
    await insert_order(database, owner.business_id, table_id=other_table["id"])

    url = f"{BASE}/{table['id']}/orders"
    response = await client.get(url, headers=owner.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [item["id"] for item in body["items"]] == [current, takeaway, old]
    assert body["items"][0]["order_number"] == current_number
    assert body["items"][2]["total_amount"] == 42.00

    by_status = await client.get(url, headers=owner.headers, params={"status": "completed"})
    assert [item["id"] for item in by_status.json()["items"]] == [old]
    by_type = await client.get(url, headers=owner.headers, params={"order_type": "takeaway"})
    assert [item["id"] for item in by_type.json()["items"]] == [takeaway]
    paged = await client.get(url, headers=owner.headers, params={"page_size": 2, "page": 2})
    assert [item["id"] for item in paged.json()["items"]] == [old]
    oldest_first = await client.get(url, headers=owner.headers, params={"sort_order": "asc"})
    assert oldest_first.json()["items"][0]["id"] == old
    bad = await client.get(url, headers=owner.headers, params={"order_type": "drive_thru"})
    assert_error(bad, 422, "VALIDATION_ERROR")

    detail = await client.get(f"{BASE}/{table['id']}", headers=owner.headers)
    assert detail.json()["open_order_ids"] == [current]

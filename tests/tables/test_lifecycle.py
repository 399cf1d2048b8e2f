"""A table follows its orders: occupied with the first open order, available after the last.

The orders API calls `tables.lifecycle` inside its own transaction; these tests call the same
functions in a database session, with order rows inserted directly.
"""

from __future__ import annotations

import uuid

import httpx
import pytest

from tableside.db.database import Database, set_tenant
from tableside.errors import InvalidState, ValidationFailed
from tableside.models import OrderStatus, TableStatus
from tableside.tables.lifecycle import occupy_for_order, release_after_order
from tests.factories import Account, register
from tests.factories.floor import create_table, insert_order, set_order_status

BASE = "/api/v1/tables"


async def _occupy(database: Database, business_id: str, table_id: str) -> TableStatus:
    async with database.session() as session:
        await set_tenant(session, uuid.UUID(business_id))
        table = await occupy_for_order(session, uuid.UUID(business_id), uuid.UUID(table_id))
        return table.status


async def _release(database: Database, business_id: str, table_id: str, order_id: str) -> None:
    async with database.session() as session:
        await set_tenant(session, uuid.UUID(business_id))
        await release_after_order(
            session, uuid.UUID(business_id), uuid.UUID(table_id), uuid.UUID(order_id)
        )


async def _status(client: httpx.AsyncClient, owner: Account, table_id: str) -> dict[str, object]:
    response = await client.get(f"{BASE}/{table_id}", headers=owner.headers)
    assert response.status_code == 200
    body: dict[str, object] = response.json()
    return body


@pytest.mark.parametrize("status", ["available", "reserved"])
async def test_first_order_occupies_the_table(
    client: httpx.AsyncClient, owner: Account, database: Database, status: str
) -> None:
    table = await create_table(client, owner, status=status)
    assert await _occupy(database, owner.business_id, table["id"]) == TableStatus.occupied
    body = await _status(client, owner, table["id"])
    assert body["status"] == "occupied"
    assert body["seated_at"] is not None
    # A second order on an occupied table keeps it occupied and keeps the seating time.
    assert await _occupy(database, owner.business_id, table["id"]) == TableStatus.occupied
    assert (await _status(client, owner, table["id"]))["seated_at"] == body["seated_at"]


async def test_occupy_keeps_a_seated_party(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    table = await create_table(client, owner, capacity=4)
    seated = await client.post(
        f"{BASE}/{table['id']}/seat",
        headers=owner.headers,
        json={"party_size": 3, "server_id": owner.user_id},
    )
    await _occupy(database, owner.business_id, table["id"])
    body = await _status(client, owner, table["id"])
    assert body["party_size"] == 3
    assert body["server_id"] == owner.user_id
    assert body["seated_at"] == seated.json()["seated_at"]


@pytest.mark.parametrize("status", ["cleaning", "out_of_service"])
async def test_occupy_refuses_cleaning_and_out_of_service(
    client: httpx.AsyncClient, owner: Account, database: Database, status: str
) -> None:
    table = await create_table(client, owner)
    moved = await client.put(
        f"{BASE}/{table['id']}/status", headers=owner.headers, json={"status": status}
    )
    assert moved.status_code == 200
    with pytest.raises(InvalidState) as raised:
        await _occupy(database, owner.business_id, table["id"])
    assert raised.value.status_code == 409
    assert raised.value.details[0]["field"] == "table_id"
    assert (await _status(client, owner, table["id"]))["status"] == status


async def test_occupy_refuses_unknown_foreign_and_removed_tables(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    other = await register(client)
    foreign = await create_table(client, other)
    removed = await create_table(client, owner)
    deleted = await client.delete(f"{BASE}/{removed['id']}", headers=owner.headers)
    assert deleted.status_code == 204
    for table_id in (str(uuid.uuid4()), foreign["id"], removed["id"]):
        with pytest.raises(ValidationFailed) as raised:
            await _occupy(database, owner.business_id, table_id)
        assert raised.value.status_code == 422
        assert raised.value.details == [{"field": "table_id", "message": "no such table"}]
    assert (await _status(client, other, foreign["id"]))["status"] == "available"


async def test_release_only_after_the_last_open_order(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    table = await create_table(client, owner)
    first, _ = await insert_order(database, owner.business_id, table_id=table["id"])
    await _occupy(database, owner.business_id, table["id"])
    second, _ = await insert_order(
        database, owner.business_id, table_id=table["id"], status=OrderStatus.ready
    )
    await _occupy(database, owner.business_id, table["id"])
    assign = await client.post(
        f"{BASE}/{table['id']}/assign", headers=owner.headers, json={"server_id": owner.user_id}
    )
    assert assign.status_code == 200
    body = await _status(client, owner, table["id"])
    assert sorted(body["open_order_ids"]) == sorted([first, second])  # type: ignore[type-var]

    await set_order_status(database, owner.business_id, first, OrderStatus.completed)
    await _release(database, owner.business_id, table["id"], first)
    body = await _status(client, owner, table["id"])
    assert body["status"] == "occupied"
    assert body["open_order_ids"] == [second]

    await set_order_status(database, owner.business_id, second, OrderStatus.cancelled)
    await _release(database, owner.business_id, table["id"], second)
    body = await _status(client, owner, table["id"])
    assert body["status"] == "available"
    assert (body["party_size"], body["server_id"], body["seated_at"]) == (None, None, None)
    assert body["open_order_ids"] == []


async def test_release_ignores_the_closing_order_itself(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    """The orders domain may release before its own status change is flushed: the order
    being closed never counts as open."""
    table = await create_table(client, owner)
    order, _ = await insert_order(database, owner.business_id, table_id=table["id"])
    await _occupy(database, owner.business_id, table["id"])
    await _release(database, owner.business_id, table["id"], order)
    assert (await _status(client, owner, table["id"]))["status"] == "available"


async def test_release_leaves_a_table_staff_already_moved(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    table = await create_table(client, owner, status="reserved")
    order, _ = await insert_order(
        database, owner.business_id, table_id=table["id"], status=OrderStatus.completed
    )
    await _release(database, owner.business_id, table["id"], order)
    assert (await _status(client, owner, table["id"]))["status"] == "reserved"
    await _release(database, owner.business_id, str(uuid.uuid4()), order)


async def test_order_on_table_blocks_clear_until_released(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    table = await create_table(client, owner)
    order, number = await insert_order(database, owner.business_id, table_id=table["id"])
    await _occupy(database, owner.business_id, table["id"])
    refused = await client.post(f"{BASE}/{table['id']}/clear", headers=owner.headers)
    assert refused.status_code == 409
    assert number in refused.json()["error"]["message"]
    await set_order_status(database, owner.business_id, order, OrderStatus.completed)
    await _release(database, owner.business_id, table["id"], order)
    listed = await client.get(BASE, headers=owner.headers, params={"status": "available"})
    assert [item["id"] for item in listed.json()["items"]] == [table["id"]]

"""Customers: profiles, search, order summary and history (C7)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tableside.db.database import Database
from tableside.models import OrderStatus, OrderType
from tests.factories import Account, add_user, assert_error, register
from tests.factories.floor import create_customer, insert_order

BASE = "/api/v1/customers"


async def test_create_get_update_customer(client: httpx.AsyncClient, owner: Account) -> None:
    created = await create_customer(
        client,
        owner,
        name="  John Doe ",
        email="John.Doe@Example.COM",
        phone="+1234567890",
        address="123 Main St",
        city="New York",
        state="NY",
        zip_code="10001",
        notes="Prefers the window",
    )
    assert created["name"] == "John Doe"
    assert created["email"] == "john.doe@example.com"
    assert created["zip_code"] == "10001"
    assert created["is_active"] is True
    assert created["summary"] == {
        "order_count": 0,
        "completed_order_count": 0,
        "total_spent": 0.00,
        "last_order_at": None,
    }
    assert created["created_at"].endswith("Z")

    fetched = await client.get(f"{BASE}/{created['id']}", headers=owner.headers)
    assert fetched.status_code == 200
    assert fetched.json()["email"] == "john.doe@example.com"

    patched = await client.patch(
        f"{BASE}/{created['id']}", headers=owner.headers, json={"city": "Boston", "notes": None}
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["city"] == "Boston"
    assert patched.json()["notes"] is None
    assert patched.json()["state"] == "NY"

    put = await client.put(
        f"{BASE}/{created['id']}", headers=owner.headers, json={"email": "NEW@example.com"}
    )
    assert put.status_code == 200, put.text
    assert put.json()["email"] == "new@example.com"
    assert put.json()["city"] == "Boston"


async def test_email_is_optional_and_unique_per_business(
    client: httpx.AsyncClient, owner: Account
) -> None:
    await create_customer(client, owner, name="No Email")
    await create_customer(client, owner, name="No Email Either")
    first = await create_customer(client, owner, email="guest@example.com")
    duplicate = await client.post(
        BASE, headers=owner.headers, json={"name": "Copy", "email": "GUEST@example.com"}
    )
    error = assert_error(duplicate, 409, "DUPLICATE_ENTRY")
    assert error["details"][0]["field"] == "email"

    second = await create_customer(client, owner, email="other@example.com")
    clash = await client.patch(
        f"{BASE}/{second['id']}", headers=owner.headers, json={"email": "guest@EXAMPLE.com"}
    )
    assert assert_error(clash, 409, "DUPLICATE_ENTRY")["details"][0]["field"] == "email"

    # Another business may know the same guest.
    other = await register(client)
    await create_customer(client, other, email="guest@example.com")
    assert first["email"] == "guest@example.com"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "X", "email": "not-an-email"}, "email"),
        ({"name": "X", "phone": "1" * 41}, "phone"),
        ({"name": "X", "zip_code": "1" * 21}, "zip_code"),
        ({"name": "X", "loyalty_points": 10}, "loyalty_points"),
    ],
)
async def test_create_rejects_bad_values(
    client: httpx.AsyncClient, owner: Account, payload: dict[str, object], field: str
) -> None:
    response = await client.post(BASE, headers=owner.headers, json=payload)
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == field


async def test_update_rejects_null_name(client: httpx.AsyncClient, owner: Account) -> None:
    customer = await create_customer(client, owner)
    for field in ("name", "is_active"):
        response = await client.patch(
            f"{BASE}/{customer['id']}", headers=owner.headers, json={field: None}
        )
        assert assert_error(response, 422, "VALIDATION_ERROR")["details"][0]["field"] == field


async def test_search_by_name_email_and_phone(client: httpx.AsyncClient, owner: Account) -> None:
    john = await create_customer(
        client, owner, name="John Smith", email="john@example.com", phone="+1 (555) 0101"
    )
    jane = await create_customer(
        client, owner, name="Jane Roe", email="jroe@mailbox.org", phone="555.0199"
    )
    await create_customer(client, owner, name="Zed", phone="999-1234")

    async def found(**query: str) -> set[str]:
        response = await client.get(BASE, headers=owner.headers, params=query)
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    assert await found(search="smi") == {john["id"]}
    assert await found(search="JOHN") == {john["id"]}
    assert await found(search="MAILBOX.org") == {jane["id"]}
    assert await found(search="555-0101") == {john["id"]}
    assert await found(search="5550101") == {john["id"]}
    assert await found(search="(555)") == {john["id"], jane["id"]}
    assert await found(search="0199") == {jane["id"]}
    assert await found(search="%") == set()
    assert await found(search="nobody") == set()

    alias = await client.get(f"{BASE}/search", headers=owner.headers, params={"q": "555 0101"})
    assert alias.status_code == 200, alias.text
    body = alias.json()
    assert [item["id"] for item in body["items"]] == [john["id"]]
    assert body["total"] == 1 and body["page"] == 1 and body["has_next"] is False

    missing_q = await client.get(f"{BASE}/search", headers=owner.headers)
    assert assert_error(missing_q, 422, "VALIDATION_ERROR")["details"][0]["field"] == "q"


async def test_list_paginates_and_sorts(client: httpx.AsyncClient, owner: Account) -> None:
    for name in ("Charlie", "alice", "Bob"):
        await create_customer(client, owner, name=name)
    page = await client.get(BASE, headers=owner.headers, params={"page_size": 2})
    body = page.json()
    assert body["total"] == 3 and body["pages"] == 2 and body["has_next"] is True
    desc = await client.get(
        BASE, headers=owner.headers, params={"sort_by": "name", "sort_order": "desc"}
    )
    assert desc.json()["items"][0]["name"] == "alice"
    bad_sort = await client.get(BASE, headers=owner.headers, params={"sort_by": "password"})
    assert_error(bad_sort, 422, "VALIDATION_ERROR")


async def test_delete_is_soft_and_restorable(client: httpx.AsyncClient, owner: Account) -> None:
    customer = await create_customer(client, owner, name="Leaving Soon")
    response = await client.delete(f"{BASE}/{customer['id']}", headers=owner.headers)
    assert response.status_code == 204
    listed = await client.get(BASE, headers=owner.headers)
    assert customer["id"] not in {item["id"] for item in listed.json()["items"]}
    with_inactive = await client.get(
        BASE, headers=owner.headers, params={"include_inactive": "true"}
    )
    assert customer["id"] in {item["id"] for item in with_inactive.json()["items"]}
    fetched = await client.get(f"{BASE}/{customer['id']}", headers=owner.headers)
    assert fetched.json()["is_active"] is False
    again = await client.delete(f"{BASE}/{customer['id']}", headers=owner.headers)
    assert again.status_code == 204
    restored = await client.patch(
        f"{BASE}/{customer['id']}", headers=owner.headers, json={"is_active": True}
    )
    assert restored.json()["is_active"] is True
    audit = await client.get(
        "/api/v1/audit-log", headers=owner.headers, params={"action": "customer.deactivated"}
    )
    assert audit.json()["total"] == 1


async def test_roles(client: httpx.AsyncClient, owner: Account) -> None:
    viewer = await add_user(client, owner, "viewer")
    wait_staff = await add_user(client, owner, "wait_staff")
    cashier = await add_user(client, owner, "cashier")
    customer = await create_customer(client, owner)
    url = f"{BASE}/{customer['id']}"

    assert (await client.get(BASE, headers=viewer.headers)).status_code == 200
    assert (await client.get(url, headers=viewer.headers)).status_code == 200
    assert_error(
        await client.post(BASE, headers=viewer.headers, json={"name": "V"}), 403, "FORBIDDEN"
    )
    assert_error(
        await client.patch(url, headers=viewer.headers, json={"name": "V"}), 403, "FORBIDDEN"
    )
    # Front of house writes; only managers and up delete.
    await create_customer(client, wait_staff, name="By Waiter")
    patched = await client.patch(url, headers=cashier.headers, json={"phone": "123"})
    assert patched.status_code == 200
    assert_error(await client.delete(url, headers=cashier.headers), 403, "FORBIDDEN")
    assert_error(await client.delete(url, headers=wait_staff.headers), 403, "FORBIDDEN")
    manager = await add_user(client, owner, "manager")
    assert (await client.delete(url, headers=manager.headers)).status_code == 204


async def test_other_business_cannot_see_customer(
    client: httpx.AsyncClient, owner: Account
) -> None:
    customer = await create_customer(client, owner, name="Private Guest")
    other = await register(client)
    url = f"{BASE}/{customer['id']}"
    assert_error(await client.get(url, headers=other.headers), 404, "NOT_FOUND")
    assert_error(
        await client.patch(url, headers=other.headers, json={"name": "x"}), 404, "NOT_FOUND"
    )
    assert_error(await client.delete(url, headers=other.headers), 404, "NOT_FOUND")
    assert_error(await client.get(f"{url}/orders", headers=other.headers), 404, "NOT_FOUND")
    listed = await client.get(BASE, headers=other.headers, params={"search": "Private"})
    assert listed.json()["total"] == 0
    assert_error(
        await client.get(f"{BASE}/not-a-uuid", headers=owner.headers), 422, "VALIDATION_ERROR"
    )


async def test_summary_and_order_history(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    customer = await create_customer(client, owner, name="Regular")
    other_customer = await create_customer(client, owner, name="Someone Else")
    start = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    first, _ = await insert_order(
        database,
        owner.business_id,
        customer_id=customer["id"],
        status=OrderStatus.completed,
        total="20.50",
        created_at=start,
    )
    second, _ = await insert_order(
        database,
        owner.business_id,
        customer_id=customer["id"],
        status=OrderStatus.completed,
        total="9.75",
        order_type=OrderType.takeaway,
        created_at=start + timedelta(days=1),
    )
    cancelled, _ = await insert_order(
        database,
        owner.business_id,
        customer_id=customer["id"],
        status=OrderStatus.cancelled,
        total="100.00",
        created_at=start + timedelta(days=2),
    )
    latest, latest_number = await insert_order(
        database,
        owner.business_id,
        customer_id=customer["id"],
        status=OrderStatus.pending,
        total="5.00",
        created_at=start + timedelta(days=3),
    )
    await insert_order(database, owner.business_id, customer_id=other_customer["id"])

    detail = await client.get(f"{BASE}/{customer['id']}", headers=owner.headers)
    assert detail.json()["summary"] == {
        "order_count": 4,
        "completed_order_count": 2,
        "total_spent": 30.25,
        "last_order_at": "2026-03-04T12:00:00Z",
    }

    history = await client.get(f"{BASE}/{customer['id']}/orders", headers=owner.headers)
    assert history.status_code == 200, history.text
    body = history.json()
    assert body["total"] == 4
    assert [item["id"] for item in body["items"]] == [latest, cancelled, second, first]
    newest = body["items"][0]
    assert newest["order_number"] == latest_number
    assert newest["status"] == "pending"
    assert newest["order_type"] == "dine_in"
    assert newest["total_amount"] == 5.00
    assert newest["completed_at"] is None
    assert body["items"][2]["completed_at"] is not None
    assert set(newest) == {
        "id",
        "order_number",
        "order_type",
        "status",
        "total_amount",
        "created_at",
        "completed_at",
    }

    completed = await client.get(
        f"{BASE}/{customer['id']}/orders",
        headers=owner.headers,
        params={"status": "completed", "page_size": 1},
    )
    page = completed.json()
    assert page["total"] == 2 and page["pages"] == 2
    assert [item["id"] for item in page["items"]] == [second]

    bad_status = await client.get(
        f"{BASE}/{customer['id']}/orders", headers=owner.headers, params={"status": "eaten"}
    )
    assert assert_error(bad_status, 422, "VALIDATION_ERROR")["details"][0]["field"] == "status"

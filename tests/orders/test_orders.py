"""Creating, reading and listing orders: references, money, numbering, roles, tenancy."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import httpx
import pytest

from tableside.db.database import Database
from tableside.kit.business_time import business_date
from tableside.models import TableStatus
from tests.factories import Account, add_user, assert_error, register
from tests.factories.orders import (
    ORDERS,
    create_customer,
    create_menu_item,
    create_order,
    create_table,
    line,
    set_business,
    table_status,
)


async def test_create_takeaway_order_with_exact_totals(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    await set_business(client, owner, tax_rate="8.875")
    pizza = await create_menu_item(database, owner, price="12.99", cost="4.10")
    customer = await create_customer(database, owner)
    order = await create_order(
        client,
        owner,
        [line(pizza, 2, notes="Extra cheese please", modifiers=["extra cheese", "thin crust"])],
        customer_id=customer,
        notes="General order notes",
    )
    assert order["status"] == "pending"
    assert order["order_type"] == "takeaway"
    assert order["customer_id"] == customer
    assert order["server_id"] == owner.user_id
    assert order["tax_rate"] == 8.875
    assert order["subtotal"] == 25.98
    assert order["tax_amount"] == 2.31  # 25.98 x 8.875% = 2.305725
    assert order["discount_amount"] == 0.00
    assert order["total_amount"] == 28.29
    [item] = order["items"]
    assert item["name"] == "Margherita Pizza"
    assert item["unit_price"] == 12.99
    assert item["line_total"] == 25.98
    assert item["quantity"] == 2
    assert item["station"] == "kitchen"
    assert item["sku"].startswith("SKU-")
    assert item["modifiers"] == ["extra cheese", "thin crust"]
    assert item["notes"] == "Extra cheese please"
    assert item["status"] == "pending"
    assert item["sent_at"] is None and item["ticket_id"] is None

    fetched = await client.get(f"{ORDERS}/{order['id']}", headers=owner.headers)
    assert fetched.status_code == 200
    assert fetched.json() == order


async def test_tax_rate_is_copied_when_the_order_is_created(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    await set_business(client, owner, tax_rate="10")
    pizza = await create_menu_item(database, owner, price="10.00")
    order = await create_order(client, owner, [line(pizza)])
    await set_business(client, owner, tax_rate="20")
    more = await client.post(
        f"{ORDERS}/{order['id']}/items", headers=owner.headers, json={"items": [line(pizza)]}
    )
    assert more.status_code == 201, more.text
    assert more.json()["tax_rate"] == 10.000
    assert more.json()["tax_amount"] == 2.00


async def test_menu_price_change_does_not_rewrite_the_order(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    from sqlalchemy import update

    from tableside.db.database import set_tenant
    from tableside.models import MenuItem

    pizza = await create_menu_item(database, owner, price="12.99")
    order = await create_order(client, owner, [line(pizza)])
    async with database.session() as session:
        await set_tenant(session, uuid.UUID(owner.business_id))
        await session.execute(
            update(MenuItem).where(MenuItem.id == uuid.UUID(pizza)).values(price=99)
        )
    fetched = (await client.get(f"{ORDERS}/{order['id']}", headers=owner.headers)).json()
    assert fetched["items"][0]["unit_price"] == 12.99
    assert fetched["total_amount"] == 12.99


async def test_dine_in_occupies_the_table(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    table = await create_table(database, owner)
    order = await create_order(client, owner, order_type="dine_in", table_id=table)
    assert order["table_id"] == table
    assert order["items"] == []
    assert order["total_amount"] == 0.00
    assert await table_status(database, owner, table) == TableStatus.occupied


@pytest.mark.parametrize("status", [TableStatus.cleaning, TableStatus.out_of_service])
async def test_dine_in_refused_on_an_unseatable_table(
    client: httpx.AsyncClient, owner: Account, database: Database, status: TableStatus
) -> None:
    table = await create_table(database, owner, status=status)
    response = await client.post(
        ORDERS, headers=owner.headers, json={"order_type": "dine_in", "table_id": table}
    )
    assert_error(response, 409, "INVALID_STATE")
    assert await table_status(database, owner, table) == status


async def test_table_rules_by_order_type(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    table = await create_table(database, owner)
    missing = await client.post(ORDERS, headers=owner.headers, json={"order_type": "dine_in"})
    assert assert_error(missing, 422, "VALIDATION_ERROR")["details"][0]["field"] == "table_id"
    for order_type in ("takeaway", "delivery"):
        refused = await client.post(
            ORDERS, headers=owner.headers, json={"order_type": order_type, "table_id": table}
        )
        error = assert_error(refused, 422, "VALIDATION_ERROR")
        assert error["details"][0]["field"] == "table_id"
    assert await table_status(database, owner, table) == TableStatus.available


async def test_unknown_references_are_422_on_their_field(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    other = await register(client)
    pizza = await create_menu_item(database, owner)
    inactive = await create_menu_item(database, owner, is_active=False)
    foreign_item = await create_menu_item(database, other)
    foreign_table = await create_table(database, other)
    foreign_customer = await create_customer(database, other)
    inactive_customer = await create_customer(database, owner, is_active=False)

    response = await client.post(
        ORDERS,
        headers=owner.headers,
        json={
            "order_type": "takeaway",
            "items": [line(pizza), line(inactive), line(foreign_item), line(str(uuid.uuid4()))],
        },
    )
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert [d["field"] for d in error["details"]] == [
        "items.1.menu_item_id",
        "items.2.menu_item_id",
        "items.3.menu_item_id",
    ]
    cases = [
        ({"order_type": "dine_in", "table_id": foreign_table}, "table_id"),
        ({"order_type": "takeaway", "customer_id": foreign_customer}, "customer_id"),
        ({"order_type": "takeaway", "customer_id": inactive_customer}, "customer_id"),
        ({"order_type": "takeaway", "location_id": str(uuid.uuid4())}, "location_id"),
    ]
    for body, field in cases:
        response = await client.post(ORDERS, headers=owner.headers, json=body)
        error = assert_error(response, 422, "VALIDATION_ERROR")
        assert error["details"][0]["field"] == field, body


@pytest.mark.parametrize(
    ("item_extra", "field"),
    [
        ({"unit_price": "0.01"}, "items.0.unit_price"),
        ({"line_total": "0.01"}, "items.0.line_total"),
        ({"quantity": 0}, "items.0.quantity"),
        ({"quantity": 1000}, "items.0.quantity"),
        ({"modifiers": "no onions"}, "items.0.modifiers"),
    ],
)
async def test_client_prices_and_bad_lines_are_refused(
    client: httpx.AsyncClient,
    owner: Account,
    database: Database,
    item_extra: dict[str, object],
    field: str,
) -> None:
    pizza = await create_menu_item(database, owner)
    response = await client.post(
        ORDERS,
        headers=owner.headers,
        json={"order_type": "takeaway", "items": [{"menu_item_id": pizza, **item_extra}]},
    )
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == field


@pytest.mark.parametrize("field", ["subtotal", "total_amount", "tax_amount", "order_number"])
async def test_client_order_amounts_are_refused(
    client: httpx.AsyncClient, owner: Account, field: str
) -> None:
    response = await client.post(
        ORDERS, headers=owner.headers, json={"order_type": "takeaway", field: "1.00"}
    )
    assert assert_error(response, 422, "VALIDATION_ERROR")["details"][0]["field"] == field


async def test_order_numbers_follow_the_business_day(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    await set_business(client, owner, timezone="America/New_York", day_cutoff_hour=4)
    first = await create_order(client, owner)
    second = await create_order(client, owner)
    day = business_date(datetime.now(UTC), "America/New_York", 4)
    assert first["business_date"] == day.isoformat()
    assert first["order_number"] == f"{day:%Y%m%d}-0001"
    assert second["order_number"] == f"{day:%Y%m%d}-0002"
    # Numbers are per business: another business starts at 1 too.
    other = await register(client)
    await set_business(client, other, timezone="America/New_York", day_cutoff_hour=4)
    assert (await create_order(client, other))["order_number"] == f"{day:%Y%m%d}-0001"


async def test_concurrent_creations_get_consecutive_numbers(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    pizza = await create_menu_item(database, owner)
    responses = await asyncio.gather(
        *(
            client.post(
                ORDERS,
                headers=owner.headers,
                json={"order_type": "takeaway", "items": [line(pizza)]},
            )
            for _ in range(20)
        )
    )
    assert [r.status_code for r in responses] == [201] * 20
    numbers = sorted(r.json()["order_number"] for r in responses)
    prefix = numbers[0].split("-")[0]
    assert numbers == [f"{prefix}-{n:04d}" for n in range(1, 21)]


async def test_a_refused_order_gives_its_number_back(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    closed = await create_table(database, owner, status=TableStatus.cleaning)
    first = await create_order(client, owner)
    refused = await client.post(
        ORDERS, headers=owner.headers, json={"order_type": "dine_in", "table_id": closed}
    )
    assert refused.status_code == 409
    second = await create_order(client, owner)
    assert int(second["order_number"][-4:]) == int(first["order_number"][-4:]) + 1


async def test_idempotent_retry_creates_one_order(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    pizza = await create_menu_item(database, owner)
    headers = {**owner.headers, "Idempotency-Key": uuid.uuid4().hex}
    body = {"order_type": "takeaway", "items": [line(pizza, 3)]}
    first = await client.post(ORDERS, headers=headers, json=body)
    retry = await client.post(ORDERS, headers=headers, json=body)
    assert first.status_code == retry.status_code == 201
    assert retry.content == first.content
    assert retry.headers.get("idempotent-replayed") == "true"
    listed = await client.get(ORDERS, headers=owner.headers)
    assert listed.json()["total"] == 1


async def test_roles(client: httpx.AsyncClient, owner: Account, database: Database) -> None:
    pizza = await create_menu_item(database, owner)
    body = {"order_type": "takeaway", "items": [line(pizza)]}
    for role in ("viewer", "kitchen_staff"):
        user = await add_user(client, owner, role)
        assert_error(await client.post(ORDERS, headers=user.headers, json=body), 403, "FORBIDDEN")
        assert (await client.get(ORDERS, headers=user.headers)).status_code == 200
    for role in ("cashier", "wait_staff", "manager"):
        user = await add_user(client, owner, role)
        created = await client.post(ORDERS, headers=user.headers, json=body)
        assert created.status_code == 201, (role, created.text)
        assert created.json()["server_id"] == user.user_id
    assert_error(await client.get(ORDERS), 401, "UNAUTHORIZED")


async def test_another_business_cannot_see_or_touch_the_order(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    pizza = await create_menu_item(database, owner)
    order = await create_order(client, owner, [line(pizza)])
    other = await register(client)
    other_pizza = await create_menu_item(database, other)
    oid = order["id"]
    line_id = order["items"][0]["id"]
    attempts = [
        client.get(f"{ORDERS}/{oid}", headers=other.headers),
        client.patch(f"{ORDERS}/{oid}", headers=other.headers, json={"notes": "x"}),
        client.post(
            f"{ORDERS}/{oid}/items", headers=other.headers, json={"items": [line(other_pizza)]}
        ),
        client.patch(f"{ORDERS}/{oid}/items/{line_id}", headers=other.headers, json={}),
        client.delete(f"{ORDERS}/{oid}/items/{line_id}", headers=other.headers),
        client.post(f"{ORDERS}/{oid}/send", headers=other.headers),
        client.post(f"{ORDERS}/{oid}/complete", headers=other.headers),
        client.post(f"{ORDERS}/{oid}/cancel", headers=other.headers),
        client.put(f"{ORDERS}/{oid}/status", headers=other.headers, json={"status": "cancelled"}),
    ]
    for response in await asyncio.gather(*attempts):
        assert_error(response, 404, "NOT_FOUND")
    assert (await client.get(ORDERS, headers=other.headers)).json()["total"] == 0
    fetched = (await client.get(f"{ORDERS}/{oid}", headers=owner.headers)).json()
    assert fetched["status"] == "pending" and len(fetched["items"]) == 1


async def test_list_filters_search_and_sorting(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    cheap = await create_menu_item(database, owner, price="3.00")
    dear = await create_menu_item(database, owner, price="30.00")
    table = await create_table(database, owner)
    customer = await create_customer(database, owner)
    waiter = await add_user(client, owner, "wait_staff")
    a = await create_order(client, owner, [line(cheap)])
    b = await create_order(
        client, waiter, [line(dear)], order_type="dine_in", table_id=table, customer_id=customer
    )
    c = await create_order(client, owner, [line(cheap, 2)], order_type="delivery")
    await client.post(f"{ORDERS}/{c['id']}/cancel", headers=owner.headers)

    async def ids(**params: object) -> list[str]:
        response = await client.get(ORDERS, headers=owner.headers, params=params)
        assert response.status_code == 200, response.text
        return [o["id"] for o in response.json()["items"]]

    assert await ids() == [c["id"], b["id"], a["id"]]
    assert await ids(status=["pending"]) == [b["id"], a["id"]]
    assert await ids(status=["cancelled", "pending"], order_type="delivery") == [c["id"]]
    assert await ids(table_id=table) == [b["id"]]
    assert await ids(customer_id=customer) == [b["id"]]
    assert await ids(server_id=waiter.user_id) == [b["id"]]
    assert await ids(search=a["order_number"]) == [a["id"]]
    assert await ids(sort_by="total_amount", sort_order="asc") == [a["id"], c["id"], b["id"]]
    assert await ids(sort_by="order_number", sort_order="asc") == [a["id"], b["id"], c["id"]]
    day = a["business_date"]
    assert len(await ids(date_from=day, date_to=day)) == 3
    assert await ids(date_to="2000-01-01") == []
    bad = await client.get(ORDERS, headers=owner.headers, params={"sort_by": "price"})
    assert_error(bad, 422, "VALIDATION_ERROR")
    bad = await client.get(ORDERS, headers=owner.headers, params={"status": "eaten"})
    assert_error(bad, 422, "VALIDATION_ERROR")

    by_table = await client.get(f"{ORDERS}/table/{table}", headers=owner.headers)
    assert [o["id"] for o in by_table.json()["items"]] == [b["id"]]
    assert by_table.json()["total"] == 1
    by_customer = await client.get(f"{ORDERS}/customer/{customer}", headers=owner.headers)
    assert [o["id"] for o in by_customer.json()["items"]] == [b["id"]]
    for path in (f"{ORDERS}/table/{uuid.uuid4()}", f"{ORDERS}/customer/{uuid.uuid4()}"):
        assert_error(await client.get(path, headers=owner.headers), 404, "NOT_FOUND")

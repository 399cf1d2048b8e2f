"""Menu items: CRUD, computed margins, generated codes, duplicates, lists, roles, tenants."""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

import httpx
import pytest

from tableside.menu.codes import is_valid_ean13
from tests.factories import Account, add_user, assert_error, register
from tests.factories.menu import MENU, create_category, create_item


async def test_item_crud_and_margin(client: httpx.AsyncClient, owner: Account) -> None:
    pizza = await create_category(client, owner, "Pizza")
    created = await create_item(
        client,
        owner,
        "Margherita",
        "12.00",
        cost="4.75",
        description="Tomato, mozzarella, basil",
        category_id=pizza["id"],
        station="Pizza",
    )
    assert created["price"] == 12.00
    assert created["cost"] == 4.75
    assert created["margin"] == 7.25
    assert created["margin_percent"] == 60.42  # 7.25 / 12 = 60.4166…, half up
    assert created["category_id"] == pizza["id"]
    assert created["category_name"] == "Pizza"
    assert created["station"] == "pizza"
    assert created["stock"] is None
    assert created["is_active"] is True
    item_id = created["id"]

    fetched = await client.get(f"{MENU}/items/{item_id}", headers=owner.headers)
    assert fetched.status_code == 200
    assert fetched.json() == created | {"updated_at": fetched.json()["updated_at"]}

    patched = await client.patch(
        f"{MENU}/items/{item_id}",
        headers=owner.headers,
        json={"price": 13.5, "cost": None, "station": None},
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["price"] == 13.50
    assert body["cost"] is None
    assert body["margin"] is None
    assert body["margin_percent"] is None
    assert body["station"] is None
    assert body["name"] == "Margherita"

    put = await client.put(
        f"{MENU}/items/{item_id}", headers=owner.headers, json={"category_id": None}
    )
    assert put.status_code == 200
    assert put.json()["category_id"] is None
    assert put.json()["category_name"] is None

    deleted = await client.delete(f"{MENU}/items/{item_id}", headers=owner.headers)
    assert deleted.status_code == 204
    after = await client.get(f"{MENU}/items/{item_id}", headers=owner.headers)
    assert after.json()["is_active"] is False

    audit = await client.get(
        "/api/v1/audit-log", headers=owner.headers, params={"entity_type": "menu_item"}
    )
    actions = [entry["action"] for entry in audit.json()["items"]]
    assert actions == [
        "menu_item.deactivated",
        "menu_item.updated",
        "menu_item.updated",
        "menu_item.created",
    ]
    price_change = audit.json()["items"][2]["details"]
    assert price_change["before"]["price"] == "12.00"
    assert price_change["after"]["price"] == "13.50"


async def test_margin_edge_cases(client: httpx.AsyncClient, owner: Account) -> None:
    free = await create_item(client, owner, "Tap water", "0", cost="0.10")
    assert free["margin"] == -0.10
    assert free["margin_percent"] is None
    no_cost = await create_item(client, owner, "Special", "9.99")
    assert no_cost["margin"] is None
    third = await create_item(client, owner, "Third", "3.00", cost="2.00")
    assert third["margin_percent"] == 33.33
    half_up = await create_item(client, owner, "Half", "8.00", cost="7.99")
    assert half_up["margin_percent"] == 0.13  # 0.125 rounds half up


async def test_generated_sku_and_barcode(client: httpx.AsyncClient, owner: Account) -> None:
    pizza = await create_category(client, owner, "Pizza")
    first = await create_item(client, owner, "Margherita", category_id=pizza["id"])
    second = await create_item(client, owner, "Marinara", category_id=pizza["id"])
    loose = await create_item(client, owner, "Espresso")
    short = await create_item(client, owner, "7 Up")
    crème = await create_item(client, owner, "Crème brûlée")
    assert first["sku"] == "PIZ-0001"
    assert second["sku"] == "PIZ-0002"
    assert loose["sku"] == "ESP-0001"
    assert short["sku"] == "UPX-0001"
    assert crème["sku"] == "CRE-0001"
    barcodes = [item["barcode"] for item in (first, second, loose, short, crème)]
    assert len(set(barcodes)) == len(barcodes)
    for barcode in barcodes:
        assert re.fullmatch(r"2\d{12}", barcode)
        assert is_valid_ean13(barcode)

    # A hand-made SKU of the generated shape moves the sequence on.
    await create_item(client, owner, "Calzone", category_id=pizza["id"], sku="PIZ-0041")
    after = await create_item(client, owner, "Diavola", category_id=pizza["id"])
    assert after["sku"] == "PIZ-0042"

    # Another business starts its own sequence.
    stranger = await register(client)
    theirs = await create_item(client, stranger, "Espresso")
    assert theirs["sku"] == "ESP-0001"


async def test_concurrent_creates_get_distinct_generated_skus(
    client: httpx.AsyncClient, owner: Account
) -> None:
    responses = await asyncio.gather(
        *(
            client.post(
                f"{MENU}/items",
                headers=owner.headers,
                json={"name": f"Burger {n}", "price": "10"},
            )
            for n in range(6)
        )
    )
    assert [r.status_code for r in responses] == [201] * 6, [r.text for r in responses]
    skus = sorted(r.json()["sku"] for r in responses)
    assert skus == [f"BUR-{n:04d}" for n in range(1, 7)]


async def test_duplicate_sku_and_barcode(client: httpx.AsyncClient, owner: Account) -> None:
    await create_item(client, owner, "Cola", sku="COLA-330", barcode="5449000000996")
    dup_sku = await client.post(
        f"{MENU}/items",
        headers=owner.headers,
        json={"name": "Cola 2", "price": "2", "sku": "COLA-330"},
    )
    error = assert_error(dup_sku, 409, "DUPLICATE_ENTRY")
    assert error["details"] == [{"field": "sku", "message": "already exists"}]
    dup_barcode = await client.post(
        f"{MENU}/items",
        headers=owner.headers,
        json={"name": "Cola 3", "price": "2", "barcode": "5449000000996"},
    )
    error = assert_error(dup_barcode, 409, "DUPLICATE_ENTRY")
    assert error["details"][0]["field"] == "barcode"

    other = await create_item(client, owner, "Fanta")
    clash = await client.patch(
        f"{MENU}/items/{other['id']}", headers=owner.headers, json={"sku": "COLA-330"}
    )
    assert_error(clash, 409, "DUPLICATE_ENTRY")

    # The same codes are free in another business.
    stranger = await register(client)
    await create_item(client, stranger, "Cola", sku="COLA-330", barcode="5449000000996")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("price", "-1"),
        ("price", -0.01),
        ("price", "12.999"),
        ("price", 1.001),
        ("price", "twelve"),
        ("price", "NaN"),
        ("price", None),
        ("price", "12345678901"),
        ("cost", "-3"),
        ("cost", "1.234"),
        ("cost", "cheap"),
        ("name", ""),
        ("name", "x" * 201),
        ("stock", -1),
        ("stock", 1.5),
        ("station", "Grill Bar"),
        ("station", "x" * 41),
        ("sku", "has space"),
        ("barcode", "12 34"),
        ("is_active", "maybe"),
        ("category_id", "not-a-uuid"),
        ("unit_price", "1.00"),
    ],
)
async def test_item_rejects_bad_values(
    client: httpx.AsyncClient, owner: Account, field: str, value: object
) -> None:
    body: dict[str, Any] = {"name": "Dish", "price": "5.00", field: value}
    response = await client.post(f"{MENU}/items", headers=owner.headers, json=body)
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == field


async def test_item_requires_name_and_price(client: httpx.AsyncClient, owner: Account) -> None:
    response = await client.post(f"{MENU}/items", headers=owner.headers, json={})
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert {d["field"] for d in error["details"]} == {"name", "price"}


async def test_update_refuses_nulls_and_bad_values(
    client: httpx.AsyncClient, owner: Account
) -> None:
    item = await create_item(client, owner)
    for body in ({"price": None}, {"name": None}, {"sku": None}, {"price": "-2"}):
        response = await client.patch(
            f"{MENU}/items/{item['id']}", headers=owner.headers, json=body
        )
        error = assert_error(response, 422, "VALIDATION_ERROR")
        assert error["details"][0]["field"] == next(iter(body))


async def test_category_id_must_be_the_businesses(
    client: httpx.AsyncClient, owner: Account
) -> None:
    stranger = await register(client)
    theirs = await create_category(client, stranger, "Theirs")
    for category_id in (theirs["id"], str(uuid.uuid4())):
        response = await client.post(
            f"{MENU}/items",
            headers=owner.headers,
            json={"name": "Dish", "price": "5", "category_id": category_id},
        )
        error = assert_error(response, 422, "VALIDATION_ERROR")
        assert error["details"] == [
            {"field": "category_id", "message": "is not a category of this business"}
        ]
    item = await create_item(client, owner)
    patched = await client.patch(
        f"{MENU}/items/{item['id']}", headers=owner.headers, json={"category_id": theirs["id"]}
    )
    assert_error(patched, 422, "VALIDATION_ERROR")


async def test_item_of_another_business_is_not_found(
    client: httpx.AsyncClient, owner: Account
) -> None:
    stranger = await register(client)
    theirs = await create_item(client, stranger, "Secret recipe", stock=3)
    path = f"{MENU}/items/{theirs['id']}"
    assert_error(await client.get(path, headers=owner.headers), 404, "NOT_FOUND")
    assert_error(await client.get(f"{path}/detail", headers=owner.headers), 404, "NOT_FOUND")
    assert_error(
        await client.patch(path, headers=owner.headers, json={"price": "1"}), 404, "NOT_FOUND"
    )
    assert_error(
        await client.put(f"{path}/stock", headers=owner.headers, json={"adjust_by": -1}),
        404,
        "NOT_FOUND",
    )
    assert_error(
        await client.put(f"{path}/stock", headers=owner.headers, json={"stock": 9}),
        404,
        "NOT_FOUND",
    )
    assert_error(await client.delete(path, headers=owner.headers), 404, "NOT_FOUND")
    listed = await client.get(f"{MENU}/items", headers=owner.headers)
    assert listed.json()["total"] == 0
    still = await client.get(path, headers=stranger.headers)
    assert still.json()["stock"] == 3
    assert still.json()["price"] == 12.50


async def test_item_roles(client: httpx.AsyncClient, owner: Account) -> None:
    item = await create_item(client, owner, stock=4)
    viewer = await add_user(client, owner, "viewer")
    cashier = await add_user(client, owner, "cashier")
    kitchen = await add_user(client, owner, "kitchen_staff")
    manager = await add_user(client, owner, "manager")
    admin = await add_user(client, owner, "admin")
    path = f"{MENU}/items/{item['id']}"

    for reader in (viewer, cashier, kitchen):
        assert (await client.get(f"{MENU}/items", headers=reader.headers)).status_code == 200
        assert (await client.get(path, headers=reader.headers)).status_code == 200
        assert (await client.get(f"{path}/detail", headers=reader.headers)).status_code == 200
        assert_error(
            await client.post(
                f"{MENU}/items", headers=reader.headers, json={"name": "X", "price": "1"}
            ),
            403,
            "FORBIDDEN",
        )
        assert_error(
            await client.patch(path, headers=reader.headers, json={"price": "1"}),
            403,
            "FORBIDDEN",
        )
        assert_error(
            await client.put(f"{path}/stock", headers=reader.headers, json={"adjust_by": -1}),
            403,
            "FORBIDDEN",
        )
        assert_error(await client.delete(path, headers=reader.headers), 403, "FORBIDDEN")

    assert (
        await client.post(
            f"{MENU}/items", headers=manager.headers, json={"name": "By manager", "price": "1"}
        )
    ).status_code == 201
    assert (
        await client.patch(path, headers=manager.headers, json={"price": "2"})
    ).status_code == 200
    assert (
        await client.put(f"{path}/stock", headers=manager.headers, json={"adjust_by": -1})
    ).status_code == 200
    assert_error(await client.delete(path, headers=manager.headers), 403, "FORBIDDEN")
    assert (await client.delete(path, headers=admin.headers)).status_code == 204


async def _names(client: httpx.AsyncClient, owner: Account, **params: Any) -> list[str]:
    response = await client.get(f"{MENU}/items", headers=owner.headers, params=params)
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


async def test_item_list_search_filters_and_sorting(
    client: httpx.AsyncClient, owner: Account
) -> None:
    pizza = await create_category(client, owner, "Pizza")
    drinks = await create_category(client, owner, "Drinks")
    await create_item(
        client, owner, "Margherita", "11.00", category_id=pizza["id"], station="pizza"
    )
    await create_item(
        client,
        owner,
        "Diavola",
        "13.50",
        category_id=pizza["id"],
        station="pizza",
        description="Spicy salami",
    )
    await create_item(
        client,
        owner,
        "Cola",
        "2.50",
        category_id=drinks["id"],
        station=None,
        stock=0,
        sku="COLA-330",
        barcode="5449000000996",
    )
    await create_item(client, owner, "Lemonade", "3.00", category_id=drinks["id"], stock=12)
    old = await create_item(client, owner, "Old soda", "1.00", category_id=drinks["id"])
    await client.delete(f"{MENU}/items/{old['id']}", headers=owner.headers)

    assert await _names(client, owner) == ["Cola", "Diavola", "Lemonade", "Margherita"]
    assert await _names(client, owner, search="SPICY") == ["Diavola"]
    assert await _names(client, owner, search="cola-3") == ["Cola"]
    assert await _names(client, owner, search="54490000") == ["Cola"]
    assert await _names(client, owner, search="100%") == []
    assert await _names(client, owner, category_id=pizza["id"]) == ["Diavola", "Margherita"]
    assert await _names(client, owner, station="PIZZA") == ["Diavola", "Margherita"]
    assert await _names(client, owner, min_price=2.50, max_price="11") == [
        "Cola",
        "Lemonade",
        "Margherita",
    ]
    assert await _names(client, owner, in_stock="true") == ["Diavola", "Lemonade", "Margherita"]
    assert await _names(client, owner, in_stock="false") == ["Cola"]
    assert await _names(client, owner, include_inactive="true") == [
        "Cola",
        "Diavola",
        "Lemonade",
        "Margherita",
        "Old soda",
    ]
    assert await _names(client, owner, is_active="false") == ["Old soda"]
    assert await _names(client, owner, sort_by="price", sort_order="desc") == [
        "Diavola",
        "Margherita",
        "Lemonade",
        "Cola",
    ]
    assert (await _names(client, owner, sort_by="sku"))[0] == "Cola"
    assert len(await _names(client, owner, sort_by="created_at")) == 4

    page = await client.get(
        f"{MENU}/items", headers=owner.headers, params={"page_size": 3, "page": 2}
    )
    body = page.json()
    assert body["total"] == 4
    assert body["pages"] == 2
    assert body["has_previous"] is True
    assert body["has_next"] is False
    assert [i["name"] for i in body["items"]] == ["Margherita"]
    assert body["items"][0]["category_name"] == "Pizza"

    assert_error(
        await client.get(f"{MENU}/items", headers=owner.headers, params={"sort_by": "cost"}),
        422,
        "VALIDATION_ERROR",
    )
    assert_error(
        await client.get(f"{MENU}/items", headers=owner.headers, params={"min_price": "-1"}),
        422,
        "VALIDATION_ERROR",
    )

"""Menu categories: CRUD, unique names, soft delete, lists with item counts, roles, tenants."""

from __future__ import annotations

import uuid

import httpx

from tests.factories import Account, add_user, assert_error, register
from tests.factories.menu import MENU, create_category, create_item


async def test_category_crud(client: httpx.AsyncClient, owner: Account) -> None:
    created = await create_category(client, owner, "Pizza", description="Wood-fired", sort_order=2)
    assert created["name"] == "Pizza"
    assert created["description"] == "Wood-fired"
    assert created["sort_order"] == 2
    assert created["is_active"] is True
    assert created["item_count"] == 0
    category_id = created["id"]

    fetched = await client.get(f"{MENU}/categories/{category_id}", headers=owner.headers)
    assert fetched.status_code == 200
    assert fetched.json()["name"] == "Pizza"

    patched = await client.patch(
        f"{MENU}/categories/{category_id}",
        headers=owner.headers,
        json={"name": "Pizzas", "sort_order": 5},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["name"] == "Pizzas"
    assert patched.json()["description"] == "Wood-fired"

    put = await client.put(
        f"{MENU}/categories/{category_id}", headers=owner.headers, json={"description": None}
    )
    assert put.status_code == 200
    assert put.json()["description"] is None
    assert put.json()["sort_order"] == 5

    deleted = await client.delete(f"{MENU}/categories/{category_id}", headers=owner.headers)
    assert deleted.status_code == 204
    again = await client.get(f"{MENU}/categories/{category_id}", headers=owner.headers)
    assert again.json()["is_active"] is False
    listed = await client.get(f"{MENU}/categories", headers=owner.headers)
    assert category_id not in [c["id"] for c in listed.json()["items"]]
    with_inactive = await client.get(
        f"{MENU}/categories", headers=owner.headers, params={"include_inactive": "true"}
    )
    assert category_id in [c["id"] for c in with_inactive.json()["items"]]
    # Deleting twice is harmless.
    assert (
        await client.delete(f"{MENU}/categories/{category_id}", headers=owner.headers)
    ).status_code == 204


async def test_category_names_are_unique_per_business(
    client: httpx.AsyncClient, owner: Account
) -> None:
    await create_category(client, owner, "Drinks")
    duplicate = await client.post(
        f"{MENU}/categories", headers=owner.headers, json={"name": "drinks"}
    )
    error = assert_error(duplicate, 409, "DUPLICATE_ENTRY")
    assert error["details"][0]["field"] == "name"

    other = await create_category(client, owner, "Desserts")
    renamed = await client.patch(
        f"{MENU}/categories/{other['id']}", headers=owner.headers, json={"name": "DRINKS"}
    )
    assert_error(renamed, 409, "DUPLICATE_ENTRY")

    # Another business may use the same name.
    stranger = await register(client)
    await create_category(client, stranger, "Drinks")


async def test_category_list_search_sort_and_item_counts(
    client: httpx.AsyncClient, owner: Account
) -> None:
    starters = await create_category(client, owner, "Starters", sort_order=1)
    mains = await create_category(client, owner, "Mains", sort_order=2)
    await create_category(client, owner, "Desserts", sort_order=3, description="Sweet things")
    await create_item(client, owner, "Soup", category_id=starters["id"])
    await create_item(client, owner, "Bruschetta", category_id=starters["id"])
    retired = await create_item(client, owner, "Old starter", category_id=starters["id"])
    await client.delete(f"{MENU}/items/{retired['id']}", headers=owner.headers)
    await create_item(client, owner, "Steak", category_id=mains["id"])

    default = await client.get(f"{MENU}/categories", headers=owner.headers)
    body = default.json()
    assert [c["name"] for c in body["items"]] == ["Starters", "Mains", "Desserts"]
    assert body["total"] == 3
    counts = {c["name"]: c["item_count"] for c in body["items"]}
    assert counts == {"Starters": 2, "Mains": 1, "Desserts": 0}

    by_name = await client.get(
        f"{MENU}/categories",
        headers=owner.headers,
        params={"sort_by": "name", "sort_order": "desc"},
    )
    assert [c["name"] for c in by_name.json()["items"]] == ["Starters", "Mains", "Desserts"]
    by_name_asc = await client.get(
        f"{MENU}/categories", headers=owner.headers, params={"sort_by": "name"}
    )
    assert [c["name"] for c in by_name_asc.json()["items"]] == ["Desserts", "Mains", "Starters"]

    searched = await client.get(
        f"{MENU}/categories", headers=owner.headers, params={"search": "sweet"}
    )
    assert [c["name"] for c in searched.json()["items"]] == ["Desserts"]

    single = await client.get(f"{MENU}/categories/{starters['id']}", headers=owner.headers)
    assert single.json()["item_count"] == 2

    bad_sort = await client.get(
        f"{MENU}/categories", headers=owner.headers, params={"sort_by": "price"}
    )
    assert_error(bad_sort, 422, "VALIDATION_ERROR")


async def test_category_validation(client: httpx.AsyncClient, owner: Account) -> None:
    for body in ({}, {"name": ""}, {"name": "   "}, {"name": "x" * 121}, {"name": "A", "x": 1}):
        response = await client.post(f"{MENU}/categories", headers=owner.headers, json=body)
        assert_error(response, 422, "VALIDATION_ERROR")
    category = await create_category(client, owner)
    null_name = await client.patch(
        f"{MENU}/categories/{category['id']}", headers=owner.headers, json={"name": None}
    )
    error = assert_error(null_name, 422, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "name"


async def test_category_roles(client: httpx.AsyncClient, owner: Account) -> None:
    category = await create_category(client, owner)
    viewer = await add_user(client, owner, "viewer")
    cashier = await add_user(client, owner, "cashier")
    manager = await add_user(client, owner, "manager")
    admin = await add_user(client, owner, "admin")

    for reader in (viewer, cashier):
        listed = await client.get(f"{MENU}/categories", headers=reader.headers)
        assert listed.status_code == 200
        create = await client.post(
            f"{MENU}/categories", headers=reader.headers, json={"name": f"By {reader.role}"}
        )
        assert_error(create, 403, "FORBIDDEN")

    assert (
        await client.post(f"{MENU}/categories", headers=manager.headers, json={"name": "Mgr"})
    ).status_code == 201
    assert_error(
        await client.delete(f"{MENU}/categories/{category['id']}", headers=manager.headers),
        403,
        "FORBIDDEN",
    )
    assert (
        await client.delete(f"{MENU}/categories/{category['id']}", headers=admin.headers)
    ).status_code == 204


async def test_category_of_another_business_is_not_found(
    client: httpx.AsyncClient, owner: Account
) -> None:
    stranger = await register(client)
    theirs = await create_category(client, stranger, "Theirs")
    path = f"{MENU}/categories/{theirs['id']}"
    assert_error(await client.get(path, headers=owner.headers), 404, "NOT_FOUND")
    assert_error(
        await client.patch(path, headers=owner.headers, json={"name": "Mine"}), 404, "NOT_FOUND"
    )
    assert_error(await client.delete(path, headers=owner.headers), 404, "NOT_FOUND")
    assert_error(
        await client.get(f"{MENU}/categories/{uuid.uuid4()}", headers=owner.headers),
        404,
        "NOT_FOUND",
    )
    listed = await client.get(f"{MENU}/categories", headers=owner.headers)
    assert listed.json()["total"] == 0

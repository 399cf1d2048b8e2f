"""Forecast definitions: create, list, get, update, delete, validation and access."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tableside.db.database import Database
from tests.factories import add_user, assert_error
from tests.factories.ledger import create_shop
from tests.forecasting.conftest import FORECASTS, Bistro


@pytest.fixture
async def shop_bistro(client: httpx.AsyncClient, database: Database) -> Bistro:
    """A shop without sales: definitions need none."""
    return Bistro(shop=await create_shop(client, database, timezone="UTC"), client=client)


async def test_create_get_list_update_delete(
    shop_bistro: Bistro, client: httpx.AsyncClient
) -> None:
    bistro = shop_bistro
    created = await bistro.create(
        name="Pizza demand",
        target="item_units",
        scope="item",
        item_skus=["PIZ"],
        item_ids=[bistro.item("PAS")],
        location_id=bistro.location("Main"),
        method="ETS",
        levels=[95, 80],
    )
    assert created["method"] == "exp_smoothing"  # the alias, resolved
    assert created["levels"] == [80, 95]
    assert created["horizon"] == 28 and created["granularity"] == "day"
    assert set(created["item_ids"]) == {bistro.item("PIZ"), bistro.item("PAS")}
    assert created["origin"] == "api" and created["last_trained_at"] is None
    assert created["created_by"] == bistro.owner.user_id

    await bistro.create(name="Covers by the hour", target="covers", scope="location",
                        granularity="hour", horizon=48, method="seasonal_naive")  # fmt: skip
    forecast_id = created["id"]
    got = await client.get(f"{FORECASTS}/{forecast_id}", headers=bistro.owner.headers)
    assert got.status_code == 200 and got.json() == created

    listing = await client.get(FORECASTS, headers=bistro.owner.headers)
    body = listing.json()
    assert body["total"] == 2 and body["page"] == 1 and body["pages"] == 1
    filtered = await client.get(
        FORECASTS, headers=bistro.owner.headers, params={"target": "covers"}
    )
    assert [f["name"] for f in filtered.json()["items"]] == ["Covers by the hour"]
    by_method = await client.get(FORECASTS, headers=bistro.owner.headers, params={"method": "ets"})
    assert [f["id"] for f in by_method.json()["items"]] == [forecast_id]

    patched = await client.patch(
        f"{FORECASTS}/{forecast_id}",
        headers=bistro.owner.headers,
        json={"horizon": 14, "is_active": False, "item_skus": ["TIR"]},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["horizon"] == 14 and patched.json()["is_active"] is False
    assert patched.json()["item_ids"] == [bistro.item("TIR")]
    put = await client.put(
        f"{FORECASTS}/{forecast_id}", headers=bistro.owner.headers, json={"method": "theta"}
    )
    assert put.status_code == 200 and put.json()["method"] == "theta"
    inactive = await client.get(
        FORECASTS, headers=bistro.owner.headers, params={"is_active": "false"}
    )
    assert [f["id"] for f in inactive.json()["items"]] == [forecast_id]

    deleted = await client.delete(f"{FORECASTS}/{forecast_id}", headers=bistro.owner.headers)
    assert deleted.status_code == 204
    gone = await client.get(f"{FORECASTS}/{forecast_id}", headers=bistro.owner.headers)
    assert_error(gone, 404, "NOT_FOUND")


async def test_validation(shop_bistro: Bistro, client: httpx.AsyncClient) -> None:
    bistro = shop_bistro
    headers = bistro.owner.headers

    async def post(**body: object) -> httpx.Response:
        payload = {
            "name": f"F {uuid.uuid4().hex[:6]}",
            "target": "revenue",
            "method": "seasonal_naive",
        } | body
        return await client.post(FORECASTS, headers=headers, json=payload)

    error = assert_error(await post(method="crystal_ball"), 422, "UNKNOWN_METHOD")
    assert error["details"][0]["field"] == "method"
    error = assert_error(await post(horizon=366), 422, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "horizon"
    assert_error(await post(granularity="hour", horizon=337, scope="location"), 422,
                 "VALIDATION_ERROR")  # fmt: skip
    assert (await post(granularity="month", horizon=36)).status_code == 201
    assert_error(await post(levels=[0]), 422, "VALIDATION_ERROR")
    assert_error(await post(levels=[100]), 422, "VALIDATION_ERROR")
    assert_error(await post(levels=[80, 80]), 422, "VALIDATION_ERROR")
    # Scope and ids must agree.
    assert_error(await post(scope="category"), 422, "VALIDATION_ERROR")
    assert_error(await post(scope="business", item_skus=["PIZ"]), 422, "VALIDATION_ERROR")
    assert_error(await post(scope="business", location_id=bistro.location("Main")), 422,
                 "VALIDATION_ERROR")  # fmt: skip
    assert_error(await post(target="covers", scope="item"), 422, "VALIDATION_ERROR")
    assert_error(await post(scope="item", granularity="hour"), 422, "VALIDATION_ERROR")
    error = assert_error(await post(scope="item", item_skus=["NOPE"]), 422, "VALIDATION_ERROR")
    assert "NOPE" in error["details"][0]["message"]
    # Duplicate names are refused.
    await bistro.create(name="Only once")
    assert_error(await post(name="Only once"), 409, "DUPLICATE_ENTRY")


async def test_other_business_ids(
    shop_bistro: Bistro, client: httpx.AsyncClient, database: Database
) -> None:
    mine = await shop_bistro.create(name="Mine")
    other = Bistro(shop=await create_shop(client, database), client=client)
    headers = other.owner.headers
    for method in ("GET", "PATCH", "DELETE"):
        response = await client.request(
            method, f"{FORECASTS}/{mine['id']}", headers=headers,
            json={"horizon": 7} if method == "PATCH" else None,
        )  # fmt: skip
        assert_error(response, 404, "NOT_FOUND")
    for path in ("predict", "retrain"):
        response = await client.post(f"{FORECASTS}/{mine['id']}/{path}", headers=headers, json={})
        assert_error(response, 404, "NOT_FOUND")
    for path in ("runs", "accuracy", "feature-importance"):
        response = await client.get(f"{FORECASTS}/{mine['id']}/{path}", headers=headers)
        assert_error(response, 404, "NOT_FOUND")
    # The first business's item, location and category are unknown to the second.
    response = await client.post(
        FORECASTS,
        headers=headers,
        json={"name": "Theirs", "target": "item_units", "scope": "item",
              "item_ids": [shop_bistro.item("PIZ")]},
    )  # fmt: skip
    assert_error(response, 422, "VALIDATION_ERROR")
    response = await client.post(
        FORECASTS, headers=headers,
        json={"name": "Theirs", "target": "revenue", "scope": "location",
              "location_id": shop_bistro.location("Main")},
    )  # fmt: skip
    assert_error(response, 422, "VALIDATION_ERROR")
    assert (await client.get(FORECASTS, headers=headers)).json()["total"] == 0


async def test_roles(shop_bistro: Bistro, client: httpx.AsyncClient) -> None:
    owner = shop_bistro.owner
    forecast = await shop_bistro.create(name="Roles")
    path = f"{FORECASTS}/{forecast['id']}"
    for role in ("cashier", "wait_staff", "kitchen_staff"):
        account = await add_user(client, owner, role)
        assert_error(await client.get(FORECASTS, headers=account.headers), 403, "FORBIDDEN")
        assert_error(await client.get(path, headers=account.headers), 403, "FORBIDDEN")
    viewer = await add_user(client, owner, "viewer")
    assert (await client.get(path, headers=viewer.headers)).status_code == 200
    assert (await client.get(f"{FORECASTS}/models", headers=viewer.headers)).status_code == 200
    body = {"name": "Viewer's", "target": "revenue", "method": "seasonal_naive"}
    assert_error(await client.post(FORECASTS, headers=viewer.headers, json=body), 403, "FORBIDDEN")
    assert_error(await client.post(f"{path}/retrain", headers=viewer.headers), 403, "FORBIDDEN")
    manager = await add_user(client, owner, "manager")
    created = await client.post(FORECASTS, headers=manager.headers, json=body)
    assert created.status_code == 201
    assert_error(await client.delete(path, headers=manager.headers), 403, "FORBIDDEN")
    admin = await add_user(client, owner, "admin")
    assert (await client.delete(path, headers=admin.headers)).status_code == 204


async def test_items_outside_the_category_are_refused(
    shop_bistro: Bistro, client: httpx.AsyncClient
) -> None:
    """An item forecast narrowed to a category reads only that category's sales: an item of
    another category named with it would never have a series, so it is refused on save
    rather than forecast as 'no sales in the history'."""
    headers = shop_bistro.owner.headers
    drinks = await client.post("/api/v1/menu/categories", headers=headers, json={"name": "Drinks"})
    assert drinks.status_code == 201, drinks.text
    food = str(shop_bistro.shop.categories["Food"])
    body = {"name": "Mixed", "target": "item_units", "scope": "item", "method": "seasonal_naive",
            "category_id": drinks.json()["id"]}  # fmt: skip
    for named in ({"item_skus": ["PIZ"]}, {"item_ids": [shop_bistro.item("PIZ")]}):
        error = assert_error(
            await client.post(FORECASTS, headers=headers, json=body | named), 422,
            "VALIDATION_ERROR",
        )  # fmt: skip
        assert (
            "PIZ" in error["details"][0]["message"]
            or shop_bistro.item("PIZ") in (error["details"][0]["message"])
        )
    in_food = body | {"category_id": food, "item_skus": ["PIZ"]}
    created = await client.post(FORECASTS, headers=headers, json=in_food)
    assert created.status_code == 201, created.text
    # Changing the category under the items is refused too.
    moved = await client.patch(f"{FORECASTS}/{created.json()['id']}", headers=headers,
                               json={"category_id": drinks.json()["id"]})  # fmt: skip
    assert_error(moved, 422, "VALIDATION_ERROR")


async def test_a_new_granularity_alone_keeps_the_span_of_the_horizon(
    shop_bistro: Bistro, client: httpx.AsyncClient
) -> None:
    """PATCHing only the granularity converts the horizon to cover at least the same span
    (rounded up, capped at the new granularity's maximum): a week by the hour is 7 days, not
    168 of them. A horizon sent with it is taken as it is."""
    headers = shop_bistro.owner.headers
    created = await shop_bistro.create(scope="location", granularity="hour", horizon=168)
    path = f"{FORECASTS}/{created['id']}"

    async def patch(**body: object) -> dict[str, object]:
        response = await client.patch(path, headers=headers, json=body)
        assert response.status_code == 200, response.text
        return dict(response.json())

    steps = [
        ("day", 7),  # 168 hours: a week
        ("hour", 168),  # and back
        ("week", 1),  # a week of hours is one week
        ("day", 7),
        ("month", 1),  # 7 days fit in one month
        ("week", 5),  # a month (30.4 days on average) needs 5 weeks
        ("month", 2),  # 35 days are more than one month
        ("day", 61),  # two average months are 60.9 days
        ("hour", 336),  # 1,464 hours, capped at the hourly maximum (14 days)
        ("day", 14),
    ]
    for granularity, horizon in steps:
        patched = await patch(granularity=granularity)
        assert (patched["granularity"], patched["horizon"]) == (granularity, horizon)

    assert (await patch(granularity="month", horizon=3))["horizon"] == 3
    # Three months are 91.3 days on average: 13 weeks (91 days) fall just short.
    assert (await patch(granularity="week"))["horizon"] == 14
    # The same granularity sent again changes nothing.
    assert (await patch(granularity="week"))["horizon"] == 14
    # A horizon sent with the granularity wins.
    explicit = await patch(granularity="day", horizon=10)
    assert (explicit["granularity"], explicit["horizon"]) == ("day", 10)

"""Stock: set, atomic adjustments, the negative-stock setting and concurrent decrements."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.factories import Account, assert_error
from tests.factories.menu import MENU, create_item


async def _stock(
    client: httpx.AsyncClient, owner: Account, item_id: str, body: object
) -> httpx.Response:
    return await client.put(f"{MENU}/items/{item_id}/stock", headers=owner.headers, json=body)


async def test_set_and_adjust_stock(client: httpx.AsyncClient, owner: Account) -> None:
    item = await create_item(client, owner, "Bottled water", "1.50", stock=10)
    assert item["stock"] == 10

    adjusted = await _stock(client, owner, item["id"], {"adjust_by": -3})
    assert adjusted.status_code == 200, adjusted.text
    assert adjusted.json()["stock"] == 7
    assert (await _stock(client, owner, item["id"], {"adjust_by": 5})).json()["stock"] == 12
    assert (await _stock(client, owner, item["id"], {"stock": 2})).json()["stock"] == 2

    too_many = await _stock(client, owner, item["id"], {"adjust_by": -3})
    error = assert_error(too_many, 409, "INVALID_STATE")
    assert error["details"][0]["field"] == "adjust_by"
    assert (await client.get(f"{MENU}/items/{item['id']}", headers=owner.headers)).json()[
        "stock"
    ] == 2
    assert (await _stock(client, owner, item["id"], {"adjust_by": -2})).json()["stock"] == 0

    # null: stop counting (made to order); adjusting it then is refused.
    made_to_order = await _stock(client, owner, item["id"], {"stock": None})
    assert made_to_order.json()["stock"] is None
    refused = await _stock(client, owner, item["id"], {"adjust_by": 1})
    assert_error(refused, 409, "INVALID_STATE")

    audit = await client.get(
        "/api/v1/audit-log", headers=owner.headers, params={"action": "menu_item.stock_adjusted"}
    )
    assert [entry["details"]["adjust_by"] for entry in audit.json()["items"]] == [-2, 5, -3]


async def test_made_to_order_item_cannot_be_adjusted(
    client: httpx.AsyncClient, owner: Account
) -> None:
    dish = await create_item(client, owner, "Lasagne")
    assert dish["stock"] is None
    error = assert_error(
        await _stock(client, owner, dish["id"], {"adjust_by": -1}), 409, "INVALID_STATE"
    )
    assert "made to order" in error["message"]
    counted = await _stock(client, owner, dish["id"], {"stock": 4})
    assert counted.json()["stock"] == 4


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"stock": 1, "adjust_by": 1},
        {"adjust_by": 0},
        {"adjust_by": None},
        {"adjust_by": 1.5},
        {"adjust_by": "lots"},
        {"stock": -1},
        {"stock": "many"},
        {"quantity": 3},
    ],
)
async def test_stock_rejects_bad_bodies(
    client: httpx.AsyncClient, owner: Account, body: dict[str, object]
) -> None:
    item = await create_item(client, owner, stock=5)
    assert_error(await _stock(client, owner, item["id"], body), 422, "VALIDATION_ERROR")


async def test_negative_stock_when_the_business_allows_it(
    client: httpx.AsyncClient, owner: Account
) -> None:
    item = await create_item(client, owner, "Croissant", "2.20", stock=1)
    assert_error(await _stock(client, owner, item["id"], {"adjust_by": -2}), 409, "INVALID_STATE")
    enabled = await client.put(
        "/api/v1/business", headers=owner.headers, json={"allow_negative_stock": True}
    )
    assert enabled.status_code == 200, enabled.text
    oversold = await _stock(client, owner, item["id"], {"adjust_by": -2})
    assert oversold.status_code == 200, oversold.text
    assert oversold.json()["stock"] == -1


async def test_concurrent_decrements_never_oversell(
    client: httpx.AsyncClient, owner: Account
) -> None:
    item = await create_item(client, owner, "Last slices", "3.00", stock=5)
    responses = await asyncio.gather(
        *(_stock(client, owner, item["id"], {"adjust_by": -1}) for _ in range(10))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 5 + [409] * 5, [r.text for r in responses]
    for response in responses:
        if response.status_code == 409:
            assert response.json()["error"]["code"] == "INVALID_STATE"
    assert sorted(r.json()["stock"] for r in responses if r.status_code == 200) == [0, 1, 2, 3, 4]
    final = await client.get(f"{MENU}/items/{item['id']}", headers=owner.headers)
    assert final.json()["stock"] == 0


async def test_concurrent_mixed_adjustments_add_up(
    client: httpx.AsyncClient, owner: Account
) -> None:
    item = await create_item(client, owner, "Beans", "4.00", stock=50)
    deltas = [-3, 7, -1, -10, 4, 2, -5, 1]
    responses = await asyncio.gather(
        *(_stock(client, owner, item["id"], {"adjust_by": d}) for d in deltas)
    )
    assert all(r.status_code == 200 for r in responses)
    final = await client.get(f"{MENU}/items/{item['id']}", headers=owner.headers)
    assert final.json()["stock"] == 50 + sum(deltas)

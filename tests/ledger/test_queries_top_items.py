"""GET /api/v1/sales/top-items: items ranked by revenue or units, with their revenue share."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest

from tableside.db.database import Database
from tests.factories import Account, assert_error, money
from tests.factories.ledger_queries import (
    Shop,
    create_item,
    get,
    get_ok,
    ledger_business,
    record,
    sale,
    shop,
)

D = Decimal


async def shop_with_water(client: httpx.AsyncClient, database: Database) -> tuple[Shop, str]:
    """The fortnight of `shop` plus a tea at the airport and ten cheap waters downtown."""
    s = await shop(client, database)
    water = (await create_item(database, s.owner, name="Water")).id
    await record(
        database,
        s.owner,
        [
            sale(datetime(2026, 6, 5, 12, tzinfo=UTC), "4.00", item=s.tea, category=s.drinks,
                 location=s.airport),
            sale(datetime(2026, 6, 6, 12, tzinfo=UTC), "5.00", quantity="10", item=water,
                 location=s.downtown, cost="2.00"),
        ],
    )  # fmt: skip
    return s, water


async def test_ranked_by_revenue_and_by_quantity(
    client: httpx.AsyncClient, database: Database
) -> None:
    s, water = await shop_with_water(client, database)
    body = await get_ok(client, s.owner, "top-items", date_from="2026-06-01", date_to="2026-06-14")
    assert body["order_by"] == "revenue" and body["currency"] == "USD"
    assert money(body["total_revenue"]) == D("56.00")
    ranked = [
        (i["rank"], i["name"], money(i["revenue"]), money(i["quantity"]),
         money(i["revenue_share_percent"]))
        for i in body["items"]
    ]  # fmt: skip
    assert ranked == [
        (1, "Burger", D("36.00"), D("3"), D("64.29")),
        (2, "Tea", D("7.00"), D("2"), D("12.50")),
        (3, "Water", D("5.00"), D("10"), D("8.93")),
        (4, "Coffee", D("3.00"), D("1"), D("5.36")),
    ]
    burger = body["items"][0]
    assert burger["menu_item_id"] == s.burger
    assert burger["category_id"] == s.food and burger["category"] == "Food"
    assert burger["sku"].startswith("SKU-") and burger["transactions"] == 2
    assert money(body["items"][2]["cost"]) == D("2.00")
    # The coffee refund took back its one line.
    assert body["items"][3]["transactions"] == 0

    by_units = await get_ok(
        client,
        s.owner,
        "top-items",
        date_from="2026-06-01",
        date_to="2026-06-14",
        order_by="quantity",
        limit=2,
    )
    assert [(i["rank"], i["menu_item_id"]) for i in by_units["items"]] == [
        (1, water),
        (2, s.burger),
    ]


async def test_one_location_and_empty_ranges(client: httpx.AsyncClient, database: Database) -> None:
    s, _ = await shop_with_water(client, database)
    airport = await get_ok(
        client,
        s.owner,
        "top-items",
        date_from="2026-06-01",
        date_to="2026-06-14",
        location_id=s.airport,
    )
    assert [(i["name"], money(i["revenue_share_percent"])) for i in airport["items"]] == [
        ("Tea", D("100.00"))
    ]
    empty = await get_ok(client, s.owner, "top-items", date_from="2026-07-01", date_to="2026-07-31")
    assert empty["items"] == [] and money(empty["total_revenue"]) == 0
    other = await ledger_business(client)
    assert (await get_ok(client, other, "top-items", date_from="2026-06-01"))["items"] == []


async def test_share_is_null_when_revenue_nets_to_zero(
    client: httpx.AsyncClient, database: Database
) -> None:
    owner = await ledger_business(client, timezone="UTC", cutoff_hour=0)
    item = (await create_item(database, owner, name="Comp")).id
    await record(database, owner, [sale(datetime(2026, 6, 1, 12, tzinfo=UTC), "0.00", item=item)])
    body = await get_ok(client, owner, "top-items", date_from="2026-06-01", date_to="2026-06-01")
    assert body["items"][0]["revenue_share_percent"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"order_by": "cost"}, "order_by"),
        ({"date_from": "2026-06-02", "date_to": "2026-06-01"}, "date_to"),
        ({"location_id": "6b0c4d4e-0000-4000-8000-000000000000"}, "location_id"),
        ({"date_from": "9999-12-31"}, "date_from"),
    ],
)
async def test_bad_parameters(
    client: httpx.AsyncClient, owner: Account, params: dict[str, str], field: str
) -> None:
    error = assert_error(await get(client, owner, "top-items", **params), 422, "VALIDATION_ERROR")
    assert field in [detail["field"] for detail in error["details"]], error

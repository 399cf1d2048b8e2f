"""Item performance, against numbers worked out by hand.

Period 2026-03-01..03-10 (10 days), previous period 2026-02-19..02-28.

    Margherita (A, cost 4, Pizza)  now: 2+1-1 = 2 units, 24+12-12 = 24.00, cost 8.00
                                   before: 1 unit, 12.00
    Tiramisu   (B, no cost)        now: 1 unit, 6.00       before: 2 units, 12.00
    Lemonade   (C, menu cost 0)    now: nothing            before: 2 units, 5.00
    Espresso   (D, cost 0.50)      now: 3 units, 7.50, cost 1.50    before: nothing

Items' revenue now 37.50: shares A 64.00, D 20.00, B 16.00, C 0.00; ranks A, D, B, C.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from tableside.db.database import Database
from tests.factories import Account, assert_error, money
from tests.factories.analytics import (
    Sold,
    daily_import,
    menu_category,
    menu_item,
    ok,
    record,
    refund,
    sale,
)

PERIOD = {"date_from": "2026-03-01", "date_to": "2026-03-10"}


async def _menu_and_sales(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> dict[str, Any]:
    pizza = await menu_category(client, owner, "Pizza")
    dessert = await menu_category(client, owner, "Dessert")
    a = await menu_item(
        client, owner, "Margherita", "12.00", cost="4.00", sku="PZ-MAR", category_id=pizza
    )
    b = await menu_item(client, owner, "Tiramisu", "6.00", category_id=dessert)
    c = await menu_item(client, owner, "Lemonade", "2.50", cost="0.00")
    d = await menu_item(client, owner, "Espresso", "2.50", cost="0.50")
    await record(
        database,
        owner,
        # The period.
        sale(date(2026, 3, 2), [Sold(a, 2, "24.00", "8.00"), Sold(b, 1, "6.00")]),
        sale(date(2026, 3, 5), [Sold(a, 1, "12.00", "4.00"), Sold(d, 3, "7.50", "1.50")]),
        refund(date(2026, 3, 6), Sold(a, 1, "12.00", "4.00")),
        daily_import(date(2026, 3, 3), "100.00"),  # no item: not in item performance
        # The previous period (C's lines carry no cost; its menu cost is 0).
        sale(date(2026, 2, 20), [Sold(a, 1, "12.00", "4.00"), Sold(c, 2, "5.00")]),
        sale(date(2026, 2, 25), [Sold(b, 2, "12.00")]),
        # Outside both.
        sale(date(2026, 3, 11), [Sold(a, 5, "60.00", "20.00")]),
        sale(date(2026, 2, 18), [Sold(b, 5, "30.00")]),
    )
    return {"a": str(a), "b": str(b), "c": str(c), "d": str(d), "pizza": pizza}


def _by_name(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in body["items"]}


async def test_item_performance_figures(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    ids = await _menu_and_sales(client, owner, database)
    body = await ok(client, owner, "items", **PERIOD)
    assert body["period"] == {
        "date_from": "2026-03-01",
        "date_to": "2026-03-10",
        "days": 10,
        "through": None,  # long past: every sale of the days counts
        "partial": False,
    }
    assert body["previous_period"] == {
        "date_from": "2026-02-19",
        "date_to": "2026-02-28",
        "days": 10,
        "through": None,
        "partial": False,
    }
    assert [item["name"] for item in body["items"]] == [
        "Margherita",
        "Espresso",
        "Tiramisu",
        "Lemonade",
    ]
    assert [item["rank"] for item in body["items"]] == [1, 2, 3, 4]
    assert (body["total"], body["pages"], body["has_next"]) == (4, 1, False)
    items = _by_name(body)

    a = items["Margherita"]
    assert a["menu_item_id"] == ids["a"]
    assert (a["sku"], a["category_id"], a["category_name"]) == ("PZ-MAR", ids["pizza"], "Pizza")
    assert money(a["quantity"]) == 2
    assert money(a["revenue"]) == money("24.00")  # the refund took back 12.00
    assert money(a["cost"]) == money("8.00")
    assert money(a["gross_margin"]) == money("16.00")
    assert money(a["margin_percent"]) == money("66.67")  # 16 / 24
    assert money(a["revenue_share_percent"]) == money("64.00")  # 24 / 37.50
    assert money(a["average_price"]) == money("12.00")
    assert money(a["previous_quantity"]) == 1
    assert money(a["previous_revenue"]) == money("12.00")
    assert money(a["revenue_growth_percent"]) == 100
    assert money(a["quantity_growth_percent"]) == 100
    assert money(a["uncosted_revenue"]) == 0

    b = items["Tiramisu"]  # no cost anywhere: cost and margins unknown
    assert (b["cost"], b["gross_margin"], b["margin_percent"]) == (None, None, None)
    assert money(b["uncosted_revenue"]) == money("6.00")
    assert money(b["revenue_growth_percent"]) == -50  # 6 against 12
    assert money(b["quantity_growth_percent"]) == -50  # 1 against 2
    assert money(b["revenue_share_percent"]) == 16

    c = items["Lemonade"]  # sold only before: listed, at zero, with a known zero cost
    assert money(c["quantity"]) == 0 and money(c["revenue"]) == 0
    assert money(c["cost"]) == 0 and money(c["gross_margin"]) == 0
    assert c["margin_percent"] is None  # 0 / 0
    assert c["average_price"] is None  # no units
    assert money(c["revenue_share_percent"]) == 0
    assert money(c["revenue_growth_percent"]) == -100
    assert money(c["quantity_growth_percent"]) == -100

    d = items["Espresso"]  # new this period: no growth figure
    assert (d["revenue_growth_percent"], d["quantity_growth_percent"]) == (None, None)
    assert money(d["margin_percent"]) == 80  # 6.00 / 7.50
    assert money(d["average_price"]) == money("2.50")

    summary = body["summary"]
    assert summary["item_count"] == 4
    assert money(summary["total_quantity"]) == 6
    assert money(summary["total_revenue"]) == money("37.50")
    # Costed items A, D and C: revenue 31.50, cost 9.50.
    assert money(summary["total_cost"]) == money("9.50")
    assert money(summary["gross_margin"]) == money("22.00")
    assert money(summary["margin_percent"]) == money("69.84")  # 22 / 31.50
    assert money(summary["uncosted_revenue"]) == money("6.00")  # B's
    assert money(summary["previous_revenue"]) == money("29.00")
    assert money(summary["revenue_growth_percent"]) == money("29.31")  # 8.50 / 29


async def test_item_sorting_filters_and_pages(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    ids = await _menu_and_sales(client, owner, database)

    async def names(**params: Any) -> list[str]:
        body = await ok(client, owner, "items", **PERIOD, **params)
        return [item["name"] for item in body["items"]]

    assert await names(sort_by="quantity") == ["Espresso", "Margherita", "Tiramisu", "Lemonade"]
    # Items without a margin or a growth figure go last, whatever the order.
    assert await names(sort_by="margin") == ["Margherita", "Espresso", "Lemonade", "Tiramisu"]
    assert await names(sort_by="margin_percent") == [
        "Espresso",
        "Margherita",
        "Tiramisu",
        "Lemonade",
    ]
    assert await names(sort_by="growth") == ["Margherita", "Tiramisu", "Lemonade", "Espresso"]
    assert await names(sort_by="growth", sort_order="asc") == [
        "Lemonade",
        "Tiramisu",
        "Margherita",
        "Espresso",
    ]
    assert await names(sort_by="name") == ["Espresso", "Lemonade", "Margherita", "Tiramisu"]
    assert await names(sort_by="revenue", sort_order="asc") == [
        "Lemonade",
        "Tiramisu",
        "Espresso",
        "Margherita",
    ]

    second = await ok(client, owner, "items", **PERIOD, page=2, page_size=3)
    assert [item["name"] for item in second["items"]] == ["Lemonade"]
    assert (second["total"], second["pages"], second["has_next"], second["has_previous"]) == (
        4,
        2,
        False,
        True,
    )
    assert second["summary"]["item_count"] == 4  # the summary covers every page

    # Filters narrow the list; ranks and shares stay those among every item.
    pizza = await ok(client, owner, "items", **PERIOD, category_id=ids["pizza"])
    assert [(i["name"], i["rank"]) for i in pizza["items"]] == [("Margherita", 1)]
    assert money(pizza["items"][0]["revenue_share_percent"]) == 64
    assert money(pizza["summary"]["total_revenue"]) == 24
    assert money(pizza["summary"]["revenue_growth_percent"]) == 100
    assert await names(search="tira") == ["Tiramisu"]
    assert await names(search="pz-mar") == ["Margherita"]

    assert_error(
        await client.get(
            "/api/v1/analytics/items", headers=owner.headers, params={"sort_by": "price"}
        ),
        422,
        "VALIDATION_ERROR",
    )


async def test_items_without_sales_and_by_location(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    empty = await ok(client, owner, "items", **PERIOD)
    assert (empty["items"], empty["total"], empty["pages"]) == ([], 0, 0)
    summary = empty["summary"]
    assert summary["item_count"] == 0 and money(summary["total_revenue"]) == 0
    assert (summary["gross_margin"], summary["margin_percent"]) == (None, None)
    assert summary["revenue_growth_percent"] is None

    item = await menu_item(client, owner, "Calzone", "10.00", cost="3.00")
    pier = await client.post("/api/v1/locations", headers=owner.headers, json={"name": "Pier"})
    pier_id = pier.json()["id"]
    await record(
        database,
        owner,
        sale(date(2026, 3, 4), [Sold(item, 1, "10.00", "3.00")], location=pier_id),
        sale(date(2026, 3, 4), [Sold(item, 2, "20.00", "6.00")]),
    )
    at_pier = await ok(client, owner, "items", **PERIOD, location_id=pier_id)
    assert money(at_pier["items"][0]["revenue"]) == 10
    assert money(at_pier["items"][0]["quantity"]) == 1
    everywhere = await ok(client, owner, "items", **PERIOD)
    assert money(everywhere["items"][0]["revenue"]) == 30
    assert money(everywhere["items"][0]["margin_percent"]) == 70


async def test_margin_counts_only_the_revenue_that_has_a_cost(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    """History imported before the item's cost was set has no cost: its revenue is not
    margin. The margin is over the costed revenue, and the rest is reported beside it.

        Calzone (cost 3)  imported 4 units 40.00 without cost; sold 2 for 20.00 (cost 6.00);
                          1 refunded 10.00 (cost 3.00): revenue 50.00, of it costed 10.00,
                          cost 3.00, margin 7.00 = 70% (not 47.00 = 94%), 40.00 uncosted
        Espresso (0.50)   3 units 7.50, cost 1.50: margin 6.00 = 80%
        Tiramisu (none)   1 unit 6.00, nothing costed
    """
    calzone = await menu_item(client, owner, "Calzone", "10.00", cost="3.00")
    espresso = await menu_item(client, owner, "Espresso", "2.50", cost="0.50")
    tiramisu = await menu_item(client, owner, "Tiramisu", "6.00")
    await record(
        database,
        owner,
        sale(date(2026, 3, 2), [Sold(calzone, 4, "40.00")]),
        sale(date(2026, 3, 5), [Sold(calzone, 2, "20.00", "6.00"), Sold(tiramisu, 1, "6.00")]),
        refund(date(2026, 3, 6), Sold(calzone, 1, "10.00", "3.00")),
        sale(date(2026, 3, 7), [Sold(espresso, 3, "7.50", "1.50")]),
    )
    body = await ok(client, owner, "items", **PERIOD)
    items = _by_name(body)
    c = items["Calzone"]
    assert money(c["revenue"]) == money("50.00") and money(c["cost"]) == money("3.00")
    assert money(c["gross_margin"]) == money("7.00")
    assert money(c["margin_percent"]) == 70
    assert money(c["uncosted_revenue"]) == money("40.00")
    e = items["Espresso"]
    assert (money(e["gross_margin"]), money(e["margin_percent"])) == (money("6.00"), 80)
    assert money(e["uncosted_revenue"]) == 0
    t = items["Tiramisu"]
    assert (t["cost"], t["gross_margin"], t["margin_percent"]) == (None, None, None)
    assert money(t["uncosted_revenue"]) == money("6.00")

    summary = body["summary"]
    assert money(summary["total_revenue"]) == money("63.50")
    assert money(summary["total_cost"]) == money("4.50")
    assert money(summary["gross_margin"]) == money("13.00")  # 17.50 costed - 4.50
    assert money(summary["margin_percent"]) == money("74.29")  # 13 / 17.50
    assert money(summary["uncosted_revenue"]) == money("46.00")

    # Sorted by margin percent: Calzone's 70% below Espresso's 80% (it read 94%).
    by_margin = await ok(client, owner, "items", **PERIOD, sort_by="margin_percent")
    assert [item["name"] for item in by_margin["items"]] == ["Espresso", "Calzone", "Tiramisu"]

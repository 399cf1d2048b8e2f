"""Menu and location changes against the ledger: imports naming items, categories and
locations that were renamed, deactivated, share a name or are written another way, and the
queries and analytics reading the sales of such items and places."""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from typing import Any

import httpx

from tableside.db.database import Database
from tests.factories import assert_error, money
from tests.factories.ledger import (
    add_category,
    create_shop,
    csv_bytes,
    ledger_lines,
    upload,
)
from tests.factories.ledger_queries import get_ok

D = Decimal


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


async def test_names_written_decomposed_match_the_menu_and_the_locations(
    client: httpx.AsyncClient, database: Database
) -> None:
    """A till or a spreadsheet on macOS writes 'é' as 'e' and a combining accent: the same
    name to a reader, and before, to the import an unknown item, category or location."""
    shop = await create_shop(
        client,
        database,
        items=[("CAF", "Café crème", "1.00"), ("BRU", "Brûlée", None)],
        locations=[("Zürich Bahnhof", None)],
    )
    pastry = await add_category(database, shop, "Pâtisserie")
    lines = csv_bytes(
        ["timestamp", "item", "quantity", "amount", "location"],
        [
            ["2026-11-02T10:00:00Z", nfd("Café crème"), 1, "3.50", nfd("Zürich Bahnhof")],
            ["2026-11-02T10:00:00Z", nfd("BRÛLÉE"), 2, "9.00", nfd("zürich bahnhof")],
        ],
    )
    response = await upload(client, shop.owner, lines)
    assert response.status_code == 201, response.text
    rows = await ledger_lines(database, shop.business_id)
    assert [(r["menu_item_id"], r["location_id"]) for r in rows] == [
        (shop.items["CAF"], shop.locations["Zürich Bahnhof"]),
        (shop.items["BRU"], shop.locations["Zürich Bahnhof"]),
    ]
    # The `location` query parameter reads the name the same way.
    daily = csv_bytes(
        ["date", "daily_sales", "product_category"], [["2026-11-03", "50", nfd("pâtisserie")]]
    )
    response = await upload(client, shop.owner, daily, location=nfd("Zürich Bahnhof"))
    assert response.status_code == 201, response.text
    row = (await ledger_lines(database, shop.business_id))[-1]
    assert (row["category_id"], row["location_id"]) == (pastry, shop.locations["Zürich Bahnhof"])
    # Still: a name that is not on the menu in any form is unknown.
    unknown = csv_bytes(
        ["timestamp", "item", "quantity", "amount"],
        [["2026-11-02T10:00:00Z", "Cafe creme", 1, "1"]],
    )
    error = assert_error(await upload(client, shop.owner, unknown), 422, "VALIDATION_ERROR")
    assert error["details"] == [{"line": 2, "field": "item", "message": "unknown item"}]


async def test_an_item_cell_that_is_one_items_sku_and_another_items_name_is_a_row_error(
    client: httpx.AsyncClient, database: Database
) -> None:
    """A beer named 'IPA' and an ale whose SKU is 'IPA': a file's item cell 'IPA' was booked
    to the ale (SKUs first) without a word, though the till most likely meant the beer."""
    shop = await create_shop(
        client,
        database,
        items=[("IPA", "India Pale Ale", None), ("BEE-1", "IPA", None), ("PIZ", "Pizza", None)],
    )
    content = csv_bytes(
        ["timestamp", "item", "quantity", "amount"],
        [
            ["2026-11-02T10:00:00Z", "IPA", 1, "5.00"],
            ["2026-11-02T10:00:00Z", "PIZ", 1, "10.00"],  # a SKU no other item is named
            ["2026-11-02T10:00:00Z", "BEE-1", 1, "5.00"],
        ],
    )
    error = assert_error(await upload(client, shop.owner, content), 422, "VALIDATION_ERROR")
    assert error["details"] == [
        {
            "line": 2,
            "field": "item",
            "message": "is the SKU of one menu item and the name of another; use a sku column",
        }
    ]
    assert await ledger_lines(database, shop.business_id) == []
    # With a sku column the file says which one it means.
    both = csv_bytes(
        ["timestamp", "item", "sku", "quantity", "amount"],
        [
            ["2026-11-02T10:00:00Z", "IPA", "BEE-1", 1, "5.00"],
            ["2026-11-02T10:00:00Z", "India Pale Ale", "IPA", 1, "6.00"],
        ],
    )
    response = await upload(client, shop.owner, both)
    assert response.status_code == 201, response.text
    rows = await ledger_lines(database, shop.business_id)
    assert [r["menu_item_id"] for r in rows] == [shop.items["BEE-1"], shop.items["IPA"]]
    # Once the beer is off the menu, the SKU names the one item a till could mean.
    deactivated = await client.delete(
        f"/api/v1/menu/items/{shop.items['BEE-1']}", headers=shop.owner.headers
    )
    assert deactivated.status_code == 204, deactivated.text
    response = await upload(client, shop.owner, content)
    assert response.status_code == 201, response.text
    rows = await ledger_lines(database, shop.business_id)
    assert [r["menu_item_id"] for r in rows[2:]] == [
        shop.items["IPA"],
        shop.items["PIZ"],
        shop.items["BEE-1"],
    ]


async def test_location_names_are_trimmed_like_menu_names(
    client: httpx.AsyncClient, database: Database
) -> None:
    """A location saved as 'Harbour ' (a stray space typed in a form) was unknown to every
    import naming 'Harbour' (cells are trimmed), and 'Harbour' could be added beside it."""
    shop = await create_shop(client, database)
    created = await client.post(
        "/api/v1/locations", headers=shop.owner.headers, json={"name": "  Pier 9 "}
    )
    assert created.status_code == 201, created.text
    assert created.json()["name"] == "Pier 9"
    pier = created.json()["id"]
    twin = await client.post(
        "/api/v1/locations", headers=shop.owner.headers, json={"name": "Pier 9"}
    )
    assert_error(twin, 409, "DUPLICATE_ENTRY")
    renamed = await client.patch(
        f"/api/v1/locations/{shop.locations['Harbour']}",
        headers=shop.owner.headers,
        json={"name": "Harbour Front\t"},
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "Harbour Front"
    blank = await client.post("/api/v1/locations", headers=shop.owner.headers, json={"name": "  "})
    assert_error(blank, 422, "VALIDATION_ERROR")
    content = csv_bytes(
        ["timestamp", "sku", "quantity", "amount", "location"],
        [
            ["2026-11-02T10:00:00Z", "PIZ", 1, "10.00", "Pier 9"],
            ["2026-11-02T10:00:00Z", "PIZ", 1, "10.00", "harbour front"],
        ],
    )
    response = await upload(client, shop.owner, content)
    assert response.status_code == 201, response.text
    rows = await ledger_lines(database, shop.business_id)
    assert [str(r["location_id"]) for r in rows] == [pier, str(shop.locations["Harbour"])]


async def test_sales_of_renamed_moved_and_deactivated_menu_rows_and_locations_keep_counting(
    client: httpx.AsyncClient, database: Database
) -> None:
    """After sales, an item is renamed, another deactivated, a category renamed and then
    deactivated, an item moved to another category, a location renamed and another closed:
    every query still names them (as they are called now) and adds up to the same total."""
    shop = await create_shop(client, database)
    drinks = await add_category(database, shop, "Drinks")
    h = shop.owner.headers
    rows = [
        ["2026-11-02T10:00:00Z", "PIZ", 2, "20.00", "Main"],
        ["2026-11-02T11:00:00Z", "PAS", 1, "9.00", "Harbour"],
        ["2026-11-03T12:00:00Z", "TIR", 3, "15.00", "Harbour"],
        ["2026-11-03T12:00:00Z", "PAS", -1, "-9.00", "Harbour"],
        ["2026-11-03T13:00:00Z", "PIZ", 1, "10.00", ""],
    ]
    response = await upload(
        client, shop.owner, csv_bytes(["timestamp", "sku", "quantity", "amount", "location"], rows)
    )
    assert response.status_code == 201, response.text
    items, food = shop.items, shop.categories["Food"]
    for method, path, body in [
        ("PATCH", f"/api/v1/menu/items/{items['PIZ']}", {"name": "Pizza Margherita"}),
        ("DELETE", f"/api/v1/menu/items/{items['PAS']}", None),
        ("PATCH", f"/api/v1/menu/items/{items['TIR']}", {"category_id": str(drinks)}),
        ("PATCH", f"/api/v1/menu/categories/{food}", {"name": "Mains"}),
        ("DELETE", f"/api/v1/menu/categories/{food}", None),
        ("PATCH", f"/api/v1/locations/{shop.locations['Main']}", {"name": "Main Street"}),
        ("DELETE", f"/api/v1/locations/{shop.locations['Harbour']}", None),
    ]:
        changed = await client.request(method, path, headers=h, json=body)
        assert changed.status_code in (200, 204), changed.text
    days = {"date_from": "2026-11-02", "date_to": "2026-11-03"}

    def groups(body: dict[str, Any]) -> dict[str | None, Decimal]:
        return {g["name"]: money(g["revenue"]) for g in body["groups"]}

    by_item = await get_ok(client, shop.owner, "aggregate", group_by="item", **days)
    assert money(by_item["total_revenue"]) == D("45.00")
    assert groups(by_item) == {
        "Pizza Margherita": D("30.00"),
        "Pasta": D("0.00"),
        "Tiramisu": D("15.00"),
    }
    by_category = await get_ok(client, shop.owner, "aggregate", group_by="category", **days)
    # Categories as the lines were sold: the tiramisu was a Food (now Mains) item then.
    assert groups(by_category) == {"Mains": D("45.00")}
    by_location = await get_ok(client, shop.owner, "aggregate", group_by="location", **days)
    assert groups(by_location) == {
        "Harbour": D("15.00"),
        "Main Street": D("20.00"),
        "No location": D("10.00"),
    }
    closed = await get_ok(
        client, shop.owner, "aggregate", location_id=shop.locations["Harbour"], **days
    )
    assert money(closed["total_revenue"]) == D("15.00")
    top = await get_ok(client, shop.owner, "top-items", **days)
    assert [(i["name"], i["category"], money(i["revenue"])) for i in top["items"]] == [
        ("Pizza Margherita", "Mains", D("30.00")),
        ("Tiramisu", "Drinks", D("15.00")),
        ("Pasta", "Mains", D("0.00")),
    ]
    historical = await get_ok(client, shop.owner, "historical", category_id=food, **days)
    assert money(historical["summary"]["total"]) == D("45.00")
    analytics = await client.get(
        "/api/v1/analytics/items", headers=h, params={**days, "category_id": str(food)}
    )
    assert analytics.status_code == 200, analytics.text
    assert {i["name"] for i in analytics.json()["items"]} == {"Pizza Margherita", "Pasta"}
    page = await client.get(
        "/api/v1/sales/ledger", headers=h, params={**days, "menu_item_id": str(items["PAS"])}
    )
    assert page.status_code == 200, page.text
    assert [money(x["net_amount"]) for x in page.json()["items"]] == [D("-9.00"), D("9.00")]


async def test_reference_cells_padded_with_tabs_or_no_break_spaces_are_trimmed(
    client: httpx.AsyncClient, database: Database
) -> None:
    """Date, category and transaction cells were trimmed of tabs, and names are saved
    trimmed of every kind of space (a no-break space pasted from a web page too), but an
    item or location cell padded with a tab or a no-break space was an unknown item or
    location, showing in the error as the very name on the menu."""
    shop = await create_shop(client, database)
    content = csv_bytes(
        ["timestamp", "item", "quantity", "amount", "location"],
        [
            ["2026-11-02T10:00:00Z", "Pizza\u00a0", 1, "10.00", "\tMain"],
            ["2026-11-02T10:00:00Z", "\tPAS", 1, "9.00", "Harbour\u00a0"],
            ["2026-11-02T10:00:00Z", "\u00a0TIR\t", 1, "5.00", "main"],
        ],
    )
    response = await upload(client, shop.owner, content)
    assert response.status_code == 201, response.text
    rows = await ledger_lines(database, shop.business_id)
    assert [(r["menu_item_id"], r["location_id"]) for r in rows] == [
        (shop.items["PIZ"], shop.locations["Main"]),
        (shop.items["PAS"], shop.locations["Harbour"]),
        (shop.items["TIR"], shop.locations["Main"]),
    ]
    daily = csv_bytes(
        ["date", "daily_sales", "product_category"], [["2026-11-03", "50", "Food\u00a0"]]
    )
    response = await upload(client, shop.owner, daily)
    assert response.status_code == 201, response.text
    assert (await ledger_lines(database, shop.business_id))[-1]["category_id"] == shop.categories[
        "Food"
    ]


async def test_clearing_a_location_field_that_cannot_be_empty_names_the_field(
    client: httpx.AsyncClient, database: Database
) -> None:
    """PATCH a location with `"name": null` (or type, is_active) was a 422 "The data
    violates a constraint" naming no field, the database's refusal; menu items say which
    field must not be null. A zone may still be cleared (back to the business's)."""
    shop = await create_shop(client, database, locations=[("Pier", "Europe/Paris")])
    path = f"/api/v1/locations/{shop.locations['Pier']}"
    for field in ("name", "type", "is_active"):
        response = await client.patch(path, headers=shop.owner.headers, json={field: None})
        error = assert_error(response, 422, "VALIDATION_ERROR")
        assert error["details"] == [{"field": field, "message": "must not be null"}]
    cleared = await client.patch(path, headers=shop.owner.headers, json={"timezone": None})
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["timezone"] is None and cleared.json()["name"] == "Pier"

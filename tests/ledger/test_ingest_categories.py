"""Daily imports (the SFS shape) with `product_category`: each row is one category's sales of
the day. The category is matched against the business's menu categories, the line carries
it, the rollups keep the categories of a day apart, and marketing spend adds up per date."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import httpx

from tableside.db.database import Database
from tableside.kit.business_time import business_date
from tableside.kit.schemas import utcnow
from tests.factories import assert_error, money
from tests.factories.ledger import (
    add_category,
    assert_rollups_match_ledger,
    create_shop,
    csv_bytes,
    fetch,
    ledger_lines,
    upload,
)
from tests.factories.ledger_queries import get_ok, record, sale
from tests.ledger.test_maintenance import rebuild, snapshot

D = Decimal
HEADER = ["date", "daily_sales", "marketing_spend", "is_holiday", "product_category"]
RANGE = {"date_from": "2026-01-01", "date_to": "2026-01-03"}


def group_revenue(body: dict[str, Any]) -> dict[str, Decimal]:
    return {g["name"]: money(g["revenue"]) for g in body["groups"]}


def series(body: dict[str, Any], name: str) -> list[tuple[str, Decimal]]:
    return [
        (p["period_start"], money(p["revenue"]))
        for p in body["time_series"]
        if p["group"]["name"] == name
    ]


SFS_ROWS = [
    ["2026-01-01", "100.00", "10.00", "false", "Food"],
    ["2026-01-01", "40.50", "5.25", "true", "  drinks "],  # trimmed, any case
    ["2026-01-02", "60.00", "", "false", "FOOD"],
    ["2026-01-02", "30.00", "", "", "Drinks"],
    ["2026-01-03", "20.00", "", "", ""],  # no category
]


async def test_two_categories_on_the_same_dates(
    client: httpx.AsyncClient, database: Database
) -> None:
    shop = await create_shop(client, database)
    drinks = await add_category(database, shop, "Drinks")
    content = csv_bytes(HEADER, SFS_ROWS)
    response = await upload(client, shop.owner, content)
    assert response.status_code == 201, response.text
    assert response.json()["lines_written"] == 5
    lines = await ledger_lines(database, shop.business_id)
    assert [(r["business_date"], r["net_amount"], r["category_id"]) for r in lines] == [
        (date(2026, 1, 1), D("100.00"), shop.categories["Food"]),
        (date(2026, 1, 1), D("40.50"), drinks),
        (date(2026, 1, 2), D("60.00"), shop.categories["Food"]),
        (date(2026, 1, 2), D("30.00"), drinks),
        (date(2026, 1, 3), D("20.00"), None),
    ]

    by_category = await get_ok(client, shop.owner, "aggregate", group_by="category", **RANGE)
    assert group_revenue(by_category) == {
        "Drinks": D("70.50"),
        "Food": D("160.00"),
        "Uncategorized": D("20.00"),
    }
    assert money(by_category["total_revenue"]) == D("250.50")
    assert series(by_category, "Drinks") == [
        ("2026-01-01", D("40.50")),
        ("2026-01-02", D("30.00")),
        ("2026-01-03", D("0")),
    ]
    ungrouped = await get_ok(client, shop.owner, "aggregate", **RANGE)
    assert money(ungrouped["total_revenue"]) == D("250.50")
    # By item, a day's category rows are one "No item" point (they are not items).
    by_item = await get_ok(client, shop.owner, "aggregate", group_by="item", **RANGE)
    assert [g["name"] for g in by_item["groups"]] == ["No item"]
    assert series(by_item, "No item") == [
        ("2026-01-01", D("140.50")),
        ("2026-01-02", D("90.00")),
        ("2026-01-03", D("20.00")),
    ]
    weekly = await get_ok(
        client, shop.owner, "aggregate", group_by="item", granularity="month", **RANGE
    )
    assert group_revenue(weekly) == {"No item": D("250.50")}
    top = await get_ok(client, shop.owner, "top-items", **RANGE)
    assert top["items"] == []
    historical = await get_ok(client, shop.owner, "historical", category_id=str(drinks), **RANGE)
    assert [money(p["value"]) for p in historical["items"]] == [D("40.50"), D("30.00"), D("0")]

    # Per date: spend adds up over the categories' rows, a holiday if any row says so.
    signals = await fetch(
        database,
        shop.business_id,
        "SELECT business_date, marketing_spend, is_holiday FROM sales_daily_signals"
        " ORDER BY business_date",
    )
    assert [tuple(s.values()) for s in signals] == [
        (date(2026, 1, 1), D("15.25"), True),
        (date(2026, 1, 2), None, False),
        # 3 January said nothing: no signal.
    ]
    await assert_rollups_match_ledger(database, shop.business_id)

    # The same file again adds nothing.
    again = await upload(client, shop.owner, content)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    repeat = await get_ok(client, shop.owner, "aggregate", group_by="category", **RANGE)
    assert group_revenue(repeat) == group_revenue(by_category)

    # A rebuild from the ledger gives back the same rollups, row for row.
    incremental = await snapshot(database, shop.owner)
    await rebuild(database, shop.owner)
    assert await snapshot(database, shop.owner) == incremental


async def test_spend_is_summed_per_date_and_location_and_replaced_by_a_later_file(
    client: httpx.AsyncClient, database: Database
) -> None:
    shop = await create_shop(client, database)
    await add_category(database, shop, "Drinks")
    first = csv_bytes(
        [*HEADER, "location"],
        [
            ["2026-01-01", "100", "10", "false", "Food", "Main"],
            ["2026-01-01", "50", "2.50", "false", "Drinks", "Main"],
            ["2026-01-01", "70", "4", "", "Food", "Harbour"],
            ["2026-01-02", "80", "", "false", "Food", "Main"],
            ["2026-01-02", "20", "3", "", "Drinks", "Main"],
        ],
    )
    assert (await upload(client, shop.owner, first)).status_code == 201
    second = csv_bytes(
        [*HEADER, "location"],
        [
            ["2026-01-01", "1", "7", "", "Food", "Main"],
            ["2026-01-01", "1", "1", "", "Drinks", "Main"],
            ["2026-01-02", "1", "", "true", "Food", "Main"],
        ],
    )
    assert (await upload(client, shop.owner, second, on_overlap="add")).status_code == 201
    signals = await fetch(
        database,
        shop.business_id,
        "SELECT business_date, location_key, marketing_spend, is_holiday"
        " FROM sales_daily_signals ORDER BY business_date, marketing_spend",
    )
    main, harbour = shop.locations["Main"], shop.locations["Harbour"]
    assert [tuple(s.values()) for s in signals] == [
        (date(2026, 1, 1), harbour, D("4.00"), None),
        # The later file's sum replaces the earlier one's.
        (date(2026, 1, 1), main, D("8.00"), False),
        # An empty cell keeps what was known; the holiday flag is replaced.
        (date(2026, 1, 2), main, D("3.00"), True),
    ]
    by_location = await get_ok(
        client,
        shop.owner,
        "aggregate",
        group_by="category",
        location_id=str(main),
        **RANGE,
    )
    assert group_revenue(by_location) == {"Drinks": D("71.00"), "Food": D("182.00")}
    await assert_rollups_match_ledger(database, shop.business_id)


async def test_unknown_category_is_a_row_error(
    client: httpx.AsyncClient, database: Database
) -> None:
    shop = await create_shop(client, database)
    # Another business's category of that name is not this one's.
    other = await create_shop(client, database)
    await add_category(database, other, "Desserts")
    content = csv_bytes(
        HEADER,
        [
            ["2026-01-01", "100.00", "10", "", "Food"],
            ["2026-01-01", "15.00", "5", "", "Desserts"],
            ["2026-01-02", "60.00", "", "", "food"],
        ],
    )
    refused = await upload(client, shop.owner, content)
    error = assert_error(refused, 422, "VALIDATION_ERROR")
    assert error["details"] == [
        {
            "line": 3,
            "field": "product_category",
            "message": "no menu category named 'Desserts'",
        }
    ]
    assert await ledger_lines(database, shop.business_id) == []
    assert await fetch(database, shop.business_id, "SELECT * FROM sales_daily_signals") == []
    assert await fetch(database, shop.business_id, "SELECT * FROM sales_daily_item_rollups") == []

    skipped = await upload(client, shop.owner, content, skip_invalid=True)
    assert skipped.status_code == 201, skipped.text
    report = skipped.json()
    assert report["lines_written"] == 2 and report["lines_skipped"] == 1
    assert report["errors"][0]["line"] == 3
    lines = await ledger_lines(database, shop.business_id)
    assert [(r["net_amount"], r["category_id"]) for r in lines] == [
        (D("100.00"), shop.categories["Food"]),
        (D("60.00"), shop.categories["Food"]),
    ]
    body = await get_ok(client, shop.owner, "aggregate", group_by="category", **RANGE)
    assert group_revenue(body) == {"Food": D("160.00")}
    # The skipped row's spend is not counted either.
    signals = await fetch(
        database,
        shop.business_id,
        "SELECT business_date, marketing_spend FROM sales_daily_signals ORDER BY 1",
    )
    assert [tuple(s.values()) for s in signals] == [
        (date(2026, 1, 1), D("10.00")),
        (date(2026, 1, 2), None),
    ]


async def test_ambiguous_category_names(client: httpx.AsyncClient, database: Database) -> None:
    """Names are unique per business as written, so `Food` and `FOOD` may both exist: the
    exact name decides, and a name matching several only by case is refused."""
    shop = await create_shop(client, database)
    upper = await add_category(database, shop, "FOOD")
    content = csv_bytes(
        HEADER,
        [
            ["2026-01-01", "1", "", "", "Food"],
            ["2026-01-01", "2", "", "", " FOOD"],
            ["2026-01-01", "3", "", "", "food"],
        ],
    )
    response = await upload(client, shop.owner, content, skip_invalid=True)
    assert response.status_code == 201, response.text
    assert [(e["line"], e["field"], e["message"]) for e in response.json()["errors"]] == [
        (4, "product_category", "matches 2 menu categories by name; write it as on the menu")
    ]
    lines = await ledger_lines(database, shop.business_id)
    assert [r["category_id"] for r in lines] == [shop.categories["Food"], upper]


async def test_a_till_sale_and_a_daily_row_of_the_same_day(
    client: httpx.AsyncClient, database: Database
) -> None:
    shop = await create_shop(client, database)
    drinks = await add_category(database, shop, "Drinks")
    main = str(shop.locations["Main"])
    till = await client.post(
        "/api/v1/sales",
        headers=shop.owner.headers,
        json={
            "location_id": main,
            "items": [{"menu_item_id": str(shop.items["PIZ"]), "quantity": 2}],
        },
    )
    assert till.status_code == 201, till.text
    paid = await client.post(
        f"/api/v1/sales/{till.json()['id']}/payments",
        headers=shop.owner.headers,
        json={"method": "card", "amount": str(till.json()["total_amount"])},
    )
    assert paid.status_code == 201, paid.text
    today = business_date(utcnow(), "UTC", 4)
    content = csv_bytes(
        [*HEADER, "location"],
        [
            [today.isoformat(), "300.00", "", "", "Food", "Main"],
            [today.isoformat(), "45.00", "", "", "Drinks", "Main"],
        ],
    )
    assert (await upload(client, shop.owner, content)).status_code == 201
    # A line of another category without an item, through the small-path writer.
    await record(database, shop.owner, [sale(utcnow(), "5.00", category=drinks, location=main)])
    today_range = {"date_from": today.isoformat(), "date_to": today.isoformat()}
    body = await get_ok(client, shop.owner, "aggregate", group_by="category", **today_range)
    # The till's line net of tax, as the ledger has it.
    (sold,) = [
        r["net_amount"]
        for r in await ledger_lines(database, shop.business_id)
        if r["menu_item_id"] == shop.items["PIZ"]
    ]
    assert group_revenue(body) == {"Drinks": D("50.00"), "Food": D("300.00") + sold}
    assert money(body["total_revenue"]) == D("350.00") + sold
    for location_id in (None, main):
        by_item = await get_ok(
            client, shop.owner, "aggregate", group_by="item", location_id=location_id, **today_range
        )
        assert group_revenue(by_item) == {"Pizza": sold, "No item": D("350.00")}
    top = await get_ok(client, shop.owner, "top-items", **today_range)
    assert [item["name"] for item in top["items"]] == ["Pizza"]
    rollups = await fetch(
        database,
        shop.business_id,
        "SELECT item_key, category_key, category_id, net_amount FROM sales_daily_item_totals"
        " ORDER BY net_amount",
    )
    no_key = uuid.UUID(int=0)
    assert {(r["item_key"], r["category_key"], r["net_amount"]) for r in rollups} == {
        (shop.items["PIZ"], no_key, sold),
        (no_key, shop.categories["Food"], D("300.00")),
        (no_key, drinks, D("50.00")),
    }
    await assert_rollups_match_ledger(database, shop.business_id)
    incremental = await snapshot(database, shop.owner)
    await rebuild(database, shop.owner)
    assert await snapshot(database, shop.owner) == incremental


async def test_item_performance_leaves_category_rows_out(
    client: httpx.AsyncClient, database: Database
) -> None:
    shop = await create_shop(client, database)
    content = csv_bytes(HEADER, [["2026-01-01", "100.00", "", "", "Food"]])
    assert (await upload(client, shop.owner, content)).status_code == 201
    response = await client.get("/api/v1/analytics/items", headers=shop.owner.headers, params=RANGE)
    assert response.status_code == 200, response.text
    assert response.json()["items"] == []

"""Audit of the ledger's read endpoints (historical series, top items, raw ledger pages):
every number checked against an independent computation over the lines written."""

from __future__ import annotations

import statistics
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx

from tableside.db.database import Database
from tests.factories import assert_error, money
from tests.factories.ledger_queries import (
    create_category,
    create_item,
    create_location,
    get,
    get_ok,
    ledger_business,
    local,
    record,
    refund,
    sale,
)
from tests.factories.sales import set_business

D = Decimal


def amounts(body: dict[str, Any]) -> list[Decimal]:
    return [money(line["net_amount"]) for line in body["items"]]


async def test_ledger_date_filter_finds_lines_booked_before_a_calendar_change(
    client: httpx.AsyncClient, database: Database
) -> None:
    """A line keeps the business date it was booked on when the business later moves its
    zone or cutoff; the ledger's date filter must still find it, as /historical counts it
    on that date (the ledger bounded sold_at around the date in the current calendar and
    left such lines out)."""
    owner = await ledger_business(client, timezone="Pacific/Pago_Pago", cutoff_hour=23)
    # 22:00 on 2 June in Pago Pago (UTC-11), before the 23:00 cutoff: business date 1 June.
    await record(database, owner, [sale(local("Pacific/Pago_Pago", 2026, 6, 2, 22), "7.50")])
    await set_business(client, owner, timezone="Pacific/Kiritimati", day_cutoff_hour=0)
    day = {"date_from": "2026-06-01", "date_to": "2026-06-01"}
    series = await get_ok(client, owner, "historical", **day)
    assert money(series["summary"]["total"]) == D("7.50")
    lines = await get_ok(client, owner, "ledger", **day)
    assert amounts(lines) == [D("7.50")]
    assert lines["items"][0]["business_date"] == "2026-06-01"
    only_from = await get_ok(client, owner, "ledger", date_from="2026-06-01")
    only_to = await get_ok(client, owner, "ledger", date_to="2026-06-01")
    assert amounts(only_from) == amounts(only_to) == [D("7.50")]


async def test_probe_series_and_top_items(client: httpx.AsyncClient, database: Database) -> None:
    owner = await ledger_business(client, timezone="UTC", cutoff_hour=4)
    tokyo = await create_location(client, owner, "Tokyo", timezone="Asia/Tokyo")
    home = await create_location(client, owner, "Home")
    drinks = await create_category(database, owner, "Drinks")
    tea = (await create_item(database, owner, name="Tea", category_id=drinks)).id
    cake = (await create_item(database, owner, name="Cake")).id
    lines = [
        # Tokyo 02:00 on 3 June: business date 2 June there; UTC 2 June 17:00.
        sale(local("Asia/Tokyo", 2026, 6, 3, 2), "4.00", item=tea, category=drinks,
             location=tokyo, covers=1),
        sale(local("UTC", 2026, 6, 2, 12), "10.00", quantity="2", item=cake, location=home),
        refund(local("UTC", 2026, 6, 4, 12), "10.00", quantity="2", item=cake, location=home),
        refund(local("UTC", 2026, 6, 4, 13), "5.00", item=cake, location=home),
        sale(local("UTC", 2026, 6, 4, 14), "2.50", item=tea, category=drinks, location=home),
    ]  # fmt: skip
    await record(database, owner, lines)
    rng = {"date_from": "2026-06-01", "date_to": "2026-06-05"}
    body = await get_ok(client, owner, "historical", **rng)
    vals = [money(p["value"]) for p in body["items"]]
    assert vals == [D(0), D("14.00"), D(0), D("-12.50"), D(0)], vals
    s = body["summary"]
    assert money(s["std"]) == statistics.pstdev(vals).quantize(D("0.0001"), ROUND_HALF_UP)
    assert money(s["mean"]) == D("0.3000")
    t = await get_ok(client, owner, "historical", location_id=tokyo, **rng)
    assert [money(p["value"]) for p in t["items"]] == [0, D("4.00"), 0, 0, 0]
    t = await get_ok(client, owner, "historical", category_id=drinks, metric="transactions",
                     **rng)  # fmt: skip
    assert [p["value"] for p in t["items"]] == [0, 1, 0, 1, 0]
    t = await get_ok(client, owner, "historical", menu_item_id=cake, location_id=home, **rng)
    assert [money(p["value"]) for p in t["items"]] == [0, D("10.00"), 0, D("-15.00"), 0]
    assert money(t["summary"]["min"]) == D("-15.00")
    top = await get_ok(client, owner, "top-items", **rng)
    assert [(i["name"], money(i["revenue"])) for i in top["items"]] == [
        ("Tea", D("6.50")),
        ("Cake", D("-5.00")),
    ]
    assert money(top["total_revenue"]) == D("1.50")
    top = await get_ok(client, owner, "top-items", order_by="quantity", **rng)
    assert [(i["name"], money(i["quantity"])) for i in top["items"]] == [
        ("Tea", D("2")),
        ("Cake", D("-1")),
    ]
    top = await get_ok(client, owner, "top-items", location_id=tokyo, **rng)
    assert [(i["name"], money(i["revenue"]), i["rank"]) for i in top["items"]] == [
        ("Tea", D("4.00"), 1)
    ]
    led = await get_ok(client, owner, "ledger", location_id=tokyo, date_from="2026-06-02",
                       date_to="2026-06-02")  # fmt: skip
    assert amounts(led) == [D("4.00")]
    led = await get_ok(client, owner, "ledger", date_from="2026-06-03", date_to="2026-06-03")
    assert amounts(led) == []
    led = await get_ok(client, owner, "ledger", menu_item_id=cake, source="pos", limit=1)
    assert amounts(led) == [D("-5.00")]
    led2 = await get_ok(client, owner, "ledger", menu_item_id=cake, source="pos", limit=1,
                        cursor=led["next_cursor"])  # fmt: skip
    assert amounts(led2) == [D("-10.00")]


async def test_a_cursor_is_bound_to_the_filters_of_its_pages(
    client: httpx.AsyncClient, database: Database
) -> None:
    """A cursor says where a listing stopped, for its filters: sent with other filters it
    silently skipped every line of those filters newer than its position (here South's
    6.00, sold after North's last line) and the client could not tell. It is a 422 now; the
    page length may change between pages."""
    owner = await ledger_business(client, timezone="UTC", cutoff_hour=0)
    north = await create_location(client, owner, "North")
    south = await create_location(client, owner, "South")
    await record(
        database,
        owner,
        [
            sale(local("UTC", 2026, 6, 1, 9), "1.00", location=north),
            sale(local("UTC", 2026, 6, 1, 10), "2.00", location=north),
            sale(local("UTC", 2026, 6, 1, 11), "3.00", location=south),
            sale(local("UTC", 2026, 6, 1, 12), "4.00", location=south),
            sale(local("UTC", 2026, 6, 1, 13), "5.00", location=north),
            sale(local("UTC", 2026, 6, 1, 14), "6.00", location=south),
        ],
    )
    first = await get_ok(client, owner, "ledger", location_id=north, limit=1)
    assert amounts(first) == [D("5.00")]
    cursor = first["next_cursor"]
    for params in (
        {"location_id": south},
        {},
        {"location_id": north, "source": "import"},
        {"location_id": north, "date_from": "2026-06-01"},
    ):
        response = await get(client, owner, "ledger", limit=1, cursor=cursor, **params)
        error = assert_error(response, 422, "VALIDATION_ERROR")
        assert error["details"][0]["field"] == "cursor", params
    rest = await get_ok(client, owner, "ledger", location_id=north, page_size=5, cursor=cursor)
    assert amounts(rest) == [D("2.00"), D("1.00")] and rest["next_cursor"] is None
    # Without filters the pages still run over every line.
    seen: list[Decimal] = []
    page = await get_ok(client, owner, "ledger", limit=4)
    while True:
        seen += amounts(page)
        if page["next_cursor"] is None:
            break
        page = await get_ok(client, owner, "ledger", limit=2, cursor=page["next_cursor"])
    assert seen == [D("6.00"), D("5.00"), D("4.00"), D("3.00"), D("2.00"), D("1.00")]

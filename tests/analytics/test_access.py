"""Who may read analytics, what another business's data looks like, and bad parameters."""

from __future__ import annotations

from datetime import date

import httpx

from tableside.db.database import Database
from tests.factories import Account, add_user, assert_error, money, register
from tests.factories.analytics import (
    Sold,
    customer,
    get,
    location,
    menu_item,
    ok,
    record,
    sale,
)

ENDPOINTS = ("items", "revenue-trends", "staff-performance", "customers")
PERIOD = {"date_from": "2026-03-01", "date_to": "2026-03-31"}


async def test_readers_and_refused_roles(client: httpx.AsyncClient, owner: Account) -> None:
    for role in ("admin", "manager", "viewer"):
        reader = await add_user(client, owner, role)
        for path in ENDPOINTS:
            await ok(client, reader, path, **PERIOD)
    for path in ENDPOINTS:
        await ok(client, owner, path, **PERIOD)
    refused = [await add_user(client, owner, role) for role in ("cashier", "wait_staff")]
    refused.append(
        await add_user(client, owner, "kitchen_staff", kitchen_profile="kitchen_manager")
    )
    for account in refused:
        for path in ENDPOINTS:
            assert_error(await get(client, account, path), 403, "FORBIDDEN")
    for path in ENDPOINTS:
        response = await client.get(f"/api/v1/analytics/{path}")
        assert_error(response, 401, "UNAUTHORIZED")


async def test_another_business_is_invisible(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    other = await register(client, business_name="Elsewhere")
    item = await menu_item(client, other, "Their Pizza", "10.00", cost="2.00")
    guest = await customer(client, other, "Their Guest")
    waiter = await add_user(client, other, "wait_staff")
    their_location = await location(client, other, "Their Pier")
    await record(
        database,
        other,
        sale(
            date(2026, 3, 5),
            [Sold(item, 3, "30.00", "6.00")],
            server=waiter.user_id,
            customer=guest,
            location=their_location,
        ),
    )
    # They see their sale...
    theirs = await ok(client, other, "items", **PERIOD)
    assert money(theirs["summary"]["total_revenue"]) == 30
    # ...we see nothing of it.
    ours = await ok(client, owner, "items", **PERIOD)
    assert ours["items"] == [] and ours["total"] == 0
    trends = await ok(client, owner, "revenue-trends", **PERIOD)
    assert money(trends["totals"]["revenue"]) == 0
    staff = await ok(client, owner, "staff-performance", **PERIOD)
    assert staff["staff"] == [] and staff["unattributed"] is None
    customers = await ok(client, owner, "customers", **PERIOD)
    assert customers["totals"]["customers"] == 0 and customers["top_customers"] == []
    # Their location as our filter is not a location of ours.
    for path in ENDPOINTS:
        error = assert_error(
            await get(client, owner, path, **PERIOD, location_id=their_location),
            422,
            "VALIDATION_ERROR",
        )
        assert error["details"][0]["field"] == "location_id"


async def test_lines_naming_the_other_business_ids_show_no_names(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    """A line that names another business's item, user or customer (an import mapping gone
    wrong) never reveals their names: the menu, users and customers are read in our scope."""
    other = await register(client, business_name="Elsewhere")
    item = await menu_item(client, other, "Their Pizza", "10.00")
    guest = await customer(client, other, "Their Guest")
    await record(
        database,
        owner,
        sale(date(2026, 3, 5), [Sold(item, 1, "10.00")], server=other.user_id, customer=guest),
    )
    items = await ok(client, owner, "items", **PERIOD)
    assert [(i["name"], i["sku"], money(i["revenue"])) for i in items["items"]] == [
        (None, None, 10)
    ]
    staff = await ok(client, owner, "staff-performance", **PERIOD)
    assert [(m["name"], m["role"]) for m in staff["staff"]] == [(None, None)]
    customers = await ok(client, owner, "customers", **PERIOD)
    assert [(c["name"], c["email"]) for c in customers["top_customers"]] == [(None, None)]


async def test_bad_parameters(client: httpx.AsyncClient, owner: Account) -> None:
    bad = [
        ("items", {"date_from": "2026-03-10", "date_to": "2026-03-01"}, "date_from"),
        ("items", {"date_from": "2026-02-30"}, "date_from"),
        ("items", {"date_to": "yesterday"}, "date_to"),
        ("items", {"date_from": "2000-01-01", "date_to": "2026-01-01"}, "date_to"),
        ("items", {"date_from": "1800-01-01", "date_to": "1800-01-02"}, "date_from"),
        ("items", {"location_id": "not-a-uuid"}, "location_id"),
        ("items", {"location_id": "7a1f4b8e-0000-4000-8000-000000000000"}, "location_id"),
        ("items", {"page_size": 101}, "page_size"),
        ("items", {"page": 0}, "page"),
        ("items", {"sort_by": "price"}, "sort_by"),
        ("items", {"sort_order": "sideways"}, "sort_order"),
        ("items", {"category_id": "x"}, "category_id"),
        ("revenue-trends", {"granularity": "year"}, "granularity"),
        ("revenue-trends", {"date_from": "2026-03-31", "date_to": "2026-03-01"}, "date_from"),
        ("staff-performance", {"role": "chef"}, "role"),
        ("customers", {"loyal_min_visits": "many"}, "loyal_min_visits"),
        # Only date_to, at the start of the calendar: its 30 days are no dates (was a 500).
        ("items", {"date_to": "0001-01-01"}, "date_to"),
        ("revenue-trends", {"date_to": "0001-01-01"}, "date_to"),
        ("staff-performance", {"date_to": "0001-01-01"}, "date_to"),
        ("customers", {"date_to": "1900-01-10"}, "date_to"),
    ]
    for path, params, field in bad:
        error = assert_error(await get(client, owner, path, **params), 422, "VALIDATION_ERROR")
        fields = [d["field"] for d in error["details"]]
        assert any(f.endswith(field) for f in fields), (path, params, fields)

    # Only date_from: up to today; only date_to: the 30 days ending then.
    body = await ok(client, owner, "staff-performance", date_to="2026-03-31")
    assert body["period"] == {
        "date_from": "2026-03-02",
        "date_to": "2026-03-31",
        "days": 30,
        "through": None,
        "partial": False,
    }
    body = await ok(client, owner, "staff-performance", date_from="2999-01-01")
    assert body["period"]["date_from"] == body["period"]["date_to"] == "2999-01-01"

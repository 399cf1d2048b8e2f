"""GET /api/v1/sales/historical: one metric per business date, zero-filled, with a summary."""

from __future__ import annotations

import statistics
import uuid
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import httpx
import pytest

from tableside.db.database import Database, set_tenant
from tableside.models import NO_KEY, DailySignal
from tests.factories import Account, assert_error, money
from tests.factories.ledger_queries import (
    create_category,
    create_item,
    get,
    get_ok,
    ledger_business,
    shop,
)

D = Decimal
FORTNIGHT = {"date_from": "2026-06-01", "date_to": "2026-06-14"}


def values(body: dict) -> list[Decimal]:
    return [money(point["value"]) for point in body["items"]]


async def test_revenue_series_summary_and_pages(
    client: httpx.AsyncClient, database: Database
) -> None:
    s = await shop(client, database)
    first = await get_ok(client, s.owner, "historical", page_size=5, **FORTNIGHT)
    assert first["metric"] == "revenue"
    assert (first["total"], first["page"], first["page_size"], first["pages"]) == (14, 1, 5, 3)
    assert first["has_next"] and not first["has_previous"]
    assert [p["date"] for p in first["items"]] == [f"2026-06-0{d}" for d in range(1, 6)]
    assert values(first) == [D("18.00"), D(0), D("3.00"), D(0), D(0)]
    daily = [D("18.00"), D(0), D("3.00")] + [D(0)] * 6 + [D("29.00"), D(0), D("-3.00"), D(0), D(0)]
    summary = first["summary"]
    assert money(summary["total"]) == D("47.00")
    assert money(summary["mean"]) == D("3.3571")
    assert money(summary["min"]) == D("-3.00") and money(summary["max"]) == D("29.00")
    expected_std = statistics.pstdev(daily).quantize(D("0.0001"), rounding=ROUND_HALF_UP)
    assert money(summary["std"]) == expected_std
    assert summary["days"] == 14
    assert (summary["date_from"], summary["date_to"]) == ("2026-06-01", "2026-06-14")

    last = await get_ok(client, s.owner, "historical", page_size=5, page=3, **FORTNIGHT)
    assert values(last) == daily[10:]
    assert last["has_previous"] and not last["has_next"]
    assert last["summary"] == summary
    beyond = await get_ok(client, s.owner, "historical", page_size=5, page=4, **FORTNIGHT)
    assert beyond["items"] == [] and beyond["total"] == 14
    whole = await get_ok(client, s.owner, "historical", page_size=1000, **FORTNIGHT)
    assert values(whole) == daily and whole["pages"] == 1


async def test_metrics_items_and_categories(client: httpx.AsyncClient, database: Database) -> None:
    s = await shop(client, database)

    async def series(**params: str) -> tuple[list[Decimal], Decimal]:
        body = await get_ok(client, s.owner, "historical", **FORTNIGHT, **params)
        return values(body), money(body["summary"]["total"])

    transactions, total = await series(metric="transactions")
    assert total == 4 and transactions[0] == 1 and transactions[9] == 2
    body = await get_ok(client, s.owner, "historical", metric="covers", **FORTNIGHT)
    assert isinstance(body["items"][0]["value"], int) and body["summary"]["total"] == 5
    quantity, total = await series(metric="quantity", menu_item_id=s.burger)
    assert total == 3 and quantity[0] == 1 and quantity[9] == 2
    drinks, total = await series(category_id=s.drinks)
    assert total == D("6.00") and drinks[0] == D("6.00") and drinks[11] == D("-3.00")
    # Lines sold of the item, refunds counting minus one.
    coffee_lines, total = await series(metric="transactions", menu_item_id=s.coffee)
    assert total == 0 and coffee_lines[0] == 1 and coffee_lines[11] == -1
    _, total = await series(location_id=s.downtown)
    assert total == D("39.00")


async def test_daily_import_signals_ride_along(
    client: httpx.AsyncClient, database: Database
) -> None:
    owner = await ledger_business(client, timezone="UTC", cutoff_hour=0)
    business_id = uuid.UUID(owner.business_id)
    async with database.session() as session:
        await set_tenant(session, business_id)
        session.add(
            DailySignal(
                business_id=business_id,
                location_key=NO_KEY,
                business_date=date(2026, 6, 2),
                marketing_spend=D("120.50"),
                is_holiday=True,
            )
        )
    body = await get_ok(client, owner, "historical", date_from="2026-06-01", date_to="2026-06-02")
    assert [(p["marketing_spend"], p["is_holiday"]) for p in body["items"]] == [
        (None, None),
        (120.5, True),
    ]
    assert body["summary"]["std"] == 0 and body["summary"]["mean"] == 0


async def test_bad_parameters(client: httpx.AsyncClient, database: Database) -> None:
    owner = await ledger_business(client)
    other = await ledger_business(client)
    item = (await create_item(database, owner)).id
    category = await create_category(database, owner)
    foreign_item = (await create_item(database, other)).id
    foreign_category = await create_category(database, other)
    cases = [
        ({"menu_item_id": item, "category_id": category}, "category_id"),
        ({"menu_item_id": item, "metric": "covers"}, "metric"),
        ({"category_id": category, "metric": "covers"}, "metric"),
        ({"menu_item_id": foreign_item}, "menu_item_id"),
        ({"category_id": foreign_category}, "category_id"),
        ({"metric": "profit"}, "metric"),
        ({"page_size": "1001"}, "page_size"),
        ({"page": "0"}, "page"),
        ({"date_from": "2026-06-02", "date_to": "2026-06-01"}, "date_to"),
        ({"date_from": "2020-01-01", "date_to": "2024-06-01"}, "date_to"),
        ({"date_from": "9999-12-31", "date_to": "9999-12-31"}, "date_from"),
    ]
    for params, field in cases:
        response = await get(client, owner, "historical", **params)
        error = assert_error(response, 422, "VALIDATION_ERROR")
        assert field in [detail["field"] for detail in error["details"]], (params, error)


@pytest.mark.parametrize("metric", ["revenue", "quantity", "transactions", "covers"])
async def test_empty_business_gives_zeros(
    client: httpx.AsyncClient, owner: Account, metric: str
) -> None:
    body = await get_ok(
        client, owner, "historical", metric=metric, date_from="2026-01-01", date_to="2026-01-03"
    )
    assert values(body) == [0, 0, 0]
    assert body["summary"]["total"] == 0 and body["summary"]["min"] == 0

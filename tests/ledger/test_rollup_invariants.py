"""The rollups stay exact whatever the order of writes: after any sequence of API operations
(till sales and refunds, another POS's late sales, bulk batches, CSV imports of both shapes,
overlapping daily files, reverts and re-sends, concurrent writers), every rollup row equals
what `rebuild_rollups` makes of the ledger, and the aggregate endpoint equals sums over the
raw ledger lines. Another business doing the same meanwhile never moves."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tableside.auth.dependencies import Principal
from tableside.db.database import Database, set_tenant
from tableside.ledger.batches import revert_import
from tableside.ledger.maintenance import rebuild_rollups
from tableside.ledger.repository import LedgerRepository
from tableside.models import DailyItemRollup, DailyItemTotal, HourlyRollup, Role, User
from tests.factories import money
from tests.factories.ledger import (
    Shop,
    add_category,
    assert_rollups_match_ledger,
    bulk,
    create_shop,
    csv_bytes,
    fetch,
    upload,
)
from tests.factories.locks import LOCK_WAIT_LIMIT, lock_waiters, until_waiting_or

IMPORTS = "/api/v1/sales/imports"
NY = "America/New_York"

Rows = dict[str, list[tuple[Any, ...]]]


def _normal(value: Any) -> Any:
    return value.normalize() if isinstance(value, Decimal) else value


async def _rows(session: Any) -> Rows:
    """Every rollup row visible to the session's tenant, all columns, sorted."""
    out: Rows = {}
    for name, table in (
        ("daily", DailyItemRollup.__table__),
        ("totals", DailyItemTotal.__table__),
        ("hourly", HourlyRollup.__table__),
    ):
        rows = (await session.execute(select(table))).all()
        out[name] = sorted((tuple(_normal(v) for v in row) for row in rows), key=repr)
    return out


async def stored_rollups(database: Database, shop: Shop) -> Rows:
    async with database.sessionmaker() as session:
        await set_tenant(session, shop.business_id)
        rows = await _rows(session)
        await session.rollback()
    return rows


async def assert_exact(database: Database, shop: Shop) -> None:
    """The rollups, every column (category and hour stamps included), equal a rebuild from
    the ledger (run in a transaction that is rolled back), and GROUP BYs over the lines."""
    await assert_rollups_match_ledger(database, shop.business_id)
    async with database.sessionmaker() as session:
        await set_tenant(session, shop.business_id)
        stored = await _rows(session)
        await rebuild_rollups(session, shop.business_id)
        rebuilt = await _rows(session)
        await session.rollback()
    for name in stored:
        only_stored = sorted(set(stored[name]) - set(rebuilt[name]), key=repr)
        only_rebuilt = sorted(set(rebuilt[name]) - set(stored[name]), key=repr)
        assert not only_stored and not only_rebuilt, (name, only_stored, only_rebuilt)


async def aggregate(client: httpx.AsyncClient, shop: Shop, **params: Any) -> dict[str, Any]:
    response = await client.get(
        "/api/v1/sales/aggregate", headers=shop.owner.headers, params=params
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


_PERIODS = {
    "hour": "to_char(hour_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
    "day": "business_date::text",
    "week": "date_trunc('week', business_date::timestamp)::date::text",
    "month": "date_trunc('month', business_date::timestamp)::date::text",
}
_GROUPS = {
    None: "NULL",
    "location": "location_id::text",
    "item": "menu_item_id::text",
    "category": "category_id::text",
    "hour_of_day": "local_hour::int",
    "day_of_week": "extract(isodow FROM business_date)::int",
}
_ALLOWED = {
    "hour": (None, "location"),
    "day": (None, "location", "item", "category", "hour_of_day"),
    "week": tuple(_GROUPS),
    "month": tuple(_GROUPS),
}


async def assert_aggregates_equal_lines(
    client: httpx.AsyncClient, database: Database, shop: Shop, date_from: str, date_to: str
) -> None:
    """/sales/aggregate, in every granularity and grouping, for the business and for one
    location, equals sums over the raw ledger lines (items sold of a group of items count
    +1 per line sold and -1 per line refunded, as the rollups do)."""
    for location in (None, *(str(place) for place in shop.locations.values())):
        await _assert_items_and_history_equal_lines(
            client, database, shop, date_from, date_to, location
        )
        for granularity, groups in _ALLOWED.items():
            for group_by in groups:
                params: dict[str, Any] = {
                    "date_from": date_from, "date_to": date_to, "granularity": granularity
                }  # fmt: skip
                if group_by:
                    params["group_by"] = group_by
                if location:
                    params["location_id"] = location
                body = await aggregate(client, shop, **params)
                by_item = group_by in ("item", "category")
                count = "sum(sign(quantity))" if by_item else "sum(transactions)"
                sums = await fetch(
                    database,
                    shop.business_id,
                    f"SELECT {_PERIODS[granularity]} AS period, {_GROUPS[group_by]} AS grp,"
                    f" sum(net_amount) AS revenue, {count}::bigint AS transactions,"
                    " sum(quantity) AS quantity FROM sales_ledger"
                    " WHERE business_date BETWEEN :first AND :last"
                    " AND (CAST(:location AS uuid) IS NULL OR location_id = :location)"
                    " GROUP BY 1, 2",
                    first=date.fromisoformat(date_from),
                    last=date.fromisoformat(date_to),
                    location=location,
                )
                wanted = {
                    (r["period"], r["grp"]): (r["revenue"], r["transactions"], r["quantity"])
                    for r in sums
                    if r["revenue"] or r["transactions"] or r["quantity"]
                }
                got = {
                    (
                        p["period_start"],
                        None if p["group"] is None else p["group"]["key"],
                    ): (money(p["revenue"]), p["transactions"], money(p["items_sold"]))
                    for p in body["time_series"]
                    if p["revenue"] or p["transactions"] or p["items_sold"]
                }
                assert got == wanted, params
                if group_by is None:
                    assert money(body["total_revenue"]) == sum(
                        (v[0] for v in wanted.values()), Decimal(0)
                    ), params


async def _assert_items_and_history_equal_lines(
    client: httpx.AsyncClient,
    database: Database,
    shop: Shop,
    date_from: str,
    date_to: str,
    location: str | None,
) -> None:
    """/sales/top-items and /sales/historical (every metric; per item and per category)
    equal sums over the ledger lines."""
    scope: dict[str, Any] = {"date_from": date_from, "date_to": date_to}
    if location:
        scope["location_id"] = location
    where = (
        " FROM sales_ledger WHERE business_date BETWEEN :first AND :last"
        " AND (CAST(:location AS uuid) IS NULL OR location_id = :location)"
    )
    bounds = {
        "first": date.fromisoformat(date_from),
        "last": date.fromisoformat(date_to),
        "location": location,
    }
    top = await client.get(
        "/api/v1/sales/top-items", headers=shop.owner.headers, params={**scope, "limit": 100}
    )
    assert top.status_code == 200, top.text
    got = {
        i["menu_item_id"]: (money(i["revenue"]), money(i["quantity"]), i["transactions"])
        for i in top.json()["items"]
    }
    items = await fetch(
        database,
        shop.business_id,
        "SELECT menu_item_id::text AS item, sum(net_amount) AS revenue,"
        f" sum(quantity) AS quantity, sum(sign(quantity))::bigint AS sold{where}"
        " AND menu_item_id IS NOT NULL GROUP BY 1",
        **bounds,
    )
    assert got == {r["item"]: (r["revenue"], r["quantity"], r["sold"]) for r in items}, scope
    metrics = {
        "revenue": "sum(net_amount)",
        "quantity": "sum(quantity)",
        "transactions": "sum(transactions)",
        "covers": "sum(covers)",
    }
    filters: list[tuple[str, str, str]] = [("", "", "")]
    filters += [("menu_item_id", str(item), "menu_item_id") for item in shop.items.values()]
    filters += [("category_id", str(c), "category_id") for c in shop.categories.values()]
    for name, value, column in filters:
        for metric, total in metrics.items():
            if name:
                if metric == "covers":
                    continue
                if metric == "transactions":
                    total = "sum(sign(quantity))"
            params = {**scope, "metric": metric, "page_size": 1000}
            if name:
                params[name] = value
            response = await client.get(
                "/api/v1/sales/historical", headers=shop.owner.headers, params=params
            )
            assert response.status_code == 200, response.text
            series = {p["date"]: money(p["value"]) for p in response.json()["items"] if p["value"]}
            condition = f" AND {column} = CAST(:value AS uuid)" if name else ""
            sums = await fetch(
                database,
                shop.business_id,
                f"SELECT business_date::text AS day, {total} AS value{where}{condition} GROUP BY 1",
                **bounds,
                **({"value": value} if name else {}),
            )
            assert series == {r["day"]: r["value"] for r in sums if r["value"]}, params


async def test_every_writer_in_turn_keeps_the_rollups_exact(
    client: httpx.AsyncClient, database: Database
) -> None:
    shop = await create_shop(client, database, timezone=NY, cutoff=4)
    other = await create_shop(client, database, timezone=NY, cutoff=4)
    main, harbour = (str(shop.locations[n]) for n in ("Main", "Harbour"))
    piz, pas, tir = (str(shop.items[s]) for s in ("PIZ", "PAS", "TIR"))
    theirs_lines = [
        {"sold_at": "2026-11-02T18:00:00Z", "sku": "PIZ", "quantity": 1, "amount": "10.00"}
    ]
    assert (await bulk(client, other.owner, theirs_lines, batch_id="b-1")).status_code == 201
    theirs = await stored_rollups(database, other)

    # Till: a sale paid, partly refunded, then refunded in full.
    till = await client.post(
        "/api/v1/sales",
        headers=shop.owner.headers,
        json={
            "location_id": main,
            "items": [{"menu_item_id": piz, "quantity": 2}, {"menu_item_id": tir, "quantity": 1}],
            "payments": [{"method": "card", "amount": "30.00"}],
        },
    )
    assert till.status_code == 201, till.text
    sale = till.json()
    payment = sale["payments"][0]["id"]
    for amount in ("7.00", str(money(sale["total_amount"]) - 7)):
        refunded = await client.post(
            f"/api/v1/sales/{sale['id']}/refunds",
            headers=shop.owner.headers,
            json={"payment_id": payment, "amount": amount, "reason": "cold"},
        )
        assert refunded.status_code == 201, refunded.text
    await assert_exact(database, shop)

    # Another POS's late sale.
    webhook = await client.post(
        "/api/v1/sales",
        headers=shop.owner.headers,
        json={"source": "webhook", "sold_at": "2026-11-02T23:30:00Z", "external_id": "w-1",
              "status": "completed", "location_id": harbour,
              "items": [{"menu_item_id": pas, "quantity": 3, "unit_price": "9.50"}]},
    )  # fmt: skip
    assert webhook.status_code == 201, webhook.text

    # A bulk batch with a refund line and one bad line left out.
    lines = [
        {"sold_at": "2026-11-02T20:00:00Z", "sku": "PIZ", "quantity": 2, "amount": "20.00",
         "location_id": main},
        {"sold_at": "2026-11-02T20:10:00Z", "sku": "PIZ", "quantity": -1, "amount": "-10.00",
         "location_id": main},
        {"sold_at": "2026-11-03T07:00:00Z", "sku": "TIR", "quantity": 1, "amount": "6.00"},
        {"sold_at": "2026-11-03T07:00:00Z", "sku": "NOPE", "quantity": 1, "amount": "6.00"},
    ]  # fmt: skip
    response = await bulk(client, shop.owner, lines, batch_id="bulk-1", skip_invalid=True)
    assert response.status_code == 201, response.text
    await assert_exact(database, shop)

    # CSV files of both shapes; a second, overlapping daily file replaces the first's day.
    line_file = csv_bytes(
        ["timestamp", "sku", "quantity", "amount", "location"],
        [["2026-11-02T21:00:00Z", "PAS", 1, "9.50", "Harbour"],
         ["2026-11-01T05:30:00Z", "TIR", 2, "12.00", ""]],
    )  # fmt: skip
    assert (await upload(client, shop.owner, line_file)).status_code == 201
    first_daily = csv_bytes(
        ["date", "daily_sales", "product_category", "location"],
        [["2026-11-01", "300.00", "Food", "Main"], ["2026-11-02", "400.00", "", ""]],
    )
    assert (await upload(client, shop.owner, first_daily)).status_code == 201
    second_daily = csv_bytes(
        ["date", "daily_sales", "product_category", "location"],
        [["2026-11-02", "450.00", "", ""], ["2026-11-03", "100.00", "Food", "Harbour"]],
    )
    replaced = await upload(client, shop.owner, second_daily, on_overlap="replace")
    assert replaced.status_code == 201, replaced.text
    assert replaced.json()["lines_replaced"] == 1
    await assert_exact(database, shop)
    await assert_aggregates_equal_lines(client, database, shop, "2026-10-31", "2026-11-04")

    # Revert everything imported, one at a time; then send the bulk batch again.
    listed = await client.get(IMPORTS, headers=shop.owner.headers, params={"page_size": 100})
    assert listed.status_code == 200, listed.text
    for entry in listed.json()["items"]:
        reverted = await client.delete(f"{IMPORTS}/{entry['id']}", headers=shop.owner.headers)
        assert reverted.status_code == 204, reverted.text
        await assert_exact(database, shop)
    response = await bulk(client, shop.owner, lines, batch_id="bulk-1", skip_invalid=True)
    assert response.status_code == 201 and not response.json()["duplicate"], response.text
    await assert_exact(database, shop)
    await assert_aggregates_equal_lines(client, database, shop, "2026-10-31", "2026-11-04")
    assert await stored_rollups(database, other) == theirs


def _bulk_lines(shop: Shop, day: int, amount: str, *, refund: bool = False) -> list[Any]:
    main = str(shop.locations["Main"])
    sign = -1 if refund else 1
    return [
        {"sold_at": f"2026-11-{day:02d}T18:{n:02d}:00Z", "sku": sku, "quantity": sign,
         "amount": f"{sign * Decimal(amount)}", "location_id": main}
        for n, sku in enumerate(("PIZ", "PAS", "TIR"))
    ]  # fmt: skip


async def test_writers_at_once_keep_the_rollups_exact(
    client: httpx.AsyncClient, database: Database
) -> None:
    """Tills, bulk batches (two different, one sent twice), a CSV upload and the reverts of
    earlier imports, all at once on the same days, hours and items."""
    shop = await create_shop(client, database, timezone=NY, cutoff=4)
    other = await create_shop(client, database, timezone=NY, cutoff=4)
    assert (await bulk(client, other.owner, _bulk_lines(other, 2, "5.00"))).status_code == 201
    theirs = await stored_rollups(database, other)
    main = str(shop.locations["Main"])
    earlier = []
    for n in range(3):
        response = await bulk(client, shop.owner, _bulk_lines(shop, 2, f"{n + 4}.00"))
        assert response.status_code == 201, response.text
        earlier.append(response.json()["batch_id"])
    listed = await client.get(IMPORTS, headers=shop.owner.headers, params={"page_size": 100})
    ids = {e["batch_id"]: e["id"] for e in listed.json()["items"]}

    def till() -> Any:
        return client.post(
            "/api/v1/sales",
            headers=shop.owner.headers,
            json={"source": "webhook", "sold_at": "2026-11-02T18:30:00Z", "status": "completed",
                  "location_id": main,
                  "items": [{"menu_item_id": str(shop.items["PIZ"]), "quantity": 1,
                             "unit_price": "10.00"}]},
        )  # fmt: skip

    file = csv_bytes(
        ["timestamp", "sku", "quantity", "amount", "location"],
        [["2026-11-02T18:05:00Z", "PAS", 1, "9.50", "Main"]],
    )
    responses = await asyncio.gather(
        till(),
        bulk(client, shop.owner, _bulk_lines(shop, 2, "7.00"), batch_id="twice"),
        bulk(client, shop.owner, _bulk_lines(shop, 2, "7.00"), batch_id="twice"),
        client.delete(f"{IMPORTS}/{ids[earlier[0]]}", headers=shop.owner.headers),
        till(),
        bulk(client, shop.owner, _bulk_lines(shop, 2, "8.00", refund=True)),
        client.delete(f"{IMPORTS}/{ids[earlier[1]]}", headers=shop.owner.headers),
        upload(client, shop.owner, file),
        client.delete(f"{IMPORTS}/{ids[earlier[1]]}", headers=shop.owner.headers),
        till(),
        # The other business imports the same lines, under the same batch id, meanwhile.
        bulk(client, other.owner, _bulk_lines(other, 2, "7.00"), batch_id="twice"),
        upload(client, other.owner, file),
    )
    statuses = [r.status_code for r in responses]
    # A duplicate batch answers 200; of the two reverts of one import, one finds it gone.
    assert [statuses[n] for n in (0, 3, 4, 5, 7, 9)] == [201, 204, 201, 201, 201, 201], [
        r.text for r in responses
    ]
    assert sorted([statuses[1], statuses[2]]) == [200, 201]
    assert sorted([statuses[6], statuses[8]]) == [204, 404]
    assert sorted(r.json()["duplicate"] for r in responses[1:3]) == [False, True]
    assert [r.status_code for r in responses[10:]] == [201, 201], [r.text for r in responses]
    await assert_exact(database, shop)
    await assert_aggregates_equal_lines(client, database, shop, "2026-11-01", "2026-11-03")
    await assert_exact(database, other)
    revert = await client.get(IMPORTS, headers=other.owner.headers, params={"page_size": 100})
    for entry in revert.json()["items"][:2]:
        gone = await client.delete(f"{IMPORTS}/{entry['id']}", headers=other.owner.headers)
        assert gone.status_code == 204, gone.text
    assert await stored_rollups(database, other) == theirs


async def test_a_revert_gives_the_day_back_the_category_of_the_lines_left(
    client: httpx.AsyncClient, database: Database
) -> None:
    """Pasta moves from Food to Drinks between a till sale and an import of the same day;
    reverting the import leaves only the Food sale, so the day's Pasta is Food again, as
    a rebuild says and as the category breakdown must show."""
    shop = await create_shop(client, database, timezone=NY, cutoff=4)
    drinks = await add_category(database, shop, "Drinks")
    main, pas = str(shop.locations["Main"]), str(shop.items["PAS"])
    webhook = await client.post(
        "/api/v1/sales",
        headers=shop.owner.headers,
        json={"source": "webhook", "sold_at": "2026-11-02T18:00:00Z", "status": "completed",
              "location_id": main,
              "items": [{"menu_item_id": pas, "quantity": 1, "unit_price": "9.50"}]},
    )  # fmt: skip
    assert webhook.status_code == 201, webhook.text
    moved = await client.patch(
        f"/api/v1/menu/items/{pas}", headers=shop.owner.headers, json={"category_id": str(drinks)}
    )
    assert moved.status_code == 200, moved.text
    lines = [{"sold_at": "2026-11-02T19:00:00Z", "sku": "PAS", "quantity": 1, "amount": "9.50",
              "location_id": main}]  # fmt: skip
    imported = await bulk(client, shop.owner, lines)
    assert imported.status_code == 201, imported.text
    await assert_exact(database, shop)
    listed = await client.get(IMPORTS, headers=shop.owner.headers)
    reverted = await client.delete(
        f"{IMPORTS}/{listed.json()['items'][0]['id']}", headers=shop.owner.headers
    )
    assert reverted.status_code == 204, reverted.text
    await assert_exact(database, shop)
    body = await aggregate(
        client, shop, date_from="2026-11-02", date_to="2026-11-02", group_by="category"
    )
    assert [(g["key"], money(g["revenue"])) for g in body["groups"]] == [
        (str(shop.categories["Food"]), Decimal("9.50"))
    ]


# --- generated sequences -------------------------------------------------------------------

_WHERE = st.sampled_from(["Main", "Harbour", ""])
_SALE_LINE = st.tuples(
    st.integers(1, 3),  # day of November
    st.sampled_from([3, 8, 9, 23]),  # UTC hour (4 a.m. New York is the cutoff hour)
    st.sampled_from(["PIZ", "PAS", "TIR"]),
    st.integers(-2, 3),  # quantity (negative: a refund line)
    _WHERE,
)
_OPERATION = st.one_of(
    st.tuples(st.just("bulk"), st.lists(_SALE_LINE, min_size=1, max_size=4)),
    st.tuples(st.just("csv"), st.lists(_SALE_LINE, min_size=1, max_size=4)),
    st.tuples(
        st.just("daily"),
        st.lists(
            st.tuples(st.integers(1, 3), st.sampled_from(["Food", "Drinks", ""]), _WHERE),
            min_size=1,
            max_size=3,
        ),
        st.sampled_from(["add", "replace"]),
    ),
    st.tuples(st.just("webhook"), _SALE_LINE),
    st.tuples(st.just("revert"), st.integers(0, 5)),
    st.tuples(st.just("resend"), st.integers(0, 5)),
)


def _line_json(shop: Shop, line: tuple[int, int, str, int, str], n: int) -> dict[str, Any]:
    day, hour, sku, quantity, where = line
    body: dict[str, Any] = {
        "sold_at": f"2026-11-{day:02d}T{hour:02d}:{n % 60:02d}:00Z",
        "sku": sku,
        "quantity": quantity,
        "amount": str(Decimal(quantity) * Decimal("4.25") + (1 if quantity >= 0 else -1)),
    }
    if where:
        body["location_id"] = str(shop.locations[where])
    return body


@settings(
    max_examples=8,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(_OPERATION, min_size=2, max_size=6))
async def test_any_sequence_of_writes_keeps_the_rollups_exact(
    client: httpx.AsyncClient, database: Database, operations: list[tuple[Any, ...]]
) -> None:
    # Harbour keeps its own zone: its lines have other business dates and hours.
    shop = await create_shop(
        client, database, timezone=NY, cutoff=4,
        locations=[("Main", None), ("Harbour", "Europe/London")],
    )  # fmt: skip
    await add_category(database, shop, "Drinks")
    sent: list[Any] = []  # what each import sent, to send it again
    for number, operation in enumerate(operations):
        kind = operation[0]
        response: httpx.Response | None = None
        if kind == "bulk":
            lines = [_line_json(shop, line, n) for n, line in enumerate(operation[1])]
            response = await bulk(client, shop.owner, lines, batch_id=f"batch-{number}")
            sent.append(("bulk", lines, f"batch-{number}"))
        elif kind == "csv":
            rows = [
                [j["sold_at"], j["sku"], j["quantity"], j["amount"], line[4]]
                for j, line in (
                    (_line_json(shop, line, n), line) for n, line in enumerate(operation[1])
                )
            ]
            file = csv_bytes(["timestamp", "sku", "quantity", "amount", "location"], rows)
            response = await upload(client, shop.owner, file)
            sent.append(("csv", file, "reject"))
        elif kind == "daily":
            file = csv_bytes(
                ["date", "daily_sales", "product_category", "location"],
                [[f"2026-11-0{d}", f"{100 + 7 * n}.00", c, w] for n, (d, c, w) in
                 enumerate(operation[1])],
            )  # fmt: skip
            response = await upload(client, shop.owner, file, on_overlap=operation[2])
            sent.append(("csv", file, operation[2]))
        elif kind == "webhook":
            body = _line_json(shop, operation[1], number)
            if body["quantity"] <= 0:
                continue
            webhook = await client.post(
                "/api/v1/sales",
                headers=shop.owner.headers,
                json={"source": "webhook", "sold_at": body["sold_at"], "status": "completed",
                      "location_id": str(shop.locations["Main"]),
                      "items": [{"menu_item_id": str(shop.items[body["sku"]]),
                                 "quantity": body["quantity"], "unit_price": "4.25"}]},
            )  # fmt: skip
            assert webhook.status_code == 201, webhook.text
        elif kind == "revert":
            listed = await client.get(IMPORTS, headers=shop.owner.headers)
            items = listed.json()["items"]
            if not items:
                continue
            target = items[operation[1] % len(items)]["id"]
            reverted = await client.delete(f"{IMPORTS}/{target}", headers=shop.owner.headers)
            assert reverted.status_code == 204, reverted.text
        elif kind == "resend" and sent:
            what, payload, option = sent[operation[1] % len(sent)]
            if what == "bulk":
                response = await bulk(client, shop.owner, payload, batch_id=option)
            else:
                response = await upload(client, shop.owner, payload, on_overlap=option)
        if response is not None:
            assert response.status_code in (200, 201), (operation, response.text)
        await assert_exact(database, shop)
    await assert_aggregates_equal_lines(client, database, shop, "2026-10-31", "2026-11-04")


async def test_a_batch_sent_again_while_its_revert_commits_is_imported(
    client: httpx.AsyncClient, database: Database, database_url: str
) -> None:
    """A sender retries a batch while the owner reverts it: the retry must not be answered
    "already imported" from the batch the revert is deleting, or its lines are lost."""
    shop = await create_shop(client, database, timezone=NY, cutoff=4)
    lines = _bulk_lines(shop, 2, "6.00")
    assert (await bulk(client, shop.owner, lines, batch_id="retry")).status_code == 201
    listed = await client.get(IMPORTS, headers=shop.owner.headers)
    import_id = uuid.UUID(listed.json()["items"][0]["id"])
    async with database.sessionmaker() as session:
        await set_tenant(session, shop.business_id)
        user = await session.get(User, uuid.UUID(shop.owner.user_id))
        principal = Principal(
            business_id=shop.business_id, role=Role.owner, kitchen_profile=None, user=user
        )
        await revert_import(session, principal, import_id)
        resend = asyncio.ensure_future(bulk(client, shop.owner, lines, batch_id="retry"))
        await until_waiting_or(database_url, resend.done)
        await session.commit()
    response = await resend
    assert response.status_code == 201, response.text
    assert response.json()["duplicate"] is False and response.json()["lines_written"] == 3
    ledger = await fetch(database, shop.business_id, "SELECT count(*) AS n FROM sales_ledger")
    assert ledger == [{"n": 3}]
    await assert_exact(database, shop)


async def test_imports_and_reverts_queued_on_the_ledger_lock_keep_the_rollups_exact(
    client: httpx.AsyncClient, database: Database, database_url: str
) -> None:
    """With the business's ledger held, a bulk batch (twice), a revert, an overlapping daily
    file replacing an earlier one and a line file all queue for it while the tills keep
    selling on the same days; once it is free they run one after the other."""
    shop = await create_shop(client, database, timezone=NY, cutoff=4)
    main = str(shop.locations["Main"])
    earlier = await bulk(client, shop.owner, _bulk_lines(shop, 2, "3.00"))
    assert earlier.status_code == 201, earlier.text
    daily = csv_bytes(["date", "daily_sales", "location"], [["2026-11-02", "250.00", "Main"]])
    assert (await upload(client, shop.owner, daily)).status_code == 201
    listed = await client.get(IMPORTS, headers=shop.owner.headers, params={"kind": "bulk"})
    reverted_id = listed.json()["items"][0]["id"]
    corrected = csv_bytes(
        ["date", "daily_sales", "location"],
        [["2026-11-02", "275.00", "Main"], ["2026-11-03", "90.00", "Main"]],
    )
    lines_file = csv_bytes(
        ["timestamp", "sku", "quantity", "amount", "location"],
        [["2026-11-02T09:15:00Z", "TIR", 2, "12.00", "Main"]],
    )

    def till(minute: int) -> Any:
        return client.post(
            "/api/v1/sales",
            headers=shop.owner.headers,
            json={"source": "webhook", "sold_at": f"2026-11-02T09:{minute:02d}:00Z",
                  "status": "completed", "location_id": main,
                  "items": [{"menu_item_id": str(shop.items["TIR"]), "quantity": 1,
                             "unit_price": "6.00"}]},
        )  # fmt: skip

    async with database.sessionmaker() as session:
        await set_tenant(session, shop.business_id)
        await LedgerRepository(session, shop.business_id).lock_business_ledger()
        queued = asyncio.gather(
            bulk(client, shop.owner, _bulk_lines(shop, 2, "7.00"), batch_id="x"),
            client.delete(f"{IMPORTS}/{reverted_id}", headers=shop.owner.headers),
            upload(client, shop.owner, corrected, on_overlap="replace"),
            bulk(client, shop.owner, _bulk_lines(shop, 2, "7.00"), batch_id="x"),
            upload(client, shop.owner, lines_file),
        )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + LOCK_WAIT_LIMIT
        while await lock_waiters(database_url) < 5:
            assert not queued.done() and loop.time() < deadline, "the writers did not queue"
            await asyncio.sleep(0.01)
        # The tills do not wait for the ledger lock.
        for minute in (5, 20):
            sold = await till(minute)
            assert sold.status_code == 201, sold.text
        await session.rollback()
    responses = await queued
    assert [r.status_code for r in responses[1:3]] == [204, 201], [r.text for r in responses]
    assert sorted([responses[0].status_code, responses[3].status_code]) == [200, 201]
    assert responses[2].json()["lines_replaced"] == 1
    assert responses[4].status_code == 201, responses[4].text
    await assert_exact(database, shop)
    await assert_aggregates_equal_lines(client, database, shop, "2026-11-01", "2026-11-03")


async def test_reverting_an_import_of_more_rows_than_one_statement_takes(
    client: httpx.AsyncClient, database: Database
) -> None:
    """A revert subtracts in runs of rows (a date's item totals may be split over two runs):
    an import touching over 2,000 daily rows comes back out exactly, and only it."""
    shop = await create_shop(client, database, timezone=NY, cutoff=4)
    till = await client.post(
        "/api/v1/sales",
        headers=shop.owner.headers,
        json={"source": "webhook", "sold_at": "2026-03-01T18:00:00Z", "status": "completed",
              "location_id": str(shop.locations["Main"]),
              "items": [{"menu_item_id": str(shop.items["PIZ"]), "quantity": 1,
                         "unit_price": "10.00"}]},
    )  # fmt: skip
    assert till.status_code == 201, till.text
    before = await stored_rollups(database, shop)
    places = [str(shop.locations["Main"]), str(shop.locations["Harbour"]), None]
    lines = [
        {"date": (date(2026, 1, 1) + timedelta(days=day)).isoformat(), "sku": sku,
         "quantity": 1, "amount": "2.50", **({"location_id": place} if place else {})}
        for day in range(230) for sku in ("PIZ", "PAS", "TIR") for place in places
    ]  # fmt: skip
    imported = await bulk(client, shop.owner, lines)
    assert imported.status_code == 201, imported.text
    await assert_exact(database, shop)
    listed = await client.get(IMPORTS, headers=shop.owner.headers)
    reverted = await client.delete(
        f"{IMPORTS}/{listed.json()['items'][0]['id']}", headers=shop.owner.headers
    )
    assert reverted.status_code == 204, reverted.text
    await assert_exact(database, shop)
    assert await stored_rollups(database, shop) == before

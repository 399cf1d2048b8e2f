"""rebuild_rollups: rollups written line by line equal those recomputed from the ledger."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import delete, select

from tableside.db.database import Database, set_tenant
from tableside.ledger.lines import LineIn
from tableside.ledger.maintenance import rebuild_rollups
from tableside.models import DailyItemRollup, DailyItemTotal, HourlyRollup, SaleSource
from tests.factories import Account
from tests.factories.ledger import (
    assert_rollups_match_ledger,
    bulk,
    create_shop,
    csv_bytes,
    fetch,
    upload,
)
from tests.factories.ledger_queries import (
    create_location,
    get_ok,
    ledger_business,
    local,
    record,
    refund,
    sale,
)

NY = "America/New_York"


async def snapshot(database: Database, account: Account) -> dict[str, set[tuple[Any, ...]]]:
    """Every rollup row of the business, all columns."""
    business_id = uuid.UUID(account.business_id)
    async with database.session() as session:
        await set_tenant(session, business_id)
        daily = (await session.execute(select(DailyItemRollup.__table__))).all()
        hourly = (await session.execute(select(HourlyRollup.__table__))).all()
        totals = (await session.execute(select(DailyItemTotal.__table__))).all()
    summed: dict[tuple[Any, ...], list[Any]] = {}
    for row in daily:
        key = (row.business_id, row.business_date, row.item_key, row.category_key)
        total = summed.setdefault(key, [0, 0, 0, 0, 0])
        columns = ("quantity", "net_amount", "cost", "line_count", "costed_revenue")
        for index, column in enumerate(columns):
            total[index] += getattr(row, column)
    # The business-wide totals are the daily item rollups summed over locations.
    assert {
        (row.business_id, row.business_date, row.item_key, row.category_key): [
            row.quantity,
            row.net_amount,
            row.cost,
            row.line_count,
            row.costed_revenue,
        ]
        for row in totals
    } == summed
    return {
        "daily": {tuple(row) for row in daily},
        "hourly": {tuple(row) for row in hourly},
        "totals": {tuple(row) for row in totals},
    }


async def rebuild(database: Database, account: Account) -> tuple[int, int]:
    business_id = uuid.UUID(account.business_id)
    async with database.session() as session:
        await set_tenant(session, business_id)
        result = await rebuild_rollups(session, business_id)
    return result.daily_rows, result.hourly_rows


def random_lines(
    rng: random.Random,
    days: list[date],
    items: list[tuple[uuid.UUID | None, uuid.UUID | None]],
    locations: list[uuid.UUID | None],
) -> list[LineIn]:
    """A few sales (some of several lines), refunds and a daily import line."""
    lines: list[LineIn] = []
    for _ in range(rng.randint(1, 4)):
        day = rng.choice(days)
        at = local(NY, day.year, day.month, day.day, 0) + timedelta(minutes=rng.randrange(24 * 60))
        location = rng.choice(locations)
        for position in range(rng.randint(1, 3)):
            item, category = rng.choice(items)
            quantity = rng.randint(1, 4)
            amount = f"{rng.randint(50, 5000) / 100:.2f}"
            if rng.random() < 0.2:
                lines.append(
                    refund(at, amount, quantity=str(quantity), item=item, category=category,
                           location=location, cost="0.50")
                )  # fmt: skip
            else:
                lines.append(
                    sale(at, amount, quantity=str(quantity), item=item, category=category,
                         location=location, cost=rng.choice([None, "1.25"]),
                         covers=rng.randint(0, 4) if position == 0 else 0,
                         transactions=1 if position == 0 else 0)
                )  # fmt: skip
    if rng.random() < 0.3:
        lines.append(sale(datetime(2000, 1, 1, tzinfo=UTC), "300.00", quantity="0",
                          business_date=rng.choice(days), transactions=0))  # fmt: skip
    return lines


async def test_incremental_rollups_equal_the_rebuild(
    client: httpx.AsyncClient, database: Database
) -> None:
    owner = await ledger_business(client, timezone=NY, cutoff_hour=4)
    # A location in another zone: its lines keep their own business dates and hours.
    london = uuid.UUID(await create_location(client, owner, "London", timezone="Europe/London"))
    queens = uuid.UUID(await create_location(client, owner, "Queens"))
    categories = [uuid.uuid4(), uuid.uuid4()]
    items = [(uuid.uuid4(), categories[n % 2]) for n in range(5)] + [(uuid.uuid4(), None)]
    items.append((None, None))
    locations: list[uuid.UUID | None] = [london, queens, None]
    # Both DST changes (8 March and 1 November 2026) and ordinary days around them.
    dst_days = [date(2026, 3, 7) + timedelta(days=n) for n in range(3)]
    dst_days += [date(2026, 10, 31) + timedelta(days=n) for n in range(3)]
    rng = random.Random(20261124)
    # Recent days first, then lines arriving late for old dates.
    for batch in range(30):
        days = dst_days[3:] if batch < 15 else dst_days[:3]
        await record(database, owner, random_lines(rng, days, items, locations))
    await record(
        database,
        owner,
        [
            sale(local(NY, 2026, 3, 8, 1, 30), "9.00", item=items[0][0], category=items[0][1]),
            sale(local(NY, 2026, 3, 8, 3, 30), "9.00", item=items[0][0], category=items[0][1]),
            sale(datetime(2026, 11, 1, 5, 30, tzinfo=UTC), "7.00", location=queens),
            sale(datetime(2026, 11, 1, 6, 30, tzinfo=UTC), "7.00", location=queens),
        ],
        source=SaleSource.webhook,
    )
    incremental = await snapshot(database, owner)
    assert len(incremental["daily"]) > 20 and len(incremental["hourly"]) > 20
    before = await get_ok(
        client, owner, "aggregate", date_from="2026-03-06", date_to="2026-11-03", group_by="item"
    )

    counts = await rebuild(database, owner)
    assert await snapshot(database, owner) == incremental
    assert counts == (len(incremental["daily"]), len(incremental["hourly"]))
    # Rebuilding twice changes nothing either.
    await rebuild(database, owner)
    assert await snapshot(database, owner) == incremental
    after = await get_ok(
        client, owner, "aggregate", date_from="2026-03-06", date_to="2026-11-03", group_by="item"
    )
    assert after == before


async def test_rebuild_restores_missing_rollups_of_one_business_only(
    client: httpx.AsyncClient, database: Database
) -> None:
    owner = await ledger_business(client, timezone="UTC", cutoff_hour=0)
    other = await ledger_business(client, timezone="UTC", cutoff_hour=0)
    item = uuid.uuid4()
    lines = [
        sale(datetime(2026, 6, 1, 12, tzinfo=UTC), "10.00", item=item, covers=2),
        sale(datetime(2026, 6, 2, 12, tzinfo=UTC), "20.00", item=item),
        refund(datetime(2026, 6, 3, 12, tzinfo=UTC), "10.00", item=item),
    ]
    await record(database, owner, lines)
    await record(database, other, lines[:1])
    expected = await snapshot(database, owner)
    theirs = await snapshot(database, other)
    business_id = uuid.UUID(owner.business_id)
    # Lines loaded without rollups (as a COPY would leave them).
    async with database.session() as session:
        await set_tenant(session, business_id)
        await session.execute(delete(DailyItemRollup))
        await session.execute(delete(HourlyRollup))
        await session.execute(delete(DailyItemTotal))
    assert await snapshot(database, owner) == {"daily": set(), "hourly": set(), "totals": set()}
    assert await rebuild(database, owner) == (3, 3)
    assert await snapshot(database, owner) == expected
    assert await snapshot(database, other) == theirs
    body = await get_ok(client, owner, "aggregate", date_from="2026-06-01", date_to="2026-06-03")
    assert body["total_revenue"] == 20 and body["transaction_count"] == 2 and body["covers"] == 2


async def test_rebuild_of_an_empty_ledger(client: httpx.AsyncClient, database: Database) -> None:
    owner = await ledger_business(client)
    assert await rebuild(database, owner) == (0, 0)


async def test_costed_revenue_is_exact_through_every_writer(
    client: httpx.AsyncClient, database: Database
) -> None:
    """History imported before an item had a cost, then sales with costs, through every
    writer (CSV in both shapes, bulk, the till with partial and full refunds, another POS's
    webhook, a late line): the rollups' costed revenue is the ledger's revenue with a cost,
    and equals what a rebuild computes."""
    shop = await create_shop(client, database, timezone=NY, cutoff=4)
    piz, pas, tir = (str(shop.items[sku]) for sku in ("PIZ", "PAS", "TIR"))
    history = csv_bytes(
        ["timestamp", "sku", "quantity", "amount", "location"],
        [["2026-06-01T18:00:00Z", "TIR", 3, "18.00", "Main"],
         ["2026-06-01T19:00:00Z", "PIZ", 2, "20.00", "Main"],
         ["2026-06-02T19:00:00Z", "TIR", 1, "6.00", "Harbour"]],
    )  # fmt: skip
    assert (await upload(client, shop.owner, history)).status_code == 201
    daily = csv_bytes(["date", "daily_sales"], [["2026-06-01", "500.00"]])
    assert (await upload(client, shop.owner, daily)).status_code == 201
    lines = [
        {"sold_at": "2026-06-01T20:00:00Z", "sku": "PAS", "quantity": 2, "amount": "19.00",
         "location_id": str(shop.locations["Main"])},
        {"sold_at": "2026-06-01T21:00:00Z", "sku": "PAS", "quantity": -1, "amount": "-9.50",
         "location_id": str(shop.locations["Main"])},
        {"sold_at": "2026-06-01T21:30:00Z", "sku": "TIR", "quantity": 1, "amount": "6.00"},
    ]  # fmt: skip
    assert (await bulk(client, shop.owner, lines)).status_code == 201

    # The tiramisu gets a cost: from now on its lines carry one.
    patched = await client.patch(
        f"/api/v1/menu/items/{tir}", headers=shop.owner.headers, json={"cost": "1.50"}
    )
    assert patched.status_code == 200, patched.text
    till = await client.post(
        "/api/v1/sales",
        headers=shop.owner.headers,
        json={
            "items": [{"menu_item_id": tir, "quantity": 2}, {"menu_item_id": piz, "quantity": 1}]
        },
    )
    assert till.status_code == 201, till.text
    paid = await client.post(
        f"/api/v1/sales/{till.json()['id']}/payments",
        headers=shop.owner.headers,
        json={"method": "card", "amount": str(till.json()["total_amount"])},
    )
    assert paid.status_code == 201, paid.text
    payment_id = paid.json()["payments"][0]["id"]
    refunds = f"/api/v1/sales/{till.json()['id']}/refunds"
    total = Decimal(str(till.json()["total_amount"]))
    for amount in (Decimal("5.00"), total - 5):  # partial, then the rest
        refunded = await client.post(
            refunds,
            headers=shop.owner.headers,
            json={"payment_id": payment_id, "amount": str(amount), "reason": "cold"},
        )
        assert refunded.status_code == 201, refunded.text
    for sold_at, external_id in (("2026-06-02T18:00:00Z", "w-1"), ("2026-06-01T22:00:00Z", "w-2")):
        webhook = await client.post(
            "/api/v1/sales",
            headers=shop.owner.headers,
            json={"source": "webhook", "sold_at": sold_at, "external_id": external_id,
                  "status": "completed",
                  "items": [{"menu_item_id": tir, "quantity": 1, "unit_price": "6.00"},
                            {"menu_item_id": pas, "quantity": 1, "unit_price": "9.50"}]},
        )  # fmt: skip
        assert webhook.status_code == 201, webhook.text

    await assert_rollups_match_ledger(database, shop.business_id)
    tiramisu = await fetch(
        database,
        shop.business_id,
        "SELECT business_date, net_amount, costed_revenue FROM sales_daily_item_totals"
        " WHERE item_key = :item AND business_date < '2026-06-03' ORDER BY 1",
        item=shop.items["TIR"],
    )
    # 1 June: 18.00 + 6.00 imported without a cost, 6.00 from the webhook late line with
    # one; 2 June: 6.00 without, 6.00 with.
    assert [(r["net_amount"], r["costed_revenue"]) for r in tiramisu] == [
        (Decimal("30.00"), Decimal("6.00")),
        (Decimal("12.00"), Decimal("6.00")),
    ]
    incremental = await snapshot(database, shop.owner)
    await rebuild(database, shop.owner)
    assert await snapshot(database, shop.owner) == incremental

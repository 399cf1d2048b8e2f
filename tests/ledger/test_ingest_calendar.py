"""Imported lines land in the business's own calendar, and the rollups are what the small
write path (`record_lines`) makes of the same lines."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import httpx

from tableside.db.database import Database, set_tenant
from tableside.ledger.lines import LineIn
from tableside.ledger.writer import record_lines
from tableside.models import SaleSource
from tests.factories.ledger import (
    Shop,
    assert_rollups_match_ledger,
    bulk,
    create_shop,
    csv_bytes,
    daily_rollups,
    fetch,
    hourly_rollups,
    ledger_lines,
    upload,
)

D = Decimal
NEW_YORK = "America/New_York"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


async def test_cutoff_and_daylight_saving_edges(
    client: httpx.AsyncClient, database: Database
) -> None:
    shop = await create_shop(client, database, timezone=NEW_YORK, cutoff=4)
    content = csv_bytes(
        ["timestamp", "sku", "quantity", "amount"],
        [
            ["2026-11-24T06:30:00Z", "PIZ", 1, "10"],  # 01:30 local: business day 23 Nov
            ["2026-11-24T09:30:00Z", "PIZ", 1, "10"],  # 04:30 local: business day 24 Nov
            # Fall back, 1 Nov 2026: 01:30 happens twice (EDT, then EST).
            ["2026-11-01T05:30:00Z", "PAS", 1, "7"],
            ["2026-11-01T06:30:00Z", "PAS", 1, "8"],
            # Spring forward, 8 Mar 2026: 01:59 EST is followed by 03:00 EDT.
            ["2026-03-08T06:59:00Z", "TIR", 1, "5"],
            ["2026-03-08T07:00:00Z", "TIR", 1, "6"],
            # Local wall times: 02:30 does not exist (it is 03:30 EDT) and the ambiguous
            # 01:15 is the first one (EDT), as Python's zoneinfo reads it.
            ["2026-03-08 02:30", "TIR", 1, "4"],
            ["2026-11-01 01:15", "PAS", 1, "3"],
        ],
    )
    response = await upload(client, shop.owner, content)
    assert response.status_code == 201, response.text
    rows = {row["net_amount"]: row for row in await ledger_lines(database, shop.business_id)}
    by_instant = {row["sold_at"]: row for row in rows.values()} | {
        row["sold_at"]: row for row in await ledger_lines(database, shop.business_id)
    }
    assert by_instant[utc("2026-11-24T06:30:00Z")]["business_date"] == date(2026, 11, 23)
    assert by_instant[utc("2026-11-24T06:30:00Z")]["local_hour"] == 1
    assert by_instant[utc("2026-11-24T09:30:00Z")]["business_date"] == date(2026, 11, 24)
    assert rows[D("4")]["sold_at"] == utc("2026-03-08T07:30:00Z")
    assert rows[D("4")]["local_hour"] == 3
    assert rows[D("3")]["sold_at"] == utc("2026-11-01T05:15:00Z")

    hours = await hourly_rollups(database, shop.business_id)
    fall_back = [h for h in hours if h["business_date"] == date(2026, 10, 31)]
    # The repeated hour is two rows, both local hour 1, an hour apart.
    assert [(h["hour_start"], h["local_hour"], h["net_amount"]) for h in fall_back] == [
        (utc("2026-11-01T05:00:00Z"), 1, D("10.00")),
        (utc("2026-11-01T06:00:00Z"), 1, D("8.00")),
    ]
    # The night of the change (before the 04:00 cutoff, so business day 7 March) has no
    # local hour 2: hour 1 is followed by hour 3.
    spring = [h for h in hours if h["business_date"] == date(2026, 3, 7)]
    assert [(h["hour_start"], h["local_hour"], h["net_amount"]) for h in spring] == [
        (utc("2026-03-08T06:00:00Z"), 1, D("5.00")),
        (utc("2026-03-08T07:00:00Z"), 3, D("10.00")),
    ]
    await assert_rollups_match_ledger(database, shop.business_id)


async def test_location_zone_with_half_hour_offset(
    client: httpx.AsyncClient, database: Database
) -> None:
    shop = await create_shop(
        client, database, timezone="Europe/Berlin", locations=[("Mumbai", "Asia/Kolkata")]
    )
    response = await bulk(
        client,
        shop.owner,
        [
            {"sold_at": "2026-06-01T22:10:00Z", "sku": "PIZ", "quantity": 1, "amount": 9,
             "location_id": str(shop.locations["Mumbai"])},
            {"sold_at": "2026-06-01T22:10:00Z", "sku": "PIZ", "quantity": 1, "amount": 9},
        ],
    )  # fmt: skip
    assert response.status_code == 201, response.text
    hours = {h["location_key"]: h for h in await hourly_rollups(database, shop.business_id)}
    mumbai = hours[shop.locations["Mumbai"]]
    # 03:40 in India (UTC+5:30): its hour began at 21:30 UTC, business day 1 June (cutoff 4).
    assert mumbai["hour_start"] == utc("2026-06-01T21:30:00Z")
    assert (mumbai["local_hour"], mumbai["business_date"]) == (3, date(2026, 6, 1))
    berlin = hours[uuid.UUID(int=0)]
    assert berlin["hour_start"] == utc("2026-06-01T22:00:00Z")
    assert (berlin["local_hour"], berlin["business_date"]) == (0, date(2026, 6, 1))


# (when, sku, quantity, amount, location name, transaction, covers, business date)
LINES: list[tuple[str | None, str, str, str, str, str, str, str | None]] = [
    ("2026-11-01T05:30:00Z", "PIZ", "2", "20.00", "Main", "A", "3", None),
    ("2026-11-01T05:31:00Z", "PAS", "1", "9.50", "Main", "A", "3", None),
    ("2026-11-01T06:30:00Z", "PIZ", "1", "10.00", "Main", "B", "2", None),
    ("2026-11-01T06:45:00Z", "PIZ", "-1", "-10.00", "Main", "B2", "", None),
    ("2026-11-01T07:05:00+05:30", "TIR", "3", "15.00", "Mumbai", "", "1", None),
    ("2026-03-08 02:30", "TIR", "1", "5.00", "", "", "", None),
    ("2026-11-01 01:20", "PAS", "1.5", "14.25", "Main", "C", "4", None),
    ("2026-11-01 01:20", "PAS", "0", "0.00", "Main", "C", "4", None),
    (None, "PIZ", "10", "100.00", "Main", "", "", "2026-11-01"),
    (None, "PAS", "4", "38.00", "Mumbai", "", "", "2026-03-08"),
    (None, "TIR", "-2", "-9.99", "", "", "", "2026-11-02"),
]


async def test_rollups_equal_the_small_path(client: httpx.AsyncClient, database: Database) -> None:
    zones = [("Main", None), ("Mumbai", "Asia/Kolkata")]
    items = [("PIZ", "Pizza", "4.10"), ("PAS", "Pasta", "2.33"), ("TIR", "Tiramisu", None)]
    imported = await create_shop(
        client, database, timezone=NEW_YORK, cutoff=1, items=items, locations=zones
    )
    recorded = await create_shop(
        client, database, timezone=NEW_YORK, cutoff=1, items=items, locations=zones
    )
    header = ["timestamp", "date", "sku", "quantity", "amount", "location",
              "transaction_id", "covers"]  # fmt: skip
    timed = [row for row in LINES if row[0] is not None]
    dated = [row for row in LINES if row[0] is None]
    for chosen, column in ((timed, "timestamp"), (dated, "date")):
        content = csv_bytes(
            [c for c in header if c != ("date" if column == "timestamp" else "timestamp")],
            [[when or day, sku, q, a, loc, txn, cov] for when, sku, q, a, loc, txn, cov, day
             in chosen],
        )  # fmt: skip
        response = await upload(client, imported.owner, content)
        assert response.status_code == 201, response.text

    costs = {"PIZ": D("4.10"), "PAS": D("2.33"), "TIR": None}
    # A sale (transaction) is counted once, on its first line that is not a refund, with
    # the most guests any of its lines gives.
    lines = []
    first_of: dict[str, int] = {}
    guests_of: dict[str, int] = {}
    for index, (_when, _sku, q, a, _loc, txn, cov, _day) in enumerate(LINES):
        if txn and D(q) >= 0 and D(a) >= 0:
            first_of.setdefault(txn, index)
            guests_of[txn] = max(guests_of.get(txn, 0), int(cov or 0))
    for index, (when, sku, q, a, loc, txn, cov, day) in enumerate(LINES):
        location = recorded.locations[loc] if loc else None
        quantity, amount = D(q), D(a)
        refund = quantity < 0 or amount < 0
        if txn:
            counts = first_of.get(txn) == index
            guests = guests_of[txn] if counts else 0
        else:
            counts, guests = not refund, 0 if refund else int(cov or 0)
        unit = costs[sku]
        lines.append(
            LineIn(
                sold_at=_instant(when, loc) if when else datetime(2000, 1, 1, tzinfo=UTC),
                business_date=date.fromisoformat(day) if day else None,
                quantity=quantity,
                net_amount=amount,
                location_id=location,
                menu_item_id=recorded.items[sku],
                category_id=recorded.categories["Food"],
                cost=(unit * quantity).quantize(D("0.01"), ROUND_HALF_UP) if unit else None,
                covers=guests,
                transactions=1 if counts else 0,
            )
        )
    async with database.session() as session:
        await set_tenant(session, recorded.business_id)
        await record_lines(session, recorded.business_id, lines, source=SaleSource.pos)

    assert await _comparable(database, imported) == await _comparable(database, recorded)
    await assert_rollups_match_ledger(database, imported.business_id)


def _instant(when: str, location: str) -> datetime:
    parsed = datetime.fromisoformat(when.replace("Z", "+00:00"))
    if parsed.tzinfo is None:  # local wall time of the location (Main: the business's zone)
        zone = "Asia/Kolkata" if location == "Mumbai" else NEW_YORK
        parsed = parsed.replace(tzinfo=ZoneInfo(zone))
    return parsed.astimezone(UTC)


async def _comparable(database: Database, shop: Shop) -> tuple[list[tuple], list[tuple]]:
    """Both rollups with ids replaced by SKUs and location names."""
    names = {v: k for k, v in shop.locations.items()} | {uuid.UUID(int=0): "-"}
    skus = {v: k for k, v in shop.items.items()} | {uuid.UUID(int=0): "-"}
    daily = sorted(
        (r["business_date"], names[r["location_key"]], skus[r["item_key"]],
         r["quantity"], r["net_amount"], r["cost"], r["line_count"])
        for r in await daily_rollups(database, shop.business_id)
    )  # fmt: skip
    hourly = sorted(
        (r["hour_start"], names[r["location_key"]], r["business_date"], r["local_hour"],
         r["quantity"], r["net_amount"], r["cost"], r["transactions"], r["covers"])
        for r in await hourly_rollups(database, shop.business_id)
    )  # fmt: skip
    return daily, hourly


async def test_rollups_match_the_ledger_after_many_imports(
    client: httpx.AsyncClient, database: Database
) -> None:
    shop = await create_shop(client, database, timezone="Australia/Adelaide", cutoff=3)
    for batch in range(4):
        lines = [
            {"sold_at": f"2026-04-0{1 + i % 7}T{(i * 7) % 24:02d}:{(i * 13) % 60:02d}:00Z",
             "sku": ("PIZ", "PAS", "TIR")[(i + batch) % 3], "quantity": 1 + i % 4,
             "amount": f"{(1 + i % 4) * 3.25:.2f}", "transaction_id": f"{batch}-{i // 2}",
             "location_id": str(shop.locations["Main"]) if i % 3 else None, "covers": i % 5}
            for i in range(300)
        ]  # fmt: skip
        assert (await bulk(client, shop.owner, lines)).status_code == 201
    content = csv_bytes(
        ["date", "daily_sales", "location"],
        [[f"2026-04-0{d}", f"{d * 100}.50", "Harbour"] for d in range(1, 8)],
    )
    assert (await upload(client, shop.owner, content)).status_code == 201
    refund = csv_bytes(
        ["timestamp", "sku", "quantity", "amount"],
        [["2026-04-05T12:00:00+10:30", "PIZ", -2, "-6.50"]],
    )
    assert (await upload(client, shop.owner, refund)).status_code == 201
    await assert_rollups_match_ledger(database, shop.business_id)
    totals = await fetch(
        database,
        shop.business_id,
        "SELECT (SELECT sum(net_amount) FROM sales_ledger) AS ledger,"
        " (SELECT sum(net_amount) FROM sales_daily_item_rollups) AS daily,"
        " (SELECT sum(net_amount) FROM sales_hourly_rollups) AS hourly",
    )
    assert totals[0]["ledger"] == totals[0]["daily"] == totals[0]["hourly"]

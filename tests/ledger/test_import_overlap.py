"""A daily-totals file whose dates overlap an earlier daily import: refused by default (409
`IMPORT_OVERLAP`, nothing written), kept beside it with `on_overlap=add`, or put in place of
the earlier totals of exactly those keys with `on_overlap=replace`. Only daily against daily,
and only the same (business date, location, category)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from click.testing import Result
from typer.testing import CliRunner

import tableside.ledger.tasks  # noqa: F401  (registers the job kind in this process)
from tableside.cli import app
from tableside.config import Settings
from tableside.db.database import Database, set_tenant
from tableside.jobs.tasks import execute_job
from tableside.ledger.repository import LedgerRepository
from tableside.models import JobStatus
from tests.factories import assert_error, money
from tests.factories.ledger import (
    Shop,
    add_category,
    assert_rollups_match_ledger,
    bulk,
    create_shop,
    csv_bytes,
    fetch,
    ledger_lines,
    upload,
)
from tests.factories.locks import LOCK_WAIT_LIMIT, lock_waiters
from tests.ledger.test_import_history import rollups

IMPORTS = "/api/v1/sales/imports"
HEADER = ["date", "daily_sales", "marketing_spend", "is_holiday", "product_category", "location"]
NOV = date(2026, 11, 1)


def day(n: int) -> str:
    """November `n`th, 2026."""
    return (NOV + timedelta(days=n - 1)).isoformat()


Row = tuple[int, str, str, str]  # (day of November, amount, category, location)


def daily_file(rows: list[Row]) -> bytes:
    return csv_bytes(
        HEADER, [[day(n), amount, "", "", category, where] for n, amount, category, where in rows]
    )


def old_rows() -> list[Row]:
    """The first export: Food at Main on the 1st to the 10th, Drinks at Main on the 1st to
    the 7th."""
    food = [(n, f"{100 + n}.00", "Food", "Main") for n in range(1, 11)]
    drinks = [(n, f"{20 + n}.50", "Drinks", "Main") for n in range(1, 8)]
    return food + drinks


def new_rows() -> list[Row]:
    """The corrected, longer export: Food at Main on the 6th to the 15th, other amounts."""
    return [(n, f"{200 + n}.00", "Food", "Main") for n in range(6, 16)]


async def shop_with_drinks(client: httpx.AsyncClient, database: Database) -> Shop:
    shop = await create_shop(client, database)
    await add_category(database, shop, "Drinks")
    return shop


async def till_sales(client: httpx.AsyncClient, shop: Shop) -> None:
    """Item lines from a till on overlapping days: never part of a daily overlap."""
    main = str(shop.locations["Main"])
    lines = [
        {"date": day(7), "sku": "PIZ", "quantity": 2, "amount": "21.00", "location_id": main},
        {"date": day(8), "sku": "PAS", "quantity": 1, "amount": "9.50", "location_id": main},
    ]
    response = await bulk(client, shop.owner, lines, batch_id="till-1")
    assert response.status_code == 201, response.text


async def state(client: httpx.AsyncClient, database: Database, shop: Shop) -> dict[str, Any]:
    """Everything an import changes: rollups, the ledger (without ids), the aggregates."""
    lines = await fetch(
        database,
        shop.business_id,
        "SELECT business_date, location_id, menu_item_id, category_id, quantity, net_amount,"
        " sold_at, hour_start, source FROM sales_ledger ORDER BY 1, 2, 3, 4, 6",
    )
    aggregates = {}
    for group_by in ("category", "location", None):
        params = {"date_from": day(1), "date_to": day(20), "period": "day"}
        if group_by:
            params["group_by"] = group_by
        response = await client.get(
            "/api/v1/sales/aggregate", headers=shop.owner.headers, params=params
        )
        assert response.status_code == 200, response.text
        aggregates[group_by] = response.json()
    return {"rollups": await rollups(database, shop), "lines": lines, "aggregates": aggregates}


async def imports(client: httpx.AsyncClient, shop: Shop) -> list[dict[str, Any]]:
    response = await client.get(IMPORTS, headers=shop.owner.headers, params={"kind": "csv_daily"})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def day_revenue(client: httpx.AsyncClient, shop: Shop) -> dict[str, Decimal]:
    response = await client.get(
        "/api/v1/sales/aggregate",
        headers=shop.owner.headers,
        params={"date_from": day(1), "date_to": day(15), "period": "day"},
    )
    assert response.status_code == 200, response.text
    return {p["period_start"]: money(p["revenue"]) for p in response.json()["time_series"]}


# --- reject (the default) ----------------------------------------------------------------------


async def test_an_overlapping_daily_file_is_refused_and_writes_nothing(
    client: httpx.AsyncClient, database: Database
) -> None:
    shop = await shop_with_drinks(client, database)
    await till_sales(client, shop)
    first = await upload(client, shop.owner, daily_file(old_rows()), filename="october.csv")
    assert first.status_code == 201, first.text
    [earlier] = await imports(client, shop)
    before = await state(client, database, shop)
    audit_before = await fetch(database, shop.business_id, "SELECT id FROM audit_log")

    refused = await upload(client, shop.owner, daily_file(new_rows()), filename="fixed.csv")
    error = assert_error(refused, 409, "IMPORT_OVERLAP")
    assert "2026-11-06" in error["message"] and "2026-11-10" in error["message"]
    assert "on_overlap" in error["message"]
    assert error["details"] == [
        {
            "field": "file",
            "message": "5 business dates (2026-11-06 to 2026-11-10) already hold daily totals"
            " imported from october.csv",
            "import_id": earlier["id"],
            "filename": "october.csv",
            "overlapping_dates": 5,
            "first_date": "2026-11-06",
            "last_date": "2026-11-10",
        }
    ]
    # Nothing written: no lines, no rollups, no history, no audit entry, no signals.
    assert await state(client, database, shop) == before
    assert await imports(client, shop) == [earlier]
    assert await fetch(database, shop.business_id, "SELECT id FROM audit_log") == audit_before

    # The same refusal when asked for explicitly.
    explicit = await upload(client, shop.owner, daily_file(new_rows()), on_overlap="reject")
    assert_error(explicit, 409, "IMPORT_OVERLAP")
    assert await state(client, database, shop) == before


async def test_the_refusal_names_every_earlier_import(
    client: httpx.AsyncClient, database: Database
) -> None:
    shop = await shop_with_drinks(client, database)
    a = await upload(client, shop.owner, daily_file([(1, "10", "Food", "Main")]), filename="a.csv")
    b = await upload(
        client,
        shop.owner,
        daily_file([(3, "10", "Food", "Main"), (4, "10", "Food", "Main")]),
        filename="b.csv",
    )
    assert a.status_code == 201 and b.status_code == 201
    refused = await upload(
        client, shop.owner, daily_file([(n, "1", "Food", "Main") for n in range(1, 6)])
    )
    error = assert_error(refused, 409, "IMPORT_OVERLAP")
    found = {d["filename"]: d for d in error["details"]}
    assert set(found) == {"a.csv", "b.csv"}
    assert (found["a.csv"]["overlapping_dates"], found["a.csv"]["first_date"]) == (1, day(1))
    assert found["b.csv"]["overlapping_dates"] == 2
    assert (found["b.csv"]["first_date"], found["b.csv"]["last_date"]) == (day(3), day(4))
    assert "3 business dates" in error["message"]
    assert "2026-11-01" in error["message"] and "2026-11-04" in error["message"]


# --- add ---------------------------------------------------------------------------------------


async def test_add_keeps_both_files(client: httpx.AsyncClient, database: Database) -> None:
    shop = await shop_with_drinks(client, database)
    assert (await upload(client, shop.owner, daily_file(old_rows()))).status_code == 201
    added = await upload(client, shop.owner, daily_file(new_rows()), on_overlap="add")
    assert added.status_code == 201, added.text
    assert added.json()["lines_written"] == 10 and added.json()["lines_replaced"] == 0
    revenue = await day_revenue(client, shop)
    # The 6th: old Food 106 + new Food 206 + old Drinks 26.50.
    assert revenue[day(6)] == Decimal("338.50")
    assert revenue[day(12)] == Decimal("212.00")
    assert len(await imports(client, shop)) == 2
    assert len(await ledger_lines(database, shop.business_id)) == 27
    await assert_rollups_match_ledger(database, shop.business_id)


# --- replace -----------------------------------------------------------------------------------


async def test_replace_puts_the_new_totals_in_place_of_the_overlapping_ones(
    client: httpx.AsyncClient, database: Database
) -> None:
    shop = await shop_with_drinks(client, database)
    await till_sales(client, shop)
    first = await upload(client, shop.owner, daily_file(old_rows()), filename="october.csv")
    assert first.status_code == 201, first.text
    [earlier] = await imports(client, shop)
    assert (earlier["lines_written"], earlier["last_date"]) == (17, day(10))

    replaced = await upload(
        client, shop.owner, daily_file(new_rows()), filename="fixed.csv", on_overlap="replace"
    )
    assert replaced.status_code == 201, replaced.text
    report = replaced.json()
    assert report["lines_written"] == 10 and report["lines_replaced"] == 5
    await assert_rollups_match_ledger(database, shop.business_id)
    revenue = await day_revenue(client, shop)
    assert revenue[day(5)] == Decimal("105.00") + Decimal("25.50")  # untouched
    assert revenue[day(6)] == Decimal("206.00") + Decimal("26.50")  # Food replaced
    assert revenue[day(8)] == Decimal("208.00") + Decimal("9.50")  # the till's line stays
    assert revenue[day(10)] == Decimal("210.00")

    # The earlier import now holds what is left of it: Food 1-5, Drinks 1-7.
    after = {i["filename"]: i for i in await imports(client, shop)}
    kept = after["october.csv"]
    assert kept["id"] == earlier["id"] and kept["lines_written"] == 12
    assert money(kept["net_amount"]) == sum(
        (Decimal(a) for n, a, c, _ in old_rows() if c == "Drinks" or n <= 5), Decimal(0)
    )
    assert (kept["first_date"], kept["last_date"]) == (day(1), day(7))
    assert after["fixed.csv"]["lines_written"] == 10
    audit = await fetch(
        database,
        shop.business_id,
        "SELECT entity_id, details FROM audit_log WHERE action = 'sales.import_replaced'",
    )
    assert len(audit) == 1 and audit[0]["entity_id"] == earlier["id"]
    details = audit[0]["details"]
    assert details["lines_deleted"] == 5 and details["replaced_by"] == report["batch_id"]
    assert (details["first_date"], details["last_date"]) == (day(6), day(10))
    assert details["net_amount"] == "540.00"  # 106 + ... + 110

    # The same as importing only the new file over the rest of the old one.
    replaced_state = await state(client, database, shop)
    for item in await imports(client, shop):
        deleted = await client.delete(f"{IMPORTS}/{item['id']}", headers=shop.owner.headers)
        assert deleted.status_code == 204, deleted.text
    remainder = [r for r in old_rows() if not (r[2] == "Food" and r[0] >= 6)]
    assert (await upload(client, shop.owner, daily_file(remainder))).status_code == 201
    assert (await upload(client, shop.owner, daily_file(new_rows()))).status_code == 201
    assert await state(client, database, shop) == replaced_state


async def test_an_import_replaced_entirely_leaves_the_history(
    client: httpx.AsyncClient, database: Database
) -> None:
    shop = await shop_with_drinks(client, database)
    short = daily_file([(n, "50.00", "Food", "Main") for n in range(6, 9)])
    assert (await upload(client, shop.owner, short, filename="short.csv")).status_code == 201
    longer = daily_file([(n, "70.00", "Food", "Main") for n in range(1, 16)])
    replaced = await upload(client, shop.owner, longer, filename="long.csv", on_overlap="replace")
    assert replaced.status_code == 201, replaced.text
    assert replaced.json()["lines_replaced"] == 3
    assert [i["filename"] for i in await imports(client, shop)] == ["long.csv"]
    assert set((await day_revenue(client, shop)).values()) == {Decimal("70.00")}
    # What the dropped import's rows were is gone from every rollup (no row left at zero).
    stale = await fetch(
        database,
        shop.business_id,
        "SELECT count(*) AS n FROM sales_daily_item_rollups WHERE net_amount = 0",
    )
    assert stale == [{"n": 0}]
    await assert_rollups_match_ledger(database, shop.business_id)
    # Its file is no longer "already imported": sent again, it overlaps the longer one.
    again = await upload(client, shop.owner, short, filename="short.csv")
    assert_error(again, 409, "IMPORT_OVERLAP")


# --- what is not an overlap --------------------------------------------------------------------


async def test_other_locations_categories_and_line_imports_are_not_overlaps(
    client: httpx.AsyncClient, database: Database
) -> None:
    shop = await shop_with_drinks(client, database)
    await till_sales(client, shop)
    assert (await upload(client, shop.owner, daily_file(old_rows()))).status_code == 201
    harbour = [(n, a, c, "Harbour") for n, a, c, _ in old_rows()]
    assert (await upload(client, shop.owner, daily_file(harbour))).status_code == 201
    drinks_later = [(n, "5.00", "Drinks", "Main") for n in range(8, 12)]
    assert (await upload(client, shop.owner, daily_file(drinks_later))).status_code == 201
    uncategorized = [(n, "7.00", "", "Main") for n in range(1, 11)]
    assert (await upload(client, shop.owner, daily_file(uncategorized))).status_code == 201
    lines = csv_bytes(
        ["date", "sku", "quantity", "amount", "location"],
        [[day(n), "PIZ", 1, "10.00", "Main"] for n in range(1, 11)],
    )
    assert (await upload(client, shop.owner, lines)).status_code == 201
    # The location named by `?location=` for rows without one is the rows' location.
    at_harbour = csv_bytes(["date", "daily_sales"], [[day(n), "3.00"] for n in range(1, 4)])
    response = await upload(client, shop.owner, at_harbour, location="Harbour")
    assert response.status_code == 201, response.text
    # Rows without any location are kept under "no location": a key of its own.
    nowhere = csv_bytes(["date", "daily_sales"], [[day(n), "4.00"] for n in range(1, 4)])
    assert (await upload(client, shop.owner, nowhere)).status_code == 201
    clash = csv_bytes(["date", "daily_sales"], [[day(3), "1.00"], [day(4), "1.00"]])
    error = assert_error(await upload(client, shop.owner, clash), 409, "IMPORT_OVERLAP")
    assert [d["overlapping_dates"] for d in error["details"]] == [1]
    at_harbour_again = await upload(client, shop.owner, clash, location="Harbour")
    assert_error(at_harbour_again, 409, "IMPORT_OVERLAP")


async def test_another_business_never_overlaps(
    client: httpx.AsyncClient, database: Database
) -> None:
    ours = await shop_with_drinks(client, database)
    theirs = await shop_with_drinks(client, database)
    content = daily_file(old_rows())
    assert (await upload(client, theirs.owner, content)).status_code == 201
    shifted = daily_file(new_rows())
    assert (await upload(client, theirs.owner, shifted, on_overlap="add")).status_code == 201
    assert (await upload(client, ours.owner, content)).status_code == 201
    assert (await upload(client, theirs.owner, shifted, on_overlap="add")).status_code == 200
    # Replacing in ours leaves theirs alone.
    before = await state(client, database, theirs)
    replaced = await upload(client, ours.owner, shifted, on_overlap="replace")
    assert replaced.status_code == 201 and replaced.json()["lines_replaced"] == 5
    assert await state(client, database, theirs) == before
    assert len(await imports(client, theirs)) == 2


async def test_the_same_file_again_is_still_a_duplicate(
    client: httpx.AsyncClient, database: Database
) -> None:
    shop = await shop_with_drinks(client, database)
    content = daily_file(old_rows())
    assert (await upload(client, shop.owner, content)).status_code == 201
    before = await state(client, database, shop)
    for policy in (None, "reject", "add", "replace"):
        params = {"on_overlap": policy} if policy else {}
        again = await upload(client, shop.owner, content, **params)
        assert again.status_code == 200, again.text
        assert again.json()["duplicate"] is True and again.json()["lines_written"] == 17
    assert await state(client, database, shop) == before


async def test_a_bad_on_overlap_is_a_validation_error(
    client: httpx.AsyncClient, database: Database
) -> None:
    shop = await shop_with_drinks(client, database)
    bad = await upload(client, shop.owner, daily_file(old_rows()), on_overlap="merge")
    error = assert_error(bad, 422, "VALIDATION_ERROR")
    assert any("on_overlap" in d["field"] for d in error["details"])
    assert await ledger_lines(database, shop.business_id) == []


async def test_two_overlapping_files_at_once_do_not_both_get_in(
    client: httpx.AsyncClient, database: Database, database_url: str
) -> None:
    """The overlap is looked for under the business's ledger lock: with both files checked
    and waiting for the lock, the second to get it sees the first's lines."""
    shop = await shop_with_drinks(client, database)
    async with database.session() as session:
        await set_tenant(session, shop.business_id)
        await LedgerRepository(session, shop.business_id).lock_business_ledger()
        sending = asyncio.gather(
            upload(client, shop.owner, daily_file(old_rows())),
            upload(client, shop.owner, daily_file(new_rows())),
        )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + LOCK_WAIT_LIMIT
        while await lock_waiters(database_url) < 2:
            assert not sending.done() and loop.time() < deadline, "the uploads did not wait"
            await asyncio.sleep(0.01)
    first, second = await sending
    assert sorted([first.status_code, second.status_code]) == [201, 409], (
        first.text,
        second.text,
    )
    assert len(await imports(client, shop)) == 1
    await assert_rollups_match_ledger(database, shop.business_id)


# --- the job and the command -------------------------------------------------------------------


async def test_the_import_job_honours_on_overlap(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    shop = await shop_with_drinks(client, database)
    assert (await upload(client, shop.owner, daily_file(old_rows()))).status_code == 201
    content = daily_file(new_rows())
    queued = await upload(client, shop.owner, content, background=True)
    assert queued.status_code == 202, queued.text
    job_id = queued.json()["job_id"]
    assert await execute_job(database, settings, uuid.UUID(job_id)) == JobStatus.failed
    job = (await client.get(f"/api/v1/jobs/{job_id}", headers=shop.owner.headers)).json()
    assert job["error"]["code"] == "IMPORT_OVERLAP", job
    assert "2026-11-06" in job["error"]["message"]
    assert len(await ledger_lines(database, shop.business_id)) == 17

    queued = await upload(client, shop.owner, content, background=True, on_overlap="replace")
    assert queued.status_code == 202, queued.text
    job_id = queued.json()["job_id"]
    assert await execute_job(database, settings, uuid.UUID(job_id)) == JobStatus.succeeded
    job = (await client.get(f"/api/v1/jobs/{job_id}", headers=shop.owner.headers)).json()
    assert job["result"]["lines_replaced"] == 5, job
    assert len(await ledger_lines(database, shop.business_id)) == 22
    assert (await day_revenue(client, shop))[day(10)] == Decimal("210.00")
    await assert_rollups_match_ledger(database, shop.business_id)


runner = CliRunner()


async def invoke(*args: str) -> Result:
    return await asyncio.to_thread(runner.invoke, app, ["import", "sales", *args])


async def test_the_command_takes_on_overlap(
    client: httpx.AsyncClient, database: Database, cli_env: None, tmp_path: Path
) -> None:
    shop = await shop_with_drinks(client, database)
    slug = shop.owner.business_slug
    old, new = tmp_path / "old.csv", tmp_path / "new.csv"
    old.write_bytes(daily_file(old_rows()))
    new.write_bytes(daily_file(new_rows()))
    assert (await invoke(str(old), "--business-slug", slug)).exit_code == 0

    refused = await invoke(str(new), "--business-slug", slug)
    assert refused.exit_code == 1, refused.output
    assert "already hold daily totals" in refused.output and "--on-overlap" in refused.output
    assert len(await ledger_lines(database, shop.business_id)) == 17

    bad = await invoke(str(new), "--business-slug", slug, "--on-overlap", "merge")
    assert bad.exit_code == 2, bad.output

    replaced = await invoke(str(new), "--business-slug", slug, "--on-overlap", "replace")
    assert replaced.exit_code == 0, replaced.output
    assert "lines replaced" in replaced.output
    assert len(await ledger_lines(database, shop.business_id)) == 22
    assert (await day_revenue(client, shop))[day(10)] == Decimal("210.00")
    await assert_rollups_match_ledger(database, shop.business_id)

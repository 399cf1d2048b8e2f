"""Audit of the CLI import, large-file jobs and the import history: faults found and fixed."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from pathlib import Path

import httpx
from click.testing import Result
from sqlalchemy import select, text, update
from typer.testing import CliRunner

import tableside.ledger.tasks  # noqa: F401  (registers the job kind in this process)
from tableside.cli import app
from tableside.config import Settings
from tableside.db.database import Database, set_tenant
from tableside.demo import DEMO_LOCATIONS
from tableside.demo_history import load_sales_history
from tableside.demo_pos import load_front_of_house
from tableside.jobs.app import open_app_for
from tableside.jobs.repository import JobRepository
from tableside.jobs.tasks import MAX_ATTEMPTS, execute_job, recover_stalled
from tableside.kit.schemas import utcnow
from tableside.models import Business, JobStatus, Location, MenuItem
from tests.factories import Account, assert_error
from tests.factories.ledger import (
    assert_rollups_match_ledger,
    create_shop,
    csv_bytes,
    daily_rollups,
    fetch,
    hourly_rollups,
    ledger_lines,
    upload,
)

runner = CliRunner()


async def invoke(*args: str) -> Result:
    return await asyncio.to_thread(runner.invoke, app, ["import", "sales", *args])


# --- the CLI ---------------------------------------------------------------------------------


async def test_cli_prints_batch_ids_and_file_names_as_written(
    client: httpx.AsyncClient, database: Database, cli_env: None, tmp_path: Path
) -> None:
    """Square brackets in a batch id or a file name are text, not terminal markup: the report
    of an import that committed must not crash (exit 1 and a traceback, for lines that are
    in) nor lose part of the id."""
    shop = await create_shop(client, database)
    slug = shop.owner.business_slug
    path = tmp_path / "daily [corrected].csv"
    path.write_bytes(csv_bytes(["date", "daily_sales"], [["2026-03-01", "100"]]))
    result = await invoke(str(path), "--business-slug", slug, "--batch-id", "[/x] march")
    assert result.exit_code == 0, result.output
    assert "[/x] march" in result.output
    assert len(await ledger_lines(database, shop.business_id)) == 1

    second = tmp_path / "april.csv"
    second.write_bytes(csv_bytes(["date", "daily_sales"], [["2026-04-01", "80"]]))
    tagged = await invoke(str(second), "--business-slug", slug, "--batch-id", "[jan]")
    assert tagged.exit_code == 0 and "[jan]" in tagged.output, tagged.output
    # The header's unknown column is named as written in the error.
    header = tmp_path / "header.csv"
    header.write_bytes(csv_bytes(["date", "daily_sales", "[/note]"], [["2026-05-01", "1", ""]]))
    bad = await invoke(str(header), "--business-slug", slug)
    assert bad.exit_code == 1 and "[/note]" in bad.output, bad.output
    # An overlapping daily file names the earlier one by its file name, brackets and all.
    other = tmp_path / "other.csv"
    other.write_bytes(csv_bytes(["date", "daily_sales"], [["2026-03-01", "90"]]))
    refused = await invoke(str(other), "--business-slug", slug)
    assert refused.exit_code == 1, refused.output
    assert "daily [corrected].csv" in " ".join(refused.output.split())


# --- large files as jobs ---------------------------------------------------------------------


def sales_file(rows: int) -> bytes:
    return csv_bytes(
        ["timestamp", "sku", "quantity", "amount", "location"],
        [[f"2026-09-{1 + i % 28:02d}T12:15:00Z", "PIZ", 1, "5.00", "Main"] for i in range(rows)],
    )


async def test_an_import_given_up_after_its_workers_died_discards_its_file(
    client: httpx.AsyncClient, database: Database, database_url: str
) -> None:
    """A job whose worker died `MAX_ATTEMPTS` times is marked failed by the stalled-job
    recovery; its stored file (the whole upload, in the database) must go with it, as it goes
    after any other failure, instead of staying for good."""
    shop = await create_shop(client, database)
    response = await upload(client, shop.owner, sales_file(30), background=True)
    assert response.status_code == 202, response.text
    job_id = uuid.UUID(response.json()["job_id"])
    async with database.session() as session:
        await set_tenant(session, shop.business_id)
        repo = JobRepository(session, shop.business_id)
        assert await repo.claim(job_id, utcnow()) is not None
        job = await repo.get(job_id)
        assert job is not None and job.procrastinate_job_id is not None
        job.attempts = MAX_ATTEMPTS
        procrastinate_id = job.procrastinate_job_id
    async with database.session() as session:
        # The worker that took it is gone (no heartbeat): the job is stalled.
        await session.execute(
            text("UPDATE procrastinate_jobs SET status = 'doing', worker_id = NULL WHERE id = :id"),
            {"id": procrastinate_id},
        )
    assert await recover_stalled(database, await open_app_for(database_url)) >= 1
    job_view = (await client.get(f"/api/v1/jobs/{job_id}", headers=shop.owner.headers)).json()
    assert job_view["status"] == "failed" and job_view["error"]["type"] == "WorkerLost"
    assert await fetch(database, shop.business_id, "SELECT id FROM ledger_uploads") == []
    assert await ledger_lines(database, shop.business_id) == []


async def test_the_same_file_waiting_with_other_options_is_refused_not_merged(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    """The same file sent again while its job waits joins that job only when it asks for the
    same import: sent with another location, skip_invalid or on_overlap it used to get the
    waiting job's 202 and then be imported with the first request's options (rows filed
    under the wrong location, bad rows failing a job the sender asked to skip them in). Now
    it is 409 naming the waiting job, and nothing about that job changes."""
    shop = await create_shop(client, database)
    content = csv_bytes(
        ["timestamp", "sku", "quantity", "amount"],
        [[f"2026-09-{1 + i % 28:02d}T12:15:00Z", "PIZ", 1, "5.00"] for i in range(20)],
    )
    first = await upload(client, shop.owner, content, background=True, location="Main")
    assert first.status_code == 202, first.text
    job_id = first.json()["job_id"]

    same = await upload(client, shop.owner, content, background=True, location="Main")
    assert same.status_code == 202 and same.json()["job_id"] == job_id
    # The same location by id is the same import.
    by_id = await upload(
        client, shop.owner, content, background=True, location=str(shop.locations["Main"])
    )
    assert by_id.status_code == 202 and by_id.json()["job_id"] == job_id

    for other in ({"location": "Harbour"}, {"location": "Main", "skip_invalid": True},
                  {"location": "Main", "on_overlap": "add"}):  # fmt: skip
        refused = await upload(client, shop.owner, content, background=True, **other)
        error = assert_error(refused, 409, "INVALID_STATE")
        assert job_id in error["message"], (other, error)

    assert await execute_job(database, settings, uuid.UUID(job_id)) == JobStatus.succeeded
    rows = await ledger_lines(database, shop.business_id)
    assert len(rows) == 20 and {r["location_id"] for r in rows} == {shop.locations["Main"]}


async def test_an_overlapping_daily_file_in_a_job_names_the_earlier_import(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    """A request refused for an overlap lists the earlier imports in its details; a job's
    error has no details, so its message has to name them (the import to revert, or the
    file), not only say that 'an earlier import' holds the dates."""
    shop = await create_shop(client, database)
    earlier = csv_bytes(["date", "daily_sales"], [["2026-06-01", "100"], ["2026-06-02", "110"]])
    first = await upload(client, shop.owner, earlier, filename="june.csv")
    assert first.status_code == 201, first.text
    (listed,) = (await client.get("/api/v1/sales/imports", headers=shop.owner.headers)).json()[
        "items"
    ]
    corrected = csv_bytes(["date", "daily_sales"], [["2026-06-02", "120"], ["2026-06-03", "90"]])
    response = await upload(client, shop.owner, corrected, filename="june-v2.csv", background=True)
    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]
    assert await execute_job(database, settings, uuid.UUID(job_id)) == JobStatus.failed
    job = (await client.get(f"/api/v1/jobs/{job_id}", headers=shop.owner.headers)).json()
    assert job["error"]["code"] == "IMPORT_OVERLAP", job
    message = job["error"]["message"]
    assert "june.csv" in message and listed["id"] in message and "2026-06-02" in message, message
    assert len(await ledger_lines(database, shop.business_id)) == 2
    assert await fetch(database, shop.business_id, "SELECT id FROM ledger_uploads") == []


# --- import history --------------------------------------------------------------------------


async def test_an_unknown_kind_filter_is_refused(
    client: httpx.AsyncClient, database: Database
) -> None:
    """`kind` takes one of the documented kinds; any other value (`csv`, `CSV_LINES`) used to
    answer an empty list, as if nothing had been imported."""
    shop = await create_shop(client, database)
    content = csv_bytes(
        ["timestamp", "sku", "quantity", "amount"], [["2026-09-01T12:00:00Z", "PIZ", 1, "5"]]
    )
    assert (await upload(client, shop.owner, content, location="Main")).status_code == 201
    imports = "/api/v1/sales/imports"
    found = await client.get(imports, headers=shop.owner.headers, params={"kind": "csv_lines"})
    assert found.status_code == 200 and found.json()["total"] == 1
    for wrong in ("csv", "CSV_LINES"):
        refused = await client.get(imports, headers=shop.owner.headers, params={"kind": wrong})
        error = assert_error(refused, 422, "VALIDATION_ERROR")
        assert [d["field"] for d in error["details"]] == ["kind"], error


async def test_the_demo_history_can_be_reverted(
    client: httpx.AsyncClient, database: Database, owner: Account
) -> None:
    """The demo's history is one import (kind demo) and is listed as one: taking it out
    leaves no line and no rollup row behind, and is in the audit log."""
    business_id = uuid.UUID(owner.business_id)
    async with database.session() as session:
        # Set up as the demo is: its calendar, locations and menu.
        await set_tenant(session, business_id)
        await session.execute(
            update(Business)
            .where(Business.id == business_id)
            .values(timezone="America/New_York", day_cutoff_hour=4)
        )
        locations = [
            Location(business_id=business_id, name=name, type=kind, address=address)
            for name, kind, address in DEMO_LOCATIONS
        ]
        session.add_all(locations)
        await session.flush()
        await load_front_of_house(session, business_id, locations)
        items = list((await session.execute(select(MenuItem))).scalars().all())
        summary = await load_sales_history(
            session, business_id, locations, items, today=date(2026, 3, 20), days=4
        )
    assert summary.lines > 0
    listed = await client.get(
        "/api/v1/sales/imports", headers=owner.headers, params={"kind": "demo"}
    )
    (demo,) = listed.json()["items"]
    assert demo["lines_written"] == summary.lines
    deleted = await client.delete(f"/api/v1/sales/imports/{demo['id']}", headers=owner.headers)
    assert deleted.status_code == 204, deleted.text
    assert await ledger_lines(database, business_id) == []
    assert await daily_rollups(database, business_id) == []
    assert await hourly_rollups(database, business_id) == []
    await assert_rollups_match_ledger(database, business_id)
    audit = await client.get(
        "/api/v1/audit-log", headers=owner.headers, params={"action": "sales.import_reverted"}
    )
    (entry,) = audit.json()["items"]
    assert entry["details"]["lines_deleted"] == summary.lines


async def test_cli_errors_go_to_stderr_unwrapped(
    client: httpx.AsyncClient, database: Database, cli_env: None, tmp_path: Path
) -> None:
    """`tableside import sales f.csv > report.txt`: a refusal is written to stderr, where
    the operator sees it, not into the report file; and in one line, not wrapped at 80
    columns as rich does when the output is not a terminal."""
    shop = await create_shop(client, database)
    slug = shop.owner.business_slug
    utf16 = tmp_path / "unicode.csv"
    utf16.write_bytes("date,daily_sales\n2026-01-01,5\n".encode("utf-16"))
    refused = await invoke(str(utf16), "--business-slug", slug)
    assert refused.exit_code == 1
    message = 'The file is UTF-16 text (as Excel\'s "Unicode Text" saves it); save it as CSV UTF-8'
    assert message in refused.stderr.splitlines(), refused.stderr
    assert "UTF-16" not in refused.stdout

    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes(["date", "daily_sales"], [["2026-01-01", "x"], ["2026-01-02", "5"]]))
    invalid = await invoke(str(bad), "--business-slug", slug)
    assert invalid.exit_code == 1
    assert "1 of 2 lines are invalid; nothing was written" in invalid.stderr
    assert "daily_sales" in invalid.stderr and invalid.stdout.strip() == ""

    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes(["date", "daily_sales"], [["2026-01-03", "5"]]))
    done = await invoke(str(good), "--business-slug", slug)
    assert done.exit_code == 0 and "lines written" in done.stdout and done.stderr == ""

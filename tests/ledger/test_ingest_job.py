"""Large or `background=true` uploads: 202, a stored file, and a job that imports it (run
in-process here, as a worker would)."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

import tableside.ledger.tasks  # noqa: F401  (registers the job kind in this process)
from tableside.config import Settings
from tableside.db.database import Database, set_tenant
from tableside.jobs import registry
from tableside.jobs.repository import JobRepository
from tableside.jobs.tasks import execute_job
from tableside.kit.schemas import utcnow
from tableside.ledger import tasks as ledger_tasks
from tableside.ledger.ingest_repository import IngestRepository
from tableside.models import JobStatus
from tests.factories import assert_error, money
from tests.factories.ledger import (
    assert_rollups_match_ledger,
    create_shop,
    csv_bytes,
    fetch,
    ledger_lines,
    upload,
)
from tests.factories.locks import until_waiting_or

HEADER = ["timestamp", "sku", "quantity", "amount", "location"]


def sales_file(rows: int, *, bad_every: int = 0) -> bytes:
    return csv_bytes(
        HEADER,
        [
            [f"2026-09-{1 + i % 30:02d}T{i % 24:02d}:15:00Z",
             "NOPE" if bad_every and i % bad_every == bad_every - 1 else ("PIZ", "PAS")[i % 2],
             1 + i % 3, f"{(1 + i % 3) * 5}.00", "Main"]
            for i in range(rows)
        ],
    )  # fmt: skip


@pytest.fixture
def small_threshold(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> Iterator[None]:
    monkeypatch.setattr(settings, "sales_import_background_bytes", 2000)
    yield


async def run(database: Database, settings: Settings, job_id: str) -> JobStatus | None:
    return await execute_job(database, settings, uuid.UUID(job_id))


async def test_background_upload_runs_as_a_job(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    shop = await create_shop(client, database)
    content = sales_file(300)
    response = await upload(client, shop.owner, content, background=True)
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["status"] == "queued"
    assert accepted["status_url"] == f"/api/v1/jobs/{accepted['job_id']}"
    assert response.headers["location"] == accepted["status_url"]
    assert await ledger_lines(database, shop.business_id) == []
    stored = await fetch(database, shop.business_id, "SELECT size, job_id FROM ledger_uploads")
    assert stored == [{"size": len(content), "job_id": uuid.UUID(accepted["job_id"])}]

    # The same file again while it waits: the same job.
    again = await upload(client, shop.owner, content, background=True)
    assert again.status_code == 202 and again.json()["job_id"] == accepted["job_id"]

    assert await run(database, settings, accepted["job_id"]) == JobStatus.succeeded
    job = (await client.get(accepted["status_url"], headers=shop.owner.headers)).json()
    assert job["status"] == "succeeded" and job["progress"] == 100
    result = job["result"]
    assert result["kind"] == "csv_lines" and result["lines_written"] == 300
    assert result["duplicate"] is False and result["filename"] == "sales.csv"
    assert money(result["net_amount"]) == Decimal(sum((1 + i % 3) * 5 for i in range(300)))
    assert len(await ledger_lines(database, shop.business_id)) == 300
    assert await fetch(database, shop.business_id, "SELECT id FROM ledger_uploads") == []
    await assert_rollups_match_ledger(database, shop.business_id)

    # Imported: the same file is now a duplicate, answered at once.
    done = await upload(client, shop.owner, content, background=True)
    assert done.status_code == 200 and done.json()["duplicate"] is True


async def test_size_threshold_sends_large_files_to_a_job(
    client: httpx.AsyncClient, database: Database, settings: Settings, small_threshold: None
) -> None:
    shop = await create_shop(client, database)
    small = sales_file(3)
    assert len(small) < 2000
    assert (await upload(client, shop.owner, small)).status_code == 201
    large = sales_file(200)
    response = await upload(client, shop.owner, large, skip_invalid=True, location="Harbour")
    assert response.status_code == 202, response.text
    assert await run(database, settings, response.json()["job_id"]) == JobStatus.succeeded
    assert len(await ledger_lines(database, shop.business_id)) == 203


async def test_job_with_invalid_rows_fails_and_writes_nothing(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    shop = await create_shop(client, database)
    content = sales_file(100, bad_every=25)
    response = await upload(client, shop.owner, content, background=True)
    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]
    assert await run(database, settings, job_id) == JobStatus.failed
    job = (await client.get(f"/api/v1/jobs/{job_id}", headers=shop.owner.headers)).json()
    assert job["error"]["type"] == "ValidationFailed"
    message = job["error"]["message"]
    assert message.startswith("4 of 100 lines are invalid; nothing was written")
    assert "line 26, sku: unknown item" in message and "line 101, sku: unknown item" in message
    assert await ledger_lines(database, shop.business_id) == []
    assert await fetch(database, shop.business_id, "SELECT id FROM ledger_uploads") == []

    # Sent again with skip_invalid: a new job, whose report lists the skipped rows.
    retry = await upload(client, shop.owner, content, background=True, skip_invalid=True)
    assert retry.status_code == 202 and retry.json()["job_id"] != job_id
    assert await run(database, settings, retry.json()["job_id"]) == JobStatus.succeeded
    job = (
        await client.get(f"/api/v1/jobs/{retry.json()['job_id']}", headers=shop.owner.headers)
    ).json()
    assert job["result"]["lines_written"] == 96 and job["result"]["lines_skipped"] == 4
    assert [e["line"] for e in job["result"]["errors"]] == [26, 51, 76, 101]


async def test_background_checks_the_file_first(
    client: httpx.AsyncClient, database: Database
) -> None:
    shop = await create_shop(client, database)
    bad_header = await upload(client, shop.owner, b"when,what\n1,2\n", background=True)
    assert_error(bad_header, 422, "VALIDATION_ERROR")
    bad_location = await upload(
        client, shop.owner, sales_file(2), background=True, location="Nowhere"
    )
    assert_error(bad_location, 422, "VALIDATION_ERROR")
    assert await fetch(database, shop.business_id, "SELECT id FROM ledger_uploads") == []


async def test_a_cancelled_import_leaves_nothing_behind(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    """Cancelling a queued import discards its stored file at once (it would otherwise stay
    in the database for good: the job never runs), and the same file can be sent again."""
    shop = await create_shop(client, database)
    content = sales_file(50)
    response = await upload(client, shop.owner, content, background=True)
    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]
    cancel = await client.post(f"/api/v1/jobs/{job_id}/cancel", headers=shop.owner.headers)
    assert cancel.status_code == 200, cancel.text
    assert cancel.json()["status"] == "cancelled"
    assert await fetch(database, shop.business_id, "SELECT id FROM ledger_uploads") == []
    # A delivery that still arrives finds the job cancelled and runs nothing.
    assert await run(database, settings, job_id) == JobStatus.cancelled
    assert await ledger_lines(database, shop.business_id) == []

    again = await upload(client, shop.owner, content, background=True)
    assert again.status_code == 202, again.text
    assert again.json()["job_id"] != job_id
    assert await run(database, settings, again.json()["job_id"]) == JobStatus.succeeded
    assert len(await ledger_lines(database, shop.business_id)) == 50
    assert await fetch(database, shop.business_id, "SELECT id FROM ledger_uploads") == []


async def test_cancelling_a_running_import_discards_its_file(
    client: httpx.AsyncClient, database: Database
) -> None:
    """A job cancelled while it runs is aborted; its file goes with the cancellation (the
    import's own transaction, which would have deleted it, is rolled back by the abort)."""
    shop = await create_shop(client, database)
    response = await upload(client, shop.owner, sales_file(20), background=True)
    job_id = uuid.UUID(response.json()["job_id"])
    async with database.session() as session:
        await set_tenant(session, shop.business_id)
        assert await JobRepository(session, shop.business_id).claim(job_id, utcnow()) is not None
    cancel = await client.post(f"/api/v1/jobs/{job_id}/cancel", headers=shop.owner.headers)
    assert cancel.status_code == 200 and cancel.json()["status"] == "cancelled"
    assert await fetch(database, shop.business_id, "SELECT id FROM ledger_uploads") == []


# --- a cancel racing the import's commit: one of the two wins, never a mix ---------------------


async def cancel(client: httpx.AsyncClient, shop: Any, job_id: str) -> httpx.Response:
    return await client.post(f"/api/v1/jobs/{job_id}/cancel", headers=shop.owner.headers)


async def job_of(client: httpx.AsyncClient, shop: Any, job_id: str) -> dict[str, Any]:
    return dict((await client.get(f"/api/v1/jobs/{job_id}", headers=shop.owner.headers)).json())


async def test_a_cancel_before_the_import_commits_rolls_the_import_back(
    client: httpx.AsyncClient,
    database: Database,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The cancel commits while the import's lines are written but not yet committed: the
    import must find the job cancelled and roll back, not commit lines nobody asked for."""
    shop = await create_shop(client, database)
    response = await upload(client, shop.owner, sales_file(40), background=True)
    job_id = response.json()["job_id"]
    original = ledger_tasks.import_file
    cancels: list[httpx.Response] = []

    async def import_then_cancel(*args: Any, **kwargs: Any) -> Any:
        outcome = await original(*args, **kwargs)
        # The lines sit in the import's open transaction; the cancel is another request.
        cancels.append(await cancel(client, shop, job_id))
        return outcome

    monkeypatch.setattr(ledger_tasks, "import_file", import_then_cancel)
    assert await run(database, settings, job_id) == JobStatus.cancelled
    assert cancels[0].status_code == 200, cancels[0].text
    assert cancels[0].json()["status"] == "cancelled"
    job = await job_of(client, shop, job_id)
    assert job["status"] == "cancelled" and job["result"] is None
    assert await ledger_lines(database, shop.business_id) == []
    assert await fetch(database, shop.business_id, "SELECT id FROM ledger_batches") == []
    assert await fetch(database, shop.business_id, "SELECT id FROM ledger_uploads") == []
    await assert_rollups_match_ledger(database, shop.business_id)

    # Nothing was imported, so the same file goes in when sent again.
    monkeypatch.setattr(ledger_tasks, "import_file", original)
    again = await upload(client, shop.owner, sales_file(40), background=True)
    assert again.status_code == 202, again.text
    assert await run(database, settings, again.json()["job_id"]) == JobStatus.succeeded
    assert len(await ledger_lines(database, shop.business_id)) == 40


async def test_a_cancel_while_the_import_commits_waits_and_is_refused(
    client: httpx.AsyncClient,
    database: Database,
    database_url: str,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The import has decided to commit when the cancel comes: the cancel waits for that
    commit, then answers 409 INVALID_STATE, and the job says succeeded with its lines."""
    shop = await create_shop(client, database)
    response = await upload(client, shop.owner, sales_file(30), background=True)
    job_id = response.json()["job_id"]
    original = IngestRepository.delete_upload
    held = asyncio.Event()
    release = asyncio.Event()

    async def held_delete(self: IngestRepository, upload_id: uuid.UUID) -> None:
        # The import's own delete, the last step before its commit, is held here once.
        if not held.is_set():
            held.set()
            await release.wait()
        await original(self, upload_id)

    monkeypatch.setattr(IngestRepository, "delete_upload", held_delete)
    importing = asyncio.create_task(run(database, settings, job_id))
    try:
        await asyncio.wait_for(held.wait(), 60)
        cancelling = asyncio.ensure_future(cancel(client, shop, job_id))
        # The cancel queues on the job's row lock, which the import's transaction holds.
        assert await until_waiting_or(database_url, cancelling.done), (
            "the cancel did not wait for the import's commit"
        )
    finally:
        release.set()
    assert await importing == JobStatus.succeeded
    refused = await cancelling
    assert_error(refused, 409, "INVALID_STATE")
    job = await job_of(client, shop, job_id)
    assert job["status"] == "succeeded" and job["progress"] == 100
    assert job["result"]["lines_written"] == 30
    assert len(await ledger_lines(database, shop.business_id)) == 30
    # A succeeded import's file goes, as it always did.
    assert await fetch(database, shop.business_id, "SELECT id FROM ledger_uploads") == []
    await assert_rollups_match_ledger(database, shop.business_id)


async def test_a_cancel_after_the_import_committed_is_refused(
    client: httpx.AsyncClient,
    database: Database,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Between the import's commit and the runner recording the outcome, the job is already
    succeeded: a cancel there is refused, and does not turn the imported lines into a
    'cancelled' job."""
    shop = await create_shop(client, database)
    response = await upload(client, shop.owner, sales_file(25), background=True)
    job_id = response.json()["job_id"]
    original_handler = ledger_tasks.import_sales
    cancels: list[httpx.Response] = []

    async def import_then_cancel(ctx: Any, params: dict[str, Any]) -> dict[str, Any]:
        result = await original_handler(ctx, params)
        # The import's transaction has committed; the runner has not recorded anything yet.
        cancels.append(await cancel(client, shop, job_id))
        return result

    spec = registry.get_handler(ledger_tasks.IMPORT_SALES_JOB)
    assert spec is not None
    monkeypatch.setitem(
        registry._HANDLERS, spec.kind, dataclasses.replace(spec, func=import_then_cancel)
    )
    assert await run(database, settings, job_id) == JobStatus.succeeded
    assert_error(cancels[0], 409, "INVALID_STATE")
    job = await job_of(client, shop, job_id)
    assert job["status"] == "succeeded" and job["result"]["lines_written"] == 25
    assert len(await ledger_lines(database, shop.business_id)) == 25
    assert await fetch(database, shop.business_id, "SELECT id FROM ledger_uploads") == []

"""An import job whose database connection is lost, or whose transaction loses a deadlock,
imports the stored file again instead of failing and making the user upload it again."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tableside.config import Settings
from tableside.db.database import Database, asyncpg_connect_kwargs
from tableside.jobs.tasks import execute_job
from tableside.ledger import tasks as ledger_tasks
from tableside.models import JobStatus
from tests.factories.ledger import (
    assert_rollups_match_ledger,
    create_shop,
    csv_bytes,
    fetch,
    ledger_lines,
    upload,
)

ImportFile = Callable[..., Awaitable[Any]]


def sales_file(rows: int) -> bytes:
    return csv_bytes(
        ["timestamp", "sku", "quantity", "amount", "location"],
        [
            [f"2026-09-{1 + i % 30:02d}T{i % 24:02d}:15:00Z", ("PIZ", "PAS")[i % 2], 1, "5.00",
             "Main"]
            for i in range(rows)
        ],
    )  # fmt: skip


@pytest.fixture(autouse=True)
def no_retry_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ledger_tasks, "RETRY_DELAY_SECONDS", 0.0)


def failing_first(
    monkeypatch: pytest.MonkeyPatch,
    fail: Callable[[AsyncSession], Awaitable[None]],
    *,
    times: int,
) -> list[int]:
    """Make the job's import run `fail` on its own session after writing its lines, for the
    first `times` attempts; returns the list of attempts made (appended to as they run)."""
    real_import: ImportFile = ledger_tasks.import_file
    attempts: list[int] = []

    async def import_file(session: AsyncSession, *args: Any, **kwargs: Any) -> Any:
        attempts.append(len(attempts) + 1)
        outcome = await real_import(session, *args, **kwargs)
        if len(attempts) <= times:
            await fail(session)
        return outcome

    monkeypatch.setattr(ledger_tasks, "import_file", import_file)
    return attempts


async def queue_import(client: httpx.AsyncClient, database: Database) -> tuple[Any, str, bytes]:
    shop = await create_shop(client, database)
    content = sales_file(120)
    response = await upload(client, shop.owner, content, background=True)
    assert response.status_code == 202, response.text
    return shop, response.json()["job_id"], content


async def job_of(client: httpx.AsyncClient, shop: Any, job_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/jobs/{job_id}", headers=shop.owner.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_lost_connection_imports_the_file_again(
    client: httpx.AsyncClient,
    database: Database,
    database_url: str,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def drop_connection(session: AsyncSession) -> None:
        # Terminated from outside, as a server restart or a network cut would end it.
        pid = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        admin = await asyncpg.connect(**asyncpg_connect_kwargs(database_url))
        try:
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid) is True
        finally:
            await admin.close()
        await session.execute(text("SELECT 1"))

    attempts = failing_first(monkeypatch, drop_connection, times=1)
    shop, job_id, content = await queue_import(client, database)

    assert await execute_job(database, settings, uuid.UUID(job_id)) == JobStatus.succeeded
    assert attempts == [1, 2]
    job = await job_of(client, shop, job_id)
    assert job["status"] == "succeeded" and job["progress"] == 100
    assert job["result"]["lines_written"] == 120 and job["result"]["duplicate"] is False
    # Written once: the first attempt's lines went with its transaction.
    assert len(await ledger_lines(database, shop.business_id)) == 120
    assert await fetch(database, shop.business_id, "SELECT id FROM ledger_uploads") == []
    await assert_rollups_match_ledger(database, shop.business_id)
    again = await upload(client, shop.owner, content, background=True)
    assert again.status_code == 200 and again.json()["duplicate"] is True


async def raise_sqlstate(session: AsyncSession, sqlstate: str) -> None:
    await session.execute(
        text(f"DO $$ BEGIN RAISE EXCEPTION 'injected' USING ERRCODE = '{sqlstate}'; END $$")
    )


async def test_a_lost_deadlock_is_retried(
    client: httpx.AsyncClient,
    database: Database,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def deadlock(session: AsyncSession) -> None:
        await raise_sqlstate(session, "40P01")

    attempts = failing_first(monkeypatch, deadlock, times=2)
    shop, job_id, _ = await queue_import(client, database)
    assert await execute_job(database, settings, uuid.UUID(job_id)) == JobStatus.succeeded
    assert attempts == [1, 2, 3]
    assert len(await ledger_lines(database, shop.business_id)) == 120


async def test_retries_end_and_the_job_fails_leaving_nothing(
    client: httpx.AsyncClient,
    database: Database,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def serialization_failure(session: AsyncSession) -> None:
        await raise_sqlstate(session, "40001")

    attempts = failing_first(monkeypatch, serialization_failure, times=10)
    shop, job_id, _ = await queue_import(client, database)
    assert await execute_job(database, settings, uuid.UUID(job_id)) == JobStatus.failed
    assert attempts == list(range(1, ledger_tasks.IMPORT_ATTEMPTS + 1))
    job = await job_of(client, shop, job_id)
    assert job["error"]["message"] == "A database error occurred"
    assert await ledger_lines(database, shop.business_id) == []
    assert await fetch(database, shop.business_id, "SELECT id FROM ledger_uploads") == []


async def test_an_error_in_the_work_itself_is_not_retried(
    client: httpx.AsyncClient,
    database: Database,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def division_by_zero(session: AsyncSession) -> None:
        await raise_sqlstate(session, "22012")

    attempts = failing_first(monkeypatch, division_by_zero, times=10)
    shop, job_id, _ = await queue_import(client, database)
    assert await execute_job(database, settings, uuid.UUID(job_id)) == JobStatus.failed
    assert attempts == [1]
    assert await ledger_lines(database, shop.business_id) == []
    assert await fetch(database, shop.business_id, "SELECT id FROM ledger_uploads") == []

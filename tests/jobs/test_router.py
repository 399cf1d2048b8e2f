"""`/api/v1/jobs` through HTTP: list, get, cancel, tenant walls and roles."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import text

from tableside.db.database import Database, set_tenant
from tableside.jobs.repository import JobRepository
from tableside.jobs.schemas import accepted
from tableside.jobs.service import enqueue_job
from tableside.kit.schemas import utcnow
from tableside.models import Job, JobStatus
from tests.factories import Account, add_user, assert_error, register


async def add_job(
    database: Database,
    account: Account,
    *,
    kind: str = "test.echo",
    status: JobStatus = JobStatus.queued,
    created_by: Account | None = None,
    **fields: Any,
) -> uuid.UUID:
    """A job row as a worker would have left it (no procrastinate job behind it)."""
    business_id = uuid.UUID(account.business_id)
    async with database.session() as session:
        await set_tenant(session, business_id)
        job = Job(
            business_id=business_id,
            kind=kind,
            status=status,
            progress=100 if status == JobStatus.succeeded else 0,
            attempts=0 if status == JobStatus.queued else 1,
            params={"secret": "never shown"},
            created_by_id=uuid.UUID(created_by.user_id) if created_by else None,
            **fields,
        )
        await JobRepository(session, business_id).add(job)
    return job.id


async def test_get_job_shows_status_and_hides_params(
    client: httpx.AsyncClient, database: Database
) -> None:
    owner = await register(client)
    now = utcnow()
    job_id = await add_job(
        database,
        owner,
        status=JobStatus.succeeded,
        created_by=owner,
        result={"rows": 3},
        message="Done",
        started_at=now,
        finished_at=now,
    )
    response = await client.get(f"/api/v1/jobs/{job_id}", headers=owner.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == str(job_id)
    assert body["kind"] == "test.echo"
    assert body["status"] == "succeeded"
    assert body["progress"] == 100
    assert body["message"] == "Done"
    assert body["result"] == {"rows": 3}
    assert body["error"] is None
    assert body["created_by_id"] == owner.user_id
    for field in ("created_at", "started_at", "finished_at"):
        assert body[field].endswith("Z")
    assert "params" not in body and "never shown" not in response.text


async def test_failed_job_shows_error(client: httpx.AsyncClient, database: Database) -> None:
    owner = await register(client)
    job_id = await add_job(
        database,
        owner,
        status=JobStatus.failed,
        error={"type": "ValueError", "message": "Bad file"},
    )
    body = (await client.get(f"/api/v1/jobs/{job_id}", headers=owner.headers)).json()
    assert body["status"] == "failed"
    # An unexpected exception has no API code.
    assert body["error"] == {"type": "ValueError", "code": None, "message": "Bad file"}


async def test_other_business_job_is_not_found(
    client: httpx.AsyncClient, database: Database
) -> None:
    owner = await register(client)
    stranger = await register(client, business_name="Other Diner")
    job_id = await add_job(database, owner, created_by=owner)
    assert_error(
        await client.get(f"/api/v1/jobs/{job_id}", headers=stranger.headers), 404, "NOT_FOUND"
    )
    assert_error(
        await client.post(f"/api/v1/jobs/{job_id}/cancel", headers=stranger.headers),
        404,
        "NOT_FOUND",
    )
    assert_error(
        await client.get(f"/api/v1/jobs/{uuid.uuid4()}", headers=owner.headers), 404, "NOT_FOUND"
    )
    listing = await client.get("/api/v1/jobs", headers=stranger.headers)
    assert str(job_id) not in {item["id"] for item in listing.json()["items"]}


async def test_list_filters_and_role_visibility(
    client: httpx.AsyncClient, database: Database
) -> None:
    owner = await register(client)
    cashier = await add_user(client, owner, "cashier")
    manager = await add_user(client, owner, "manager")
    # Registering and adding users queue emails of their own: the kinds here are distinct.
    mine = await add_job(database, owner, kind="test.report", created_by=owner)
    system = await add_job(database, owner, kind="test.sync", status=JobStatus.succeeded)
    cashier_job = await add_job(database, owner, kind="test.report", created_by=cashier)

    page = (
        await client.get("/api/v1/jobs", headers=manager.headers, params={"search": "test."})
    ).json()
    assert page["total"] == 3
    assert {item["id"] for item in page["items"]} == {str(mine), str(system), str(cashier_job)}
    assert set(page) == {
        "items",
        "total",
        "page",
        "page_size",
        "pages",
        "has_next",
        "has_previous",
    }
    # Newest first by default.
    assert page["items"][0]["id"] == str(cashier_job)

    cashier_page = (await client.get("/api/v1/jobs", headers=cashier.headers)).json()
    assert [item["id"] for item in cashier_page["items"]] == [str(cashier_job)]

    by_kind = await client.get("/api/v1/jobs", headers=owner.headers, params={"kind": "test.sync"})
    assert [item["id"] for item in by_kind.json()["items"]] == [str(system)]
    by_status = await client.get(
        "/api/v1/jobs",
        headers=owner.headers,
        params={"status": "queued", "kind": "test.report", "page_size": 1},
    )
    body = by_status.json()
    assert body["total"] == 2 and len(body["items"]) == 1 and body["has_next"] is True
    assert_error(
        await client.get("/api/v1/jobs", headers=owner.headers, params={"status": "paused"}),
        422,
        "VALIDATION_ERROR",
    )


async def test_staff_cannot_see_or_cancel_colleagues_jobs(
    client: httpx.AsyncClient, database: Database
) -> None:
    owner = await register(client)
    cashier = await add_user(client, owner, "cashier")
    owners_job = await add_job(database, owner, created_by=owner)
    assert_error(
        await client.get(f"/api/v1/jobs/{owners_job}", headers=cashier.headers), 403, "FORBIDDEN"
    )
    assert_error(
        await client.post(f"/api/v1/jobs/{owners_job}/cancel", headers=cashier.headers),
        403,
        "FORBIDDEN",
    )
    own = await add_job(database, owner, created_by=cashier)
    response = await client.post(f"/api/v1/jobs/{own}/cancel", headers=cashier.headers)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"


async def test_viewer_sees_own_jobs(client: httpx.AsyncClient, database: Database) -> None:
    owner = await register(client)
    viewer = await add_user(client, owner, "viewer")
    own = await add_job(database, owner, created_by=viewer)
    assert (await client.get(f"/api/v1/jobs/{own}", headers=viewer.headers)).status_code == 200
    listing = (await client.get("/api/v1/jobs", headers=viewer.headers)).json()
    assert [item["id"] for item in listing["items"]] == [str(own)]


async def test_cancel_queued_then_finished_is_invalid_state(
    client: httpx.AsyncClient, database: Database
) -> None:
    owner = await register(client)
    manager = await add_user(client, owner, "manager")
    job_id = await add_job(database, owner, created_by=owner)

    response = await client.post(f"/api/v1/jobs/{job_id}/cancel", headers=manager.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "cancelled"
    assert body["finished_at"].endswith("Z")
    assert manager.email in body["message"]

    again = await client.post(f"/api/v1/jobs/{job_id}/cancel", headers=owner.headers)
    assert_error(again, 409, "INVALID_STATE")
    done = await add_job(database, owner, status=JobStatus.succeeded)
    assert_error(
        await client.post(f"/api/v1/jobs/{done}/cancel", headers=owner.headers),
        409,
        "INVALID_STATE",
    )


async def test_cancel_withdraws_the_procrastinate_job(
    client: httpx.AsyncClient, database: Database
) -> None:
    owner = await register(client)
    business_id = uuid.UUID(owner.business_id)
    async with database.session() as session:
        await set_tenant(session, business_id)
        job = await enqueue_job(
            session,
            business_id=business_id,
            kind="test.echo",
            created_by_id=uuid.UUID(owner.user_id),
        )
    response = await client.post(f"/api/v1/jobs/{job.id}/cancel", headers=owner.headers)
    assert response.status_code == 200, response.text
    async with database.session() as session:
        status = (
            await session.execute(
                text("SELECT status FROM procrastinate_jobs WHERE args->>'job_id' = :id"),
                {"id": str(job.id)},
            )
        ).scalar_one()
    assert status == "cancelled"


async def test_jobs_need_authentication(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/api/v1/jobs"), 401, "UNAUTHORIZED")


async def test_accepted_body_for_other_domains(
    client: httpx.AsyncClient, database: Database
) -> None:
    owner = await register(client)
    job_id = await add_job(database, owner)
    async with database.session() as session:
        business_id = uuid.UUID(owner.business_id)
        await set_tenant(session, business_id)
        job = await JobRepository(session, business_id).get(job_id)
    assert job is not None
    response = accepted(job)
    assert response.status_code == 202
    assert response.headers["location"] == f"/api/v1/jobs/{job_id}"
    assert response.body == (
        b'{"job_id":"'
        + str(job_id).encode()
        + b'","status":"queued","status_url":"/api/v1/jobs/'
        + str(job_id).encode()
        + b'"}'
    )

"""Job handlers used by the job tests. A separate worker process imports this module with
`--import tests.jobs.handlers`, so it must not import pytest fixtures or test modules."""

from __future__ import annotations

import asyncio
import os
from typing import Any

from sqlalchemy import update

from tableside.jobs.registry import JobContext, job_handler
from tableside.models import Job, JobStatus

# In-process tests coordinate with handlers through these, keyed by a token in the params.
started: dict[str, asyncio.Event] = {}
interrupted: dict[str, asyncio.Event] = {}


def events_for(token: str) -> tuple[asyncio.Event, asyncio.Event]:
    """(started, interrupted) events for the handler run carrying `token`."""
    return started.setdefault(token, asyncio.Event()), interrupted.setdefault(
        token, asyncio.Event()
    )


@job_handler("test.echo")
async def echo(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.set_progress(50, "Half way")
    return {"echo": params, "pid": os.getpid(), "business_id": str(ctx.business_id)}


@job_handler("test.fail")
async def fail(ctx: JobContext, params: dict[str, Any]) -> None:
    await ctx.set_progress(30, "About to fail")
    raise ValueError(params.get("reason", "Something went wrong"))


@job_handler("test.secret", sensitive_params=True)
async def secret(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"length": len(params["token"])}


@job_handler("test.cancel_self")
async def cancel_self(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """Cancelled while running (as a user would, from another transaction), then stops."""
    async with ctx.session() as session:
        await session.execute(
            update(Job)
            .where(Job.business_id == ctx.business_id, Job.id == ctx.job_id)
            .values(status=JobStatus.cancelled)
        )
    assert await ctx.is_cancelled()
    await ctx.raise_if_cancelled()
    return {"unreachable": True}


@job_handler("test.late_result")
async def late_result(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """Ignores a cancellation and returns anyway: the cancellation must stand."""
    async with ctx.session() as session:
        await session.execute(
            update(Job)
            .where(Job.business_id == ctx.business_id, Job.id == ctx.job_id)
            .values(status=JobStatus.cancelled)
        )
    return {"late": True}


@job_handler("test.block")
async def block(ctx: JobContext, params: dict[str, Any]) -> None:
    """Runs until cancelled from outside (an abort cancels the asyncio task)."""
    started_event, interrupted_event = events_for(params["token"])
    started_event.set()
    try:
        await asyncio.Event().wait()
    except asyncio.CancelledError:
        interrupted_event.set()
        raise


@job_handler("test.succeed_in", sensitive_params=True)
async def succeed_in(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """Does its work (a message on its own row) and records its success in one transaction;
    with `cancel_first`, it is cancelled from another transaction before it commits."""
    result = {"done": params["value"]}
    async with ctx.session() as session:
        if params.get("cancel_first"):
            # Committed before this transaction touches the row (it would wait for it after).
            async with ctx.session() as other:
                await other.execute(
                    update(Job)
                    .where(Job.business_id == ctx.business_id, Job.id == ctx.job_id)
                    .values(status=JobStatus.cancelled)
                )
        await session.execute(
            update(Job)
            .where(Job.business_id == ctx.business_id, Job.id == ctx.job_id)
            .values(message="work done")
        )
        await ctx.succeed_in(session, result)
    return result

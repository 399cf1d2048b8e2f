"""Job handlers by kind, and the context a handler runs with.

A domain declares a handler in its `tasks.py`:

    @job_handler("forecasting.train")
    async def train(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any] | None:
        async with ctx.session() as session:
            ...
        await ctx.set_progress(50, "Models fitted")
        return {"runs": 3}

Workers import every `tableside.<domain>.tasks` module (`discover_handlers`), so a handler
needs no other registration. The API process imports them too: cancelling a job runs its
kind's `on_cancel` hook, which releases what the queued job was holding (a stored upload).
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic_core import to_jsonable_python
from sqlalchemy.ext.asyncio import AsyncSession

from tableside.config import Settings
from tableside.db.database import Database, set_tenant
from tableside.jobs.repository import JobRepository
from tableside.kit.schemas import utcnow
from tableside.models import JobStatus

Handler = Callable[["JobContext", dict[str, Any]], Awaitable[dict[str, Any] | None]]
H = TypeVar("H", bound=Handler)
# `async def hook(session, business_id, params)`, run in the cancelling transaction.
CancelHook = Callable[[AsyncSession, uuid.UUID, dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class HandlerSpec:
    """A registered handler. `sensitive_params` clears the stored params once the job ends
    (an email job's params hold a password-reset link). `on_cancel` runs when the job is
    cancelled, in the same transaction, whether it was queued or running: a job cancelled
    before it runs never reaches its handler, so whatever it was given to work on (a stored
    file) is released there or never. It also runs, in the recovery's transaction, when the
    stalled-job recovery gives a job up (its workers died `MAX_ATTEMPTS` times)."""

    kind: str
    func: Handler
    sensitive_params: bool = False
    on_cancel: CancelHook | None = None


_HANDLERS: dict[str, HandlerSpec] = {}


def job_handler(
    kind: str, *, sensitive_params: bool = False, on_cancel: CancelHook | None = None
) -> Callable[[H], H]:
    """Register an async handler `async def handler(ctx, params) -> dict | None` for `kind`,
    and optionally the hook that cleans up after a cancellation (see `HandlerSpec`)."""

    def decorator(func: H) -> H:
        existing = _HANDLERS.get(kind)
        # Re-importing the same module (a reload, a test importing by path) is not a clash.
        if existing is not None and _qualified(existing.func) != _qualified(func):
            raise ValueError(f"Job kind {kind!r} is already handled by {_qualified(existing.func)}")
        _HANDLERS[kind] = HandlerSpec(
            kind=kind, func=func, sensitive_params=sensitive_params, on_cancel=on_cancel
        )
        return func

    return decorator


def _qualified(func: Callable[..., Any]) -> str:
    return f"{func.__module__}.{func.__qualname__}"


# Periodic work: `async def task(database, settings, timestamp) -> dict | None`, run by
# procrastinate on a cron schedule in whichever worker defers it first.
PeriodicFunc = Callable[[Database, Settings, int], Awaitable[dict[str, Any] | None]]
P = TypeVar("P", bound=PeriodicFunc)


@dataclass(frozen=True)
class PeriodicSpec:
    """A periodic task a domain declared (see `periodic_job`)."""

    name: str
    cron: str
    func: PeriodicFunc


_PERIODIC: dict[str, PeriodicSpec] = {}


def periodic_job(name: str, *, cron: str) -> Callable[[P], P]:
    """Register `async def task(database, settings, timestamp)` to run on `cron` (UTC); the
    worker registers it as the procrastinate task `tableside.periodic.<name>`. A periodic task
    that does real work usually enqueues jobs, so the work is visible and cancellable."""

    def decorator(func: P) -> P:
        _PERIODIC[name] = PeriodicSpec(name=name, cron=cron, func=func)
        return func

    return decorator


def registered_periodic() -> list[PeriodicSpec]:
    """Every periodic task declared in this process, by name."""
    return [_PERIODIC[name] for name in sorted(_PERIODIC)]


def get_handler(kind: str) -> HandlerSpec | None:
    """The handler registered for `kind`, if any."""
    return _HANDLERS.get(kind)


def registered_kinds() -> list[str]:
    """Every kind with a handler in this process, sorted."""
    return sorted(_HANDLERS)


def discover_handlers(extra_modules: Iterable[str] = ()) -> None:
    """Import `tableside.<package>.tasks` for every package that has one, then `extra_modules`."""
    import tableside

    for info in pkgutil.iter_modules(tableside.__path__):
        if not info.ispkg:
            continue
        name = f"tableside.{info.name}.tasks"
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
    for name in extra_modules:
        importlib.import_module(name)


class JobCancelled(Exception):
    """Raised by `JobContext.raise_if_cancelled`; the runner treats it as a clean stop."""


@dataclass
class JobContext:
    """What a handler gets besides its params: its job, its business and the database."""

    database: Database
    settings: Settings
    business_id: uuid.UUID
    job_id: uuid.UUID
    kind: str
    # Set by `succeed_in`: the job's outcome is already recorded, in the handler's transaction.
    succeeded_in_transaction: bool = False

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A unit of work scoped to the job's business (commits on exit, like a request)."""
        async with self.database.session() as session:
            await set_tenant(session, self.business_id)
            yield session

    async def set_progress(self, pct: float, message: str | None = None) -> None:
        """Record progress (clamped to 0-100) and an optional human-readable message.

        Committed at once, in its own transaction, so clients polling the job see it.
        """
        progress = max(0, min(100, round(pct)))
        async with self.session() as session:
            await JobRepository(session, self.business_id).set_progress(
                self.job_id, progress, message
            )

    async def is_cancelled(self) -> bool:
        """Whether someone cancelled the job; long handlers should check between steps."""
        async with self.session() as session:
            status = await JobRepository(session, self.business_id).status_of(self.job_id)
        return status in (None, JobStatus.cancelled)

    async def raise_if_cancelled(self) -> None:
        """Stop the handler with `JobCancelled` when the job was cancelled."""
        if await self.is_cancelled():
            raise JobCancelled()

    async def succeed_in(
        self, session: AsyncSession, result: dict[str, Any] | None, message: str | None = None
    ) -> None:
        """Record the job as succeeded with `result` (and a last `message`) inside the
        handler's own transaction `session`, so its work and its outcome commit together: a
        cancel cannot fall between them. Raises `JobCancelled` (rolling the work back with the
        session) when the job was cancelled first.

        The update holds the job's row lock until `session` commits: a cancel meanwhile waits
        and then finds the job finished (409). Call it last before the commit, and report no
        progress after it (`set_progress` would wait for that same lock). The handler then
        returns as usual; the runner keeps the outcome recorded here.
        """
        spec = get_handler(self.kind)
        finished = await JobRepository(session, self.business_id).finish(
            self.job_id,
            status=JobStatus.succeeded,
            now=utcnow(),
            result=to_jsonable_python(result) if result is not None else None,
            clear_params=spec is not None and spec.sensitive_params,
            message=message,
        )
        if not finished:
            raise JobCancelled()
        self.succeeded_in_transaction = True

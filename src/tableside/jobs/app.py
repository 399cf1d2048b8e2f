"""The procrastinate app: one per database URL, with Tableside's tasks registered on it.

procrastinate binds a task to a single app, and the database URL is known only at run time, so
`build_app(url)` makes a fresh app and registers fresh task objects on it instead of keeping one
module-level app. Deferring after a commit needs an *open* app for the session's database: the
in-process or standalone worker shares its own through `share_open_app`, and any other process
(an API without an in-process worker, a script, a test) opens a small one on first use.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable
from typing import Any

import procrastinate

from tableside.db.database import libpq_url

RUN_JOB_TASK = "tableside.run_job"
SWEEP_OUTBOX_TASK = "tableside.sweep_job_outbox"
PURGE_IDEMPOTENCY_TASK = "tableside.purge_idempotency_records"


def run_job_kwargs(job_id: uuid.UUID) -> dict[str, Any]:
    """The arguments of one `tableside.run_job` procrastinate job."""
    return {"job_id": str(job_id)}


_AppKey = tuple[str, asyncio.AbstractEventLoop]

# Apps a worker lends for deferring (never closed here) and apps opened lazily here (closed by
# `close_open_apps`). Keyed by loop too: a psycopg pool belongs to the loop that opened it.
_shared_apps: dict[_AppKey, procrastinate.App] = {}
_lazy_apps: dict[_AppKey, procrastinate.App] = {}
_open_locks: dict[_AppKey, asyncio.Lock] = {}


def build_app(
    url: str,
    *,
    max_pool_size: int = 4,
    import_paths: Iterable[str] = (),
    application_name: str = "tableside",
) -> procrastinate.App:
    """A procrastinate app on `url` (any PostgreSQL URL form) with every Tableside task on it.

    The app is not open yet: use `await app.open_async()` or `async with app.open_async()`.
    `import_paths` are extra modules the worker imports so their `job_handler`s register.
    """
    from tableside.jobs.tasks import register_tasks

    connector = procrastinate.PsycopgConnector(
        conninfo=libpq_url(url),
        min_size=1,
        max_size=max_pool_size,
        kwargs={"application_name": application_name},
    )
    app = procrastinate.App(connector=connector, import_paths=list(import_paths))
    register_tasks(app)
    return app


def _key(url: str) -> _AppKey:
    return (libpq_url(url), asyncio.get_running_loop())


def share_open_app(url: str, app: procrastinate.App) -> None:
    """Let deferrals on this loop use `app` (already open) instead of opening another pool."""
    _shared_apps[_key(url)] = app


def unshare_open_app(url: str, app: procrastinate.App) -> None:
    """Undo `share_open_app` before the app closes."""
    key = _key(url)
    if _shared_apps.get(key) is app:
        del _shared_apps[key]


async def open_app_for(url: str) -> procrastinate.App:
    """An open procrastinate app for the database at `url`, on the running event loop."""
    key = _key(url)
    app = _shared_apps.get(key) or _lazy_apps.get(key)
    if app is not None:
        return app
    lock = _open_locks.setdefault(key, asyncio.Lock())
    async with lock:
        app = _shared_apps.get(key) or _lazy_apps.get(key)
        if app is None:
            app = build_app(url, max_pool_size=2, application_name="tableside-deferrer")
            await app.open_async()
            _lazy_apps[key] = app
    return app


async def close_open_apps() -> None:
    """Close the apps `open_app_for` opened on this loop (at shutdown, or between tests)."""
    loop = asyncio.get_running_loop()
    for key in [key for key in _lazy_apps if key[1] is loop]:
        app = _lazy_apps.pop(key)
        _open_locks.pop(key, None)
        await app.close_async()

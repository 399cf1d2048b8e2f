"""Running workers: inside the API process, or standalone (`tableside worker`).

Both run the same procrastinate worker with the same tasks; they differ in who owns the event
loop and the signals. Any number of standalone workers on any number of machines can share one
database: procrastinate hands each job to exactly one of them.

    python -m tableside.jobs.runtime [--database-url URL] [--import MODULE] [--burst]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import procrastinate
import structlog
from fastapi import FastAPI

from tableside.config import Settings, get_settings
from tableside.db.database import Database, resolve_database_url
from tableside.jobs.app import build_app, close_open_apps, share_open_app, unshare_open_app
from tableside.jobs.registry import discover_handlers
from tableside.jobs.tasks import WorkerResources

logger = structlog.get_logger("tableside.jobs")

# How long a stopping worker lets running jobs finish before aborting them (they are queued
# again). Short in the API process, whose shutdown must not hang; longer for a worker.
IN_PROCESS_GRACE_SECONDS = 10.0
STANDALONE_GRACE_SECONDS = 30.0


@dataclass
class InProcessWorker:
    """The worker started by `start_in_process_worker`, kept on `app.state.job_worker`."""

    app: procrastinate.App
    url: str
    task: asyncio.Task[None]


def worker_options(
    settings: Settings,
    database: Database,
    *,
    name: str,
    install_signal_handlers: bool,
    wait: bool = True,
    shutdown_graceful_timeout: float | None = STANDALONE_GRACE_SECONDS,
) -> dict[str, Any]:
    """Keyword arguments for `App.run_worker_async`, the same for every kind of worker."""
    return {
        "name": name,
        "concurrency": settings.worker_concurrency,
        "wait": wait,
        "listen_notify": True,
        "install_signal_handlers": install_signal_handlers,
        "shutdown_graceful_timeout": shutdown_graceful_timeout,
        # Our `jobs` rows are the record users see; finished procrastinate rows only pile up.
        "delete_jobs": "successful",
        "additional_context": WorkerResources(database=database, settings=settings).as_context(),
    }


def _worker_name(prefix: str) -> str:
    return f"{prefix}-{socket.gethostname()}-{os.getpid()}"


def _pool_size(settings: Settings) -> int:
    # One connection per concurrent job for fetch/finish, plus the heartbeat, the periodic
    # deferrer and deferrals made by handlers. LISTEN uses its own connection.
    return settings.worker_concurrency + 3


async def start_in_process_worker(app: FastAPI) -> None:
    """Run a worker as an asyncio task of the API process (`app.state.job_worker`).

    Needs `app.state.settings` and an opened `app.state.database`. Deferrals made by the API
    reuse this worker's connection pool. Calling it twice is harmless.
    """
    if getattr(app.state, "job_worker", None) is not None:
        return
    settings: Settings = app.state.settings
    database: Database = app.state.database
    discover_handlers()
    url = database.url
    procrastinate_app = build_app(
        url, max_pool_size=_pool_size(settings), application_name="tableside-api-worker"
    )
    await procrastinate_app.open_async()
    share_open_app(url, procrastinate_app)
    options = worker_options(
        settings,
        database,
        name=_worker_name("api"),
        install_signal_handlers=False,
        shutdown_graceful_timeout=IN_PROCESS_GRACE_SECONDS,
    )
    task = asyncio.create_task(
        procrastinate_app.run_worker_async(**options), name="tableside-job-worker"
    )
    task.add_done_callback(_log_worker_exit)
    app.state.job_worker = InProcessWorker(app=procrastinate_app, url=url, task=task)
    logger.info("worker.started", mode="in-process", concurrency=settings.worker_concurrency)


def _log_worker_exit(task: asyncio.Task[None]) -> None:
    # Without this an in-process worker that dies (database gone at start) would do so silently.
    if not task.cancelled() and task.exception() is not None:
        logger.error("worker.crashed", exc_info=task.exception())


async def stop_in_process_worker(app: FastAPI) -> None:
    """Stop the in-process worker, letting running jobs finish for a few seconds.

    A no-op when none runs, apart from closing connection pools this process opened for
    deferring jobs.
    """
    worker: InProcessWorker | None = getattr(app.state, "job_worker", None)
    if worker is not None:
        app.state.job_worker = None
        worker.task.cancel()
        # The worker re-raises the cancellation once it has shut down; a crash was logged.
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await worker.task
        unshare_open_app(worker.url, worker.app)
        await worker.app.close_async()
        logger.info("worker.stopped", mode="in-process")
    await close_open_apps()


async def run_standalone_worker(
    settings: Settings,
    database_url: str | None = None,
    *,
    import_paths: Sequence[str] = (),
    burst: bool = False,
) -> None:
    """Run a worker until SIGINT/SIGTERM (or, with `burst`, until the queue is empty).

    `database_url` defaults to the configured one (or the embedded server). `import_paths`
    are extra modules holding `job_handler`s beyond `tableside.<domain>.tasks`.
    """
    url = database_url or await resolve_database_url(settings)
    discover_handlers(import_paths)
    database = Database(url, settings)
    procrastinate_app = build_app(
        url, max_pool_size=_pool_size(settings), application_name="tableside-worker"
    )
    options = worker_options(
        settings,
        database,
        name=_worker_name("worker"),
        install_signal_handlers=True,
        wait=not burst,
        # A burst run exists to finish what is queued; never abort those jobs.
        shutdown_graceful_timeout=None if burst else STANDALONE_GRACE_SECONDS,
    )
    try:
        async with procrastinate_app.open_async():
            share_open_app(url, procrastinate_app)
            logger.info("worker.started", mode="standalone", burst=burst, pid=os.getpid())
            try:
                await procrastinate_app.run_worker_async(**options)
            finally:
                unshare_open_app(url, procrastinate_app)
                await close_open_apps()
    finally:
        await database.dispose()
    logger.info("worker.stopped", mode="standalone")


def run_worker(
    settings: Settings | None = None,
    database_url: str | None = None,
    *,
    import_paths: Sequence[str] = (),
    burst: bool = False,
) -> None:
    """Blocking entry point for `tableside worker`: configure logging and run a worker."""
    from tableside.logging import configure_logging

    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_json)
    asyncio.run(
        run_standalone_worker(settings, database_url, import_paths=import_paths, burst=burst)
    )


def main(argv: Sequence[str] | None = None) -> None:
    """`python -m tableside.jobs.runtime`: a worker without the CLI (used by tests too)."""
    parser = argparse.ArgumentParser(description="Run a Tableside job worker.")
    parser.add_argument("--database-url", help="PostgreSQL URL (default: from settings)")
    parser.add_argument(
        "--import",
        dest="imports",
        action="append",
        default=[],
        help="extra module with job handlers (repeatable)",
    )
    parser.add_argument("--burst", action="store_true", help="stop once the queue is empty")
    parser.add_argument("--concurrency", type=int, help="jobs run at once")
    args = parser.parse_args(argv)
    settings = get_settings()
    if args.concurrency:
        settings = settings.model_copy(update={"worker_concurrency": args.concurrency})
    run_worker(settings, args.database_url, import_paths=args.imports, burst=args.burst)


if __name__ == "__main__":
    main()

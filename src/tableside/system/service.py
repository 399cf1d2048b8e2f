"""Health checks and metrics reports. Reads app-level state; touches no tenant data."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import structlog
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tableside import __version__
from tableside.config import Settings
from tableside.db.database import Database
from tableside.http.ratelimit import RateLimiter
from tableside.kit.schemas import utcnow
from tableside.system.metrics import RequestMetrics, pool_usage
from tableside.system.schemas import (
    ComponentHealth,
    DatabasePoolStats,
    Health,
    HealthComponents,
    JobQueueHealth,
    OverallStatus,
    RequestStats,
    RouteStats,
    SystemMetrics,
    WorkerState,
)

if TYPE_CHECKING:
    from tableside.jobs.runtime import InProcessWorker

logger = structlog.get_logger("tableside.health")

HealthT = TypeVar("HealthT", bound=ComponentHealth)

# Load balancers poll /health every few seconds and give up after a few more; a check that
# hangs on a dead host must answer well before they do.
DATABASE_TIMEOUT_SECONDS = 2.0
REDIS_TIMEOUT_SECONDS = 1.0
QUEUE_TIMEOUT_SECONDS = 2.0
# procrastinate workers beat every 10 s and count as stalled after 30 s; a minute tolerates a
# busy worker that is late without hiding one that has gone.
WORKER_SEEN_SECONDS = 60


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


def _failure(exc: BaseException) -> str:
    """A failure kind safe to show: the exception class, never its message (hosts, users)."""
    return "timeout" if isinstance(exc, TimeoutError) else type(exc).__name__


async def _timed(
    name: str, limit_seconds: float, probe: Callable[[], Awaitable[HealthT]]
) -> tuple[HealthT | None, str | None, float]:
    """Run `probe` under a timeout; return its result or the failure kind, and the latency."""
    started = time.perf_counter()
    try:
        async with asyncio.timeout(limit_seconds):
            result = await probe()
    except Exception as exc:
        logger.warning("health check failed", component=name, error=repr(exc))
        return None, _failure(exc), _elapsed_ms(started)
    return result, None, _elapsed_ms(started)


async def check_database(database: Database | None) -> ComponentHealth:
    """`SELECT 1` on a pooled connection."""
    if database is None:
        return ComponentHealth(status="down", error="not_started")

    async def probe() -> ComponentHealth:
        async with database.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return ComponentHealth(status="ok")

    result, error, latency = await _timed("database", DATABASE_TIMEOUT_SECONDS, probe)
    if result is None:
        return ComponentHealth(status="down", latency_ms=latency, error=error)
    return result.model_copy(update={"latency_ms": latency})


async def check_redis(settings: Settings, rate_limiter: RateLimiter) -> ComponentHealth:
    """Ping Redis through the rate limiter's storage; without Redis there is nothing to check."""
    if not settings.redis_url:
        return ComponentHealth(status="not_configured")

    async def probe() -> ComponentHealth:
        if await rate_limiter.check_storage():
            return ComponentHealth(status="ok")
        return ComponentHealth(status="down", error="unreachable")

    result, error, latency = await _timed("redis", REDIS_TIMEOUT_SECONDS, probe)
    if result is None:
        return ComponentHealth(status="down", latency_ms=latency, error=error)
    return result.model_copy(update={"latency_ms": latency})


async def _queue_counts(connection: AsyncConnection) -> JobQueueHealth:
    tables = (
        await connection.execute(
            text(
                "SELECT to_regclass('procrastinate_jobs') IS NOT NULL,"
                " to_regclass('procrastinate_workers') IS NOT NULL"
            )
        )
    ).one()
    has_jobs, has_workers = bool(tables[0]), bool(tables[1])
    if not has_jobs:
        return JobQueueHealth(status="down", error="not_migrated")
    # Only open jobs: a partial index covers them, and finished jobs pile up without bound.
    rows = await connection.execute(
        text(
            "SELECT status::text, count(*) FROM procrastinate_jobs"
            " WHERE status IN ('todo', 'doing') GROUP BY status"
        )
    )
    counts = {status: int(count) for status, count in rows.all()}
    workers: int | None = None
    if has_workers:
        workers = int(
            (
                await connection.execute(
                    text(
                        "SELECT count(*) FROM procrastinate_workers"
                        " WHERE last_heartbeat > now() - make_interval(secs => :seconds)"
                    ),
                    {"seconds": WORKER_SEEN_SECONDS},
                )
            ).scalar_one()
        )
    return JobQueueHealth(
        status="ok", todo=counts.get("todo", 0), doing=counts.get("doing", 0), workers=workers
    )


def in_process_worker_state(run_in_process: bool, worker: InProcessWorker | None) -> WorkerState:
    """Whether the API's own worker task is alive (it may die if its database connection does)."""
    if not run_in_process:
        return "disabled"
    if worker is None or worker.task.done():
        return "stopped"
    return "running"


async def check_job_queue(
    database: Database | None, worker_state: WorkerState = "disabled"
) -> JobQueueHealth:
    """The procrastinate tables answer; how many jobs wait and run; how many workers beat.

    An in-process worker that should run but has stopped makes the queue `down` only when no
    other worker beats: with standalone workers alive, jobs still get done.
    """
    if database is None:
        return JobQueueHealth(status="down", error="not_started", in_process_worker=worker_state)

    async def probe() -> JobQueueHealth:
        async with database.engine.connect() as connection:
            return await _queue_counts(connection)

    result, error, latency = await _timed("job_queue", QUEUE_TIMEOUT_SECONDS, probe)
    if result is None:
        return JobQueueHealth(
            status="down", latency_ms=latency, error=error, in_process_worker=worker_state
        )
    update: dict[str, object] = {"latency_ms": latency, "in_process_worker": worker_state}
    if worker_state == "stopped" and not result.workers and result.status == "ok":
        update.update(status="down", error="in_process_worker_stopped")
    return result.model_copy(update=update)


def overall_status(components: HealthComponents) -> OverallStatus:
    """`down` without the database (nothing works); `degraded` when anything else is down."""
    if components.database.status != "ok":
        return "down"
    if "down" in (components.redis.status, components.job_queue.status):
        return "degraded"
    return "ok"


async def health(
    *,
    database: Database | None,
    settings: Settings,
    rate_limiter: RateLimiter,
    metrics: RequestMetrics,
    job_worker: InProcessWorker | None = None,
) -> Health:
    """Check every component at once, so the slowest one bounds the answer time."""
    worker_state = in_process_worker_state(settings.run_worker_in_process, job_worker)
    database_health, redis_health, queue_health = await asyncio.gather(
        check_database(database),
        check_redis(settings, rate_limiter),
        check_job_queue(database, worker_state),
    )
    components = HealthComponents(
        database=database_health, redis=redis_health, job_queue=queue_health
    )
    return Health(
        status=overall_status(components),
        version=__version__,
        uptime_seconds=round(metrics.uptime_seconds(), 3),
        checked_at=utcnow(),
        components=components,
    )


def _pool_stats(database: Database | None, settings: Settings) -> DatabasePoolStats | None:
    if database is None:
        return None
    usage = pool_usage(database.engine.pool, settings.db_max_overflow)
    return DatabasePoolStats(
        size=usage.size,
        checked_out=usage.checked_out,
        idle=usage.idle,
        overflow=usage.overflow,
        max_overflow=usage.max_overflow,
    )


def prometheus_exposition(
    metrics: RequestMetrics, database: Database | None, settings: Settings
) -> tuple[bytes, str]:
    """The registry in Prometheus text format, with pool gauges read now; and its media type."""
    if database is not None:
        metrics.set_pool_gauges(pool_usage(database.engine.pool, settings.db_max_overflow))
    else:
        metrics.uptime.set(metrics.uptime_seconds())
    return generate_latest(metrics.registry), CONTENT_TYPE_LATEST


def system_metrics(
    metrics: RequestMetrics, database: Database | None, settings: Settings
) -> SystemMetrics:
    """Traffic of the last five minutes, the busiest routes, and the connection pool."""
    return SystemMetrics(
        uptime_seconds=round(metrics.uptime_seconds(), 3),
        requests=RequestStats.model_validate(metrics.summary()),
        top_routes=[RouteStats.model_validate(route) for route in metrics.top_routes()],
        database_pool=_pool_stats(database, settings),
    )

"""Response models of the health check and the system metrics summary."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from tableside.kit.schemas import ResponseSchema, UtcDatetime

ComponentStatus = Literal["ok", "down", "not_configured"]
WorkerState = Literal["running", "stopped", "disabled"]
OverallStatus = Literal["ok", "degraded", "down"]


class ComponentHealth(ResponseSchema):
    """One dependency's state. `error` names the failure kind, never an address or secret."""

    status: ComponentStatus
    latency_ms: float | None = None
    error: str | None = None


class JobQueueHealth(ComponentHealth):
    """The procrastinate queue: jobs waiting and running, and workers with a recent heartbeat."""

    todo: int | None = None
    doing: int | None = None
    workers: int | None = Field(
        default=None, description="Workers whose heartbeat is recent; null if not tracked."
    )
    in_process_worker: WorkerState = Field(
        default="disabled",
        description="The worker inside this API process; `disabled` when workers run apart.",
    )


class HealthComponents(ResponseSchema):
    database: ComponentHealth
    redis: ComponentHealth
    job_queue: JobQueueHealth


class Health(ResponseSchema):
    """`GET /health`: `down` (503) when the database is unreachable, `degraded` when another
    component is."""

    status: OverallStatus
    version: str
    uptime_seconds: float
    checked_at: UtcDatetime
    components: HealthComponents


class RequestStats(ResponseSchema):
    """Traffic over the window: rate, latency percentiles and error shares (0 to 1)."""

    window_seconds: float
    requests: int
    requests_per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    client_error_rate: float
    server_error_rate: float


class RouteStats(ResponseSchema):
    method: str
    route: str
    requests: int
    p95_ms: float
    client_errors: int
    server_errors: int


class DatabasePoolStats(ResponseSchema):
    """The connection pool right now. `overflow` counts connections beyond `size`."""

    size: int
    checked_out: int
    idle: int
    overflow: int
    max_overflow: int


class SystemMetrics(ResponseSchema):
    """`GET /api/v1/system/metrics`: the last five minutes of this process at a glance."""

    uptime_seconds: float
    requests: RequestStats
    top_routes: list[RouteStats]
    database_pool: DatabasePoolStats | None

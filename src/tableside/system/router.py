"""Operational endpoints: health, Prometheus metrics and the system metrics summary."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from tableside.auth.dependencies import require
from tableside.auth.permissions import Action, Area
from tableside.system import service
from tableside.system.schemas import Health, SystemMetrics

# Mounted at the root: probes and scrapers call these without credentials.
router = APIRouter(tags=["system"])
# Mounted under /api/v1: the same numbers for people, behind the permission matrix.
api_router = APIRouter(prefix="/system", tags=["system"])


@router.get(
    "/health",
    response_model=Health,
    summary="Health of the API and its components",
    responses={503: {"model": Health, "description": "The database is unreachable"}},
)
async def health(request: Request, response: Response) -> Health:
    """`ok`, `degraded` (Redis or the job queue down, still 200) or `down` (no database, 503)."""
    state = request.app.state
    report = await service.health(
        database=getattr(state, "database", None),
        settings=state.settings,
        rate_limiter=state.rate_limiter,
        metrics=state.metrics,
        job_worker=getattr(state, "job_worker", None),
    )
    if report.status == "down":
        response.status_code = 503
    # A cached "ok" would hide an outage from whoever polls through a proxy.
    response.headers["Cache-Control"] = "no-store"
    return report


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}},
)
async def metrics(request: Request) -> Response:
    """Request counters and latency histograms, pool gauges and process series."""
    state = request.app.state
    body, media_type = service.prometheus_exposition(
        state.metrics, getattr(state, "database", None), state.settings
    )
    return Response(content=body, media_type=media_type)


@api_router.get(
    "/metrics",
    response_model=SystemMetrics,
    summary="Traffic, latency, errors and pool use over the last five minutes",
    dependencies=[Depends(require(Area.system, Action.read))],
)
async def system_metrics(request: Request) -> SystemMetrics:
    """Owner and admin only: this process's recent traffic and its database pool."""
    state = request.app.state
    return service.system_metrics(state.metrics, getattr(state, "database", None), state.settings)

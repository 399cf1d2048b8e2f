"""Forecasting jobs: training a forecast (`forecasting.retrain`, started by
`POST /forecasts/{id}/retrain`, `/forecasts/generate`, `/forecast` and the nightly schedule) and
the schedule itself.

The nightly retraining runs every hour at minute 5 and starts one retrain job per active
forecast of every business whose local clock has just passed its day-cutoff hour: the
business day is over, its sales are complete, and the new run learns from them. A forecast
whose retrain is still queued or running is not queued twice.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import structlog

from tableside.config import Settings
from tableside.db.database import Database, enter_system_scope, set_tenant
from tableside.errors import NotFound
from tableside.forecasting import runs
from tableside.forecasting.repository import (
    ForecastRepository,
    ForecastSystemRepository,
    hold_training_lock,
)
from tableside.forecasting.service import RETRAIN_JOB, enqueue_retrain
from tableside.jobs.registry import JobCancelled, JobContext, job_handler, periodic_job
from tableside.jobs.tasks import error_of
from tableside.kit.schemas import utcnow
from tableside.models import ForecastRun

logger = structlog.get_logger("tableside.forecasting")

NIGHTLY_CRON = "5 * * * *"


def run_summary(run: ForecastRun) -> dict[str, Any]:
    """The job's result: the stored run and where to read its predictions."""
    return {
        "forecast_id": str(run.forecast_id),
        "run_id": str(run.id),
        "model_version": run.model_version,
        "status": str(run.status),
        "method": run.method,
        "granularity": str(run.granularity),
        "horizon": run.horizon,
        "levels": list(run.levels or ()),
        "series_count": run.series_count,
        "history_start": run.history_start.isoformat() if run.history_start else None,
        "trained_through": run.trained_through.isoformat() if run.trained_through else None,
        "generated_at": run.generated_at.isoformat().replace("+00:00", "Z"),
        "duration_ms": run.duration_ms,
        "metrics": run.metrics,
        "predict_url": f"/api/v1/forecasts/{run.forecast_id}/predict",
        "runs_url": f"/api/v1/forecasts/{run.forecast_id}/runs",
    }


@job_handler(RETRAIN_JOB)
async def retrain(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """Train the forecast `params["forecast_id"]` and store the run. A failure is stored as
    a failed run too (then the job fails with the same message).

    The job takes the forecast's training lock first, the one a predict that trains holds:
    a predict and a retrain never fit the same forecast at once. Having waited for another
    training (or been preceded by one since it was asked for), it keeps the run that training
    stored when that run is fresh, of the current definition and the same data: nothing is
    trained, and the result says `trained: false` with that run as `reused_run_id`.
    Otherwise it trains (`trained: true`, `reused_run_id: null`).

    The definition and data are read in one transaction, the engine fits with none open, and
    the run is stored in a short one that re-reads the forecast: a DELETE or PATCH meanwhile
    never waits for the training. Deleted meanwhile, the job fails with NOT_FOUND and stores
    nothing; changed meanwhile, the run is stored as a run of the definition it was trained
    on (never served or judged as the new one) and the result says `definition_current:
    false`. The job's success is recorded in the transaction that stores (or keeps) the run
    (`JobContext.succeed_in`): a cancel that came during the fit wins and nothing is stored,
    and one that comes as the run commits waits and answers 409."""
    forecast_id = uuid.UUID(str(params["forecast_id"]))
    trigger = str(params.get("trigger") or "retrain")
    asked_at = params.get("asked_at_version")
    asked_at_version = int(asked_at) if asked_at is not None else None
    await ctx.set_progress(5, "Reading sales")
    definition: runs.Definition | None = None

    async def waiting() -> None:
        await ctx.set_progress(5, "Waiting for the training of this forecast under way")

    try:
        async with hold_training_lock(ctx.database.engine, forecast_id, on_wait=waiting):
            async with ctx.session() as session:
                forecast = await ForecastRepository(session, ctx.business_id).get(forecast_id)
                if forecast is None:
                    raise NotFound("The forecast no longer exists")
                kept = await runs.run_stored_since(
                    session, ctx.business_id, forecast, asked_at_version, utcnow()
                )
                if kept is not None:
                    result = run_summary(kept) | {
                        "definition_current": True,
                        "trained": False,
                        "reused_run_id": str(kept.id),
                    }
                    await ctx.succeed_in(session, result, _outcome_message(result))
                else:
                    definition = runs.Definition.of(forecast)
                    prepared = await runs.prepare(session, ctx.business_id, definition)
            if kept is None:
                result = await _fit_and_store(ctx, prepared, trigger)
    except (NotFound, JobCancelled):
        raise
    except Exception as exc:
        await _record_failure(ctx, forecast_id, definition, trigger, error_of(exc))
        raise
    return result


async def _fit_and_store(ctx: JobContext, prepared: runs.Prepared, trigger: str) -> dict[str, Any]:
    """Fit with no transaction open, then store the run in a short one; the job's result."""
    await ctx.set_progress(20, "Training")
    trained = await runs.fit(prepared)
    async with ctx.session() as session:
        run = await runs.store(
            session, ctx.business_id, prepared, trained, trigger=trigger, job_id=ctx.job_id
        )
        current = await ForecastRepository(session, ctx.business_id).get(prepared.definition.id)
        result = run_summary(run) | {
            "definition_current": current is not None and runs.is_current(run, current),
            "trained": True,
            "reused_run_id": None,
        }
        await ctx.succeed_in(session, result, _outcome_message(result))
        return result


def _outcome_message(result: dict[str, Any]) -> str:
    through = result["trained_through"]
    if not result["trained"]:
        return (
            f"Kept model version {result['model_version']} on sales through {through}: "
            "a training stored it meanwhile, with the same definition and data"
        )
    message = f"Trained model version {result['model_version']} on sales through {through}"
    if not result["definition_current"]:
        message += " (the forecast's definition changed meanwhile: the next predict trains anew)"
    return message


async def _record_failure(
    ctx: JobContext,
    forecast_id: uuid.UUID,
    definition: runs.Definition | None,
    trigger: str,
    error: dict[str, str],
) -> None:
    """In a transaction of its own: the training's was rolled back. The failed run is of the
    definition the training read (the forecast's current one if it failed before)."""
    async with ctx.session() as session:
        forecast = await ForecastRepository(session, ctx.business_id).get_for_update(forecast_id)
        if forecast is not None:
            await runs.record_failure(
                session,
                ctx.business_id,
                definition or forecast,
                trigger=trigger,
                error=error,
                job_id=ctx.job_id,
            )


def due_now(timezone: str, cutoff_hour: int, now: datetime) -> bool:
    """Whether the business's day-cutoff hour is the current local hour."""
    return now.astimezone(ZoneInfo(timezone)).hour == cutoff_hour


@periodic_job("forecasting-nightly-retrain", cron=NIGHTLY_CRON)
async def nightly_retrain(database: Database, settings: Settings, timestamp: int) -> dict[str, Any]:
    """Queue a retrain of every active forecast of the businesses whose day just ended."""
    now = datetime.fromtimestamp(timestamp, UTC)
    return {"enqueued": await schedule_retrains(database, now)}


async def schedule_retrains(database: Database, now: datetime) -> int:
    """Start the retrain jobs due at `now`; returns how many were queued (or already were)."""
    async with database.session() as session:
        await enter_system_scope(session)
        active = await ForecastSystemRepository(session).active_forecasts()
    due: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for business_id, forecast_id, timezone, cutoff in active:
        if due_now(timezone, cutoff, now):
            due[business_id].append(forecast_id)
    count = 0
    for business_id, forecast_ids in due.items():
        async with database.session() as session:
            await set_tenant(session, business_id)
            repository = ForecastRepository(session, business_id)
            for forecast_id in forecast_ids:
                forecast = await repository.get(forecast_id)
                if forecast is not None:
                    await enqueue_retrain(session, business_id, forecast, trigger="schedule")
                    count += 1
    if count:
        logger.info("forecasting.nightly_retrain", enqueued=count, businesses=len(due))
    return count

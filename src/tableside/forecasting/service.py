"""Forecast definitions (CRUD and validation), predictions, training jobs, the method list and
feature importance. Training and serving live in `runs`, accuracy in `accuracy`."""

from __future__ import annotations

import hashlib
import json
import math
import uuid
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tableside.audit import service as audit
from tableside.auth.dependencies import Principal
from tableside.errors import NotFound, ValidationFailed
from tableside.forecasting import runs
from tableside.forecasting.engine import registry
from tableside.forecasting.engine.errors import EngineError
from tableside.forecasting.errors import NotATreeModel, NotTrained, from_engine
from tableside.forecasting.repository import (
    ForecastRepository,
    RunRepository,
    SalesDataRepository,
    SeriesRepository,
)
from tableside.forecasting.schemas import (
    DEFAULT_HORIZON,
    MAX_HORIZON,
    FeatureImportance,
    FeatureWeight,
    ForecastCreate,
    ForecastUpdate,
    GenerateRequest,
    ModelInfo,
    ModelList,
    Prediction,
    PredictRequest,
    QuickForecastRequest,
    Run,
    RunDetail,
)
from tableside.forecasting.schemas import Forecast as ForecastOut
from tableside.forecasting.series import business_today, country_of
from tableside.jobs.service import enqueue_job
from tableside.kit.pagination import ListParams, Page
from tableside.models import (
    Forecast,
    ForecastGranularity,
    ForecastScope,
    ForecastTarget,
    Job,
)

RETRAIN_JOB = "forecasting.retrain"
# The length of a period in days, for converting a horizon to another granularity: a month is
# a twelfth of the mean Gregorian year. Exact fractions, so 168 hours are 7 days, not 7.0000001.
PERIOD_LENGTH_DAYS: dict[ForecastGranularity, Fraction] = {
    ForecastGranularity.hour: Fraction(1, 24),
    ForecastGranularity.day: Fraction(1),
    ForecastGranularity.week: Fraction(7),
    ForecastGranularity.month: Fraction("365.2425") / 12,
}


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(details=[{"field": field, "message": message}])


async def _forecast_or_404(
    repository: ForecastRepository, forecast_id: uuid.UUID, *, lock: bool = False
) -> Forecast:
    forecast = await (
        repository.get_for_update(forecast_id) if lock else repository.get(forecast_id)
    )
    if forecast is None:
        raise NotFound("Forecast not found")
    return forecast


def same_span_horizon(
    horizon: int, granularity: ForecastGranularity, new_granularity: ForecastGranularity
) -> int:
    """The horizon in `new_granularity` periods that covers at least the span `horizon`
    periods of `granularity` did (rounded up, at least 1, at most the new granularity's
    maximum): 168 hours are 7 days, 14 days 336 hours, 3 months 14 weeks."""
    span = horizon * PERIOD_LENGTH_DAYS[granularity]
    periods = math.ceil(span / PERIOD_LENGTH_DAYS[new_granularity])
    return max(1, min(periods, MAX_HORIZON[new_granularity]))


def canonical_method(name: str) -> str:
    """The engine's canonical name; unknown → 422 UNKNOWN_METHOD, not installed → 422
    METHOD_UNAVAILABLE."""
    try:
        method = registry.resolve(name)
    except EngineError as exc:
        raise from_engine(exc) from exc
    if not registry.is_available(method):
        hint = " (pip install tableside[prophet])" if method == "prophet" else ""
        error = ValidationFailed(
            f"Method {method!r} is not available here{hint}",
            details=[{"field": "method", "message": f"{method} is not installed{hint}"}],
        )
        error.code = "METHOD_UNAVAILABLE"
        raise error
    return method


async def _resolve_items(
    data: SalesDataRepository, item_ids: list[uuid.UUID] | None, item_skus: list[str] | None
) -> list[uuid.UUID] | None:
    """The union of the items named by id and by SKU; any that is not one of this business's
    is a 422 naming it (another business's item is simply unknown here)."""
    if item_ids is None and item_skus is None:
        return None
    ids, skus = list(dict.fromkeys(item_ids or [])), list(dict.fromkeys(item_skus or []))
    found = await data.items(ids=ids, skus=skus)
    known_ids = {ref.id for ref in found}
    known_skus = {ref.sku for ref in found}
    missing = [
        {"field": "item_ids", "message": f"{item_id} is not an item of this business"}
        for item_id in ids
        if item_id not in known_ids
    ] + [
        {"field": "item_skus", "message": f"{sku!r} is not an item of this business"}
        for sku in skus
        if sku not in known_skus
    ]
    if missing:
        raise ValidationFailed(details=missing)
    by_sku = {ref.sku: ref.id for ref in found}
    return list(dict.fromkeys([*ids, *(by_sku[sku] for sku in skus)]))


async def _check_definition(
    session: AsyncSession, principal: Principal, values: dict[str, Any]
) -> None:
    """Scope, ids, target and granularity must make one coherent forecast."""
    data = SalesDataRepository(session, principal.business_id)
    scope, target = values["scope"], values["target"]
    granularity = values["granularity"]
    location_id, category_id = values.get("location_id"), values.get("category_id")
    item_ids = values.get("item_ids") or []
    if location_id is not None and location_id not in await data.location_ids():
        raise _invalid("location_id", "is not a location of this business")
    if category_id is not None and not await data.category_exists(category_id):
        raise _invalid("category_id", "is not a category of this business")
    if scope in (ForecastScope.business, ForecastScope.location):
        if category_id is not None or item_ids:
            raise _invalid("scope", f"a {scope} forecast takes no category_id or items")
        if scope == ForecastScope.business and location_id is not None:
            raise _invalid("location_id", "a business forecast covers every location")
    if scope == ForecastScope.item and category_id is not None and item_ids:
        # The category narrows the sales read: an item of another one would never have a
        # series (and be reported as never sold).
        outside = [ref for ref in await data.items(ids=item_ids) if ref.category_id != category_id]
        if outside:
            raise ValidationFailed(
                details=[
                    {"field": "item_ids", "message": f"{ref.sku!r} is not in category_id"}
                    for ref in sorted(outside, key=lambda ref: ref.sku)
                ]
            )
    if scope == ForecastScope.category:
        if category_id is None:
            raise _invalid("category_id", "is required for a category forecast")
        if item_ids:
            raise _invalid("item_ids", "a category forecast covers the whole category")
    if target == ForecastTarget.covers and scope not in (
        ForecastScope.business,
        ForecastScope.location,
    ):
        raise _invalid("scope", "covers are counted per business or location, not per item")
    if granularity == ForecastGranularity.hour and scope not in (
        ForecastScope.business,
        ForecastScope.location,
    ):
        raise _invalid("granularity", "hourly forecasts are per business or location")
    limit = MAX_HORIZON[granularity]
    if not 1 <= values["horizon"] <= limit:
        raise _invalid("horizon", f"must be between 1 and {limit} for {granularity} forecasts")


async def _definition_values(
    session: AsyncSession, principal: Principal, base: dict[str, Any], data: Any
) -> dict[str, Any]:
    """The definition's fields after applying `data` to `base`: every field of a create
    (defaults included), the fields sent of an update."""
    changes = data.model_dump(exclude_unset=not isinstance(data, ForecastCreate))
    for absent in ("item_ids", "item_skus"):
        if changes.get(absent) is None and absent not in data.model_fields_set:
            changes.pop(absent, None)
    values = {**base, **changes}
    if "method" in changes:
        values["method"] = canonical_method(changes["method"])
    if "training_config" in changes:
        values["training_config"] = data.training_config.model_dump(mode="json", exclude_none=True)
    if "method" in changes and "training_config" not in changes and base:
        # The variant an earlier alias chose (`tsb`) is not the owner's: a new method name
        # replaces it, as if the definition had been created with that name.
        config = dict(values.get("training_config") or {})
        params = dict(config.get("params") or {})
        kept = {
            key: value
            for key, value in params.items()
            if not registry.is_alias_choice(base["method"], key, value)
        }
        if kept != params:
            values["training_config"] = {**config, "params": kept}
    implied = registry.alias_params(changes["method"]) if "method" in changes else {}
    if implied:
        # An alias naming a variant (tsb, croston) keeps it as a parameter of its method;
        # parameters sent with it win.
        config = dict(values.get("training_config") or {})
        config["params"] = {**implied, **(config.get("params") or {})}
        values["training_config"] = config
    if "item_ids" in changes or "item_skus" in changes:
        resolved = await _resolve_items(
            SalesDataRepository(session, principal.business_id),
            changes.get("item_ids"),
            changes.get("item_skus"),
        )
        values["item_ids"] = resolved or []
    values.pop("item_skus", None)
    if values.get("horizon") is None:
        values["horizon"] = DEFAULT_HORIZON[values["granularity"]]
    await _check_definition(session, principal, values)
    config = values.get("training_config") or {}
    facts = await SalesDataRepository(session, principal.business_id).business()
    runs.check_definition(
        values, config.get("country") or country_of(facts.timezone, facts.settings)
    )
    return values


# CRUD ---------------------------------------------------------------------------------------


async def list_forecasts(
    session: AsyncSession,
    principal: Principal,
    params: ListParams,
    *,
    target: ForecastTarget | None,
    method: str | None,
    is_active: bool | None,
) -> Page[ForecastOut]:
    repository = ForecastRepository(session, principal.business_id)
    method = canonical_method(method) if method else None
    stmt = repository.list_select(target=target, method=method, is_active=is_active)
    rows, total = await repository.paginate(stmt, params)
    return Page[ForecastOut].build([ForecastOut.model_validate(r) for r in rows], total, params)


async def get_forecast(
    session: AsyncSession, principal: Principal, forecast_id: uuid.UUID
) -> ForecastOut:
    repository = ForecastRepository(session, principal.business_id)
    return ForecastOut.model_validate(await _forecast_or_404(repository, forecast_id))


async def create_forecast(
    session: AsyncSession, principal: Principal, data: ForecastCreate, *, origin: str = "api"
) -> Forecast:
    """Store a definition (it trains on the first predict or retrain)."""
    values = await _definition_values(session, principal, {}, data)
    values.setdefault("item_ids", [])
    values.setdefault("training_config", {})
    repository = ForecastRepository(session, principal.business_id)
    forecast = await repository.add(
        Forecast(
            business_id=principal.business_id,
            created_by=principal.user_id,
            origin=origin,
            **values,
        )
    )
    await audit.record(
        session,
        business_id=principal.business_id,
        action="forecast.created",
        principal=principal,
        entity_type="forecast",
        entity_id=forecast.id,
        details={"name": forecast.name, "method": forecast.method},
    )
    return forecast


async def update_forecast(
    session: AsyncSession, principal: Principal, forecast_id: uuid.UUID, data: ForecastUpdate
) -> ForecastOut:
    """Apply the fields sent. Stored runs stay; the next predict trains with the new
    definition (runs made with the old one are never served as fresh). A new granularity
    without a horizon converts the horizon to cover the same span (`same_span_horizon`)."""
    repository = ForecastRepository(session, principal.business_id)
    forecast = await _forecast_or_404(repository, forecast_id, lock=True)
    base = {
        field: getattr(forecast, field)
        for field in (
            "name", "description", "target", "scope", "location_id", "category_id", "item_ids",
            "granularity", "method", "horizon", "levels", "training_config", "is_active",
        )
    }  # fmt: skip
    changes = data.model_dump(exclude_unset=True)
    if "granularity" in changes and "horizon" not in changes:
        # The operator changes how finely the same future is forecast: a week by the hour
        # becomes a week by the day (7), not 168 days.
        base["horizon"] = same_span_horizon(
            forecast.horizon, forecast.granularity, changes["granularity"]
        )
    values = await _definition_values(session, principal, base, data)
    for field, value in values.items():
        setattr(forecast, field, value)
    await repository.flush()
    return ForecastOut.model_validate(forecast)


async def delete_forecast(
    session: AsyncSession, principal: Principal, forecast_id: uuid.UUID
) -> None:
    """Delete the definition with its runs and stored predictions."""
    repository = ForecastRepository(session, principal.business_id)
    forecast = await _forecast_or_404(repository, forecast_id)
    await repository.delete(forecast)
    await audit.record(
        session,
        business_id=principal.business_id,
        action="forecast.deleted",
        principal=principal,
        entity_type="forecast",
        entity_id=forecast_id,
        details={"name": forecast.name},
    )


# Predictions and training -------------------------------------------------------------------


async def predict(
    session: AsyncSession, principal: Principal, forecast_id: uuid.UUID, body: PredictRequest
) -> Prediction:
    """Points for the requested dates: from the latest run when fresh, else from a run
    trained now. Concurrent predicts of the forecast wait for that run instead of training
    their own (an advisory lock); the forecast row is not held while the model fits, so a
    PATCH or DELETE meanwhile answers at once (deleted, this predict is a 404)."""
    repository = ForecastRepository(session, principal.business_id)
    await repository.lock_training(forecast_id)
    forecast = await _forecast_or_404(repository, forecast_id)
    return await runs.serve(session, principal.business_id, forecast, body)


async def start_retrain(
    session: AsyncSession,
    principal: Principal,
    forecast_id: uuid.UUID,
    *,
    trigger: str = "retrain",
) -> Job:
    """Queue a training job for the forecast; while one is queued or running, that job."""
    repository = ForecastRepository(session, principal.business_id)
    forecast = await _forecast_or_404(repository, forecast_id, lock=True)
    return await enqueue_retrain(
        session, principal.business_id, forecast, trigger=trigger, created_by=principal.user_id
    )


async def enqueue_retrain(
    session: AsyncSession,
    business_id: uuid.UUID,
    forecast: Forecast,
    *,
    trigger: str,
    created_by: uuid.UUID | None = None,
) -> Job:
    """Queue a retrain of `forecast` in the caller's transaction (the one already queued or
    running, if any), noting the newest run version it was asked for after."""
    existing = await ForecastRepository(session, business_id).active_job(forecast.id, RETRAIN_JOB)
    if existing is not None:
        return existing
    # The newest version now: a run stored after it (a predict's, while the job waits) with
    # the same definition and data is kept instead of training again; one already there is not.
    asked_at = await RunRepository(session, business_id).newest_version(forecast.id)
    return await enqueue_job(
        session,
        business_id=business_id,
        kind=RETRAIN_JOB,
        params={"forecast_id": str(forecast.id), "trigger": trigger, "asked_at_version": asked_at},
        created_by_id=created_by,
    )


def _adhoc_name(prefix: str, payload: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode())
    return f"{prefix} {digest.hexdigest()[:12]}"


async def _adhoc(
    session: AsyncSession, principal: Principal, data: ForecastCreate, origin: str
) -> Forecast:
    """The ad-hoc definition for a request: the one an identical earlier request made (so
    repeated requests add model versions to one forecast), or a new one."""
    existing = await ForecastRepository(session, principal.business_id).find_by_name(data.name)
    if existing is not None:
        return existing
    return await create_forecast(session, principal, data, origin=origin)


async def generate(session: AsyncSession, principal: Principal, body: GenerateRequest) -> Job:
    """Sentia's generate: daily units of the given items (every item when none are given)."""
    method = canonical_method(body.method)
    resolved = await _resolve_items(
        SalesDataRepository(session, principal.business_id), body.item_ids, body.item_skus
    )
    items = sorted(str(i) for i in resolved or [])
    level = min(99, max(1, round(body.confidence_level * 100)))
    params = {**registry.alias_params(body.method), **body.parameters}
    payload = {
        "items": items,
        "location_id": str(body.location_id),
        "method": method,
        "horizon": body.horizon_days,
        "level": level,
        "params": params,
    }
    definition = ForecastCreate(
        name=_adhoc_name("Item demand", payload),
        description="Made by POST /forecasts/generate",
        target=ForecastTarget.item_units,
        scope=ForecastScope.item,
        location_id=body.location_id,
        item_ids=[uuid.UUID(i) for i in items] or None,
        granularity=ForecastGranularity.day,
        method=method,
        horizon=body.horizon_days,
        levels=[level],
        training_config={"params": params},
        is_active=False,
    )
    forecast = await _adhoc(session, principal, definition, "generate")
    return await enqueue_retrain(
        session, principal.business_id, forecast, trigger="generate", created_by=principal.user_id
    )


async def quick_forecast(
    session: AsyncSession, principal: Principal, body: QuickForecastRequest
) -> Job:
    """The SFS forecast: the business's daily revenue for `horizon` days."""
    method = canonical_method(body.model)
    levels = [95] if body.include_ci else []
    params = registry.alias_params(body.model)
    payload = {"method": method, "horizon": body.horizon, "levels": levels}
    if params:
        payload["params"] = params
    definition = ForecastCreate(
        name=_adhoc_name("Revenue", payload),
        description="Made by POST /forecast",
        target=ForecastTarget.revenue,
        scope=ForecastScope.business,
        granularity=ForecastGranularity.day,
        method=method,
        horizon=body.horizon,
        levels=levels,
        training_config={"params": params},
        is_active=False,
    )
    forecast = await _adhoc(session, principal, definition, "quick")
    return await enqueue_retrain(
        session, principal.business_id, forecast, trigger="quick", created_by=principal.user_id
    )


# Runs, models, feature importance -----------------------------------------------------------


async def list_runs(
    session: AsyncSession, principal: Principal, forecast_id: uuid.UUID, params: ListParams
) -> Page[Run]:
    await _forecast_or_404(ForecastRepository(session, principal.business_id), forecast_id)
    repository = RunRepository(session, principal.business_id)
    rows, total = await repository.paginate(repository.for_forecast(forecast_id), params)
    return Page[Run].build([Run.model_validate(row) for row in rows], total, params)


async def get_run(
    session: AsyncSession, principal: Principal, forecast_id: uuid.UUID, run_id: uuid.UUID
) -> RunDetail:
    run = await RunRepository(session, principal.business_id).get(run_id)
    if run is None or run.forecast_id != forecast_id:
        raise NotFound("Run not found")
    return RunDetail.model_validate(run)


async def list_models(session: AsyncSession, principal: Principal) -> ModelList:
    """Every engine method, with availability here and its latest backtest in this business."""
    trained = await RunRepository(session, principal.business_id).latest_by_method()
    items = []
    for info in registry.METHODS.values():
        last, metrics, count = trained.get(info.name, (None, None, 0))
        items.append(
            ModelInfo(
                name=info.name,
                label=info.label,
                family=info.family,
                description=info.description,
                native_intervals=info.native_intervals,
                tree_model=info.tree_model,
                aliases=list(info.aliases),
                available=registry.is_available(info.name),
                last_trained_at=last,
                runs=count,
                test_metrics=metrics,
            )
        )
    return ModelList(items=items, total=len(items))


async def feature_importance(
    session: AsyncSession, principal: Principal, forecast_id: uuid.UUID
) -> FeatureImportance:
    """Gain importance of the latest run's tree model (a `best` or `ensemble` run has it
    when a tree model took part)."""
    forecast = await _forecast_or_404(
        ForecastRepository(session, principal.business_id), forecast_id
    )
    run = await RunRepository(session, principal.business_id).latest(forecast_id)
    if run is not None and run.feature_importance:
        ranked = sorted(
            ((name, round(float(weight), 6)) for name, weight in run.feature_importance.items()),
            key=lambda kv: (-kv[1], kv[0]),
        )
        # Equal importances share a rank (1, 2, 2, 4): features a model never split on are
        # tied at 0, and numbering them one after another would invent an order.
        features: list[FeatureWeight] = []
        for position, (name, weight) in enumerate(ranked, start=1):
            tied = bool(features) and features[-1].importance == weight
            rank = features[-1].rank if tied else position
            features.append(FeatureWeight(feature=name, importance=weight, rank=rank))
        return FeatureImportance(
            forecast_id=forecast_id,
            model_version=run.model_version,
            method=run.method,
            features=features,
        )
    info = registry.METHODS.get(forecast.method)
    if info is None or not info.tree_model:
        tree = sorted(name for name, m in registry.METHODS.items() if m.tree_model)
        raise NotATreeModel(
            f"{forecast.method} is not a tree model; feature importance exists for "
            f"{', '.join(tree)} (and best or ensemble runs that used one)"
        )
    raise NotTrained()


# Revenue projection for analytics -----------------------------------------------------------


def _projection_periods(after: date, periods: int, granularity: str) -> list[tuple[date, date]]:
    """The `periods` calendar periods (day, ISO week, month) after `after`; the first is
    clipped to start the day after."""
    spans = []
    start = after + timedelta(days=1)
    for _ in range(periods):
        if granularity == "week":
            end = start + timedelta(days=6 - start.weekday())
        elif granularity == "month":
            end = date(start.year + start.month // 12, start.month % 12 + 1, 1) - timedelta(days=1)
        else:
            end = start
        spans.append((start, end))
        start = end + timedelta(days=1)
    return spans


async def project_revenue(
    session: AsyncSession,
    business_id: uuid.UUID,
    *,
    location_id: uuid.UUID | None,
    granularity: str,
    after: date,
    periods: int,
) -> list[tuple[date, date, float]] | None:
    """Forecast revenue per period after `after` (first day, last day, revenue), from the
    latest fresh run of an hourly or daily revenue forecast of the business (or of this
    location; else of a forecast per location of every location, added up for the
    business): fresh means trained on the data through yesterday (the nightly retraining
    keeps it so), not older, and under the forecast's current target and scope. Only the
    periods the run covers completely are given; None when there is no such run or it covers
    none of them (a range ending before yesterday is history, not something to project)."""
    data = SalesDataRepository(session, business_id)
    facts = await data.business()
    yesterday = business_today(facts.timezone, facts.cutoff_hour) - timedelta(days=1)
    run_repository = RunRepository(session, business_id)
    forecasts = ForecastRepository(session, business_id)
    # Then the forecasts of every location: one location's series, or for the business all of
    # them added up (every location that sold in its history is one of its series).
    candidates = [
        *await forecasts.revenue_candidates(location_id),
        *await forecasts.revenue_candidates(None, every=True),
    ]
    for forecast in candidates:
        if forecast.granularity not in (ForecastGranularity.hour, ForecastGranularity.day):
            continue
        run = await run_repository.latest(forecast.id)
        if run is None or run.trained_through != yesterday or run.trained_through > after:
            continue
        if not runs.measures_the_same(run, forecast):
            # Trained before a change of target or location: covers, or another place's
            # revenue, until the forecast trains again.
            continue
        rows = await SeriesRepository(session, business_id).of_runs([run.id])
        if location_id is not None and forecast.location_id is None:
            rows = [row for row in rows if row.location_id == location_id]
        if not rows:
            continue
        by_day = runs.totals_by_day(rows, run.granularity, facts.cutoff_hour)
        projected = []
        for start, end in _projection_periods(after, periods, granularity):
            days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
            if any(day not in by_day for day in days):
                break
            projected.append((start, end, sum(by_day[day] for day in days)))
        if projected:
            return projected
    return None

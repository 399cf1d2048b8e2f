"""HTTP endpoints of forecasting: /api/v1/forecasts (definitions, predictions, runs,
accuracy, training jobs, methods) and /api/v1/forecast (the quick revenue forecast).

Everyone but cashiers, wait staff and kitchen staff reads forecasts; managers and above
create, predict into new runs and retrain them; owners and admins delete them."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status

from tableside.auth.dependencies import Principal, require
from tableside.auth.permissions import Action, Area
from tableside.db.session import SessionDep
from tableside.forecasting import accuracy, service
from tableside.forecasting.schemas import (
    Accuracy,
    FeatureImportance,
    Forecast,
    ForecastCreate,
    ForecastUpdate,
    GenerateRequest,
    ModelList,
    Prediction,
    PredictRequest,
    QuickForecastRequest,
    Run,
    RunDetail,
)
from tableside.jobs.schemas import JobAccepted, accepted
from tableside.kit.pagination import ListParamsDep, Page
from tableside.models import ForecastTarget

router = APIRouter(prefix="/forecasts", tags=["forecasting"])
quick_router = APIRouter(tags=["forecasting"])

ForecastReader = Annotated[Principal, Depends(require(Area.forecasts, Action.read))]
ForecastWriter = Annotated[Principal, Depends(require(Area.forecasts, Action.write))]
ForecastManager = Annotated[Principal, Depends(require(Area.forecasts, Action.manage))]

_ACCEPTED: dict[int | str, dict[str, Any]] = {
    202: {"model": JobAccepted, "description": "Training: follow the job at status_url"}
}
_ENGINE_ERRORS = """
Engine errors are 422 with the engine's code: `UNKNOWN_METHOD`, `METHOD_UNAVAILABLE`
(an optional extra such as prophet is not installed), `INSUFFICIENT_HISTORY` (too little
sales history in the scope to forecast), `INVALID_CONFIG` (parameters the method refuses).
"""

# Fixed paths first, so they are never read as a forecast id ----------------------------------


@router.get(
    "/models",
    response_model=ModelList,
    summary="Forecasting methods, their availability and latest test metrics",
)
async def list_models(principal: ForecastReader, session: SessionDep) -> ModelList:
    """Every method the engine knows (with aliases): whether it can run here, when it last
    trained in this business, how many runs used it and the backtest metrics of the latest
    (MAE, RMSE, MAPE, sMAPE, MASE, WAPE, bias, interval coverage, grade)."""
    return await service.list_models(session, principal)


@router.post(
    "/generate",
    status_code=status.HTTP_202_ACCEPTED,
    responses=_ACCEPTED,
    response_model=JobAccepted,
    summary="Forecast item demand in the background",
    description="""
Daily units for `item_ids` / `item_skus` (every item sold when neither is given), at
`location_id` or per location, with `method`, `horizon_days` (1-365), `confidence_level`
(0.95 → 95% intervals) and method `parameters`. Returns 202 with a job; its `result` is the
stored run (`run_id`, `model_version`, `metrics`, `predict_url`). The same request again adds a
new model version to the same (inactive, ad-hoc) forecast definition.
"""
    + _ENGINE_ERRORS,
)
async def generate(body: GenerateRequest, principal: ForecastWriter, session: SessionDep) -> Any:
    return accepted(await service.generate(session, principal, body))


@router.get("", response_model=Page[Forecast], summary="List forecasts")
async def list_forecasts(
    principal: ForecastReader,
    session: SessionDep,
    params: ListParamsDep,
    target: ForecastTarget | None = None,
    method: Annotated[str | None, Query(max_length=40, description="Method or alias")] = None,
    is_active: bool | None = None,
) -> Page[Forecast]:
    """Search matches name and description; sort by `created_at` (default), `updated_at`,
    `name`, `target`, `method` or `last_trained_at`."""
    return await service.list_forecasts(
        session, principal, params, target=target, method=method, is_active=is_active
    )


@router.post(
    "",
    response_model=Forecast,
    status_code=status.HTTP_201_CREATED,
    summary="Create a forecast definition",
    description="""
`target`: `revenue`, `item_units` or `covers`. `scope`: `business` (one series),
`location` (per location, or the `location_id` one), `category` (`category_id`'s total) or
`item` (per item and location; `item_ids`/`item_skus`, else every item, of `category_id` when
given). Covers are per business or location; hourly forecasts too. `granularity`: `hour`,
`day`, `week` or `month`; `horizon` in those periods (hour ≤ 336, day ≤ 365, week ≤ 104,
month ≤ 36). `levels`: interval levels 1-99. It trains on the first predict or retrain.
"""
    + _ENGINE_ERRORS,
)
async def create_forecast(
    body: ForecastCreate, principal: ForecastWriter, session: SessionDep
) -> Forecast:
    return Forecast.model_validate(await service.create_forecast(session, principal, body))


@router.get("/{forecast_id}", response_model=Forecast, summary="Get a forecast definition")
async def get_forecast(
    forecast_id: uuid.UUID, principal: ForecastReader, session: SessionDep
) -> Forecast:
    return await service.get_forecast(session, principal, forecast_id)


@router.patch("/{forecast_id}", response_model=Forecast, summary="Update a forecast definition")
async def update_forecast(
    forecast_id: uuid.UUID, body: ForecastUpdate, principal: ForecastWriter, session: SessionDep
) -> Forecast:
    """Only the fields sent change. Stored runs stay; the next predict trains anew.

    A `granularity` sent without `horizon` keeps the span the horizon covers: the horizon is
    converted to the new periods, rounded up to cover at least the same time and capped at
    the new granularity's maximum (168 hours become 7 days, 14 days 336 hours, 3 months 14
    weeks; a month counts 30.44 days). A `horizon` sent with it is taken as it is.
    """
    return await service.update_forecast(session, principal, forecast_id, body)


router.add_api_route(
    "/{forecast_id}",
    update_forecast,
    methods=["PUT"],
    response_model=Forecast,
    summary="Update a forecast definition (same as PATCH: only the fields sent change)",
)


@router.delete(
    "/{forecast_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a forecast with its runs and predictions",
)
async def delete_forecast(
    forecast_id: uuid.UUID, principal: ForecastManager, session: SessionDep
) -> Response:
    await service.delete_forecast(session, principal, forecast_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{forecast_id}/predict",
    response_model=Prediction,
    summary="Predictions with intervals for a range of business dates",
    description="""
Served from the latest stored run when it is fresh (under an hour old, trained with the
current definition, and no sales have changed the data since: `cached: true`); otherwise the
forecast trains now and the new run (next `model_version`) is stored and served. A training
under way for this forecast (another predict's or a retrain job's) is waited for, and its run
served when fresh, instead of training a second time.

`start_date`/`end_date` are business dates (default: the whole horizon; the answer's are the
part of the range the forecast covers). `granularity` may be the forecast's own or coarser (a
daily forecast summed into weeks; interval bounds add up, which errs wide; a weekly forecast
read by the month counts a seventh of each week per day in the month of that day); a week or
month the range cuts has `complete: false` and holds only the days inside (`period_end` is the
period's last date). `not_forecast` lists the series asked for that have no prediction (too little
history, or an item of the definition that never sold) with the reason. Each series gives
`method_used` and `fallback` (how a short history was forecast). Each point: `value`,
`lower_bound`/`upper_bound` at the first level and `intervals` per level. Hourly points are
every local hour of the range (the `timestamp` is the UTC instant the hour starts); hours
outside the opening hours learned from the sales (or set in `training_config.open_hours`) and
closed days are **0** with 0 bounds, not omitted.
"""
    + _ENGINE_ERRORS,
)
async def predict(
    forecast_id: uuid.UUID,
    principal: ForecastWriter,
    session: SessionDep,
    body: PredictRequest | None = None,
) -> Prediction:
    return await service.predict(session, principal, forecast_id, body or PredictRequest())


@router.post(
    "/{forecast_id}/retrain",
    status_code=status.HTTP_202_ACCEPTED,
    responses=_ACCEPTED,
    response_model=JobAccepted,
    summary="Retrain a forecast in the background",
)
async def retrain(forecast_id: uuid.UUID, principal: ForecastWriter, session: SessionDep) -> Any:
    """202 with a job whose `result` is the new run. While a retrain of this forecast is
    queued or running, that job is returned again. Active forecasts also retrain every night,
    when the business day ends (the day-cutoff hour).

    The job does not hold the forecast while the model fits: a PATCH or DELETE meanwhile
    answers at once. Deleted meanwhile, the job fails with NOT_FOUND and stores no run;
    changed meanwhile, the run is stored as a run of the definition it was trained with
    (`definition_current: false` in the result) and the next predict trains anew.

    The job never trains alongside a predict of the same forecast: it waits for a training
    under way. When a predict has stored a run since this retrain was asked for, with the
    forecast's current definition and the same data, the job keeps that run: its result is
    that run's, with `trained: false` and `reused_run_id`. Otherwise it trains
    (`trained: true`, `reused_run_id: null`); a retrain asked for after the latest run
    always trains."""
    return accepted(await service.start_retrain(session, principal, forecast_id))


@router.get(
    "/{forecast_id}/runs", response_model=Page[Run], summary="Runs of a forecast, newest first"
)
async def list_runs(
    forecast_id: uuid.UUID, principal: ForecastReader, session: SessionDep, params: ListParamsDep
) -> Page[Run]:
    """Every training (`model_version` 1, 2, ...) with its method, parameters, backtest
    metrics, the data it saw and, for failed ones, the error. Sort by `model_version`
    (default, newest first), `generated_at` or `created_at`."""
    return await service.list_runs(session, principal, forecast_id, params)


@router.get(
    "/{forecast_id}/runs/{run_id}",
    response_model=RunDetail,
    summary="One run, with per-series metrics and feature importance",
)
async def get_run(
    forecast_id: uuid.UUID, run_id: uuid.UUID, principal: ForecastReader, session: SessionDep
) -> RunDetail:
    return await service.get_run(session, principal, forecast_id, run_id)


@router.get(
    "/{forecast_id}/accuracy",
    response_model=Accuracy,
    summary="Stored predictions against the actuals that came later",
)
async def get_accuracy(
    forecast_id: uuid.UUID,
    principal: ForecastReader,
    session: SessionDep,
    days_back: Annotated[int, Query(ge=1, le=365, description="Business days to judge")] = 30,
) -> Accuracy:
    """For each series and day (week, month) of the last `days_back` business days, the
    prediction of the newest run trained before it against what sold: MAE, RMSE, MAPE,
    sMAPE, MASE, WAPE, bias, interval coverage and grade; the per-day totals with their
    errors; and the `trend` (`improving`, `stable` or `worsening`: the second half's WAPE
    against the first's, ±10%). 404 `INSUFFICIENT_DATA` when no stored prediction has its
    actual yet."""
    return await accuracy.accuracy(session, principal, forecast_id, days_back)


@router.get(
    "/{forecast_id}/feature-importance",
    response_model=FeatureImportance,
    summary="Feature importance of a tree model",
)
async def get_feature_importance(
    forecast_id: uuid.UUID, principal: ForecastReader, session: SessionDep
) -> FeatureImportance:
    """Gain importance (summing to 1) of the latest run of a `gradient_boosting` or
    `random_forest` forecast (or a `best`/`ensemble` run that used one), highest first; equal
    importances share a rank. A model with nothing to learn (a series that never changed)
    made no split: every feature is 0. Other methods: 409 `NOT_A_TREE_MODEL`; a tree forecast
    never trained: 409 `NOT_TRAINED`."""
    return await service.feature_importance(session, principal, forecast_id)


@quick_router.post(
    "/forecast",
    status_code=status.HTTP_202_ACCEPTED,
    responses=_ACCEPTED,
    response_model=JobAccepted,
    summary="Forecast the business's daily revenue in the background",
)
async def quick_forecast(
    body: QuickForecastRequest, principal: ForecastWriter, session: SessionDep
) -> Any:
    """`horizon` days (1-365) of revenue with `model` (a method or alias, default `best`) and
    95% intervals when `include_ci`. 202 with a job whose `result` is the stored run; read
    the points with `POST /forecasts/{forecast_id}/predict`."""
    return accepted(await service.quick_forecast(session, principal, body))

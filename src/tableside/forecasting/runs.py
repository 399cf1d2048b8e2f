"""Training a forecast into a stored run, and serving predictions from runs.

A training has three steps: `prepare` reads the forecast's definition (a `Definition`, a
copy) and its data from the rollups (`series.load_series`); `fit` runs the engine in a worker
thread, touching no database row; `store` numbers and stores the run with its parameters,
backtest metrics and the fingerprint of the data it saw, in a short step that locks the
forecast row only then. So a training never holds the forecast while it fits: a DELETE or
PATCH meanwhile answers at once. `store` re-reads the forecast: deleted, nothing is stored
(`ForecastDeleted`); changed, the run is stored as what it is, a run of the definition it was
trained on (its method, horizon, levels and digests), which is never served or judged as the
new one. A job runs the steps in transactions of their own; `train` runs them in the
caller's.

`predict` serves the latest run while it is fresh: under an hour old, trained with the
forecast's current definition, and no new data since (same fingerprint). Otherwise it trains a
new run in the request.

Trainings of one forecast take turns on one advisory lock: a predict in its transaction
(`ForecastRepository.lock_training`), a retrain job across its steps
(`repository.hold_training_lock`). Whoever gets it second looks again: a predict serves the
run just stored when it is fresh, a retrain keeps it when it is fresh and newer than the
retrain's request (`run_stored_since`), so a predict and a retrain at the same moment store
one run, not two.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
import time
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy.ext.asyncio import AsyncSession

from tableside.errors import ValidationFailed
from tableside.forecasting.engine.calendar import holiday_dates
from tableside.forecasting.engine.errors import EngineError
from tableside.forecasting.engine.forecaster import MAX_HORIZON as ENGINE_MAX_HORIZON
from tableside.forecasting.engine.forecaster import MIN_OBSERVATIONS
from tableside.forecasting.engine.types import (
    FREQUENCIES,
    Calendar,
    ForecastConfig,
    ForecastOutput,
)
from tableside.forecasting.errors import ForecastDeleted, from_engine, insufficient_history
from tableside.forecasting.repository import (
    ForecastRepository,
    RunRepository,
    SalesDataRepository,
    SeriesRepository,
)
from tableside.forecasting.schemas import (
    Bounds,
    Prediction,
    PredictionPoint,
    PredictRequest,
    SeriesNotForecast,
    SeriesPrediction,
)
from tableside.forecasting.series import (
    LoadedSeries,
    SeriesSpec,
    data_fingerprint,
    load_series,
    next_month_start,
    series_key_ids,
)
from tableside.kit.schemas import utcnow
from tableside.models import (
    Forecast,
    ForecastGranularity,
    ForecastRun,
    ForecastRunStatus,
    ForecastScope,
    ForecastSeries,
    ForecastTarget,
)

FRESH_FOR = timedelta(hours=1)
GRANULARITY_ORDER = {
    ForecastGranularity.hour: 0,
    ForecastGranularity.day: 1,
    ForecastGranularity.week: 2,
    ForecastGranularity.month: 3,
}
PERIOD_DAYS = {
    ForecastGranularity.hour: 1 / 24,
    ForecastGranularity.day: 1,
    ForecastGranularity.week: 7,
    ForecastGranularity.month: 31,
}
# Series ending before the others (a location closed yesterday) are forecast this many extra
# days at most, so every series still reaches the end of the horizon.
MAX_CATCH_UP = 14
# The same in periods: by the hour a closed day alone is 24 of them.
MAX_CATCH_UP_PERIODS = {
    ForecastGranularity.hour: MAX_CATCH_UP * 24,
    ForecastGranularity.day: MAX_CATCH_UP,
    ForecastGranularity.week: MAX_CATCH_UP,
    ForecastGranularity.month: MAX_CATCH_UP,
}


@dataclass(frozen=True)
class Definition:
    """A forecast's definition as a training read it: the run it makes is a run of this,
    whatever the forecast became while the engine fitted."""

    id: uuid.UUID
    target: ForecastTarget
    scope: ForecastScope
    location_id: uuid.UUID | None
    category_id: uuid.UUID | None
    item_ids: list[uuid.UUID]
    granularity: ForecastGranularity
    method: str
    horizon: int
    levels: list[int]
    training_config: dict[str, Any]

    @classmethod
    def of(cls, forecast: Forecast | Definition) -> Definition:
        if isinstance(forecast, Definition):
            return forecast
        return cls(
            id=forecast.id,
            target=ForecastTarget(forecast.target),
            scope=ForecastScope(forecast.scope),
            location_id=forecast.location_id,
            category_id=forecast.category_id,
            item_ids=list(forecast.item_ids or ()),
            granularity=ForecastGranularity(forecast.granularity),
            method=forecast.method,
            horizon=forecast.horizon,
            levels=list(forecast.levels or ()),
            training_config=copy.deepcopy(dict(forecast.training_config or {})),
        )


# The helpers below read a definition's fields: the forecast's current ones, or a copy taken
# when a training began.
Defined = Forecast | Definition


def spec_of(forecast: Defined) -> SeriesSpec:
    return SeriesSpec(
        target=forecast.target,
        scope=forecast.scope,
        granularity=forecast.granularity,
        location_id=forecast.location_id,
        category_id=forecast.category_id,
        item_ids=tuple(forecast.item_ids or ()),
        training_config=dict(forecast.training_config or {}),
    )


def definition_digest(forecast: Defined) -> str:
    """What a run depends on besides the data: a changed definition makes runs stale."""
    payload = {
        "target": str(forecast.target),
        "scope": str(forecast.scope),
        "location_id": str(forecast.location_id),
        "category_id": str(forecast.category_id),
        "item_ids": sorted(str(i) for i in forecast.item_ids or ()),
        "granularity": str(forecast.granularity),
        "method": forecast.method,
        "horizon": forecast.horizon,
        "levels": list(forecast.levels or ()),
        "training_config": forecast.training_config or {},
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def series_digest(forecast: Defined) -> str:
    """What a run's series measure: the target, the scope and its location and category, and
    the granularity. Runs made under another (before a PATCH changed one of them) predicted
    another quantity or other series, so they are not judged against today's actuals."""
    payload = {
        "target": str(forecast.target),
        "scope": str(forecast.scope),
        "location_id": str(forecast.location_id),
        "category_id": str(forecast.category_id),
        "granularity": str(forecast.granularity),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def measures_the_same(run: ForecastRun, forecast: Forecast) -> bool:
    """Whether the run's series are those the forecast's current definition measures (see
    `series_digest`); runs stored before the digest existed cannot tell and count as such."""
    digest = (run.parameters or {}).get("series_digest")
    return digest is None or digest == series_digest(forecast)


def horizon_days(forecast: Defined) -> int:
    return int(np.ceil(forecast.horizon * PERIOD_DAYS[forecast.granularity])) + MAX_CATCH_UP


# Training ------------------------------------------------------------------------------------


@dataclass
class Trained:
    """The engine's output for a prepared training and the fit's time (the engine horizon
    is the prepared config's)."""

    output: ForecastOutput
    duration_ms: int


def _engine_options(config: Mapping[str, Any]) -> dict[str, Any]:
    """The ForecastConfig fields a training_config sets besides the method parameters."""
    extra: dict[str, Any] = {}
    if config.get("backtest_windows"):
        extra["backtest_windows"] = int(config["backtest_windows"])
    if config.get("season_length"):
        extra["season_length"] = int(config["season_length"])
    return extra


def _config(forecast: Defined, loaded: LoadedSeries, horizon: int) -> ForecastConfig:
    config = forecast.training_config or {}
    return ForecastConfig(
        method=forecast.method,
        freq=spec_of(forecast).freq,
        horizon=horizon,
        levels=tuple(forecast.levels or ()),
        calendar=loaded.calendar,
        exog_columns=loaded.exog_columns,
        params=dict(config.get("params") or {}),
        seed=0,
        **_engine_options(config),
    )


def check_definition(values: Mapping[str, Any], country: str | None) -> None:
    """Build the engine's forecaster for a definition's values without any data, so that what
    the engine refuses (method parameters, a holiday country or subdivision it does not know)
    is a 422 when the definition is saved rather than a failure of every training. `country`
    is the holiday country its calendar will use (the configured one, else the business's)."""
    from tableside.forecasting.engine.forecaster import Forecaster

    config = values.get("training_config") or {}
    granularity = ForecastGranularity(values["granularity"])
    engine_config = ForecastConfig(
        method=values["method"],
        freq=FREQUENCIES[granularity.value],
        horizon=int(values["horizon"]),
        levels=tuple(values.get("levels") or ()),
        params=dict(config.get("params") or {}),
        seed=0,
        **_engine_options(config),
    )
    try:
        Forecaster(engine_config)
    except EngineError as exc:
        raise from_engine(exc, "training_config.params") from exc
    if country and (config.get("country") or config.get("subdivision")):
        today = utcnow().date()
        calendar = Calendar(country=country, subdivision=config.get("subdivision"))
        try:
            holiday_dates(calendar, today, today)
        except EngineError as exc:
            where = "country" if config.get("country") else "subdivision"
            raise from_engine(exc, f"training_config.{where}") from exc


def _boundary(forecast: Defined, loaded: LoadedSeries) -> pd.Timestamp:
    """The first local period start after the trained data."""
    after = pd.Timestamp(loaded.trained_through + timedelta(days=1))
    if forecast.granularity == ForecastGranularity.hour:
        return after + pd.Timedelta(hours=loaded.cutoff_hour)
    return after


def _catch_up(forecast: Defined, loaded: LoadedSeries, boundary: pd.Timestamp) -> int:
    """Periods between the earliest series end and the boundary (closed days at the end)."""
    last = loaded.panel.groupby("unique_id")["ds"].max().min()
    step = {
        ForecastGranularity.hour: pd.Timedelta(hours=1),
        ForecastGranularity.day: pd.Timedelta(days=1),
        ForecastGranularity.week: pd.Timedelta(days=7),
        ForecastGranularity.month: pd.Timedelta(days=28),
    }[forecast.granularity]
    gap = int((boundary - last) / step) - 1
    return max(0, min(gap, MAX_CATCH_UP_PERIODS[forecast.granularity]))


def _fit_predict(
    config: ForecastConfig, panel: pd.DataFrame, static: Any, future_exog: pd.DataFrame | None
) -> tuple[ForecastOutput, int]:
    # Imported on first use: the engine loads statsforecast and LightGBM, which the API does
    # not need until something trains.
    from tableside.forecasting.engine.forecaster import Forecaster

    started = time.perf_counter()
    output = Forecaster(config).fit(panel, static=static).predict(future_exog=future_exog)
    return output, int((time.perf_counter() - started) * 1000)


@dataclass
class Prepared:
    """What a training read before fitting: the definition, the data and the engine's
    configuration. Holds no database row."""

    definition: Definition
    loaded: LoadedSeries
    boundary: pd.Timestamp
    config: ForecastConfig
    now: datetime


async def prepare(
    session: AsyncSession,
    business_id: uuid.UUID,
    forecast: Defined,
    *,
    now: datetime | None = None,
) -> Prepared:
    """Read the definition and the data a training of `forecast` learns from now; too little
    history is a 422 INSUFFICIENT_HISTORY."""
    now = now or utcnow()
    definition = Definition.of(forecast)
    loaded = await load_series(
        session, business_id, spec_of(definition), horizon_days=horizon_days(definition), now=now
    )
    if loaded.panel.empty:
        raise insufficient_history(
            "No sales in the history window for this forecast's scope (for covers: no seated "
            "guests): nothing to learn from"
        )
    boundary = _boundary(definition, loaded)
    extra = _catch_up(definition, loaded, boundary)
    limit = ENGINE_MAX_HORIZON.get(spec_of(definition).freq, definition.horizon)
    horizon = min(definition.horizon + extra, max(limit, definition.horizon))
    config = _config(definition, loaded, horizon)
    return Prepared(definition, loaded, boundary, config, now)


async def fit(prepared: Prepared) -> Trained:
    """Run the engine in a worker thread (no database work: the caller holds no lock on the
    forecast meanwhile); engine errors become 422s with the engine's code."""
    loaded = prepared.loaded
    try:
        output, duration_ms = await asyncio.to_thread(
            _fit_predict, prepared.config, loaded.panel, loaded.static, loaded.future_exog
        )
    except EngineError as exc:
        raise from_engine(exc) from exc
    return Trained(output=output, duration_ms=duration_ms)


async def store(
    session: AsyncSession,
    business_id: uuid.UUID,
    prepared: Prepared,
    trained: Trained,
    *,
    trigger: str,
    job_id: uuid.UUID | None = None,
) -> ForecastRun:
    """Store the run and its series under the forecast's row lock, held from here to the
    caller's commit only (it numbers runs one at a time). A forecast deleted since `prepare`
    gets nothing (`ForecastDeleted`); one whose definition changed gets the run as trained,
    with the method, horizon, levels and digests it was trained with, so it is never served
    or judged as a run of the new definition."""
    definition, loaded, output = prepared.definition, prepared.loaded, trained.output
    forecast = await ForecastRepository(session, business_id).get_for_update(definition.id)
    if forecast is None:
        raise ForecastDeleted()
    runs = RunRepository(session, business_id)
    run = ForecastRun(
        business_id=business_id,
        forecast_id=definition.id,
        model_version=await runs.next_version(definition.id),
        status=ForecastRunStatus.succeeded,
        trigger=trigger,
        method=definition.method,
        granularity=definition.granularity,
        horizon=definition.horizon,
        levels=list(definition.levels),
        parameters=_parameters(definition, prepared.config, output),
        metrics=_jsonable(output.overall) or None,
        series_metrics=_jsonable(output.metrics) or None,
        feature_importance=_jsonable(output.feature_importance)
        if output.feature_importance
        else None,
        data_fingerprint=loaded.fingerprint,
        data_rows=loaded.data_rows,
        history_start=loaded.history_start,
        trained_through=loaded.trained_through,
        series_count=len(output.series),
        duration_ms=trained.duration_ms,
        generated_at=prepared.now,
        job_id=job_id,
    )
    await runs.add(run)
    rows = _series_rows(run.id, output, loaded, prepared.boundary, definition.horizon)
    await SeriesRepository(session, business_id).insert_many(rows)
    forecast.last_trained_at = prepared.now
    await runs.flush()
    return run


def is_current(run: ForecastRun, forecast: Forecast) -> bool:
    """Whether the run was trained with the forecast's definition as it is now."""
    return (run.parameters or {}).get("definition_digest") == definition_digest(forecast)


async def train(
    session: AsyncSession,
    business_id: uuid.UUID,
    forecast: Forecast,
    *,
    trigger: str,
    job_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> ForecastRun:
    """Train `forecast` on its data now and store the run and its series, all in the
    caller's transaction (`prepare`, `fit`, `store`); the forecast row is locked only to
    store."""
    prepared = await prepare(session, business_id, forecast, now=now)
    trained = await fit(prepared)
    return await store(session, business_id, prepared, trained, trigger=trigger, job_id=job_id)


async def record_failure(
    session: AsyncSession,
    business_id: uuid.UUID,
    forecast: Defined,
    *,
    trigger: str,
    error: dict[str, Any],
    job_id: uuid.UUID | None = None,
) -> ForecastRun:
    """Store a failed training (a job's), so the runs list shows why nothing new came; the
    caller holds the forecast's row lock."""
    runs = RunRepository(session, business_id)
    run = ForecastRun(
        business_id=business_id,
        forecast_id=forecast.id,
        model_version=await runs.next_version(forecast.id),
        status=ForecastRunStatus.failed,
        trigger=trigger,
        method=forecast.method,
        granularity=forecast.granularity,
        horizon=forecast.horizon,
        levels=list(forecast.levels or ()),
        parameters={
            "definition_digest": definition_digest(forecast),
            "series_digest": series_digest(forecast),
        },
        generated_at=utcnow(),
        job_id=job_id,
        error=error,
    )
    return await runs.add(run)


def _parameters(
    forecast: Defined, config: ForecastConfig, output: ForecastOutput
) -> dict[str, Any]:
    calendar = config.calendar
    return _jsonable(
        {
            "definition_digest": definition_digest(forecast),
            "series_digest": series_digest(forecast),
            "engine": output.parameters,
            "config": {
                "freq": config.freq,
                "horizon": config.horizon,
                "levels": list(config.levels),
                "season_length": config.seasonality,
                "backtest_windows": config.backtest_windows,
                "params": dict(config.params),
                "seed": config.seed,
                "exog_columns": list(config.exog_columns),
            },
            "calendar": {
                "country": calendar.country,
                "subdivision": calendar.subdivision,
                "closed_weekdays": sorted(calendar.closed_weekdays),
                "closed_dates": sorted(d.isoformat() for d in calendar.closed_dates),
                "extra_holidays": sorted(d.isoformat() for d in calendar.extra_holidays),
                "open_hours": {str(k): list(v) for k, v in sorted(calendar.open_hours.items())},
            },
        }
    )


def _jsonable(value: Any) -> Any:
    """Plain JSON: NaN and infinities become null, numpy scalars plain numbers."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _series_rows(
    run_id: uuid.UUID,
    output: ForecastOutput,
    loaded: LoadedSeries,
    boundary: pd.Timestamp,
    horizon: int,
) -> list[dict[str, Any]]:
    """One row per series: its first `horizon` periods from the boundary on."""
    points = output.points
    points = points[points["ds"] >= boundary].sort_values(["unique_id", "ds"], kind="stable")
    rows = []
    for key, group in points.groupby("unique_id", sort=True):
        group = group.head(horizon).copy()
        closed = loaded.closed_weekdays.get(str(key))
        if closed:
            # By the hour, the weekday of the business day the hour belongs to.
            day_start = pd.Timedelta(hours=loaded.calendar.day_start_hour)
            shut = (group["ds"] - day_start).dt.weekday.isin(sorted(closed)).to_numpy()
            numeric = [c for c in group.columns if c == "value" or c.startswith(("lo-", "hi-"))]
            group.loc[shut, numeric] = 0.0
        info = output.series.get(str(key))
        meta = loaded.meta.get(str(key))
        intervals = {
            str(level): {
                "lower": _floats(group[f"lo-{level}"]),
                "upper": _floats(group[f"hi-{level}"]),
            }
            for level in output.levels
            if f"lo-{level}" in group and f"hi-{level}" in group
        }
        rows.append(
            {
                "run_id": run_id,
                "series_key": str(key),
                "item_id": meta.item_id if meta else None,
                "location_id": meta.location_id if meta else None,
                "method_used": info.method_used if info else "",
                "fallback": info.fallback if info else None,
                "history_length": info.history_length if info else 0,
                "periods": [ts.to_pydatetime() for ts in group["ds"]],
                "point_values": _floats(group["value"]),
                "intervals": intervals,
            }
        )
    return rows


def _floats(values: pd.Series) -> list[float]:
    return [round(float(v), 4) if np.isfinite(v) else 0.0 for v in values.to_numpy(dtype=float)]


# Freshness -----------------------------------------------------------------------------------


async def fresh_run(
    session: AsyncSession, business_id: uuid.UUID, forecast: Forecast, now: datetime
) -> ForecastRun | None:
    """The latest run if it can be served as it is: under an hour old, trained with the
    current definition, and no new data since."""
    run = await RunRepository(session, business_id).latest(forecast.id)
    if run is None or now - run.generated_at >= FRESH_FOR:
        return None
    if not is_current(run, forecast):
        return None
    fingerprint, _ = await data_fingerprint(session, business_id, spec_of(forecast), now)
    return run if fingerprint == run.data_fingerprint else None


async def run_stored_since(
    session: AsyncSession,
    business_id: uuid.UUID,
    forecast: Forecast,
    version: int | None,
    now: datetime,
) -> ForecastRun | None:
    """The run a retrain asked for when the newest version was `version` can keep instead of
    training: a run stored since (by a predict, or a training it waited for) that is fresh
    (`fresh_run`: the current definition, the same data). None without `version` (a job
    queued before retrains recorded it) or when nothing newer qualifies; a run that was
    already there when the retrain was asked for never stands in for it."""
    if version is None:
        return None
    run = await fresh_run(session, business_id, forecast, now)
    return run if run is not None and run.model_version > version else None


# Serving a prediction ------------------------------------------------------------------------


def local_business_date(ts: datetime, granularity: ForecastGranularity, cutoff: int) -> date:
    """The business date a stored period starts on (an hour before the cutoff belongs to the
    previous day)."""
    if granularity == ForecastGranularity.hour and ts.hour < cutoff:
        return ts.date() - timedelta(days=1)
    return ts.date()


def cut_day(row: ForecastSeries, granularity: ForecastGranularity, cutoff: int) -> date | None:
    """The business date of an hourly series' last stored hour when the horizon ends inside
    that day (30 hours from the cutoff: the second day has six), else None: that day is not
    forecast whole."""
    if granularity != ForecastGranularity.hour or not row.periods:
        return None
    last = row.periods[-1]
    day = local_business_date(last, granularity, cutoff)
    following = local_business_date(last + timedelta(hours=1), granularity, cutoff)
    return day if following == day else None


def period_start(day: date, granularity: ForecastGranularity) -> date:
    if granularity == ForecastGranularity.week:
        return day - timedelta(days=day.weekday())
    if granularity == ForecastGranularity.month:
        return day.replace(day=1)
    return day


def period_end(start: date, granularity: ForecastGranularity) -> date:
    """The last business date of the period starting on `start`."""
    if granularity == ForecastGranularity.week:
        return start + timedelta(days=6)
    if granularity == ForecastGranularity.month:
        return next_month_start(start) - timedelta(days=1)
    return start


@dataclass
class Point:
    """A period of one series: its start (naive local, or a business date), its values and
    the business dates the stored periods summed into it cover."""

    start: datetime
    value: float
    bounds: dict[str, tuple[float, float]]
    first_day: date
    last_day: date


def series_points(
    row: ForecastSeries,
    granularity: ForecastGranularity,
    target: ForecastGranularity,
    cutoff: int,
    first: date,
    last: date,
    zone: ZoneInfo | None = None,
) -> list[Point]:
    """The stored series between business dates `first` and `last`, in `target` periods
    (sums of the stored ones; interval bounds add up too, which assumes the errors of the
    summed periods move together: wide rather than falsely narrow). Hourly series in `zone`
    skip the local hour the clocks jump over when summer time starts."""
    selected: dict[datetime, Point] = {}
    # Weeks do not nest in months: read by the month, a week counts a seventh per day in
    # the month of each of its days (29th to 4th: 4/7 in one, 3/7 in the next).
    split = granularity == ForecastGranularity.week and target == ForecastGranularity.month
    # The hours of a day the horizon cuts do not cover it: a day, week or month holding
    # them is not complete.
    cut = cut_day(row, granularity, cutoff)
    for index, ts in enumerate(row.periods):
        day = local_business_date(ts, granularity, cutoff)
        if granularity == ForecastGranularity.hour and zone is not None and _skipped(ts, zone):
            continue
        share = 1 / 7 if split else 1.0
        value = float(row.point_values[index]) * share
        bounds = {
            level: (float(b["lower"][index]) * share, float(b["upper"][index]) * share)
            for level, b in (row.intervals or {}).items()
        }
        covered_to = period_end(day, granularity)
        if day == cut:
            covered_to -= timedelta(days=1)
        pieces = (
            [(day + timedelta(days=i), day + timedelta(days=i)) for i in range(7)]
            if split
            else [(day, covered_to)]
        )
        for piece_start, piece_end in pieces:
            if not first <= piece_start <= last:
                continue
            if target == granularity:
                key = ts
            else:
                start = period_start(piece_start, target)
                key = datetime(start.year, start.month, start.day)
            point = selected.get(key)
            if point is None:
                selected[key] = Point(key, value, dict(bounds), piece_start, piece_end)
                continue
            point.first_day = min(point.first_day, piece_start)
            point.last_day = max(point.last_day, piece_end)
            point.value += value
            for level, (low, high) in bounds.items():
                old_low, old_high = point.bounds.get(level, (0.0, 0.0))
                point.bounds[level] = (old_low + low, old_high + high)
    return [selected[key] for key in sorted(selected)]


def _skipped(local: datetime, zone: ZoneInfo) -> bool:
    """Whether the naive local time does not exist in `zone` (02:30 on the night the clocks
    go forward): read as an instant and back, it comes out different."""
    instant = local.replace(tzinfo=zone, fold=0).astimezone(UTC)
    return instant.astimezone(zone).replace(tzinfo=None) != local


def _timestamp(start: datetime, granularity: ForecastGranularity, zone: ZoneInfo) -> str:
    if granularity != ForecastGranularity.hour:
        return start.date().isoformat()
    instant = start.replace(tzinfo=zone, fold=0).astimezone(UTC)
    return instant.isoformat().replace("+00:00", "Z")


def coverage_end(run: ForecastRun, rows: Sequence[ForecastSeries], cutoff: int) -> date | None:
    """The last business date any stored series reaches."""
    ends = [
        local_business_date(row.periods[-1], run.granularity, cutoff) for row in rows if row.periods
    ]
    if not ends:
        return None
    return period_end(max(ends), ForecastGranularity(run.granularity))


async def serve(
    session: AsyncSession,
    business_id: uuid.UUID,
    forecast: Forecast,
    body: PredictRequest,
    *,
    now: datetime | None = None,
) -> Prediction:
    """The prediction for the requested business dates, from a fresh run or a new one."""
    now = now or utcnow()
    granularity = body.granularity or forecast.granularity
    if GRANULARITY_ORDER[granularity] < GRANULARITY_ORDER[forecast.granularity]:
        raise ValidationFailed(
            details=[
                {
                    "field": "granularity",
                    "message": f"must be {forecast.granularity} or coarser (the forecast's own)",
                }
            ]
        )
    run = await fresh_run(session, business_id, forecast, now)
    cached = run is not None
    if run is None:
        run = await train(session, business_id, forecast, trigger="predict", now=now)
    data = SalesDataRepository(session, business_id)
    facts = await data.business()
    rows = await SeriesRepository(session, business_id).of_runs([run.id])
    first_covered = (run.trained_through or now.date()) + timedelta(days=1)
    last_covered = coverage_end(run, rows, facts.cutoff_hour) or first_covered
    start = body.start_date or first_covered
    end = body.end_date or last_covered
    if end < first_covered or start > last_covered:
        raise ValidationFailed(
            f"The forecast covers {first_covered} to {last_covered}",
            details=[
                {
                    "field": "end_date" if end < first_covered else "start_date",
                    "message": f"outside the forecast ({first_covered} to {last_covered}); "
                    "a longer horizon reaches further",
                }
            ],
        )
    # The range answered is the part of the one asked for that the forecast covers.
    start, end = max(start, first_covered), min(end, last_covered)
    # A location keeping its own time zone has its hours in that zone's local time.
    zones = await data.location_zones()
    items = {ref.id: ref for ref in await data.items(ids={r.item_id for r in rows if r.item_id})}
    levels = sorted(int(level) for level in run.levels or ())
    series = []
    for row in rows:
        own = zones.get(row.location_id) if row.location_id else None
        zone = ZoneInfo(own or facts.timezone)
        points = series_points(
            row, run.granularity, granularity, facts.cutoff_hour, start, end, zone
        )
        item = items.get(row.item_id) if row.item_id else None
        series.append(
            SeriesPrediction(
                series_key=row.series_key,
                item_id=row.item_id,
                sku=item.sku if item else None,
                item_name=item.name if item else None,
                location_id=row.location_id,
                method_used=row.method_used,
                fallback=row.fallback,
                points=[_point(p, granularity, zone, levels) for p in points],
            )
        )
    return Prediction(
        forecast_id=forecast.id,
        run_id=run.id,
        model_version=run.model_version,
        generated_at=run.generated_at,
        cached=cached,
        granularity=granularity,
        levels=levels,
        trained_through=run.trained_through,
        start_date=start,
        end_date=end,
        series=series,
        not_forecast=_not_forecast(forecast, run, rows),
    )


def _not_forecast(
    forecast: Forecast, run: ForecastRun, rows: Sequence[ForecastSeries]
) -> list[SeriesNotForecast]:
    """The series the engine skipped for too short a history, and the definition's items
    that have no series at all (nothing sold in the history read)."""
    engine = (run.parameters or {}).get("engine") or {}
    missing = []
    for key in engine.get("skipped_series") or ():
        location_id, item_id = series_key_ids(key)
        missing.append(
            SeriesNotForecast(
                series_key=key,
                item_id=item_id,
                location_id=location_id,
                reason=f"fewer than {MIN_OBSERVATIONS} open periods with sales in the history",
            )
        )
    covered = {row.item_id for row in rows} | {entry.item_id for entry in missing}
    for item_id in forecast.item_ids or ():
        if item_id not in covered:
            missing.append(
                SeriesNotForecast(
                    series_key=None,
                    item_id=item_id,
                    location_id=forecast.location_id,
                    reason="no sales in the history",
                )
            )
    return missing


def _point(
    point: Point, granularity: ForecastGranularity, zone: ZoneInfo, levels: list[int]
) -> PredictionPoint:
    intervals = {
        str(level): Bounds(lower=round(low, 4), upper=round(high, 4))
        for level in levels
        if (bounds := point.bounds.get(str(level))) is not None
        for low, high in [bounds]
    }
    first = intervals.get(str(levels[0])) if levels else None
    start = point.start.date()
    end = period_end(start, granularity)
    return PredictionPoint(
        timestamp=_timestamp(point.start, granularity, zone),
        period_end=None if granularity == ForecastGranularity.hour else end,
        complete=granularity == ForecastGranularity.hour
        or (point.first_day <= start and point.last_day >= end),
        value=round(point.value, 4),
        lower_bound=first.lower if first else None,
        upper_bound=first.upper if first else None,
        intervals=intervals,
    )


def totals_by_day(
    rows: Sequence[ForecastSeries], granularity: ForecastGranularity, cutoff: int
) -> dict[date, float]:
    """Sum of every series per business date a period starts on (for analytics); a day an
    hourly horizon cuts is left out (its first hours are not the day's total)."""
    totals: dict[date, float] = defaultdict(float)
    cut = {cut_day(row, granularity, cutoff) for row in rows}
    for row in rows:
        for ts, value in zip(row.periods, row.point_values, strict=True):
            totals[local_business_date(ts, granularity, cutoff)] += float(value)
    return {day: total for day, total in totals.items() if day not in cut}

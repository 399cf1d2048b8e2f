"""How stored forecasts did against the sales that came later.

For each series and period of the last `days_back` business days (periods of day, week or
month forecasts; hourly forecasts are judged per business day, their hours added up), the
prediction compared is the one of the newest run trained on data ending before that period:
what the forecast said when the period was still ahead. Only complete periods count (a week
is judged once it is over). A period the location did not trade has an actual of zero. MASE is
scaled by the seasonal naive error over the history before the compared days.

Interval coverage is judged on the periods the intervals were made for. An hourly forecast's
coverage is the share of its hours whose actual fell inside that hour's interval (hours it
forecast as closed, with nothing sold, are left out): the sum of the hours' bounds is not a
daily interval of that level (it assumes every hour errs the same way at once), so judging a
day against it reads as near-perfect coverage of far too wide intervals (98 % for 80 % on
the demo's covers per hour). The per-day bounds of an hourly forecast are those sums.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.ext.asyncio import AsyncSession

from tableside.auth.dependencies import Principal
from tableside.errors import NotFound
from tableside.forecasting.engine.metrics import coverage, evaluate_panel, panel_scales
from tableside.forecasting.errors import InsufficientData
from tableside.forecasting.repository import (
    ForecastRepository,
    RunRepository,
    SalesDataRepository,
    SeriesRepository,
)
from tableside.forecasting.runs import (
    cut_day,
    local_business_date,
    measures_the_same,
    period_start,
    spec_of,
)
from tableside.forecasting.schemas import (
    Accuracy,
    AccuracyTrend,
    DayAccuracy,
    Direction,
    Period,
)
from tableside.forecasting.series import SeriesSpec, business_today, load_series
from tableside.models import ForecastGranularity, ForecastRun, ForecastRunStatus, ForecastSeries

SEASONS = {
    ForecastGranularity.hour: 7,
    ForecastGranularity.day: 7,
    ForecastGranularity.week: 52,
    ForecastGranularity.month: 12,
}
# History before the compared days read for the MASE scale.
SCALE_DAYS = {
    ForecastGranularity.hour: 56,
    ForecastGranularity.day: 56,
    ForecastGranularity.week: 2 * 365,
    ForecastGranularity.month: 3 * 365,
}
# The runs compared (by id) and the series they stored.
StoredSeries = tuple[dict[uuid.UUID, ForecastRun], Sequence[ForecastSeries]]
# The second half's WAPE within ±10% of the first's is "stable".
TREND_BAND = 0.10


async def accuracy(
    session: AsyncSession, principal: Principal, forecast_id: uuid.UUID, days_back: int
) -> Accuracy:
    """Metrics, per-day errors and the trend over the last `days_back` business days."""
    business_id = principal.business_id
    forecast = await ForecastRepository(session, business_id).get(forecast_id)
    if forecast is None:
        raise NotFound("Forecast not found")
    facts = await SalesDataRepository(session, business_id).business()
    today = business_today(facts.timezone, facts.cutoff_hour)
    first, last = today - timedelta(days=days_back), today - timedelta(days=1)
    compared = ForecastGranularity.day if forecast.granularity == "hour" else forecast.granularity
    runs = {
        run.id: run
        for run in await RunRepository(session, business_id).succeeded_between(
            forecast_id, trained_before=last
        )
        if run.granularity == forecast.granularity
        and run.status == ForecastRunStatus.succeeded
        # Runs of another target or scope (the definition changed since) predicted something
        # else.
        and measures_the_same(run, forecast)
    }
    # Read once: an hourly forecast's rows serve both its daily errors and its hourly coverage.
    rows = await SeriesRepository(session, business_id).of_runs(runs)
    if forecast.item_ids:
        # Items dropped from the definition have no actuals read any more: not judged.
        items = set(forecast.item_ids)
        rows = [row for row in rows if row.item_id in items]
    stored: StoredSeries = (runs, rows)
    predictions = _predictions(stored, compared, facts.cutoff_hour)
    spec = replace(spec_of(forecast), granularity=compared)
    loaded = await load_series(
        session,
        business_id,
        spec,
        horizon_days=0,
        window=(first - timedelta(days=SCALE_DAYS[compared]), last),
    )
    actual = loaded.panel
    window = actual[actual["ds"] >= pd.Timestamp(first)]
    frame = _compare(predictions, window, first, last, compared)
    if frame.empty:
        raise InsufficientData(
            "No stored prediction of this forecast has its actual yet: predict or retrain "
            "it, and come back once the forecast days have passed"
        )
    # The scale comes from the history just before the first day compared (not before the
    # window asked for, which may start long before any prediction).
    compared_from = frame["ds"].min()
    history = actual[
        (actual["ds"] < compared_from)
        & (actual["ds"] >= compared_from - pd.Timedelta(days=SCALE_DAYS[compared]))
    ]
    levels = sorted(int(level) for level in forecast.levels or ())
    scales = panel_scales(history, SEASONS[compared], spec.freq) if not history.empty else None
    _, overall = evaluate_panel(frame, scales=scales, levels=levels)
    coverage_frame = frame
    if forecast.granularity == ForecastGranularity.hour and levels:
        coverage_frame = await _hourly_frame(
            session, business_id, spec, stored, facts.cutoff_hour, (first, last)
        )
    daily = _daily(frame, levels)
    versions = sorted({int(v) for v in frame["model_version"].unique()})
    return Accuracy(
        forecast_id=forecast_id,
        period=Period(date_from=frame["ds"].min().date(), date_to=frame["ds"].max().date()),
        model_versions=versions,
        metrics=_metrics(
            overall, levels, coverage_frame, ForecastGranularity(forecast.granularity)
        ),
        daily=daily,
        trend=_trend(daily),
    )


def _predictions(stored: StoredSeries, compared: ForecastGranularity, cutoff: int) -> pd.DataFrame:
    """(unique_id, ds, day, model_version, trained_through, value, lo-L, hi-L) of every
    stored run, in compared periods (a run's hours add up to business days unless hours are
    compared); `day` is the business date the period starts on."""
    runs, rows = stored
    if not rows:
        return pd.DataFrame()
    records: dict[tuple[str, pd.Timestamp, uuid.UUID], dict[str, Any]] = {}
    for row in rows:
        run = runs[row.run_id]
        # The first hours of a day the horizon cut are not that day's prediction.
        cut = (
            None if compared == ForecastGranularity.hour else cut_day(row, run.granularity, cutoff)
        )
        for index, ts in enumerate(row.periods):
            business_day = local_business_date(ts, run.granularity, cutoff)
            if business_day == cut:
                continue
            day = period_start(business_day, compared)
            start = pd.Timestamp(ts if compared == ForecastGranularity.hour else day)
            key = (row.series_key, start, run.id)
            record = records.setdefault(
                key,
                defaultdict(
                    float,
                    unique_id=row.series_key,
                    ds=start,
                    day=pd.Timestamp(day),
                    model_version=run.model_version,
                    trained_through=pd.Timestamp(run.trained_through),
                ),
            )
            record["value"] += float(row.point_values[index])
            for level, bounds in (row.intervals or {}).items():
                record[f"lo-{level}"] += float(bounds["lower"][index])
                record[f"hi-{level}"] += float(bounds["upper"][index])
    return pd.DataFrame([dict(r) for r in records.values()])


def _compare(
    predictions: pd.DataFrame,
    actual: pd.DataFrame,
    first: date,
    last: date,
    compared: ForecastGranularity,
) -> pd.DataFrame:
    """One row per series and period: the newest prediction made before the period, and
    its actual (0 when nothing was sold)."""
    if predictions.empty:
        return predictions
    frame = predictions[predictions["trained_through"] < predictions["day"]]
    frame = frame[(frame["day"] >= pd.Timestamp(first)) & (frame["day"] <= pd.Timestamp(last))]
    if compared == ForecastGranularity.week:
        frame = frame[frame["day"] + pd.Timedelta(days=6) <= pd.Timestamp(last)]
    elif compared == ForecastGranularity.month:
        frame = frame[frame["day"] + pd.offsets.MonthEnd(0) <= pd.Timestamp(last)]
    if frame.empty:
        return frame
    frame = frame.sort_values(["unique_id", "ds", "trained_through", "model_version"])
    frame = frame.groupby(["unique_id", "ds"], as_index=False).last()
    merged = frame.merge(actual[["unique_id", "ds", "y"]], on=["unique_id", "ds"], how="left")
    merged["y"] = merged["y"].fillna(0.0)
    # Interval bounds stay missing where the run had no such level (the levels changed).
    return merged


async def _hourly_frame(
    session: AsyncSession,
    business_id: uuid.UUID,
    spec: SeriesSpec,
    stored: StoredSeries,
    cutoff: int,
    days: tuple[date, date],
) -> pd.DataFrame:
    """An hourly forecast's predictions against the actuals hour by hour over `days`, without
    the hours it forecast as closed where nothing was sold."""
    first, last = days
    predictions = _predictions(stored, ForecastGranularity.hour, cutoff)
    hourly = replace(spec, granularity=ForecastGranularity.hour)
    loaded = await load_series(session, business_id, hourly, horizon_days=0, window=days)
    frame = _compare(predictions, loaded.panel, first, last, ForecastGranularity.hour)
    if frame.empty:
        return frame
    uppers = [column for column in frame.columns if column.startswith("hi-")]
    forecast_open = frame[uppers].max(axis=1) > 0 if uppers else False
    return frame[forecast_open | (frame["y"] > 0)]


def _metrics(
    overall: dict[str, Any],
    levels: list[int],
    coverage_frame: pd.DataFrame,
    granularity: ForecastGranularity,
) -> dict[str, Any]:
    result = {
        key: overall.get(key)
        for key in ("mae", "rmse", "mape", "smape", "mase", "wape", "bias", "rel_bias", "grade")
    }
    result["coverage"] = {str(level): _coverage(coverage_frame, level) for level in levels}
    # The periods the coverage was judged on: the forecast's own (an hourly forecast's hours,
    # while its errors are judged per day).
    result["coverage_granularity"] = granularity.value
    result["n"] = overall.get("n")
    result["series"] = overall.get("series")
    return result


def _coverage(frame: pd.DataFrame, level: int) -> float | None:
    """Share of actuals inside the level's interval, over the periods whose run had that
    level; None when none had it."""
    low, high = f"lo-{level}", f"hi-{level}"
    if low not in frame or high not in frame:
        return None
    known = frame[low].notna() & frame[high].notna()
    if not known.any():
        return None
    inside = coverage(frame.loc[known, "y"], frame.loc[known, low], frame.loc[known, high])
    return None if inside is None else round(inside, 6)


def _daily(frame: pd.DataFrame, levels: list[int]) -> list[DayAccuracy]:
    columns = ["value", "y"]
    low = f"lo-{levels[0]}" if levels else None
    high = f"hi-{levels[0]}" if levels else None
    if low and high and low in frame and high in frame:
        columns += [low, high]
    # A day's bounds add up only where they exist (min_count: all missing stays missing).
    totals = frame.groupby("ds")[columns].sum(min_count=1).sort_index()
    days = []
    for ds, row in totals.iterrows():
        predicted, actual = float(row["value"]), float(row["y"])
        error = predicted - actual
        days.append(
            DayAccuracy(
                date=pd.Timestamp(ds).date(),
                predicted=round(predicted, 4),
                actual=round(actual, 4),
                error=round(error, 4),
                percentage_error=round(error / actual * 100, 2) if actual else None,
                lower_bound=_bound(row, low),
                upper_bound=_bound(row, high),
            )
        )
    return days


def _bound(row: pd.Series, column: str | None) -> float | None:
    if column is None or column not in row or pd.isna(row[column]):
        return None
    return round(float(row[column]), 4)


def _wape(days: list[DayAccuracy]) -> float | None:
    actual = sum(abs(d.actual) for d in days)
    return round(sum(abs(d.error) for d in days) / actual, 6) if actual else None


def _trend(days: list[DayAccuracy]) -> AccuracyTrend:
    """Improving when the second half's WAPE is over 10% below the first half's, worsening
    when over 10% above; the slope is that of the daily absolute percentage error."""
    half = len(days) // 2
    first, second = _wape(days[:half]), _wape(days[half:])
    points = [(i, abs(d.percentage_error)) for i, d in enumerate(days) if d.percentage_error]
    slope = None
    if len(points) >= 2:
        xs = np.array([p[0] for p in points], dtype=float)
        ys = np.array([p[1] for p in points], dtype=float)
        if np.ptp(xs) > 0:
            slope = round(float(np.polyfit(xs, ys, 1)[0]), 4)
    direction = Direction.stable
    if half >= 2 and first is not None and second is not None:
        if second < first * (1 - TREND_BAND):
            direction = Direction.improving
        elif second > first * (1 + TREND_BAND):
            direction = Direction.worsening
    return AccuracyTrend(
        direction=direction, first_half_wape=first, second_half_wape=second, slope=slope
    )

"""Rolling-origin backtests: forecast from past cutoffs, compare with what happened.

Cutoffs are *common calendar dates*, not per-series ends: the ``k``-th of ``windows`` cutoffs is
the panel's last period minus ``horizon + (windows - 1 - k) * step`` periods, and every series
is fitted on its rows up to that date. One cutoff is then one panel-wide fit (global models
and statsforecast both fit a whole panel at once), the windows line up with real calendar
events (holidays, a closed week), and a series that stopped before a cutoff simply has no
actuals to compare in that window. A series with no row up to a cutoff is left out of it.

Only open periods are compared: closed periods are absent from the panel, so they have no
actual. Each row of a backtest carries its horizon ``step`` (1 = the first period after the
series' last training period) for the conformal intervals, and the MASE ``scale`` of its
series computed from the training rows of its own cutoff (no peeking past the cutoff).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tableside.forecasting.engine.calendar import check_freq, future_frame
from tableside.forecasting.engine.metrics import MetricValue, evaluate_panel, panel_scales
from tableside.forecasting.engine.types import (
    DEFAULT_LEVELS,
    ForecastConfig,
    SeriesInfo,
    StaticFeatures,
)

# (training panel, future exogenous frame or None) -> forecasts with unique_id, ds, value, ...
ForecastFn = Callable[[pd.DataFrame, pd.DataFrame | None], pd.DataFrame]


def period_offset(freq: str, periods: int) -> pd.DateOffset:
    """``periods`` periods of ``freq`` as a pandas offset (calendar-aware for weeks/months)."""
    return pd.tseries.frequencies.to_offset(check_freq(freq)) * int(periods)


def common_cutoffs(
    panel: pd.DataFrame, windows: int, horizon: int, step: int | None, freq: str
) -> list[pd.Timestamp]:
    """The ``windows`` calendar cutoffs, oldest first, of a backtest whose last window ends on
    the panel's last period (see the module docstring)."""
    if windows < 1:
        return []
    step = step or horizon
    last = pd.Timestamp(panel["ds"].max())
    return [last - period_offset(freq, horizon + (windows - 1 - k) * step) for k in range(windows)]


def future_exogenous(
    train: pd.DataFrame,
    horizon: int,
    freq: str,
    exog_columns: Sequence[str],
    source: pd.DataFrame | None,
) -> pd.DataFrame | None:
    """The exogenous values of the ``horizon`` periods after each series' last training row,
    taken from ``source`` (``unique_id``, ``ds`` and the columns; known in advance). Periods
    ``source`` lacks (closed days absent from a panel) carry the series' previous value
    forward, then 0: they are zeroed by the forecaster anyway. ``None`` without exog columns."""
    if not exog_columns:
        return None
    frame = future_frame(train, horizon, freq)[["unique_id", "ds"]]
    if source is not None:
        values = source[["unique_id", "ds", *exog_columns]].copy()
        values["unique_id"] = values["unique_id"].astype(str)
        frame = frame.merge(values, on=["unique_id", "ds"], how="left")
    for column in exog_columns:
        if column not in frame.columns:
            frame[column] = np.nan
    frame[list(exog_columns)] = frame.groupby("unique_id", sort=False)[list(exog_columns)].ffill()
    return frame.fillna({column: 0.0 for column in exog_columns})


def add_steps(points: pd.DataFrame) -> pd.DataFrame:
    """Sort forecasts by series and time and number each series' rows 1, 2, ... (``step``)."""
    out = points.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
    out["step"] = out.groupby("unique_id", sort=False).cumcount() + 1
    return out


def rolling_forecasts(
    panel: pd.DataFrame,
    forecast_fn: ForecastFn,
    *,
    cutoffs: Sequence[pd.Timestamp],
    horizon: int,
    freq: str,
    season_length: int,
    exog_columns: Sequence[str] = (),
    exog: pd.DataFrame | None = None,
    timings: list[float] | None = None,
) -> pd.DataFrame:
    """Forecasts from each cutoff joined with the actuals: rows ``unique_id``, ``ds``,
    ``cutoff``, ``step``, ``y``, ``value``, any ``lo-L``/``hi-L`` columns and ``scale`` (the
    series' MASE denominator from its training rows). ``forecast_fn`` fits on the rows up to
    the cutoff and forecasts ``horizon`` periods; ``exog`` supplies future exogenous values
    (default: the panel's own columns). Wall time per cutoff goes to ``timings``."""
    source = exog if exog is not None else (panel if exog_columns else None)
    frames = []
    for cutoff in cutoffs:
        train = panel[panel["ds"] <= cutoff]
        if train.empty:
            continue
        end = cutoff + period_offset(freq, horizon)
        actual = panel.loc[(panel["ds"] > cutoff) & (panel["ds"] <= end), ["unique_id", "ds", "y"]]
        started = time.perf_counter()
        points = forecast_fn(train, future_exogenous(train, horizon, freq, exog_columns, source))
        if timings is not None:
            timings.append(time.perf_counter() - started)
        points = add_steps(points)
        scored = points.merge(actual, on=["unique_id", "ds"], how="inner")
        scales = panel_scales(train, season_length, freq)
        scored["scale"] = scales.reindex(scored["unique_id"]).to_numpy()
        scored.insert(2, "cutoff", cutoff)
        if not scored.empty:
            frames.append(scored)
    if not frames:
        return pd.DataFrame(columns=["unique_id", "ds", "cutoff", "step", "y", "value", "scale"])
    return pd.concat(frames, ignore_index=True)


@dataclass
class BacktestResult:
    """A rolling-origin backtest: the scored forecasts (``unique_id``, ``ds``, ``cutoff``,
    ``step``, ``y``, ``value``, ``lo-L``, ``hi-L``, ``scale``), per-series and pooled metrics
    (`metrics.evaluate_panel`), the cutoffs, each cutoff's per-series method and fallback,
    and the wall time of each cutoff's fit and forecast in seconds."""

    forecasts: pd.DataFrame
    metrics: dict[str, dict[str, MetricValue]]
    overall: dict[str, MetricValue]
    cutoffs: list[pd.Timestamp]
    series: dict[pd.Timestamp, dict[str, SeriesInfo]] = field(default_factory=dict)
    seconds: list[float] = field(default_factory=list)


def backtest(
    panel: pd.DataFrame,
    config: ForecastConfig,
    windows: int,
    horizon: int,
    step: int | None = None,
    static: StaticFeatures | None = None,
    exog: pd.DataFrame | None = None,
) -> BacktestResult:
    """Backtest the whole forecasting pipeline (`forecaster.Forecaster`: fallbacks, clipping,
    closed periods, intervals) of ``config`` from ``windows`` common cutoffs ``step`` periods
    apart, each forecasting ``horizon`` periods; one panel-wide fit per cutoff. ``exog`` holds
    the exogenous columns' values for every period (known in advance), future ones included.
    The forecaster's own accuracy backtest is skipped inside (it would only fill metrics), but
    methods without native intervals still backtest for their conformal intervals."""
    from tableside.forecasting.engine.forecaster import Forecaster

    freq = check_freq(config.freq)
    data = panel.copy()
    data["unique_id"] = data["unique_id"].astype(str)
    data["ds"] = pd.to_datetime(data["ds"]).astype("datetime64[ns]")
    cutoffs = common_cutoffs(data, windows, horizon, step, freq)
    infos: list[dict[str, SeriesInfo]] = []
    seconds: list[float] = []

    def forecast_fn(train: pd.DataFrame, future_exog: pd.DataFrame | None) -> pd.DataFrame:
        forecaster = Forecaster(config, evaluate=False).fit(train, static)
        output = forecaster.predict(horizon, future_exog)
        infos.append(output.series)
        return output.points

    forecasts = rolling_forecasts(
        data,
        forecast_fn,
        cutoffs=cutoffs,
        horizon=horizon,
        freq=freq,
        season_length=config.seasonality,
        exog_columns=config.exog_columns,
        exog=exog,
        timings=seconds,
    )
    per_series, overall = evaluate_panel(forecasts, levels=config.levels or DEFAULT_LEVELS)
    # rolling_forecasts skips a cutoff only when no row precedes it.
    used = [cutoff for cutoff in cutoffs if bool((data["ds"] <= cutoff).any())]
    series = dict(zip(used, infos, strict=True))
    return BacktestResult(forecasts, per_series, overall, cutoffs, series, seconds)


__all__ = [
    "BacktestResult",
    "ForecastFn",
    "add_steps",
    "backtest",
    "common_cutoffs",
    "future_exogenous",
    "period_offset",
    "rolling_forecasts",
]

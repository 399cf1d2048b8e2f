"""Forecast accuracy: point errors, scaled errors, bias, interval coverage and a letter grade.

Conventions (the same for one series and for a pooled panel):

- errors are ``forecast - actual``, so a positive bias means over-forecasting;
- ``mape`` and ``smape`` are percentages; ``mape`` skips points whose actual is 0 (undefined
  there) and is ``None`` when every actual is 0, never infinite; ``smape`` skips points where
  actual and forecast are both 0 (a perfect forecast of nothing);
- ``mase`` divides the MAE by the in-sample MAE of the seasonal naive forecast at the season
  length (one season back on the calendar); ``None`` when the history is too short for a
  single seasonal difference or that scale is 0 (a constant history);
- ``wape`` is ``sum |error| / sum |actual|`` (``None`` when the actuals sum to 0);
- ``bias`` is the mean error, ``rel_bias`` the summed error over the summed actuals;
- ``coverage_L`` is the share of actuals inside the level-L interval ``[lo-L, hi-L]``.

Pooled over several series: ``mase`` is the mean of the per-series MASE (each series weighs
the same whatever its volume), ``wape``, ``mape``, ``smape``, ``mae``, ``rmse``, ``bias`` and
coverage pool every point.

Grade (:func:`grade`), from the MASE when it is known, else from the WAPE:

==== ============== =====================================================
     MASE at most   meaning
==== ============== =====================================================
A    0.75           clearly better than the seasonal naive (a quarter less error)
B    0.90           better than the seasonal naive
C    1.00           as good as repeating last season
D    1.25           somewhat worse than repeating last season
F    above          worse: the seasonal naive would serve better
==== ============== =====================================================

Without a MASE (short history) the WAPE thresholds are 0.15, 0.25, 0.40 and 0.60.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from tableside.forecasting.engine.types import DEFAULT_LEVELS

MetricValue: TypeAlias = float | int | str | None

MASE_GRADES: tuple[tuple[float, str], ...] = ((0.75, "A"), (0.90, "B"), (1.00, "C"), (1.25, "D"))
WAPE_GRADES: tuple[tuple[float, str], ...] = ((0.15, "A"), (0.25, "B"), (0.40, "C"), (0.60, "D"))

# The keys of an `evaluate` result besides the per-level coverage.
METRIC_KEYS: tuple[str, ...] = (
    "mae",
    "rmse",
    "mape",
    "smape",
    "mase",
    "wape",
    "bias",
    "rel_bias",
)

ArrayLike: TypeAlias = Sequence[float] | np.ndarray | pd.Series


def _array(values: ArrayLike) -> np.ndarray:
    return np.asarray(values, dtype=float)


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def mae(actual: ArrayLike, forecast: ArrayLike) -> float | None:
    """Mean absolute error; ``None`` for no points."""
    error = _array(forecast) - _array(actual)
    return _finite(np.mean(np.abs(error))) if error.size else None


def rmse(actual: ArrayLike, forecast: ArrayLike) -> float | None:
    """Root mean squared error; ``None`` for no points."""
    error = _array(forecast) - _array(actual)
    return _finite(np.sqrt(np.mean(error**2))) if error.size else None


def mape(actual: ArrayLike, forecast: ArrayLike) -> float | None:
    """Mean absolute percentage error in percent over the points whose actual is not 0."""
    a, f = _array(actual), _array(forecast)
    keep = a != 0
    if not keep.any():
        return None
    return _finite(100.0 * np.mean(np.abs(f[keep] - a[keep]) / np.abs(a[keep])))


def smape(actual: ArrayLike, forecast: ArrayLike) -> float | None:
    """Symmetric MAPE in percent (0 to 200), skipping points where both values are 0."""
    a, f = _array(actual), _array(forecast)
    denominator = np.abs(a) + np.abs(f)
    keep = denominator > 0
    if not keep.any():
        return 0.0 if a.size else None
    return _finite(100.0 * np.mean(2.0 * np.abs(f[keep] - a[keep]) / denominator[keep]))


def wape(actual: ArrayLike, forecast: ArrayLike) -> float | None:
    """Weighted absolute percentage error as a fraction: total absolute error over total
    absolute actual; ``None`` when the actuals sum to 0."""
    a, f = _array(actual), _array(forecast)
    total = np.sum(np.abs(a))
    if total <= 0:
        return None
    return _finite(np.sum(np.abs(f - a)) / total)


def bias(actual: ArrayLike, forecast: ArrayLike) -> tuple[float | None, float | None]:
    """Mean error (forecast - actual) and relative bias (summed error over summed |actual|,
    ``None`` when the actuals sum to 0)."""
    a, f = _array(actual), _array(forecast)
    if not a.size:
        return None, None
    total = np.sum(np.abs(a))
    relative = _finite(np.sum(f - a) / total) if total > 0 else None
    return _finite(np.mean(f - a)), relative


def seasonal_naive_scale(history: ArrayLike, season_length: int) -> float | None:
    """In-sample MAE of the seasonal naive forecast over a regular history (position-based):
    the MASE denominator. ``None`` when there is no seasonal pair or the scale is 0."""
    y = _array(history)
    y = y[np.isfinite(y)]
    m = max(int(season_length), 1)
    if y.size <= m:
        return None
    scale = float(np.mean(np.abs(y[m:] - y[:-m])))
    return scale if scale > 0 and np.isfinite(scale) else None


def mase(
    actual: ArrayLike,
    forecast: ArrayLike,
    *,
    history: ArrayLike | None = None,
    season_length: int = 1,
    scale: float | None = None,
) -> float | None:
    """Mean absolute scaled error: the MAE over ``scale`` (or, when not given, the seasonal
    naive scale of ``history``)."""
    if scale is None and history is not None:
        scale = seasonal_naive_scale(history, season_length)
    error = mae(actual, forecast)
    if error is None or scale is None or not scale > 0:
        return None
    return _finite(error / scale)


def coverage(actual: ArrayLike, lower: ArrayLike, upper: ArrayLike) -> float | None:
    """Share of actuals inside ``[lower, upper]``; ``None`` for no points."""
    a, lo, hi = _array(actual), _array(lower), _array(upper)
    if not a.size:
        return None
    return float(np.mean((a >= lo) & (a <= hi)))


def grade(mase_value: float | None, wape_value: float | None = None) -> str | None:
    """Letter grade A-F from the MASE (or, without one, the WAPE); see the module docstring
    for the thresholds. ``None`` when neither is known."""
    if mase_value is not None:
        value, table = mase_value, MASE_GRADES
    elif wape_value is not None:
        value, table = wape_value, WAPE_GRADES
    else:
        return None
    for threshold, letter in table:
        if value <= threshold:
            return letter
    return "F"


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 6)


def evaluate(
    actual: ArrayLike,
    forecast: ArrayLike,
    *,
    history: ArrayLike | None = None,
    season_length: int = 1,
    scale: float | None = None,
    intervals: Mapping[int, tuple[ArrayLike, ArrayLike]] | None = None,
    levels: Sequence[int] = DEFAULT_LEVELS,
) -> dict[str, MetricValue]:
    """Every metric of one series (or one pool of points) as a flat dict: ``mae``, ``rmse``,
    ``mape``, ``smape``, ``mase``, ``wape``, ``bias``, ``rel_bias``, ``coverage_L`` for every
    level of ``levels`` and of ``intervals`` (``None`` when that level has no interval),
    ``grade`` and ``n`` (points compared). ``intervals`` maps a level to (lower, upper)."""
    a, f = _array(actual), _array(forecast)
    if a.shape != f.shape:
        raise ValueError("actual and forecast must have the same length")
    mean_error, relative_bias = bias(a, f)
    result: dict[str, MetricValue] = {
        "mae": _round(mae(a, f)),
        "rmse": _round(rmse(a, f)),
        "mape": _round(mape(a, f)),
        "smape": _round(smape(a, f)),
        "mase": _round(mase(a, f, history=history, season_length=season_length, scale=scale)),
        "wape": _round(wape(a, f)),
        "bias": _round(mean_error),
        "rel_bias": _round(relative_bias),
    }
    intervals = intervals or {}
    for level in sorted({*levels, *intervals}):
        bounds = intervals.get(level)
        result[f"coverage_{level}"] = (
            _round(coverage(a, bounds[0], bounds[1])) if bounds is not None else None
        )
    result["grade"] = grade(_as_float(result["mase"]), _as_float(result["wape"]))
    result["n"] = int(a.size)
    return result


def _as_float(value: MetricValue) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def panel_scales(history: pd.DataFrame, season_length: int, freq: str) -> pd.Series:
    """Per-series MASE scale from a history panel (``unique_id``, ``ds``, ``y``): the mean
    absolute difference between each value and the value one season earlier *on the calendar*
    (so closed periods absent from the panel do not shift the comparison). Series without a
    seasonal pair, or with a zero scale, get NaN."""
    offset = pd.tseries.frequencies.to_offset(freq) * max(int(season_length), 1)
    current = history[["unique_id", "ds", "y"]]
    earlier = current.assign(ds=current["ds"] + offset).rename(columns={"y": "y_earlier"})
    pairs = current.merge(earlier, on=["unique_id", "ds"], how="inner")
    scale = (pairs["y"] - pairs["y_earlier"]).abs().groupby(pairs["unique_id"]).mean()
    scale = scale.reindex(pd.Index(current["unique_id"].unique(), name="unique_id"))
    return scale.where(scale > 0)


def _interval_levels(columns: Sequence[str]) -> list[int]:
    levels = []
    for column in columns:
        if column.startswith("lo-") and f"hi-{column[3:]}" in columns:
            try:
                levels.append(int(column[3:]))
            except ValueError:
                continue
    return sorted(levels)


def evaluate_panel(
    forecasts: pd.DataFrame,
    *,
    scales: pd.Series | None = None,
    levels: Sequence[int] = DEFAULT_LEVELS,
) -> tuple[dict[str, dict[str, MetricValue]], dict[str, MetricValue]]:
    """Per-series and pooled metrics of a frame with ``unique_id``, ``y`` (actual), ``value``
    (forecast) and optional ``lo-L``/``hi-L`` columns. The MASE denominator comes from a
    ``scale`` column (one per row: a backtest's rows from different cutoffs each carry the
    scale of their own training data) or else from ``scales`` by series (:func:`panel_scales`).
    Pooled: MASE is the mean of the per-series MASE, every other metric pools all points (see
    the module docstring)."""
    present = _interval_levels(list(forecasts.columns))
    per_series: dict[str, dict[str, MetricValue]] = {}
    row_scales = "scale" in forecasts.columns
    for uid, group in forecasts.groupby("unique_id", sort=True, observed=True):
        scale = None
        if not row_scales and scales is not None and uid in scales.index:
            value = scales.loc[uid]
            scale = float(value) if pd.notna(value) else None
        result = evaluate(
            group["y"].to_numpy(),
            group["value"].to_numpy(),
            scale=scale,
            intervals=_bounds(group, present),
            levels=levels,
        )
        if row_scales:
            result["mase"] = _round(_scaled_error(group))
            result["grade"] = grade(_as_float(result["mase"]), _as_float(result["wape"]))
        per_series[str(uid)] = result
    overall = evaluate(
        forecasts["y"].to_numpy(),
        forecasts["value"].to_numpy(),
        intervals=_bounds(forecasts, present),
        levels=levels,
    )
    series_mase = [m for m in (_as_float(s["mase"]) for s in per_series.values()) if m is not None]
    overall["mase"] = _round(float(np.mean(series_mase))) if series_mase else None
    overall["grade"] = grade(_as_float(overall["mase"]), _as_float(overall["wape"]))
    overall["series"] = len(per_series)
    return per_series, overall


def _scaled_error(group: pd.DataFrame) -> float | None:
    scale = group["scale"].to_numpy(dtype=float)
    keep = np.isfinite(scale) & (scale > 0)
    if not keep.any():
        return None
    error = np.abs(group["value"].to_numpy(dtype=float) - group["y"].to_numpy(dtype=float))
    return _finite(np.mean(error[keep] / scale[keep]))


def _bounds(frame: pd.DataFrame, levels: Sequence[int]) -> dict[int, tuple[Any, Any]]:
    return {level: (frame[f"lo-{level}"], frame[f"hi-{level}"]) for level in levels}

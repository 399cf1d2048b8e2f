"""Conformal intervals: the finite-sample quantile, calibration on simulated data, fallbacks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tableside.forecasting.engine.intervals import (
    ConformalIntervals,
    conformal_quantile,
    fit_conformal,
)


def test_conformal_quantile_rank() -> None:
    scores = np.arange(1.0, 11.0)  # 1 .. 10
    # ceil((10 + 1) * 0.8) = 9th smallest.
    assert conformal_quantile(scores, 0.8) == 9.0
    # ceil(11 * 0.95) = 11 > n: capped at the largest.
    assert conformal_quantile(scores, 0.95) == 10.0
    assert np.isnan(conformal_quantile(np.array([]), 0.8))


def simulate(
    rng: np.random.Generator, series: int, windows: int, steps: int, sigma: np.ndarray
) -> pd.DataFrame:
    """Backtest-shaped rows: Gaussian errors whose spread is the series' sigma, growing by
    5 % per horizon step."""
    uid = np.repeat([f"s{i}" for i in range(series)], windows * steps)
    step = np.tile(np.arange(1, steps + 1), series * windows)
    spread = np.repeat(sigma, windows * steps) * (1 + 0.05 * (step - 1))
    value = np.repeat(rng.uniform(20, 200, series), windows * steps)
    y = value + rng.normal(0.0, spread)
    return pd.DataFrame({"unique_id": uid, "step": step, "y": y, "value": value})


def coverage(frame: pd.DataFrame, level: int) -> float:
    inside = (frame["y"] >= frame[f"lo-{level}"]) & (frame["y"] <= frame[f"hi-{level}"])
    return float(inside.mean())


def test_coverage_on_gaussian_data_is_close_to_nominal() -> None:
    rng = np.random.default_rng(7)
    sigma = rng.uniform(1.0, 10.0, 60)
    residuals = simulate(rng, 60, 2, 28, sigma)
    fitted = fit_conformal(residuals)
    assert fitted is not None
    future = simulate(rng, 60, 5, 28, sigma)
    out = fitted.apply(future, (80, 95))
    assert 0.72 <= coverage(out, 80) <= 0.88
    assert 0.90 <= coverage(out, 95) <= 0.99
    # Wider level, wider interval; growing spread, wider late steps.
    assert (out["hi-95"] >= out["hi-80"]).all()
    width = (out["hi-80"] - out["lo-80"]).groupby(out["step"]).mean()
    assert width.iloc[-1] > width.iloc[0]


def test_series_scale_drives_the_width() -> None:
    rng = np.random.default_rng(3)
    sigma = np.array([1.0] * 20 + [10.0] * 20)
    fitted = fit_conformal(simulate(rng, 40, 2, 14, sigma))
    assert fitted is not None
    out = fitted.apply(simulate(rng, 40, 1, 14, sigma), (80,))
    width = (out["hi-80"] - out["lo-80"]).groupby(out["unique_id"]).mean()
    assert (
        width[[f"s{i}" for i in range(20, 40)]].mean()
        > 5 * width[[f"s{i}" for i in range(20)]].mean()
    )


def test_new_series_borrow_the_panel_ratio() -> None:
    rng = np.random.default_rng(5)
    fitted = fit_conformal(simulate(rng, 30, 2, 7, np.full(30, 4.0)))
    assert fitted is not None
    points = pd.DataFrame(
        {
            "unique_id": "new",
            "ds": pd.date_range("2024-03-01", periods=7, freq="D"),
            "value": 100.0,
        }
    )
    out = fitted.apply(points, (80,))
    width = out["hi-80"] - out["lo-80"]
    assert (width > 0).all()
    assert list(out.columns) == ["unique_id", "ds", "value", "lo-80", "hi-80"]


def test_own_step_quantiles_with_a_long_backtest() -> None:
    rng = np.random.default_rng(11)
    residuals = simulate(rng, 2, 40, 3, np.array([1.0, 1.0]))
    # Series s0's first step is far noisier than anything else: it has 40 errors of its own.
    noisy = (residuals["unique_id"] == "s0") & (residuals["step"] == 1)
    residuals.loc[noisy, "y"] = residuals.loc[noisy, "value"] + rng.normal(0, 20.0, noisy.sum())
    fitted = ConformalIntervals(min_step_samples=30).fit(residuals)
    points = pd.DataFrame({"unique_id": ["s0", "s0", "s1"], "step": [1, 2, 1], "value": 50.0})
    width = fitted.widths(points, 80)
    assert width[0] > 5 * width[1]
    assert width[0] > 5 * width[2]


def test_no_residuals_no_intervals() -> None:
    empty = pd.DataFrame(columns=["unique_id", "step", "y", "value"])
    assert fit_conformal(empty) is None
    with pytest.raises(ValueError, match="fit"):
        ConformalIntervals().widths(pd.DataFrame({"unique_id": [], "step": [], "value": []}), 80)

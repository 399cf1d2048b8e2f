"""Accuracy metrics against values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from tableside.forecasting.engine import metrics

ACTUAL = [10.0, 20.0, 0.0, 40.0]
FORECAST = [12.0, 15.0, 5.0, 40.0]
# errors (forecast - actual): 2, -5, 5, 0; absolute 2, 5, 5, 0


def test_point_errors_by_hand() -> None:
    assert metrics.mae(ACTUAL, FORECAST) == pytest.approx(3.0)
    assert metrics.rmse(ACTUAL, FORECAST) == pytest.approx(math.sqrt((4 + 25 + 25 + 0) / 4))
    # MAPE skips the zero actual: (2/10 + 5/20 + 0/40) / 3 in percent.
    assert metrics.mape(ACTUAL, FORECAST) == pytest.approx(100 * (0.2 + 0.25 + 0.0) / 3)
    # sMAPE: 2|e| / (|a| + |f|) = 4/22, 10/35, 10/5, 0/80.
    expected = 100 * (4 / 22 + 10 / 35 + 10 / 5 + 0) / 4
    assert metrics.smape(ACTUAL, FORECAST) == pytest.approx(expected)
    assert metrics.wape(ACTUAL, FORECAST) == pytest.approx(12 / 70)
    mean_error, relative = metrics.bias(ACTUAL, FORECAST)
    assert mean_error == pytest.approx(0.5)
    assert relative == pytest.approx(2 / 70)


def test_zero_actuals_are_never_infinite() -> None:
    zeros = [0.0, 0.0, 0.0]
    forecast = [1.0, 0.0, 2.0]
    assert metrics.mape(zeros, forecast) is None
    assert metrics.wape(zeros, forecast) is None
    assert metrics.bias(zeros, forecast) == (pytest.approx(1.0), None)
    # Both zero counts as perfect and is skipped; the others are 200 %.
    assert metrics.smape(zeros, forecast) == pytest.approx(200.0)
    assert metrics.smape(zeros, zeros) == 0.0
    result = metrics.evaluate(zeros, forecast, history=[0.0] * 14, season_length=7)
    assert result["mase"] is None
    for value in result.values():
        assert not (isinstance(value, float) and not math.isfinite(value))


def test_mase_uses_the_seasonal_naive_scale() -> None:
    # Seasonal (m=2) differences of the history: |3-1|, |4-2|, |7-3|, |6-4| → scale 2.5.
    history = [1.0, 2.0, 3.0, 4.0, 7.0, 6.0]
    assert metrics.seasonal_naive_scale(history, 2) == pytest.approx(2.5)
    assert metrics.mase(ACTUAL, FORECAST, history=history, season_length=2) == pytest.approx(
        3.0 / 2.5
    )
    assert metrics.mase(ACTUAL, FORECAST, scale=1.5) == pytest.approx(2.0)


def test_mase_is_none_for_short_or_flat_history() -> None:
    assert metrics.seasonal_naive_scale([5.0] * 3, 7) is None
    assert metrics.seasonal_naive_scale([5.0] * 20, 7) is None
    assert metrics.mase(ACTUAL, FORECAST, history=[5.0] * 20, season_length=7) is None


def test_coverage_counts_bounds_inclusively() -> None:
    lower = [9.0, 21.0, 0.0, 30.0]
    upper = [11.0, 25.0, 1.0, 40.0]
    # 10 in [9, 11]; 20 below 21; 0 in [0, 1]; 40 on the upper bound.
    assert metrics.coverage(ACTUAL, lower, upper) == pytest.approx(0.75)


def test_evaluate_has_every_key() -> None:
    result = metrics.evaluate(
        ACTUAL,
        FORECAST,
        scale=1.5,
        intervals={80: ([9, 21, 0, 30], [11, 25, 1, 40])},
        levels=(80, 95),
    )
    assert set(result) == {
        "mae",
        "rmse",
        "mape",
        "smape",
        "mase",
        "wape",
        "bias",
        "rel_bias",
        "coverage_80",
        "coverage_95",
        "grade",
        "n",
    }
    assert result["coverage_80"] == pytest.approx(0.75)
    assert result["coverage_95"] is None
    assert result["mase"] == pytest.approx(2.0)
    assert result["grade"] == "F"
    assert result["n"] == 4


@pytest.mark.parametrize(
    ("mase", "wape", "letter"),
    [
        (0.60, None, "A"),
        (0.75, 0.9, "A"),
        (0.76, None, "B"),
        (0.90, None, "B"),
        (0.95, None, "C"),
        (1.00, None, "C"),
        (1.10, None, "D"),
        (1.25, None, "D"),
        (1.30, 0.01, "F"),
        (None, 0.10, "A"),
        (None, 0.20, "B"),
        (None, 0.30, "C"),
        (None, 0.50, "D"),
        (None, 0.70, "F"),
        (None, None, None),
    ],
)
def test_grade_thresholds(mase: float | None, wape: float | None, letter: str | None) -> None:
    assert metrics.grade(mase, wape) == letter


def test_panel_scales_compare_with_one_season_earlier_on_the_calendar() -> None:
    days = pd.date_range("2024-01-01", periods=14, freq="D")
    values = np.arange(14, dtype=float)
    panel = pd.DataFrame({"unique_id": "a", "ds": days, "y": values})
    # Dropping a day (closed) must not shift the comparison: every pair is 7 apart.
    gapped = panel.drop(index=9)
    assert metrics.panel_scales(gapped, 7, "D")["a"] == pytest.approx(7.0)
    flat = panel.assign(unique_id="b", y=3.0)
    scales = metrics.panel_scales(pd.concat([panel, flat]), 7, "D")
    assert np.isnan(scales["b"])


def test_evaluate_panel_pools_wape_and_averages_mase() -> None:
    frame = pd.DataFrame(
        {
            "unique_id": ["a", "a", "b", "b"],
            "y": [10.0, 10.0, 100.0, 100.0],
            "value": [12.0, 8.0, 110.0, 100.0],
            "scale": [1.0, 1.0, 5.0, 5.0],
            "lo-80": [9.0, 9.0, 90.0, 90.0],
            "hi-80": [11.0, 11.0, 105.0, 105.0],
        }
    )
    per_series, overall = metrics.evaluate_panel(frame, levels=(80,))
    assert per_series["a"]["mase"] == pytest.approx(2.0)
    assert per_series["b"]["mase"] == pytest.approx(1.0)
    assert overall["mase"] == pytest.approx(1.5)
    # Results are rounded to six decimals.
    assert overall["wape"] == pytest.approx((2 + 2 + 10 + 0) / 220, abs=1e-6)
    assert overall["coverage_80"] == pytest.approx(1.0)
    assert overall["series"] == 2
    assert overall["n"] == 4

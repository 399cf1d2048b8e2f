"""The public entry: validation, clipping, closed periods, cold start, intervals, metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tableside.forecasting.engine import Forecaster, forecast
from tableside.forecasting.engine.errors import (
    InsufficientHistory,
    InvalidConfig,
    UnknownMethod,
)
from tableside.forecasting.engine.types import Calendar, ForecastConfig, StaticFeatures

WEEK = np.array([20.0, 25.0, 30.0, 35.0, 50.0, 70.0, 40.0])  # Monday first
START = pd.Timestamp("2024-01-01")  # a Monday


def weekly(uid: str, days: int, scale: float = 1.0, start: pd.Timestamp = START) -> pd.DataFrame:
    ds = pd.date_range(start, periods=days, freq="D")
    return pd.DataFrame({"unique_id": uid, "ds": ds, "y": scale * WEEK[ds.weekday]})


def config(method: str = "seasonal_naive", **kwargs: object) -> ForecastConfig:
    values: dict[str, object] = {"method": method, "freq": "D", "horizon": 14}
    values.update(kwargs)
    return ForecastConfig(**values)  # type: ignore[arg-type]


def check_bounds(points: pd.DataFrame, levels: tuple[int, ...]) -> None:
    assert (points["value"] >= 0).all()
    previous_lo, previous_hi = points["value"], points["value"]
    for level in sorted(levels):
        lo, hi = points[f"lo-{level}"], points[f"hi-{level}"]
        assert (lo >= 0).all()
        assert (lo <= previous_lo).all()
        assert (hi >= previous_hi).all()
        previous_lo, previous_hi = lo, hi


def test_weekly_pattern_forecast_with_native_intervals() -> None:
    panel = weekly("a", 56)
    output = forecast(panel, config())
    points = output.points
    assert list(points.columns) == ["unique_id", "ds", "value", "lo-80", "hi-80", "lo-95", "hi-95"]
    assert len(points) == 14
    assert points["ds"].min() == panel["ds"].max() + pd.Timedelta(days=1)
    np.testing.assert_allclose(points["value"], WEEK[points["ds"].dt.weekday])
    check_bounds(points, (80, 95))
    info = output.series["a"]
    assert (info.method_used, info.fallback, info.history_length) == ("seasonal_naive", None, 56)
    assert output.parameters["intervals"] == "native"


def test_values_and_bounds_are_clipped_at_zero() -> None:
    ds = pd.date_range(START, periods=42, freq="D")
    falling = pd.DataFrame({"unique_id": "down", "ds": ds, "y": np.linspace(80.0, 2.0, 42)})
    output = forecast(falling, config("linear_trend", horizon=28))
    points = output.points
    assert (points["value"] == 0).sum() > 10  # the trend crosses zero: clipped, not negative
    check_bounds(points, (80, 95))


def test_closed_days_are_not_learned_and_forecast_as_zero() -> None:
    panel = weekly("a", 56)
    # The panel even has rows for the closed Mondays, as zeros: they must not be learned.
    panel.loc[panel["ds"].dt.weekday == 0, "y"] = 0.0
    calendar = Calendar(closed_weekdays=frozenset({0}))
    output = Forecaster(config(calendar=calendar)).fit(panel).predict()
    points = output.points
    mondays = points["ds"].dt.weekday == 0
    assert mondays.sum() == 2
    assert (points.loc[mondays, ["value", "lo-80", "hi-80", "lo-95", "hi-95"]] == 0).all().all()
    others = points[~mondays]
    np.testing.assert_allclose(others["value"], WEEK[others["ds"].dt.weekday])
    assert output.series["a"].history_length == 48  # the 8 Mondays were dropped


def test_forecasts_start_after_the_panel_end_for_a_series_closed_on_the_last_day() -> None:
    a = weekly("a", 56)
    b = weekly("b", 56)
    b = b[b["ds"] < b["ds"].max()]  # b did not trade on the panel's last day
    output = forecast(pd.concat([a, b]), config())
    points = output.points
    end = a["ds"].max()
    for uid in ("a", "b"):
        ds = points.loc[points["unique_id"] == uid, "ds"]
        assert ds.min() == end + pd.Timedelta(days=1)
        assert len(ds) == 14


def test_short_series_fall_back_to_the_business_profile() -> None:
    panel = pd.concat(
        [
            weekly("a", 70),
            weekly("b", 70, scale=2.0),
            weekly("new", 5, scale=3.0, start=START + pd.Timedelta(days=65)),
        ]
    )
    output = forecast(panel, config())
    info = output.series["new"]
    assert info.fallback == "business"
    assert info.method_used == "business_profile"
    assert info.history_length == 5
    new = output.points[output.points["unique_id"] == "new"]
    # The business's weekly shape at the new series' own level (three times the base week).
    np.testing.assert_allclose(new["value"], 3.0 * WEEK[new["ds"].dt.weekday], rtol=0.05)
    check_bounds(output.points, (80, 95))
    assert output.series["a"].fallback is None


def test_short_series_with_a_category_use_the_global_model() -> None:
    series = [weekly(f"s{i}", 84, scale=1.0 + i / 4) for i in range(4)]
    fresh = weekly("fresh", 6, scale=1.5, start=START + pd.Timedelta(days=78))
    panel = pd.concat([*series, fresh])
    groups = {f"s{i}": {"category": "pizza"} for i in range(4)}
    groups["fresh"] = {"category": "pizza"}
    output = forecast(panel, config(), static=StaticFeatures(groups=groups))
    info = output.series["fresh"]
    assert info.fallback == "category"
    assert info.method_used == "gradient_boosting"
    fresh_points = output.points[output.points["unique_id"] == "fresh"]
    assert len(fresh_points) == 14
    assert (fresh_points["value"] > 0).all()


def test_only_short_series_use_their_own_seasonal_naive_or_mean() -> None:
    panel = pd.concat([weekly("week", 10), weekly("few", 4)])
    output = forecast(panel, config())
    assert output.series["week"].fallback == "seasonal_naive"
    assert output.series["few"].fallback == "mean"
    few = output.points[output.points["unique_id"] == "few"]
    np.testing.assert_allclose(few["value"], WEEK[:4].mean())


def test_insufficient_history() -> None:
    tiny = weekly("a", 2)
    with pytest.raises(InsufficientHistory):
        forecast(tiny, config())
    calendar = Calendar(closed_weekdays=frozenset(range(7)))
    with pytest.raises(InsufficientHistory):
        forecast(weekly("a", 30), config(calendar=calendar))
    output = forecast(pd.concat([weekly("a", 30), tiny.assign(unique_id="tiny")]), config())
    assert "tiny" not in output.series
    assert output.parameters["skipped_series"] == ["tiny"]


def test_unknown_method() -> None:
    with pytest.raises(UnknownMethod):
        Forecaster(config("crystal_ball"))


@pytest.mark.parametrize("horizon", [0, -3, 367])
def test_horizon_out_of_range(horizon: int) -> None:
    with pytest.raises(InvalidConfig):
        Forecaster(config(horizon=horizon))


def test_horizon_at_predict_time_is_checked_too() -> None:
    fitted = Forecaster(config()).fit(weekly("a", 56))
    assert len(fitted.predict(3).points) == 3
    with pytest.raises(InvalidConfig):
        fitted.predict(400)


@pytest.mark.parametrize("levels", [(0,), (100,), (80, 120), (50.5,)])
def test_invalid_levels(levels: tuple[int, ...]) -> None:
    with pytest.raises(InvalidConfig):
        Forecaster(config(levels=levels))


def test_any_levels_come_back_nested() -> None:
    output = forecast(weekly("a", 56), config(levels=(90, 50)))
    assert output.levels == (50, 90)
    check_bounds(output.points, (50, 90))


def test_conformal_intervals_and_metrics_for_a_method_without_native_intervals() -> None:
    rng = np.random.default_rng(0)
    panels = []
    for i in range(6):
        frame = weekly(f"s{i}", 140, scale=1 + i)
        frame["y"] = np.maximum(frame["y"] + rng.normal(0, 3.0, len(frame)), 0.0)
        panels.append(frame)
    output = forecast(pd.concat(panels), config("moving_average", backtest_windows=2))
    assert output.parameters["intervals"] == "conformal"
    check_bounds(output.points, (80, 95))
    assert ((output.points["hi-80"] - output.points["lo-80"]) > 0).all()
    assert set(output.metrics) == {f"s{i}" for i in range(6)}
    assert output.overall["grade"] in {"A", "B", "C", "D", "F"}
    assert output.overall["n"] == 6 * 2 * 14
    # A flat mean over a strong weekly pattern is worse than repeating last week.
    assert output.overall["mase"] > 1.0


def noisy_weekly_panel(series: int = 8, days: int = 280, noise: float = 4.0) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    panels = []
    for i in range(series):
        frame = weekly(f"s{i}", days, scale=1 + i % 4)
        frame["y"] = np.maximum(frame["y"] + rng.normal(0, noise * (1 + i % 4), days), 0.0)
        panels.append(frame)
    return pd.concat(panels, ignore_index=True)


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("exp_smoothing", {}),  # native intervals, as each backtest window gave them
        ("moving_average", {"window": 7}),  # conformal, each window from the others
        ("seasonal_naive", {"calibrate_intervals": True}),  # conformal instead of native
    ],
)
def test_backtest_metrics_report_out_of_sample_interval_coverage(
    method: str, params: dict[str, object]
) -> None:
    output = forecast(
        noisy_weekly_panel(),
        config(method, horizon=28, backtest_windows=3, levels=(80, 95), params=params),
    )
    coverage_80, coverage_95 = output.overall["coverage_80"], output.overall["coverage_95"]
    assert isinstance(coverage_80, float) and isinstance(coverage_95, float)
    assert 0.6 <= coverage_80 <= 0.97
    assert 0.8 <= coverage_95 <= 1.0 and coverage_95 >= coverage_80
    per_series = [m["coverage_80"] for m in output.metrics.values()]
    assert all(isinstance(value, float) for value in per_series)


def test_conformal_coverage_needs_two_backtest_windows() -> None:
    # Fitted on the one window's own errors, the intervals would cover by construction.
    output = forecast(noisy_weekly_panel(), config("moving_average", backtest_windows=1))
    assert output.overall["coverage_80"] is None
    assert output.overall["mae"] is not None


def test_calibrated_intervals_replace_native_ones() -> None:
    output = forecast(
        weekly("a", 84), config(params={"calibrate_intervals": True}, backtest_windows=2)
    )
    assert output.parameters["intervals"] == "conformal"
    assert output.parameters["params"] == {}


def test_forecaster_params_are_validated() -> None:
    with pytest.raises(InvalidConfig):
        Forecaster(config(params={"min_history": 0}))
    with pytest.raises(InvalidConfig):
        Forecaster(config(params={"calibrate_intervals": "yes"}))
    with pytest.raises(InvalidConfig):
        Forecaster(config(params={"no_such_param": 1}))

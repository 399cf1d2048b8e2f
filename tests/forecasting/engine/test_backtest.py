"""Rolling-origin backtests: cutoffs, no peeking past a cutoff, scoring, the full pipeline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tableside.forecasting.engine.backtest import (
    backtest,
    common_cutoffs,
    future_exogenous,
    rolling_forecasts,
)
from tableside.forecasting.engine.types import Calendar, ForecastConfig

WEEK = np.array([20.0, 25.0, 30.0, 35.0, 50.0, 70.0, 40.0])


def weekly(uid: str, days: int, scale: float = 1.0) -> pd.DataFrame:
    ds = pd.date_range("2024-01-01", periods=days, freq="D")
    return pd.DataFrame({"unique_id": uid, "ds": ds, "y": scale * WEEK[ds.weekday]})


def test_common_cutoffs_count_back_from_the_panel_end() -> None:
    panel = weekly("a", 100)
    end = panel["ds"].max()
    cutoffs = common_cutoffs(panel, 3, 28, 14, "D")
    assert cutoffs == [end - pd.Timedelta(days=d) for d in (56, 42, 28)]
    assert common_cutoffs(panel, 0, 28, None, "D") == []
    monthly = pd.DataFrame(
        {"unique_id": "m", "ds": pd.date_range("2020-01-01", periods=30, freq="MS"), "y": 1.0}
    )
    # The panel ends 2022-06-01: three and six months back.
    assert common_cutoffs(monthly, 2, 3, None, "MS") == [
        pd.Timestamp("2021-12-01"),
        pd.Timestamp("2022-03-01"),
    ]


def test_rolling_forecasts_only_see_data_up_to_each_cutoff() -> None:
    panel = pd.concat([weekly("a", 70), weekly("b", 70, scale=2.0)])
    cutoffs = common_cutoffs(panel, 2, 7, None, "D")
    seen: list[pd.Timestamp] = []

    def last_value(train: pd.DataFrame, future_exog: pd.DataFrame | None) -> pd.DataFrame:
        seen.append(train["ds"].max())
        last = train.sort_values("ds").groupby("unique_id").tail(1)
        rows = [
            {"unique_id": r.unique_id, "ds": r.ds + pd.Timedelta(days=k), "value": r.y}
            for r in last.itertuples()
            for k in range(1, 8)
        ]
        return pd.DataFrame(rows)

    out = rolling_forecasts(
        panel, last_value, cutoffs=cutoffs, horizon=7, freq="D", season_length=7
    )
    assert seen == cutoffs
    assert len(out) == 2 * 2 * 7
    assert set(out["cutoff"]) == set(cutoffs)
    assert (out["ds"] > out["cutoff"]).all()
    assert (out["ds"] <= out["cutoff"] + pd.Timedelta(days=7)).all()
    assert sorted(out["step"].unique()) == list(range(1, 8))
    # The value forecast is the actual of the cutoff day itself, never a later one.
    for row in out.itertuples():
        source = panel[(panel["unique_id"] == row.unique_id) & (panel["ds"] == row.cutoff)]
        assert row.value == source["y"].iloc[0]
    # MASE scale of a pure weekly pattern: |y - y(-7)| is 0, so the scale is undefined.
    assert out["scale"].isna().all()


def test_closed_periods_are_not_scored() -> None:
    panel = weekly("a", 70)
    panel = panel[panel["ds"].dt.weekday != 0]  # closed on Mondays: absent from the panel
    config = ForecastConfig(
        method="seasonal_naive",
        horizon=14,
        calendar=Calendar(closed_weekdays=frozenset({0})),
    )
    result = backtest(panel, config, windows=2, horizon=14)
    assert not (result.forecasts["ds"].dt.weekday == 0).any()
    assert len(result.forecasts) == 2 * 12


def test_backtest_of_the_pipeline() -> None:
    rng = np.random.default_rng(1)
    frames = []
    for i in range(3):
        frame = weekly(f"s{i}", 120, scale=1 + i)
        frame["y"] += rng.normal(0, 2.0, len(frame))
        frames.append(frame)
    panel = pd.concat(frames)
    config = ForecastConfig(method="seasonal_naive", horizon=14)
    result = backtest(panel, config, windows=3, horizon=14, step=7)
    assert len(result.cutoffs) == 3
    assert len(result.seconds) == 3
    assert set(result.series) == set(result.cutoffs)
    assert result.series[result.cutoffs[0]]["s1"].method_used == "seasonal_naive"
    columns = {"unique_id", "ds", "cutoff", "step", "y", "value", "scale"}
    assert columns <= set(result.forecasts.columns)
    assert {"lo-80", "hi-80", "lo-95", "hi-95"} <= set(result.forecasts.columns)
    assert len(result.forecasts) == 3 * 3 * 14
    assert set(result.metrics) == {"s0", "s1", "s2"}
    # Noise only: the seasonal naive's error is about its in-sample error (MASE near 1).
    assert result.overall["mase"] == pytest.approx(1.0, abs=0.35)
    assert 0.6 <= result.overall["coverage_80"] <= 1.0
    assert result.overall["n"] == 3 * 3 * 14


def test_future_exogenous_values_come_from_the_source() -> None:
    panel = weekly("a", 21)
    panel["promo"] = (panel["ds"].dt.day % 5 == 0).astype(float)
    train = panel[panel["ds"] <= panel["ds"].min() + pd.Timedelta(days=13)]
    future = future_exogenous(train, 7, "D", ("promo",), panel)
    assert future is not None
    expected = panel.iloc[14:21]["promo"].to_numpy()
    np.testing.assert_array_equal(future["promo"].to_numpy(), expected)
    assert future_exogenous(train, 7, "D", (), panel) is None

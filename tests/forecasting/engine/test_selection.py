"""`best` and `ensemble`: per-series choice by backtest, members and weights, validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tableside.forecasting.engine import forecast, registry
from tableside.forecasting.engine.errors import InvalidConfig, UnknownMethod
from tableside.forecasting.engine.selection import SelectionMethod, _combine_rows
from tableside.forecasting.engine.types import Calendar, ForecastConfig

WEEK = np.array([20.0, 25.0, 30.0, 35.0, 50.0, 70.0, 40.0])
DAYS = 112


def stepped_week(uid: str) -> pd.DataFrame:
    """A weekly pattern whose level jumps by 30 eight weeks before the end: repeating last
    week is exact after the jump, a straight trend line through the jump is not."""
    ds = pd.date_range("2024-01-01", periods=DAYS, freq="D")
    level = np.where(np.arange(DAYS) >= DAYS - 56, 30.0, 0.0)
    return pd.DataFrame({"unique_id": uid, "ds": ds, "y": WEEK[ds.weekday] + level})


def trend(uid: str) -> pd.DataFrame:
    """A straight line: the linear trend is exact, last week's values lag 14 behind."""
    ds = pd.date_range("2024-01-01", periods=DAYS, freq="D")
    return pd.DataFrame({"unique_id": uid, "ds": ds, "y": 10.0 + 2.0 * np.arange(DAYS)})


def panel() -> pd.DataFrame:
    return pd.concat(
        [stepped_week("week_1"), stepped_week("week_2"), trend("line_1"), trend("line_2")]
    )


def config(method: str, **params: object) -> ForecastConfig:
    values: dict[str, object] = {
        "candidates": ["seasonal_naive", "linear_trend"],
        "tolerance": 10.0,
    }
    values.update(params)
    return ForecastConfig(method=method, freq="D", horizon=14, backtest_windows=2, params=values)


def test_best_picks_the_right_method_per_series() -> None:
    output = forecast(panel(), config("best"))
    used = {uid: info.method_used for uid, info in output.series.items()}
    assert used == {
        "week_1": "seasonal_naive",
        "week_2": "seasonal_naive",
        "line_1": "linear_trend",
        "line_2": "linear_trend",
    }
    points = output.points.set_index(["unique_id", "ds"])["value"]
    end = panel()["ds"].max()
    future = pd.date_range(end + pd.Timedelta(days=1), periods=14, freq="D")
    np.testing.assert_allclose(points["week_1"].to_numpy(), WEEK[future.weekday] + 30.0)
    expected_line = 10.0 + 2.0 * np.arange(DAYS, DAYS + 14)
    np.testing.assert_allclose(points["line_1"].to_numpy(), expected_line, rtol=1e-3)
    # Conformal intervals from the winners' backtest errors (both exact here: narrow).
    assert output.parameters["intervals"] == "conformal"
    assert (output.points["hi-80"] - output.points["lo-80"] < 1.0).all()
    assert output.overall["mase"] == pytest.approx(0.0, abs=1e-3)


def test_a_large_margin_keeps_the_ensemble() -> None:
    output = forecast(panel(), config("best", margin=1.0))
    assert {info.method_used for info in output.series.values()} == {"ensemble"}


def test_ensemble_members_and_weights() -> None:
    data = panel()
    # Full shrinkage and power 1: every series gets the pooled inverse-MASE weights.
    model = registry.create("ensemble", config("ensemble", shrinkage=1.0, power=1.0))
    assert isinstance(model, SelectionMethod)
    model.fit(data)
    assert set(model.weights) == {"seasonal_naive", "linear_trend"}
    assert sum(model.weights.values()) == pytest.approx(1.0)
    assert set(model.scores) == {"seasonal_naive", "linear_trend"}
    combined = model.predict(14).set_index(["unique_id", "ds"])["value"]
    members = {
        name: model.runs[name].forecast(14, None).set_index(["unique_id", "ds"])["value"]
        for name in model.weights
    }
    expected = sum(model.weights[name] * members[name] for name in members)
    np.testing.assert_allclose(combined.to_numpy(), expected.reindex(combined.index).to_numpy())
    assert set(model.series_methods().values()) == {"ensemble"}


def test_ensemble_weights_follow_each_series_own_backtest() -> None:
    data = panel()
    pooled = registry.create("ensemble", config("ensemble", shrinkage=1.0)).fit(data)
    local = registry.create("ensemble", config("ensemble", shrinkage=0.0)).fit(data)
    assert isinstance(pooled, SelectionMethod) and isinstance(local, SelectionMethod)
    # Pooled: the same weights for every series.
    assert np.allclose(pooled.series_weights.to_numpy(), pooled.series_weights.iloc[0].to_numpy())
    # Own errors only: each series leans on the member that was right on it.
    weights = local.series_weights
    assert weights.loc["week_1", "seasonal_naive"] > 0.99
    assert weights.loc["line_1", "linear_trend"] > 0.99
    assert np.allclose(weights.sum(axis=1), 1.0)
    end = data["ds"].max()
    future = pd.date_range(end + pd.Timedelta(days=1), periods=14, freq="D")
    points = local.predict(14).set_index(["unique_id", "ds"])["value"]
    np.testing.assert_allclose(points["week_1"].to_numpy(), WEEK[future.weekday] + 30.0, rtol=0.01)
    expected_line = 10.0 + 2.0 * np.arange(DAYS, DAYS + 14)
    np.testing.assert_allclose(points["line_1"].to_numpy(), expected_line, rtol=0.01)
    blended = pooled.predict(14).set_index(["unique_id", "ds"])["value"]
    assert np.abs(blended["week_1"].to_numpy() - (WEEK[future.weekday] + 30.0)).mean() > 1.0


def test_a_series_without_backtest_gets_the_pooled_weights() -> None:
    # "late" starts two weeks before the end: too short for the selection backtest.
    late = stepped_week("late").tail(14)
    model = registry.create("ensemble", config("ensemble", shrinkage=0.0)).fit(
        pd.concat([panel(), late])
    )
    assert isinstance(model, SelectionMethod)
    assert "late" not in model.series_weights.index
    points = model.predict(7).set_index(["unique_id", "ds"])["value"]
    members = {
        name: model.runs[name].forecast(7, None).set_index(["unique_id", "ds"])["value"]
        for name in model.weights
    }
    expected = sum(model.weights[name] * members[name]["late"] for name in members)
    np.testing.assert_allclose(points["late"].to_numpy(), expected.to_numpy())


def test_tolerance_drops_members_far_behind_the_leader() -> None:
    model = registry.create("ensemble", config("ensemble", tolerance=0.1)).fit(
        pd.concat([stepped_week("week_1"), stepped_week("week_2")])
    )
    assert isinstance(model, SelectionMethod)
    assert model.weights == {"seasonal_naive": 1.0}


def test_candidate_variants_and_params() -> None:
    variants = [
        "seasonal_naive",
        {"name": "ma_week", "method": "moving_average", "params": {"window": 7}},
        {"name": "ma_fortnight", "method": "sma", "params": {"window": 14}},
    ]
    model = registry.create("best", config("best", candidates=variants))
    assert isinstance(model, SelectionMethod)
    assert model.methods == {
        "seasonal_naive": "seasonal_naive",
        "ma_week": "moving_average",
        "ma_fortnight": "moving_average",
    }
    assert model.candidate_params["ma_fortnight"]["window"] == 14
    model.fit(panel())
    assert set(model.runs) == {"seasonal_naive", "ma_week", "ma_fortnight"}


@pytest.mark.parametrize(
    "params",
    [
        {"candidates": "seasonal_naive"},
        {"candidates": []},
        {"candidates": ["best"]},
        {"candidates": ["seasonal_naive", "seasonal_naive"]},
        {"top_k": 0},
        {"shrinkage": 1.5},
        {"power": -1.0},
        {"margin": 2.0},
        {"candidate_params": {"seasonal_naive": {"no_such": 1}}},
        {"unknown": True},
        {"holiday_adjust": "yes"},
    ],
)
def test_invalid_params(params: dict[str, object]) -> None:
    with pytest.raises(InvalidConfig):
        registry.create("best", ForecastConfig(method="best", params=params))


def test_the_default_log_target_tree_candidate_sees_the_weekday_medians() -> None:
    model = registry.create("best", ForecastConfig(method="best"))
    assert isinstance(model, SelectionMethod)
    assert model.candidate_params["gradient_boosting"]["median_windows"] == [4, 8, 16, 52]
    # The standardized-target variant keeps the plain features, so the two err differently.
    assert "median_windows" not in model.candidate_params["gradient_boosting_linear"]
    assert model.candidate_params["gradient_boosting"]["objective"] == "l1"


def test_unknown_candidate() -> None:
    with pytest.raises(UnknownMethod):
        registry.create("ensemble", ForecastConfig(method="ensemble", params={"candidates": ["x"]}))


def test_short_series_get_the_ensemble() -> None:
    data = pd.concat([panel(), stepped_week("young").tail(20)])
    output = forecast(data, config("best"))
    assert output.series["young"].method_used == "ensemble"
    assert output.series["young"].fallback is None
    young = output.points[output.points["unique_id"] == "young"]
    assert len(young) == 14


def test_longer_horizon_than_configured_refits_the_rolled_forward_candidates() -> None:
    model = registry.create("best", config("best")).fit(panel())
    points = model.predict(30)
    assert (points.groupby("unique_id").size() == 30).all()


def test_best_metrics_come_from_its_selection_backtest() -> None:
    output = forecast(panel(), config("best"))
    assert set(output.metrics) == {"week_1", "week_2", "line_1", "line_2"}
    assert output.overall["n"] == 4 * 2 * 14
    assert output.parameters["weights"]
    assert set(output.parameters["scores"]) == {"seasonal_naive", "linear_trend"}


def test_refit_final_fits_the_statistical_candidates_afresh() -> None:
    model = registry.create("best", config("best", refit_final=True)).fit(panel())
    assert isinstance(model, SelectionMethod)
    run = model.runs["seasonal_naive"]
    assert run.model is not None and run.final is None
    points = model.predict(14).set_index(["unique_id", "ds"])["value"]
    end = panel()["ds"].max()
    future = pd.date_range(end + pd.Timedelta(days=1), periods=14, freq="D")
    np.testing.assert_allclose(points["week_2"].to_numpy(), WEEK[future.weekday] + 30.0)


@pytest.mark.parametrize("adjust", [True, False])
def test_statistical_candidates_learn_the_holiday_effect(adjust: bool) -> None:
    """Every 10th day a holiday with twice its weekday's trade: the rolled-forward seasonal
    naive puts that uplift on the future holidays only when ``holiday_adjust`` is on, and
    fits on holiday-free history either way off the holidays."""
    ds = pd.date_range("2024-01-01", periods=DAYS, freq="D")
    holidays_ = pd.date_range("2024-01-05", periods=DAYS // 10 + 2, freq="10D")
    is_holiday = ds.isin(holidays_)
    frames = [
        pd.DataFrame(
            {"unique_id": uid, "ds": ds, "y": np.where(is_holiday, 2.0, 1.0) * WEEK[ds.weekday]}
        )
        for uid in ("a", "b")
    ]
    cfg = ForecastConfig(
        method="ensemble",
        freq="D",
        horizon=14,
        backtest_windows=2,
        calendar=Calendar(extra_holidays=frozenset(d.date() for d in holidays_)),
        params={"candidates": ["seasonal_naive"], "holiday_adjust": adjust},
    )
    points = forecast(pd.concat(frames), cfg).points
    points = points[points["unique_id"] == "a"]
    future = pd.DatetimeIndex(points["ds"])
    usual = WEEK[future.weekday]
    on_holiday = future.isin(holidays_)
    assert on_holiday.sum() >= 1
    value = points["value"].to_numpy()
    if adjust:
        # The log(y + 1) ratio of a doubled day is a little under 2.
        np.testing.assert_allclose(value, np.where(on_holiday, 2.0, 1.0) * usual, rtol=0.03)
    else:
        # Last week's values: an ordinary day's forecast may be a past holiday's double.
        assert not np.allclose(value[on_holiday], 2.0 * usual[on_holiday], rtol=0.03)


def test_weighted_median_for_flagged_rows() -> None:
    block = np.array([[0.0, 1.0, 10.0], [0.0, 1.0, 10.0], [np.nan, 2.0, 8.0]])
    weights = np.array([[0.3, 0.3, 0.4], [0.3, 0.3, 0.4], [0.9, 0.05, 0.95]])
    flagged = np.array([False, True, True])
    combined = _combine_rows(block, weights, flagged)
    assert combined[0] == pytest.approx(0.3 * 0 + 0.3 * 1 + 0.4 * 10)
    # Half the weight lies at or below 1.0; a missing member's weight does not count.
    assert combined[1] == 1.0
    assert combined[2] == 8.0
    assert np.isnan(_combine_rows(np.full((1, 2), np.nan), np.ones((1, 2)), np.array([True])))[0]


def test_sparse_series_get_the_median_of_the_members() -> None:
    """An item that sells on one day in four: the ensemble's forecast is a member's value
    (the weighted median), not a blend pulled up by the members forecasting daily demand."""
    days = pd.date_range("2026-01-01", periods=140, freq="D")
    rng = np.random.default_rng(3)
    sparse = np.where(rng.random(len(days)) < 0.25, rng.integers(1, 5, len(days)), 0)
    steady = 20 + 5 * (days.dayofweek >= 4) + rng.normal(0, 1, len(days))
    panel = pd.concat(
        [
            pd.DataFrame({"unique_id": "sparse", "ds": days, "y": sparse.astype(float)}),
            pd.DataFrame({"unique_id": "steady", "ds": days, "y": steady}),
        ]
    )
    candidates = ["seasonal_naive", "moving_average", "exp_smoothing"]
    model = SelectionMethod("ensemble", config("ensemble", candidates=candidates))
    model.fit(panel)
    assert "sparse" in model.sparse and "steady" not in model.sparse
    out = model.predict(14).set_index(["unique_id", "ds"])["value"]
    members = {
        name: run.forecast(14, None).set_index(["unique_id", "ds"])["value"]
        for name, run in model.runs.items()
        if name in model.weights
    }
    for key in out.loc["sparse"].index:
        values = {round(float(m.loc[("sparse", key)]), 9) for m in members.values()}
        assert round(float(out.loc[("sparse", key)]), 9) in values
    off = SelectionMethod("ensemble", config("ensemble", candidates=candidates, sparse_share=1.01))
    off.fit(panel)
    assert not off.sparse


def sparse_item_panel(seed: int = 5) -> pd.DataFrame:
    """A steady seller and an item that sells 1 to 3 units on about one day in ten."""
    days = pd.date_range("2025-06-01", periods=240, freq="D")
    rng = np.random.default_rng(seed)
    rare = np.where(rng.random(len(days)) < 0.1, rng.integers(1, 4, len(days)), 0)
    steady = 30 + 10 * (days.dayofweek >= 4) + rng.normal(0, 2, len(days))
    return pd.concat(
        [
            pd.DataFrame({"unique_id": "rare", "ds": days, "y": rare.astype(float)}),
            pd.DataFrame({"unique_id": "steady", "ds": days, "y": steady}),
        ]
    )


def test_best_gives_an_intermittent_series_the_intermittent_method() -> None:
    """With its default candidates `best` would forecast the rare item at 0 every day (the
    median of days that mostly sell nothing); it hands that series to the intermittent
    method, whose forecast is the item's demand rate, and keeps the steady seller."""
    data = sparse_item_panel()
    settings = ForecastConfig(method="best", freq="D", horizon=14, backtest_windows=2)
    output = forecast(data, settings)
    used = {uid: info.method_used for uid, info in output.series.items()}
    assert used["rare"] == "intermittent"
    assert used["steady"] != "intermittent"
    rare = output.points[output.points["unique_id"] == "rare"]
    rate = data.loc[data["unique_id"] == "rare", "y"].mean()
    assert rare["value"].between(0.3 * rate, 3.0 * rate).all()
    assert (rare["hi-80"] > rare["value"]).all() and (rare["lo-80"] >= 0).all()
    # The backtest the run's metrics come from is the intermittent method's on that series.
    model = SelectionMethod("best", settings)
    model.fit(data)
    rows = model.backtest_forecasts[model.backtest_forecasts["unique_id"] == "rare"]
    assert set(rows["method"]) == {"intermittent"} and rows["value"].gt(0).all()

    off = ForecastConfig(
        method="best", freq="D", horizon=14, backtest_windows=2, params={"intermittent": False}
    )
    silent = forecast(data, off)
    assert silent.series["rare"].method_used != "intermittent"
    assert silent.points.loc[silent.points["unique_id"] == "rare", "value"].max() < 0.05


def test_an_item_that_stopped_selling_is_not_given_a_demand_rate() -> None:
    """A sparse item with no sale in the backtest windows keeps its (zero) forecast: the
    intermittent method would keep forecasting an old rate for a dish taken off the menu."""
    data = sparse_item_panel()
    last = data["ds"].max()
    stopped = (data["unique_id"] == "rare") & (data["ds"] > last - pd.Timedelta(days=60))
    data.loc[stopped, "y"] = 0.0
    output = forecast(data, ForecastConfig(method="best", freq="D", horizon=14))
    assert output.series["rare"].method_used != "intermittent"


def test_intermittent_switch_must_be_a_boolean() -> None:
    with pytest.raises(InvalidConfig, match="intermittent"):
        SelectionMethod("best", config("best", intermittent="yes"))

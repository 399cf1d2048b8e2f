"""Base methods on small synthetic panels with a known answer."""

from __future__ import annotations

import importlib.util
from datetime import date

import numpy as np
import pandas as pd
import pytest

from tableside.forecasting.engine import registry
from tableside.forecasting.engine.errors import InsufficientHistory, InvalidConfig
from tableside.forecasting.engine.models.statistical import SeasonalMedianMethod, demand_classes
from tableside.forecasting.engine.types import Calendar, ForecastConfig, StaticFeatures

# Demand by weekday, Monday first.
WEEK = np.array([10.0, 12.0, 14.0, 16.0, 30.0, 40.0, 20.0])
START = "2024-01-01"  # a Monday


def weekly_panel(
    series: int = 4, weeks: int = 12, noise: float = 0.3, seed: int = 1
) -> pd.DataFrame:
    """Series with the same weekly shape at different levels (1x, 2x, ...)."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range(START, periods=7 * weeks, freq="D")
    parts = [
        pd.DataFrame(
            {
                "unique_id": f"s{i}",
                "ds": ds,
                "y": WEEK[ds.weekday] * (i + 1) + rng.normal(0, noise, len(ds)),
            }
        )
        for i in range(series)
    ]
    return pd.concat(parts, ignore_index=True)


def expected_week(panel: pd.DataFrame, uid: str, horizon: int) -> np.ndarray:
    last = panel.loc[panel["unique_id"] == uid, "ds"].max()
    future = pd.date_range(last + pd.Timedelta(days=1), periods=horizon, freq="D")
    level = int(uid[1:]) + 1
    return WEEK[future.weekday] * level


def fit_predict(
    name: str, panel: pd.DataFrame, horizon: int = 14, **config: object
) -> pd.DataFrame:
    cfg = ForecastConfig(method=name, horizon=horizon, **config)  # type: ignore[arg-type]
    return registry.create(name, cfg).fit(panel).predict(horizon)


def relative_error(forecast: pd.DataFrame, panel: pd.DataFrame, uid: str) -> float:
    part = forecast[forecast["unique_id"] == uid]
    truth = expected_week(panel, uid, len(part))
    return float(np.mean(np.abs(part["value"].to_numpy() - truth)) / np.mean(truth))


@pytest.mark.parametrize(
    ("name", "tolerance"),
    [
        ("seasonal_naive", 0.05),
        ("exp_smoothing", 0.05),
        ("theta", 0.05),
        ("arima", 0.05),
        ("mstl", 0.05),
        ("linear_trend", 0.05),
        ("gradient_boosting", 0.08),
        ("random_forest", 0.10),
    ],
)
def test_weekly_pattern_is_learned(name: str, tolerance: float) -> None:
    panel = weekly_panel()
    forecast = fit_predict(name, panel)
    assert list(forecast.columns[:3]) == ["unique_id", "ds", "value"]
    assert len(forecast) == 4 * 14
    for uid in ("s0", "s3"):
        assert relative_error(forecast, panel, uid) < tolerance, uid


@pytest.mark.parametrize("name", ["seasonal_naive", "exp_smoothing", "theta", "arima"])
def test_native_intervals_bracket_the_forecast(name: str) -> None:
    forecast = fit_predict(name, weekly_panel(series=2), levels=(80, 95))
    assert {"lo-80", "hi-80", "lo-95", "hi-95"} <= set(forecast.columns)
    assert (forecast["lo-95"] <= forecast["lo-80"] + 1e-9).all()
    assert (forecast["lo-80"] <= forecast["value"] + 1e-9).all()
    assert (forecast["value"] <= forecast["hi-80"] + 1e-9).all()
    assert (forecast["hi-80"] <= forecast["hi-95"] + 1e-9).all()


def trend_panel(days: int = 84) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    ds = pd.date_range(START, periods=days, freq="D")
    y = 50.0 + 2.0 * np.arange(days) + rng.normal(0, 0.5, days)
    return pd.DataFrame({"unique_id": "t", "ds": ds, "y": y})


@pytest.mark.parametrize(
    ("name", "params"),
    [("linear_trend", {}), ("arima", {}), ("exp_smoothing", {"model": "AAN"})],
)
def test_linear_trend_is_followed(name: str, params: dict[str, object]) -> None:
    panel = trend_panel()
    forecast = fit_predict(name, panel, horizon=14, params=params)
    truth = 50.0 + 2.0 * np.arange(84, 98)
    assert np.max(np.abs(forecast["value"].to_numpy() - truth)) < 0.03 * truth.mean()


def test_linear_trend_intervals_are_normal_and_widen_with_level() -> None:
    panel = trend_panel()
    forecast = fit_predict("linear_trend", panel, horizon=7, levels=(50, 80, 95))
    width50 = forecast["hi-50"] - forecast["lo-50"]
    width95 = forecast["hi-95"] - forecast["lo-95"]
    # Normal quantiles: the 95% band is 1.96 / 0.674 times the 50% band.
    assert np.allclose(width95 / width50, 1.959964 / 0.674490, rtol=1e-4)
    assert (width95 > 0).all()
    # The residual noise has sd 0.5: the 95% half-width is close to 1.96 * 0.5.
    assert 0.7 < float(width95.iloc[0]) / 2 < 1.4


def intermittent_series(uid: str, every: int, sizes: tuple[float, ...], days: int) -> pd.DataFrame:
    y = np.zeros(days)
    y[::every] = np.resize(np.array(sizes), len(y[::every]))
    return pd.DataFrame({"unique_id": uid, "ds": pd.date_range(START, periods=days), "y": y})


def test_intermittent_variants_by_demand_class() -> None:
    panel = pd.concat(
        [
            # Every third day, steady size: intermittent → Croston SBA.
            intermittent_series("steady", 3, (2.0, 2.0, 3.0), 120),
            # Every fourth day, very variable size: lumpy → TSB.
            intermittent_series("lumpy", 4, (1.0, 12.0, 1.0, 1.0, 20.0), 120),
            # Every day: smooth → ADIDA.
            pd.DataFrame(
                {
                    "unique_id": "smooth",
                    "ds": pd.date_range(START, periods=120),
                    "y": 5.0 + np.arange(120) % 2,
                }
            ),
        ],
        ignore_index=True,
    )
    classes = demand_classes(panel)["demand_class"].to_dict()
    assert classes == {"lumpy": "lumpy", "smooth": "smooth", "steady": "intermittent"}
    model = registry.create("intermittent", ForecastConfig(method="intermittent", horizon=7))
    forecast = model.fit(panel).predict(7)
    assert getattr(model, "chosen_variant") == {  # noqa: B009 (not part of BaseModel)
        "lumpy": "tsb",
        "smooth": "adida",
        "steady": "croston_sba",
    }
    assert not model.native_intervals
    assert list(forecast.columns) == ["unique_id", "ds", "value"]
    for uid, part in forecast.groupby("unique_id"):
        rate = panel.loc[panel["unique_id"] == uid, "y"].mean()
        # A flat demand rate close to the mean per period (SBA deflates Croston by 5%).
        assert np.allclose(part["value"], part["value"].iloc[0])
        assert abs(part["value"].iloc[0] - rate) < 0.3 * rate, uid


def test_croston_alias_forces_one_variant() -> None:
    panel = intermittent_series("steady", 3, (2.0,), 60)
    model = registry.create("tsb", ForecastConfig(horizon=5))
    model.fit(panel).predict(5)
    assert getattr(model, "chosen_variant") == {"steady": "tsb"}  # noqa: B009


def hourly_panel(weeks: int = 3) -> pd.DataFrame:
    ds = pd.date_range(START, periods=24 * 7 * weeks, freq="h")
    daily = np.where((ds.hour >= 11) & (ds.hour < 22), 10.0 + (ds.hour - 11) % 5, 1.0)
    weekly = np.where(ds.weekday >= 4, 2.0, 1.0)
    rng = np.random.default_rng(5)
    y = daily * weekly + rng.normal(0, 0.2, len(ds))
    return pd.DataFrame({"unique_id": "h", "ds": ds, "y": y})


def test_mstl_handles_daily_and_weekly_seasonality_of_hourly_data() -> None:
    panel = hourly_panel()
    model = registry.create("mstl", ForecastConfig(method="mstl", freq="h", horizon=48))
    forecast = model.fit(panel).predict(48)
    assert getattr(model, "seasons_used") == {"h": (24, 168)}  # noqa: B009
    future = pd.DatetimeIndex(forecast["ds"])
    truth = np.where((future.hour >= 11) & (future.hour < 22), 10.0 + (future.hour - 11) % 5, 1.0)
    truth = truth * np.where(future.weekday >= 4, 2.0, 1.0)
    assert future[0] == pd.Timestamp("2024-01-22 00:00")
    assert np.mean(np.abs(forecast["value"].to_numpy() - truth)) < 0.1 * truth.mean()


def test_mstl_short_series_drop_the_long_season() -> None:
    panel = hourly_panel(weeks=1)
    model = registry.create("mstl", ForecastConfig(method="mstl", freq="h", horizon=24))
    forecast = model.fit(panel).predict(24)
    assert getattr(model, "seasons_used") == {"h": (24,)}  # noqa: B009
    assert forecast["value"].notna().all()


def promo_panel(series: int = 4, days: int = 140) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(7)
    ds = pd.date_range(START, periods=days + 14, freq="D")
    rows = []
    for i in range(series):
        promotion = (rng.random(len(ds)) < 0.2).astype(float)
        y = WEEK[ds.weekday] * (i + 1) * (1.0 + 0.8 * promotion)
        rows.append(pd.DataFrame({"unique_id": f"s{i}", "ds": ds, "y": y, "promotion": promotion}))
    full = pd.concat(rows, ignore_index=True)
    history = full[full["ds"] < pd.Timestamp(START) + pd.Timedelta(days=days)]
    future = full[full["ds"] >= pd.Timestamp(START) + pd.Timedelta(days=days)]
    return history, future.drop(columns="y")


def test_gradient_boosting_uses_a_promotion_column() -> None:
    history, future = promo_panel()
    future = future.copy()
    # Promote every other day of the horizon, so each weekday is seen with and without.
    future["promotion"] = ((future["ds"] - future["ds"].min()).dt.days % 2 == 0).astype(float)
    config = ForecastConfig(method="gradient_boosting", horizon=14, exog_columns=("promotion",))
    model = registry.create("gradient_boosting", config).fit(history)
    forecast = model.predict(14, future_exog=future).merge(future, on=["unique_id", "ds"])
    forecast["weekday"] = forecast["ds"].dt.weekday
    by_promo = forecast.pivot_table(
        index=["unique_id", "weekday"], columns="promotion", values="value"
    )
    lift = by_promo[1.0] / by_promo[0.0]
    assert (lift > 1.3).all()
    importance = model.feature_importance()
    assert importance is not None
    assert importance["promotion"] > 0.05
    with pytest.raises(InvalidConfig):
        model.predict(14)
    with pytest.raises(InvalidConfig):
        model.predict(14, future_exog=future.iloc[:-1])


def test_gradient_boosting_learns_holidays_known_in_advance() -> None:
    days = 182
    ds = pd.date_range(START, periods=days + 14, freq="D")
    # A made-up holiday every 10 days doubles demand; the holidays are the business's own.
    holidays = frozenset(d.date() for d in ds[5::10])
    calendar = Calendar(extra_holidays=holidays)
    flags = np.isin(ds.date, list(holidays))
    rows = [
        pd.DataFrame(
            {"unique_id": f"s{i}", "ds": ds, "y": WEEK[ds.weekday] * (i + 1) * (1 + flags)}
        )
        for i in range(3)
    ]
    full = pd.concat(rows, ignore_index=True)
    history = full[full["ds"] < ds[days]]
    config = ForecastConfig(method="gradient_boosting", horizon=14, calendar=calendar)
    model = registry.create("gradient_boosting", config).fit(history)
    forecast = model.predict(14).merge(full, on=["unique_id", "ds"])
    holiday_rows = forecast["ds"].dt.date.isin(holidays).to_numpy()
    assert holiday_rows.any()
    ratio = forecast["value"] / forecast["y"]
    # Holidays forecast about double an ordinary day: within 25% of the truth, like other days.
    assert (ratio[holiday_rows].between(0.75, 1.25)).all()
    assert (ratio[~holiday_rows].between(0.8, 1.2)).all()
    importance = model.feature_importance()
    assert importance is not None
    assert (
        importance["is_holiday"] + importance["days_to_holiday"] + importance["days_from_holiday"]
        > 0.05
    )


@pytest.mark.parametrize("name", ["gradient_boosting", "random_forest"])
def test_feature_importance_sums_to_one(name: str) -> None:
    model = registry.create(name, ForecastConfig(method=name, horizon=7))
    assert model.feature_importance() is None
    model.fit(weekly_panel(series=3, weeks=8))
    importance = model.feature_importance()
    assert importance is not None
    assert sum(importance.values()) == pytest.approx(1.0)
    assert all(value >= 0 for value in importance.values())
    assert {"lag7", "day_of_week", "series_level"} <= set(importance)


@pytest.mark.parametrize("name", ["gradient_boosting", "random_forest"])
def test_feature_importance_of_a_constant_series_is_zero(name: str) -> None:
    # Nothing to learn from a series that never changes: no feature helped, so none may look
    # as useful as the others (an even share did).
    ds = pd.date_range(START, periods=70, freq="D")
    panel = pd.DataFrame({"unique_id": "flat", "ds": ds, "y": 0.0})
    model = registry.create(name, ForecastConfig(method=name, horizon=7)).fit(panel)
    importance = model.feature_importance()
    assert importance is not None and importance
    assert set(importance.values()) == {0.0}


def test_gradient_boosting_median_windows_add_same_weekday_medians() -> None:
    panel = weekly_panel(series=3, weeks=10)
    plain = registry.create("gradient_boosting", ForecastConfig(horizon=7)).fit(panel)
    assert not any("quantile" in name for name in plain.feature_importance() or {})
    config = ForecastConfig(horizon=7, params={"median_windows": [8, 4]})
    model = registry.create("gradient_boosting", config).fit(panel)
    medians = sorted(name for name in model.feature_importance() or {} if "quantile" in name)
    # The median (p0.5) of the same weekday (season 7, from a week back) over 4 and 8 weeks.
    assert len(medians) == 2
    assert all("lag7_p0.5_season_length7" in name for name in medians)
    assert any("window_size4" in name for name in medians)
    assert any("window_size8" in name for name in medians)
    forecast = model.predict(7)
    assert relative_error(forecast, panel, "s1") < 0.1


@pytest.mark.parametrize("windows", [[0], "4", [True], [2.5], 4])
def test_gradient_boosting_rejects_bad_median_windows(windows: object) -> None:
    with pytest.raises(InvalidConfig):
        registry.create(
            "gradient_boosting", ForecastConfig(horizon=7, params={"median_windows": windows})
        )


def test_gradient_boosting_is_deterministic_for_a_seed() -> None:
    panel = weekly_panel(series=3, weeks=8)
    first = fit_predict("gradient_boosting", panel, horizon=7, seed=11)
    second = fit_predict("gradient_boosting", panel, horizon=7, seed=11)
    pd.testing.assert_frame_equal(first, second)


CLOSED_MONDAYS = Calendar(closed_weekdays=frozenset({0}))


@pytest.mark.parametrize(
    "name", ["seasonal_naive", "exp_smoothing", "theta", "gradient_boosting", "linear_trend"]
)
def test_closed_weekdays_are_not_learned_as_zeros(name: str) -> None:
    panel = weekly_panel(series=2, weeks=12)
    panel = panel[panel["ds"].dt.weekday != 0]  # shut on Mondays: absent from the panel
    forecast = fit_predict(name, panel, horizon=14, calendar=CLOSED_MONDAYS)
    future = pd.DatetimeIndex(forecast["ds"])
    open_days = future.weekday != 0
    # 14 consecutive days after the last Sunday, Mondays included (the forecaster zeroes them).
    assert (~open_days).sum() == 2 * 2
    for uid in ("s0", "s1"):
        mask = (forecast["unique_id"] == uid).to_numpy() & open_days
        truth = WEEK[future[mask].weekday] * (int(uid[1:]) + 1)
        error = np.mean(np.abs(forecast.loc[mask, "value"].to_numpy() - truth)) / truth.mean()
        assert error < 0.08, uid
        # The filled Monday is a plausible level, not a zero that would drag the week down.
        monday = forecast.loc[(forecast["unique_id"] == uid).to_numpy() & ~open_days, "value"]
        assert (monday > 0.5 * truth.min()).all()


def test_gaps_are_filled_and_reported() -> None:
    panel = weekly_panel(series=2, weeks=8)
    gaps = [pd.Timestamp("2024-01-17"), pd.Timestamp("2024-02-07")]
    holed = panel[~((panel["unique_id"] == "s1") & panel["ds"].isin(gaps))]
    model = registry.create("exp_smoothing", ForecastConfig(horizon=7))
    forecast = model.fit(holed).predict(7)
    filled = getattr(model, "filled_")  # noqa: B009
    assert filled["unique_id"].tolist() == ["s1", "s1"]
    assert filled["ds"].tolist() == gaps
    assert relative_error(forecast, panel, "s1") < 0.05


def test_naive_local_timestamps_across_a_dst_change() -> None:
    # Europe's clocks go forward on 31 March 2024: the naive local hours stay 24 a day.
    ds = pd.date_range("2024-03-18", "2024-03-30 23:00", freq="h")
    panel = pd.DataFrame({"unique_id": "h", "ds": ds, "y": 5.0 + (ds.hour % 24 >= 12)})
    forecast = fit_predict("seasonal_naive", panel, horizon=48, freq="h")
    future = pd.DatetimeIndex(forecast["ds"])
    assert len(set(future)) == 48
    assert pd.Timestamp("2024-03-31 02:00") in set(future)
    assert np.allclose(forecast["value"], 5.0 + (future.hour >= 12))
    aware = panel.assign(ds=panel["ds"].dt.tz_localize("UTC"))
    with pytest.raises(InvalidConfig):
        fit_predict("seasonal_naive", aware, horizon=4, freq="h")


def hourly_weekly_panel(days: int, uid: str = "h") -> pd.DataFrame:
    """Hours whose demand depends on the weekday and the hour: 10 + hour, times the day's
    weight of WEEK (Saturday busier than Friday)."""
    ds = pd.date_range(START, periods=24 * days, freq="h")
    y = (10.0 + ds.hour) * WEEK[ds.weekday] / 10.0
    return pd.DataFrame({"unique_id": uid, "ds": ds, "y": y})


def hourly_truth(forecast: pd.DataFrame) -> np.ndarray:
    future = pd.DatetimeIndex(forecast["ds"])
    return np.asarray((10.0 + future.hour) * WEEK[future.weekday] / 10.0)


@pytest.mark.parametrize("cycles", [1, 4])
def test_hourly_seasonal_baselines_look_a_week_back(cycles: int) -> None:
    # Three weeks of hours: next Saturday's hours are last Saturday's, not Friday's.
    panel = hourly_weekly_panel(days=21)
    forecast = fit_predict(
        "seasonal_naive", panel, horizon=168, freq="h", params={"cycles": cycles}
    )
    assert len(forecast) == 168
    assert np.allclose(forecast["value"], hourly_truth(forecast))


def test_hourly_seasonal_naive_with_less_than_a_week_repeats_the_last_day() -> None:
    short = hourly_weekly_panel(days=3, uid="short")  # Monday to Wednesday
    tiny = hourly_weekly_panel(days=1, uid="tiny").iloc[:10]  # ten hours of a Monday
    forecast = fit_predict("seasonal_naive", pd.concat([short, tiny]), horizon=24, freq="h")
    short_values = forecast.loc[forecast["unique_id"] == "short", "value"].to_numpy()
    assert np.allclose(short_values, (10.0 + np.arange(24)) * WEEK[2] / 10.0)
    tiny_values = forecast.loc[forecast["unique_id"] == "tiny", "value"].to_numpy()
    assert np.allclose(tiny_values, tiny["y"].iloc[-1])


def test_hourly_seasonal_naive_keeps_an_explicit_daily_season() -> None:
    panel = hourly_weekly_panel(days=21)
    forecast = fit_predict("seasonal_naive", panel, horizon=24, freq="h", season_length=24)
    # 2024-01-21 (the last day) is a Sunday: the next Monday repeats Sunday's hours.
    assert np.allclose(forecast["value"], (10.0 + np.arange(24)) * WEEK[6] / 10.0)


def test_moving_average_is_the_mean_of_the_window() -> None:
    panel = pd.DataFrame(
        {"unique_id": "m", "ds": pd.date_range(START, periods=10), "y": np.arange(10.0)}
    )
    forecast = fit_predict("moving_average", panel, horizon=3, params={"window": 4})
    assert np.allclose(forecast["value"], np.mean([6.0, 7.0, 8.0, 9.0]))
    assert "lo-80" not in forecast.columns


def test_seasonal_naive_cycles_is_the_median_of_the_same_weekday() -> None:
    # Eight weeks of the weekly shape with a one-off party on the last Saturday: one season
    # back repeats it, the median of the last eight Saturdays ignores it.
    ds = pd.date_range(START, periods=56, freq="D")
    y = WEEK[ds.weekday].copy()
    y[-2] = 400.0
    panel = pd.DataFrame({"unique_id": "m", "ds": ds, "y": y})
    model = registry.create(
        "seasonal_naive", ForecastConfig(method="seasonal_naive", params={"cycles": 8})
    )
    assert isinstance(model, SeasonalMedianMethod)
    forecast = model.fit(panel).predict(14)
    future = pd.DatetimeIndex(forecast["ds"])
    assert np.allclose(forecast["value"], WEEK[future.weekday])
    assert "lo-80" not in forecast.columns
    plain = fit_predict("seasonal_naive", panel, horizon=7)
    assert plain["value"].max() == 400.0
    # Only the last `cycles` seasons count: a level change two weeks ago is the new normal
    # for cycles=3, not for cycles=8.
    y2 = WEEK[ds.weekday] * np.where(np.arange(56) >= 42, 2.0, 1.0)
    shifted = pd.DataFrame({"unique_id": "m", "ds": ds, "y": y2})
    recent = fit_predict("seasonal_naive", shifted, horizon=7, params={"cycles": 3})
    older = fit_predict("seasonal_naive", shifted, horizon=7, params={"cycles": 8})
    weekday = pd.DatetimeIndex(recent["ds"]).weekday
    assert np.allclose(recent["value"], 2.0 * WEEK[weekday])
    assert np.allclose(older["value"], WEEK[weekday])


def test_seasonal_median_leaves_holidays_out_and_scales_future_ones() -> None:
    ds = pd.date_range(START, periods=7 * 20 + 14, freq="D")
    # A holiday every 10 days halves demand (most of them on other weekdays than the next).
    holidays = frozenset(d.date() for d in ds[3::10])
    flags = np.isin(ds.date, list(holidays))
    y = WEEK[ds.weekday] * np.where(flags, 0.5, 1.0)
    full = pd.DataFrame({"unique_id": "h", "ds": ds, "y": y})
    history = full[full["ds"] < ds[140]]
    calendar = Calendar(extra_holidays=holidays)
    config = ForecastConfig(
        method="seasonal_naive", horizon=14, calendar=calendar, params={"cycles": 4}
    )
    forecast = registry.create("seasonal_naive", config).fit(history).predict(14)
    scored = forecast.merge(full, on=["unique_id", "ds"])
    holiday_rows = scored["ds"].dt.date.isin(holidays).to_numpy()
    assert holiday_rows.any()
    assert np.allclose(scored.loc[~holiday_rows, "value"], scored.loc[~holiday_rows, "y"])
    ratio = scored.loc[holiday_rows, "value"] / scored.loc[holiday_rows, "y"]
    assert ratio.between(0.8, 1.25).all()
    plain = ForecastConfig(
        method="seasonal_naive",
        horizon=14,
        calendar=calendar,
        params={"cycles": 4, "holiday_adjust": False},
    )
    unadjusted = registry.create("seasonal_naive", plain).fit(history).predict(14)
    values = unadjusted.merge(full, on=["unique_id", "ds"])
    assert (values.loc[holiday_rows, "value"] > 1.5 * values.loc[holiday_rows, "y"]).all()
    with pytest.raises(InvalidConfig):
        registry.create("seasonal_naive", ForecastConfig(params={"cycles": 0}))
    with pytest.raises(InvalidConfig):
        registry.create("seasonal_naive", ForecastConfig(params={"cycles": 4, "holiday_adjust": 1}))


def test_cold_start_series_borrow_through_static_groups() -> None:
    panel = weekly_panel(series=4, weeks=10)
    short = panel[
        (panel["unique_id"] == "s1") & (panel["ds"] >= panel["ds"].max() - pd.Timedelta(days=9))
    ]
    panel = pd.concat([panel[panel["unique_id"] != "s1"], short.assign(unique_id="new")])
    static = StaticFeatures(
        groups={
            "s0": {"category": "pizza", "location": "north"},
            "s2": {"category": "pizza", "location": "south"},
            "s3": {"category": "pasta", "location": "north"},
            "new": {"category": "pizza", "location": "north"},
        }
    )
    model = registry.create("gradient_boosting", ForecastConfig(horizon=7))
    forecast = model.fit(panel, static=static).predict(7)
    new = forecast[forecast["unique_id"] == "new"]
    future = pd.DatetimeIndex(new["ds"])
    truth = WEEK[future.weekday] * 2
    assert np.mean(np.abs(new["value"].to_numpy() - truth)) / truth.mean() < 0.2
    importance = model.feature_importance()
    assert importance is not None
    assert {"group_category", "group_location"} <= set(importance)


def test_bad_inputs() -> None:
    model = registry.create("theta", ForecastConfig())
    with pytest.raises(InvalidConfig):
        model.predict(7)  # not fitted
    with pytest.raises(InsufficientHistory):
        model.fit(pd.DataFrame({"unique_id": [], "ds": pd.to_datetime([]), "y": []}))
    with pytest.raises(InvalidConfig):
        model.fit(pd.DataFrame({"unique_id": ["a"], "ds": [pd.Timestamp(START)]}))
    duplicated = pd.DataFrame(
        {"unique_id": ["a", "a"], "ds": [pd.Timestamp(START)] * 2, "y": [1.0, 2.0]}
    )
    with pytest.raises(InvalidConfig):
        model.fit(duplicated)
    off_grid = pd.DataFrame(
        {"unique_id": ["a"], "ds": [pd.Timestamp("2024-01-01 10:30")], "y": [1.0]}
    )
    with pytest.raises(InvalidConfig):
        model.fit(off_grid)
    fitted = registry.create("theta", ForecastConfig()).fit(weekly_panel(series=1, weeks=4))
    with pytest.raises(InvalidConfig):
        fitted.predict(0)


def test_short_series_fall_back_instead_of_failing() -> None:
    panel = pd.concat(
        [
            weekly_panel(series=1, weeks=6),
            pd.DataFrame(
                {"unique_id": "tiny", "ds": pd.date_range(START, periods=3), "y": [4.0, 5.0, 6.0]}
            ),
        ]
    )
    for name in ("seasonal_naive", "exp_smoothing", "theta", "arima"):
        forecast = fit_predict(name, panel, horizon=7)
        tiny = forecast[forecast["unique_id"] == "tiny"]
        assert len(tiny) == 7 and tiny["value"].notna().all(), name


@pytest.mark.skipif(importlib.util.find_spec("prophet") is None, reason="prophet not installed")
def test_prophet_learns_the_weekly_pattern() -> None:
    panel = weekly_panel(series=1, weeks=10)
    calendar = Calendar(extra_holidays=frozenset({date(2024, 3, 15)}))
    forecast = fit_predict("prophet", panel, horizon=7, calendar=calendar)
    assert relative_error(forecast, panel, "s0") < 0.1
    assert {"lo-80", "hi-80", "lo-95", "hi-95"} <= set(forecast.columns)


@pytest.mark.parametrize(
    ("freq", "periods", "season"),
    [("h", 24 * 21, 24), ("W-MON", 120, 52), ("MS", 40, 12)],
)
@pytest.mark.parametrize(
    "name",
    [
        "seasonal_naive",
        "moving_average",
        "exp_smoothing",
        "theta",
        "intermittent",
        "linear_trend",
        "gradient_boosting",
    ],
)
def test_every_frequency_gives_a_seasonal_forecast(
    name: str, freq: str, periods: int, season: int
) -> None:
    ds = pd.date_range("2020-01-06", periods=periods, freq=freq)
    position = np.arange(periods) % season
    y = 20.0 + 10.0 * np.sin(2 * np.pi * position / season) + 5.0
    panel = pd.DataFrame({"unique_id": "x", "ds": ds, "y": y})
    horizon = 6
    forecast = fit_predict(name, panel, horizon=horizon, freq=freq)
    expected = pd.date_range(ds[-1], periods=horizon + 1, freq=freq)[1:]
    assert pd.DatetimeIndex(forecast["ds"]).equals(expected)
    assert forecast["value"].notna().all()
    future_position = (np.arange(periods, periods + horizon)) % season
    truth = 25.0 + 10.0 * np.sin(2 * np.pi * future_position / season)
    error = np.mean(np.abs(forecast["value"].to_numpy() - truth))
    if name in ("seasonal_naive", "exp_smoothing", "gradient_boosting", "linear_trend"):
        # Methods that model the season reproduce it; the flat ones only stay in range.
        tolerance = 0.1 if name != "gradient_boosting" or freq == "h" else 0.3
        assert error < tolerance * truth.mean(), (name, freq)
    else:
        assert (forecast["value"].between(10.0, 40.0)).all(), (name, freq)


def test_recursive_steps_are_capped_at_the_series_ceiling() -> None:
    from tableside.forecasting.engine.models.machine_learning import _ClosedPeriodFill

    tail = np.array([[1.0, 2.0], [3.0, 4.0]])
    closed = np.zeros((2, 3), dtype=bool)
    step = _ClosedPeriodFill(tail, closed, ceiling=np.array([5.0, 8.0]))
    # A runaway step is capped, and the capped value is what the next lags see.
    assert step(np.array([1e59, 6.0])).tolist() == [5.0, 6.0]
    assert step.history[-1].tolist() == [5.0, 6.0]
    assert step(np.array([-2.0, 9.0])).tolist() == [-2.0, 8.0]


def test_gradient_boosting_never_forecasts_past_three_times_the_record() -> None:
    history, _future = promo_panel()
    config = ForecastConfig(
        method="gradient_boosting", horizon=14, params={"learning_rate": 1.0, "n_estimators": 50}
    )
    forecast = registry.create("gradient_boosting", config).fit(history.drop(columns="promotion"))
    values = forecast.predict(14).merge(
        history.groupby("unique_id", as_index=False)["y"].max(), on="unique_id"
    )
    assert (values["value"] <= 3.0 * values["y"] + 1e-6).all()

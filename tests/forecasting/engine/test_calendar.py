"""Calendar: holidays, closed periods, features, the future frame and gap filling."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from tableside.forecasting.engine.calendar import (
    HOLIDAY_DISTANCE_CAP,
    calendar_features,
    closed_flags,
    fill_gaps,
    future_frame,
    holiday_dates,
    holiday_factors,
    holiday_flags,
    holiday_ratios,
)
from tableside.forecasting.engine.errors import InvalidConfig
from tableside.forecasting.engine.types import Calendar


def test_public_and_own_holidays() -> None:
    calendar = Calendar(country="US", extra_holidays=frozenset({date(2024, 7, 5)}))
    found = holiday_dates(calendar, date(2024, 7, 1), date(2024, 7, 31))
    assert found == [date(2024, 7, 4), date(2024, 7, 5)]
    flags = holiday_flags(pd.date_range("2024-07-03", periods=4, freq="D"), calendar)
    assert flags.tolist() == [False, True, True, False]


def test_japanese_holidays_and_subdivision() -> None:
    japan = holiday_dates(Calendar(country="JP"), date(2017, 3, 1), date(2017, 3, 31))
    assert japan == [date(2017, 3, 20)]  # Vernal Equinox Day
    # Epiphany (6 January) is a public holiday in Bavaria, not in Berlin.
    bavaria = holiday_dates(
        Calendar(country="DE", subdivision="BY"), date(2024, 1, 6), date(2024, 1, 6)
    )
    berlin = holiday_dates(
        Calendar(country="DE", subdivision="BE"), date(2024, 1, 6), date(2024, 1, 6)
    )
    assert bavaria == [date(2024, 1, 6)]
    assert berlin == []


def test_unknown_country_is_invalid_config() -> None:
    with pytest.raises(InvalidConfig):
        holiday_dates(Calendar(country="XX"), date(2024, 1, 1), date(2024, 12, 31))


def test_closed_weekdays_dates_and_hours() -> None:
    calendar = Calendar(
        closed_weekdays=frozenset({0}),
        closed_dates=frozenset({date(2024, 12, 25)}),
        open_hours={1: (11, 22), 5: (18, 2)},
    )
    days = pd.to_datetime(["2024-12-23", "2024-12-24", "2024-12-25", "2024-12-26"])
    assert closed_flags(days, calendar, "D").tolist() == [True, False, True, False]
    # Tuesday 2024-12-24: open 11-22; Saturday 2024-12-28 trades past midnight (18-02).
    tuesday = pd.date_range("2024-12-24 00:00", periods=24, freq="h")
    open_tuesday = ~closed_flags(tuesday, calendar, "h")
    assert np.flatnonzero(open_tuesday).tolist() == list(range(11, 22))
    saturday = pd.date_range("2024-12-28 00:00", periods=24, freq="h")
    open_saturday = ~closed_flags(saturday, calendar, "h")
    assert np.flatnonzero(open_saturday).tolist() == [0, 1, *range(18, 24)]
    # A weekday without open_hours trades all day (Thursday).
    thursday = pd.date_range("2024-12-26 00:00", periods=24, freq="h")
    assert not closed_flags(thursday, calendar, "h").any()


def test_hours_before_the_day_start_belong_to_the_previous_business_day() -> None:
    # Closed on Mondays and on 2024-12-25, business days from 04:00: Sunday night's hours
    # after midnight are open, Monday's hours from 04:00 to Tuesday 03:00 closed.
    calendar = Calendar(
        closed_weekdays=frozenset({0}), closed_dates=frozenset({date(2024, 12, 25)}),
        day_start_hour=4,
    )  # fmt: skip
    monday = pd.date_range("2024-12-23 00:00", periods=24, freq="h")
    assert np.flatnonzero(~closed_flags(monday, calendar, "h")).tolist() == [0, 1, 2, 3]
    tuesday = pd.date_range("2024-12-24 00:00", periods=24, freq="h")
    assert np.flatnonzero(closed_flags(tuesday, calendar, "h")).tolist() == [0, 1, 2, 3]
    christmas = pd.date_range("2024-12-25 00:00", periods=28, freq="h")
    assert np.flatnonzero(closed_flags(christmas, calendar, "h")).tolist() == list(range(4, 28))


def test_a_week_is_closed_only_when_every_day_is() -> None:
    every_day = Calendar(closed_weekdays=frozenset(range(7)))
    some_days = Calendar(closed_weekdays=frozenset({0, 1}))
    weeks = pd.date_range("2024-01-01", periods=3, freq="W-MON")
    assert closed_flags(weeks, every_day, "W-MON").all()
    assert not closed_flags(weeks, some_days, "W-MON").any()


def test_daily_calendar_features() -> None:
    calendar = Calendar(country="GB", closed_weekdays=frozenset({6}))
    ds = pd.date_range("2024-12-20", "2024-12-31", freq="D")
    features = calendar_features(ds, calendar, "D")
    assert list(features.columns) == [
        "day_of_week",
        "day_of_month",
        "month",
        "week_of_year",
        "is_holiday",
        "days_to_holiday",
        "days_from_holiday",
        "is_closed",
    ]
    by_day = features.set_index(ds.date)
    assert by_day.loc[date(2024, 12, 25), "is_holiday"] == 1
    assert by_day.loc[date(2024, 12, 26), "is_holiday"] == 1  # Boxing Day
    assert by_day.loc[date(2024, 12, 23), "days_to_holiday"] == 2
    assert by_day.loc[date(2024, 12, 23), "days_from_holiday"] == HOLIDAY_DISTANCE_CAP
    assert by_day.loc[date(2024, 12, 28), "days_from_holiday"] == 2
    assert by_day.loc[date(2024, 12, 31), "days_to_holiday"] == 1  # New Year's Day
    assert by_day.loc[date(2024, 12, 22), "is_closed"] == 1  # a Sunday
    assert by_day.loc[date(2024, 12, 23), "day_of_week"] == 0
    assert by_day.loc[date(2024, 12, 30), "week_of_year"] == 1  # ISO week 1 of 2025


def test_hourly_weekly_and_monthly_features() -> None:
    hourly = calendar_features(pd.date_range("2024-01-01", periods=48, freq="h"), Calendar(), "h")
    assert hourly["hour"].tolist() == list(range(24)) * 2
    assert hourly["is_holiday"].sum() == 0
    us = Calendar(country="US")
    weekly = calendar_features(pd.date_range("2024-07-01", periods=2, freq="W-MON"), us, "W-MON")
    assert weekly["is_holiday"].tolist() == [1, 0]  # the week of 4 July
    monthly = calendar_features(pd.date_range("2024-11-01", periods=2, freq="MS"), us, "MS")
    assert monthly["is_holiday"].tolist() == [2, 1]  # Veterans and Thanksgiving; Christmas


def test_time_zone_aware_timestamps_are_rejected() -> None:
    aware = pd.date_range("2024-03-30", periods=3, freq="D", tz="Europe/London")
    with pytest.raises(InvalidConfig):
        calendar_features(aware, Calendar(), "D")


def test_unsupported_frequency() -> None:
    with pytest.raises(InvalidConfig):
        future_frame(pd.DataFrame({"unique_id": ["a"], "ds": [pd.Timestamp("2024-01-01")]}), 3, "Q")


def test_future_frame_starts_after_each_series_and_flags_closed_days() -> None:
    panel = pd.DataFrame(
        {
            "unique_id": ["a", "a", "b"],
            "ds": pd.to_datetime(["2024-01-05", "2024-01-06", "2024-01-03"]),
            "y": [1.0, 2.0, 3.0],
        }
    )
    calendar = Calendar(closed_weekdays=frozenset({0}))
    future = future_frame(panel, 3, "D", calendar)
    a = future[future["unique_id"] == "a"]
    b = future[future["unique_id"] == "b"]
    assert a["ds"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-07", "2024-01-08", "2024-01-09"]
    assert a["is_closed"].tolist() == [False, True, False]  # the closed Monday is kept, flagged
    assert b["ds"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-04", "2024-01-05", "2024-01-06"]


def test_future_frame_monthly_and_hourly_across_dst() -> None:
    monthly = pd.DataFrame({"unique_id": ["m"], "ds": [pd.Timestamp("2024-11-01")], "y": [1.0]})
    months = future_frame(monthly, 3, "MS")["ds"].dt.strftime("%Y-%m-%d").tolist()
    assert months == ["2024-12-01", "2025-01-01", "2025-02-01"]
    # Naive local clock hours: the night the clocks go forward (31 March 2024 in Europe) still
    # has 24 hours, 02:00 included.
    hourly = pd.DataFrame(
        {"unique_id": ["h"], "ds": [pd.Timestamp("2024-03-30 23:00")], "y": [1.0]}
    )
    hours = future_frame(hourly, 24, "h")["ds"]
    assert hours.iloc[0] == pd.Timestamp("2024-03-31 00:00")
    assert hours.iloc[-1] == pd.Timestamp("2024-03-31 23:00")
    assert pd.Timestamp("2024-03-31 02:00") in set(hours)


def _weekly_panel(weeks: int = 8) -> pd.DataFrame:
    ds = pd.date_range("2024-01-01", periods=7 * weeks, freq="D")
    pattern = np.array([10.0, 12, 14, 16, 30, 40, 20])
    return pd.DataFrame(
        {"unique_id": "a", "ds": ds, "y": pattern[ds.weekday] + np.arange(len(ds)) % 3}
    )


def test_fill_gaps_puts_back_missing_periods_with_the_seasonal_median() -> None:
    panel = _weekly_panel()
    closed = panel["ds"].dt.weekday == 0  # a restaurant shut on Mondays: absent, not zero
    gap = panel["ds"] == pd.Timestamp("2024-01-25")  # a Thursday lost in an export
    observed = panel[~closed & ~gap]
    result = fill_gaps(observed, "D", Calendar(closed_weekdays=frozenset({0})))
    assert len(result.panel) == len(panel) - 1  # from the first Tuesday to the last Sunday
    # Every Monday after the first observation (the first Monday precedes it) and the gap.
    assert result.filled.sum() == (closed.sum() - 1) + 1
    filled = result.panel[result.filled].set_index("ds")["y"]
    thursdays = observed[observed["ds"].dt.weekday == 3]["y"]
    assert filled[pd.Timestamp("2024-01-25")] == pytest.approx(
        thursdays[
            (observed["ds"] - pd.Timestamp("2024-01-25")).abs() <= pd.Timedelta(days=28)
        ].median()
    )
    # No Monday was ever observed: the series median, never zero.
    mondays = filled[filled.index.weekday == 0]
    assert (mondays == observed["y"].median()).all()
    assert (result.panel["y"] > 0).all()
    # Observed rows are untouched.
    kept = result.panel[~result.filled].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, observed.reset_index(drop=True), check_dtype=False)


def test_fill_gaps_carries_exogenous_columns_and_is_a_no_op_on_regular_series() -> None:
    panel = _weekly_panel(2)
    panel["promotion"] = (panel["ds"].dt.day % 2).astype(float)
    result = fill_gaps(panel, "D")
    assert not result.filled.any()
    pd.testing.assert_frame_equal(result.panel, panel.reset_index(drop=True))
    holed = panel.drop(index=[3, 4])
    refilled = fill_gaps(holed, "D")
    assert refilled.filled.sum() == 2
    assert refilled.panel.loc[3, "promotion"] == holed.loc[2, "promotion"]


def _holiday_panel(uplift: dict[str, float]) -> tuple[pd.DataFrame, Calendar]:
    """Weekday-patterned daily series whose holidays (every 20th day) are ``uplift`` times
    their weekday's level."""
    rng = np.random.default_rng(3)
    ds = pd.date_range("2024-01-01", periods=300, freq="D")
    holidays_ = frozenset(d.date() for d in ds[30::20])
    frames = []
    for uid, factor in uplift.items():
        level = 50.0 + 10.0 * ds.weekday.to_numpy() + rng.normal(0.0, 1.0, len(ds))
        is_holiday = np.isin(ds.date, list(holidays_))
        y = np.where(is_holiday, (level + 1.0) * factor - 1.0, level)
        frames.append(pd.DataFrame({"unique_id": uid, "ds": ds, "y": y}))
    return pd.concat(frames, ignore_index=True), Calendar(extra_holidays=holidays_)


def test_holiday_factors_learn_a_known_uplift_per_series() -> None:
    panel, calendar = _holiday_panel({"busy": 1.8, "quiet": 0.5})
    ratios = holiday_ratios(panel, calendar)
    # Every holiday but the first (too close to the start for four weeks of history).
    assert ratios.groupby("unique_id").size().min() >= 12
    factors, pooled = holiday_factors(ratios, shrink=0.0)
    assert factors["busy"] == pytest.approx(1.8, rel=0.05)
    assert factors["quiet"] == pytest.approx(0.5, rel=0.05)
    assert pooled == pytest.approx(np.sqrt(1.8 * 0.5), rel=0.05)
    # Shrinkage pulls a series toward the pooled effect, the more the fewer its holidays.
    few = ratios[(ratios["unique_id"] == "quiet") | (ratios["ds"] < "2024-04-01")]
    shrunk, _ = holiday_factors(few, shrink=5.0)
    assert factors["busy"] > shrunk["busy"] > 1.0


def test_holiday_ratios_use_only_the_weeks_before() -> None:
    panel, calendar = _holiday_panel({"a": 2.0})
    first = holiday_ratios(panel, calendar)
    # Wrecking everything after a holiday changes nothing about that holiday's ratio.
    day = first["ds"].iloc[3]
    later = panel["ds"] > day
    changed = panel.assign(y=np.where(later, panel["y"] * 7.0, panel["y"]))
    second = holiday_ratios(changed, calendar)
    kept = first["ds"] <= day
    assert np.allclose(first.loc[kept, "log_ratio"], second.loc[second["ds"] <= day, "log_ratio"])
    assert holiday_ratios(panel, Calendar()).empty
    assert holiday_factors(holiday_ratios(panel, Calendar()))[1] == 1.0

"""The engine's data shapes, shared by every method, the backtest and the API layer.

A *panel* is a long pandas DataFrame in the Nixtla convention, one row per series and period:

- ``unique_id`` (str): the series key, e.g. ``"loc:<uuid>|item:<uuid>"``;
- ``ds`` (datetime64[ns], naive, business-local): the period start (an hour, a business day,
  a week's Monday or a month's first day);
- ``y`` (float): the observed value (revenue, units or covers) of an *open* period;
- optional exogenous columns (``is_holiday``, ``marketing_spend``, ``promotion``, ...), numeric.

Closed periods (a restaurant shut on Mondays, a day with no trading at all) are *absent* from
the panel, never rows of zero: they are not demand to learn from. Gaps are filled inside the
engine (each method decides how) and closed future periods are forecast as zero.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

import pandas as pd

DEFAULT_LEVELS: tuple[int, ...] = (80, 95)

# Pandas offset aliases the engine accepts, by the API's granularity names.
FREQUENCIES: Mapping[str, str] = {"hour": "h", "day": "D", "week": "W-MON", "month": "MS"}

# The main seasonal period of each frequency (hourly data also has a weekly one: 168).
SEASON_LENGTHS: Mapping[str, int] = {"h": 24, "D": 7, "W-MON": 52, "MS": 12}


@dataclass(frozen=True)
class Calendar:
    """What the engine knows of the business's calendar.

    ``country`` (ISO code, e.g. "US", "GB", "JP") selects public holidays from the `holidays`
    package; ``extra_holidays`` adds the business's own. ``closed_weekdays`` (0 = Monday) and
    ``closed_dates`` are periods with no trading: not learned from, forecast as zero.
    ``open_hours`` maps a weekday to the local hours [open, close) traded, for hourly series
    (missing weekday = all 24 hours). ``day_start_hour`` is the local hour a business day
    starts (the day cutoff): an hour before it belongs to the previous day's weekday and date
    when closed days apply to hourly series (open until 02:00 on Sunday night, closed on
    Mondays: Monday 01:00 is open).
    """

    country: str | None = None
    subdivision: str | None = None
    extra_holidays: frozenset[date] = frozenset()
    closed_weekdays: frozenset[int] = frozenset()
    closed_dates: frozenset[date] = frozenset()
    open_hours: Mapping[int, tuple[int, int]] = field(default_factory=dict)
    day_start_hour: int = 0


@dataclass(frozen=True)
class ForecastConfig:
    """How to forecast: the method's stable name, the frequency, the horizon in periods,
    interval levels, and method parameters (``params``, validated by the method)."""

    method: str = "best"
    freq: str = "D"
    horizon: int = 28
    levels: tuple[int, ...] = DEFAULT_LEVELS
    season_length: int | None = None  # None: SEASON_LENGTHS[freq]
    calendar: Calendar = field(default_factory=Calendar)
    exog_columns: tuple[str, ...] = ()
    params: Mapping[str, object] = field(default_factory=dict)
    # Rolling-origin backtest used by `best`, `ensemble` and the conformal intervals.
    backtest_windows: int = 2
    backtest_step: int | None = None  # None: the horizon
    seed: int = 0

    @property
    def seasonality(self) -> int:
        return self.season_length or SEASON_LENGTHS[self.freq]


@dataclass(frozen=True)
class SeriesInfo:
    """Per-series facts of a fitted forecast: which method produced it and which fallback (if
    any) a short history needed, e.g. ``"category"``, ``"location"``, ``"business"``,
    ``"seasonal_naive"``; ``None`` when the series had enough history of its own."""

    unique_id: str
    method_used: str
    fallback: str | None = None
    history_length: int = 0


@dataclass
class ForecastOutput:
    """A forecast: ``points`` has ``unique_id``, ``ds``, ``value`` and, per level L,
    ``lo-L`` and ``hi-L`` columns (never negative, ``lo <= value <= hi``); ``series`` describes
    each series; ``metrics`` are backtest metrics per series (`metrics.evaluate` shape: numbers,
    the letter ``grade`` and ``None`` where undefined) and ``overall`` the pooled ones;
    ``feature_importance`` is set by tree models."""

    points: pd.DataFrame
    series: dict[str, SeriesInfo]
    levels: tuple[int, ...]
    metrics: dict[str, dict[str, float | str | None]] = field(default_factory=dict)
    overall: dict[str, float | str | None] = field(default_factory=dict)
    feature_importance: dict[str, float] | None = None
    parameters: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class StaticFeatures:
    """Groups a series belongs to, for cold start: ``groups`` maps unique_id to
    {"category": ..., "location": ...}; a short series borrows from its group's pooled shape
    through the global model."""

    groups: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def keys(self) -> Sequence[str]:
        return sorted({key for group in self.groups.values() for key in group})


class BaseModel(Protocol):
    """One forecasting method over a whole panel (what `registry.create(name, config)`
    returns). ``fit`` learns from the panel (open periods only); ``predict`` returns the next
    ``horizon`` periods after each series' last ``ds`` with columns ``unique_id``, ``ds``,
    ``value`` and, when the method has native intervals, ``lo-L``/``hi-L`` for every level of
    the config. Values may be negative here: the forecaster clips them."""

    name: str
    native_intervals: bool

    def fit(self, panel: pd.DataFrame, static: StaticFeatures | None = None) -> BaseModel: ...

    def predict(self, horizon: int, future_exog: pd.DataFrame | None = None) -> pd.DataFrame: ...

    def feature_importance(self) -> dict[str, float] | None: ...

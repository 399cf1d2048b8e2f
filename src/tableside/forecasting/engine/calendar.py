"""The business calendar as the engine sees it: public and own holidays, closed periods,
calendar features for the ML models, the future frame to forecast, and gap filling for the
methods that need a regular series.

Timestamps are naive business-local clock times (see `types`): an hourly series has exactly 24
hours on every day, whatever the daylight-saving rules say, so nothing here converts time zones.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from functools import lru_cache
from typing import NamedTuple

import holidays as holidays_lib
import numpy as np
import pandas as pd

from tableside.forecasting.engine.errors import InvalidConfig
from tableside.forecasting.engine.types import FREQUENCIES, SEASON_LENGTHS, Calendar

# Distances to holidays are capped: beyond a month the exact count carries no signal and an
# unbounded value would make the feature depend on how far the data reaches.
HOLIDAY_DISTANCE_CAP = 30

# How many seasonal cycles on each side of a missing period `fill_gaps` looks at.
FILL_CYCLES = 4

_DAY = np.timedelta64(1, "D")


def check_freq(freq: str) -> str:
    """Return ``freq`` if the engine supports it (a value of `types.FREQUENCIES`), else raise
    InvalidConfig. The API's granularity names ("day", ...) are accepted too."""
    if freq in FREQUENCIES:
        return FREQUENCIES[freq]
    if freq in SEASON_LENGTHS:
        return freq
    raise InvalidConfig(f"Unsupported frequency {freq!r}; use one of {sorted(SEASON_LENGTHS)}")


@lru_cache(maxsize=64)
def _public_holidays(country: str, subdivision: str | None, years: tuple[int, ...]) -> frozenset:
    try:
        found = holidays_lib.country_holidays(country, subdiv=subdivision, years=years)
    except NotImplementedError as exc:
        raise InvalidConfig(f"Unknown holiday country or subdivision: {exc}") from exc
    return frozenset(found.keys())


def holiday_dates(calendar: Calendar, start: date, end: date) -> list[date]:
    """Every holiday (public ones of the calendar's country/subdivision plus its
    ``extra_holidays``) between ``start`` and ``end`` inclusive, sorted."""
    found: set[date] = {d for d in calendar.extra_holidays if start <= d <= end}
    if calendar.country:
        years = tuple(range(start.year, end.year + 1))
        public = _public_holidays(calendar.country, calendar.subdivision, years)
        found.update(d for d in public if start <= d <= end)
    return sorted(found)


def _as_index(ds: pd.Series | pd.DatetimeIndex | Sequence[pd.Timestamp]) -> pd.DatetimeIndex:
    index = pd.DatetimeIndex(ds)
    if index.tz is not None:
        raise InvalidConfig("Timestamps must be naive business-local times, not time-zone aware")
    return index


def _day_numbers(index: pd.DatetimeIndex) -> np.ndarray:
    """Days since the epoch of each timestamp's calendar date (int64)."""
    return index.values.astype("datetime64[D]").astype(np.int64)


def _holiday_numbers(calendar: Calendar, first: int, last: int) -> np.ndarray:
    # A margin of a cap on each side so that distances at the edges see the holidays beyond.
    start = date(1970, 1, 1) + timedelta(days=int(first) - HOLIDAY_DISTANCE_CAP)
    end = date(1970, 1, 1) + timedelta(days=int(last) + HOLIDAY_DISTANCE_CAP)
    found = holiday_dates(calendar, start, end)
    return np.array([(d - date(1970, 1, 1)).days for d in found], dtype=np.int64)


def holiday_flags(
    ds: pd.Series | pd.DatetimeIndex | Sequence[pd.Timestamp], calendar: Calendar
) -> np.ndarray:
    """True where the timestamp's calendar date is a holiday."""
    days = _day_numbers(_as_index(ds))
    if len(days) == 0:
        return np.zeros(0, dtype=bool)
    holidays_ = _holiday_numbers(calendar, int(days.min()), int(days.max()))
    return np.isin(days, holidays_)


def _period_days(index: pd.DatetimeIndex, freq: str) -> tuple[np.ndarray, np.ndarray]:
    """First day number and number of days of each period (weeks and months span many days)."""
    first = _day_numbers(index)
    if freq == "W-MON":
        return first, np.full(len(first), 7, dtype=np.int64)
    if freq == "MS":
        return first, index.days_in_month.to_numpy().astype(np.int64)
    return first, np.ones(len(first), dtype=np.int64)


def _closed_days(days: np.ndarray, calendar: Calendar) -> np.ndarray:
    closed = np.zeros(len(days), dtype=bool)
    if calendar.closed_weekdays:
        # 1970-01-01 was a Thursday (weekday 3).
        weekdays = (days + 3) % 7
        closed |= np.isin(weekdays, list(calendar.closed_weekdays))
    if calendar.closed_dates:
        closed_numbers = [(d - date(1970, 1, 1)).days for d in calendar.closed_dates]
        closed |= np.isin(days, closed_numbers)
    return closed


def _closed_hours(index: pd.DatetimeIndex, calendar: Calendar) -> np.ndarray:
    closed = np.zeros(len(index), dtype=bool)
    if not calendar.open_hours:
        return closed
    hours = index.hour.to_numpy()
    weekdays = index.weekday.to_numpy()
    for weekday, (opens, closes) in calendar.open_hours.items():
        on_day = weekdays == weekday
        if closes > opens:
            open_now = (hours >= opens) & (hours < closes)
        else:
            # Trading past midnight: (18, 2) means 18:00-24:00 and 00:00-02:00 of that weekday.
            open_now = (hours >= opens) | (hours < closes)
        closed |= on_day & ~open_now
    return closed


def closed_flags(
    ds: pd.Series | pd.DatetimeIndex | Sequence[pd.Timestamp], calendar: Calendar, freq: str
) -> np.ndarray:
    """True where the period has no trading: a closed weekday or date (for hourly data, of the
    business day the hour belongs to), or for hourly data an hour outside ``open_hours``. A
    week or month is closed only when every day in it is."""
    freq = check_freq(freq)
    index = _as_index(ds)
    if len(index) == 0:
        return np.zeros(0, dtype=bool)
    if freq == "D":
        return _closed_days(_day_numbers(index), calendar)
    if freq == "h":
        business_days = _day_numbers(index - pd.Timedelta(hours=calendar.day_start_hour))
        return _closed_days(business_days, calendar) | _closed_hours(index, calendar)
    first, n_days = _period_days(index, freq)
    if not calendar.closed_weekdays and not calendar.closed_dates:
        return np.zeros(len(index), dtype=bool)
    all_closed = np.ones(len(index), dtype=bool)
    for offset in range(int(n_days.max())):
        inside = offset < n_days
        all_closed &= ~inside | _closed_days(first + offset, calendar)
    return all_closed


def _holiday_counts(index: pd.DatetimeIndex, freq: str, calendar: Calendar) -> np.ndarray:
    first, n_days = _period_days(index, freq)
    holidays_ = _holiday_numbers(calendar, int(first.min()), int((first + n_days).max()))
    start = np.searchsorted(holidays_, first, side="left")
    end = np.searchsorted(holidays_, first + n_days, side="left")
    return (end - start).astype(np.int64)


def calendar_feature_names(freq: str) -> list[str]:
    """The columns `calendar_features` produces for ``freq``, in order."""
    freq = check_freq(freq)
    if freq == "h":
        return ["hour", *calendar_feature_names("D")]
    if freq == "D":
        return [
            "day_of_week",
            "day_of_month",
            "month",
            "week_of_year",
            "is_holiday",
            "days_to_holiday",
            "days_from_holiday",
            "is_closed",
        ]
    if freq == "W-MON":
        return ["month", "week_of_year", "is_holiday", "is_closed"]
    return ["month", "is_holiday", "is_closed"]


def calendar_features(
    ds: pd.Series | pd.DatetimeIndex | Sequence[pd.Timestamp], calendar: Calendar, freq: str
) -> pd.DataFrame:
    """Calendar features of each timestamp for the ML models, all known in advance: hour, day of
    week (0 = Monday), day of month, month, ISO week of year, ``is_holiday`` (0/1; for weeks and
    months the number of holidays in the period), days to the next and from the previous holiday
    (capped at `HOLIDAY_DISTANCE_CAP`), and ``is_closed`` (0/1). Columns depend on ``freq``
    (`calendar_feature_names`); the index is positional."""
    freq = check_freq(freq)
    index = _as_index(ds)
    names = calendar_feature_names(freq)
    out: dict[str, np.ndarray] = {}
    if len(index) == 0:
        return pd.DataFrame({name: np.zeros(0, dtype=np.int64) for name in names})
    if "hour" in names:
        out["hour"] = index.hour.to_numpy().astype(np.int64)
    if "day_of_week" in names:
        out["day_of_week"] = index.weekday.to_numpy().astype(np.int64)
    if "day_of_month" in names:
        out["day_of_month"] = index.day.to_numpy().astype(np.int64)
    out["month"] = index.month.to_numpy().astype(np.int64)
    if "week_of_year" in names:
        out["week_of_year"] = index.isocalendar().week.to_numpy().astype(np.int64)
    if freq in ("h", "D"):
        days = _day_numbers(index)
        holidays_ = _holiday_numbers(calendar, int(days.min()), int(days.max()))
        out["is_holiday"] = np.isin(days, holidays_).astype(np.int64)
        out["days_to_holiday"], out["days_from_holiday"] = _holiday_distances(days, holidays_)
    else:
        out["is_holiday"] = _holiday_counts(index, freq, calendar)
    out["is_closed"] = closed_flags(index, calendar, freq).astype(np.int64)
    return pd.DataFrame({name: out[name] for name in names})


def _holiday_distances(days: np.ndarray, holidays_: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    cap = HOLIDAY_DISTANCE_CAP
    if len(holidays_) == 0:
        full = np.full(len(days), cap, dtype=np.int64)
        return full, full.copy()
    # The next holiday on or after each day, and the previous one on or before it.
    nxt = np.searchsorted(holidays_, days, side="left")
    prv = np.searchsorted(holidays_, days, side="right") - 1
    padded = np.concatenate([holidays_, [np.iinfo(np.int64).max // 2]])
    to_next = np.where(nxt < len(holidays_), padded[np.minimum(nxt, len(holidays_))] - days, cap)
    from_prev = np.where(prv >= 0, days - holidays_[np.maximum(prv, 0)], cap)
    return np.minimum(to_next, cap).astype(np.int64), np.minimum(from_prev, cap).astype(np.int64)


def future_frame(
    panel: pd.DataFrame, horizon: int, freq: str, calendar: Calendar | None = None
) -> pd.DataFrame:
    """The next ``horizon`` periods after each series' last ``ds``: columns ``unique_id``,
    ``ds`` and ``is_closed`` (bool). Nothing is skipped: closed periods are included and
    flagged (from ``calendar``; all False without one) so the forecaster can zero them."""
    freq = check_freq(freq)
    if horizon < 1:
        raise InvalidConfig("The horizon must be at least one period")
    last = panel.groupby("unique_id", sort=True, observed=True)["ds"].max()
    uids: list[np.ndarray] = []
    stamps: list[np.ndarray] = []
    # Series usually end on a handful of distinct dates: one date range per distinct end.
    for end, ids in last.groupby(last, sort=False):
        steps = pd.date_range(end, periods=horizon + 1, freq=freq)[1:].values
        n = len(ids)
        uids.append(np.repeat(ids.index.to_numpy(), horizon))
        stamps.append(np.tile(steps, n))
    if not uids:
        return pd.DataFrame(
            {
                "unique_id": pd.Series([], dtype=object),
                "ds": pd.Series([], dtype="datetime64[ns]"),
                "is_closed": pd.Series([], dtype=bool),
            }
        )
    frame = pd.DataFrame(
        {"unique_id": np.concatenate(uids), "ds": np.concatenate(stamps).astype("datetime64[ns]")}
    )
    frame = frame.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
    if calendar is None:
        frame["is_closed"] = False
    else:
        frame["is_closed"] = closed_flags(frame["ds"], calendar, freq)
    return frame


class FilledPanel(NamedTuple):
    """A regular panel from `fill_gaps`: ``panel`` has every period from each series' first to
    last ``ds``; ``filled`` (bool, aligned with ``panel``'s rows) marks the rows put back."""

    panel: pd.DataFrame
    filled: np.ndarray


def regular_grid(panel: pd.DataFrame, freq: str) -> pd.DataFrame:
    """Every period from each series' first to last ``ds`` (columns ``unique_id``, ``ds``),
    sorted by series then time."""
    freq = check_freq(freq)
    bounds = panel.groupby("unique_id", sort=True, observed=True)["ds"].agg(["min", "max"])
    if freq in ("h", "D", "W-MON"):
        step = pd.Timedelta(hours=1) if freq == "h" else pd.Timedelta(days=1 if freq == "D" else 7)
        counts = ((bounds["max"] - bounds["min"]) // step).to_numpy().astype(np.int64) + 1
        starts = np.repeat(bounds["min"].to_numpy(), counts)
        offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        stamps = starts + offsets * step.to_timedelta64()
        uids = np.repeat(bounds.index.to_numpy(), counts)
    else:
        parts = [
            pd.date_range(start, end, freq=freq).values
            for start, end in zip(bounds["min"], bounds["max"], strict=True)
        ]
        counts = np.array([len(p) for p in parts], dtype=np.int64)
        stamps = np.concatenate(parts) if parts else np.array([], dtype="datetime64[ns]")
        uids = np.repeat(bounds.index.to_numpy(), counts)
    return pd.DataFrame({"unique_id": uids, "ds": stamps.astype("datetime64[ns]")})


def fill_gaps(
    panel: pd.DataFrame,
    freq: str,
    calendar: Calendar | None = None,
    season_length: int | None = None,
    value_columns: Iterable[str] = ("y",),
) -> FilledPanel:
    """Make every series regular for the methods that need it (statsforecast, lags).

    Missing periods between a series' first and last observation, open or closed alike, get a
    robust seasonal value: the median of the same season position over up to `FILL_CYCLES`
    cycles on each side, else over the whole series at that position, else the series median.
    Never zero: a closed Monday is not demand of zero and must not drag the level or the weekly
    shape down (the forecaster zeroes closed future periods itself). Other columns of the panel
    (exogenous values) are carried forward within the series, then backward. ``calendar`` is
    accepted for symmetry with the other helpers: gaps are filled whatever their cause.
    """
    del calendar  # closed and merely missing periods get the same fill (see above)
    freq = check_freq(freq)
    season = int(season_length or SEASON_LENGTHS[freq])
    data = panel.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
    grid = regular_grid(data, freq)
    if len(grid) == len(data):
        return FilledPanel(data, np.zeros(len(data), dtype=bool))
    merged = grid.merge(data, on=["unique_id", "ds"], how="left", sort=False, indicator=True)
    filled = (merged.pop("_merge") == "left_only").to_numpy()
    codes, _ = pd.factorize(merged["unique_id"], sort=False)
    sizes = np.bincount(codes)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    position = np.arange(len(merged)) - starts[codes]
    for column in value_columns:
        values = merged[column].to_numpy(dtype=float, copy=True)
        values[filled] = _seasonal_fill(values, filled, codes, position, sizes, season)
        merged[column] = values
    others = [c for c in merged.columns if c not in ("unique_id", "ds", *value_columns)]
    if others:
        grouped = merged.groupby("unique_id", sort=False, observed=True)[others]
        merged[others] = grouped.ffill()
        merged[others] = merged.groupby("unique_id", sort=False, observed=True)[others].bfill()
    return FilledPanel(merged, filled)


def _seasonal_fill(
    values: np.ndarray,
    filled: np.ndarray,
    codes: np.ndarray,
    position: np.ndarray,
    sizes: np.ndarray,
    season: int,
) -> np.ndarray:
    rows = np.flatnonzero(filled)
    observed = np.where(filled, np.nan, values)
    own_size = sizes[codes[rows]]
    offsets = np.array(
        [k * season for k in range(-FILL_CYCLES, FILL_CYCLES + 1) if k != 0], dtype=np.int64
    )
    target = position[rows][:, None] + offsets[None, :]
    inside = (target >= 0) & (target < own_size[:, None])
    candidates = np.full(target.shape, np.nan)
    global_index = rows[:, None] + offsets[None, :]
    candidates[inside] = observed[global_index[inside]]
    with np.errstate(all="ignore"):
        result = _nanmedian_rows(candidates)
    missing = np.isnan(result)
    if missing.any():
        # Fall back to the whole series at the same season position, then the series median.
        frame = pd.DataFrame({"code": codes, "slot": position % season, "y": observed}, copy=False)
        by_slot = frame.groupby(["code", "slot"], sort=False)["y"].median()
        by_series = frame.groupby("code", sort=False)["y"].median()
        keys = pd.MultiIndex.from_arrays([codes[rows][missing], (position[rows][missing] % season)])
        slot_values = by_slot.reindex(keys).to_numpy()
        series_values = by_series.reindex(codes[rows][missing]).to_numpy()
        result[missing] = np.where(np.isnan(slot_values), series_values, slot_values)
    # A series with no observation at all cannot reach here (it would have no rows); guard
    # against NaN anyway so no method ever sees one.
    return np.nan_to_num(result, nan=0.0)


def _nanmedian_rows(candidates: np.ndarray) -> np.ndarray:
    if candidates.size == 0:
        return np.full(candidates.shape[0], np.nan)
    counts = (~np.isnan(candidates)).sum(axis=1)
    result = np.full(candidates.shape[0], np.nan)
    has = counts > 0
    if has.any():
        result[has] = np.nanmedian(candidates[has], axis=1)
    return result


__all__ = [
    "FILL_CYCLES",
    "HOLIDAY_DISTANCE_CAP",
    "FilledPanel",
    "calendar_feature_names",
    "calendar_features",
    "check_freq",
    "closed_flags",
    "fill_gaps",
    "future_frame",
    "holiday_dates",
    "holiday_flags",
    "regular_grid",
]


def holiday_ratios(panel: pd.DataFrame, calendar: Calendar, weeks: int = 4) -> pd.DataFrame:
    """Each open holiday of a daily panel against its series' usual level on that weekday:
    ``unique_id``, ``ds``, ``base`` (the mean of the same weekday in the ``weeks`` weeks
    *before* it, non-holidays only, at least two) and ``log_ratio`` = log((y + 1) / (base +
    1)). A ratio uses nothing after its own date, so it can be learned at any cutoff."""
    data = panel[["unique_id", "ds", "y"]]
    flags = holiday_flags(data["ds"], calendar)
    empty = pd.DataFrame({"unique_id": [], "ds": pd.to_datetime([]), "base": [], "log_ratio": []})
    if not flags.any():
        return empty
    normal = data[~flags].set_index(["unique_id", "ds"])["y"]
    normal = normal[~normal.index.duplicated()]
    days = data[flags]
    looked = [
        normal.reindex(
            pd.MultiIndex.from_arrays([days["unique_id"], days["ds"] - pd.Timedelta(days=7 * k)])
        ).to_numpy(dtype=float)
        for k in range(1, weeks + 1)
    ]
    block = np.column_stack(looked)
    count = np.isfinite(block).sum(axis=1)
    with np.errstate(invalid="ignore"):
        base = np.nanmean(np.where(count[:, None] > 0, block, 0.0), axis=1)
    keep = (count >= 2) & (base >= 0) & (days["y"].to_numpy(dtype=float) >= 0)
    if not keep.any():
        return empty
    ratio = np.log1p(days["y"].to_numpy(dtype=float)[keep]) - np.log1p(base[keep])
    return pd.DataFrame(
        {
            "unique_id": days["unique_id"].to_numpy()[keep],
            "ds": days["ds"].to_numpy()[keep],
            "base": base[keep],
            "log_ratio": ratio,
        }
    )


def holiday_factors(
    ratios: pd.DataFrame, shrink: float = 5.0, limits: tuple[float, float] = (0.2, 3.0)
) -> tuple[pd.Series, float]:
    """A multiplicative holiday effect per series from `holiday_ratios`: the series' mean log
    ratio shrunk toward the panel's pooled one (``shrink`` pseudo-holidays of it: a series
    with a couple of holidays says little on its own), clipped to ``limits``; and the pooled
    factor itself, for the series without a holiday of their own."""
    if ratios.empty:
        return pd.Series(dtype=float), 1.0
    pooled = float(ratios["log_ratio"].mean())
    grouped = ratios.groupby("unique_id", sort=True)["log_ratio"].agg(["sum", "count"])
    effect = (grouped["sum"] + shrink * pooled) / (grouped["count"] + shrink)
    factors = np.exp(effect).clip(*limits)
    return factors, float(np.clip(np.exp(pooled), *limits))

"""From the ledger's rollups to the engine's panels.

- `revenue` (net amount) and `item_units` (quantity) per business day come from the daily item
  rollups; `covers` (and any target by the hour) from the hourly rollups. Weeks (Monday) and
  months (the 1st) add up days; a period that is not over yet, or that began before the
  history window, is left out so a partial sum never looks like a slump.
- Scopes: `business` is one series; `location` one per location (or the one named); `category`
  the category's total; `item` one per item and location.
- Closed days are the days a location sold nothing at all: they are absent from the panel (not
  zeros). On an open day an item that did not sell is a real zero, from its first sale on.
  Hourly series hold the open hours of open days: the hours the location traded on at least
  a fifth of that weekday's recent open days (the same hours become `Calendar.open_hours`,
  so the forecast for the other hours is zero).
- The calendar: public holidays of the business's country (`settings["country"]`, else the
  country of its time zone), weekdays with no trading in the last eight weeks as closed
  weekdays, and dates closed every year the history shows them (Christmas) as closed dates.
  `training_config` may set `country`, `subdivision`, `closed_weekdays`, `closed_dates`,
  `extra_holidays` and `open_hours` explicitly (`open_hours` replaces the learned hours of the
  weekdays it names only).
- Daily signals of sales imports (unless `training_config.use_signals` is false): dates
  flagged `is_holiday` join the calendar's holidays, and `marketing_spend` becomes the
  exogenous column `marketing_spend` of daily panels once at least `MIN_SPEND_DAYS` days of
  the history window carry it. A series takes its location's spend plus what was recorded
  for the whole business (all of it for business-wide series); days without a record spent
  0. Future days take the spend imported for them (a plan), else the series' mean daily
  spend over the last `SPEND_RECENT_DAYS` days.
- Today's business day is still trading: the history ends yesterday.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.ext.asyncio import AsyncSession

from tableside.forecasting.engine.types import FREQUENCIES, Calendar, StaticFeatures
from tableside.forecasting.repository import SalesDataRepository, SeriesFilter
from tableside.kit.business_time import business_date
from tableside.kit.schemas import utcnow
from tableside.models import NO_KEY, ForecastGranularity, ForecastScope, ForecastTarget

# Default history read per granularity, in days.
HISTORY_DAYS: Mapping[ForecastGranularity, int] = {
    ForecastGranularity.hour: 56,
    ForecastGranularity.day: 730,
    ForecastGranularity.week: 3 * 365,
    ForecastGranularity.month: 5 * 365,
}
# An hour is an opening hour of a weekday when it traded on this share of recent open days.
OPEN_HOUR_SHARE = 0.2
# Closed weekdays and opening hours are read from this recent window.
RECENT_DAYS = 56
# Marketing spend becomes a feature once this many days of the history carry it; future days
# without a planned figure take the mean of this many recent days.
SPEND_COLUMN = "marketing_spend"
MIN_SPEND_DAYS = 14
SPEND_RECENT_DAYS = 28
ZONE_TABLES = (
    Path("/usr/share/zoneinfo/zone1970.tab"),
    Path("/usr/share/zoneinfo/zone.tab"),
)


@dataclass(frozen=True)
class SeriesSpec:
    """What a forecast reads (the definition's fields that shape its panel)."""

    target: ForecastTarget
    scope: ForecastScope
    granularity: ForecastGranularity
    location_id: uuid.UUID | None = None
    category_id: uuid.UUID | None = None
    item_ids: tuple[uuid.UUID, ...] = ()
    training_config: Mapping[str, Any] = field(default_factory=dict)

    @property
    def hourly_source(self) -> bool:
        """Covers and anything by the hour come from the hourly rollups."""
        return self.target == ForecastTarget.covers or self.granularity == ForecastGranularity.hour

    @property
    def freq(self) -> str:
        return FREQUENCIES[self.granularity.value]


@dataclass(frozen=True)
class SeriesMeta:
    key: str
    location_id: uuid.UUID | None
    item_id: uuid.UUID | None
    category_id: uuid.UUID | None


@dataclass
class LoadedSeries:
    """A panel ready for the engine, with what the API needs to store and present it."""

    panel: pd.DataFrame
    meta: dict[str, SeriesMeta]
    calendar: Calendar
    static: StaticFeatures | None
    today: date
    history_start: date
    trained_through: date
    fingerprint: str
    data_rows: int
    timezone: str
    cutoff_hour: int
    # Weekdays a series' own location does not trade (the calendar holds only those closed
    # at every location of the panel): its forecast on those days is zero too.
    closed_weekdays: dict[str, frozenset[int]] = field(default_factory=dict)
    # Exogenous columns of `panel` and their values over the forecast days (unique_id, ds and
    # the columns), or () and None.
    exog_columns: tuple[str, ...] = ()
    future_exog: pd.DataFrame | None = None


def series_key(
    scope: ForecastScope,
    location: uuid.UUID | None = None,
    item: uuid.UUID | None = None,
    category: uuid.UUID | None = None,
) -> str:
    """Stable series keys: `business`, `loc:<id>`, `cat:<id>` (the category's total, at the
    forecast's location if it has one), `loc:<id>|item:<id>`."""
    if scope == ForecastScope.item:
        return f"loc:{location or NO_KEY}|item:{item}"
    if scope == ForecastScope.location:
        return f"loc:{location or NO_KEY}"
    if scope == ForecastScope.category:
        return f"cat:{category}"
    return "business"


def series_key_ids(key: str) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """The (location, item) a series key names, None for what it does not."""
    parts = dict(part.split(":", 1) for part in key.split("|") if ":" in part)
    location, item = parts.get("loc"), parts.get("item")
    return (
        _key_location(uuid.UUID(location)) if location else None,
        uuid.UUID(item) if item else None,
    )


def _key_location(value: uuid.UUID) -> uuid.UUID | None:
    return None if value == NO_KEY else value


def business_today(timezone: str, cutoff_hour: int, now: datetime | None = None) -> date:
    return business_date(now or utcnow(), timezone, cutoff_hour)


def history_window(spec: SeriesSpec, today: date) -> tuple[date, date]:
    days = int(spec.training_config.get("history_days") or HISTORY_DAYS[spec.granularity])
    last = today - timedelta(days=1)
    return last - timedelta(days=days - 1), last


def _filter(spec: SeriesSpec, first: date, last: date) -> SeriesFilter:
    return SeriesFilter(
        date_from=first,
        date_to=last,
        location_id=spec.location_id,
        category_id=spec.category_id
        if spec.scope in (ForecastScope.category, ForecastScope.item)
        else None,
        item_ids=tuple(spec.item_ids)
        if spec.scope == ForecastScope.item and spec.item_ids
        else None,
    )


async def load_series(
    session: AsyncSession,
    business_id: uuid.UUID,
    spec: SeriesSpec,
    *,
    horizon_days: int,
    now: datetime | None = None,
    window: tuple[date, date] | None = None,
) -> LoadedSeries:
    """The panel of `spec` over its history window (or `window`), its calendar for the next
    `horizon_days` days, and the fingerprint of the data read."""
    repo = SalesDataRepository(session, business_id)
    facts = await repo.business()
    today = business_today(facts.timezone, facts.cutoff_hour, now)
    first, last = window or history_window(spec, today)
    where = _filter(spec, first, last)
    rows, fingerprint = await _fingerprint(repo, spec, first, last)
    by_location = spec.scope in (ForecastScope.location, ForecastScope.item)
    open_days = await repo.open_days(first, last, spec.location_id)
    if spec.granularity == ForecastGranularity.hour:
        hourly = await repo.hourly_rows(first, last, spec.location_id, by_location=by_location)
        frame = _hourly_frame(hourly, spec, facts.cutoff_hour)
        open_hours = _open_hours(frame, last, facts.cutoff_hour)
        panel = _hourly_panel(frame, open_hours, facts.cutoff_hour)
        meta = {
            key: SeriesMeta(key, _key_location(loc), None, None)
            for key, loc in frame.groupby("unique_id")["location"].first().items()
        }
    else:
        open_hours = {}
        if spec.target == ForecastTarget.covers:
            hourly = await repo.hourly_rows(first, last, spec.location_id, by_location=by_location)
            values = _covers_by_day(hourly)
            panel, meta = _daily_panel(values, open_days, spec, by_location, {}, {})
        else:
            daily = await repo.daily_rows(
                where, by_location=by_location, by_item=spec.scope == ForecastScope.item
            )
            values = _daily_values(daily, spec)
            firsts = await repo.first_sales(where) if spec.scope == ForecastScope.item else {}
            categories = await _item_categories(repo, values)
            panel, meta = _daily_panel(values, open_days, spec, by_location, firsts, categories)
        panel = _aggregate(panel, spec.granularity, first, last)
    if spec.target == ForecastTarget.covers:
        panel, meta = _seated_only(panel, meta)
    trained_through = _trained_through(spec.granularity, first, last)
    signals = (
        await repo.signals(first, last + timedelta(days=horizon_days), spec.location_id)
        if spec.training_config.get("use_signals", True)
        else []
    )
    calendar = _calendar(spec, facts, open_days, open_hours, last, horizon_days, signals)
    exog_columns: tuple[str, ...] = ()
    future_exog = None
    if spec.granularity == ForecastGranularity.day and not panel.empty:
        spend = _spend_features(panel, meta, signals, by_location, last, horizon_days)
        if spend is not None:
            panel, future_exog = spend
            exog_columns = (SPEND_COLUMN,)
    static = _static(meta) if spec.scope == ForecastScope.item else None
    closed_weekdays = _series_closed_weekdays(meta, open_days, last, calendar)
    return LoadedSeries(
        panel=panel,
        meta=meta,
        calendar=calendar,
        static=static,
        today=today,
        history_start=first,
        trained_through=trained_through,
        fingerprint=_digest(fingerprint, first, last),
        data_rows=rows,
        timezone=facts.timezone,
        cutoff_hour=facts.cutoff_hour,
        closed_weekdays=closed_weekdays,
        exog_columns=exog_columns,
        future_exog=future_exog,
    )


def _seated_only(
    panel: pd.DataFrame, meta: Mapping[str, SeriesMeta]
) -> tuple[pd.DataFrame, dict[str, SeriesMeta]]:
    """Covers are forecast where guests are seated: a location that recorded none over the
    whole window (a shop counter, a delivery kitchen) gets no covers series rather than a
    series of zeros."""
    if panel.empty:
        return panel, dict(meta)
    guests = panel.groupby("unique_id")["y"].sum()
    seated = set(guests[guests > 0].index)
    kept = panel[panel["unique_id"].isin(seated)].reset_index(drop=True)
    return kept, {key: value for key, value in meta.items() if key in seated}


def _spend_features(
    panel: pd.DataFrame,
    meta: Mapping[str, SeriesMeta],
    signals: Sequence[tuple[date, uuid.UUID, Any, bool | None]],
    by_location: bool,
    last: date,
    horizon_days: int,
) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """The daily panel with its `marketing_spend` column and the spend of each series over
    the `horizon_days` days after `last`, or None when the history carries too little spend
    to learn from (see the module docstring)."""
    recorded = [(day, loc, float(spend)) for day, loc, spend, _ in signals if spend is not None]
    if len({day for day, _, _ in recorded if day <= last}) < MIN_SPEND_DAYS:
        return None
    frame = pd.DataFrame(recorded, columns=["date", "location", "spend"])
    frame["ds"] = pd.to_datetime(frame["date"])
    end = pd.Timestamp(last)
    recent_days = pd.date_range(end - pd.Timedelta(days=SPEND_RECENT_DAYS - 1), end)
    future_days = pd.date_range(end + pd.Timedelta(days=1), periods=horizon_days)
    per_location: dict[uuid.UUID | None, pd.Series] = {}

    def daily_spend(location: uuid.UUID | None) -> pd.Series:
        if location not in per_location:
            rows = frame if location is None else frame[frame["location"].isin([location, NO_KEY])]
            per_location[location] = rows.groupby("ds")["spend"].sum()
        return per_location[location]

    # Models forecast from each series' own last day: the frame starts after the earliest.
    forecast_days = pd.date_range(
        panel.groupby("unique_id")["ds"].max().min() + pd.Timedelta(days=1), future_days[-1]
    )
    known_parts, future_parts = [], []
    for key in panel["unique_id"].unique():
        spend = daily_spend(meta[key].location_id if by_location else None)
        known_parts.append(
            pd.DataFrame({"unique_id": key, "ds": spend.index, SPEND_COLUMN: spend.to_numpy()})
        )
        recent_mean = float(spend.reindex(recent_days, fill_value=0.0).mean())
        ahead = spend.reindex(forecast_days)
        ahead[ahead.index <= end] = ahead[ahead.index <= end].fillna(0.0)
        future_parts.append(
            pd.DataFrame(
                {
                    "unique_id": key,
                    "ds": forecast_days,
                    SPEND_COLUMN: ahead.fillna(recent_mean).to_numpy(),
                }
            )
        )
    known = pd.concat(known_parts, ignore_index=True)
    with_spend = panel.merge(known, on=["unique_id", "ds"], how="left")
    with_spend[SPEND_COLUMN] = with_spend[SPEND_COLUMN].fillna(0.0)
    return with_spend, pd.concat(future_parts, ignore_index=True)


def _series_closed_weekdays(
    meta: Mapping[str, SeriesMeta],
    open_days: list[tuple[date, uuid.UUID]],
    last: date,
    calendar: Calendar,
) -> dict[str, frozenset[int]]:
    by_location: dict[uuid.UUID, set[date]] = {}
    for day, location in open_days:
        by_location.setdefault(location, set()).add(day)
    result = {}
    for key, info in meta.items():
        if info.location_id is None or info.location_id not in by_location:
            continue
        closed = _closed_weekdays(by_location[info.location_id], last) - calendar.closed_weekdays
        if closed:
            result[key] = closed
    return result


async def data_fingerprint(
    session: AsyncSession, business_id: uuid.UUID, spec: SeriesSpec, now: datetime | None = None
) -> tuple[str, date]:
    """The fingerprint `load_series` would compute now (without reading the rows), and today's
    business date: a stored run is stale once this differs from its own."""
    repo = SalesDataRepository(session, business_id)
    facts = await repo.business()
    today = business_today(facts.timezone, facts.cutoff_hour, now)
    first, last = history_window(spec, today)
    _, fingerprint = await _fingerprint(repo, spec, first, last)
    return _digest(fingerprint, first, last), today


async def _fingerprint(
    repo: SalesDataRepository, spec: SeriesSpec, first: date, last: date
) -> tuple[int, str]:
    """The rollup rows' count and digest, with the daily signals' when the forecast reads
    them: marketing spend planned ahead or a date flagged a holiday changes the forecast as
    much as a sale does."""
    rows, fingerprint = await repo.fingerprint(
        _filter(spec, first, last),
        hourly=spec.hourly_source,
        # Only a forecast by the hour learns how a day's sales spread over its hours.
        by_hour=spec.granularity == ForecastGranularity.hour,
    )
    if spec.training_config.get("use_signals", True):
        fingerprint += "|" + await repo.signals_digest(first, spec.location_id)
    return rows, fingerprint


def _digest(fingerprint: str, first: date, last: date) -> str:
    import hashlib

    return hashlib.sha256(f"{first}|{last}|{fingerprint}".encode()).hexdigest()


# Daily panels --------------------------------------------------------------------------------


def _daily_values(rows: list[Any], spec: SeriesSpec) -> pd.DataFrame:
    """Rows as a frame: date, location, item, value (net amount or quantity)."""
    frame = pd.DataFrame(rows, columns=["date", "location", "item", "quantity", "amount"])
    column = "amount" if spec.target == ForecastTarget.revenue else "quantity"
    frame["value"] = frame[column].astype(float) if len(frame) else pd.Series(dtype=float)
    if spec.scope == ForecastScope.item:
        frame = frame[frame["item"] != NO_KEY]
    return frame[["date", "location", "item", "value"]]


def _covers_by_day(rows: list[Any]) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows,
        columns=["date", "hour", "location", "quantity", "amount", "transactions", "covers"],
    )
    if frame.empty:
        return pd.DataFrame(columns=["date", "location", "item", "value"])
    grouped = frame.groupby(["date", "location"], as_index=False)["covers"].sum()
    grouped["item"] = NO_KEY
    grouped["value"] = grouped["covers"].astype(float)
    return grouped[["date", "location", "item", "value"]]


async def _item_categories(
    repo: SalesDataRepository, values: pd.DataFrame
) -> dict[uuid.UUID, uuid.UUID | None]:
    items = {item for item in values["item"].unique() if item != NO_KEY}
    if not items:
        return {}
    return {ref.id: ref.category_id for ref in await repo.items(ids=items)}


def _daily_panel(
    values: pd.DataFrame,
    open_days: list[tuple[date, uuid.UUID]],
    spec: SeriesSpec,
    by_location: bool,
    firsts: Mapping[tuple[uuid.UUID, uuid.UUID], date],
    categories: Mapping[uuid.UUID, uuid.UUID | None],
) -> tuple[pd.DataFrame, dict[str, SeriesMeta]]:
    """One row per series and open day: the day's value, or 0 when the series sold nothing on
    a day its location was open (from an item's first sale on)."""
    opened = pd.DataFrame(open_days, columns=["date", "location"])
    sold = values.groupby(["date", "location", "item"], as_index=False)["value"].sum()
    if not by_location:
        opened = opened[["date"]].drop_duplicates().assign(location=NO_KEY)
        sold = sold.assign(location=NO_KEY)
    # Days with sales count as open even when only refunds reached them.
    opened = pd.concat([opened, sold[["date", "location"]]]).drop_duplicates()
    if spec.scope == ForecastScope.item:
        series = sold[["location", "item"]].drop_duplicates()
        series["first"] = [
            firsts.get((loc, item), pd.Timestamp.min.date())
            for loc, item in zip(series["location"], series["item"], strict=True)
        ]
        grid = opened.merge(series, on="location")
        grid = grid[grid["date"] >= grid["first"]].drop(columns="first")
    else:
        grid = opened.assign(item=NO_KEY)
        if spec.scope == ForecastScope.category:
            # Like an item, a category exists from its first sale: the days the business
            # traded before it (a menu launched last week) are not zero demand to learn from.
            grid = grid[grid["date"] >= sold["date"].min()] if len(sold) else grid.iloc[:0]
        sold = sold.groupby(["date", "location"], as_index=False)["value"].sum().assign(item=NO_KEY)
    panel = grid.merge(sold, on=["date", "location", "item"], how="left")
    panel["y"] = panel["value"].fillna(0.0)
    keys = {
        (loc, item): series_key(
            _series_scope(spec, by_location), _key_location(loc), item, spec.category_id
        )
        for loc, item in panel[["location", "item"]].drop_duplicates().itertuples(index=False)
    }
    panel["unique_id"] = [
        keys[(loc, item)] for loc, item in zip(panel["location"], panel["item"], strict=True)
    ]
    meta = {
        key: SeriesMeta(
            key,
            _key_location(loc) if by_location else spec.location_id,
            item if spec.scope == ForecastScope.item else None,
            categories.get(item) if spec.scope == ForecastScope.item else spec.category_id,
        )
        for (loc, item), key in keys.items()
    }
    panel["ds"] = pd.to_datetime(panel["date"])
    panel = panel[["unique_id", "ds", "y"]].sort_values(["unique_id", "ds"], kind="stable")
    return panel.reset_index(drop=True), meta


def _series_scope(spec: SeriesSpec, by_location: bool) -> ForecastScope:
    if spec.scope in (ForecastScope.item, ForecastScope.category):
        return spec.scope
    return ForecastScope.location if by_location else ForecastScope.business


def _aggregate(
    panel: pd.DataFrame, granularity: ForecastGranularity, first: date, last: date
) -> pd.DataFrame:
    """Daily panel → weekly (Monday) or monthly (1st) sums of complete periods only."""
    if granularity == ForecastGranularity.day or panel.empty:
        return panel
    if granularity == ForecastGranularity.week:
        starts = panel["ds"] - pd.to_timedelta(panel["ds"].dt.weekday, unit="D")
    else:
        starts = panel["ds"].dt.to_period("M").dt.to_timestamp()
    summed = (
        panel.assign(ds=starts).groupby(["unique_id", "ds"], as_index=False, sort=True)["y"].sum()
    )
    complete_from, complete_to = _complete_bounds(granularity, first, last)
    mask = (summed["ds"] >= pd.Timestamp(complete_from)) & (
        summed["ds"] <= pd.Timestamp(complete_to)
    )
    return summed[mask].reset_index(drop=True)


def _complete_bounds(
    granularity: ForecastGranularity, first: date, last: date
) -> tuple[date, date]:
    """The first and last period starts whose periods lie wholly inside [first, last]."""
    if granularity == ForecastGranularity.week:
        start = first + timedelta(days=(7 - first.weekday()) % 7)
        end = last - timedelta(days=last.weekday())
        if end + timedelta(days=6) > last:
            end -= timedelta(days=7)
        return start, end
    start = first if first.day == 1 else next_month_start(first)
    end = last.replace(day=1)
    if next_month_start(end) - timedelta(days=1) > last:
        end = _previous_month(end)
    return start, end


def next_month_start(day: date) -> date:
    """The first day of the month after `day`'s."""
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _previous_month(day: date) -> date:
    return date(day.year - (day.month == 1), (day.month - 2) % 12 + 1, 1)


def _trained_through(granularity: ForecastGranularity, first: date, last: date) -> date:
    """The last business date the panel's complete periods cover."""
    if granularity in (ForecastGranularity.hour, ForecastGranularity.day):
        return last
    _, end = _complete_bounds(granularity, first, last)
    if granularity == ForecastGranularity.week:
        return end + timedelta(days=6)
    return next_month_start(end) - timedelta(days=1)


# Hourly panels -------------------------------------------------------------------------------


def _hourly_frame(rows: list[Any], spec: SeriesSpec, cutoff_hour: int) -> pd.DataFrame:
    """Hourly rows with the naive local timestamp of each hour and the target's value."""
    frame = pd.DataFrame(
        rows,
        columns=["date", "hour", "location", "quantity", "amount", "transactions", "covers"],
    )
    column = {
        ForecastTarget.covers: "covers",
        ForecastTarget.revenue: "amount",
        ForecastTarget.item_units: "quantity",
    }[spec.target]
    if frame.empty:
        return pd.DataFrame(columns=["unique_id", "location", "date", "ds", "y", "traded"])
    frame["y"] = frame[column].astype(float)
    frame["traded"] = frame["transactions"].astype(int) > 0
    # Hours before the cutoff belong to the previous business day but the next calendar day.
    calendar_day = pd.to_datetime(frame["date"]) + pd.to_timedelta(
        (frame["hour"].astype(int) < cutoff_hour).astype(int), unit="D"
    )
    frame["ds"] = calendar_day + pd.to_timedelta(frame["hour"].astype(int), unit="h")
    frame["unique_id"] = [series_key(spec.scope, _key_location(loc)) for loc in frame["location"]]
    return frame[["unique_id", "location", "date", "ds", "y", "traded"]]


def _open_hours(frame: pd.DataFrame, last: date, cutoff_hour: int) -> dict[int, tuple[int, int]]:
    """Per calendar weekday, the local hours [open, close) traded (wrapping past midnight
    when the longest closed stretch spans it), from the recent weeks."""
    if frame.empty:
        return {}
    recent = frame[pd.to_datetime(frame["date"]) > pd.Timestamp(last - timedelta(days=RECENT_DAYS))]
    recent = recent[recent["traded"]]
    if recent.empty:
        return {}
    stamps = recent["ds"].drop_duplicates()
    days = stamps.dt.normalize()
    per_day = pd.DataFrame({"weekday": stamps.dt.weekday, "hour": stamps.dt.hour, "day": days})
    open_days = per_day.groupby("weekday")["day"].nunique()
    counts = per_day.groupby(["weekday", "hour"]).size()
    result: dict[int, tuple[int, int]] = {}
    for weekday, total in open_days.items():
        hours = {
            int(hour)
            for (wd, hour), count in counts.items()
            if wd == weekday and count >= OPEN_HOUR_SHARE * total
        }
        if hours:
            result[int(weekday)] = _hour_range(hours)
    return result


def _hour_range(hours: set[int]) -> tuple[int, int]:
    """The smallest [open, close) range (mod 24) covering `hours`: the complement of the
    longest run of closed hours. All 24 hours: (0, 24)."""
    if len(hours) == 24:
        return (0, 24)
    best_start, best_length = 0, 0
    for start in range(24):
        if start in hours or (start - 1) % 24 not in hours:
            continue
        length = 0
        while (start + length) % 24 not in hours and length < 24:
            length += 1
        if length > best_length:
            best_start, best_length = start, length
    opens = (best_start + best_length) % 24
    closes = best_start
    return (opens, closes if closes != 0 else 24)


def _is_open(
    hour: np.ndarray, weekday: np.ndarray, open_hours: Mapping[int, tuple[int, int]]
) -> np.ndarray:
    """The engine's reading of `Calendar.open_hours` (a range may wrap past midnight)."""
    result = np.ones(len(hour), dtype=bool)
    for day, (opens, closes) in open_hours.items():
        if closes > opens:
            inside = (hour >= opens) & (hour < closes)
        else:
            inside = (hour >= opens) | (hour < closes)
        result &= (weekday != day) | inside
    return result


def _hourly_panel(
    frame: pd.DataFrame, open_hours: Mapping[int, tuple[int, int]], cutoff_hour: int
) -> pd.DataFrame:
    """Every opening hour of every open business day of each series: its value, or 0."""
    if frame.empty:
        return pd.DataFrame({"unique_id": [], "ds": pd.Series([], dtype="datetime64[ns]"), "y": []})
    opened = frame[frame["traded"]][["unique_id", "date"]].drop_duplicates()
    starts = pd.to_datetime(opened["date"]) + pd.Timedelta(hours=cutoff_hour)
    grid = pd.DataFrame(
        {
            "unique_id": np.repeat(opened["unique_id"].to_numpy(), 24),
            "ds": np.repeat(starts.to_numpy(), 24)
            + np.tile(np.arange(24), len(opened)).astype("timedelta64[h]"),
        }
    )
    keep = _is_open(grid["ds"].dt.hour.to_numpy(), grid["ds"].dt.weekday.to_numpy(), open_hours)
    grid = grid[keep]
    values = frame.groupby(["unique_id", "ds"], as_index=False)["y"].sum()
    panel = grid.merge(values, on=["unique_id", "ds"], how="left")
    panel["y"] = panel["y"].fillna(0.0)
    return panel.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)


# The calendar --------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _zone_countries() -> dict[str, str]:
    """IANA zone → ISO country code, from the system's zone tables."""
    countries: dict[str, str] = {}
    for path in ZONE_TABLES:
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("#") or not line.strip():
                continue
            parts = line.split("\t")
            if len(parts) >= 3:
                # zone1970.tab may list several countries: the first is the main one.
                countries.setdefault(parts[2], parts[0].split(",")[0])
    return countries


def country_of(timezone: str, settings: Mapping[str, Any]) -> str | None:
    configured = settings.get("country")
    if isinstance(configured, str) and len(configured) == 2:
        return configured.upper()
    return _zone_countries().get(timezone)


def _closed_weekdays(days: Iterable[date], last: date) -> frozenset[int]:
    recent = {day for day in days if (last - day).days < RECENT_DAYS}
    if not recent or (last - min(recent)).days < 27:
        return frozenset()
    traded = {day.weekday() for day in recent}
    return frozenset(set(range(7)) - traded)


def _closed_dates(days: set[date], first: date, last: date, horizon_days: int) -> frozenset[date]:
    """Future dates the business was closed on in every earlier year the history covers (with
    trading in the days around, so a gap in the data is not a closure)."""
    closed: set[date] = set()
    for offset in range(1, horizon_days + 1):
        future = last + timedelta(days=offset)
        seen = shut = 0
        for back in range(1, 6):
            try:
                before = future.replace(year=future.year - back)
            except ValueError:  # 29 February
                continue
            if not first <= before <= last:
                continue
            around = [before + timedelta(days=d) for d in (-3, -2, -1, 1, 2, 3)]
            if not any(day in days for day in around):
                continue
            # A date that fell on a weekday the business did not trade then (closed on
            # Mondays) says nothing about the date itself.
            same_weekday = [before + timedelta(weeks=w) for w in (-3, -2, -1, 1, 2, 3)]
            if not any(day in days for day in same_weekday):
                continue
            seen += 1
            shut += before not in days
        if seen and shut == seen:
            closed.add(future)
    return frozenset(closed)


def _dates(values: Any) -> frozenset[date]:
    return frozenset(date.fromisoformat(str(v)) for v in values or [])


def _calendar(
    spec: SeriesSpec,
    facts: Any,
    open_days: list[tuple[date, uuid.UUID]],
    open_hours: Mapping[int, tuple[int, int]],
    last: date,
    horizon_days: int,
    signals: Sequence[tuple[date, uuid.UUID, Any, bool | None]] = (),
) -> Calendar:
    config = spec.training_config
    days = {day for day, _ in open_days}
    first = min(days) if days else last
    closed_weekdays = (
        frozenset(int(d) for d in config["closed_weekdays"])
        if "closed_weekdays" in config
        else _closed_weekdays(days, last)
    )
    closed_dates = _closed_dates(days, first, last, horizon_days) | _dates(
        config.get("closed_dates")
    )
    # Explicit hours replace the learned ones of the weekdays they name; a weekday they leave
    # out keeps the hours its sales show (not "open around the clock").
    hours = dict(open_hours)
    hours.update(
        {int(k): (int(v[0]), int(v[1])) for k, v in (config.get("open_hours") or {}).items()}
    )
    return Calendar(
        country=config.get("country") or country_of(facts.timezone, facts.settings),
        subdivision=config.get("subdivision"),
        extra_holidays=_dates(config.get("extra_holidays"))
        | frozenset(day for day, _, _, holiday in signals if holiday),
        closed_weekdays=closed_weekdays,
        closed_dates=closed_dates,
        open_hours=hours if spec.granularity == ForecastGranularity.hour else {},
        day_start_hour=facts.cutoff_hour if spec.granularity == ForecastGranularity.hour else 0,
    )


def _static(meta: Mapping[str, SeriesMeta]) -> StaticFeatures:
    groups = {
        key: {
            "category": str(info.category_id or "none"),
            "location": str(info.location_id or "none"),
        }
        for key, info in meta.items()
    }
    return StaticFeatures(groups=groups)

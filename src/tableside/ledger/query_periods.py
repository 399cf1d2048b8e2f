"""Pure calendar arithmetic for ledger queries: the date range to report, the periods of a
granularity and their labels. No database here: plain data in, plain data out."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import MAXYEAR, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from tableside.kit.business_time import business_day_bounds
from tableside.ledger.schemas import Granularity

DEFAULT_DAYS = 30
MAX_YEARS = 3
# The dates a ledger or analytics query may name.
EARLIEST = date(1900, 1, 1)
LATEST = date(9999, 1, 1)
HOUR = timedelta(hours=1)
DAY_NAMES = tuple(calendar.day_name)  # Monday first, as ISO numbers them


class RangeError(ValueError):
    """A date range that cannot be reported; `field` names the parameter at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def resolve_range(date_from: date | None, date_to: date | None, today: date) -> tuple[date, date]:
    """The inclusive business-date range to report: by default the 30 days ending today; with
    only `date_from`, from it to today; with only `date_to`, the 30 days ending then."""
    check_bounds(date_from=date_from, date_to=date_to)
    too_long = f"the range may span at most {MAX_YEARS} years (date_to before date_from + 3 years)"
    if date_to is None:
        date_to = today if date_from is None else max(today, date_from)
        if date_from is not None and date_to >= years_later(date_from, MAX_YEARS):
            raise RangeError("date_from", f"{too_long}; give date_to too")
    if date_from is None:
        date_from = date_to - timedelta(days=DEFAULT_DAYS - 1)
    if date_to < date_from:
        raise RangeError("date_to", "must not be before date_from")
    if date_to >= years_later(date_from, MAX_YEARS):
        raise RangeError("date_to", too_long)
    return date_from, date_to


def check_bounds(**dates: date | None) -> None:
    """Refuse a date outside EARLIEST..LATEST (named by its parameter): the calendar
    arithmetic around a range (a day's end, the margins, three years on) must stay inside
    the dates Python can hold."""
    for field, value in dates.items():
        if value is not None and not EARLIEST <= value <= LATEST:
            raise RangeError(field, f"must be between {EARLIEST} and {LATEST}")


def years_later(day: date, years: int) -> date:
    """The same date `years` later (29 February becomes 1 March); the last date Python
    holds when that is past year 9999 (every date of a range comes before it)."""
    if day.year + years > MAXYEAR:
        return date.max
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def days(date_from: date, date_to: date) -> list[date]:
    """Every date of the inclusive range."""
    return [date_from + timedelta(days=n) for n in range((date_to - date_from).days + 1)]


def week_start(day: date) -> date:
    """The Monday of the ISO week holding `day`."""
    return day - timedelta(days=day.weekday())


def month_start(day: date) -> date:
    return day.replace(day=1)


def bucket_of(day: date, granularity: Granularity) -> date:
    """The first day of the day, week or month period holding `day`."""
    if granularity is Granularity.week:
        return week_start(day)
    if granularity is Granularity.month:
        return month_start(day)
    return day


def date_periods(date_from: date, date_to: date, granularity: Granularity) -> list[date]:
    """Every day, week (its Monday) or month (its 1st) touching the range, in order. The first
    and last week or month may start before or end after the range: only its days in range
    are counted in them."""
    if granularity is Granularity.day:
        return days(date_from, date_to)
    if granularity is Granularity.week:
        first = week_start(date_from)
        return [first + timedelta(weeks=n) for n in range((date_to - first).days // 7 + 1)]
    periods = []
    current = month_start(date_from)
    while current <= date_to:
        periods.append(current)
        current = (current + timedelta(days=32)).replace(day=1)
    return periods


def hour_periods(date_from: date, date_to: date, timezone: str, cutoff_hour: int) -> list[datetime]:
    """The UTC start of every local hour of every business day in the range: 23 on a
    spring-forward day, 25 on a fall-back day (the repeated hour is two periods).

    Each start is what the ledger stamps as a line's hour start (the instant minus its local
    minutes). Where a clock change is not a whole hour (Lord Howe Island moves by 30
    minutes) the hours after it begin half an hour off the hours before it, and a day whose
    cutoff falls in such a gap begins at half past a local hour: on such a day the hours
    are those of the day's instants, each found from the first instant after the one
    before (an hour starting before the day's start is its first one, an hour starting
    before its end but holding none of its instants is not its last); other days simply
    step by an hour."""
    zone = ZoneInfo(timezone)
    hours: list[datetime] = []
    for day in days(date_from, date_to):
        start, end = business_day_bounds(day, timezone, cutoff_hour)
        if (
            start.astimezone(zone).utcoffset() == end.astimezone(zone).utcoffset()
            and local_hour_start(start, zone) == start
        ):
            current = start
            while current < end:
                hours.append(current)
                current += HOUR
            continue
        instant = start
        while instant < end:
            current = local_hour_start(instant, zone)
            hours.append(current)
            # No instant of this hour lies an hour or more after its start.
            instant = current + HOUR
    return hours


def local_hour_start(instant: datetime, zone: ZoneInfo) -> datetime:
    """The instant minus its local minutes and seconds: the hour start the ledger stamps."""
    local = instant.astimezone(zone)
    return instant - timedelta(
        minutes=local.minute, seconds=local.second, microseconds=local.microsecond
    )


def utc_instants(values: Sequence[datetime]) -> np.ndarray[Any, np.dtype[np.datetime64]]:
    """Aware datetimes as UTC instants (datetime64[us]), the form the hourly series' rows
    arrive in."""
    seconds = np.fromiter((value.timestamp() for value in values), np.float64, len(values))
    # Whole hours (and any instant to the microsecond) are exact in float64 seconds of this
    # era once rounded back to microseconds.
    return np.rint(seconds * 1_000_000).astype(np.int64).astype("datetime64[us]")


def iso_instants(instants: np.ndarray[Any, np.dtype[np.datetime64]]) -> list[str]:
    """UTC instants as ISO 8601 with a `Z` (API.md), all at once: a year of hours is 8,760
    labels, where one `strftime` each costs more than the rest of an hourly series."""
    texts: list[str] = np.datetime_as_string(instants.astype("datetime64[s]"), unit="s").tolist()
    return [f"{text}Z" for text in texts]


def hour_label(hour: int) -> str:
    return f"{hour:02d}:00"


def day_name(iso_weekday: int) -> str:
    return DAY_NAMES[iso_weekday - 1]

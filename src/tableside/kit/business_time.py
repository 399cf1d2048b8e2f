"""Business-local time: which business day an instant belongs to.

A business day runs from `cutoff_hour` local time to the same hour the next day, so with a
04:00 cutoff a sale at 01:30 belongs to the previous day. Local wall-clock time comes from the
IANA zone, so daylight-saving changes neither lose nor double an hour.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def business_date(instant: datetime, timezone: str, cutoff_hour: int) -> date:
    """The business day of `instant` (an aware datetime; naive means UTC)."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    local = instant.astimezone(ZoneInfo(timezone))
    return (local - timedelta(hours=cutoff_hour)).date()


def business_day_bounds(day: date, timezone: str, cutoff_hour: int) -> tuple[datetime, datetime]:
    """The UTC instants [start, end) of business day `day`.

    On a daylight-saving day the span is 23 or 25 hours. A cutoff hour that does not exist
    locally (skipped by a spring-forward) starts at the first instant after the gap.
    """
    zone = ZoneInfo(timezone)
    start = datetime.combine(day, time(cutoff_hour), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(cutoff_hour), tzinfo=zone)
    return _resolve(start), _resolve(end)


def _resolve(local: datetime) -> datetime:
    """A local wall time as UTC. For a time inside a spring-forward gap, fold=0 (PEP 495)
    applies the offset from before the gap, which lands on the first instant after it."""
    return local.replace(fold=0).astimezone(UTC)


def same_local_time(instant: datetime, from_day: date, to_day: date, timezone: str) -> datetime:
    """The instant on business day `to_day` at the local wall-clock time `instant` has on
    business day `from_day`: 10:00 today is 10:00 on `to_day`, however many daylight-saving
    changes lie between (so not a multiple of 24 hours back).

    A wall time `to_day` repeats (a fall-back night) gives its first occurrence; one it skips
    (a spring-forward gap) gives the end of the gap, the first instant that is not earlier
    locally. Either way, "sold before the result" means "sold earlier in the local day"."""
    zone = ZoneInfo(timezone)
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    # Shifting the naive local time keeps its time of day and its place after the cutoff (a
    # 01:30 belonging to the previous business day stays on the next calendar day).
    wall = instant.astimezone(zone).replace(tzinfo=None) + (to_day - from_day)
    return _first_at_or_after(wall, zone)


def _first_at_or_after(wall: datetime, zone: ZoneInfo) -> datetime:
    """The first UTC instant whose local wall time in `zone` is `wall` or later."""

    def local(moment: datetime) -> datetime:
        return moment.astimezone(zone).replace(tzinfo=None)

    earlier = _resolve(wall.replace(tzinfo=zone))
    if local(earlier) == wall:
        return earlier
    # A skipped wall time: fold=1 reads it with the offset after the change, which lands
    # before the gap, fold=0 after it. The change lies between, on a whole second.
    low = math.floor(wall.replace(tzinfo=zone, fold=1).timestamp())
    high = math.ceil(earlier.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if local(datetime.fromtimestamp(middle, UTC)) >= wall:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)

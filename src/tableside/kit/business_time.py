"""Business-local time: which business day an instant belongs to.

A business day runs from `cutoff_hour` local time to the same hour the next day, so with a
04:00 cutoff a sale at 01:30 belongs to the previous day. Local wall-clock time comes from the
IANA zone, so daylight-saving changes neither lose nor double an hour.
"""

from __future__ import annotations

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

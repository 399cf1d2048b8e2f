"""The calendar arithmetic of ledger queries: hour periods across DST and their labels."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import numpy as np

from tableside.ledger import query_periods as periods


def test_hour_periods_follow_dst_and_tile_the_range() -> None:
    # New York springs forward at 02:00 on 2026-03-08 and falls back at 02:00 on 2026-11-01:
    # with a 04:00 cutoff, inside the business days of 7 March and 31 October.
    spring = periods.hour_periods(date(2026, 3, 7), date(2026, 3, 7), "America/New_York", 4)
    autumn = periods.hour_periods(date(2026, 10, 31), date(2026, 10, 31), "America/New_York", 4)
    assert len(spring) == 23 and len(autumn) == 25
    year = periods.hour_periods(date(2026, 1, 1), date(2026, 12, 31), "America/New_York", 4)
    assert len(year) == 365 * 24
    assert all(b - a == timedelta(hours=1) for a, b in pairwise(year))


def test_iso_instants_match_one_by_one_labels() -> None:
    hours = periods.hour_periods(date(2026, 10, 30), date(2026, 11, 2), "America/New_York", 4)
    zoned = [
        datetime(2026, 11, 1, 1, 30, tzinfo=ZoneInfo("America/New_York")),
        datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC),
    ]
    values = [*hours, *zoned]
    one_by_one = [v.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") for v in values]
    assert periods.iso_instants(periods.utc_instants(values)) == one_by_one
    assert periods.iso_instants(periods.utc_instants(zoned)) == [
        "2026-11-01T05:30:00Z",
        "1999-12-31T23:59:59Z",
    ]
    assert periods.iso_instants(periods.utc_instants([])) == []


def test_utc_instants_keep_every_microsecond() -> None:
    values = [
        datetime(2026, 5, 1, 12, 0, 0, 123_457, tzinfo=UTC),
        datetime(2000, 1, 1, tzinfo=ZoneInfo("Asia/Tokyo")),
        datetime(2038, 1, 19, 3, 14, 8, 999_999, tzinfo=UTC),
    ]
    instants = periods.utc_instants(values)
    assert instants.dtype == np.dtype("datetime64[us]")
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    assert instants.astype(np.int64).tolist() == [
        (value - epoch) // timedelta(microseconds=1) for value in values
    ]

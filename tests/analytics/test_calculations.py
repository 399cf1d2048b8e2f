"""The pure pieces of analytics: ranks, growth, calendar periods, the trend, segments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tableside.analytics.people import segment_of
from tableside.analytics.schemas import Direction, Granularity, Segment
from tableside.analytics.service import (
    competition_ranks,
    growth,
    least_squares_trend,
    percent,
    periods_of,
    resolve_period,
)
from tableside.errors import ValidationFailed

D = Decimal


def test_ranks_share_places_on_ties() -> None:
    assert competition_ranks([D(5), D(9), D(5), D(1), D(9)]) == [3, 1, 3, 5, 1]
    assert competition_ranks([]) == []


def test_percent_and_growth() -> None:
    assert percent(D(1), D(3)) == D("33.33")
    assert percent(D(2), D(3)) == D("66.67")
    assert percent(D(1), D(0)) is None
    assert growth(D(15), D(10)) == D("50.00")
    assert growth(D(0), D(10)) == D("-100.00")
    assert growth(D(10), D(0)) is None
    # From a net refund (-10) to -5 is an improvement: +50%, not -50%.
    assert growth(D(-5), D(-10)) == D("50.00")
    assert growth(D("0.005"), D(3)) == D("-99.83")


def test_calendar_periods() -> None:
    weeks = periods_of(date(2026, 12, 30), date(2027, 1, 12), Granularity.week)
    assert weeks == [
        (date(2026, 12, 30), date(2027, 1, 3)),  # Wednesday to Sunday
        (date(2027, 1, 4), date(2027, 1, 10)),
        (date(2027, 1, 11), date(2027, 1, 12)),
    ]
    months = periods_of(date(2026, 11, 15), date(2027, 2, 3), Granularity.month)
    assert months == [
        (date(2026, 11, 15), date(2026, 11, 30)),
        (date(2026, 12, 1), date(2026, 12, 31)),
        (date(2027, 1, 1), date(2027, 1, 31)),
        (date(2027, 2, 1), date(2027, 2, 3)),
    ]
    days = periods_of(date(2028, 2, 28), date(2028, 3, 1), Granularity.day)
    assert [start for start, _ in days] == [date(2028, 2, 28), date(2028, 2, 29), date(2028, 3, 1)]


def test_least_squares_trend() -> None:
    down = least_squares_trend([D(100), D(80), D(70), D(40)], "USD")
    # x = 0..3, mean 1.5; sum (x - 1.5) * y = -150 - 40 + 35 + 60 = -95; sum (x - 1.5)^2 = 5.
    assert (down.slope, down.direction) == (D("-19.00"), Direction.down)
    assert down.slope_percent == D("-26.21")  # of the 72.50 average
    # A change under 1% of the average is flat.
    flat = least_squares_trend([D(100), D("100.50"), D(100), D("101.00")], "USD")
    assert flat.direction == Direction.flat
    assert least_squares_trend([D(0), D(0), D(0)], "USD").direction == Direction.flat
    # Around a zero average the sign decides.
    assert least_squares_trend([D(-10), D(10)], "USD").direction == Direction.up
    assert least_squares_trend([D(5)], "USD").slope is None
    assert least_squares_trend([D(10), D(13)], "JPY").slope == D(3)


def test_resolve_period() -> None:
    today = date(2026, 3, 31)
    assert resolve_period(today, None, None) == (date(2026, 3, 2), date(2026, 3, 31))
    assert resolve_period(today, date(2026, 3, 20), None) == (date(2026, 3, 20), today)
    assert resolve_period(today, None, date(2026, 1, 30)) == (date(2026, 1, 1), date(2026, 1, 30))
    with pytest.raises(ValidationFailed):
        resolve_period(today, date(2026, 4, 1), date(2026, 3, 1))


def test_segments_by_visits_to_date() -> None:
    assert [segment_of(v, 2, 5) for v in (1, 2, 4, 5, 40)] == [
        Segment.new,
        Segment.returning,
        Segment.returning,
        Segment.loyal,
        Segment.loyal,
    ]
    assert segment_of(2, 3, 6) == Segment.new

"""Business days in the business's own calendar: cutoff hours and daylight-saving days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tableside.kit.business_time import business_date, business_day_bounds, same_local_time

NEW_YORK = "America/New_York"


def test_after_midnight_before_cutoff_is_the_previous_day() -> None:
    # 01:30 local on 24 Nov (06:30 UTC) with a 04:00 cutoff belongs to 23 Nov.
    assert business_date(datetime(2026, 11, 24, 6, 30, tzinfo=UTC), NEW_YORK, 4) == date(
        2026, 11, 23
    )
    # 04:00 local exactly starts the new day.
    assert business_date(datetime(2026, 11, 24, 9, 0, tzinfo=UTC), NEW_YORK, 4) == date(
        2026, 11, 24
    )
    # With a midnight cutoff the business day is the calendar day.
    assert business_date(datetime(2026, 11, 24, 6, 30, tzinfo=UTC), NEW_YORK, 0) == date(
        2026, 11, 24
    )


def test_naive_instants_are_utc() -> None:
    assert business_date(datetime(2026, 1, 1, 3, 0), "UTC", 4) == date(2025, 12, 31)


def test_spring_forward_day_is_23_hours() -> None:
    # Clocks jump at 02:00 on 8 March: with a 04:00 cutoff that hour falls in business day 7 March.
    start, end = business_day_bounds(date(2026, 3, 7), NEW_YORK, 4)
    assert end - start == timedelta(hours=23)


def test_fall_back_day_is_25_hours() -> None:
    start, end = business_day_bounds(date(2026, 11, 1), NEW_YORK, 0)
    assert end - start == timedelta(hours=25)


def test_cutoff_inside_the_spring_gap_starts_after_the_gap() -> None:
    # 02:00 does not exist on 8 March 2026 in New York: the day starts at 03:00 EDT (07:00 UTC).
    start, _ = business_day_bounds(date(2026, 3, 8), NEW_YORK, 2)
    assert start == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)


@settings(max_examples=300, deadline=None)
@given(
    instant=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
    ),
    zone=st.sampled_from([NEW_YORK, "Europe/Rome", "Australia/Sydney", "Asia/Kolkata", "UTC"]),
    cutoff=st.integers(min_value=0, max_value=23),
)
def test_every_instant_lies_in_the_bounds_of_its_business_day(
    instant: datetime, zone: str, cutoff: int
) -> None:
    day = business_date(instant, zone, cutoff)
    start, end = business_day_bounds(day, zone, cutoff)
    assert start <= instant < end
    # Consecutive days tile time: no hour lost or counted twice.
    assert business_day_bounds(day + timedelta(days=1), zone, cutoff)[0] == end


def test_same_local_time_keeps_the_wall_clock_across_daylight_saving() -> None:

    # 10:00 EDT on 8 March (14:00Z) is 10:00 EST the day before: 15:00Z, not 24 hours back.
    now = datetime(2026, 3, 8, 14, 0, tzinfo=UTC)
    assert same_local_time(now, date(2026, 3, 8), date(2026, 3, 7), NEW_YORK) == datetime(
        2026, 3, 7, 15, 0, tzinfo=UTC
    )
    # 01:30 EST on 24 Nov belongs to business day 23 Nov (04:00 cutoff); a week back it is
    # 01:30 on 17 Nov, still after that day's midnight.
    late = datetime(2026, 11, 24, 6, 30, tzinfo=UTC)
    assert same_local_time(late, date(2026, 11, 23), date(2026, 11, 16), NEW_YORK) == datetime(
        2026, 11, 17, 6, 30, tzinfo=UTC
    )
    # A repeated 01:30 (1 Nov, clocks back at 02:00 EDT): its first occurrence, 05:30Z.
    night = datetime(2026, 10, 25, 5, 30, tzinfo=UTC)  # 01:30 EDT
    assert same_local_time(night, date(2026, 10, 25), date(2026, 11, 1), NEW_YORK) == datetime(
        2026, 11, 1, 5, 30, tzinfo=UTC
    )
    # A skipped 02:30 (8 March): the end of the gap, 03:00 EDT = 07:00Z. Sales at 01:59 EST
    # are before it and sales at 03:00 EDT are not, as the wall clock says.
    skipped = datetime(2026, 3, 1, 7, 30, tzinfo=UTC)  # 02:30 EST
    assert same_local_time(skipped, date(2026, 3, 1), date(2026, 3, 8), NEW_YORK) == datetime(
        2026, 3, 8, 7, 0, tzinfo=UTC
    )
    # Same zone offset: the same clock reading.
    assert same_local_time(now, date(2026, 3, 8), date(2026, 3, 8), "UTC") == now

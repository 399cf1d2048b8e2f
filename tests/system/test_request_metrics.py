"""Unit tests of the metrics module: percentile, the rolling window and pool readings."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from tableside.system.metrics import (
    MAX_SAMPLES,
    WINDOW_SECONDS,
    RequestMetrics,
    percentile,
    pool_usage,
)


class FakeClock:
    """Wall time the test moves by hand, so nothing sleeps."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_percentile_of_nothing_is_zero() -> None:
    assert percentile([], 0.5) == 0.0


def test_percentile_of_one_value_is_that_value() -> None:
    assert percentile([7.0], 0.0) == 7.0
    assert percentile([7.0], 0.5) == 7.0
    assert percentile([7.0], 1.0) == 7.0


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.50) == 50.0
    assert percentile(values, 0.95) == 95.0
    assert percentile(values, 0.99) == 99.0
    assert percentile(values, 1.0) == 100.0
    assert percentile(values, 0.0) == 1.0
    # Nearest rank rounds up: the 0.5 of four values is the second, 0.51 the third.
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.51) == 3.0


@given(
    st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=200),
    st.floats(min_value=0, max_value=1),
)
def test_percentile_is_a_member_covering_its_share(values: list[float], fraction: float) -> None:
    ordered = sorted(values)
    result = percentile(ordered, fraction)
    assert result in ordered
    at_or_below = sum(1 for v in ordered if v <= result)
    assert at_or_below >= math.ceil(fraction * len(ordered))
    assert ordered[0] <= result <= ordered[-1]


def test_summary_counts_rates_and_error_shares() -> None:
    clock = FakeClock()
    metrics = RequestMetrics(clock=clock)
    clock.now += WINDOW_SECONDS  # the process has lived a whole window
    for status in (200, 200, 201, 404, 500):
        metrics.observe("GET", "/things", status, 0.010)
    summary = metrics.summary()
    assert summary["requests"] == 5
    assert summary["window_seconds"] == WINDOW_SECONDS
    assert summary["requests_per_second"] == round(5 / WINDOW_SECONDS, 3)
    assert summary["client_error_rate"] == 0.2
    assert summary["server_error_rate"] == 0.2
    assert summary["p50_ms"] == 10.0


def test_summary_of_a_young_process_uses_its_lifetime_as_window() -> None:
    clock = FakeClock()
    metrics = RequestMetrics(clock=clock)
    clock.now += 10
    for _ in range(20):
        metrics.observe("GET", "/x", 200, 0.001)
    summary = metrics.summary()
    assert summary["window_seconds"] == 10
    assert summary["requests_per_second"] == 2.0


def test_requests_older_than_the_window_drop_out() -> None:
    clock = FakeClock()
    metrics = RequestMetrics(clock=clock)
    metrics.observe("GET", "/old", 500, 2.0)
    clock.now += WINDOW_SECONDS + 5
    metrics.observe("GET", "/new", 200, 0.002)
    summary = metrics.summary()
    assert summary["requests"] == 1
    assert summary["server_error_rate"] == 0.0
    assert summary["p99_ms"] == 2.0
    assert [r["route"] for r in metrics.top_routes()] == ["/new"]


def test_empty_summary_is_all_zeros() -> None:
    summary = RequestMetrics().summary()
    assert summary["requests"] == 0
    assert summary["p95_ms"] == 0.0
    assert summary["client_error_rate"] == 0.0


def test_top_routes_are_ordered_by_count_with_their_own_p95() -> None:
    clock = FakeClock()
    metrics = RequestMetrics(clock=clock)
    for i in range(1, 21):
        metrics.observe("GET", "/api/v1/orders", 200, i / 1000)
    for _ in range(5):
        metrics.observe("POST", "/api/v1/orders", 422, 0.050)
    for route_number in range(12):
        metrics.observe("GET", f"/rare/{route_number}", 200, 0.001)
    routes = metrics.top_routes()
    assert len(routes) == 10
    assert routes[0] == {
        "method": "GET",
        "route": "/api/v1/orders",
        "requests": 20,
        "p95_ms": 19.0,
        "client_errors": 0,
        "server_errors": 0,
    }
    assert routes[1]["method"] == "POST"
    assert routes[1]["client_errors"] == 5
    assert routes[1]["p95_ms"] == 50.0


def test_counts_stay_exact_past_the_sample_cap() -> None:
    metrics = RequestMetrics(clock=FakeClock())
    for _ in range(MAX_SAMPLES + 10):
        metrics.observe("GET", "/busy", 200, 0.001)
    assert metrics.summary()["requests"] == MAX_SAMPLES + 10
    assert metrics.top_routes()[0]["requests"] == MAX_SAMPLES + 10


def test_observe_feeds_the_prometheus_series() -> None:
    metrics = RequestMetrics()
    metrics.observe("GET", "/health", 200, 0.003)
    value = metrics.registry.get_sample_value(
        "tableside_http_requests_total", {"method": "GET", "route": "/health", "status": "200"}
    )
    assert value == 1.0


class FakeQueuePool:
    """The counters of a SQLAlchemy QueuePool with 10 slots, 12 connections out."""

    def size(self) -> int:
        return 10

    def checkedout(self) -> int:
        return 12

    def checkedin(self) -> int:
        return 0

    def overflow(self) -> int:
        return 2


class FakeFreshQueuePool(FakeQueuePool):
    def checkedout(self) -> int:
        return 0

    def overflow(self) -> int:
        return -10  # QueuePool counts up from -size before any connection is made


def test_pool_usage_reads_queue_pool_counters() -> None:
    usage = pool_usage(FakeQueuePool(), max_overflow=20)
    assert (usage.size, usage.checked_out, usage.idle, usage.overflow, usage.max_overflow) == (
        10,
        12,
        0,
        2,
        20,
    )
    assert pool_usage(FakeFreshQueuePool(), max_overflow=20).overflow == 0


def test_pool_usage_of_a_pool_without_counters_is_zero() -> None:
    usage = pool_usage(object(), max_overflow=0)
    assert (usage.size, usage.checked_out, usage.overflow) == (0, 0, 0)

"""Request metrics: Prometheus series for scraping plus a rolling window for the summary API."""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)

from tableside import __version__

WINDOW_SECONDS = 300.0
# Latency samples kept for percentiles. Counts come from per-second buckets instead, so they
# stay exact when a busy process sends more requests than this in one window.
MAX_SAMPLES = 100_000
TOP_ROUTES = 10


@dataclass(frozen=True, slots=True)
class Sample:
    at: float
    seconds: float
    status: int
    method: str
    route: str


@dataclass(slots=True)
class _Tally:
    """Requests, client errors and server errors for one route in one second."""

    requests: int = 0
    client_errors: int = 0
    server_errors: int = 0

    def add(self, status: int) -> None:
        self.requests += 1
        if 400 <= status < 500:
            self.client_errors += 1
        elif status >= 500:
            self.server_errors += 1


@dataclass(frozen=True)
class PoolUsage:
    """How much of the database connection pool is in use right now."""

    size: int
    checked_out: int
    idle: int
    overflow: int
    max_overflow: int


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values (0 for none)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def pool_usage(pool: Any, max_overflow: int) -> PoolUsage:
    """Read a SQLAlchemy pool's counters; pools without them (NullPool) report zeros."""

    def read(name: str) -> int:
        method = getattr(pool, name, None)
        return int(method()) if callable(method) else 0

    # QueuePool.overflow() starts at -pool_size and only turns positive past the pool size.
    return PoolUsage(
        size=read("size"),
        checked_out=read("checkedout"),
        idle=read("checkedin"),
        overflow=max(0, read("overflow")),
        max_overflow=max_overflow,
    )


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


class RequestMetrics:
    """Counts every request once; each app instance has its own registry.

    `clock` gives the wall time in seconds; tests pass a fake one to move through the window.
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "tableside_http_requests_total",
            "HTTP requests by method, route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "tableside_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.db_pool_in_use = Gauge(
            "tableside_db_pool_connections_in_use",
            "Database connections checked out of the pool",
            registry=self.registry,
        )
        self.db_pool_size = Gauge(
            "tableside_db_pool_size", "Configured database pool size", registry=self.registry
        )
        self.db_pool_overflow = Gauge(
            "tableside_db_pool_overflow",
            "Connections open beyond the pool size",
            registry=self.registry,
        )
        self.uptime = Gauge(
            "tableside_uptime_seconds", "Seconds since the app started", registry=self.registry
        )
        build_info = Gauge(
            "tableside_build_info", "Running version", ["version"], registry=self.registry
        )
        build_info.labels(__version__).set(1)
        # A private registry gets no process series by default; scrapers expect them.
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)

        self.started_at = clock()
        self._samples: deque[Sample] = deque(maxlen=MAX_SAMPLES)
        # second (int epoch) -> "METHOD route" -> tally; pruned to the window on every write.
        self._seconds: deque[tuple[int, dict[str, _Tally]]] = deque()
        self._lock = threading.Lock()

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Record one finished request (called by the request-context middleware)."""
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)
        now = self._clock()
        second = int(now)
        key = f"{method} {route}"
        with self._lock:
            self._samples.append(Sample(now, seconds, status, method, route))
            if not self._seconds or self._seconds[-1][0] != second:
                self._seconds.append((second, defaultdict(_Tally)))
                horizon = second - int(WINDOW_SECONDS) - 1
                while self._seconds and self._seconds[0][0] < horizon:
                    self._seconds.popleft()
            self._seconds[-1][1][key].add(status)

    def uptime_seconds(self) -> float:
        """Seconds since this app instance was built."""
        return self._clock() - self.started_at

    def set_pool_gauges(self, usage: PoolUsage) -> None:
        """Refresh the gauges read at scrape time."""
        self.db_pool_in_use.set(usage.checked_out)
        self.db_pool_size.set(usage.size)
        self.db_pool_overflow.set(usage.overflow)
        self.uptime.set(self.uptime_seconds())

    def _window(self, window_seconds: float) -> tuple[float, list[Sample], dict[str, _Tally]]:
        """The effective window length, its latency samples and its per-route tallies."""
        now = self._clock()
        cutoff = now - window_seconds
        with self._lock:
            recent = [s for s in self._samples if s.at >= cutoff]
            buckets = [tallies for second, tallies in self._seconds if second + 1 > cutoff]
            totals: dict[str, _Tally] = defaultdict(_Tally)
            for tallies in buckets:
                for key, tally in tallies.items():
                    total = totals[key]
                    total.requests += tally.requests
                    total.client_errors += tally.client_errors
                    total.server_errors += tally.server_errors
        # A young process has not lived a whole window yet; rates use the time it has.
        window = min(window_seconds, max(now - self.started_at, 1.0))
        return window, recent, dict(totals)

    def summary(self, window_seconds: float = WINDOW_SECONDS) -> dict[str, float | int]:
        """Request rate, latency percentiles and error rates over the recent window."""
        window, recent, totals = self._window(window_seconds)
        durations = sorted(s.seconds for s in recent)
        count = sum(t.requests for t in totals.values())
        client_errors = sum(t.client_errors for t in totals.values())
        server_errors = sum(t.server_errors for t in totals.values())
        return {
            "window_seconds": round(window, 3),
            "requests": count,
            "requests_per_second": round(count / window, 3),
            "p50_ms": _ms(percentile(durations, 0.50)),
            "p95_ms": _ms(percentile(durations, 0.95)),
            "p99_ms": _ms(percentile(durations, 0.99)),
            "client_error_rate": round(client_errors / count, 4) if count else 0.0,
            "server_error_rate": round(server_errors / count, 4) if count else 0.0,
        }

    def top_routes(
        self, limit: int = TOP_ROUTES, window_seconds: float = WINDOW_SECONDS
    ) -> list[dict[str, Any]]:
        """The busiest routes of the window, by request count, with their own p95 latency."""
        _window, recent, totals = self._window(window_seconds)
        busiest = sorted(totals.items(), key=lambda item: (-item[1].requests, item[0]))[:limit]
        wanted = {key for key, _ in busiest}
        durations: dict[str, list[float]] = defaultdict(list)
        for sample in recent:
            key = f"{sample.method} {sample.route}"
            if key in wanted:
                durations[key].append(sample.seconds)
        routes = []
        for key, tally in busiest:
            method, _, route = key.partition(" ")
            values = sorted(durations.get(key, []))
            routes.append(
                {
                    "method": method,
                    "route": route,
                    "requests": tally.requests,
                    "p95_ms": _ms(percentile(values, 0.95)),
                    "client_errors": tally.client_errors,
                    "server_errors": tally.server_errors,
                }
            )
        return routes

"""Benchmark the order lifecycle: create, send to the kitchen, mark tickets ready, pay.

Part 1 drives `tableside serve` with concurrent clients; each client runs whole lifecycles:

    POST /api/v1/orders                   (takeaway, three lines on two stations)
    POST /api/v1/orders/{id}/send         (two kitchen tickets)
    POST /api/v1/kitchen/tickets/{id}/ready   x2   (the order becomes ready)
    POST /api/v1/sales                    (from the order, one card payment: completes both)

and prints completed orders per second and p50/p99 latency, per request and per lifecycle.

Part 2 measures what the same writes cost PostgreSQL alone. One lifecycle runs in-process
through the ASGI app with a SQLAlchemy cursor hook recording every statement and its
parameters, request by request (authentication, tenancy, the order, its lines, counters,
tickets, the sale, payments, audit rows). Those statements are then replayed directly on
asyncpg connections, one transaction per recorded request, with the same concurrency; the ids
and numbers the service generated are replaced by fresh ones in every replay so unique
constraints hold. The ratio of the two rates is the service's overhead (HTTP, validation, ORM,
Python) on top of the SQL it needs.

    uv run python benchmarks/orders.py [--orders 300] [--concurrency 8]

Results go to benchmarks/results/orders.json. Every run leaves one small business behind.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import re
import secrets
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

# Run as a script, this file's folder is on sys.path: reuse the auth/me benchmark's plumbing.
from auth_me import (
    RESULTS_DIR,
    database_kind,
    free_port,
    register_and_login,
    server_env,
    start_server,
    stop_server,
    tableside_command,
    wait_until_ready,
)
from sqlalchemy import event

from tableside import __version__
from tableside.system.metrics import percentile

MENU = (  # (name, price, station): two kitchen stations, so every send makes two tickets
    ("Bench Margherita", "15.00", "pizza"),
    ("Bench Carbonara", "19.00", "pasta"),
    ("Bench Tiramisu", "10.00", "pasta"),
)
STEPS = ("create", "send", "ready", "pay")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=300, help="measured order lifecycles")
    parser.add_argument("--concurrency", type=int, default=8, help="clients in parallel")
    parser.add_argument("--warmup", type=int, default=20, help="lifecycles before measuring")
    parser.add_argument("--port", type=int, default=0, help="server port (0: pick a free one)")
    parser.add_argument("--skip-migrate", action="store_true", help="do not run migrations")
    parser.add_argument("--skip-bare", action="store_true", help="skip the PostgreSQL replay")
    parser.add_argument(
        "--output", type=Path, default=RESULTS_DIR / "orders.json", help="JSON results file"
    )
    args = parser.parse_args(argv)
    if args.orders < 1 or args.concurrency < 1 or args.warmup < 0:
        parser.error("--orders and --concurrency must be positive")
    return args


@dataclass
class Timings:
    """Latencies in seconds per step, per whole lifecycle, and failures by step."""

    steps: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    lifecycles: list[float] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=lambda: defaultdict(int))


class LifecycleFailed(RuntimeError):
    pass


async def create_menu(client: httpx.AsyncClient, headers: dict[str, str]) -> list[str]:
    ids = []
    for name, price, station in MENU:
        response = await client.post(
            "/api/v1/menu/items",
            headers=headers,
            json={"name": name, "price": price, "cost": "3.00", "station": station},
        )
        if response.status_code != 201:
            raise RuntimeError(f"menu item: {response.status_code} {response.text}")
        ids.append(response.json()["id"])
    return ids


async def lifecycle(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    menu_ids: list[str],
    timings: Timings | None,
) -> None:
    """One order from creation to payment; raises LifecycleFailed on any unexpected status."""

    async def step(name: str, call: Awaitable[httpx.Response], expected: int) -> dict[str, Any]:
        started = time.perf_counter()
        response = await call
        if timings is not None:
            timings.steps[name].append(time.perf_counter() - started)
        if response.status_code != expected:
            if timings is not None:
                timings.failures[name] += 1
            raise LifecycleFailed(f"{name}: {response.status_code} {response.text[:300]}")
        body: dict[str, Any] = response.json()
        return body

    started = time.perf_counter()
    order = await step(
        "create",
        client.post(
            "/api/v1/orders",
            headers=headers,
            json={
                "order_type": "takeaway",
                "items": [
                    {"menu_item_id": menu_ids[0], "quantity": 2, "notes": "well done"},
                    {"menu_item_id": menu_ids[1], "quantity": 1},
                    {"menu_item_id": menu_ids[2], "quantity": 2},
                ],
            },
        ),
        201,
    )
    sent = await step(
        "send", client.post(f"/api/v1/orders/{order['id']}/send", headers=headers), 200
    )
    for ticket_id in sorted({line["ticket_id"] for line in sent["items"] if line["ticket_id"]}):
        await step(
            "ready",
            client.post(f"/api/v1/kitchen/tickets/{ticket_id}/ready", headers=headers),
            200,
        )
    sale = await step(
        "pay",
        client.post(
            "/api/v1/sales",
            headers=headers,
            json={
                "order_id": order["id"],
                "payments": [{"method": "card", "amount": str(sent["total_amount"])}],
            },
        ),
        201,
    )
    if sale["status"] != "completed":
        raise LifecycleFailed(f"sale not completed: {sale['status']}")
    if timings is not None:
        timings.lifecycles.append(time.perf_counter() - started)


async def run_clients(count: int, concurrency: int, one: Callable[[], Awaitable[None]]) -> float:
    """Run `count` lifecycles with `concurrency` in flight; returns the wall time."""
    remaining = count
    errors: list[str] = []

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1  # no await between test and decrement: safe on one event loop
            try:
                await one()
            except LifecycleFailed as exc:
                errors.append(str(exc))

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(min(concurrency, count))))
    wall = time.perf_counter() - started
    if errors:
        print(f"  {len(errors)} lifecycle(s) failed; first: {errors[0]}", file=sys.stderr)
    return wall


async def measure_server(
    args: argparse.Namespace, port: int, process: subprocess.Popen[bytes], log_path: Path
) -> tuple[Timings, float]:
    limits = httpx.Limits(
        max_connections=args.concurrency, max_keepalive_connections=args.concurrency
    )
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=60.0
    ) as client:
        await wait_until_ready(client, process, log_path)
        headers = {"Authorization": f"Bearer {await register_and_login(client)}"}
        menu_ids = await create_menu(client, headers)
        await run_clients(
            args.warmup, args.concurrency, lambda: lifecycle(client, headers, menu_ids, None)
        )
        timings = Timings()
        wall = await run_clients(
            args.orders,
            args.concurrency,
            lambda: lifecycle(client, headers, menu_ids, timings),
        )
        return timings, wall


# --- Part 2: the same SQL on PostgreSQL alone ------------------------------------------------

Statement = tuple[str, Any, bool]  # (sql, parameters, executemany)


async def record_lifecycle_sql() -> tuple[list[list[Statement]], str, set[uuid.UUID]]:
    """Run one lifecycle in-process and return its SQL, grouped by request (= transaction),
    the database URL, and the ids that existed before it (which replays keep)."""
    from tableside.app import create_app
    from tableside.config import get_settings
    from tableside.db.database import Database, resolve_database_url

    settings = get_settings().model_copy(
        update={"rate_limit_enabled": False, "run_worker_in_process": False}
    )
    url = await resolve_database_url(settings)
    database = Database(url, settings)
    app = create_app(settings, database=database)
    recorded: list[Statement] = []

    @event.listens_for(database.engine.sync_engine, "before_cursor_execute")
    def _record(
        _conn: Any, _cursor: Any, statement: str, params: Any, _ctx: Any, many: bool
    ) -> None:
        # "insertmanyvalues" batches arrive flagged `many` with one flat row of parameters:
        # only a list of rows is a real executemany.
        rows = many and isinstance(params, list) and isinstance(params[0], tuple | list)
        recorded.append((statement, params, bool(rows)))

    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            headers = {"Authorization": f"Bearer {await register_and_login(client)}"}
            menu_ids = await create_menu(client, headers)
            await lifecycle(client, headers, menu_ids, None)  # warm caches and code paths
            known = await _existing_ids(url)
            requests: list[list[Statement]] = []

            class Splitter(httpx.AsyncBaseTransport):
                """Cuts the recording at every request boundary."""

                async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
                    recorded.clear()
                    response = await transport.handle_async_request(request)
                    await response.aread()
                    requests.append(list(recorded))
                    return response

            async with httpx.AsyncClient(transport=Splitter(), base_url="http://bench") as split:
                await lifecycle(split, headers, menu_ids, None)
    finally:
        await database.dispose()
    return requests, url, known


async def _existing_ids(url: str) -> set[uuid.UUID]:
    from tableside.db.database import asyncpg_connect_kwargs

    conn = await asyncpg.connect(**asyncpg_connect_kwargs(url))
    try:
        rows = await conn.fetch(
            "SELECT id FROM businesses UNION ALL SELECT id FROM users"
            " UNION ALL SELECT id FROM auth_sessions UNION ALL SELECT id FROM menu_items"
            " UNION ALL SELECT id FROM menu_categories UNION ALL SELECT id FROM locations"
        )
        return {row["id"] for row in rows}
    finally:
        await conn.close()


# Per-business unique numbers the service generates: a replay must write new ones.
UNIQUE_NUMBER_COLUMNS = {
    "orders": ("order_number", "sequence_number"),
    "sales": ("sale_number",),
}
_INSERT = re.compile(r"^\s*INSERT INTO (\w+) \(([^)]*)\) VALUES", re.IGNORECASE)


def unique_number_positions(sql: str) -> tuple[int, list[int]]:
    """For an INSERT into a table with generated unique numbers: the column count and the
    positions of those columns in each row of parameters."""
    match = _INSERT.match(sql)
    if match is None or match.group(1) not in UNIQUE_NUMBER_COLUMNS:
        return 0, []
    columns = [column.strip().strip('"') for column in match.group(2).split(",")]
    wanted = UNIQUE_NUMBER_COLUMNS[match.group(1)]
    return len(columns), [i for i, column in enumerate(columns) if column in wanted]


class Renamer:
    """Fresh ids and numbers for one replayed lifecycle, consistent across its statements."""

    def __init__(self, known: set[uuid.UUID], numbers: itertools.count[int]) -> None:
        self.known = known
        self.numbers = numbers
        self.fresh: dict[Any, Any] = {}

    def value(self, value: Any) -> Any:
        if isinstance(value, uuid.UUID) and value not in self.known:
            return self.fresh.setdefault(value, uuid.uuid4())
        if isinstance(value, list | tuple):
            return type(value)(self.value(item) for item in value)
        return self.fresh.get(("number", value), value) if isinstance(value, str) else value

    def row(self, sql: str, params: Any) -> list[Any]:
        values = [self.value(item) for item in params or ()]
        width, positions = unique_number_positions(sql)
        for start in range(0, len(values), width or len(values) or 1):
            for position in positions:
                old = params[start + position]
                number = next(self.numbers)
                # Strings (order and sale numbers) may be read back later: keep them consistent.
                replacement = f"R{number}" if isinstance(old, str) else number
                if isinstance(old, str):
                    self.fresh[("number", old)] = replacement
                values[start + position] = replacement
        return values


async def replay(
    requests: list[list[Statement]],
    url: str,
    known: set[uuid.UUID],
    count: int,
    concurrency: int,
    role: str,
) -> tuple[list[float], float]:
    """Replay the recorded lifecycle `count` times on `concurrency` connections."""
    from tableside.db.database import asyncpg_connect_kwargs

    numbers = itertools.count(2_000_000_000 - count * 4 - secrets.randbelow(10**8))
    connections = [await asyncpg.connect(**asyncpg_connect_kwargs(url)) for _ in range(concurrency)]
    for conn in connections:
        await conn.execute(f'SET ROLE "{role}"')
    latencies: list[float] = []
    remaining = count

    async def worker(conn: asyncpg.Connection) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            rename = Renamer(known, numbers)
            started = time.perf_counter()
            for statements in requests:
                async with conn.transaction():
                    for sql, params, many in statements:
                        if many:
                            await conn.executemany(sql, [rename.row(sql, row) for row in params])
                        else:
                            await conn.fetch(sql, *rename.row(sql, params))
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    try:
        await asyncio.gather(*(worker(conn) for conn in connections))
    finally:
        for conn in connections:
            await conn.close()
    return latencies, time.perf_counter() - started


# --- Report -----------------------------------------------------------------------------------


def _ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    if not ordered:
        return {"p50": 0.0, "p99": 0.0, "mean": 0.0}
    return {
        "p50": round(percentile(ordered, 0.50) * 1000, 2),
        "p99": round(percentile(ordered, 0.99) * 1000, 2),
        "mean": round(sum(ordered) / len(ordered) * 1000, 2),
    }


def main(argv: list[str] | None = None) -> int:
    """Run both parts, print the headline numbers and write the JSON results."""
    args = parse_args(argv)
    env = server_env()
    if not args.skip_migrate:
        print("migrating ...", flush=True)
        subprocess.run([*tableside_command(), "migrate"], env=env, check=True)
    port = args.port or free_port()
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    log_path = RESULTS_DIR / "orders.server.log"
    process, log_file = start_server(port, 1, env, log_path)
    print(f"server pid {process.pid} on 127.0.0.1:{port} (log: {log_path})", flush=True)
    try:
        timings, wall = asyncio.run(measure_server(args, port, process, log_path))
    finally:
        stop_server(process)
        log_file.close()
    completed = len(timings.lifecycles)
    results: dict[str, Any] = {
        "benchmark": "orders",
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "tableside_version": __version__,
        "database": database_kind(dict(os.environ)),
        "concurrency": args.concurrency,
        "service": {
            "lifecycles": completed,
            "failures": dict(timings.failures),
            "duration_seconds": round(wall, 3),
            "orders_per_second": round(completed / wall, 1) if wall else 0.0,
            "requests_per_second": round(sum(len(v) for v in timings.steps.values()) / wall, 1)
            if wall
            else 0.0,
            "lifecycle_ms": _ms(timings.lifecycles),
            "step_ms": {name: _ms(timings.steps[name]) for name in STEPS},
        },
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
    }
    service = results["service"]
    print(
        f"service: {completed} order lifecycles, concurrency {args.concurrency}:"
        f" {service['orders_per_second']} orders/s ({service['requests_per_second']} requests/s)"
        f"  lifecycle p50 {service['lifecycle_ms']['p50']} ms"
        f"  p99 {service['lifecycle_ms']['p99']} ms"
    )
    for name in STEPS:
        step = service["step_ms"][name]
        print(f"  {name:<7} p50 {step['p50']:>7} ms  p99 {step['p99']:>7} ms")

    if not args.skip_bare:
        from tableside.config import get_settings

        requests, url, known = asyncio.run(record_lifecycle_sql())
        statements = sum(len(r) for r in requests)
        latencies, bare_wall = asyncio.run(
            replay(requests, url, known, args.orders, args.concurrency, get_settings().db_app_role)
        )
        bare_rate = len(latencies) / bare_wall if bare_wall else 0.0
        results["bare_postgresql"] = {
            "transactions_per_lifecycle": len(requests),
            "statements_per_lifecycle": statements,
            "lifecycles": len(latencies),
            "duration_seconds": round(bare_wall, 3),
            "orders_per_second": round(bare_rate, 1),
            "lifecycle_ms": _ms(latencies),
        }
        ratio = service["orders_per_second"] / bare_rate if bare_rate else 0.0
        results["service_to_bare_ratio"] = round(ratio, 3)
        print(
            f"bare PostgreSQL: the same {statements} statements in {len(requests)} transactions"
            f" per order: {round(bare_rate, 1)} orders/s"
            f"  lifecycle p50 {results['bare_postgresql']['lifecycle_ms']['p50']} ms"
            f"  p99 {results['bare_postgresql']['lifecycle_ms']['p99']} ms\n"
            f"service / bare = {ratio:.2f} (the service reaches {ratio:.0%} of the SQL-only rate)"
        )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"results: {args.output}")
    return 1 if timings.failures else 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark `GET /api/v1/sales/aggregate` over a year of a busy business's ledger.

Loads `--lines` (default 10,000,000) ledger lines for one business (3 locations, ~200 items,
2 years, America/New_York with a 04:00 day cutoff) with COPY into `sales_ledger`, builds the
rollups with `tableside.ledger.maintenance.rebuild_rollups`, then starts `tableside serve` and
times the aggregate endpoint over the last full year of data: granularity day and hour,
ungrouped and grouped (day by item, hour by location, month by category; hour by item is
refused by design: it is checked to answer 422 and not timed), plus top items, an item's
historical series and pages of the raw ledger. Each case runs `--requests` times (default 50)
one at a time after a short warm-up; p50 and p99 are printed.

    uv run python benchmarks/aggregate.py [--lines 10000000] [--requests 50] [--reuse]

The database is the one `tableside` itself would use (TABLESIDE_DATABASE_URL, else the
embedded server). The loaded business stays (10M lines take about 2.6 GB): `--reuse` measures
it again without reloading (its login is kept in benchmarks/results/aggregate.state.json) and
`--cleanup` deletes its lines and rollups at the end. Results go to
benchmarks/results/aggregate.json.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import platform
import random
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx

# Run as a script, this file's folder is on sys.path: reuse the auth/me benchmark's plumbing.
from auth_me import (
    PASSWORD,
    RESULTS_DIR,
    database_kind,
    free_port,
    server_env,
    start_server,
    stop_server,
    tableside_command,
    wait_until_ready,
)

from tableside import __version__
from tableside.system.metrics import percentile

TIMEZONE = "America/New_York"
CUTOFF_HOUR = 4
CATEGORIES = (
    "Starters", "Salads", "Pizza", "Pasta", "Burgers", "Mains", "Sides", "Desserts",
    "Soft drinks", "Coffee", "Beer", "Wine",
)  # fmt: skip
# Local opening hours (24 and 25 are 00:00 and 01:00 of the next calendar day: the same
# business day with a 04:00 cutoff) and their share of a day's lines.
HOUR_WEIGHTS = {
    11: 3, 12: 10, 13: 9, 14: 4, 15: 2, 16: 2, 17: 5, 18: 10, 19: 11, 20: 9, 21: 6, 22: 4,
    23: 2, 24: 1, 25: 0.5,
}  # fmt: skip
WEEKDAY_WEIGHTS = (0.8, 0.85, 0.9, 1.0, 1.3, 1.4, 1.1)  # Monday first
LOCATION_WEIGHTS = (1.0, 0.8, 0.6)
REFUND_RATE = 0.005
CHUNK_LINES = 200_000
STATE_PATH = RESULTS_DIR / "aggregate.state.json"
COPY_COLUMNS = (
    "business_id", "location_id", "business_date", "sold_at", "hour_start", "local_hour",
    "menu_item_id", "category_id", "quantity", "net_amount", "cost", "covers", "transactions",
    "source",
)  # fmt: skip


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=10_000_000, help="ledger lines to load")
    parser.add_argument("--days", type=int, default=730, help="business days of history")
    parser.add_argument("--items", type=int, default=200, help="menu items")
    parser.add_argument("--requests", type=int, default=50, help="measured requests per case")
    parser.add_argument("--warmup", type=int, default=3, help="requests per case before timing")
    parser.add_argument("--seed", type=int, default=20261124, help="random seed of the data")
    parser.add_argument("--reuse", action="store_true", help="measure the last loaded business")
    parser.add_argument("--cleanup", action="store_true", help="delete the lines at the end")
    parser.add_argument("--port", type=int, default=0, help="server port (0: pick a free one)")
    parser.add_argument("--skip-migrate", action="store_true", help="do not run migrations")
    parser.add_argument(
        "--output", type=Path, default=RESULTS_DIR / "aggregate.json", help="JSON results file"
    )
    args = parser.parse_args(argv)
    if min(args.lines, args.days, args.items, args.requests) < 1 or args.warmup < 0:
        parser.error("--lines, --days, --items and --requests must be positive")
    return args


# --- the business --------------------------------------------------------------------------


async def create_business(client: httpx.AsyncClient, items: int) -> dict[str, Any]:
    """Register a business in New York time with 3 locations and `items` menu items; returns
    the state needed to log in again and to generate its lines."""
    suffix = uuid.uuid4().hex[:10]
    email = f"bench-aggregate-{suffix}@example.com"
    registered = await client.post(
        "/api/v1/auth/register",
        json={
            "email": email,
            "password": PASSWORD,
            "full_name": "Benchmark Owner",
            "business_name": f"Benchmark aggregate {suffix}",
        },
    )
    _check(registered, 201)
    body = registered.json()
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    _check(
        await client.put(
            "/api/v1/business",
            headers=headers,
            json={"timezone": TIMEZONE, "day_cutoff_hour": CUTOFF_HOUR},
        ),
        200,
    )
    locations = []
    for name in ("Downtown", "Harbour", "Airport"):
        response = await client.post("/api/v1/locations", headers=headers, json={"name": name})
        _check(response, 201)
        locations.append(response.json()["id"])
    rng = random.Random(items)
    rows = [
        {
            "name": f"Dish {n:03d}",
            "category": CATEGORIES[n % len(CATEGORIES)],
            "price": f"{rng.randint(300, 3500) / 100:.2f}",
            "cost": f"{rng.randint(50, 1000) / 100:.2f}",
            "sku": f"BENCH-{n:03d}",
        }
        for n in range(items)
    ]
    _check(
        await client.post("/api/v1/menu/items/bulk-import", headers=headers, json={"items": rows}),
        200,
    )
    menu = []
    page = 1
    while True:
        response = await client.get(
            "/api/v1/menu/items", headers=headers, params={"page": page, "page_size": 100}
        )
        _check(response, 200)
        listed = response.json()
        menu += [
            {"id": i["id"], "category_id": i["category_id"], "price": i["price"], "cost": i["cost"]}
            for i in listed["items"]
        ]
        if not listed["has_next"]:
            break
        page += 1
    return {
        "email": email,
        "business_id": body["business"]["id"],
        "locations": locations,
        "menu": menu,
    }


def _check(response: httpx.Response, status: int) -> None:
    if response.status_code != status:
        raise RuntimeError(f"{response.request.url}: {response.status_code} {response.text[:500]}")


async def login(client: httpx.AsyncClient, email: str) -> dict[str, str]:
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    _check(response, 200)
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


# --- the lines -----------------------------------------------------------------------------


def last_business_date() -> date:
    """Yesterday's business date in the benchmark's zone: the history ends there."""
    local = datetime.now(ZoneInfo(TIMEZONE)) - timedelta(hours=CUTOFF_HOUR)
    return local.date() - timedelta(days=1)


def hour_cells(first: date, days: int) -> list[tuple[date, int, int, float]]:
    """(business date, location index, local hour, expected share) for every open hour."""
    cells = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        weekday = WEEKDAY_WEIGHTS[day.weekday()]
        for location, location_weight in enumerate(LOCATION_WEIGHTS):
            for hour, hour_weight in HOUR_WEIGHTS.items():
                cells.append((day, location, hour, weekday * location_weight * hour_weight))
    total = sum(cell[3] for cell in cells)
    return [(day, loc, hour, weight / total) for day, loc, hour, weight in cells]


async def line_chunks(
    state: dict[str, Any], lines: int, days: int, seed: int
) -> AsyncIterator[bytes]:
    """The ledger lines as COPY text, stamped as the write path stamps them: the business date
    of the day, the UTC start of the local hour, the local hour."""
    rng = random.Random(seed)
    zone = ZoneInfo(TIMEZONE)
    business_id = state["business_id"]
    locations = state["locations"]
    menu = [
        {**item, "price_cents": _to_cents(item["price"]), "cost_cents": _to_cents(item["cost"])}
        for item in state["menu"]
    ]
    # A long-tailed item mix: a few best sellers, many slow items.
    weights = [1 / (rank + 3) for rank in range(len(menu))]
    rng.shuffle(weights)
    first = last_business_date() - timedelta(days=days - 1)
    minutes = [f"{m:02d}:{s:02d}" for m in range(60) for s in range(60)]
    buffer = io.StringIO()
    written = carried = 0
    expected_total = 0.0
    for day, location_index, hour, share in hour_cells(first, days):
        expected_total += share * lines
        count = round(expected_total) - carried
        carried += count
        if count <= 0:
            continue
        calendar_day = day + timedelta(days=hour // 24)
        local_start = datetime(
            calendar_day.year, calendar_day.month, calendar_day.day, hour % 24, tzinfo=zone
        )
        hour_start = local_start.astimezone(UTC)
        prefix = hour_start.strftime("%Y-%m-%d %H:")
        fixed = f"{business_id}\t{locations[location_index]}\t{day.isoformat()}\t"
        stamp = f"\t{hour_start.strftime('%Y-%m-%d %H:%M:%S')}+00\t{hour % 24}\t"
        picks = rng.choices(menu, weights=weights, k=count)
        seconds = sorted(rng.randrange(3600) for _ in range(count))
        remaining_in_sale = 0
        for item, second in zip(picks, seconds, strict=True):
            roll = rng.random()
            quantity = 1 if roll < 0.8 else (2 if roll < 0.95 else 3)
            if remaining_in_sale == 0:
                remaining_in_sale = rng.randint(1, 4)
                transactions, covers = 1, rng.randint(1, 4)
            else:
                transactions = covers = 0
            remaining_in_sale -= 1
            if rng.random() < REFUND_RATE:
                quantity, transactions, covers = -1, 0, 0
            buffer.write(
                f"{fixed}{prefix}{minutes[second]}+00{stamp}{item['id']}\t{item['category_id']}\t"
                f"{quantity}\t{_cents(item['price_cents'] * quantity)}\t"
                f"{_cents(item['cost_cents'] * quantity)}\t{covers}\t{transactions}\tpos\n"
            )
        written += count
        if buffer.tell() > CHUNK_LINES * 180:
            yield buffer.getvalue().encode()
            buffer = io.StringIO()
            print(f"\r  copied {written:,} lines", end="", flush=True)
    yield buffer.getvalue().encode()
    print(f"\r  copied {written:,} lines", flush=True)


def _to_cents(amount: Any) -> int:
    """An amount from the API (a JSON number) in whole cents, exactly."""
    return int((Decimal(str(amount or 0)) * 100).to_integral_value())


def _cents(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


async def load(state: dict[str, Any], args: argparse.Namespace, url: str) -> dict[str, float]:
    """COPY the lines, rebuild the rollups through tableside, vacuum and analyze."""
    from tableside.config import get_settings
    from tableside.db.database import Database, asyncpg_connect_kwargs, set_tenant
    from tableside.ledger.maintenance import rebuild_rollups

    timings: dict[str, float] = {}
    conn = await asyncpg.connect(**asyncpg_connect_kwargs(url))
    try:
        # Row-level security holds for a table owner too: write as the business.
        await conn.execute("SELECT set_config('app.business_id', $1, false)", state["business_id"])
        started = time.perf_counter()
        await conn.copy_to_table(
            "sales_ledger",
            source=line_chunks(state, args.lines, args.days, args.seed),
            columns=list(COPY_COLUMNS),
            format="text",
        )
        timings["copy_seconds"] = round(time.perf_counter() - started, 1)
    finally:
        await conn.close()

    database = Database(url, get_settings())
    try:
        started = time.perf_counter()
        async with database.session() as session:
            business_id = uuid.UUID(state["business_id"])
            await set_tenant(session, business_id)
            rebuilt = await rebuild_rollups(session, business_id)
        timings["rebuild_seconds"] = round(time.perf_counter() - started, 1)
        print(
            f"  rollups: {rebuilt.daily_rows:,} daily item rows, {rebuilt.hourly_rows:,} hourly"
            f" rows in {timings['rebuild_seconds']} s",
            flush=True,
        )
    finally:
        await database.dispose()

    conn = await asyncpg.connect(**asyncpg_connect_kwargs(url))
    try:
        started = time.perf_counter()
        for table in (
            "sales_ledger",
            "sales_daily_item_rollups",
            "sales_daily_item_totals",
            "sales_hourly_rollups",
        ):
            await conn.execute(f"VACUUM ANALYZE {table}")
        timings["vacuum_analyze_seconds"] = round(time.perf_counter() - started, 1)
    finally:
        await conn.close()
    return timings


async def cleanup(state: dict[str, Any], url: str) -> None:
    from tableside.db.database import asyncpg_connect_kwargs

    conn = await asyncpg.connect(**asyncpg_connect_kwargs(url))
    try:
        await conn.execute("SELECT set_config('app.business_id', $1, false)", state["business_id"])
        for table in (
            "sales_daily_item_rollups",
            "sales_daily_item_totals",
            "sales_hourly_rollups",
            "sales_ledger",
        ):
            await conn.execute(f"DELETE FROM {table} WHERE business_id = $1", state["business_id"])
    finally:
        await conn.close()
    STATE_PATH.unlink(missing_ok=True)


async def stored_lines(state: dict[str, Any], url: str) -> int:
    from tableside.db.database import asyncpg_connect_kwargs

    conn = await asyncpg.connect(**asyncpg_connect_kwargs(url))
    try:
        await conn.execute("SELECT set_config('app.business_id', $1, false)", state["business_id"])
        count: int = await conn.fetchval(
            "SELECT count(*) FROM sales_ledger WHERE business_id = $1", state["business_id"]
        )
        return count
    finally:
        await conn.close()


# --- the measurement -----------------------------------------------------------------------


def cases(state: dict[str, Any]) -> list[tuple[str, str, dict[str, str]]]:
    """(name, path, query) of every timed request: one year ending on the last data date,
    and pages of raw ledger lines."""
    last = date.fromisoformat(state["last_date"])
    year = {"date_from": (last - timedelta(days=364)).isoformat(), "date_to": last.isoformat()}
    item = state["menu"][0]["id"]
    return [
        ("aggregate day", "/api/v1/sales/aggregate", {**year, "granularity": "day"}),
        (
            "aggregate day by item",
            "/api/v1/sales/aggregate",
            {**year, "granularity": "day", "group_by": "item"},
        ),
        ("aggregate hour", "/api/v1/sales/aggregate", {**year, "granularity": "hour"}),
        (
            "aggregate hour by location",
            "/api/v1/sales/aggregate",
            {**year, "granularity": "hour", "group_by": "location"},
        ),
        (
            "aggregate month by category",
            "/api/v1/sales/aggregate",
            {**year, "granularity": "month", "group_by": "category"},
        ),
        ("top items", "/api/v1/sales/top-items", {**year, "limit": "20"}),
        (
            "historical item",
            "/api/v1/sales/historical",
            {**year, "menu_item_id": item, "page_size": "1000"},
        ),
        ("ledger newest 100", "/api/v1/sales/ledger", {"limit": "100"}),
        (
            "ledger 1000 of a day",
            "/api/v1/sales/ledger",
            {"limit": "1000", "date_from": year["date_from"], "date_to": year["date_from"]},
        ),
        ("ledger 100 of an item", "/api/v1/sales/ledger", {"limit": "100", "menu_item_id": item}),
    ]


async def measure(
    args: argparse.Namespace,
    state: dict[str, Any],
    port: int,
    process: subprocess.Popen[bytes],
    log_path: Path,
) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120.0) as client:
        await wait_until_ready(client, process, log_path)
        headers = await login(client, state["email"])
        last = date.fromisoformat(state["last_date"])
        # On its own connection: an error response may close the connection it used.
        async with httpx.AsyncClient(base_url=client.base_url, timeout=120.0) as once:
            refused = await once.get(
                "/api/v1/sales/aggregate",
                headers=headers,
                params={
                    "date_from": (last - timedelta(days=364)).isoformat(),
                    "date_to": last.isoformat(),
                    "granularity": "hour",
                    "group_by": "item",
                },
            )
        results: dict[str, Any] = {"hour by item": {"status": refused.status_code}}
        print(f"  hour by item: {refused.status_code} (not supported by the rollups)")
        for name, path, params in cases(state):
            for _ in range(args.warmup):
                _check(await client.get(path, headers=headers, params=params), 200)
            latencies = []
            size = points = 0
            for _ in range(args.requests):
                started = time.perf_counter()
                response = await client.get(path, headers=headers, params=params)
                latencies.append(time.perf_counter() - started)
                _check(response, 200)
                size = len(response.content)
                body = response.json()
                points = len(body.get("time_series") or body.get("items") or [])
            ordered = sorted(latencies)
            results[name] = {
                "path": path,
                "params": params,
                "requests": len(ordered),
                "points": points,
                "response_bytes": size,
                "p50_ms": round(percentile(ordered, 0.50) * 1000, 1),
                "p99_ms": round(percentile(ordered, 0.99) * 1000, 1),
                "mean_ms": round(sum(ordered) / len(ordered) * 1000, 1),
            }
            r = results[name]
            print(
                f"  {name:<28} p50 {r['p50_ms']:>7} ms  p99 {r['p99_ms']:>7} ms"
                f"  ({points:,} points, {size / 1e6:.2f} MB)",
                flush=True,
            )
        return results


async def prepare(args: argparse.Namespace, port: int, env: dict[str, str]) -> dict[str, Any]:
    """A loaded business: the last one (`--reuse`) or a new one, created through a short-lived
    server and filled with COPY."""
    from tableside.config import get_settings
    from tableside.db.database import resolve_database_url

    url = await resolve_database_url(get_settings())
    if args.reuse and STATE_PATH.exists():
        state: dict[str, Any] = json.loads(STATE_PATH.read_text())
        if await stored_lines(state, url) == state["lines"]:
            print(f"reusing business {state['business_id']} ({state['lines']:,} lines)")
            return state
        print("the stored business does not hold its lines any more: loading again")
    log_path = RESULTS_DIR / "aggregate.server.log"
    process, log_file = start_server(port, 1, env, log_path)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            await wait_until_ready(client, process, log_path)
            state = await create_business(client, args.items)
    finally:
        stop_server(process)
        log_file.close()
    print(f"loading {args.lines:,} lines over {args.days} days ...", flush=True)
    state["timings"] = await load(state, args, url)
    state["lines"] = args.lines
    state["last_date"] = last_business_date().isoformat()
    STATE_PATH.write_text(json.dumps(state))
    return state


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    env = server_env()
    if not args.skip_migrate:
        print("migrating ...", flush=True)
        subprocess.run([*tableside_command(), "migrate"], env=env, check=True)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    port = args.port or free_port()
    state = asyncio.run(prepare(args, port, env))
    log_path = RESULTS_DIR / "aggregate.server.log"
    process, log_file = start_server(port, 1, env, log_path)
    print(f"server pid {process.pid} on 127.0.0.1:{port} (log: {log_path})", flush=True)
    try:
        measured = asyncio.run(measure(args, state, port, process, log_path))
    finally:
        stop_server(process)
        log_file.close()
    results = {
        "benchmark": "aggregate",
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "tableside_version": __version__,
        "database": database_kind(dict(os.environ)),
        "lines": state["lines"],
        "days": args.days,
        "items": len(state["menu"]),
        "locations": len(state["locations"]),
        "load": state.get("timings", {}),
        "requests_per_case": args.requests,
        "cases": measured,
        "target_p50_ms": 100,
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"results: {args.output}")
    if args.cleanup:
        from tableside.config import get_settings
        from tableside.db.database import resolve_database_url

        asyncio.run(cleanup(state, asyncio.run(resolve_database_url(get_settings()))))
    slow = [name for name, case in measured.items() if case.get("p50_ms", 0) > 100]
    print(f"over the 100 ms p50 target: {', '.join(slow)}" if slow else "all p50 under 100 ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())

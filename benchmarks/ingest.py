"""Benchmark sales ingestion: 1,000,000 sale lines three ways on the same database.

Generates a realistic line-shaped sales CSV (a menu of 50 items, 3 locations, a year of
timestamps at restaurant hours, sales of 1 to 5 lines sharing a transaction id, guest
counts) into a temporary file, starts `tableside serve` (the helpers of benchmarks/auth_me.py,
same database choice), creates two throw-away businesses with that menu through the API, then
measures:

  (a) the CLI path: `tableside import sales FILE`, by calling the function the command runs
      (`tableside.cli_import.run_import`) in-process, so Python's start-up is not counted;
      it reads the file twice (SHA-256 and header check, then COPY) like the command;
  (b) `POST /api/v1/sales/bulk` against the server, in chunks of 100,000 lines (10 requests,
      bodies serialized before the clock starts), into the second business;
  (c) a raw COPY of the same file into a bare table (no index, no constraint) with the same
      column types (timestamptz, text, numeric(14,3), numeric(14,2), text, text, integer);

and, to explain the gap, two floors measured in rolled-back transactions:

  (d) INSERT of the same 1,000,000 lines, already converted, into `sales_ledger` as the app
      role (its two indexes, the foreign key to businesses and row-level security), and
  (e) the same INSERT into a plain table LIKE sales_ledger with the same indexes but no
      foreign key and no row-level security.

It prints lines per second for each, the ratios a/c and b/c, the import's own phase
breakdown, and writes benchmarks/results/ingest.json.

    uv run python benchmarks/ingest.py [--lines 1000000] [--chunk 100000] [--skip-bulk]

The server runs with TABLESIDE_MAX_BODY_BYTES raised to 64 MB: a 100,000-line JSON body is
about 17 MB, over the default 10 MB limit. Every run leaves two businesses behind.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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

LOCATIONS = ("Main Street", "Harbour", "Airport")
HEADER = ["timestamp", "sku", "quantity", "amount", "location", "transaction_id", "covers"]
RAW_TABLE = "bench_ingest_raw_copy"
LIKE_TABLE = "bench_ingest_ledger_like"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="sale lines to generate")
    parser.add_argument("--chunk", type=int, default=100_000, help="lines per bulk request")
    parser.add_argument("--items", type=int, default=50, help="menu items")
    parser.add_argument("--port", type=int, default=0, help="server port (0: pick a free one)")
    parser.add_argument("--skip-migrate", action="store_true", help="do not run migrations")
    parser.add_argument("--skip-bulk", action="store_true", help="skip (b), the HTTP bulk path")
    parser.add_argument("--seed", type=int, default=7, help="random seed of the generated data")
    parser.add_argument(
        "--output", type=Path, default=RESULTS_DIR / "ingest.json", help="JSON results file"
    )
    args = parser.parse_args(argv)
    if args.lines < 1 or args.chunk < 1 or args.items < 1:
        parser.error("--lines, --chunk and --items must be positive")
    return args


# --- data ------------------------------------------------------------------------------------


def menu(items: int) -> list[tuple[str, str, str]]:
    """(sku, name, price) of a plausible menu."""
    rng = random.Random(1)
    return [
        (f"BENCH-{i:03d}", f"Dish {i:03d}", f"{rng.randrange(350, 3200) / 100:.2f}")
        for i in range(items)
    ]


def generate(path: Path, lines: int, items: list[tuple[str, str, str]], seed: int) -> int:
    """Write `lines` sale lines to `path`; returns the number of transactions."""
    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    # Popular dishes sell more; lunch and dinner are the busy hours (UTC here; the business
    # runs on UTC so local hours are the same).
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(items))]
    hours = list(range(11, 23))
    hour_weights = [3, 5, 4, 2, 1, 1, 2, 4, 6, 5, 3, 1]
    written = transactions = 0
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        while written < lines:
            transactions += 1
            day = start + timedelta(days=rng.randrange(365))
            hour = rng.choices(hours, hour_weights)[0]
            when = day + timedelta(hours=hour, minutes=rng.randrange(60), seconds=rng.randrange(60))
            stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
            location = rng.choice(LOCATIONS)
            covers = rng.randint(1, 6)
            for _ in range(min(rng.randint(1, 5), lines - written)):
                sku, _, price = rng.choices(items, weights)[0]
                quantity = rng.choice((1, 1, 1, 2, 2, 3))
                amount = f"{quantity * float(price):.2f}"
                writer.writerow(
                    [stamp, sku, quantity, amount, location, f"T{transactions:08d}", covers]
                )
                written += 1
    return transactions


def write_file(
    path: Path, lines: int, items: list[tuple[str, str, str]], seed: int
) -> tuple[int, int]:
    """Generate the file; (transactions, bytes)."""
    transactions = generate(path, lines, items, seed)
    return transactions, path.stat().st_size


def bulk_bodies(path: Path, chunk: int, location_ids: dict[str, str]) -> list[bytes]:
    """The file's lines as JSON bulk requests of `chunk` lines (serialized up front)."""
    bodies: list[bytes] = []
    lines: list[dict[str, Any]] = []
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        for stamp, sku, quantity, amount, location, transaction, covers in reader:
            lines.append(
                {
                    "sold_at": stamp,
                    "sku": sku,
                    "quantity": int(quantity),
                    "amount": amount,
                    "location_id": location_ids[location],
                    "transaction_id": transaction,
                    "covers": int(covers),
                }
            )
            if len(lines) == chunk:
                bodies.append(_body(len(bodies), lines))
                lines = []
    if lines:
        bodies.append(_body(len(bodies), lines))
    return bodies


def _body(index: int, lines: list[dict[str, Any]]) -> bytes:
    return json.dumps({"batch_id": f"bench-{uuid.uuid4().hex}-{index}", "lines": lines}).encode()


# --- setup through the API -------------------------------------------------------------------


async def create_business(
    client: httpx.AsyncClient, items: list[tuple[str, str, str]]
) -> dict[str, Any]:
    """A business on UTC with the menu and the locations; its token, slug and location ids."""
    suffix = uuid.uuid4().hex[:10]
    email = f"bench-ingest-{suffix}@example.com"
    registered = await client.post(
        "/api/v1/auth/register",
        json={"email": email, "password": PASSWORD, "full_name": "Bench Owner",
              "business_name": f"Benchmark ingest {suffix}"},
    )  # fmt: skip
    if registered.status_code != 201:
        raise RuntimeError(f"register: {registered.status_code} {registered.text}")
    body = registered.json()
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    settings = await client.put(
        "/api/v1/business", headers=headers, json={"timezone": "UTC", "day_cutoff_hour": 4}
    )
    if settings.status_code != 200:
        raise RuntimeError(f"business settings: {settings.status_code} {settings.text}")
    for sku, name, price in items:
        created = await client.post(
            "/api/v1/menu/items", headers=headers,
            json={"name": name, "price": price, "cost": f"{float(price) * 0.3:.2f}", "sku": sku},
        )  # fmt: skip
        if created.status_code != 201:
            raise RuntimeError(f"menu item: {created.status_code} {created.text}")
    location_ids = {}
    for name in LOCATIONS:
        created = await client.post("/api/v1/locations", headers=headers, json={"name": name})
        if created.status_code != 201:
            raise RuntimeError(f"location: {created.status_code} {created.text}")
        location_ids[name] = created.json()["id"]
    return {
        "headers": headers,
        "slug": body["business"]["slug"],
        "id": body["business"]["id"],
        "locations": location_ids,
    }


# --- measurements ----------------------------------------------------------------------------


async def measure_cli(url: str, path: Path, slug: str) -> tuple[float, dict[str, Any]]:
    """(a): the function `tableside import sales` runs, in this process."""
    from tableside.cli_import import run_import
    from tableside.config import get_settings
    from tableside.ledger.ingest import ImportOptions

    settings = get_settings().model_copy(update={"log_level": "WARNING"})
    started = time.perf_counter()
    outcome = await run_import(settings, url, path, slug, ImportOptions(), show_progress=False)
    wall = time.perf_counter() - started
    report = outcome.report
    if report.lines_written == 0 or report.error_count:
        raise RuntimeError(f"import wrote {report.lines_written}, errors {report.error_count}")
    return wall, {
        "lines_written": report.lines_written,
        "phases_seconds": {k: round(v, 3) for k, v in outcome.timings.items()},
    }


async def measure_bulk(
    client: httpx.AsyncClient, headers: dict[str, str], bodies: list[bytes]
) -> float:
    """(b): the bulk requests one after the other; fails on any status but 201."""
    send_headers = {**headers, "Content-Type": "application/json"}
    started = time.perf_counter()
    for body in bodies:
        response = await client.post("/api/v1/sales/bulk", headers=send_headers, content=body)
        if response.status_code != 201:
            raise RuntimeError(f"bulk: {response.status_code} {response.text[:500]}")
    return time.perf_counter() - started


async def measure_raw_copy(url: str, path: Path) -> float:
    """(c): COPY the file into a bare table with the same column types."""
    from tableside.db.database import asyncpg_connect_kwargs

    conn = await asyncpg.connect(**asyncpg_connect_kwargs(url))
    try:
        await conn.execute(
            f"DROP TABLE IF EXISTS {RAW_TABLE}; CREATE TABLE {RAW_TABLE} (sold_at timestamptz,"
            " sku text, quantity numeric(14, 3), amount numeric(14, 2), location text,"
            " transaction_id text, covers integer)"
        )
        started = time.perf_counter()
        await conn.copy_to_table(RAW_TABLE, source=path, format="csv", header=True)
        wall = time.perf_counter() - started
        await conn.execute(f"DROP TABLE {RAW_TABLE}")
        return wall
    finally:
        await conn.close()


async def measure_floors(url: str, business_id: str) -> dict[str, float]:
    """(d) and (e): the imported lines inserted again, as converted rows, into the ledger (as
    the app role, with the tenant set) and into a plain copy of its shape; both rolled back."""
    from sqlalchemy import text

    from tableside.config import get_settings
    from tableside.db.database import Database, asyncpg_connect_kwargs, set_tenant

    columns = (
        "business_id, location_id, business_date, sold_at, hour_start, local_hour,"
        " menu_item_id, category_id, quantity, net_amount, cost, covers, transactions,"
        " source, batch_id"
    )
    floors: dict[str, float] = {}
    database = Database(url, get_settings())
    try:
        async with database.session() as session:
            await set_tenant(session, uuid.UUID(business_id))
            await session.execute(
                text(f"CREATE TEMP TABLE bench_typed ON COMMIT DROP AS SELECT {columns}"
                     " FROM sales_ledger")
            )  # fmt: skip
            started = time.perf_counter()
            await session.execute(
                text(f"INSERT INTO sales_ledger ({columns}) SELECT {columns} FROM bench_typed")
            )
            floors["ledger_insert"] = time.perf_counter() - started
            await session.rollback()
    finally:
        await database.dispose()
    conn = await asyncpg.connect(**asyncpg_connect_kwargs(url))
    try:
        await conn.execute(
            f"DROP TABLE IF EXISTS {LIKE_TABLE};"
            f" CREATE TABLE {LIKE_TABLE} (LIKE sales_ledger INCLUDING ALL)"
        )
        async with conn.transaction():
            await conn.execute(
                f"CREATE TEMP TABLE bench_typed ON COMMIT DROP AS SELECT {columns}"
                f" FROM sales_ledger WHERE business_id = '{uuid.UUID(business_id)}'"
            )
            started = time.perf_counter()
            await conn.execute(
                f"INSERT INTO {LIKE_TABLE} ({columns}) SELECT {columns} FROM bench_typed"
            )
            floors["plain_indexed_insert"] = time.perf_counter() - started
        await conn.execute(f"DROP TABLE {LIKE_TABLE}")
    finally:
        await conn.close()
    return floors


async def run(args: argparse.Namespace, url: str, port: int, process: subprocess.Popen[bytes],
              log_path: Path, path: Path) -> dict[str, Any]:  # fmt: skip
    items = menu(args.items)
    print(f"generating {args.lines:,} lines ...", flush=True)
    transactions, size = await asyncio.to_thread(write_file, path, args.lines, items, args.seed)
    print(f"  {path} ({size / 1e6:.1f} MB, {transactions:,} transactions)", flush=True)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=600.0) as client:
        await wait_until_ready(client, process, log_path)
        for_cli = await create_business(client, items)
        for_bulk = await create_business(client, items)

        print("(c) raw COPY ...", flush=True)
        raw_wall = await measure_raw_copy(url, path)
        print(f"    {raw_wall:.2f} s", flush=True)

        print("(a) tableside import sales (in-process) ...", flush=True)
        cli_wall, cli_detail = await measure_cli(url, path, for_cli["slug"])
        print(f"    {cli_wall:.2f} s  phases: {cli_detail['phases_seconds']}", flush=True)

        print("(d, e) floors: the converted lines inserted again (rolled back) ...", flush=True)
        floors = await measure_floors(url, for_cli["id"])
        print("    " + "  ".join(f"{k} {v:.2f} s" for k, v in floors.items()), flush=True)

        bulk_wall = None
        if not args.skip_bulk:
            bodies = bulk_bodies(path, args.chunk, for_bulk["locations"])
            print(f"(b) POST /sales/bulk x {len(bodies)} ...", flush=True)
            bulk_wall = await measure_bulk(client, for_bulk["headers"], bodies)
            print(f"    {bulk_wall:.2f} s", flush=True)

    def rate(seconds: float | None) -> float | None:
        return round(args.lines / seconds, 0) if seconds else None

    return {
        "benchmark": "ingest",
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "tableside_version": __version__,
        "database": database_kind(dict(os.environ)),
        "lines": args.lines,
        "transactions": transactions,
        "file_bytes": size,
        "seconds": {
            "a_cli_import": round(cli_wall, 3),
            "b_bulk_http": round(bulk_wall, 3) if bulk_wall else None,
            "c_raw_copy": round(raw_wall, 3),
            "d_ledger_insert_floor": round(floors["ledger_insert"], 3),
            "e_plain_indexed_insert": round(floors["plain_indexed_insert"], 3),
        },
        "lines_per_second": {
            "a_cli_import": rate(cli_wall),
            "b_bulk_http": rate(bulk_wall),
            "c_raw_copy": rate(raw_wall),
            "d_ledger_insert_floor": rate(floors["ledger_insert"]),
            "e_plain_indexed_insert": rate(floors["plain_indexed_insert"]),
        },
        "ratios": {
            "a_over_c": round(raw_wall / cli_wall, 3),
            "b_over_c": round(raw_wall / bulk_wall, 3) if bulk_wall else None,
            "d_over_c": round(raw_wall / floors["ledger_insert"], 3),
        },
        "import_phases_seconds": cli_detail["phases_seconds"],
        "bulk_chunk": args.chunk,
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the headline numbers and write the JSON results."""
    args = parse_args(argv)
    env = server_env()
    env["TABLESIDE_MAX_BODY_BYTES"] = str(64 * 1024 * 1024)
    if not args.skip_migrate:
        print("migrating ...", flush=True)
        subprocess.run([*tableside_command(), "migrate"], env=env, check=True)
    from tableside.config import get_settings
    from tableside.db.database import resolve_database_url

    url = asyncio.run(resolve_database_url(get_settings()))
    port = args.port or free_port()
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    log_path = RESULTS_DIR / "ingest.server.log"
    process, log_file = start_server(port, 1, env, log_path)
    print(f"server pid {process.pid} on 127.0.0.1:{port} (log: {log_path})", flush=True)
    with tempfile.TemporaryDirectory(prefix="tableside-ingest-") as folder:
        try:
            results = asyncio.run(
                run(args, url, port, process, log_path, Path(folder) / "sales.csv")
            )
        finally:
            stop_server(process)
            log_file.close()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    rates, ratios = results["lines_per_second"], results["ratios"]
    print(
        f"{args.lines:,} sale lines\n"
        f"  (a) tableside import sales  {rates['a_cli_import']:>12,.0f} lines/s\n"
        + (f"  (b) POST /sales/bulk        {rates['b_bulk_http']:>12,.0f} lines/s\n"
           if rates["b_bulk_http"] else "")
        + f"  (c) raw COPY                {rates['c_raw_copy']:>12,.0f} lines/s\n"
        f"  (d) ledger INSERT floor     {rates['d_ledger_insert_floor']:>12,.0f} lines/s\n"
        f"  (e) indexed plain INSERT    {rates['e_plain_indexed_insert']:>12,.0f} lines/s\n"
        f"  a/c {ratios['a_over_c']}"
        + (f"  b/c {ratios['b_over_c']}" if ratios["b_over_c"] else "")
        + f"  d/c {ratios['d_over_c']}\n"
        f"  results: {args.output}"
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())

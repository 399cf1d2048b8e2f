"""Benchmark `POST /api/v1/menu/items/import-csv`: a 10,000-row menu, created then updated.

Builds a CSV of N rows in memory (name, category, price, cost, description, is_active and an
explicit SKU per row), starts `tableside serve` on a free port the way benchmarks/auth_me.py
does (same helpers, same database choice), registers a throw-away business, then uploads the
file twice: first into an empty menu (every row created, with categories created and barcodes
generated), then again with new prices (every row matched by SKU and updated). It reports
seconds and rows per second for each upload, measured by the client around the whole HTTP
request (upload, parsing, validation, SQL, commit and the per-row JSON report). Results go to
benchmarks/results/menu_import.json.

    uv run python benchmarks/menu_import.py [--rows 10000] [--categories 25]

Every run leaves one business (`Benchmark ...`) with N items behind in that database.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

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

from tableside import __version__

HEADER = ["name", "category", "price", "cost", "description", "is_active", "sku"]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000, help="rows in the CSV (max 10000)")
    parser.add_argument("--categories", type=int, default=25, help="distinct category names")
    parser.add_argument("--port", type=int, default=0, help="server port (0: pick a free one)")
    parser.add_argument("--skip-migrate", action="store_true", help="do not run migrations")
    parser.add_argument(
        "--output", type=Path, default=RESULTS_DIR / "menu_import.json", help="JSON results file"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.rows <= 10_000 or args.categories < 1:
        parser.error("--rows must be 1 to 10000 and --categories positive")
    return args


def build_csv(rows: int, categories: int, price_step: Decimal) -> bytes:
    """A menu of `rows` items spread over `categories`; `price_step` shifts every price so a
    second file really changes the items it updates."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    for n in range(rows):
        price = Decimal(3 + n % 40) + Decimal(n % 100) / 100 + price_step
        cost = (price * Decimal("0.31")).quantize(Decimal("0.01"))
        writer.writerow(
            [
                f"Benchmark dish {n:05d}",
                f"Category {n % categories:02d}",
                f"{price:.2f}",
                f"{cost:.2f}",
                f"House recipe number {n}, made fresh every day",
                "true" if n % 17 else "false",
                f"BENCH-{n:05d}",
            ]
        )
    return buffer.getvalue().encode("utf-8")


async def upload(
    client: httpx.AsyncClient, token: str, content: bytes, expect: str
) -> dict[str, Any]:
    """Upload the file once; fail unless every row got the `expect`ed status."""
    started = time.perf_counter()
    response = await client.post(
        "/api/v1/menu/items/import-csv",
        headers={"Authorization": f"Bearer {token}"},
        files={"file": ("menu.csv", content, "text/csv")},
    )
    seconds = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"import failed: {response.status_code} {response.text[:500]}")
    summary = response.json()["summary"]
    if summary[expect] != summary["total"]:
        raise RuntimeError(f"expected every row {expect}, got {summary}")
    return {
        "seconds": round(seconds, 3),
        "rows_per_second": round(summary["total"] / seconds, 1),
        "summary": summary,
        "request_bytes": len(content),
        "response_bytes": len(response.content),
    }


async def measure(
    args: argparse.Namespace, port: int, process: subprocess.Popen[bytes], log_path: Path
) -> dict[str, dict[str, Any]]:
    fresh = build_csv(args.rows, args.categories, Decimal("0"))
    changed = build_csv(args.rows, args.categories, Decimal("0.50"))
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=300.0) as client:
        await wait_until_ready(client, process, log_path)
        token = await register_and_login(client)
        created = await upload(client, token, fresh, "created")
        updated = await upload(client, token, changed, "updated")
    return {"create": created, "update": updated}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the headline numbers and write the JSON results."""
    args = parse_args(argv)
    env = server_env()
    if not args.skip_migrate:
        print("migrating ...", flush=True)
        subprocess.run([*tableside_command(), "migrate"], env=env, check=True)
    port = args.port or free_port()
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    log_path = RESULTS_DIR / "menu_import.server.log"
    process, log_file = start_server(port, 1, env, log_path)
    print(f"server pid {process.pid} on 127.0.0.1:{port} (log: {log_path})", flush=True)
    try:
        phases = asyncio.run(measure(args, port, process, log_path))
    finally:
        stop_server(process)
        log_file.close()
    results = {
        "benchmark": "menu_import",
        "endpoint": "POST /api/v1/menu/items/import-csv",
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "tableside_version": __version__,
        "rows": args.rows,
        "categories": args.categories,
        "database": database_kind(dict(os.environ)),
        **phases,
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"POST /api/v1/menu/items/import-csv with {args.rows} rows:")
    for phase in ("create", "update"):
        numbers = phases[phase]
        print(
            f"  {phase:<6} {numbers['seconds']:>7.3f} s  {numbers['rows_per_second']:>9.1f} rows/s"
            f"  ({numbers['summary']})"
        )
    print(f"  results: {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark `GET /api/v1/auth/me`: the cost of one authenticated request end to end.

Starts `tableside serve` on a free port against the database `tableside` itself would use
(TABLESIDE_DATABASE_URL, else the embedded server in TABLESIDE_DATA_DIR), registers a business,
logs in, warms up, then fires N requests at concurrency C with httpx and reports requests per
second and latency percentiles. Results go to benchmarks/results/auth_me.json.

    uv run python benchmarks/auth_me.py --requests 5000 --concurrency 32

Every run registers one throw-away business (`Benchmark ...`) in that database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from tableside import __version__
from tableside.system.metrics import percentile

RESULTS_DIR = Path(__file__).resolve().parent / "results"
READY_TIMEOUT_SECONDS = 180.0  # a first embedded-PostgreSQL start unpacks and initdb's a cluster
STOP_TIMEOUT_SECONDS = 20.0
PASSWORD = "Bench-mark-2468"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=5000, help="measured requests")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight")
    parser.add_argument("--warmup", type=int, default=500, help="requests before measuring")
    parser.add_argument("--port", type=int, default=0, help="server port (0: pick a free one)")
    parser.add_argument("--workers", type=int, default=1, help="`tableside serve --workers`")
    parser.add_argument("--skip-migrate", action="store_true", help="do not run migrations")
    parser.add_argument(
        "--output", type=Path, default=RESULTS_DIR / "auth_me.json", help="JSON results file"
    )
    args = parser.parse_args(argv)
    if args.requests < 1 or args.concurrency < 1 or args.warmup < 0 or args.workers < 1:
        parser.error("--requests, --concurrency and --workers must be positive")
    return args


def free_port() -> int:
    """A port nothing listens on now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tableside_command() -> list[str]:
    """The `tableside` console script of this interpreter's environment."""
    beside_python = Path(sys.executable).with_name("tableside")
    if beside_python.exists():
        return [str(beside_python)]
    found = shutil.which("tableside")
    if found is None:
        sys.exit("`tableside` is not installed in this environment; run `uv sync` first")
    return [found]


def server_env() -> dict[str, str]:
    """The caller's environment (so the same database), with rate limits off: the benchmark
    is one user sending far more than a person would."""
    env = dict(os.environ)
    env["TABLESIDE_RATE_LIMIT_ENABLED"] = "false"
    return env


def database_kind(env: dict[str, str]) -> str:
    """Which database was used, without ever writing its URL (it may hold a password)."""
    if env.get("TABLESIDE_DATABASE_URL"):
        return "external"
    return "embedded"


def start_server(
    port: int, workers: int, env: dict[str, str], log_path: Path
) -> tuple[subprocess.Popen[bytes], Any]:
    """Launch `tableside serve` in its own process group; its output goes to a log file, not a
    pipe, so a chatty server can never block on a full pipe nobody reads."""
    log_file = log_path.open("wb")
    command = [
        *tableside_command(),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    process = subprocess.Popen(
        command, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
    )
    return process, log_file


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """Stop the server and its worker processes: SIGTERM to the group, SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


def log_tail(log_path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


async def wait_until_ready(
    client: httpx.AsyncClient, process: subprocess.Popen[bytes], log_path: Path
) -> None:
    """Poll /health until the server answers 200; fail early if the server dies."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"`tableside serve` exited with {process.returncode}:\n{log_tail(log_path)}"
            )
        try:
            response = await client.get("/health")
            if response.status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.25)
    raise RuntimeError(f"server not ready after {READY_TIMEOUT_SECONDS}s:\n{log_tail(log_path)}")


async def register_and_login(client: httpx.AsyncClient) -> str:
    """Create a throw-away business through the API and return an access token for its owner."""
    suffix = uuid.uuid4().hex[:10]
    email = f"bench-{suffix}@example.com"
    registered = await client.post(
        "/api/v1/auth/register",
        json={
            "email": email,
            "password": PASSWORD,
            "full_name": "Benchmark Owner",
            "business_name": f"Benchmark {suffix}",
        },
    )
    if registered.status_code != 201:
        raise RuntimeError(f"register failed: {registered.status_code} {registered.text}")
    login = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    if login.status_code == 422:
        # The OAuth2 password form (what Swagger's Authorize button sends).
        login = await client.post(
            "/api/v1/auth/login", data={"username": email, "password": PASSWORD}
        )
    if login.status_code != 200:
        raise RuntimeError(f"login failed: {login.status_code} {login.text}")
    token: str = login.json()["access_token"]
    return token


async def fire(
    client: httpx.AsyncClient, total: int, concurrency: int, token: str
) -> tuple[list[float], Counter[int], float]:
    """Send `total` GET /auth/me with `concurrency` in flight; latencies (s), statuses, wall."""
    headers = {"Authorization": f"Bearer {token}"}
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    remaining = total

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1  # no await between test and decrement: safe on one event loop
            started = time.perf_counter()
            try:
                response = await client.get("/api/v1/auth/me", headers=headers)
                status = response.status_code
            except httpx.TransportError:
                status = 0  # connection-level failure
            latencies.append(time.perf_counter() - started)
            statuses[status] += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(min(concurrency, total))))
    return latencies, statuses, time.perf_counter() - started


def summarize(
    args: argparse.Namespace, latencies: list[float], statuses: Counter[int], wall: float
) -> dict[str, Any]:
    ordered = sorted(latencies)
    errors = sum(count for status, count in statuses.items() if status != 200)
    return {
        "benchmark": "auth_me",
        "endpoint": "GET /api/v1/auth/me",
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "tableside_version": __version__,
        "requests": len(latencies),
        "concurrency": args.concurrency,
        "warmup_requests": args.warmup,
        "server_workers": args.workers,
        "database": database_kind(dict(os.environ)),
        "duration_seconds": round(wall, 3),
        "requests_per_second": round(len(latencies) / wall, 1) if wall else 0.0,
        "latency_ms": {
            "p50": round(percentile(ordered, 0.50) * 1000, 2),
            "p90": round(percentile(ordered, 0.90) * 1000, 2),
            "p99": round(percentile(ordered, 0.99) * 1000, 2),
            "max": round(ordered[-1] * 1000, 2) if ordered else 0.0,
            "mean": round(sum(ordered) / len(ordered) * 1000, 2) if ordered else 0.0,
        },
        "errors": errors,
        "statuses": {str(status): count for status, count in sorted(statuses.items())},
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
    }


async def measure(
    args: argparse.Namespace, port: int, process: subprocess.Popen[bytes], log_path: Path
) -> tuple[list[float], Counter[int], float]:
    """Wait for the server, sign in, warm up, then measure."""
    limits = httpx.Limits(
        max_connections=args.concurrency, max_keepalive_connections=args.concurrency
    )
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=60.0
    ) as client:
        await wait_until_ready(client, process, log_path)
        token = await register_and_login(client)
        if args.warmup:
            _, warm_statuses, _ = await fire(client, args.warmup, args.concurrency, token)
            if warm_statuses.get(200, 0) == 0:
                raise RuntimeError(f"warm-up got no 200s: {dict(warm_statuses)}")
        return await fire(client, args.requests, args.concurrency, token)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the headline numbers and write the JSON results."""
    args = parse_args(argv)
    env = server_env()
    if not args.skip_migrate:
        print("migrating ...", flush=True)
        subprocess.run([*tableside_command(), "migrate"], env=env, check=True)
    port = args.port or free_port()
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    log_path = RESULTS_DIR / "auth_me.server.log"
    process, log_file = start_server(port, args.workers, env, log_path)
    print(f"server pid {process.pid} on 127.0.0.1:{port} (log: {log_path})", flush=True)
    try:
        latencies, statuses, wall = asyncio.run(measure(args, port, process, log_path))
    finally:
        stop_server(process)
        log_file.close()
    results = summarize(args, latencies, statuses, wall)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    latency = results["latency_ms"]
    print(
        f"GET /api/v1/auth/me: {results['requests']} requests, concurrency {args.concurrency},"
        f" {args.workers} server worker(s)\n"
        f"  {results['requests_per_second']} requests/s"
        f"  p50 {latency['p50']} ms  p99 {latency['p99']} ms"
        f"  errors {results['errors']}\n"
        f"  results: {args.output}"
    )
    return 1 if results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())

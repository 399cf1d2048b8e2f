"""`GET /metrics` (Prometheus) and `GET /api/v1/system/metrics` (owner and admin)."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client import CONTENT_TYPE_LATEST

from tableside.app import create_app
from tableside.config import Settings
from tableside.db.database import Database
from tests.factories import Account, add_user, assert_error

SYSTEM_METRICS = "/api/v1/system/metrics"


async def test_prometheus_exposes_request_counters_after_a_request(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.get("/health")).status_code == 200
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == CONTENT_TYPE_LATEST
    text = response.text
    assert 'tableside_http_requests_total{method="GET",route="/health",status="200"}' in text
    assert 'tableside_http_request_duration_seconds_bucket{le="0.005",method="GET"' in text
    assert "tableside_db_pool_size 10.0" in text
    assert "tableside_db_pool_connections_in_use" in text
    assert "tableside_uptime_seconds" in text


async def test_prometheus_labels_routes_by_template_not_by_path(
    client: httpx.AsyncClient,
) -> None:
    # Ids in paths would give every resource its own series; the template keeps them bounded.
    await client.get("/no/such/path/12345")
    text = (await client.get("/metrics")).text
    assert "/no/such/path/12345" not in text
    assert 'route="unmatched"' in text


async def test_owner_sees_traffic_routes_and_pool(
    settings: Settings, database: Database, owner: Account
) -> None:
    # A fresh app has its own metrics window, so the routes seen are this test's alone.
    app = create_app(settings, database=database)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        await client.get("/health")
        await client.get("/api/v1/auth/me", headers=owner.headers)
        response = await client.get(SYSTEM_METRICS, headers=owner.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"uptime_seconds", "requests", "top_routes", "database_pool"}
    assert body["uptime_seconds"] > 0
    requests = body["requests"]
    assert requests["requests"] >= 2
    assert requests["requests_per_second"] > 0
    assert 0 <= requests["p50_ms"] <= requests["p95_ms"] <= requests["p99_ms"]
    assert 0 <= requests["client_error_rate"] <= 1
    assert 0 <= requests["server_error_rate"] <= 1
    assert requests["window_seconds"] <= 300
    routes = body["top_routes"]
    assert 1 <= len(routes) <= 10
    counts = [route["requests"] for route in routes]
    assert counts == sorted(counts, reverse=True)
    assert any(r["method"] == "GET" and r["route"] == "/health" for r in routes)
    for route in routes:
        assert set(route) == {
            "method",
            "route",
            "requests",
            "p95_ms",
            "client_errors",
            "server_errors",
        }
    pool = body["database_pool"]
    assert pool["size"] == 10
    assert pool["max_overflow"] == 20
    # This very request holds a connection for its transaction.
    assert pool["checked_out"] >= 1
    assert pool["overflow"] >= 0


async def test_admin_sees_system_metrics(client: httpx.AsyncClient, owner: Account) -> None:
    admin = await add_user(client, owner, "admin")
    response = await client.get(SYSTEM_METRICS, headers=admin.headers)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("role", ["manager", "cashier", "wait_staff", "kitchen_staff", "viewer"])
async def test_lower_roles_are_forbidden(
    client: httpx.AsyncClient, owner: Account, role: str
) -> None:
    user = await add_user(client, owner, role)
    response = await client.get(SYSTEM_METRICS, headers=user.headers)
    assert_error(response, 403, "FORBIDDEN")


async def test_system_metrics_need_credentials(client: httpx.AsyncClient) -> None:
    response = await client.get(SYSTEM_METRICS)
    assert_error(response, 401, "UNAUTHORIZED")
    assert response.headers["www-authenticate"] == "Bearer"

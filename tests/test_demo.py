"""The demo business loads once, with a user of every role who can log in."""

from __future__ import annotations

from datetime import date
from itertools import pairwise

import httpx

from tableside.db.database import Database
from tableside.demo import DEMO_PASSWORD, DEMO_USERS, load_demo
from tableside.models import Role
from tests.factories import login


async def test_demo_business_loads_and_logs_in(
    client: httpx.AsyncClient, database: Database
) -> None:
    business, created = await load_demo(database, reset=True, history_days=28)
    assert created
    again, created_again = await load_demo(database)
    assert not created_again and again.id == business.id
    assert {person.role for person in DEMO_USERS} == set(Role)

    response = await login(client, "owner@bellavista.example", DEMO_PASSWORD, "bella-vista")
    assert response.status_code == 200, response.text
    headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
    locations = (await client.get("/api/v1/locations", headers=headers)).json()
    assert locations["total"] == 3
    assert {loc["type"] for loc in locations["items"]} == {"restaurant", "central_kitchen"}
    users = (await client.get("/api/v1/users", headers=headers)).json()
    assert users["total"] == len(DEMO_USERS)


async def test_demo_front_of_house(client: httpx.AsyncClient, database: Database) -> None:
    await load_demo(database, reset=True, history_days=14)
    response = await login(client, "manager@bellavista.example", DEMO_PASSWORD, "bella-vista")
    headers = {"Authorization": f"Bearer {response.json()['access_token']}"}

    items = (
        await client.get("/api/v1/menu/items", headers=headers, params={"page_size": 100})
    ).json()
    assert 35 <= items["total"] <= 45
    stations = {item["station"] for item in items["items"]}
    assert {"pizza", "pasta", "grill", "bar", None} <= stations
    retail = [item for item in items["items"] if item["stock"] is not None]
    assert retail and all(item["station"] is None for item in retail)
    assert all(item["cost"] is not None and item["margin"] is not None for item in items["items"])

    tables = (await client.get("/api/v1/tables", headers=headers, params={"page_size": 100})).json()
    assert tables["total"] >= 20
    occupied = [table for table in tables["items"] if table["status"] == "occupied"]
    assert {table["table_number"] for table in occupied} == {"D1", "D5", "D9", "B3"}
    assert all(table["open_order_ids"] for table in occupied)

    customers = (await client.get("/api/v1/customers", headers=headers)).json()
    assert customers["total"] >= 10

    open_orders = (
        await client.get(
            "/api/v1/orders",
            headers=headers,
            params=[("status", "pending"), ("status", "preparing"), ("status", "ready")],
        )
    ).json()
    assert open_orders["total"] == 5
    assert {order["status"] for order in open_orders["items"]} == {"pending", "preparing", "ready"}
    tickets = (await client.get("/api/v1/kitchen/tickets", headers=headers)).json()
    assert tickets["total"] >= 4

    # Sales history ends yesterday at both restaurants, and the analytics read it.
    history = (
        await client.get(
            "/api/v1/sales/aggregate",
            headers=headers,
            params={"granularity": "day", "group_by": "location"},
        )
    ).json()
    assert history["total_revenue"] > 0 and history["transaction_count"] > 0
    by_location = {point["group"]["name"] for point in history["time_series"] if point["revenue"]}
    assert by_location == {
        "Bella Vista Downtown",
        "Bella Vista Brooklyn",
        "Bella Vista Commissary",  # its counter: shop goods and catering
    }


async def test_demo_forecasts_have_past_runs_to_judge(
    client: httpx.AsyncClient, database: Database
) -> None:
    """With enough history, every demo forecast has past runs over the last four weeks, one
    horizon apart and trained on the sales before their day, so the accuracy screen has real
    numbers from the first login."""
    await load_demo(database, reset=True, history_days=91)
    response = await login(client, "manager@bellavista.example", DEMO_PASSWORD, "bella-vista")
    headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
    forecasts = (await client.get("/api/v1/forecasts", headers=headers)).json()["items"]
    horizon_days = {"revenue": 28, "item_units": 14, "covers": 7}
    assert {f["target"] for f in forecasts} == set(horizon_days)
    for forecast in forecasts:
        step = horizon_days[forecast["target"]]
        runs = (
            await client.get(f"/api/v1/forecasts/{forecast['id']}/runs", headers=headers)
        ).json()["items"]
        trained = sorted(run["trained_through"] for run in runs)
        assert len(trained) == 1 + 28 // step, trained
        gaps = {(date.fromisoformat(b) - date.fromisoformat(a)).days for a, b in pairwise(trained)}
        assert gaps == {step}

        accuracy = await client.get(
            f"/api/v1/forecasts/{forecast['id']}/accuracy",
            headers=headers,
            params={"days_back": 28},
        )
        assert accuracy.status_code == 200, accuracy.text
        body = accuracy.json()
        assert len(body["daily"]) >= 20
        assert all(day["actual"] >= 0 and day["predicted"] >= 0 for day in body["daily"])
        assert body["metrics"]["wape"] is not None and body["metrics"]["wape"] < 1
        assert set(body["model_versions"]) <= set(range(1, len(trained)))

        # What is served is the run trained on everything up to yesterday.
        served = (
            await client.post(f"/api/v1/forecasts/{forecast['id']}/predict", headers=headers)
        ).json()
        assert served["model_version"] == len(trained)
        assert served["trained_through"] == trained[-1]


async def test_demo_with_short_history_stores_only_the_current_run(
    client: httpx.AsyncClient, database: Database
) -> None:
    await load_demo(database, reset=True, history_days=28)
    response = await login(client, "manager@bellavista.example", DEMO_PASSWORD, "bella-vista")
    headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
    forecasts = (await client.get("/api/v1/forecasts", headers=headers)).json()["items"]
    assert len(forecasts) == 3
    for forecast in forecasts:
        runs = (
            await client.get(f"/api/v1/forecasts/{forecast['id']}/runs", headers=headers)
        ).json()["items"]
        assert [run["model_version"] for run in runs] == [1]
        accuracy = await client.get(f"/api/v1/forecasts/{forecast['id']}/accuracy", headers=headers)
        assert accuracy.status_code == 404
        assert accuracy.json()["error"]["code"] == "INSUFFICIENT_DATA"

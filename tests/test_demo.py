"""The demo business loads once, with a user of every role who can log in."""

from __future__ import annotations

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
    assert by_location == {"Bella Vista Downtown", "Bella Vista Brooklyn"}

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
    business, created = await load_demo(database, reset=True)
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

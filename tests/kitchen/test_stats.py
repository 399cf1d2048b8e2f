"""Kitchen statistics and the kitchen and orders working on one order at the same time."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import update

from tableside.db.database import Database, set_tenant
from tableside.kit.business_time import business_date
from tableside.models import KitchenTicket
from tests.factories import Account, add_user, assert_error
from tests.factories.orders import (
    KITCHEN,
    ORDERS,
    create_menu_item,
    create_order,
    line,
    send,
    tickets_of,
)

TICKETS = f"{KITCHEN}/tickets"


async def _tickets_for(
    client: httpx.AsyncClient, account: Account, database: Database, *stations: str
) -> list[dict]:
    items = [
        line(await create_menu_item(database, account, station=station)) for station in stations
    ]
    order = await create_order(client, account, items)
    await send(client, account, order["id"])
    return await tickets_of(client, account, order["order_number"])


async def _prep_time(database: Database, account: Account, ticket_id: str, seconds: int) -> None:
    """Make a ticket's prep time exact: ready_at = created_at + seconds."""
    async with database.session() as session:
        await set_tenant(session, uuid.UUID(account.business_id))
        await session.execute(
            update(KitchenTicket)
            .where(KitchenTicket.id == uuid.UUID(ticket_id))
            .values(ready_at=KitchenTicket.created_at + timedelta(seconds=seconds))
        )


async def test_stats(client: httpx.AsyncClient, owner: Account, database: Database) -> None:
    cold_a, oven_a = await _tickets_for(client, owner, database, "oven", "cold")
    [oven_b] = await _tickets_for(client, owner, database, "oven")
    [oven_c] = await _tickets_for(client, owner, database, "oven")
    [oven_d] = await _tickets_for(client, owner, database, "oven")
    [grill] = await _tickets_for(client, owner, database, "grill")
    for ticket in (oven_a, oven_b, oven_c, cold_a):
        assert (
            await client.post(f"{TICKETS}/{ticket['id']}/ready", headers=owner.headers)
        ).status_code == 200
    await client.post(f"{TICKETS}/{cold_a['id']}/served", headers=owner.headers)
    await client.post(f"{TICKETS}/{grill['id']}/cancel", headers=owner.headers)
    for ticket, seconds in ((oven_a, 60), (oven_b, 120), (oven_c, 300), (cold_a, 30)):
        await _prep_time(database, owner, ticket["id"], seconds)
    assert oven_d["status"] == "pending"

    response = await client.get(f"{KITCHEN}/stats", headers=owner.headers)
    assert response.status_code == 200, response.text
    stats = response.json()
    today = business_date(datetime.now(UTC), "UTC", 4).isoformat()
    assert (stats["date_from"], stats["date_to"], stats["station"]) == (today, today, None)
    assert stats["counts"] == {
        "pending": 1,
        "preparing": 0,
        "ready": 3,
        "served": 1,
        "cancelled": 1,
    }
    assert stats["total"] == 6
    # prep times 30, 60, 120, 300: mean 127.5; p90 interpolates 120 + 0.7 x 180
    assert stats["average_prep_seconds"] == 127.5
    assert stats["p90_prep_seconds"] == 246.0
    stations = {s["station"]: s for s in stats["stations"]}
    assert list(stations) == ["cold", "grill", "oven"]
    assert stations["oven"]["counts"]["ready"] == 3 and stations["oven"]["total"] == 4
    assert stations["oven"]["average_prep_seconds"] == 160.0
    assert stations["oven"]["p90_prep_seconds"] == 264.0
    assert stations["cold"]["average_prep_seconds"] == 30.0
    assert stations["grill"]["average_prep_seconds"] is None
    assert stations["grill"]["counts"]["cancelled"] == 1

    oven_only = (
        await client.get(f"{KITCHEN}/stats", headers=owner.headers, params={"station": "oven"})
    ).json()
    assert oven_only["total"] == 4
    assert oven_only["average_prep_seconds"] == 160.0
    assert [s["station"] for s in oven_only["stations"]] == ["oven"]

    earlier = (datetime.now(UTC) - timedelta(days=2)).date().isoformat()
    past = (
        await client.get(
            f"{KITCHEN}/stats",
            headers=owner.headers,
            params={"date_from": earlier, "date_to": earlier},
        )
    ).json()
    assert past["total"] == 0 and past["average_prep_seconds"] is None and past["stations"] == []
    wide = (
        await client.get(f"{KITCHEN}/stats", headers=owner.headers, params={"date_from": earlier})
    ).json()
    assert (wide["date_to"], wide["total"]) == (today, 6)  # open-ended: up to today
    reversed_range = await client.get(
        f"{KITCHEN}/stats",
        headers=owner.headers,
        params={"date_from": today, "date_to": earlier},
    )
    assert_error(reversed_range, 422, "VALIDATION_ERROR")


@pytest.mark.parametrize("repeat", range(3))
async def test_concurrent_tickets_ready_make_the_order_ready(
    client: httpx.AsyncClient, owner: Account, database: Database, repeat: int
) -> None:
    cook = await add_user(client, owner, "kitchen_staff")
    items = [
        line(await create_menu_item(database, owner, station=station))
        for station in ("oven", "grill", "cold", "bar")
    ]
    order = await create_order(client, owner, items)
    await send(client, owner, order["id"])
    tickets = await tickets_of(client, owner, order["order_number"])
    responses = await asyncio.gather(
        *(client.post(f"{TICKETS}/{t['id']}/ready", headers=cook.headers) for t in tickets)
    )
    assert [r.status_code for r in responses] == [200] * 4
    current = (await client.get(f"{ORDERS}/{order['id']}", headers=owner.headers)).json()
    assert current["status"] == "ready"
    assert {i["status"] for i in current["items"]} == {"ready"}


async def test_kitchen_and_front_of_house_at_once(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    """Voids, additions and kitchen progress on one order interleave without losing a line."""
    pizza = await create_menu_item(database, owner, price="10.00", station="oven")
    salad = await create_menu_item(database, owner, price="5.00", station="cold")
    order = await create_order(client, owner, [line(pizza), line(pizza), line(salad)])
    sent = await send(client, owner, order["id"])
    oven_ticket = sent["items"][0]["ticket_id"]
    cold_ticket = sent["items"][2]["ticket_id"]
    voided_line = sent["items"][1]["id"]
    responses = await asyncio.gather(
        client.post(f"{TICKETS}/{oven_ticket}/start", headers=owner.headers),
        client.delete(f"{ORDERS}/{order['id']}/items/{voided_line}", headers=owner.headers),
        client.post(f"{TICKETS}/{cold_ticket}/ready", headers=owner.headers),
        client.post(
            f"{ORDERS}/{order['id']}/items", headers=owner.headers, json={"items": [line(salad)]}
        ),
        client.post(
            f"{ORDERS}/{order['id']}/items", headers=owner.headers, json={"items": [line(pizza)]}
        ),
    )
    assert [r.status_code for r in responses] == [200, 204, 200, 201, 201]
    final = (await client.get(f"{ORDERS}/{order['id']}", headers=owner.headers)).json()
    assert len(final["items"]) == 5
    assert [i["status"] for i in final["items"] if i["id"] == voided_line] == ["voided"]
    assert final["subtotal"] == 30.00  # 10 + 5 + 5 + 10, the voided pizza left out
    oven = (await client.get(f"{TICKETS}/{oven_ticket}", headers=owner.headers)).json()
    assert oven["status"] == "preparing" and len(oven["items"]) == 1

"""Another system's sale sent again under the same source and `external_id`: the same sale
is answered as already recorded (200), another one is refused (409) instead of dropped."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tableside.db.database import Database
from tests.factories import Account, assert_error
from tests.factories.ledger_queries import create_location
from tests.factories.sales import SALES, create_item, external_sale, read_ledger

SOLD_AT = "2024-03-02T19:45:00Z"


async def sales_count(client: httpx.AsyncClient, owner: Account) -> int:
    response = await client.get(SALES, headers=owner.headers)
    assert response.status_code == 200, response.text
    return len(response.json()["items"])


async def test_a_ticket_number_reused_by_another_location_is_refused(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    # Two tills numbering their tickets from 1: the second location's ticket 1 is its own sale.
    downtown = await create_location(client, owner, "Downtown")
    harbour = await create_location(client, owner, "Harbour")
    item = await create_item(database, owner, price="8.00")
    common: dict[str, Any] = {"external_id": "ticket-1", "sold_at": SOLD_AT, "status": "completed"}
    first = await external_sale(
        client, owner.headers, [(item, 1, "8.00")], location_id=downtown, **common
    )
    assert first.status_code == 201, first.text
    second = await external_sale(
        client, owner.headers, [(item, 1, "8.00")], location_id=harbour, **common
    )
    assert_error(second, 409, "IDEMPOTENCY_CONFLICT")
    body = second.json()["error"]
    assert "ticket-1" in body["message"] and first.json()["sale_number"] in body["message"]
    assert body["details"][0]["field"] == "location_id"
    assert await sales_count(client, owner) == 1
    assert len((await read_ledger(database, owner)).lines) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"sold_at": "2024-03-02T19:46:00Z"}, "sold_at"),
        ({"lines": "quantity"}, "items.0.quantity"),
        ({"lines": "price"}, "items.0.unit_price"),
        ({"lines": "item"}, "items.0"),
        ({"lines": "extra"}, "items"),
    ],
)
async def test_another_sale_under_the_same_id_is_refused(
    client: httpx.AsyncClient,
    owner: Account,
    database: Database,
    change: dict[str, str],
    field: str,
) -> None:
    pizza = await create_item(database, owner, price="8.00")
    salad = await create_item(database, owner, price="6.50")
    lines = [(pizza, 2, "8.00")]
    first = await external_sale(
        client, owner.headers, lines, external_id="ord-9", sold_at=SOLD_AT, status="completed"
    )
    assert first.status_code == 201, first.text
    sent = {
        "quantity": [(pizza, 3, "8.00")],
        "price": [(pizza, 2, "7.00")],
        "item": [(salad, 2, "8.00")],
        "extra": [(pizza, 2, "8.00"), (salad, 1, "6.50")],
    }.get(change.get("lines", ""), lines)
    sold_at = change.get("sold_at", SOLD_AT)
    again = await external_sale(
        client, owner.headers, sent, external_id="ord-9", sold_at=sold_at, status="completed"
    )
    assert_error(again, 409, "IDEMPOTENCY_CONFLICT")
    assert again.json()["error"]["details"][0]["field"] == field
    assert await sales_count(client, owner) == 1
    assert len((await read_ledger(database, owner)).lines) == 1


async def test_a_retry_that_states_less_is_the_same_sale(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    location = await create_location(client, owner, "Main")
    item = await create_item(database, owner, price="8.00")
    first = await external_sale(
        client,
        owner.headers,
        [(item, 2, "8.00")],
        external_id="ord-10",
        sold_at="2024-03-02T20:45:00+01:00",
        location_id=location,
        status="completed",
    )
    assert first.status_code == 201, first.text
    # The same instant written in another offset, and by SKU instead of id: the same sale.
    same = await external_sale(
        client,
        owner.headers,
        [(item, 2, "8.00")],
        by_sku=True,
        external_id="ord-10",
        sold_at=SOLD_AT,
        status="completed",
    )
    assert same.status_code == 200, same.text
    assert same.json() == first.json()
    assert await sales_count(client, owner) == 1

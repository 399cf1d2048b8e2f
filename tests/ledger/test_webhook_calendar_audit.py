"""Audit of the single external sale (`POST /api/v1/sales` with a `source` and a past
`sold_at`) and of the business calendar of the sales queries: each case is a fault an
integration or an operator hit, or a check of the numbers against sums computed here
independently with zoneinfo."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from tableside.db.database import Database
from tests.factories import assert_error, money
from tests.factories.ledger_queries import create_location, get_ok, ledger_business
from tests.factories.sales import SALES, create_item, external_sale, read_ledger


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def test_a_sale_of_another_system_at_a_location_closed_since_is_recorded(
    client: httpx.AsyncClient, database: Database
) -> None:
    """Replaying last year's sales of a location closed since was 422 "no such location",
    while the same sale's retired menu items are accepted (and the bulk import takes any
    location of the business). The sale happened there: it is recorded, on that location's
    business day. A till still cannot ring up a sale at a closed location."""
    owner = await ledger_business(client, timezone="UTC", cutoff_hour=4)
    closed = await create_location(client, owner, "Harbour", timezone="America/New_York")
    response = await client.delete(f"/api/v1/locations/{closed}", headers=owner.headers)
    assert response.status_code == 204, response.text
    item = await create_item(database, owner, price="5.00", is_active=False)
    # 05:30 UTC is 00:30 in New York (EST): with a 04:00 cutoff, business day 19 January.
    response = await external_sale(
        client,
        owner.headers,
        [(item, 2, "4.50")],
        sold_at="2024-01-20T05:30:00Z",
        status="completed",
        location_id=closed,
        external_id="harbour-1",
    )
    assert response.status_code == 201, response.text
    sale = response.json()
    assert (sale["location_id"], sale["business_date"]) == (closed, "2024-01-19")
    (line,) = (await read_ledger(database, owner)).of_sale(sale["id"])
    assert (str(line.location_id), line.business_date.isoformat()) == (closed, "2024-01-19")
    body = await get_ok(
        client, owner, "aggregate", date_from="2024-01-19", date_to="2024-01-19",
        location_id=closed,
    )  # fmt: skip
    assert money(body["total_revenue"]) == money("9.00")

    till = await create_item(database, owner, price="5.00")
    refused = await client.post(
        SALES,
        headers=owner.headers,
        json={"items": [{"menu_item_id": till.id, "quantity": 1}], "location_id": closed},
    )
    error = assert_error(refused, 422, "VALIDATION_ERROR")
    assert [d["field"] for d in error["details"]] == ["location_id"]

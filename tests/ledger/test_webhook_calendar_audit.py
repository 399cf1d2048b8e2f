"""Audit of the single external sale (`POST /api/v1/sales` with a `source` and a past
`sold_at`) and of the business calendar of the sales queries: each case is a fault an
integration or an operator hit, or a check of the numbers against sums computed here
independently with zoneinfo."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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


async def test_a_refund_is_never_booked_before_the_sale_it_refunds(
    client: httpx.AsyncClient, database: Database
) -> None:
    """Another system's clock may run up to 5 minutes ahead of ours, so its sale can carry a
    `sold_at` a little after now. Refunding it at once booked the negative lines at the
    refund's instant, before the sale's own lines: in an earlier hour (and, across the day
    cutoff, on the business day before the sale, which then read as a loss). The refund now
    lands no earlier than the sale."""
    owner = await ledger_business(client, timezone="UTC", cutoff_hour=0)
    item = await create_item(database, owner, price="5.00")
    ahead = datetime.now(UTC) + timedelta(minutes=4)
    sale = (
        await external_sale(
            client, owner.headers, [(item, 2, "5.00")], sold_at=_iso(ahead), status="completed"
        )
    ).json()
    refunded = await client.post(
        f"{SALES}/{sale['id']}/refunds",
        headers=owner.headers,
        json={"payment_id": sale["payments"][0]["id"], "amount": "4.00", "reason": "cold"},
    )
    assert refunded.status_code == 201, refunded.text
    lines = (await read_ledger(database, owner)).of_sale(sale["id"])
    assert [(x.quantity, x.net_amount) for x in lines] == [
        (money("2"), money("10.00")),
        (money("0"), money("-4.00")),
    ]
    sold, refund = lines
    assert refund.sold_at >= sold.sold_at
    assert (refund.business_date, refund.local_hour) == (sold.business_date, sold.local_hour)
    # Every hour of the sale's day nets to what was kept: no negative hour before the sale.
    ledger = await read_ledger(database, owner)
    assert [(h.hour_start, h.net_amount) for h in ledger.hourly if h.net_amount] == [
        (sold.sold_at.replace(minute=0, second=0, microsecond=0), money("6.00"))
    ]


async def test_sales_statistics_ending_in_the_first_days_of_the_calendar_are_not_a_500(
    client: httpx.AsyncClient,
) -> None:
    """`/sales/stats` and `/sales/split/stats` with only a `date_to` report the 30 days ending
    then; a `date_to` in the first 29 days of year 1 made that start a date Python cannot
    hold: 500. The range now starts at the first date there is."""
    owner = await ledger_business(client, timezone="UTC", cutoff_hour=0)
    for path in ("stats", "split/stats"):
        response = await client.get(
            f"{SALES}/{path}", headers=owner.headers, params={"date_to": "0001-01-05"}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["date_from"], body["date_to"]) == ("0001-01-01", "0001-01-05")
        # An ordinary date_to still reports the 30 days ending then.
        response = await client.get(
            f"{SALES}/{path}", headers=owner.headers, params={"date_to": "2026-03-01"}
        )
        assert response.json()["date_from"] == "2026-01-31"

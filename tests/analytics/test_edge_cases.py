"""Edge cases of the analytics endpoints found by an adversarial audit."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tableside.analytics import service
from tableside.db.database import Database
from tableside.ledger.lines import LineIn
from tests.factories import Account, assert_error, money, register
from tests.factories.analytics import (
    Sold,
    customer,
    get,
    menu_category,
    menu_item,
    ok,
    record,
    sale,
)
from tests.factories.ledger_queries import create_location, local
from tests.factories.sales import set_business

AUCKLAND = "Pacific/Auckland"  # UTC+13 in March (NZDT)


def _line(
    sold_at: datetime,
    amount: str,
    *,
    location: str,
    item: uuid.UUID | None = None,
    server: str | None = None,
    guest: str | None = None,
) -> LineIn:
    return LineIn(
        sold_at=sold_at,
        quantity=Decimal(1),
        net_amount=Decimal(amount),
        location_id=uuid.UUID(location),
        menu_item_id=item,
        transactions=1,
        server_id=uuid.UUID(server) if server else None,
        customer_id=uuid.UUID(guest) if guest else None,
    )


async def test_a_location_in_its_own_time_zone_is_cut_at_its_own_today(
    client: httpx.AsyncClient,
    owner: Account,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The business keeps UTC (04:00 cutoff); its Auckland location keeps its own zone, so
    its lines carry Auckland business dates. At 16:00 UTC on 03-10 it is 05:00 on 03-11 in
    Auckland: with `location_id` the location's today is 03-11, as the ledger queries read
    it. Analytics read today and the partial-day cut in the business's zone (03-10): the
    03-11 sale made before now was left out, 03-10 was 'not complete', and the previous
    period was cut on the wrong day at the wrong clock time.

        range 03-09..03-11 (location dates), now = 03-11 05:00 Auckland
        03-10 12:00 Auckland   10.00   whole day
        03-11 04:30 Auckland    5.00   today, before now
        previous 03-06..03-08, counted up to 03-08 05:00 Auckland:
        03-08 04:30 Auckland    7.00   counted
        03-08 12:00 Auckland  100.00   after the same local time: not counted
    """
    now = datetime(2026, 3, 10, 16, 0, tzinfo=UTC)
    monkeypatch.setattr(service, "utcnow", lambda: now)
    await set_business(client, owner, timezone="UTC", day_cutoff_hour=4)
    auckland = await create_location(client, owner, "Auckland", timezone=AUCKLAND)
    pizza = await menu_item(client, owner, "Pizza", "10.00")
    guest = await customer(client, owner, "Ann")
    server = owner.user_id

    def at(day: int, hour: int, minute: int, amount: str) -> LineIn:
        return _line(local(AUCKLAND, 2026, 3, day, hour, minute), amount, location=auckland,
                     item=pizza, server=server, guest=guest)  # fmt: skip

    await record(
        database,
        owner,
        [at(10, 12, 0, "10.00"), at(11, 4, 30, "5.00"), at(8, 4, 30, "7.00"),
         at(8, 12, 0, "100.00")],
    )  # fmt: skip
    span: dict[str, Any] = {"date_from": "2026-03-09", "date_to": "2026-03-11",
                            "location_id": auckland}  # fmt: skip

    trends = await ok(client, owner, "revenue-trends", **span)
    assert [(p["period_start"], money(p["revenue"]), p["complete"]) for p in trends["series"]] == [
        ("2026-03-09", 0, True),
        ("2026-03-10", 10, True),
        ("2026-03-11", 5, False),
    ]
    assert money(trends["totals"]["revenue"]) == 15
    assert money(trends["totals"]["previous_revenue"]) == 7
    assert trends["period"]["through"] == "2026-03-10T16:00:00Z"
    # 05:00 on 03-08 in Auckland.
    assert trends["previous_period"]["through"] == "2026-03-07T16:00:00Z"

    items = await ok(client, owner, "items", **span)
    (entry,) = items["items"]
    assert money(entry["revenue"]) == 15 and money(entry["previous_revenue"]) == 7

    staff = await ok(client, owner, "staff-performance", **span)
    assert money(staff["totals"]["revenue"]) == 15 and staff["totals"]["sales_count"] == 2

    guests = await ok(client, owner, "customers", **span)
    assert money(guests["totals"]["revenue"]) == 15 and guests["totals"]["visits"] == 2

    # The default range ends on the location's today, as /sales/aggregate's does.
    default = await ok(client, owner, "revenue-trends", location_id=auckland)
    assert default["period"]["date_to"] == "2026-03-11"
    # Without the filter the business's own calendar applies: today is 03-10 in UTC.
    business_wide = await ok(client, owner, "revenue-trends")
    assert business_wide["period"]["date_to"] == "2026-03-10"


async def test_items_of_a_category_not_of_this_business_is_422(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    """`category_id` naming another business's category (or no category at all) gave an
    empty page, which reads as "this category sold nothing"; /sales/historical refuses such
    an id, and so does this now, with the same message either way (nothing leaks)."""
    pizza = await menu_category(client, owner, "Pizza")
    item = await menu_item(client, owner, "Margherita", "10.00", category_id=pizza)
    await record(database, owner, sale(date(2026, 3, 4), [Sold(item, 1, "10.00")]))
    period = {"date_from": "2026-03-01", "date_to": "2026-03-10"}
    mine = await ok(client, owner, "items", **period, category_id=pizza)
    assert [i["name"] for i in mine["items"]] == ["Margherita"]

    other = await register(client)
    theirs = await menu_category(client, other, "Pizza")
    for category in (theirs, str(uuid.uuid4()), str(item)):
        error = assert_error(await get(client, owner, "items", **period, category_id=category),
                             422, "VALIDATION_ERROR")  # fmt: skip
        assert error["details"] == [
            {"field": "category_id", "message": "no such category in this business"}
        ]

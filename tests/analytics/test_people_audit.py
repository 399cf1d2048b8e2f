"""Staff performance and customer segments against numbers worked out by hand, for the cases
an operator meets: a till sale split over two payments and refunded in parts on later days,
sales taken by a user later deactivated, a customer's first visit before the range in the
small hours of a business day (04:00 cutoff), the loyal threshold exactly reached, and a
location filter."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

import httpx

from tableside.db.database import Database
from tests.factories import Account, add_user, assert_error, money, register
from tests.factories.analytics import Sold, customer, get, location, ok, record, sale
from tests.factories.sales import card, cash, counter_sale, create_item, set_business


async def test_a_split_sale_refunded_in_two_parts(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    """A cashier sells 2 x 10.00 with 10% tax (22.00), paid 12.00 cash + 10.00 card. The
    owner refunds 11.00 (half: 10.00 net) and then the other 11.00. The cashier keeps the
    sale and its revenue goes to 0; the owner, who refunded, is credited nothing."""
    await set_business(client, owner, tax_rate="10")
    waiter = await add_user(client, owner, "cashier")
    item = await create_item(database, owner, price="10.00")
    response = await counter_sale(client, waiter, [(item, 2)], [cash("12.00"), card("10.00")])
    assert response.status_code == 201, response.text
    sold = response.json()
    assert sold["status"] == "completed"
    payments = {p["method"]: p["id"] for p in sold["payments"]}
    for method, amount in (("card", "10.00"), ("cash", "1.00")):
        refunded = await client.post(
            f"/api/v1/sales/{sold['id']}/refunds",
            headers=owner.headers,
            json={"payment_id": payments[method], "amount": amount, "reason": "cold"},
        )
        assert refunded.status_code == 201, refunded.text
    body = await ok(client, owner, "staff-performance")
    (member,) = body["staff"]
    assert member["user_id"] == waiter.user_id
    assert (member["sales_count"], money(member["revenue"]), money(member["items_sold"])) == (
        1,
        10,
        2,
    )
    refunded = await client.post(
        f"/api/v1/sales/{sold['id']}/refunds",
        headers=owner.headers,
        json={"payment_id": payments["cash"], "amount": "11.00", "reason": "cold"},
    )
    assert refunded.status_code == 201, refunded.text
    body = await ok(client, owner, "staff-performance")
    (member,) = body["staff"]
    assert (member["sales_count"], money(member["revenue"]), money(member["items_sold"])) == (
        1,
        0,
        0,
    )
    assert body["unattributed"] is None
    assert money(body["totals"]["revenue"]) == 0


async def test_a_deactivated_server_keeps_name_role_and_rank(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    waiter = await add_user(client, owner, "wait_staff")
    other = await add_user(client, owner, "cashier")
    await record(
        database,
        owner,
        sale(date(2026, 3, 3), [Sold(None, 1, "30.00")], server=waiter.user_id),
        sale(date(2026, 3, 4), [Sold(None, 1, "20.00")], server=other.user_id),
    )
    response = await client.delete(f"/api/v1/users/{waiter.user_id}", headers=owner.headers)
    assert response.status_code == 204, response.text
    body = await ok(
        client,
        owner,
        "staff-performance",
        date_from="2026-03-01",
        date_to="2026-03-31",
        role="wait_staff",
    )
    (member,) = body["staff"]
    assert (member["user_id"], member["role"], member["rank"]) == (
        waiter.user_id,
        "wait_staff",
        1,
    )
    assert money(member["revenue_share_percent"]) == 60


async def test_small_hours_visits_and_the_loyal_boundary(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    """Business in UTC with a 04:00 cutoff. Ann's visit at 01:30 on 03-01 is business day
    02-28, before the range: with her visit on 03-05 she has 2 to date, returning. Bob's
    visit at 01:30 on 04-01 is business day 03-31, inside the range: his 3rd visit, so with
    loyal_min_visits=3 he is exactly loyal. Cy's visit at 03:59 on 03-01 is 02-28: not in
    March, so he is not counted at all."""
    await set_business(client, owner, timezone="UTC", day_cutoff_hour=4)
    ann, bob, cy = [await customer(client, owner, name) for name in ("Ann", "Bob", "Cy")]
    small = time(1, 30)
    await record(
        database,
        owner,
        sale(date(2026, 3, 1), [Sold(None, 1, "10.00")], customer=ann, at=small),
        sale(date(2026, 3, 5), [Sold(None, 1, "20.00")], customer=ann),
        sale(date(2026, 2, 10), [Sold(None, 1, "5.00")], customer=bob),
        sale(date(2026, 3, 10), [Sold(None, 1, "5.00")], customer=bob),
        sale(date(2026, 4, 1), [Sold(None, 1, "7.00")], customer=bob, at=small),
        sale(date(2026, 3, 1), [Sold(None, 1, "9.00")], customer=cy, at=time(3, 59)),
    )
    body = await ok(
        client,
        owner,
        "customers",
        date_from="2026-03-01",
        date_to="2026-03-31",
        returning_min_visits=2,
        loyal_min_visits=3,
    )
    top = {c["name"]: c for c in body["top_customers"]}
    assert set(top) == {"Ann", "Bob"}
    assert (top["Ann"]["segment"], top["Ann"]["visits"], top["Ann"]["visits_to_date"]) == (
        "returning",
        1,
        2,
    )
    assert (top["Bob"]["segment"], top["Bob"]["visits"], top["Bob"]["visits_to_date"]) == (
        "loyal",
        2,
        3,
    )
    assert top["Bob"]["last_visit"] == "2026-03-31"
    assert money(body["totals"]["revenue"]) == Decimal("32.00")


async def test_a_location_filter(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    here = await location(client, owner, "Here")
    there = await location(client, owner, "There")
    waiter = await add_user(client, owner, "wait_staff")
    ann = await customer(client, owner, "Ann")
    await record(
        database,
        owner,
        sale(date(2026, 2, 3), [Sold(None, 1, "8.00")], customer=ann, location=there),
        sale(
            date(2026, 3, 3),
            [Sold(None, 1, "30.00")],
            server=waiter.user_id,
            customer=ann,
            location=here,
        ),
        sale(date(2026, 3, 4), [Sold(None, 1, "20.00")], server=waiter.user_id, location=there),
    )
    period = {"date_from": "2026-03-01", "date_to": "2026-03-31"}
    staff = await ok(client, owner, "staff-performance", location_id=here, **period)
    (member,) = staff["staff"]
    assert (member["sales_count"], money(member["revenue"])) == (1, 30)
    customers = await ok(client, owner, "customers", location_id=here, **period)
    (top,) = customers["top_customers"]
    assert (top["visits"], top["visits_to_date"], top["segment"]) == (1, 1, "new")
    customers = await ok(client, owner, "customers", **period)
    (top,) = customers["top_customers"]
    assert (top["visits"], top["visits_to_date"], top["segment"]) == (1, 2, "returning")


async def test_another_business_stays_out(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    """Another business's visits, servers and location are not ours: its customer and
    server appear nowhere, and its location as a filter is 422 on `location_id`."""
    other = await register(client, business_name="Elsewhere")
    their_guest = await customer(client, other, "Theirs")
    their_place = await location(client, other, "Their place")
    ours = await customer(client, owner, "Ours")
    await record(
        database,
        other,
        sale(
            date(2026, 3, 2),
            [Sold(None, 1, "50.00")],
            server=other.user_id,
            customer=their_guest,
            location=their_place,
        ),
    )
    await record(database, owner, sale(date(2026, 3, 3), [Sold(None, 1, "5.00")], customer=ours))
    period = {"date_from": "2026-03-01", "date_to": "2026-03-31"}
    customers = await ok(client, owner, "customers", **period)
    assert [c["name"] for c in customers["top_customers"]] == ["Ours"]
    assert money(customers["totals"]["revenue"]) == 5
    staff = await ok(client, owner, "staff-performance", **period)
    assert staff["staff"] == []
    assert money(staff["totals"]["revenue"]) == 5
    for path in ("customers", "staff-performance"):
        response = await get(client, owner, path, location_id=their_place, **period)
        (detail,) = assert_error(response, 422, "VALIDATION_ERROR")["details"]
        assert detail["field"] == "location_id"

"""Staff performance, against numbers worked out by hand (period 2026-03-01..03-31).

waiter   sale 03-03: 2 units 30.00 + 1 unit 10.00; sale 03-04: 1 unit 20.00;
         refund 03-05: -1 unit -10.00           -> 2 sales, 50.00, 3 units
cashier  sale 03-06: 4 units 50.00               -> 1 sale, 50.00, 4 units
owner    sale 03-07: 1 unit 25.00                -> 1 sale, 25.00, 1 unit
manager  refund 03-10: -1 unit -10.00            -> 0 sales, -10.00, -1 unit
nobody   import 03-08: 5 units 25.00, 1 sale     -> unattributed
Revenue 140.00 over 5 sales and 12 units.
"""

from __future__ import annotations

from datetime import date

import httpx

from tableside.db.database import Database
from tests.factories import Account, add_user, money
from tests.factories.analytics import Sold, ok, record, refund, sale

PERIOD = {"date_from": "2026-03-01", "date_to": "2026-03-31"}


async def test_staff_performance(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    waiter = await add_user(client, owner, "wait_staff")
    cashier = await add_user(client, owner, "cashier")
    manager = await add_user(client, owner, "manager")
    await record(
        database,
        owner,
        sale(
            date(2026, 3, 3),
            [Sold(None, 2, "30.00"), Sold(None, 1, "10.00")],
            server=waiter.user_id,
        ),
        sale(date(2026, 3, 4), [Sold(None, 1, "20.00")], server=waiter.user_id),
        refund(date(2026, 3, 5), Sold(None, 1, "10.00"), server=waiter.user_id),
        sale(date(2026, 3, 6), [Sold(None, 4, "50.00")], server=cashier.user_id),
        sale(date(2026, 3, 7), [Sold(None, 1, "25.00")], server=owner.user_id),
        refund(date(2026, 3, 10), Sold(None, 1, "10.00"), server=manager.user_id),
        sale(date(2026, 3, 8), [Sold(None, 5, "25.00")]),
        sale(date(2026, 2, 28), [Sold(None, 9, "99.00")], server=waiter.user_id),  # before
    )
    body = await ok(client, owner, "staff-performance", **PERIOD)
    assert body["period"]["days"] == 31
    staff = body["staff"]
    # Equal revenue, equal rank; then by name ("Cashier Person" before "Wait_Staff Person").
    assert [(m["name"], m["rank"]) for m in staff] == [
        ("Cashier Person", 1),
        ("Wait_Staff Person", 1),
        ("Olivia Owner", 3),
        ("Manager Person", 4),
    ]
    by_role = {m["role"]: m for m in staff}
    w = by_role["wait_staff"]
    assert w["user_id"] == waiter.user_id
    assert (w["sales_count"], money(w["revenue"]), money(w["items_sold"])) == (2, 50, 3)
    assert money(w["average_ticket"]) == 25
    assert money(w["revenue_share_percent"]) == money("35.71")  # 50 / 140
    c = by_role["cashier"]
    assert (c["sales_count"], money(c["revenue"]), money(c["items_sold"])) == (1, 50, 4)
    assert money(c["average_ticket"]) == 50
    o = by_role["owner"]
    assert money(o["revenue_share_percent"]) == money("17.86")
    m = by_role["manager"]  # a refund and no sale: negative revenue, no average ticket
    assert (m["sales_count"], money(m["revenue"]), money(m["items_sold"])) == (0, -10, -1)
    assert m["average_ticket"] is None
    assert money(m["revenue_share_percent"]) == money("-7.14")

    nobody = body["unattributed"]
    assert (nobody["user_id"], nobody["name"], nobody["role"], nobody["rank"]) == (
        None,
        None,
        None,
        None,
    )
    assert (nobody["sales_count"], money(nobody["revenue"]), money(nobody["items_sold"])) == (
        1,
        25,
        5,
    )
    assert money(nobody["revenue_share_percent"]) == money("17.86")

    totals = body["totals"]
    assert totals["staff_count"] == 4 and totals["sales_count"] == 5
    assert money(totals["revenue"]) == 140 and money(totals["items_sold"]) == 12
    assert money(totals["average_ticket"]) == 28

    waiters = await ok(client, owner, "staff-performance", **PERIOD, role="wait_staff")
    assert [(m["name"], m["rank"]) for m in waiters["staff"]] == [("Wait_Staff Person", 1)]
    assert money(waiters["staff"][0]["revenue_share_percent"]) == money("35.71")
    assert waiters["unattributed"] is None
    assert waiters["totals"]["staff_count"] == 1 and money(waiters["totals"]["revenue"]) == 50


async def test_staff_performance_without_sales(client: httpx.AsyncClient, owner: Account) -> None:
    body = await ok(client, owner, "staff-performance", **PERIOD)
    assert body["staff"] == [] and body["unattributed"] is None
    assert body["totals"] == {
        "staff_count": 0,
        "sales_count": 0,
        "revenue": 0.0,
        "items_sold": 0.0,
        "average_ticket": None,
    }

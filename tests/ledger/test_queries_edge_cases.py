"""Edge cases of the ledger's read side found by an adversarial audit: tampered cursors,
calendars whose clock changes fall on the day cutoff, and the like."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from decimal import Decimal

import httpx

from tableside.db.database import Database
from tests.factories import assert_error, money
from tests.factories.ledger_queries import (
    create_item,
    get,
    get_ok,
    ledger_business,
    local,
    record,
    sale,
    shop,
)

D = Decimal


def _encode(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


async def test_a_cursor_with_a_non_ascii_signature_is_422_not_500(
    client: httpx.AsyncClient, database: Database
) -> None:
    """A cursor is base64 of "<sold_at>|<id>|<mac>". A forged one whose mac part holds a
    non-ASCII character made `hmac.compare_digest` raise TypeError: 500 INTERNAL_ERROR."""
    s = await shop(client, database)
    cursor = (await get_ok(client, s.owner, "ledger", limit=1))["next_cursor"]
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    sold_at, line_id, mac = raw.split("|")
    for forged in (
        _encode(f"{sold_at}|{line_id}|é"),
        _encode(f"{sold_at}|{line_id}|{mac[:-1]}ü"),
        _encode(f"é|{line_id}|{mac}"),
    ):
        error = assert_error(await get(client, s.owner, "ledger", cursor=forged), 422,
                             "VALIDATION_ERROR")  # fmt: skip
        assert error["details"] == [
            {"field": "cursor", "message": "is not a cursor returned by this endpoint"}
        ]


async def test_hours_of_a_day_whose_cutoff_falls_in_a_half_hour_gap(
    client: httpx.AsyncClient, database: Database
) -> None:
    """Lord Howe Island springs from 02:00 (+10:30) to 02:30 (+11) on 4 October 2026. With a
    02:00 cutoff that business day begins at 02:30, half past a local hour: its hours were
    generated from there (15:30, 16:30... UTC) while every line's hour starts at a local
    :00 (the instant minus its local minutes: 15:00, 16:00...), so the series mixed empty
    half-past periods with the hours holding the sales (27 periods for 24 hours), and the
    day before listed a 15:00 hour that belongs to this one."""
    zone = "Australia/Lord_Howe"
    owner = await ledger_business(client, timezone=zone, cutoff_hour=2)
    await record(
        database,
        owner,
        [
            sale(local(zone, 2026, 10, 4, 2, 45), "1.00"),  # 15:45 UTC, the gap's end
            sale(local(zone, 2026, 10, 4, 3, 15), "2.00"),  # 16:15 UTC
            sale(local(zone, 2026, 10, 5, 1, 59), "4.00"),  # the day's last minute
        ],
    )
    body = await get_ok(client, owner, "aggregate", date_from="2026-10-04", date_to="2026-10-04",
                        granularity="hour")  # fmt: skip
    starts = [p["period_start"] for p in body["time_series"]]
    assert len(starts) == 24 and all(start.endswith(":00:00Z") for start in starts), starts
    assert starts[0] == "2026-10-03T15:00:00Z" and starts[-1] == "2026-10-04T14:00:00Z"
    revenue = {p["period_start"]: money(p["revenue"]) for p in body["time_series"]}
    assert revenue["2026-10-03T15:00:00Z"] == D("1.00")
    assert revenue["2026-10-03T16:00:00Z"] == D("2.00")
    assert revenue["2026-10-04T14:00:00Z"] == D("4.00")
    assert sum(revenue.values()) == money(body["total_revenue"]) == D("7.00")
    # The day before ends at the gap (15:30 UTC): its last hour is 01:00-02:00 at +10:30
    # (14:30 UTC); the 15:00 hour holds none of its instants and is not one of its periods.
    before = await get_ok(client, owner, "aggregate", date_from="2026-10-03",
                          date_to="2026-10-03", granularity="hour")  # fmt: skip
    starts = [p["period_start"] for p in before["time_series"]]
    assert len(starts) == 24 and starts[-1] == "2026-10-03T14:30:00Z", starts
    both = await get_ok(client, owner, "aggregate", date_from="2026-10-03", date_to="2026-10-04",
                        granularity="hour")  # fmt: skip
    assert len(both["time_series"]) == 48


async def test_top_items_tied_on_both_measures_share_a_rank(
    client: httpx.AsyncClient, database: Database
) -> None:
    """Items ranked by revenue, ties broken by units: two items equal on both were ranked
    2 and 3 in the order of their random ids, as if one had sold better. They share the
    rank and the next one skips (1, 2, 2, 4), as the analytics ranks do."""
    owner = await ledger_business(client, timezone="UTC", cutoff_hour=0)
    names = ("Soup", "Salad", "Bread", "Olives")
    items = {name: (await create_item(database, owner, name=name)).id for name in names}
    noon = datetime(2026, 6, 1, 12, tzinfo=UTC)
    await record(
        database,
        owner,
        [
            sale(noon, "20.00", quantity="2", item=items["Soup"]),
            sale(noon, "8.00", quantity="2", item=items["Salad"]),
            sale(noon, "8.00", quantity="2", item=items["Bread"]),
            sale(noon, "8.00", quantity="1", item=items["Olives"]),  # tied on revenue only
        ],
    )
    body = await get_ok(client, owner, "top-items", date_from="2026-06-01", date_to="2026-06-01")
    ranks = [(i["rank"], i["name"]) for i in body["items"]]
    assert [rank for rank, _ in ranks] == [1, 2, 2, 4]
    assert ranks[0][1] == "Soup" and ranks[3][1] == "Olives"
    assert {name for _, name in ranks[1:3]} == {"Salad", "Bread"}
    by_units = await get_ok(client, owner, "top-items", date_from="2026-06-01",
                            date_to="2026-06-01", order_by="quantity")  # fmt: skip
    # Soup, Salad and Bread sold 2 each: Soup's revenue puts it first, the other two tie.
    assert (by_units["items"][0]["rank"], by_units["items"][0]["name"]) == (1, "Soup")
    assert [i["rank"] for i in by_units["items"]] == [1, 2, 2, 4]

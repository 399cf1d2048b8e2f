"""Audit of the ledger's read endpoints (historical series, top items, raw ledger pages):
every number checked against an independent computation over the lines written."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from tableside.db.database import Database
from tests.factories import money
from tests.factories.ledger_queries import (
    get_ok,
    ledger_business,
    local,
    record,
    sale,
)
from tests.factories.sales import set_business

D = Decimal


def amounts(body: dict[str, Any]) -> list[Decimal]:
    return [money(line["net_amount"]) for line in body["items"]]


async def test_ledger_date_filter_finds_lines_booked_before_a_calendar_change(
    client: httpx.AsyncClient, database: Database
) -> None:
    """A line keeps the business date it was booked on when the business later moves its
    zone or cutoff; the ledger's date filter must still find it, as /historical counts it
    on that date (the ledger bounded sold_at around the date in the current calendar and
    left such lines out)."""
    owner = await ledger_business(client, timezone="Pacific/Pago_Pago", cutoff_hour=23)
    # 22:00 on 2 June in Pago Pago (UTC-11), before the 23:00 cutoff: business date 1 June.
    await record(database, owner, [sale(local("Pacific/Pago_Pago", 2026, 6, 2, 22), "7.50")])
    await set_business(client, owner, timezone="Pacific/Kiritimati", day_cutoff_hour=0)
    day = {"date_from": "2026-06-01", "date_to": "2026-06-01"}
    series = await get_ok(client, owner, "historical", **day)
    assert money(series["summary"]["total"]) == D("7.50")
    lines = await get_ok(client, owner, "ledger", **day)
    assert amounts(lines) == [D("7.50")]
    assert lines["items"][0]["business_date"] == "2026-06-01"
    only_from = await get_ok(client, owner, "ledger", date_from="2026-06-01")
    only_to = await get_ok(client, owner, "ledger", date_to="2026-06-01")
    assert amounts(only_from) == amounts(only_to) == [D("7.50")]

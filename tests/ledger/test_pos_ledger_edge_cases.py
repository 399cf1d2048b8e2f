"""Edge cases of the till -> ledger path: till sales, sales of another system and refunds, as
the sales ledger and its rollups receive them (an audit's findings, each once a fault)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import httpx

from tableside.db.database import Database
from tests.factories import Account, assert_error
from tests.factories.ledger import assert_rollups_match_ledger
from tests.factories.sales import (
    SALES,
    card,
    counter_sale,
    create_item,
    external_sale,
    read_ledger,
)

D = Decimal
LARGEST = "9999999999.99"  # the largest amount a sale, a line or a payment holds


async def _sales(client: httpx.AsyncClient, owner: Account) -> list[dict[str, Any]]:
    response = await client.get(SALES, headers=owner.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_a_sale_whose_amounts_pass_what_a_sale_holds_is_refused(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    """A line total, subtotal or total past 9,999,999,999.99 was a 500 (numeric overflow on
    insert): now 422 naming the line or the field, and nothing is written."""
    dear = await create_item(database, owner, price=LARGEST)
    item = await create_item(database, owner, price="5.00")

    error = assert_error(await counter_sale(client, owner, [(dear, 2)]), 422, "VALIDATION_ERROR")
    assert [d["field"] for d in error["details"]] == ["items.0.quantity"]
    # Each line fits, their sum does not.
    error = assert_error(
        await counter_sale(client, owner, [(item, 1), (dear, 1)]), 422, "VALIDATION_ERROR"
    )
    assert [d["field"] for d in error["details"]] == ["items"]
    # Another system's prices, and the tax it says it charged.
    error = assert_error(
        await external_sale(
            client,
            owner.headers,
            [(item, 3, "4000000000.00")],
            sold_at="2024-01-20T12:00:00Z",
            status="completed",
        ),
        422,
        "VALIDATION_ERROR",
    )
    assert [d["field"] for d in error["details"]] == ["items.0.quantity"]
    error = assert_error(
        await external_sale(
            client,
            owner.headers,
            [(item, 1, "1.00")],
            sold_at="2024-01-20T12:00:00Z",
            status="completed",
            tax_amount=LARGEST,
        ),
        422,
        "VALIDATION_ERROR",
    )
    assert [d["field"] for d in error["details"]] == ["tax_amount"]
    assert await _sales(client, owner) == []
    assert (await read_ledger(database, owner)).lines == []

    # The largest sale that fits is taken, and booked.
    response = await counter_sale(client, owner, [(dear, 1)], [card(LARGEST)])
    assert response.status_code == 201, response.text
    (line,) = (await read_ledger(database, owner)).lines
    assert line.net_amount == D(LARGEST)


async def test_tips_past_what_a_sale_holds_are_refused(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    """Each tip fits, their sum on the sale did not: a 500, now 422 on the payment."""
    item = await create_item(database, owner, price="10.00")
    generous = [card("5.00", tip_amount=LARGEST), card("5.00", tip_amount="0.01")]
    error = assert_error(await counter_sale(client, owner, [(item, 1)], generous), 422,
                         "VALIDATION_ERROR")  # fmt: skip
    assert [d["field"] for d in error["details"]] == ["payments.1.tip_amount"]
    assert await _sales(client, owner) == []
    assert (await read_ledger(database, owner)).lines == []

    sale = (await counter_sale(client, owner, [(item, 1)], [generous[0]])).json()
    response = await client.post(f"{SALES}/{sale['id']}/payments", headers=owner.headers,
                                 json=generous[1])  # fmt: skip
    assert [d["field"] for d in assert_error(response, 422, "VALIDATION_ERROR")["details"]] == [
        "tip_amount"
    ]
    await assert_rollups_match_ledger(database, uuid.UUID(owner.business_id))

"""Edge cases of the till -> ledger path: till sales, sales of another system and refunds, as
the sales ledger and its rollups receive them (an audit's findings, each once a fault)."""

from __future__ import annotations

import heapq
import random
import uuid
from decimal import Decimal
from fractions import Fraction
from typing import Any

import httpx

from tableside.db.database import Database
from tableside.ledger.pos import spread_refunded
from tests.factories import Account, assert_error
from tests.factories.ledger import assert_rollups_match_ledger
from tests.factories.sales import (
    SALES,
    Item,
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


async def _refund(
    client: httpx.AsyncClient, owner: Account, sale: dict[str, Any], amount: str, index: int = 0
) -> dict[str, Any]:
    response = await client.post(
        f"{SALES}/{sale['id']}/refund",
        headers=owner.headers,
        json={"payment_index": index, "refund_amount": amount, "reason": "returned"},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_later_refund_never_gives_an_item_revenue_back(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    """Refunds were spread cumulatively by largest remainders, which are not monotone (the
    Alabama paradox): after 7.92 then 0.01 out of these four lines, the second refund wrote
    +0.01 on the 0.49 line, revenue booked by a refund. Now every refund line is <= 0 and what
    each line has given back only grows, to exactly its net on the last refund."""
    prices = ("9.71", "2.34", "0.49", "6.39")
    items = [await create_item(database, owner, price=price) for price in prices]
    sale = (await counter_sale(client, owner, [(i, 1) for i in items], [card("18.93")])).json()
    given: dict[uuid.UUID | None, Decimal] = {}
    for amount in ("7.92", "0.01", "3.00", "0.01", "7.99"):
        written = len((await read_ledger(database, owner)).lines)
        await _refund(client, owner, sale, amount)
        refund_lines = (await read_ledger(database, owner)).lines[written:]
        assert refund_lines, amount
        assert all(line.net_amount <= 0 for line in refund_lines), (amount, refund_lines)
        assert -sum(line.net_amount for line in refund_lines) == D(amount)
        for line in refund_lines:
            given[line.menu_item_id] = given.get(line.menu_item_id, D(0)) - line.net_amount
        for item, price in zip(items, prices, strict=True):
            assert given.get(uuid.UUID(item.id), D(0)) <= D(price)
    assert given == {
        uuid.UUID(item.id): D(price) for item, price in zip(items, prices, strict=True)
    }
    await assert_rollups_match_ledger(database, uuid.UUID(owner.business_id))


def test_the_refund_spread_only_grows_and_ends_on_the_nets() -> None:
    """`spread_refunded` is Sainte-Lague by its definition (each next unit to the largest
    net / (given + 1/2), ties to the earlier line) for every total up to the sum of the nets."""
    rng = random.Random(20261125)
    for _ in range(200):
        weights = [rng.choice([0, rng.randint(1, 9), rng.randint(1, 300)]) for _ in range(6)]
        nets = [D(w) / 100 for w in weights]
        expected = [0] * len(weights)
        heap = [(-Fraction(2 * w), i) for i, w in enumerate(weights) if w > 0]
        heapq.heapify(heap)
        for units in range(sum(weights) + 1):
            parts = spread_refunded(D(units) / 100, nets, "USD")
            assert parts == [D(p) / 100 for p in expected], (weights, units)
            assert all(part <= net for part, net in zip(parts, nets, strict=True))
            if heap:
                _, index = heapq.heappop(heap)
                expected[index] += 1
                value = Fraction(2 * weights[index], 2 * expected[index] + 1)
                heapq.heappush(heap, (-value, index))
        assert parts == nets
    # Yen has no minor unit below 1.
    assert spread_refunded(D(5), [D(10), D(3)], "JPY") == [D(4), D(1)]


async def test_an_order_whose_amounts_pass_what_it_holds_is_refused(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    """The till's order has the sale's bounds: a line total or total past 9,999,999,999.99
    (creating, adding a line, raising a quantity, a tip) was a 500, now 422; nothing changes."""
    orders = "/api/v1/orders"
    dear = await create_item(database, owner, price=LARGEST)
    cheap = await create_item(database, owner, price="1.00")

    def line(item: Item, quantity: int = 1) -> dict[str, Any]:
        return {"menu_item_id": item.id, "quantity": quantity}

    new_order: dict[str, Any] = {"order_type": "takeaway", "items": [line(dear, 2)]}
    response = await client.post(orders, headers=owner.headers, json=new_order)
    assert [d["field"] for d in assert_error(response, 422, "VALIDATION_ERROR")["details"]] == [
        "items.0.quantity"
    ]
    new_order["items"] = [line(dear)]
    response = await client.post(orders, headers=owner.headers, json=new_order)
    assert response.status_code == 201, response.text
    order = response.json()
    for path, body, field in [
        (f"{orders}/{order['id']}/items", {"items": [line(cheap)]}, "items"),
        (f"{orders}/{order['id']}/items", {"items": [line(cheap, 1), line(dear, 3)]},
         "items.1.quantity"),
    ]:  # fmt: skip
        response = await client.post(path, headers=owner.headers, json=body)
        assert [d["field"] for d in assert_error(response, 422, "VALIDATION_ERROR")["details"]] == [
            field
        ]
    (dear_line,) = order["items"]
    response = await client.patch(f"{orders}/{order['id']}/items/{dear_line['id']}",
                                  headers=owner.headers, json={"quantity": 2})  # fmt: skip
    assert [d["field"] for d in assert_error(response, 422, "VALIDATION_ERROR")["details"]] == [
        "quantity"
    ]
    response = await client.patch(f"{orders}/{order['id']}", headers=owner.headers,
                                  json={"tip_amount": "0.01"})  # fmt: skip
    assert [d["field"] for d in assert_error(response, 422, "VALIDATION_ERROR")["details"]] == [
        "tip_amount"
    ]
    unchanged = (await client.get(f"{orders}/{order['id']}", headers=owner.headers)).json()
    assert unchanged == order

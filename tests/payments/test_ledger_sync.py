"""The point of sale writes the sales ledger: a sale once, when it completes, and each refund of
a completed sale as negative lines, all in the transaction that changes the sale."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import httpx

from tableside.db.database import Database
from tableside.kit.money import allocate
from tableside.models import NO_KEY, OrderStatus, OrderType
from tests.factories import Account, add_user, money, register
from tests.factories.sales import (
    SALES,
    card,
    cash,
    counter_sale,
    create_category,
    create_customer,
    create_item,
    create_order,
    create_seated_table,
    net_of,
    pay,
    read_ledger,
    set_business,
    table_party_size,
)

D = Decimal


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def _refund(
    client: httpx.AsyncClient, owner: Account, sale: dict[str, Any], index: int, amount: str
) -> dict[str, Any]:
    response = await client.post(
        f"{SALES}/{sale['id']}/refund",
        headers=owner.headers,
        json={"payment_index": index, "refund_amount": amount, "reason": "returned"},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_completed_counter_sale_writes_its_lines_and_rollups(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    cashier = await add_user(client, owner, "cashier")
    category = await create_category(database, owner)
    burger = await create_item(database, owner, price="12.50", cost="4.10", category_id=category)
    soda = await create_item(database, owner, price="3.00")
    customer = await create_customer(database, owner)
    response = await counter_sale(
        client, cashier, [(burger, 2), (soda, 1)], [card("28.00")], customer_id=customer
    )
    assert response.status_code == 201, response.text
    sale = response.json()
    assert sale["status"] == "completed"

    ledger = await read_ledger(database, owner)
    lines = ledger.of_sale(sale["id"])
    assert len(lines) == len(ledger.lines) == 2
    first, second = lines
    assert (first.menu_item_id, first.category_id) == (uuid.UUID(burger.id), uuid.UUID(category))
    assert (first.quantity, first.net_amount, first.cost) == (D(2), D("25.00"), D("8.20"))
    assert (second.quantity, second.net_amount, second.cost) == (D(1), D("3.00"), None)
    assert [line.transactions for line in lines] == [1, 0]
    assert [line.covers for line in lines] == [0, 0]
    for line in lines:
        assert line.source == "pos"
        assert line.sold_at == _instant(sale["sold_at"])
        assert line.business_date == date.fromisoformat(sale["business_date"])
        assert line.server_id == uuid.UUID(cashier.user_id)
        assert line.customer_id == uuid.UUID(customer)
        assert line.location_id is None

    day = date.fromisoformat(sale["business_date"])
    burger_day = ledger.day(day, burger.id)
    assert (burger_day.quantity, burger_day.net_amount, burger_day.cost) == (
        D(2),
        D("25.00"),
        D("8.20"),
    )
    assert (burger_day.line_count, burger_day.location_key) == (1, NO_KEY)
    assert burger_day.category_id == uuid.UUID(category)
    assert ledger.day(day, soda.id).cost == D(0)
    (hour,) = ledger.hourly
    assert (hour.net_amount, hour.quantity, hour.transactions, hour.covers) == (
        D("28.00"),
        D(3),
        1,
        0,
    )


async def test_ledger_net_is_after_the_discount_and_before_tax(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    await set_business(client, owner, tax_rate="10")
    a = await create_item(database, owner, price="10.00")
    b = await create_item(database, owner, price="5.00")
    sale = (await counter_sale(client, owner, [(a, 1), (b, 1)], discount_amount="3.00")).json()
    assert money(sale["total_amount"]) == D("13.20")
    assert (await read_ledger(database, owner)).lines == []
    paid = (await pay(client, owner, sale["id"], cash("20.00"))).json()
    assert paid["status"] == "completed"
    lines = (await read_ledger(database, owner)).of_sale(sale["id"])
    assert [line.net_amount for line in lines] == [money(x["net_amount"]) for x in paid["lines"]]
    assert net_of(lines) == D("12.00")


async def test_split_payments_write_the_sale_once_at_completion(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    item = await create_item(database, owner, price="30.00")
    sale = (await counter_sale(client, owner, [(item, 1)])).json()
    for amount in ("10.00", "15.00"):
        assert (await pay(client, owner, sale["id"], card(amount))).status_code == 201
        assert (await read_ledger(database, owner)).lines == []
    final = (await pay(client, owner, sale["id"], cash("5.00"))).json()
    assert final["status"] == "completed"
    ledger = await read_ledger(database, owner)
    (line,) = ledger.lines
    assert (line.quantity, line.net_amount, line.transactions) == (D(1), D("30.00"), 1)
    assert sum(h.transactions for h in ledger.hourly) == 1
    # A completed sale takes no more payments, so nothing can write it twice.
    assert (await pay(client, owner, sale["id"], cash("1.00"))).status_code == 409
    assert len((await read_ledger(database, owner)).lines) == 1


async def test_split_payments_sent_with_the_sale_write_it_once(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    a = await create_item(database, owner, price="8.00")
    b = await create_item(database, owner, price="4.00")
    sale = (
        await counter_sale(
            client, owner, [(a, 1), (b, 3)], [card("10.00"), card("5.00"), cash("5.00")]
        )
    ).json()
    assert sale["status"] == "completed"
    ledger = await read_ledger(database, owner)
    assert [(x.quantity, x.transactions) for x in ledger.lines] == [(D(1), 1), (D(3), 0)]
    assert net_of(ledger.lines) == D("20.00")


async def test_sale_from_a_dine_in_order_carries_its_covers_and_server(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    waiter = await add_user(client, owner, "wait_staff")
    cashier = await add_user(client, owner, "cashier")
    pasta = await create_item(database, owner, price="14.00", cost="3.50")
    wine = await create_item(database, owner, price="9.00")
    table = await create_seated_table(database, owner, party_size=3, server_id=waiter.user_id)
    order = await create_order(
        database,
        owner,
        [(pasta, 3), (wine, 2)],
        status=OrderStatus.ready,
        tax_rate="0",
        order_type=OrderType.dine_in,
        table_id=table,
        server_id=waiter.user_id,
    )
    response = await client.post(
        SALES,
        headers=cashier.headers,
        json={"order_id": order.id, "payments": [card(str(order.total_amount))]},
    )
    assert response.status_code == 201, response.text
    sale = response.json()
    assert (sale["status"], sale["user_id"]) == ("completed", cashier.user_id)
    # Paying the ready order completed it and freed the table: the covers were read before.
    assert await table_party_size(database, owner, table) is None

    ledger = await read_ledger(database, owner)
    lines = ledger.of_sale(sale["id"])
    assert [(x.covers, x.transactions) for x in lines] == [(3, 1), (0, 0)]
    assert {x.server_id for x in lines} == {uuid.UUID(waiter.user_id)}
    assert (lines[0].cost, lines[1].cost) == (D("10.50"), None)
    (hour,) = ledger.hourly
    assert (hour.covers, hour.transactions, hour.net_amount) == (3, 1, D("60.00"))


async def test_order_without_table_or_server_credits_the_till(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    cashier = await add_user(client, owner, "cashier")
    item = await create_item(database, owner, price="6.00")
    order = await create_order(database, owner, [(item, 1)], tax_rate="0")
    sale = (
        await client.post(
            SALES, headers=cashier.headers, json={"order_id": order.id, "payments": [cash("6")]}
        )
    ).json()
    (line,) = (await read_ledger(database, owner)).of_sale(sale["id"])
    assert (line.covers, line.server_id) == (0, uuid.UUID(cashier.user_id))


async def test_partial_refund_lowers_the_ledger_net_by_exactly_the_refund(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    a = await create_item(database, owner, price="10.00", cost="4.00")
    b = await create_item(database, owner, price="5.00", cost="1.00")
    c = await create_item(database, owner, price="3.33")
    sale = (await counter_sale(client, owner, [(a, 1), (b, 2), (c, 1)], [card("23.33")])).json()
    refunded = await _refund(client, owner, sale, 0, "7.00")
    assert refunded["status"] == "completed"

    ledger = await read_ledger(database, owner)
    lines = ledger.of_sale(sale["id"])
    assert len(lines) == 6
    refund = lines[3:]
    assert net_of(lines) == D("23.33") - D("7.00")
    assert [x.net_amount for x in refund] == [
        -share for share in allocate(D("7.00"), [D("10.00"), D("10.00"), D("3.33")])
    ]
    assert [(x.quantity, x.cost, x.transactions, x.covers) for x in refund] == [
        (D(0), D(0), 0, 0),
        (D(0), D(0), 0, 0),
        (D(0), None, 0, 0),
    ]
    assert all(x.sold_at >= lines[0].sold_at for x in refund)
    day = lines[0].business_date
    assert ledger.day(day, a.id).quantity == D(1)
    assert ledger.day(day, a.id).line_count == 1
    assert sum(h.net_amount for h in ledger.hourly) == D("16.33")
    assert sum(h.transactions for h in ledger.hourly) == 1


async def test_full_refund_nets_quantity_amount_and_cost_to_zero(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    a = await create_item(database, owner, price="10.00", cost="4.00")
    b = await create_item(database, owner, price="3.33", cost="1.11")
    sale = (
        await counter_sale(client, owner, [(a, 2), (b, 3)], [card("20.00"), cash("9.99")])
    ).json()
    await _refund(client, owner, sale, 0, "0.01")
    await _refund(client, owner, sale, 1, "9.99")
    final = await _refund(client, owner, sale, 0, "19.99")
    assert final["status"] == "refunded"

    ledger = await read_ledger(database, owner)
    lines = ledger.of_sale(sale["id"])
    by_item: dict[uuid.UUID | None, list[Any]] = {}
    for line in lines:
        by_item.setdefault(line.menu_item_id, []).append(line)
    for item_lines in by_item.values():
        assert sum((x.quantity for x in item_lines), D(0)) == 0
        assert sum((x.net_amount for x in item_lines), D(0)) == 0
        assert sum((x.cost or D(0) for x in item_lines), D(0)) == 0
    last_refund = lines[-2:]
    assert [(x.quantity, x.cost) for x in last_refund] == [(D(-2), D("-8.00")), (D(-3), D("-3.33"))]
    assert sum(x.transactions for x in lines) == 1
    day = lines[0].business_date
    for item in (a, b):
        row = ledger.day(day, item.id)
        assert (row.quantity, row.net_amount, row.cost, row.line_count) == (0, 0, 0, 0)
    assert sum(h.net_amount for h in ledger.hourly) == 0
    assert sum(h.transactions for h in ledger.hourly) == 1


async def test_one_full_refund_writes_the_whole_sale_back(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    item = await create_item(database, owner, price="7.50", cost="2.00")
    sale = (await counter_sale(client, owner, [(item, 4)], [card("30.00")])).json()
    await _refund(client, owner, sale, 0, "30.00")
    lines = (await read_ledger(database, owner)).of_sale(sale["id"])
    assert [(x.quantity, x.net_amount, x.cost, x.transactions) for x in lines] == [
        (D(4), D("30.00"), D("8.00"), 1),
        (D(-4), D("-30.00"), D("-8.00"), 0),
    ]


async def test_refunds_of_a_taxed_sale_take_back_its_net_share(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    """The ledger holds net sales: a refund out of a total with tax takes back its pre-tax
    part, and the last refund brings the sale to exactly 0."""
    await set_business(client, owner, tax_rate="10")
    a = await create_item(database, owner, price="20.00")
    b = await create_item(database, owner, price="13.00")
    sale = (await counter_sale(client, owner, [(a, 1), (b, 1)], [card("36.30")])).json()
    assert money(sale["total_amount"]) == D("36.30")
    await _refund(client, owner, sale, 0, "11.00")  # 11.00 x 33.00 / 36.30 = 10.00 of net
    lines = (await read_ledger(database, owner)).of_sale(sale["id"])
    assert net_of(lines) == D("23.00")
    await _refund(client, owner, sale, 0, "25.30")
    lines = (await read_ledger(database, owner)).of_sale(sale["id"])
    assert (net_of(lines), sum((x.quantity for x in lines), D(0))) == (0, 0)


async def test_refund_of_a_pending_sale_writes_nothing(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    item = await create_item(database, owner, price="40.00")
    sale = (await counter_sale(client, owner, [(item, 1)], [card("25.00")])).json()
    pending = await _refund(client, owner, sale, 0, "25.00")
    assert (pending["status"], money(pending["total_paid"])) == ("pending", 0)
    assert (await read_ledger(database, owner)).lines == []
    # Paid again in full later, it is booked once, for its whole amount.
    done = (await pay(client, owner, sale["id"], card("40.00"))).json()
    assert done["status"] == "completed"
    (line,) = (await read_ledger(database, owner)).lines
    assert (line.net_amount, line.transactions) == (D("40.00"), 1)


async def test_a_failed_completion_writes_nothing(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    bottle = await create_item(database, owner, price="15.00", stock=0)
    response = await counter_sale(client, owner, [(bottle, 1)], [card("15.00")])
    assert response.status_code == 409
    assert (await read_ledger(database, owner)).lines == []


async def test_free_sale_is_a_transaction_with_no_money(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    water = await create_item(database, owner, price="0.00")
    sale = (await counter_sale(client, owner, [(water, 2)])).json()
    assert sale["status"] == "completed"
    (line,) = (await read_ledger(database, owner)).lines
    assert (line.quantity, line.net_amount, line.transactions) == (D(2), D("0.00"), 1)


async def test_each_business_sees_only_its_own_ledger(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    other = await register(client)
    item = await create_item(database, owner, price="5.00")
    theirs = await create_item(database, other, price="5.00")
    await counter_sale(client, owner, [(item, 1)], [card("5.00")])
    await counter_sale(client, other, [(theirs, 2)], [card("10.00")])
    mine = await read_ledger(database, owner)
    assert [x.menu_item_id for x in mine.lines] == [uuid.UUID(item.id)]
    assert [r.item_key for r in mine.daily] == [uuid.UUID(item.id)]

"""Concurrent tills and retried requests: no double sale, no overpayment, no lost stock."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

import httpx
from sqlalchemy import select, text

from tableside.auth.dependencies import Principal
from tableside.db.database import Database, set_tenant
from tableside.models import PaymentMethod, User
from tableside.payments import service
from tableside.payments.schemas import PaymentCreate
from tests.factories import Account, assert_error
from tests.factories.sales import (
    SALES,
    card,
    cash,
    counter_sale,
    create_item,
    create_order,
    item_stock,
    pay,
    set_business,
)


async def test_last_unit_sold_once(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    bottle = await create_item(database, owner, price="15.00", stock=1)
    responses = await asyncio.gather(
        *(counter_sale(client, owner, [(bottle, 1)], [card("15.00")]) for _ in range(3))
    )
    assert sorted(r.status_code for r in responses) == [201, 409, 409], [r.text for r in responses]
    refused = next(r for r in responses if r.status_code == 409)
    error = assert_error(refused, 409, "INVALID_STATE")
    assert bottle.name in error["message"]
    assert "out of stock" in error["message"]
    assert await item_stock(database, owner, bottle) == 0
    listed = (await client.get(SALES, headers=owner.headers)).json()
    assert listed["total"] == 1


async def test_negative_stock_allowed(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    await set_business(client, owner, allow_negative_stock=True)
    bottle = await create_item(database, owner, price="15.00", stock=1)
    responses = await asyncio.gather(
        *(counter_sale(client, owner, [(bottle, 1)], [cash("20.00")]) for _ in range(2))
    )
    assert [r.status_code for r in responses] == [201, 201], [r.text for r in responses]
    assert await item_stock(database, owner, bottle) == -1
    # Only a counted item goes negative; the business setting changes nothing else.
    listed = (await client.get(SALES, headers=owner.headers, params={"status": "completed"})).json()
    assert listed["total"] == 2


async def test_out_of_stock_on_the_completing_payment_leaves_the_sale_as_it_was(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    bottle = await create_item(database, owner, price="10.00", stock=1)
    slow = (await counter_sale(client, owner, [(bottle, 1)], [card("4.00")])).json()
    fast = await counter_sale(client, owner, [(bottle, 1)], [card("10.00")])
    assert fast.status_code == 201
    before = (await client.get(f"{SALES}/{slow['id']}", headers=owner.headers)).json()
    assert_error(await pay(client, owner, slow["id"], card("6.00")), 409, "INVALID_STATE")
    after = (await client.get(f"{SALES}/{slow['id']}", headers=owner.headers)).json()
    assert after == before
    assert after["status"] == "pending"
    assert await item_stock(database, owner, bottle) == 0


async def test_concurrent_payments_cannot_overpay(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    item = await create_item(database, owner, price="30.00")
    sale = (await counter_sale(client, owner, [(item, 1)])).json()
    responses = await asyncio.gather(
        *(pay(client, owner, sale["id"], card("20.00")) for _ in range(6))
    )
    assert sorted(r.status_code for r in responses) == [201] + [409] * 5, [
        r.text for r in responses
    ]
    final = (await client.get(f"{SALES}/{sale['id']}", headers=owner.headers)).json()
    assert (final["total_paid"], final["remaining_amount"]) == (20.00, 10.00)
    assert len(final["payments"]) == 1


async def test_ten_concurrent_sales_get_distinct_numbers(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    item = await create_item(database, owner, price="2.00")
    responses = await asyncio.gather(
        *(counter_sale(client, owner, [(item, 1)], [cash("2.00")]) for _ in range(10))
    )
    assert all(r.status_code == 201 for r in responses), [r.text for r in responses]
    numbers = sorted(r.json()["sale_number"] for r in responses)
    assert numbers == [f"S-{n:06d}" for n in range(1, 11)]


async def test_two_tills_settling_one_order(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    item = await create_item(database, owner, price="9.00")
    order = await create_order(database, owner, [(item, 1)], tax_rate="0")
    responses = await asyncio.gather(
        *(
            client.post(
                SALES,
                headers=owner.headers,
                json={"order_id": order.id, "payments": [card("9.00")]},
            )
            for _ in range(2)
        )
    )
    assert sorted(r.status_code for r in responses) == [201, 409], [r.text for r in responses]


async def test_idempotent_sale_creation(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    item = await create_item(database, owner, price="7.00", stock=5)
    headers = {"Idempotency-Key": "sale-retry-1"}
    first = await counter_sale(client, owner, [(item, 1)], [card("7.00")], headers=headers)
    again = await counter_sale(client, owner, [(item, 1)], [card("7.00")], headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.content == again.content
    assert again.headers.get("idempotent-replayed") == "true"
    listed = (await client.get(SALES, headers=owner.headers)).json()
    assert listed["total"] == 1
    assert await item_stock(database, owner, item) == 4


async def test_idempotent_payment(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    item = await create_item(database, owner, price="10.00")
    sale = (await counter_sale(client, owner, [(item, 1)])).json()
    headers = {"Idempotency-Key": "pay-retry-1"}
    responses = await asyncio.gather(
        *(pay(client, owner, sale["id"], card("4.00"), headers=headers) for _ in range(3))
    )
    assert {r.status_code for r in responses} == {201}
    assert len({r.content for r in responses}) == 1
    final = (await client.get(f"{SALES}/{sale['id']}", headers=owner.headers)).json()
    assert len(final["payments"]) == 1
    assert final["total_paid"] == 4.00


async def _principal(database: Database, account: Account) -> Principal:
    """The account as a service-level caller (the user row loaded in its own session)."""
    business_id = uuid.UUID(account.business_id)
    async with database.session() as session:
        await set_tenant(session, business_id)
        user = (
            await session.execute(select(User).where(User.id == uuid.UUID(account.user_id)))
        ).scalar_one()
    return Principal(business_id=business_id, role=user.role, kitchen_profile=None, user=user)


async def _until_blocked_by(database: Database, holder_pid: int) -> None:
    """Return once some backend waits on a lock held by `holder_pid` (polls the lock table)."""
    for _ in range(2000):
        async with database.session() as session:
            waiting = (
                await session.execute(
                    text(
                        "SELECT count(*) FROM pg_locks l"
                        " WHERE NOT l.granted AND :pid = ANY(pg_blocking_pids(l.pid))"
                    ),
                    {"pid": holder_pid},
                )
            ).scalar_one()
        if waiting:
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the second request never waited for the first one's lock")


async def test_a_payment_waits_for_the_one_in_progress(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    """Deterministic interleaving: the first payment's transaction is held open while the
    second request arrives; the second must wait for it and then see the smaller balance."""
    item = await create_item(database, owner, price="30.00")
    sale = (await counter_sale(client, owner, [(item, 1)])).json()
    principal = await _principal(database, owner)
    async with database.session() as first:
        await set_tenant(first, principal.business_id)
        pid = (await first.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        await service.add_payment(
            first,
            principal,
            uuid.UUID(sale["id"]),
            PaymentCreate(method=PaymentMethod.card, amount=Decimal("20.00")),
        )
        second = asyncio.create_task(pay(client, owner, sale["id"], card("20.00")))
        await _until_blocked_by(database, pid)
    error = assert_error(await second, 409, "INVALID_STATE")
    assert "remaining balance of 10.00" in error["message"]
    final = (await client.get(f"{SALES}/{sale['id']}", headers=owner.headers)).json()
    assert (final["total_paid"], len(final["payments"])) == (20.00, 1)


async def test_the_last_unit_goes_to_the_sale_that_completes_first(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    """Two open sales of the last bottle complete at once: the stock row's conditional
    decrement lets exactly one through, and the other payment leaves its sale as it was."""
    bottle = await create_item(database, owner, price="15.00", stock=1)
    one = (await counter_sale(client, owner, [(bottle, 1)])).json()
    two = (await counter_sale(client, owner, [(bottle, 1)])).json()
    principal = await _principal(database, owner)
    async with database.session() as first:
        await set_tenant(first, principal.business_id)
        pid = (await first.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        await service.add_payment(
            first,
            principal,
            uuid.UUID(one["id"]),
            PaymentCreate(method=PaymentMethod.card, amount=Decimal("15.00")),
        )
        second = asyncio.create_task(pay(client, owner, two["id"], card("15.00")))
        await _until_blocked_by(database, pid)
    error = assert_error(await second, 409, "INVALID_STATE")
    assert "out of stock" in error["message"]
    assert await item_stock(database, owner, bottle) == 0
    after = (await client.get(f"{SALES}/{two['id']}", headers=owner.headers)).json()
    assert (after["status"], after["total_paid"], after["payments"]) == ("pending", 0.00, [])

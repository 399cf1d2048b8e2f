"""Sales another system made (`source` webhook or import): their own prices and instant,
recorded once per external id, booked in the ledger on their own business day."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tableside.db.database import Database
from tableside.models import OrderStatus
from tests.factories import Account, add_user, assert_error, money, register
from tests.factories.ledger import bulk
from tests.factories.sales import (
    SALES,
    api_key_headers,
    card,
    cash,
    counter_sale,
    create_category,
    create_item,
    create_order,
    external_sale,
    item_stock,
    net_of,
    pay,
    read_ledger,
    set_business,
)

D = Decimal
# 01:30 in New York (EST) on 20 January 2024: with a 04:00 cutoff, business day 19 January.
NIGHT_SALE = "2024-01-20T06:30:00Z"


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def _sales(client: httpx.AsyncClient, owner: Account, **params: Any) -> list[dict[str, Any]]:
    response = await client.get(SALES, headers=owner.headers, params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_webhook_sale_lands_on_its_business_day(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    await set_business(client, owner, timezone="America/New_York", day_cutoff_hour=4)
    manager = await add_user(client, owner, "manager")
    category = await create_category(database, owner)
    burger = await create_item(database, owner, price="12.50", cost="4.00", category_id=category)
    fries = await create_item(database, owner, price="4.00")
    response = await external_sale(
        client,
        manager.headers,
        [(burger, 2, "11.00"), (fries, 1, "3.50")],
        sold_at=NIGHT_SALE,
        external_id="ord-1001",
        status="completed",
    )
    assert response.status_code == 201, response.text
    sale = response.json()
    assert (sale["source"], sale["external_id"], sale["status"]) == (
        "webhook",
        "ord-1001",
        "completed",
    )
    assert (sale["sold_at"], sale["business_date"]) == (NIGHT_SALE, "2024-01-19")
    # The other system's prices; the cost still comes from the menu.
    assert [(money(x["unit_price"]), money(x["net_amount"])) for x in sale["lines"]] == [
        (D("11.00"), D("22.00")),
        (D("3.50"), D("3.50")),
    ]
    assert money(sale["lines"][0]["unit_cost"]) == D("4.00")
    assert money(sale["total_amount"]) == D("25.50")
    (payment,) = sale["payments"]
    assert (payment["method"], money(payment["amount"])) == ("other", D("25.50"))

    ledger = await read_ledger(database, owner)
    lines = ledger.of_sale(sale["id"])
    assert [(x.source, x.business_date, x.local_hour) for x in lines] == [
        ("webhook", date(2024, 1, 19), 1),
        ("webhook", date(2024, 1, 19), 1),
    ]
    assert all(x.sold_at == datetime(2024, 1, 20, 6, 30, tzinfo=UTC) for x in lines)
    assert [(x.quantity, x.net_amount, x.cost, x.transactions) for x in lines] == [
        (D(2), D("22.00"), D("8.00"), 1),
        (D(1), D("3.50"), None, 0),
    ]
    assert lines[0].server_id == uuid.UUID(manager.user_id)
    # The rollups, read in the business's scope: the previous business day, not the 20th.
    row = ledger.day(date(2024, 1, 19), burger.id)
    assert (row.quantity, row.net_amount, row.category_id) == (
        D(2),
        D("22.00"),
        uuid.UUID(category),
    )
    assert not [r for r in ledger.daily if r.business_date == date(2024, 1, 20)]
    (hour,) = ledger.hourly
    assert (hour.business_date, hour.local_hour, hour.hour_start) == (
        date(2024, 1, 19),
        1,
        datetime(2024, 1, 20, 6, 0, tzinfo=UTC),
    )
    assert (hour.transactions, hour.net_amount) == (1, D("25.50"))
    # The sales list filters it by its business day.
    assert [s["id"] for s in await _sales(client, owner, date_from="2024-01-19")] == [sale["id"]]


async def test_same_external_id_returns_the_sale_already_recorded(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    item = await create_item(database, owner, price="9.00", stock=10)
    body: dict[str, Any] = {"sold_at": NIGHT_SALE, "external_id": "ext-7", "status": "completed"}
    first = await external_sale(client, owner.headers, [(item, 2, "9.00")], **body)
    assert first.status_code == 201, first.text
    # Again: the sale already recorded, nothing written.
    again = await external_sale(client, owner.headers, [(item, 2, "9.00")], **body)
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    # Another sale under the same id is refused, not dropped (tests/payments/
    # test_external_id_conflict.py).
    other_sale = await external_sale(client, owner.headers, [(item, 5, "1.00")], **body)
    assert other_sale.status_code == 409, other_sale.text
    assert len(await _sales(client, owner)) == 1
    assert len((await read_ledger(database, owner)).lines) == 1
    assert await item_stock(database, owner, item) == 8
    # The same id from another source is another sale.
    imported = await external_sale(
        client, owner.headers, [(item, 1, "9.00")], source="import", **body
    )
    assert imported.status_code == 201, imported.text
    assert imported.json()["id"] != first.json()["id"]
    assert len(await _sales(client, owner)) == 2
    # Another business's ids are its own.
    other = await register(client)
    theirs = await create_item(database, other, price="9.00")
    elsewhere = await external_sale(client, other.headers, [(theirs, 1, "9.00")], **body)
    assert elsewhere.status_code == 201, elsewhere.text
    assert len(await _sales(client, other)) == 1
    assert len(await _sales(client, owner)) == 2


async def test_concurrent_identical_webhooks_record_one_sale(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    item = await create_item(database, owner, price="6.00", stock=20)
    responses = await asyncio.gather(
        *(
            external_sale(
                client,
                owner.headers,
                [(item, 1, "6.00")],
                sold_at=NIGHT_SALE,
                external_id="dup-1",
                status="completed",
            )
            for _ in range(4)
        )
    )
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 201], [
        r.text for r in responses
    ]
    assert len({r.json()["id"] for r in responses}) == 1
    assert len(await _sales(client, owner)) == 1
    (line,) = (await read_ledger(database, owner)).lines
    assert line.net_amount == D("6.00")
    assert await item_stock(database, owner, item) == 19


async def test_sold_at_in_the_future_is_refused(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    item = await create_item(database, owner, price="5.00")
    later = _iso(datetime.now(UTC) + timedelta(minutes=10))
    error = assert_error(
        await external_sale(client, owner.headers, [(item, 1, "5.00")], sold_at=later),
        422,
        "VALIDATION_ERROR",
    )
    assert [d["field"] for d in error["details"]] == ["sold_at"]
    # A clock a little ahead of ours is tolerated.
    soon = _iso(datetime.now(UTC) + timedelta(minutes=2))
    response = await external_sale(client, owner.headers, [(item, 1, "5.00")], sold_at=soon)
    assert response.status_code == 201, response.text
    # An instant must say which zone it is in.
    assert_error(
        await external_sale(
            client, owner.headers, [(item, 1, "5.00")], sold_at="2024-01-20T06:30:00"
        ),
        422,
        "VALIDATION_ERROR",
    )
    # Nor from before 1901: an instant at the very start of the calendar was a 500.
    for ancient in ("0001-01-01T00:00:00+14:00", "1900-12-31T23:59:59Z"):
        error = assert_error(
            await external_sale(client, owner.headers, [(item, 1, "5.00")], sold_at=ancient),
            422,
            "VALIDATION_ERROR",
        )
        assert [d["field"] for d in error["details"]] == ["sold_at"], ancient
    assert len(await _sales(client, owner)) == 1


async def test_a_sale_past_the_days_total_the_ledger_holds_is_refused(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    """An import already took the day to the ledger's bound: a sale on that day would push
    the rollup's sum past its column. 422, nothing written (it was a 500)."""
    item = await create_item(database, owner, price="5.00")
    day_full = [{"sold_at": "2024-01-20T12:00:00Z", "menu_item_id": item.id, "quantity": 1,
                 "amount": "999999999999.99"}]  # fmt: skip
    imported = await bulk(client, owner, day_full)
    assert imported.status_code == 201, imported.text
    response = await external_sale(
        client,
        owner.headers,
        [(item, 1, "5.00")],
        sold_at="2024-01-20T13:00:00Z",
        status="completed",
    )
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert [d["field"] for d in error["details"]] == ["items"]
    assert await _sales(client, owner) == []
    assert len((await read_ledger(database, owner)).lines) == 1


async def test_who_may_record_a_sale_of_another_system(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    item = await create_item(database, owner, price="5.00")
    cashier = await add_user(client, owner, "cashier")
    assert_error(
        await external_sale(client, cashier.headers, [(item, 1, "5.00")], sold_at=NIGHT_SALE),
        403,
        "FORBIDDEN",
    )
    assert_error(
        await external_sale(
            client, cashier.headers, [(item, 1, "5.00")], source="import", external_id="x"
        ),
        403,
        "FORBIDDEN",
    )
    assert await _sales(client, owner) == []
    # The cashier's own till sales are fine; an integration's API key records webhooks.
    assert (await counter_sale(client, cashier, [(item, 1)])).status_code == 201
    integration = await api_key_headers(client, owner, "cashier")
    response = await external_sale(
        client, integration, [(item, 1, "5.00")], status="completed", external_id="k-1"
    )
    assert response.status_code == 201, response.text
    sale = response.json()
    assert (sale["source"], sale["user_id"], sale["status"]) == ("webhook", None, "completed")
    (line,) = (await read_ledger(database, owner)).of_sale(sale["id"])
    assert (line.source, line.server_id) == ("webhook", None)
    # Roles that take no money at all stay out, key or not.
    viewer_key = await api_key_headers(client, owner, "viewer")
    assert_error(await external_sale(client, viewer_key, [(item, 1, "5.00")]), 403, "FORBIDDEN")


async def test_items_by_sku(client: httpx.AsyncClient, owner: Account, database: Database) -> None:
    item = await create_item(database, owner, price="7.00", cost="2.00")
    response = await external_sale(
        client, owner.headers, [(item, 3, "6.50")], by_sku=True, status="completed"
    )
    assert response.status_code == 201, response.text
    (line,) = response.json()["lines"]
    assert (line["menu_item_id"], line["sku"], line["name"]) == (item.id, item.sku, item.name)
    assert (money(line["unit_price"]), money(line["unit_cost"])) == (D("6.50"), D("2.00"))
    # A till may scan SKUs too (the price then comes from the menu).
    till = await client.post(
        SALES, headers=owner.headers, json={"items": [{"sku": item.sku, "quantity": 1}]}
    )
    assert till.status_code == 201, till.text
    assert money(till.json()["total_amount"]) == D("7.00")


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"sku": "NO-SUCH-SKU", "quantity": 1, "unit_price": "1.00"}, "items.0.sku"),
        ({"menu_item_id": "NEW", "quantity": 1, "unit_price": "1.00"}, "items.0.menu_item_id"),
        ({"quantity": 1, "unit_price": "1.00"}, "items.0.menu_item_id"),
        ({"menu_item_id": "ITEM", "sku": "SKU", "quantity": 1, "unit_price": "1"}, "items.0.sku"),
        ({"menu_item_id": "ITEM", "quantity": 1}, "items.0.unit_price"),
        ({"menu_item_id": "ITEM", "quantity": 1, "unit_price": "-1"}, "items.0.unit_price"),
        ({"menu_item_id": "ITEM", "quantity": 1, "unit_price": "1.001"}, "items.0.unit_price"),
    ],
)
async def test_external_items_are_checked(
    client: httpx.AsyncClient,
    owner: Account,
    database: Database,
    item: dict[str, Any],
    field: str,
) -> None:
    known = await create_item(database, owner, price="1.00")
    values = {"ITEM": known.id, "SKU": known.sku, "NEW": str(uuid.uuid4())}
    line = {key: values.get(value, value) for key, value in item.items()}
    response = await client.post(
        SALES, headers=owner.headers, json={"source": "webhook", "items": [line]}
    )
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert field in [d["field"] for d in error["details"]], error
    assert await _sales(client, owner) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"sold_at": NIGHT_SALE}, "sold_at"),
        ({"status": "completed"}, "status"),
        ({"tax_amount": "1.00"}, "tax_amount"),
        (
            {"items": [{"menu_item_id": "ITEM", "quantity": 1, "unit_price": "1"}]},
            "items.0.unit_price",
        ),
        ({"source": "webhook", "order_id": "ORDER"}, "order_id"),
        ({"source": "webhook", "status": "refunded"}, "status"),
        ({"source": "sms"}, "source"),
        ({"source": "webhook", "external_id": ""}, "external_id"),
        ({"source": "webhook", "status": "completed", "payments": [card("0.50")]}, "payments"),
    ],
)
async def test_fields_that_depend_on_the_source(
    client: httpx.AsyncClient,
    owner: Account,
    database: Database,
    body: dict[str, Any],
    field: str,
) -> None:
    item = await create_item(database, owner, price="1.00")
    order = await create_order(database, owner, [(item, 1)], status=OrderStatus.ready)
    payload: dict[str, Any] = {"items": [{"menu_item_id": item.id, "quantity": 1}], **body}
    if payload.get("source") not in (None, "pos") and "order_id" not in payload:
        payload["items"] = [{"menu_item_id": item.id, "quantity": 1, "unit_price": "1.00"}]
    if payload.get("order_id") == "ORDER":
        payload["order_id"] = order.id
        del payload["items"]
    for line in payload.get("items", []):
        line["menu_item_id"] = item.id
    error = assert_error(
        await client.post(SALES, headers=owner.headers, json=payload), 422, "VALIDATION_ERROR"
    )
    assert field in [d["field"] for d in error["details"]], error
    assert await _sales(client, owner) == []


async def test_external_tax_payments_and_a_later_payment(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    await set_business(client, owner, tax_rate="10")
    item = await create_item(database, owner, price="10.00", stock=0)
    retired = await create_item(database, owner, price="4.00", is_active=False)
    # The tax the other system charged wins over the business rate; sold from no stock and
    # from an item retired since: the goods have already left.
    response = await external_sale(
        client,
        owner.headers,
        [(item, 2, "10.00"), (retired, 1, "4.00")],
        source="import",
        sold_at=NIGHT_SALE,
        tax_amount="1.20",
        status="completed",
        payments=[card("20.00"), cash("10.00")],
    )
    assert response.status_code == 201, response.text
    sale = response.json()
    assert (money(sale["tax_amount"]), money(sale["total_amount"])) == (D("1.20"), D("25.20"))
    assert [p["method"] for p in sale["payments"]] == ["card", "cash"]
    assert money(sale["change_given"]) == D("4.80")
    assert await item_stock(database, owner, item) == -2
    lines = (await read_ledger(database, owner)).of_sale(sale["id"])
    assert {x.source for x in lines} == {"import"}
    assert net_of(lines) == D("24.00")

    # Without a status it waits for its payments like any sale; the ledger gets it once paid,
    # at its own instant.
    pending = (
        await external_sale(client, owner.headers, [(item, 1, "8.00")], sold_at=NIGHT_SALE)
    ).json()
    assert (pending["status"], money(pending["tax_amount"])) == ("pending", D("0.80"))
    assert (await read_ledger(database, owner)).of_sale(pending["id"]) == []
    paid = (await pay(client, owner, pending["id"], card("8.80"))).json()
    assert paid["status"] == "completed"
    (line,) = (await read_ledger(database, owner)).of_sale(pending["id"])
    assert (line.source, line.sold_at) == ("webhook", datetime(2024, 1, 20, 6, 30, tzinfo=UTC))


async def test_refund_of_an_external_sale_keeps_its_source(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    item = await create_item(database, owner, price="5.00")
    sale = (
        await external_sale(
            client, owner.headers, [(item, 2, "5.00")], sold_at=NIGHT_SALE, status="completed"
        )
    ).json()
    refunded = await client.post(
        f"{SALES}/{sale['id']}/refunds",
        headers=owner.headers,
        json={"payment_id": sale["payments"][0]["id"], "amount": "10.00", "reason": "void"},
    )
    assert refunded.status_code == 201, refunded.text
    lines = (await read_ledger(database, owner)).of_sale(sale["id"])
    assert [(x.source, x.quantity, x.net_amount) for x in lines] == [
        ("webhook", D(2), D("10.00")),
        ("webhook", D(-2), D("-10.00")),
    ]
    # The refund is booked when it happened, not on the sale's old day.
    assert lines[1].sold_at > lines[0].sold_at


async def test_idempotent_retry_of_post_sales_still_replays(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    item = await create_item(database, owner, price="3.00")
    headers = {**owner.headers, "Idempotency-Key": "webhook-retry-1"}
    first = await external_sale(
        client, headers, [(item, 1, "3.00")], sold_at=NIGHT_SALE, status="completed"
    )
    again = await external_sale(
        client, headers, [(item, 1, "3.00")], sold_at=NIGHT_SALE, status="completed"
    )
    assert first.status_code == again.status_code == 201
    assert first.content == again.content
    assert again.headers.get("idempotent-replayed") == "true"
    till_headers = {"Idempotency-Key": "till-retry-1"}
    till = [
        await counter_sale(client, owner, [(item, 2)], [card("6.00")], headers=till_headers)
        for _ in range(2)
    ]
    assert till[0].status_code == till[1].status_code == 201
    assert till[0].content == till[1].content
    assert len(await _sales(client, owner)) == 2
    ledger = await read_ledger(database, owner)
    assert [x.quantity for x in ledger.lines] == [D(1), D(2)]

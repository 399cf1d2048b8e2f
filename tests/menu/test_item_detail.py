"""Item detail: 30 business days of completed sales, zero-filled, in the business's time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx

from tableside.db.database import Database
from tableside.kit.business_time import business_date
from tableside.models import SaleStatus
from tests.factories import Account, money
from tests.factories.menu import MENU, create_item, insert_sale


def _today(timezone: str, cutoff: int) -> date:
    return business_date(datetime.now(UTC), timezone, cutoff)


async def test_item_detail_sales_30d(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    settings = await client.put(
        "/api/v1/business",
        headers=owner.headers,
        json={"timezone": "Pacific/Auckland", "day_cutoff_hour": 5},
    )
    assert settings.status_code == 200
    item = await create_item(client, owner, "Tiramisu", "7.00", cost="2.50", stock=8)
    other = await create_item(client, owner, "Panna cotta", "6.00")
    today = _today("Pacific/Auckland", 5)
    first_day = today - timedelta(days=29)
    tiramisu = {"menu_item_id": item["id"], "unit_price": "7.00", "unit_cost": "2.50"}
    sold_now = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)

    # Counted: three completed sales on two days, one with a discount and another item.
    await insert_sale(
        database,
        owner.business_id,
        business_date=today,
        sold_at=sold_now - timedelta(minutes=5),
        lines=[
            {**tiramisu, "quantity": 2},
            {"menu_item_id": other["id"], "quantity": 1, "unit_price": "6.00"},
        ],
    )
    await insert_sale(
        database,
        owner.business_id,
        business_date=today,
        sold_at=sold_now,
        lines=[{**tiramisu, "quantity": 1, "net_amount": "6.30"}],
    )
    await insert_sale(
        database,
        owner.business_id,
        business_date=first_day,
        sold_at=sold_now - timedelta(days=29),
        lines=[{**tiramisu, "quantity": 3}],
    )
    # Not counted: cancelled, pending, refunded, older than the window, another item only.
    for status in (SaleStatus.cancelled, SaleStatus.pending, SaleStatus.refunded):
        await insert_sale(
            database,
            owner.business_id,
            business_date=today,
            sold_at=datetime.now(UTC),
            status=status,
            lines=[{**tiramisu, "quantity": 10}],
        )
    await insert_sale(
        database,
        owner.business_id,
        business_date=first_day - timedelta(days=1),
        sold_at=datetime(2020, 1, 1, tzinfo=UTC),
        lines=[{**tiramisu, "quantity": 20}],
    )
    await insert_sale(
        database,
        owner.business_id,
        business_date=today,
        lines=[{"menu_item_id": other["id"], "quantity": 4, "unit_price": "6.00"}],
    )

    response = await client.get(f"{MENU}/items/{item['id']}/detail", headers=owner.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == item["id"]
    assert body["name"] == "Tiramisu"
    assert body["stock"] == 8
    assert body["margin"] == 4.50
    sales = body["sales_30d"]
    assert sales["start_date"] == first_day.isoformat()
    assert sales["end_date"] == today.isoformat()
    assert sales["quantity"] == 6
    assert money(sales["revenue"]) == Decimal("14.00") + Decimal("6.30") + Decimal("21.00")
    assert money(sales["cost"]) == Decimal("15.00")
    assert money(sales["gross_margin"]) == Decimal("41.30") - Decimal("15.00")
    assert sales["order_count"] == 3
    assert sales["average_daily_quantity"] == 0.20
    assert sales["last_sold_at"] == sold_now.isoformat().replace("+00:00", "Z")
    daily = sales["daily"]
    assert len(daily) == 30
    assert daily[0] == {"date": first_day.isoformat(), "quantity": 3, "revenue": 21.00}
    assert daily[-1] == {"date": today.isoformat(), "quantity": 3, "revenue": 20.30}
    assert all(day["quantity"] == 0 and day["revenue"] == 0.00 for day in daily[1:-1])
    assert [day["date"] for day in daily] == [
        (first_day + timedelta(days=n)).isoformat() for n in range(30)
    ]


async def test_item_detail_without_sales_and_without_costs(
    client: httpx.AsyncClient, owner: Account, database: Database
) -> None:
    item = await create_item(client, owner, "New dish", "9.00")
    response = await client.get(f"{MENU}/items/{item['id']}/detail", headers=owner.headers)
    sales = response.json()["sales_30d"]
    assert sales["quantity"] == 0
    assert sales["revenue"] == 0.00
    assert sales["cost"] == 0.00
    assert sales["order_count"] == 0
    assert sales["average_daily_quantity"] == 0.00
    assert sales["last_sold_at"] is None
    assert len(sales["daily"]) == 30

    # A line that recorded no unit cost makes the cost unknown rather than understated.
    today = _today("UTC", 4)
    await insert_sale(
        database,
        owner.business_id,
        business_date=today,
        lines=[{"menu_item_id": item["id"], "quantity": 1, "unit_price": "9.00"}],
    )
    sales = (await client.get(f"{MENU}/items/{item['id']}/detail", headers=owner.headers)).json()[
        "sales_30d"
    ]
    assert sales["quantity"] == 1
    assert sales["cost"] is None
    assert sales["gross_margin"] is None

"""The analytics endpoints against a brute-force reference.

A seeded random business (two locations in New York's calendar with a 04:00 cutoff, costed and
uncosted items, servers, customers, refunds, item-less daily imports and a bulk import with
transaction ids) sells from January to mid-March 2024. The reference reads the raw lines back
from GET /sales/ledger and works out every figure of each answer in plain Python; ranges cover
a single day, the leap day, month ends, the spring-forward week, a range reaching "today" (now
is fixed at 2024-03-12 11:30 local), ranges in the future, and each location.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tableside.analytics import service
from tableside.db.database import Database
from tableside.ledger.lines import LineIn
from tests.factories import Account, add_user, assert_error, money
from tests.factories.analytics import customer, get, menu_category, menu_item, ok, record
from tests.factories.ledger_queries import create_location
from tests.factories.sales import set_business

CENT = Decimal("0.01")
ZERO = Decimal(0)


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _percent(part: Decimal, whole: Decimal) -> Decimal | None:
    return None if whole == 0 else _cents(part * 100 / whole)


def _growth(now: Decimal, before: Decimal) -> Decimal | None:
    return None if before == 0 else _cents((now - before) * 100 / abs(before))


def _per(amount: Decimal, count: Decimal | int) -> Decimal | None:
    return None if count == 0 else _cents(amount / count)


def _num(value: Any) -> Decimal | None:
    return None if value is None else money(value)


@dataclass(frozen=True)
class Calendar:
    """A business's calendar, its locations' own zones (None: the business's), when it
    sold, the instant the analytics take as now and the ranges asked for."""

    zone: str
    cutoff: int
    location_zones: tuple[str | None, ...]
    now: datetime
    sales_from: date
    sales_to: date
    ranges: tuple[tuple[date, date], ...]

    def business_date(self, instant: datetime, zone: str | None = None) -> date:
        local = instant.astimezone(ZoneInfo(zone or self.zone))
        return (local - timedelta(hours=self.cutoff)).date()


NEW_YORK = Calendar(
    zone="America/New_York",
    cutoff=4,
    location_zones=(None, None),
    now=datetime(2024, 3, 12, 15, 30, tzinfo=UTC),  # 11:30 EDT, after the spring-forward
    sales_from=date(2024, 1, 5),
    sales_to=date(2024, 3, 14),
    ranges=(
        (date(2024, 2, 1), date(2024, 2, 29)),  # a leap February
        (date(2024, 2, 29), date(2024, 2, 29)),  # one day, the leap day
        (date(2024, 3, 1), date(2024, 3, 1)),  # one day, compared with the leap day
        (date(2024, 1, 31), date(2024, 3, 1)),  # across two month ends
        (date(2024, 3, 6), date(2024, 3, 11)),  # across the spring-forward night
        (date(2024, 2, 20), date(2024, 3, 12)),  # reaching today
        (date(2024, 3, 12), date(2024, 3, 12)),  # today only
        (date(2024, 3, 10), date(2024, 3, 20)),  # into the future
        (date(2024, 4, 1), date(2024, 4, 7)),  # wholly in the future
        (date(2023, 6, 1), date(2023, 6, 30)),  # before the first sale
    ),
)
# London falls back on 29 October 2023, Chicago (a location keeping its own zone, behind the
# business's) on 5 November; a 00:00 cutoff puts a sale at 00:30 on the next day.
LONDON = Calendar(
    zone="Europe/London",
    cutoff=0,
    location_zones=(None, "America/Chicago"),
    now=datetime(2023, 10, 30, 9, 15, tzinfo=UTC),  # 09:15 GMT, 04:15 CDT
    sales_from=date(2023, 9, 3),
    sales_to=date(2023, 11, 8),
    ranges=(
        (date(2023, 10, 29), date(2023, 10, 29)),  # London's 25-hour day
        (date(2023, 10, 23), date(2023, 10, 29)),  # the week it ends
        (date(2023, 10, 1), date(2023, 10, 31)),  # a month reaching today
        (date(2023, 10, 30), date(2023, 10, 30)),  # today only
        (date(2023, 9, 30), date(2023, 9, 30)),  # a month's last day
        (date(2023, 9, 1), date(2023, 9, 30)),  # a month with sales from its 3rd
        (date(2023, 11, 1), date(2023, 11, 7)),  # in the future, over Chicago's fall-back
    ),
)


@dataclass(frozen=True)
class Line:
    business_date: date
    sold_at: datetime
    location_id: str | None
    item: str | None
    quantity: Decimal
    amount: Decimal
    cost: Decimal | None
    transactions: int
    server: str | None
    customer: str | None


@dataclass(frozen=True)
class Window:
    """A reference period: business days first..last, up to `before` on `cut_day`, nothing
    after `cut_day` (when set)."""

    first: date
    last: date
    cut_day: date | None = None
    before: datetime | None = None

    def counts(self, line: Line) -> bool:
        if not self.first <= line.business_date <= self.last:
            return False
        if self.cut_day is None or self.before is None:
            return True
        if line.business_date < self.cut_day:
            return True
        return line.business_date == self.cut_day and line.sold_at < self.before


def _windows(world: World, location: str | None, first: date, last: date) -> tuple[Window, Window]:
    """The period and the previous one, in the days of the location (when it keeps its own
    zone) or the business."""
    cal = world.cal
    zone = world.zones.get(location or "") or cal.zone
    today = cal.business_date(cal.now, zone)
    days = (last - first).days + 1
    previous_first, previous_last = first - timedelta(days=days), first - timedelta(days=1)
    if last < today:
        return Window(first, last), Window(previous_first, previous_last)
    day = previous_first + (today - first)
    tz = ZoneInfo(zone)
    wall = cal.now.astimezone(tz).replace(tzinfo=None) + (day - today)
    before = wall.replace(tzinfo=tz).astimezone(UTC)  # neither calendar's now is near a gap
    return (
        Window(first, last, today, cal.now),
        Window(previous_first, previous_last, day, before),
    )


# The business ---------------------------------------------------------------------------------


@dataclass
class World:
    cal: Calendar
    owner: Account
    locations: list[str]
    zones: dict[str, str | None]  # location id -> its own zone
    items: dict[str, dict[str, Any]]  # id -> name, sku, category_id, menu_cost
    servers: dict[str, str]  # id -> role
    lines: list[Line]


async def _build(
    client: httpx.AsyncClient, owner: Account, database: Database, cal: Calendar
) -> World:
    rng = random.Random(20240229)
    await set_business(client, owner, timezone=cal.zone, day_cutoff_hour=cal.cutoff)
    zones: dict[str, str | None] = {}
    for name, zone in zip(("Uptown", "Harbor"), cal.location_zones, strict=True):
        fields = {"timezone": zone} if zone else {}
        zones[await create_location(client, owner, name, **fields)] = zone
    locations = list(zones)
    pizza = await menu_category(client, owner, "Pizza")
    drinks = await menu_category(client, owner, "Drinks")
    specs = [
        ("Margherita", "12.00", "4.00", pizza),
        ("Diavola", "14.00", None, pizza),
        ("Lemonade", "3.00", "0.00", drinks),
        ("Espresso", "2.50", "0.50", drinks),
        ("Tiramisu", "6.00", "2.00", None),
        ("Bread", "4.00", None, None),
    ]
    items: dict[str, dict[str, Any]] = {}
    for name, price, cost, category in specs:
        fields: dict[str, Any] = {"category_id": category} if category else {}
        if cost is not None:
            fields["cost"] = cost
        item_id = await menu_item(client, owner, name, price, **fields)
        items[str(item_id)] = {
            "name": name,
            "price": Decimal(price),
            "cost": None if cost is None else Decimal(cost),
            "category": category,
        }
    manager = await add_user(client, owner, "manager")
    cashier = await add_user(client, owner, "cashier")
    servers = {owner.user_id: "owner", manager.user_id: "manager", cashier.user_id: "cashier"}
    guests = [await customer(client, owner, f"Guest {n}") for n in range(5)]

    item_ids = list(items)
    written: list[LineIn] = []
    for offset in range((cal.sales_to - cal.sales_from).days + 1):
        day = cal.sales_from + timedelta(days=offset)
        for _ in range(rng.randint(0, 4)):
            place = rng.choice([*locations, None])
            tz = ZoneInfo(zones.get(place or "") or cal.zone)
            hour = rng.choice([8, 12, 13, 19, 23, 24, 25, 27])  # 24-27: 00:00-03:00 next day
            minute = rng.choice([0, 15, 30, 45])
            local = datetime(day.year, day.month, day.day, tzinfo=tz) + timedelta(
                hours=hour, minutes=minute
            )
            sold_at = local.astimezone(UTC)
            sale_id = uuid.uuid4()
            server = rng.choice([*servers, None])
            guest = rng.choice([*guests, None, None])
            lines = []
            for index in range(rng.randint(1, 3)):
                item_id = rng.choice(item_ids)
                quantity = rng.randint(1, 3)
                amount = items[item_id]["price"] * quantity
                if rng.random() < 0.2:
                    amount = _cents(amount * Decimal("0.9"))  # a discount
                cost = items[item_id]["cost"]
                if cost is not None and rng.random() < 0.2:
                    cost = None  # imported before the item had a cost
                lines.append(
                    LineIn(
                        sold_at=sold_at,
                        quantity=Decimal(quantity),
                        net_amount=amount,
                        menu_item_id=uuid.UUID(item_id),
                        cost=None if cost is None else cost * quantity,
                        transactions=1 if index == 0 else 0,
                        sale_id=sale_id,
                        server_id=uuid.UUID(server) if server else None,
                        customer_id=uuid.UUID(guest) if guest else None,
                        location_id=uuid.UUID(place) if place else None,
                    )
                )
            written += lines
            if rng.random() < 0.15:  # refunded a few days later, on its own day
                back = lines[0]
                written.append(
                    LineIn(
                        sold_at=sold_at + timedelta(days=rng.randint(0, 3), hours=1),
                        quantity=-back.quantity,
                        net_amount=-back.net_amount,
                        menu_item_id=back.menu_item_id,
                        cost=None if back.cost is None else -back.cost,
                        sale_id=sale_id,
                        server_id=back.server_id,
                        customer_id=back.customer_id,
                        location_id=back.location_id,
                    )
                )
        if rng.random() < 0.1:  # a daily total imported without an item
            written.append(
                LineIn(
                    sold_at=datetime(day.year, day.month, day.day, 12, tzinfo=UTC),
                    quantity=ZERO,
                    net_amount=Decimal(rng.randint(50, 300)),
                    business_date=day,
                    location_id=uuid.UUID(rng.choice(locations)),
                )
            )
    await record(database, owner, written)

    bulk = []
    for n in range(12):
        sold_at = datetime.combine(cal.sales_to, datetime.min.time(), tzinfo=UTC) - timedelta(
            days=20, hours=7 * n
        )
        bulk.append(
            {
                "sold_at": sold_at.isoformat(),
                "menu_item_id": rng.choice(item_ids),
                "quantity": "2",
                "amount": "9.00",
                "location_id": rng.choice(locations),
                "transaction_id": f"T{n // 2}",
            }
        )
    response = await client.post(
        "/api/v1/sales/bulk", headers=owner.headers, json={"batch_id": "ref", "lines": bulk}
    )
    assert response.status_code in (200, 201), response.text

    lines: list[Line] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"page_size": 1000}
        if cursor:
            params["cursor"] = cursor
        page = await client.get("/api/v1/sales/ledger", headers=owner.headers, params=params)
        assert page.status_code == 200, page.text
        for raw in page.json()["items"]:
            sold = datetime.fromisoformat(raw["sold_at"].replace("Z", "+00:00"))
            lines.append(
                Line(
                    business_date=date.fromisoformat(raw["business_date"]),
                    sold_at=sold,
                    location_id=raw["location_id"],
                    item=raw["menu_item_id"],
                    quantity=money(raw["quantity"]),
                    amount=money(raw["net_amount"]),
                    cost=_num(raw["cost"]),
                    transactions=raw["transactions"],
                    server=raw["server_id"],
                    customer=raw["customer_id"],
                )
            )
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert len(lines) == len(written) + len(bulk)
    # The ledger's own days: the reference trusts them only after checking them.
    for line in lines:
        if line.item is not None:
            zone = zones.get(line.location_id or "")
            assert line.business_date == cal.business_date(line.sold_at, zone)
    return World(cal, owner, locations, zones, items, servers, lines)


def _scoped(world: World, location: str | None) -> list[Line]:
    return [ln for ln in world.lines if location is None or ln.location_id == location]


def _period(window: Window, days: int) -> dict[str, Any]:
    partial = window.before is not None
    return {
        "date_from": window.first.isoformat(),
        "date_to": window.last.isoformat(),
        "days": days,
        "through": window.before.isoformat().replace("+00:00", "Z") if partial else None,
        "partial": partial,
    }


def _assert_period(body: dict[str, Any], key: str, window: Window, days: int) -> None:
    got = dict(body[key])
    expected = _period(window, days)
    if got["through"] is not None:
        got["through"] = datetime.fromisoformat(got["through"].replace("Z", "+00:00"))
        expected["through"] = window.before
    assert got == expected, key


# Items ----------------------------------------------------------------------------------------


def _item_reference(
    world: World, location: str | None, now: Window, before: Window
) -> list[dict[str, Any]]:
    sums: dict[str, dict[str, Any]] = defaultdict(
        lambda: {
            "quantity": ZERO,
            "revenue": ZERO,
            "cost": ZERO,
            "costed": ZERO,
            "any_cost": False,
            "pq": ZERO,
            "pr": ZERO,
            "seen": False,
        }
    )
    for line in _scoped(world, location):
        if line.item is None:
            continue
        if now.counts(line):
            entry = sums[line.item]
            entry["seen"] = True
            entry["quantity"] += line.quantity
            entry["revenue"] += line.amount
            if line.cost is not None:
                entry["cost"] += line.cost
                entry["costed"] += line.amount
                entry["any_cost"] = True
        if before.counts(line):
            entry = sums[line.item]
            entry["seen"] = True
            entry["pq"] += line.quantity
            entry["pr"] += line.amount
    total = sum((s["revenue"] for s in sums.values()), ZERO)
    revenues = sorted((s["revenue"] for s in sums.values()), reverse=True)
    rows = []
    for item_id, s in sums.items():
        menu = world.items[item_id]
        # Rollups keep no count of costed lines: a costed sale and its refund in the same
        # period (cost 0 over revenue 0) read as "no cost recorded" (a known limit).
        known = s["cost"] != 0 or s["costed"] != 0 or menu["cost"] == 0
        margin = s["costed"] - s["cost"] if known else None
        rows.append(
            {
                "menu_item_id": item_id,
                "name": menu["name"],
                "quantity": s["quantity"],
                "revenue": s["revenue"],
                "cost": s["cost"] if known else None,
                "gross_margin": margin,
                "margin_percent": None if margin is None else _percent(margin, s["costed"]),
                "uncosted_revenue": s["revenue"] - s["costed"],
                "revenue_share_percent": _percent(s["revenue"], total),
                "average_price": _per(s["revenue"], s["quantity"]),
                "previous_quantity": s["pq"],
                "previous_revenue": s["pr"],
                "revenue_growth_percent": _growth(s["revenue"], s["pr"]),
                "quantity_growth_percent": _growth(s["quantity"], s["pq"]),
                "rank": revenues.index(s["revenue"]) + 1,
                "_costed": s["costed"],
            }
        )
    return rows


NUMBERS = [
    "quantity",
    "revenue",
    "cost",
    "gross_margin",
    "margin_percent",
    "uncosted_revenue",
    "revenue_share_percent",
    "average_price",
    "previous_quantity",
    "previous_revenue",
    "revenue_growth_percent",
    "quantity_growth_percent",
]

SORT_KEYS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "revenue": lambda r: r["revenue"],
    "quantity": lambda r: r["quantity"],
    "margin": lambda r: r["gross_margin"],
    "margin_percent": lambda r: r["margin_percent"],
    "growth": lambda r: r["revenue_growth_percent"],
    "name": lambda r: r["name"].casefold(),
}


def _sorted(rows: Iterable[dict[str, Any]], sort_by: str, descending: bool) -> list[str]:
    base = sorted(rows, key=lambda r: (r["rank"], r["name"].casefold(), r["menu_item_id"]))
    key = SORT_KEYS[sort_by]
    present = [r for r in base if key(r) is not None]
    missing = [r for r in base if key(r) is None]
    present.sort(key=key, reverse=descending)
    return [r["menu_item_id"] for r in present + missing]


async def _check_items(
    client: httpx.AsyncClient, world: World, first: date, last: date, location: str | None
) -> None:
    now, before = _windows(world, location, first, last)
    days = (last - first).days + 1
    query: dict[str, Any] = {"date_from": first.isoformat(), "date_to": last.isoformat()}
    if location:
        query["location_id"] = location
    body = await ok(client, world.owner, "items", **query, page_size=100)
    label = (first, last, location)
    _assert_period(body, "period", now, days)
    _assert_period(body, "previous_period", before, days)
    expected = {r["menu_item_id"]: r for r in _item_reference(world, location, now, before)}
    got = {r["menu_item_id"]: r for r in body["items"]}
    assert set(got) == set(expected), label
    for item_id, row in expected.items():
        answer = got[item_id]
        for field in NUMBERS:
            assert _num(answer[field]) == row[field], (label, row["name"], field)
        assert answer["rank"] == row["rank"], (label, row["name"])
        assert answer["name"] == row["name"]

    summary = body["summary"]
    rows = list(expected.values())
    costed = [r for r in rows if r["cost"] is not None]
    cost = sum((r["cost"] for r in costed), ZERO)
    costed_revenue = sum((r["_costed"] for r in costed), ZERO)
    revenue = sum((r["revenue"] for r in rows), ZERO)
    previous = sum((r["previous_revenue"] for r in rows), ZERO)
    margin = costed_revenue - cost if costed else None
    assert set(summary) == {
        "item_count",
        "total_quantity",
        "total_revenue",
        "total_cost",
        "gross_margin",
        "margin_percent",
        "uncosted_revenue",
        "previous_revenue",
        "revenue_growth_percent",
    }
    assert summary["item_count"] == len(rows), label
    assert money(summary["total_quantity"]) == sum((r["quantity"] for r in rows), ZERO)
    assert money(summary["total_revenue"]) == revenue, label
    assert money(summary["total_cost"]) == cost, label
    assert _num(summary["gross_margin"]) == margin, label
    assert _num(summary["margin_percent"]) == (
        None if margin is None else _percent(margin, costed_revenue)
    ), label
    assert money(summary["uncosted_revenue"]) == revenue - costed_revenue, label
    assert money(summary["previous_revenue"]) == previous, label
    assert _num(summary["revenue_growth_percent"]) == _growth(revenue, previous), label

    # A category narrows the list and the summary; ranks and shares stay those among all.
    categories = {menu["category"] for menu in world.items.values() if menu["category"]}
    for category in sorted(categories):
        part = await ok(client, world.owner, "items", **query, category_id=category)
        mine = [r for r in rows if world.items[r["menu_item_id"]]["category"] == category]
        assert [(r["menu_item_id"], r["rank"]) for r in part["items"]] == [
            (item_id, expected[item_id]["rank"]) for item_id in _sorted(mine, "revenue", True)
        ], label
        assert money(part["summary"]["total_revenue"]) == sum((r["revenue"] for r in mine), ZERO), (
            label
        )

    # Every sort order, both ways, and paging through it three at a time.
    for sort_by in SORT_KEYS:
        for order in ("asc", "desc"):
            want = _sorted(rows, sort_by, order == "desc")
            paged: list[str] = []
            page = 1
            while True:
                part = await ok(
                    client,
                    world.owner,
                    "items",
                    **query,
                    sort_by=sort_by,
                    sort_order=order,
                    page=page,
                    limit=3,
                )
                paged += [r["menu_item_id"] for r in part["items"]]
                assert part["total"] == len(rows)
                assert part["pages"] == (len(rows) + 2) // 3
                assert part["has_previous"] == (page > 1)
                if not part["has_next"]:
                    break
                page += 1
            assert paged == want, (label, sort_by, order)


# Revenue trends -------------------------------------------------------------------------------


def _period_spans(first: date, last: date, granularity: str) -> list[tuple[date, date]]:
    spans = []
    day = first
    while day <= last:
        if granularity == "day":
            end = day
        elif granularity == "week":
            end = day + timedelta(days=6 - day.weekday())
        else:
            following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
            end = following - timedelta(days=1)
        end = min(end, last)
        spans.append((day, end))
        day = end + timedelta(days=1)
    return spans


def _whole(start: date, end: date, granularity: str) -> bool:
    if granularity == "day":
        return True
    if granularity == "week":
        return start.weekday() == 0 and end.weekday() == 6
    return start.day == 1 and (end + timedelta(days=1)).day == 1


def _slope(values: list[Decimal]) -> Decimal | None:
    n = len(values)
    if n < 2:
        return None
    mean_x = Decimal(n - 1) / 2
    mean_y = sum(values, ZERO) / n
    num = sum(((Decimal(x) - mean_x) * (y - mean_y) for x, y in enumerate(values)), ZERO)
    den = sum(((Decimal(x) - mean_x) ** 2 for x in range(n)), ZERO)
    return num / den


def _day_figures(lines: list[Line], window: Window) -> dict[date, tuple[Decimal, int, Decimal]]:
    """Per business day: revenue, transactions and the revenue an average ticket counts."""
    per_place: dict[tuple[date, str | None], list[Any]] = defaultdict(lambda: [ZERO, 0])
    for line in lines:
        if window.counts(line):
            per_place[(line.business_date, line.location_id)][0] += line.amount
            per_place[(line.business_date, line.location_id)][1] += line.transactions
    days: dict[date, list[Any]] = defaultdict(lambda: [ZERO, 0, ZERO])
    for (day, _), (revenue, count) in per_place.items():
        days[day][0] += revenue
        days[day][1] += count
        if count > 0 or revenue <= 0:
            days[day][2] += revenue
    return {day: (v[0], v[1], v[2]) for day, v in days.items()}


async def _check_trends(
    client: httpx.AsyncClient,
    world: World,
    first: date,
    last: date,
    location: str | None,
    granularity: str,
) -> None:
    now, before = _windows(world, location, first, last)
    days = (last - first).days + 1
    query: dict[str, Any] = {
        "date_from": first.isoformat(),
        "date_to": last.isoformat(),
        "granularity": granularity,
    }
    if location:
        query["location_id"] = location
    body = await ok(client, world.owner, "revenue-trends", **query)
    label = (first, last, location, granularity)
    _assert_period(body, "period", now, days)
    _assert_period(body, "previous_period", before, days)
    lines = _scoped(world, location)
    figures = _day_figures(lines, now)
    series = []
    previous_revenue: Decimal | None = None
    trend_values = []
    for start, end in _period_spans(first, last, granularity):
        inside = [v for d, v in figures.items() if start <= d <= end]
        revenue = sum((v[0] for v in inside), ZERO)
        count = sum(v[1] for v in inside)
        counted = sum((v[2] for v in inside), ZERO)
        complete, whole = (
            end < now.cut_day if now.cut_day else True,
            _whole(start, end, granularity),
        )
        series.append(
            {
                "period_start": start.isoformat(),
                "period_end": end.isoformat(),
                "complete": complete,
                "whole": whole,
                "revenue": revenue,
                "transactions": count,
                "average_ticket": _per(counted, count),
                "growth_percent": (
                    None if previous_revenue is None else _growth(revenue, previous_revenue)
                ),
            }
        )
        previous_revenue = revenue
        if complete and whole:
            trend_values.append(revenue)
    got = [
        {**p, **{k: _num(p[k]) for k in ("revenue", "average_ticket", "growth_percent")}}
        for p in body["series"]
    ]
    assert got == series, label
    revenue = sum((v[0] for v in figures.values()), ZERO)
    count = sum(v[1] for v in figures.values())
    counted = sum((v[2] for v in figures.values()), ZERO)
    earlier = _day_figures(lines, before)
    prev_revenue = sum((v[0] for v in earlier.values()), ZERO)
    totals = body["totals"]
    assert money(totals["revenue"]) == revenue, label
    assert totals["transactions"] == count, label
    assert _num(totals["average_ticket"]) == _per(counted, count), label
    assert money(totals["previous_revenue"]) == prev_revenue, label
    assert totals["previous_transactions"] == sum(v[1] for v in earlier.values()), label
    assert _num(totals["growth_percent"]) == _growth(revenue, prev_revenue), label
    slope = _slope(trend_values)
    trend = body["trend"]
    assert _num(trend["slope"]) == (None if slope is None else _cents(slope)), label
    if slope is None:
        assert trend["direction"] == "flat"
    else:
        mean = sum(trend_values, ZERO) / len(trend_values)
        flat = abs(slope * 100 / abs(mean)) < 1 if mean != 0 else slope == 0
        assert trend["direction"] == ("flat" if flat else "up" if slope > 0 else "down"), label
        assert _num(trend["slope_percent"]) == _percent(slope, abs(mean)), label


# Staff and customers --------------------------------------------------------------------------


async def _check_staff(
    client: httpx.AsyncClient, world: World, first: date, last: date, location: str | None
) -> None:
    now, _ = _windows(world, location, first, last)
    query: dict[str, Any] = {"date_from": first.isoformat(), "date_to": last.isoformat()}
    if location:
        query["location_id"] = location
    body = await ok(client, world.owner, "staff-performance", **query)
    label = (first, last, location)
    sums: dict[str | None, list[Any]] = defaultdict(lambda: [0, ZERO, ZERO])
    for line in _scoped(world, location):
        if now.counts(line):
            sums[line.server][0] += line.transactions
            sums[line.server][1] += line.amount
            sums[line.server][2] += line.quantity
    total = sum((v[1] for v in sums.values()), ZERO)
    servers = {k: v for k, v in sums.items() if k is not None}
    ordered = sorted((v[1] for v in servers.values()), reverse=True)
    got = {m["user_id"]: m for m in body["staff"]}
    assert set(got) == set(servers), label
    for user_id, (count, revenue, units) in servers.items():
        member = got[user_id]
        assert member["role"] == world.servers[user_id]
        assert member["sales_count"] == count, label
        assert money(member["revenue"]) == revenue, label
        assert money(member["items_sold"]) == units, label
        assert _num(member["average_ticket"]) == _per(revenue, count), label
        assert _num(member["revenue_share_percent"]) == _percent(revenue, total), label
        assert member["rank"] == ordered.index(revenue) + 1, label
    assert [m["rank"] for m in body["staff"]] == sorted(m["rank"] for m in body["staff"])
    if None in sums:
        count, revenue, units = sums[None]
        unattributed = body["unattributed"]
        assert (unattributed["sales_count"], money(unattributed["revenue"])) == (count, revenue)
        assert money(unattributed["items_sold"]) == units, label
    else:
        assert body["unattributed"] is None, label
    totals = body["totals"]
    all_count = sum(v[0] for v in sums.values())
    assert totals["staff_count"] == len(servers)
    assert (totals["sales_count"], money(totals["revenue"])) == (all_count, total), label
    assert money(totals["items_sold"]) == sum((v[2] for v in sums.values()), ZERO)
    assert _num(totals["average_ticket"]) == _per(total, all_count), label
    # A role keeps its staff, with the ranks and shares among everyone; totals are theirs.
    only = await ok(client, world.owner, "staff-performance", **query, role="manager")
    managers = [m for m in body["staff"] if m["role"] == "manager"]
    assert only["staff"] == managers and only["unattributed"] is None, label
    assert only["totals"]["sales_count"] == sum(m["sales_count"] for m in managers), label


async def _check_customers(
    client: httpx.AsyncClient, world: World, first: date, last: date, location: str | None
) -> None:
    now, _ = _windows(world, location, first, last)
    query: dict[str, Any] = {
        "date_from": first.isoformat(),
        "date_to": last.isoformat(),
        "top": 100,
    }
    if location:
        query["location_id"] = location
    body = await ok(client, world.owner, "customers", **query)
    label = (first, last, location)
    history = Window(date(1, 1, 1), now.last, now.cut_day, now.before)
    visits: dict[str, int] = defaultdict(int)
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    to_date: dict[str, int] = defaultdict(int)
    last_visit: dict[str, date] = {}
    for line in _scoped(world, location):
        if line.customer is None:
            continue
        if now.counts(line):
            visits[line.customer] += line.transactions
            revenue[line.customer] += line.amount
            if line.transactions > 0:
                last_visit[line.customer] = max(
                    last_visit.get(line.customer, line.business_date), line.business_date
                )
        if history.counts(line):
            to_date[line.customer] += line.transactions
    visitors = [c for c in visits if visits[c] > 0]
    got = {c["customer_id"]: c for c in body["top_customers"]}
    assert set(got) == set(visitors), label
    segments: dict[str, list[str]] = defaultdict(list)
    for guest in visitors:
        count = to_date[guest]
        segment = "loyal" if count >= 5 else "returning" if count >= 2 else "new"
        segments[segment].append(guest)
        answer = got[guest]
        assert (answer["visits"], answer["visits_to_date"], answer["segment"]) == (
            visits[guest],
            count,
            segment,
        ), label
        assert money(answer["revenue"]) == revenue[guest], label
        assert answer["last_visit"] == last_visit[guest].isoformat(), label
    total = sum((revenue[c] for c in visitors), ZERO)
    for stats in body["segments"]:
        members = segments[stats["segment"]]
        seg_revenue = sum((revenue[c] for c in members), ZERO)
        seg_visits = sum(visits[c] for c in members)
        assert (stats["customers"], stats["visits"]) == (len(members), seg_visits), label
        assert money(stats["revenue"]) == seg_revenue, label
        assert _num(stats["average_spend"]) == _per(seg_revenue, seg_visits), label
        assert _num(stats["average_customer_value"]) == _per(seg_revenue, len(members))
        assert _num(stats["revenue_share_percent"]) == _percent(seg_revenue, total), label
    totals = body["totals"]
    assert totals["customers"] == len(visitors) and money(totals["revenue"]) == total, label
    names = {c["customer_id"]: c["name"] for c in body["top_customers"]}
    ranked = sorted(visitors, key=lambda c: (-revenue[c], -visits[c], names[c].casefold(), c))
    assert [c["customer_id"] for c in body["top_customers"]] == ranked, label
    for segment, members in segments.items():
        narrowed = await ok(client, world.owner, "customers", **query | {"top": 2}, segment=segment)
        assert [c["customer_id"] for c in narrowed["top_customers"]] == [
            c for c in ranked if c in members
        ][:2], label
        assert narrowed["segments"] == body["segments"], label


@pytest.mark.parametrize("cal", [NEW_YORK, LONDON], ids=["new_york", "london"])
async def test_every_figure_matches_the_reference(
    client: httpx.AsyncClient,
    owner: Account,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
    cal: Calendar,
) -> None:
    monkeypatch.setattr(service, "utcnow", lambda: cal.now)
    world = await _build(client, owner, database, cal)
    for first, last in cal.ranges:
        for location in (None, *world.locations):
            await _check_items(client, world, first, last, location)
            await _check_staff(client, world, first, last, location)
            await _check_customers(client, world, first, last, location)
            for granularity in ("day", "week", "month"):
                await _check_trends(client, world, first, last, location, granularity)


# Till sales through the point-of-sale API -----------------------------------------------------


@dataclass
class Rung:
    """What the test rang up: a sale's lines (item, quantity, net, cost) and who and where."""

    business_date: date
    sold_at: datetime
    server: str
    customer: str | None
    location: str | None
    lines: list[tuple[str, Decimal, Decimal, Decimal | None]]


def _rung(sale: dict[str, Any], account: Account, location: str | None) -> Rung:
    """What a completed sale's response says was sold."""
    assert sale["status"] == "completed", sale
    lines = [
        (
            line["menu_item_id"],
            Decimal(line["quantity"]),
            money(line["net_amount"]),
            None if line["unit_cost"] is None else money(line["unit_cost"]) * line["quantity"],
        )
        for line in sale["lines"]
    ]
    return Rung(
        date.fromisoformat(sale["business_date"]),
        datetime.fromisoformat(sale["sold_at"].replace("Z", "+00:00")),
        account.user_id,
        sale["customer_id"],
        location,
        lines,
    )


async def test_till_sales_match_what_was_rung_up(client: httpx.AsyncClient, owner: Account) -> None:
    """Sales rung up through POST /sales (another system's past sales with a discount and
    tax, today's counter sales with split payments and tips) and refunds through
    POST /sales/{id}/refunds: every analytics figure against the sales' own lines."""
    rng = random.Random(7)
    await set_business(client, owner, tax_rate="8.875")
    uptown = await create_location(client, owner, "Uptown")
    costed = await menu_item(client, owner, "Margherita", "12.50", cost="4.10")
    plain = await menu_item(client, owner, "Lemonade", "3.35")
    cheap = await menu_item(client, owner, "Espresso", "2.45", cost="0.35")
    prices = {
        str(costed): Decimal("12.50"),
        str(plain): Decimal("3.35"),
        str(cheap): Decimal("2.45"),
    }
    manager = await add_user(client, owner, "manager")
    cashier = await add_user(client, owner, "cashier")
    guests = [await customer(client, owner, f"Guest {n}") for n in range(3)]
    today = date.fromisoformat((await ok(client, owner, "items"))["period"]["date_to"])
    rung: list[Rung] = []
    refunds: list[tuple[Rung, Decimal, Decimal, bool]] = []  # sale, net back, units, full
    for n in range(24):
        # Another system's sales are recorded by a manager or above.
        account = rng.choice([owner, manager] if n < 16 else [owner, manager, cashier])
        location = rng.choice([uptown, None])
        chosen = rng.sample(list(prices), rng.randint(1, 3))
        body: dict[str, Any] = {"customer_id": rng.choice([*guests, None])}
        if location:
            body["location_id"] = location
        if n < 16:  # another system's sale, days ago
            sold_at = datetime.combine(
                today - timedelta(days=rng.randint(1, 20)), datetime.min.time(), tzinfo=UTC
            ) + timedelta(hours=rng.randint(9, 22))
            body |= {
                "source": "webhook",
                "external_id": f"ext-{n}",
                "status": "completed",
                "sold_at": sold_at.isoformat(),
                "items": [
                    {"menu_item_id": i, "quantity": rng.randint(1, 3), "unit_price": str(prices[i])}
                    for i in chosen
                ],
            }
            if account is not cashier and rng.random() < 0.5:
                body["discount_percent"] = "10"
        else:  # a counter sale now, paid by card with a tip and the rest in cash
            body["items"] = [{"menu_item_id": i, "quantity": rng.randint(1, 3)} for i in chosen]
            if account is not cashier and rng.random() < 0.5:
                body["discount_amount"] = "1.00"
            created = await client.post("/api/v1/sales", headers=account.headers, json=body)
            assert created.status_code == 201, created.text
            total = money(created.json()["total_amount"])
            sale_id = created.json()["id"]
            paid = await client.post(
                f"/api/v1/sales/{sale_id}/payments",
                headers=account.headers,
                json={"method": "card", "amount": "5.00", "tip_amount": "1.50"},
            )
            assert paid.status_code in (200, 201), paid.text
            paid = await client.post(
                f"/api/v1/sales/{sale_id}/payments",
                headers=account.headers,
                json={"method": "cash", "amount": str(total - 5)},
            )
            assert paid.status_code in (200, 201), paid.text
            got = await client.get(f"/api/v1/sales/{sale_id}", headers=owner.headers)
            rung.append(_rung(got.json(), account, location))
            continue
        response = await client.post("/api/v1/sales", headers=account.headers, json=body)
        assert response.status_code == 201, response.text
        sale = response.json()
        record_ = _rung(sale, account, location)
        rung.append(record_)
        if len(sale["lines"]) == 1 and rng.random() < 0.6:  # refunded today, part or all
            total = money(sale["total_amount"])
            full = rng.random() < 0.5
            amount = total if full else _cents(total / 3)
            refunded = await client.post(
                f"/api/v1/sales/{sale['id']}/refunds",
                headers=owner.headers,
                json={
                    "payment_id": sale["payments"][0]["id"],
                    "amount": str(amount),
                    "reason": "cold",
                },
            )
            assert refunded.status_code in (200, 201), refunded.text
            net = sum((line[2] for line in record_.lines), ZERO)
            back = net if full else _cents(amount * net / total)
            refunds.append((record_, back, record_.lines[0][1] if full else ZERO, full))

    assert any(full for *_, full in refunds) and not all(full for *_, full in refunds)
    # The reference: today is partial (up to the response's `through`), refunds are today's.
    body = await ok(
        client,
        owner,
        "items",
        date_from=(today - timedelta(days=25)).isoformat(),
        date_to=today.isoformat(),
    )
    through = datetime.fromisoformat(body["period"]["through"].replace("Z", "+00:00"))
    assert all(r.sold_at < through for r in rung)
    items: dict[str, list[Any]] = defaultdict(lambda: [ZERO, ZERO, ZERO, ZERO])
    for sale_ in rung:
        for item_id, quantity, net, cost in sale_.lines:
            items[item_id][0] += quantity
            items[item_id][1] += net
            if cost is not None:
                items[item_id][2] += cost
                items[item_id][3] += net
    for sale_, back, units, full in refunds:
        item_id, quantity, net, cost = sale_.lines[0]
        items[item_id][0] -= units
        items[item_id][1] -= back
        if cost is not None:
            items[item_id][2] -= cost if full else ZERO
            items[item_id][3] -= back
    got = {i["menu_item_id"]: i for i in body["items"]}
    assert set(got) == set(items)
    for item_id, (quantity, revenue, cost, costed_revenue) in items.items():
        answer = got[item_id]
        assert money(answer["quantity"]) == quantity, answer["name"]
        assert money(answer["revenue"]) == revenue, answer["name"]
        assert money(answer["uncosted_revenue"]) == revenue - costed_revenue, answer["name"]
        if answer["cost"] is not None:
            assert money(answer["cost"]) == cost, answer["name"]
            assert money(answer["gross_margin"]) == costed_revenue - cost, answer["name"]
    revenue = sum((v[1] for v in items.values()), ZERO)
    assert money(body["summary"]["total_revenue"]) == revenue

    trends = await ok(
        client,
        owner,
        "revenue-trends",
        date_from=(today - timedelta(days=25)).isoformat(),
        date_to=today.isoformat(),
    )
    assert money(trends["totals"]["revenue"]) == revenue
    assert trends["totals"]["transactions"] == len(rung)
    per_day: dict[date, Decimal] = defaultdict(Decimal)
    for sale_ in rung:
        per_day[sale_.business_date] += sum((line[2] for line in sale_.lines), ZERO)
    for _, back, _, _ in refunds:
        per_day[today] -= back
    assert {
        date.fromisoformat(p["period_start"]): money(p["revenue"])
        for p in trends["series"]
        if money(p["revenue"]) != 0
    } == {day: value for day, value in per_day.items() if value != 0}

    staff = await ok(
        client,
        owner,
        "staff-performance",
        date_from=(today - timedelta(days=25)).isoformat(),
        date_to=today.isoformat(),
    )
    by_server: dict[str, list[Any]] = defaultdict(lambda: [0, ZERO])
    for sale_ in rung:
        by_server[sale_.server][0] += 1
        by_server[sale_.server][1] += sum((line[2] for line in sale_.lines), ZERO)
    for sale_, back, _, _ in refunds:
        by_server[sale_.server][1] -= back
    assert {m["user_id"]: (m["sales_count"], money(m["revenue"])) for m in staff["staff"]} == {
        k: (v[0], v[1]) for k, v in by_server.items()
    }
    assert staff["unattributed"] is None

    guests_body = await ok(
        client,
        owner,
        "customers",
        date_from=(today - timedelta(days=25)).isoformat(),
        date_to=today.isoformat(),
    )
    visits: dict[str, int] = defaultdict(int)
    spent: dict[str, Decimal] = defaultdict(Decimal)
    for sale_ in rung:
        if sale_.customer:
            visits[sale_.customer] += 1
            spent[sale_.customer] += sum((line[2] for line in sale_.lines), ZERO)
    for sale_, back, _, _ in refunds:
        if sale_.customer:
            spent[sale_.customer] -= back
    assert {
        c["customer_id"]: (c["visits"], money(c["revenue"])) for c in guests_body["top_customers"]
    } == {k: (visits[k], spent[k]) for k in visits}


# Query parameters -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["items", "revenue-trends", "staff-performance", "customers"])
async def test_a_date_from_alone_too_far_back_names_date_from(
    client: httpx.AsyncClient, owner: Account, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    """With only `date_from`, the range runs to today; when that is more than 3660 days the
    422 named `date_to`, a parameter the caller never sent. It names `date_from` now and
    says to give `date_to` too (as the sales queries do). Sent both, `date_to` is named."""
    monkeypatch.setattr(service, "utcnow", lambda: NEW_YORK.now)
    alone = assert_error(
        await get(client, owner, path, date_from="2014-03-01"), 422, "VALIDATION_ERROR"
    )
    assert alone["details"] == [
        {"field": "date_from", "message": "the range may span at most 3660 days; give date_to too"}
    ]
    both = assert_error(
        await get(client, owner, path, date_from="2014-03-01", date_to="2024-03-12"),
        422,
        "VALIDATION_ERROR",
    )
    assert both["details"] == [
        {"field": "date_to", "message": "the range may span at most 3660 days"}
    ]
    # The longest range date_from alone may start: 3660 days up to today.
    first = date(2024, 3, 12) - timedelta(days=3659)
    assert (await get(client, owner, path, date_from=first.isoformat())).status_code == 200

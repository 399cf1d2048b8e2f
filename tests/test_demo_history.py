"""The demo's sales history: built from the real-data profile, deterministic, plausible, and
written to the ledger with rollups that add up."""

from __future__ import annotations

import statistics
import uuid
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import func, select, update

from tableside.db.database import Database, set_tenant
from tableside.demo import DEMO_LOCATIONS
from tableside.demo_history import (
    CATEGORY_GROUPS,
    COUNTER_PLAN,
    PROFILE_PATH,
    RESTAURANT_PLANS,
    MenuEntry,
    Restaurant,
    generate_lines,
    load_profile,
    load_sales_history,
    us_holidays,
)
from tableside.demo_pos import DEMO_MENU, load_front_of_house
from tableside.ledger.lines import Calendar, LineIn, stamp
from tableside.models import (
    Business,
    Customer,
    DailyItemRollup,
    HourlyRollup,
    LedgerBatch,
    LedgerLine,
    Location,
    MenuItem,
)
from tests.factories import Account

NEW_YORK = "America/New_York"
DOWNTOWN, BROOKLYN = uuid.UUID(int=1), uuid.UUID(int=2)


def demo_menu() -> list[MenuEntry]:
    entries = []
    for position, (category, rows) in enumerate(DEMO_MENU):
        category_id = uuid.UUID(int=1000 + position)
        for name, price, cost, _station, sku, _stock, _description in rows:
            entries.append(
                MenuEntry(
                    uuid.uuid5(category_id, name),
                    category_id,
                    CATEGORY_GROUPS[category.lower()],
                    sku,
                    Decimal(price),
                    Decimal(cost),
                )
            )
    return entries


def generate(last_day: date, days: int, **kwargs: object) -> tuple[list[tuple], int]:
    restaurants = [
        Restaurant(DOWNTOWN, NEW_YORK, RESTAURANT_PLANS[0]),
        Restaurant(BROOKLYN, NEW_YORK, RESTAURANT_PLANS[1]),
    ]
    return generate_lines(
        load_profile(),
        restaurants,
        demo_menu(),
        first_day=last_day - timedelta(days=days - 1),
        last_day=last_day,
        cutoff_hour=4,
        **kwargs,
    )


def test_profile_is_small_and_complete() -> None:
    assert PROFILE_PATH.stat().st_size <= 150_000
    profile = load_profile()
    daily = profile["daily"]
    assert len(daily["level"]) == len(daily["residual"]) >= 730
    assert daily["closed"], "the takeaway's Christmas closures are in the curve"
    for pattern in ("dine_in", "neighbourhood"):
        factors = profile["weekday_factors"][pattern]
        assert len(factors) == 7 and abs(statistics.fmean(factors) - 1) < 0.01
        # The real weekly pattern: Friday and Saturday above Monday and Tuesday.
        assert factors[4] + factors[5] > factors[0] + factors[1]
    assert len(profile["holiday_factors"]) == 7
    hours = profile["hours"]
    assert len(hours["dinner_by_weekday"]) == 7 and sum(hours["lunch"]) > 0
    for group in ("main", "starter", "drink", "dessert", "retail"):
        counts = [count for _, count in profile["items"][group]]
        assert counts and counts == sorted(counts, reverse=True)
    assert sum(map(sum, profile["baskets"]["mains_by_starters"])) > 10_000


def test_us_holidays() -> None:
    holidays = us_holidays(2026)
    assert date(2026, 11, 26) in holidays  # Thanksgiving
    assert date(2026, 5, 25) in holidays  # Memorial Day
    assert date(2026, 9, 7) in holidays  # Labor Day
    assert len(holidays) == 11


def test_generation_is_deterministic_and_a_short_history_is_the_tail() -> None:
    servers = [uuid.UUID(int=50), uuid.UUID(int=51)]
    rows, sales = generate(date(2026, 3, 20), 10, server_ids=servers)
    again, sales_again = generate(date(2026, 3, 20), 10, server_ids=servers)
    assert rows == again and sales == sales_again
    longer, _ = generate(date(2026, 3, 20), 30, server_ids=servers)
    first_day = date(2026, 3, 11)
    tail = [row for row in longer if row[1] >= first_day]
    assert sorted(tail, key=repr) == sorted(rows, key=repr)
    other_seed, _ = generate(date(2026, 3, 20), 10, server_ids=servers, seed=7)
    assert other_seed != rows


def test_totals_weekly_pattern_hours_and_baskets_are_plausible() -> None:
    last_day = date(2026, 6, 30)
    customers = [uuid.UUID(int=100 + i) for i in range(12)]
    rows, sales = generate(last_day, 16 * 7, customer_ids=customers)
    assert {row[1] for row in rows} <= {last_day - timedelta(days=i) for i in range(112)}
    revenue: dict[uuid.UUID, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    covers: dict[uuid.UUID, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        revenue[row[0]][row[1]] += Decimal(row[8]) / 100
        covers[row[0]][row[1]] += row[10]
    mean_covers = {loc: statistics.fmean(days.values()) for loc, days in covers.items()}
    assert 170 <= mean_covers[DOWNTOWN] <= 270
    assert 110 <= mean_covers[BROOKLYN] <= 190
    for location, low, high in ((DOWNTOWN, 5_000, 12_000), (BROOKLYN, 3_000, 8_500)):
        daily = [float(v) for v in revenue[location].values()]
        assert low <= statistics.fmean(daily) <= high
        by_weekday = defaultdict(list)
        for day, amount in revenue[location].items():
            by_weekday[day.weekday()].append(float(amount))
        weekend = statistics.fmean(by_weekday[4] + by_weekday[5])
        early_week = statistics.fmean(by_weekday[0] + by_weekday[1])
        assert weekend > 1.2 * early_week

    firsts = [row for row in rows if row[11] == 1]
    assert len(firsts) == sales
    assert all(row[10] >= 1 for row in firsts)
    assert all(row[10] == 0 and row[11] == 0 for row in rows if row[11] == 0)
    assert 3.5 <= len(rows) / sales <= 7
    assert 1.7 <= sum(row[10] for row in firsts) / sales <= 3
    # Lunch and dinner peaks, no sale in the small hours.
    hours: dict[int, int] = defaultdict(int)
    for row in firsts:
        hours[row[4]] += 1
    assert set(hours) <= {*range(11, 24), 0, 1}
    assert max(hours, key=hours.__getitem__) in (19, 20)
    assert hours[13] + hours[14] > hours[16] + hours[17]
    # Real popularity by rank: the top main sells more than the last one.
    items: dict[uuid.UUID, int] = defaultdict(int)
    for row in rows:
        items[row[5]] += row[7]
    menu = {entry.sku: entry.id for entry in demo_menu()}
    assert items[menu["PIZ-001"]] > 3 * items[menu["SEC-002"]]
    assert 0 < sum(1 for row in firsts if row[13] is not None) < sales * 0.02


def test_closed_on_christmas_and_days_are_stamped_like_the_ledger() -> None:
    rows, _ = generate(date(2025, 12, 31), 14)
    assert date(2025, 12, 25) not in {row[1] for row in rows}
    # Across the March clock change, every row agrees with the ledger's own stamping.
    rows, _ = generate(date(2026, 3, 10), 5)
    calendar = Calendar(NEW_YORK, 4)
    for row in rows[::7]:
        stamped = stamp(
            LineIn(sold_at=row[2], quantity=Decimal(1), net_amount=Decimal(1)), calendar
        )
        assert (stamped.business_date, stamped.hour_start, stamped.local_hour) == (
            row[1],
            row[3],
            row[4],
        )


def test_the_commissary_counter_sells_goods_and_catering_trays_without_guests() -> None:
    last_day = date(2026, 6, 28)  # a Sunday
    commissary = uuid.UUID(int=3)
    restaurants = [
        Restaurant(DOWNTOWN, NEW_YORK, RESTAURANT_PLANS[0]),
        Restaurant(BROOKLYN, NEW_YORK, RESTAURANT_PLANS[1]),
    ]
    args = {
        "first_day": last_day - timedelta(days=12 * 7 - 1),
        "last_day": last_day,
        "cutoff_hour": 4,
    }
    alone, _ = generate_lines(load_profile(), restaurants, demo_menu(), **args)
    rows, sales = generate_lines(
        load_profile(),
        [*restaurants, Restaurant(commissary, NEW_YORK, COUNTER_PLAN)],
        demo_menu(),
        **args,
    )
    assert sales == sum(row[11] for row in rows)
    # The restaurants' history does not change when a counter is added after them.
    assert [row for row in rows if row[0] != commissary] == alone
    counter = [row for row in rows if row[0] == commissary]
    assert all(row[10] == 0 for row in counter)  # no seated guests
    assert all(9 <= row[4] <= 16 for row in counter)  # 09:00-17:00
    assert {row[1].weekday() for row in counter} == set(range(6))  # closed on Sundays
    per_day: dict[date, int] = defaultdict(int)
    for row in counter:
        per_day[row[1]] += row[11]
    assert 30 <= statistics.fmean(per_day.values()) <= 60
    menu = {entry.id: entry for entry in demo_menu()}
    groups = {menu[row[5]].group for row in counter}
    assert groups == {"retail", "dessert", "main"}
    # Catering: a few tray orders a week, each 12 to 40 portions of mains.
    trays: dict[datetime, int] = defaultdict(int)
    for row in counter:
        if menu[row[5]].group == "main":
            trays[row[2]] += row[7]
    assert 2 * 12 <= len(trays) <= 6 * 12
    assert all(12 <= portions <= 40 for portions in trays.values())


@pytest.fixture
async def bella_vista(database: Database, owner: Account) -> dict[str, object]:
    """A registered business set up like the demo: New York calendar, two restaurants and a
    commissary, the demo menu and customers."""
    business_id = uuid.UUID(owner.business_id)
    async with database.session() as session:
        await set_tenant(session, business_id)
        await session.execute(
            update(Business)
            .where(Business.id == business_id)
            .values(timezone=NEW_YORK, day_cutoff_hour=4)
        )
        locations = [
            Location(business_id=business_id, name=name, type=location_type, address=address)
            for name, location_type, address in DEMO_LOCATIONS
        ]
        session.add_all(locations)
        await session.flush()
        await load_front_of_house(session, business_id, locations)
    return {"business_id": business_id, "locations": locations}


async def test_history_lands_in_the_ledger_with_exact_rollups(
    database: Database, owner: Account, bella_vista: dict[str, object], client: httpx.AsyncClient
) -> None:
    business_id: uuid.UUID = bella_vista["business_id"]  # type: ignore[assignment]
    locations: list[Location] = bella_vista["locations"]  # type: ignore[assignment]
    today = date(2026, 3, 12)  # the history crosses the March clock change
    async with database.session() as session:
        await set_tenant(session, business_id)
        items = list(
            (await session.execute(select(MenuItem).where(MenuItem.business_id == business_id)))
            .scalars()
            .all()
        )
        customers = list((await session.execute(select(Customer.id))).scalars().all())
        summary = await load_sales_history(
            session,
            business_id,
            locations,
            items,
            today=today,
            days=10,
            server_ids=[uuid.UUID(owner.user_id)],
            customer_ids=customers,
        )
    assert summary.last_day == today - timedelta(days=1)
    assert summary.first_day == today - timedelta(days=10)
    assert summary.lines > 5_000 and summary.sales > 1_000

    async with database.session() as session:
        await set_tenant(session, business_id)
        line = LedgerLine
        totals = (
            await session.execute(
                select(
                    func.count(),
                    func.min(line.business_date),
                    func.max(line.business_date),
                    func.sum(line.net_amount),
                    func.sum(line.transactions),
                    func.sum(line.covers),
                    func.count(func.distinct(line.location_id)),
                    func.count(line.server_id),
                    func.count(func.distinct(line.batch_id)),
                ).where(line.business_id == business_id)
            )
        ).one()
        assert totals[0] == summary.lines
        assert (totals[1], totals[2]) == (summary.first_day, summary.last_day)
        assert totals[3] == summary.net_amount
        assert totals[4] == summary.sales
        assert totals[6] == 3  # two restaurants and the commissary's counter
        assert totals[7] == summary.lines and totals[8] == 1
        commissary = locations[2].id
        counter = (
            await session.execute(
                select(
                    func.count(),
                    func.sum(line.covers),
                    func.min(line.local_hour),
                    func.max(line.local_hour),
                ).where(line.location_id == commissary)
            )
        ).one()
        assert counter[0] > 0 and counter[1] == 0  # sales, but no seated guests
        assert counter[2] >= 9 and counter[3] <= 16
        batch = (await session.execute(select(LedgerBatch))).scalar_one()
        assert (batch.kind, batch.line_count, batch.net_amount) == (
            "demo",
            summary.lines,
            summary.net_amount,
        )

        daily = (
            await session.execute(
                select(
                    func.sum(DailyItemRollup.net_amount),
                    func.sum(DailyItemRollup.quantity),
                    func.sum(DailyItemRollup.line_count),
                )
            )
        ).one()
        hourly = (
            await session.execute(
                select(
                    func.sum(HourlyRollup.net_amount),
                    func.sum(HourlyRollup.transactions),
                    func.sum(HourlyRollup.covers),
                )
            )
        ).one()
        line_sums = (
            await session.execute(select(func.sum(line.quantity), func.sum(line.cost)))
        ).one()
        assert daily == (summary.net_amount, line_sums[0], summary.lines)
        assert hourly == (summary.net_amount, summary.sales, totals[5])
        # Per day and location the rollup equals the lines.
        per_day_lines = dict(
            (
                await session.execute(
                    select(
                        func.concat(line.business_date, line.location_id),
                        func.sum(line.net_amount),
                    ).group_by(line.business_date, line.location_id)
                )
            ).all()
        )
        per_day_rollup = dict(
            (
                await session.execute(
                    select(
                        func.concat(HourlyRollup.business_date, HourlyRollup.location_key),
                        func.sum(HourlyRollup.net_amount),
                    ).group_by(HourlyRollup.business_date, HourlyRollup.location_key)
                )
            ).all()
        )
        assert per_day_lines == per_day_rollup
        # The business day the ledger stamps agrees with the generator's, also on the
        # clock-change day.
        sample = (
            await session.execute(
                select(line.sold_at, line.business_date, line.hour_start, line.local_hour)
                .where(line.business_date == date(2026, 3, 8))
                .limit(200)
            )
        ).all()
        calendar = Calendar(NEW_YORK, 4)
        for sold_at, day, hour_start, local_hour in sample:
            stamped = stamp(
                LineIn(sold_at=sold_at, quantity=Decimal(1), net_amount=Decimal(1)), calendar
            )
            assert (stamped.business_date, stamped.hour_start, stamped.local_hour) == (
                day,
                hour_start,
                local_hour,
            )


async def test_history_defaults_to_yesterday(
    database: Database, bella_vista: dict[str, object]
) -> None:
    from tableside.kit.business_time import business_date
    from tableside.kit.schemas import utcnow

    business_id: uuid.UUID = bella_vista["business_id"]  # type: ignore[assignment]
    locations: list[Location] = bella_vista["locations"]  # type: ignore[assignment]
    async with database.session() as session:
        await set_tenant(session, business_id)
        items = list((await session.execute(select(MenuItem))).scalars().all())
        summary = await load_sales_history(session, business_id, locations, items, days=2)
    yesterday = business_date(utcnow(), NEW_YORK, 4) - timedelta(days=1)
    assert summary.last_day == yesterday
    async with database.session() as session:
        await set_tenant(session, business_id)
        last = (await session.execute(select(func.max(LedgerLine.business_date)))).scalar_one()
        closed = (yesterday.month, yesterday.day) == (12, 25)
        assert last == (yesterday - timedelta(days=1) if closed else yesterday)

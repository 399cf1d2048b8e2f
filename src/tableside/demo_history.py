"""Two years of sales history for the demo business, shaped by real restaurant data.

The shape comes from `demo_data/history_profile.json.gz`, a small profile that
`scripts/build_demo_history.py` derives from the real data sets in ../shared/data (a London
takeaway's orders, Japanese restaurants' daily visitors, an Edinburgh bakery's baskets); this
module reads only the profile. What is real and what is chosen here:

- Daily demand: the takeaway's daily level (seasonality and trend, its growth damped to half:
  Bella Vista is an established restaurant) and its day-to-day residuals (its own sampling
  noise taken out, clipped to 0.4-2x), aligned on the same calendar day so seasons stay in
  their months and its real peaks (Valentine's Day, New Year's Eve) land on theirs; its
  Christmas closures close Bella Vista on December 25. The weekly pattern is the Recruit
  restaurants' (dine-in): Downtown gets the median pattern, Brooklyn the pattern of the
  neighbourhood places with strong Sundays. US federal holidays move demand by the Recruit
  holiday effect for their weekday.
- Volume (chosen): Downtown averages 220 covers a day over the last year, Brooklyn 150, other
  restaurants 120. The commissary (a central kitchen) seats no guests: most of its output
  reaches the restaurants as transfers, not sales, but its counter sells the shop's goods
  to take home (about 40 sales a day over the last year) and catering trays of the kitchen's
  mains to nearby offices (about four orders a week, 12 to 40 portions, picked up before
  lunch), Monday to Saturday, 09:00-17:00. Its daily level follows the same real curve;
  its hours and volumes are chosen.
- Hours: the takeaway's order-time histograms, lunch and dinner, shifted to when a dine-in
  check is paid (lunch +60 min, first check 11:45; dinner +75 min, last checks after
  midnight, still the same business day with the 04:00 cutoff). The lunch share of sales
  follows the takeaway's weekday pattern around a chosen level (Downtown 32 %, Brooklyn 25 %).
- Baskets: the takeaway's joint distribution of main courses and starters per order; the
  mains give the party size (covers, at least 1). Drinks per cover, desserts and retail
  goods have no dine-in counterpart in the data: their rates are chosen (1.3 drinks and
  0.3 desserts a cover, 1.5 % of sales add a retail item).
- Items: within each menu group (main, starter, drink, dessert, retail) the real popularity
  shares are assigned by rank to the demo items, ranked by `POPULARITY`; prices and costs
  are the menu's.

Generation is deterministic: each restaurant-day draws from its own seeded generator, so the
same `today` gives the same history, and a shorter history is the tail of a longer one.
"""

from __future__ import annotations

import gzip
import json
import math
import random
import time
import uuid
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from itertools import accumulate
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from tableside.kit.business_time import business_date
from tableside.ledger.repository import LedgerRepository
from tableside.models import (
    LedgerBatch,
    Location,
    LocationType,
    MenuCategory,
    MenuItem,
    SaleSource,
)

PROFILE_PATH = Path(__file__).resolve().parent / "demo_data" / "history_profile.json.gz"
DEMO_SEED = 1907
DEFAULT_DAYS = 730
TREND_DAMPING = 0.5
LUNCH_SHIFT_MINUTES = 60
DINNER_SHIFT_MINUTES = 75
FIRST_CHECK_MINUTE = 11 * 60 + 45
LUNCH_SHARE_BOUNDS = (0.12, 0.55)
DRINKS_PER_COVER = ((0, 0.15), (1, 0.50), (2, 0.27), (3, 0.08))
DESSERT_PER_COVER = 0.30
RETAIL_PER_SALE = 0.015
CUSTOMER_PER_SALE = 0.005
BATCH_EXTERNAL_ID = "demo-history"


@dataclass(frozen=True)
class RestaurantPlan:
    """How busy a restaurant is and which real weekly pattern it follows."""

    covers_per_day: float  # average over the last 364 days
    weekday_pattern: str  # a key of the profile's weekday_factors
    lunch_share: float  # share of sales at lunch on an average weekday


@dataclass(frozen=True)
class CounterPlan:
    """A central kitchen's sales counter: the shop's take-home goods and catering trays,
    Monday to Saturday, no seated guests (0 covers)."""

    sales_per_day: float  # average over the last 364 days, catering included
    catering_per_week: float
    opens_minute: int  # local, after midnight
    closes_minute: int


COUNTER_PLAN = CounterPlan(40.0, 4.0, 9 * 60, 17 * 60)
CATERING_PORTIONS = (12, 40)
# A counter sale: one or two shop goods, sometimes a dessert to take away.
COUNTER_SECOND_ITEM = 0.35
COUNTER_DESSERT = 0.25

# Restaurants in the order given: the first is the flagship.
RESTAURANT_PLANS = (
    RestaurantPlan(220.0, "dine_in", 0.32),
    RestaurantPlan(150.0, "neighbourhood", 0.25),
)
OTHER_RESTAURANT_PLAN = RestaurantPlan(120.0, "dine_in", 0.28)

CATEGORY_GROUPS = {
    "antipasti": "starter",
    "pizza": "main",
    "pasta": "main",
    "secondi": "main",
    "dolci": "dessert",
    "bevande": "drink",
    "bottega": "retail",
}
# The demo items of each group from most to least popular; the real shares follow this rank.
# Items not listed rank after these, cheapest first.
POPULARITY = {
    "main": (
        "PIZ-001", "PAS-001", "PAS-003", "PIZ-003", "PAS-004", "SEC-001", "PAS-002",
        "PIZ-006", "PAS-005", "PIZ-005", "SEC-005", "PAS-006", "PIZ-004", "SEC-003",
        "PAS-007", "PIZ-007", "SEC-004", "PIZ-002", "SEC-002",
    ),
    "starter": ("ANT-003", "ANT-001", "ANT-002", "ANT-004", "ANT-006", "ANT-005"),
    "drink": ("BEV-005", "BEV-003", "BEV-006", "BEV-001", "BEV-004", "BEV-002", "BEV-007"),
    "dessert": ("DOL-001", "DOL-002", "DOL-003", "DOL-005", "DOL-004"),
    "retail": ("BOT-002", "BOT-001", "BOT-003"),
}  # fmt: skip
GROUPS = tuple(POPULARITY)

# The generated rows: the ledger's columns, with quantity in units and money in cents (cheap
# to generate and to COPY); the move into the ledger turns cents into amounts.
COPY_COLUMNS = (
    ("location_id", "uuid", "location_id"),
    ("business_date", "date", "business_date"),
    ("sold_at", "timestamptz", "sold_at"),
    ("hour_start", "timestamptz", "hour_start"),
    ("local_hour", "smallint", "local_hour"),
    ("menu_item_id", "uuid", "menu_item_id"),
    ("category_id", "uuid", "category_id"),
    ("quantity", "integer", "quantity"),
    ("net_cents", "bigint", "net_amount"),
    ("cost_cents", "bigint", "cost"),
    ("covers", "integer", "covers"),
    ("transactions", "smallint", "transactions"),
    ("server_id", "uuid", "server_id"),
    ("customer_id", "uuid", "customer_id"),
)
Row = tuple[Any, ...]


@dataclass(frozen=True)
class MenuEntry:
    """A menu item as the generator needs it."""

    id: uuid.UUID
    category_id: uuid.UUID | None
    group: str
    sku: str
    price: Decimal
    cost: Decimal | None


@dataclass(frozen=True)
class Restaurant:
    id: uuid.UUID
    timezone: str
    plan: RestaurantPlan | CounterPlan


@dataclass(frozen=True)
class HistorySummary:
    """What `load_sales_history` wrote."""

    first_day: date
    last_day: date
    lines: int
    sales: int
    net_amount: Decimal
    seconds: float


@lru_cache(maxsize=1)
def load_profile() -> dict[str, Any]:
    """The derived profile of the real data (see scripts/build_demo_history.py)."""
    with gzip.open(PROFILE_PATH, "rb") as handle:
        profile: dict[str, Any] = json.loads(handle.read())
    return profile


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th `weekday` (0 = Monday) of the month; n = -1 for the last one."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def us_holidays(year: int) -> set[date]:
    """US federal holidays of `year` (the day itself, not the observed weekday)."""
    return {
        date(year, 1, 1),
        _nth_weekday(year, 1, 0, 3),  # Martin Luther King Jr. Day
        _nth_weekday(year, 2, 0, 3),  # Presidents' Day
        _nth_weekday(year, 5, 0, -1),  # Memorial Day
        date(year, 6, 19),
        date(year, 7, 4),
        _nth_weekday(year, 9, 0, 1),  # Labor Day
        _nth_weekday(year, 10, 0, 2),  # Columbus Day
        date(year, 11, 11),
        _nth_weekday(year, 11, 3, 4),  # Thanksgiving
        date(year, 12, 25),
    }


def _source_index(profile: dict[str, Any], day: date, last_day: date) -> int:
    """The profile day that plays `day`: `last_day` is the same calendar day within the
    profile's last year, earlier days follow back in sequence (wrapping a year if needed)."""
    daily = profile["daily"]
    start, end = date.fromisoformat(daily["start"]), date.fromisoformat(daily["end"])
    anchor = _same_day(end.year, last_day)
    if anchor > end:
        anchor = _same_day(end.year - 1, last_day)
    index = (anchor - start).days - (last_day - day).days
    length = len(daily["level"])
    while index < 0:
        index += 365 if length > 365 else length
    return index


def _same_day(year: int, day: date) -> date:
    """`day`'s month and day in `year` (29 February becomes the 28th)."""
    return date(year, day.month, min(day.day, 28) if day.month == 2 else day.day)


def expected_covers(
    profile: dict[str, Any], plan: RestaurantPlan, days: Sequence[date], last_day: date
) -> list[float]:
    """Expected covers for each of `days` (0 on closed days), scaled so that the last 364
    days up to `last_day` average `plan.covers_per_day` (for a counter: its sales)."""
    daily = profile["daily"]
    level, residual = daily["level"], daily["residual"]
    start = date.fromisoformat(daily["start"])
    closed = {((d := start + timedelta(days=i)).month, d.day) for i in daily["closed"]}
    weekday = profile["weekday_factors"][plan.weekday_pattern]
    holiday_factor = profile["holiday_factors"]
    growth = TREND_DAMPING * daily["trend_per_year"]
    holidays: dict[int, set[date]] = {}

    def raw(day: date) -> float:
        if (day.month, day.day) in closed:
            return 0.0
        index = _source_index(profile, day, last_day)
        years_back = (last_day - day).days / 365.25
        value = level[index] * residual[index] * math.exp(-growth * years_back)
        value *= weekday[day.weekday()]
        if day.year not in holidays:
            holidays[day.year] = us_holidays(day.year)
        if day in holidays[day.year]:
            value *= holiday_factor[day.weekday()]
        return value

    reference = [raw(last_day - timedelta(days=i)) for i in range(364)]
    scale = plan.covers_per_day / (sum(reference) / len(reference))
    return [raw(day) * scale for day in days]


def _cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def _cumulative(weights: Sequence[float]) -> list[float]:
    return list(accumulate(weights))


@dataclass
class _Sampler:
    """Everything one day's generation draws from, prepared once."""

    profile: dict[str, Any]
    menu: dict[str, list[MenuEntry]]

    def __post_init__(self) -> None:
        hours = self.profile["hours"]
        self.bin_minutes: int = hours["bin_minutes"]
        self.lunch_start: int = hours["lunch_start_minute"] + LUNCH_SHIFT_MINUTES
        self.lunch_cum = _cumulative(hours["lunch"])
        self.dinner_start: int = hours["dinner_start_minute"] + DINNER_SHIFT_MINUTES
        self.dinner_cum = [_cumulative(day) for day in hours["dinner_by_weekday"]]
        shares = hours["takeaway_lunch_share_by_weekday"]
        mean_share = sum(shares) / 7
        self.lunch_relative = [s / mean_share for s in shares]
        grid = self.profile["baskets"]["mains_by_starters"]
        self.baskets = [(m, s) for m in range(len(grid)) for s in range(len(grid[m]))]
        self.basket_cum = _cumulative([grid[m][s] for m, s in self.baskets])
        total = self.basket_cum[-1]
        self.covers_per_sale = sum(max(m, 1) * grid[m][s] for m, s in self.baskets) / total
        self.drink_counts = [n for n, _ in DRINKS_PER_COVER]
        self.drink_cum = _cumulative([p for _, p in DRINKS_PER_COVER])
        # Items are drawn as positions in `self.items` (hashing ints is cheap; this loop runs
        # for every line of two years).
        self.items = [
            (
                entry.id,
                entry.category_id,
                _cents(entry.price),
                None if entry.cost is None else _cents(entry.cost),
            )
            for entries in self.menu.values()
            for entry in entries
        ]
        self.item_draw: dict[str, tuple[int, list[float]]] = {}
        offset = 0
        for group, entries in self.menu.items():
            real = [count for _, count in self.profile["items"][group]]
            # More demo items than real ones: the tail repeats the least popular share.
            weights = [real[min(i, len(real) - 1)] for i in range(len(entries))]
            self.item_draw[group] = (offset, _cumulative(weights))
            offset += len(entries)

    def pick(self, rng: random.Random, group: str, count: int, basket: dict[int, int]) -> None:
        """Add `count` items of `group`, drawn by popularity, to `basket` (position: units)."""
        draw = self.item_draw.get(group)
        if draw is None:
            return
        offset, cum = draw
        total = cum[-1]
        for _ in range(count):
            position = offset + bisect_right(cum, rng.random() * total)
            basket[position] = basket.get(position, 0) + 1

    def check_minute(self, rng: random.Random, weekday: int, lunch_share: float) -> int:
        """Minute after local midnight at which a sale's check is paid."""
        share = lunch_share * self.lunch_relative[weekday]
        share = min(max(share, LUNCH_SHARE_BOUNDS[0]), LUNCH_SHARE_BOUNDS[1])
        if rng.random() < share:
            cum, start = self.lunch_cum, self.lunch_start
        else:
            cum, start = self.dinner_cum[weekday], self.dinner_start
        slot = bisect_right(cum, rng.random() * cum[-1])
        minute = start + slot * self.bin_minutes + int(rng.random() * self.bin_minutes)
        return max(minute, FIRST_CHECK_MINUTE)


def generate_lines(
    profile: dict[str, Any],
    restaurants: Sequence[Restaurant],
    menu: Sequence[MenuEntry],
    *,
    first_day: date,
    last_day: date,
    cutoff_hour: int,
    server_ids: Sequence[uuid.UUID] = (),
    customer_ids: Sequence[uuid.UUID] = (),
    seed: int = DEMO_SEED,
) -> tuple[list[Row], int]:
    """The rows (in `COPY_COLUMNS` order, money in cents) of every sale from `first_day` to
    `last_day`, and the number of sales. Pure: no database, same input, same rows."""
    by_group: dict[str, list[MenuEntry]] = {group: [] for group in GROUPS}
    for entry in menu:
        by_group[entry.group].append(entry)
    for group, entries in by_group.items():
        rank = {sku: i for i, sku in enumerate(POPULARITY[group])}
        entries.sort(key=lambda e: (rank.get(e.sku, len(rank)), e.price, e.sku))
    sampler = _Sampler(profile, {g: e for g, e in by_group.items() if e})
    days = [first_day + timedelta(days=i) for i in range((last_day - first_day).days + 1)]
    customer_cum = _cumulative([1 / (i + 1) for i in range(len(customer_ids))])
    last_minute = (24 + cutoff_hour) * 60 - 1
    rows: list[Row] = []
    sales = 0
    for number, restaurant in enumerate(restaurants):
        zone = ZoneInfo(restaurant.timezone)
        plan = restaurant.plan
        if isinstance(plan, CounterPlan):
            sales += _counter_rows(
                rows, sampler, profile, restaurant, plan, days, last_day, f"{seed}:{number}",
                server_ids,
            )  # fmt: skip
            continue
        covers = expected_covers(profile, plan, days, last_day)
        for day, expected in zip(days, covers, strict=True):
            if expected <= 0:
                continue
            rng = random.Random(f"{seed}:{number}:{day.toordinal()}")
            mean_sales = expected / sampler.covers_per_sale
            count = max(0, round(rng.gauss(mean_sales, math.sqrt(mean_sales))))
            midnight = datetime(day.year, day.month, day.day)
            offset_day = datetime(day.year, day.month, day.day, 12, tzinfo=zone).utcoffset()
            offset_night = (midnight + timedelta(days=1, hours=1)).replace(tzinfo=zone).utcoffset()
            assert offset_day is not None and offset_night is not None
            weekday = day.weekday()
            minutes = sorted(
                sampler.check_minute(rng, weekday, plan.lunch_share) for _ in range(count)
            )
            for minute in minutes:
                minute = min(minute, last_minute)
                second = int(rng.random() * 60)
                local = midnight + timedelta(minutes=minute, seconds=second)
                # Checks run from late morning to past midnight, before any 02:00 clock
                # change; a zone changing at midnight gets the night's own offset.
                offset = offset_day if minute < 24 * 60 else offset_night
                sold_at = (local - offset).replace(tzinfo=UTC)
                hour_start = sold_at - timedelta(minutes=minute % 60, seconds=second)
                mains, starters = sampler.baskets[
                    bisect_right(sampler.basket_cum, rng.random() * sampler.basket_cum[-1])
                ]
                party = max(mains, 1)
                drinks = sum(
                    sampler.drink_counts[
                        bisect_right(sampler.drink_cum, rng.random() * sampler.drink_cum[-1])
                    ]
                    for _ in range(party)
                )
                desserts = sum(rng.random() < DESSERT_PER_COVER for _ in range(party))
                basket: dict[int, int] = {}
                sampler.pick(rng, "main", mains, basket)
                sampler.pick(rng, "starter", starters, basket)
                sampler.pick(rng, "drink", drinks, basket)
                sampler.pick(rng, "dessert", desserts, basket)
                if rng.random() < RETAIL_PER_SALE:
                    sampler.pick(rng, "retail", 1, basket)
                if not basket:
                    sampler.pick(
                        rng, "drink" if "drink" in sampler.item_draw else "main", 1, basket
                    )
                server = None
                if server_ids:
                    server = server_ids[int(rng.random() * len(server_ids))]
                customer = None
                if customer_ids and rng.random() < CUSTOMER_PER_SALE:
                    customer = rng.choices(customer_ids, cum_weights=customer_cum)[0]
                when = (restaurant.id, day, sold_at, hour_start, (minute // 60) % 24)
                _add_sale(rows, sampler, basket, when, party, server, customer)
                sales += 1
    return rows, sales


def _add_sale(
    rows: list[Row],
    sampler: _Sampler,
    basket: dict[int, int],
    when: tuple[uuid.UUID, date, datetime, datetime, int],
    covers: int,
    server: uuid.UUID | None,
    customer: uuid.UUID | None,
) -> None:
    """Append one sale's lines (`when`: location, business date, sold-at, hour start, local
    hour); its covers and its transaction count on the first line only."""
    first = True
    for item, quantity in basket.items():
        item_id, category_id, price, cost = sampler.items[item]
        rows.append(
            (
                *when,
                item_id,
                category_id,
                quantity,
                price * quantity,
                None if cost is None else cost * quantity,
                covers if first else 0,
                1 if first else 0,
                server,
                customer,
            )
        )
        first = False


def _counter_rows(
    rows: list[Row],
    sampler: _Sampler,
    profile: dict[str, Any],
    counter: Restaurant,
    plan: CounterPlan,
    days: Sequence[date],
    last_day: date,
    seed: str,
    server_ids: Sequence[uuid.UUID],
) -> int:
    """Append a counter's sales over `days` to `rows`; returns how many sales. The day's
    level is the restaurants' real curve (seasons, holidays, Christmas closing), with the
    week of a shop that closes on Sundays."""
    zone = ZoneInfo(counter.timezone)
    shape = RestaurantPlan(plan.sales_per_day, "dine_in", 0.0)
    open_days = 6 / 7
    span = plan.closes_minute - plan.opens_minute
    # Busiest around lunch: a triangle over the opening hours peaking at 12:30.
    peak = (12 * 60 + 30 - plan.opens_minute) / span
    sales = 0
    for day, expected in zip(days, expected_covers(profile, shape, days, last_day), strict=True):
        if expected <= 0 or day.weekday() == 6:
            continue
        rng = random.Random(f"{seed}:{day.toordinal()}")
        catering = [
            rng.randint(*CATERING_PORTIONS)
            for _ in range(2)
            if rng.random() < plan.catering_per_week / 6 / 2
        ]
        mean = expected / open_days - len(catering)
        count = max(0, round(rng.gauss(mean, math.sqrt(max(mean, 1.0)))))
        midnight = datetime(day.year, day.month, day.day)
        offset = datetime(day.year, day.month, day.day, 12, tzinfo=zone).utcoffset()
        assert offset is not None
        orders: list[tuple[int, dict[int, int]]] = []
        for portions in catering:
            basket: dict[int, int] = {}
            # A tray order: two or three mains in quantity, picked up before lunch.
            mains: dict[int, int] = {}
            sampler.pick(rng, "main", rng.randint(2, 3), mains)
            shares = list(mains)
            for index in range(portions):
                position = shares[index % len(shares)]
                basket[position] = basket.get(position, 0) + 1
            orders.append((plan.opens_minute + int(rng.random() * 150), basket))
        for _ in range(count):
            basket = {}
            sampler.pick(rng, "retail", 1 + (rng.random() < COUNTER_SECOND_ITEM), basket)
            if rng.random() < COUNTER_DESSERT:
                sampler.pick(rng, "dessert", 1, basket)
            orders.append((plan.opens_minute + int(rng.triangular(0, 1, peak) * span), basket))
        for minute, basket in sorted(orders, key=lambda order: order[0]):
            if not basket:
                continue
            second = int(rng.random() * 60)
            sold_at = (midnight + timedelta(minutes=minute, seconds=second) - offset).replace(
                tzinfo=UTC
            )
            hour_start = sold_at - timedelta(minutes=minute % 60, seconds=second)
            server = server_ids[int(rng.random() * len(server_ids))] if server_ids else None
            when = (counter.id, day, sold_at, hour_start, minute // 60)
            _add_sale(rows, sampler, basket, when, 0, server, None)
            sales += 1
    return sales


def _restaurants(
    locations: Sequence[Location], zones: dict[uuid.UUID, str], default: str
) -> list[Restaurant]:
    """The restaurants among `locations`, each with its plan, then the central kitchens with
    their counter; warehouses sell nothing. Restaurants come first so that adding a kitchen
    leaves their history as it was."""
    active = [location for location in locations if location.is_active is not False]
    restaurants = [location for location in active if location.type == LocationType.restaurant]
    kitchens = [location for location in active if location.type == LocationType.central_kitchen]
    return [
        *(
            Restaurant(
                location.id,
                zones.get(location.id) or default,
                RESTAURANT_PLANS[i] if i < len(RESTAURANT_PLANS) else OTHER_RESTAURANT_PLAN,
            )
            for i, location in enumerate(restaurants)
        ),
        *(
            Restaurant(location.id, zones.get(location.id) or default, COUNTER_PLAN)
            for location in kitchens
        ),
    ]


async def _menu_entries(
    session: AsyncSession, business_id: uuid.UUID, menu_items: Sequence[MenuItem]
) -> list[MenuEntry]:
    """Menu items with the group their category maps to; items of other categories and
    inactive items are not sold in the history."""
    names = (
        await session.execute(
            select(MenuCategory.id, MenuCategory.name).where(
                MenuCategory.business_id == business_id
            )
        )
    ).all()
    groups = {category_id: CATEGORY_GROUPS.get(name.strip().lower()) for category_id, name in names}
    entries = []
    for item in menu_items:
        group = groups.get(item.category_id) if item.category_id else None
        if group is None or item.is_active is False:
            continue
        entries.append(MenuEntry(item.id, item.category_id, group, item.sku, item.price, item.cost))
    return entries


async def _write_rows(
    session: AsyncSession, business_id: uuid.UUID, batch_id: uuid.UUID, rows: list[Row]
) -> None:
    """COPY the rows into a temporary table, then move them into the ledger in one INSERT.

    The ledger has forced row-level security, under which PostgreSQL refuses COPY FROM; an
    INSERT ... SELECT is checked row by row against the tenant policy instead."""
    names = [name for name, _, _ in COPY_COLUMNS]
    definitions = ", ".join(f"{name} {kind}" for name, kind, _ in COPY_COLUMNS)
    await session.execute(
        text(f"CREATE TEMPORARY TABLE demo_history_lines ({definitions}) ON COMMIT DROP")
    )
    connection = await session.connection()
    raw = (await connection.get_raw_connection()).driver_connection
    assert raw is not None
    await raw.copy_records_to_table("demo_history_lines", records=rows, columns=names)
    targets = ", ".join(target for _, _, target in COPY_COLUMNS)
    values = ", ".join(f"{name} / 100.0" if name.endswith("_cents") else name for name in names)
    await session.execute(
        text(
            f"INSERT INTO sales_ledger (business_id, source, batch_id, {targets})"
            f" SELECT CAST(:business_id AS uuid), CAST('import' AS sale_source),"
            f" CAST(:batch_id AS uuid), {values} FROM demo_history_lines ORDER BY sold_at"
        ),
        {"business_id": str(business_id), "batch_id": str(batch_id)},
    )
    await session.execute(text("DROP TABLE demo_history_lines"))


async def load_sales_history(
    session: AsyncSession,
    business_id: uuid.UUID,
    locations: Sequence[Location],
    menu_items: Sequence[MenuItem],
    *,
    today: date | None = None,
    days: int = DEFAULT_DAYS,
    server_ids: Sequence[uuid.UUID] = (),
    customer_ids: Sequence[uuid.UUID] = (),
    seed: int = DEMO_SEED,
) -> HistorySummary:
    """Write `days` days of sales history, ending the business day before `today`, for the
    restaurants and the central kitchens' counters among `locations`, then rebuild the ledger
    rollups.

    The session must be scoped to the business (`set_tenant`); everything happens in its
    transaction. `today` defaults to the current business day in the business's calendar.
    Each sale's lines carry covers and `transactions=1` on the first line, a server from
    `server_ids` and, for a few sales, a customer from `customer_ids`. The lines are one
    ledger batch (source `import`, kind `demo`)."""
    from tableside.ledger.maintenance import rebuild_rollups

    started = time.perf_counter()
    repository = LedgerRepository(session, business_id)
    calendar = await repository.calendar()
    if today is None:
        today = business_date(datetime.now(UTC), calendar.timezone, calendar.cutoff_hour)
    last_day = today - timedelta(days=1)
    first_day = today - timedelta(days=days)
    restaurants = _restaurants(locations, dict(calendar.location_timezones), calendar.timezone)
    menu = await _menu_entries(session, business_id, menu_items)
    rows, sales = generate_lines(
        load_profile(),
        restaurants,
        menu,
        first_day=first_day,
        last_day=last_day,
        cutoff_hour=calendar.cutoff_hour,
        server_ids=server_ids,
        customer_ids=customer_ids,
        seed=seed,
    )
    net_amount = Decimal(sum(row[8] for row in rows)) / 100
    await repository.lock_business_ledger()
    batch = LedgerBatch(
        id=uuid.uuid4(),
        business_id=business_id,
        source=SaleSource.import_,
        kind="demo",
        external_id=BATCH_EXTERNAL_ID,
        filename=None,
        line_count=len(rows),
        net_amount=net_amount,
        first_date=first_day,
        last_date=last_day,
    )
    session.add(batch)
    await session.flush()
    if rows:
        await _write_rows(session, business_id, batch.id, rows)
    await rebuild_rollups(session, business_id)
    return HistorySummary(
        first_day, last_day, len(rows), sales, net_amount, time.perf_counter() - started
    )

"""Pure ledger computations: stamping lines with their business day and local hour, and the
rollup deltas a set of lines adds. No database here: plain data in, plain data out."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from tableside.models.ledger import NO_KEY

ZERO = Decimal(0)


@dataclass(frozen=True)
class Calendar:
    """Where a business's days begin: its zone (or a location's own) and cutoff hour."""

    timezone: str
    cutoff_hour: int
    location_timezones: Mapping[uuid.UUID, str] = field(default_factory=dict)

    def zone_for(self, location_id: uuid.UUID | None) -> str:
        if location_id is not None:
            return self.location_timezones.get(location_id) or self.timezone
        return self.timezone


@dataclass(frozen=True)
class LineIn:
    """A line as a source gives it: when, where, what, how much."""

    sold_at: datetime
    quantity: Decimal
    net_amount: Decimal
    location_id: uuid.UUID | None = None
    menu_item_id: uuid.UUID | None = None
    category_id: uuid.UUID | None = None
    cost: Decimal | None = None
    covers: int = 0
    transactions: int = 0
    sale_id: uuid.UUID | None = None
    server_id: uuid.UUID | None = None
    customer_id: uuid.UUID | None = None
    # A daily import has a date, not an instant: it is booked on that business date at the
    # start of its day.
    business_date: date | None = None


@dataclass(frozen=True)
class StampedLine:
    line: LineIn
    sold_at: datetime
    business_date: date
    hour_start: datetime
    local_hour: int


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def stamp(line: LineIn, calendar: Calendar) -> StampedLine:
    """Fix the line's business date and the UTC start of its local hour.

    The hour start is the instant minus the local minutes and seconds, so zones with
    half-hour offsets work and the repeated hour of a fall-back night stays two hours."""
    zone = _zone(calendar.zone_for(line.location_id))
    if line.business_date is not None:
        day = line.business_date
        local_start = datetime(day.year, day.month, day.day, calendar.cutoff_hour, tzinfo=zone)
        sold_at = local_start.astimezone(UTC)
    else:
        sold_at = line.sold_at if line.sold_at.tzinfo else line.sold_at.replace(tzinfo=UTC)
        sold_at = sold_at.astimezone(UTC)
    local = sold_at.astimezone(zone)
    hour_start = sold_at - timedelta(
        minutes=local.minute, seconds=local.second, microseconds=local.microsecond
    )
    business_day = line.business_date or (local - timedelta(hours=calendar.cutoff_hour)).date()
    return StampedLine(line, sold_at, business_day, hour_start, local.hour)


def category_key(menu_item_id: uuid.UUID | None, category_id: uuid.UUID | None) -> uuid.UUID:
    """The daily rollups' category key of a line: its category when it has no item (a daily
    import's row per category), else NO_KEY (an item is one row whatever its category)."""
    if menu_item_id is None and category_id is not None:
        return category_id
    return NO_KEY


@dataclass
class DailyDelta:
    category_id: uuid.UUID | None
    quantity: Decimal = ZERO
    net_amount: Decimal = ZERO
    cost: Decimal = ZERO
    line_count: int = 0
    # The net amount of the lines that carry a cost (the revenue a margin can be taken of).
    costed_revenue: Decimal = ZERO


@dataclass
class HourlyDelta:
    business_date: date
    local_hour: int
    quantity: Decimal = ZERO
    net_amount: Decimal = ZERO
    cost: Decimal = ZERO
    transactions: int = 0
    covers: int = 0


# business date, location key, item key, category key
DailyKey = tuple[date, uuid.UUID, uuid.UUID, uuid.UUID]
TotalKey = tuple[date, uuid.UUID, uuid.UUID]  # business date, item key, category key
HourlyKey = tuple[datetime, uuid.UUID]  # hour start, location key


@dataclass
class RollupDeltas:
    """What a set of lines adds to each rollup row; applied with one upsert per table."""

    daily: dict[DailyKey, DailyDelta] = field(default_factory=dict)
    hourly: dict[HourlyKey, HourlyDelta] = field(default_factory=dict)

    def daily_totals(self) -> dict[TotalKey, DailyDelta]:
        """The daily deltas summed over locations: what the lines add to the business-wide
        item totals (a row's category is that of the last location's delta carrying one)."""
        totals: dict[TotalKey, DailyDelta] = {}
        for (business_date, _location, item, category), delta in self.daily.items():
            total = totals.get((business_date, item, category))
            if total is None:
                total = totals[(business_date, item, category)] = DailyDelta(None)
            total.category_id = delta.category_id or total.category_id
            total.quantity += delta.quantity
            total.net_amount += delta.net_amount
            total.cost += delta.cost
            total.line_count += delta.line_count
            total.costed_revenue += delta.costed_revenue
        return totals

    def add(self, stamped: StampedLine) -> None:
        line = stamped.line
        location_key = line.location_id or NO_KEY
        cost = line.cost or ZERO
        daily_key = (
            stamped.business_date,
            location_key,
            line.menu_item_id or NO_KEY,
            category_key(line.menu_item_id, line.category_id),
        )
        day = self.daily.get(daily_key)
        if day is None:
            day = self.daily[daily_key] = DailyDelta(line.category_id)
        day.quantity += line.quantity
        day.net_amount += line.net_amount
        day.cost += cost
        if line.cost is not None:
            day.costed_revenue += line.net_amount
        # A refund line (negative quantity) takes back the sale it belonged to.
        day.line_count += 1 if line.quantity > 0 else (-1 if line.quantity < 0 else 0)
        hourly_key = (stamped.hour_start, location_key)
        hour = self.hourly.get(hourly_key)
        if hour is None:
            hour = self.hourly[hourly_key] = HourlyDelta(stamped.business_date, stamped.local_hour)
        hour.quantity += line.quantity
        hour.net_amount += line.net_amount
        hour.cost += cost
        hour.transactions += line.transactions
        hour.covers += line.covers


def rollup_deltas(lines: Iterable[StampedLine]) -> RollupDeltas:
    deltas = RollupDeltas()
    for stamped in lines:
        deltas.add(stamped)
    return deltas


# A business date's lines were sold within a day and a half of its UTC midnight whatever the
# zone (offsets up to 14 h, a cutoff up to 23 h); the window leaves margin on both sides.
_SOLD_BEFORE_MIDNIGHT = timedelta(days=1)
_SOLD_AFTER_MIDNIGHT = timedelta(days=3)


def sold_at_window(first: date, last: date) -> tuple[datetime, datetime]:
    """Instants `[since, until)` holding every ledger line of the business dates `first` to
    `last`, in any zone and with any cutoff (the one the line was booked in, whatever the
    business's or location's is now): a range the ledger's (business_id, sold_at) index can
    seek, so a batch's or a date's lines are found without reading the whole ledger."""
    return sold_since(first), sold_until(last)


def sold_since(first: date) -> datetime:
    """The window's start for lines of `first` and later (`sold_at_window`)."""
    return datetime.combine(first, datetime.min.time(), tzinfo=UTC) - _SOLD_BEFORE_MIDNIGHT


def sold_until(last: date) -> datetime:
    """The window's (exclusive) end for lines of `last` and earlier (`sold_at_window`)."""
    return datetime.combine(last, datetime.min.time(), tzinfo=UTC) + _SOLD_AFTER_MIDNIGHT

"""Build the demo's sales-history profile from the real restaurant data in ../shared/data.

The demo business "Bella Vista" gets two years of sales history that must look like a real
restaurant's, yet the real data may not be copied into the repository. This script reads the
real data and writes a small derived profile (a few kilobytes, gzipped JSON) to
`src/tableside/demo_data/history_profile.json.gz`; `tableside.demo_history` reads only that
profile, so the demo works on a machine without ../shared/data.

What the profile holds, and where each part comes from:

- `daily`: the demand curve of the London takeaway (restaurant-1-orders.csv), orders per day
  over its last three years: a smooth level (28-day centred mean of the weekday-adjusted
  counts: seasonality and trend), the day's residual around it, the days it was closed, and
  its log-linear trend per year. The residual is the real day-to-day variation with the
  takeaway's own Poisson sampling noise taken out (it sold ~13 orders a day; the demo samples
  again at its own volume, which adds that noise back at the right size).
- `weekday_factors`: dine-in weekly patterns from the Recruit data (Japanese restaurants open
  all of 2016): the median factor over all of them ("dine_in") and over the third with the
  strongest Sundays ("neighbourhood"); the takeaway's own pattern for reference.
- `holiday_factors`: per weekday, how a public holiday moves a restaurant's visitors
  (Recruit: visitors on holidays against the same weekday's norm).
- `hours`: minute-of-day histograms (15-minute bins) of the takeaway's orders, lunch
  (10:00-15:59, all weekdays pooled) and dinner (16:00-23:59, per weekday), and its lunch
  share per weekday.
- `items`: popularity (units) of the real items per menu group: mains and starters from the
  takeaway, drinks from the takeaway, desserts and retail goods from the Edinburgh bakery.
- `baskets`: the joint distribution of main-course units and starter units per takeaway
  order, the basket shape the demo reuses (mains give the party size).

Run: `.venv/bin/python scripts/build_demo_history.py [--data ../shared/data] [--out PATH]`.
The output is deterministic (same input, same bytes).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import math
import statistics
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
DEFAULT_OUT = ROOT / "src" / "tableside" / "demo_data" / "history_profile.json.gz"

# The takeaway's first year is thin and patchy (a few orders a day, months missing): the
# curve starts once it traded steadily.
DAILY_START = date(2016, 8, 1)
BIN_MINUTES = 15
LUNCH = (10 * 60, 16 * 60)  # takeaway order minutes counted as lunch
DINNER = (16 * 60, 24 * 60)

# Takeaway items by menu group. Starters are named; drinks by keyword; anything priced like a
# main course is a main; the rest (rice, breads, chutneys, vegetable side dishes) are sides,
# which an Italian menu has no counterpart for.
TAKEAWAY_STARTERS = {
    "Onion Bhajee",
    "Onion Bhaji",
    "Meat Samosa",
    "Vegetable Samosa",
    "Chicken Tikka",
    "Lamb Tikka",
    "Sheek Kebab",
    "Sheek Kehab",
    "Mixed Starter",
    "Prawn Puree",
    "King Prawn Puree",
    "Chicken Chaat",
    "Aloo Chaat",
    "Chicken Pakora",
    "Vegetable Roll",
    "Tandoori Chicken (1/4)",
    "Tandoori Fish",
    "King Prawn Butterfly",
}
DRINK_WORDS = ("cobra", "coke", "lemonade", "water", "wine")
MAIN_MIN_PRICE = 7.0
BAKERY_DESSERTS = (
    "Cake",
    "Pastry",
    "Medialuna",
    "Cookies",
    "Brownie",
    "Muffin",
    "Alfajores",
    "Scone",
    "Truffles",
    "Fudge",
)
BAKERY_RETAIL = ("Jam", "Granola", "Tshirt", "Chocolates", "Postcard", "Honey")
TOP_ITEMS = 30
MAX_MAINS = 8
MAX_STARTERS = 6


def takeaway_group(name: str, price: float) -> str:
    """The menu group of a takeaway item: main, starter, drink or side."""
    if name in TAKEAWAY_STARTERS:
        return "starter"
    if any(word in name.lower() for word in DRINK_WORDS):
        return "drink"
    if price >= MAIN_MIN_PRICE:
        return "main"
    return "side"


def read_takeaway(data: Path) -> dict[str, list[tuple[datetime, str, int, float]]]:
    """Orders by order number: (ordered at, item, quantity, unit price) per line."""
    orders: dict[str, list[tuple[datetime, str, int, float]]] = defaultdict(list)
    path = data / "takeaway_london" / "restaurant-1-orders.csv"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            at = datetime.strptime(row["OrderDate"], "%d/%m/%Y %H:%M")
            orders[row["OrderNumber"]].append(
                (at, row["ItemName"].strip(), int(row["Quantity"]), float(row["ProductPrice"]))
            )
    return orders


def centred_mean(values: list[float | None], half: int) -> list[float]:
    """Mean of the known values within `half` days either side of each day."""
    out = []
    for i in range(len(values)):
        window = [v for v in values[max(0, i - half) : i + half + 1] if v is not None]
        out.append(statistics.fmean(window))
    return out


def weekday_factors(
    days: list[date], counts: list[float | None], level: list[float]
) -> list[float]:
    """Mean ratio of each weekday's count to the level, normalised to average 1."""
    ratios: dict[int, list[float]] = defaultdict(list)
    for day, count, lvl in zip(days, counts, level, strict=True):
        if count is not None:
            ratios[day.weekday()].append(count / lvl)
    factors = [statistics.fmean(ratios[w]) for w in range(7)]
    norm = statistics.fmean(factors)
    return [f / norm for f in factors]


def build_daily(orders: dict[str, list[tuple[datetime, str, int, float]]]) -> dict[str, object]:
    """The takeaway's daily demand curve: level, residual, closures and trend."""
    per_day: Counter[date] = Counter()
    for lines in orders.values():
        per_day[lines[0][0].date()] += 1
    end = max(per_day)
    days = [DAILY_START + timedelta(d) for d in range((end - DAILY_START).days + 1)]
    missing = [d for d in days if d not in per_day]
    # A missing day is a closure when the takeaway was shut on that date in more than one
    # year (Christmas Day); other missing days are gaps in the data, not zero demand.
    missing_dates = Counter((d.month, d.day) for d in missing)
    closed = {d for d in missing if missing_dates[(d.month, d.day)] > 1}
    counts: list[float | None] = [float(per_day[d]) if d in per_day else None for d in days]
    raw_level = centred_mean(counts, 14)
    factors = weekday_factors(days, counts, raw_level)
    adjusted: list[float | None] = [
        None if c is None else c / factors[d.weekday()] for d, c in zip(days, counts, strict=True)
    ]
    level = centred_mean(adjusted, 14)
    residual = [1.0 if c is None else c / lvl for c, lvl in zip(adjusted, level, strict=True)]
    # Take the takeaway's own Poisson sampling noise out of the residual: what remains is the
    # real day-to-day variation (weather, events, paydays) the demo re-samples at its volume.
    observed = [r for r, c in zip(residual, counts, strict=True) if c is not None]
    total_var = statistics.pvariance(observed)
    mean_count = statistics.fmean(c for c in counts if c is not None)
    sampling_var = 1.0 / mean_count
    intrinsic_var = max(total_var - sampling_var, 0.0)
    shrink = math.sqrt(intrinsic_var / total_var) if total_var else 0.0
    residual = [min(max(1.0 + shrink * (r - 1.0), 0.4), 2.0) for r in residual]
    # Log-linear trend of the level, so the demo can keep or damp the takeaway's growth.
    xs = [(d - days[0]).days / 365.25 for d in days]
    ys = [math.log(v) for v in level]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )
    # Store the level without its trend, normalised to a mean of 1.
    detrended = [v / math.exp(slope * x) for v, x in zip(level, xs, strict=True)]
    norm = statistics.fmean(detrended)
    return {
        "source": "takeaway_london/restaurant-1-orders.csv, orders per day",
        "start": days[0].isoformat(),
        "end": end.isoformat(),
        "level": [round(v / norm, 4) for v in detrended],
        "residual": [round(r, 4) for r in residual],
        "closed": sorted((d - days[0]).days for d in closed),
        "gaps": sorted((d - days[0]).days for d in missing if d not in closed),
        "trend_per_year": round(slope, 5),
        "takeaway_weekday_factors": [round(f, 4) for f in factors],
        "noise": {
            "orders_per_day": round(mean_count, 2),
            "residual_sd": round(math.sqrt(total_var), 4),
            "sampling_sd": round(math.sqrt(sampling_var), 4),
            "kept_sd": round(math.sqrt(intrinsic_var), 4),
        },
    }


def build_hours(orders: dict[str, list[tuple[datetime, str, int, float]]]) -> dict[str, object]:
    """Lunch and dinner order-time histograms and the lunch share per weekday."""
    lunch_bins = [0] * ((LUNCH[1] - LUNCH[0]) // BIN_MINUTES)
    dinner_bins = [[0] * ((DINNER[1] - DINNER[0]) // BIN_MINUTES) for _ in range(7)]
    lunch_by_day, all_by_day = Counter[int](), Counter[int]()
    for lines in orders.values():
        at = lines[0][0]
        if at.date() < DAILY_START:
            continue
        minute = at.hour * 60 + at.minute
        weekday = at.weekday()
        if LUNCH[0] <= minute < LUNCH[1]:
            lunch_bins[(minute - LUNCH[0]) // BIN_MINUTES] += 1
            lunch_by_day[weekday] += 1
            all_by_day[weekday] += 1
        elif DINNER[0] <= minute < DINNER[1]:
            dinner_bins[weekday][(minute - DINNER[0]) // BIN_MINUTES] += 1
            all_by_day[weekday] += 1
    return {
        "source": "takeaway_london order times",
        "bin_minutes": BIN_MINUTES,
        "lunch_start_minute": LUNCH[0],
        "lunch": lunch_bins,
        "dinner_start_minute": DINNER[0],
        "dinner_by_weekday": dinner_bins,
        "takeaway_lunch_share_by_weekday": [
            round(lunch_by_day[w] / all_by_day[w], 4) for w in range(7)
        ],
    }


def build_items_and_baskets(
    orders: dict[str, list[tuple[datetime, str, int, float]]], data: Path
) -> tuple[dict[str, object], dict[str, object]]:
    """Item popularity per group and the (mains, starters) basket distribution."""
    units: dict[str, Counter[str]] = defaultdict(Counter)
    basket: list[list[int]] = [[0] * (MAX_STARTERS + 1) for _ in range(MAX_MAINS + 1)]
    for lines in orders.values():
        if lines[0][0].date() < DAILY_START:
            continue
        mains = starters = 0
        for _, name, quantity, price in lines:
            group = takeaway_group(name, price)
            units[group][name] += quantity
            if group == "main":
                mains += quantity
            elif group == "starter":
                starters += quantity
        basket[min(mains, MAX_MAINS)][min(starters, MAX_STARTERS)] += 1
    bakery: Counter[str] = Counter()
    with (data / "bakery" / "BreadBasket_DMS.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            bakery[row["Item"].strip()] += 1

    def top(counter: Counter[str], names: tuple[str, ...] | None = None) -> list[list[object]]:
        pairs = counter.most_common() if names is None else [(n, counter[n]) for n in names]
        pairs = sorted(pairs, key=lambda p: (-p[1], p[0]))[:TOP_ITEMS]
        return [[name, count] for name, count in pairs if count > 0]

    items: dict[str, object] = {
        "source": "mains, starters, drinks: takeaway_london units; desserts, retail: bakery",
        "main": top(units["main"]),
        "starter": top(units["starter"]),
        "drink": top(units["drink"]),
        "dessert": top(bakery, BAKERY_DESSERTS),
        "retail": top(bakery, BAKERY_RETAIL),
    }
    baskets: dict[str, object] = {
        "source": "takeaway_london: main-course and starter units per order",
        "mains_by_starters": basket,
    }
    return items, baskets


def build_recruit(data: Path) -> dict[str, object]:
    """Dine-in weekday patterns and holiday effects from the restaurants open all of 2016."""
    visits: dict[str, dict[date, int]] = defaultdict(dict)
    with (data / "recruit" / "air_visit_data.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            visits[row["air_store_id"]][date.fromisoformat(row["visit_date"])] = int(
                row["visitors"]
            )
    holidays: dict[date, bool] = {}
    with (data / "recruit" / "date_info.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            holidays[date.fromisoformat(row["calendar_date"])] = row["holiday_flg"] == "1"
    per_store: list[list[float]] = []
    holiday_ratios: dict[int, list[float]] = defaultdict(list)
    for store in sorted(visits):
        series = visits[store]
        days = sorted(series)
        # Long-running and busy enough that a day's count says something.
        if days[0] > date(2016, 1, 15) or len(days) < 400:
            continue
        if statistics.median(series.values()) < 20:
            continue
        counts: list[float | None] = [float(series[d]) for d in days]
        level = centred_mean(counts, 14)
        plain = [None if holidays[d] else c for d, c in zip(days, counts, strict=True)]
        factors = weekday_factors(days, plain, level)
        per_store.append(factors)
        for d, c, lvl in zip(days, counts, level, strict=True):
            if holidays[d] and c is not None:
                holiday_ratios[d.weekday()].append(c / (lvl * factors[d.weekday()]))
    by_sunday = sorted(per_store, key=lambda f: f[6])
    neighbourhood = by_sunday[2 * len(by_sunday) // 3 :]

    def median_factors(group: list[list[float]]) -> list[float]:
        factors = [statistics.median(f[w] for f in group) for w in range(7)]
        norm = statistics.fmean(factors)
        return [round(f / norm, 4) for f in factors]

    return {
        "source": "recruit/air_visit_data.csv + date_info.csv",
        "restaurants": len(per_store),
        "weekday_factors": {
            "dine_in": median_factors(per_store),
            "neighbourhood": median_factors(neighbourhood),
        },
        "holiday_factors": [round(statistics.median(holiday_ratios[w]), 4) for w in range(7)],
    }


def build_profile(data: Path) -> dict[str, object]:
    orders = read_takeaway(data)
    daily = build_daily(orders)
    recruit = build_recruit(data)
    items, baskets = build_items_and_baskets(orders, data)
    weekday = dict(recruit["weekday_factors"])  # type: ignore[call-overload]
    weekday["takeaway"] = daily.pop("takeaway_weekday_factors")
    return {
        "version": 1,
        "built_by": "scripts/build_demo_history.py",
        "daily": daily,
        "weekday_factors": weekday,
        "holiday_factors": recruit["holiday_factors"],
        "recruit_restaurants": recruit["restaurants"],
        "hours": build_hours(orders),
        "items": items,
        "baskets": baskets,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    profile = build_profile(args.data)
    payload = json.dumps(profile, separators=(",", ":"), sort_keys=True).encode()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0 and no file name in the header: the same input gives the same bytes.
    with (
        args.out.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as handle,
    ):
        handle.write(payload)
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes, {len(payload):,} uncompressed)")


if __name__ == "__main__":
    main()

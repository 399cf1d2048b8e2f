"""Hourly predictions in local time: across a change of the clocks every local hour that exists,
once; a location keeping its own time zone at its own hours."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from tableside.db.database import Database
from tableside.forecasting import runs
from tests.factories.ledger import bulk, create_shop
from tests.forecasting.conftest import Bistro

# New York moved its clocks from 02:00 to 03:00 on Sunday 2026-03-08.
SPRING_FORWARD = date(2026, 3, 8)
# A Saturday noon in New York, the history up to the Friday's business day.
NOW = datetime(2026, 3, 7, 17, 0, tzinfo=UTC)


async def test_the_hour_the_clocks_skip_is_not_forecast(
    client: httpx.AsyncClient, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A bar open until 03:00 (cutoff 05:00): the night of the change trades through 02:00,
    # an hour that does not exist that night.
    shop = await create_shop(client, database, timezone="America/New_York", cutoff=5,
                             locations=[("Bar", None)])  # fmt: skip
    lines: list[dict[str, Any]] = []
    day = date(2026, 1, 1)
    while day < NOW.date():
        for hour in (20, 22, 0, 1, 2):
            sold_on = day + timedelta(days=1) if hour < 5 else day
            lines.append(
                {"sold_at": f"{sold_on.isoformat()}T{hour:02d}:30:00", "sku": "PIZ",
                 "quantity": 4, "amount": "48.00", "covers": 2,
                 "location_id": str(shop.locations["Bar"]), "transaction_id": uuid.uuid4().hex}
            )  # fmt: skip
        day += timedelta(days=1)
    response = await bulk(client, shop.owner, lines)
    assert response.status_code == 201, response.text
    monkeypatch.setattr(runs, "utcnow", lambda: NOW)
    bar = Bistro(shop=shop, client=client)
    forecast = await bar.create(target="covers", scope="location", granularity="hour", horizon=48)
    response = await bar.predict(forecast["id"])
    assert response.status_code == 200, response.text
    (series,) = response.json()["series"]
    stamps = [datetime.fromisoformat(p["timestamp"]) for p in series["points"]]
    # Business days 7 and 8 March from 05:00 local: 48 local hours, one of which never was.
    assert len(stamps) == 47
    assert all(
        later - earlier == timedelta(hours=1) for earlier, later in itertools.pairwise(stamps)
    )
    assert stamps[0] == datetime(2026, 3, 7, 10, 0, tzinfo=UTC)  # 05:00 EST
    # 01:00 EST is 06:00Z; 03:00 EDT, the next hour, 07:00Z.
    night = {s: p["value"] for s, p in zip(stamps, series["points"], strict=True)}
    assert night[datetime(2026, 3, 8, 6, 0, tzinfo=UTC)] > 0
    assert datetime(2026, 3, 8, 7, 0, tzinfo=UTC) in night
    # The business day of the change has 23 hours; by the day, it is still one day.
    by_day = await bar.predict(forecast["id"], granularity="day")
    days = [p["timestamp"] for p in by_day.json()["series"][0]["points"]]
    assert days == ["2026-03-07", str(SPRING_FORWARD)]


async def test_a_location_in_its_own_time_zone_is_forecast_at_its_hours(
    client: httpx.AsyncClient, database: Database
) -> None:
    # A UTC business with a location in Tokyo (UTC+9, no summer time) trading at 12:30 and
    # 19:30 Tokyo time: its busy hours are 03:00 and 10:00 UTC.
    shop = await create_shop(client, database, timezone="UTC", cutoff=4,
                             locations=[("Tokyo", "Asia/Tokyo")])  # fmt: skip
    last = datetime.now(UTC).date() - timedelta(days=2)
    lines = [
        {"sold_at": f"{last - timedelta(days=back)}T{hour}:30:00", "sku": "PIZ", "quantity": 3,
         "amount": "36.00", "covers": 2, "location_id": str(shop.locations["Tokyo"])}
        for back in range(35)
        for hour in (12, 19)
    ]  # fmt: skip
    response = await bulk(client, shop.owner, lines)
    assert response.status_code == 201, response.text
    tokyo = Bistro(shop=shop, client=client)
    forecast = await tokyo.create(target="covers", scope="location", granularity="hour", horizon=72)
    response = await tokyo.predict(forecast["id"])
    assert response.status_code == 200, response.text
    (series,) = response.json()["series"]
    busy = {p["timestamp"][11:] for p in series["points"] if p["value"] > 0}
    assert busy == {"03:00:00Z", "10:00:00Z"}

"""Fixtures of the forecasting API tests: a shop with weeks of sales history written through
the ledger's bulk endpoint, and helpers to create forecasts and run their jobs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

import tableside.forecasting.tasks  # noqa: F401  (registers the job kind in this process)
from tableside.config import Settings
from tableside.db.database import Database
from tableside.jobs.tasks import execute_job
from tableside.kit.business_time import business_date
from tableside.kit.schemas import utcnow
from tableside.models import JobStatus
from tests.factories import Account
from tests.factories.ledger import Shop, bulk, create_shop

FORECASTS = "/api/v1/forecasts"
HISTORY_DAYS = 70
# Units of pizza by weekday (Monday first): a clear weekly shape to learn.
PIZZA_BY_WEEKDAY = (6, 8, 9, 10, 14, 18, 12)
PASTA_BY_WEEKDAY = (3, 4, 4, 5, 7, 9, 6)
LUNCH_HOUR, DINNER_HOUR = 12, 19


def today(cutoff: int = 4) -> date:
    """The shops here keep UTC time, with a 04:00 cutoff unless they say otherwise."""
    return business_date(utcnow(), "UTC", cutoff)


def day_lines(shop: Shop, day: date, *, scale: int = 1) -> list[dict[str, Any]]:
    """One business day of sales: pizza and pasta at lunch and dinner at Main, and at
    Harbour except on Mondays (closed); tiramisu now and then."""
    lines: list[dict[str, Any]] = []
    for location in ("Main", "Harbour"):
        if location == "Harbour" and day.weekday() == 0:
            continue
        for hour, share in ((LUNCH_HOUR, 1), (DINNER_HOUR, 2)):
            stamp = f"{day.isoformat()}T{hour:02d}:30:00Z"
            pizza = scale * PIZZA_BY_WEEKDAY[day.weekday()] * share
            pasta = scale * PASTA_BY_WEEKDAY[day.weekday()] * share
            sale = uuid.uuid4().hex
            common = {"sold_at": stamp, "location_id": str(shop.locations[location])}
            lines.append(
                {**common, "sku": "PIZ", "quantity": pizza, "amount": f"{pizza * 12}.00",
                 "transaction_id": sale, "covers": pizza}
            )  # fmt: skip
            lines.append(
                {**common, "sku": "PAS", "quantity": pasta, "amount": f"{pasta * 10}.00",
                 "transaction_id": sale, "covers": pizza}
            )  # fmt: skip
            if day.toordinal() % 3 == 0:
                lines.append({**common, "sku": "TIR", "quantity": 1, "amount": "6.00"})
    return lines


async def write_history(
    client: httpx.AsyncClient, shop: Shop, first: date, last: date, *, scale: int = 1
) -> None:
    lines: list[dict[str, Any]] = []
    day = first
    while day <= last:
        lines.extend(day_lines(shop, day, scale=scale))
        day += timedelta(days=1)
    response = await bulk(client, shop.owner, lines)
    assert response.status_code == 201, response.text


@dataclass
class Bistro:
    shop: Shop
    client: httpx.AsyncClient

    @property
    def owner(self) -> Account:
        return self.shop.owner

    def location(self, name: str) -> str:
        return str(self.shop.locations[name])

    def item(self, sku: str) -> str:
        return str(self.shop.items[sku])

    async def create(self, **body: Any) -> dict[str, Any]:
        payload = {
            "name": f"Forecast {uuid.uuid4().hex[:8]}",
            "target": "revenue",
            "method": "seasonal_naive",
        } | body
        response = await self.client.post(FORECASTS, headers=self.owner.headers, json=payload)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def predict(self, forecast_id: str, **body: Any) -> httpx.Response:
        return await self.client.post(
            f"{FORECASTS}/{forecast_id}/predict", headers=self.owner.headers, json=body
        )


@pytest.fixture
async def bistro(client: httpx.AsyncClient, database: Database) -> Bistro:
    """A shop (UTC, cutoff 04:00) with 70 days of sales ending yesterday."""
    shop = await create_shop(client, database, timezone="UTC", cutoff=4)
    last = today() - timedelta(days=1)
    await write_history(client, shop, last - timedelta(days=HISTORY_DAYS - 1), last)
    return Bistro(shop=shop, client=client)


async def run_job(
    client: httpx.AsyncClient,
    database: Database,
    settings: Settings,
    account: Account,
    job_id: str,
) -> dict[str, Any]:
    """Run a queued job in this process, as a worker would, and return it as the API shows."""
    status = await execute_job(database, settings, uuid.UUID(job_id))
    assert status is not None
    response = await client.get(f"/api/v1/jobs/{job_id}", headers=account.headers)
    assert response.status_code == 200, response.text
    job = dict(response.json())
    assert job["status"] == str(status)
    return job


__all__ = ["FORECASTS", "Bistro", "JobStatus", "run_job", "today", "write_history"]

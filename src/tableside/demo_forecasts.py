"""Trained forecasts for the demo business, so its forecasting screens show real predictions
with intervals from the first login: daily revenue per restaurant, covers per hour (opening
hours learned from the sales) and daily units of the best-selling items.

They are trained once here on the demo's history, like a nightly retraining would, with
methods chosen for speed: Theta for revenue and items (the items on their last year), the
seasonal naive by the hour. Measured on the demo data (2 cores), Theta costs 0.8 s for the
restaurants and about 3 s for the items where `best` takes 3 s and 7 s, exponential
smoothing 3.6 s and 34 s, and the global gradient boosting model 45 s for the items: each
second here is a second of every `tableside demo --reset`. They are active, so the nightly
retraining keeps them current, and anyone can switch them to `best` and retrain.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from tableside.forecasting import runs
from tableside.forecasting.repository import ForecastRepository, SalesDataRepository
from tableside.forecasting.series import business_today
from tableside.models import (
    Forecast,
    ForecastGranularity,
    ForecastScope,
    ForecastTarget,
)

TOP_ITEMS = 12
TOP_ITEMS_WINDOW_DAYS = 28


async def load_demo_forecasts(session: AsyncSession, business_id: uuid.UUID) -> list[Forecast]:
    """Create and train the demo's forecasts in the caller's transaction (tenant set)."""
    data = SalesDataRepository(session, business_id)
    facts = await data.business()
    last = business_today(facts.timezone, facts.cutoff_hour) - timedelta(days=1)
    top = await data.top_items(last - timedelta(days=TOP_ITEMS_WINDOW_DAYS - 1), last, TOP_ITEMS)
    definitions = [
        Forecast(
            name="Revenue per restaurant (daily)",
            description="Next four weeks of net revenue at each restaurant",
            target=ForecastTarget.revenue,
            scope=ForecastScope.location,
            granularity=ForecastGranularity.day,
            method="theta",
            horizon=28,
        ),
        Forecast(
            name="Covers per hour",
            description="Guests per local hour for the next week, for staffing",
            target=ForecastTarget.covers,
            scope=ForecastScope.location,
            granularity=ForecastGranularity.hour,
            method="seasonal_naive",
            horizon=168,
        ),
        Forecast(
            name="Best sellers (units per day)",
            description=f"Daily units of the {len(top)} best-selling items at each restaurant",
            target=ForecastTarget.item_units,
            scope=ForecastScope.item,
            item_ids=top,
            granularity=ForecastGranularity.day,
            method="theta",
            horizon=14,
            training_config={"history_days": 365},
        ),
    ]
    repository = ForecastRepository(session, business_id)
    for forecast in definitions:
        forecast.business_id = business_id
        forecast.origin = "demo"
        forecast.levels = [80, 95]
        forecast.is_active = True
        forecast.item_ids = forecast.item_ids or []
        forecast.training_config = forecast.training_config or {}
        await repository.add(forecast)
        await runs.train(session, business_id, forecast, trigger="demo")
    return definitions

"""Forecasts: a definition (what to forecast and how), its runs (one per training, numbered per
forecast) and the predicted series each run stored.

Predictions are stored one row per series, not one row per point: a run of 100 item series
over 28 days is 100 rows of arrays instead of 2,800 rows, which is what makes writing a run
inside a request and reading it back for `predict`, accuracy and analytics cheap. Periods are
naive business-local timestamps (the engine's convention): a business date at midnight for
day, week and month periods, the local wall-clock hour for hourly ones.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TIMESTAMP
from sqlalchemy.orm import Mapped, mapped_column

from tableside.db.base import TenantModel
from tableside.models.business import enum_column


class ForecastTarget(enum.StrEnum):
    revenue = "revenue"
    item_units = "item_units"
    covers = "covers"


class ForecastScope(enum.StrEnum):
    business = "business"
    location = "location"
    category = "category"
    item = "item"


class ForecastGranularity(enum.StrEnum):
    hour = "hour"
    day = "day"
    week = "week"
    month = "month"


class ForecastRunStatus(enum.StrEnum):
    succeeded = "succeeded"
    failed = "failed"


class Forecast(TenantModel):
    """What to forecast (target, scope, granularity) and how (method, horizon, interval
    levels, training config). `origin` says who made it: `api` (a person), `generate` or
    `quick` (the ad-hoc definitions behind `POST /forecasts/generate` and `POST /forecast`)
    or `demo`."""

    __tablename__ = "forecasts"
    __table_args__ = (UniqueConstraint("business_id", "name"),)

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    target: Mapped[ForecastTarget] = mapped_column(enum_column(ForecastTarget, "forecast_target"))
    scope: Mapped[ForecastScope] = mapped_column(enum_column(ForecastScope, "forecast_scope"))
    location_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("locations.id", ondelete="CASCADE")
    )
    category_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("menu_categories.id", ondelete="CASCADE")
    )
    item_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid), default=list)
    granularity: Mapped[ForecastGranularity] = mapped_column(
        enum_column(ForecastGranularity, "forecast_granularity")
    )
    method: Mapped[str] = mapped_column(String(40))
    horizon: Mapped[int] = mapped_column(Integer)
    levels: Mapped[list[int]] = mapped_column(ARRAY(SmallInteger), default=list)
    training_config: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    origin: Mapped[str] = mapped_column(String(20), default="api")
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    last_trained_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ForecastRun(TenantModel):
    """One training of a forecast: the model version (1, 2, ... per forecast), the method and
    parameters used, the backtest metrics, and the data it saw (`data_fingerprint`: a digest
    of the rollups it read, so "no new data since" is a string comparison)."""

    __tablename__ = "forecast_runs"
    __table_args__ = (UniqueConstraint("business_id", "forecast_id", "model_version"),)

    forecast_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("forecasts.id", ondelete="CASCADE"), index=True
    )
    model_version: Mapped[int] = mapped_column(Integer)
    status: Mapped[ForecastRunStatus] = mapped_column(
        enum_column(ForecastRunStatus, "forecast_run_status")
    )
    trigger: Mapped[str] = mapped_column(String(20))  # predict, retrain, schedule, generate, demo
    method: Mapped[str] = mapped_column(String(40))
    granularity: Mapped[ForecastGranularity] = mapped_column(
        enum_column(ForecastGranularity, "forecast_granularity")
    )
    horizon: Mapped[int] = mapped_column(Integer)
    levels: Mapped[list[int]] = mapped_column(ARRAY(SmallInteger), default=list)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    metrics: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    series_metrics: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    feature_importance: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    data_fingerprint: Mapped[str | None] = mapped_column(String(64))
    data_rows: Mapped[int] = mapped_column(Integer, default=0)
    history_start: Mapped[date | None] = mapped_column(Date)
    trained_through: Mapped[date | None] = mapped_column(Date)
    series_count: Mapped[int] = mapped_column(Integer, default=0)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    generated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    job_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class ForecastSeries(TenantModel):
    """The points one run predicted for one series: `periods[i]` (naive business-local) has
    `point_values[i]` and, per level, `intervals["80"]["lower"][i]` / `["upper"][i]`."""

    __tablename__ = "forecast_series"
    __table_args__ = (UniqueConstraint("business_id", "run_id", "series_key"),)

    run_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("forecast_runs.id", ondelete="CASCADE"), index=True
    )
    series_key: Mapped[str] = mapped_column(String(200))
    item_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    location_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    method_used: Mapped[str] = mapped_column(String(40))
    fallback: Mapped[str | None] = mapped_column(String(40))
    history_length: Mapped[int] = mapped_column(Integer, default=0)
    periods: Mapped[list[datetime]] = mapped_column(ARRAY(TIMESTAMP(timezone=False)))
    point_values: Mapped[list[float]] = mapped_column(ARRAY(Double))
    intervals: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)

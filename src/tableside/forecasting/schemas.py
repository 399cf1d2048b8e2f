"""Forecasting models of the API: definitions, predictions, runs, accuracy and the method list."""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from tableside.kit.schemas import Resource, ResponseSchema, Schema, UtcDatetime
from tableside.kit.validators import NotNull
from tableside.models import ForecastGranularity, ForecastRunStatus, ForecastScope, ForecastTarget

# Horizon limits per granularity: two weeks of hours, a year of days, two years of weeks,
# three years of months.
MAX_HORIZON: dict[ForecastGranularity, int] = {
    ForecastGranularity.hour: 336,
    ForecastGranularity.day: 365,
    ForecastGranularity.week: 104,
    ForecastGranularity.month: 36,
}
DEFAULT_HORIZON: dict[ForecastGranularity, int] = {
    ForecastGranularity.hour: 168,
    ForecastGranularity.day: 28,
    ForecastGranularity.week: 12,
    ForecastGranularity.month: 6,
}
DEFAULT_LEVELS = [80, 95]
MAX_ITEMS = 500


def _sorted_levels(levels: list[int]) -> list[int]:
    if len(set(levels)) != len(levels):
        raise ValueError("levels must not repeat")
    return sorted(levels)


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Level = Annotated[int, Field(ge=1, le=99)]
Levels = Annotated[
    list[Level],
    Field(max_length=5, description="Interval levels in percent, 1-99 (e.g. [80, 95])"),
    AfterValidator(_sorted_levels),
]
Method = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=40),
    Field(description="An engine method or alias (see GET /forecasts/models); default best"),
]
Sku = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class TrainingConfig(Schema):
    """How to train, beyond the method: its parameters, how much history to read, the
    backtest, and the calendar when the data alone does not tell it."""

    params: dict[str, Any] = Field(
        default_factory=dict, description="Method parameters, validated by the method"
    )
    history_days: int | None = Field(
        default=None,
        ge=14,
        le=3660,
        description="Days of history to read (default per granularity)",
    )
    backtest_windows: int | None = Field(default=None, ge=1, le=5)
    season_length: int | None = Field(default=None, ge=1, le=400)
    country: str | None = Field(
        default=None, min_length=2, max_length=2, description="Holiday country (ISO 3166)"
    )
    subdivision: str | None = Field(default=None, max_length=10)
    closed_weekdays: list[Annotated[int, Field(ge=0, le=6)]] | None = Field(
        default=None, description="0 = Monday; default: weekdays without trading lately"
    )
    closed_dates: list[date] | None = None
    extra_holidays: list[date] | None = None
    use_signals: bool = Field(
        default=True,
        description="Learn from the daily signals of sales imports: dates flagged is_holiday "
        "join the calendar's holidays, and marketing_spend becomes an exogenous feature of "
        "daily forecasts once at least 14 days in the history window carry it (future days "
        "take the spend imported for them, else the mean of the last 28 days)",
    )
    open_hours: dict[Annotated[int, Field(ge=0, le=6)], tuple[int, int]] | None = Field(
        default=None,
        description="Weekday (0 = Monday) → [open, close) local hours for hourly forecasts "
        "(close may be smaller than open: trading past midnight). The weekdays named replace "
        "the hours learned from the sales; the others keep the learned hours",
    )

    @model_validator(mode="after")
    def _hours(self) -> TrainingConfig:
        for opens, closes in (self.open_hours or {}).values():
            if not (0 <= opens <= 23 and 1 <= closes <= 24):
                raise ValueError("open_hours are [open 0-23, close 1-24]")
        return self


class ForecastBase(Schema):
    description: Annotated[str, StringConstraints(max_length=2000)] | None = None
    location_id: uuid.UUID | None = Field(
        default=None, description="Only this location (required for a one-location scope)"
    )
    category_id: uuid.UUID | None = Field(
        default=None, description="The category of a category scope (or to narrow items)"
    )
    item_ids: list[uuid.UUID] | None = Field(
        default=None, max_length=MAX_ITEMS, description="Items of an item scope"
    )
    item_skus: list[Sku] | None = Field(
        default=None, max_length=MAX_ITEMS, description="Items of an item scope, by SKU"
    )


class ForecastCreate(ForecastBase):
    name: Name
    target: ForecastTarget
    scope: ForecastScope = ForecastScope.business
    granularity: ForecastGranularity = ForecastGranularity.day
    method: Method = "best"
    horizon: int | None = Field(
        default=None,
        ge=1,
        description="Periods to forecast: hour ≤ 336, day ≤ 365, week ≤ 104, month ≤ 36 "
        "(default 168, 28, 12, 6)",
    )
    levels: Levels = Field(default_factory=lambda: list(DEFAULT_LEVELS))
    training_config: TrainingConfig = Field(default_factory=TrainingConfig)
    is_active: bool = True


class ForecastUpdate(ForecastBase):
    """Only the fields sent change; `item_ids`/`item_skus` replace the item list. A `method`
    sent without `training_config` replaces the variant an alias chose (`tsb`, `croston`),
    as if the definition had been created with the new name. A `granularity` sent without
    `horizon` converts the horizon to cover at least the same span (168 hours → 7 days)."""

    name: Annotated[Name | None, NotNull] = None
    target: Annotated[ForecastTarget | None, NotNull] = None
    scope: Annotated[ForecastScope | None, NotNull] = None
    granularity: Annotated[ForecastGranularity | None, NotNull] = None
    method: Annotated[Method | None, NotNull] = None
    horizon: Annotated[int | None, NotNull, Field(ge=1)] = None
    levels: Annotated[Levels | None, NotNull] = None
    training_config: Annotated[TrainingConfig | None, NotNull] = None
    is_active: Annotated[bool | None, NotNull] = None


class Forecast(Resource):
    name: str
    description: str | None
    target: ForecastTarget
    scope: ForecastScope
    location_id: uuid.UUID | None
    category_id: uuid.UUID | None
    item_ids: list[uuid.UUID]
    granularity: ForecastGranularity
    method: str
    horizon: int
    levels: list[int]
    training_config: dict[str, Any]
    is_active: bool
    origin: str = Field(description="api, generate, quick (ad-hoc requests) or demo")
    created_by: uuid.UUID | None
    last_trained_at: UtcDatetime | None


# Predictions ---------------------------------------------------------------------------------


class PredictRequest(Schema):
    start_date: date | None = Field(
        default=None, description="First business date (default: today's business date)"
    )
    end_date: date | None = Field(
        default=None, description="Last business date (default: the end of the horizon)"
    )
    granularity: ForecastGranularity | None = Field(
        default=None, description="The forecast's own (default) or a coarser one"
    )

    @model_validator(mode="after")
    def _order(self) -> PredictRequest:
        if self.start_date and self.end_date and self.start_date > self.end_date:
            raise ValueError("start_date must not be after end_date")
        return self


class Bounds(ResponseSchema):
    lower: float
    upper: float


class PredictionPoint(ResponseSchema):
    timestamp: str = Field(
        description="Hourly: the UTC instant the local hour starts (…Z); otherwise the "
        "period's first business date (YYYY-MM-DD)"
    )
    period_end: date | None = Field(
        description="The period's last business date (the same date for days; null for hours)"
    )
    complete: bool = Field(
        description="False for a week or month that the requested range or the forecast's "
        "horizon cuts: its value and bounds add up only the days inside"
    )
    value: float
    lower_bound: float | None = Field(description="At the first (lowest) level")
    upper_bound: float | None
    intervals: dict[str, Bounds] = Field(description='Per level: {"80": {"lower", "upper"}}')


class SeriesPrediction(ResponseSchema):
    series_key: str
    item_id: uuid.UUID | None
    sku: str | None
    item_name: str | None
    location_id: uuid.UUID | None
    method_used: str
    fallback: str | None
    points: list[PredictionPoint]


class SeriesNotForecast(ResponseSchema):
    """A series the forecast asked for that has no prediction."""

    series_key: str | None = Field(description="Null for an item that never sold")
    item_id: uuid.UUID | None
    location_id: uuid.UUID | None
    reason: str


class Prediction(ResponseSchema):
    forecast_id: uuid.UUID
    run_id: uuid.UUID
    model_version: int
    generated_at: UtcDatetime
    cached: bool = Field(description="Served from a stored run (fresh: < 1 h, no new data)")
    granularity: ForecastGranularity
    levels: list[int]
    trained_through: date | None
    start_date: date
    end_date: date
    series: list[SeriesPrediction]
    not_forecast: list[SeriesNotForecast] = Field(
        description="Series asked for without a prediction (too little history, or an item "
        "of the definition that never sold), and why"
    )


# Ad-hoc requests (Sentia's generate and the SFS quick forecast) -----------------------------


class GenerateRequest(Schema):
    """`POST /forecasts/generate`: item demand (units per day) for some items."""

    item_ids: list[uuid.UUID] | None = Field(default=None, max_length=MAX_ITEMS)
    item_skus: list[Sku] | None = Field(default=None, max_length=MAX_ITEMS)
    location_id: uuid.UUID | None = None
    method: Method = "best"
    horizon_days: int = Field(default=28, ge=1, le=365)
    confidence_level: float = Field(
        default=0.95, gt=0, lt=1, description="Interval level as a fraction (0.95)"
    )
    parameters: dict[str, Any] = Field(default_factory=dict)


class QuickForecastRequest(Schema):
    """`POST /forecast`: the business's daily revenue."""

    horizon: int = Field(default=30, ge=1, le=365, description="Days")
    model: Method = "best"
    include_ci: bool = Field(default=True, description="95% intervals")


# Runs, accuracy, models ----------------------------------------------------------------------


class Run(Resource):
    forecast_id: uuid.UUID
    model_version: int
    status: ForecastRunStatus
    trigger: str = Field(description="predict, retrain, schedule, generate, quick or demo")
    method: str
    granularity: ForecastGranularity
    horizon: int
    levels: list[int]
    parameters: dict[str, Any]
    metrics: dict[str, Any] | None = Field(description="Backtest metrics over every series")
    data_rows: int
    history_start: date | None
    trained_through: date | None
    series_count: int
    duration_ms: int
    generated_at: UtcDatetime
    job_id: uuid.UUID | None
    error: dict[str, Any] | None


class RunDetail(Run):
    series_metrics: dict[str, Any] | None
    feature_importance: dict[str, Any] | None


class Period(ResponseSchema):
    date_from: date
    date_to: date


class DayAccuracy(ResponseSchema):
    date: date
    predicted: float
    actual: float
    error: float = Field(description="predicted - actual")
    percentage_error: float | None = Field(description="error / actual in percent")
    lower_bound: float | None
    upper_bound: float | None


class Direction(StrEnum):
    improving = "improving"
    stable = "stable"
    worsening = "worsening"


class AccuracyTrend(ResponseSchema):
    direction: Direction
    first_half_wape: float | None
    second_half_wape: float | None
    slope: float | None = Field(
        description="Least-squares change per day of the absolute percentage error"
    )


class Accuracy(ResponseSchema):
    forecast_id: uuid.UUID
    period: Period
    model_versions: list[int] = Field(description="The runs whose predictions were compared")
    metrics: dict[str, Any]
    daily: list[DayAccuracy]
    trend: AccuracyTrend


class ModelInfo(ResponseSchema):
    name: str
    label: str
    family: str
    description: str
    native_intervals: bool
    tree_model: bool
    aliases: list[str]
    available: bool
    last_trained_at: UtcDatetime | None
    runs: int = Field(description="Successful runs with it in this business")
    test_metrics: dict[str, Any] | None = Field(
        description="Backtest metrics of the latest successful run using it"
    )


class ModelList(ResponseSchema):
    items: list[ModelInfo]
    total: int


class FeatureWeight(ResponseSchema):
    feature: str
    importance: float
    rank: int


class FeatureImportance(ResponseSchema):
    forecast_id: uuid.UUID
    model_version: int
    method: str
    features: list[FeatureWeight]

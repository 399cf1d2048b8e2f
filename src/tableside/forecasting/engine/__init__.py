"""The forecasting engine: pure computation over pandas panels (see `types`). It imports
neither the database nor the web framework; the `forecasting` domain feeds it rollups.

Public entry: `Forecaster` / `forecast` (fit, forecast, intervals, backtest metrics),
`backtest` (rolling-origin evaluation of the whole pipeline), `evaluate` (accuracy metrics) and
the shapes of `types`. Methods are listed by `registry.METHODS`."""

from tableside.forecasting.engine.backtest import BacktestResult, backtest
from tableside.forecasting.engine.errors import (
    EngineError,
    InsufficientHistory,
    InvalidConfig,
    MethodUnavailable,
    UnknownMethod,
)
from tableside.forecasting.engine.forecaster import MAX_HORIZON, Forecaster, forecast
from tableside.forecasting.engine.metrics import evaluate, evaluate_panel, grade
from tableside.forecasting.engine.types import (
    DEFAULT_LEVELS,
    Calendar,
    ForecastConfig,
    ForecastOutput,
    SeriesInfo,
    StaticFeatures,
)

__all__ = [
    "DEFAULT_LEVELS",
    "MAX_HORIZON",
    "BacktestResult",
    "Calendar",
    "EngineError",
    "ForecastConfig",
    "ForecastOutput",
    "Forecaster",
    "InsufficientHistory",
    "InvalidConfig",
    "MethodUnavailable",
    "SeriesInfo",
    "StaticFeatures",
    "UnknownMethod",
    "backtest",
    "evaluate",
    "evaluate_panel",
    "forecast",
    "grade",
]

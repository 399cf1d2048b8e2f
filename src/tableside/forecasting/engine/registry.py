"""Every forecasting method by its stable name: what it is (`METHODS`), how to spell it
(`resolve`: canonical names and aliases), whether it can run here (`is_available`) and a fresh
instance conforming to `types.BaseModel` (`create`)."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

from tableside.forecasting.engine.errors import MethodUnavailable, UnknownMethod
from tableside.forecasting.engine.types import BaseModel, ForecastConfig

Family = Literal["baseline", "statistical", "machine_learning", "combination"]


@dataclass(frozen=True)
class MethodInfo:
    """A method as the API lists it."""

    name: str
    label: str
    family: Family
    description: str
    native_intervals: bool
    tree_model: bool = False
    aliases: tuple[str, ...] = ()


METHODS: dict[str, MethodInfo] = {
    info.name: info
    for info in (
        MethodInfo(
            "seasonal_naive",
            "Seasonal naive",
            "baseline",
            "The same period one season ago (last week's Tuesday for a Tuesday; by the hour, "
            "the same hour a week ago); with the 'cycles' parameter, its median over that many "
            "seasons (the last 16 Tuesdays).",
            native_intervals=True,
        ),
        MethodInfo(
            "moving_average",
            "Moving average",
            "baseline",
            "The mean of the last periods (one season by default), flat over the horizon.",
            native_intervals=False,
            aliases=("sma",),
        ),
        MethodInfo(
            "exp_smoothing",
            "Exponential smoothing (ETS)",
            "statistical",
            "Level, trend and seasonality smoothed exponentially; the form is chosen per series.",
            native_intervals=True,
            aliases=("ets", "holt_winters"),
        ),
        MethodInfo(
            "arima",
            "Seasonal ARIMA",
            "statistical",
            "Autoregressive integrated moving average with a seasonal part, orders chosen per "
            "series within small bounds.",
            native_intervals=True,
            aliases=("sarima",),
        ),
        MethodInfo(
            "theta",
            "Theta",
            "statistical",
            "Dynamic optimized Theta on the seasonally adjusted series.",
            native_intervals=True,
        ),
        MethodInfo(
            "mstl",
            "MSTL",
            "statistical",
            "Several seasonalities (daily and weekly for hourly data) removed by STL, the rest "
            "forecast by exponential smoothing.",
            native_intervals=True,
        ),
        MethodInfo(
            "intermittent",
            "Intermittent demand",
            "statistical",
            "Croston (SBA), TSB or ADIDA per series, chosen by how sporadic and how variable "
            "its demand is.",
            native_intervals=False,
            aliases=("croston", "tsb"),
        ),
        MethodInfo(
            "linear_trend",
            "Linear trend",
            "statistical",
            "Per-series regression on a trend, the season position, holidays and exogenous "
            "columns.",
            native_intervals=True,
            # Sentia's name for it.
            aliases=("linear_regression",),
        ),
        MethodInfo(
            "gradient_boosting",
            "Gradient boosting (LightGBM)",
            "machine_learning",
            "One LightGBM model over all series: lags, rolling statistics, calendar and "
            "holidays, exogenous and static features.",
            native_intervals=False,
            tree_model=True,
            # SFS and Flux name their gradient-boosted trees after XGBoost.
            aliases=("lightgbm", "xgboost"),
        ),
        MethodInfo(
            "random_forest",
            "Random forest",
            "machine_learning",
            "The gradient boosting features with a random forest (LightGBM's rf mode).",
            native_intervals=False,
            tree_model=True,
        ),
        MethodInfo(
            "prophet",
            "Prophet",
            "statistical",
            "Prophet per series with the business's holidays (needs tableside[prophet]).",
            native_intervals=True,
        ),
        MethodInfo(
            "ensemble",
            "Ensemble",
            "combination",
            "A weighted combination of the strongest methods in backtests.",
            native_intervals=False,
        ),
        MethodInfo(
            "best",
            "Best per series",
            "combination",
            "The most accurate method for each series in rolling-origin backtests.",
            native_intervals=False,
        ),
    )
}

_ALIASES: dict[str, str] = {
    alias: info.name for info in METHODS.values() for alias in (info.name, *info.aliases)
}

# Aliases that also choose a variant of their method (unless params say otherwise).
_ALIAS_PARAMS: dict[str, dict[str, object]] = {
    "croston": {"variant": "croston_sba"},
    "tsb": {"variant": "tsb"},
}

_COMBINATIONS = ("ensemble", "best")


def resolve(name: str) -> str:
    """The canonical name of a method or alias (case and surrounding space ignored)."""
    key = name.strip().lower() if isinstance(name, str) else name
    try:
        return _ALIASES[key]
    except (KeyError, TypeError):
        raise UnknownMethod(
            f"Unknown forecasting method {name!r}; known: {sorted(METHODS)}"
        ) from None


def alias_params(name: str) -> dict[str, object]:
    """The method parameters an alias stands for (``tsb`` → ``{"variant": "tsb"}``); {} for
    canonical names and plain aliases."""
    key = name.strip().lower() if isinstance(name, str) else name
    return dict(_ALIAS_PARAMS.get(key, {}))


def is_alias_choice(method: str, key: str, value: object) -> bool:
    """Whether the parameter ``key: value`` of the canonical ``method`` is what one of its
    aliases stands for (``variant: "tsb"`` of ``intermittent``)."""
    return any(
        _ALIASES[alias] == method and params.get(key) == value
        for alias, params in _ALIAS_PARAMS.items()
    )


def _prophet_installed() -> bool:
    return importlib.util.find_spec("prophet") is not None


def _selection_available() -> bool:
    return importlib.util.find_spec("tableside.forecasting.engine.selection") is not None


def is_available(name: str) -> bool:
    """Whether ``create(name, ...)`` can build the method here (prophet needs its extra;
    ensemble and best need the selection module)."""
    canonical = resolve(name)
    if canonical == "prophet":
        return _prophet_installed()
    if canonical in _COMBINATIONS:
        return _selection_available()
    return True


def _factories() -> dict[str, Callable[[ForecastConfig], BaseModel]]:
    # Imported here so that listing methods does not load statsforecast and LightGBM.
    from tableside.forecasting.engine.models import machine_learning, statistical

    return {
        "seasonal_naive": statistical.seasonal_naive,
        "moving_average": statistical.MovingAverageMethod,
        "exp_smoothing": statistical.ExpSmoothingMethod,
        "arima": statistical.ArimaMethod,
        "theta": statistical.ThetaMethod,
        "mstl": statistical.MstlMethod,
        "intermittent": statistical.IntermittentMethod,
        "linear_trend": machine_learning.LinearTrendMethod,
        "gradient_boosting": machine_learning.GradientBoostingMethod,
        "random_forest": machine_learning.RandomForestMethod,
    }


def create(name: str, config: ForecastConfig) -> BaseModel:
    """A fresh, unfitted instance of the method ``name`` (or an alias) for ``config``.

    Raises UnknownMethod for a name the registry does not know, MethodUnavailable when its
    optional dependency is missing, InvalidConfig (from the method) for bad parameters.
    """
    canonical = resolve(name)
    implied = alias_params(name)
    if implied:
        config = replace(config, params={**implied, **dict(config.params)})
    if canonical in _COMBINATIONS:
        if not _selection_available():
            raise UnknownMethod(f"Method {canonical!r} is not available in this build")
        selection = importlib.import_module("tableside.forecasting.engine.selection")
        model: BaseModel = selection.create(canonical, config)
        return model
    if canonical == "prophet":
        if not _prophet_installed():
            raise MethodUnavailable(
                "Prophet is not installed; install it with `pip install tableside[prophet]`"
            )
        from tableside.forecasting.engine.models.prophet import ProphetMethod

        return ProphetMethod(config)
    return _factories()[canonical](config)

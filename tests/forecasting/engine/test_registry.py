"""Registry: stable names, aliases, availability and creation."""

from __future__ import annotations

import importlib.util

import pytest

from tableside.forecasting.engine import registry
from tableside.forecasting.engine.errors import (
    EngineError,
    InsufficientHistory,
    InvalidConfig,
    MethodUnavailable,
    UnknownMethod,
)
from tableside.forecasting.engine.types import ForecastConfig

STABLE_NAMES = {
    "seasonal_naive",
    "moving_average",
    "exp_smoothing",
    "arima",
    "theta",
    "mstl",
    "intermittent",
    "linear_trend",
    "gradient_boosting",
    "random_forest",
    "prophet",
    "ensemble",
    "best",
}
BASE_METHODS = sorted(STABLE_NAMES - {"prophet", "ensemble", "best"})
PROPHET_INSTALLED = importlib.util.find_spec("prophet") is not None


def test_every_stable_name_is_listed_once() -> None:
    assert set(registry.METHODS) == STABLE_NAMES
    for name, info in registry.METHODS.items():
        assert info.name == name
        assert info.family in {"baseline", "statistical", "machine_learning", "combination"}
        assert info.label and info.description
    assert {n for n, i in registry.METHODS.items() if i.tree_model} == {
        "gradient_boosting",
        "random_forest",
    }


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("sma", "moving_average"),
        ("ets", "exp_smoothing"),
        ("holt_winters", "exp_smoothing"),
        ("sarima", "arima"),
        ("croston", "intermittent"),
        ("tsb", "intermittent"),
        ("lightgbm", "gradient_boosting"),
        ("  LightGBM ", "gradient_boosting"),
        ("xgboost", "gradient_boosting"),
        ("linear_regression", "linear_trend"),
        ("best", "best"),
    ],
)
def test_resolve_aliases(alias: str, canonical: str) -> None:
    assert registry.resolve(alias) == canonical


def test_unknown_method() -> None:
    with pytest.raises(UnknownMethod) as raised:
        registry.resolve("crystal_ball")
    assert raised.value.code == "UNKNOWN_METHOD"
    with pytest.raises(UnknownMethod):
        registry.create("crystal_ball", ForecastConfig())
    with pytest.raises(UnknownMethod):
        registry.is_available("crystal_ball")


def test_error_codes() -> None:
    codes = {
        UnknownMethod: "UNKNOWN_METHOD",
        MethodUnavailable: "METHOD_UNAVAILABLE",
        InsufficientHistory: "INSUFFICIENT_HISTORY",
        InvalidConfig: "INVALID_CONFIG",
    }
    for cls, code in codes.items():
        error = cls("message")
        assert isinstance(error, EngineError)
        assert error.code == code
        assert error.message == "message"


@pytest.mark.parametrize("name", BASE_METHODS)
def test_create_base_methods_conform(name: str) -> None:
    model = registry.create(name, ForecastConfig(method=name))
    assert model.name == name
    assert model.native_intervals == registry.METHODS[name].native_intervals
    assert callable(model.fit) and callable(model.predict)
    assert model.feature_importance() is None  # nothing fitted yet
    assert registry.is_available(name)


def test_alias_chooses_a_variant() -> None:
    croston = registry.create("croston", ForecastConfig())
    tsb = registry.create("tsb", ForecastConfig())
    chosen = registry.create("tsb", ForecastConfig(params={"variant": "adida"}))
    assert getattr(croston, "variant", None) == "croston_sba"
    assert getattr(tsb, "variant", None) == "tsb"
    assert getattr(chosen, "variant", None) == "adida"


def test_bad_parameters_are_invalid_config() -> None:
    with pytest.raises(InvalidConfig):
        registry.create("theta", ForecastConfig(params={"windw": 3}))
    with pytest.raises(InvalidConfig):
        registry.create("moving_average", ForecastConfig(params={"window": 0}))
    with pytest.raises(InvalidConfig):
        registry.create("exp_smoothing", ForecastConfig(params={"model": "QQQ"}))
    with pytest.raises(InvalidConfig):
        registry.create("gradient_boosting", ForecastConfig(params={"lags": [0, 7]}))
    with pytest.raises(InvalidConfig):
        registry.create("arima", ForecastConfig(params={"n_jobs": 0}))


@pytest.mark.skipif(PROPHET_INSTALLED, reason="prophet is installed")
def test_prophet_missing_is_method_unavailable() -> None:
    assert not registry.is_available("prophet")
    with pytest.raises(MethodUnavailable) as raised:
        registry.create("prophet", ForecastConfig(method="prophet"))
    assert raised.value.code == "METHOD_UNAVAILABLE"
    assert "pip install tableside[prophet]" in raised.value.message


@pytest.mark.skipif(not PROPHET_INSTALLED, reason="prophet is not installed")
def test_prophet_installed_is_available() -> None:
    assert registry.is_available("prophet")
    assert registry.create("prophet", ForecastConfig(method="prophet")).name == "prophet"


def test_combinations_come_from_the_selection_module() -> None:
    present = importlib.util.find_spec("tableside.forecasting.engine.selection") is not None
    for name in ("ensemble", "best"):
        assert registry.is_available(name) == present
        if present:
            model = registry.create(name, ForecastConfig(method=name))
            assert callable(model.fit) and callable(model.predict)
        else:
            with pytest.raises(UnknownMethod):
                registry.create(name, ForecastConfig(method=name))

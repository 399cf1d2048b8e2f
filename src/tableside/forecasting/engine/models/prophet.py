"""Prophet, one model per series (it has no panel mode; it is slow, which is accepted for an
optional method). Needs the ``prophet`` extra: `registry.create` checks that it imports and
raises MethodUnavailable otherwise, so this module is only imported when it is installed.

Holidays come from the business calendar (public ones and its own); the config's exogenous
columns become extra regressors. Intervals for every configured level come from Prophet's
predictive samples (its own ``interval_width`` covers a single level only).
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any, Literal

import numpy as np
import pandas as pd
from prophet import Prophet

from tableside.forecasting.engine.calendar import check_freq, future_frame, holiday_dates
from tableside.forecasting.engine.errors import InvalidConfig
from tableside.forecasting.engine.models.base import (
    check_horizon,
    check_levels,
    check_params,
    int_param,
    interval_columns,
    merge_future_exog,
    not_fitted,
    prepare_panel,
)
from tableside.forecasting.engine.types import ForecastConfig, StaticFeatures

# Prophet's optimizer logs every fit at INFO; hundreds of series would flood the worker's log.
logging.getLogger("cmdstanpy").setLevel(logging.WARNING)
logging.getLogger("prophet").setLevel(logging.WARNING)


class ProphetMethod:
    """Prophet per series with the calendar's holidays. Params: ``samples`` (predictive samples
    for the intervals, default 300), ``seasonality_mode`` ("additive" or "multiplicative")."""

    name = "prophet"
    native_intervals = True

    def __init__(self, config: ForecastConfig) -> None:
        check_params(self.name, config.params, ("samples", "seasonality_mode", "n_jobs"))
        self.config = config
        self.freq = check_freq(config.freq)
        self.levels = check_levels(config.levels)
        self.samples = int_param(config, "samples", 300, 20)
        mode = config.params.get("seasonality_mode", "additive")
        if mode not in ("additive", "multiplicative"):
            raise InvalidConfig("Parameter 'seasonality_mode' must be additive or multiplicative")
        self.seasonality_mode: Literal["additive", "multiplicative"] = (
            "multiplicative" if mode == "multiplicative" else "additive"
        )
        self.exog_columns = tuple(config.exog_columns)
        self._models: dict[str, Any] = {}
        self._last = pd.DataFrame()

    def _holidays(self, start: date, end: date) -> pd.DataFrame | None:
        found = holiday_dates(self.config.calendar, start, end)
        if not found:
            return None
        return pd.DataFrame({"holiday": "holiday", "ds": pd.to_datetime(found)})

    def fit(self, panel: pd.DataFrame, static: StaticFeatures | None = None) -> ProphetMethod:
        """One Prophet per series, on its open periods (Prophet needs no regular grid)."""
        data = prepare_panel(panel, self.freq, self.exog_columns)
        start = data["ds"].min().date()
        # Holidays of the coming year too: Prophet looks them up when it predicts.
        end = data["ds"].max().date() + timedelta(days=400)
        holidays = self._holidays(start, end)
        self._models = {}
        for uid, part in data.groupby("unique_id", sort=True):
            model = Prophet(
                holidays=holidays,
                seasonality_mode=self.seasonality_mode,
                daily_seasonality=self.freq == "h",
                uncertainty_samples=self.samples,
            )
            for column in self.exog_columns:
                model.add_regressor(column)
            model.fit(part.drop(columns="unique_id"))
            self._models[str(uid)] = model
        self._last = data.groupby("unique_id", sort=True)[["ds"]].max().reset_index()
        return self

    def predict(self, horizon: int, future_exog: pd.DataFrame | None = None) -> pd.DataFrame:
        """Point forecasts (Prophet's ``yhat``) and sample quantile intervals."""
        horizon = check_horizon(horizon)
        if not self._models:
            raise not_fitted(self.name)
        future = future_frame(self._last, horizon, self.freq)[["unique_id", "ds"]]
        if self.exog_columns:
            future = merge_future_exog(future, future_exog, self.exog_columns, horizon)
        parts = []
        for uid, part in future.groupby("unique_id", sort=True):
            model = self._models[str(uid)]
            frame = part.drop(columns="unique_id").reset_index(drop=True)
            point = model.predict(frame)["yhat"].to_numpy(dtype=float)
            out: dict[str, Any] = {
                "unique_id": part["unique_id"].to_numpy(),
                "ds": part["ds"].to_numpy(),
                "value": point,
            }
            if self.levels:
                draws = np.asarray(model.predictive_samples(frame)["yhat"], dtype=float)
                for level in self.levels:
                    tail = (100 - level) / 200
                    out[f"lo-{level}"] = np.quantile(draws, tail, axis=1)
                    out[f"hi-{level}"] = np.quantile(draws, 1 - tail, axis=1)
            parts.append(pd.DataFrame(out))
        result = pd.concat(parts, ignore_index=True)
        return result[["unique_id", "ds", "value", *interval_columns(self.levels)]]

    def feature_importance(self) -> dict[str, float] | None:
        """Prophet reports no feature importance."""
        return None

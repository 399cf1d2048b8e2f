"""The engine's public entry: `Forecaster(config).fit(panel).predict()` and `forecast(...)`.

What the forecaster adds around a method (`registry.create`):

- validation: a known and installed method, a supported frequency, a horizon of 1 to
  `MAX_HORIZON` periods, interval levels strictly between 0 and 100;
- closed periods (the calendar's closed weekdays, dates and hours) are dropped from training
  even if the panel has rows for them, and forecast as exactly zero;
- cold start: a series with fewer than ``min_history`` open periods (default two seasons) is
  not given to the method but to a fallback, named in `SeriesInfo.fallback`:
  ``"category"`` / ``"location"`` — the global gradient boosting model with the static group
  features (when the series has such a group); else ``"business"`` — the business profile (the
  median season shape of the series with enough history) scaled to the series' own level;
  else ``"seasonal_naive"`` (a full season of its own) or ``"mean"``. A series with fewer than
  `MIN_OBSERVATIONS` open periods is skipped (listed in ``parameters["skipped_series"]``);
  when that leaves nothing, InsufficientHistory;
- forecasts start after the panel's last period for every series that traded within the last
  season (a restaurant closed on the panel's last day still gets the same dates as the
  others); a series silent for longer continues from its own end;
- values and bounds are clipped at 0 and ordered ``lo <= value <= hi``, wider levels
  containing narrower ones;
- intervals: the method's own when it has them, else conformal intervals (`intervals`) from the
  rolling-origin backtest residuals (``calibrate_intervals=True`` uses conformal ones for every
  method); without any backtest residual (too short a history) normal intervals from each
  series' own spread;
- metrics: per-series and pooled backtest metrics (`metrics.evaluate_panel`) from
  ``config.backtest_windows`` windows of ``config.horizon`` periods (for ``best`` and
  ``ensemble``, their selection backtest: no extra fits, slightly optimistic for ``best``
  since the same windows chose the winner), and the tree models' feature importance. Interval
  coverage is out of sample too: the method's own intervals as each window gave them, or
  conformal intervals for each window fitted on the other windows' errors (so a single
  window reports none).

Forecaster-level ``params`` (taken out before the method sees them): ``min_history`` and
``calibrate_intervals``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from tableside.forecasting.engine import registry
from tableside.forecasting.engine.backtest import common_cutoffs, rolling_forecasts
from tableside.forecasting.engine.calendar import check_freq, closed_flags
from tableside.forecasting.engine.errors import (
    EngineError,
    InsufficientHistory,
    InvalidConfig,
    MethodUnavailable,
)
from tableside.forecasting.engine.intervals import ConformalIntervals, fit_conformal
from tableside.forecasting.engine.metrics import MetricValue, evaluate_panel
from tableside.forecasting.engine.models.base import interval_columns, prepare_panel
from tableside.forecasting.engine.types import (
    BaseModel,
    ForecastConfig,
    ForecastOutput,
    SeriesInfo,
    StaticFeatures,
)

# The longest horizon per frequency: a month of hours, a year of days, two years of weeks,
# three years of months. Beyond that a forecast says more about the method than the business.
MAX_HORIZON: Mapping[str, int] = {"h": 24 * 31, "D": 366, "W-MON": 104, "MS": 36}

# Fewer open periods than this and a series is not forecast at all (not even its mean).
MIN_OBSERVATIONS = 3

FORECASTER_PARAMS = ("min_history", "calibrate_intervals")
_PROFILE_CYCLES = 8


def _period_index(ds: pd.Series | pd.DatetimeIndex, freq: str) -> np.ndarray:
    """An integer count of periods since the epoch (its residue is the season position)."""
    index = pd.DatetimeIndex(ds)
    if freq == "MS":
        return np.asarray(index.year * 12 + index.month - 1, dtype=np.int64)
    days = index.values.astype("datetime64[D]").astype(np.int64)
    if freq == "h":
        return np.asarray(index.values.astype("datetime64[h]").astype(np.int64))
    if freq == "W-MON":
        return np.asarray(days // 7)
    return np.asarray(days)


def _check_levels(levels: Sequence[int]) -> tuple[int, ...]:
    checked = []
    for level in levels:
        if isinstance(level, bool) or not isinstance(level, int | np.integer):
            raise InvalidConfig(f"Interval level {level!r} must be an integer percentage")
        if not 0 < level < 100:
            raise InvalidConfig(f"Interval level {level} must be between 0 and 100")
        checked.append(int(level))
    return tuple(sorted(set(checked)))


class Forecaster:
    """Fit a method on a panel and forecast it (see the module docstring). ``evaluate=False``
    skips the accuracy backtest when it would only fill metrics (a backtest of the pipeline
    itself uses that); methods without native intervals still backtest for their intervals."""

    def __init__(self, config: ForecastConfig, *, evaluate: bool = True) -> None:
        self.method = registry.resolve(config.method)
        if not registry.is_available(self.method):
            raise MethodUnavailable(
                f"Method {self.method!r} is not installed here (see `pip install "
                f"tableside[{self.method}]`)"
            )
        self.freq = check_freq(config.freq)
        self.horizon = self._check_horizon(config.horizon)
        levels = _check_levels(config.levels)
        if config.backtest_windows < 0:
            raise InvalidConfig("backtest_windows must not be negative")
        if config.backtest_step is not None and config.backtest_step < 1:
            raise InvalidConfig("backtest_step must be at least 1")
        params = dict(config.params)
        season = int(config.seasonality)
        min_history = params.pop("min_history", 2 * season)
        if isinstance(min_history, bool) or not isinstance(min_history, int) or min_history < 1:
            raise InvalidConfig("Parameter 'min_history' must be a positive integer")
        calibrate = params.pop("calibrate_intervals", False)
        if not isinstance(calibrate, bool):
            raise InvalidConfig("Parameter 'calibrate_intervals' must be true or false")
        self.min_history = int(min_history)
        self.calibrate = calibrate
        self.evaluate = evaluate
        self.config = dataclasses.replace(config, freq=self.freq, levels=levels, params=params)
        self.info = registry.METHODS[self.method]
        # Built once now so that bad method parameters fail before any data is touched.
        registry.create(self.method, self.config)
        self._model: BaseModel | None = None
        self._fallback_model: BaseModel | None = None
        self._conformal: ConformalIntervals | None = None
        self._data = pd.DataFrame()
        self._end = pd.Timestamp(0)
        self._long: list[str] = []
        self._short: dict[str, str] = {}
        self._skipped: list[str] = []
        self._counts = pd.Series(dtype=int)
        self._spread = pd.Series(dtype=float)
        self._profile: np.ndarray | None = None
        self._residuals = pd.DataFrame()
        self.metrics: dict[str, dict[str, MetricValue]] = {}
        self.overall: dict[str, MetricValue] = {}

    def _check_horizon(self, horizon: int) -> int:
        if isinstance(horizon, bool) or not isinstance(horizon, int | np.integer):
            raise InvalidConfig("The horizon must be an integer number of periods")
        limit = MAX_HORIZON[self.freq]
        if not 1 <= horizon <= limit:
            raise InvalidConfig(
                f"The horizon must be between 1 and {limit} periods for {self.freq}"
            )
        return int(horizon)

    @property
    def season(self) -> int:
        return int(self.config.seasonality)

    # -- fitting -----------------------------------------------------------------------------

    def fit(self, panel: pd.DataFrame, static: StaticFeatures | None = None) -> Forecaster:
        """Learn from the panel's open periods; route short series to their fallback."""
        data = prepare_panel(panel, self.freq, self.config.exog_columns)
        data = data[~closed_flags(data["ds"], self.config.calendar, self.freq)]
        if data.empty:
            raise InsufficientHistory("The panel has no open period to learn from")
        counts = data.groupby("unique_id", sort=True).size()
        self._counts = counts
        self._skipped = sorted(counts[counts < MIN_OBSERVATIONS].index)
        self._long = sorted(counts[counts >= self.min_history].index)
        short = sorted(counts[(counts >= MIN_OBSERVATIONS) & (counts < self.min_history)].index)
        if not self._long and not short:
            raise InsufficientHistory(
                f"Every series has fewer than {MIN_OBSERVATIONS} open periods: nothing to "
                "forecast from"
            )
        data = data[~data["unique_id"].isin(self._skipped)].reset_index(drop=True)
        self._data = data
        self._end = pd.Timestamp(data["ds"].max())
        self._spread = data.groupby("unique_id", sort=True)["y"].std(ddof=1).fillna(0.0)
        long_panel = data[data["unique_id"].isin(self._long)]
        self._model = None
        if self._long:
            self._model = registry.create(self.method, self.config).fit(long_panel, static)
        self._short = self._route_short(short, static, data)
        needs_backtest = self.calibrate or not self.info.native_intervals
        self._residuals = pd.DataFrame()
        self._conformal = None
        self.metrics, self.overall = {}, {}
        if self._long and (self.evaluate or needs_backtest):
            self._residuals = self._backtest(long_panel, static)
            if not self._residuals.empty:
                if needs_backtest:
                    self._conformal = fit_conformal(self._residuals)
                if self.evaluate:
                    self.metrics, self.overall = evaluate_panel(
                        self._scored_backtest(self._residuals), levels=self.config.levels
                    )
        return self

    def _scored_backtest(self, residuals: pd.DataFrame) -> pd.DataFrame:
        """The backtest rows with the kind of intervals `predict` serves, measured out of
        sample: the method's own as it gave them in each window; conformal ones for each
        cutoff from the errors of the other cutoffs (none with a single cutoff: fitted on
        their own errors they would cover by construction)."""
        if self.info.native_intervals and not self.calibrate:
            return residuals
        bounds = [c for c in residuals.columns if c.startswith(("lo-", "hi-"))]
        residuals = residuals.drop(columns=bounds)
        cutoffs = residuals["cutoff"].unique() if "cutoff" in residuals.columns else []
        if len(cutoffs) < 2:
            return residuals
        parts = []
        for cutoff in cutoffs:
            held_out = (residuals["cutoff"] == cutoff).to_numpy()
            conformal = fit_conformal(residuals[~held_out])
            part = residuals[held_out]
            parts.append(part if conformal is None else conformal.apply(part, self.config.levels))
        return pd.concat(parts, ignore_index=True)

    def _backtest(self, panel: pd.DataFrame, static: StaticFeatures | None) -> pd.DataFrame:
        """Backtest rows of the method on the long series (for metrics and intervals)."""
        backtest = getattr(self._model, "backtest_forecasts", None)
        if isinstance(backtest, pd.DataFrame):
            return backtest
        windows = self.config.backtest_windows
        if windows < 1:
            return pd.DataFrame()
        cutoffs = common_cutoffs(
            panel, windows, self.config.horizon, self.config.backtest_step, self.freq
        )

        def forecast_fn(train: pd.DataFrame, future_exog: pd.DataFrame | None) -> pd.DataFrame:
            sizes = train.groupby("unique_id").size()
            enough = sizes[sizes >= self.min_history].index
            if len(enough) == 0:
                return pd.DataFrame(columns=["unique_id", "ds", "value"])
            train = train[train["unique_id"].isin(enough)]
            if future_exog is not None:
                future_exog = future_exog[future_exog["unique_id"].isin(enough)]
            model = registry.create(self.method, self.config).fit(train, static)
            points = model.predict(self.config.horizon, future_exog)
            # Keep the method's own bounds: the backtest measures their coverage.
            bounds = [c for c in interval_columns(self.config.levels) if c in points.columns]
            return points[["unique_id", "ds", "value", *bounds]]

        try:
            return rolling_forecasts(
                panel,
                forecast_fn,
                cutoffs=cutoffs,
                horizon=self.config.horizon,
                freq=self.freq,
                season_length=self.season,
                exog_columns=self.config.exog_columns,
            )
        except InsufficientHistory:
            return pd.DataFrame()

    def _route_short(
        self, short: list[str], static: StaticFeatures | None, data: pd.DataFrame
    ) -> dict[str, str]:
        """Choose each short series' fallback (see the module docstring)."""
        routes: dict[str, str] = {}
        self._fallback_model = None
        self._profile = None
        if not short:
            return routes
        grouped = []
        if static is not None and registry.is_available("gradient_boosting"):
            for uid in short:
                groups = static.groups.get(uid, {})
                key = "category" if groups.get("category") else None
                key = key or ("location" if groups.get("location") else None)
                if key:
                    routes[uid] = key
                    grouped.append(uid)
        if grouped:
            config = dataclasses.replace(self.config, method="gradient_boosting", params={})
            try:
                self._fallback_model = registry.create("gradient_boosting", config).fit(
                    data, static
                )
            except EngineError:
                self._fallback_model = None
                for uid in grouped:
                    routes.pop(uid)
        if self._long:
            self._profile = self._business_profile(data[data["unique_id"].isin(self._long)])
        for uid in short:
            if uid in routes:
                continue
            if self._profile is not None:
                routes[uid] = "business"
            elif self._counts[uid] >= self.season:
                routes[uid] = "seasonal_naive"
            else:
                routes[uid] = "mean"
        return routes

    def _business_profile(self, panel: pd.DataFrame) -> np.ndarray:
        """The median over series of each season position's share of the series' recent
        mean (the last `_PROFILE_CYCLES` seasons), normalized to a mean of 1."""
        recent = panel.groupby("unique_id", sort=False).tail(_PROFILE_CYCLES * self.season)
        level = recent.groupby("unique_id")["y"].transform("mean")
        ratio = (recent["y"] / level.where(level > 0)).to_numpy()
        position = _period_index(recent["ds"], self.freq) % self.season
        frame = pd.DataFrame({"uid": recent["unique_id"].to_numpy(), "pos": position, "r": ratio})
        by_series = frame.groupby(["uid", "pos"])["r"].mean()
        profile = by_series.groupby(level="pos").median().reindex(range(self.season))
        values = profile.to_numpy(dtype=float)
        values = np.where(np.isfinite(values) & (values > 0), values, np.nan)
        if np.isnan(values).all():
            return np.ones(self.season)
        values = np.where(np.isnan(values), np.nanmean(values), values)
        return np.asarray(values / values.mean())

    # -- forecasting -------------------------------------------------------------------------

    def predict(
        self, horizon: int | None = None, future_exog: pd.DataFrame | None = None
    ) -> ForecastOutput:
        """Forecast ``horizon`` periods (default the config's) after the panel's end."""
        if self._data.empty:
            raise InvalidConfig("The forecaster must be fitted before it predicts")
        horizon = self._check_horizon(self.config.horizon if horizon is None else horizon)
        levels = self.config.levels
        parts = []
        infos: dict[str, SeriesInfo] = {}
        native = self.info.native_intervals and not self.calibrate
        if self._model is not None:
            points = self._trimmed(self._model, self._long, horizon, future_exog)
            if not native or not all(f"lo-{lv}" in points.columns for lv in levels):
                points = self._add_intervals(points, levels)
            parts.append(points)
            used = self._methods_used()
            for uid in self._long:
                infos[uid] = SeriesInfo(
                    uid, used.get(uid, self.method), None, int(self._counts[uid])
                )
        if self._short:
            points = self._add_intervals(self._fallback_points(horizon, future_exog), levels)
            parts.append(points)
            for uid, route in self._short.items():
                method = {
                    "category": "gradient_boosting",
                    "location": "gradient_boosting",
                    "business": "business_profile",
                }.get(route, route)
                infos[uid] = SeriesInfo(uid, method, route, int(self._counts[uid]))
        out = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        out = self._finish(out, levels)
        return ForecastOutput(
            points=out,
            series=dict(sorted(infos.items())),
            levels=levels,
            metrics=dict(self.metrics),
            overall=dict(self.overall),
            feature_importance=self._importance(),
            parameters=self._parameters(horizon, native),
        )

    def _trimmed(
        self,
        model: BaseModel,
        ids: Sequence[str],
        horizon: int,
        future_exog: pd.DataFrame | None,
    ) -> pd.DataFrame:
        """The model's forecasts cut to ``horizon`` periods after the panel's end for the
        series that ended within the last season (see the module docstring)."""
        last = self._data[self._data["unique_id"].isin(ids)].groupby("unique_id")["ds"].max()
        end = _period_index(pd.DatetimeIndex([self._end]), self.freq)[0]
        lag = end - _period_index(last, self.freq)
        recent = pd.Series(lag, index=last.index)
        recent = recent[recent <= self.season]
        extra = int(recent.max()) if len(recent) and not self.config.exog_columns else 0
        points = model.predict(horizon + extra, future_exog)
        points = points.sort_values(["unique_id", "ds"], kind="stable")
        shifted = points["unique_id"].isin(recent.index) & (extra > 0)
        keep = ~shifted | (points["ds"] > self._end)
        points = points[keep]
        points = points.groupby("unique_id", sort=False).head(horizon)
        return points.reset_index(drop=True)

    def _methods_used(self) -> dict[str, str]:
        methods = getattr(self._model, "series_methods", None)
        if callable(methods):
            return dict(methods())
        return {}

    def _fallback_points(self, horizon: int, future_exog: pd.DataFrame | None) -> pd.DataFrame:
        frames = []
        grouped = [uid for uid, route in self._short.items() if route in ("category", "location")]
        if grouped and self._fallback_model is not None:
            points = self._trimmed(self._fallback_model, grouped, horizon, future_exog)
            frames.append(points[points["unique_id"].isin(grouped)][["unique_id", "ds", "value"]])
        future = pd.date_range(self._end, periods=horizon + 1, freq=self.freq)[1:]
        position = _period_index(future, self.freq) % self.season
        for uid, route in self._short.items():
            if route in ("category", "location"):
                continue
            history = self._data[self._data["unique_id"] == uid]
            own_position = _period_index(history["ds"], self.freq) % self.season
            y = history["y"].to_numpy(dtype=float)
            if route == "business" and self._profile is not None:
                shape = self._profile[own_position].mean()
                level = y.mean() / shape if shape > 0 else y.mean()
                values = level * self._profile[position]
            elif route == "seasonal_naive":
                latest = pd.Series(y).groupby(own_position).last()
                values = latest.reindex(position).fillna(y.mean()).to_numpy()
            else:
                values = np.full(horizon, y.mean())
            frames.append(pd.DataFrame({"unique_id": uid, "ds": future, "value": values}))
        return pd.concat(frames, ignore_index=True)

    def _add_intervals(self, points: pd.DataFrame, levels: Sequence[int]) -> pd.DataFrame:
        points = points[["unique_id", "ds", "value"]].sort_values(["unique_id", "ds"])
        if self._conformal is not None:
            return self._conformal.apply(points.reset_index(drop=True), levels)
        # No backtest residual: normal intervals from each series' own spread.
        spread = self._spread.reindex(points["unique_id"]).fillna(0.0).to_numpy()
        out = points.reset_index(drop=True)
        for level in levels:
            z = NormalDist().inv_cdf(0.5 + level / 200.0)
            out[f"lo-{level}"] = out["value"].to_numpy() - z * spread
            out[f"hi-{level}"] = out["value"].to_numpy() + z * spread
        return out

    def _finish(self, points: pd.DataFrame, levels: Sequence[int]) -> pd.DataFrame:
        """Zero closed periods, clip at 0, order bounds and nest the levels."""
        out = points.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
        columns = ["unique_id", "ds", "value"]
        value = np.clip(out["value"].to_numpy(dtype=float), 0.0, None)
        closed = closed_flags(out["ds"], self.config.calendar, self.freq)
        value[closed] = 0.0
        out["value"] = value
        lower, upper = value.copy(), value.copy()
        # Narrow levels first: a wider interval must contain every narrower one.
        for level in sorted(levels):
            lo = np.clip(out[f"lo-{level}"].to_numpy(dtype=float), 0.0, None)
            hi = np.clip(out[f"hi-{level}"].to_numpy(dtype=float), 0.0, None)
            lo = np.minimum(np.nan_to_num(lo, nan=0.0), lower)
            hi = np.maximum(np.nan_to_num(hi, nan=0.0), upper)
            lo[closed] = 0.0
            hi[closed] = 0.0
            out[f"lo-{level}"], out[f"hi-{level}"] = lo, hi
            lower, upper = lo, hi
            columns += [f"lo-{level}", f"hi-{level}"]
        out["ds"] = pd.to_datetime(out["ds"]).astype("datetime64[ns]")
        return out[columns]

    def _importance(self) -> dict[str, float] | None:
        if self._model is None:
            return None
        if self.info.tree_model or self.info.family == "combination":
            return self._model.feature_importance()
        return None

    def _parameters(self, horizon: int, native: bool) -> dict[str, object]:
        parameters: dict[str, Any] = {
            "method": self.method,
            "freq": self.freq,
            "horizon": horizon,
            "levels": list(self.config.levels),
            "season_length": self.season,
            "params": dict(self.config.params),
            "min_history": self.min_history,
            "trained_through": self._end.isoformat(),
            "intervals": "native" if native else "conformal",
            "skipped_series": list(self._skipped),
        }
        for attribute in ("weights", "scores", "failed", "chosen_variant"):
            value = getattr(self._model, attribute, None)
            if value:
                parameters[attribute] = dict(value)
        return parameters


def forecast(
    panel: pd.DataFrame,
    config: ForecastConfig,
    static: StaticFeatures | None = None,
    future_exog: pd.DataFrame | None = None,
) -> ForecastOutput:
    """Fit ``config``'s method on ``panel`` and forecast ``config.horizon`` periods."""
    return Forecaster(config).fit(panel, static).predict(config.horizon, future_exog)


__all__ = ["FORECASTER_PARAMS", "MAX_HORIZON", "MIN_OBSERVATIONS", "Forecaster", "forecast"]

"""Machine-learning methods: one global LightGBM model (gradient boosting or random forest) over
every series of the panel through mlforecast, and a per-series linear regression.

The global model
----------------
- Target: per-series scaled, so a 20-cover café and a 300-cover brasserie share one model.
  Non-negative data is modelled as ``log1p(y)`` minus the series' mean of ``log1p(y)`` (the
  level); data with negatives as ``(y - mean) / std``. The level is also a static feature, so
  big and small series may still behave differently.
- Forecasting is recursive: one model, one step ahead, with its own predictions feeding the
  lags of later steps. A direct model per horizon step would cost ``horizon`` fits (28 for four
  weeks daily) and lags of at least the horizon alone lose last week's level, which on
  restaurant data matters more than the error that recursion compounds.
- Loss: LightGBM's "fair" loss by default, robust like L1 (one-off spikes and dips, common in
  restaurant data, barely move it) at the speed of L2; plain L1 is slightly more accurate but
  several times slower to train. On Recruit (822 series, last 28 days held out, MASE with a
  weekly naive scale) fair scored 0.773, L1 0.770, L2 0.788.
- Features: lags by season (daily: 1, 7, 14, 21, 28; hourly: 1, 2, 24, 48, 168, 336), rolling
  means of the last week and month, same-weekday rolling means over 4 and 12 weeks (the
  series' recent weekly profile), and with ``median_windows`` (a list of season counts, e.g.
  ``[4, 8, 16, 52]``; default none) the same-weekday rolling medians over those many
  seasons: the robust weekday level of the seasonal medians, which one-off spikes and
  sparse demand barely move (the candidate of `best` uses them: alone it was 2 % more
  accurate on both benchmark data sets); calendar features from
  `calendar.calendar_features` (weekday, hour, month, holidays and distances to them, all known
  in advance); the config's exogenous columns (future values from ``future_exog``); static
  group features (category, location) as categoricals, which is how a short series borrows
  from its group.
- Gaps are filled (`calendar.fill_gaps`) so lags are aligned in time, but the filled rows have
  zero weight: they feed lags, they are never learned as demand.
- Threads: ``num_threads`` (or ``n_jobs``) defaults to 1. LightGBM's OpenMP threads slow down
  sharply when the cores are already busy (statsforecast workers, other jobs): on 2 shared
  cores one thread trained Recruit in 8 s where two took 31 s. Give it more only when the
  cores are free.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from statistics import NormalDist
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from mlforecast import MLForecast
from mlforecast.lag_transforms import (
    RollingMean,
    RollingStd,
    SeasonalRollingMean,
    SeasonalRollingQuantile,
)

from tableside.forecasting.engine.calendar import (
    calendar_feature_names,
    calendar_features,
    check_freq,
    closed_flags,
    fill_gaps,
    future_frame,
)
from tableside.forecasting.engine.errors import InvalidConfig
from tableside.forecasting.engine.models.base import (
    check_horizon,
    check_levels,
    check_params,
    float_param,
    int_param,
    interval_columns,
    merge_future_exog,
    n_jobs_param,
    not_fitted,
    prepare_panel,
)
from tableside.forecasting.engine.types import ForecastConfig, StaticFeatures

# Target lags per frequency: the recent periods and whole seasons back.
DEFAULT_LAGS: dict[str, tuple[int, ...]] = {
    "h": (1, 2, 24, 48, 168, 336),
    "D": (1, 7, 14, 21, 28),
    "W-MON": (1, 2, 3, 4, 52),
    "MS": (1, 2, 3, 12),
}

# is_closed is left out of the model: every closed training row is a filled one with zero
# weight, so the model could learn nothing from it (the forecaster zeroes closed periods).
_UNUSED_CALENDAR = {"is_closed"}
# Losses on the scaled target; fair_c is about a third of a typical day-to-day deviation of
# log demand, so ordinary days are fitted as with L2 and outliers count linearly.
_OBJECTIVES: dict[str, dict[str, Any]] = {
    "fair": {"objective": "fair", "fair_c": 0.1},
    "l1": {"objective": "l1"},
    "l2": {"objective": "l2"},
    "huber": {"objective": "huber", "alpha": 0.2},
}
_WEIGHT = "_weight"
_LEVEL = "series_level"
_UNKNOWN_GROUP = "unknown"


def _lag_transforms(
    freq: str, season: int, median_windows: Sequence[int] = ()
) -> dict[int, list[Any]]:
    transforms = _base_lag_transforms(freq, season)
    if median_windows and season > 1:
        # The median of the same season position over the last n seasons (for daily data the
        # same weekday over n weeks): the robust weekday level that the seasonal medians
        # forecast with, as a feature, so the tree can start from it and learn when to leave
        # it. Half the window suffices, so a series younger than the window still gets it.
        medians = [
            SeasonalRollingQuantile(
                p=0.5, season_length=season, window_size=n, min_samples=max(1, n // 2)
            )
            for n in median_windows
        ]
        transforms[season] = [*transforms.get(season, []), *medians]
    return transforms


def _base_lag_transforms(freq: str, season: int) -> dict[int, list[Any]]:
    if freq == "D":
        return {
            1: [RollingMean(window_size=7), RollingMean(window_size=28)],
            7: [
                SeasonalRollingMean(season_length=7, window_size=4),
                SeasonalRollingMean(season_length=7, window_size=12),
            ],
        }
    if freq == "h":
        return {
            1: [RollingMean(window_size=24), RollingStd(window_size=24)],
            24: [SeasonalRollingMean(season_length=24, window_size=7)],
            168: [SeasonalRollingMean(season_length=168, window_size=4)],
        }
    return {1: [RollingMean(window_size=max(2, min(season, 4))), RollingStd(window_size=4)]}


# A recursive forecast never exceeds this multiple of the series' largest observed value.
CEILING_FACTOR = 3.0


class _Scaler:
    """Per-series target scaling (see the module docstring)."""

    def __init__(self, log: bool) -> None:
        self.log = log
        self.center: pd.Series = pd.Series(dtype=float)
        self.scale: pd.Series = pd.Series(dtype=float)

    def fit(self, uid: pd.Series, y: np.ndarray) -> _Scaler:
        values = np.log1p(y) if self.log else y
        grouped = pd.Series(values).groupby(uid.to_numpy(), sort=True)
        self.center = grouped.mean()
        if self.log:
            self.scale = pd.Series(1.0, index=self.center.index)
        else:
            std = grouped.std(ddof=0).fillna(0.0)
            # A flat series has no spread: scale by its size (or 1) rather than divide by zero.
            fallback = self.center.abs().where(self.center.abs() > 0, 1.0)
            self.scale = std.where(std > 1e-9, fallback)
        return self

    def transform(self, uid: pd.Series, y: np.ndarray) -> np.ndarray:
        values = np.log1p(y) if self.log else y
        center = uid.map(self.center).to_numpy(dtype=float)
        scale = uid.map(self.scale).to_numpy(dtype=float)
        return np.asarray((values - center) / scale, dtype=float)

    def inverse(self, uid: pd.Series, z: np.ndarray) -> np.ndarray:
        center = uid.map(self.center).to_numpy(dtype=float)
        scale = uid.map(self.scale).to_numpy(dtype=float)
        values = z * scale + center
        return np.asarray(np.expm1(values) if self.log else values, dtype=float)


class _GlobalTreeMethod:
    """One LightGBM model over all series (shared by gradient boosting and random forest)."""

    name = "global_tree"
    native_intervals = False
    _params: tuple[str, ...] = (
        "n_jobs",
        "num_threads",
        "n_estimators",
        "learning_rate",
        "num_leaves",
        "min_child_samples",
        "feature_fraction",
        "lags",
        "log_target",
        "objective",
        "median_windows",
    )
    _defaults: dict[str, Any] = {}

    def __init__(self, config: ForecastConfig) -> None:
        check_params(self.name, config.params, self._params)
        self.config = config
        self.freq = check_freq(config.freq)
        self.season = int(config.seasonality)
        self.levels = check_levels(config.levels)
        threads_key = "num_threads" if "num_threads" in config.params else "n_jobs"
        self.num_threads = n_jobs_param(config, threads_key)
        self.n_estimators = int_param(config, "n_estimators", self._defaults["n_estimators"], 1)
        self.learning_rate = float_param(
            config, "learning_rate", self._defaults["learning_rate"], 1e-4, 1.0
        )
        self.num_leaves = int_param(config, "num_leaves", self._defaults["num_leaves"], 2)
        self.min_child_samples = int_param(config, "min_child_samples", 20, 1)
        self.feature_fraction = float_param(
            config, "feature_fraction", self._defaults["feature_fraction"], 0.05, 1.0
        )
        lags = config.params.get("lags")
        if lags is None:
            self.lags: tuple[int, ...] = DEFAULT_LAGS[self.freq]
        elif (
            isinstance(lags, list | tuple)
            and lags
            and all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in lags)
        ):
            self.lags = tuple(sorted({int(v) for v in lags}))
        else:
            raise InvalidConfig("Parameter 'lags' must be a list of positive integers")
        windows = config.params.get("median_windows", ())
        if not isinstance(windows, list | tuple) or not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in windows
        ):
            raise InvalidConfig("Parameter 'median_windows' must be a list of positive integers")
        self.median_windows = tuple(sorted({int(v) for v in windows}))
        log_target = config.params.get("log_target", True)
        if not isinstance(log_target, bool):
            raise InvalidConfig("Parameter 'log_target' must be true or false")
        self.log_target = log_target
        objective = config.params.get("objective", self._defaults["objective"])
        if objective not in _OBJECTIVES:
            raise InvalidConfig(f"Parameter 'objective' must be one of {sorted(_OBJECTIVES)}")
        self.objective = str(objective)
        self.exog_columns = tuple(config.exog_columns)
        self.calendar_columns = [
            c
            for c in calendar_feature_names(self.freq)
            if c not in _UNUSED_CALENDAR and c not in self.exog_columns
        ]
        self._mlf: MLForecast | None = None
        self._scaler: _Scaler | None = None
        self._static: pd.DataFrame | None = None
        self._last: pd.DataFrame | None = None
        self._tail = np.zeros((0, self.season))
        self._ceiling = np.zeros(0)
        self.filled_: pd.DataFrame | None = None

    def _booster_params(self) -> dict[str, Any]:
        raise NotImplementedError

    def _regressor(self) -> lgb.LGBMRegressor:
        return lgb.LGBMRegressor(
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            num_leaves=self.num_leaves,
            min_child_samples=self.min_child_samples,
            colsample_bytree=self.feature_fraction,
            random_state=self.config.seed,
            n_jobs=self.num_threads,
            deterministic=True,
            force_row_wise=True,
            verbose=-1,
            **_OBJECTIVES[self.objective],
            **self._booster_params(),
        )

    def _static_frame(self, ids: np.ndarray, static: StaticFeatures | None) -> pd.DataFrame:
        frame = pd.DataFrame({"unique_id": ids})
        if static is None:
            return frame
        for key in static.keys():  # noqa: SIM118 (StaticFeatures.keys is not a dict)
            values = [static.groups.get(uid, {}).get(key, _UNKNOWN_GROUP) for uid in ids]
            frame[f"group_{key}"] = pd.Categorical(values)
        return frame

    def fit(self, panel: pd.DataFrame, static: StaticFeatures | None = None) -> _GlobalTreeMethod:
        """Train the global model on every series of ``panel``."""
        data = prepare_panel(panel, self.freq, self.exog_columns)
        regular = fill_gaps(data, self.freq, self.config.calendar, self.season)
        frame = regular.panel
        self.filled_ = frame.loc[regular.filled, ["unique_id", "ds"]].reset_index(drop=True)
        observed = ~regular.filled
        log = self.log_target and bool((data["y"] >= 0).all())
        self._scaler = _Scaler(log).fit(data["unique_id"], data["y"].to_numpy(dtype=float))
        frame["y"] = self._scaler.transform(frame["unique_id"], frame["y"].to_numpy(dtype=float))
        frame[_WEIGHT] = observed.astype(float)
        features = calendar_features(frame["ds"], self.config.calendar, self.freq)
        for column in self.calendar_columns:
            frame[column] = features[column].to_numpy()
        ids = self._scaler.center.index.to_numpy()
        static_frame = self._static_frame(ids, static)
        static_frame[_LEVEL] = self._scaler.center.reindex(ids).to_numpy()
        self._static = static_frame
        frame = frame.merge(static_frame, on="unique_id", how="left")
        static_columns = [c for c in static_frame.columns if c != "unique_id"]
        self._mlf = MLForecast(
            models={"model": self._regressor()},
            freq=self.freq,
            lags=list(self.lags),
            lag_transforms=_lag_transforms(self.freq, self.season, self.median_windows),
            num_threads=self.num_threads,
        )
        self._mlf.fit(
            frame,
            static_features=static_columns,
            dropna=False,
            weight_col=_WEIGHT,
        )
        self._last = frame.groupby("unique_id", sort=True)[["ds"]].max().reset_index()
        if list(self._mlf.ts.uids) != list(self._last["unique_id"]):
            raise RuntimeError("mlforecast ordered the series unexpectedly")
        self._tail = _last_season(frame, self.season)
        self._ceiling = self._scaled_ceiling(data)
        return self

    def _scaled_ceiling(self, data: pd.DataFrame) -> np.ndarray:
        """Per series (in the model's order), `CEILING_FACTOR` times its record, scaled like
        the target: recursive forecasts feed their own lags, and an unlucky step past anything
        seen can compound over the horizon (1e59 visitors at a learning rate of 0.1)."""
        assert self._scaler is not None and self._last is not None
        record = data.groupby("unique_id", sort=True)["y"].max()
        ids = self._last["unique_id"]
        ceiling = CEILING_FACTOR * np.abs(record.reindex(ids).to_numpy(dtype=float))
        return self._scaler.transform(ids.reset_index(drop=True), ceiling)

    def _future_features(self, horizon: int, future_exog: pd.DataFrame | None) -> pd.DataFrame:
        assert self._last is not None
        future = future_frame(self._last, horizon, self.freq)[["unique_id", "ds"]]
        features = calendar_features(future["ds"], self.config.calendar, self.freq)
        for column in self.calendar_columns:
            future[column] = features[column].to_numpy()
        if self.exog_columns:
            future = merge_future_exog(future, future_exog, self.exog_columns, horizon)
        return future

    def predict(self, horizon: int, future_exog: pd.DataFrame | None = None) -> pd.DataFrame:
        """Recursive forecasts of the next ``horizon`` periods of every series."""
        horizon = check_horizon(horizon)
        if self._mlf is None or self._scaler is None:
            raise not_fitted(self.name)
        future = self._future_features(horizon, future_exog)
        callback = _ClosedPeriodFill(
            self._tail,
            closed_flags(future["ds"], self.config.calendar, self.freq).reshape(-1, horizon),
            ceiling=self._ceiling,
        )
        with warnings.catch_warnings():
            # Series shorter than the longest lag have missing lags by design: LightGBM
            # routes missing values natively, so mlforecast's warning is noise here.
            warnings.filterwarnings("ignore", message="Found null values", category=UserWarning)
            raw = self._mlf.predict(h=horizon, X_df=future, after_predict_callback=callback)
        raw["unique_id"] = raw["unique_id"].astype(str)
        values = self._scaler.inverse(raw["unique_id"], raw["model"].to_numpy(dtype=float))
        out = pd.DataFrame(
            {"unique_id": raw["unique_id"].to_numpy(), "ds": raw["ds"].to_numpy(), "value": values}
        )
        return out.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)

    def feature_importance(self) -> dict[str, float] | None:
        """Gain importance per feature, normalized to sum to 1 (None before fit). A model
        that made no split (a constant series: nothing to learn) gives every feature 0, not an
        even share that would read as "all equally useful"."""
        if self._mlf is None:
            return None
        fitted: Any = self._mlf.models_["model"]
        booster: Any = fitted.booster_
        gains = np.asarray(booster.feature_importance(importance_type="gain"), dtype=np.float64)
        names: Sequence[str] = booster.feature_name()
        total = float(gains.sum())
        if total <= 0:
            return dict.fromkeys(names, 0.0)
        return {name: float(gain / total) for name, gain in zip(names, gains, strict=True)}


def _last_season(frame: pd.DataFrame, season: int) -> np.ndarray:
    """The last ``season`` (scaled) values of each series, one row per series in sorted order,
    NaN-padded in front for series shorter than a season."""
    sizes = frame.groupby("unique_id", sort=True).size().to_numpy()
    ends = np.cumsum(sizes)
    y = frame["y"].to_numpy(dtype=float)
    tail = np.full((len(sizes), season), np.nan)
    for k in range(season):
        back = season - k
        ok = sizes >= back
        tail[ok, k] = y[ends[ok] - back]
    return tail


class _ClosedPeriodFill:
    """mlforecast callback for recursive forecasts. Each step is capped at the series'
    ceiling, and a closed future period (calendar) gets the value of one season before
    instead of the model's guess, exactly as `fill_gaps` treats closed periods in the history,
    so the lags of the following open periods look like the ones the model was trained on.
    (Closed rows have zero weight in training: what the model would predict for them is
    meaningless, and it would leak into the next days' lags.)"""

    def __init__(self, tail: np.ndarray, closed: np.ndarray, ceiling: np.ndarray) -> None:
        self.history = [tail[:, k] for k in range(tail.shape[1])]
        self.season = tail.shape[1]
        self.closed = closed
        self.ceiling = ceiling
        self.step = 0

    def __call__(self, predictions: np.ndarray) -> np.ndarray:
        values = np.minimum(np.asarray(predictions, dtype=float), self.ceiling)
        if self.step < self.closed.shape[1]:
            closed = self.closed[:, self.step]
            seasonal = self.history[-self.season]
            use = closed & ~np.isnan(seasonal)
            values[use] = seasonal[use]
        self.history.append(values)
        self.step += 1
        return values


class GradientBoostingMethod(_GlobalTreeMethod):
    """Global LightGBM gradient boosting (see the module docstring). Params: ``n_estimators``
    (300), ``learning_rate`` (0.05), ``num_leaves`` (31), ``min_child_samples`` (20),
    ``feature_fraction`` (0.8), ``objective`` ("fair", "l1", "l2", "huber"), ``lags``,
    ``median_windows`` (none), ``log_target`` (True), ``num_threads``/``n_jobs`` (1)."""

    name = "gradient_boosting"
    _defaults = {
        "n_estimators": 300,
        "learning_rate": 0.05,
        "num_leaves": 31,
        "feature_fraction": 0.8,
        "objective": "fair",
    }

    def _booster_params(self) -> dict[str, Any]:
        return {"boosting_type": "gbdt", "subsample": 0.8, "subsample_freq": 1}


class RandomForestMethod(_GlobalTreeMethod):
    """The same global model as a random forest, with LightGBM's ``rf`` boosting (bagged trees
    on 63% of the rows and 80% of the features each): far faster than scikit-learn's forest on
    hundreds of thousands of rows, and it handles missing lags natively."""

    name = "random_forest"
    _defaults = {
        "n_estimators": 100,
        "learning_rate": 0.1,
        "num_leaves": 127,
        "feature_fraction": 0.8,
        # A forest averages its trees: each must fit the target itself, which only the
        # squared loss does without boosting's later corrections.
        "objective": "l2",
    }

    def _booster_params(self) -> dict[str, Any]:
        return {"boosting_type": "rf", "subsample": 0.632, "subsample_freq": 1}


class LinearTrendMethod:
    """Per-series least squares on an intercept, a linear trend, season-position dummies
    (weekday for daily data; hour and weekday for hourly; month for weekly and monthly),
    a holiday flag and the exogenous columns. Fitted on the open periods only (no filling
    needed). Intervals are normal prediction intervals from the residual standard deviation,
    widened by the parameter uncertainty of each future point. ``history`` (periods, default
    all) limits the fit to the most recent part of each series."""

    name = "linear_trend"
    native_intervals = True

    def __init__(self, config: ForecastConfig) -> None:
        check_params(self.name, config.params, ("history", "n_jobs"))
        self.config = config
        self.freq = check_freq(config.freq)
        self.levels = check_levels(config.levels)
        history = config.params.get("history")
        self.history = None if history is None else int_param(config, "history", 0, 2)
        self.exog_columns = tuple(config.exog_columns)
        self._fits: dict[str, tuple[np.ndarray, np.ndarray, float, pd.Timestamp, pd.Timestamp]]
        self._fits = {}

    def _step(self) -> pd.Timedelta | None:
        if self.freq == "h":
            return pd.Timedelta(hours=1)
        if self.freq == "D":
            return pd.Timedelta(days=1)
        if self.freq == "W-MON":
            return pd.Timedelta(days=7)
        return None

    def _trend(self, ds: pd.Series, origin: pd.Timestamp) -> np.ndarray:
        step = self._step()
        if step is None:
            stamps = pd.DatetimeIndex(ds)
            return np.asarray(
                (stamps.year - origin.year) * 12 + (stamps.month - origin.month), dtype=float
            )
        return np.asarray((pd.DatetimeIndex(ds) - origin) / step, dtype=float)

    def _holidays(self, ds: pd.Series) -> np.ndarray:
        """The holiday column of the design for every row of ``ds`` (one call per panel:
        per series it cost most of the method's time)."""
        features = calendar_features(ds, self.config.calendar, self.freq)
        return features["is_holiday"].to_numpy(dtype=float)

    def _design(
        self, ds: pd.Series, exog: np.ndarray, origin: pd.Timestamp, holidays_: np.ndarray
    ) -> np.ndarray:
        index = pd.DatetimeIndex(ds)
        columns = [np.ones(len(index)), self._trend(ds, origin)]
        if self.freq in ("h", "D"):
            weekday = index.weekday.to_numpy()
            columns += [(weekday == d).astype(float) for d in range(1, 7)]
        if self.freq == "h":
            hour = index.hour.to_numpy()
            columns += [(hour == h).astype(float) for h in range(1, 24)]
        if self.freq in ("W-MON", "MS"):
            month = index.month.to_numpy()
            columns += [(month == m).astype(float) for m in range(2, 13)]
        columns.append(holidays_)
        matrix = np.column_stack(columns)
        if exog.size:
            matrix = np.column_stack([matrix, exog])
        return matrix

    def fit(self, panel: pd.DataFrame, static: StaticFeatures | None = None) -> LinearTrendMethod:
        """One least-squares fit per series (small dense problems, fast even for hundreds)."""
        data = prepare_panel(panel, self.freq, self.exog_columns)
        holidays_ = self._holidays(data["ds"])
        self._fits = {}
        for uid, rows in data.groupby("unique_id", sort=True).indices.items():
            if self.history is not None:
                rows = rows[-self.history :]
            part = data.iloc[rows]
            origin = part["ds"].iloc[0]
            exog = part[list(self.exog_columns)].to_numpy(dtype=float)
            x = self._design(part["ds"], exog, origin, holidays_[rows])
            y = part["y"].to_numpy(dtype=float)
            # Ridge-free least squares through the pseudo-inverse: dummies of a weekday the
            # series never trades on are all zero and simply get a zero coefficient.
            xtx_inv = np.linalg.pinv(x.T @ x)
            beta = xtx_inv @ x.T @ y
            residual = y - x @ beta
            dof = max(len(y) - np.linalg.matrix_rank(x), 1)
            sigma = float(np.sqrt(residual @ residual / dof)) if len(y) > 1 else float(abs(y[0]))
            self._fits[str(uid)] = (beta, xtx_inv, sigma, origin, part["ds"].iloc[-1])
        return self

    def predict(self, horizon: int, future_exog: pd.DataFrame | None = None) -> pd.DataFrame:
        """Point forecasts and normal intervals for the next ``horizon`` periods."""
        horizon = check_horizon(horizon)
        if not self._fits:
            raise not_fitted(self.name)
        last = pd.DataFrame(
            {"unique_id": list(self._fits), "ds": [fit[4] for fit in self._fits.values()]}
        )
        future = future_frame(last, horizon, self.freq)[["unique_id", "ds"]]
        if self.exog_columns:
            future = merge_future_exog(future, future_exog, self.exog_columns, horizon)
        z = {level: NormalDist().inv_cdf(0.5 + level / 200) for level in self.levels}
        future = future.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
        holidays_ = self._holidays(future["ds"])
        value = np.zeros(len(future))
        spread = np.zeros(len(future))
        for uid, rows in future.groupby("unique_id", sort=True).indices.items():
            beta, xtx_inv, sigma, origin, _ = self._fits[str(uid)]
            part = future.iloc[rows]
            exog = part[list(self.exog_columns)].to_numpy(dtype=float)
            x = self._design(part["ds"], exog, origin, holidays_[rows])
            value[rows] = x @ beta
            spread[rows] = sigma * np.sqrt(1.0 + np.einsum("ij,jk,ik->i", x, xtx_inv, x))
        out = future[["unique_id", "ds"]].copy()
        out["value"] = value
        for level in self.levels:
            out[f"lo-{level}"] = value - z[level] * spread
            out[f"hi-{level}"] = value + z[level] * spread
        return out[["unique_id", "ds", "value", *interval_columns(self.levels)]]

    def feature_importance(self) -> dict[str, float] | None:
        """A linear model reports no feature importance."""
        return None

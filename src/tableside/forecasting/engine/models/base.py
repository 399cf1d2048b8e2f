"""What every base method shares: panel validation, parameter checking and the output shape."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from tableside.forecasting.engine.calendar import check_freq
from tableside.forecasting.engine.errors import InsufficientHistory, InvalidConfig
from tableside.forecasting.engine.types import ForecastConfig

KEYS = ["unique_id", "ds"]


def interval_columns(levels: Sequence[int]) -> list[str]:
    """``lo-L`` and ``hi-L`` column names for each level, in level order."""
    return [f"{side}-{level}" for level in levels for side in ("lo", "hi")]


def _aligned(ds: pd.Series, freq: str) -> bool:
    """Whether every timestamp is the start of a period of ``freq``."""
    index = pd.DatetimeIndex(ds)
    if freq == "h":
        return bool((index == index.floor("h")).all())
    midnight = index == index.normalize()
    if freq == "D":
        return bool(midnight.all())
    if freq == "W-MON":
        return bool((midnight & (index.weekday == 0)).all())
    return bool((midnight & (index.day == 1)).all())


def prepare_panel(panel: pd.DataFrame, freq: str, exog_columns: Sequence[str] = ()) -> pd.DataFrame:
    """Check a panel (see `types`) and return a clean copy: ``unique_id`` as str, ``ds`` as
    naive datetime64[ns] on the frequency's grid, ``y`` finite float, the exogenous columns
    numeric, sorted by series then time. Raises InvalidConfig or InsufficientHistory."""
    freq = check_freq(freq)
    missing = [c for c in ("unique_id", "ds", "y", *exog_columns) if c not in panel.columns]
    if missing:
        raise InvalidConfig(f"The panel lacks the column(s) {missing}")
    if len(panel) == 0:
        raise InsufficientHistory("The panel has no observations")
    data = panel[["unique_id", "ds", "y", *exog_columns]].copy()
    if isinstance(data["ds"].dtype, pd.DatetimeTZDtype):
        raise InvalidConfig("ds must be naive business-local time, not time-zone aware")
    try:
        data["ds"] = pd.to_datetime(data["ds"]).astype("datetime64[ns]")
    except (TypeError, ValueError) as exc:
        raise InvalidConfig(f"ds is not a timestamp column: {exc}") from exc
    if not _aligned(data["ds"], freq):
        raise InvalidConfig(f"Some ds values are not period starts of frequency {freq!r}")
    data["unique_id"] = data["unique_id"].astype(str)
    for column in ("y", *exog_columns):
        values = pd.to_numeric(data[column], errors="coerce").astype(float)
        if not np.isfinite(values.to_numpy()).all():
            raise InvalidConfig(f"Column {column!r} has missing or non-numeric values")
        data[column] = values
    if data.duplicated(KEYS).any():
        raise InvalidConfig("The panel has more than one row for some (unique_id, ds)")
    return data.sort_values(KEYS, kind="stable").reset_index(drop=True)


def check_params(method: str, params: Mapping[str, object], allowed: Sequence[str]) -> None:
    """Reject parameters the method does not know (a typo should not pass silently)."""
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise InvalidConfig(
            f"Unknown parameter(s) {unknown} for method {method!r}; allowed: {sorted(allowed)}"
        )


def int_param(config: ForecastConfig, key: str, default: int, minimum: int | None = None) -> int:
    """An integer parameter of ``config.params`` (bools are not integers here)."""
    value = config.params.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InvalidConfig(f"Parameter {key!r} must be an integer")
    if minimum is not None and value < minimum:
        raise InvalidConfig(f"Parameter {key!r} must be at least {minimum}")
    return int(value)


def float_param(
    config: ForecastConfig,
    key: str,
    default: float,
    low: float | None = None,
    high: float | None = None,
) -> float:
    """A real parameter of ``config.params``, optionally bounded (inclusive)."""
    value = config.params.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise InvalidConfig(f"Parameter {key!r} must be a number")
    number = float(value)
    if (low is not None and number < low) or (high is not None and number > high):
        raise InvalidConfig(f"Parameter {key!r} must be within [{low}, {high}]")
    return number


def n_jobs_param(config: ForecastConfig, key: str = "n_jobs") -> int:
    """Worker count: a positive integer or -1 (every core)."""
    value = int_param(config, key, 1)
    if value == 0 or value < -1:
        raise InvalidConfig(f"Parameter {key!r} must be -1 or a positive integer")
    return value


def check_horizon(horizon: int) -> int:
    """The horizon must be a positive integer."""
    if isinstance(horizon, bool) or not isinstance(horizon, int | np.integer) or horizon < 1:
        raise InvalidConfig("The horizon must be a positive integer")
    return int(horizon)


def check_levels(levels: Sequence[int]) -> tuple[int, ...]:
    """Interval levels must lie strictly between 0 and 100."""
    for level in levels:
        if not 0 < level < 100:
            raise InvalidConfig(f"Interval level {level} must be between 0 and 100")
    return tuple(levels)


def not_fitted(name: str) -> InvalidConfig:
    """The error for predict before fit."""
    return InvalidConfig(f"Method {name!r} must be fitted before it predicts")


def merge_future_exog(
    future: pd.DataFrame,
    future_exog: pd.DataFrame | None,
    columns: Sequence[str],
    horizon: int,
) -> pd.DataFrame:
    """Join the future values of the exogenous ``columns`` onto ``future`` (``unique_id``,
    ``ds``); InvalidConfig when they are absent or incomplete for the horizon."""
    if future_exog is None:
        raise InvalidConfig(f"Future values of the exogenous columns {list(columns)} are needed")
    missing = [c for c in ("unique_id", "ds", *columns) if c not in future_exog.columns]
    if missing:
        raise InvalidConfig(f"future_exog lacks the column(s) {missing}")
    exog = future_exog[["unique_id", "ds", *columns]].copy()
    exog["unique_id"] = exog["unique_id"].astype(str)
    exog["ds"] = pd.to_datetime(exog["ds"]).astype("datetime64[ns]")
    exog = exog.drop_duplicates(["unique_id", "ds"], keep="last")
    merged = future.merge(exog, on=["unique_id", "ds"], how="left")
    values = merged[list(columns)].apply(pd.to_numeric, errors="coerce")
    if values.isna().to_numpy().any():
        raise InvalidConfig(
            "future_exog must give every exogenous column for every series and period of the "
            f"horizon ({horizon} periods after each series' last date)"
        )
    merged[list(columns)] = values.astype(float)
    return merged

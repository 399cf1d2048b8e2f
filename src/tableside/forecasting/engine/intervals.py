"""Conformal prediction intervals from rolling-origin backtest residuals.

A backtest (see `backtest.rolling_forecasts`) gives, for every series, cutoff and horizon step,
the absolute error ``|y - value|`` of a forecast made without seeing ``y``. Split conformal
prediction turns those errors into intervals ``value ± q`` at any level, for any method, with
no distributional assumption.

Where ``q`` comes from, per series and horizon step, most specific first:

1. the series' own errors at that step, when it has at least ``min_step_samples`` of them
   (long backtests with many windows);
2. the series' own error scale (its mean absolute error over all steps, when it has at least
   ``min_series_samples`` errors) times the pooled quantile, at that step, of every series'
   errors divided by their own scale: the panel says how the spread grows with the horizon
   and how heavy the tails are, the series says how large its errors are;
3. for a series with too few errors of its own (new, or absent from the backtest windows): its
   forecast level times the panel's median ratio of error scale to forecast level, times the
   same pooled quantile.

The pooled step quantile falls back to all steps pooled when a step has fewer than
``min_step_samples`` normalized errors, and steps beyond the backtest horizon use the last one.
Quantiles use the finite-sample conformal rank ``ceil((n + 1) * level) / n``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd


def conformal_quantile(scores: np.ndarray, level: float) -> float:
    """The split-conformal quantile of ``scores`` for coverage ``level`` (a fraction): the
    ``ceil((n + 1) * level)``-th smallest score, capped at the largest."""
    values = np.sort(np.asarray(scores, dtype=float)[np.isfinite(scores)])
    n = values.size
    if n == 0:
        return float("nan")
    rank = int(np.ceil((n + 1) * level))
    return float(values[min(max(rank, 1), n) - 1])


@dataclass
class ConformalIntervals:
    """Fitted conformal interval widths; `fit` on backtest residuals, `apply` to forecasts."""

    min_step_samples: int = 30
    min_series_samples: int = 10
    series_scale: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    # Normalized absolute errors (error / series scale) with their horizon step.
    normalized: pd.DataFrame = field(default_factory=pd.DataFrame)
    # Per (series, step) absolute errors, only where a series has enough at one step.
    own_steps: dict[tuple[str, int], np.ndarray] = field(default_factory=dict)
    level_ratio: float = float("nan")

    @property
    def fitted(self) -> bool:
        return not self.normalized.empty

    def fit(self, residuals: pd.DataFrame) -> ConformalIntervals:
        """Learn from backtest rows with ``unique_id``, ``step`` (1 = first period after the
        cutoff), ``y`` and ``value``."""
        frame = residuals[["unique_id", "step", "y", "value"]].dropna()
        frame = frame.assign(error=(frame["y"] - frame["value"]).abs())
        by_series = frame.groupby("unique_id", sort=False, observed=True)
        counts = by_series["error"].size()
        scale = by_series["error"].mean()
        level = by_series["value"].apply(lambda v: float(np.mean(np.abs(v))))
        usable = (counts >= self.min_series_samples) & (scale > 0)
        if not usable.any():
            # A short backtest: every series is thin, so let each one's few errors count.
            usable = scale > 0
        self.series_scale = scale[usable]
        ratios = (scale[usable] / level[usable]).replace([np.inf, -np.inf], np.nan).dropna()
        self.level_ratio = float(ratios.median()) if len(ratios) else float("nan")
        kept = frame[frame["unique_id"].isin(self.series_scale.index)]
        self.normalized = pd.DataFrame(
            {
                "step": kept["step"].to_numpy(dtype=np.int64),
                "score": kept["error"].to_numpy()
                / self.series_scale.reindex(kept["unique_id"]).to_numpy(),
            }
        )
        self.own_steps = {}
        for (uid, step), group in frame.groupby(["unique_id", "step"], observed=True):
            if len(group) >= self.min_step_samples:
                self.own_steps[(str(uid), int(step))] = group["error"].to_numpy()
        return self

    def _pooled_quantiles(self, steps: np.ndarray, level: float) -> np.ndarray:
        overall = conformal_quantile(self.normalized["score"].to_numpy(), level)
        by_step: dict[int, float] = {}
        for step, group in self.normalized.groupby("step"):
            if len(group) >= self.min_step_samples:
                by_step[int(step)] = conformal_quantile(group["score"].to_numpy(), level)
        if not by_step:
            return np.full(len(steps), overall)
        known = np.array(sorted(by_step))
        # Steps past the backtest horizon (or missing in it) take the nearest step below.
        index = np.clip(np.searchsorted(known, steps, side="right") - 1, 0, len(known) - 1)
        return np.array(
            [by_step.get(int(s), by_step[int(known[i])]) for s, i in zip(steps, index, strict=True)]
        )

    def widths(self, points: pd.DataFrame, level: int) -> np.ndarray:
        """Half-widths for rows with ``unique_id``, ``step`` and ``value`` at ``level`` (%)."""
        if not self.fitted:
            raise ValueError("ConformalIntervals.fit must run before widths")
        fraction = level / 100.0
        steps = points["step"].to_numpy(dtype=np.int64)
        uids = points["unique_id"].astype(str).to_numpy()
        pooled = self._pooled_quantiles(steps, fraction)
        scale = self.series_scale.reindex(uids).to_numpy(dtype=float)
        missing = np.isnan(scale)
        if missing.any():
            level_by_series = (
                points.assign(abs_value=points["value"].abs())
                .groupby("unique_id", observed=True)["abs_value"]
                .transform("mean")
                .to_numpy()
            )
            ratio = self.level_ratio if np.isfinite(self.level_ratio) else 0.0
            scale[missing] = level_by_series[missing] * ratio
        result = scale * pooled
        if self.own_steps:
            for i, (uid, step) in enumerate(zip(uids, steps, strict=True)):
                own = self.own_steps.get((uid, int(step)))
                if own is not None:
                    result[i] = conformal_quantile(own, fraction)
        return np.nan_to_num(result, nan=0.0)

    def apply(self, points: pd.DataFrame, levels: Sequence[int]) -> pd.DataFrame:
        """A copy of ``points`` (``unique_id``, ``value``, and ``step`` or consecutive ``ds``
        per series) with ``lo-L``/``hi-L`` set to ``value ∓ width`` for every level."""
        out = points.copy()
        if "step" not in out.columns:
            out = out.sort_values(["unique_id", "ds"], kind="stable")
            out["step"] = out.groupby("unique_id", sort=False, observed=True).cumcount() + 1
            step_added = True
        else:
            step_added = False
        for level in levels:
            width = self.widths(out, level)
            out[f"lo-{level}"] = out["value"].to_numpy() - width
            out[f"hi-{level}"] = out["value"].to_numpy() + width
        if step_added:
            out = out.drop(columns="step").loc[points.index]
        return out


def fit_conformal(
    residuals: pd.DataFrame, *, min_step_samples: int = 30, min_series_samples: int = 10
) -> ConformalIntervals | None:
    """`ConformalIntervals` fitted on backtest rows, or ``None`` when there are none."""
    if residuals.empty:
        return None
    fitted = ConformalIntervals(
        min_step_samples=min_step_samples, min_series_samples=min_series_samples
    ).fit(residuals)
    return fitted if fitted.fitted else None


__all__ = ["ConformalIntervals", "conformal_quantile", "fit_conformal"]

"""Combination methods chosen by rolling-origin backtest: ``ensemble`` and ``best``.

Both run the same selection backtest: every candidate method forecasts ``config.horizon``
periods from ``config.backtest_windows`` cutoffs ``config.backtest_step`` apart (the last one a
horizon before the panel's end), and its errors on the open periods that followed are scored
per series, scaled by the series' in-sample seasonal naive error (MASE) from the data up to
each cutoff. Nothing after a cutoff is ever used to forecast from it.

- ``ensemble``: the candidates ranked by pooled backtest MASE; the ``top_k`` best (default 8)
  that are within ``tolerance`` (default 10 %) of the leader are combined, with weights per
  series: member ``m`` weighs ``(shrinkage * MASE_m + (1 - shrinkage) * MASE_m,s) **
  -power`` on series ``s`` (renormalized per series over the members that forecast it), where
  ``MASE_m`` is the member's pooled backtest MASE and ``MASE_m,s`` its MASE on that series'
  own backtest windows (defaults ``shrinkage`` 0.3, ``power`` 2). A series without backtest
  errors of its own (too short) gets the pooled weights (``shrinkage`` 1). A member that
  blows up on a series (non-finite, or beyond `CAP_FACTOR` times the series' record) is left
  out there. Why per series: the candidates err differently on different businesses (a
  steady restaurant suits the weekday median, a growing one the models that follow the
  level); blending a series' own score with the pooled one, and weighing every member
  within the tolerance rather than picking one, keeps two noisy windows from deciding alone
  (picking each series' top two or three scored worse). On the Recruit restaurants (three
  origins of 28 days, the 16- and 52-week medians among the candidates), pooled 1/MASE
  weights over the top 3 within 5 % scored 0.775 MASE, per-series weights over every
  candidate within 10 % 0.753; on the takeaway's items both 0.879. Sparse series (at least
  ``sparse_share``, default 20 %, of zero values since the first backtest cutoff) take the
  weighted median of the members instead of their weighted mean: where most days sell
  nothing, the median is the forecast with the least absolute error and a mean drags it up
  toward the members that forecast demand every day (takeaway's items 0.875 -> 0.859 on
  the cached candidates, the Recruit restaurants unchanged).
- ``best``: per series, the candidate or the ensemble with the lowest error in that series'
  backtest windows. A single method replaces the ensemble only when it beats it by more than
  ``margin`` (default 50 %): two windows are a noisy judge (on the Recruit restaurants, picking
  the plain per-series winner was 2 % *worse* out of sample than the ensemble, and once the
  ensemble's weights follow each series a 25 % margin still cost 0.1 %), while a wide margin
  still hands the clear cases — a series the seasonal naive nails — to their method.
  ``method_used`` records the choice per series. One exception (``intermittent``, default
  on): a sparse series whose selected forecast sold nothing through its backtest windows,
  although it sold in at least two periods of them, gets the ``intermittent`` method
  (Croston SBA or TSB by demand class). Where an item sells on fewer than half of its days
  the median the absolute error rewards is 0, and a forecast of "never sells" for an item
  that sells is useless to ordering and prep; the intermittent method forecasts its demand
  rate. On the takeaway's items (three origins) this took 4 of 180 series-windows and cost
  1.2 % MASE (0.8564 -> 0.8670), the price of forecasting their demand at all.

Cost. Each statsforecast-backed candidate is fitted once per panel: one
``StatsForecast.cross_validation(refit=False)`` call fits each series at the first cutoff and
rolls the fitted model forward (``forward``: same parameters, state updated with the newer
data) through the later windows and, on a panel extended by placeholder rows, to the final
forecast after the series' end (windows count back from each series' own end; for every series
that reaches the panel's end they are the common cutoffs). ``refit_final=True`` fits the final
forecast afresh on the whole history instead: one more fit per candidate, and no more accurate
on the Recruit restaurants (ensemble MASE 0.777 against 0.770 rolled forward, three origins:
better parameters in some months, worse in others). Other candidates (the global LightGBM
models, Prophet) are fitted once per cutoff plus once on the whole panel.

Default candidates (`DEFAULT_CANDIDATES`, with `DEFAULT_CANDIDATE_PARAMS`): the seasonal naive,
ETS with additive error and season and no trend ("ANA": one model per series instead of
AutoETS's search, several times faster and as accurate on daily restaurant data), two
lighter global LightGBM models (120 trees of 31 leaves on the L1 loss, one thread), one on
the logged and one on the standardized target, the per-series weekday + holiday
regression (``linear_trend``: cheap, and wrong in other ways than the rest) and the seasonal
medians: the median of the same weekday (season position) over the last 16, 52 and 104
seasons (`statistical.SeasonalMedianMethod`, ``seasonal_naive`` with ``cycles``). The medians
cost next to nothing and are the strongest single candidates on both benchmark data sets:
on the Recruit restaurants a one-off December party barely moves a 16-week median, so it
forecasts the January lull better than the models that follow the last weeks' level, and on
the takeaway's sparse item demand (two thirds of the days without a sale) the median is the
forecast with the least absolute error. AutoARIMA is not a default: even bounded it costs
more than all the others together.

Holidays (``holiday_adjust``, default on, daily data). The rolled-forward statistical
candidates know nothing of holidays, so for them each open holiday of the history is replaced
by its weekday's mean over the four weeks before it (`calendar.holiday_ratios`) before
fitting, and their forecasts for holidays are multiplied by the series' holiday effect (its
mean log ratio of holiday to that usual level, shrunk toward the panel's pooled effect:
`calendar.holiday_factors`), learned from the holidays up to each forecast's cutoff only. On
the Recruit restaurants this took `best` from 0.772 to 0.768 MASE.

Params (``config.params``): ``candidates`` (method names, or ``{"name", "method", "params"}``
mappings for variants of a method), ``candidate_params`` ({method or name: params}, merged
over the defaults), ``top_k``, ``tolerance``, ``shrinkage``, ``power``, ``margin``,
``sparse_share``, ``intermittent``,
``refit_final``, ``holiday_adjust``
(not applied with ``refit_final``) and ``n_jobs``
(given to every candidate; the LightGBM defaults keep one thread, see
`DEFAULT_CANDIDATE_PARAMS`).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import Naive

from tableside.forecasting.engine import registry
from tableside.forecasting.engine.backtest import (
    add_steps,
    common_cutoffs,
    future_exogenous,
)
from tableside.forecasting.engine.calendar import (
    check_freq,
    fill_gaps,
    future_frame,
    holiday_factors,
    holiday_flags,
    holiday_ratios,
)
from tableside.forecasting.engine.errors import (
    EngineError,
    InsufficientHistory,
    InvalidConfig,
    MethodUnavailable,
)
from tableside.forecasting.engine.metrics import panel_scales
from tableside.forecasting.engine.models.base import (
    check_horizon,
    check_params,
    float_param,
    int_param,
    n_jobs_param,
    not_fitted,
    prepare_panel,
)
from tableside.forecasting.engine.types import BaseModel, ForecastConfig, StaticFeatures

logger = logging.getLogger(__name__)

# Fast, complementary candidates: the weekly baseline, additive-season exponential smoothing
# (the ETS form that wins most often on restaurant data, a single model per series instead of
# AutoETS's search over up to 30), the global LightGBM models, the weekday regression and the
# seasonal medians.
DEFAULT_CANDIDATES: tuple[str | Mapping[str, object], ...] = (
    "seasonal_naive",
    "exp_smoothing",
    # Dynamic optimized Theta is no default: it never made the top three of the pooled
    # ensemble, and once every candidate within 10 % joined, it cost 0.2 % on the Recruit
    # restaurants (the worst candidate at the New Year) and took a tenth of the time.
    # The global model on the logged target, with the same-weekday medians over the last 4,
    # 8, 16 and 52 weeks among its features (`machine_learning`, ``median_windows``): it can
    # start from the robust weekday level the seasonal medians forecast with and learn when
    # to leave it. Alone 2 % more accurate on both benchmark data sets (Recruit 0.788 ->
    # 0.771 MASE, takeaway 0.879 -> 0.865, three origins); in the ensemble a small gain
    # on both (0.7521 -> 0.7514, 0.8576 -> 0.8564). Giving the features to the linear
    # variant as well cost the takeaway 0.3 %: the two variants then err alike.
    {
        "name": "gradient_boosting",
        "method": "gradient_boosting",
        "params": {"median_windows": [4, 8, 16, 52]},
    },
    # The same global model on the standardized rather than logged target: it errs
    # differently on busy days, which is what an ensemble feeds on.
    {
        "name": "gradient_boosting_linear",
        "method": "gradient_boosting",
        "params": {"log_target": False},
    },
    "linear_trend",
    # The median of the same season position over the last 16, 52 and 104 seasons (for daily
    # data the same weekday over about four months, one and two years: `seasonal_naive` with
    # ``cycles``): robust to one-off spikes and to a season's swings, and on sparse item
    # demand the forecast with the least absolute error.
    *(
        {"name": f"seasonal_median_{n}", "method": "seasonal_naive", "params": {"cycles": n}}
        for n in (16, 52, 104)
    ),
)
# The absolute (L1) loss: its forecast is the conditional median, what the MASE rewards (on the
# takeaway's sparse items the candidates' ensemble went from 0.8745 to 0.8696 MASE with it,
# Recruit unchanged). L1 re-fits each leaf to the median of its rows, slower per tree than the
# standalone model's "fair" loss, so fewer trees at a higher rate: 120 at 0.1 were as
# accurate as 250 at 0.05.
_LIGHT_TREES: Mapping[str, object] = {
    "num_threads": 1,
    "objective": "l1",
    "n_estimators": 120,
    "learning_rate": 0.1,
    "num_leaves": 31,
    "min_child_samples": 40,
}
DEFAULT_CANDIDATE_PARAMS: Mapping[str, Mapping[str, object]] = {
    "exp_smoothing": {"model": "ANA"},
    # A smaller, more regularized global model: fitted once per backtest window, so it must
    # be cheap. One thread: LightGBM's OpenMP threads slow down several-fold when the cores
    # are shared (a 2-core machine also running statsforecast or other jobs), while one
    # thread degrades gracefully; n_jobs still parallelizes statsforecast.
    "gradient_boosting": _LIGHT_TREES,
    "random_forest": {"num_threads": 1},
}
COMBINATIONS = ("ensemble", "best")
_PARAMS = (
    "candidates",
    "candidate_params",
    "top_k",
    "tolerance",
    "shrinkage",
    "power",
    "margin",
    "sparse_share",
    "intermittent",
    "refit_final",
    "holiday_adjust",
    "n_jobs",
)
ENSEMBLE = "ensemble"
# The method `best` hands a sparse series whose selected forecast sells nothing.
INTERMITTENT = "intermittent"
# A backtest forecast below this share of a series' mean non-zero demand counts as no demand.
SILENT_SHARE = 1e-3
# How many selling periods the backtest windows must hold before a silent forecast is wrong.
MIN_SELLING_PERIODS = 2
# A forecast beyond CAP_FACTOR times a series' largest value (plus CAP_FACTOR) is discarded.
CAP_FACTOR = 10.0


class CandidateRun:
    """One candidate's selection backtest (``backtest``: ``unique_id``, ``ds``, ``window``,
    ``step``, ``value``) and the means to forecast after the panel's end: precomputed rows
    (``final``, up to ``final_horizon`` steps, for the series in ``final_panel``) and/or a
    fitted model (``model``; ``short_model`` for the series too short to backtest)."""

    def __init__(self, name: str, factory: Callable[[], BaseModel]) -> None:
        self.name = name
        self.factory = factory
        self.backtest = pd.DataFrame(columns=["unique_id", "ds", "window", "step", "value"])
        self.final: pd.DataFrame | None = None
        self.final_panel: pd.DataFrame | None = None
        self.final_horizon = 0
        self.model: BaseModel | None = None
        self.short_model: BaseModel | None = None

    def forecast(self, horizon: int, future_exog: pd.DataFrame | None) -> pd.DataFrame:
        """``horizon`` periods after each series' end."""
        parts = []
        if self.final is not None and horizon <= self.final_horizon:
            parts.append(self.final[self.final["step"] <= horizon][["unique_id", "ds", "value"]])
        elif self.final_panel is not None:
            # Longer than the rolled-forward forecast: fit these series once more.
            self.model = self.factory().fit(self.final_panel)
            self.final, self.final_panel = None, None
        if self.model is not None:
            parts.append(self.model.predict(horizon, future_exog)[["unique_id", "ds", "value"]])
        if self.short_model is not None:
            parts.append(
                self.short_model.predict(horizon, future_exog)[["unique_id", "ds", "value"]]
            )
        if not parts:
            raise InvalidConfig(f"Candidate {self.name!r} has nothing to forecast")
        return pd.concat(parts, ignore_index=True)


class SelectionMethod:
    """``ensemble`` or ``best`` over candidate methods (see the module docstring)."""

    native_intervals = False

    def __init__(self, name: str, config: ForecastConfig) -> None:
        if name not in COMBINATIONS:
            raise InvalidConfig(f"Unknown combination method {name!r}")
        check_params(name, config.params, _PARAMS)
        self.name = name
        self.config = config
        self.freq = check_freq(config.freq)
        self.season = int(config.seasonality)
        self.horizon = check_horizon(config.horizon)
        self.windows = max(1, int(config.backtest_windows))
        self.step = int(config.backtest_step or config.horizon)
        self.top_k = int_param(config, "top_k", 8, minimum=1)
        self.tolerance = float_param(config, "tolerance", 0.10, 0.0, 10.0)
        self.shrinkage = float_param(config, "shrinkage", 0.3, 0.0, 1.0)
        self.power = float_param(config, "power", 2.0, 0.0, 16.0)
        self.margin = float_param(config, "margin", 0.5, 0.0, 1.0)
        self.sparse_share = float_param(config, "sparse_share", 0.2, 0.0, 1.01)
        intermittent = config.params.get("intermittent", True)
        if not isinstance(intermittent, bool):
            raise InvalidConfig("Parameter 'intermittent' must be true or false")
        self.intermittent = intermittent and name == "best"
        refit_final = config.params.get("refit_final", False)
        if not isinstance(refit_final, bool):
            raise InvalidConfig("Parameter 'refit_final' must be true or false")
        self.refit_final = refit_final
        holiday_adjust = config.params.get("holiday_adjust", True)
        if not isinstance(holiday_adjust, bool):
            raise InvalidConfig("Parameter 'holiday_adjust' must be true or false")
        self.holiday_adjust = holiday_adjust
        self.n_jobs = n_jobs_param(config)
        self.methods: dict[str, str] = {}
        own_params: dict[str, Mapping[str, object]] = {}
        for label, method, params in self._candidates(config.params.get("candidates")):
            self.methods[label] = method
            own_params[label] = params
        self.candidates = tuple(self.methods)
        extra = config.params.get("candidate_params") or {}
        if not isinstance(extra, Mapping):
            raise InvalidConfig("Parameter 'candidate_params' must map method names to params")
        self.candidate_params: dict[str, dict[str, object]] = {}
        for label, method in self.methods.items():
            merged = dict(DEFAULT_CANDIDATE_PARAMS.get(method, {}))
            for key in dict.fromkeys((method, label)):
                given = extra.get(key, {})
                if not isinstance(given, Mapping):
                    raise InvalidConfig(f"candidate_params[{key!r}] must be a mapping")
                merged.update(given)
            merged.update(own_params[label])
            merged.setdefault("n_jobs", self.n_jobs)
            self.candidate_params[label] = merged
        # Build every candidate once now so bad parameters fail before any fitting.
        for label in self.candidates:
            self._create(label)
        self.runs: dict[str, CandidateRun] = {}
        self.failed: dict[str, str] = {}
        self.scores: dict[str, float] = {}
        self.weights: dict[str, float] = {}
        # Per-series member weights (rows: series with backtest errors; columns: members).
        self.series_weights = pd.DataFrame()
        # Series combined by weighted median instead of weighted mean (sparse demand).
        self.sparse: frozenset[str] = frozenset()
        self.method_used: dict[str, str] = {}
        self.backtest_forecasts = pd.DataFrame()
        self.series_ids: list[str] = []
        self._cap = pd.Series(dtype=float)

    def _candidates(self, raw: object) -> list[tuple[str, str, Mapping[str, object]]]:
        """(label, canonical method, own params) per candidate. An entry is a method name or
        alias, or a mapping ``{"name": label, "method": ..., "params": {...}}`` for a variant
        (two gradient boosting models with different lags, say)."""
        if raw is None:
            entries: list[object] = [
                c
                for c in DEFAULT_CANDIDATES
                if registry.is_available(str(c["method"] if isinstance(c, Mapping) else c))
            ]
        elif isinstance(raw, str) or not isinstance(raw, Sequence) or not raw:
            raise InvalidConfig("Parameter 'candidates' must be a non-empty list of methods")
        else:
            entries = list(raw)
        out: list[tuple[str, str, Mapping[str, object]]] = []
        for entry in entries:
            if isinstance(entry, Mapping):
                method = registry.resolve(str(entry.get("method", "")))
                label = str(entry.get("name") or method)
                params = entry.get("params") or {}
                if not isinstance(params, Mapping):
                    raise InvalidConfig(f"Candidate {label!r}: params must be a mapping")
            else:
                method = registry.resolve(str(entry))
                label, params = method, {}
            if method in COMBINATIONS or label in COMBINATIONS:
                raise InvalidConfig("A combination cannot be a candidate of another")
            if not registry.is_available(method):
                raise MethodUnavailable(f"Candidate {method!r} is not installed")
            if label in (ENSEMBLE, *(o[0] for o in out)):
                raise InvalidConfig(f"Candidate name {label!r} is used twice")
            out.append((label, method, params))
        return out

    def _create(self, label: str) -> BaseModel:
        config = dataclasses.replace(self.config, params=self.candidate_params[label])
        return registry.create(self.methods[label], config)

    # -- fitting -----------------------------------------------------------------------------

    def fit(self, panel: pd.DataFrame, static: StaticFeatures | None = None) -> SelectionMethod:
        """Backtest every candidate, weigh the ensemble and choose per series."""
        data = prepare_panel(panel, self.freq, self.config.exog_columns)
        self.series_ids = sorted(data["unique_id"].unique())
        self._caps(data)
        cutoffs = common_cutoffs(data, self.windows, self.horizon, self.step, self.freq)
        first = cutoffs[0]
        counts = data[data["ds"] <= first].groupby("unique_id").size()
        selectable = set(counts[counts >= 2 * self.season].index)
        self.runs, self.failed = {}, {}
        for candidate in self.candidates:
            try:
                self.runs[candidate] = self._run(candidate, data, static, cutoffs, selectable)
            except (EngineError, ValueError, RuntimeError) as exc:
                # One failing candidate (a library refusing some series) must not sink the
                # whole selection; it is reported and the others carry on.
                logger.warning("candidate %s failed: %s", candidate, exc)
                self.failed[candidate] = str(exc)
        if not self.runs:
            raise InsufficientHistory(
                f"No candidate of {self.name!r} could forecast this panel: {self.failed}"
            )
        self._score(data, cutoffs)
        if self.intermittent:
            self._rescue_silent(data, static, cutoffs, selectable)
        return self

    def _rescue_silent(
        self,
        data: pd.DataFrame,
        static: StaticFeatures | None,
        cutoffs: list[pd.Timestamp],
        selectable: set[str],
    ) -> None:
        """Give the intermittent method to each sparse series whose selected forecast sold
        nothing through its backtest windows although the series sold in them.

        On sparse demand the absolute error the selection minimizes is smallest for a forecast
        near the median, and when an item sells on fewer than half of its days that median is
        0: the selection then says "never sells" for an item that does, and ordering, prep and
        par levels built on it would never stock it. The intermittent method (Croston SBA or
        TSB by demand class) forecasts the demand rate per period instead, which is what those
        need. On the takeaway's 60 busiest items this touched 4 of 180 series-windows
        (benchmarks/README.md)."""
        backtest = self.backtest_forecasts
        if backtest.empty or not self.sparse:
            return
        if self.methods.get(INTERMITTENT, INTERMITTENT) != INTERMITTENT:
            return  # a candidate of another method took the name
        rows = backtest[backtest["unique_id"].isin(self.sparse)]
        if rows.empty:
            return
        by_series = rows.groupby("unique_id", sort=True)
        selling = (rows["y"] > 0).groupby(rows["unique_id"]).sum()
        demand = data[data["y"] > 0].groupby("unique_id")["y"].mean()
        threshold = SILENT_SHARE * demand.reindex(selling.index).fillna(0.0)
        silent = (by_series["value"].max() <= threshold) & (selling >= MIN_SELLING_PERIODS)
        ids = {str(uid) for uid in silent.index[silent]}
        if not ids:
            return
        run = self.runs.get(INTERMITTENT)
        if run is None:
            self.methods[INTERMITTENT] = INTERMITTENT
            self.candidate_params[INTERMITTENT] = {"n_jobs": self.n_jobs}
            subset = data[data["unique_id"].isin(ids)]
            try:
                run = self._run(INTERMITTENT, subset, static, cutoffs, selectable & ids)
            except (EngineError, ValueError, RuntimeError) as exc:
                logger.warning("intermittent method for silent series failed: %s", exc)
                return
            self.runs[INTERMITTENT] = run
        window_of = {cutoff: window for window, cutoff in enumerate(cutoffs)}
        keys = pd.DataFrame(
            {
                "unique_id": backtest["unique_id"].to_numpy(),
                "ds": backtest["ds"].to_numpy(),
                "window": backtest["cutoff"].map(window_of).to_numpy(),
            }
        )
        values = run.backtest.set_index(["unique_id", "ds", "window"])["value"]
        found = values.reindex(pd.MultiIndex.from_frame(keys)).to_numpy(dtype=float)
        rescued = backtest["unique_id"].isin(ids).to_numpy()
        # A series the intermittent method could not forecast keeps its selected method.
        missing = pd.Series(rescued & ~np.isfinite(found)).groupby(keys["unique_id"]).any()
        ids -= {str(uid) for uid in missing.index[missing]}
        rescued = backtest["unique_id"].isin(ids).to_numpy()
        backtest = backtest.copy()
        backtest.loc[rescued, "value"] = np.maximum(found[rescued], 0.0)
        backtest.loc[rescued, "method"] = INTERMITTENT
        self.backtest_forecasts = backtest
        for uid in ids:
            self.method_used[uid] = INTERMITTENT

    def _run(
        self,
        candidate: str,
        data: pd.DataFrame,
        static: StaticFeatures | None,
        cutoffs: list[pd.Timestamp],
        selectable: set[str],
    ) -> CandidateRun:
        model = self._create(candidate)
        if hasattr(model, "_models") and hasattr(model, "_select"):
            try:
                return self._run_forward(candidate, model, data, selectable)
            except EngineError:
                raise
            except Exception as exc:
                # Models without `forward` (e.g. Croston) take the refitting path below.
                logger.info("candidate %s: no forward path (%s)", candidate, exc)
        return self._run_refit(candidate, data, static, cutoffs)

    def _run_refit(
        self,
        candidate: str,
        data: pd.DataFrame,
        static: StaticFeatures | None,
        cutoffs: list[pd.Timestamp],
    ) -> CandidateRun:
        run = CandidateRun(candidate, lambda: self._create(candidate))
        exog = tuple(self.config.exog_columns)
        frames = []
        for window, cutoff in enumerate(cutoffs):
            train = data[data["ds"] <= cutoff]
            if train.empty:
                continue
            future = future_exogenous(train, self.horizon, self.freq, exog, data)
            points = self._create(candidate).fit(train, static).predict(self.horizon, future)
            points = add_steps(points[["unique_id", "ds", "value"]])
            points["window"] = window
            frames.append(points)
        if frames:
            run.backtest = pd.concat(frames, ignore_index=True)
        run.model = self._create(candidate).fit(data, static)
        return run

    def _run_forward(
        self, candidate: str, model: Any, data: pd.DataFrame, selectable: set[str]
    ) -> CandidateRun:
        run = CandidateRun(candidate, lambda: self._create(candidate))
        scored = data[data["unique_id"].isin(selectable)]
        rest = data[~data["unique_id"].isin(selectable)]
        if not scored.empty and self.refit_final:
            run.backtest, _ = self._cross_validate(model, scored, self.horizon, extend=False)
            run.model = self._create(candidate).fit(scored)
        elif not scored.empty:
            final_horizon = self.horizon + self.season
            run.backtest, run.final = self._cross_validate(model, scored, final_horizon)
            run.final_horizon = final_horizon
            run.final_panel = scored
        if not rest.empty:
            run.short_model = self._create(candidate).fit(rest)
        return run

    def _cross_validate(
        self, model: Any, data: pd.DataFrame, final_horizon: int, *, extend: bool = True
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """One statsforecast pass: fit at the first cutoff, roll forward through the windows
        (and with ``extend`` to the end: the final forecast). Windows are counted back from
        each series' own end (for a series that reaches the panel's end they are exactly the
        common cutoffs)."""
        regular = fill_gaps(data, self.freq, self.config.calendar, self.season).panel
        regular = regular[["unique_id", "ds", "y"]]
        adjust = extend and self.holiday_adjust and self.freq == "D"
        ratios = holiday_ratios(data, self.config.calendar) if adjust else None
        if ratios is not None and not ratios.empty:
            # The models fit the series as if its holidays had been ordinary days (their
            # weekday's level in the weeks before): a holiday then neither drags the level
            # nor the season, and its own effect is put back on the forecast below.
            base = ratios.set_index(["unique_id", "ds"])["base"]
            keys = pd.MultiIndex.from_frame(regular[["unique_id", "ds"]])
            usual = base.reindex(keys).to_numpy(dtype=float)
            regular = regular.assign(y=np.where(np.isfinite(usual), usual, regular["y"]))
        extended = regular
        if extend:
            # Placeholder rows after each series' end make the last window the real forecast;
            # statsforecast forecasts a window from the rows before its cutoff only.
            tail = future_frame(regular, final_horizon, self.freq)[["unique_id", "ds"]]
            last = regular.groupby("unique_id", sort=True)["y"].last()
            tail["y"] = last.reindex(tail["unique_id"]).to_numpy()
            extended = pd.concat([regular, tail], ignore_index=True)
            extended = extended.sort_values(["unique_id", "ds"], kind="stable")
            extended = extended.reset_index(drop=True)
        lengths = regular.groupby("unique_id", sort=True).size()
        parts = []
        for models, ids in model._models(lengths):
            part = (
                extended if len(ids) == len(lengths) else extended[extended["unique_id"].isin(ids)]
            )
            engine = StatsForecast(
                models=models, freq=self.freq, n_jobs=self.n_jobs, fallback_model=Naive()
            )
            parts.append(
                engine.cross_validation(
                    df=part,
                    h=final_horizon,
                    n_windows=self.windows + int(extend),
                    step_size=self.step,
                    refit=False,
                )
            )
        raw = pd.concat(parts, ignore_index=True)
        if hasattr(model, "_after_fit"):
            model._after_fit(regular)
        cutoff = raw["cutoff"]
        values = model._select(raw.drop(columns=["y", "cutoff"]))
        frame = pd.DataFrame(
            {
                "unique_id": values["unique_id"].astype(str).to_numpy(),
                "ds": values["ds"].to_numpy(),
                "cutoff": cutoff.to_numpy(),
                "value": values["value"].to_numpy(dtype=float),
            }
        )
        frame = frame.sort_values(["unique_id", "cutoff", "ds"], kind="stable")
        frame["window"] = frame.groupby("unique_id", sort=False)["cutoff"].rank(method="dense")
        frame["window"] = frame["window"].astype(int) - 1
        frame["step"] = frame.groupby(["unique_id", "window"], sort=False).cumcount() + 1
        if ratios is not None:
            frame["value"] = self._holiday_adjusted(frame, ratios)
        final = frame[frame["window"] == self.windows].drop(columns=["cutoff", "window"])
        backtest = frame[(frame["window"] < self.windows) & (frame["step"] <= self.horizon)]
        return backtest.drop(columns="cutoff").reset_index(drop=True), final.reset_index(drop=True)

    def _holiday_adjusted(self, frame: pd.DataFrame, ratios: pd.DataFrame) -> np.ndarray:
        """The statistical models' forecasts with each holiday scaled by the series' holiday
        effect (`calendar.holiday_factors`) as learned from the data up to that forecast's
        cutoff: the models themselves see a holiday as an ordinary day of its weekday."""
        value = frame["value"].to_numpy(dtype=float).copy()
        flags = holiday_flags(frame["ds"], self.config.calendar)
        if not flags.any():
            return value
        if ratios.empty:
            return value
        cutoffs = frame["cutoff"].to_numpy()
        for cutoff in np.unique(cutoffs[flags]):
            factors, pooled = holiday_factors(ratios[ratios["ds"] <= cutoff])
            rows = flags & (cutoffs == cutoff)
            uids = frame["unique_id"].to_numpy()[rows]
            value[rows] *= factors.reindex(uids).fillna(pooled).to_numpy(dtype=float)
        return value

    # -- scoring -----------------------------------------------------------------------------

    def _score(self, data: pd.DataFrame, cutoffs: list[pd.Timestamp]) -> None:
        names = list(self.runs)
        keys = ["unique_id", "ds", "window"]
        wide: pd.DataFrame | None = None
        for name in names:
            part = (
                self.runs[name].backtest[[*keys, "step", "value"]].rename(columns={"value": name})
            )
            if part.empty:
                continue
            wide = part if wide is None else wide.merge(part.drop(columns="step"), on=keys)
        if wide is None or wide.empty:
            # Nothing could be scored (a panel shorter than one backtest window): equal weights.
            self.scores = {}
            members = names[: self.top_k]
            self.weights = {name: 1.0 / len(members) for name in members}
            self.series_weights = pd.DataFrame()
            self.method_used = dict.fromkeys(self.series_ids, ENSEMBLE)
            self.backtest_forecasts = pd.DataFrame()
            return
        names = [n for n in names if n in wide.columns]
        cap = self._caps(data).reindex(wide["unique_id"]).to_numpy()
        for name in names:
            wide[name] = _sane(wide[name].to_numpy(dtype=float), cap)
        actual = data[["unique_id", "ds", "y"]]
        wide = wide.merge(actual, on=["unique_id", "ds"], how="inner")
        scales = []
        for window, cutoff in enumerate(cutoffs):
            scale = panel_scales(data[data["ds"] <= cutoff], self.season, self.freq)
            scales.append(
                pd.DataFrame({"unique_id": scale.index, "window": window, "scale": scale})
            )
        wide = wide.merge(pd.concat(scales, ignore_index=True), on=["unique_id", "window"])
        wide = wide[np.isfinite(wide["scale"]) & (wide["scale"] > 0)]
        if wide.empty:
            self.weights = {name: 1.0 / min(len(names), self.top_k) for name in names[: self.top_k]}
            self.series_weights = pd.DataFrame()
            self.method_used = dict.fromkeys(self.series_ids, ENSEMBLE)
            return
        scaled = {n: (wide[n] - wide["y"]).abs() / wide["scale"] for n in names}
        per_series = pd.DataFrame(scaled).groupby(wide["unique_id"].to_numpy()).mean()
        # A candidate that blew up on a series (NaN there) counts as the worst one on it.
        per_series = per_series.apply(lambda row: row.fillna(row.max()), axis=1)
        self.scores = {n: float(per_series[n].mean()) for n in names}
        ranked = sorted(names, key=lambda n: self.scores[n])
        limit = (1.0 + self.tolerance) * self.scores[ranked[0]]
        members = [n for n in ranked[: self.top_k] if self.scores[n] <= limit]
        inverse = {n: max(self.scores[n], 1e-9) ** -self.power for n in members}
        total = sum(inverse.values())
        self.weights = {n: inverse[n] / total for n in members}
        self.series_weights = self._series_weights(per_series, members)
        recent = data[data["ds"] > cutoffs[0]]
        zero_share = (recent["y"] == 0).groupby(recent["unique_id"].to_numpy()).mean()
        self.sparse = frozenset(str(u) for u in zero_share.index[zero_share >= self.sparse_share])
        row_weights = self.series_weights.reindex(wide["unique_id"].to_numpy())
        wide[ENSEMBLE] = _combine_rows(
            wide[members].to_numpy(dtype=float),
            row_weights.to_numpy(dtype=float),
            wide["unique_id"].astype(str).isin(self.sparse).to_numpy(),
        )
        errors = (
            pd.DataFrame({n: (wide[n] - wide["y"]).abs() for n in [*names, ENSEMBLE]})
            .groupby(wide["unique_id"].to_numpy())
            .mean()
        )
        self.method_used = dict.fromkeys(self.series_ids, ENSEMBLE)
        if self.name == "best":
            best_single = errors[names].idxmin(axis=1)
            best_error = errors[names].min(axis=1)
            wins = best_error < (1.0 - self.margin) * errors[ENSEMBLE]
            for uid, method in best_single[wins].items():
                self.method_used[str(uid)] = str(method)
        chosen = wide["unique_id"].map(self.method_used).fillna(ENSEMBLE)
        column = {name: i for i, name in enumerate([*names, ENSEMBLE])}
        matrix = wide[[*names, ENSEMBLE]].to_numpy(dtype=float)
        value = matrix[np.arange(len(wide)), chosen.map(column).to_numpy()]
        self.backtest_forecasts = pd.DataFrame(
            {
                "unique_id": wide["unique_id"].to_numpy(),
                "ds": wide["ds"].to_numpy(),
                "cutoff": [cutoffs[w] for w in wide["window"]],
                "step": wide["step"].to_numpy(),
                "y": wide["y"].to_numpy(dtype=float),
                "value": value,
                "scale": wide["scale"].to_numpy(dtype=float),
                "method": chosen.to_numpy(),
            }
        )

    def _series_weights(self, per_series: pd.DataFrame, members: list[str]) -> pd.DataFrame:
        """Each series' member weights: proportional to its error score to the power
        ``-power``, the score being ``shrinkage`` times the member's pooled backtest MASE plus
        the rest times the member's MASE on that series alone (see the module docstring)."""
        pooled = np.array([self.scores[n] for n in members], dtype=float)
        own = per_series[members].to_numpy(dtype=float)
        blended = self.shrinkage * pooled[None, :] + (1.0 - self.shrinkage) * own
        inverse = np.maximum(blended, 1e-9) ** -self.power
        weights = inverse / inverse.sum(axis=1, keepdims=True)
        return pd.DataFrame(weights, index=per_series.index.astype(str), columns=members)

    # -- forecasting -------------------------------------------------------------------------

    def predict(self, horizon: int, future_exog: pd.DataFrame | None = None) -> pd.DataFrame:
        """Forecast ``horizon`` periods after each series' end: the ensemble, or for ``best``
        each series' chosen method."""
        horizon = check_horizon(horizon)
        if not self.runs:
            raise not_fitted(self.name)
        columns: dict[str, pd.Series] = {}
        for name in self.weights if self.name == "ensemble" else self.runs:
            run = self.runs[name]
            points = run.forecast(horizon, future_exog)
            columns[name] = points.set_index(["unique_id", "ds"])["value"]
        wide = pd.DataFrame(columns)
        uids = wide.index.get_level_values("unique_id").astype(str)
        cap = self._cap.reindex(uids).to_numpy()
        for name in wide.columns:
            wide[name] = _sane(wide[name].to_numpy(dtype=float), cap)
        members = [n for n in self.weights if n in wide.columns]
        # A series without backtest errors of its own gets the pooled weights.
        pooled = np.array([self.weights[n] for n in members], dtype=float)
        row_weights = self.series_weights.reindex(index=uids, columns=members)
        row_weights = row_weights.to_numpy(dtype=float)
        row_weights = np.where(np.isfinite(row_weights), row_weights, pooled[None, :])
        ensemble = _combine_rows(
            wide[members].to_numpy(dtype=float), row_weights, np.isin(uids, list(self.sparse))
        )
        wide[ENSEMBLE] = ensemble
        chosen = pd.Series(uids).map(self.method_used).fillna(ENSEMBLE).to_numpy()
        value = ensemble.copy()
        for name in set(chosen) - {ENSEMBLE}:
            mask = chosen == name
            picked = wide[name].to_numpy(dtype=float)[mask]
            value[mask] = np.where(np.isfinite(picked), picked, ensemble[mask])
        if np.isnan(value).any():
            # A series no member forecast: take any candidate that did.
            fallback = wide.drop(columns=ENSEMBLE).bfill(axis=1).iloc[:, 0].to_numpy()
            value = np.where(np.isnan(value), fallback, value)
        out = pd.DataFrame(
            {"unique_id": uids, "ds": wide.index.get_level_values("ds"), "value": value}
        )
        out = out.dropna(subset=["value"])
        return out.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)

    def _caps(self, data: pd.DataFrame) -> pd.Series:
        # Far beyond anything the series ever did: a forecast there is a numerical blow-up
        # (a recursive model feeding on its own outliers), not a prediction.
        top = data.groupby("unique_id", sort=True)["y"].agg(lambda v: float(np.abs(v).max()))
        self._cap = CAP_FACTOR * top + CAP_FACTOR
        return self._cap

    def series_methods(self) -> dict[str, str]:
        """The method forecasting each series: a candidate's name or "ensemble"."""
        return {uid: self.method_used.get(uid, ENSEMBLE) for uid in self.series_ids}

    def feature_importance(self) -> dict[str, float] | None:
        """The tree candidate's feature importance when one is a member or winner."""
        for name, run in self.runs.items():
            used = name in self.weights or name in self.method_used.values()
            if used and run.model is not None:
                importance = run.model.feature_importance()
                if importance:
                    return importance
        return None


def _sane(values: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """NaN where a value is not finite or beyond its series' cap in absolute value."""
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(values) | (np.abs(values) > np.nan_to_num(cap, nan=np.inf))
    return np.where(bad, np.nan, values)


def _combine_rows(
    block: np.ndarray, weights: np.ndarray, median_rows: np.ndarray | None = None
) -> np.ndarray:
    """Weighted mean of the members' columns with one weight vector per row, renormalized
    per row over the finite values; the rows flagged in ``median_rows`` take the weighted
    median instead (the value where half the weight lies on either side)."""
    if block.shape[1] == 0:
        return np.full(block.shape[0], np.nan)
    present = np.isfinite(block)
    w = np.where(present & np.isfinite(weights), weights, 0.0)
    total = w.sum(axis=1)
    summed = (np.where(present, block, 0.0) * w).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        combined = np.where(total > 0, summed / np.where(total > 0, total, 1.0), np.nan)
    if median_rows is not None and median_rows.any():
        rows = np.flatnonzero(median_rows & (total > 0))
        values = np.where(present[rows], block[rows], np.inf)
        order = np.argsort(values, axis=1)
        ranked = np.take_along_axis(values, order, axis=1)
        cumulative = np.cumsum(np.take_along_axis(w[rows], order, axis=1), axis=1)
        middle = (cumulative >= 0.5 * total[rows, None]).argmax(axis=1)
        combined[rows] = ranked[np.arange(len(rows)), middle]
    return combined


def create(name: str, config: ForecastConfig) -> BaseModel:
    """The registry's entry point for ``ensemble`` and ``best``."""
    return SelectionMethod(name, config)


__all__ = [
    "DEFAULT_CANDIDATES",
    "DEFAULT_CANDIDATE_PARAMS",
    "SelectionMethod",
    "create",
]

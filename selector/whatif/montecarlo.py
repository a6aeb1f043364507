"""Monte Carlo robustness: how often is each partner chosen?

:func:`robustness` perturbs the AHP judgments, the partner data and the segment values
(:func:`perturb_scenario`), re-scores and re-solves many times, and tabulates how often
each partner is selected. Run ``i`` draws from its own stream
``SeedSequence(seed).spawn(runs)[i]``, so the result does not depend on the engine of
:func:`~selector.whatif.engines.run_tasks` that runs it.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, overload

import numpy as np
import pandas as pd

from selector.errors import ScenarioError
from selector.inputs.criteria import CriteriaModel, JudgmentSet
from selector.inputs.scenario import Scenario
from selector.inputs.tables import MAX_AMOUNT
from selector.portfolio import DEFAULT_SEED, heuristic_solve
from selector.whatif._shared import (
    Outcome,
    check_count,
    check_number,
    finite_or_none,
    outcome_of,
    solve_exact,
    total_segment_value,
)
from selector.whatif.engines import Progress, Study, TaskLog, run_tasks

__all__ = [
    "SAATY_SCALE",
    "RobustnessResult",
    "RunRecord",
    "perturb_scenario",
    "robustness",
]

SAATY_SCALE: tuple[float, ...] = (
    *(1.0 / k for k in range(9, 1, -1)),
    *(float(k) for k in range(1, 10)),
)
"""Saaty's 17 steps 1/9, 1/8, ..., 1/2, 1, 2, ..., 9 (index 8 is 1)."""

_LOG_SCALE = np.log(np.array(SAATY_SCALE))

_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def _move_judgment(value: float, step: int) -> float:
    k = int(np.argmin(np.abs(_LOG_SCALE - math.log(value))))
    return SAATY_SCALE[min(len(SAATY_SCALE) - 1, max(0, k + step))]


def perturb_scenario(
    scenario: Scenario,
    rng: np.random.Generator,
    *,
    judgment_spread: int = 1,
    data_noise: float = 0.1,
    value_noise: float = 0.1,
) -> Scenario:
    """A perturbed copy of ``scenario`` for one Monte Carlo run.

    Each AHP judgment is snapped to Saaty's scale (:data:`SAATY_SCALE`) and moved by a
    uniform whole number of steps in ``-judgment_spread..judgment_spread``, staying in
    1/9..9; each numeric criterion column of the partner table is multiplied by
    lognormal noise ``exp(N(0, data_noise))`` (missing values stay missing); each
    segment value by ``exp(N(0, value_noise))``. Draws come from ``rng`` in that order.
    A scenario without a criteria model keeps its partner table (its scores are given).
    """
    model: CriteriaModel | None = scenario.model
    partners = scenario.partners
    if model is not None:
        sets = []
        for js in model.judgments:
            steps = rng.integers(-judgment_spread, judgment_spread + 1, size=len(js.pairs))
            pairs = tuple(
                (a, b, _move_judgment(v, int(s))) for (a, b, v), s in zip(js.pairs, steps, strict=True)
            )
            sets.append(JudgmentSet(parent=js.parent, pairs=pairs, expert=js.expert, weight=js.weight))
        model = dataclasses.replace(model, judgments=tuple(sets))
        columns = [
            c for c in dict.fromkeys(leaf.column or leaf.id for leaf in model.leaves)
            if c in partners.columns and pd.api.types.is_float_dtype(partners[c])
        ]
        if columns:
            noise = np.exp(rng.normal(0.0, data_noise, size=(len(partners), len(columns))))
            partners = partners.copy()
            partners[columns] = partners[columns].to_numpy(dtype=float) * noise
    segments = scenario.segments.copy()
    # A segment value stays within what a scenario may hold, however large the draw.
    segments["value"] = np.minimum(segments["value"].to_numpy(dtype=float) * np.exp(
        rng.normal(0.0, value_noise, size=len(segments))
    ), MAX_AMOUNT)
    return dataclasses.replace(scenario, model=model, partners=partners, segments=segments)


@dataclass(frozen=True)
class _RunSpec:
    index: int
    seed: np.random.SeedSequence
    judgment_spread: int
    data_noise: float
    value_noise: float
    heuristic: bool
    time_limit: float
    gap: float
    heuristic_time: float = 0.0


HEURISTIC_MOVES = 60


def _greedy(scenario: Scenario) -> Outcome:
    """The heuristic portfolio with its search bounded by a move count, not by time, so
    the same run gives the same portfolio on any worker however busy it is."""
    return outcome_of(
        heuristic_solve(scenario, seed=DEFAULT_SEED, moves=HEURISTIC_MOVES),
        total_segment_value(scenario),
    )


@dataclass(frozen=True)
class RunRecord:
    """One Monte Carlo run: its status and portfolio (empty when it found none)."""

    run: int
    status: str
    objective: float | None
    gap: float | None
    cost: float
    covered_value: float
    covered_share: float | None
    selected: tuple[str, ...]
    seconds: float = field(default=0.0, compare=False)

    @property
    def feasible(self) -> bool:
        return self.status in ("optimal", "time_limit")


def _robust_task(scenario: Scenario, spec: _RunSpec) -> RunRecord:
    rng = np.random.default_rng(spec.seed)
    variant = perturb_scenario(
        scenario, rng, judgment_spread=spec.judgment_spread, data_noise=spec.data_noise,
        value_noise=spec.value_noise,
    )
    if spec.heuristic and spec.heuristic_time == 0:
        o = _greedy(variant)
    elif spec.heuristic:
        o = outcome_of(
            heuristic_solve(variant, time_budget=spec.heuristic_time, seed=DEFAULT_SEED),
            total_segment_value(variant),
        )
    else:
        o = outcome_of(
            solve_exact(variant, spec.time_limit, spec.gap), total_segment_value(variant)
        )
    return RunRecord(
        run=spec.index, status=o.status, objective=o.objective, gap=o.gap, cost=o.cost,
        covered_value=o.covered_value, covered_share=o.covered_share, selected=o.selected,
        seconds=o.seconds,
    )


@dataclass(frozen=True, eq=False)
class RobustnessResult:
    """Monte Carlo robustness of the portfolio.

    ``frequency`` is the share of runs with a portfolio that selected each partner,
    highest first (ties by partner id): near 1 a safe bet, near 0.5 a judgment call.
    ``modal_portfolio`` is the selected set found most often (ties: the first in sorted
    order) and ``modal_count`` how many runs found it. ``spread`` holds quantiles of
    covered share, covered value, cost and objective over runs with a portfolio.
    """

    scenario: str
    runs: tuple[RunRecord, ...]
    seed: int
    judgment_spread: int
    data_noise: float
    value_noise: float
    heuristic: bool
    frequency: pd.Series
    modal_portfolio: tuple[str, ...]
    modal_count: int
    spread: pd.DataFrame
    partners: pd.DataFrame

    @property
    def status_counts(self) -> dict[str, int]:
        return dict(sorted(Counter(r.status for r in self.runs).items()))

    @property
    def feasible_runs(self) -> int:
        return sum(r.feasible for r in self.runs)

    def runs_frame(self) -> pd.DataFrame:
        """One row per run (``selected`` as ``;``-separated ids)."""
        rows = [{**dataclasses.asdict(r), "n_selected": len(r.selected),
                 "selected": ";".join(r.selected)} for r in self.runs]
        return pd.DataFrame(rows).set_index("run")

    def to_frame(self) -> pd.DataFrame:
        """Per partner: name, type, cost, runs selected and frequency, highest first."""
        out = self.partners.loc[self.frequency.index].copy()
        out["runs_selected"] = np.rint(self.frequency.to_numpy() * self.feasible_runs).astype(int)
        out["frequency"] = self.frequency.to_numpy()
        out["in_modal"] = [p in self.modal_portfolio for p in out.index]
        out.index.name = "partner_id"
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary, with every run."""
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "runs": len(self.runs),
            "feasible_runs": self.feasible_runs,
            "judgment_spread": self.judgment_spread,
            "data_noise": self.data_noise,
            "value_noise": self.value_noise,
            "heuristic": self.heuristic,
            "status_counts": self.status_counts,
            "modal_portfolio": list(self.modal_portfolio),
            "modal_count": self.modal_count,
            "frequency": [
                {"partner_id": str(k), "frequency": float(v)} for k, v in self.frequency.items()
            ],
            "spread": {
                str(metric): {str(q): finite_or_none(float(v)) for q, v in row.items()}
                for metric, row in self.spread.iterrows()
            },
            "run_records": [
                {**dataclasses.asdict(r), "selected": list(r.selected)} for r in self.runs
            ],
        }


MAX_RUNS = 1_000_000
#: The largest lognormal sigma: exp(2 sigma) already multiplies a value by 55.
MAX_NOISE = 2.0


class _RunSpecs(Sequence[_RunSpec]):
    """The runs' specs, made when asked for: run ``i``'s seed is the ``i``-th child of
    ``SeedSequence(seed)`` (the same as ``spawn(runs)[i]``), without spawning them all
    up front (a billion seeds took a gigabyte before the first run)."""

    def __init__(self, n: int, template: _RunSpec) -> None:
        self.n, self.template = n, template

    def __len__(self) -> int:
        return self.n

    @overload
    def __getitem__(self, i: int) -> _RunSpec: ...
    @overload
    def __getitem__(self, i: slice) -> list[_RunSpec]: ...
    def __getitem__(self, i: int | slice) -> _RunSpec | list[_RunSpec]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(self.n))]
        if not -self.n <= i < self.n:
            raise IndexError(i)
        i %= self.n
        root = self.template.seed
        child = np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, i),
                                       pool_size=root.pool_size)
        return dataclasses.replace(self.template, index=i, seed=child)


def robustness(
    scenario: Scenario,
    *,
    runs: int = 100,
    judgment_spread: int = 1,
    data_noise: float = 0.1,
    value_noise: float = 0.1,
    seed: int = 2027,
    time_limit: float = 10,
    gap: float = 1e-3,
    heuristic: bool = False,
    heuristic_time: float = 0.0,
    engine: Any = None,
    progress: Progress | None = None,
    log: TaskLog | None = None,
) -> RobustnessResult:
    """Perturb judgments, partner data and segment values; re-score and re-solve ``runs`` times.

    Parameters
    ----------
    scenario
        A loaded scenario.
    runs
        Number of Monte Carlo runs (>= 1).
    judgment_spread
        Steps on Saaty's scale each judgment may move (uniform in ``-k..k``).
    data_noise, value_noise
        Lognormal sigma for partner criterion data and for segment values.
    seed
        Run ``i`` draws from ``SeedSequence(seed).spawn(runs)[i]``: the result does not
        depend on the engine, the worker or the order of completion.
    time_limit, gap
        Per exact solve (HiGHS, one thread, fixed solver seed).
    heuristic
        Use a heuristic portfolio instead of the exact solver.
    heuristic_time
        0 (default): :func:`selector.heuristic_solve` with its search bounded by a
        move count (``HEURISTIC_MOVES``), so a run gives the same portfolio on any
        worker; a run where it finds no portfolio reports ``infeasible`` (found none,
        not a proof) and is left out of the frequencies. More than 0: that many seconds
        of local search instead, so portfolios then depend on machine speed and load.
    engine, progress
        See :func:`run_tasks`.
    log
        Keeps each run's record as it arrives and gives back those kept before for the
        same scenario and options (see :func:`run_tasks`; ``selector.store.StudyLog``
        keeps them in the workspace). The runs count is not part of what names the
        study: run ``i`` is the same run whatever the count, so a longer study reuses
        a shorter one's runs.

    Returns
    -------
    RobustnessResult

    Raises
    ------
    ScenarioError
        For a bad option (the message names it and what is accepted).
    """
    n = check_count(runs, "runs", minimum=1)
    spread = check_count(judgment_spread, "judgment_spread", minimum=0)
    dn = check_number(data_noise, "data_noise")
    vn = check_number(value_noise, "value_noise")
    s = check_count(seed, "seed", minimum=0)
    t = check_number(time_limit, "time_limit", above=True)
    g = check_number(gap, "gap")
    ht = check_number(heuristic_time, "heuristic_time")
    if n > MAX_RUNS:
        raise ScenarioError(
            f"runs is {n:,}; accepted: at most {MAX_RUNS:,} (the frequencies settle long before)"
        )
    specs = _RunSpecs(n, _RunSpec(
        index=0, seed=np.random.SeedSequence(s), judgment_spread=spread, data_noise=dn,
        value_noise=vn, heuristic=bool(heuristic), time_limit=t, gap=g, heuristic_time=ht,
    ))
    study = None
    if log is not None:
        study = Study("robust", {
            "scenario": scenario.fingerprint, "seed": s, "judgment_spread": spread,
            "data_noise": dn, "value_noise": vn, "heuristic": bool(heuristic),
            "heuristic_time": ht, "heuristic_moves": HEURISTIC_MOVES, "time_limit": t, "gap": g,
        }, RunRecord)
    records = run_tasks(_robust_task, scenario, specs, engine=engine, progress=progress,
                        log=log, study=study)
    feasible = [r for r in records if r.feasible]
    ids = list(map(str, scenario.partners.index))
    counts = Counter(p for r in feasible for p in r.selected)
    freq = pd.Series(
        [counts.get(p, 0) / len(feasible) if feasible else 0.0 for p in ids],
        index=pd.Index(ids, name="partner_id"), name="frequency", dtype=float,
    )
    order = sorted(range(len(ids)), key=lambda k: (-freq.iloc[k], ids[k]))
    freq = freq.iloc[order]
    sets = Counter(tuple(sorted(r.selected)) for r in feasible)
    modal: tuple[str, ...] = ()
    modal_count = 0
    if sets:
        modal, modal_count = min(sets.items(), key=lambda kv: (-kv[1], kv[0]))
    metrics: dict[str, list[float | None]] = {
        "covered_share": [r.covered_share for r in feasible],
        "covered_value": [r.covered_value for r in feasible],
        "cost": [r.cost for r in feasible],
        "objective": [r.objective for r in feasible],
    }
    spread_rows = {}
    for metric, values in metrics.items():
        arr = np.array([math.nan if v is None else float(v) for v in values], dtype=np.float64)
        row: dict[str, float] = {}
        finite = arr[np.isfinite(arr)]
        row["mean"] = float(finite.mean()) if finite.size else math.nan
        row["min"] = float(finite.min()) if finite.size else math.nan
        for q in _QUANTILES:
            row[f"q{round(q * 100):02d}"] = float(np.quantile(finite, q)) if finite.size else math.nan
        row["max"] = float(finite.max()) if finite.size else math.nan
        spread_rows[metric] = row
    cols = [c for c in ("name", "type", "cost") if c in scenario.partners.columns]
    return RobustnessResult(
        scenario=scenario.name, runs=tuple(records), seed=s, judgment_spread=spread,
        data_noise=dn, value_noise=vn, heuristic=bool(heuristic), frequency=freq,
        modal_portfolio=modal, modal_count=modal_count,
        spread=pd.DataFrame.from_dict(spread_rows, orient="index"),
        partners=scenario.partners[cols].copy(),
    )

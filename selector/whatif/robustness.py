"""How robust is the portfolio? Budget frontiers, Monte Carlo perturbation and sweeps.

Three studies, each a batch of independent solves that can run in this process, on a
local process pool or on a Dask cluster, with the same numbers whichever runs them:

* :func:`frontier` -- coverage against budget: where extra money stops buying coverage;
* :func:`robustness` -- Monte Carlo: perturb the AHP judgments, the partner data and the
  segment values, re-score and re-solve many times; how often is each partner chosen?
* :func:`sweep` -- the cartesian product of scenario settings (budget x cap x ...),
  tabulated; :func:`load_sweep` reads a sweep spec from TOML::

      scenario = "../teaching.toml"          # relative to this file
      [grid]
      "budget.total" = [400_000, 600_000, 800_000]
      "constraints.max_partners_per_segment" = [2, 3]

Engines (``engine=``): ``None`` -- a local process pool with one worker per CPU; an int
``N`` -- a local process pool with ``N`` workers; ``"serial"`` -- this process; a
``dask.distributed.Client`` or a scheduler address such as ``"tcp://host:8786"``. With
Dask the scenario is scattered once to every worker, tasks carry only a run index or
an override table, results are kept as each task completes, and a task lost with its
worker is retried (``retries=2``).

Every task is a pure function of (scenario, task description): a Monte Carlo run
draws from its own stream ``SeedSequence(seed).spawn(runs)[i]``, and the solver runs
with a fixed seed on one thread. Exact solves that stop at their time limit, and the
heuristic's time-bounded local search on large scenarios, can still depend on machine
speed; results are identical between engines when the solves finish by their gap.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import multiprocessing as mp
import os
import tomllib
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import as_completed as futures_completed
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar, cast

import numpy as np
import pandas as pd

from selector.errors import ScenarioError, SelectorError
from selector.inputs.criteria import CriteriaModel, JudgmentSet
from selector.inputs.scenario import Scenario, load_scenario
from selector.portfolio import DEFAULT_SEED, PortfolioResult, heuristic_solve, solve

__all__ = [
    "SAATY_SCALE",
    "SWEEP_KEYS",
    "FrontierPoint",
    "FrontierResult",
    "Progress",
    "RobustnessResult",
    "RunRecord",
    "SweepResult",
    "SweepRow",
    "frontier",
    "load_sweep",
    "perturb_scenario",
    "robustness",
    "run_tasks",
    "sweep",
    "write_csv",
]

Progress = Callable[[int, int], None]
"""A progress callback ``(done, total) -> None``."""

SAATY_SCALE: tuple[float, ...] = (
    *(1.0 / k for k in range(9, 1, -1)),
    *(float(k) for k in range(1, 10)),
)
"""Saaty's 17 steps 1/9, 1/8, ..., 1/2, 1, 2, ..., 9 (index 8 is 1)."""

_LOG_SCALE = np.log(np.array(SAATY_SCALE))

SWEEP_KEYS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "budget": ("total", "pools"),
        "objective": ("kind",),
        "constraints": (
            "must_include", "must_exclude", "conflicts", "max_partners_per_segment",
            "min_partners", "type_mix", "tier2_needs_distributor",
        ),
        "tiers": ("gold", "silver", "exit", "exclude_exit"),
        "positioning": ("importance_to_partner",),
    }
)
"""Settings a sweep may vary: ``SECTION.KEY`` (and ``budget.pools.POOL``,
``constraints.min_partners.named|default``, ``constraints.type_mix.TYPE``)."""

_DEEPER = {"budget.pools", "constraints.min_partners", "constraints.type_mix"}
_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)

T = TypeVar("T")
P = TypeVar("P")


# --- engines ---------------------------------------------------------------------------


def _check_engine(engine: Any) -> None:
    accepted = (
        "accepted: None (one worker per CPU), a number of local workers >= 1, 'serial', "
        "a dask.distributed.Client or a scheduler address such as 'tcp://host:8786'"
    )
    if engine is None or isinstance(engine, str):
        return
    if isinstance(engine, bool) or (isinstance(engine, int) and engine < 1):
        raise ScenarioError(f"engine is {engine!r}; {accepted}")
    if not isinstance(engine, int) and not hasattr(engine, "submit"):
        raise ScenarioError(f"engine is {engine!r}; {accepted}")


def run_tasks(
    task: Callable[[Scenario, P], T],
    scenario: Scenario,
    payloads: Sequence[P],
    *,
    engine: Any = None,
    progress: Progress | None = None,
) -> list[T]:
    """Run ``task(scenario, payload)`` for every payload on an engine; results in order.

    Parameters
    ----------
    task
        A module-level (importable) function; with Dask also a local function.
    scenario
        Shared by every task: sent once per worker with Dask, with each task with the
        process pool.
    payloads
        One small, picklable description per task.
    engine
        ``None`` (process pool, one worker per CPU), an int (process pool with that
        many workers), ``"serial"``, a ``dask.distributed.Client`` or a scheduler
        address.
    progress
        Called with ``(done, total)`` once before the first task and after each result
        arrives.

    Returns
    -------
    list
        ``task``'s results in the order of ``payloads``.

    Raises
    ------
    SelectorError
        A task failed (with Dask: after its retries); the message says how many tasks
        had completed.
    """
    _check_engine(engine)
    total = len(payloads)
    results: list[T | None] = [None] * total
    if progress is not None:
        progress(0, total)
    if total == 0:
        return []
    done = 0

    def keep(index: int, value: T) -> None:
        nonlocal done
        results[index] = value
        done += 1
        if progress is not None:
            progress(done, total)

    if engine == "serial":
        for i, payload in enumerate(payloads):
            keep(i, task(scenario, payload))
    elif engine is None or isinstance(engine, int):
        workers = min(int(engine or os.cpu_count() or 1), total)
        # spawn: never fork a parent that may run threads (a Dask client, HiGHS)
        with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
            futures = {pool.submit(task, scenario, p): i for i, p in enumerate(payloads)}
            try:
                for fut in futures_completed(futures):
                    keep(futures[fut], fut.result())
            except BaseException as exc:
                pool.shutdown(wait=False, cancel_futures=True)
                if isinstance(exc, Exception) and not isinstance(exc, SelectorError):
                    raise SelectorError(
                        f"a task failed after {done} of {total} completed: {exc}"
                    ) from exc
                raise
    else:
        _run_dask(task, scenario, payloads, engine, keep, lambda: done)
    return cast("list[T]", results)


def _run_dask(
    task: Callable[[Scenario, P], T],
    scenario: Scenario,
    payloads: Sequence[P],
    engine: Any,
    keep: Callable[[int, T], None],
    done: Callable[[], int],
) -> None:
    try:
        import distributed
    except ImportError:  # pragma: no cover - dask is an optional dependency
        raise ScenarioError(
            "engine is a Dask client or scheduler address, but dask.distributed is not "
            "installed; install selector[distributed] or use engine='serial'"
        ) from None
    as_completed: Any = distributed.as_completed
    make_client: Any = distributed.Client
    own = isinstance(engine, str)
    client = make_client(engine, timeout="30s", set_as_default=False) if own else engine
    try:
        shared = client.scatter(scenario, broadcast=True, hash=False)
        tag = uuid.uuid4().hex[:8]
        name = getattr(task, "__name__", "task").strip("_")
        pending: dict[Any, tuple[int, Any]] = {}
        for i, p in enumerate(payloads):
            fut = client.submit(task, shared, p, retries=2, pure=False, key=f"{name}-{tag}-{i}")
            pending[fut.key] = (i, fut)
        queue = as_completed([f for _, f in pending.values()], with_results=True)
        attempts = [0] * len(payloads)
        try:
            for fut, value in queue:
                i, _ = pending.pop(fut.key)
                if fut.status != "finished" or isinstance(value, BaseException):
                    # Cancelled or lost with its worker beyond Dask's own retries:
                    # submit it again (a task is a pure function of its payload).
                    attempts[i] += 1
                    if attempts[i] > 3:
                        raise SelectorError(
                            f"task {i} failed {attempts[i]} times: {value!r}"
                        )
                    # The shared scenario may have gone with the lost worker: send it
                    # again before resubmitting (cheap next to a lost run).
                    shared = client.scatter(scenario, broadcast=True, hash=False)
                    again = client.submit(
                        task, shared, payloads[i], retries=2, pure=False,
                        key=f"{name}-{tag}-{i}-again{attempts[i]}",
                    )
                    pending[again.key] = (i, again)
                    queue.add(again)
                    continue
                keep(i, value)
                # Drop the future once its result is here: the cluster forgets the task,
                # so a worker lost later does not make it compute this one again.
                del fut, value
        except Exception as exc:
            client.cancel([f for _, f in pending.values()])
            if isinstance(exc, SelectorError):
                raise
            raise SelectorError(
                f"a task failed after {done()} of {len(payloads)} completed: {exc}"
            ) from exc
    finally:
        if own:
            client.close()


def _check_number(value: Any, name: str, *, minimum: float = 0.0, above: bool = False) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < minimum or (above and value == minimum):
        rel = ">" if above else ">="
        raise ScenarioError(f"{name} is {value!r}; accepted: a number {rel} {minimum:g}")
    return float(value)


def _check_count(value: Any, name: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ScenarioError(f"{name} is {value!r}; accepted: a whole number >= {minimum}")
    return int(value)


def _num(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _total_value(scenario: Scenario) -> float:
    return float(scenario.segments["value"].sum())


@dataclass(frozen=True)
class _Outcome:
    status: str
    objective: float | None
    bound: float | None
    gap: float | None
    cost: float
    covered_value: float
    covered_share: float | None
    selected: tuple[str, ...]
    seconds: float = field(default=0.0, compare=False)


def _outcome(result: PortfolioResult, total_value: float) -> _Outcome:
    feasible = result.feasible
    covered = result.covered_value if feasible else 0.0
    return _Outcome(
        status=result.status,
        objective=_num(result.objective),
        bound=_num(result.bound),
        gap=_num(result.gap),
        cost=float(result.cost) if feasible else 0.0,
        covered_value=float(covered),
        covered_share=covered / total_value if feasible and total_value > 0 else None,
        selected=tuple(result.selected) if feasible else (),
        seconds=float(result.wall_seconds),
    )


def _exact(scenario: Scenario, time_limit: float, gap: float) -> PortfolioResult:
    # warm_start=False: solve()'s heuristic start runs until its time budget, so the
    # start (and with it the MIP's path) would depend on machine speed; HiGHS alone
    # with a fixed seed on one thread is reproducible whenever it ends by the gap.
    return solve(
        scenario, time_limit=time_limit, gap=gap, seed=DEFAULT_SEED, threads=1,
        explain=False, warm_start=False,
    )


# --- budget frontier ---------------------------------------------------------------------


@dataclass(frozen=True)
class FrontierPoint:
    """One budget of a frontier and the portfolio solved for it.

    ``marginal`` is the objective gained per extra unit of budget since the previous
    point (None for the first point or when either point has no portfolio);
    ``previous_fits`` says whether the previous point's portfolio keeps this budget
    (a valid warm start).
    """

    budget: float
    status: str
    objective: float | None
    bound: float | None
    gap: float | None
    cost: float
    covered_value: float
    covered_share: float | None
    selected: tuple[str, ...]
    marginal: float | None
    previous_fits: bool | None
    warm_started: bool
    seconds: float = field(default=0.0, compare=False)


@dataclass(frozen=True)
class FrontierResult:
    """Coverage against budget.

    ``saturation_budget`` is the first budget after which the marginal objective per
    extra unit of budget falls below ``saturation`` times the first step's (the first
    step between two points that both have a portfolio); None when it never does over
    the range.
    """

    scenario: str
    points: tuple[FrontierPoint, ...]
    saturation: float
    saturation_budget: float | None
    time_limit: float
    gap: float

    def to_frame(self) -> pd.DataFrame:
        """One row per budget; ``selected`` as ``;``-separated ids."""
        rows = []
        for p in self.points:
            row = dataclasses.asdict(p)
            row["n_selected"] = len(p.selected)
            row["selected"] = ";".join(p.selected)
            rows.append(row)
        return pd.DataFrame(rows).set_index("budget")

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary."""
        return {
            "scenario": self.scenario,
            "saturation": self.saturation,
            "saturation_budget": _num(self.saturation_budget),
            "time_limit": self.time_limit,
            "gap": self.gap,
            "points": [
                {**dataclasses.asdict(p), "selected": list(p.selected),
                 "n_selected": len(p.selected)}
                for p in self.points
            ],
        }


def _frontier_task(scenario: Scenario, payload: tuple[float, float, float, tuple[str, ...] | None]) -> _Outcome:
    budget, time_limit, gap, start = payload
    variant = scenario.with_changes({"budget": {"total": budget}})
    if start is not None:
        solve_with_start: Any = solve  # ``start=`` is newer than this module's typing
        result = solve_with_start(variant, time_limit=time_limit, gap=gap, seed=DEFAULT_SEED,
                                  threads=1, explain=False, warm_start=False, start=start)
    else:
        result = _exact(variant, time_limit, gap)
    return _outcome(result, _total_value(scenario))


def _solve_takes_start() -> bool:
    import inspect

    return "start" in inspect.signature(solve).parameters


def frontier(
    scenario: Scenario,
    budgets: Sequence[float] | None = None,
    *,
    points: int = 8,
    low: float = 0.5,
    high: float = 1.5,
    saturation: float = 0.10,
    time_limit: float = 10,
    gap: float = 1e-3,
    engine: Any = None,
    progress: Progress | None = None,
) -> FrontierResult:
    """Solve the portfolio over a range of budgets: where does money stop buying coverage?

    Parameters
    ----------
    scenario
        A loaded scenario; only ``budget.total`` changes between points.
    budgets
        The budgets to solve (sorted, duplicates dropped); default ``points`` budgets
        evenly from ``low`` to ``high`` times the scenario's ``budget.total``.
    points, low, high
        The default range (``points >= 2``, ``0 <= low < high``).
    saturation
        Marginal-gain share (of the first segment's) below which extra money is said
        to stop buying coverage.
    time_limit, gap
        Per solve; points that stop at the limit say so in ``status`` and ``gap``.
    engine, progress
        See :func:`run_tasks`. With ``engine="serial"`` and a ``solve`` that accepts
        ``start=``, budgets are solved in increasing order, each started from the
        previous portfolio when it fits; otherwise points are solved independently.

    Returns
    -------
    FrontierResult

    Raises
    ------
    ScenarioError
        Bad range or budgets, or no ``budget.total`` to scale when ``budgets`` is None.
    """
    t = _check_number(time_limit, "time_limit", above=True)
    g = _check_number(gap, "gap")
    share = _check_number(saturation, "saturation")
    if budgets is None:
        n = _check_count(points, "points", minimum=2)
        lo = _check_number(low, "low")
        hi = _check_number(high, "high")
        if not lo < hi:
            raise ScenarioError(f"low {lo:g} must be below high {hi:g} (multiples of the budget)")
        base = scenario.budget.total
        if base is None:
            raise ScenarioError(
                "the scenario has no budget.total to scale; give budgets=[...] explicitly",
                file=scenario.source,
            )
        values = [float(b) for b in np.linspace(lo * base, hi * base, n)]
    else:
        values = [_check_number(b, "budget") for b in budgets]
        if not values:
            raise ScenarioError("budgets is empty; accepted: one or more numbers >= 0")
    values = sorted(set(values))
    chain = engine == "serial" and _solve_takes_start()
    outcomes: list[_Outcome]
    warm: list[bool] = [False] * len(values)
    if chain:
        outcomes = []
        if progress is not None:
            progress(0, len(values))
        for i, b in enumerate(values):
            start = outcomes[-1].selected if outcomes and outcomes[-1].selected else None
            if start is not None and outcomes[-1].cost > b:
                start = None
            warm[i] = start is not None
            outcomes.append(_frontier_task(scenario, (b, t, g, start)))
            if progress is not None:
                progress(i + 1, len(values))
    else:
        outcomes = run_tasks(
            _frontier_task, scenario, [(b, t, g, None) for b in values],
            engine=engine, progress=progress,
        )
    pts: list[FrontierPoint] = []
    for i, (b, o) in enumerate(zip(values, outcomes, strict=True)):
        prev = outcomes[i - 1] if i else None
        marginal = None
        fits = None
        if prev is not None:
            fits = prev.cost <= b * (1 + 1e-12) if prev.selected else None
            if prev.objective is not None and o.objective is not None and b > values[i - 1]:
                marginal = (o.objective - prev.objective) / (b - values[i - 1])
        pts.append(
            FrontierPoint(
                budget=b, status=o.status, objective=o.objective, bound=o.bound, gap=o.gap,
                cost=o.cost, covered_value=o.covered_value, covered_share=o.covered_share,
                selected=o.selected, marginal=marginal, previous_fits=fits,
                warm_started=warm[i], seconds=o.seconds,
            )
        )
    sat = None
    steps = [k for k, p in enumerate(pts) if p.marginal is not None]
    first = pts[steps[0]].marginal if steps else None
    if first is not None and first > 0:
        for k in steps[1:]:
            m = pts[k].marginal
            if m is not None and m < share * first:
                sat = pts[k - 1].budget
                break
    return FrontierResult(
        scenario=scenario.name, points=tuple(pts), saturation=share,
        saturation_budget=sat, time_limit=t, gap=g,
    )


# --- Monte Carlo robustness ----------------------------------------------------------------


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
    segments["value"] = segments["value"].to_numpy(dtype=float) * np.exp(
        rng.normal(0.0, value_noise, size=len(segments))
    )
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


def _greedy(scenario: Scenario) -> _Outcome:
    """The heuristic portfolio with its search bounded by a move count, not by time, so
    the same run gives the same portfolio on any worker however busy it is."""
    return _outcome(
        heuristic_solve(scenario, seed=DEFAULT_SEED, moves=HEURISTIC_MOVES),
        _total_value(scenario),
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
        o = _outcome(
            heuristic_solve(variant, time_budget=spec.heuristic_time, seed=DEFAULT_SEED),
            _total_value(variant),
        )
    else:
        o = _outcome(_exact(variant, spec.time_limit, spec.gap), _total_value(variant))
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
                str(metric): {str(q): _num(float(v)) for q, v in row.items()}
                for metric, row in self.spread.iterrows()
            },
            "run_records": [
                {**dataclasses.asdict(r), "selected": list(r.selected)} for r in self.runs
            ],
        }


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

    Returns
    -------
    RobustnessResult

    Raises
    ------
    ScenarioError
        For a bad option (the message names it and what is accepted).
    """
    n = _check_count(runs, "runs", minimum=1)
    spread = _check_count(judgment_spread, "judgment_spread", minimum=0)
    dn = _check_number(data_noise, "data_noise")
    vn = _check_number(value_noise, "value_noise")
    s = _check_count(seed, "seed", minimum=0)
    t = _check_number(time_limit, "time_limit", above=True)
    g = _check_number(gap, "gap")
    ht = _check_number(heuristic_time, "heuristic_time")
    specs = [
        _RunSpec(index=i, seed=child, judgment_spread=spread, data_noise=dn, value_noise=vn,
                 heuristic=bool(heuristic), time_limit=t, gap=g, heuristic_time=ht)
        for i, child in enumerate(np.random.SeedSequence(s).spawn(n))
    ]
    records = run_tasks(_robust_task, scenario, specs, engine=engine, progress=progress)
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


# --- sweeps ----------------------------------------------------------------------------------


def _check_key(key: Any, file: str | None) -> tuple[str, ...]:
    accepted = ", ".join(f"{s}.{k}" for s, keys in SWEEP_KEYS.items() for k in keys)
    if not isinstance(key, str):
        raise ScenarioError(f"grid key {key!r} is not text; accepted: {accepted}", file=file)
    parts = tuple(key.split("."))
    ok = len(parts) >= 2 and parts[0] in SWEEP_KEYS and parts[1] in SWEEP_KEYS[parts[0]]
    if ok and len(parts) > 2:
        ok = ".".join(parts[:2]) in _DEEPER and len(parts) == 3 and bool(parts[2])
        if ok and parts[1] == "min_partners":
            ok = parts[2] in ("named", "default")
    if not ok:
        raise ScenarioError(
            f"grid key '{key}' is not a scenario setting a sweep can vary; accepted: "
            f"{accepted} (and budget.pools.POOL, constraints.min_partners.named|default, "
            "constraints.type_mix.TYPE)",
            file=file,
        )
    return parts


def _nest(overrides: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in overrides.items():
        node = out
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


@dataclass(frozen=True)
class SweepRow:
    """One combination of a sweep: its overrides and the portfolio solved for it."""

    overrides: Mapping[str, Any]
    status: str
    objective: float | None
    bound: float | None
    gap: float | None
    cost: float
    covered_value: float
    covered_share: float | None
    selected: tuple[str, ...]
    seconds: float = field(default=0.0, compare=False)


@dataclass(frozen=True)
class SweepResult:
    """A solved grid of scenario settings: one row per combination, in grid order
    (the last key varies fastest)."""

    scenario: str
    keys: tuple[str, ...]
    rows: tuple[SweepRow, ...]
    time_limit: float
    gap: float

    def to_frame(self) -> pd.DataFrame:
        """One row per combination; list values and ``selected`` as ``;``-separated text."""

        def cell(v: Any) -> Any:
            if isinstance(v, list | tuple):
                return ";".join(cell(x) if not isinstance(x, str) else x for x in v)
            if isinstance(v, Mapping):
                return json.dumps(v, sort_keys=True)
            return v

        out = []
        for r in self.rows:
            row = {k: cell(r.overrides[k]) for k in self.keys}
            row.update(
                status=r.status, objective=r.objective, bound=r.bound, gap=r.gap, cost=r.cost,
                covered_value=r.covered_value, covered_share=r.covered_share,
                n_selected=len(r.selected), selected=";".join(r.selected), seconds=r.seconds,
            )
            out.append(row)
        return pd.DataFrame(out)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary."""
        return {
            "scenario": self.scenario,
            "keys": list(self.keys),
            "time_limit": self.time_limit,
            "gap": self.gap,
            "rows": [
                {**dataclasses.asdict(r), "overrides": dict(r.overrides),
                 "selected": list(r.selected), "n_selected": len(r.selected)}
                for r in self.rows
            ],
        }


def _sweep_task(scenario: Scenario, payload: tuple[dict[str, Any], float, float]) -> _Outcome:
    overrides, time_limit, gap = payload
    variant = scenario.with_changes(_nest(overrides))
    return _outcome(_exact(variant, time_limit, gap), _total_value(variant))


def _check_grid(
    scenario: Scenario, grid: Mapping[str, Sequence[Any]], file: str | None
) -> list[dict[str, Any]]:
    if not isinstance(grid, Mapping) or not grid:
        raise ScenarioError(
            "grid must be a non-empty table of setting = [values], such as "
            "{\"budget.total\": [400000, 600000]}",
            file=file,
        )
    for key, values in grid.items():
        _check_key(key, file)
        if not isinstance(values, list | tuple) or not values:
            raise ScenarioError(
                f"grid '{key}' is {values!r}; accepted: a non-empty list of values", file=file
            )
    keys = list(grid)
    combos = [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*grid.values())]
    for combo in combos:
        try:
            scenario.with_changes(_nest(combo))
        except ScenarioError as exc:
            raise ScenarioError(
                f"grid combination {json.dumps(combo, default=str)}: {exc.detail}", file=file
            ) from None
    return combos


def sweep(
    scenario: Scenario,
    grid: Mapping[str, Sequence[Any]],
    *,
    time_limit: float = 10,
    gap: float = 1e-3,
    engine: Any = None,
    progress: Progress | None = None,
) -> SweepResult:
    """Solve every combination of ``grid`` (the cartesian product) and tabulate them.

    Parameters
    ----------
    scenario
        The base scenario.
    grid
        Dotted setting paths to lists of values, for example
        ``{"budget.total": [1e6, 2e6], "constraints.must_exclude": [[], ["D01"]]}``;
        see :data:`SWEEP_KEYS`.
    time_limit, gap
        Per solve.
    engine, progress
        See :func:`run_tasks`.

    Returns
    -------
    SweepResult

    Raises
    ------
    ScenarioError
        An unknown key, an empty value list, or a combination the scenario refuses
        (all checked before anything is solved).
    """
    t = _check_number(time_limit, "time_limit", above=True)
    g = _check_number(gap, "gap")
    combos = _check_grid(scenario, grid, None)
    outcomes = run_tasks(
        _sweep_task, scenario, [(c, t, g) for c in combos], engine=engine, progress=progress
    )
    rows = tuple(
        SweepRow(overrides=c, status=o.status, objective=o.objective,
                 bound=o.bound, gap=o.gap, cost=o.cost, covered_value=o.covered_value,
                 covered_share=o.covered_share, selected=o.selected, seconds=o.seconds)
        for c, o in zip(combos, outcomes, strict=True)
    )
    return SweepResult(scenario=scenario.name, keys=tuple(grid), rows=rows, time_limit=t, gap=g)


def load_sweep(path: str | Path) -> tuple[Scenario, dict[str, list[Any]]]:
    """Read a sweep spec: ``scenario = "PATH"`` (relative to the spec) and ``[grid]``.

    Raises
    ------
    ScenarioError
        Unreadable TOML, unknown keys, a missing scenario, or a grid key that is not a
        setting a sweep can vary (named with what is accepted).
    """
    p = Path(path)
    file = str(p)
    if not p.is_file():
        raise ScenarioError("sweep spec not found", file=file)
    try:
        with p.open("rb") as fh:
            data = tomllib.load(fh)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"not valid TOML: {exc}", file=file) from None
    unknown = sorted(set(data) - {"name", "description", "scenario", "grid"})
    if unknown:
        raise ScenarioError(
            f"unknown key(s) {', '.join(unknown)}; accepted: name, description, scenario, grid",
            file=file,
        )
    target = data.get("scenario")
    if not isinstance(target, str) or not target.strip():
        raise ScenarioError(
            "'scenario' is missing; give the scenario TOML path, relative to this file",
            file=file,
        )
    grid = data.get("grid")
    if not isinstance(grid, Mapping) or not grid:
        raise ScenarioError(
            "[grid] is missing or empty; give dotted settings as quoted keys, such as "
            "\"budget.total\" = [400_000, 600_000]",
            file=file,
        )
    if any(isinstance(v, Mapping) for v in grid.values()):
        bad = next(k for k, v in grid.items() if isinstance(v, Mapping))
        raise ScenarioError(
            f"grid key '{bad}' is a table: quote dotted keys, as \"{bad}.KEY\" = [...]",
            file=file,
        )
    for key in grid:
        _check_key(key, file)
    target_path = p.parent / target
    if not target_path.is_file():
        raise ScenarioError(
            f"scenario '{target}' not found (looked for {target_path}); the path is "
            "relative to the sweep spec",
            file=file,
        )
    scenario = load_scenario(target_path)
    _check_grid(scenario, grid, file)
    return scenario, {k: list(v) for k, v in grid.items()}


# --- output --------------------------------------------------------------------------------


def write_csv(frame: pd.DataFrame, path: str | Path, *, overwrite: bool = False) -> None:
    """Write ``frame`` as CSV; refuse to replace an existing file unless ``overwrite``."""
    p = Path(path)
    if p.exists() and not overwrite:
        raise ScenarioError("the file exists; pass --force (overwrite=True) to replace it", file=str(p))
    frame.to_csv(p)

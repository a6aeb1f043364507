"""Budget frontier: coverage against budget, where extra money stops buying coverage.

:func:`frontier` solves the portfolio over a range of budgets (only ``budget.total``
changes between points) and finds the budget after which the marginal objective per
extra unit of budget falls below a share of the first step's. The solves run on any
engine of :func:`~selector.whatif.engines.run_tasks`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from selector.errors import ScenarioError
from selector.inputs.scenario import Scenario
from selector.inputs.tables import MAX_AMOUNT
from selector.portfolio import DEFAULT_SEED, solve
from selector.whatif._shared import (
    _check_count,
    _check_number,
    _exact,
    _num,
    _Outcome,
    _outcome,
    _total_value,
)
from selector.whatif.engines import Progress, run_tasks

__all__ = ["MAX_POINTS", "FrontierPoint", "FrontierResult", "frontier"]

#: The most budgets one frontier solves (a curve is read from a few dozen).
MAX_POINTS = 1000


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
        The default range (``2 <= points <=`` :data:`MAX_POINTS`, ``0 <= low < high``,
        ``high`` times the budget at most :data:`~selector.inputs.tables.MAX_AMOUNT`).
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
        if n > MAX_POINTS:
            raise ScenarioError(
                f"points is {n:,}; accepted: 2 to {MAX_POINTS:,} budgets (a curve is read "
                "from a few dozen)"
            )
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
        if hi * base > MAX_AMOUNT:
            raise ScenarioError(
                f"high is {hi:g}: {hi:g} times the budget ({base:,.0f}) is above "
                f"{MAX_AMOUNT:g}; accepted: at most {MAX_AMOUNT / max(base, 1.0):g}"
            )
        values = [float(b) for b in np.linspace(lo * base, hi * base, n)]
    else:
        values = [_check_number(b, "budget") for b in budgets]
        if not values:
            raise ScenarioError("budgets is empty; accepted: one or more numbers >= 0")
        if len(values) > MAX_POINTS:
            raise ScenarioError(
                f"budgets has {len(values):,} values; accepted: at most {MAX_POINTS:,}"
            )
        high_budget = max(values)
        if high_budget > MAX_AMOUNT:
            raise ScenarioError(
                f"budget {high_budget:g}; accepted: a number from 0 to {MAX_AMOUNT:g}"
            )
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

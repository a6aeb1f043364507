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
from selector.whatif._shared import (
    Outcome,
    check_count,
    check_number,
    finite_or_none,
    outcome_of,
    solve_variant,
    total_segment_value,
)
from selector.whatif.engines import Progress, Study, TaskLog, run_tasks

__all__ = ["MAX_POINTS", "FrontierPoint", "FrontierResult", "frontier"]

#: The most budgets one frontier solves (a curve is read from a few dozen).
MAX_POINTS = 1000


@dataclass(frozen=True)
class FrontierPoint:
    """One budget of a frontier and the portfolio solved for it.

    ``marginal`` is the objective gained per extra unit of budget since the previous
    point (None for the first point or when either point has no portfolio);
    ``previous_fits`` says whether the previous point's portfolio keeps this budget.
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
            "saturation_budget": finite_or_none(self.saturation_budget),
            "time_limit": self.time_limit,
            "gap": self.gap,
            "points": [
                {**dataclasses.asdict(p), "selected": list(p.selected),
                 "n_selected": len(p.selected)}
                for p in self.points
            ],
        }


def _frontier_task(scenario: Scenario, payload: tuple[float, float, float, bool]) -> Outcome:
    budget, time_limit, gap, session = payload
    variant = scenario.with_changes({"budget": {"total": budget}})
    return outcome_of(solve_variant(scenario, variant, time_limit, gap, session),
                      total_segment_value(scenario))


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
    log: TaskLog | None = None,
    session: bool = False,
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
    engine, progress, log
        See :func:`run_tasks`: each budget is solved independently, the same way on
        every engine; ``log`` keeps each point as it arrives and gives back those kept
        before for the same scenario, budgets and options.
    session
        Solve the budgets through one solve session per worker process
        (:class:`~selector.whatif.session.Session`), in ascending order on each: a budget
        starts from the plan and cuts of the one below. Each point is proved as an
        independent solve proves it; a tie between plans of equal value may be settled
        otherwise, as the order of the tasks on the workers decides.

    Returns
    -------
    FrontierResult

    Raises
    ------
    ScenarioError
        Bad range or budgets, or no ``budget.total`` to scale when ``budgets`` is None.
    """
    t = check_number(time_limit, "time_limit", above=True)
    g = check_number(gap, "gap")
    share = check_number(saturation, "saturation")
    if budgets is None:
        n = check_count(points, "points", minimum=2)
        lo = check_number(low, "low")
        hi = check_number(high, "high")
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
        values = [check_number(b, "budget") for b in budgets]
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
    study = None
    if log is not None:
        spec: dict[str, Any] = {
            "scenario": scenario.fingerprint, "budgets": values, "time_limit": t, "gap": g,
        }
        if session:
            spec["session"] = True
        study = Study("frontier", spec, Outcome)
    outcomes = run_tasks(
        _frontier_task, scenario, [(b, t, g, bool(session)) for b in values],
        engine=engine, progress=progress, log=log, study=study,
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
                seconds=o.seconds,
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

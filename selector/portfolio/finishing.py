"""Finishing stages after a search: partners that add nothing left out
(:func:`without_idle_note`), and the bound read sanely and tightened by submodularity
and, for large coverage models, the Lagrangian dual (:func:`finish_bound`), with the
time that dual leaves given to more local search (:func:`more_search`)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

from selector.display import plural
from selector.portfolio.bounds import submodular_bound
from selector.portfolio.clock import Deadline
from selector.portfolio.heuristics import greedy_portfolio, without_idle
from selector.portfolio.instance import PortfolioInstance
from selector.portfolio.lagrange import lagrangian_bound
from selector.portfolio.model import MipModel
from selector.portfolio.result import relative_gap
from selector.portfolio.solvers import SolveProgress
from selector.portfolio.tier_moves import without_idle_spend

__all__ = [
    "LAGRANGE_ITERATIONS",
    "LAGRANGE_SECONDS",
    "LAGRANGE_SHARE",
    "MSG_IDLE",
    "MSG_IDLE_SPEND",
    "Tidy",
    "finish_bound",
    "lagrangian_seconds",
    "more_search",
    "sane_bound",
    "without_idle_note",
    "without_idle_spend_note",
]

#: The Lagrangian bound's share of a search's time when it follows the search
#: (a route's ``lagrangian = "share"``), at most LAGRANGE_SECONDS ...
LAGRANGE_SHARE = 0.3
LAGRANGE_SECONDS = 10.0
#: ... and at most this many of its iterations (a bound after the solver's own; when
#: the Lagrangian is the only bound it has all the time).
LAGRANGE_ITERATIONS = 400
MSG_IDLE = (
    "{partners} that added no value (every segment they cover has another selected "
    "partner at least as good) {were} left out, saving {saved:,.0f}."
)
MSG_IDLE_SPEND = (
    "{partners} that added no value at {their} new level (every segment they cover has another "
    "selected partner at least as good) {were} undone as far as every rule allows ({moves}), "
    "saving {saved:,.0f}."
)


def lagrangian_seconds(share: str, remaining: float) -> float:
    """The Lagrangian bound's seconds of a search's ``remaining`` time."""
    if share == "all":
        return remaining
    if share == "share":
        return min(LAGRANGE_SECONDS, LAGRANGE_SHARE * remaining)
    return 0.0


def without_idle_note(
    inst: PortfolioInstance, x: np.ndarray, *, before: np.ndarray | None = None
) -> tuple[np.ndarray, str | None]:
    """``x`` without the partners that add nothing (:func:`without_idle`), and the
    explanation's line saying what that saves (None when none was); ``before`` marks
    partners already left out so (by the cut loop's ``tidy``), told of too when ``x``
    does not have them."""
    given = np.asarray(x, dtype=bool)
    after = without_idle(inst, given)
    gone = given & ~after
    if before is not None:
        gone |= before & ~after
    if not gone.any():
        return after, None
    n = int(gone.sum())
    return after, MSG_IDLE.format(partners=plural(n, "partner"), were="was" if n == 1 else "were",
                                  saved=float(inst.cost[gone].sum()))


def without_idle_spend_note(inst: PortfolioInstance, x: np.ndarray) -> tuple[np.ndarray, str | None]:
    """A plan ``x`` without spend that buys nothing (:func:`without_idle_spend`), and the
    explanation's line saying what moved and what that saves (None when nothing did)."""
    given = np.asarray(x, dtype=bool)
    after = without_idle_spend(inst, given)
    if not inst.has_levels or np.array_equal(after, given):
        return after, None
    assert inst.option_partner is not None and inst.option_level is not None
    moved = inst.active_partners(given) & ~inst.active_partners(after)
    was = inst.active_partners(given & ~after)
    n = int(was.sum())
    current = np.zeros(len(was), dtype=bool)
    if inst.current is not None:
        current[inst.option_partner[inst.current]] = True
    kinds = []
    for label, mask in (("not recruited", moved & ~current), ("promoted less", was & ~moved)):
        if mask.any():
            kinds.append(f"{int(mask.sum())} {label}")
    saved = inst.total_cost(given) - inst.total_cost(after)
    return after, MSG_IDLE_SPEND.format(partners=plural(n, "partner"), their="its" if n == 1 else "their",
                                        were="was" if n == 1 else "were", moves=", ".join(kinds), saved=saved)


class Tidy:
    """The cut loop's ``tidy``: :func:`without_idle`, remembering in ``left_out`` what
    it took out (for the explanation)."""

    def __init__(self, inst: PortfolioInstance) -> None:
        self.inst = inst
        self.left_out = np.zeros(inst.n_partners, dtype=bool)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        given = np.asarray(x, dtype=bool)
        after = without_idle(self.inst, given)
        self.left_out |= given & ~after
        return after


def sane_bound(bound: float | None, objective: float, inst: PortfolioInstance) -> float | None:
    """Read the solver's bound defensively: a sign flip and a bound on the wrong side
    of the incumbent have both been seen through solver interfaces."""
    if bound is None or not math.isfinite(bound):
        return None
    if inst.maximize:
        if bound < objective - 1e-6 * max(1.0, abs(objective)) and -bound >= objective:
            bound = -bound
        return max(bound, objective)
    return min(bound, objective)


def _bound_reporter(
    progress: Callable[[SolveProgress], object], incumbent: float, clock: Deadline
) -> Callable[[float], object]:
    """A Lagrangian bound's ``report`` as ``progress`` calls."""

    def report(bound: float) -> None:
        b = max(bound, incumbent)
        progress(SolveProgress(clock.elapsed(), incumbent, b, (b - incumbent) / max(abs(incumbent), 1e-9)))

    return report


def finish_bound(
    inst: PortfolioInstance,
    model: MipModel,
    x: np.ndarray,
    obj: float,
    solver_bound: float | None,
    *,
    gap: float,
    lagrangian: str,
    lagrangian_time: float,
    clock: Deadline,
    progress: Callable[[SolveProgress], object] | None,
) -> tuple[float | None, float]:
    """The best bound known on ``x``'s problem: the solver's in the instance's terms
    (the objective's offset added back, read sanely), the submodular bound when
    tighter, and the Lagrangian dual when the route gives it time and the gap is still
    open. Answers the bound and the seconds the Lagrangian took."""
    raw = solver_bound
    if raw is not None:
        raw += inst.objective_offset
    bound = sane_bound(raw, obj, inst)
    quick = submodular_bound(inst, x)
    if quick is not None and (bound is None or quick < bound):
        bound = max(quick, obj)
    seconds = 0.0
    if lagrangian_time > 0 and bound is not None and relative_gap(obj, bound, model.sense) > gap:
        alone = lagrangian == "all"
        report = _bound_reporter(progress, obj, clock) if progress is not None and alone else None
        began = time.perf_counter()
        priced = lagrangian_bound(inst, model, incumbent=x, seconds=lagrangian_time,
                                  iterations=LAGRANGE_ITERATIONS if not alone else None,
                                  target=obj * (1.0 + gap), report=report)
        if priced is not None and priced < bound:
            bound = max(priced, obj)
        seconds = time.perf_counter() - began
    return bound, seconds


def more_search(
    inst: PortfolioInstance,
    x: np.ndarray,
    obj: float,
    bound: float,
    *,
    gap: float,
    seed: int,
    at_least: float,
    clock: Deadline,
    progress: Callable[[SolveProgress], object] | None,
) -> tuple[np.ndarray, float, float]:
    """When the Lagrangian bound settled before the limit (L: after about 85 s of 107),
    the rest of the time goes to the local search, from the portfolio, with another
    seed (only when ``at_least`` seconds are left and the gap is open)."""
    left = clock.left()
    if left >= at_least and relative_gap(obj, bound, "max" if inst.maximize else "min") > gap:
        more = greedy_portfolio(inst, time_budget=left, seed=seed + 1, start=x)
        if more.feasible and more.objective > obj:
            x, obj = more.selected, more.objective
            bound = max(bound, obj)
            if progress is not None:
                _bound_reporter(progress, obj, clock)(bound)
    return x, obj, bound

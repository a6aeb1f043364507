"""Searches: what proves (or finds) the portfolio once a start is known. A set cover's
LP (:func:`cover_lp`), the whole model by a solver adapter, the Benders cut loop on the
partner columns, or the start alone with the Lagrangian bound after it; which one runs
is the route's (:func:`selector.portfolio.route.choose_route`), and :func:`run_search`
runs it. Every search answers a :class:`~selector.portfolio.solvers.Solved` in the
model's terms (its bound without the instance's ``objective_offset``)."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import NamedTuple

import numpy as np

from selector.portfolio.cuts import row_values, solve_by_cuts
from selector.portfolio.finishing import Tidy
from selector.portfolio.heuristics import HeuristicResult
from selector.portfolio.instance import PortfolioInstance, evaluate, pure_cover, violations
from selector.portfolio.model import MipModel, start_vector
from selector.portfolio.options import SolveOptions
from selector.portfolio.route import Route
from selector.portfolio.solvers import Solved, adapter, solve_without_rows
from selector.portfolio.solvers.highs import lp_relaxation
from selector.portfolio.starts import POLISH_SECONDS, lp_greedy

__all__ = ["LP_TOL", "CoverLp", "cover_lp", "run_search", "stage_solver"]

#: LP values within this of 0 or 1 count as integral (cover_lp).
LP_TOL = 1e-6


class CoverLp(NamedTuple):
    """What a pure set cover's LP says (:func:`cover_lp`), in the instance's terms."""

    optimum: np.ndarray | None  # the LP optimum's portfolio, when integral and rule-keeping
    bound: float  # no portfolio costs less (rounded up when every cost is a whole number)
    x: np.ndarray  # the LP's partner columns (for lp_rounded_cover)


def cover_lp(inst: PortfolioInstance, model: MipModel, time_limit: float) -> CoverLp | None:
    """A pure set cover's LP relaxation (see :func:`selector.portfolio.instance.pure_cover`):
    its optimum's portfolio when that is integral and keeps every rule (then it is the
    cheapest, and the bound is its cost), the LP's bound on the cheapest cost, and the
    LP's columns. None for other problems, or when the LP did not finish.

    On 9 of the OR-Library's 20 scp4x and scp5x files the LP optimum is integral: 1-3 ms
    of simplex answers them, where the search took 10-20 ms after its presolve and the
    greedy start 5 ms more (bench/portfolio_bench.py --orlib-only).
    """
    if not pure_cover(inst) or model.A.shape[0] == 0:
        return None
    relaxed = lp_relaxation(model, time_limit=max(0.05, time_limit))
    if relaxed is None:
        return None
    v, value = relaxed
    bound = value + inst.objective_offset
    live = ~inst.fixed_out
    if np.all(inst.cost[live] == np.round(inst.cost[live])):
        bound = math.ceil(bound - 1e-6 * max(1.0, abs(bound)))
    x = v[: inst.n_partners]
    if np.all((x <= LP_TOL) | (x >= 1.0 - LP_TOL)):
        sel = x > 0.5
        cost = evaluate(inst, sel)
        if not violations(inst, sel) and cost <= bound + 1e-9 * max(1.0, abs(bound)):
            return CoverLp(sel, cost, x)
    return CoverLp(None, float(bound), x)


def stage_solver(route: Route, options: SolveOptions) -> Callable[..., Solved]:
    """The route's solver adapter with its settings (presolve, restarts, node limit)."""
    return partial(adapter(route.solver), presolve=route.presolve, restart=route.restart,
                   node_limit=options.node_limit)


def run_search(
    route: Route,
    inst: PortfolioInstance,
    model: MipModel,
    options: SolveOptions,
    *,
    heuristic: HeuristicResult | None,
    lp: CoverLp | None,
    remaining: float,
    tidy: Tidy,
) -> Solved:
    """Run the route's search from ``heuristic`` (the start; None or infeasible: none)
    for ``remaining`` seconds; ``lp`` is a set cover's LP answer when one ran."""
    start_x = heuristic.selected if heuristic is not None and heuristic.feasible else None
    if lp is not None and lp.optimum is not None:
        return Solved("optimal", lp.optimum, lp.bound, lp.bound - inst.objective_offset)
    if (lp is not None and heuristic is not None and heuristic.feasible
            and heuristic.objective <= lp.bound + 1e-9 * max(1.0, abs(lp.bound))):
        # the start meets the LP's bound: nothing cheaper exists
        return Solved("optimal", heuristic.selected, heuristic.objective, lp.bound - inst.objective_offset)
    if route.search == "lagrange_only" and heuristic is not None:
        # the start is the portfolio; the Lagrangian (a finishing stage) bounds it
        return Solved("time_limit", heuristic.selected, heuristic.objective, None)
    if route.search == "cuts":
        moves = route.start_moves if options.deterministic else None
        rv = row_values(inst)
        pool = None if options.carry is None else options.carry.cuts_for(rv.pool_key)
        return solve_by_cuts(
            model, rv, time_limit=remaining, gap=options.gap, seed=options.seed,
            start=start_x, threads=options.threads, node_limit=options.node_limit,
            progress=options.progress,
            cost=inst.cost if route.tie_by_cost else None,
            polish=lp_greedy(inst, seed=options.seed, moves=moves,
                             seconds=min(POLISH_SECONDS, 0.1 * remaining)) if route.polish else None,
            first_lp=route.first_lp,
            neighbourhood=route.neighbourhood,
            tidy=tidy,
            pool=pool,
            restart=route.restart,
            fill_in=route.fill_in,
            bound=None if options.carry is None else options.carry.bound,
        )
    if model.A.shape[0] == 0:
        return solve_without_rows(model)
    first = start_vector(model, inst, start_x) if start_x is not None else None
    progress = options.progress if route.solver == "highs" else None
    return stage_solver(route, options)(model, time_limit=remaining, gap=options.gap, seed=options.seed,
                                        start=first, threads=options.threads, progress=progress)

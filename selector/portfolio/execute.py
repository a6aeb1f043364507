"""Running a route (:func:`run_route`): build the model, start, search, finish, and say
what was proved. The route itself is chosen by
:func:`selector.portfolio.route.choose_route`; this module only follows it."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from selector.inputs.scenario import Scenario
from selector.portfolio.clock import Deadline
from selector.portfolio.explain import MSG_NOT_MET, explain_infeasible
from selector.portfolio.finishing import (
    Tidy,
    finish_bound,
    lagrangian_seconds,
    more_search,
    without_idle_note,
    without_idle_spend_note,
)
from selector.portfolio.heuristics import (
    HeuristicResult,
    greedy_portfolio,
    lp_rounded_cover,
)
from selector.portfolio.instance import PortfolioInstance, evaluate, violations
from selector.portfolio.model import build_model
from selector.portfolio.options import SolveOptions
from selector.portfolio.relax import Relaxation, find_relaxations
from selector.portfolio.repair import repair_plan
from selector.portfolio.result import relative_gap
from selector.portfolio.roadmap import year_one_plan
from selector.portfolio.roadmap_search import RoadmapFound, search_roadmap
from selector.portfolio.route import STAGE_ONE_SHARE, Route
from selector.portfolio.searches import CoverLp, cover_lp, run_search, stage_solver
from selector.portfolio.stability import fewest_changes
from selector.portfolio.starts import given_start, greedy_start
from selector.portfolio.warm import layout_key

__all__ = [
    "MSG_LAGRANGE",
    "MSG_NODE_LIMIT",
    "MSG_OPTIMAL",
    "MSG_TIME_LIMIT",
    "MSG_TIME_LIMIT_NO_BOUND",
    "MSG_TIME_NO_SOLUTION",
    "RELAX_MIN_SHARE",
    "Outcome",
    "run_route",
]

#: The relaxations of an infeasible scenario get what is left of the solve's time limit,
#: and at least this share of it when the search took more (vendor, 20 % budget cut: the
#: whole solve, with the relaxations of its 9 limits, took 4.4-8.5 s of its 60).
RELAX_MIN_SHARE = 0.25

MSG_TIME_NO_SOLUTION = (
    "The solver stopped at the time limit before finding any portfolio that keeps every "
    "rule; allow more time or loosen the rules."
)
MSG_NODE_LIMIT = (
    "Stopped at the node limit ({nodes:,} nodes): the same input, seed and node limit give "
    "this portfolio again."
)
MSG_OPTIMAL = "Proved optimal (within the relative gap tolerance {gap:.2g})."
MSG_TIME_LIMIT_NO_BOUND = (
    "Stopped at the {limit:g} s time limit before proving a bound: the portfolio keeps "
    "every rule, but how far it is from the best possible is not known; allow more time."
)
MSG_LAGRANGE = (
    "At {rows:,} segment rows the portfolio comes from the greedy search and the bound from "
    "the Lagrangian dual ({seconds:.0f} s): the portfolio is within {gap:.2%} of the best "
    "possible (bound {bound:,.0f}); more time tightens the bound."
)
MSG_TIME_LIMIT = (
    "Stopped at the {limit:g} s time limit: the portfolio is within {gap:.2%} of the best "
    "possible (bound {bound:,.0f}). More time may find a better portfolio, or prove this "
    "one the best."
)


@dataclass(frozen=True)
class Outcome:
    """What running a route found, in the instance's terms, for
    :func:`selector.portfolio.result.assemble_result`."""

    status: str
    x: np.ndarray | None
    objective: float | None
    bound: float | None
    explanation: tuple[str, ...]
    heuristic: HeuristicResult | None
    build_seconds: float
    route: Route
    relaxations: tuple[Relaxation, ...] = ()
    roadmap: RoadmapFound | None = None  # a roadmap's years (the route's roadmap searches)


def _start(
    route: Route, inst: PortfolioInstance, options: SolveOptions, lp: CoverLp | None
) -> HeuristicResult | None:
    """The route's start (a session's last plan, a set cover's LP rounding, or the
    greedy), then the caller's portfolio when it is better."""
    heuristic = _carried_start(route, inst, options) if route.start == "carried" else None
    if heuristic is not None:
        return given_start(inst, options.start, heuristic)
    if route.start == "lp_rounding" and lp is not None:
        if lp.optimum is None:
            # The LP's own rounding starts the search (better than the greedy's cover)
            heuristic = lp_rounded_cover(inst, lp.x)
    elif route.start != "none":
        heuristic = greedy_start(inst, time_budget=route.start_seconds, seed=options.seed,
                                 moves=route.start_moves, cover_time=route.cover_seconds)
    return given_start(inst, options.start, heuristic)


def _carried_start(route: Route, inst: PortfolioInstance, options: SolveOptions) -> HeuristicResult | None:
    """A session's last plan as the start: as it is when it keeps every rule, else
    brought within the budget, pools and quotas and completed by the greedy's local
    search; None (the greedy starts) when the columns differ or the repair fails."""
    if options.carry is None:
        return None
    x = options.carry.start_for(layout_key(inst.partner_ids, inst.option_level))
    if x is None:
        return None
    x &= ~inst.fixed_out
    if not violations(inst, x):
        return HeuristicResult(x, evaluate(inst, x), True, 0.0)
    if inst.has_levels:
        x = repair_plan(inst, x)
    h = greedy_portfolio(inst, time_budget=route.start_seconds, seed=options.seed, start=x,
                         moves=route.start_moves)
    return h if h.feasible else None


def run_route(
    scenario: Scenario, inst: PortfolioInstance, route: Route, options: SolveOptions, clock: Deadline
) -> Outcome:
    """Follow ``route`` on ``inst``: the model, the set cover's LP when the route starts
    with it, the start, the search, then the finishing stages (idle partners, fewest
    changes, bounds), and the status with its explanation. A roadmap's searches answer
    with its first year as the plan (``x``) and the years in ``roadmap``."""
    if route.search in ("roadmap", "roadmap_mip"):
        found = search_roadmap(scenario, inst, route, options, clock)
        plan_x = None if found.x is None else year_one_plan(found.road, found.x)
        return Outcome(found.status, plan_x, found.objective, found.bound, found.explanation, None,
                       found.build_seconds, route, found.relaxations, roadmap=found)
    model = build_model(inst, drop=route.drop)
    lp = cover_lp(inst, model, options.time_limit / 4) if route.search == "cover_lp" else None
    if route.search == "cover_lp" and lp is None:
        route = route.fallback()
        if route.start == "lp_rounding":
            route = replace(route, start="greedy")
    heuristic = _start(route, inst, options, lp)
    if route.search == "lagrange_only" and (heuristic is None or not heuristic.feasible):
        route = route.fallback()
    build = clock.elapsed()
    remaining = max(0.05, options.time_limit - build - clock.margin)
    if route.fewest_changes:
        remaining *= STAGE_ONE_SHARE  # the rest is for the fewest-changes stage
    # Large coverage models: keep a share of the time for the Lagrangian bound, which
    # the solver's own bound rarely beats there within a short limit.
    bound_time = lagrangian_seconds(route.lagrangian, remaining)
    remaining -= bound_time
    tidy = Tidy(inst)
    solved = run_search(route, inst, model, options, heuristic=heuristic, lp=lp,
                        remaining=remaining, tidy=tidy)
    if route.fewest_changes and route.drop:
        model = build_model(inst)  # the fewest-changes stage needs the objective rows

    def ended(status: str, explanation: list[str], bound: float | None = None) -> Outcome:
        return Outcome(status, None, None, bound, tuple(explanation), heuristic, build, route)

    if solved.state == "infeasible":
        if not options.explain:
            return ended("infeasible", [MSG_NOT_MET])
        seconds = max(clock.left(), RELAX_MIN_SHARE * options.time_limit)
        way = find_relaxations(scenario, inst, time_limit=seconds, seed=options.seed,
                               threads=options.threads)
        return Outcome("infeasible", None, None, None, tuple(explain_infeasible(scenario, inst, way)),
                       heuristic, build, route, way.relaxations)
    if solved.state == "error":
        return ended("error", [solved.message or "The solver failed."])
    x, obj = solved.x, solved.objective
    if x is not None:
        obj = evaluate(inst, x)
        if violations(inst, x):
            x, obj = None, None
    # Keep the better of the solver's incumbent and the heuristic start.
    if heuristic is not None and heuristic.feasible and (
        obj is None
        or (inst.maximize and heuristic.objective > obj)
        or (not inst.maximize and heuristic.objective < obj)
    ):
        x, obj = heuristic.selected, heuristic.objective
    if x is None or obj is None:
        return ended("error", [MSG_TIME_NO_SOLUTION], solved.bound)
    x, idle_note = without_idle_note(inst, x, before=tidy.left_out)
    if idle_note:
        obj = evaluate(inst, x)
    stable_note = None
    if route.fewest_changes:
        left = max(0.0, clock.left())
        if options.deterministic:  # the stage runs whatever the clock says: reproducible
            left = max(left, remaining)
        x, obj, stable_note = fewest_changes(
            inst, model, x, obj, gap=options.gap, time_limit=left, seed=options.seed,
            threads=options.threads, solver=stage_solver(route, options),
            what="the reference plan" if options.reference else "today's channel",
            bound=solved.bound if inst.maximize and solved.state == "optimal" else None,
        )
    # A plan spends nothing on partners that add nothing (the value stays what it is)
    x, spend_note = without_idle_spend_note(inst, x)
    bound, bound_seconds = finish_bound(inst, model, x, obj, solved.bound, gap=options.gap,
                                        lagrangian=route.lagrangian, lagrangian_time=bound_time,
                                        clock=clock, progress=options.progress)
    alone = route.search == "lagrange_only"
    if alone and bound is not None:
        x, obj, bound = more_search(inst, x, obj, bound, gap=options.gap, seed=options.seed,
                                    at_least=route.more_search_min, clock=clock, progress=options.progress)
    rel = relative_gap(obj, bound, model.sense) if bound is not None else None
    # The Lagrangian alone proves a portfolio optimal only by its bound (rel not None)
    proved = solved.state == "optimal" or (alone and rel is not None)
    status = "optimal" if proved and (rel is None or rel <= max(options.gap, 1e-9) * 1.0001) else "time_limit"
    stopped_by_nodes = options.deterministic and clock.elapsed() < options.time_limit * 0.95
    if status == "optimal":
        explanation = [MSG_OPTIMAL.format(gap=options.gap)]
    elif stopped_by_nodes:
        explanation = [MSG_NODE_LIMIT.format(nodes=options.node_limit)
                       + ("" if rel is None else f" The portfolio is within {rel:.2%} of the best possible.")]
    elif bound is None or rel is None:
        explanation = [MSG_TIME_LIMIT_NO_BOUND.format(limit=options.time_limit)]
    elif alone:
        explanation = [MSG_LAGRANGE.format(rows=inst.n_rows, seconds=bound_seconds, gap=rel, bound=bound)]
    else:
        explanation = [MSG_TIME_LIMIT.format(limit=options.time_limit, gap=rel, bound=bound)]
    explanation += [note for note in (stable_note, idle_note, spend_note) if note]
    return Outcome(status, x, obj, bound, tuple(explanation), heuristic, build, route)

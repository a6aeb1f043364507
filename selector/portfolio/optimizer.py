"""The portfolio optimizer: which partners to select and what it proved.

:func:`solve` reads as its stages: the options resolved once
(:mod:`~selector.portfolio.options`), the reductions (:mod:`~selector.portfolio.reductions`),
the route chosen (:func:`~selector.portfolio.route.choose_route`), the route run
(:func:`~selector.portfolio.execute.run_route`: starts, searches, finishing stages), and
the result assembled with the reductions' offsets added back
(:func:`~selector.portfolio.result.assemble_result`). :func:`heuristic_solve` gives the
heuristic portfolio alone. A solve never raises for an infeasible scenario: the status
says so, ``explanation`` says why (:func:`selector.portfolio.explain.explain_infeasible`)
and ``relaxations`` the least change of each limit that makes it feasible alone
(:func:`selector.portfolio.relax.find_relaxations`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import pandas as pd

from selector.inputs.scenario import Scenario
from selector.portfolio.bounds import submodular_bound
from selector.portfolio.clock import Deadline
from selector.portfolio.execute import run_route
from selector.portfolio.finishing import without_idle_note
from selector.portfolio.instance import PortfolioInstance, evaluate
from selector.portfolio.options import (
    DEFAULT_GAP,
    DEFAULT_SEED,
    DEFAULT_TIME_LIMIT,
    SolveOptions,
    resolve_options,
)
from selector.portfolio.quality import scenario_instance
from selector.portfolio.reductions import reduce
from selector.portfolio.result import PortfolioResult, assemble_result
from selector.portfolio.roadmap import build_roadmap, year_one_plan
from selector.portfolio.roadmap_model import side_model
from selector.portfolio.roadmap_start import plan_repeated
from selector.portfolio.route import choose_route
from selector.portfolio.solvers import SOLVERS, SolveProgress
from selector.portfolio.starts import greedy_start
from selector.portfolio.tier_moves import improve_tiers
from selector.portfolio.warm import Answer, Carry, layout_key

__all__ = [
    "DEFAULT_GAP",
    "DEFAULT_SEED",
    "DEFAULT_TIME_LIMIT",
    "SOLVERS",
    "STATUSES",
    "heuristic_solve",
    "solve",
    "solve_resolved",
]

STATUSES = ("optimal", "time_limit", "infeasible", "error")
MSG_QUICK = "Quick answer (greedy with local search): a good portfolio, not a proven optimum"
MSG_QUICK_PLAN = (
    "Quick plan (today's channel brought within the budget and quotas, then the greedy "
    "with local search and promotions where they pay): unproven"
)


MSG_QUICK_ROADMAP = (
    "Quick roadmap (the quick plan held across the years, repaired to each year's limits "
    "and improved where a later budget has room): unproven."
)


def heuristic_solve(
    scenario: Scenario,
    *,
    scores: Mapping[str, float] | pd.Series | None = None,
    time_budget: float = 0.5,
    seed: int = DEFAULT_SEED,
    moves: int | None = None,
) -> PortfolioResult:
    """The greedy-plus-local-search portfolio alone (instant; no proof).

    ``time_budget`` bounds the local search in seconds; ``moves`` bounds it by a count
    of drop-and-refill trials instead, so that the portfolio depends only on the input
    and ``seed`` (for reproducible Monte Carlo runs on busy machines).

    A scenario with ``[horizon]`` gets a roadmap (``result.roadmap``, its first year the
    plan; :func:`selector.portfolio.roadmap_start.plan_repeated` without the exact
    year-one solve) when the quick plan can be held across its years.

    Its ``status`` is ``time_limit`` (a portfolio without an optimality proof, ``bound``
    None) or ``infeasible`` when it found no portfolio keeping every rule (which does
    not prove that none exists).
    """
    t0 = time.perf_counter()
    inst = scenario_instance(scenario, scores)
    build = time.perf_counter() - t0
    if inst.horizon_years is not None and inst.has_levels and inst.maximize:
        # A roadmap scenario: the quick roadmap (with ``moves``, no clock: node_limit)
        road = build_roadmap(scenario, inst)
        x_road = plan_repeated(road, side_model(road), inst, seconds=max(time_budget, 0.5), seed=seed,
                               moves=moves, node_limit=None if moves is None else 0, exact_plan=False)
        if x_road is not None:
            return assemble_result(
                scenario, inst, status="time_limit", x=year_one_plan(road, x_road),
                objective=road.objective(x_road), bound=None, solver="greedy",
                wall=time.perf_counter() - t0, build=build, explanation=[MSG_QUICK_ROADMAP],
                heuristic=None, roadmap=(road, x_road),
            )
    h = greedy_start(inst, time_budget=time_budget, seed=seed, moves=moves)
    idle_note = None
    if h.feasible and inst.has_levels:
        # A plan of the same kind as the exact one: tier steps up where they pay, and
        # down or out where a level buys nothing
        stepped = improve_tiers(inst, h.selected)
        h = replace(h, selected=stepped, objective=evaluate(inst, stepped))
    elif h.feasible:
        trimmed, idle_note = without_idle_note(inst, h.selected)
        if idle_note:
            h = replace(h, selected=trimmed, objective=evaluate(inst, trimmed))
    bound = submodular_bound(inst, h.selected) if h.feasible else None
    what = MSG_QUICK_PLAN if inst.has_levels else MSG_QUICK
    explanation = [what + ("." if bound is None else f"; the best possible is at most {bound:,.0f}.")]
    if idle_note:
        explanation.append(idle_note)
    if not h.feasible:
        explanation.append("The heuristic found no portfolio keeping every rule: " + "; ".join(h.problems) + ".")
    return assemble_result(
        scenario,
        inst,
        status="time_limit" if h.feasible else "infeasible",
        x=h.selected if h.feasible else None,
        objective=h.objective if h.feasible else None,
        bound=bound,
        solver="greedy",
        wall=time.perf_counter() - t0,
        build=build,
        explanation=explanation,
        heuristic=h,
    )


def solve(
    scenario: Scenario,
    *,
    solver: str | None = None,
    time_limit: float | None = None,
    gap: float | None = None,
    seed: int = DEFAULT_SEED,
    scores: Mapping[str, float] | pd.Series | None = None,
    warm_start: bool = True,
    threads: int | None = None,
    explain: bool = True,
    start: Sequence[str] | None = None,
    reference: Mapping[str, str] | None = None,
    customize: Callable[[Any, dict[str, Any]], Any] | None = None,
    node_limit: int | None = None,
    progress: Callable[[SolveProgress], object] | None = None,
    carry: Carry | None = None,
) -> PortfolioResult:
    """Choose the partner portfolio.

    ``scenario`` is a loaded scenario (:func:`selector.load_scenario`); the options are
    keyword-only and documented on :class:`~selector.portfolio.options.SolveOptions`
    (the caller's over the scenario's ``[solve]`` over the defaults: HiGHS, 60 s, a gap
    of 1e-4). The same input and seed give the same portfolio when the solve ends by
    itself, not when the time limit stops it: use ``node_limit`` for that.

    Returns
    -------
    PortfolioResult
        Never raises for infeasibility: see ``status`` and ``explanation``. Its
        ``stats["route"]`` is the path the solve took
        (:func:`selector.portfolio.route.choose_route`).

    Examples
    --------
    >>> from selector import load_scenario, solve
    >>> r = solve(load_scenario("scenarios/teaching.toml"))
    >>> r.status, r.selected
    ('optimal', ('D01', 'D02', 'R03', 'R06', 'R09'))
    """
    options = resolve_options(
        scenario, solver=solver, time_limit=time_limit, gap=gap, seed=seed, threads=threads,
        node_limit=node_limit, warm_start=warm_start, explain=explain, start=start,
        reference=reference, scores=scores, customize=customize, progress=progress, carry=carry,
    )
    if options.customize is not None:
        from selector.portfolio.pulp_model import solve_pulp

        return solve_pulp(scenario, options.customize, solver=options.solver, time_limit=options.time_limit,
                          gap=options.gap, threads=threads, scores=scores, reference=reference)
    return solve_resolved(scenario, options)


def solve_resolved(
    scenario: Scenario, options: SolveOptions, inst: PortfolioInstance | None = None,
    *, started: float | None = None,
) -> PortfolioResult:
    """:func:`solve` with its options resolved (:func:`resolve_options`, no
    ``customize``) and, when the caller has it, the scenario's reduced instance
    (:func:`~selector.portfolio.reductions.reduce` of ``scenario`` with ``options``):
    a session (:class:`selector.whatif.session.Session`) reduces each what-if once.
    ``started`` (a ``time.perf_counter()`` reading) is when the time limit began, when
    before this call (the reduction's time counts)."""
    clock = Deadline(options.time_limit) if started is None else Deadline(options.time_limit, started)
    if inst is None:
        inst = reduce(scenario, options)
    carry = options.carry
    route = choose_route(inst, options)
    found = run_route(scenario, inst, route, options, clock)
    road = found.roadmap
    if carry is not None and road is None:  # a session's next what-if starts from this answer
        carry.keep_answer(layout_key(inst.partner_ids, inst.option_level), Answer(
            found.status, found.x, found.objective, found.bound, found.explanation, found.route.describe()))
    return assemble_result(
        scenario, inst, status=found.status, x=found.x, objective=found.objective, bound=found.bound,
        solver=options.solver, wall=clock.elapsed(), build=found.build_seconds,
        explanation=found.explanation, heuristic=found.heuristic, route=found.route.describe(),
        relaxations=found.relaxations,
        roadmap=None if road is None or road.x is None else (road.road, road.x),
    )

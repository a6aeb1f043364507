"""The portfolio optimizer: which partners to select and what it proved.

:func:`solve` builds the array instance and the MIP (:mod:`selector.portfolio.model`),
starts from the greedy-plus-local-search portfolio of
:mod:`selector.portfolio.heuristics`, and solves with HiGHS or CBC
(:mod:`selector.portfolio.solvers`); :func:`heuristic_solve` gives the heuristic
portfolio alone. Both assemble a :class:`~selector.portfolio.result.PortfolioResult`. A
solve never raises for an infeasible scenario: the status says so and ``explanation``
says why (:func:`selector.portfolio.explain.explain_infeasible`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from functools import partial
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import scipy.sparse as sp

from selector.errors import ScenarioError
from selector.inputs.scenario import Scenario
from selector.portfolio.bounds import submodular_bound
from selector.portfolio.cuts import row_values, solve_by_cuts
from selector.portfolio.explain import explain_infeasible
from selector.portfolio.heuristics import (
    HeuristicResult,
    greedy_portfolio,
    lp_rounded_cover,
    repair_plan,
    without_idle,
)
from selector.portfolio.instance import (
    PortfolioInstance,
    evaluate,
    pure_cover,
    rule_status,
    violations,
    without_dominated,
)
from selector.portfolio.lagrange import lagrangian_bound
from selector.portfolio.model import GROUPS, MipModel, _start_vector, build_model
from selector.portfolio.plan import build_plan
from selector.portfolio.quality import _instance
from selector.portfolio.result import PortfolioResult
from selector.portfolio.solvers import (
    SolveProgress,
    _lp_relaxation,
    _solve_cbc,
    _solve_highs,
    _solve_unconstrained,
    _Solved,
)

__all__ = [
    "DEFAULT_GAP",
    "DEFAULT_SEED",
    "DEFAULT_TIME_LIMIT",
    "SOLVERS",
    "STATUSES",
    "heuristic_solve",
    "solve",
]

SOLVERS = ("highs", "cbc")
STATUSES = ("optimal", "time_limit", "infeasible", "error")
DEFAULT_TIME_LIMIT = 60.0
DEFAULT_GAP = 1e-4
DEFAULT_SEED = 2027
#: LP values within this of 0 or 1 count as integral (_cover_lp).
LP_TOL = 1e-6

MSG_TIME_NO_SOLUTION = (
    "The solver stopped at the time limit before finding any portfolio that keeps every "
    "rule; allow more time or loosen the rules."
)
MSG_NODE_LIMIT = (
    "Stopped at the node limit ({nodes:,} nodes): the same input, seed and node limit give "
    "this portfolio again."
)
DETERMINISTIC_MOVES = 200  # heuristic drop-and-refill trials when solving by node limit
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


def _relative_gap(objective: float, bound: float, sense: str) -> float:
    diff = (bound - objective) if sense == "max" else (objective - bound)
    return max(0.0, diff) / max(abs(objective), abs(bound), 1e-9)


class _CoverLp(NamedTuple):
    """What a pure set cover's LP says (:func:`_cover_lp`)."""

    optimum: np.ndarray | None  # the LP optimum's portfolio, when integral and rule-keeping
    bound: float  # no portfolio costs less (rounded up when every cost is a whole number)
    x: np.ndarray  # the LP's partner columns (for lp_rounded_cover)


def _cover_lp(inst: PortfolioInstance, model: MipModel, time_limit: float) -> _CoverLp | None:
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
    relaxed = _lp_relaxation(model, time_limit=max(0.05, time_limit))
    if relaxed is None:
        return None
    v, value = relaxed
    bound = value + inst.fixed_cost
    live = ~inst.fixed_out
    if np.all(inst.cost[live] == np.round(inst.cost[live])):
        bound = math.ceil(bound - 1e-6 * max(1.0, abs(bound)))
    x = v[: inst.n_partners]
    if np.all((x <= LP_TOL) | (x >= 1.0 - LP_TOL)):
        sel = x > 0.5
        cost = evaluate(inst, sel)
        if not violations(inst, sel) and cost <= bound + 1e-9 * max(1.0, abs(bound)):
            return _CoverLp(sel, cost, x)
    return _CoverLp(None, float(bound), x)


def _requirement_cover(inst: PortfolioInstance, *, time_limit: float, seed: int) -> np.ndarray | None:
    """The cheapest portfolio meeting the segment requirements under every rule, found
    by a short HiGHS run; the greedy then spends the rest of the budget from there.
    None when there are no requirements or no such portfolio was found in time."""
    lower_rules = any(r.kind == "coverage" or np.isfinite(r.lo).any() for r in inst.rules)
    if not inst.maximize or not (inst.required.any() or lower_rules):
        return None
    from dataclasses import replace

    model = build_model(replace(inst, objective="min_cost"))
    found = _solve_highs(model, time_limit=time_limit, gap=0.02, seed=seed, start=None, threads=1)
    return found.x if found.state in ("optimal", "time_limit") else None


def _heuristic(
    inst: PortfolioInstance, *, time_budget: float, seed: int, moves: int | None = None,
    cover_time: float | None = None,
) -> HeuristicResult:
    # With a move count the cover gets time enough to finish (a solve that ends by
    # itself is deterministic); with a time budget it gets a share of it.
    if cover_time is None:
        cover_time = max(0.2, time_budget) if moves is None else 30.0
    if inst.has_levels and inst.reference is not None and inst.reference.any():
        # A plan starts from today's channel (or the reference plan), brought within
        # the budget and quotas; the greedy then spends what is left.
        h = greedy_portfolio(
            inst, time_budget=time_budget, seed=seed, start=repair_plan(inst, inst.reference),
            moves=moves,
        )
        if h.feasible:
            return h
    start = _requirement_cover(inst, time_limit=cover_time, seed=seed)
    h = greedy_portfolio(inst, time_budget=time_budget, seed=seed, start=start, moves=moves)
    if start is not None and not h.feasible:
        h = greedy_portfolio(inst, time_budget=time_budget, seed=seed, moves=moves)
    return h


def _without_idle(
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
    return after, MSG_IDLE.format(n=int(gone.sum()), saved=float(inst.cost[gone].sum()))


def _tidy(inst: PortfolioInstance, left_out: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The cut loop's ``tidy``: :func:`without_idle`, marking in ``left_out`` what it
    took out (for the explanation)."""
    given = np.asarray(x, dtype=bool)
    after = without_idle(inst, given)
    left_out |= given & ~after
    return after


def _bound_reporter(
    progress: Callable[[SolveProgress], object], incumbent: float, t0: float
) -> Callable[[float], object]:
    """A Lagrangian bound's ``report`` as ``progress`` calls (seconds from ``t0``)."""

    def report(bound: float) -> None:
        b = max(bound, incumbent)
        progress(SolveProgress(time.perf_counter() - t0, incumbent, b,
                               (b - incumbent) / max(abs(incumbent), 1e-9)))

    return report


def _lp_greedy(
    inst: PortfolioInstance, *, seed: int, moves: int | None, seconds: float
) -> Callable[[np.ndarray], np.ndarray | None]:
    """The master's LP-guided start: the partners an LP optimum takes at
    ``POLISH_FROM`` or more, completed and improved by the greedy (None when that
    breaks a rule)."""

    def polish(x_lp: np.ndarray) -> np.ndarray | None:
        start = (np.asarray(x_lp) >= POLISH_FROM) & ~inst.fixed_out
        h = greedy_portfolio(inst, time_budget=seconds, seed=seed, start=start, moves=moves)
        return h.selected if h.feasible else None

    return polish


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

    Its ``status`` is ``time_limit`` (a portfolio without an optimality proof, ``bound``
    None) or ``infeasible`` when it found no portfolio keeping every rule (which does
    not prove that none exists).
    """
    t0 = time.perf_counter()
    inst = _instance(scenario, scores)
    build = time.perf_counter() - t0
    h = _heuristic(inst, time_budget=time_budget, seed=seed, moves=moves)
    idle_note = None
    if h.feasible:
        trimmed, idle_note = _without_idle(inst, h.selected)
        if idle_note:
            h = replace(h, selected=trimmed, objective=evaluate(inst, trimmed))
    bound = submodular_bound(inst, h.selected) if h.feasible else None
    explanation = [
        "Greedy portfolio with local search: a good answer, not a proven optimum"
        + ("." if bound is None else f"; the best possible is at most {bound:,.0f}.")
    ]
    if idle_note:
        explanation.append(idle_note)
    if not h.feasible:
        explanation.append("The heuristic found no portfolio keeping every rule: " + "; ".join(h.problems) + ".")
    return _result(
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
) -> PortfolioResult:
    """Choose the partner portfolio.

    Parameters
    ----------
    scenario
        A loaded scenario (:func:`selector.load_scenario`).
    solver
        ``"highs"`` (default) or ``"cbc"``; defaults to the scenario's ``[solve]``.
    time_limit
        Seconds the solver may run (default: scenario's, else 60).
    gap
        Relative optimality gap at which to stop (default: scenario's, else 1e-4).
    seed
        Solver random seed. The same input and seed give the same portfolio when the
        solve ends by itself (proved optimal within ``gap``), but not when the time
        limit stops it: how far the heuristic start and the solver got by then depends
        on the machine's speed and load (three runs of a loaded machine chose 101, 100
        and 100 partners). For a reproducible result use ``node_limit``.
    scores
        Partner scores (0..1) to use instead of the criteria model's.
    warm_start
        Start the solver from the heuristic portfolio.
    explain
        For infeasible scenarios, search for the rules that conflict (extra solves).
    start
        Partner ids of a known portfolio (e.g. the previous point of a budget frontier);
        used as the solver's starting point when it keeps every rule and beats the
        heuristic's.
    reference
        For a scenario with today's channel: the plan to change least from, as partner
        id -> level (a programme tier or ``"out"``); partners it does not name keep
        today's level. Default: today's channel. Among plans within ``gap`` of the best
        value found, the one with the fewest changes from it is returned (a second
        solve; turn it off with ``[programme] stability = "none"``).
    customize
        A callback ``customize(problem, partners)`` that adds constraints (or changes
        the objective) of the readable PuLP model
        (:func:`selector.portfolio.pulp_model.pulp_model`: ``partners`` maps partner id
        to its variable). The model is then solved through PuLP with ``solver`` (CBC or
        HiGHS) and read back by the solver's own status; no heuristic start, no
        fewest-changes stage, no bound beyond the solver's word.

    node_limit
        Deterministic mode: stop the solver after this many branch-and-bound nodes
        instead of after a time, and run the heuristic start for a fixed number of
        moves; the same input, seed and node limit then give the same portfolio on any
        machine, as long as the time limit (kept as a safety net) is not reached first.

    progress
        Called during the HiGHS solve (about four times a second, and at each better
        portfolio) with a :class:`~selector.portfolio.solvers.SolveProgress`: seconds,
        best objective so far, proven bound and gap, for a caller that shows them live.
    Returns
    -------
    PortfolioResult
        Never raises for infeasibility: see ``status`` and ``explanation``.

    Examples
    --------
    >>> from selector import load_scenario, solve
    >>> r = solve(load_scenario("scenarios/teaching.toml"))
    >>> r.status, r.selected
    ('optimal', ('D01', 'D02', 'R03', 'R06', 'R09'))
    """
    opts = dict(scenario.solve_options)
    solver = solver or opts.get("solver", "highs")
    if solver not in SOLVERS:
        raise ScenarioError(f"solver {solver!r} is not known; accepted: {', '.join(SOLVERS)}")
    time_limit = float(time_limit if time_limit is not None else opts.get("time_limit", DEFAULT_TIME_LIMIT))
    gap = float(gap if gap is not None else opts.get("gap", DEFAULT_GAP))
    node_limit = node_limit if node_limit is not None else opts.get("node_limit")
    # written as ``not ... `` so that nan is refused too; inf is "no time limit"
    if node_limit is not None and (
        isinstance(node_limit, bool) or not isinstance(node_limit, int) or node_limit < 1
    ):
        raise ScenarioError(f"node_limit must be a whole number >= 1 (got {node_limit!r})")
    if not time_limit > 0 or not 0 <= gap < math.inf:
        raise ScenarioError(
            f"time_limit must be > 0 and gap a number >= 0 (got {time_limit}, {gap})"
        )
    if customize is not None:
        from selector.portfolio.pulp_model import solve_pulp

        return solve_pulp(scenario, customize, solver=solver, time_limit=time_limit, gap=gap,
                          threads=threads, scores=scores, reference=reference)
    t0 = time.perf_counter()
    # A pure set cover without the partners in no cheapest cover (see without_dominated)
    inst = without_dominated(_instance(scenario, scores, reference=reference))
    # Coverage: the Benders master on the partner columns (selector.portfolio.cuts)
    # proves more in the same time than the model with a column per segment row.
    by_cuts = (
        solver == "highs" and inst.objective in CUT_OBJECTIVES
        and not any(rule.kind == "coverage" for rule in inst.rules)
    )
    # The start matters most where the solver is slow: give the search a share of the time.
    budget = min(5.0, max(0.5, 0.15 * time_limit), time_limit / 4)
    moves = None if node_limit is None else DETERMINISTIC_MOVES
    start_moves, cover_time = moves, None
    if by_cuts and inst.has_levels:
        # Plans: the master's search finds better than the greedy within a second, so a
        # short start that does not depend on the machine's speed (the requirement
        # cover, needed only when today's channel cannot be repaired, keeps a time share)
        budget = min(budget, PLAN_START_SECONDS)
        if moves is None:
            start_moves, cover_time = PLAN_START_MOVES, max(0.2, budget)
    model = build_model(inst, drop=("objective_link",) if by_cuts else ())
    # A pure set cover: its LP first. An integral optimum is the answer, with no start
    # and no search (see _cover_lp).
    by_lp = _cover_lp(inst, model, time_limit / 4) if solver == "highs" else None
    heuristic: HeuristicResult | None = None
    if warm_start and by_lp is not None and by_lp.optimum is None:
        # The LP's own rounding starts the search (better than the greedy's cover)
        heuristic = lp_rounded_cover(inst, by_lp.x)
    elif warm_start and by_lp is None:
        heuristic = _heuristic(inst, time_budget=budget, seed=seed, moves=start_moves, cover_time=cover_time)
    if start is not None:
        unknown = sorted(set(start) - set(map(str, inst.partner_ids)))
        if unknown:
            raise ScenarioError(f"start portfolio names unknown partners: {', '.join(unknown[:5])}")
        given = np.isin(inst.partner_ids.astype(str), list(start))
        if not violations(inst, given) and (
            heuristic is None or not heuristic.feasible
            or (evaluate(inst, given) > heuristic.objective) == inst.maximize
        ):
            heuristic = HeuristicResult(given, evaluate(inst, given), True, 0.0)
    build = time.perf_counter() - t0
    # Keep a margin for the guard and for reading the result back: the caller's limit
    # is on the whole call, not only on the solver.
    remaining = max(0.05, time_limit - build - min(2.0, 1.0 + 0.01 * time_limit))
    if _wants_stability(scenario, inst):
        remaining *= STAGE_ONE_SHARE  # the rest is for the fewest-changes stage
    # Large coverage models: keep a share of the time for the Lagrangian bound, which
    # the solver's own bound rarely beats there within a short limit.
    bound_time = 0.0
    bound_seconds = 0.0  # what the Lagrangian bound took
    # The master's LP rounds reach a better bound sooner, except for weighted_coverage
    # at the largest sizes (bench/portfolio_bench.py: M 1.51 % without the share against
    # 1.78 % with it at 10 s; L 3.3 % without against 1.69 % with it at 120 s).
    lagrange = not by_cuts or (inst.objective == "weighted_coverage" and inst.n_rows >= LAGRANGE_ROWS_MASTER)
    # At that size the master's LP rounds do not settle within a limit of minutes (L: the
    # first LP took 20 s and the second did not finish in 57 s, leaving its bound 2.7 %
    # above the greedy's portfolio): the Lagrangian dual gets the time instead, and what
    # is left once it settles goes to more local search (L, 120 s: 0.83 %, against
    # 1.54 % with the master and 10 s of Lagrangian after it).
    lagrange_only = (
        by_cuts and lagrange and node_limit is None and heuristic is not None and heuristic.feasible
        and not inst.has_levels
    )
    if inst.maximize and inst.n_rows >= LAGRANGE_ROWS and lagrange:
        bound_time = remaining if lagrange_only else min(LAGRANGE_SECONDS, LAGRANGE_SHARE * remaining)
        remaining -= bound_time
    start_x = heuristic.selected if heuristic is not None and heuristic.feasible else None
    first = _start_vector(model, inst, start_x) if start_x is not None and not by_cuts else None
    run: Any = _solve_highs if solver == "highs" else _solve_cbc
    if solver == "highs" and (inst.has_levels or not inst.maximize):
        # Plan models (a column per partner and tier) and set covering (min_cost) solve
        # faster with HiGHS's presolve (bench/plan_bench.py, the OR-Library table of
        # bench/portfolio_bench.py); the blank-sheet coverage models do not.
        run = partial(_solve_highs, presolve="on",
                      restart=COVER_RESTART if pure_cover(inst, multicover=True) else True)
    if model.A.shape[0] == 0 and not by_cuts:
        run = _solve_unconstrained
    if node_limit is not None:
        run = partial(run, node_limit=node_limit)
    stage_one = run
    if progress is not None and solver == "highs" and model.A.shape[0] > 0:
        stage_one = partial(run, progress=progress)
    left_out = np.zeros(inst.n_partners, dtype=bool)  # idle partners the cut loop left out
    if by_lp is not None and by_lp.optimum is not None:
        solved = _Solved("optimal", by_lp.optimum, by_lp.bound, by_lp.bound)
    elif (by_lp is not None and heuristic is not None and heuristic.feasible
          and heuristic.objective <= by_lp.bound + 1e-9 * max(1.0, abs(by_lp.bound))):
        # the start meets the LP's bound: nothing cheaper exists
        solved = _Solved("optimal", heuristic.selected, heuristic.objective, by_lp.bound)
    elif lagrange_only and heuristic is not None:
        solved = _Solved("time_limit", heuristic.selected, heuristic.objective, None)
    elif by_cuts:
        solved = solve_by_cuts(
            model, row_values(inst), time_limit=remaining, gap=gap, seed=seed,
            start=start_x,
            threads=threads, node_limit=node_limit, progress=progress,
            # ties: the fewest-changes stage settles them for plans; the cheapest otherwise
            cost=None if _wants_stability(scenario, inst) else inst.cost,
            # Not for plans (see POLISH_SECONDS)
            polish=_lp_greedy(inst, seed=seed, moves=moves, seconds=min(POLISH_SECONDS, 0.1 * remaining))
            if warm_start and not inst.has_levels else None,
            first_lp="choose" if inst.has_levels else "ipm",
            neighbourhood=warm_start and not inst.has_levels,
            tidy=partial(_tidy, inst, left_out),
        )
        if _wants_stability(scenario, inst):
            model = build_model(inst)  # the fewest-changes stage needs the objective rows
    else:
        solved = stage_one(model, time_limit=remaining, gap=gap, seed=seed, start=first, threads=threads)
    wall = time.perf_counter() - t0

    if solved.state == "infeasible":
        explanation = explain_infeasible(scenario, inst) if explain else ["The rules cannot all be met."]
        return _result(scenario, inst, status="infeasible", x=None, objective=None, bound=None,
                       solver=solver, wall=wall, build=build, explanation=explanation, heuristic=heuristic)
    if solved.state == "error":
        return _result(scenario, inst, status="error", x=None, objective=None, bound=None,
                       solver=solver, wall=wall, build=build,
                       explanation=[solved.message or "The solver failed."], heuristic=heuristic)
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
        return _result(scenario, inst, status="error", x=None, objective=None, bound=solved.bound,
                       solver=solver, wall=wall, build=build,
                       explanation=[MSG_TIME_NO_SOLUTION], heuristic=heuristic)
    x, idle_note = _without_idle(inst, x, before=left_out)
    if idle_note:
        obj = evaluate(inst, x)
    stable_note = None
    if _wants_stability(scenario, inst):
        left = max(0.0, time_limit - (time.perf_counter() - t0) - min(2.0, 1.0 + 0.01 * time_limit))
        if node_limit is not None:  # the stage runs whatever the clock says: reproducible
            left = max(left, remaining)
        x, obj, stable_note = _fewest_changes(
            inst, model, x, obj, gap=gap, time_limit=left, seed=seed, threads=threads,
            solver=run, what="the reference plan" if reference else "today's channel",
            bound=solved.bound if inst.maximize and solved.state == "optimal" else None,
        )
        wall = time.perf_counter() - t0
    raw_bound = solved.bound
    if raw_bound is not None and not inst.maximize:
        raw_bound += inst.fixed_cost  # the model's costs are net of every exit cost
    bound = _sane_bound(raw_bound, obj, inst)
    quick = submodular_bound(inst, x)
    if quick is not None and (bound is None or quick < bound):
        bound = max(quick, obj)
    if bound_time > 0 and bound is not None and _relative_gap(obj, bound, model.sense) > gap:
        report = None
        if progress is not None and lagrange_only:  # the only live figure of this path
            report = _bound_reporter(progress, obj, t0)
        began = time.perf_counter()
        priced = lagrangian_bound(inst, model, incumbent=x, seconds=bound_time,
                                  iterations=LAGRANGE_ITERATIONS if not lagrange_only else None,
                                  target=obj * (1.0 + gap), report=report)
        if priced is not None and priced < bound:
            bound = max(priced, obj)
        wall = time.perf_counter() - t0
        bound_seconds = time.perf_counter() - began
    if lagrange_only and bound is not None:
        # The bound settled before the limit (L: after about 85 s of 107): the rest of
        # the time goes to the local search, from the portfolio, with another seed.
        left = time_limit - (time.perf_counter() - t0) - min(2.0, 1.0 + 0.01 * time_limit)
        if left >= MIN_MORE_SEARCH and _relative_gap(obj, bound, model.sense) > gap:
            more = greedy_portfolio(inst, time_budget=left, seed=seed + 1, start=x)
            if more.feasible and more.objective > obj:
                x, obj = more.selected, more.objective
                bound = max(bound, obj)
                if progress is not None:
                    _bound_reporter(progress, obj, t0)(bound)
            wall = time.perf_counter() - t0
    rel = _relative_gap(obj, bound, model.sense) if bound is not None else None
    # The Lagrangian alone proves a portfolio optimal only by its bound (rel not None)
    proved = solved.state == "optimal" or (lagrange_only and rel is not None)
    status = "optimal" if proved and (rel is None or rel <= max(gap, 1e-9) * 1.0001) else "time_limit"
    stopped_by_nodes = node_limit is not None and wall < time_limit * 0.95
    if status == "optimal":
        explanation = [MSG_OPTIMAL.format(gap=gap)]
    elif stopped_by_nodes:
        explanation = [MSG_NODE_LIMIT.format(nodes=node_limit)
                       + ("" if rel is None else f" The portfolio is within {rel:.2%} of the best possible.")]
    elif bound is None or rel is None:
        explanation = [MSG_TIME_LIMIT_NO_BOUND.format(limit=time_limit)]
    elif lagrange_only:
        explanation = [MSG_LAGRANGE.format(rows=inst.n_rows, seconds=bound_seconds, gap=rel, bound=bound)]
    else:
        explanation = [MSG_TIME_LIMIT.format(limit=time_limit, gap=rel, bound=bound)]
    if stable_note:
        explanation.append(stable_note)
    if idle_note:
        explanation.append(idle_note)
    return _result(scenario, inst, status=status, x=x, objective=obj, bound=bound, solver=solver,
                   wall=wall, build=build, explanation=explanation, heuristic=heuristic)


STAGE_ONE_SHARE = 0.85
#: Whether HiGHS may restart its root on a set cover or multicover (pure_cover with
#: ``multicover``), after its root has fixed many columns. The restart presolves and
#: solves the root again, and on covering that repeats most of the work: the 22
#: OR-Library files that take 0.2 s or more, in one process, took 55 s without restarts
#: against 84 s with them (scp61 0.26 s against 0.90 s, scpc1 0.43 s against 1.83 s;
#: scpd2-d4 within 5 % either way), every one at its optimum; on the 23 smaller files the
#: totals were 0.79 s and 0.78 s (least of 5 runs each). With two partners needed per
#: segment, 21 files took 53.6 s against 65.1 s (scp61 0.46 s against 1.39 s, scp48
#: 0.52 s against 1.86 s; slower: scpb1 10.8 s against 10.0 s, scpc2 8.6 s against
#: 7.3 s). Other models keep restarts: with a cap of three partners per segment as well,
#: scp41 and scp46 were proved in 16.4 s and 14.7 s without them, 14.1 s and 11.1 s with
#: them; the coverage master's search (selector.portfolio.cuts) proved less without them
#: (M weighted_coverage, 60 s: 0.084 % against 0.058 %).
COVER_RESTART = False
#: Objectives solved by the Benders master of selector.portfolio.cuts (with HiGHS, no
#: coverage rule).
CUT_OBJECTIVES: tuple[str, ...] = ("coverage", "weighted_coverage")
#: Seconds of greedy start for a plan solved by the master (vendor scenarios, 10 s:
#: optimal in 6.1 s with 0.5 s of greedy, 6.8 s with 1.5 s); with PLAN_START_MOVES
#: the time of its requirement cover.
PLAN_START_SECONDS = 0.5
#: Plans on the master start from the greedy after this many local-search moves instead
#: of PLAN_START_SECONDS: the same start on any machine. vendor-drop-distributor, 10 s:
#: proved optimal in 4.4-4.6 s in 3 runs of 3, against 2 runs of 5 with 0.5 s of
#: moves (a faster greedy made more of them, and the search took a slower path);
#: vendor.toml 4.7-5.1 s; vendor-budget-cut 0.22 % in each run.
PLAN_START_MOVES = 20
#: The LP-guided greedy on the master (see _lp_greedy): at most this many seconds, from
#: the partners the LP takes at POLISH_FROM or more. M weighted_coverage: 6.3029e8 in
#: 1 s from the partners at 0.5 or more, against 6.2503e8 for the greedy from nothing
#: (below 0.5 the start breaks the budget). Not for plans: vendor.toml was proved
#: optimal in 4.4-6.0 s without it, 6.5-6.9 s with it.
POLISH_SECONDS = 1.0
POLISH_FROM = 0.5
#: Coverage models with at least this many merged segment rows get a Lagrangian bound
#: (selector.portfolio.lagrange) when the solver stops short: LAGRANGE_SHARE of the
#: time, at most LAGRANGE_SECONDS.
LAGRANGE_ROWS = 2_000
#: ... and, for weighted_coverage solved by the master, with at least this many.
LAGRANGE_ROWS_MASTER = 50_000
LAGRANGE_SHARE = 0.3
LAGRANGE_SECONDS = 10.0
#: ... and at most this many of its iterations (a bound after the solver's own; when
#: the Lagrangian is the only bound it has all the time, see ``lagrange_only``).
LAGRANGE_ITERATIONS = 400
#: Seconds left after a settled Lagrangian bound below which no more local search runs.
MIN_MORE_SEARCH = 1.0
MSG_STABLE = (
    "{undone} change(s) from {what} that bought nothing were undone; the {changes} left are "
    "the fewest that keep the value within {tol:.2g} of the best found ({seconds:.1f} s)."
)
MSG_IDLE = (
    "{n} partner(s) that added no value (every segment they cover has another selected "
    "partner at least as good) were left out, saving {saved:,.0f}."
)
MSG_STABLE_GREEDY = (
    "{undone} change(s) from {what} that bought nothing were undone, one partner at a "
    "time; {changes} are left, each needed to keep the value within {tol:.2g} of the best "
    "found ({seconds:.1f} s)."
)


def _wants_stability(scenario: Scenario, inst: PortfolioInstance) -> bool:
    programme = scenario.programme
    return (
        inst.has_levels
        and inst.reference is not None
        and (programme is None or programme.stability == "fewest_changes")
    )


def _changes(inst: PortfolioInstance, x: np.ndarray) -> int:
    """Partners whose level in ``x`` differs from the reference plan's."""
    if inst.reference is None:
        return 0
    sel = np.asarray(x, dtype=bool)
    moved = inst.active_partners(sel & ~inst.reference) | inst.active_partners(inst.reference & ~sel)
    return int(moved.sum())


#: Up to this many model columns, the undo stage searches every plan exactly; above it,
#: only the changed partners, and only when at most EXACT_UNDO_PARTNERS are left.
EXACT_UNDO_COLUMNS = 600
EXACT_UNDO_PARTNERS = 60


def _revert(inst: PortfolioInstance, x: np.ndarray, p: int) -> np.ndarray:
    """``x`` with partner ``p`` back at its reference level (or out)."""
    if not (inst.option_partner is not None and inst.reference is not None):
        raise ValueError("needs a plan instance (selector.portfolio.levels)")
    mine = inst.option_partner == p
    out = np.asarray(x, dtype=bool).copy()
    out[mine] = inst.reference[mine]
    return out


def _undo_greedily(
    inst: PortfolioInstance, x: np.ndarray, floor: float
) -> tuple[np.ndarray, float]:
    """Undo changes one partner at a time, cheapest in value first, while the plan keeps
    every rule and its value stays at or above ``floor``. Deterministic in ``x``."""
    if not (inst.option_partner is not None and inst.reference is not None):
        raise ValueError("needs a plan instance (selector.portfolio.levels)")
    sel = np.asarray(x, dtype=bool).copy()
    moved = np.flatnonzero(
        inst.active_partners(sel & ~inst.reference) | inst.active_partners(inst.reference & ~sel)
    )
    if inst.maximize:
        loss = np.array([-evaluate(inst, _revert(inst, sel, int(p))) for p in moved])
    else:
        loss = np.array([evaluate(inst, _revert(inst, sel, int(p))) for p in moved])
    value = evaluate(inst, sel)
    for k in np.lexsort((moved, loss)):
        trial = _revert(inst, sel, int(moved[k]))
        v = evaluate(inst, trial)
        ok = v >= floor if inst.maximize else v <= floor
        if ok and not violations(inst, trial):
            sel, value = trial, v
    return sel, value


def _fewest_changes(
    inst: PortfolioInstance,
    model: MipModel,
    x: np.ndarray,
    obj: float,
    *,
    gap: float,
    time_limit: float,
    seed: int,
    threads: int | None,
    solver: Any,
    what: str,
    bound: float | None = None,
) -> tuple[np.ndarray, float, str | None]:
    """Second stage: undo the changes from the reference plan (today's channel by
    default) that the value does not need, keeping it within the gap tolerance of
    ``obj``. A greedy pass undoes one partner at a time; when few changes are left, a
    small MIP over the changed partners finds the fewest. Never more changes than
    ``x``, never a value below the tolerance, and the same answer for the same ``x``.
    With the ``bound`` a first stage proved (maximizing), the value also stays within
    the gap tolerance of it, so that a plan proved optimal is still proved so after.
    """
    if inst.reference is None or inst.option_partner is None:
        return x, obj, None
    before = _changes(inst, x)
    if before == 0:
        return x, obj, None
    t0 = time.perf_counter()
    tol = max(gap, 1e-9) * max(abs(obj), 1.0)
    floor = obj - tol if inst.maximize else obj + tol
    if bound is not None and inst.maximize and bound >= obj:
        floor = min(obj, max(floor, bound - max(gap, 1e-9) * max(abs(bound), 1.0)))
    sel, value = _undo_greedily(inst, x, floor)
    exact = False
    # Small models: the fewest changes over every plan within the tolerance (the same
    # answer whatever plan stage one found). Larger ones: over the changed partners only.
    whole = inst.n_partners <= EXACT_UNDO_COLUMNS
    if (whole or _changes(inst, sel) <= EXACT_UNDO_PARTNERS) and (
        time_limit - (time.perf_counter() - t0) > 0.2
    ):
        found = _undo_exactly(
            inst, model, sel, floor, seed=seed, threads=threads, solver=solver,
            time_limit=time_limit - (time.perf_counter() - t0), restrict=not whole,
        )
        if found is not None:
            sel, value, exact = found
    after = _changes(inst, sel)
    note = (MSG_STABLE if exact else MSG_STABLE_GREEDY).format(
        tol=max(gap, 1e-9), what=what, changes=after, undone=before - after,
        seconds=time.perf_counter() - t0,
    )
    return sel, value, note


def _undo_exactly(
    inst: PortfolioInstance,
    model: MipModel,
    x: np.ndarray,
    floor: float,
    *,
    seed: int,
    threads: int | None,
    solver: Any,
    time_limit: float,
    restrict: bool,
) -> tuple[np.ndarray, float, bool] | None:
    """The fewest changes among plans with a value at ``floor`` or better, started from
    ``x``. With ``restrict``, only the partners ``x`` changes may move (each keeps its new
    level, returns to its reference one, or leaves when either is "out")."""
    if not (inst.option_partner is not None and inst.reference is not None):
        raise ValueError("needs a plan instance (selector.portfolio.levels)")
    n = inst.n_partners
    sel = np.asarray(x, dtype=bool)
    ref_partner = inst.active_partners(inst.reference)
    # changes = const - sum(y at the reference level) + sum(y of partners out in the reference)
    w = np.where(inst.reference, -1.0, 0.0) + np.where(ref_partner[inst.option_partner], 0.0, 1.0)
    scale = float(np.abs(inst.cost).sum()) or 1.0
    w += 0.5 * inst.cost / scale  # ties: the cheaper plan (adds less than one change)
    c = np.zeros(model.n_cols)
    c[:n] = w
    v1 = _start_vector(model, inst, sel)
    row = sp.csc_matrix(model.c.reshape(1, -1))
    lo, hi = (floor, np.inf) if model.sense == "max" else (-np.inf, floor)
    moved = inst.active_partners(sel & ~inst.reference) | inst.active_partners(inst.reference & ~sel)
    free = moved[inst.option_partner] if restrict else np.ones(n, dtype=bool)
    allowed = (sel | inst.reference) if restrict else np.ones(n, dtype=bool)
    col_lo = model.col_lo.copy()
    col_hi = model.col_hi.copy()
    col_hi[:n] = np.where(free, np.minimum(col_hi[:n], allowed), np.minimum(col_hi[:n], sel))
    col_lo[:n] = np.where(free, col_lo[:n], np.maximum(col_lo[:n], sel))
    stage = replace(
        model,
        sense="min",
        c=c,
        A=sp.csc_matrix(sp.vstack([model.A, row])),
        row_lo=np.append(model.row_lo, lo),
        row_hi=np.append(model.row_hi, hi),
        row_group=np.append(model.row_group, GROUPS.index("objective_link")),
        col_lo=col_lo,
        col_hi=col_hi,
        row_key=None if model.row_key is None else np.append(model.row_key, -1),
        row_sub=None if model.row_sub is None else np.append(model.row_sub, 3),
    )
    solved = solver(stage, time_limit=time_limit, gap=1e-6, seed=seed, start=v1, threads=threads)
    x2 = solved.x
    if x2 is None or violations(inst, x2):
        return None
    x2 = np.asarray(x2, dtype=bool)
    value = evaluate(inst, x2)
    if _changes(inst, x2) > _changes(inst, sel) or (value < floor if inst.maximize else value > floor):
        return None
    return x2, value, solved.state == "optimal"


def _sane_bound(bound: float | None, objective: float, inst: PortfolioInstance) -> float | None:
    """Read the solver's bound defensively: a sign flip and a bound on the wrong side
    of the incumbent have both been seen through solver interfaces."""
    if bound is None or not math.isfinite(bound):
        return None
    if inst.maximize:
        if bound < objective - 1e-6 * max(1.0, abs(objective)) and -bound >= objective:
            bound = -bound
        return max(bound, objective)
    return min(bound, objective)


def _result(
    scenario: Scenario,
    inst: PortfolioInstance,
    *,
    status: str,
    x: np.ndarray | None,
    objective: float | None,
    bound: float | None,
    solver: str,
    wall: float,
    build: float,
    explanation: Sequence[str],
    heuristic: HeuristicResult | None,
) -> PortfolioResult:
    sel = np.zeros(inst.n_partners, dtype=bool) if x is None else np.asarray(x, dtype=bool)
    ids = inst.partner_ids
    # Plans net each current partner's exit cost out of its options and the budget;
    # the totals shown add it back.
    cost = float(inst.cost[sel].sum()) + inst.fixed_cost
    given_caps = dict(scenario.budget.pools)
    pools = tuple(
        (key, float(inst.cost[sel & mask].sum()) + given_caps.get(key, cap) - cap, given_caps.get(key, cap))
        for key, mask, cap in inst.pools
    )
    # Per partner: selected, and the quality it counts at (its option's, in a plan).
    active = inst.active_partners(sel)
    quality = np.zeros(len(active))
    if inst.option_partner is None:
        quality = inst.quality
    else:
        quality[inst.option_partner[sel]] = inst.quality[sel]
    # Coverage per original segment.
    seg = scenario.segments
    cover = scenario.coverage_matrix
    counts = np.asarray(cover.T @ active.astype(np.int64)).ravel()
    best = np.zeros(len(seg))
    cov = cover.tocsc()
    rows = np.repeat(np.arange(cov.shape[1]), np.diff(cov.indptr))
    on = active[cov.indices]
    np.maximum.at(best, rows[on], quality[cov.indices[on]])
    coverage = pd.DataFrame(
        {
            "region": seg["region"].to_numpy(),
            "industry": seg["industry"].to_numpy(),
            "size": seg["size"].to_numpy(),
            "named": seg["named"].to_numpy(),
            "value": seg["value"].to_numpy(dtype=float),
            "partners": counts,
            "fraction": best if inst.objective == "weighted_coverage" else (counts > 0).astype(float),
        },
        index=seg.index,
    )
    coverage["counted_value"] = coverage["value"] * coverage["fraction"]
    selectable = inst.active_partners(~inst.fixed_out)
    stats = {
        "partners": inst.n_partners,
        "segments": len(seg),
        "segment_rows_after_merge": inst.n_rows,
        "partners_fixed_out": int((~selectable).sum()),
        "heuristic_seconds": None if heuristic is None else heuristic.seconds,
    }
    notes = list(explanation)
    if (~selectable).any() and status != "infeasible":
        notes.append(
            f"{int((~selectable).sum())} partner(s) were left out before the solve; the partner "
            "table says why for each."
        )
    plan, plan_summary = (None, None)
    rules = tuple(rule_status(inst, sel)) if x is not None else ()
    if inst.has_levels and x is not None:
        plan, plan_summary = build_plan(scenario, inst, sel, exit_band=inst.exit_band)
        if rules:
            plan_summary = {**plan_summary, "rules": [dict(r) for r in rules]}
    return PortfolioResult(
        status=status,
        selected=tuple(sorted({str(i) for i in ids[sel]})),
        objective=objective,
        bound=bound,
        gap=None if objective is None or bound is None else _relative_gap(objective, bound, "max" if inst.maximize else "min"),
        cost=cost,
        budget=None if not math.isfinite(inst.budget) else inst.budget + inst.fixed_cost,
        pools=pools,
        coverage=coverage,
        solver=solver,
        wall_seconds=wall,
        build_seconds=build,
        objective_kind=inst.objective,
        scenario=scenario.name,
        explanation=tuple(notes),
        heuristic_objective=None if heuristic is None or not heuristic.feasible else heuristic.objective,
        stats=stats,
        plan=plan,
        plan_summary=plan_summary,
        rules=rules,
    )

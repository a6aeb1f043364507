"""Searching a roadmap: the route's ``roadmap`` and ``roadmap_mip`` searches.

:func:`search_roadmap` builds the :class:`~selector.portfolio.roadmap.RoadmapInstance`
of a scenario with ``[horizon]`` from its year-one plan instance and solves it:

``roadmap``
    the coverage objectives with HiGHS and no coverage rule: the cut loop
    (:func:`selector.portfolio.cuts.solve_by_cuts`) on the roadmap's rows
    (:func:`~selector.portfolio.roadmap_model.side_model`), its (segment row, year)
    values by closed-form cuts; among roadmaps of equal value, the cheapest over the
    horizon (discounted);
``roadmap_mip``
    everything else (CBC, ``min_cost``, coverage rules): the whole model
    (:func:`~selector.portfolio.roadmap_model.full_model`) by the route's solver.

Infeasible roadmaps are explained by the limits (row groups) whose removal alone makes
one possible.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from selector.inputs.scenario import Scenario
from selector.portfolio.clock import Deadline
from selector.portfolio.cuts import solve_by_cuts
from selector.portfolio.instance import PortfolioInstance
from selector.portfolio.model import MipModel, start_vector
from selector.portfolio.options import SolveOptions
from selector.portfolio.relax import Relaxation
from selector.portfolio.result import relative_gap
from selector.portfolio.roadmap import RoadmapInstance, build_roadmap
from selector.portfolio.roadmap_model import (
    ROADMAP_GROUPS,
    full_model,
    objective_rows,
    side_model,
    violated_groups,
)
from selector.portfolio.roadmap_relax import roadmap_relaxations, year_sentences
from selector.portfolio.roadmap_stability import fewest_roadmap_changes
from selector.portfolio.roadmap_start import plan_repeated
from selector.portfolio.route import STAGE_ONE_SHARE, Route
from selector.portfolio.solvers import Solved, adapter

__all__ = [
    "LIMIT_GROUPS",
    "MSG_ROADMAP_INFEASIBLE",
    "MSG_ROADMAP_OPTIMAL",
    "MSG_ROADMAP_TIME_LIMIT",
    "RoadmapFound",
    "search_roadmap",
]

MSG_ROADMAP_OPTIMAL = (
    "Roadmap over {years} years proved optimal (within the relative gap tolerance {gap:.2g}); "
    "its first year is the plan."
)
MSG_ROADMAP_TIME_LIMIT = (
    "Roadmap over {years} years: stopped at the {limit:g} s time limit within {gap:.2%} of the "
    "best possible (bound {bound:,.0f}); its first year is the plan."
)
MSG_ROADMAP_NO_BOUND = (
    "Roadmap over {years} years: stopped at the {limit:g} s time limit before proving a bound; "
    "allow more time."
)
MSG_ROADMAP_NO_SOLUTION = (
    "The solver stopped at the time limit before finding a roadmap that keeps every rule in "
    "every year; allow more time or loosen the rules."
)
MSG_ROADMAP_INFEASIBLE = "No roadmap keeps every rule in every year of the horizon."
MSG_ROADMAP_CULPRITS = "Without any one of these limits a roadmap exists: {groups}."
#: Row groups an infeasible roadmap is explained by (the links between years are not
#: limits anyone can move).
LIMIT_GROUPS = ("budget", "pools", "requirements", "caps", "conflicts", "type_mix", "supply",
                "must_include", "steps", "quotas", "exits", "recruits", "continuity", "rules")
#: Seconds each feasibility check of the explanation may take.
EXPLAIN_SECONDS = 5.0
#: The fewest-changes stage's time: this share of the time so far, at least
#: STAGE_MIN_SECONDS, at most what is left (vendor-3y, 30 s: proved by 17 s, and the
#: stage with all that was left ended the solve at 29.4 s).
STAGE_SHARE = 0.25
STAGE_MIN_SECONDS = 2.0
#: Seconds the per-year relaxations get at least (else what is left of the time limit).
RELAX_SECONDS = 10.0


@dataclass(frozen=True)
class RoadmapFound:
    """What a roadmap search found: ``x`` over the roadmap's columns (None: none),
    ``plan_x`` its first year over the plan instance's options, the objective and bound
    in the roadmap's terms."""

    status: str
    road: RoadmapInstance
    x: np.ndarray | None
    objective: float | None
    bound: float | None
    explanation: tuple[str, ...]
    build_seconds: float
    relaxations: tuple[Relaxation, ...] = ()


def _solve(route: Route, road: RoadmapInstance, inst: PortfolioInstance, options: SolveOptions,
           clock: Deadline) -> tuple[Solved, MipModel]:
    side = side_model(road)
    start = None
    if route.start == "plan_repeated":
        start = plan_repeated(road, side, inst, seconds=route.start_seconds, seed=options.seed,
                              moves=route.start_moves, threads=options.threads,
                              node_limit=options.node_limit)
    seconds = max(0.05, options.time_limit - clock.elapsed() - clock.margin)
    if route.fewest_changes:
        seconds *= STAGE_ONE_SHARE  # the rest is for the fewest-changes stage
    if route.search == "roadmap":
        discounted = road.col_cost * road.discount_factors[road.col_year]
        return solve_by_cuts(side, objective_rows(road), time_limit=seconds, gap=options.gap,
                             seed=options.seed, start=start, threads=options.threads,
                             node_limit=options.node_limit, progress=options.progress,
                             cost=discounted, first_lp=route.first_lp, lp_share=route.lp_share), side
    full = full_model(road)
    solved = adapter(route.solver)(full, time_limit=seconds, gap=options.gap, seed=options.seed,
                                   start=None if start is None else start_vector(full, road.flat, start),
                                   threads=options.threads,
                                   node_limit=options.node_limit, progress=options.progress,
                                   presolve=route.presolve)
    return solved, side


def _culprits(side: MipModel, seconds: float) -> list[str]:
    """The limit groups whose removal alone makes ``side`` feasible."""
    out = []
    for name in LIMIT_GROUPS:
        rows = side.row_group == ROADMAP_GROUPS.index(name)
        if not rows.any():
            continue
        keep = ~rows
        model = MipModel(sense="max", c=np.zeros(side.n_cols), A=side.A.tocsr()[keep].tocsc(),
                         row_lo=side.row_lo[keep], row_hi=side.row_hi[keep], col_lo=side.col_lo,
                         col_hi=side.col_hi, n_x=side.n_x, row_group=side.row_group[keep],
                         aux_row=side.aux_row, aux_partner=side.aux_partner)
        found = adapter("highs")(model, time_limit=seconds, gap=1.0, seed=0, start=None, threads=None,
                                 presolve=True)
        if found.state in ("optimal", "time_limit"):
            out.append(name)
    return out


def search_roadmap(
    scenario: Scenario, inst: PortfolioInstance, route: Route, options: SolveOptions, clock: Deadline
) -> RoadmapFound:
    """Build and solve the roadmap of ``scenario`` (``inst`` its year-one plan instance)
    by ``route`` (see the module notes)."""
    t0 = time.perf_counter()
    road = build_roadmap(scenario, inst)
    build = clock.elapsed()
    solved, side = _solve(route, road, inst, options, clock)
    years = road.years

    def ended(status: str, notes: list[str], bound: float | None = None) -> RoadmapFound:
        return RoadmapFound(status, road, None, None, bound, tuple(notes), time.perf_counter() - t0)

    if solved.state == "infeasible":
        notes = [MSG_ROADMAP_INFEASIBLE]
        ways: tuple[Relaxation, ...] = ()
        if options.explain:
            groups = _culprits(side, EXPLAIN_SECONDS)
            if groups:
                notes.append(MSG_ROADMAP_CULPRITS.format(groups=", ".join(groups)))
            ways = roadmap_relaxations(road, side, seconds=max(clock.left(), RELAX_SECONDS),
                                       seed=options.seed, threads=options.threads,
                                       currency=scenario.currency)
            notes += year_sentences(ways)
        return replace(ended("infeasible", notes), relaxations=ways)
    if solved.state == "error":
        return ended("error", [solved.message or "The solver failed."])
    x = solved.x
    if x is None or violated_groups(side, x):
        return ended("error", [MSG_ROADMAP_NO_SOLUTION], solved.bound)
    obj = road.objective(x)
    bound = solved.bound
    rel = None if bound is None else relative_gap(obj, bound, "max" if road.maximize else "min")
    proved = solved.state == "optimal" and (rel is None or rel <= max(options.gap, 1e-9) * 1.0001)
    stable_note = None
    if route.fewest_changes:
        # a share of the time so far (a tie-break, not a second solve), at most what is left
        left = max(0.0, min(clock.left(), max(STAGE_MIN_SECONDS, STAGE_SHARE * clock.elapsed())))
        if options.deterministic:  # the stage runs whatever the clock says: reproducible
            left = max(left, 0.5 * options.time_limit)
        x, obj, stable_note = fewest_roadmap_changes(
            road, side, np.asarray(x, dtype=bool), obj, gap=options.gap, time_limit=left,
            seed=options.seed, threads=options.threads, solver=route.solver,
            what="the reference plan" if options.reference else "today's channel",
            bound=bound if proved else None)
        rel = None if bound is None else relative_gap(obj, bound, "max" if road.maximize else "min")
    if proved:
        note = MSG_ROADMAP_OPTIMAL.format(years=years, gap=options.gap)
    elif bound is None or rel is None:
        note = MSG_ROADMAP_NO_BOUND.format(years=years, limit=options.time_limit)
    else:
        note = MSG_ROADMAP_TIME_LIMIT.format(years=years, limit=options.time_limit, gap=rel, bound=bound)
    said = (note,) if stable_note is None else (note, stable_note)
    return RoadmapFound("optimal" if proved else "time_limit", road, np.asarray(x, dtype=bool), obj,
                        bound, said, build)

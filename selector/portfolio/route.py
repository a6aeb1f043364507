"""Which path a solve takes, chosen once from the instance's traits and the options.

:func:`choose_route` is the one place that decides; it is pure (no solver runs) and
returns a frozen :class:`Route`: the start, the search, the bound stages and the
finishing stages, with the time shares and solver settings each gets. The stages
themselves are in :mod:`~selector.portfolio.starts`, :mod:`~selector.portfolio.searches`
and :mod:`~selector.portfolio.finishing`; :func:`selector.portfolio.execute.run_route`
runs a route. The searches:

``cover_lp``
    A pure set cover (``min_cost``, requirements only) with HiGHS: its LP first. An
    integral optimum is the answer; otherwise the LP's rounding starts the ``mip``
    search, or is the answer when it meets the LP's bound.
``cuts``
    Coverage objectives with HiGHS and no coverage rule: the Benders master on the
    partner columns (:mod:`selector.portfolio.cut_loop`), which proves more in the same
    time than the model with a column per segment row.
``lagrange_only``
    Blank-sheet ``weighted_coverage`` at ``LAGRANGE_ROWS_MASTER`` merged rows or more:
    the master's LP rounds do not settle within minutes there, so the greedy's portfolio
    is the answer, the Lagrangian dual gets the time for its bound, and what is left
    goes to more local search. Without a start that keeps every rule it falls back to
    ``cuts``.
``roadmap``
    A scenario with ``[horizon]`` and a coverage objective, HiGHS and no coverage rule:
    the years' model by the cut loop (:mod:`selector.portfolio.roadmap_search`).
``roadmap_mip``
    Any other roadmap (CBC, ``min_cost``, coverage rules): the years' whole model.
``mip``
    Everything else: the whole model by the chosen solver (HiGHS or CBC), started from
    the heuristic portfolio; a model without rows is answered in closed form.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from selector.portfolio.instance import PortfolioInstance, pure_cover
from selector.portfolio.options import SolveOptions

__all__ = [
    "COVER_RESTART",
    "CUT_OBJECTIVES",
    "DETERMINISTIC_MOVES",
    "FILL_IN",
    "LAGRANGE_ROWS",
    "LAGRANGE_ROWS_MASTER",
    "PLAN_RESTART",
    "ROADMAP_LP_SHARE",
    "ROADMAP_START_SECONDS",
    "ROADMAP_START_SHARE",
    "Route",
    "Search",
    "Start",
    "choose_route",
]

Search = Literal["cover_lp", "cuts", "lagrange_only", "mip", "roadmap", "roadmap_mip"]
Start = Literal["none", "greedy", "lp_rounding", "carried", "plan_repeated"]
Lagrangian = Literal["none", "share", "all"]

#: Objectives solved by the Benders master of selector.portfolio.cuts (with HiGHS, no
#: coverage rule).
CUT_OBJECTIVES: tuple[str, ...] = ("coverage", "weighted_coverage")
#: Heuristic drop-and-refill trials when solving by node limit.
DETERMINISTIC_MOVES = 200
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
#: Coverage models with at least this many merged segment rows get a Lagrangian bound
#: (selector.portfolio.lagrange) when the solver stops short: LAGRANGE_SHARE of the
#: time, at most LAGRANGE_SECONDS (selector.portfolio.finishing).
LAGRANGE_ROWS = 2_000
#: ... and, for weighted_coverage solved by the master, with at least this many. The
#: master's LP rounds reach a better bound sooner, except for weighted_coverage at the
#: largest sizes (bench/portfolio_bench.py: M 1.51 % without the share against 1.78 %
#: with it at 10 s; L 3.3 % without against 1.69 % with it at 120 s). At that size the
#: master's LP rounds do not settle within a limit of minutes (L: the first LP took 20 s
#: and the second did not finish in 57 s, leaving its bound 2.7 % above the greedy's
#: portfolio): the Lagrangian dual gets the time instead, and what is left once it
#: settles goes to more local search (L, 120 s: 0.83 %, against 1.54 % with the master
#: and 10 s of Lagrangian after it).
LAGRANGE_ROWS_MASTER = 50_000
#: Seconds left after a settled Lagrangian bound below which no more local search runs.
MIN_MORE_SEARCH = 1.0
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
#: The same for a plan's coverage master (a column per partner and tier, searched by
#: selector.portfolio.cuts): the cut loop restarts the search itself when it adds cuts,
#: and HiGHS's own restart then solves the root a second time. Cold solves of the
#: vendor plan, 16 what-ifs in one process (each with and without, in turn): 45.7 s in
#: all without against 54.8 s with, from budget cuts (x0.90: 5.3 s against 9.4 s, x0.93:
#: 4.9 s against 8.6 s, -5 %: 7.2 s against 8.6 s; x0.88 7.0 s against 6.4 s); the other
#: what-ifs within 0.1 s.
PLAN_RESTART = False
#: Plans on the coverage master solve the small problem on their last LP optimum's
#: fractional columns before the search (selector.portfolio.cuts.CutLoop.fill_in).
FILL_IN = True
#: A roadmap's start (``plan_repeated``): this share of the time limit, at most
#: ROADMAP_START_SECONDS. bench/roadmap_bench.py: vendor 5 years, the start alone
#: 2.157e9 in 8 s against 1.888e9 for the search without it after 60 s.
ROADMAP_START_SHARE = 0.15
ROADMAP_START_SECONDS = 10.0
#: The cut loop's LP rounds' share of a roadmap's time once it has a start. The rounds
#: after the first are slow on roadmaps (vendor 5 years: the second did not finish in
#: 34 s), and the start leaves the search less to find: vendor 5 years, 60 s, 0.83 %
#: (proved within 1 %) with 0.3, 1.31 % with 0.55, 1.76 % with cuts.LP_SHARE (0.8);
#: vendor-3y proved within 0.5 % either way (one run each).
ROADMAP_LP_SHARE = 0.3
#: Share of the search's time a plan's first stage gets when the fewest-changes stage
#: follows it.
STAGE_ONE_SHARE = 0.85


@dataclass(frozen=True)
class Route:
    """The path of one solve: what starts it, what searches, what bounds and what
    finishes, with the settings each stage gets (see the module's docstring).

    ``start`` ``carried`` is a session's last plan (:class:`selector.portfolio.warm.Carry`),
    brought within the changed rules; ``start_seconds``/``start_moves`` bound the
    heuristic start by time or by a count of local-search moves (``cover_seconds`` the
    requirement cover inside it, None: its own share); ``presolve``/``restart`` are
    HiGHS's for the ``mip`` search; ``lagrangian`` is the Lagrangian bound's share of the
    time (``share``: after the search, ``all``: instead of it); ``fewest_changes`` the plan's second stage (the search then gets
    ``STAGE_ONE_SHARE`` of the time); ``tie_by_cost``, ``polish``, ``neighbourhood``
    ``first_lp`` and ``lp_share`` (its LP rounds' share of the time, None: its
    default) are the cut loop's.
    """

    search: Search
    start: Start
    solver: str
    start_seconds: float
    start_moves: int | None = None
    cover_seconds: float | None = None
    presolve: bool = False
    restart: bool = True
    lagrangian: Lagrangian = "none"
    fewest_changes: bool = False
    tie_by_cost: bool = False
    polish: bool = False
    neighbourhood: bool = False
    first_lp: Literal["ipm", "choose"] = "ipm"
    lp_share: float | None = None
    more_search_min: float = MIN_MORE_SEARCH
    fill_in: bool = False

    @property
    def drop(self) -> tuple[str, ...]:
        """Rows the model is built without: the master values segment rows by cuts."""
        return ("objective_link",) if self.search in ("cuts", "lagrange_only") else ()

    def fallback(self) -> Route:
        """The route when the search cannot run as chosen: ``lagrange_only`` without a
        start keeping every rule searches by ``cuts`` (its Lagrangian a share);
        ``cover_lp`` whose LP does not answer searches the whole model."""
        if self.search == "lagrange_only":
            return replace(self, search="cuts", lagrangian="share")
        if self.search == "cover_lp":
            return replace(self, search="mip")
        return self

    def describe(self) -> dict[str, Any]:
        """The route as plain values (a result's ``stats["route"]``)."""
        return asdict(self)


def choose_route(inst: PortfolioInstance, options: SolveOptions) -> Route:
    """The route a solve of ``inst`` with ``options`` takes (pure: nothing is solved).

    Examples
    --------
    >>> from selector import load_scenario
    >>> from selector.portfolio.options import resolve_options
    >>> from selector.portfolio.reductions import reduce
    >>> s = load_scenario("scenarios/teaching.toml")
    >>> options = resolve_options(s)
    >>> route = choose_route(reduce(s, options), options)
    >>> route.search, route.start
    ('cuts', 'greedy')
    """
    highs = options.solver == "highs"
    by_cuts = highs and inst.objective in CUT_OBJECTIVES and not any(r.kind == "coverage" for r in inst.rules)
    if inst.horizon_years is not None:
        # A roadmap: the year-one plan held across the years, repaired and improved
        # (selector.portfolio.roadmap_start); the fewest changes from the reference
        # (selector.portfolio.roadmap_stability) settle its ties, else the cheapest
        warm = options.warm_start and inst.has_levels and inst.maximize
        fewest = inst.has_levels and inst.maximize and inst.reference is not None and options.fewest_changes
        return Route(search="roadmap" if by_cuts else "roadmap_mip",
                     start="plan_repeated" if warm else "none", solver=options.solver,
                     start_seconds=min(ROADMAP_START_SECONDS, ROADMAP_START_SHARE * options.time_limit)
                     if warm else 0.0,
                     start_moves=PLAN_START_MOVES if warm else None, presolve=highs,
                     fewest_changes=fewest, tie_by_cost=not fewest, first_lp="choose",
                     lp_share=ROADMAP_LP_SHARE if warm else None)
    cover = highs and pure_cover(inst)
    limit = options.time_limit
    # The start matters most where the solver is slow: give the search a share of the time.
    seconds = min(5.0, max(0.5, 0.15 * limit), limit / 4)
    moves = DETERMINISTIC_MOVES if options.deterministic else None
    cover_seconds = None
    if by_cuts and inst.has_levels:
        # Plans: the master's search finds better than the greedy within a second, so a
        # short start that does not depend on the machine's speed (the requirement
        # cover, needed only when today's channel cannot be repaired, keeps a time share)
        seconds = min(seconds, PLAN_START_SECONDS)
        if moves is None:
            moves, cover_seconds = PLAN_START_MOVES, max(0.2, seconds)
    lagrange = not by_cuts or (inst.objective == "weighted_coverage" and inst.n_rows >= LAGRANGE_ROWS_MASTER)
    started = options.warm_start or options.start is not None
    alone = by_cuts and lagrange and not options.deterministic and started and not inst.has_levels
    search: Search = "cover_lp" if cover else "lagrange_only" if alone else "cuts" if by_cuts else "mip"
    start: Start = "none" if not options.warm_start else "lp_rounding" if cover else "greedy"
    if start == "greedy" and options.carry is not None and options.carry.x is not None:
        start = "carried"  # a session's last plan, repaired; the greedy when it does not fit
    lagrangian: Lagrangian = "none"
    if inst.maximize and inst.n_rows >= LAGRANGE_ROWS and lagrange:
        lagrangian = "all" if alone else "share"
    # Plan models (a column per partner and tier) and set covering (min_cost) solve
    # faster with HiGHS's presolve (bench/plan_bench.py, the OR-Library table of
    # bench/portfolio_bench.py); the blank-sheet coverage models do not.
    presolve = highs and (inst.has_levels or not inst.maximize)
    fewest = inst.has_levels and inst.reference is not None and options.fewest_changes
    return Route(
        search=search,
        start=start,
        solver=options.solver,
        start_seconds=seconds,
        start_moves=moves,
        cover_seconds=cover_seconds,
        presolve=presolve,
        restart=COVER_RESTART if presolve and pure_cover(inst, multicover=True)
        else PLAN_RESTART if by_cuts and inst.has_levels else True,
        lagrangian=lagrangian,
        fewest_changes=fewest,
        # ties: the fewest-changes stage settles them for plans; the cheapest otherwise
        tie_by_cost=not fewest,
        # Not for plans (see selector.portfolio.starts.POLISH_SECONDS)
        polish=options.warm_start and not inst.has_levels,
        neighbourhood=options.warm_start and not inst.has_levels,
        first_lp="choose" if inst.has_levels else "ipm",
        fill_in=FILL_IN and by_cuts and inst.has_levels,
    )

"""Coverage objectives solved exactly on the partner columns alone: the Benders cut loop.

The cuts (closed-form, per segment row) and the master problem they go into are in
:mod:`selector.portfolio.cut_master`; :class:`RowValues`, :func:`row_values` and
:func:`rebased` are re-exported here. This module runs the loop: :class:`CutLoop`, one
method per stage and its stages written in its docstring, with the caller's options in
:class:`CutOptions`; :func:`solve_by_cuts` is the same loop as one call, answering like
the other solver adapters.

Coverage rules (``[[rules]]`` of kind ``coverage``) count the covered value of rows and
have no place in this master: those scenarios keep the full model
(:func:`selector.portfolio.optimizer.solve` decides).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any

import numpy as np

from selector.portfolio.cut_master import CUT_TOL, CutMaster, RowValues, rebased, row_values
from selector.portfolio.cut_options import CutOptions
from selector.portfolio.cut_tie import GUARD_SLACK, TIE, cheapest_tie, searched
from selector.portfolio.model import MipModel
from selector.portfolio.solvers import Solved, SolveProgress, SolverState
from selector.portfolio.solvers.guard import run_guarded
from selector.portfolio.warm import CutBatch

__all__ = ["CutLoop", "CutOptions", "RowValues", "rebased", "row_values", "solve_by_cuts", "solve_fixed"]

#: Share of the time limit the LP cut rounds may take before branching starts. The
#: rounds end sooner when the LP is settled (M coverage: about 1 s); when they do not,
#: the search could not finish its root either (M weighted_coverage, 10 s: 0.33 % gap
#: with 0.8 against 0.93 % with 0.35; M coverage the same 0.29 % with either).
LP_SHARE = 0.8
#: Largest LP cut rounds; each adds the cuts its LP optimum violates.
LP_ROUNDS = 60
#: Rows the start portfolio covers at most this many times get their deepest cut first.
RISK = 2
#: Most partner entries the deepest cuts of a weighted objective may add up front.
DEEP_PAIRS = 60_000
#: Most cuts one LP round adds (the most violated first).
LP_CUT_LIMIT = 2_000  # M weighted_coverage, 10 s of loop: 1.29 % (1,000: 1.33 %; no limit: 2.32 %)
#: HiGHS's gap target on the master, as a share of the gap asked for. Aiming inside it
#: (0.5) made the vendor plan miss "optimal" in 10 s (0.019 % where 1.0 proves it).
MIP_GAP_SHARE = 1.0
#: In-out separation: the share of the LP point in the point the LP rounds separate.
IN_OUT = 0.5
#: The cheaper-portfolio stage's time: this share of the solve's time before it (at least
#: 0.5 s). Partners that add nothing are left out before it (the ``tidy`` of
#: solve_by_cuts), the common tie; on a blank-sheet copy of the vendor scenario the stage
#: then found nothing cheaper, its root unfinished, and its share was time lost: the
#: proved answer came in 15.0-15.6 s with 0.25, 18.5 s with 0.5 (two runs each).
TIE_SHARE = 0.25
#: Fix partners by the reduced costs of the last LP round before the search (see
#: CutMaster.fix_by_reduced_costs and its FIX_MARGIN).
REDUCED_COST_FIXING = True
#: The large-neighbourhood search after the LP rounds (see _neighbourhood): its share of
#: the time left, the least time left for it to run at all, the columns each try frees
#: (taken ones to drop, others the LP takes to add), the most seconds a try may take,
#: and the tries in a row without a gain after which it stops.
NEIGHBOURHOOD_SHARE = 0.4
#: ... and its share when less than NEIGHBOURHOOD_SHORT seconds are left: the search
#: after it would not finish its root (M coverage, 10 s: the root was unfinished after
#: 3.3 s), so the time goes to better portfolios (M coverage 10 s: 0.161 % with 0.8,
#: 0.205 % with 0.4; with 60 s, where 0.8 is not used, it cost weighted_coverage 0.085 %
#: against 0.058 %: the search moves the bound there).
NEIGHBOURHOOD_SHORT = 15.0
NEIGHBOURHOOD_SHORT_SHARE = 0.8
NEIGHBOURHOOD_MIN_SECONDS = 2.0
NEIGHBOURHOOD_MIN_COLUMNS = 150  # below, the small problems would be most of the whole
NEIGHBOURHOOD_DROP = 8
NEIGHBOURHOOD_ADD = 20
NEIGHBOURHOOD_SECONDS = 3.0
NEIGHBOURHOOD_STALL = 60
#: The fill-in after the LP rounds (see CutLoop.fill_in): the most seconds it may take,
#: and the most columns the last LP optimum may leave fractional for it to run.
FILL_IN_SECONDS = 0.5
FILL_IN_COLUMNS = 600
#: Scale the master's theta columns by their rows' weights (see CutMaster) on the full
#: problem; the neighbourhood's small problems always are. On those HiGHS is much
#: faster scaled (M coverage, five of them: 0.03-0.12 s against 0.36-5 s, where the root
#: of a 170-row problem took seconds); on the full one it made no clear difference (M
#: coverage 60 s: 0.123 % against 0.128 %; 10 s: 0.171 % against 0.169 %;
#: weighted_coverage 60 s: 0.076 % against 0.085 %, one run each).
SCALED_MAIN = False
#: HiGHS's options for the search after a neighbourhood search: its portfolio is one
#: HiGHS's own heuristics rarely beat, and they took half the search's LP iterations
#: (M coverage, 60 s: 99,000 of 184,000); what is left goes to nodes and the bound.
AFTER_NEIGHBOURHOOD = {"mip_heuristic_effort": 0.0}
#: HiGHS's options for a search given a bound proved elsewhere (CutOptions.bound): the
#: portfolio is what is left to find. Vendor at 5 % less budget, the frontier prepared
#: for 30 s: proved in 4.8 s with 0.3, 6.0 s with HiGHS's 0.05 (one run each; at 7 % and
#: 8 % less within 0.1 s either way).
BOUNDED_SEARCH: dict[str, float] = {"mip_heuristic_effort": 0.3}
#: LP values within this of 0 or 1 count as taken or left by the LP.
LP_INTEGRAL = 1e-6


class CutLoop:
    """Maximize the coverage objective ``rv`` over the partner columns and rows of
    ``side`` (a model built without its objective rows): the master (:class:`CutMaster`)
    solved again and again, cuts added where it overvalues.

    The master maximizes ``sum_j c_j x_j + sum_s theta_s`` over 0/1 partner columns
    ``x`` under every partner-side rule, each ``theta_s`` below the cuts of row ``s``
    added so far::

        theta_s <= d_s * (q_k + sum_{l < k} (q_l - q_k) * x_l)

    (the formulation in :class:`CutMaster`; the cuts in
    :mod:`selector.portfolio.cut_master`). :meth:`run` calls the stages in order, each
    adding cuts where they are violated:

    0. :meth:`seed_from_start`: at the start portfolio (so that the master values it
       exactly), with the deepest cut of the rows it covers at most RISK times;
    1. :meth:`lp_rounds`: at the master's LP optimum, round after round (in-out
       separation, at most LP_CUT_LIMIT a round), until none is violated: the master's
       LP bound is then the full model's;
    2. :meth:`polish`: the last LP optimum can seed a better start (the ``polish``
       hook; the optimizer's greedy from the partners the LP takes at half or more),
       and :meth:`neighbourhood` (``options.neighbourhood``) runs a
       large-neighbourhood search from the best portfolio: small problems of a few
       free columns, the others kept, solved exactly by this same loop
       (:func:`_neighbourhood`);
    3. :meth:`search`: at each portfolio HiGHS's branch-and-bound finds: when the
       master overvalues one by more than the gap asked for over the best known, the
       search stops, the cuts go in and the search starts again from the best
       portfolio known (highspy has no lazy-constraint callback). Smaller
       overvaluations only get their cuts when the search ends short of the gap;
    4. :meth:`settle`: every master is a relaxation of the full model, so each bound
       HiGHS proves on it holds for the portfolio problem too; a search that ends with
       no cut left to add has proved its portfolio optimal ("optimal" is decided on
       true values against the least bound);
    5. :meth:`cheapest_tie`: with the partners' costs given, a portfolio proved optimal
       is swapped for the cheapest of equal value, so that ties do not depend on the
       start. ``tidy``, when given, first takes out what adds nothing (the optimizer
       passes :func:`selector.portfolio.heuristics.without_idle`), and the stage starts
       from that cheaper portfolio of the same value.

    The loop's clock starts, and its master is built, when it is made; it runs once.
    Its state is in attributes: ``best_x`` and ``best`` (the best portfolio known and
    its true value), ``bound`` (the least bound proved), ``lp_x`` and ``priced`` (the
    last LP optimum, its value and reduced costs), ``pending`` (overvalued portfolios
    waiting for their cuts).

    The hooks are arguments rather than :class:`CutOptions` fields: they carry the
    caller's instance (the options are plain values, the same for the neighbourhood's
    small problems); ``start`` and ``cost`` are per-column data. ``progress`` hears the
    best value and the bound as they move; ``polish`` turns the last LP optimum (a
    fraction per column) into a portfolio keeping every rule, or None; ``stop``, asked
    while the search runs, ends it early when it answers True (what the loop proved by
    then stands).
    """

    def __init__(
        self,
        side: MipModel,
        rv: RowValues,
        options: CutOptions,
        *,
        start: np.ndarray | None = None,
        cost: np.ndarray | None = None,
        progress: Callable[[SolveProgress], object] | None = None,
        polish: Callable[[np.ndarray], np.ndarray | None] | None = None,
        tidy: Callable[[np.ndarray], np.ndarray] | None = None,
        pool: list[CutBatch] | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> None:
        self.t0 = time.perf_counter()
        self._stop = stop
        self.deadline = self.t0 + options.time_limit
        self.side, self.rv, self.options = side, rv, options
        self.start_x, self.cost = start, cost
        self._progress, self._polish, self._tidy = progress, polish, tidy
        self.master = CutMaster(side, rv, seed=options.seed, threads=options.threads,
                                scaled=SCALED_MAIN if options.scaled is None else options.scaled,
                                pool=pool)
        self.best_x: np.ndarray | None = None
        self.best = -math.inf
        self.bound = math.inf if options.bound is None else float(options.bound)
        self.lp_x: np.ndarray | None = None
        # the last optimal LP's value, x, reduced costs
        self.priced: tuple[float, np.ndarray, np.ndarray] | None = None
        self.cold = 0.0  # seconds of the first LP, solved from scratch as the search's root LP is
        # the most the portfolios that reduced-cost fixing rules out are worth
        self.fixed_bound = -math.inf
        self.pending: list[tuple[np.ndarray, np.ndarray]] = []
        # Stop the search only when the master overvalues a portfolio by more than the gap
        # asked for: pruning by a value within the gap of the best true one loses no
        # portfolio better than the gap allows, and a restart repeats the root's work.
        self.stop_now = False
        self.slack = max(options.gap, CUT_TOL)
        self.searching = True  # off for the cheaper-portfolio stage

    def run(self) -> Solved:
        """Every stage in order. Answers like the other solver adapters: ``x`` the best
        portfolio found (its true objective), ``bound`` the least bound proved,
        ``state`` ``optimal`` when the bound is within the gap of it."""
        self.seed_from_start()
        if not self.lp_rounds():
            return Solved("infeasible", None, None, None)
        self.fill_in()
        self.polish()
        self.neighbourhood()
        if not self.search():
            return Solved("infeasible", None, None, None)
        if self.best_x is None:
            return Solved("no_solution", None, None, None if not math.isfinite(self.bound) else self.bound)
        state = self.settle()
        if state == "optimal":
            self.cheapest_tie()
        return Solved(state, self.best_x, self.best, self.bound if math.isfinite(self.bound) else None)

    def seed_from_start(self) -> None:
        """Value the start portfolio exactly (its cuts) and add the deepest cut of the
        rows it covers at most RISK times."""
        if self.start_x is None:
            return
        rv, master = self.rv, self.master
        best_x = np.asarray(self.start_x, dtype=bool)
        self.best_x, self.best = best_x, rv.objective(best_x.astype(float))
        master.add_cuts(best_x.astype(float))
        # Rows the start covers at most RISK times are the ones other good portfolios
        # leave uncovered (or covered by a worse partner): their deepest cut up front
        # saves restarts of the search.
        if rv.n_rows:
            counts = np.add.reduceat(best_x[rv.member].astype(np.int64), rv.ptr[:-1])
            risky = np.flatnonzero(counts <= RISK)
            # With qualities the deepest cut is dense (every partner of the row): only
            # while they stay few (the 604 x 14,000 bench's would slow every LP; so did
            # the cut at each row's second selected partner, 77,000 entries: 5.7 % gap at
            # 10 s against 1.3 % without).
            size = int((rv.ptr[risky + 1] - rv.ptr[risky]).sum())
            if (rv.q == 1.0).all() or size <= DEEP_PAIRS:
                master.add_deepest(risky)

    def lp_rounds(self) -> bool:
        """LP rounds: cuts at the master's LP optimum until none is violated, or until
        LP_SHARE of the time limit (``options.lp_share`` when given; LP_ROUNDS at most). Sets ``bound``, ``lp_x`` and
        ``priced``; False when the LP is infeasible (so is the portfolio problem)."""
        opts, master = self.options, self.master
        h, hs = master.h, master.hs
        # A node limit asks for a result that does not depend on the machine's speed: the LP
        # rounds then run to the end (the time limit stays a safety net).
        share = LP_SHARE if opts.lp_share is None else opts.lp_share
        lp_end = self.t0 + (share * opts.time_limit if opts.node_limit is None else opts.time_limit)
        core = None if self.best_x is None or IN_OUT >= 1.0 else self.best_x.astype(float)
        h.setOptionValue("mip_rel_gap", float(opts.gap))
        for round_ in range(LP_ROUNDS):
            left = lp_end - time.perf_counter()
            if left <= 0:
                break
            _set_limit(h, left)
            # The first LP is solved cold: on blank-sheet portfolios the interior point
            # method (with crossover, so later rounds start warm from its basis) is faster
            # there (first LP, M coverage 1.19 s against 1.75 s by simplex; M weighted 0.31 s
            # against 0.55 s; L coverage 41 s against more than 100 s); on plans it is not
            # (vendor-drop-distributor: 0.46 s against 0.09 s)
            h.setOptionValue("solver", opts.first_lp if round_ == 0 else "choose")
            began = time.perf_counter()
            status = run_guarded(h, left + GUARD_SLACK)
            if round_ == 0:
                self.cold = time.perf_counter() - began
            if status is None or h.getModelStatus() != hs.HighsModelStatus.kOptimal:
                if h.getModelStatus() == hs.HighsModelStatus.kInfeasible:
                    return False
                break
            lp_value = float(h.getInfo().objective_function_value)
            self.bound = min(self.bound, lp_value)
            x, theta, reduced = master.solution()
            self.lp_x = x
            self.priced = (lp_value, x, reduced)
            self._take_lp_point(x)
            added = 0
            if core is not None:
                # In-out separation (Ben-Ameur and Neto): cuts at a point between the LP's
                # and a core point inside the hull zig-zag less than cuts at the LP's.
                point = IN_OUT * x + (1.0 - IN_OUT) * core
                added = master.add_cuts(point, theta, at=x, limit=LP_CUT_LIMIT)
                core = 0.5 * core + 0.5 * x
            if added == 0:
                added = master.add_cuts(x, theta, limit=LP_CUT_LIMIT)
            if added == 0:
                break
            self._report()
        return True

    def _take_lp_point(self, x: np.ndarray) -> None:
        """The LP optimum ``x`` rounded at one half becomes the best portfolio known when
        it keeps every rule of ``side`` and is worth more (with its cuts, so that the
        master values it exactly). An LP optimum that is already a portfolio often is
        the answer after a what-if that tightens a rule, and its LP value the bound."""
        side = self.side
        if len(x) != side.n_cols:
            return
        v = (x > 0.5).astype(float)
        if np.any(v < side.col_lo - LP_INTEGRAL) or np.any(v > side.col_hi + LP_INTEGRAL):
            return
        row = side.A @ v
        tol = 1e-6 * np.maximum(1.0, np.abs(row))
        if np.any(row < side.row_lo - tol) or np.any(row > side.row_hi + tol):
            return
        self._offer(v > 0.5)

    def _offer(self, found: np.ndarray) -> None:
        """``found`` (a portfolio keeping every rule) becomes the best known when it is
        worth more, with its cuts so that the master values it exactly."""
        found = np.asarray(found, dtype=bool)
        value = self.rv.objective(found.astype(float))
        if value > self.best:
            self.best, self.best_x = value, found
            self.master.add_cuts(found.astype(float))
            self._report()

    def fill_in(self) -> None:
        """With ``options.fill_in`` and the gap still open after the LP rounds: the
        columns the last LP optimum takes whole (at 0 or 1) as the best portfolio does
        are kept so, and the small problem on the others (at most FILL_IN_COLUMNS) is
        solved exactly by this same loop in at most FILL_IN_SECONDS (:func:`solve_fixed`);
        its portfolio becomes the best known when it is worth more. After a what-if the LP optimum is mostly whole, and the
        portfolio it leaves to find is often one the LP's bound proves."""
        opts, side, x, best_x = self.options, self.side, self.lp_x, self.best_x
        left = min(FILL_IN_SECONDS, self.deadline - time.perf_counter())
        if (not opts.fill_in or opts.node_limit is not None or x is None or best_x is None
                or self.proved() or left <= 0.05):
            return
        movable = side.col_lo < side.col_hi
        ones = movable & (x >= 1.0 - LP_INTEGRAL) & best_x
        zeros = movable & (x <= LP_INTEGRAL) & ~best_x
        free = movable & ~ones & ~zeros
        if not free.any() or int(free.sum()) > FILL_IN_COLUMNS:
            return
        solved = solve_fixed(side, self.rv, ones, zeros,
                             CutOptions(time_limit=left, gap=CUT_TOL, seed=opts.seed, threads=opts.threads,
                                        scaled=True), start=best_x)
        if solved.x is not None and len(solved.x) == len(x):
            self._offer(solved.x)

    def _stopped(self) -> bool:
        """Whether the caller's ``stop`` asks the loop to end now."""
        try:
            return self._stop is not None and bool(self._stop())
        except Exception:  # a caller's error must never reach the solver
            return False

    def proved(self) -> bool:
        """Whether the best portfolio known is within the gap of the least bound."""
        return (self.best_x is not None and math.isfinite(self.bound)
                and self.bound - self.best <= max(self.options.gap, 1e-9) * max(abs(self.best), 1e-9))

    def polish(self) -> None:
        """The ``polish`` hook's portfolio from the last LP optimum becomes the best
        known (with its cuts) when it is worth more."""
        if self._polish is None or self.lp_x is None or time.perf_counter() >= self.deadline:
            return
        found = self._polish(np.clip(self.lp_x, 0.0, 1.0))
        if found is not None:
            self._offer(found)

    def neighbourhood(self) -> None:
        """With ``options.neighbourhood``, no node limit and the gap still open: a
        large-neighbourhood search from the best portfolio for a share of the time left
        (NEIGHBOURHOOD_SHARE, NEIGHBOURHOOD_SHORT_SHARE when little is left), on at least
        NEIGHBOURHOOD_MIN_COLUMNS free columns (see :func:`_neighbourhood`)."""
        opts, side, h = self.options, self.side, self.master.h
        left = self.deadline - time.perf_counter()
        if not (opts.neighbourhood and opts.node_limit is None and self.lp_x is not None
                and self.best_x is not None and left >= NEIGHBOURHOOD_MIN_SECONDS
                and int((side.col_lo < side.col_hi).sum()) >= NEIGHBOURHOOD_MIN_COLUMNS
                and self.bound - self.best > max(opts.gap, 1e-9) * max(abs(self.best), 1.0)):
            return
        for option, setting in AFTER_NEIGHBOURHOOD.items():
            h.setOptionValue(option, setting)
        found, value = _neighbourhood(side, self.rv, self.lp_x, self.best_x, self.best,
                                      until=time.perf_counter() + left * (
                                          NEIGHBOURHOOD_SHORT_SHARE if left < NEIGHBOURHOOD_SHORT
                                          else NEIGHBOURHOOD_SHARE),
                                      seed=opts.seed, threads=opts.threads,
                                      report=None if self._progress is None
                                      else partial(_tell, self._progress, self.t0, bound=self.bound))
        if value > self.best:
            # No cuts at it: the search's start is valued exactly without them (its
            # true row values meet every cut), and the thousands of rows they add slowed
            # the search's root (M weighted_coverage, 60 s: 0.085 % with them, 0.058 %
            # without)
            self.best, self.best_x = value, found
            self._report()

    def search(self) -> bool:
        """Branch and bound on the master from the best portfolio known; restart with new
        cuts when it overvalues one by more than the gap (see ``stop_now``), until the
        time is up, the gap is proved or no cut is left to add (one search with a node
        limit). False when the master has no portfolio and none is known (the portfolio
        problem is infeasible)."""
        opts, master = self.options, self.master
        h, hs = master.h, master.hs
        if self.proved() and not self.pending:
            self._report()
            return True  # the best portfolio is within the gap of the LP rounds' bound
        # Reduced-cost fixing: a partner the last LP leaves out (in) whose reduced cost
        # takes that LP's bound below the best value known cannot be in (out of) a better
        # portfolio; the portfolios it rules out are worth at most ``fixed_bound``.
        fixing = REDUCED_COST_FIXING and self.priced is not None and opts.node_limit is None
        fixed_at = -math.inf  # the best value the last fixing used

        master.set_integer(True)
        # Presolve off keeps the LP rounds warm; the search gains from it (the vendor plan
        # proved optimal in 3.6 s of search with it, 0.018 % short in 5.6 s without).
        h.setOptionValue("presolve", "on")
        h.setOptionValue("mip_allow_restart", bool(opts.restart))
        if opts.bound is not None:
            # the bound is proved already: what is left to find is the portfolio
            for option, setting in BOUNDED_SEARCH.items():
                h.setOptionValue(option, setting)
        # HiGHS measures its gap from its own incumbent (see MIP_GAP_SHARE).
        h.setOptionValue("mip_rel_gap", float(opts.gap) * MIP_GAP_SHARE)
        h.cbMipImprovingSolution.subscribe(self._improving)
        h.cbMipInterrupt.subscribe(self._interrupt)
        if opts.node_limit is not None:
            h.setOptionValue("mip_max_nodes", int(opts.node_limit))
        retried = False
        while True:
            left = self.deadline - time.perf_counter()
            # A search that cannot finish its root LP (solved from scratch, as the first LP
            # round was) would only cost time
            if left <= max(0.05, self.cold if opts.node_limit is None else 0.0):
                break
            if fixing and self.priced is not None and self.best_x is not None and self.best > fixed_at:
                # the same reduced costs fix more against a better portfolio
                self.fixed_bound = max(self.fixed_bound, master.fix_by_reduced_costs(*self.priced, self.best))
                fixed_at = self.best
            if self.best_x is not None:
                master.start(self.best_x)
            h.setOptionValue("time_limit", float(left))  # the MIP times itself from its start
            # The objective HiGHS sees lacks no constant, so its gap is the true gap.
            status = run_guarded(h, left + GUARD_SLACK)
            ms = h.getModelStatus()
            if ms == hs.HighsModelStatus.kInfeasible:
                if self.best_x is None:
                    return False
                break
            self._read_run(ms)
            if status is None:
                break
            said = float(h.getInfo().objective_function_value)
            if (not self.pending and not retried and ms == hs.HighsModelStatus.kOptimal
                    and said > self.best + max(opts.gap, CUT_TOL) * max(abs(self.best), 1.0)):
                # HiGHS has been seen to prove a value after its presolve and hand back
                # another portfolio (the start it was given): search once more without
                # its presolve, so the portfolio it values is the one it returns
                retried = True
                h.setOptionValue("presolve", "off")
                continue
            if not self.pending or self._stopped():
                break
            if self.proved():
                break  # proved within the gap, overvalued portfolios or not
            added = sum(master.add_cuts(x, theta) for x, theta in self.pending)
            self.pending.clear()
            if added == 0:  # overvalued only within the cuts' tolerance: nothing left to add
                break
            self.stop_now = False
            if opts.node_limit is not None:
                break  # deterministic mode: one search, however it ended
        return True

    def _read_run(self, ms: Any) -> None:
        """The bound and the portfolio of a search run that ended with model status
        ``ms``; the portfolio's cuts go to ``pending`` when the master overvalues it."""
        master = self.master
        h, hs = master.h, master.hs
        info = h.getInfo()
        # A run cancelled before its search began (status kNotset) leaves an info whose
        # dual bound reads 0, as does an LP's: numbers only from a search that ran.
        ran = bool(info.valid) and ms in searched(hs) and int(info.mip_node_count) >= 0
        if ran and math.isfinite(info.mip_dual_bound):
            self.bound = min(self.bound, abs(float(info.mip_dual_bound)))
        if ran and int(info.primal_solution_status) == 2:
            full = np.asarray(h.getSolution().col_value)
            v = full[: master.n] > 0.5
            true = self.rv.objective(v.astype(float))
            if true > self.best:
                self.best, self.best_x = true, v
            # HiGHS's own objective value has been seen to belong to another portfolio
            # than the one it hands back: the master's value of this one is computed here.
            said = master.value_of(full)
            if said > true + CUT_TOL * max(abs(said), 1.0):
                self.pending.append((v.astype(float), master.theta(full)))

    def _improving(self, event: Any) -> None:
        """HiGHS's callback at each better portfolio of the search: its true value, and
        its cuts pending when the master overvalues it (the search stops when by more
        than the gap)."""
        if not self.searching:
            return
        master = self.master
        try:
            full = np.asarray(event.data_out.mip_solution)
            x = full[: master.n] > 0.5
            true = self.rv.objective(x.astype(float))
            said = master.value_of(full)  # not data_out's value: see _read_run
            if true > self.best:
                self.best, self.best_x = true, x
            if true < said - CUT_TOL * max(abs(said), 1.0):
                self.pending.append((x.astype(float), master.theta(full)))
                if said > self.best + self.slack * max(abs(self.best), 1.0):
                    self.stop_now = True
        except Exception:  # never let a callback error reach the solver
            return

    def _interrupt(self, event: Any) -> None:
        # The flag outlives the run in HiGHS's callback data: clear it when not wanted.
        event.data_in.user_interrupt = (self.stop_now or self.proved() or self._stopped()) and self.searching
        if self._progress is not None and self.searching:  # the tie stage's bound is on cost
            d = event.data_out
            b = abs(d.mip_dual_bound) if math.isfinite(d.mip_dual_bound) else None
            _tell(self._progress, self.t0, self.best, min(self.bound, b) if b is not None else self.bound)

    def settle(self) -> SolverState:
        """The final bound (the fixed-out portfolios' worth included) and the state of the
        best portfolio by this loop's own numbers: "optimal" or "time_limit"."""
        best = self.best
        self.bound = max(self.bound, self.fixed_bound)  # the fixed-out portfolios are worth at most that
        # The master is a relaxation: its bound is at or above every true value, up to
        # rounding. Only rounding is smoothed here; anything more is left for the caller
        # (and the tests) to see.
        if math.isfinite(self.bound) and self.bound < best and best - self.bound <= 1e-9 * max(abs(best), 1.0):
            self.bound = best
        bound = self.bound
        rel = (bound - best) / max(abs(best), 1e-9) if math.isfinite(bound) else math.inf
        # Optimal by this loop's own numbers only (HiGHS's word "optimal" is not enough: its
        # incumbent can be one the master overvalues, or, seen once, not the one it returns).
        return "optimal" if -1e-6 <= rel <= max(self.options.gap, 1e-9) * 1.0001 else "time_limit"

    def cheapest_tie(self) -> None:
        """With ``cost``, the best portfolio (proved optimal) swapped for the cheapest of
        equal value within TIE (see :func:`~selector.portfolio.cut_tie.cheapest_tie`), first without what adds
        nothing (``tidy``), in a share of the time the search took (TIE_SHARE)."""
        best_x = self.best_x
        if self.cost is None or best_x is None or self.deadline - time.perf_counter() <= 0.1:
            return
        self.searching = False
        # a share of the time the search took (a tie-break, not a second solve)
        until = min(self.deadline, time.perf_counter() + max(0.5, TIE_SHARE * (time.perf_counter() - self.t0)))
        if self.options.node_limit is not None:
            until = self.deadline
        if self._tidy is not None:
            trimmed = np.asarray(self._tidy(best_x), dtype=bool)
            if self.rv.objective(trimmed.astype(float)) >= self.best - TIE * max(abs(self.best), 1.0):
                best_x = trimmed
        cheaper = cheapest_tie(self.master, best_x, self.best, np.asarray(self.cost, dtype=float), until,
                                node_limit=self.options.node_limit)
        self.best_x = best_x if cheaper is None else cheaper

    def _report(self) -> None:
        if self._progress is not None:
            _tell(self._progress, self.t0, self.best, self.bound)


def solve_by_cuts(
    side: MipModel,
    rv: RowValues,
    *,
    time_limit: float,
    gap: float,
    seed: int,
    start: np.ndarray | None,
    threads: int | None,
    node_limit: int | None = None,
    progress: Callable[[SolveProgress], object] | None = None,
    cost: np.ndarray | None = None,
    polish: Callable[[np.ndarray], np.ndarray | None] | None = None,
    first_lp: str = "ipm",
    neighbourhood: bool = False,
    scaled: bool | None = None,
    tidy: Callable[[np.ndarray], np.ndarray] | None = None,
    pool: list[CutBatch] | None = None,
    lp_share: float | None = None,
    restart: bool = True,
    fill_in: bool = False,
    bound: float | None = None,
) -> Solved:
    """Maximize the coverage objective ``rv`` over the partner columns and rows of
    ``side`` (a model built without its objective rows) by the cut loop: one
    :class:`CutLoop` with these :class:`CutOptions` and hooks, run.

    ``polish``, when given, turns the last LP optimum of the cut rounds (a fraction per
    column) into a portfolio keeping every rule, or None; the better of it and
    ``start`` starts the search (the optimizer passes a greedy from the partners the LP
    takes at half or more). ``first_lp`` is the HiGHS ``solver`` for the first, cold LP
    round ("ipm" or "choose"; later rounds use "choose", warm from its basis).
    ``neighbourhood`` spends a share of the time left after the LP rounds on a
    large-neighbourhood search from the best portfolio, guided by the last LP optimum
    (see :func:`_neighbourhood`).

    Answers like the other solver adapters: ``x`` the best portfolio found (its true
    objective), ``bound`` the least bound proved, ``state`` ``optimal`` when the bound
    is within ``gap`` of it. With ``cost`` (per column), a portfolio proved optimal is
    then swapped for the cheapest of equal value (within ``TIE``), so that ties do not
    depend on the start (see :func:`~selector.portfolio.cut_tie.cheapest_tie`); ``tidy``, when given, first
    takes out what adds nothing (the optimizer passes
    :func:`selector.portfolio.heuristics.without_idle`), and the stage starts from
    that cheaper portfolio of the same value. ``pool`` is a session's cuts for ``rv``
    (see :class:`CutMaster`): the master starts with them and adds its own to it.
    ``lp_share`` is the LP rounds' share of the time (None: LP_SHARE); ``restart``
    HiGHS's root restarts in the search, ``fill_in`` the small problem on the last
    LP optimum's fractional columns before it, ``bound`` one proved elsewhere (see
    :class:`CutOptions`)."""
    options = CutOptions(time_limit=time_limit, gap=gap, seed=seed, threads=threads, node_limit=node_limit,
                         first_lp=first_lp, neighbourhood=neighbourhood, scaled=scaled, lp_share=lp_share,
                         restart=restart, fill_in=fill_in, bound=bound)
    return CutLoop(side, rv, options, start=start, cost=cost, progress=progress, polish=polish,
                   tidy=tidy, pool=pool).run()


def solve_fixed(
    side: MipModel, rv: RowValues, ones: np.ndarray, zeros: np.ndarray, options: CutOptions,
    *, start: np.ndarray | None = None,
) -> Solved:
    """The small problem of ``side`` with the columns ``ones`` fixed at 1 and ``zeros``
    at 0, solved by the cut loop with ``options``, each row valued above what the fixed
    columns give it (:func:`rebased`); its ``x`` is on all of ``side``'s columns."""
    sub = replace(side, col_lo=np.where(ones, 1.0, side.col_lo), col_hi=np.where(zeros, 0.0, side.col_hi))
    at_one = sub.col_lo >= 1.0
    return CutLoop(sub, rebased(rv, at_one, (sub.col_hi > 0) & ~at_one), options, start=start).run()


def _neighbourhood(
    side: MipModel, rv: RowValues, x_lp: np.ndarray, best_x: np.ndarray, best: float, *, until: float,
    seed: int, threads: int | None, report: Callable[[float], object] | None = None,
) -> tuple[np.ndarray, float]:
    """Large-neighbourhood search from ``best_x`` (worth ``best``) until ``until``: free
    NEIGHBOURHOOD_DROP of its columns (those the LP optimum ``x_lp`` takes least, more
    often) and NEIGHBOURHOOD_ADD of the others the LP takes (those it takes most, more
    often), keep the rest as they are, and solve that small problem exactly by the same
    cut loop, with each row valued above what its kept columns give it
    (:func:`rebased`); keep the answer when it is better. Stops early after
    NEIGHBOURHOOD_STALL tries in a row without a gain. ``report`` hears each better
    value. Answers the best portfolio and its value (the start when nothing better was
    found)."""
    rng = np.random.default_rng(seed)
    movable = side.col_lo < side.col_hi
    lp = np.clip(np.asarray(x_lp, dtype=float), 0.0, 1.0)
    cur, value = np.asarray(best_x, dtype=bool).copy(), best
    stall = 0
    while stall < NEIGHBOURHOOD_STALL:
        left = until - time.perf_counter()
        if left <= 0.05:
            break
        inside = np.flatnonzero(cur & movable)
        outside = np.flatnonzero(~cur & movable & (lp > LP_INTEGRAL))
        if len(outside) == 0:
            break
        free = np.zeros(len(cur), dtype=bool)
        if len(inside):
            w_in = 1.0 - np.minimum(lp[inside], 0.95)
            free[rng.choice(inside, size=min(NEIGHBOURHOOD_DROP, len(inside)), replace=False,
                            p=w_in / w_in.sum())] = True
        w_out = np.maximum(lp[outside], 0.05)
        free[rng.choice(outside, size=min(NEIGHBOURHOOD_ADD, len(outside)), replace=False,
                        p=w_out / w_out.sum())] = True
        solved = solve_fixed(side, rv, cur & movable & ~free, ~cur & movable & ~free,
                             CutOptions(time_limit=min(NEIGHBOURHOOD_SECONDS, left), gap=CUT_TOL, seed=seed,
                                        threads=threads, scaled=True), start=cur)
        stall += 1
        if solved.x is not None and len(solved.x) == len(cur):
            x = np.asarray(solved.x, dtype=bool)
            v = rv.objective(x.astype(float))
            if v > value + CUT_TOL * max(abs(value), 1.0):
                cur, value, stall = x, v, 0
                if report is not None:
                    report(value)
    return cur, value


def _set_limit(h: Any, seconds: float) -> None:
    """Let the next LP run of ``h`` take ``seconds`` more. HiGHS 1.x measures an LP's
    ``time_limit`` against the run time summed over every run of the instance (HiGHS
    issue 1477), so a plain ``seconds`` cut the master's later LP rounds short (M
    weighted_coverage, 10 s: rounds stopped after 2.9 s of LP, the LP bound 0.13 % above
    the settled one). Its MIP solver counts from the start of the run."""
    h.setOptionValue("time_limit", float(h.getRunTime()) + float(seconds))


def _tell(progress: Callable[[SolveProgress], object], t0: float, best: float, bound: float) -> None:
    try:
        inc = best if math.isfinite(best) else None
        b = bound if math.isfinite(bound) else None
        g = (b - inc) / max(abs(inc), 1e-9) if inc is not None and b is not None else None
        progress(SolveProgress(time.perf_counter() - t0, inc, b, g))
    except Exception:
        return

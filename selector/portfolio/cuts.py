"""Coverage objectives solved exactly on the partner columns alone (Benders cuts).

The coverage objectives value a merged segment row ``s`` at ``d_s`` times the best
quality among the selected partners covering it (quality 1 for ``coverage``). Sort the
row's partners by quality, ``q_1 >= q_2 >= ... >= q_m`` (``q_{m+1} = 0``). For every
position ``k``, and every 0/1 selection ``x``::

    value_s(x) <= d_s * (q_k + sum_{l < k} (q_l - q_k) * x_l)          (cut k of row s)

and the least of them at ``x`` is the row's value (at fractional ``x`` it is the value
of the assignment model's relaxation). These are the closed-form Benders cuts of
Fischetti, Ljubic and Sinnl (Management Science 2017) for the best-assigned-facility
objective; with every quality 1 they reduce to the cuts of Cordeau, Furini and Ljubic
(EJOR 2019) for budgeted maximal covering: ``value_s <= d_s`` and ``value_s <= d_s *
sum x``.

The master problem keeps the partner columns, every partner-side rule row of the full
model (budget, pools, levels, conflicts, supply, quotas, rules) and one column
``theta_s`` per row, ``0 <= theta_s <= d_s q_1``. Rows with a single partner fold into
that partner's objective coefficient. Cuts are added as they are violated:

1. at the start portfolio (so that the master values it exactly);
2. at the master's LP optimum, round after round (in-out separation, at most
   LP_CUT_LIMIT a round), until none is violated: the master's LP bound is then the
   full model's. The last LP optimum can seed a better start (``polish=``; the
   optimizer's greedy from the partners the LP takes at half or more), and with
   ``neighbourhood`` a large-neighbourhood search from the best portfolio: small
   problems of a few free columns, the others kept, solved exactly by this same loop
   (``_neighbourhood``);
3. at each portfolio HiGHS's branch-and-bound finds: when the master overvalues one
   by more than the gap asked for over the best known, the search stops, the cuts go in
   and the search starts again from the best portfolio known (highspy has no
   lazy-constraint callback). Smaller overvaluations only get their cuts when the
   search ends short of the gap.

Every master is a relaxation of the full model, so each bound HiGHS proves on it holds
for the portfolio problem too; a search that ends with no cut left to add has proved
its portfolio optimal ("optimal" is decided on true values against the least bound).
With the partners' costs given, a portfolio proved optimal is then swapped for the
cheapest of equal value, so that ties do not depend on the start. Coverage rules (``[[rules]]`` of kind ``coverage``) count the
covered value of rows and have no place in this master: those scenarios keep the full
model (:func:`selector.portfolio.optimizer.solve` decides).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import numpy as np
import scipy.sparse as sp

from selector.portfolio.instance import PortfolioInstance
from selector.portfolio.model import MipModel
from selector.portfolio.solvers import Solved, SolveProgress, SolverState
from selector.portfolio.solvers.guard import quiet_highs, run_guarded
from selector.portfolio.solvers.highs import highs_lp

__all__ = ["RowValues", "row_values", "solve_by_cuts"]

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
#: Values within this share of the best count as ties for the cheaper-portfolio stage.
TIE = 1e-9
#: The cheaper-portfolio stage's time: this share of the solve's time before it (at least
#: 0.5 s). Partners that add nothing are left out before it (the ``tidy`` of
#: solve_by_cuts), the common tie; on a blank-sheet copy of the vendor scenario the stage
#: then found nothing cheaper, its root unfinished, and its share was time lost: the
#: proved answer came in 15.0-15.6 s with 0.25, 18.5 s with 0.5 (two runs each).
TIE_SHARE = 0.25
#: Rounds of the cheaper-portfolio stage (each adds the cuts its answer calls for).
TIE_ROUNDS = 5
#: Relative tolerance for a violated cut (of the row's largest value) and for an
#: overvalued portfolio (of the objective).
CUT_TOL = 1e-7
#: Seconds past HiGHS's own time limit before the guard thread cancels a run: HiGHS's
#: limit should end it first, with a status and an info that can be read.
GUARD_SLACK = 0.25
#: Fix partners by the reduced costs of the last LP round before the search (see
#: _Master.fix_by_reduced_costs); a fixing needs the LP's bound to fall below the best
#: value by FIX_MARGIN of it, so that rounding cannot fix a partner wrongly.
REDUCED_COST_FIXING = True
FIX_MARGIN = 1e-7
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
#: Scale the master's theta columns by their rows' weights (see _Master) on the full
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
#: LP values within this of 0 or 1 count as taken or left by the LP.
LP_INTEGRAL = 1e-6


@dataclass(frozen=True, eq=False)
class RowValues:
    """The objective as value functions of the rows with two or more partners.

    ``member[ptr[i]:ptr[i+1]]`` are the columns covering kept row ``i`` sorted by
    quality (``q``, the same slice) from best to worst; ``d[i]`` is its value and
    ``row[i]`` its merged-row index. ``c_x`` is the objective of the rows with a
    single partner, folded into that column.
    """

    row: np.ndarray
    ptr: np.ndarray
    member: np.ndarray
    q: np.ndarray
    d: np.ndarray
    c_x: np.ndarray

    @property
    def n_rows(self) -> int:
        return len(self.d)

    @property
    def top(self) -> np.ndarray:
        """Per kept row: its largest value, ``d * q_1``."""
        return np.asarray(self.d * self.q[self.ptr[:-1]], dtype=float)

    def values(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per kept row at ``x`` (0..1 per column): its value and the position (pair
        index) of the cut that gives it -- the first partner at which the selected
        share reaches 1, or the row's end."""
        xs = np.asarray(x, dtype=float)[self.member]
        start, end = self.ptr[:-1], self.ptr[1:]
        lengths = end - start
        cum_x = np.cumsum(xs)
        cum_qx = np.cumsum(xs * self.q)
        zero = np.r_[0.0, cum_x]
        zero_q = np.r_[0.0, cum_qx]
        before_row = np.repeat(zero[start], lengths)
        reached = (cum_x - before_row) >= 1.0 - 1e-9
        big = len(xs)
        pos = np.where(reached, np.arange(big), big)
        k = np.minimum.reduceat(pos, start) if big else np.zeros(0, dtype=np.int64)
        k = np.minimum(k, end)  # no position reached: the row's end (q = 0 there)
        p_before = zero[k] - zero[start]
        s_before = zero_q[k] - zero_q[start]
        q_k = np.where(k < end, self.q[np.minimum(k, big - 1)], 0.0)
        value = self.d * (q_k * (1.0 - p_before) + s_before)
        return value, k

    def cuts(self, rows: np.ndarray, k: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
        """Cut rows ``theta_s - sum_{l<k} d (q_l - q_k) x_l <= d q_k`` for kept rows
        ``rows`` at positions ``k`` (their pair indices), as coefficients on the
        partner columns (the theta coefficient is added by the caller) and upper
        bounds."""
        start = self.ptr[rows]
        end = self.ptr[rows + 1]
        kk = k[rows] if len(k) == self.n_rows else k
        lengths = kk - start
        q_k = np.where(kk < end, self.q[np.minimum(kk, len(self.q) - 1)], 0.0)
        offsets = np.repeat(start - np.r_[0, np.cumsum(lengths)[:-1]], lengths)
        pairs = np.arange(int(lengths.sum())) + offsets
        cut_of = np.repeat(np.arange(len(rows)), lengths)
        coef = -self.d[rows][cut_of] * (self.q[pairs] - q_k[cut_of])
        keep = coef != 0
        m = sp.csr_matrix(
            (coef[keep], (cut_of[keep], self.member[pairs[keep]])), shape=(len(rows), len(self.c_x))
        )
        return m, self.d[rows] * q_k


def row_values(inst: PortfolioInstance) -> RowValues:
    """The instance's coverage objective as row value functions (see the module)."""
    n = inst.n_partners
    live = ~inst.fixed_out
    cover = inst.cover
    pair_p = np.repeat(np.arange(n), np.diff(cover.indptr))
    pair_r = cover.indices
    q = inst.quality
    keep = live[pair_p] & (inst.value[pair_r] > 0) & (q[pair_p] > 0)
    p, r = pair_p[keep], pair_r[keep]
    order = np.lexsort((p, -q[p], r))
    p, r = p[order], r[order]
    rows, start, count = np.unique(r, return_index=True, return_counts=True)
    c_x = np.zeros(n)
    single = count == 1
    np.add.at(c_x, p[start[single]], inst.value[rows[single]] * q[p[start[single]]])
    multi = np.repeat(~single, count)
    p, r = p[multi], r[multi]
    rows, count = rows[~single], count[~single]
    ptr = np.r_[0, np.cumsum(count)].astype(np.int64)
    return RowValues(row=rows, ptr=ptr, member=p, q=q[p].astype(float), d=inst.value[rows].astype(float),
                     c_x=c_x)


def rebased(rv: RowValues, fixed_in: np.ndarray, free: np.ndarray) -> RowValues:
    """``rv`` with the columns ``fixed_in`` taken and only ``free`` ones left to choose:
    a row then gains ``d (q_l - b)`` from its best free partner ``l`` above ``b``, the
    best quality among its fixed-in partners, and nothing from the others. The value of
    a selection is its value under ``rv`` less a constant (the rows' fixed-in part)."""
    seg = np.repeat(np.arange(rv.n_rows), np.diff(rv.ptr))
    base = np.zeros(rv.n_rows)
    np.maximum.at(base, seg, np.where(fixed_in[rv.member], rv.q, 0.0))
    lift = rv.q - base[seg]
    keep = (lift > 0) & free[rv.member] & ~fixed_in[rv.member]
    count = np.bincount(seg[keep], minlength=rv.n_rows)
    c_x = np.where(free & ~fixed_in, rv.c_x, 0.0)
    single = keep & (count[seg] == 1)
    np.add.at(c_x, rv.member[single], rv.d[seg[single]] * lift[single])
    multi = keep & (count[seg] >= 2)
    rows = np.flatnonzero(count >= 2)
    return RowValues(row=rv.row[rows], ptr=np.r_[0, np.cumsum(count[rows])].astype(np.int64),
                     member=rv.member[multi], q=lift[multi], d=rv.d[rows], c_x=c_x)


def _objective(rv: RowValues, x: np.ndarray) -> float:
    return float(rv.c_x @ x + rv.values(x)[0].sum())


class _Master:
    """The master problem in one HiGHS instance: partner columns, side rows, one theta
    column per kept row, and the cuts added so far.

    With ``scaled``, the master's column for row ``s`` is ``theta_s / d_s`` (the row's
    value as a share of its weight, objective ``d_s``) and each cut is divided by
    ``d_s``: the same problem with coefficients near 1 (see SCALED_MAIN)."""

    def __init__(self, side: MipModel, rv: RowValues, *, seed: int, threads: int | None,
                 scaled: bool = False) -> None:
        import highspy

        self.hs = highspy
        self.rv = rv
        self.scaled = scaled
        # per kept row: the factor from its master column to its theta
        self.unit = rv.d.astype(float).copy() if scaled else np.ones(rv.n_rows)
        if side.n_cols != side.n_x:
            raise ValueError("the master takes the partner-side model: build_model(drop=('objective_link',))")
        self.n = side.n_x
        self.col_lo, self.col_hi = side.col_lo[: self.n], side.col_hi[: self.n]
        self.fixed = 0  # columns fixed by reduced costs
        h = quiet_highs(highspy)
        h.setOptionValue("random_seed", int(seed) % 2_147_483_647)
        if threads is not None:
            h.setOptionValue("threads", int(threads))
        h.setOptionValue("presolve", "off")
        # theta columns come with a row's first cut; until then the row counts at its
        # largest value, in the objective's constant.
        lp = highs_lp(highspy, replace(side, sense="max", c=rv.c_x), integer=False,
                       offset=float(rv.top.sum()))
        h.passModel(lp)
        h.HandleUserInterrupt = True
        self.col_of_row = np.full(rv.n_rows, -1, dtype=np.int64)
        self.offset = float(rv.top.sum())
        self.col_cost = rv.c_x.astype(float)  # the objective per column, theta columns included
        self.h = h

    def add_cuts(
        self, x: np.ndarray, theta: np.ndarray | None = None, at: np.ndarray | None = None,
        limit: int | None = None,
    ) -> int:
        """Add the cuts ``x`` calls for that the master's ``theta`` (per kept row)
        violates (all that say more than a row's bound when ``theta`` is None); the
        count added. With ``at``, the cuts chosen at ``x`` are checked at the master's
        point ``(at, theta)`` instead (separation at a point between it and a core)."""
        rv = self.rv
        value, k = rv.values(x)
        said = rv.top if theta is None else theta
        tol = CUT_TOL * np.maximum(rv.top, 1.0)
        m_all = rhs_all = None
        if at is None:
            excess = said - value
        else:
            m_all, rhs_all = rv.cuts(np.arange(rv.n_rows), k)
            excess = said + m_all @ at - rhs_all
        rows = np.flatnonzero(excess > tol)
        if limit is not None and len(rows) > limit:
            rows = np.sort(rows[np.argsort(-excess[rows], kind="stable")[:limit]])
        if not len(rows):
            return 0
        if m_all is None or rhs_all is None:
            m, rhs = rv.cuts(rows, k)
        else:
            m, rhs = sp.csr_matrix(m_all[rows]), rhs_all[rows]
        return self._add_rows(rows, m, rhs)

    def _add_rows(self, rows: np.ndarray, m: sp.csr_matrix, rhs: np.ndarray) -> int:
        """Add the cuts ``theta_s + m @ x <= rhs`` of ``rows``, with theta columns for
        rows that have none yet."""
        rv = self.rv
        new = rows[self.col_of_row[rows] < 0]
        if len(new):
            first = self.h.getNumCol()
            unit = self.unit[new]
            self.h.addCols(len(new), unit, np.zeros(len(new)), (rv.top[new] / unit).astype(float),
                           0, np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32), np.zeros(0))
            self.col_of_row[new] = first + np.arange(len(new))
            self.col_cost = np.r_[self.col_cost, unit]
            self.offset -= float(rv.top[new].sum())
            self.h.changeObjectiveOffset(self.offset)
        n_cols = self.h.getNumCol()
        if self.scaled:
            inv = 1.0 / self.unit[rows]
            m = sp.csr_matrix(sp.diags(inv) @ m)
            rhs = rhs * inv
        m = sp.csr_matrix(sp.hstack([
            sp.csr_matrix((m.data, m.indices, m.indptr), shape=(len(rows), n_cols)),
            sp.csr_matrix((len(rows), 0)),
        ]) + sp.csr_matrix((np.ones(len(rows)), (np.arange(len(rows)), self.col_of_row[rows])),
                           shape=(len(rows), n_cols)))
        m.sort_indices()
        inf = self.hs.kHighsInf
        self.h.addRows(len(rows), np.full(len(rows), -inf), rhs, m.nnz, m.indptr[:-1].astype(np.int32),
                       m.indices.astype(np.int32), m.data.astype(float))
        return len(rows)

    def add_deepest(self, rows: np.ndarray) -> int:
        """Add the deepest cut of ``rows``, ``theta_s <= d_s sum_l q_l x_l``: tight at any
        selection with at most one of the row's partners (rows at risk)."""
        if not len(rows):
            return 0
        x = np.zeros(self.n)
        theta = np.full(self.rv.n_rows, -np.inf)
        theta[rows] = np.inf
        return self.add_cuts(x, theta)

    def value_of(self, v: np.ndarray) -> float:
        """The master's objective at its column vector ``v``."""
        return float(self.col_cost @ v[: len(self.col_cost)] + self.offset)

    def theta(self, v: np.ndarray) -> np.ndarray:
        """Per kept row, its value in the master solution ``v`` (its bound when the row
        has no column yet)."""
        out = self.rv.top.astype(float).copy()
        has = self.col_of_row >= 0
        out[has] = v[self.col_of_row[has]] * self.unit[has]
        return out

    def solution(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The last LP optimum: the partner columns, the theta values and the partner
        columns' reduced costs."""
        sol = self.h.getSolution()
        v = np.asarray(sol.col_value)
        return v[: self.n], self.theta(v), np.asarray(sol.col_dual)[: self.n]

    def fix_by_reduced_costs(self, lp_value: float, x: np.ndarray, d: np.ndarray, best: float) -> float:
        """Fix the columns an LP optimum (value ``lp_value``, columns ``x``, reduced
        costs ``d``; HiGHS's signs for a maximum) proves no better than ``best``: at 0
        when forcing them in costs more than the LP's lead over ``best``, at 1 when
        forcing them out does. Answers the most any portfolio the fixings exclude can
        be worth (``-inf`` when nothing was fixed), below ``best`` by construction."""
        free = self.col_lo < self.col_hi
        margin = FIX_MARGIN * max(abs(best), 1.0)
        out = free & (x <= 1e-9) & (d < 0) & (lp_value + d < best - margin)
        into = free & (x >= 1 - 1e-9) & (d > 0) & (lp_value - d < best - margin)
        cols = np.flatnonzero(out | into).astype(np.int32)
        if len(cols) == 0:
            return -math.inf
        value = into[cols].astype(float)
        self.h.changeColsBounds(len(cols), cols, value, value)
        self.fixed = int(len(cols))
        return float(max(np.max(lp_value + d[out], initial=-math.inf),
                         np.max(lp_value - d[into], initial=-math.inf)))

    def set_integer(self, on: bool) -> None:
        kind = self.hs.HighsVarType.kInteger if on else self.hs.HighsVarType.kContinuous
        self.h.changeColsIntegrality(self.n, np.arange(self.n, dtype=np.int32), np.array([kind] * self.n))

    def start(self, x: np.ndarray) -> None:
        sol = self.hs.HighsSolution()
        v = np.zeros(self.h.getNumCol())
        v[: self.n] = x
        has = self.col_of_row >= 0
        v[self.col_of_row[has]] = self.rv.values(x.astype(float))[0][has] / self.unit[has]
        sol.col_value = list(v)
        sol.value_valid = True
        self.h.setSolution(sol)


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
) -> Solved:
    """Maximize the coverage objective ``rv`` over the partner columns and rows of
    ``side`` (a model built without its objective rows) by the cut loop of the module.

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
    depend on the start (see :func:`_cheapest_tie`); ``tidy``, when given, first
    takes out what adds nothing (the optimizer passes
    :func:`selector.portfolio.heuristics.without_idle`), and the stage starts from
    that cheaper portfolio of the same value."""
    t0 = time.perf_counter()
    deadline = t0 + time_limit
    master = _Master(side, rv, seed=seed, threads=threads, scaled=SCALED_MAIN if scaled is None else scaled)
    h, hs = master.h, master.hs
    best_x: np.ndarray | None = None
    best = -math.inf
    if start is not None:
        best_x = np.asarray(start, dtype=bool)
        best = _objective(rv, best_x.astype(float))
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

    bound = math.inf
    lp_x: np.ndarray | None = None
    priced: tuple[float, np.ndarray, np.ndarray] | None = None  # the last optimal LP's value, x, reduced costs
    cold = 0.0  # seconds of the first LP, solved from scratch as the search's root LP is

    # 1. LP rounds: cuts at the master's LP optimum until none is violated.
    # A node limit asks for a result that does not depend on the machine's speed: the LP
    # rounds then run to the end (the time limit stays a safety net).
    lp_end = t0 + (LP_SHARE * time_limit if node_limit is None else time_limit)
    core = None if best_x is None or IN_OUT >= 1.0 else best_x.astype(float)
    h.setOptionValue("mip_rel_gap", float(gap))
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
        h.setOptionValue("solver", first_lp if round_ == 0 else "choose")
        began = time.perf_counter()
        status = run_guarded(h, left + GUARD_SLACK)
        if round_ == 0:
            cold = time.perf_counter() - began
        if status is None or h.getModelStatus() != hs.HighsModelStatus.kOptimal:
            if h.getModelStatus() == hs.HighsModelStatus.kInfeasible:
                return Solved("infeasible", None, None, None)
            break
        lp_value = float(h.getInfo().objective_function_value)
        bound = min(bound, lp_value)
        x, theta, reduced = master.solution()
        lp_x = x
        priced = (lp_value, x, reduced)
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
        if progress is not None:
            _tell(progress, t0, best, bound)

    if polish is not None and lp_x is not None and time.perf_counter() < deadline:
        found = polish(np.clip(lp_x, 0.0, 1.0))
        if found is not None:
            found = np.asarray(found, dtype=bool)
            value = _objective(rv, found.astype(float))
            if value > best:
                best, best_x = value, found
                master.add_cuts(found.astype(float))
                if progress is not None:
                    _tell(progress, t0, best, bound)

    left = deadline - time.perf_counter()
    if (neighbourhood and node_limit is None and lp_x is not None and best_x is not None
            and left >= NEIGHBOURHOOD_MIN_SECONDS and int((side.col_lo < side.col_hi).sum()) >= NEIGHBOURHOOD_MIN_COLUMNS
            and bound - best > max(gap, 1e-9) * max(abs(best), 1.0)):
        for option, setting in AFTER_NEIGHBOURHOOD.items():
            h.setOptionValue(option, setting)
        found, value = _neighbourhood(side, rv, lp_x, best_x, best,
                                      until=time.perf_counter() + left * (
                                          NEIGHBOURHOOD_SHORT_SHARE if left < NEIGHBOURHOOD_SHORT
                                          else NEIGHBOURHOOD_SHARE),
                                      seed=seed, threads=threads,
                                      report=None if progress is None else partial(_tell, progress, t0, bound=bound))
        if value > best:
            # No cuts at it: the search's start is valued exactly without them (its
            # true row values meet every cut), and the thousands of rows they add slowed
            # the search's root (M weighted_coverage, 60 s: 0.085 % with them, 0.058 %
            # without)
            best, best_x = value, found
            if progress is not None:
                _tell(progress, t0, best, bound)

    # Reduced-cost fixing: a partner the last LP leaves out (in) whose reduced cost
    # takes that LP's bound below the best value known cannot be in (out of) a better
    # portfolio; the portfolios it rules out are worth at most ``fixed_bound``.
    fixed_bound = -math.inf
    fixing = REDUCED_COST_FIXING and priced is not None and node_limit is None
    fixed_at = -math.inf  # the best value the last fixing used

    # 2. Branch and bound on the master; restart with new cuts when it overvalues.
    master.set_integer(True)
    # Presolve off keeps the LP rounds warm; the search gains from it (the vendor plan
    # proved optimal in 3.6 s of search with it, 0.018 % short in 5.6 s without).
    h.setOptionValue("presolve", "on")
    # HiGHS measures its gap from its own incumbent (see MIP_GAP_SHARE).
    h.setOptionValue("mip_rel_gap", float(gap) * MIP_GAP_SHARE)
    pending: list[tuple[np.ndarray, np.ndarray]] = []
    # Stop the search only when the master overvalues a portfolio by more than the gap
    # asked for: pruning by a value within the gap of the best true one loses no
    # portfolio better than the gap allows, and a restart repeats the root's work.
    stop_now = [False]
    searching = [True]  # off for the cheaper-portfolio stage
    slack = max(gap, CUT_TOL)

    def improving(event: Any) -> None:
        nonlocal best, best_x
        if not searching[0]:
            return
        try:
            full = np.asarray(event.data_out.mip_solution)
            x = full[: master.n] > 0.5
            true = _objective(rv, x.astype(float))
            said = master.value_of(full)  # not data_out's value: see the loop below
            if true > best:
                best, best_x = true, x
            if true < said - CUT_TOL * max(abs(said), 1.0):
                pending.append((x.astype(float), master.theta(full)))
                if said > best + slack * max(abs(best), 1.0):
                    stop_now[0] = True
        except Exception:  # never let a callback error reach the solver
            return

    def interrupt(event: Any) -> None:
        # The flag outlives the run in HiGHS's callback data: clear it when not wanted.
        event.data_in.user_interrupt = stop_now[0] and searching[0]
        if progress is not None and searching[0]:  # the tie stage's bound is on cost
            d = event.data_out
            b = abs(d.mip_dual_bound) if math.isfinite(d.mip_dual_bound) else None
            _tell(progress, t0, best, min(bound, b) if b is not None else bound)

    h.cbMipImprovingSolution.subscribe(improving)
    h.cbMipInterrupt.subscribe(interrupt)
    if node_limit is not None:
        h.setOptionValue("mip_max_nodes", int(node_limit))
    while True:
        left = deadline - time.perf_counter()
        # A search that cannot finish its root LP (solved from scratch, as the first LP
        # round was) would only cost time
        if left <= max(0.05, cold if node_limit is None else 0.0):
            break
        if fixing and priced is not None and best_x is not None and best > fixed_at:
            # the same reduced costs fix more against a better portfolio
            fixed_bound = max(fixed_bound, master.fix_by_reduced_costs(*priced, best))
            fixed_at = best
        if best_x is not None:
            master.start(best_x)
        h.setOptionValue("time_limit", float(left))  # the MIP times itself from its start
        # The objective HiGHS sees lacks no constant, so its gap is the true gap.
        status = run_guarded(h, left + GUARD_SLACK)
        ms = h.getModelStatus()
        if ms == hs.HighsModelStatus.kInfeasible:
            if best_x is None:
                return Solved("infeasible", None, None, None)
            break
        info = h.getInfo()
        # A run cancelled before its search began (status kNotset) leaves an info whose
        # dual bound reads 0, as does an LP's: numbers only from a search that ran.
        ran = bool(info.valid) and ms in _searched(hs) and int(info.mip_node_count) >= 0
        if ran and math.isfinite(info.mip_dual_bound):
            bound = min(bound, abs(float(info.mip_dual_bound)))
        if ran and int(info.primal_solution_status) == 2:
            full = np.asarray(h.getSolution().col_value)
            v = full[: master.n] > 0.5
            true = _objective(rv, v.astype(float))
            if true > best:
                best, best_x = true, v
            # HiGHS's own objective value has been seen to belong to another portfolio
            # than the one it hands back: the master's value of this one is computed here.
            said = master.value_of(full)
            if said > true + CUT_TOL * max(abs(said), 1.0):
                pending.append((v.astype(float), master.theta(full)))
        if status is None:
            break
        if not pending:
            break
        if math.isfinite(bound) and bound - best <= max(gap, 1e-9) * max(abs(best), 1e-9):
            break  # proved within the gap, overvalued portfolios or not
        added = sum(master.add_cuts(x, theta) for x, theta in pending)
        pending.clear()
        if added == 0:  # overvalued only within the cuts' tolerance: nothing left to add
            break
        stop_now[0] = False
        if node_limit is not None:
            break  # deterministic mode: one search, however it ended
    if best_x is None:
        return Solved("no_solution", None, None, None if not math.isfinite(bound) else bound)
    bound = max(bound, fixed_bound)  # the fixed-out portfolios are worth at most that
    # The master is a relaxation: its bound is at or above every true value, up to
    # rounding. Only rounding is smoothed here; anything more is left for the caller
    # (and the tests) to see.
    if math.isfinite(bound) and bound < best and best - bound <= 1e-9 * max(abs(best), 1.0):
        bound = best
    rel = (bound - best) / max(abs(best), 1e-9) if math.isfinite(bound) else math.inf
    # Optimal by this loop's own numbers only (HiGHS's word "optimal" is not enough: its
    # incumbent can be one the master overvalues, or, seen once, not the one it returns).
    state: SolverState = "optimal" if -1e-6 <= rel <= max(gap, 1e-9) * 1.0001 else "time_limit"
    if state == "optimal" and cost is not None and deadline - time.perf_counter() > 0.1:
        searching[0] = False
        # a share of the time the search took (a tie-break, not a second solve)
        until = min(deadline, time.perf_counter() + max(0.5, TIE_SHARE * (time.perf_counter() - t0)))
        if node_limit is not None:
            until = deadline
        if tidy is not None:
            trimmed = np.asarray(tidy(best_x), dtype=bool)
            if _objective(rv, trimmed.astype(float)) >= best - TIE * max(abs(best), 1.0):
                best_x = trimmed
        cheaper = _cheapest_tie(master, best_x, best, np.asarray(cost, dtype=float), until,
                                node_limit=node_limit)
        if cheaper is not None:
            best_x = cheaper
    return Solved(state, best_x, best, bound if math.isfinite(bound) else None)


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
        keep_in = cur & movable & ~free
        keep_out = ~cur & movable & ~free
        sub = replace(side, col_lo=np.where(keep_in, 1.0, side.col_lo), col_hi=np.where(keep_out, 0.0, side.col_hi))
        at_one = sub.col_lo >= 1.0
        solved = solve_by_cuts(sub, rebased(rv, at_one, (sub.col_hi > 0) & ~at_one),
                               time_limit=min(NEIGHBOURHOOD_SECONDS, left), gap=CUT_TOL, seed=seed, start=cur,
                               threads=threads, scaled=True)
        stall += 1
        if solved.x is not None and len(solved.x) == len(cur):
            x = np.asarray(solved.x, dtype=bool)
            v = _objective(rv, x.astype(float))
            if v > value + CUT_TOL * max(abs(value), 1.0):
                cur, value, stall = x, v, 0
                if report is not None:
                    report(value)
    return cur, value


def _cheapest_tie(
    master: _Master, x: np.ndarray, value: float, cost: np.ndarray, deadline: float, *,
    node_limit: int | None = None,
) -> np.ndarray | None:
    """The cheapest portfolio of the master's rules worth ``value`` (within ``TIE``), or
    None when none cheaper than ``x`` is found in time. The master's objective becomes a
    row (its value at least ``value``) and cost the objective; a portfolio the master
    overvalues gets its cuts and the stage runs again."""
    h, hs, rv, n = master.h, master.hs, master.rv, master.n
    floor = value - TIE * max(abs(value), 1.0)
    h.setOptionValue("mip_max_nodes", 2_147_483_647 if node_limit is None else int(node_limit))
    h.setOptionValue("mip_rel_gap", 1e-9)
    found: np.ndarray | None = None
    row = -1
    for _ in range(TIE_ROUNDS):
        left = deadline - time.perf_counter()
        if left <= 0.05:
            break
        n_cols = h.getNumCol()
        c = master.col_cost
        if row >= 0:
            h.deleteRows(1, np.array([row], dtype=np.int32))
        cols = np.flatnonzero(c != 0)
        h.addRow(floor - master.offset, hs.kHighsInf, len(cols), cols.astype(np.int32), c[cols])
        row = h.getNumRow() - 1
        h.changeObjectiveSense(hs.ObjSense.kMinimize)
        h.changeColsCost(n_cols, np.arange(n_cols, dtype=np.int32), np.r_[cost, np.zeros(n_cols - n)])
        h.changeObjectiveOffset(0.0)
        master.start(x)
        h.setOptionValue("time_limit", float(left))  # the MIP times itself from its start
        if run_guarded(h, left + GUARD_SLACK) is None:
            break
        info = h.getInfo()
        if not (info.valid and h.getModelStatus() in _searched(hs) and int(info.primal_solution_status) == 2):
            break
        full = np.asarray(h.getSolution().col_value)
        y = full[:n] > 0.5
        if _objective(rv, y.astype(float)) >= floor:
            if float(cost @ y) < float(cost @ x) - 1e-9 * max(float(np.abs(cost).sum()), 1.0):
                found = y
            break
        # overvalued: its cuts, the value objective back for the row, and again
        h.changeObjectiveSense(hs.ObjSense.kMaximize)
        h.changeColsCost(n_cols, np.arange(n_cols, dtype=np.int32), c)
        h.changeObjectiveOffset(master.offset)
        if master.add_cuts(y.astype(float), master.theta(full)) == 0:
            break
    return found


def _searched(hs: Any) -> frozenset[Any]:
    m = hs.HighsModelStatus
    return frozenset({m.kOptimal, m.kTimeLimit, m.kInterrupt, m.kIterationLimit, m.kSolutionLimit})


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

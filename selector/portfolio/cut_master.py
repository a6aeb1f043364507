"""The closed-form Benders cuts of the coverage objectives and the master they go into.

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

:class:`RowValues` holds these value functions and writes their cuts (:func:`row_values`
builds it from an instance, :func:`rebased` for a problem with some columns fixed);
:class:`CutMaster` is the master problem they are added to, its formulation in its
docstring. The loop that adds them is :class:`selector.portfolio.cuts.CutLoop`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from selector.portfolio.instance import PortfolioInstance
from selector.portfolio.model import MipModel
from selector.portfolio.solvers.guard import quiet_highs
from selector.portfolio.solvers.highs import highs_lp
from selector.portfolio.warm import CutBatch, array_key

__all__ = ["CUT_TOL", "FIX_MARGIN", "CutMaster", "RowValues", "rebased", "row_values"]

#: Relative tolerance for a violated cut (of the row's largest value) and for an
#: overvalued portfolio (of the objective).
CUT_TOL = 1e-7
#: A fixing by reduced costs (see CutMaster.fix_by_reduced_costs) needs the LP's bound
#: to fall below the best value by FIX_MARGIN of it, so that rounding cannot fix a
#: partner wrongly.
FIX_MARGIN = 1e-7


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
    def pool_key(self) -> str:
        """The key of these row value functions (their cuts' pool in a session's carry,
        :meth:`selector.portfolio.warm.Carry.cuts_for`): a cut is carried only between
        equal keys."""
        return array_key(self.row, self.ptr, self.member, self.q, self.d, len(self.c_x))

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

    def objective(self, x: np.ndarray) -> float:
        """The objective at ``x``: the single-partner rows' part and every kept row's
        value."""
        return float(self.c_x @ x + self.values(x)[0].sum())

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


class CutMaster:
    """The master problem in one HiGHS instance: partner columns, side rows, one theta
    column per kept row, and the cuts added so far::

        max   sum_j c_j x_j + sum_s theta_s
        s.t.  every partner-side rule row of the full model (budget, pools, levels,
              conflicts, supply, quotas, rules)
              theta_s <= d_s * (q_k + sum_{l < k} (q_l - q_k) * x_l)   each cut (s, k) added
              0 <= theta_s <= d_s q_1
              x_j in {0, 1}   (0 <= x_j <= 1 for the LP rounds)

    ``c_j`` is the value of the rows whose single partner is ``j`` (folded into its
    column, :attr:`RowValues.c_x`). A row has its theta column from its first cut on;
    until then it counts at its largest value ``d_s q_1`` in the objective's constant.
    Every master is a relaxation of the full model: each bound proved on it holds for
    the portfolio problem too.

    With ``scaled``, the master's column for row ``s`` is ``theta_s / d_s`` (the row's
    value as a share of its weight, objective ``d_s``) and each cut is divided by
    ``d_s``: the same problem with coefficients near 1 (see
    :data:`selector.portfolio.cuts.SCALED_MAIN`).

    With ``pool`` (a session's cuts for these row value functions,
    :meth:`selector.portfolio.warm.Carry.cuts_for`), the master starts with its cuts,
    and the cuts it adds go into it."""

    def __init__(self, side: MipModel, rv: RowValues, *, seed: int, threads: int | None,
                 scaled: bool = False, pool: list[CutBatch] | None = None) -> None:
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
        self.pool: list[CutBatch] | None = None
        for batch in pool or ():
            self._add_rows(batch.rows, batch.m, batch.rhs)
        self.pool = pool

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
        if self.pool is not None:
            self.pool.append(CutBatch(rows.copy(), sp.csr_matrix(m, copy=True), np.array(rhs, dtype=float)))
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

"""A Lagrangian upper bound for the coverage objectives, for when the MIP has none yet.

Both coverage objectives count each segment row once, at its best selected partner:

    max  sum_r sum_j a_jr z_jr     (a_jr = value_r x quality_j, j covering r)
    s.t. z_jr <= x_j,  sum_j z_jr <= 1 for each row r,  x in X (budget and every rule).

Moving "counted once" into the objective with a price rho_r >= 0 per row gives, for
*any* prices, a valid upper bound

    L(rho) = sum_r rho_r + max_{x in X} sum_j p_j x_j,   p_j = sum_r max(0, a_jr - rho_r),

whose inner problem is a linear programme over the partner (or option) columns only
(X relaxed to 0 <= x <= 1): a few hundred columns, solved in milliseconds, where the
full LP relaxation has one row and column per covered segment. Minimising L over rho
reaches the LP relaxation's bound; a subgradient method with Polyak steps gets close in
a second or two at account scale. Started from prices equal to each row's value under a
known portfolio, the first L is the submodular bound of
:mod:`selector.portfolio.bounds` (without pools and rules), so this bound is never
looser than that one and usually much tighter.

This is the facility-location Lagrangian of Fischetti, Ljubic and Sinnl (Management
Science 2017) and Cordeau, Furini and Ljubic (EJOR 2019), used here for its bound.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import scipy.sparse as sp

from selector.portfolio.bounds import fractional_knapsack
from selector.portfolio.instance import PortfolioInstance, segment_quality
from selector.portfolio.model import GROUPS, MipModel

__all__ = ["lagrangian_bound"]


class _Inner:
    """max p @ x over the rule rows of a model restricted to its x columns (an LP)."""

    def __init__(self, model: MipModel) -> None:
        import highspy

        from selector.portfolio.solvers import _quiet_highs

        n = model.n_x
        full = sp.csr_matrix(model.A)
        # Only rows on the partner columns alone: the objective link rows are priced
        # out, and a row that also counts auxiliaries (a coverage rule) is dropped
        # whole, which relaxes X and keeps the bound valid.
        on_aux = np.diff(sp.csr_matrix(full[:, n:]).indptr) > 0
        keep = (model.row_group != GROUPS.index("objective_link")) & ~on_aux
        A = full[np.flatnonzero(keep)][:, :n]
        self.n = n
        self.lo = model.col_lo[:n].copy()
        self.hi = model.col_hi[:n].copy()
        self.row_lo = model.row_lo[keep]
        self.row_hi = model.row_hi[keep]
        self.only_box = A.shape[0] == 0
        self.h: Any = None
        # One budget row (costs > 0, no lower limit): a fractional knapsack, no LP.
        self.knapsack: tuple[np.ndarray, float] | None = None
        if A.shape[0] == 1 and np.isinf(self.row_lo[0]) and self.row_hi[0] >= 0:
            row = np.asarray(A.toarray()).ravel()
            if (row > 0).all():
                self.knapsack = (row, float(self.row_hi[0]))
        if self.only_box or self.knapsack is not None:
            return
        h = _quiet_highs(highspy)
        h.setOptionValue("presolve", "off")
        lp = highspy.HighsLp()
        lp.num_col_ = n
        lp.num_row_ = A.shape[0]
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_ = self.lo
        lp.col_upper_ = self.hi
        inf = highspy.kHighsInf
        lp.row_lower_ = np.where(np.isinf(self.row_lo), -inf, self.row_lo)
        lp.row_upper_ = np.where(np.isinf(self.row_hi), inf, self.row_hi)
        csc = sp.csc_matrix(A)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
        lp.a_matrix_.index_ = csc.indices.astype(np.int32)
        lp.a_matrix_.value_ = csc.data.astype(float)
        lp.a_matrix_.num_col_ = n
        lp.a_matrix_.num_row_ = lp.num_row_
        lp.sense_ = highspy.ObjSense.kMaximize
        h.passModel(lp)
        self.h = h
        self.optimal = highspy.HighsModelStatus.kOptimal

    def solve(self, p: np.ndarray) -> tuple[float, np.ndarray] | None:
        """The optimum and an optimal x; None when the rules admit no x at all."""
        if self.only_box:
            x = np.where(p > 0, self.hi, self.lo)
            return float(p @ x), x
        if self.knapsack is not None:
            return self._knapsack(p, *self.knapsack)
        h = self.h
        h.changeColsCost(self.n, np.arange(self.n, dtype=np.int32), p.astype(float))
        h.run()
        status = h.getModelStatus()
        if status != self.optimal:
            h.clearSolver()  # a warm start gone wrong: solve this one from scratch
            h.run()
            status = h.getModelStatus()
        if status != self.optimal:
            return None
        x = np.asarray(h.getSolution().col_value, dtype=float)
        return float(h.getInfo().objective_function_value), x


    def _knapsack(self, p: np.ndarray, w: np.ndarray, cap: float) -> tuple[float, np.ndarray] | None:
        """max p @ x, w @ x <= cap, lo <= x <= hi: greedy by ratio, one item split."""
        x = self.lo.copy()
        room = cap - float(w @ x)
        if room < -1e-9 * max(1.0, cap):
            return None
        free = np.flatnonzero((p > 0) & (self.hi > self.lo))
        span = (self.hi - self.lo)[free]
        x[free] += span * fractional_knapsack(p[free] * span, w[free] * span, room)
        return float(p @ x), x


def lagrangian_bound(
    inst: PortfolioInstance,
    model: MipModel,
    *,
    incumbent: np.ndarray | None = None,
    seconds: float = 2.0,
    iterations: int = 400,
) -> float | None:
    """An upper bound on the best objective of ``inst`` (coverage objectives).

    Parameters
    ----------
    inst, model
        The instance and its MIP (:func:`selector.portfolio.model.build_model`); the
        rule rows of the model are kept, the objective link rows priced out.
    incumbent
        A feasible portfolio (boolean mask): its rows' values start the prices, and its
        value steers the step length.
    seconds, iterations
        Stop after either; any prices give a valid bound, so stopping early only makes
        it looser.

    Returns
    -------
    float or None
        The smallest L(rho) seen; None for ``min_cost`` instances, or when the rules
        admit no portfolio at all.
    """
    if not inst.maximize or inst.n_rows == 0:
        return None
    t_end = time.perf_counter() + max(0.0, seconds)
    cover = inst.cover  # columns x rows, CSR
    pair_j = np.repeat(np.arange(inst.n_partners), np.diff(cover.indptr))
    pair_r = cover.indices
    a = inst.value[pair_r] * inst.quality[pair_j]
    live = ~inst.fixed_out[pair_j]
    inner = _Inner(model)
    if incumbent is not None:
        rho = inst.value * segment_quality(inst, np.asarray(incumbent, dtype=bool))
        low = float(rho.sum())
    else:
        rho = np.zeros(inst.n_rows)
        low = 0.0
    top = inst.value * float(inst.quality.max(initial=0.0))
    best = np.inf
    step_scale = 1.0
    stalled = 0
    for _ in range(iterations):
        margin = np.where(live, np.maximum(a - rho[pair_r], 0.0), 0.0)
        p = np.bincount(pair_j, weights=margin, minlength=inst.n_partners)
        found = inner.solve(p)
        if found is None:
            return None
        inner_value, x = found
        value = float(rho.sum()) + inner_value
        if not np.isfinite(best) or value < best - 1e-9 * max(1.0, abs(best)):
            best = value
            stalled = 0
        else:
            stalled += 1
            if stalled >= 10:  # halve the step after a run without progress
                step_scale *= 0.5
                stalled = 0
        if time.perf_counter() >= t_end:
            break
        # Subgradient of L at rho: 1 - (rows counted by the inner x).
        counted = np.bincount(pair_r, weights=np.where(margin > 0, x[pair_j], 0.0), minlength=inst.n_rows)
        g = 1.0 - counted
        g = np.where((rho <= 0) & (g > 0), 0.0, g)  # rho >= 0 is binding there
        norm = float(g @ g)
        if norm <= 1e-12:
            break
        gap = max(value - low, 1e-6 * max(1.0, abs(value)))
        rho = np.clip(rho - step_scale * gap / norm * g, 0.0, top)
    return best if np.isfinite(best) else None

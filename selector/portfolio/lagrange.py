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
reaches the LP relaxation's bound; a deflected subgradient method with Polyak steps
(their scale kept by the window rule of STEP_WINDOW) gets there slowly but with little
memory: at 5,014 partners x 200,000 accounts (6 million pairs) it makes 14 iterations a
second and settles after about 1,260 of them (90 s) 0.82 % above the greedy's
portfolio, where the LP relaxation, as Benders cuts or whole, is not solved in minutes.
Started from prices equal to each row's value under a known portfolio, the first L is
the submodular bound of
:mod:`selector.portfolio.bounds` (without pools and rules), so this bound is never
looser than that one and usually much tighter.

This is the facility-location Lagrangian of Fischetti, Ljubic and Sinnl (Management
Science 2017) and Cordeau, Furini and Ljubic (EJOR 2019), used here for its bound.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
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

        from selector.portfolio.solvers.guard import quiet_highs

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
        h = quiet_highs(highspy)
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


#: Step control of the subgradient method (Caprara, Fischetti and Toth, Operations
#: Research 1999): every STEP_WINDOW iterations, halve the step when the values of the
#: window spread by more than STEP_WIDE of the best, grow it by half when by less than
#: STEP_NARROW. L weighted_coverage (5,014 x 200,000), 85 s: 1.10 % above the greedy's
#: portfolio, against 1.13 % (and no progress after 100 s) when the step was halved
#: after ten iterations without a new best.
STEP_WINDOW = 20
STEP_WIDE = 0.01
STEP_NARROW = 0.001
#: Deflected subgradient (Camerini, Fratta and Maffioli 1975): each direction adds
#: this share of the previous one, which damps the zig-zag between rows. L
#: weighted_coverage, 800 iterations from the same start: 0.853 % above the greedy's
#: portfolio against 0.984 % without (0.3: 0.881 %; 0.8 and 0.9 stall sooner, 0.948 %
#: and 0.913 %); M, 400 iterations: 1.53 % against 2.14 %.
DEFLECT = 0.6
#: Stop when the best bound moved by less than this share over SETTLED_WINDOWS windows.
SETTLED = 1e-7
SETTLED_WINDOWS = 5
#: Seconds between two calls of ``report``.
REPORT_EVERY = 0.25


def lagrangian_bound(
    inst: PortfolioInstance,
    model: MipModel,
    *,
    incumbent: np.ndarray | None = None,
    seconds: float = 2.0,
    iterations: int | None = 400,
    target: float | None = None,
    report: Callable[[float], object] | None = None,
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
        Stop after either (``iterations`` None: only by the clock); any prices give a
        valid bound, so stopping early only makes it looser.
    target
        Stop as soon as the bound is at or below it (a bound that proves the incumbent
        within the gap asked for needs no more).
    report
        Called with the best bound so far, at most four times a second (for a caller
        that shows it live; its errors are ignored).

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
    ptr = cover.indptr
    pair_j = np.repeat(np.arange(inst.n_partners), np.diff(ptr))
    pair_r = cover.indices
    # A partner fixed out counts nothing: its pairs' values are 0, below any price.
    a = np.where(inst.fixed_out[pair_j], 0.0, inst.value[pair_r] * inst.quality[pair_j])
    inner = _Inner(model)
    if incumbent is not None:
        rho = inst.value * segment_quality(inst, np.asarray(incumbent, dtype=bool))
        low = float(rho.sum())
    else:
        rho = np.zeros(inst.n_rows)
        low = 0.0
    top = inst.value * float(inst.quality.max(initial=0.0))
    best = np.inf
    step = 1.0
    window: list[float] = []
    marks: list[float] = []
    reported = -math.inf
    previous: np.ndarray | None = None
    done = 0
    while iterations is None or done < iterations:
        done += 1
        margin = np.maximum(a - rho[pair_r], 0.0)
        p = np.bincount(pair_j, weights=margin, minlength=inst.n_partners)
        found = inner.solve(p)
        if found is None:
            return None
        inner_value, x = found
        value = float(rho.sum()) + inner_value
        best = min(best, value)
        if report is not None and time.perf_counter() - reported >= REPORT_EVERY:
            reported = time.perf_counter()
            try:
                report(best)
            except Exception:  # a display's error must not end the bound
                pass
        window.append(value)
        if len(window) == STEP_WINDOW:
            spread = (max(window) - min(window)) / max(abs(best), 1e-12)
            if spread > STEP_WIDE:
                step *= 0.5
            elif spread < STEP_NARROW:
                step *= 1.5
            window.clear()
            # Settled: the best moved by less than SETTLED over the last windows.
            marks.append(best)
            if len(marks) > SETTLED_WINDOWS and marks[-SETTLED_WINDOWS - 1] - best <= SETTLED * max(abs(best), 1.0):
                break
        if time.perf_counter() >= t_end or (target is not None and best <= target):
            break
        # Subgradient of L at rho: 1 - (rows counted by the inner x), over the pairs of
        # the partners the inner x takes (a few hundred of the thousands of columns).
        on = np.flatnonzero(x > 0.0)
        lengths = ptr[on + 1] - ptr[on]
        at = np.repeat(ptr[on] - np.cumsum(lengths) + lengths, lengths) + np.arange(int(lengths.sum()))
        weight = np.where(margin[at] > 0.0, np.repeat(x[on], lengths), 0.0)
        g = 1.0 - np.bincount(pair_r[at], weights=weight, minlength=inst.n_rows)
        g[(rho <= 0) & (g > 0)] = 0.0  # rho >= 0 is binding there
        if DEFLECT > 0 and previous is not None:
            g = g + DEFLECT * previous
            g[(rho <= 0) & (g > 0)] = 0.0
        previous = g
        norm = float(g @ g)
        if norm <= 1e-12:
            break
        gap = max(value - low, 1e-6 * max(1.0, abs(value)))
        rho = np.clip(rho - step * gap / norm * g, 0.0, top)
    return best if np.isfinite(best) else None

"""The cut loop's last stage: among portfolios of the best value, the cheapest
(:func:`cheapest_tie`, run on the Benders master of :mod:`selector.portfolio.cut_master`)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from selector.portfolio.cut_master import CutMaster
from selector.portfolio.solvers.guard import run_guarded

__all__ = ["GUARD_SLACK", "TIE", "TIE_ROUNDS", "cheapest_tie", "searched"]

#: Values within this share of the best count as ties for the cheaper-portfolio stage.
TIE = 1e-9
#: Rounds of the cheaper-portfolio stage (each adds the cuts its answer calls for).
TIE_ROUNDS = 5
#: Seconds past HiGHS's own time limit before the guard thread cancels a run: HiGHS's
#: limit should end it first, with a status and an info that can be read.
GUARD_SLACK = 0.25


def cheapest_tie(
    master: CutMaster, x: np.ndarray, value: float, cost: np.ndarray, deadline: float, *,
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
        if not (info.valid and h.getModelStatus() in searched(hs) and int(info.primal_solution_status) == 2):
            break
        full = np.asarray(h.getSolution().col_value)
        y = full[:n] > 0.5
        if rv.objective(y.astype(float)) >= floor:
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


def searched(hs: Any) -> frozenset[Any]:
    """The HiGHS model statuses after which a run's solution can be read."""
    m = hs.HighsModelStatus
    return frozenset({m.kOptimal, m.kTimeLimit, m.kInterrupt, m.kIterationLimit, m.kSolutionLimit})

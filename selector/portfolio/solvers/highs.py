"""The HiGHS adapter (``highspy``): the matrix model as a ``HighsLp``, branch and bound
under the guard thread (:mod:`selector.portfolio.solvers.guard`), live progress from its
callbacks, the LP relaxation, and HiGHS's model statuses mapped by one table."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp

from selector.portfolio.model import MipModel
from selector.portfolio.solvers.base import Solved, SolveProgress, SolverState
from selector.portfolio.solvers.guard import check_not_exiting, quiet_highs, run_guarded

__all__ = ["STATUS", "highs_lp", "lp_relaxation", "solve_highs"]

#: HiGHS's model status (by name) -> the adapter's state. A stop by a limit answers
#: ``time_limit`` with a portfolio and ``no_solution`` without one; a status not here is
#: an ``error``.
STATUS: dict[str, SolverState] = {
    "kOptimal": "optimal",
    "kInfeasible": "infeasible",
    "kUnboundedOrInfeasible": "infeasible",
    "kTimeLimit": "time_limit",
    "kInterrupt": "time_limit",
    "kIterationLimit": "time_limit",
    "kSolutionLimit": "time_limit",
    "kObjectiveBound": "time_limit",
    "kObjectiveTarget": "time_limit",
}


def _report_progress(h: Any, progress: Callable[[SolveProgress], object]) -> None:
    """Call ``progress`` from HiGHS's MIP callbacks, at most four times a second and on
    every better portfolio. Objective values are reported as magnitudes (HiGHS has been
    seen to flip the sign of a maximisation's bound); errors in ``progress`` are kept
    away from the solver."""
    last = [-1.0]

    def report(event: Any) -> None:
        try:
            d = event.data_out
            if event.callback_type != highspy_improving[0] and d.running_time - last[0] < 0.25:
                return
            last[0] = d.running_time
            incumbent = abs(d.mip_primal_bound) if math.isfinite(d.mip_primal_bound) else None
            bound = abs(d.mip_dual_bound) if math.isfinite(d.mip_dual_bound) else None
            gap = d.mip_gap if incumbent is not None and math.isfinite(d.mip_gap) else None
            progress(SolveProgress(float(d.running_time), incumbent, bound, gap))
        except Exception:  # a display problem must never stop the solve
            return

    import highspy

    highspy_improving = [highspy.cb.HighsCallbackType.kCallbackMipImprovingSolution]
    h.cbMipInterrupt.subscribe(report)
    h.cbMipImprovingSolution.subscribe(report)



def highs_lp(highspy: Any, model: MipModel, *, integer: bool = True, offset: float = 0.0) -> Any:
    """The matrix model as a ``highspy.HighsLp`` (its first ``n_x`` columns integer
    unless ``integer`` is False; ``offset`` the objective's constant)."""
    lp = highspy.HighsLp()
    lp.num_col_ = model.n_cols
    lp.num_row_ = int(model.A.shape[0])
    lp.col_cost_ = np.asarray(model.c, dtype=float)
    lp.col_lower_ = model.col_lo
    lp.col_upper_ = model.col_hi
    inf = highspy.kHighsInf
    lp.row_lower_ = np.where(np.isinf(model.row_lo), -inf, model.row_lo)
    lp.row_upper_ = np.where(np.isinf(model.row_hi), inf, model.row_hi)
    lp.sense_ = highspy.ObjSense.kMaximize if model.sense == "max" else highspy.ObjSense.kMinimize
    lp.offset_ = float(offset)
    A = sp.csc_matrix(model.A)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data.astype(float)
    lp.a_matrix_.num_col_ = model.n_cols
    lp.a_matrix_.num_row_ = lp.num_row_
    if integer:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * model.n_x + [
            highspy.HighsVarType.kContinuous
        ] * (model.n_cols - model.n_x)
    return lp


def solve_highs(
    model: MipModel,
    *,
    time_limit: float,
    gap: float,
    seed: int,
    start: np.ndarray | None,
    threads: int | None,
    node_limit: int | None = None,
    progress: Callable[[SolveProgress], object] | None = None,
    presolve: bool = False,
    restart: bool = True,
) -> Solved:
    """Solve ``model`` by HiGHS's branch and bound (:class:`~.base.SolverAdapter`).
    ``presolve`` turns HiGHS's presolve on; ``restart`` False stops HiGHS from
    presolving again and restarting its root when the root has fixed many columns
    (``mip_allow_restart``)."""
    import highspy

    check_not_exiting()
    h = quiet_highs(highspy)
    h.setOptionValue("time_limit", float(time_limit) if math.isfinite(time_limit) else highspy.kHighsInf)
    h.setOptionValue("mip_rel_gap", float(gap))
    h.setOptionValue("random_seed", int(seed) % 2_147_483_647)
    if node_limit is not None:  # a limit that does not depend on the machine's speed
        h.setOptionValue("mip_max_nodes", int(node_limit))
    if threads is not None:
        h.setOptionValue("threads", int(threads))
    # HiGHS presolve was seen spending the whole time limit on these coverage models
    # (10 s on the 604-partner vendor scenario) for little reduction; the model is
    # already reduced (merged segments, fixed partners) before it gets here.
    h.setOptionValue("presolve", "on" if presolve else "off")
    h.setOptionValue("mip_allow_restart", bool(restart))
    lp = highs_lp(highspy, model)
    status = h.passModel(lp)
    if status == highspy.HighsStatus.kError:
        return Solved("error", None, None, None, "HiGHS rejected the model")
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = list(start)
        sol.value_valid = True
        h.setSolution(sol)
    h.HandleUserInterrupt = True
    if progress is not None:
        _report_progress(h, progress)
    if run_guarded(h, time_limit) is None:
        # Still deaf to the interrupt: answer without it (the exit hook stops it).
        return Solved("no_solution", None, None, None, "HiGHS did not stop at its time limit")
    ms = h.getModelStatus()
    info = h.getInfo()
    has_solution = int(info.primal_solution_status) == 2
    x = None
    obj = None
    if has_solution:
        values = np.asarray(h.getSolution().col_value)
        x = values[: model.n_x] > 0.5
        obj = float(info.objective_function_value)
    bound = float(info.mip_dual_bound) if math.isfinite(info.mip_dual_bound) else None
    name = h.modelStatusToString(ms)
    state = STATUS.get(str(ms).rsplit(".", 1)[-1])
    if state == "optimal":
        return Solved("optimal", x, obj, bound if bound is not None else obj)
    if state == "infeasible":
        return Solved("infeasible", None, None, None)
    if state == "time_limit":
        return Solved("time_limit" if has_solution else "no_solution", x, obj, bound)
    return Solved("error", x, obj, bound, f"HiGHS ended with status {name}")


def lp_relaxation(model: MipModel, *, time_limit: float) -> tuple[np.ndarray, float] | None:
    """The model's LP relaxation by HiGHS's simplex: its optimal columns and value, or
    None when it did not end optimal within ``time_limit``."""
    import highspy

    h = quiet_highs(highspy)
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("solver", "simplex")
    if h.passModel(highs_lp(highspy, model, integer=False)) == highspy.HighsStatus.kError:
        return None
    if run_guarded(h, time_limit) is None or h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    return np.asarray(h.getSolution().col_value), float(h.getInfo().objective_function_value)

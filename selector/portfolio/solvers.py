"""Solver adapters: the matrix model to HiGHS (``highspy``) or to CBC through PuLP.

Each adapter takes a :class:`~selector.portfolio.model.MipModel`, a time limit, a gap,
a seed and an optional start vector, and answers a :class:`_Solved` (state, selection,
objective, bound). HiGHS runs in a guard thread that cancels it at the time limit (it
has been seen to overrun its own); CBC runs through PuLP's ``COIN_CMD`` and its log is
read for the result line and the bound. :func:`to_pulp` gives the same model as a PuLP
problem, for analysts and for the CBC path.
"""

from __future__ import annotations

import atexit
import math
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from selector.errors import SolverError
from selector.portfolio import pulp_compat
from selector.portfolio.model import MipModel

__all__ = ["SolveProgress", "to_pulp"]


@dataclass(frozen=True)
class SolveProgress:
    """Where a running MIP solve stands: seconds so far, the best objective found
    (``None`` before the first portfolio), the proven bound and the relative gap."""

    seconds: float
    incumbent: float | None
    bound: float | None
    gap: float | None


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


@dataclass(frozen=True)
class _Solved:
    state: str  # optimal | time_limit | infeasible | no_solution | error
    x: np.ndarray | None
    objective: float | None
    bound: float | None
    message: str = ""


def _quiet_highs(highspy: Any) -> Any:
    """A HiGHS instance whose start-up banner does not reach stdout (it would corrupt
    ``--json`` output): the banner is written by C++ on the first construction."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError):
        h = highspy.Highs()
    else:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 1)
            h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(devnull)
    h.setOptionValue("output_flag", False)
    return h


# HiGHS solves running now, each with the event its guard thread sets when it ends: an
# interrupted caller and the interpreter's exit cancel them, since a HiGHS thread still
# running when the process exits aborts it (SIGABRT from the C++ runtime). The thread's
# own join/is_alive are not used: a join interrupted by Ctrl-C marks a running thread
# as stopped (CPython 3.11-3.12).
_RUNNING: dict[int, tuple[Any, threading.Event]] = {}
_RUNNING_LOCK = threading.Lock()
_POLL = 0.25  # seconds between looks at the guard thread (a Ctrl-C lands between them)


def _stop(h: Any, done: threading.Event, *, wait: float = 10.0) -> bool:
    """Cancel a HiGHS solve and wait (bounded) for it to end; True when it did."""
    try:
        h.cancelSolve()
    except Exception:  # pragma: no cover - a HiGHS already torn down
        return True
    return _wait(done, wait)


_EXITING = threading.Event()  # set by the exit hook: no new solve starts after it


def _stop_all() -> None:
    _EXITING.set()
    with _RUNNING_LOCK:
        running = list(_RUNNING.values())
    for h, done in running:
        _stop(h, done)


# threading's exit hooks run before the interpreter joins its non-daemon threads (a
# Streamlit script thread inside a solve is one); atexit covers interpreters without it.
_register = getattr(threading, "_register_atexit", None)
if _register is not None:
    _register(_stop_all)
atexit.register(_stop_all)


class _running:
    """Context: a HiGHS solve is registered while it runs; leaving it by an exception
    (KeyboardInterrupt, SystemExit, a Streamlit stop) cancels the solve first."""

    def __init__(self, h: Any, done: threading.Event) -> None:
        self.h, self.done = h, done

    def __enter__(self) -> None:
        with _RUNNING_LOCK:
            _RUNNING[id(self.h)] = (self.h, self.done)

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        try:
            if kind is not None and not self.done.is_set():
                _stop(self.h, self.done)
        finally:
            if self.done.is_set():  # one deaf to cancelSolve stays for the exit hook
                with _RUNNING_LOCK:
                    _RUNNING.pop(id(self.h), None)


def _wait(done: threading.Event, seconds: float) -> bool:
    """Wait up to ``seconds`` (any float, ``inf`` included: one long wait overflows the
    platform's time_t) for ``done``; True when it is set. Waits in short steps so that a
    signal (Ctrl-C) is seen at once."""
    deadline = time.monotonic() + seconds
    while not done.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        done.wait(timeout=min(left, _POLL))
    return True


def _run_guarded(h: Any, time_limit: float) -> Any:
    """Run a prepared HiGHS instance with a guard thread that cancels it at
    ``time_limit`` (HiGHS has been seen to overrun its own). Answers its run status,
    or None when it stayed deaf to the cancel (the exit hook stops it later)."""
    if _EXITING.is_set():
        raise SolverError("the solve was cancelled: the program is exiting")
    result: dict[str, Any] = {}
    done = threading.Event()

    def run() -> None:
        try:
            result["status"] = h.run()
        except Exception as exc:
            result["error"] = exc
        finally:
            done.set()

    worker = threading.Thread(target=run, daemon=True)
    with _running(h, done):
        worker.start()
        if not _wait(done, time_limit) and not _stop(h, done, wait=1.0):
            return None
    if "error" in result:
        raise SolverError(f"HiGHS failed: {result['error']}")
    return result.get("status")


def _highs_lp(highspy: Any, model: MipModel, *, integer: bool = True, offset: float = 0.0) -> Any:
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


def _solve_highs(
    model: MipModel,
    *,
    time_limit: float,
    gap: float,
    seed: int,
    start: np.ndarray | None,
    threads: int | None,
    presolve: str = "off",
    restart: bool = True,
    node_limit: int | None = None,
    progress: Callable[[SolveProgress], object] | None = None,
) -> _Solved:
    """Solve ``model`` by HiGHS's branch and bound. ``restart`` False stops HiGHS from
    presolving again and restarting its root when the root has fixed many columns
    (``mip_allow_restart``)."""
    import highspy

    if _EXITING.is_set():
        raise SolverError("the solve was cancelled: the program is exiting")
    h = _quiet_highs(highspy)
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
    h.setOptionValue("presolve", presolve)
    h.setOptionValue("mip_allow_restart", bool(restart))
    lp = _highs_lp(highspy, model)
    status = h.passModel(lp)
    if status == highspy.HighsStatus.kError:
        return _Solved("error", None, None, None, "HiGHS rejected the model")
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = list(start)
        sol.value_valid = True
        h.setSolution(sol)
    h.HandleUserInterrupt = True
    if progress is not None:
        _report_progress(h, progress)
    if _run_guarded(h, time_limit) is None:
        # Still deaf to the interrupt: answer without it (the exit hook stops it).
        return _Solved("no_solution", None, None, None, "HiGHS did not stop at its time limit")
    ms = h.getModelStatus()
    info = h.getInfo()
    MS = highspy.HighsModelStatus
    has_solution = int(info.primal_solution_status) == 2
    x = None
    obj = None
    if has_solution:
        values = np.asarray(h.getSolution().col_value)
        x = values[: model.n_x] > 0.5
        obj = float(info.objective_function_value)
    bound = float(info.mip_dual_bound) if math.isfinite(info.mip_dual_bound) else None
    if ms == MS.kOptimal:
        return _Solved("optimal", x, obj, bound if bound is not None else obj)
    if ms in (MS.kInfeasible, MS.kUnboundedOrInfeasible):
        return _Solved("infeasible", None, None, None)
    if ms in (MS.kTimeLimit, MS.kInterrupt, MS.kIterationLimit, MS.kSolutionLimit, MS.kObjectiveBound, MS.kObjectiveTarget):
        return _Solved("time_limit" if has_solution else "no_solution", x, obj, bound)
    return _Solved("error", x, obj, bound, f"HiGHS ended with status {h.modelStatusToString(ms)}")


def _lp_relaxation(model: MipModel, *, time_limit: float) -> tuple[np.ndarray, float] | None:
    """The model's LP relaxation by HiGHS's simplex: its optimal columns and value, or
    None when it did not end optimal within ``time_limit``."""
    import highspy

    h = _quiet_highs(highspy)
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("solver", "simplex")
    if h.passModel(_highs_lp(highspy, model, integer=False)) == highspy.HighsStatus.kError:
        return None
    if _run_guarded(h, time_limit) is None or h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    return np.asarray(h.getSolution().col_value), float(h.getInfo().objective_function_value)


def to_pulp(
    model: MipModel,
    *,
    name: str = "portfolio",
    col_names: Sequence[str] | None = None,
    row_names: Sequence[str] | None = None,
    constant: float = 0.0,
) -> tuple[Any, list[Any]]:
    """The matrix model as a PuLP problem (the CBC path; named, the readable model of
    :func:`selector.portfolio.pulp_model.pulp_model`).

    Returns the problem and its variables (the first ``model.n_x`` are the partners').
    Without names, columns are ``x0, x1, ...`` then ``a0, a1, ...`` and rows ``r0, ...``;
    a row with two finite, different bounds becomes two constraints (``_lo``/``_hi``
    unnamed, ``_min``/``_max`` named).
    """
    import pulp

    sense = pulp.LpMaximize if model.sense == "max" else pulp.LpMinimize
    prob = pulp.LpProblem(re.sub(r"\W", "_", name) or "portfolio", sense)
    # PuLP 3.3 deprecates constructing LpVariable directly; 4.x needs prob.add_variable.
    make = getattr(prob, "add_variable", None)

    def var(name: str, lo: float, hi: float, cat: str) -> Any:
        if make is not None:
            return make(name, lowBound=lo, upBound=hi, cat=cat)
        return pulp.LpVariable(name, lowBound=lo, upBound=hi, cat=cat)

    n_aux = model.n_cols - model.n_x
    if col_names is None:
        col_names = [f"x{j}" for j in range(model.n_x)] + [f"a{j}" for j in range(n_aux)]
    xs = [
        var(col_names[j], float(model.col_lo[j]), float(model.col_hi[j]), pulp.LpInteger)
        for j in range(model.n_x)
    ]
    aux = [var(col_names[model.n_x + j], 0.0, 1.0, pulp.LpContinuous) for j in range(n_aux)]
    variables = xs + aux
    nz = np.flatnonzero(model.c)
    prob += pulp_compat.affine_expression([(variables[j], float(model.c[j])) for j in nz], constant=float(constant))
    A = model.A.tocsr()
    for i in range(A.shape[0]):
        cols = A.indices[A.indptr[i] : A.indptr[i + 1]]
        vals = A.data[A.indptr[i] : A.indptr[i + 1]]
        expr = pulp_compat.affine_expression([(variables[j], float(v)) for j, v in zip(cols, vals, strict=True)])
        lo, hi = model.row_lo[i], model.row_hi[i]
        label = f"r{i}" if row_names is None else row_names[i]
        if math.isfinite(lo) and math.isfinite(hi) and lo == hi:
            prob += expr == float(lo), label
        elif math.isfinite(lo) and math.isfinite(hi):
            up, down = ("_hi", "_lo") if row_names is None else ("_max", "_min")
            prob += expr <= float(hi), label + up
            prob += expr >= float(lo), label + down
        elif math.isfinite(hi):
            prob += expr <= float(hi), label if row_names is not None else label + "_hi"
        elif math.isfinite(lo):
            prob += expr >= float(lo), label if row_names is not None else label + "_lo"
    return prob, variables


_CBC_RESULT = re.compile(r"^Result - (.*)$", re.M)
_CBC_OBJ = re.compile(r"^Objective value:\s+(\S+)", re.M)
_CBC_BOUND = re.compile(r"^(?:Lower|Upper) bound:\s+(\S+)", re.M)


def _cbc_path() -> str | None:
    """The CBC binary PuLP finds (:func:`selector.portfolio.pulp_compat.cbc_path`)."""
    return pulp_compat.cbc_path()


def _die_with_parent() -> None:  # pragma: no cover - runs in the forked child
    """In the CBC child before exec: get SIGKILL when the parent dies (Linux), so a
    killed solve does not leave CBC running until its own time limit."""
    if _PRCTL is not None:
        _PRCTL(1, 9)  # PR_SET_PDEATHSIG, SIGKILL


def _load_prctl() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # pragma: no cover - a libc without prctl
        return None


_PRCTL = _load_prctl()


class _CbcPopen(subprocess.Popen):  # type: ignore[type-arg]
    """PuLP's ``subprocess.Popen`` for CBC: the child dies with its parent, and a wait
    left by an exception (Ctrl-C, SIGTERM turned into one) kills the child first."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if _PRCTL is not None:
            kwargs.setdefault("preexec_fn", _die_with_parent)
        super().__init__(*args, **kwargs)

    def wait(self, timeout: float | None = None) -> int:
        try:
            return super().wait(timeout)
        except BaseException:
            if self.returncode is None:
                self.kill()
                super().wait()
            raise


class _SubprocessForCbc:
    """Stands for the ``subprocess`` module inside PuLP's CBC adapter."""

    Popen = _CbcPopen

    def __getattr__(self, name: str) -> Any:
        return getattr(subprocess, name)


def _patch_pulp_subprocess() -> None:
    coin_api: Any = pulp_compat.cbc_command_module()
    if getattr(coin_api, "subprocess", None) is subprocess:
        coin_api.subprocess = _SubprocessForCbc()


def _solve_cbc(
    model: MipModel,
    *,
    time_limit: float,
    gap: float,
    seed: int,
    start: np.ndarray | None,
    threads: int | None,
    node_limit: int | None = None,
) -> _Solved:
    import pulp

    _patch_pulp_subprocess()
    prob, variables = to_pulp(model)
    if start is not None:
        for var, value in zip(variables, np.clip(start, 0.0, 1.0), strict=True):
            var.setInitialValue(float(round(value)) if var.cat != pulp.LpContinuous else float(value))
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "cbc.log"
        solver = pulp.COIN_CMD(
            path=_cbc_path(),
            msg=False,
            timeLimit=float(time_limit) if math.isfinite(time_limit) else None,
            gapRel=float(gap),
            warmStart=start is not None,
            threads=threads,
            logPath=str(log),
            options=[f"randomCbcSeed {max(1, int(seed) % 2_147_483_647)}"]
            + ([] if node_limit is None else [f"maxNodes {int(node_limit)}"]),
        )
        # PuLP's model, start and solution files go in this folder, removed on the way
        # out however the solve ends (not left in /tmp by an interrupted one).
        solver.tmpDir = tmp
        try:
            stats = prob.solve(solver)
        except pulp.PulpSolverError as exc:
            raise SolverError(f"CBC failed: {exc}") from None
        text = log.read_text(errors="replace") if log.exists() else ""
    result = _CBC_RESULT.search(text)
    state_text = result.group(1).strip().lower() if result else ""
    sol_status = pulp_compat.solution_status(prob, stats)
    values = np.array([v.varValue if v.varValue is not None else 0.0 for v in variables[: model.n_x]])
    x = values > 0.5
    obj_m = _CBC_OBJ.search(text)
    obj = float(obj_m.group(1)) if obj_m else None
    bound_m = _CBC_BOUND.search(text)
    bound = float(bound_m.group(1)) if bound_m else None
    if "infeasible" in state_text or pulp_compat.problem_status(prob, stats) == pulp_compat.STATUS_INFEASIBLE:
        return _Solved("infeasible", None, None, None)
    if "optimal" in state_text and sol_status == 1:
        return _Solved("optimal", x, obj, obj if bound is None else bound)
    if sol_status in (1, 2) or ("stopped" in state_text and sol_status != 0):
        return _Solved("time_limit", x, obj, bound)
    if sol_status == 0 or "stopped" in state_text:
        # PuLP reports the LP relaxation's value here: it is not a portfolio.
        return _Solved("no_solution", None, None, bound)
    return _Solved("error", None, None, None, f"CBC ended with '{state_text or 'no result line'}'")


def _solve_unconstrained(
    model: MipModel,
    *,
    time_limit: float,
    gap: float,
    seed: int,
    start: np.ndarray | None,
    threads: int | None,
    node_limit: int | None = None,
) -> _Solved:
    """A model without constraint rows: every column at its best bound (exact)."""
    del time_limit, gap, seed, start, threads, node_limit
    better = model.c > 0 if model.sense == "max" else model.c < 0
    v = np.where(better, model.col_hi, model.col_lo)
    obj = float(model.c @ v)
    return _Solved("optimal", v[: model.n_x] > 0.5, obj, obj)

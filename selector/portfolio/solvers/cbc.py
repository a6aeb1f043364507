"""The CBC adapter, through PuLP: the matrix model as a PuLP problem (:func:`to_pulp`,
also the readable model's builder), CBC run by PuLP's ``COIN_CMD`` in a child process
that dies with its parent, and its log read for the result line and the bound."""

from __future__ import annotations

import math
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from selector.errors import SolverError
from selector.portfolio import pulp_compat
from selector.portfolio.model import MipModel
from selector.portfolio.solvers.base import Solved, SolveProgress, SolverState

__all__ = ["RESULT", "cbc_path", "solve_cbc", "to_pulp"]

#: Words of CBC's "Result - ..." line -> the state they mean, looked for in this order;
#: read together with PuLP's solution status (1 a proven optimum, 2 a portfolio
#: stopped by a limit, 0 none: then PuLP's objective is the LP relaxation's).
RESULT: dict[str, SolverState] = {"infeasible": "infeasible", "optimal": "optimal", "stopped": "time_limit"}


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


def cbc_path() -> str:
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


def solve_cbc(
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
    """Solve ``model`` by CBC through PuLP (:class:`~.base.SolverAdapter`; ``presolve``,
    ``restart`` and ``progress`` are HiGHS's and not used here)."""
    del progress, presolve, restart
    import pulp

    _patch_pulp_subprocess()
    prob, variables = to_pulp(model)
    if start is not None:
        for var, value in zip(variables, np.clip(start, 0.0, 1.0), strict=True):
            var.setInitialValue(float(round(value)) if var.cat != pulp.LpContinuous else float(value))
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "cbc.log"
        solver = pulp.COIN_CMD(
            path=cbc_path(),
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
    said = result.group(1).strip().lower() if result else ""
    sol_status = pulp_compat.solution_status(prob, stats)
    values = np.array([v.varValue if v.varValue is not None else 0.0 for v in variables[: model.n_x]])
    x = values > 0.5
    obj_m = _CBC_OBJ.search(text)
    obj = float(obj_m.group(1)) if obj_m else None
    bound_m = _CBC_BOUND.search(text)
    bound = float(bound_m.group(1)) if bound_m else None
    state = next((s for word, s in RESULT.items() if word in said), None)
    if state == "infeasible" or pulp_compat.problem_status(prob, stats) == pulp_compat.STATUS_INFEASIBLE:
        return Solved("infeasible", None, None, None)
    if state == "optimal" and sol_status == 1:
        return Solved("optimal", x, obj, obj if bound is None else bound)
    if sol_status in (1, 2) or (state == "time_limit" and sol_status != 0):
        return Solved("time_limit", x, obj, bound)
    if sol_status == 0 or state == "time_limit":
        return Solved("no_solution", None, None, bound)
    return Solved("error", None, None, None, f"CBC ended with '{said or 'no result line'}'")

"""PuLP 3.3 and PuLP 4 behind a few small functions, so the rest of the package does not
ask which one is installed.

pyproject.toml gives Python 3.11 PuLP 3.3 and Python 3.12 and later PuLP 4, a rewrite
around a compiled core (4.0.0a12 is the newest that installs on Python 3.11; Python 3.12
gets 4.2). What the portfolio code needs and differs between them:

- an affine expression with a constant: PuLP 3.3 builds it with the constructor
  (``LpAffineExpression(pairs, constant=c)``), PuLP 4 with ``LpAffineExpression.from_list``
  (its constructor takes only the compiled core's object);
- the CBC binary: PuLP 3.3 bundles one (the path ``PULP_CBC_CMD`` uses), PuLP 4 takes it
  from the ``cbcbox`` package (``pulp[cbc]``), which ``COIN_CMD`` finds by itself whether
  or not the venv is on the PATH;
- the module in which ``COIN_CMD`` starts CBC (``pulp.apis.coin_api`` in 3.3,
  ``pulp.apis.coin`` in 4);
- reading an MPS file back: ``LpProblem.fromMPS`` ignores the file's OBJSENSE section in
  both, and PuLP 4.0.0a12 also flips the sign of every objective coefficient when told to
  maximise, so a maximisation written with OBJSENSE comes back as its negative
  (:func:`read_mps` reads the file the same way under both);
- the outcome of a solve: up to PuLP 4.0 it is left on the problem (``prob.status``,
  ``prob.sol_status``, numbered as ``pulp.LpStatus*`` and ``pulp.LpSolution*``); from
  PuLP 4.1 ``prob.solve()`` returns an ``LpSolveStats`` (``status``, an
  ``LpSolveStatus``, and ``has_solution``) and those names are gone.
  :func:`problem_status` and :func:`solution_status` read either, given what
  ``prob.solve()`` returned, and answer in PuLP 3's numbering (the constants below).

Each is told apart by what PuLP offers (a method, a class attribute, the solver class's
own module, the type of what ``solve`` returned), not by its version number.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from types import ModuleType
from typing import Any

from selector.errors import SolverError

__all__ = [
    "MSG_NO_CBC",
    "SOLUTION_FEASIBLE",
    "SOLUTION_INFEASIBLE",
    "SOLUTION_NONE",
    "SOLUTION_OPTIMAL",
    "SOLUTION_UNBOUNDED",
    "STATUS_INFEASIBLE",
    "STATUS_NOT_SOLVED",
    "STATUS_OPTIMAL",
    "STATUS_UNBOUNDED",
    "STATUS_UNDEFINED",
    "affine_expression",
    "cbc_command_module",
    "cbc_path",
    "problem_status",
    "read_mps",
    "solution_status",
    "status_text",
]

MSG_NO_CBC = "CBC is not installed: pip install 'pulp[cbc]' or use solver='highs'"

# PuLP's status of a problem (pulp.LpStatus* up to PuLP 4.0) ...
STATUS_NOT_SOLVED = 0
STATUS_OPTIMAL = 1
STATUS_INFEASIBLE = -1
STATUS_UNBOUNDED = -2
STATUS_UNDEFINED = -3
# ... and the solver's status of its solution (pulp.LpSolution* up to PuLP 4.0).
SOLUTION_NONE = 0
SOLUTION_OPTIMAL = 1
SOLUTION_FEASIBLE = 2  # a solution, but the solver stopped early (a limit)
SOLUTION_INFEASIBLE = -1
SOLUTION_UNBOUNDED = -2

_STATUS_TEXT = {
    STATUS_NOT_SOLVED: "Not Solved",
    STATUS_OPTIMAL: "Optimal",
    STATUS_INFEASIBLE: "Infeasible",
    STATUS_UNBOUNDED: "Unbounded",
    STATUS_UNDEFINED: "Undefined",
}

# PuLP 4.1+'s LpSolveStatus, by name, as (status, solution status with a solution,
# solution status without one), the way PuLP 3 reported the same stop of CBC: a stop at
# a limit with a solution was "Optimal" with solution status 2; CBC's "Optimal (within
# gap tolerance)", which PuLP 4.1+ calls GapLimit, was optimal.
_SOLVE_STATUS = {
    "NotSolved": (STATUS_NOT_SOLVED, SOLUTION_NONE, SOLUTION_NONE),
    "Optimal": (STATUS_OPTIMAL, SOLUTION_OPTIMAL, SOLUTION_NONE),
    "GapLimit": (STATUS_OPTIMAL, SOLUTION_OPTIMAL, SOLUTION_NONE),
    "Infeasible": (STATUS_INFEASIBLE, SOLUTION_INFEASIBLE, SOLUTION_INFEASIBLE),
    "Unbounded": (STATUS_UNBOUNDED, SOLUTION_UNBOUNDED, SOLUTION_UNBOUNDED),
    "Undefined": (STATUS_UNDEFINED, SOLUTION_NONE, SOLUTION_NONE),
    "NumericalError": (STATUS_UNDEFINED, SOLUTION_NONE, SOLUTION_NONE),
}
# Every other LpSolveStatus (TimeLimit, NodeLimit, Interrupted, Stopped, ...) is a stop
# at a limit.
_STOPPED = (STATUS_OPTIMAL, SOLUTION_FEASIBLE, SOLUTION_NONE)


def affine_expression(terms: Iterable[tuple[Any, float]], constant: float = 0.0) -> Any:
    """``sum(coef * var) + constant`` as a ``pulp.LpAffineExpression``.

    Parameters
    ----------
    terms
        ``(variable, coefficient)`` pairs; a variable appears at most once.
    constant
        The expression's constant (an objective's offset).

    Examples
    --------
    >>> import pulp
    >>> prob = pulp.LpProblem("p", pulp.LpMinimize)
    >>> x = prob.add_variable("x", lowBound=0, upBound=1)
    >>> e = affine_expression([(x, 2.0)], constant=3.0)
    >>> e.constant, e[x]
    (3.0, 2.0)
    """
    import pulp

    pairs = list(terms)
    from_list = getattr(pulp.LpAffineExpression, "from_list", None)
    if from_list is not None:  # PuLP 4
        return from_list(pairs, constant=float(constant))
    return pulp.LpAffineExpression(pairs, constant=float(constant))


def cbc_path() -> str:
    """The CBC binary PuLP runs: PuLP 3.3's bundled one, else the one ``COIN_CMD`` finds
    (PuLP 4: the ``cbcbox`` package's, installed by ``pulp[cbc]``; else ``cbc`` on the
    PATH).

    Raises
    ------
    SolverError
        When PuLP finds no CBC (:data:`MSG_NO_CBC`).
    """
    import pulp

    # Read from the class: making a PULP_CBC_CMD warns (deprecated in PuLP 3.3).
    bundled = getattr(getattr(pulp, "PULP_CBC_CMD", None), "pulp_cbc_path", None)
    if bundled and os.path.exists(bundled):
        return str(bundled)
    found = pulp.COIN_CMD(msg=False).available()
    if not found:
        raise SolverError(MSG_NO_CBC)
    return str(found)


def cbc_command_module() -> ModuleType | None:
    """The module in which PuLP's ``COIN_CMD`` starts CBC (its ``subprocess`` is looked up
    there), or None when it is not loaded."""
    import pulp

    return sys.modules.get(pulp.COIN_CMD.__module__)


def _from_stats(stats: Any) -> tuple[int, int] | None:
    """(status, solution status) from PuLP 4.1+'s ``LpSolveStats``; None for anything
    else (what ``solve`` returned up to PuLP 4.0 is the status number)."""
    has_solution = getattr(stats, "has_solution", None)
    if not isinstance(has_solution, bool):
        return None
    name = getattr(getattr(stats, "status", None), "name", None)
    status, with_solution, without = _SOLVE_STATUS.get(str(name), _STOPPED)
    if status == STATUS_OPTIMAL and not has_solution:
        status = STATUS_NOT_SOLVED
    return status, with_solution if has_solution else without


def problem_status(prob: Any, stats: Any = None) -> int:
    """PuLP's status of a solved problem (``STATUS_*``: 1 optimal, 0 not solved, -1
    infeasible, -2 unbounded, -3 undefined).

    Parameters
    ----------
    prob
        The problem (up to PuLP 4.0 the status is its ``status``; 0 when it has none).
    stats
        What ``prob.solve()`` returned (from PuLP 4.1 the status is there).

    Like PuLP 3's, this says optimal after a time limit too: read
    :func:`solution_status` for what the solver found.
    """
    found = _from_stats(stats)
    if found is not None:
        return found[0]
    return int(getattr(prob, "status", 0) or 0)


def solution_status(prob: Any, stats: Any = None) -> int:
    """The solver's own status of its solution (``SOLUTION_*``: 1 optimal, 2 a solution
    found but stopped early, 0 none, -1 infeasible, -2 unbounded).

    Parameters
    ----------
    prob
        The problem (up to PuLP 4.0 the status is its ``sol_status``; 0 when it has
        none).
    stats
        What ``prob.solve()`` returned (from PuLP 4.1 the status is there).

    An infeasible MIP can read 0 here under PuLP 4.0.0a12 with the newest ``cbcbox``
    (2.935; PuLP 4.2 caps it below 2.931): its CBC reports "Integer infeasible", which
    PuLP 4.0 maps to status -1 (see :func:`problem_status`) but solution status 0. Test
    infeasibility on both.
    """
    found = _from_stats(stats)
    if found is not None:
        return found[1]
    return int(getattr(prob, "sol_status", 0) or 0)


def status_text(status: int) -> str:
    """PuLP's word for a :func:`problem_status` (``"Optimal"``, ``"Not Solved"``, ...)."""
    return _STATUS_TEXT.get(status, str(status))


def read_mps(path: str) -> tuple[dict[str, Any], Any]:
    """An MPS file as a PuLP problem, with the objective sense of the file's OBJSENSE
    section (a minimisation without one).

    Returns
    -------
    (variables, problem)
        A dict from variable name to variable, and the ``pulp.LpProblem``.

    Notes
    -----
    The file is read as a minimisation, which keeps its objective coefficients as
    written under PuLP 3.3 and PuLP 4, and the sense is set afterwards: neither reads
    OBJSENSE, and PuLP 4.0.0a12 negates the objective when ``fromMPS`` is given
    ``sense=LpMaximize``.
    """
    import pulp

    variables, prob = pulp.LpProblem.fromMPS(path, sense=pulp.LpMinimize)
    if _mps_maximises(path):
        prob.sense = pulp.LpMaximize
    return variables, prob


def _mps_maximises(path: str) -> bool:
    """Whether the MPS file's OBJSENSE section (before ROWS) says MAX or MAXIMIZE."""
    in_objsense = False
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            words = line.split()
            if not words or words[0].startswith("*"):
                continue
            head = words[0].upper()
            if head == "ROWS":
                break
            if head == "OBJSENSE":
                if len(words) > 1:
                    return words[1].upper().startswith("MAX")
                in_objsense = True
            elif in_objsense:
                return head.startswith("MAX")
    return False

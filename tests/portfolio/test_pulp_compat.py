"""Tests for selector/portfolio/pulp_compat.py: the same answers under PuLP 3.3 and PuLP 4
(CI runs this file under both)."""

from __future__ import annotations

import enum
import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pulp
import pytest
import scipy.sparse as sp

from selector.errors import SolverError
from selector.portfolio import pulp_compat as pc
from selector.portfolio import to_pulp
from selector.portfolio.model import MipModel
from selector.portfolio.pulp_compat import (
    MSG_NO_CBC,
    affine_expression,
    cbc_command_module,
    cbc_path,
    problem_status,
    read_mps,
    solution_status,
    status_text,
)


def _cbc() -> Any:
    return pulp.COIN_CMD(path=cbc_path(), msg=False)


def _small(sense: int) -> tuple[Any, Any, Any]:
    """max (or min) 3x + y + 2 with x + y <= 5, x >= 1, x, y in [0, 4], x integer."""
    prob = pulp.LpProblem("small", sense)
    x = prob.add_variable("x", lowBound=0, upBound=4, cat=pulp.LpInteger)
    y = prob.add_variable("y", lowBound=0, upBound=4, cat=pulp.LpContinuous)
    prob += affine_expression([(x, 3.0), (y, 1.0)], constant=2.0)
    prob += affine_expression([(x, 1.0), (y, 1.0)]) <= 5, "cap"
    prob += affine_expression([(x, 1.0)]) >= 1, "least"
    return prob, x, y


# --- affine expressions ------------------------------------------------------------


def test_affine_expression_keeps_terms_and_constant() -> None:
    _prob, x, y = _small(pulp.LpMaximize)
    e = affine_expression([(x, 2.0), (y, -0.5)], constant=7.25)
    assert e.constant == 7.25
    assert e[x] == 2.0 and e[y] == -0.5
    assert {v.name for v in e} == {"x", "y"}
    assert affine_expression([]).constant == 0.0


def test_objective_constant_counts_in_the_solved_value() -> None:
    prob, x, y = _small(pulp.LpMaximize)
    stats = prob.solve(_cbc())
    assert solution_status(prob, stats) == pc.SOLUTION_OPTIMAL
    assert (x.varValue, y.varValue) == (pytest.approx(4.0), pytest.approx(1.0))
    assert pulp.value(prob.objective) == pytest.approx(3 * 4 + 1 + 2)
    prob, x, y = _small(pulp.LpMinimize)
    prob.solve(_cbc())
    assert pulp.value(prob.objective) == pytest.approx(3 * 1 + 0 + 2)


def test_to_pulp_carries_the_objective_constant() -> None:
    model = MipModel(
        sense="min",
        c=np.array([4.0, 6.0]),
        A=sp.csr_matrix(np.array([[1.0, 1.0]])),
        row_lo=np.array([1.0]),
        row_hi=np.array([np.inf]),
        col_lo=np.zeros(2),
        col_hi=np.ones(2),
        n_x=2,
        row_group=np.zeros(1, dtype=int),
        aux_row=np.zeros(0, dtype=int),
        aux_partner=np.zeros(0, dtype=int),
    )
    prob, variables = to_pulp(model, constant=10.0)
    assert prob.objective.constant == 10.0
    assert [prob.objective[v] for v in variables] == [4.0, 6.0]
    stats = prob.solve(_cbc())
    assert solution_status(prob, stats) == pc.SOLUTION_OPTIMAL
    assert pulp.value(prob.objective) == pytest.approx(14.0)


# --- CBC ---------------------------------------------------------------------------


def test_cbc_is_found_without_the_path(monkeypatch: pytest.MonkeyPatch) -> None:
    # As when a venv's python runs without the venv being activated.
    monkeypatch.setenv("PATH", "")
    path = cbc_path()
    assert os.path.isfile(path) and os.access(path, os.X_OK)
    assert pulp.COIN_CMD(path=path, msg=False).available()


def test_no_cbc_is_a_solver_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(pulp, "PULP_CBC_CMD", raising=False)
    monkeypatch.setattr(pulp.COIN_CMD, "available", lambda self: None)
    with pytest.raises(SolverError, match="CBC is not installed") as err:
        cbc_path()
    assert str(err.value) == MSG_NO_CBC


def test_cbc_command_module_is_where_coin_cmd_starts_cbc() -> None:
    module = cbc_command_module()
    assert module is not None
    assert module.COIN_CMD is pulp.COIN_CMD
    assert hasattr(module, "subprocess")


# --- statuses ----------------------------------------------------------------------


def test_statuses_of_solved_and_unsolved_problems() -> None:
    prob, x, _y = _small(pulp.LpMaximize)
    assert (problem_status(prob), solution_status(prob)) == (pc.STATUS_NOT_SOLVED, pc.SOLUTION_NONE)
    stats = prob.solve(_cbc())
    assert (problem_status(prob, stats), solution_status(prob, stats)) == (
        pc.STATUS_OPTIMAL, pc.SOLUTION_OPTIMAL)
    prob += affine_expression([(x, 1.0)]) >= 5, "too_much"
    stats = prob.solve(_cbc())
    assert problem_status(prob, stats) == pc.STATUS_INFEASIBLE
    # CBC 2.10 (bundled with PuLP 3.3) says "Infeasible"; the CBC of cbcbox 2.935 says
    # "Integer infeasible", which PuLP 4.0 reads as no solution found.
    assert solution_status(prob, stats) in (pc.SOLUTION_INFEASIBLE, pc.SOLUTION_NONE)
    assert status_text(problem_status(prob, stats)) == "Infeasible"


def test_statuses_of_objects_without_them() -> None:
    assert problem_status(SimpleNamespace()) == 0
    assert solution_status(SimpleNamespace(sol_status=None)) == 0
    assert solution_status(SimpleNamespace(sol_status=2)) == 2
    # Up to PuLP 4.0 solve() returns the status number: the problem's own is read.
    assert solution_status(SimpleNamespace(sol_status=2), 1) == 2


class _SolveStatus(enum.IntEnum):
    """Stands for PuLP 4.1+'s LpSolveStatus (read by name)."""

    NotSolved = 0
    Optimal = 1
    Infeasible = -1
    Unbounded = -2
    Undefined = -3
    TimeLimit = -4
    NodeLimit = -6
    GapLimit = -7
    Interrupted = -10
    Stopped = -11
    NumericalError = -12


@pytest.mark.parametrize(
    "name, has_solution, status, solution",
    [
        ("Optimal", True, pc.STATUS_OPTIMAL, pc.SOLUTION_OPTIMAL),
        # CBC's "Optimal (within gap tolerance)": optimal, as PuLP 3 read it.
        ("GapLimit", True, pc.STATUS_OPTIMAL, pc.SOLUTION_OPTIMAL),
        # A limit with a solution: "Optimal" by PuLP's status, 2 by the solution's.
        ("TimeLimit", True, pc.STATUS_OPTIMAL, pc.SOLUTION_FEASIBLE),
        ("NodeLimit", True, pc.STATUS_OPTIMAL, pc.SOLUTION_FEASIBLE),
        ("Interrupted", True, pc.STATUS_OPTIMAL, pc.SOLUTION_FEASIBLE),
        ("Stopped", True, pc.STATUS_OPTIMAL, pc.SOLUTION_FEASIBLE),
        ("TimeLimit", False, pc.STATUS_NOT_SOLVED, pc.SOLUTION_NONE),
        ("Infeasible", False, pc.STATUS_INFEASIBLE, pc.SOLUTION_INFEASIBLE),
        ("Unbounded", False, pc.STATUS_UNBOUNDED, pc.SOLUTION_UNBOUNDED),
        ("Undefined", False, pc.STATUS_UNDEFINED, pc.SOLUTION_NONE),
        ("NumericalError", False, pc.STATUS_UNDEFINED, pc.SOLUTION_NONE),
        ("NotSolved", False, pc.STATUS_NOT_SOLVED, pc.SOLUTION_NONE),
    ],
)
def test_statuses_from_solve_stats(name: str, has_solution: bool, status: int, solution: int) -> None:
    stats = SimpleNamespace(status=_SolveStatus[name], has_solution=has_solution)
    # The problem of PuLP 4.1+ has no status of its own; one left here is not read.
    prob = SimpleNamespace(status=99, sol_status=99)
    assert (problem_status(prob, stats), solution_status(prob, stats)) == (status, solution)


def test_status_text_is_pulps_word() -> None:
    assert [status_text(s) for s in (1, 0, -1, -2, -3)] == [
        "Optimal", "Not Solved", "Infeasible", "Unbounded", "Undefined"]
    assert status_text(7) == "7"


# --- MPS files ---------------------------------------------------------------------


@pytest.mark.parametrize("sense", [pulp.LpMaximize, pulp.LpMinimize])
def test_mps_written_by_pulp_reads_back_with_its_sense(sense: int, tmp_path: Path) -> None:
    prob, _x, _y = _small(sense)
    prob.solve(_cbc())
    expected = pulp.value(prob.objective)
    path = tmp_path / "small.mps"
    prob.writeMPS(str(path), with_objsense=True)
    variables, back = read_mps(str(path))
    assert back.sense == sense
    assert set(variables) == {"x", "y"}
    stats = back.solve(_cbc())
    assert solution_status(back, stats) == pc.SOLUTION_OPTIMAL
    # The file has no objective constant (MPS writers leave it out or put it in RHS);
    # compare the variable part.
    assert pulp.value(back.objective) - back.objective.constant == pytest.approx(expected - 2.0)


@pytest.mark.parametrize(
    "header, maximises",
    [
        ("OBJSENSE\n    MAX\n", True),
        ("OBJSENSE\n    MAXIMIZE\n", True),
        ("OBJSENSE MAX\n", True),
        ("OBJSENSE\n    MIN\n", False),
        ("* a comment\n", False),
        ("", False),
    ],
)
def test_read_mps_takes_the_sense_from_the_file(header: str, maximises: bool, tmp_path: Path) -> None:
    path = tmp_path / "tiny.mps"
    path.write_text(
        "NAME          tiny\n" + header
        + "ROWS\n N  OBJ\n L  c1\nCOLUMNS\n    x         OBJ       3\n    x         c1        1\n"
        "RHS\n    RHS       c1        4\nBOUNDS\n UP BND       x         10\nENDATA\n"
    )
    _variables, prob = read_mps(str(path))
    assert prob.sense == (pulp.LpMaximize if maximises else pulp.LpMinimize)
    prob.solve(_cbc())
    assert pulp.value(prob.objective) == pytest.approx(12.0 if maximises else 0.0)

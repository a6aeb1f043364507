"""Solver adapters: the matrix model to HiGHS (``highspy``) or to CBC through PuLP.

Each adapter is one module behind one call (:class:`~.base.SolverAdapter`): a
:class:`~selector.portfolio.model.MipModel`, a time limit, a gap, a seed and an optional
start vector in, a :class:`~.base.Solved` out (a state from
:data:`~.base.SolverState`, the selection, objective and bound), each mapping its
solver's statuses by a table (``highs.STATUS``, ``cbc.RESULT``). Adapters are found by
name through :data:`ADAPTERS` (:func:`adapter`), nowhere else.
"""

from __future__ import annotations

from selector.errors import ScenarioError
from selector.portfolio.solvers.base import (
    Solved,
    SolveProgress,
    SolverAdapter,
    SolverState,
    solve_without_rows,
)
from selector.portfolio.solvers.cbc import solve_cbc, to_pulp
from selector.portfolio.solvers.highs import solve_highs

__all__ = [
    "ADAPTERS",
    "SOLVERS",
    "SolveProgress",
    "Solved",
    "SolverAdapter",
    "SolverState",
    "adapter",
    "solve_without_rows",
    "to_pulp",
]

#: The solvers by the name a scenario's ``[solve] solver`` or ``solve(solver=...)`` gives
#: (a test may stand a simulated solver in for one with ``monkeypatch.setitem``).
ADAPTERS: dict[str, SolverAdapter] = {"highs": solve_highs, "cbc": solve_cbc}
SOLVERS: tuple[str, ...] = tuple(ADAPTERS)


def adapter(name: str) -> SolverAdapter:
    """The adapter of solver ``name`` (``"highs"`` or ``"cbc"``)."""
    try:
        return ADAPTERS[name]
    except KeyError:
        raise ScenarioError(f"solver {name!r} is not known; accepted: {', '.join(SOLVERS)}") from None

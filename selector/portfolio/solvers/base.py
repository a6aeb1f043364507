"""What every solver adapter shares: the answer (:class:`Solved`), its states, live
progress (:class:`SolveProgress`), the adapter protocol and the closed-form answer of a
model without rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

from selector.portfolio.model import MipModel

__all__ = ["SolveProgress", "Solved", "SolverAdapter", "SolverState", "solve_without_rows"]

#: What a solver adapter says of its run: ``no_solution`` is stopped by a limit before
#: finding any portfolio (a bound may still be known).
SolverState = Literal["optimal", "time_limit", "infeasible", "no_solution", "error"]


@dataclass(frozen=True)
class SolveProgress:
    """Where a running MIP solve stands: seconds so far, the best objective found
    (``None`` before the first portfolio), the proven bound and the relative gap."""

    seconds: float
    incumbent: float | None
    bound: float | None
    gap: float | None


@dataclass(frozen=True)
class Solved:
    """A solver adapter's answer: its state, the selection (the model's first ``n_x``
    columns), the objective the solver gave and the bound it proved (both in the model's
    own terms: an offset a reduction introduced is the caller's to add back)."""

    state: SolverState
    x: np.ndarray | None
    objective: float | None
    bound: float | None
    message: str = ""


class SolverAdapter(Protocol):
    """One solver behind one call: the matrix model, limits and an optional start
    vector (every column) in; a :class:`Solved` out."""

    def __call__(
        self,
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
    ) -> Solved: ...


def solve_without_rows(model: MipModel) -> Solved:
    """A model without constraint rows: every column at its best bound (exact)."""
    better = model.c > 0 if model.sense == "max" else model.c < 0
    v = np.where(better, model.col_hi, model.col_lo)
    obj = float(model.c @ v)
    return Solved("optimal", v[: model.n_x] > 0.5, obj, obj)

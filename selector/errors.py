"""The one exception root of selector and its few meaningful subclasses.

Every message names where the problem is (file, row, column or item), what was
found, and what would be accepted, so that a user can fix the input without
reading a traceback.
"""

from __future__ import annotations

__all__ = [
    "InfeasibleError",
    "JudgmentError",
    "ModelJudgmentError",
    "ScenarioError",
    "SelectorError",
    "SolverError",
]


class SelectorError(Exception):
    """Root of every error selector raises on purpose."""


class ScenarioError(SelectorError, ValueError):
    """A scenario, criteria model or data table is malformed.

    Attributes
    ----------
    file, row, column
        Where the problem is, when known (``row`` counts data rows from 1, as a
        spreadsheet user sees them below the header).
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.file = file
        self.row = row
        self.column = column
        self.detail = message
        where = []
        if file is not None:
            where.append(str(file))
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column '{column}'")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class JudgmentError(SelectorError, ValueError):
    """Pairwise judgments that cannot be turned into weights."""


class ModelJudgmentError(ScenarioError, JudgmentError):
    """Judgments of a criteria model that cannot be turned into weights: a
    :class:`JudgmentError` that also names the model file and the judgments entry."""


class InfeasibleError(SelectorError):
    """A request that no portfolio can satisfy, raised only where a caller asked for it.

    Solving never raises this: an infeasible portfolio model is a status on the result.
    """


class SolverError(SelectorError, RuntimeError):
    """The solver itself failed (not: the model was infeasible)."""

"""What one solve hands the next solve of a what-if: the last plan (its columns) as a
start and the Benders cuts the cut loop added, for a session
(:class:`selector.whatif.session.Session`) that answers what-ifs one after another.

A :class:`Carry` is the one mutable object a solve accepts (``solve(..., carry=...)``):
the session that owns it uses it from one thread at a time (behind its lock). Nothing
in it changes what a solve proves: a start is used only when it keeps every rule of the
new scenario (after a repair otherwise), and a cut is carried only to a master whose
row value functions are exactly those it was made for (a cut of the coverage objective
is valid for any selection, whatever the budget and the partner-side rules).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = ["MAX_CUT_ROWS", "Answer", "Carry", "CutBatch", "array_key", "layout_key"]

#: Most cut rows a carry keeps per objective; past it, the oldest batches go first (a
#: master with every cut of many what-ifs would slow each LP more than it saves).
MAX_CUT_ROWS = 4_000


def array_key(*arrays: Any) -> str:
    """A digest of ``arrays`` (their dtype, shape and bytes): equal keys, equal arrays."""
    digest = hashlib.blake2b(digest_size=16)
    for a in arrays:
        arr = np.ascontiguousarray(np.asarray(a))
        digest.update(f"{arr.dtype.str}{arr.shape}".encode())
        digest.update(arr.tobytes())
    return digest.hexdigest()


def layout_key(partner_ids: np.ndarray, option_level: np.ndarray | None) -> str:
    """The key of an instance's columns: its partner per column and level per column."""
    levels = np.zeros(0, dtype=np.int64) if option_level is None else option_level
    return array_key(np.asarray(partner_ids).astype(str), levels)


@dataclass(frozen=True)
class CutBatch:
    """Cuts ``theta_s + m @ x <= rhs`` of kept rows ``rows`` (positions in the row value
    functions they were made for), as :class:`selector.portfolio.cut_master.CutMaster`
    adds them."""

    rows: np.ndarray
    m: sp.csr_matrix
    rhs: np.ndarray


@dataclass(frozen=True)
class Answer:
    """A solve's answer in its instance's terms: the plan's columns (None: none), its
    value, the proved bound, the status and the explanation, with the route taken."""

    status: str
    x: np.ndarray | None
    objective: float | None
    bound: float | None
    explanation: tuple[str, ...]
    route: dict[str, Any] | None


@dataclass
class Carry:
    """The last plan and the cut pool, carried from one solve of a session to the next.

    ``columns`` keys the instance's column layout (partners and levels): a start is
    offered only to an instance with the same columns. ``cuts`` holds the cut batches
    per objective key (:func:`array_key` of the row value functions). ``bound``, set by
    the session for one solve, is a bound on that solve's objective proved elsewhere
    (its budget frontier, :mod:`selector.whatif.budget_hull`): the search stops once it
    is within the gap of it.
    """

    columns: str | None = None
    x: np.ndarray | None = None
    cuts: dict[str, list[CutBatch]] = field(default_factory=dict)
    last: Answer | None = None
    bound: float | None = None

    def start_for(self, columns: str) -> np.ndarray | None:
        """The last plan's columns when the instance keyed ``columns`` has the same ones."""
        if self.x is None or self.columns != columns:
            return None
        return self.x.copy()

    def keep_answer(self, columns: str, answer: Answer) -> None:
        """Remember a solve's answer (its plan becomes the next start)."""
        self.last = answer
        if answer.x is not None:
            self.columns, self.x = columns, np.asarray(answer.x, dtype=bool).copy()

    def cuts_for(self, objective: str) -> list[CutBatch]:
        """The cut pool of the objective keyed ``objective`` (the list itself: a cut loop
        appends the cuts it adds)."""
        pool = self.cuts.setdefault(objective, [])
        while sum(len(b.rows) for b in pool) > MAX_CUT_ROWS and len(pool) > 1:
            pool.pop(0)
        return pool

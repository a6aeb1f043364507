"""Revision advice: which judgments to change first, and to what.

For inconsistent judgments, ranks the given pairs by the inconsistency
``e_ij = a_ij w_j / w_i`` (as ``max(e, 1/e)``), suggests for each the ratio of the
derived weights snapped to Saaty's scale, and keeps a suggestion only if changing that
one judgment lowers the consistency ratio.

Source: the inconsistency matrix as in K. D. Goepel, "Implementation of an online
software tool for the AHP (AHP-OS)", *IJAHP* 10(3), 2018, 469-487, eq. 6 (after Saaty
2003).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from selector.ahp.completion import complete_and_weigh
from selector.ahp.consistency import ci_and_cr
from selector.ahp.messages import MSG_BAD_TOP
from selector.ahp.scale import SCALE_TOL, FloatArray, snap_to_scale
from selector.errors import JudgmentError

__all__ = [
    "Revision",
]


@dataclass(frozen=True)
class Revision:
    """One suggested change of a judgment, from the most inconsistent down.

    Attributes
    ----------
    row, col
        The pair, ``row`` before ``col`` in item order; the judgment reads "row is
        ``current`` times as important as col".
    current
        The judgment as given.
    suggested
        The value the derived weights imply, ``w_row / w_col``, snapped to the nearest
        value of Saaty's scale (1..9 and 1/2..1/9, in log distance) within the
        accepted judgment scale.
    disagreement
        ``max(e, 1/e)`` with ``e = a_ij * w_j / w_i``; 1 means the judgment agrees
        with the weights.
    cr_after
        The consistency ratio after changing only this judgment (recomputed,
        including the completion of any missing pairs); always below the current CR,
        since a judgment whose suggestion would not lower it is passed over.
    """

    row: str
    col: str
    current: float
    suggested: float
    disagreement: float
    cr_after: float


def check_top(top: object) -> int:
    if isinstance(top, bool) or not isinstance(top, int) or top < 0:
        raise JudgmentError(MSG_BAD_TOP.format(found=top))
    return top


def suggest_revisions(
    a: FloatArray,
    full: FloatArray,
    w: FloatArray,
    names: tuple[str, ...],
    *,
    cr: float,
    ri: float,
    method: str,
    completion: str,
    low: float,
    high: float,
    top: int,
) -> tuple[Revision, ...]:
    """Up to ``top`` revisions of the given judgments, most inconsistent first.

    ``a`` is the validated matrix (NaN = missing pair; completed pairs are never
    suggested), ``full`` its completion, ``w`` the weights derived from it with
    ``method``, and ``cr`` their consistency ratio with random index ``ri``. A
    suggestion is kept only if changing that one judgment (and completing again with
    ``completion``) lowers the CR.
    """
    n = len(names)
    missing = np.isnan(a)
    revisions: list[Revision] = []
    candidates: list[tuple[float, int, int]] = []
    for i in range(n):
        for j in range(i + 1, n):
            if not missing[i, j]:
                e = full[i, j] * w[j] / w[i]
                candidates.append((max(e, 1.0 / e), i, j))
    candidates.sort(key=lambda c: -c[0])
    for disagreement, i, j in candidates:
        if len(revisions) >= top:
            break
        current = float(full[i, j])
        suggested = snap_to_scale(float(w[i] / w[j]), low, high)
        if abs(suggested / current - 1.0) <= SCALE_TOL:
            continue
        trial = a.copy()
        trial[i, j] = suggested
        trial[j, i] = 1.0 / suggested
        _, _, lam_after = complete_and_weigh(trial, method, completion)
        cr_after = ci_and_cr(n, lam_after, ri)[1]
        if cr_after >= cr:
            continue  # advice that would not help is passed over
        revisions.append(
            Revision(
                row=names[i],
                col=names[j],
                current=current,
                suggested=suggested,
                disagreement=float(disagreement),
                cr_after=cr_after,
            )
        )
    return tuple(revisions)

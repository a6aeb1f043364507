"""Weighing one set of pairwise judgments: :func:`weigh` and its :class:`AhpResult`.

The entry point for one node of a hierarchy: checks the options, reads the judgments,
completes missing pairs, derives the priority vector, measures consistency (CI, CR, GCI)
and, when the judgments are inconsistent, suggests revisions. Nothing is rounded inside
a computation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from selector.ahp.completion import COMPLETIONS, complete_and_weigh
from selector.ahp.consistency import (
    GCI_THRESHOLDS,
    RI_TABLES,
    check_threshold,
    ci_and_cr,
    geometric_consistency_index,
    random_index,
)
from selector.ahp.judgments import Judgments, read_judgments
from selector.ahp.priorities import METHODS, geometric_weights
from selector.ahp.revisions import Revision, check_top, suggest_revisions
from selector.ahp.scale import FloatArray, check_option, check_scale, readonly_copy

__all__ = [
    "AhpResult",
    "weigh",
]


@dataclass(frozen=True, eq=False)
class AhpResult:
    """Weights derived from one set of pairwise judgments.

    Attributes
    ----------
    items
        Item names in order.
    weights
        Item -> weight, in item order, summing to 1.
    weights_array
        The same weights as a read-only array in item order.
    method
        ``"eigenvector"`` (principal right eigenvector) or ``"geometric"`` (row
        geometric mean).
    lambda_max
        Principal eigenvalue (eigenvector method) or the mean of ``(A w)_i / w_i``
        (geometric method).
    ci, cr
        Consistency index ``(lambda_max - n) / (n - 1)`` and ratio ``ci / ri``; both
        0 for n <= 2.
    ri, ri_table
        Random index used and the name of its table (see :data:`RI_TABLES`).
    threshold, consistent
        CR threshold and whether ``cr <= threshold`` (always True for n <= 2).
    gci, gci_threshold
        Geometric consistency index (Aguarón & Moreno-Jiménez 2003), computed with
        the row geometric mean weights whatever ``method`` is; its threshold for this
        n (0.31, 0.35, 0.37), None for n <= 2.
    matrix
        The completed, exactly reciprocal judgment matrix (read-only).
    completed
        Pairs ``(row, col)`` (row before col in item order) that were missing and
        filled in; empty when all pairs were given.
    completion
        How missing pairs were filled (``"harker"`` or ``"lambda_min"``), None when
        nothing was missing.
    revisions
        Suggested revisions, most inconsistent first; empty when consistent.
    """

    items: tuple[str, ...]
    weights: dict[str, float]
    weights_array: FloatArray
    method: str
    lambda_max: float
    ci: float
    cr: float
    ri: float
    ri_table: str
    threshold: float
    consistent: bool
    gci: float
    gci_threshold: float | None
    matrix: FloatArray
    completed: tuple[tuple[str, str], ...]
    completion: str | None
    revisions: tuple[Revision, ...]


def weigh_matrix(
    a: FloatArray,
    names: tuple[str, ...],
    *,
    method: str,
    ri_table: str,
    threshold: float,
    low: float,
    high: float,
    completion: str,
    top: int,
) -> AhpResult:
    """Weigh a validated matrix (NaN = missing pair) and assemble the result."""
    n = len(names)
    ri = random_index(n, table=ri_table)
    full, w, lam = complete_and_weigh(a, method, completion)
    if n <= 2:
        lam = float(n)
    ci, cr = ci_and_cr(n, lam, ri)
    consistent = n <= 2 or cr <= threshold
    missing = np.isnan(a)
    completed = tuple(
        (names[i], names[j]) for i in range(n) for j in range(i + 1, n) if missing[i, j]
    )
    revisions: tuple[Revision, ...] = ()
    if not consistent and top > 0:
        revisions = suggest_revisions(
            a,
            full,
            w,
            names,
            cr=cr,
            ri=ri,
            method=method,
            completion=completion,
            low=low,
            high=high,
            top=top,
        )
    gci_threshold = None if n < 3 else GCI_THRESHOLDS[min(n, 5)]
    return AhpResult(
        items=names,
        weights={name: float(w[k]) for k, name in enumerate(names)},
        weights_array=readonly_copy(w),
        method=method,
        lambda_max=float(lam),
        ci=float(ci),
        cr=float(cr),
        ri=float(ri),
        ri_table=ri_table,
        threshold=threshold,
        consistent=bool(consistent),
        gci=geometric_consistency_index(full, geometric_weights(full)),
        gci_threshold=gci_threshold,
        matrix=readonly_copy(full),
        completed=completed,
        completion=completion if completed else None,
        revisions=revisions,
    )


def weigh(
    judgments: Judgments,
    items: Sequence[str] | None = None,
    *,
    method: str = "eigenvector",
    ri: str = "saaty1980",
    threshold: float = 0.10,
    scale: tuple[float, float] = (1 / 9, 9),
    completion: str = "harker",
    top: int = 3,
) -> AhpResult:
    """Derive priority weights from pairwise judgments.

    Parameters
    ----------
    judgments
        Either a square matrix (numpy array or nested list; ``a[i][j]`` = how many
        times row item i is as important as column item j), or a mapping
        ``{(a, b): value}`` of named pairs, "a is ``value`` times as important as b".
        Values may be numbers or strings such as ``"1/3"``. Pairs may leave some
        comparisons out (they are completed) but must connect all items.
    items
        For a matrix: names of its rows (default ``"0"``, ``"1"``, ...). For pairs:
        the item order (default: order of first appearance); every pair must name
        items from this list.
    method
        ``"eigenvector"`` (principal right eigenvector) or ``"geometric"`` (row
        geometric mean).
    ri
        Random index table: ``"saaty1980"``, ``"saaty2005"``, ``"alonso_lamata"``,
        ``"donegan_dodd"``.
    threshold
        CR at or below which the judgments count as consistent.
    scale
        ``(low, high)``: the accepted range of given judgments.
    completion
        How missing pairs are filled: ``"harker"`` (Harker 1987) or
        ``"lambda_min"`` (the values minimizing lambda_max, Bozóki et al. 2010).
    top
        How many revisions to suggest when the judgments are inconsistent.

    Returns
    -------
    AhpResult
        Weights, consistency measures, the completed matrix and revision advice.

    Raises
    ------
    JudgmentError
        The judgments are malformed (not square, not reciprocal, not positive and
        finite, diagonal not 1, outside the scale, a pair of an item with itself, a
        pair given twice with contradicting values, an unknown item, or pairs that
        do not connect all items) or an option is unknown. The message names the
        cell or items.

    Examples
    --------
    >>> r = weigh({("price", "quality"): 3, ("price", "support"): 5,
    ...            ("quality", "support"): 2})
    >>> round(r.weights["price"], 3), r.consistent
    (0.648, True)
    """
    method_ = check_option("method", method, METHODS)
    ri_ = check_option("random index table", ri, tuple(RI_TABLES))
    completion_ = check_option("completion", completion, COMPLETIONS)
    threshold_ = check_threshold(threshold)
    low, high = check_scale(scale)
    top_ = check_top(top)
    a, names = read_judgments(judgments, items, low, high)
    return weigh_matrix(
        a,
        names,
        method=method_,
        ri_table=ri_,
        threshold=threshold_,
        low=low,
        high=high,
        completion=completion_,
        top=top_,
    )

"""Which partners chase the same business: shared segment value per partner pair.

The optimizer turns "these two share more than X" into conflict pairs, and the map
draws the same pairs as a conflict graph, so the computation lives here, below both.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from selector.errors import ScenarioError
from selector.inputs.scenario import Scenario

__all__ = ["conflict_pairs_above", "shared_pairs"]


def shared_pairs(
    scenario: Scenario, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Partner pairs (positions into ``rows``, i < j) sharing segments: counts, values."""
    C = scenario.coverage_matrix.astype(np.float64)[rows]
    value = scenario.segments["value"].to_numpy(dtype=np.float64)
    counts = sp.triu(C @ C.T, k=1).tocoo()
    weights = (C @ sp.diags(value) @ C.T).tocsr()
    w = np.asarray(weights[counts.row, counts.col]).ravel() if counts.nnz else np.zeros(0)
    return counts.row, counts.col, np.rint(counts.data).astype(np.int64), w



def conflict_pairs_above(scenario: Scenario, threshold: float) -> list[tuple[str, str]]:
    """Partner pairs whose shared segments are worth more than ``threshold``.

    Turns "these two chase more than X of the same business" into conflict pairs the
    optimizer can forbid (``constraints.conflicts``).

    Returns
    -------
    list of (str, str)
        Each pair in id order; the list sorted by shared value, largest first (ties by
        the ids).

    Examples
    --------
    >>> from selector import load_scenario
    >>> scenario = load_scenario("scenarios/teaching.toml")
    >>> conflict_pairs_above(scenario, 1_000_000)[:3]
    [('R05', 'R06'), ('D02', 'R08'), ('D02', 'R06')]
    """
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, int | float)
        or not math.isfinite(threshold)
        or threshold < 0
    ):
        raise ScenarioError(f"threshold is {threshold!r}; accepted: a number >= 0")
    rows = np.arange(len(scenario.partners))
    ids = scenario.partners.index.astype(str).to_numpy()
    i, j, _, w = shared_pairs(scenario, rows)
    keep = w > threshold
    pairs = [
        (float(x), tuple(sorted((str(ids[a]), str(ids[b])))))
        for a, b, x in zip(i[keep], j[keep], w[keep], strict=True)
    ]
    pairs.sort(key=lambda t: (-t[0], t[1]))
    return [(p[0], p[1]) for _, p in pairs]

"""Sensitivity of a ranking of alternatives to each criterion's weight.

:func:`sensitivity` moves one criterion weight at a time (the others rescaled
proportionally), so every score is linear in that weight; it finds the exact crossing
points of the score lines and reports, for each criterion, the nearest weights below and
above the current one at which the ordered top-k changes, with chart data.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from selector.ahp.messages import MSG_BAD_K, MSG_BAD_STEPS, MSG_VALUES_RANGE, format_number
from selector.ahp.scale import FloatArray, readonly_copy
from selector.ahp.synthesis import read_alternative_names, read_criterion_weights, read_values_table
from selector.errors import ScenarioError

__all__ = [
    "CriterionSensitivity",
    "SensitivityResult",
    "sensitivity",
]

_TIE_TOL = 1e-12  # scores (in [0, 1]) this close are tied in a ranking


@dataclass(frozen=True, eq=False)
class CriterionSensitivity:
    """How far one criterion's weight can move before the top-k ranking changes.

    Attributes
    ----------
    criterion, weight
        The criterion and its current weight.
    lower, upper
        The weights below / above the current one at which the ordered top-k first
        changes (exact crossing points), or None if it never changes within [0, 1].
    top_below, top_above
        The ordered top-k just beyond ``lower`` / ``upper`` (None when that bound is
        None).
    grid
        Weights from 0 to 1 (read-only), for a one-at-a-time chart.
    scores
        Scores at each grid weight, shape (len(grid), alternatives), read-only.
    """

    criterion: str
    weight: float
    lower: float | None
    upper: float | None
    top_below: tuple[str, ...] | None
    top_above: tuple[str, ...] | None
    grid: FloatArray
    scores: FloatArray


@dataclass(frozen=True, eq=False)
class SensitivityResult:
    """One-at-a-time weight sensitivity of the ranking of alternatives.

    When one criterion's weight is set to t, the other weights are rescaled
    proportionally to sum ``1 - t``, so every score is linear in t and each break
    point is the exact crossing of two score lines.

    Attributes
    ----------
    alternatives, criteria
        Row and column names.
    criterion_weights
        The current criterion weights.
    k
        Size of the ranking watched: the ordered list of the k best alternatives.
    top
        The current ordered top-k.
    scores
        Current score of each alternative.
    per_criterion
        Criterion -> :class:`CriterionSensitivity`, in criterion order.
    """

    alternatives: tuple[str, ...]
    criteria: tuple[str, ...]
    criterion_weights: dict[str, float]
    k: int
    top: tuple[str, ...]
    scores: dict[str, float]
    per_criterion: dict[str, CriterionSensitivity]

    def records(self) -> list[dict[str, str | float]]:
        """Chart data as tidy records.

        Returns
        -------
        list of dict
            One record per (criterion, grid weight, alternative) with keys
            ``criterion``, ``weight``, ``alternative`` and ``score``.
        """
        out: list[dict[str, str | float]] = []
        for name, cs in self.per_criterion.items():
            for g, t in enumerate(cs.grid):
                for a, alt in enumerate(self.alternatives):
                    out.append(
                        {
                            "criterion": name,
                            "weight": float(t),
                            "alternative": alt,
                            "score": float(cs.scores[g, a]),
                        }
                    )
        return out


def _crossings(r: FloatArray, d: FloatArray, watch: Sequence[int]) -> FloatArray:
    """Weights t in [0, 1] where the line of an alternative in ``watch`` crosses another.

    Lines whose slopes differ by at most ``_TIE_TOL`` are parallel (or the same line
    up to rounding) and never cross.
    """
    out: list[float] = []
    n = r.shape[0]
    for a in watch:
        for b in range(n):
            slope = d[a] - d[b]
            if b == a or abs(slope) <= _TIE_TOL:
                continue
            t = (r[b] - r[a]) / slope
            if 0.0 <= t <= 1.0:
                out.append(float(t))
    return np.unique(np.asarray(out, dtype=np.float64))


def _ranking(scores: FloatArray, k: int) -> tuple[int, ...]:
    """Indices of the k best scores; scores within ``_TIE_TOL`` tie, lower index first."""
    order = [int(i) for i in np.argsort(-scores, kind="stable")]
    ranked: list[int] = []
    group = [order[0]]
    for i in order[1:]:
        if scores[group[-1]] - scores[i] <= _TIE_TOL:
            group.append(i)
        else:
            ranked.extend(sorted(group))
            group = [i]
    ranked.extend(sorted(group))
    return tuple(ranked[:k])


def _first_change(
    bounds: Sequence[float], r: FloatArray, d: FloatArray, k: int, base: tuple[int, ...]
) -> tuple[float | None, tuple[int, ...] | None]:
    """Walk the intervals between consecutive ``bounds`` (outward from the current
    weight); return the bound where the top-k first differs from ``base`` and the new
    top-k, or (None, None)."""
    for near, far in itertools.pairwise(bounds):
        if abs(far - near) <= _TIE_TOL:
            continue
        ranking = _ranking(r + 0.5 * (near + far) * d, k)
        if ranking != base:
            return near, ranking
    return None, None


def sensitivity(
    global_weights: Mapping[str, float],
    values: ArrayLike,
    *,
    alternatives: Sequence[str] | None = None,
    k: int = 1,
    steps: int = 21,
) -> SensitivityResult:
    """One-at-a-time sensitivity of the top-k ranking to each criterion's weight.

    Setting criterion j's weight to t and rescaling the others proportionally
    (``w_i(t) = w_i (1 - t) / (1 - w_j)``) makes each score linear in t:
    ``s_a(t) = R_a + t (v_aj - R_a)`` with ``R_a = sum_{i != j} w_i v_ai / (1 - w_j)``.
    Break points are the exact crossings of these lines. If ``w_j = 1`` the others
    share ``1 - t`` equally.

    Parameters
    ----------
    global_weights
        Criterion -> weight (mapping order = column order of ``values``),
        non-negative, summing to 1.
    values
        Alternatives x criteria, already normalized to [0, 1].
    alternatives
        Row names (default ``"0"``, ``"1"``, ...).
    k
        Watch the ordered list of the k best alternatives. Scores within 1e-12 of each
        other tie, and ties go to the earlier row; a bound where two lines only touch
        at 0 or 1 is therefore not a change.
    steps
        Number of grid weights from 0 to 1 in the chart data.

    Returns
    -------
    SensitivityResult
        Lower and upper break weight of each criterion (None when the ranking never
        changes within [0, 1]) and chart data.

    Raises
    ------
    ScenarioError
        Weights or values malformed (shape, range, sum), names not matching, or k or
        steps not usable.
    """
    v = read_values_table(values)
    criteria, w = read_criterion_weights(global_weights, v.shape[1])
    alts = read_alternative_names(alternatives, v.shape[0])
    for i in range(v.shape[0]):
        for j in range(v.shape[1]):
            if not (math.isfinite(v[i, j]) and -1e-12 <= v[i, j] <= 1 + 1e-12):
                raise ScenarioError(
                    MSG_VALUES_RANGE.format(
                        alternative=alts[i],
                        criterion=criteria[j],
                        value=format_number(v[i, j]),
                        accepted="a number from 0 to 1 (normalized values)",
                    )
                )
    n_alt, m = v.shape
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= n_alt:
        raise ScenarioError(MSG_BAD_K.format(found=k, n=n_alt))
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 2:
        raise ScenarioError(MSG_BAD_STEPS.format(found=steps))

    base_scores = v @ w
    base = _ranking(base_scores, k)
    grid = np.linspace(0.0, 1.0, steps)
    per: dict[str, CriterionSensitivity] = {}
    for j, name in enumerate(criteria):
        wj = float(w[j])
        rest = 1.0 - wj
        others = [i for i in range(m) if i != j]
        if rest > 1e-12:
            r = (base_scores - wj * v[:, j]) / rest
        elif others:
            r = v[:, others].mean(axis=1)
        else:
            r = np.zeros(n_alt)
        d = v[:, j] - r
        points = _crossings(r, d, base)

        # The ranking is constant between consecutive crossing points: walk the
        # intervals outward from w_j (the first one included, so a tie at w_j itself is
        # caught) and stop at the first whose ranking differs from the current one.
        ups = [wj] + [float(p) for p in points if p > wj + _TIE_TOL and p < 1.0] + [1.0]
        upper, rank_above = _first_change(ups, r, d, k, base)
        downs = [wj] + [float(p) for p in points[::-1] if p < wj - _TIE_TOL and p > 0.0] + [0.0]
        lower, rank_below = _first_change(downs, r, d, k, base)
        per[name] = CriterionSensitivity(
            criterion=name,
            weight=wj,
            lower=lower,
            upper=upper,
            top_below=None if rank_below is None else tuple(alts[i] for i in rank_below),
            top_above=None if rank_above is None else tuple(alts[i] for i in rank_above),
            grid=readonly_copy(grid),
            scores=readonly_copy(r[None, :] + grid[:, None] * d[None, :]),
        )
    return SensitivityResult(
        alternatives=alts,
        criteria=criteria,
        criterion_weights={c: float(w[j]) for j, c in enumerate(criteria)},
        k=k,
        top=tuple(alts[i] for i in base),
        scores={a: float(base_scores[i]) for i, a in enumerate(alts)},
        per_criterion=per,
    )

"""Tests of selector.ahp.weight_sensitivity: break points of one-at-a-time weight sensitivity."""

from __future__ import annotations

import re
from fractions import Fraction

import numpy as np
import pytest
from ahp_cases import FAST, starts
from hypothesis import assume, given
from hypothesis import strategies as st

from selector import ahp
from selector.errors import ScenarioError


def test_sensitivity_hand_built_break_points() -> None:
    # Two criteria at 0.5 each; A scores (1, 0), B scores (0, 0.8). With criterion c1
    # at weight t: A = t, B = 0.8 (1 - t), equal at t = 0.8 / 1.8 = 4/9. Raising c1
    # only helps A, so c1 has a lower break at 4/9 and no upper one; c2 mirrors it
    # (A = 1 - t, B = 0.8 t, equal at t = 5/9).
    s = ahp.sensitivity({"c1": 0.5, "c2": 0.5}, [[1.0, 0.0], [0.0, 0.8]], alternatives=["A", "B"])
    assert s.top == ("A",)
    assert s.scores == pytest.approx({"A": 0.5, "B": 0.4})
    c1, c2 = s.per_criterion["c1"], s.per_criterion["c2"]
    assert c1.lower == pytest.approx(4 / 9, abs=1e-12) and c1.upper is None
    assert c1.top_below == ("B",) and c1.top_above is None
    assert c2.upper == pytest.approx(5 / 9, abs=1e-12) and c2.lower is None
    assert c2.top_above == ("B",)
    assert c1.grid.shape == (21,) and c1.scores.shape == (21, 2)
    assert c1.scores[10] == pytest.approx([0.5, 0.4])
    records = s.records()
    assert len(records) == 2 * 21 * 2
    assert records[0] == {"criterion": "c1", "weight": 0.0, "alternative": "A", "score": 0.0}


def test_sensitivity_three_criteria_proportional_rescaling() -> None:
    # Weights (0.2, 0.3, 0.5). With c1 at t the others become 0.3 (1-t)/0.8 and
    # 0.5 (1-t)/0.8. Values: X (1, 0, 0.5), Y (0, 1, 0.4). Scores:
    # X(t) = t + 0.3125 (1 - t),  Y(t) = 0.625 (1 - t)  -> equal at t = 0.3125/1.3125.
    values = [[1.0, 0.0, 0.5], [0.0, 1.0, 0.4]]
    s = ahp.sensitivity({"c1": 0.2, "c2": 0.3, "c3": 0.5}, values, alternatives=["X", "Y"])
    assert s.top == ("Y",)
    c1 = s.per_criterion["c1"]
    assert c1.upper == pytest.approx(0.3125 / 1.3125, abs=1e-12)
    assert c1.lower is None and c1.top_above == ("X",)


def exact_top(
    values: list[list[Fraction]], w: list[Fraction], j: int, t: float | Fraction, k: int
) -> tuple[str, ...]:
    """Oracle: top-k with criterion j at weight t, others rescaled, in exact arithmetic
    (ties broken by row order)."""
    tt = Fraction(t)
    rest = 1 - w[j]
    new = [tt if i == j else wi * (1 - tt) / rest for i, wi in enumerate(w)]
    scores = [sum(v * x for v, x in zip(row, new, strict=True)) for row in values]
    order = sorted(range(len(values)), key=lambda a: (-scores[a], a))
    return tuple(str(a) for a in order[:k])


@FAST
@given(
    data=st.data(),
    n_alt=st.integers(2, 5),
    m=st.integers(2, 4),
    k=st.integers(1, 3),
)
def test_sensitivity_break_points_are_where_the_ranking_changes(
    data: st.DataObject, n_alt: int, m: int, k: int
) -> None:
    # Values on a grid of tenths and small integer weights keep genuine score gaps far
    # above rounding, so an exact oracle can judge every reported break point.
    assume(k <= n_alt)
    tenths = st.integers(0, 10).map(lambda x: Fraction(x, 10))
    row = st.lists(tenths, min_size=m, max_size=m)
    values = data.draw(st.lists(row, min_size=n_alt, max_size=n_alt))
    raw = data.draw(st.lists(st.integers(1, 5), min_size=m, max_size=m))
    w = [Fraction(x, sum(raw)) for x in raw]
    weights = {f"c{j}": float(x) for j, x in enumerate(w)}
    s = ahp.sensitivity(weights, np.array(values, dtype=float), k=k)
    assert s.top == exact_top(values, w, 0, w[0], k)

    for j, name in enumerate(weights):
        cs = s.per_criterion[name]
        wj = float(w[j])

        def top(t: float, j: int = j) -> tuple[str, ...]:
            return exact_top(values, w, j, t, k)

        def between(a: float, b: float, count: int) -> list[float]:
            # Points strictly inside (a, b); none when the interval is a rounding sliver
            # (float weights differ from the exact ones by ~1e-17).
            return [] if b - a <= 1e-9 else [float(t) for t in np.linspace(a, b, count)[1:-1]]

        if cs.upper is not None:
            assert wj <= cs.upper < 1
            assert top(min(1.0, cs.upper + 1e-7)) == cs.top_above != s.top
            inside = between(wj, cs.upper, 7)
        else:  # no change inside (w_j, 1); at t = 1 itself lines may only tie
            inside = between(wj, 1.0, 9)
        assert all(top(t) == s.top for t in inside)
        if cs.lower is not None:
            assert 0 < cs.lower <= wj
            assert top(max(0.0, cs.lower - 1e-7)) == cs.top_below != s.top
            inside = between(cs.lower, wj, 7)
        else:
            inside = between(0.0, wj, 9)
        assert all(top(t) == s.top for t in inside)


def test_sensitivity_rejections() -> None:
    weights = {"c1": 0.5, "c2": 0.5}
    with pytest.raises(ScenarioError, match=starts(ahp.MSG_VALUES_RANGE)):
        ahp.sensitivity(weights, [[1.5, 0.0]])
    with pytest.raises(ScenarioError, match=starts(ahp.MSG_VALUES_SHAPE)):
        ahp.sensitivity(weights, [1.0, 0.0])
    with pytest.raises(ScenarioError, match=starts(ahp.MSG_BAD_K)):
        ahp.sensitivity(weights, [[1.0, 0.0]], k=2)
    with pytest.raises(ScenarioError, match=starts(ahp.MSG_BAD_STEPS)):
        ahp.sensitivity(weights, [[1.0, 0.0]], steps=1)
    mismatch = ahp.MSG_NAMES_LENGTH.format(what="alternative names", found=2, expected=1)
    with pytest.raises(ScenarioError, match=re.escape(mismatch)):
        ahp.sensitivity(weights, [[1.0, 0.0]], alternatives=["a", "b"])
    with pytest.raises(ScenarioError, match=starts(ahp.MSG_BAD_WEIGHT)):
        ahp.sensitivity({"c1": float("nan"), "c2": 0.5}, [[1.0, 0.0]])

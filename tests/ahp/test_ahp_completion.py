"""Tests of selector.ahp.completion: Harker and lambda_max-optimal completion of missing pairs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from ahp_cases import FAST, consistent_matrix, reciprocal_matrices
from hypothesis import given, settings
from hypothesis import strategies as st

from selector import ahp


# AHPy README, "Missing Pairwise Comparisons": the matrix a..d with (c, d) removed and
# completed by the lambda_max-optimal method of Bozóki, Fülöp & Rónyai (2010) gives
# (c, d) = 0.7303 (reported 0.730297...), weights b .392, a .3738, d .1357, c .0985 and
# CR .0372 (Donegan & Dodd RI).
def test_lambda_min_completion_reproduces_ahpy_example() -> None:
    pairs = {("a", "b"): 1, ("a", "c"): 5, ("a", "d"): 2, ("b", "c"): 3, ("b", "d"): 4}
    r = ahp.weigh(pairs, completion="lambda_min", ri="donegan_dodd")
    assert r.completed == (("c", "d"),)
    assert r.completion == "lambda_min"
    assert r.matrix[2, 3] == pytest.approx(0.7303, abs=1e-4)
    for name, value in {"a": 0.3738, "b": 0.392, "c": 0.0985, "d": 0.1357}.items():
        assert r.weights[name] == pytest.approx(value, abs=1e-4)
    assert r.cr == pytest.approx(0.0372, abs=1e-4)
    # It is the minimum: no value of the missing entry on a fine grid does better.
    base = r.matrix.copy()
    grid = np.exp(np.linspace(math.log(0.2), math.log(5), 2001))
    best = min(float(np.max(np.linalg.eigvals(_with(base, 2, 3, x)).real)) for x in grid)
    assert r.lambda_max <= best + 1e-9
    harker = ahp.weigh(pairs, completion="harker", ri="donegan_dodd")
    assert harker.completion == "harker"
    assert r.lambda_max <= harker.lambda_max


def _with(a: np.ndarray, i: int, j: int, x: float) -> np.ndarray:
    b = np.array(a)
    b[i, j], b[j, i] = x, 1 / x
    return b


def test_incomplete_example_is_completed_back_exactly() -> None:
    w = np.array([0.4, 0.3, 0.2, 0.1])
    names = ["a", "b", "c", "d"]
    pairs = {("a", "b"): 4 / 3, ("b", "c"): 1.5, ("c", "d"): 2.0, ("a", "d"): 4.0}
    for completion in ("harker", "lambda_min"):
        r = ahp.weigh(pairs, items=names, completion=completion)
        assert r.completed == (("a", "c"), ("b", "d"))
        assert r.matrix == pytest.approx(consistent_matrix(w), rel=1e-9)
        assert r.weights_array == pytest.approx(w, rel=1e-9)


@st.composite
def incomplete_consistent(draw: st.DrawFn) -> tuple[np.ndarray, dict[tuple[str, str], float]]:
    w = draw(st.lists(st.floats(0.1, 10.0), min_size=3, max_size=7).map(np.array))
    w = w / w.sum()
    n = len(w)
    names = [f"i{k}" for k in range(n)]
    parent = [draw(st.integers(0, k - 1)) for k in range(1, n)]  # a random spanning tree
    tree = {(parent[k - 1], k) for k in range(1, n)}
    pairs: dict[tuple[str, str], float] = {}
    for i in range(n):
        for j in range(i + 1, n):
            if (i, j) in tree or draw(st.booleans()):
                pairs[(names[i], names[j])] = float(w[i] / w[j])
    return w, pairs


@FAST
@given(case=incomplete_consistent(), completion=st.sampled_from(["harker", "lambda_min"]))
def test_incomplete_consistent_judgments_complete_exactly(
    case: tuple[np.ndarray, dict[tuple[str, str], float]], completion: str
) -> None:
    w, pairs = case
    names = [f"i{k}" for k in range(len(w))]
    r = ahp.weigh(pairs, items=names, completion=completion, scale=(1e-3, 1e3))
    assert r.matrix == pytest.approx(consistent_matrix(w), rel=1e-7)
    assert r.weights_array == pytest.approx(w, rel=1e-7)
    assert abs(r.cr) < 1e-7
    assert len(r.completed) == len(w) * (len(w) - 1) // 2 - len(pairs)


@settings(max_examples=25, deadline=None)
@given(a=reciprocal_matrices(low=3, high=6), data=st.data())
def test_completion_is_reciprocal_and_lambda_min_not_worse(
    a: np.ndarray, data: st.DataObject
) -> None:
    n = len(a)
    names = [f"i{k}" for k in range(n)]
    pairs = {}
    for i in range(n):
        for j in range(i + 1, n):
            if j == i + 1 or data.draw(st.booleans()):
                pairs[(names[i], names[j])] = float(a[i, j])
    harker = ahp.weigh(pairs, items=names, completion="harker")
    best = ahp.weigh(pairs, items=names, completion="lambda_min")
    for r in (harker, best):
        assert r.matrix * r.matrix.T == pytest.approx(np.ones((n, n)), rel=1e-12)
        assert float(r.weights_array.sum()) == pytest.approx(1.0)
    assert best.lambda_max <= harker.lambda_max + 1e-9

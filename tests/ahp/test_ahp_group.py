"""Tests of selector.ahp.group: AIJ / AIP merges of several experts and their consensus."""

from __future__ import annotations

import numpy as np
import pytest
from ahp_cases import consistent_matrix, starts

from selector import ahp
from selector.errors import JudgmentError

EXPERT_A: dict[tuple[str, str], ahp.JudgmentValue] = {("x", "y"): 3, ("x", "z"): 5, ("y", "z"): 2}
EXPERT_B: dict[tuple[str, str], ahp.JudgmentValue] = {
    ("y", "x"): 2,
    ("x", "z"): 1,
    ("z", "y"): "1/4",
}


@pytest.mark.parametrize("method", ["aij", "aip"])
def test_identical_experts_agree_fully(method: str) -> None:
    single = ahp.weigh(EXPERT_A)
    g = ahp.merge({"ann": EXPERT_A, "bob": dict(EXPERT_A)}, method=method)
    assert g.consensus == pytest.approx(1.0)
    assert g.weights_array == pytest.approx(single.weights_array)
    assert g.experts["ann"].cr == pytest.approx(single.cr)
    assert g.expert_weights == {"ann": 0.5, "bob": 0.5}
    assert g.method == method and g.items == ("x", "y", "z")
    assert (g.merged is not None) == (method == "aij")


def test_aij_of_consistent_matrices_is_consistent_geometric_mean() -> None:
    w1 = np.array([0.5, 0.3, 0.2])
    w2 = np.array([0.2, 0.2, 0.6])
    g = ahp.merge(
        {"e1": consistent_matrix(w1), "e2": consistent_matrix(w2)},
        {"e1": 3.0, "e2": 1.0},
        items=["p", "q", "r"],
    )
    expected = w1**0.75 * w2**0.25
    expected /= expected.sum()
    assert g.expert_weights == {"e1": 0.75, "e2": 0.25}
    assert g.weights_array == pytest.approx(expected, rel=1e-9)
    assert g.merged is not None and abs(g.merged.cr) < 1e-9
    assert g.merged.matrix == pytest.approx(consistent_matrix(expected), rel=1e-9)
    aip = ahp.merge(
        {"e1": consistent_matrix(w1), "e2": consistent_matrix(w2)},
        {"e1": 3.0, "e2": 1.0},
        method="aip",
        items=["p", "q", "r"],
    )
    assert aip.weights_array == pytest.approx(expected, rel=1e-9)
    assert 0.0 < g.consensus < 1.0


def test_merge_of_disagreeing_experts() -> None:
    g = ahp.merge({"a": EXPERT_A, "b": EXPERT_B}, method="aip", priority="geometric")
    assert 0.0 <= g.consensus < 1.0
    assert g.priority == "geometric" and g.merged is None
    assert float(g.weights_array.sum()) == pytest.approx(1.0)
    assert set(g.experts) == {"a", "b"} and g.experts["b"].items == ("y", "x", "z")
    close = ahp.merge({"a": EXPERT_A, "b": {("x", "y"): 2, ("x", "z"): 5, ("y", "z"): 2}})
    assert close.consensus > g.consensus
    far = ahp.merge(
        {"a": {("x", "y"): 9, ("x", "z"): 9, ("y", "z"): 1},
         "b": {("x", "y"): "1/9", ("x", "z"): 1, ("y", "z"): 9}}
    )  # fmt: skip
    assert far.consensus < g.consensus


def test_merge_rejections() -> None:
    with pytest.raises(JudgmentError, match=starts(ahp.MSG_NO_EXPERTS)):
        ahp.merge({})
    with pytest.raises(JudgmentError, match=starts(ahp.MSG_EXPERT_ITEMS)) as exc:
        ahp.merge({"a": EXPERT_A, "b": {("x", "w"): 2}})
    assert "'b'" in str(exc.value)
    with pytest.raises(JudgmentError, match=starts(ahp.MSG_EXPERT_WEIGHT_KEYS)):
        ahp.merge({"a": EXPERT_A, "b": EXPERT_B}, {"a": 1.0})
    with pytest.raises(JudgmentError, match=starts(ahp.MSG_BAD_EXPERT_WEIGHT)):
        ahp.merge({"a": EXPERT_A, "b": EXPERT_B}, {"a": 1.0, "b": 0.0})
    with pytest.raises(JudgmentError, match="^expert 'b': " + starts(ahp.MSG_SELF_PAIR)):
        ahp.merge({"a": EXPERT_A, "b": {("x", "x"): 1}})
    with pytest.raises(JudgmentError, match=starts(ahp.MSG_UNKNOWN_OPTION)):
        ahp.merge({"a": EXPERT_A}, method="mean")
    assert ahp.merge({"a": EXPERT_A}).consensus == 1.0

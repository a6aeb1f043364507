"""Tests of selector.ahp.consistency: RI tables, CR of small matrices, GCI."""

from __future__ import annotations

import math

import numpy as np
import pytest
from ahp_cases import DRINK_MATRIX, DRINKS, LEADER_CRITERIA, starts

from selector import ahp
from selector.errors import JudgmentError


def test_ri_tables_hold_the_brief_values() -> None:
    assert [ahp.RI_TABLES["saaty1980"][n] for n in range(1, 16)] == [
        0, 0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59
    ]  # fmt: skip
    assert [ahp.RI_TABLES["saaty2005"][n] for n in range(3, 11)] == [
        0.52, 0.89, 1.11, 1.25, 1.35, 1.40, 1.45, 1.49
    ]  # fmt: skip
    assert [ahp.RI_TABLES["alonso_lamata"][n] for n in range(3, 11)] == [
        0.5247, 0.8816, 1.1086, 1.2479, 1.3417, 1.4057, 1.4499, 1.4854
    ]  # fmt: skip
    assert ahp.random_index(20, table="alonso_lamata") == pytest.approx((1.7699 * 20 - 4.3513) / 19)
    assert ahp.random_index(22, table="donegan_dodd") == pytest.approx(
        1.5371 + 0.4 * (1.5619 - 1.5371)
    )
    for table in ahp.RI_TABLES:
        assert ahp.random_index(1, table=table) == 0 and ahp.random_index(2, table=table) == 0
    with pytest.raises(JudgmentError, match=starts(ahp.MSG_NO_RI)):
        ahp.random_index(16, table="saaty1980")


def test_small_matrices_have_zero_cr() -> None:
    one = ahp.weigh([[1]])
    assert one.weights == {"0": 1.0} and one.cr == 0.0 and one.ci == 0.0
    single = ahp.weigh({}, items=["only"])
    assert single.weights == {"only": 1.0} and single.cr == 0.0
    for method in ("eigenvector", "geometric"):
        two = ahp.weigh({("x", "y"): 7}, method=method)
        assert two.cr == 0.0 and not math.isnan(two.cr) and two.consistent
        assert two.weights["x"] == pytest.approx(7 / 8)


def test_gci_and_geometric_lambda() -> None:
    r = ahp.weigh(DRINK_MATRIX, items=DRINKS, method="geometric")
    a = np.array(r.matrix)
    w = np.exp(np.log(a).mean(axis=1))
    w /= w.sum()
    assert r.weights_array == pytest.approx(w)
    assert r.lambda_max == pytest.approx(float(np.mean(a @ w / w)))
    e = np.log(a) - np.log(w)[:, None] + np.log(w)[None, :]
    n = len(w)
    expected = (
        2 * sum(e[i, j] ** 2 for i in range(n) for j in range(i + 1, n)) / ((n - 1) * (n - 2))
    )
    assert r.gci == pytest.approx(expected)
    assert r.gci_threshold == 0.37
    assert ahp.weigh(LEADER_CRITERIA).gci_threshold == 0.35

"""Tests of selector.ahp.judgments: malformed matrices and pairs are rejected with messages naming
the cell or items."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from ahp_cases import starts

from selector import ahp
from selector.errors import JudgmentError


def test_rejects_non_square() -> None:
    with pytest.raises(JudgmentError, match=starts(ahp.MSG_NOT_SQUARE)) as exc:
        ahp.weigh([[1, 2, 3], [0.5, 1, 2]])
    assert "row 1 has 3 values" in str(exc.value)
    with pytest.raises(JudgmentError, match=starts(ahp.MSG_NOT_SQUARE)) as exc:
        ahp.weigh(np.ones((2, 3)))
    assert "(2, 3)" in str(exc.value)


def test_rejects_non_reciprocal_naming_cell_and_values() -> None:
    a: list[list[ahp.JudgmentValue]] = [[1, 3, 2], ["1/3", 1, 4], ["1/2", "1/3", 1]]
    with pytest.raises(JudgmentError, match=starts(ahp.MSG_NOT_RECIPROCAL)) as exc:
        ahp.weigh(a, items=["x", "y", "z"])
    message = str(exc.value)
    assert "('y', 'z')" in message and "('z', 'y')" in message
    assert "found 4 and 0.333333" in message
    # A rounded reciprocal is off by more than 1e-6 and is rejected too.
    with pytest.raises(JudgmentError, match=starts(ahp.MSG_NOT_RECIPROCAL)):
        ahp.weigh([[1, 3], [0.333, 1]])
    # Within 1e-6 it is accepted and made exactly reciprocal.
    r = ahp.weigh([[1, 3], [1 / 3 + 1e-8, 1]])
    assert r.matrix[1, 0] == 1 / 3


@pytest.mark.parametrize("bad", [0, -2, float("inf"), float("nan"), "0", "-1/3", "inf"])
def test_rejects_non_positive_or_non_finite(bad: Any) -> None:
    with pytest.raises(JudgmentError, match=starts(ahp.MSG_NOT_POSITIVE)) as exc:
        ahp.weigh({("p", "q"): bad})
    assert "('p', 'q')" in str(exc.value)
    with pytest.raises(JudgmentError, match=starts(ahp.MSG_NOT_POSITIVE)) as exc:
        ahp.weigh([[1, bad], [1, 1]], items=["p", "q"])
    assert "('p', 'q')" in str(exc.value)


@pytest.mark.parametrize("bad", ["three", "1/0", True, None, [3], 2j])
def test_rejects_values_that_are_not_numbers(bad: object) -> None:
    with pytest.raises(JudgmentError, match=starts(ahp.MSG_BAD_VALUE)) as exc:
        ahp.weigh({("p", "q"): bad})  # type: ignore[dict-item]
    assert "('p', 'q')" in str(exc.value)


def test_rejects_diagonal_not_one() -> None:
    with pytest.raises(JudgmentError, match=starts(ahp.MSG_DIAGONAL)) as exc:
        ahp.weigh([[1, 2], [0.5, 2]], items=["a", "b"])
    assert "('b', 'b')" in str(exc.value) and "found 2" in str(exc.value)


def test_rejects_judgments_outside_the_scale() -> None:
    with pytest.raises(JudgmentError, match=starts(ahp.MSG_OUT_OF_SCALE)) as exc:
        ahp.weigh({("a", "b"): 12})
    assert "('a', 'b')" in str(exc.value) and "found 12" in str(exc.value)
    with pytest.raises(JudgmentError, match=starts(ahp.MSG_OUT_OF_SCALE)) as exc:
        ahp.weigh([[1, "1/10"], [10, 1]], items=["a", "b"])
    assert "('a', 'b')" in str(exc.value)
    assert ahp.weigh({("a", "b"): 12}, scale=(1 / 20, 20)).weights["a"] == pytest.approx(12 / 13)
    with pytest.raises(JudgmentError, match=starts(ahp.MSG_OUT_OF_SCALE)):
        ahp.weigh({("a", "b"): 6}, scale=(1 / 5, 5))
    for bad_scale in [(2, 9), (1 / 9,), (0, 9), (1 / 9, float("inf")), "1-9"]:
        with pytest.raises(JudgmentError, match=starts(ahp.MSG_BAD_SCALE)):
            ahp.weigh({("a", "b"): 2}, scale=bad_scale)  # type: ignore[arg-type]


def test_rejects_contradictory_pair() -> None:
    ok = ahp.weigh({("a", "b"): 3, ("b", "a"): "1/3"})
    assert ok.weights["a"] == pytest.approx(0.75)
    with pytest.raises(JudgmentError, match=starts(ahp.MSG_CONTRADICTORY_PAIR)) as exc:
        ahp.weigh({("a", "b"): 3, ("b", "a"): 2})
    assert "('b', 'a')" in str(exc.value) and "('a', 'b')" in str(exc.value)


def test_rejects_self_pair_bad_keys_and_unknown_items() -> None:
    with pytest.raises(JudgmentError, match=starts(ahp.MSG_SELF_PAIR)) as exc:
        ahp.weigh({("a", "a"): 1, ("a", "b"): 2})
    assert "('a', 'a')" in str(exc.value)
    with pytest.raises(JudgmentError, match=starts(ahp.MSG_BAD_PAIR_KEY)):
        ahp.weigh({("a", "b", "c"): 2})  # type: ignore[dict-item]
    with pytest.raises(JudgmentError, match=starts(ahp.MSG_BAD_PAIR_KEY)):
        ahp.weigh({"ab": 2})  # type: ignore[dict-item]
    with pytest.raises(JudgmentError, match=starts(ahp.MSG_UNKNOWN_ITEM)) as exc:
        ahp.weigh({("a", "b"): 2, ("a", "z"): 3}, items=["a", "b"])
    assert "'z'" in str(exc.value) and "('a', 'z')" in str(exc.value)


def test_judgment_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        ahp.weigh({("a", "a"): 1})


def test_disconnected_judgments_name_the_groups() -> None:
    pairs = {("a", "b"): 2, ("c", "d"): 3, ("d", "e"): 2}
    with pytest.raises(JudgmentError, match=starts(ahp.MSG_DISCONNECTED)) as exc:
        ahp.weigh(pairs)
    assert "2 separate groups [['a', 'b'], ['c', 'd', 'e']]" in str(exc.value)
    with pytest.raises(JudgmentError, match=starts(ahp.MSG_DISCONNECTED)) as exc:
        ahp.weigh({("a", "b"): 2}, items=["a", "b", "lonely"])
    assert "['lonely']" in str(exc.value)

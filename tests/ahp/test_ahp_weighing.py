"""Tests of selector.ahp.weighing: the fields of weigh's result and its option checks."""

from __future__ import annotations

import re

import numpy as np
import pytest
from ahp_cases import starts

from selector import ahp
from selector.errors import JudgmentError


def test_result_fields_and_names() -> None:
    r = ahp.weigh([[1, 3], ["1/3", 1]], items=["a", "b"], method="geometric", ri="saaty2005")
    assert r.weights == pytest.approx({"a": 0.75, "b": 0.25})
    assert list(r.weights) == ["a", "b"]
    assert (r.method, r.ri_table, r.cr, r.ci, r.gci) == ("geometric", "saaty2005", 0.0, 0.0, 0.0)
    assert r.lambda_max == 2.0 and r.consistent and r.gci_threshold is None
    assert r.completed == () and r.completion is None
    with pytest.raises(ValueError):
        r.matrix[0, 1] = 5.0
    with pytest.raises(ValueError):
        r.weights_array[0] = 1.0
    default = ahp.weigh(np.array([[1.0, 2.0], [0.5, 1.0]]))
    assert default.items == ("0", "1")


def test_rejects_bad_items_and_options() -> None:
    with pytest.raises(JudgmentError, match=starts(ahp.MSG_ITEMS_LENGTH)):
        ahp.weigh([[1, 2], [0.5, 1]], items=["a", "b", "c"])
    duplicate = ahp.MSG_DUPLICATE_NAMES.format(what="item names", name="a")
    with pytest.raises(JudgmentError, match=re.escape(duplicate)):
        ahp.weigh([[1, 2], [0.5, 1]], items=["a", "a"])
    with pytest.raises(JudgmentError, match=starts(ahp.MSG_BAD_ITEM_NAME)):
        ahp.weigh([[1, 2], [0.5, 1]], items="ab")
    with pytest.raises(JudgmentError, match=starts(ahp.MSG_EMPTY)):
        ahp.weigh([])
    with pytest.raises(JudgmentError, match=starts(ahp.MSG_EMPTY)):
        ahp.weigh({})
    with pytest.raises(JudgmentError, match=starts(ahp.MSG_BAD_INPUT)):
        ahp.weigh(3)  # type: ignore[arg-type]
    for option, value in [("method", "median"), ("ri", "saaty"), ("completion", "zero")]:
        with pytest.raises(JudgmentError, match=starts(ahp.MSG_UNKNOWN_OPTION)) as exc:
            ahp.weigh({("a", "b"): 2}, **{option: value})  # type: ignore[arg-type]
        assert repr(value) in str(exc.value)
    with pytest.raises(JudgmentError, match=starts(ahp.MSG_BAD_THRESHOLD)):
        ahp.weigh({("a", "b"): 2}, threshold=-0.1)
    with pytest.raises(JudgmentError, match=starts(ahp.MSG_BAD_TOP)):
        ahp.weigh({("a", "b"): 2}, top=-1)
    with pytest.raises(JudgmentError, match=starts(ahp.MSG_NO_RI)):
        ahp.weigh(np.ones((16, 16)))
    assert ahp.weigh(np.ones((16, 16)), ri="alonso_lamata").cr == pytest.approx(0.0, abs=1e-12)

"""Tests of selector.ahp.revisions: revision advice lowers the CR."""

from __future__ import annotations

import numpy as np
import pytest
from ahp_cases import FAST, reciprocal_matrices
from hypothesis import given
from hypothesis import strategies as st

from selector import ahp

INCONSISTENT: dict[tuple[str, str], ahp.JudgmentValue] = {
    ("a", "b"): 3,
    ("a", "c"): "1/5",
    ("b", "c"): 7,
    ("a", "d"): 2,
    ("b", "d"): "1/4",
    ("c", "d"): 6,
}


@pytest.mark.parametrize("method", ["eigenvector", "geometric"])
def test_revisions_lower_cr_on_an_inconsistent_example(method: str) -> None:
    r = ahp.weigh(INCONSISTENT, method=method)
    assert r.cr > 0.10 and not r.consistent
    assert 1 <= len(r.revisions) <= 3
    disagreements = [rev.disagreement for rev in r.revisions]
    assert disagreements == sorted(disagreements, reverse=True)
    for rev in r.revisions:
        assert rev.cr_after < r.cr
        assert rev.suggested in ahp.SAATY_SCALE
        index = r.items.index
        assert index(rev.row) < index(rev.col)
    # Applying the first suggestion really gives cr_after.
    first = r.revisions[0]
    changed = {k: v for k, v in INCONSISTENT.items() if {first.row, first.col} != set(k)}
    changed[(first.row, first.col)] = first.suggested
    assert ahp.weigh(changed, items=r.items, method=method).cr == pytest.approx(first.cr_after)
    assert ahp.weigh(INCONSISTENT, method=method, top=1).revisions == r.revisions[:1]
    assert ahp.weigh(INCONSISTENT, method=method, top=0).revisions == ()
    assert ahp.weigh(INCONSISTENT, method=method, threshold=r.cr).revisions == ()


def test_revisions_skip_completed_pairs() -> None:
    pairs = dict(INCONSISTENT)
    del pairs[("b", "c")]
    r = ahp.weigh(pairs, threshold=0.0)
    assert r.completed == (("b", "c"),)
    assert all({rev.row, rev.col} != {"b", "c"} for rev in r.revisions)
    assert all(rev.cr_after < r.cr for rev in r.revisions)


@FAST
@given(a=reciprocal_matrices(low=3), method=st.sampled_from(["eigenvector", "geometric"]))
def test_revisions_always_lower_cr(a: np.ndarray, method: str) -> None:
    r = ahp.weigh(a, method=method)
    if r.consistent:
        assert r.revisions == ()
    else:
        assert r.revisions
        assert all(rev.cr_after < r.cr for rev in r.revisions)

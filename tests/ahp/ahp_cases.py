"""Shared cases for the selector.ahp tests (tests/ahp/test_ahp_*.py).

``starts`` turns a message template into a regex of its fixed text;
``consistent_matrix`` builds the perfectly consistent matrix of a weight vector;
``reciprocal_matrices`` draws reciprocal matrices on Saaty's scale; ``FAST`` is the
hypothesis profile of the property tests. The Saaty drinks and the Wikipedia leader
judgments are used by more than one test file.
"""

from __future__ import annotations

import re

import numpy as np
from hypothesis import settings
from hypothesis import strategies as st

from selector import ahp

FAST = settings(max_examples=60, deadline=None)


def starts(template: str) -> str:
    """Regex for the fixed text of a message template, up to its first placeholder."""
    return re.escape(template.split("{")[0])


def consistent_matrix(w: np.ndarray) -> np.ndarray:
    return np.asarray(w[:, None] / w[None, :], dtype=np.float64)


@st.composite
def reciprocal_matrices(draw: st.DrawFn, low: int = 1, high: int = 8) -> np.ndarray:
    n = draw(st.integers(low, high))
    a = np.ones((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            v = draw(st.sampled_from(ahp.SAATY_SCALE))
            a[i, j], a[j, i] = v, 1 / v
    return a


# Relative consumption of drinks in the US: T. L. Saaty, "Decision making with the
# analytic hierarchy process", Int. J. Services Sciences 1(1), 2008, 83-98: the
# judgment matrix and Saaty's AHP estimates .177 .019 .042 .116 .190 .129 .327 (actual
# consumption .18 .01 .04 .12 .18 .14 .33), both as quoted from that paper in the AHPy
# README (PhilipGriffith/AHPy); the paper itself was not re-read here.
DRINKS = ("coffee", "wine", "tea", "beer", "soda", "milk", "water")
DRINK_MATRIX: list[list[ahp.JudgmentValue]] = [
    [1, 9, 5, 2, 1, 1, "1/2"],
    ["1/9", 1, "1/3", "1/9", "1/9", "1/9", "1/9"],
    ["1/5", 3, 1, "1/3", "1/4", "1/3", "1/9"],
    ["1/2", 9, 3, 1, "1/2", 1, "1/3"],
    [1, 9, 4, 2, 1, 2, "1/2"],
    [1, 9, 3, 1, "1/2", 1, "1/3"],
    [2, 9, 9, 3, 2, 3, 1],
]
DRINK_PUBLISHED = {
    "coffee": 0.177,
    "wine": 0.019,
    "tea": 0.042,
    "beer": 0.116,
    "soda": 0.190,
    "milk": 0.129,
    "water": 0.327,
}

# Wikipedia, "Analytic hierarchy process - leader example": the overview states the
# criteria weights Experience .547, Education .127, Charisma .270, Age .056 and the goal
# priorities Dick .493, Tom .358, Harry .149. The judgments are those of the article as
# reproduced in the AHPy README ("Choosing a leader", names changed there: Moll = Tom,
# Nell = Dick, Sue = Harry). Article tables beyond the overview were not reachable, so
# only these overview figures are checked.
LEADER_CRITERIA: dict[tuple[str, str], ahp.JudgmentValue] = {
    ("Experience", "Education"): 4,
    ("Experience", "Charisma"): 3,
    ("Experience", "Age"): 7,
    ("Education", "Charisma"): "1/3",
    ("Education", "Age"): 3,
    ("Charisma", "Age"): 5,
}
LEADER_ALTERNATIVES: dict[str, dict[tuple[str, str], ahp.JudgmentValue]] = {
    "Experience": {("Tom", "Dick"): "1/4", ("Tom", "Harry"): 4, ("Dick", "Harry"): 9},
    "Education": {("Tom", "Dick"): 3, ("Tom", "Harry"): "1/5", ("Dick", "Harry"): "1/7"},
    "Charisma": {("Tom", "Dick"): 5, ("Tom", "Harry"): 9, ("Dick", "Harry"): 4},
    "Age": {("Tom", "Dick"): "1/3", ("Tom", "Harry"): 5, ("Dick", "Harry"): 9},
}

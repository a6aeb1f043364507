"""The AHP (Analytic Hierarchy Process) engine: judgments in, weights out.

Turns pairwise judgments ("a is 3 times as important as b") into priority weights,
says how consistent the judgments are and which one to revise first, completes
incomplete judgments, merges several experts, synthesizes a hierarchy and tests how
far each criterion weight can move before the ranking of alternatives changes.

Layout: the numeric kernels (names starting with ``_``) are plain functions on
numpy arrays that check nothing; the public entry points (:func:`weigh`,
:func:`merge`, :func:`synthesize`, :func:`score_alternatives`, :func:`sensitivity`,
:func:`random_index`) validate their input and return frozen dataclasses. Nothing is
rounded inside a computation. Error messages are the module-level ``MSG_*`` templates;
each says what was found and what is accepted.

Sources
-------
* Priorities, CI, CR, Saaty's RI 1980: T. L. Saaty, *The Analytic Hierarchy Process*,
  McGraw-Hill, 1980; the relative drink consumption example is from T. L. Saaty,
  "Decision making with the analytic hierarchy process", *Int. J. Services Sciences*
  1(1), 2008, 83-98.
* RI tables: see :data:`RI_TABLES` (each table names its source next to its values).
* GCI: J. Aguarón, J. M. Moreno-Jiménez, "The geometric consistency index: approximated
  thresholds", *EJOR* 147(1), 2003, 137-145.
* Incomplete judgments: P. T. Harker, "Incomplete pairwise comparisons in the analytic
  hierarchy process", *Mathematical Modelling* 9(11), 1987, 837-848; S. Bozóki,
  J. Fülöp, L. Rónyai, "On optimal completion of incomplete pairwise comparison
  matrices", *Math. Comput. Modelling* 52(1-2), 2010, 318-333 (lambda_max is a convex
  function of the logarithms of the missing entries, so the optimum is found by a
  smooth local minimizer).
* Revision advice: the inconsistency matrix e_ij = a_ij w_j / w_i as in K. D. Goepel,
  "Implementation of an online software tool for the AHP (AHP-OS)", *IJAHP* 10(3),
  2018, 469-487, eq. 6 (after Saaty 2003).
* Group consensus: see :func:`merge`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components

from selector.errors import JudgmentError, ScenarioError

__all__ = [
    "COMPLETIONS",
    "GCI_THRESHOLDS",
    "MERGE_METHODS",
    "METHODS",
    "MODES",
    "MSG_BAD_EXPERT_WEIGHT",
    "MSG_BAD_INPUT",
    "MSG_BAD_ITEM_NAME",
    "MSG_BAD_K",
    "MSG_BAD_LOCAL_WEIGHT",
    "MSG_BAD_PAIR_KEY",
    "MSG_BAD_SCALE",
    "MSG_BAD_STEPS",
    "MSG_BAD_THRESHOLD",
    "MSG_BAD_TOP",
    "MSG_BAD_VALUE",
    "MSG_BAD_WEIGHT",
    "MSG_CONTRADICTORY_PAIR",
    "MSG_DIAGONAL",
    "MSG_DISCONNECTED",
    "MSG_DUPLICATE_NAMES",
    "MSG_EMPTY",
    "MSG_EXPERT_ITEMS",
    "MSG_EXPERT_WEIGHT_KEYS",
    "MSG_ITEMS_LENGTH",
    "MSG_LOCAL_SUM",
    "MSG_NAMES_LENGTH",
    "MSG_NOT_POSITIVE",
    "MSG_NOT_RECIPROCAL",
    "MSG_NOT_SQUARE",
    "MSG_NO_CHILDREN",
    "MSG_NO_EXPERTS",
    "MSG_NO_RI",
    "MSG_OUT_OF_SCALE",
    "MSG_ROOT_MISSING",
    "MSG_SELF_PAIR",
    "MSG_TREE_CYCLE",
    "MSG_TREE_TWO_PARENTS",
    "MSG_UNKNOWN_ITEM",
    "MSG_UNKNOWN_OPTION",
    "MSG_UNREACHABLE",
    "MSG_VALUES_RANGE",
    "MSG_VALUES_SHAPE",
    "MSG_WEIGHTS_LENGTH",
    "MSG_WEIGHTS_SUM",
    "MSG_ZERO_COLUMN",
    "RI_TABLES",
    "SAATY_SCALE",
    "AhpResult",
    "CriterionSensitivity",
    "GroupResult",
    "HierarchyResult",
    "JudgmentValue",
    "Judgments",
    "Revision",
    "ScoreResult",
    "SensitivityResult",
    "merge",
    "random_index",
    "score_alternatives",
    "sensitivity",
    "synthesize",
    "weigh",
]

FloatArray: TypeAlias = NDArray[np.float64]
JudgmentValue: TypeAlias = float | int | str | Fraction
PairJudgments: TypeAlias = Mapping[tuple[str, str], JudgmentValue]
MatrixJudgments: TypeAlias = Sequence[Sequence[JudgmentValue]] | NDArray[Any]
Judgments: TypeAlias = PairJudgments | MatrixJudgments

METHODS: tuple[str, ...] = ("eigenvector", "geometric")
COMPLETIONS: tuple[str, ...] = ("harker", "lambda_min")
MERGE_METHODS: tuple[str, ...] = ("aij", "aip")
MODES: tuple[str, ...] = ("distributive", "ideal")

#: Saaty's fundamental scale 1..9 and its reciprocals, ascending.
SAATY_SCALE: tuple[float, ...] = tuple(
    [1.0 / k for k in range(9, 1, -1)] + [float(k) for k in range(1, 10)]
)

#: Random consistency indices RI(n), by table name. n = 1 and 2 are 0 in every table.
# fmt: off
RI_TABLES: Mapping[str, Mapping[int, float]] = MappingProxyType(
    {
        # Saaty (1980), The Analytic Hierarchy Process, n = 1..10. The n = 11..15
        # values (1.51, 1.48, 1.56, 1.57, 1.59) are those widely reproduced as Saaty's
        # extension of the table; UNCERTAIN: the non-monotone 1.48 at n = 12 is as
        # commonly reproduced, not re-checked against the printed book.
        "saaty1980": MappingProxyType(
            {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41, 9: 1.45,
             10: 1.49, 11: 1.51, 12: 1.48, 13: 1.56, 14: 1.57, 15: 1.59}
        ),
        # Saaty (2005), Theory and Applications of the Analytic Network Process, RWS
        # Publications, p. 31 (as transcribed in the AHPy library, PhilipGriffith/AHPy).
        "saaty2005": MappingProxyType(
            {1: 0.0, 2: 0.0, 3: 0.52, 4: 0.89, 5: 1.11, 6: 1.25, 7: 1.35, 8: 1.40, 9: 1.45,
             10: 1.49, 11: 1.52, 12: 1.54, 13: 1.56, 14: 1.58, 15: 1.59}
        ),
        # Alonso & Lamata (2006), "Consistency in the analytic hierarchy process: a new
        # approach", IJUFKS 14(4), 445-459: simulated RI for n = 3..15 (values as used
        # in public implementations citing the paper). For n > 15 their linear fit of
        # the mean random lambda_max, lambda = 2.7699 n - 4.3513, gives
        # RI(n) = (1.7699 n - 4.3513) / (n - 1); Goepel (2018, IJAHP 10(3), eq. 5)
        # writes the same fit as CR = (lambda - n) / (2.7699 n - 4.3513 - n).
        "alonso_lamata": MappingProxyType(
            {1: 0.0, 2: 0.0, 3: 0.5247, 4: 0.8816, 5: 1.1086, 6: 1.2479, 7: 1.3417, 8: 1.4057,
             9: 1.4499, 10: 1.4854, 11: 1.5140, 12: 1.5365, 13: 1.5551, 14: 1.5713, 15: 1.5838}
        ),
        # Donegan & Dodd (1991), "A note on Saaty's random indexes", Math. Comput.
        # Modelling 15(10), 135-137 (as transcribed in AHPy; single secondary source).
        # Between tabulated n (20 < n < 100) RI is linearly interpolated, which is not
        # a published value. UNCERTAIN: 1.6213 at n = 90 is below n = 80 as transcribed.
        "donegan_dodd": MappingProxyType(
            {1: 0.0, 2: 0.0, 3: 0.4914, 4: 0.8286, 5: 1.0591, 6: 1.1797, 7: 1.2519, 8: 1.3171,
             9: 1.3733, 10: 1.4055, 11: 1.4213, 12: 1.4497, 13: 1.4643, 14: 1.4822, 15: 1.4969,
             16: 1.5078, 17: 1.5153, 18: 1.5262, 19: 1.5313, 20: 1.5371, 25: 1.5619,
             30: 1.5772, 40: 1.5976, 50: 1.6102, 60: 1.6178, 70: 1.6237, 80: 1.6277,
             90: 1.6213, 100: 1.6339}
        ),
    }
)
# fmt: on

#: GCI thresholds of Aguarón & Moreno-Jiménez (2003): n = 3, n = 4, n > 4.
GCI_THRESHOLDS: Mapping[int, float] = MappingProxyType({3: 0.31, 4: 0.35, 5: 0.37})

_RECIPROCAL_TOL = 1e-6
_DIAGONAL_TOL = 1e-6
_SCALE_TOL = 1e-9
_SUM_TOL = 1e-6
_TIE_TOL = 1e-12  # scores (in [0, 1]) this close are tied in a ranking

# --------------------------------------------------------------------------- messages

MSG_BAD_INPUT = (
    "judgments are neither a matrix nor a mapping of pairs: found {found}; accepted: a "
    "square numpy array or nested list, or a mapping {{(a, b): value}}"
)
MSG_EMPTY = (
    "no items to weigh: found {found}; accepted: a matrix of at least one row, or pairs "
    "(or items) naming at least one item"
)
MSG_NOT_SQUARE = (
    "judgment matrix is not square: found {found}; accepted: an n x n array or nested "
    "list with n rows of n values each"
)
MSG_BAD_VALUE = (
    "judgment for ({row!r}, {col!r}) is not a number: found {value!r}; accepted: a "
    "positive finite number or a string such as '3' or '1/3'"
)
MSG_NOT_POSITIVE = (
    "judgment for ({row!r}, {col!r}) is not a positive finite number: found {value}; "
    "accepted: a number greater than 0 and finite"
)
MSG_DIAGONAL = (
    "diagonal judgment ({row!r}, {col!r}) is not 1: found {value}; accepted: 1 on the "
    "diagonal (each item is as important as itself)"
)
MSG_NOT_RECIPROCAL = (
    "judgments ({row!r}, {col!r}) and ({col!r}, {row!r}) are not reciprocal: found "
    "{a_ij} and {a_ji}, whose product is {product}; accepted: a_ji = 1 / a_ij within "
    "1e-6 relative"
)
MSG_OUT_OF_SCALE = (
    "judgment for ({row!r}, {col!r}) is outside the judgment scale: found {value}; "
    "accepted: values from {low} to {high}"
)
MSG_BAD_PAIR_KEY = (
    "pair key is not a pair of item names: found {key!r}; accepted: a tuple (a, b) of "
    "two item names (strings)"
)
MSG_SELF_PAIR = (
    "pair ({row!r}, {col!r}) compares an item with itself: found value {value!r}; "
    "accepted: pairs of two different items"
)
MSG_CONTRADICTORY_PAIR = (
    "pair ({row!r}, {col!r}) is given twice with contradicting values: found {value} for "
    "({row!r}, {col!r}) and {other} for ({col!r}, {row!r}); accepted: the pair once, or "
    "the reverse pair with the reciprocal value (within 1e-6 relative)"
)
MSG_UNKNOWN_ITEM = (
    "pair ({row!r}, {col!r}) names an unknown item: found {item!r}; accepted: one of "
    "the given items {items}"
)
MSG_BAD_ITEM_NAME = (
    "item name is not a non-empty string: found {found!r}; accepted: a sequence of unique strings"
)
MSG_DUPLICATE_NAMES = "{what} repeat: found {name!r} more than once; accepted: unique names"
MSG_ITEMS_LENGTH = (
    "items do not match the judgment matrix: found {found} names for a {n} x {n} "
    "matrix; accepted: exactly {n} names, one per row"
)
MSG_DISCONNECTED = (
    "judgments do not connect all items: found {count} separate groups {groups}; "
    "accepted: pairs that link every item to every other through a chain of comparisons"
)
MSG_UNKNOWN_OPTION = "unknown {option}: found {value!r}; accepted: {accepted}"
MSG_BAD_SCALE = (
    "judgment scale is not usable: found {found!r}; accepted: (low, high) with "
    "0 < low <= 1 <= high, both finite, e.g. (1/9, 9)"
)
MSG_BAD_THRESHOLD = (
    "consistency threshold is not usable: found {found!r}; accepted: a finite number "
    ">= 0 such as 0.10"
)
MSG_BAD_TOP = "number of revisions is not usable: found {found!r}; accepted: an integer >= 0"
MSG_NO_RI = (
    "no random index for n = {n} in table {table!r}: it covers n = 1 to {max_n}; "
    "accepted: at most {max_n} items, or ri='alonso_lamata', which covers any n"
)
MSG_NO_EXPERTS = (
    "no experts to merge: found {found}; accepted: a mapping expert name -> judgments "
    "with at least one expert"
)
MSG_EXPERT_ITEMS = (
    "expert {expert!r} compares other items than expert {first!r}: found {found}; "
    "accepted: the same items as {first!r}: {expected}"
)
MSG_EXPERT_WEIGHT_KEYS = (
    "expert weights do not match the experts: found weights for {found}; accepted: "
    "exactly one weight per expert: {expected}"
)
MSG_BAD_EXPERT_WEIGHT = (
    "weight of expert {expert!r} is not usable: found {value!r}; accepted: a positive "
    "finite number (weights are normalized to sum 1)"
)
MSG_ROOT_MISSING = (
    "hierarchy root {root!r} has no local weights: found parents {found}; accepted: "
    "local_weights with an entry for the root"
)
MSG_NO_CHILDREN = (
    "node {node!r} has no children in local_weights: found {found!r}; accepted: a "
    "non-empty mapping child -> local weight"
)
MSG_BAD_LOCAL_WEIGHT = (
    "local weight of {child!r} under {parent!r} is not usable: found {value!r}; "
    "accepted: a finite number >= 0"
)
MSG_LOCAL_SUM = (
    "local weights under {parent!r} do not sum to 1: found sum {total}; accepted: "
    "non-negative weights summing to 1 within 1e-6"
)
MSG_TREE_CYCLE = (
    "hierarchy has a cycle: found {child!r} below its own descendant {parent!r}; "
    "accepted: a tree below the root"
)
MSG_TREE_TWO_PARENTS = (
    "hierarchy node {child!r} has two parents: found it under {first!r} and {second!r}; "
    "accepted: a tree, each node under exactly one parent"
)
MSG_UNREACHABLE = (
    "local weights given for nodes that do not hang from root {root!r}: found {nodes}; "
    "accepted: only nodes reachable from the root"
)
MSG_BAD_WEIGHT = (
    "weight of criterion {criterion!r} is not usable: found {value!r}; accepted: a "
    "finite number >= 0"
)
MSG_WEIGHTS_SUM = (
    "criterion weights do not sum to 1: found sum {total}; accepted: non-negative "
    "weights summing to 1 within 1e-6"
)
MSG_WEIGHTS_LENGTH = (
    "criterion weights do not match the value columns: found {found} weights for "
    "{columns} columns; accepted: one weight per column"
)
MSG_VALUES_SHAPE = (
    "alternative values are not a 2-D table of numbers: found {found}; accepted: an "
    "array of shape (alternatives, criteria) with at least one row"
)
MSG_VALUES_RANGE = (
    "value of alternative {alternative!r} on criterion {criterion!r} is out of range: "
    "found {value}; accepted: {accepted}"
)
MSG_ZERO_COLUMN = (
    "criterion {criterion!r} has no positive value: found column {values}; accepted: "
    "at least one value > 0 so that the column can be normalized"
)
MSG_NAMES_LENGTH = (
    "{what} do not match the table: found {found} names for {expected} rows; "
    "accepted: exactly {expected} names"
)
MSG_BAD_K = (
    "top-k size is not usable: found {found!r}; accepted: an integer from 1 to the "
    "number of alternatives ({n})"
)
MSG_BAD_STEPS = "number of chart steps is not usable: found {found!r}; accepted: an integer >= 2"

# ---------------------------------------------------------------------- result types


@dataclass(frozen=True)
class Revision:
    """One suggested change of a judgment, from the most inconsistent down.

    Attributes
    ----------
    row, col
        The pair, ``row`` before ``col`` in item order; the judgment reads "row is
        ``current`` times as important as col".
    current
        The judgment as given.
    suggested
        The value the derived weights imply, ``w_row / w_col``, snapped to the nearest
        value of Saaty's scale (1..9 and 1/2..1/9, in log distance) within the
        accepted judgment scale.
    disagreement
        ``max(e, 1/e)`` with ``e = a_ij * w_j / w_i``; 1 means the judgment agrees
        with the weights.
    cr_after
        The consistency ratio after changing only this judgment (recomputed,
        including the completion of any missing pairs); always below the current CR,
        since a judgment whose suggestion would not lower it is passed over.
    """

    row: str
    col: str
    current: float
    suggested: float
    disagreement: float
    cr_after: float


@dataclass(frozen=True, eq=False)
class AhpResult:
    """Weights derived from one set of pairwise judgments.

    Attributes
    ----------
    items
        Item names in order.
    weights
        Item -> weight, in item order, summing to 1.
    weights_array
        The same weights as a read-only array in item order.
    method
        ``"eigenvector"`` (principal right eigenvector) or ``"geometric"`` (row
        geometric mean).
    lambda_max
        Principal eigenvalue (eigenvector method) or the mean of ``(A w)_i / w_i``
        (geometric method).
    ci, cr
        Consistency index ``(lambda_max - n) / (n - 1)`` and ratio ``ci / ri``; both
        0 for n <= 2.
    ri, ri_table
        Random index used and the name of its table (see :data:`RI_TABLES`).
    threshold, consistent
        CR threshold and whether ``cr <= threshold`` (always True for n <= 2).
    gci, gci_threshold
        Geometric consistency index (Aguarón & Moreno-Jiménez 2003), computed with
        the row geometric mean weights whatever ``method`` is; its threshold for this
        n (0.31, 0.35, 0.37), None for n <= 2.
    matrix
        The completed, exactly reciprocal judgment matrix (read-only).
    completed
        Pairs ``(row, col)`` (row before col in item order) that were missing and
        filled in; empty when all pairs were given.
    completion
        How missing pairs were filled (``"harker"`` or ``"lambda_min"``), None when
        nothing was missing.
    revisions
        Suggested revisions, most inconsistent first; empty when consistent.
    """

    items: tuple[str, ...]
    weights: dict[str, float]
    weights_array: FloatArray
    method: str
    lambda_max: float
    ci: float
    cr: float
    ri: float
    ri_table: str
    threshold: float
    consistent: bool
    gci: float
    gci_threshold: float | None
    matrix: FloatArray
    completed: tuple[tuple[str, str], ...]
    completion: str | None
    revisions: tuple[Revision, ...]


@dataclass(frozen=True, eq=False)
class GroupResult:
    """Several experts' judgments merged into one set of weights.

    Attributes
    ----------
    method
        ``"aij"`` (aggregation of individual judgments) or ``"aip"`` (aggregation of
        individual priorities).
    items
        Item names in order.
    weights, weights_array
        Merged weights in item order, summing to 1.
    experts
        Each expert's own result (with its own CR), by expert name.
    expert_weights
        The experts' weights, normalized to sum 1.
    consensus
        Shannon-entropy consensus in [0, 1], 1 = identical priorities (see
        :func:`merge`).
    merged
        For AIJ, the result of weighing the aggregated matrix (its CR included);
        None for AIP.
    priority
        Priority method used for every matrix (``"eigenvector"`` or ``"geometric"``).
    """

    method: str
    items: tuple[str, ...]
    weights: dict[str, float]
    weights_array: FloatArray
    experts: dict[str, AhpResult]
    expert_weights: dict[str, float]
    consensus: float
    merged: AhpResult | None
    priority: str


@dataclass(frozen=True, eq=False)
class HierarchyResult:
    """Global weights of a hierarchy, by distributive synthesis.

    Attributes
    ----------
    root
        The root node.
    leaves
        Leaf nodes in tree order (depth first, children in mapping order).
    weights, weights_array
        Leaf -> global weight (product of local weights down the tree), summing to 1.
    node_weights
        Global weight of every node in tree order, the root (1.0) first.
    """

    root: str
    leaves: tuple[str, ...]
    weights: dict[str, float]
    weights_array: FloatArray
    node_weights: dict[str, float]


@dataclass(frozen=True, eq=False)
class ScoreResult:
    """Overall scores of alternatives.

    Attributes
    ----------
    alternatives, criteria
        Row and column names.
    mode
        ``"distributive"`` (columns normalized to sum 1) or ``"ideal"`` (columns
        divided by their maximum; scores are not renormalized, the ideal scores 1).
    criterion_weights
        Criterion -> weight used.
    normalized
        The normalized table (read-only), alternatives x criteria.
    scores, scores_array
        Alternative -> weighted sum of its normalized values.
    """

    alternatives: tuple[str, ...]
    criteria: tuple[str, ...]
    mode: str
    criterion_weights: dict[str, float]
    normalized: FloatArray
    scores: dict[str, float]
    scores_array: FloatArray


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


# --------------------------------------------------------------------------- kernels


def _readonly(a: FloatArray) -> FloatArray:
    out = np.array(a, dtype=np.float64, copy=True)
    out.setflags(write=False)
    return out


def _perron(a: FloatArray) -> tuple[float, FloatArray]:
    """Perron root and vector (summing to 1) of a non-negative irreducible matrix."""
    values, vectors = np.linalg.eig(a)
    k = int(np.argmax(values.real))
    vec = np.asarray(vectors[:, k].real, dtype=np.float64)
    return float(values[k].real), vec / vec.sum()


def _geometric(a: FloatArray) -> FloatArray:
    """Row geometric means, normalized to sum 1."""
    g = np.exp(np.log(a).mean(axis=1))
    return np.asarray(g / g.sum(), dtype=np.float64)


def _lambda_from(a: FloatArray, w: FloatArray) -> float:
    """Mean of (A w)_i / w_i: lambda_max estimated from any positive weights."""
    return float(np.mean((a @ w) / w))


def _gci(a: FloatArray, w: FloatArray) -> float:
    """Geometric consistency index with weights ``w`` (row geometric means)."""
    n = a.shape[0]
    if n < 3:
        return 0.0
    lw = np.log(w)
    e = np.log(a) - lw[:, None] + lw[None, :]
    iu = np.triu_indices(n, 1)
    return float(2.0 * np.sum(e[iu] ** 2) / ((n - 1) * (n - 2)))


def _harker(a: FloatArray) -> FloatArray:
    """Complete NaN entries by Harker's method (1987)."""
    missing = np.isnan(a)
    b = np.where(missing, 0.0, a)
    b[np.diag_indices_from(b)] = 1.0 + missing.sum(axis=1)
    _, w = _perron(b)
    return np.asarray(np.where(missing, w[:, None] / w[None, :], a), dtype=np.float64)


def _lambda_min(a: FloatArray, start: FloatArray) -> FloatArray:
    """Complete NaN entries of ``a`` so that lambda_max is minimal, from ``start``."""
    rows, cols = np.nonzero(np.triu(np.isnan(a), 1))
    base = np.array(start, dtype=np.float64, copy=True)
    # A sensible completion lies within the products of the given judgments along a
    # chain of at most n - 1 pairs. Outside that box (with margin) lambda_max is taken
    # at the box edge plus a quadratic penalty, which keeps exp() finite wherever the
    # line search probes while leaving the (interior) optimum unchanged.
    given = a[~np.isnan(a)]
    reach = (a.shape[0] - 1) * float(np.max(np.abs(np.log(given)))) + 5.0

    def build(x: FloatArray) -> FloatArray:
        m = base.copy()
        m[rows, cols] = np.exp(x)
        m[cols, rows] = np.exp(-x)
        return m

    def objective(x: FloatArray) -> tuple[float, FloatArray]:
        inside = np.clip(x, -reach, reach)
        m = build(inside)
        lam, w = _perron(m)
        _, v = _perron(m.T)
        # d lambda / d log a_ij, with a_ji = 1 / a_ij (the Perron root is simple).
        grad = (v[rows] * m[rows, cols] * w[cols] - v[cols] * m[cols, rows] * w[rows]) / (v @ w)
        grad = np.where(inside == x, grad, 0.0)
        over = x - inside
        return lam + float(over @ over), np.asarray(grad + 2.0 * over, dtype=np.float64)

    x0 = np.clip(np.log(base[rows, cols]), -reach, reach)
    res = minimize(objective, x0, jac=True, method="BFGS", options={"gtol": 1e-9})
    x = np.clip(np.asarray(res.x, dtype=np.float64), -reach, reach)
    if not np.all(np.isfinite(x)) or objective(x)[0] > objective(x0)[0]:
        x = x0
    return build(x)


def _solve(a: FloatArray, method: str, completion: str) -> tuple[FloatArray, FloatArray, float]:
    """Complete (if needed) and weigh: (completed matrix, weights, lambda_max)."""
    if np.isnan(a).any():
        full = _harker(a)
        if completion == "lambda_min":
            full = _lambda_min(a, full)
    else:
        full = a
    if method == "eigenvector":
        lam, w = _perron(full)
    else:
        w = _geometric(full)
        lam = _lambda_from(full, w)
    return full, w, lam


def _ci_cr(n: int, lam: float, ri: float) -> tuple[float, float]:
    if n <= 2:
        return 0.0, 0.0
    ci = (lam - n) / (n - 1)
    return ci, ci / ri


def _snap(x: float, low: float, high: float) -> float:
    """Nearest value of Saaty's scale (in log distance) within [low, high]."""
    allowed = [s for s in SAATY_SCALE if low * (1 - _SCALE_TOL) <= s <= high * (1 + _SCALE_TOL)]
    lx = math.log(x)
    return min(allowed, key=lambda s: abs(math.log(s) - lx))


def _consensus(priorities: FloatArray, lam: FloatArray) -> float:
    """Shannon-entropy consensus of priority rows (see :func:`merge`)."""
    if priorities.shape[0] == 1:
        return 1.0

    def entropy(p: FloatArray) -> float:
        q = p[p > 0]
        return float(-np.sum(q * np.log(q)))

    h_alpha = float(sum(lam[k] * entropy(priorities[k]) for k in range(priorities.shape[0])))
    h_gamma = entropy(np.asarray(lam @ priorities, dtype=np.float64))
    homogeneity = math.exp(-(h_gamma - h_alpha))  # 1 / D_beta
    floor = math.exp(-entropy(lam))  # smallest possible 1 / D_beta (disjoint priorities)
    value = (homogeneity - floor) / (1.0 - floor)
    return min(1.0, max(0.0, value))


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


# ------------------------------------------------------------------------ validation


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def _check_option(option: str, value: object, accepted: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in accepted:
        raise JudgmentError(
            MSG_UNKNOWN_OPTION.format(option=option, value=value, accepted=", ".join(accepted))
        )
    return value


def _check_scale(scale: object) -> tuple[float, float]:
    if isinstance(scale, Sequence) and not isinstance(scale, str) and len(scale) == 2:
        bounds: list[float] = []
        for v in scale:
            if isinstance(v, int | float | Fraction) and not isinstance(v, bool):
                bounds.append(float(v))
        if len(bounds) == 2:
            lo, hi = bounds
            if math.isfinite(lo) and math.isfinite(hi) and 0 < lo <= 1 <= hi:
                return lo, hi
    raise JudgmentError(MSG_BAD_SCALE.format(found=scale))


def _check_threshold(threshold: object) -> float:
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, int | float)
        or not math.isfinite(threshold)
        or threshold < 0
    ):
        raise JudgmentError(MSG_BAD_THRESHOLD.format(found=threshold))
    return float(threshold)


def _check_top(top: object) -> int:
    if isinstance(top, bool) or not isinstance(top, int) or top < 0:
        raise JudgmentError(MSG_BAD_TOP.format(found=top))
    return top


def _check_names(names: object, what: str, error: type[ValueError]) -> tuple[str, ...]:
    if isinstance(names, str) or not isinstance(names, Sequence):
        raise error(MSG_BAD_ITEM_NAME.format(found=names))
    out: list[str] = []
    seen: set[str] = set()
    for name in names:
        if not isinstance(name, str) or not name:
            raise error(MSG_BAD_ITEM_NAME.format(found=name))
        if name in seen:
            raise error(MSG_DUPLICATE_NAMES.format(what=what, name=name))
        seen.add(name)
        out.append(name)
    return tuple(out)


def _parse_value(value: object, row: str, col: str) -> float:
    number: float
    if isinstance(value, bool | np.bool_ | complex | np.complexfloating):
        raise JudgmentError(MSG_BAD_VALUE.format(row=row, col=col, value=value))
    if isinstance(value, str):
        text = value.strip()
        try:
            number = float(Fraction(text))
        except (ValueError, ZeroDivisionError):
            try:
                number = float(text)
            except ValueError:
                raise JudgmentError(MSG_BAD_VALUE.format(row=row, col=col, value=value)) from None
    elif isinstance(value, int | float | Fraction | np.integer | np.floating):
        number = float(value)
    else:
        raise JudgmentError(MSG_BAD_VALUE.format(row=row, col=col, value=value))
    if not (math.isfinite(number) and number > 0):
        raise JudgmentError(MSG_NOT_POSITIVE.format(row=row, col=col, value=_fmt(number)))
    return number


def _in_scale(value: float, low: float, high: float) -> bool:
    return low * (1 - _SCALE_TOL) <= value <= high * (1 + _SCALE_TOL)


def _check_cell_scale(value: float, row: str, col: str, low: float, high: float) -> None:
    if not _in_scale(value, low, high):
        raise JudgmentError(
            MSG_OUT_OF_SCALE.format(
                row=row, col=col, value=_fmt(value), low=_fmt(low), high=_fmt(high)
            )
        )


def _matrix_input(
    judgments: MatrixJudgments, items: Sequence[str] | None, low: float, high: float
) -> tuple[FloatArray, tuple[str, ...]]:
    """Validate a full judgment matrix; returns it exactly reciprocal, and the names."""
    if isinstance(judgments, np.ndarray):
        if judgments.ndim != 2 or judgments.shape[0] != judgments.shape[1]:
            raise JudgmentError(MSG_NOT_SQUARE.format(found=f"an array of shape {judgments.shape}"))
        rows: list[Sequence[object]] = [list(r) for r in judgments]
        n = judgments.shape[0]
    else:
        n = len(judgments)
        rows = []
        for r, row in enumerate(judgments):
            if isinstance(row, str) or not isinstance(row, Sequence | np.ndarray):
                raise JudgmentError(
                    MSG_NOT_SQUARE.format(
                        found=f"row {r + 1} of {n} is {row!r}, not a list of values"
                    )
                )
            if len(row) != n:
                raise JudgmentError(
                    MSG_NOT_SQUARE.format(
                        found=f"row {r + 1} has {len(row)} values in a matrix of {n} rows"
                    )
                )
            rows.append(list(row))
    if n == 0:
        raise JudgmentError(MSG_EMPTY.format(found="an empty matrix"))
    if items is None:
        names = tuple(str(i) for i in range(n))
    else:
        names = _check_names(items, "item names", JudgmentError)
        if len(names) != n:
            raise JudgmentError(MSG_ITEMS_LENGTH.format(found=len(names), n=n))
    a = np.empty((n, n), dtype=np.float64)
    for i in range(n):
        for j in range(n):
            a[i, j] = _parse_value(rows[i][j], names[i], names[j])
    for i in range(n):
        if abs(a[i, i] - 1.0) > _DIAGONAL_TOL:
            raise JudgmentError(
                MSG_DIAGONAL.format(row=names[i], col=names[i], value=_fmt(a[i, i]))
            )
    for i in range(n):
        for j in range(i + 1, n):
            product = a[i, j] * a[j, i]
            if abs(product - 1.0) > _RECIPROCAL_TOL:
                raise JudgmentError(
                    MSG_NOT_RECIPROCAL.format(
                        row=names[i],
                        col=names[j],
                        a_ij=_fmt(a[i, j]),
                        a_ji=_fmt(a[j, i]),
                        product=_fmt(product),
                    )
                )
    for i in range(n):
        for j in range(n):
            if i != j:
                _check_cell_scale(a[i, j], names[i], names[j], low, high)
    iu = np.triu_indices(n, 1)
    a[np.diag_indices(n)] = 1.0
    a[(iu[1], iu[0])] = 1.0 / a[iu]
    return a, names


def _pair_input(
    judgments: PairJudgments, items: Sequence[str] | None, low: float, high: float
) -> tuple[FloatArray, tuple[str, ...]]:
    """Validate named pairs; returns the matrix with NaN where no pair was given."""
    keys: list[tuple[str, str]] = []
    for key in judgments:
        if (
            not isinstance(key, tuple)
            or len(key) != 2
            or not all(isinstance(x, str) and x for x in key)
        ):
            raise JudgmentError(MSG_BAD_PAIR_KEY.format(key=key))
        if key[0] == key[1]:
            raise JudgmentError(MSG_SELF_PAIR.format(row=key[0], col=key[1], value=judgments[key]))
        keys.append(key)
    if items is None:
        order: list[str] = []
        for a_name, b_name in keys:
            for x in (a_name, b_name):
                if x not in order:
                    order.append(x)
        names = tuple(order)
    else:
        names = _check_names(items, "item names", JudgmentError)
        known = set(names)
        for key in keys:
            for x in key:
                if x not in known:
                    raise JudgmentError(
                        MSG_UNKNOWN_ITEM.format(row=key[0], col=key[1], item=x, items=list(names))
                    )
    n = len(names)
    if n == 0:
        raise JudgmentError(MSG_EMPTY.format(found="no pairs and no items"))
    index = {name: k for k, name in enumerate(names)}
    a = np.full((n, n), np.nan)
    a[np.diag_indices(n)] = 1.0
    given: dict[tuple[int, int], float] = {}
    for key in keys:
        row, col = key
        value = _parse_value(judgments[key], row, col)
        _check_cell_scale(value, row, col, low, high)
        i, j = index[row], index[col]
        if (j, i) in given:
            other = given[(j, i)]
            if abs(value * other - 1.0) > _RECIPROCAL_TOL:
                raise JudgmentError(
                    MSG_CONTRADICTORY_PAIR.format(
                        row=row, col=col, value=_fmt(value), other=_fmt(other)
                    )
                )
        given[(i, j)] = value
        a[i, j] = value
        a[j, i] = 1.0 / value
    if n > 1:
        adjacency = csr_array((~np.isnan(a)).astype(np.int8))
        count, labels = connected_components(adjacency, directed=False)
        if count > 1:
            groups: list[list[str]] = []
            seen_labels: dict[int, int] = {}
            for k, name in enumerate(names):
                lab = int(labels[k])
                if lab not in seen_labels:
                    seen_labels[lab] = len(groups)
                    groups.append([])
                groups[seen_labels[lab]].append(name)
            raise JudgmentError(MSG_DISCONNECTED.format(count=count, groups=groups))
    return a, names


def _read_judgments(
    judgments: object, items: Sequence[str] | None, low: float, high: float
) -> tuple[FloatArray, tuple[str, ...]]:
    if isinstance(judgments, Mapping):
        return _pair_input(judgments, items, low, high)
    if isinstance(judgments, np.ndarray) or (
        isinstance(judgments, Sequence) and not isinstance(judgments, str | bytes)
    ):
        return _matrix_input(judgments, items, low, high)
    raise JudgmentError(MSG_BAD_INPUT.format(found=type(judgments).__name__))


# ----------------------------------------------------------------------- entry points


def random_index(n: int, *, table: str = "saaty1980") -> float:
    """Random consistency index RI(n) from a named table.

    Parameters
    ----------
    n
        Matrix size, >= 1.
    table
        ``"saaty1980"``, ``"saaty2005"``, ``"alonso_lamata"`` or ``"donegan_dodd"``
        (sources in :data:`RI_TABLES`).

    Returns
    -------
    float
        RI(n); 0 for n <= 2. ``alonso_lamata`` uses its linear fit for n > 15;
        ``donegan_dodd`` interpolates linearly between tabulated n up to 100.

    Raises
    ------
    JudgmentError
        Unknown table, n < 1, or n outside the table's range.
    """
    _check_option("random index table", table, tuple(RI_TABLES))
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise JudgmentError(MSG_EMPTY.format(found=f"n = {n!r}"))
    values = RI_TABLES[table]
    if n in values:
        return values[n]
    max_n = max(values)
    if table == "alonso_lamata":
        return (1.7699 * n - 4.3513) / (n - 1)
    if table == "donegan_dodd" and n < max_n:
        known = sorted(values)
        upper = next(m for m in known if m > n)
        lower = max(m for m in known if m < n)
        frac = (n - lower) / (upper - lower)
        return values[lower] + frac * (values[upper] - values[lower])
    raise JudgmentError(MSG_NO_RI.format(n=n, table=table, max_n=max_n))


def _result(
    a: FloatArray,
    names: tuple[str, ...],
    *,
    method: str,
    ri_table: str,
    threshold: float,
    low: float,
    high: float,
    completion: str,
    top: int,
) -> AhpResult:
    """Weigh a validated matrix (NaN = missing pair) and assemble the result."""
    n = len(names)
    ri = random_index(n, table=ri_table)
    full, w, lam = _solve(a, method, completion)
    if n <= 2:
        lam = float(n)
    ci, cr = _ci_cr(n, lam, ri)
    consistent = n <= 2 or cr <= threshold
    missing = np.isnan(a)
    completed = tuple(
        (names[i], names[j]) for i in range(n) for j in range(i + 1, n) if missing[i, j]
    )
    revisions: list[Revision] = []
    if not consistent and top > 0:
        candidates: list[tuple[float, int, int]] = []
        for i in range(n):
            for j in range(i + 1, n):
                if not missing[i, j]:
                    e = full[i, j] * w[j] / w[i]
                    candidates.append((max(e, 1.0 / e), i, j))
        candidates.sort(key=lambda c: -c[0])
        for disagreement, i, j in candidates:
            if len(revisions) >= top:
                break
            current = float(full[i, j])
            suggested = _snap(float(w[i] / w[j]), low, high)
            if abs(suggested / current - 1.0) <= _SCALE_TOL:
                continue
            trial = a.copy()
            trial[i, j] = suggested
            trial[j, i] = 1.0 / suggested
            _, _, lam_after = _solve(trial, method, completion)
            cr_after = _ci_cr(n, lam_after, ri)[1]
            if cr_after >= cr:
                continue  # advice that would not help is passed over
            revisions.append(
                Revision(
                    row=names[i],
                    col=names[j],
                    current=current,
                    suggested=suggested,
                    disagreement=float(disagreement),
                    cr_after=cr_after,
                )
            )
    gci_threshold = None if n < 3 else GCI_THRESHOLDS[min(n, 5)]
    return AhpResult(
        items=names,
        weights={name: float(w[k]) for k, name in enumerate(names)},
        weights_array=_readonly(w),
        method=method,
        lambda_max=float(lam),
        ci=float(ci),
        cr=float(cr),
        ri=float(ri),
        ri_table=ri_table,
        threshold=threshold,
        consistent=bool(consistent),
        gci=_gci(full, _geometric(full)),
        gci_threshold=gci_threshold,
        matrix=_readonly(full),
        completed=completed,
        completion=completion if completed else None,
        revisions=tuple(revisions),
    )


def weigh(
    judgments: Judgments,
    items: Sequence[str] | None = None,
    *,
    method: str = "eigenvector",
    ri: str = "saaty1980",
    threshold: float = 0.10,
    scale: tuple[float, float] = (1 / 9, 9),
    completion: str = "harker",
    top: int = 3,
) -> AhpResult:
    """Derive priority weights from pairwise judgments.

    Parameters
    ----------
    judgments
        Either a square matrix (numpy array or nested list; ``a[i][j]`` = how many
        times row item i is as important as column item j), or a mapping
        ``{(a, b): value}`` of named pairs, "a is ``value`` times as important as b".
        Values may be numbers or strings such as ``"1/3"``. Pairs may leave some
        comparisons out (they are completed) but must connect all items.
    items
        For a matrix: names of its rows (default ``"0"``, ``"1"``, ...). For pairs:
        the item order (default: order of first appearance); every pair must name
        items from this list.
    method
        ``"eigenvector"`` (principal right eigenvector) or ``"geometric"`` (row
        geometric mean).
    ri
        Random index table: ``"saaty1980"``, ``"saaty2005"``, ``"alonso_lamata"``,
        ``"donegan_dodd"``.
    threshold
        CR at or below which the judgments count as consistent.
    scale
        ``(low, high)``: the accepted range of given judgments.
    completion
        How missing pairs are filled: ``"harker"`` (Harker 1987) or
        ``"lambda_min"`` (the values minimizing lambda_max, Bozóki et al. 2010).
    top
        How many revisions to suggest when the judgments are inconsistent.

    Returns
    -------
    AhpResult
        Weights, consistency measures, the completed matrix and revision advice.

    Raises
    ------
    JudgmentError
        The judgments are malformed (not square, not reciprocal, not positive and
        finite, diagonal not 1, outside the scale, a pair of an item with itself, a
        pair given twice with contradicting values, an unknown item, or pairs that
        do not connect all items) or an option is unknown. The message names the
        cell or items.

    Examples
    --------
    >>> r = weigh({("price", "quality"): 3, ("price", "support"): 5,
    ...            ("quality", "support"): 2})
    >>> round(r.weights["price"], 3), r.consistent
    (0.648, True)
    """
    method_ = _check_option("method", method, METHODS)
    ri_ = _check_option("random index table", ri, tuple(RI_TABLES))
    completion_ = _check_option("completion", completion, COMPLETIONS)
    threshold_ = _check_threshold(threshold)
    low, high = _check_scale(scale)
    top_ = _check_top(top)
    a, names = _read_judgments(judgments, items, low, high)
    return _result(
        a,
        names,
        method=method_,
        ri_table=ri_,
        threshold=threshold_,
        low=low,
        high=high,
        completion=completion_,
        top=top_,
    )


def merge(
    judgment_sets: Mapping[str, Judgments],
    expert_weights: Mapping[str, float] | None = None,
    *,
    method: str = "aij",
    items: Sequence[str] | None = None,
    priority: str = "eigenvector",
    ri: str = "saaty1980",
    threshold: float = 0.10,
    scale: tuple[float, float] = (1 / 9, 9),
    completion: str = "harker",
    top: int = 3,
) -> GroupResult:
    """Merge several experts' judgments into one set of weights.

    Parameters
    ----------
    judgment_sets
        Expert name -> judgments, each in any form :func:`weigh` accepts. All
        experts must compare the same items.
    expert_weights
        Expert name -> positive weight (normalized to sum 1); None = equal weights.
    method
        ``"aij"``: weighted geometric mean of the (completed) judgment matrices,
        elementwise, then weighed (the merged matrix stays reciprocal).
        ``"aip"``: weighted geometric mean of the experts' priority vectors,
        normalized to sum 1.
    items
        Item order of the result (default: the first expert's order); also names the
        rows of matrix input, as in :func:`weigh`.
    priority, ri, threshold, scale, completion, top
        As ``method``, ``ri``, ... of :func:`weigh`, for every expert and for the
        AIJ matrix.

    Returns
    -------
    GroupResult
        Merged weights, each expert's own result and a consensus indicator.

    Notes
    -----
    Consensus is the Shannon-entropy indicator of Goepel (2013; "Implementing the
    analytic hierarchy process as a standard method for multi-criteria decision
    making in corporate enterprises - a new AHP Excel template with multiple inputs",
    ISAHP 2013), built on the partition of diversity into alpha, beta and gamma parts
    (Jost 2007). With expert weights ``l_k`` and priority vectors ``w_k``:
    ``H_alpha = sum_k l_k H(w_k)``, ``H_gamma = H(sum_k l_k w_k)``, ``H = -sum p ln p``;
    the relative homogeneity is ``S = exp(-(H_gamma - H_alpha)) = 1 / D_beta``. S runs
    from ``exp(-H(l))`` (= 1/K for K equally weighted experts with priorities on
    disjoint items) to 1 (identical priorities), and is rescaled linearly to
    ``(S - exp(-H(l))) / (1 - exp(-H(l)))`` in [0, 1]. Goepel's published S* rescales
    by scale-dependent entropy bounds instead, so the values here are not identical
    to AHP-OS's. One expert gives 1.

    Raises
    ------
    JudgmentError
        No experts, an expert's judgments are malformed (the message starts with the
        expert's name), experts compare different items, or expert weights do not
        match the experts or are not positive.
    """
    method_ = _check_option("merge method", method, MERGE_METHODS)
    priority_ = _check_option("method", priority, METHODS)
    ri_ = _check_option("random index table", ri, tuple(RI_TABLES))
    completion_ = _check_option("completion", completion, COMPLETIONS)
    threshold_ = _check_threshold(threshold)
    low, high = _check_scale(scale)
    top_ = _check_top(top)
    if not isinstance(judgment_sets, Mapping) or not judgment_sets:
        raise JudgmentError(MSG_NO_EXPERTS.format(found=judgment_sets))
    experts = _check_names(list(judgment_sets), "expert names", JudgmentError)

    results: dict[str, AhpResult] = {}
    for expert in experts:
        try:
            a, names = _read_judgments(judgment_sets[expert], items, low, high)
            results[expert] = _result(
                a,
                names,
                method=priority_,
                ri_table=ri_,
                threshold=threshold_,
                low=low,
                high=high,
                completion=completion_,
                top=top_,
            )
        except JudgmentError as exc:
            raise JudgmentError(f"expert {expert!r}: {exc}") from exc

    first = experts[0]
    order = tuple(items) if items is not None else results[first].items
    for expert in experts:
        if set(results[expert].items) != set(order):
            raise JudgmentError(
                MSG_EXPERT_ITEMS.format(
                    expert=expert,
                    first=first,
                    found=list(results[expert].items),
                    expected=list(order),
                )
            )

    if expert_weights is None:
        lam = np.full(len(experts), 1.0 / len(experts))
    else:
        if not isinstance(expert_weights, Mapping) or set(expert_weights) != set(experts):
            found = list(expert_weights) if isinstance(expert_weights, Mapping) else expert_weights
            raise JudgmentError(MSG_EXPERT_WEIGHT_KEYS.format(found=found, expected=list(experts)))
        raw = []
        for expert in experts:
            value = expert_weights[expert]
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or value <= 0
            ):
                raise JudgmentError(MSG_BAD_EXPERT_WEIGHT.format(expert=expert, value=value))
            raw.append(float(value))
        lam = np.asarray(raw, dtype=np.float64) / sum(raw)

    n = len(order)
    priorities = np.empty((len(experts), n), dtype=np.float64)
    log_sum = np.zeros((n, n), dtype=np.float64)
    for k, expert in enumerate(experts):
        res = results[expert]
        perm = [res.items.index(name) for name in order]
        priorities[k] = res.weights_array[perm]
        log_sum += lam[k] * np.log(res.matrix[np.ix_(perm, perm)])

    merged: AhpResult | None
    if method_ == "aij":
        merged = _result(
            np.exp(log_sum),
            order,
            method=priority_,
            ri_table=ri_,
            threshold=threshold_,
            low=low,
            high=high,
            completion=completion_,
            top=top_,
        )
        w = np.asarray(merged.weights_array, dtype=np.float64)
    else:
        merged = None
        g = np.exp(lam @ np.log(priorities))
        w = g / g.sum()

    return GroupResult(
        method=method_,
        items=order,
        weights={name: float(w[k]) for k, name in enumerate(order)},
        weights_array=_readonly(w),
        experts=results,
        expert_weights={e: float(lam[k]) for k, e in enumerate(experts)},
        consensus=_consensus(priorities, lam),
        merged=merged,
        priority=priority_,
    )


def _weight_value(value: object, error_message: str) -> float:
    if (
        isinstance(value, bool | np.bool_)
        or not isinstance(value, int | float | np.integer | np.floating)
        or not math.isfinite(float(value))
        or float(value) < 0
    ):
        raise ScenarioError(error_message)
    return float(value)


def synthesize(
    local_weights: Mapping[str, Mapping[str, float]], *, root: str = "goal"
) -> HierarchyResult:
    """Global leaf weights of a hierarchy by distributive synthesis.

    Parameters
    ----------
    local_weights
        Parent id -> {child id -> local weight}; each parent's local weights are
        non-negative and sum to 1 (e.g. :attr:`AhpResult.weights`). Nodes without an
        entry are leaves.
    root
        The top node.

    Returns
    -------
    HierarchyResult
        Leaf weights (product of local weights along the path from the root), leaves
        in tree order (depth first, children in mapping order), summing to 1.

    Raises
    ------
    ScenarioError
        The root has no entry, a parent has no children, a local weight is negative
        or not finite, a parent's weights do not sum to 1, the hierarchy has a cycle
        or a node with two parents, or entries do not hang from the root.
    """
    if not isinstance(local_weights, Mapping) or root not in local_weights:
        found = list(local_weights) if isinstance(local_weights, Mapping) else local_weights
        raise ScenarioError(MSG_ROOT_MISSING.format(root=root, found=found))
    node_weights: dict[str, float] = {root: 1.0}
    parent_of: dict[str, str] = {}
    leaves: list[str] = []
    stack: list[str] = [root]
    while stack:
        node = stack.pop()
        if node not in local_weights:
            leaves.append(node)
            continue
        children = local_weights[node]
        if not isinstance(children, Mapping) or not children:
            raise ScenarioError(MSG_NO_CHILDREN.format(node=node, found=children))
        total = 0.0
        for child, value in children.items():
            weight = _weight_value(
                value, MSG_BAD_LOCAL_WEIGHT.format(child=child, parent=node, value=value)
            )
            total += weight
            if child == root or child in parent_of:
                ancestor: str | None = node
                while ancestor is not None and ancestor != child:
                    ancestor = parent_of.get(ancestor)
                if ancestor == child:
                    raise ScenarioError(MSG_TREE_CYCLE.format(child=child, parent=node))
                raise ScenarioError(
                    MSG_TREE_TWO_PARENTS.format(child=child, first=parent_of[child], second=node)
                )
            parent_of[child] = node
            node_weights[child] = node_weights[node] * weight
        if abs(total - 1.0) > _SUM_TOL:
            raise ScenarioError(MSG_LOCAL_SUM.format(parent=node, total=_fmt(total)))
        stack.extend(reversed(list(children)))
    unreachable = [p for p in local_weights if p not in node_weights]
    if unreachable:
        raise ScenarioError(MSG_UNREACHABLE.format(root=root, nodes=unreachable))
    ordered: dict[str, float] = {}
    order_stack = [root]
    while order_stack:
        node = order_stack.pop()
        ordered[node] = node_weights[node]
        if node in local_weights:
            order_stack.extend(reversed(list(local_weights[node])))
    leaf_order = tuple(node for node in ordered if node not in local_weights)
    w = np.array([ordered[leaf] for leaf in leaf_order], dtype=np.float64)
    return HierarchyResult(
        root=root,
        leaves=leaf_order,
        weights={leaf: ordered[leaf] for leaf in leaf_order},
        weights_array=_readonly(w),
        node_weights=ordered,
    )


def _criterion_weights(
    global_weights: Mapping[str, float] | ArrayLike, columns: int
) -> tuple[tuple[str, ...], FloatArray]:
    if isinstance(global_weights, Mapping):
        names = _check_names(list(global_weights), "criterion names", ScenarioError)
        raw = [global_weights[name] for name in names]
    else:
        arr = np.asarray(global_weights, dtype=object)
        if arr.ndim != 1:
            raise ScenarioError(
                MSG_WEIGHTS_LENGTH.format(found=f"shape {arr.shape}", columns=columns)
            )
        raw = list(arr)
        names = tuple(str(k) for k in range(len(raw)))
    if len(raw) != columns:
        raise ScenarioError(MSG_WEIGHTS_LENGTH.format(found=len(raw), columns=columns))
    w = np.array(
        [
            _weight_value(v, MSG_BAD_WEIGHT.format(criterion=c, value=v))
            for c, v in zip(names, raw, strict=True)
        ],
        dtype=np.float64,
    )
    if abs(float(w.sum()) - 1.0) > _SUM_TOL:
        raise ScenarioError(MSG_WEIGHTS_SUM.format(total=_fmt(float(w.sum()))))
    return names, w


def _values_table(values: ArrayLike) -> FloatArray:
    try:
        v = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ScenarioError(MSG_VALUES_SHAPE.format(found=type(values).__name__)) from None
    if v.ndim != 2 or v.shape[0] == 0 or v.shape[1] == 0:
        raise ScenarioError(MSG_VALUES_SHAPE.format(found=f"shape {v.shape}"))
    return v


def _alternative_names(alternatives: Sequence[str] | None, rows: int) -> tuple[str, ...]:
    if alternatives is None:
        return tuple(str(k) for k in range(rows))
    names = _check_names(alternatives, "alternative names", ScenarioError)
    if len(names) != rows:
        raise ScenarioError(
            MSG_NAMES_LENGTH.format(what="alternative names", found=len(names), expected=rows)
        )
    return names


def score_alternatives(
    matrix: ArrayLike,
    global_weights: Mapping[str, float] | ArrayLike,
    *,
    mode: str = "distributive",
    alternatives: Sequence[str] | None = None,
) -> ScoreResult:
    """Overall scores of alternatives from their values on each criterion.

    Parameters
    ----------
    matrix
        Alternatives x criteria, non-negative finite values (e.g. each column the
        alternatives' local priorities or measurements on that criterion, larger =
        better).
    global_weights
        Criterion -> weight (mapping order = column order) or a sequence of weights
        by column; non-negative, summing to 1.
    mode
        ``"distributive"``: each column divided by its sum; ``"ideal"``: each column
        divided by its maximum (scores are then not renormalized).
    alternatives
        Row names (default ``"0"``, ``"1"``, ...).

    Returns
    -------
    ScoreResult
        Normalized table and weighted-sum scores.

    Raises
    ------
    ScenarioError
        The table is not 2-D, has negative or non-finite values or an all-zero
        column, or the weights do not match its columns or do not sum to 1; or the
        mode is unknown.
    """
    if not isinstance(mode, str) or mode not in MODES:
        raise ScenarioError(
            MSG_UNKNOWN_OPTION.format(option="mode", value=mode, accepted=", ".join(MODES))
        )
    v = _values_table(matrix)
    criteria, w = _criterion_weights(global_weights, v.shape[1])
    alts = _alternative_names(alternatives, v.shape[0])
    for i in range(v.shape[0]):
        for j in range(v.shape[1]):
            if not (math.isfinite(v[i, j]) and v[i, j] >= 0):
                raise ScenarioError(
                    MSG_VALUES_RANGE.format(
                        alternative=alts[i],
                        criterion=criteria[j],
                        value=_fmt(v[i, j]),
                        accepted="a finite number >= 0",
                    )
                )
    for j in range(v.shape[1]):
        if not v[:, j].max() > 0:
            raise ScenarioError(
                MSG_ZERO_COLUMN.format(criterion=criteria[j], values=v[:, j].tolist())
            )
    norm = v / (v.sum(axis=0) if mode == "distributive" else v.max(axis=0))
    scores = norm @ w
    return ScoreResult(
        alternatives=alts,
        criteria=criteria,
        mode=mode,
        criterion_weights={c: float(w[j]) for j, c in enumerate(criteria)},
        normalized=_readonly(norm),
        scores={a: float(scores[i]) for i, a in enumerate(alts)},
        scores_array=_readonly(scores),
    )


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
    v = _values_table(values)
    criteria, w = _criterion_weights(global_weights, v.shape[1])
    alts = _alternative_names(alternatives, v.shape[0])
    for i in range(v.shape[0]):
        for j in range(v.shape[1]):
            if not (math.isfinite(v[i, j]) and -1e-12 <= v[i, j] <= 1 + 1e-12):
                raise ScenarioError(
                    MSG_VALUES_RANGE.format(
                        alternative=alts[i],
                        criterion=criteria[j],
                        value=_fmt(v[i, j]),
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
            grid=_readonly(grid),
            scores=_readonly(r[None, :] + grid[:, None] * d[None, :]),
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

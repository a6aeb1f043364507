"""Synthesis: global weights down a hierarchy, overall scores of alternatives.

:func:`synthesize` multiplies local weights down a tree of criteria (distributive
synthesis) into global leaf weights; :func:`score_alternatives` normalizes a table of
alternatives x criteria (distributive or ideal mode) and takes the weighted sum. The
checks of weights, tables and alternative names here are shared with
:mod:`selector.ahp.weight_sensitivity`. Malformed input raises
:class:`~selector.errors.ScenarioError`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from selector.ahp.messages import (
    MSG_BAD_LOCAL_WEIGHT,
    MSG_BAD_WEIGHT,
    MSG_LOCAL_SUM,
    MSG_NAMES_LENGTH,
    MSG_NO_CHILDREN,
    MSG_ROOT_MISSING,
    MSG_TREE_CYCLE,
    MSG_TREE_TWO_PARENTS,
    MSG_UNKNOWN_OPTION,
    MSG_UNREACHABLE,
    MSG_VALUES_RANGE,
    MSG_VALUES_SHAPE,
    MSG_WEIGHTS_LENGTH,
    MSG_WEIGHTS_SUM,
    MSG_ZERO_COLUMN,
    format_number,
)
from selector.ahp.scale import FloatArray, check_names, readonly_copy
from selector.errors import ScenarioError

__all__ = [
    "MODES",
    "HierarchyResult",
    "ScoreResult",
    "score_alternatives",
    "synthesize",
]

MODES: tuple[str, ...] = ("distributive", "ideal")

_SUM_TOL = 1e-6


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
            raise ScenarioError(MSG_LOCAL_SUM.format(parent=node, total=format_number(total)))
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
        weights_array=readonly_copy(w),
        node_weights=ordered,
    )


def read_criterion_weights(
    global_weights: Mapping[str, float] | ArrayLike, columns: int
) -> tuple[tuple[str, ...], FloatArray]:
    if isinstance(global_weights, Mapping):
        names = check_names(list(global_weights), "criterion names", ScenarioError)
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
        raise ScenarioError(MSG_WEIGHTS_SUM.format(total=format_number(float(w.sum()))))
    return names, w


def read_values_table(values: ArrayLike) -> FloatArray:
    try:
        v = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ScenarioError(MSG_VALUES_SHAPE.format(found=type(values).__name__)) from None
    if v.ndim != 2 or v.shape[0] == 0 or v.shape[1] == 0:
        raise ScenarioError(MSG_VALUES_SHAPE.format(found=f"shape {v.shape}"))
    return v


def read_alternative_names(alternatives: Sequence[str] | None, rows: int) -> tuple[str, ...]:
    if alternatives is None:
        return tuple(str(k) for k in range(rows))
    names = check_names(alternatives, "alternative names", ScenarioError)
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
    v = read_values_table(matrix)
    criteria, w = read_criterion_weights(global_weights, v.shape[1])
    alts = read_alternative_names(alternatives, v.shape[0])
    for i in range(v.shape[0]):
        for j in range(v.shape[1]):
            if not (math.isfinite(v[i, j]) and v[i, j] >= 0):
                raise ScenarioError(
                    MSG_VALUES_RANGE.format(
                        alternative=alts[i],
                        criterion=criteria[j],
                        value=format_number(v[i, j]),
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
        normalized=readonly_copy(norm),
        scores={a: float(scores[i]) for i, a in enumerate(alts)},
        scores_array=readonly_copy(scores),
    )

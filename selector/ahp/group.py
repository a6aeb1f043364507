"""Group decisions: several experts' judgments merged into one set of weights.

:func:`merge` weighs each expert's judgments, then aggregates either the individual
judgments (AIJ, weighted geometric mean of the completed matrices) or the individual
priorities (AIP, weighted geometric mean of the priority vectors), and reports a
Shannon-entropy consensus indicator (sources in :func:`merge`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from selector.ahp.completion import COMPLETIONS
from selector.ahp.consistency import RI_TABLES, check_threshold
from selector.ahp.judgments import Judgments, read_judgments
from selector.ahp.messages import (
    MSG_BAD_EXPERT_WEIGHT,
    MSG_EXPERT_ITEMS,
    MSG_EXPERT_WEIGHT_KEYS,
    MSG_NO_EXPERTS,
)
from selector.ahp.priorities import METHODS
from selector.ahp.revisions import check_top
from selector.ahp.scale import FloatArray, check_names, check_option, check_scale, readonly_copy
from selector.ahp.weighing import AhpResult, weigh_matrix
from selector.errors import JudgmentError

__all__ = [
    "MERGE_METHODS",
    "GroupResult",
    "merge",
]

MERGE_METHODS: tuple[str, ...] = ("aij", "aip")


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
    method_ = check_option("merge method", method, MERGE_METHODS)
    priority_ = check_option("method", priority, METHODS)
    ri_ = check_option("random index table", ri, tuple(RI_TABLES))
    completion_ = check_option("completion", completion, COMPLETIONS)
    threshold_ = check_threshold(threshold)
    low, high = check_scale(scale)
    top_ = check_top(top)
    if not isinstance(judgment_sets, Mapping) or not judgment_sets:
        raise JudgmentError(MSG_NO_EXPERTS.format(found=judgment_sets))
    experts = check_names(list(judgment_sets), "expert names", JudgmentError)

    results: dict[str, AhpResult] = {}
    for expert in experts:
        try:
            a, names = read_judgments(judgment_sets[expert], items, low, high)
            results[expert] = weigh_matrix(
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
        merged = weigh_matrix(
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
        weights_array=readonly_copy(w),
        experts=results,
        expert_weights={e: float(lam[k]) for k, e in enumerate(experts)},
        consensus=_consensus(priorities, lam),
        merged=merged,
        priority=priority_,
    )

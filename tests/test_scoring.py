"""Tests for selector/scoring.py: normalization, scores, score bands, weights, positioning."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import MODEL
from hypothesis import given, settings
from hypothesis import strategies as st

from selector import ahp
from selector.errors import ScenarioError
from selector.inputs.criteria import Criterion, load_model, model_from_dict
from selector.inputs.scenario import TierRule, load_scenario
from selector.scoring import (
    QUADRANTS,
    model_weights,
    normalize,
    positioning,
    score_bands,
    score_partners,
)


def crit(
    normalize_: str = "minmax",
    direction: str = "benefit",
    missing: str = "error",
    scale: tuple[float, float] | None = None,
) -> Criterion:
    return Criterion(
        id="c",
        label="c",
        parent="goal",
        column="c",
        direction=direction,
        normalize=normalize_,
        scale=scale,
        missing=missing,
    )


# --- normalize ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "direction", "scale", "values", "expected"),
    [
        ("minmax", "benefit", None, [1, 2, 3, 5], [0, 0.25, 0.5, 1]),
        ("minmax", "cost", None, [1, 2, 3, 5], [1, 0.75, 0.5, 0]),
        ("ratio", "benefit", None, [1, 2, 4], [0.25, 0.5, 1]),
        ("ratio", "cost", None, [1, 2, 4], [1, 0.5, 0.25]),
        ("ratio", "cost", None, [0, 2, 4], [1, 0, 0]),  # a zero cost is best, others 0
        ("scale", "benefit", (1, 5), [1, 3, 5], [0, 0.5, 1]),
        ("scale", "cost", (1, 5), [1, 3, 5], [1, 0.5, 0]),
        ("scale", "benefit", (1, 5), [0, 7], [0, 1]),  # clipped to the scale
        ("scale", "cost", (0, 10), [2.5], [0.75]),
    ],
)
def test_normalize_kinds(
    kind: str, direction: str, scale: Any, values: list[float], expected: list[float]
) -> None:
    out = normalize(np.array(values, dtype=float), crit(kind, direction, scale=scale))
    assert out == pytest.approx(expected)


@pytest.mark.parametrize(
    ("missing", "expected"),
    [
        ("worst", [0.0, 0.0, 1.0, 0.5]),
        ("zero", [0.0, 0.0, 1.0, 0.5]),
        ("mean", [0.5, 0.0, 1.0, 0.5]),
    ],
)
def test_normalize_missing_policies(missing: str, expected: list[float]) -> None:
    values = np.array([np.nan, 2.0, 6.0, 4.0])
    assert normalize(values, crit("minmax", missing=missing)) == pytest.approx(expected)


def test_normalize_all_missing_is_zero() -> None:
    assert normalize(np.full(3, np.nan), crit(missing="mean")) == pytest.approx([0, 0, 0])


def test_normalize_does_not_change_its_input() -> None:
    values = np.array([3.0, np.nan, 1.0])
    normalize(values, crit(missing="mean"))
    assert np.isnan(values[1]) and values[0] == 3.0


def test_normalize_minmax_ties_same_for_cost_and_benefit() -> None:
    values = np.array([4.0, 4.0, 4.0])
    assert normalize(values, crit("minmax", "cost")) == pytest.approx(
        normalize(values, crit("minmax", "benefit"))
    )


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.one_of(st.none(), st.floats(0, 1e6)), min_size=1, max_size=12),
    kind=st.sampled_from(["minmax", "ratio", "scale"]),
    direction=st.sampled_from(["benefit", "cost"]),
    missing=st.sampled_from(["worst", "mean", "zero"]),
)
def test_normalize_in_unit_interval_and_monotone(
    values: list[float | None], kind: str, direction: str, missing: str
) -> None:
    x = np.array([np.nan if v is None else v for v in values], dtype=float)
    c = crit(kind, direction, missing, scale=(0.0, 1e6) if kind == "scale" else None)
    out = normalize(x, c)
    assert out.shape == x.shape
    assert np.isfinite(out).all()
    assert ((out >= 0) & (out <= 1)).all()
    present = ~np.isnan(x)
    order = np.argsort(x[present], kind="stable")
    ranked = out[present][order]
    diffs = np.diff(ranked)
    if direction == "benefit":
        assert (diffs >= -1e-12).all()
    else:
        assert (diffs <= 1e-12).all()


# --- scores ------------------------------------------------------------------------------


def test_teaching_scores_in_unit_interval_and_weighted_sum(teaching: Any) -> None:
    s = score_partners(teaching)
    assert list(s.score.index) == list(teaching.partner_ids)
    assert ((s.score >= 0) & (s.score <= 1)).all()
    assert s.overridden == ()
    w = s.weights.global_weights
    expected = sum(s.normalized[leaf] * w[leaf] for leaf in s.normalized.columns)
    assert s.score.to_numpy() == pytest.approx(expected.to_numpy())
    assert set(s.band) <= {"gold", "silver", "standard", "exit"}
    assert s.to_frame()["rank"].tolist() == list(range(1, 13))


def test_score_column_overrides(make_scenario: Any, teaching: Any) -> None:
    def with_scores(df: pd.DataFrame) -> pd.DataFrame:
        out = df.copy()
        out["score"] = ""
        out.loc[out["id"] == "R10", "score"] = "0.99"
        out.loc[out["id"] == "D01", "score"] = "0"
        return out

    scenario = load_scenario(make_scenario(partners=with_scores))
    s = score_partners(scenario)
    base = score_partners(teaching)
    assert s.score["R10"] == pytest.approx(0.99)
    assert s.score["D01"] == pytest.approx(0.0)
    assert set(s.overridden) == {"R10", "D01"}
    others = [p for p in teaching.partner_ids if p not in ("R10", "D01")]
    assert s.score[others].to_numpy() == pytest.approx(base.score[others].to_numpy())
    assert s.band["R10"] == "gold"


def test_score_column_without_model(make_scenario: Any) -> None:
    def with_scores(df: pd.DataFrame) -> pd.DataFrame:
        return df.assign(score=[f"{v:.2f}" for v in np.linspace(0, 1, len(df))])

    scenario = load_scenario(make_scenario(partners=with_scores, model=False))
    s = score_partners(scenario)
    assert s.score.to_numpy() == pytest.approx(np.linspace(0, 1, 12), abs=0.006)
    assert s.weights is None


def test_what_if_weights_renormalized(teaching: Any) -> None:
    s = score_partners(teaching, weights={"market_alignment": 2.0})
    expected = s.normalized["market_alignment"]
    assert s.score.to_numpy() == pytest.approx(expected.to_numpy())
    with pytest.raises(ScenarioError):
        score_partners(teaching, weights={"market_alignment": 0.0})


# --- score bands -------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [10, 20, 100])
def test_score_bands_follow_the_rule(n: int) -> None:
    rng = np.random.default_rng(n)
    score = pd.Series(rng.permutation(n) / n, index=[f"P{i:03d}" for i in range(n)])
    tiers = score_bands(score, TierRule())
    counts = tiers.value_counts()
    assert counts.get("gold", 0) == round(0.1 * n)
    assert counts.get("gold", 0) + counts.get("silver", 0) == round(0.3 * n)
    assert counts.get("exit", 0) == round(0.1 * n)
    assert counts.sum() == n
    ranks = score.rank(ascending=False, method="first")
    for pid, tier in tiers.items():
        r = ranks[pid]
        want = (
            "gold"
            if r <= round(0.1 * n)
            else "silver"
            if r <= round(0.3 * n)
            else "exit"
            if r > n - round(0.1 * n)
            else "standard"
        )
        assert tier == want, (pid, r, tier)
    assert list(tiers.index) == list(score.index)


def test_score_band_ties_are_broken_by_id_and_order_free() -> None:
    ids = [f"P{i:02d}" for i in range(10)]
    score = pd.Series(0.5, index=ids)
    tiers = score_bands(score)
    assert tiers["P00"] == "gold"
    assert list(tiers[["P01", "P02"]]) == ["silver", "silver"]
    assert tiers["P09"] == "exit"
    shuffled = score.iloc[np.random.default_rng(0).permutation(10)]
    assert score_bands(shuffled).reindex(ids).equals(tiers)


def test_score_bands_custom_rule_and_tiny_sets() -> None:
    score = pd.Series([0.9, 0.5, 0.1], index=["a", "b", "c"])
    tiers = score_bands(score, TierRule(gold=0.34, silver=0.67, exit=0.33))
    assert tiers.tolist() == ["gold", "silver", "exit"]
    assert score_bands(pd.Series([], dtype=float)).empty


# --- model weights ------------------------------------------------------------------------


def test_model_weights_partner_selection() -> None:
    model = load_model(MODEL)
    mw = model_weights(model)
    assert sum(mw.global_weights.values()) == pytest.approx(1.0)
    assert set(mw.global_weights) == {leaf.id for leaf in model.leaves}
    assert all(w > 0 for w in mw.global_weights.values())
    assert mw.consistent
    assert mw.inconsistent_nodes() == {}
    for parent in model.parents:
        res = mw.nodes[parent]
        if res is not None:
            assert isinstance(res, ahp.AhpResult)
            assert res.consistent, parent
            assert sum(res.weights.values()) == pytest.approx(1.0)
        children = model.children(parent)
        parent_weight = 1.0 if parent == "goal" else mw.node_weights[parent]
        assert sum(mw.node_weights[c] for c in children) == pytest.approx(parent_weight)
    for leaf in model.leaves:
        assert mw.node_weights[leaf.id] == pytest.approx(mw.global_weights[leaf.id])


def _two_expert_model(b_pairs: list[list[Any]]) -> dict[str, Any]:
    return {
        "name": "two experts",
        "criteria": [
            {"id": "price", "column": "price", "direction": "cost"},
            {"id": "skill", "column": "skill"},
            {"id": "reach", "column": "reach"},
        ],
        "judgments": [
            {
                "parent": "goal",
                "expert": "alice",
                "pairs": [["price", "skill", 3], ["price", "reach", 3], ["skill", "reach", 1]],
            },
            {"parent": "goal", "expert": "bob", "pairs": b_pairs},
        ],
    }


def test_several_experts_on_one_parent_are_merged() -> None:
    # Bob's judgments are Alice's inverted: merged by geometric mean, all equal.
    model = model_from_dict(
        _two_expert_model(
            [["price", "skill", "1/3"], ["price", "reach", "1/3"], ["skill", "reach", 1]]
        )
    )
    mw = model_weights(model)
    res = mw.nodes["goal"]
    assert isinstance(res, ahp.GroupResult)
    assert set(res.experts) == {"alice", "bob"}
    assert res.experts["alice"].weights["price"] == pytest.approx(0.6)
    assert res.experts["bob"].weights["price"] == pytest.approx(1 / 7)
    assert mw.global_weights == pytest.approx({"price": 1 / 3, "skill": 1 / 3, "reach": 1 / 3})
    assert mw.consistent


def test_merged_experts_weights_between_theirs() -> None:
    model = model_from_dict(
        _two_expert_model([["price", "skill", 1], ["price", "reach", 1], ["skill", "reach", 1]])
    )
    mw = model_weights(model)
    res = mw.nodes["goal"]
    assert isinstance(res, ahp.GroupResult)
    w = mw.global_weights
    assert sum(w.values()) == pytest.approx(1.0)
    assert 1 / 3 < w["price"] < 0.6
    assert w["skill"] == pytest.approx(w["reach"])


def test_inconsistent_expert_is_reported() -> None:
    model = model_from_dict(
        _two_expert_model([["price", "skill", 9], ["skill", "reach", 9], ["reach", "price", 9]])
    )
    mw = model_weights(model)
    assert not mw.consistent
    assert "goal" in mw.inconsistent_nodes()
    assert any("bob" in s for s in mw.inconsistent_nodes()["goal"])


# --- positioning -----------------------------------------------------------------------


def test_positioning_quadrants(teaching: Any) -> None:
    pos = positioning(teaching)
    scores = score_partners(teaching).score
    them = teaching.partners["importance_to_partner"].astype(float)
    assert list(pos.index) == list(teaching.partner_ids)
    for pid, row in pos.iterrows():
        key = (bool(scores[pid] >= scores.median()), bool(them[pid] >= them.median()))
        assert row["quadrant"] == QUADRANTS[key], pid
        assert row["importance_to_us"] == pytest.approx(scores[pid])
    assert pos["quadrant"].nunique() >= 2
    assert set(pos["band"]) <= {"gold", "silver", "standard", "exit"}


def test_positioning_needs_importance_column(make_scenario: Any) -> None:
    scenario = load_scenario(
        make_scenario(partners=lambda df: df.drop(columns=["importance_to_partner"]))
    )
    with pytest.raises(ScenarioError, match="importance_to_partner"):
        positioning(scenario)

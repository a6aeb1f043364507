"""Tests for selector/portfolio/explain.py: why a scenario is infeasible, why a partner
is in or out."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from portfolio_cases import coverage_pairs, tiny_frames

from selector.inputs.scenario import scenario_from_frames
from selector.portfolio import explain_partners, solve

# --- infeasible scenarios and their explanations -------------------------------------


def test_infeasible_must_include_over_budget_names_both_figures() -> None:
    partners, segments = tiny_frames(3, 2, cost=[700_000, 500_000, 10])
    cov = coverage_pairs([("P0", "S0"), ("P1", "S1"), ("P2", "S0")])
    scenario = scenario_from_frames(
        partners,
        segments,
        coverage=cov,
        settings={"budget": {"total": 1_000_000}, "constraints": {"must_include": ["P0", "P1"]}},
    )
    result = solve(scenario)
    assert result.status == "infeasible"
    assert result.selected == ()
    assert result.objective is None
    text = " ".join(result.explanation)
    assert "1,200,000" in text and "1,000,000" in text, text


def test_infeasible_named_segment_needs_more_partners_than_cover_it() -> None:
    partners, segments = tiny_frames(3, 3)
    segments.loc[1, "named"] = "true"
    cov = coverage_pairs([("P0", "S0"), ("P1", "S1"), ("P2", "S2"), ("P0", "S2")])
    scenario = scenario_from_frames(
        partners,
        segments,
        coverage=cov,
        settings={"budget": {"total": 1000}, "constraints": {"min_partners": {"named": 2}}},
    )
    result = solve(scenario)
    assert result.status == "infeasible"
    text = " ".join(result.explanation)
    assert "S1" in text and "2" in text, text


def test_infeasible_conflicting_must_includes_named() -> None:
    partners, segments = tiny_frames(3, 2)
    cov = coverage_pairs([("P0", "S0"), ("P1", "S1"), ("P2", "S0")])
    scenario = scenario_from_frames(
        partners,
        segments,
        coverage=cov,
        settings={
            "budget": {"total": 1000},
            "constraints": {"must_include": ["P0", "P1"], "conflicts": [["P1", "P0"]]},
        },
    )
    result = solve(scenario)
    assert result.status == "infeasible"
    text = " ".join(result.explanation)
    assert "P0" in text and "P1" in text and "conflict" in text, text


def test_infeasible_found_only_by_relaxation_names_a_rule_group() -> None:
    # Three named segments, each covered by its own partner costing 100: every rule is
    # fine alone, but the 250 budget cannot pay for all three required partners.
    partners, segments = tiny_frames(3, 3)
    segments["named"] = "true"
    cov = coverage_pairs([("P0", "S0"), ("P1", "S1"), ("P2", "S2")])
    scenario = scenario_from_frames(
        partners,
        segments,
        coverage=cov,
        settings={"budget": {"total": 250}, "constraints": {"min_partners": {"named": 1}}},
    )
    result = solve(scenario)
    assert result.status == "infeasible"
    text = " ".join(result.explanation)
    assert "relaxed" in text, text
    assert "the total budget" in text, text
    assert "minimum partners per segment" in text, text


def test_named_segment_nobody_covers_is_infeasible() -> None:
    partners, segments = tiny_frames(2, 2, cost=[10, 20])
    segments.loc[1, "named"] = "true"
    cov = coverage_pairs([("P0", "S0"), ("P1", "S0")])
    scenario = scenario_from_frames(
        partners,
        segments,
        coverage=cov,
        settings={"budget": {"total": 100}, "constraints": {"min_partners": {"named": 1}}},
    )
    result = solve(scenario)
    assert result.status == "infeasible"
    assert "S1" in " ".join(result.explanation)


# --- why each partner is in or out ---------------------------------------------------


def test_explain_partners_on_teaching(teaching: Any) -> None:
    scenario = teaching.with_changes({"constraints": {"must_exclude": ["R01"]}})
    result = solve(scenario)
    assert result.status == "optimal"
    why = explain_partners(scenario, result)
    assert set(why.index) == set(scenario.partner_ids)
    assert why["reason"].map(lambda s: isinstance(s, str) and len(s) > 0).all()
    assert set(why.index[why["selected"]]) == set(result.selected)
    assert (why.loc[why["selected"], "marginal_value"] >= -1e-9).all()
    assert "must_exclude" in why.loc["R01", "reason"]
    assert not why.loc["R01", "selected"]
    # The conflict pair: if one is selected, the other says so.
    for a, b in (("R02", "R10"), ("R10", "R02")):
        if why.loc[a, "selected"] and not why.loc[b, "selected"]:
            assert a in why.loc[b, "reason"], why.loc[b, "reason"]


def test_explain_partners_marginal_value_is_loss_when_removed(teaching: Any) -> None:
    from selector.scoring import score_partners

    result = solve(teaching)
    why = explain_partners(teaching, result)
    score = score_partners(teaching).score.reindex(teaching.partner_ids).to_numpy()
    cover = teaching.coverage_matrix.toarray().astype(bool)
    value = teaching.segments["value"].to_numpy(dtype=float)
    ids = list(teaching.partner_ids)
    supply = teaching.supply
    tier = teaching.partners["gtm_tier"].to_numpy()

    def objective(sel: np.ndarray) -> float:
        best = (cover & sel[:, None]) * score[:, None]
        return float(value @ best.max(axis=0))

    sel = np.array([p in result.selected for p in ids])
    base = objective(sel)
    assert base == pytest.approx(result.objective)
    for k, pid in enumerate(ids):
        if not sel[k]:
            continue
        trial = sel.copy()
        trial[k] = False
        # A reseller whose only selected distributor goes goes with it.
        for r, rid in enumerate(ids):
            if trial[r] and tier[r] == 2:
                ds = supply.loc[supply["reseller_id"] == rid, "distributor_id"]
                if not any(trial[ids.index(d)] for d in ds):
                    trial[r] = False
        assert why.loc[pid, "marginal_value"] == pytest.approx(base - objective(trial)), pid


def test_a_set_cover_says_which_partners_are_in_no_cheapest_portfolio() -> None:
    # P0 (5) covers S0 and S1, which P1 and P2 cover for 2 each: in no cheapest cover.
    # P3 covers S0 for 2, as P1 does: one of the two is left out as not needed.
    partners, segments = tiny_frames(4, 2, cost=[5, 2, 2, 2])
    cov = coverage_pairs([("P0", "S0"), ("P0", "S1"), ("P1", "S0"), ("P2", "S1"), ("P3", "S0")])
    scenario = scenario_from_frames(partners, segments, coverage=cov, settings={"objective": {"kind": "min_cost"}})
    r = solve(scenario, time_limit=10)
    assert r.status == "optimal" and r.objective == pytest.approx(4.0)
    assert "1 partner was left out before the solve" in " ".join(r.explanation)
    why = explain_partners(scenario, r)
    assert "in no cheapest portfolio" in why.loc["P0", "reason"]
    spare = "P3" if "P1" in r.selected else "P1"
    assert why.loc[spare, "reason"] == "the portfolio meets the segment requirements more cheaply without it"

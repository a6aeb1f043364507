"""Tests for selector/portfolio/instance.py: the portfolio problem as arrays."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from portfolio_cases import PHASES, Spec, each_objective, spec_of, specs

from selector.inputs.scenario import scenario_from_frames
from selector.portfolio import partner_quality, solve
from selector.portfolio.instance import (
    build_instance,
    evaluate,
    segment_quality,
    violations,
    without_dominated,
)


def _scenario(
    covers: list[tuple[str, str]],
    *,
    cost: list[float] | None = None,
    value: list[float] | None = None,
    settings: dict[str, Any] | None = None,
    n: int = 4,
    m: int = 5,
    supply: list[tuple[str, str]] | None = None,
    tier: list[int] | None = None,
    types: list[str] | None = None,
    named: list[bool] | None = None,
) -> Any:
    partners = pd.DataFrame(
        {
            "id": [f"P{i}" for i in range(n)],
            "name": [f"Partner {i}" for i in range(n)],
            "type": types or ["reseller"] * n,
            "gtm_tier": tier or [1] * n,
            "cost": cost or [10.0] * n,
            "regions": "*",
            "industries": "*",
            "sizes": "*",
            "score": np.linspace(0.2, 0.9, n),
        }
    )
    segments = pd.DataFrame(
        {
            "id": [f"S{j}" for j in range(m)],
            "region": "R",
            "industry": "I",
            "size": "S",
            "value": value or [10.0 * (j + 1) for j in range(m)],
            "named": ["true" if v else "false" for v in (named or [False] * m)],
        }
    )
    coverage = pd.DataFrame(covers, columns=["partner_id", "segment_id"])
    sup = (
        None if supply is None else pd.DataFrame(supply, columns=["distributor_id", "reseller_id"])
    )
    return scenario_from_frames(
        partners, segments, coverage=coverage, supply=sup, settings=settings or {}
    )


def _inst(scenario: Any, **kw: Any) -> Any:
    return build_instance(scenario, partner_quality(scenario), **kw)


def _mask(inst: Any, *ids: str) -> np.ndarray:
    return np.isin(inst.partner_ids, list(ids))


# --- merging and setting aside ------------------------------------------------------


def test_identical_segments_merge_with_value_summed() -> None:
    # S0, S1 and S3 are covered by exactly {P0, P1}; S2 by {P1, P2}; S4 by nobody.
    covers = [
        ("P0", "S0"),
        ("P1", "S0"),
        ("P0", "S1"),
        ("P1", "S1"),
        ("P1", "S2"),
        ("P2", "S2"),
        ("P1", "S3"),
        ("P0", "S3"),
        ("P3", "S2"),
    ]
    sc = _scenario(covers, value=[10, 20, 30, 40, 50], settings={"budget": {"total": 25}})
    inst = _inst(sc)
    assert inst.n_rows == 2
    row = inst.row_of_segment
    assert row[0] == row[1] == row[3] >= 0
    assert row[2] >= 0 and row[2] != row[0]
    assert row[4] == -1  # nobody covers S4: set aside
    assert inst.value[row[0]] == pytest.approx(70.0)
    assert inst.value[row[2]] == pytest.approx(30.0)
    assert inst.value.sum() == pytest.approx(100.0)  # S4's 50 is set aside
    flat = _inst(sc, merge=False)
    assert flat.n_rows == 4
    for x in ([True, False, False, False], [False, True, False, True], [True, True, True, True]):
        x = np.array(x)
        assert evaluate(inst, x) == pytest.approx(evaluate(flat, x))
        assert bool(violations(inst, x)) == bool(violations(flat, x))


def test_segments_with_different_rules_are_not_merged() -> None:
    covers = [("P0", "S0"), ("P1", "S0"), ("P0", "S1"), ("P1", "S1")]
    sc = _scenario(
        covers, m=2, named=[True, False], settings={"constraints": {"min_partners": {"named": 2}}}
    )
    inst = _inst(sc)
    assert inst.n_rows == 2
    assert sorted(inst.required.tolist()) == [0, 2]


@settings(
    max_examples=25, deadline=None, phases=PHASES, suppress_health_check=[HealthCheck.too_slow]
)
@given(spec=specs())
def test_merged_and_unmerged_instances_agree(spec: Spec) -> None:
    rng = np.random.default_rng(len(spec.ids) * 31 + len(spec.seg_ids))
    xs = rng.random((12, len(spec.ids))) < 0.5
    for variant, scenario in each_objective(spec):
        merged = _inst(scenario)
        flat = _inst(scenario, merge=False)
        assert merged.n_rows <= flat.n_rows
        assert merged.value.sum() == pytest.approx(flat.value.sum())
        for x in xs:
            assert evaluate(merged, x) == pytest.approx(evaluate(flat, x))
            assert evaluate(merged, x) == pytest.approx(variant.objective_of(x), abs=1e-9)
            assert (violations(merged, x) == []) == (violations(flat, x) == [])


def test_solve_objective_equals_unmerged_objective() -> None:
    covers = [
        ("P0", "S0"),
        ("P1", "S0"),
        ("P0", "S1"),
        ("P1", "S1"),
        ("P1", "S2"),
        ("P2", "S2"),
        ("P1", "S3"),
        ("P0", "S3"),
        ("P3", "S4"),
        ("P2", "S4"),
    ]
    sc = _scenario(covers, cost=[10, 15, 8, 12], settings={"budget": {"total": 25}})
    r = solve(sc)
    assert r.status == "optimal"
    flat = _inst(sc, merge=False)
    x = np.isin(flat.partner_ids, list(r.selected))
    assert evaluate(flat, x) == pytest.approx(r.objective)
    assert r.objective == pytest.approx(float(r.coverage["counted_value"].sum()))
    # The best over all 16 subsets in the unmerged instance is the same optimum.
    best = max(
        evaluate(flat, np.array(bits, dtype=bool))
        for bits in np.ndindex(2, 2, 2, 2)
        if not violations(flat, np.array(bits, dtype=bool))
    )
    assert r.objective == pytest.approx(best)


# --- partners fixed out ----------------------------------------------------------------


def test_partners_fixed_out_with_reasons() -> None:
    covers = [("P0", "S0"), ("P1", "S1"), ("P2", "S2"), ("P0", "S3")]
    sc = _scenario(
        covers,
        cost=[10, 500, 10, 10],
        settings={"budget": {"total": 100}, "constraints": {"must_exclude": ["P2"]}},
    )
    inst = _inst(sc)
    reasons = dict(inst.out_reason)
    assert inst.fixed_out.tolist() == [False, True, True, True]
    assert "500" in reasons["P1"] and "100" in reasons["P1"]  # dearer than the budget
    assert "must_exclude" in reasons["P2"]
    assert "covers no segment" in reasons["P3"]  # covers nothing
    assert "P0" not in reasons


def test_must_include_is_never_fixed_out() -> None:
    sc = _scenario(
        [("P0", "S0")],
        cost=[500, 10, 10, 10],
        settings={"budget": {"total": 100}, "constraints": {"must_include": ["P0", "P3"]}},
    )
    inst = _inst(sc)
    assert inst.fixed_in.tolist() == [True, False, False, True]
    assert not (inst.fixed_in & inst.fixed_out).any()


def test_pool_and_supply_fix_out() -> None:
    covers = [("P0", "S0"), ("P1", "S1"), ("P2", "S2"), ("P3", "S3")]
    sc = _scenario(
        covers,
        cost=[300, 10, 10, 10],
        types=["distributor", "reseller", "reseller", "reseller"],
        tier=[1, 2, 2, 1],
        supply=[("P0", "P1")],
        settings={"budget": {"total": 1000, "pools": {"type:distributor": 200}}},
    )
    inst = _inst(sc)
    reasons = dict(inst.out_reason)
    assert "type:distributor" in reasons["P0"]
    assert "distributor" in reasons["P2"]  # tier 2, nobody supplies it
    assert inst.fixed_out.tolist() == [True, False, True, False]


def test_exit_tier_exclusion() -> None:
    sc = _scenario([("P0", "S0"), ("P1", "S1"), ("P2", "S2"), ("P3", "S3")])
    inst = _inst(sc, exclude=np.array([True, False, False, False]))
    assert inst.fixed_out[0]
    assert "exit" in dict(inst.out_reason)["P0"]


# --- violations name each rule ----------------------------------------------------------


def test_violations_name_each_broken_rule() -> None:
    covers = [
        ("P0", "S0"),
        ("P1", "S0"),
        ("P2", "S0"),
        ("P1", "S1"),
        ("P2", "S2"),
        ("P3", "S3"),
        ("P0", "S4"),
    ]
    sc = _scenario(
        covers,
        n=5,
        cost=[40, 40, 40, 40, 40],
        types=["distributor", "reseller", "reseller", "reseller", "distributor"],
        tier=[1, 2, 2, 1, 1],
        supply=[("P0", "P1"), ("P4", "P2")],
        settings={
            "budget": {"total": 100, "pools": {"type:reseller": 50}},
            "constraints": {
                "must_include": ["P3"],
                "must_exclude": ["P4"],
                "conflicts": [["P1", "P2"]],
                "max_partners_per_segment": 1,
                "min_partners": {"default": 1},
                "type_mix": {"distributor": {"max": 0}},
            },
        },
    )
    inst = _inst(sc)
    empty = np.zeros(5, dtype=bool)
    v = violations(inst, empty)
    assert any("must-include" in s and "P3" in s for s in v), v
    assert any("fewer selected partners than required" in s for s in v), v
    x = np.array([True, True, True, False, True])
    v = violations(inst, x)
    text = " | ".join(v)
    assert "exceeds the budget" in text, v
    assert "pool type:reseller" in text, v
    assert "must-include" in text and "P3" in text, v
    assert "excluded partners selected: P4" in text, v
    assert "conflicting partners both selected: P1, P2" in text, v
    assert "more selected partners than the cap" in text, v
    assert "distributor partner(s) selected, at most 0 allowed" in text, v
    # P2's only distributor P4 is selected (though excluded): supply rule holds for P2.
    y = np.array([False, True, False, True, False])
    v = violations(inst, y)
    assert any("tier-2" in s and "P1" in s for s in v), v


def test_type_mix_minimum_named() -> None:
    sc = _scenario(
        [("P0", "S0"), ("P1", "S1")],
        types=["distributor", "reseller", "reseller", "reseller"],
        settings={"constraints": {"type_mix": {"distributor": {"min": 1}}}},
    )
    inst = _inst(sc)
    v = violations(inst, np.zeros(4, dtype=bool))
    assert v == ["0 distributor partner(s) selected, at least 1 required"]
    assert violations(inst, _mask(inst, "P0")) == []


def test_segment_quality_is_best_selected_score(teaching: Any) -> None:
    inst = _inst(teaching)
    x = _mask(inst, "D01", "R03", "R09")
    best = segment_quality(inst, x)
    q = inst.quality
    cover = inst.cover.toarray().astype(bool)
    expected = (cover & x[:, None]) * q[:, None]
    assert best == pytest.approx(expected.max(axis=0))
    assert evaluate(inst, x) == pytest.approx(float(inst.value @ best))


def test_instance_ignores_quality_unless_weighted(teaching: Any) -> None:
    sc = teaching.with_changes({"objective": {"kind": "coverage"}})
    inst = build_instance(sc, np.full(len(sc.partner_ids), 0.3))
    assert (inst.quality == 1.0).all()


@st.composite
def _pure_covers(draw: st.DrawFn) -> Spec:
    """min_cost covers with no rule but one partner per segment (and a must-include or
    must-exclude now and then), costs with ties and zeros."""
    n = draw(st.integers(3, 8))
    m = draw(st.integers(2, 6))
    cost = draw(st.lists(st.integers(0, 9), min_size=n, max_size=n))
    covers = sorted({(p, s) for s in range(m) for p in draw(st.sets(st.integers(0, n - 1), min_size=1, max_size=n))})
    must_include = draw(st.sampled_from([[], [], [0]]))
    must_exclude = draw(st.sampled_from([[], [], [n - 1]]))
    return spec_of(cost, [10] * m, covers, budget=None, objective="min_cost",
                   must_include=must_include, must_exclude=must_exclude)


@settings(max_examples=60, deadline=None, phases=PHASES, suppress_health_check=[HealthCheck.too_slow])
@given(spec=_pure_covers())
def test_dominated_partners_are_in_no_cheapest_cover(spec: Spec) -> None:
    """By brute force: no partner without_dominated drops is in any cheapest cover, and
    solve answers the cheapest cost with a bound no higher."""
    scenario = spec.scenario()
    inst = build_instance(scenario, partner_quality(scenario))
    dropped = without_dominated(inst).fixed_out & ~inst.fixed_out
    best = spec.brute_force()
    if best is None:
        return
    for bits in itertools.product((False, True), repeat=len(spec.ids)):
        sel = np.array(bits, dtype=bool)
        if not spec.broken(sel) and spec.objective_of(sel) == best:
            assert not (sel & dropped).any(), (spec, sel, dropped)
    r = solve(scenario, time_limit=10)  # by its LP, or the search from the LP's rounding
    assert r.status == "optimal" and r.objective == pytest.approx(best)
    assert r.bound is not None and r.bound <= best + 1e-9


def test_a_partner_dearer_than_the_others_of_its_segments_is_dropped_and_said() -> None:
    # P0 (5) covers S0 and S1, which P1 and P2 cover for 2 each: P0 is in no cheapest cover.
    covers = [(0, 0), (0, 1), (1, 0), (2, 1)]
    for cost, must, gone in (([5, 2, 2], [], True), ([4, 2, 2], [], False), ([5, 2, 2], [0], False)):
        scenario = spec_of(cost, [10, 10], covers, budget=None, objective="min_cost",
                           must_include=must).scenario()
        inst = build_instance(scenario, partner_quality(scenario))
        out = without_dominated(inst)
        assert bool(out.fixed_out[0]) is gone, (cost, must)
        assert ("P0" in dict(out.out_reason)) is gone
        if gone:
            assert "in no cheapest portfolio" in dict(out.out_reason)["P0"]
            r = solve(scenario, time_limit=10)
            assert r.selected == ("P1", "P2") and r.objective == pytest.approx(4.0)


@pytest.mark.parametrize(
    "over",
    [
        {"objective": "coverage", "budget": 10},
        {"conflicts": [(1, 2)]},
        {"type_mix": {"reseller": (None, 3)}},
        {"default_need": 2},
        {"cap": 3},
        {"pools": {"type:reseller": 20}},
    ],
    ids=["maximizing", "conflict", "type limit", "two per segment", "cap", "pool"],
)
def test_domination_leaves_other_problems_as_they_are(over: dict[str, Any]) -> None:
    # A swap of P0 for P1 and P2 could break each of these rules: nothing is dropped.
    base: dict[str, Any] = {"budget": None, "objective": "min_cost"}
    base.update(over)
    spec = spec_of([5, 2, 2], [10, 10], [(0, 0), (0, 1), (1, 0), (2, 1)], **base)
    scenario = spec.scenario()
    inst = build_instance(scenario, partner_quality(scenario))
    assert without_dominated(inst) is inst


def test_min_cost_with_no_segment_needing_a_partner_selects_nobody() -> None:
    # min_partners default 0 on min_cost: the set-cover reduction has no pair to weigh
    # (it once failed with an IndexError), and the cheapest portfolio is empty.
    from selector.portfolio import solve

    spec = spec_of([1, 2], [5, 5], [(0, 0), (1, 1)], budget=None, objective="min_cost",
                   default_need=0)
    result = solve(spec.scenario())
    assert result.status == "optimal" and result.selected == () and result.objective == 0

"""Tests for selector/portfolio/heuristics.py: the greedy + local-search portfolio.

Random small scenarios come from the generator in ``portfolio_cases`` (plain data with
an independent rule checker, ``Spec.broken``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from portfolio_cases import OBJECTIVES, PHASES, Spec, each_objective, idle_partners, spec_of, specs

from selector.portfolio import heuristic_solve, heuristics, partner_quality
from selector.portfolio.heuristics import (
    entry_costs,
    greedy_portfolio,
    lp_rounded_cover,
    without_idle,
)
from selector.portfolio.instance import build_instance, evaluate, violations

SETTINGS = settings(
    max_examples=30, deadline=None, phases=PHASES, suppress_health_check=[HealthCheck.too_slow]
)


def _instance(scenario: Any) -> Any:
    return build_instance(scenario, partner_quality(scenario))


@SETTINGS
@given(spec=specs())
def test_greedy_feasible_means_no_rule_broken(spec: Spec) -> None:
    for variant, scenario in each_objective(spec):
        inst = _instance(scenario)
        h = greedy_portfolio(inst, time_budget=5.0, seed=3)
        assert h.selected.dtype == bool and h.selected.shape == (len(spec.ids),)
        assert h.objective == pytest.approx(evaluate(inst, h.selected))
        assert h.objective == pytest.approx(variant.objective_of(h.selected), abs=1e-9)
        assert list(h.problems) == violations(inst, h.selected)
        if h.feasible:
            assert violations(inst, h.selected) == []
            # supply rule, caps, conflicts, budget, pools... by the independent checker
            assert variant.broken(h.selected) == [], (variant.broken(h.selected), variant)
        # Same seed, same portfolio.
        again = greedy_portfolio(inst, time_budget=5.0, seed=3)
        assert np.array_equal(again.selected, h.selected)
        assert again.feasible == h.feasible


@SETTINGS
@given(spec=specs())
def test_greedy_is_feasible_when_nothing_is_required(spec: Spec) -> None:
    """With no must-include, no required partners and no type minimum, selecting no
    one keeps every rule; the heuristic must not return a rule-breaking portfolio."""
    spec.must_include = []
    spec.named_need = None
    spec.default_need = 0
    spec.type_mix = {t: (None, hi) for t, (_lo, hi) in spec.type_mix.items() if hi is not None}
    # Without the supply table: the distributor the greedy bundles with a tier-2
    # partner breaks rules in four ways, each recorded by a test below
    # (test_bundled_distributor_*, test_dead_reseller_*).
    spec.supply = None
    for variant, scenario in each_objective(spec):
        assert variant.broken(np.zeros(len(spec.ids), dtype=bool)) == []
        h = greedy_portfolio(_instance(scenario), time_budget=5.0, seed=0)
        assert h.feasible, (h.problems, variant)
        assert variant.broken(h.selected) == []


@SETTINGS
@given(spec=specs())
def test_heuristic_solve_result(spec: Spec) -> None:
    for variant, scenario in each_objective(spec):
        r = heuristic_solve(scenario, seed=5)
        assert r.status in ("time_limit", "infeasible")
        assert r.solver == "greedy"
        if r.status != "time_limit" or variant.objective == "min_cost":
            assert r.bound is None
        else:
            # The submodular bound: never below the portfolio itself.
            assert r.bound is not None and r.bound >= r.objective - 1e-9
        if r.status == "time_limit":
            sel = variant.selection(r.selected)
            assert variant.broken(sel) == []
            assert r.objective == pytest.approx(variant.objective_of(sel), abs=1e-9)
            assert r.cost == pytest.approx(float(np.array(spec.cost)[sel].sum()))
            if variant.objective != "min_cost":  # nothing idle kept (min_cost: the greedy drops it)
                assert idle_partners(variant, sel) == [], (idle_partners(variant, sel), variant)
        else:
            assert r.selected == () and r.objective is None


@SETTINGS
@given(spec=specs(), extra=st.integers(0, 2**32 - 1))
def test_without_idle_keeps_the_value_and_every_rule(spec: Spec, extra: int) -> None:
    """From the greedy's portfolio plus random partners: a subset of it, worth the same,
    keeping every rule it kept, the must-include partners kept, and nothing idle left
    (by the spec's own checker); min_cost portfolios are answered as they are."""
    rng = np.random.default_rng(extra)
    for variant, scenario in each_objective(spec):
        inst = _instance(scenario)
        x = greedy_portfolio(inst, time_budget=1.0, seed=1).selected | (rng.random(len(spec.ids)) < 0.3)
        y = without_idle(inst, x)
        assert y.dtype == bool and not (y & ~x).any()
        if variant.objective == "min_cost":
            assert np.array_equal(x, y)
            continue
        assert variant.objective_of(y) == pytest.approx(variant.objective_of(x), rel=1e-9, abs=1e-9)
        assert all(y[i] for i in spec.must_include if x[i])
        if not variant.broken(x):
            assert variant.broken(y) == []
            assert idle_partners(variant, y) == [], (idle_partners(variant, y), variant)


@SETTINGS
@given(spec=specs(objective="min_cost"), with_supply=st.booleans())
def test_min_cost_greedy_keeps_no_partner_it_could_drop(spec: Spec, with_supply: bool) -> None:
    """min_cost: the greedy's cover keeps no partner whose removal keeps every rule (by
    the spec's own checker), whether removals are checked from the row counts alone
    (no supply table, no type minimum) or against every rule."""
    if not with_supply:
        spec.supply = None
    inst = _instance(spec.scenario())
    h = greedy_portfolio(inst, time_budget=1.0, seed=2)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(heuristics, "_drop_redundant", lambda state: None)
        cover = greedy_portfolio(inst, time_budget=1.0, seed=2)
    assert not (h.selected & ~cover.selected).any()  # only drops
    assert h.feasible == cover.feasible
    if h.feasible:
        assert spec.broken(h.selected) == []
        assert idle_partners(spec, h.selected) == [], (idle_partners(spec, h.selected), spec)


def test_lp_rounded_cover_keeps_what_the_lp_takes_less_what_is_not_needed() -> None:
    # A triangle (each partner covers two of three segments) plus P3, which covers S0
    # alone and which the LP does not take. From the LP's halves, the partner least
    # worth its cost to the LP goes first (P0: 4 for a half); the two left cover all.
    spec = spec_of([4, 1, 1, 1], [10, 10, 10], [(0, 0), (0, 1), (1, 1), (1, 2), (2, 2), (2, 0), (3, 0)],
                   budget=None, objective="min_cost")
    inst = _instance(spec.scenario())
    h = lp_rounded_cover(inst, np.array([0.5, 0.5, 0.5, 0.0]))
    assert h.selected.tolist() == [False, True, True, False]
    assert h.feasible and h.objective == pytest.approx(2.0) and spec.broken(h.selected) == []
    must = spec_of([4, 1, 1, 1], [10, 10, 10], [(0, 0), (0, 1), (1, 1), (1, 2), (2, 2), (2, 0), (3, 0)],
                   budget=None, objective="min_cost", must_include=[3])
    h = lp_rounded_cover(_instance(must.scenario()), np.array([0.5, 0.5, 0.5, 0.0]))
    assert h.selected[3] and h.feasible and must.broken(h.selected) == []


def test_without_idle_drops_the_dearer_of_two_alike_unless_a_rule_needs_both() -> None:
    # P0 and P1 cover S0 alike (P0 dearer); P2 alone covers S1.
    spec = spec_of([5, 3, 4], [10, 7], [(0, 0), (1, 0), (2, 1)], budget=20)
    inst = _instance(spec.scenario())
    every = np.ones(3, dtype=bool)
    assert without_idle(inst, every).tolist() == [False, True, True]
    assert every.all()  # the caller's selection is not changed
    needs_three = spec_of([5, 3, 4], [10, 7], [(0, 0), (1, 0), (2, 1)], budget=20,
                          type_mix={"reseller": (3, None)})
    assert without_idle(_instance(needs_three.scenario()), every).tolist() == [True, True, True]
    must = spec_of([5, 3, 4], [10, 7], [(0, 0), (1, 0), (2, 1)], budget=20, must_include=[0])
    assert without_idle(_instance(must.scenario()), every).tolist() == [True, False, True]


def test_heuristic_solve_leaves_out_what_a_later_pick_made_idle() -> None:
    # The greedy takes P0 first (10 for 1), then P1 (10 more for 3), which also covers
    # S0: P0 then adds nothing, and the answer is P1 alone, saying so.
    spec = spec_of([1, 3], [10, 10], [(0, 0), (1, 0), (1, 1)], budget=10)
    r = heuristic_solve(spec.scenario(), seed=0)
    assert r.selected == ("P1",) and r.objective == pytest.approx(20.0) and r.cost == pytest.approx(3.0)
    assert "saving 1." in " ".join(r.explanation), r.explanation


def test_greedy_on_teaching_keeps_every_rule(teaching: Any) -> None:
    inst = _instance(teaching)
    h = greedy_portfolio(inst, seed=1)
    assert h.feasible
    assert violations(inst, h.selected) == []
    ids = list(inst.partner_ids)
    sel = {ids[i] for i in np.flatnonzero(h.selected)}
    assert not {"R02", "R10"} <= sel
    assert float(inst.cost[h.selected].sum()) <= 600_000
    # Every selected tier-2 partner has a selected distributor that supplies it.
    supply = teaching.supply
    for pid in sel:
        if teaching.partners.loc[pid, "gtm_tier"] == 2:
            assert set(supply.loc[supply["reseller_id"] == pid, "distributor_id"]) & sel, pid
    # Deterministic for a seed.
    assert np.array_equal(greedy_portfolio(inst, seed=1).selected, h.selected)


def test_entry_costs_are_budgets_above_the_selection(teaching: Any) -> None:
    inst = _instance(teaching)
    h = greedy_portfolio(inst, seed=1)
    entry = entry_costs(inst, h.selected)
    spent = float(inst.cost[h.selected].sum())
    assert np.isinf(entry[h.selected]).all()
    finite = np.isfinite(entry)
    assert (entry[finite] > spent).all()
    assert (entry[inst.fixed_out] == np.inf).all()


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_must_include_and_their_distributor_are_selected(teaching: Any, objective: str) -> None:
    scenario = teaching.with_changes(
        {"objective": {"kind": objective}, "constraints": {"must_include": ["R04"]}}
    )
    inst = _instance(scenario)
    h = greedy_portfolio(inst, seed=0)
    ids = list(inst.partner_ids)
    assert h.selected[ids.index("R04")]
    assert h.selected[ids.index("D02")]  # R04's only distributor
    if h.feasible:
        assert violations(inst, h.selected) == []


# --- the supplier bundled with a tier-2 partner must keep the rules too ------------
# Each case: reseller R (tier 2, covers the only valuable segment) whose only
# distributor is D. Selecting no one keeps every rule, so a correct heuristic returns
# a feasible portfolio (possibly empty); the greedy adds the bundle (R with D) and
# only checks the rule for R.


def _bundle_spec(**changes: Any) -> Spec:
    base = dict(
        objective="coverage",
        ids=["D", "R", "X"],
        types=["distributor", "reseller", "reseller"],
        tier=[1, 2, 1],
        cost=[10, 10, 10],
        score=[0.5, 0.5, 0.5],
        seg_ids=["S0", "S1"],
        value=[0, 100],
        named=[False, False],
        covers=[(0, 0), (1, 1), (2, 0)],
        budget=1000,
        pools={},
        must_include=[],
        must_exclude=[],
        conflicts=[],
        cap=None,
        named_need=None,
        default_need=None,
        supply=[(0, 1)],
        type_mix={},
    )
    base.update(changes)
    return Spec(**base)  # type: ignore[arg-type]


def _check_bundle(spec: Spec) -> None:
    for variant, scenario in each_objective(spec):
        if variant.objective == "min_cost":
            continue
        h = greedy_portfolio(_instance(scenario), seed=0)
        assert h.feasible, h.problems
        assert variant.broken(h.selected) == []


def test_bundled_distributor_respects_type_mix_max() -> None:
    _check_bundle(_bundle_spec(type_mix={"distributor": (None, 0)}))


def test_dead_reseller_not_added_under_unlimited_budget() -> None:
    _check_bundle(_bundle_spec(budget=None, must_exclude=[0]))


def test_dead_reseller_not_added_under_finite_budget() -> None:
    _check_bundle(_bundle_spec(must_exclude=[0]))


def test_bundled_distributor_not_in_conflict_with_its_reseller() -> None:
    _check_bundle(_bundle_spec(conflicts=[(0, 1)]))


def test_bundled_distributor_respects_segment_cap() -> None:
    # X already works S0 (valuable), cap 1: adding D with R would put 2 on S0.
    _check_bundle(_bundle_spec(value=[50, 100], cap=1, cost=[10, 10, 1]))


def test_bundled_distributor_respects_its_pool() -> None:
    _check_bundle(_bundle_spec(pools={"type:distributor": 5}))

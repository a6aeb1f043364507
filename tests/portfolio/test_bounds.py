"""The submodular bound (selector/portfolio/bounds.py): valid and as tight as its theory.

The bound decides the gap a user is shown after a time limit, so it is held to two
oracles written outside selector:

- validity: never below the optimum found by enumeration (``Spec.brute_force`` over
  subsets, ``Channel.brute_force`` over plan levels), from any start, on random small
  scenarios with pools, caps, required segments, free partners, supply, conflicts and,
  for plans, negative net option costs (keeping a partner cheaper than its exit);
- tightness: where the objective is modular (every segment covered by one partner) and
  only the budget binds, the bound from a start ``S`` equals ``f(S)`` plus the linear
  relaxation of the knapsack over the partners outside ``S``, solved by ``linprog``;
  hand-made cases where that relaxation is integral equal the optimum.
"""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from portfolio_cases import PHASES, Spec, spec_of, specs
from scipy.optimize import linprog
from test_levels import Channel, Tier, random_channel

from selector import load_scenario, solve
from selector.portfolio import partner_quality
from selector.portfolio.bounds import submodular_bound
from selector.portfolio.instance import build_instance, evaluate, violations
from selector.portfolio.quality import scenario_instance as _instance

TEACHING = Path(__file__).resolve().parents[2] / "scenarios" / "teaching.toml"
REL = 1e-9


def _best_by_enumeration(inst) -> float:
    best = 0.0
    for bits in itertools.product([False, True], repeat=inst.n_partners):
        x = np.array(bits)
        if not violations(inst, x):
            best = max(best, evaluate(inst, x))
    return best


def _inst(scenario: Any) -> Any:
    return build_instance(scenario, partner_quality(scenario))


def _starts(n: int, seed: int, k: int = 6) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = [np.zeros(n, dtype=bool), np.ones(n, dtype=bool)]
    out += [rng.random(n) < rng.random() for _ in range(k)]
    return out


def _assert_valid(bound: float | None, best: float, what: Any) -> None:
    assert bound is not None, what
    assert bound >= best - 1e-6 * max(1.0, abs(best)), (bound, best, what)


# --- validity: never below the optimum -------------------------------------------------

# The issue's case: the fractional item is what makes the bound valid (10 without it).
ISSUE_CASE = spec_of([10, 100], [10, 99], [(0, 0), (1, 1)], budget=100)
# A required segment, a cap and a free partner at once.
RULES_CASE = spec_of(
    [0, 40, 30, 50], [30, 80, 20], [(0, 0), (1, 0), (1, 1), (2, 1), (3, 2), (2, 2)],
    budget=70, objective="weighted_coverage", score=[0.5, 0.9, 0.6, 1.0],
    named=[True, False, False], named_need=1, cap=1, pools={"type:reseller": 60},
)


@settings(
    max_examples=60, deadline=None, phases=PHASES, suppress_health_check=[HealthCheck.too_slow]
)
@given(spec=specs(), free=st.sets(st.integers(0, 7), max_size=3))
@example(spec=ISSUE_CASE, free=set())
@example(spec=RULES_CASE, free=set())
def test_bound_is_never_below_the_brute_force_optimum(spec: Spec, free: set[int]) -> None:
    """Random scenarios (pools, caps, required segments, supply, conflicts, type mix),
    some partners made free; both coverage objectives; starts empty, full and random."""
    cost = [0 if i in free else c for i, c in enumerate(spec.cost)]
    spec = dataclasses.replace(spec, cost=cost)  # the @example specs are shared
    base = spec.scenario()
    for kind in ("weighted_coverage", "coverage"):
        spec = dataclasses.replace(spec, objective=kind)
        scenario = base if base.objective == kind else base.with_changes(
            {"objective": {"kind": kind}})
        best = spec.brute_force()
        inst = _inst(scenario)
        for start in _starts(inst.n_partners, seed=len(spec.ids) * 7 + sum(spec.cost)):
            bound = submodular_bound(inst, start)
            assert bound is not None
            assert bound >= evaluate(inst, start) - 1e-9
            if best is not None:
                _assert_valid(bound, best, (kind, start, spec))


def test_issue_case_needs_the_fractional_item() -> None:
    """Budget 100: P0 (cost 10, value 10) fits whole, P1 (cost 100, value 99) only
    as 90 % of itself; the optimum takes P1 alone (99), the bound from nothing is
    10 + 0.9 x 99."""
    inst = _inst(ISSUE_CASE.scenario())
    assert ISSUE_CASE.brute_force() == 99
    assert submodular_bound(inst, np.zeros(2, dtype=bool)) == pytest.approx(10 + 0.9 * 99)


def _option_starts(inst: Any, seed: int, k: int = 6) -> list[np.ndarray]:
    """Empty, everything, and random plans (each partner out or at one level)."""
    n = inst.n_partners
    out = [np.zeros(n, dtype=bool), np.ones(n, dtype=bool)]
    rng = np.random.default_rng(seed)
    opt_p = inst.option_partner
    n_partners = int(opt_p.max()) + 1
    for _ in range(k):
        x = np.zeros(n, dtype=bool)
        for p in range(n_partners):
            opts = np.flatnonzero(opt_p == p)
            pick = int(rng.integers(-1, len(opts)))
            if pick >= 0:
                x[opts[pick]] = True
        out.append(x)
    return out


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("objective", ["weighted_coverage", "coverage"])
def test_plan_bound_is_never_below_the_brute_force_optimum(objective: str, seed: int) -> None:
    """Plans: option instances with tiers, quotas, one-off costs, continuity and net
    option costs below 0 (a refund widens the knapsack's capacity)."""
    ch = random_channel(3000 + seed + (0 if objective == "coverage" else 500), objective)
    best, _ = ch.brute_force()
    inst = _instance(ch.scenario(), None)
    assert inst.option_partner is not None
    for start in _option_starts(inst, seed):
        bound = submodular_bound(inst, start)
        assert bound is not None and bound >= evaluate(inst, start) - 1e-9
        if best is not None:
            _assert_valid(bound, best, (start, ch))


def test_plan_cases_have_refunds() -> None:
    """The seeds above reach the part of the bound that plans add: negative net costs."""
    refunds = 0
    for objective, offset in (("coverage", 0), ("weighted_coverage", 500)):
        for seed in range(40):
            inst = _instance(random_channel(3000 + seed + offset, objective).scenario(), None)
            refunds += int(((inst.cost < 0) & ~inst.fixed_out).any())
    assert refunds >= 10


# --- tightness: the knapsack relaxation, exactly ---------------------------------------


def _lp_knapsack(gain: np.ndarray, cost: np.ndarray, capacity: float) -> float:
    """max gain . y  s.t.  cost . y <= capacity, 0 <= y <= 1 (scipy's HiGHS LP)."""
    if not len(gain):
        return 0.0
    res = linprog(-gain, A_ub=[cost], b_ub=[capacity], bounds=[(0, 1)] * len(gain),
                  method="highs")
    assert res.status == 0, res.message
    return float(-res.fun)


@st.composite
def modular_specs(draw: st.DrawFn) -> tuple[Spec, list[bool]]:
    """Each segment covered by exactly one partner, only the budget (and exclusions)."""
    n = draw(st.integers(1, 6))
    covers: list[tuple[int, int]] = []
    value: list[int] = []
    for p in range(n):
        for _ in range(draw(st.integers(0, 2))):
            covers.append((p, len(value)))
            value.append(draw(st.integers(0, 100)))
    if not value:
        covers.append((0, 0))
        value.append(draw(st.integers(1, 100)))
    cost = [draw(st.integers(0, 60)) for _ in range(n)]
    budget = draw(st.integers(0, max(sum(cost), 1)))
    score = [draw(st.sampled_from([0.0, 0.25, 0.5, 0.9, 1.0])) for _ in range(n)]
    objective = draw(st.sampled_from(["coverage", "weighted_coverage"]))
    out = draw(st.lists(st.integers(0, n - 1), max_size=1, unique=True))
    spec = spec_of(cost, value, covers, budget=budget, objective=objective, score=score,
                 must_exclude=sorted(out))
    start = [draw(st.booleans()) for _ in range(n)]
    return spec, start


def _relaxation(spec: Spec, start: np.ndarray) -> float:
    """f(S) + the knapsack relaxation over the partners outside S that fit the budget."""
    cover = spec.cover_matrix()
    weight = np.array(spec.score) if spec.objective == "weighted_coverage" else np.ones(len(spec.ids))
    gain = (cover * np.array(spec.value, dtype=float)[None, :]).sum(axis=1) * weight
    cost = np.array(spec.cost, dtype=float)
    assert spec.budget is not None
    can = ~start & (cost <= spec.budget)
    can[spec.must_exclude] = False
    return spec.objective_of(start) + _lp_knapsack(gain[can], cost[can], float(spec.budget))


@settings(max_examples=80, deadline=None, phases=PHASES)
@given(case=modular_specs())
@example(case=(ISSUE_CASE, [False, False]))
@example(case=(spec_of([10, 20, 30], [30, 40, 30], [(0, 0), (1, 1), (2, 2)], budget=30),
               [False, False, False]))
@example(case=(spec_of([10, 20, 30], [30, 40, 30], [(0, 0), (1, 1), (2, 2)], budget=30),
               [True, False, False]))
def test_bound_equals_the_knapsack_relaxation_when_coverage_is_disjoint(
    case: tuple[Spec, list[bool]],
) -> None:
    spec, start_list = case
    start = np.array(start_list, dtype=bool)
    inst = _inst(spec.scenario())
    bound = submodular_bound(inst, start)
    assert bound == pytest.approx(_relaxation(spec, start), rel=REL, abs=1e-9), spec


def test_single_affordable_partner_bound_is_the_optimum() -> None:
    spec = spec_of([50], [80], [(0, 0)], budget=100)
    inst = _inst(spec.scenario())
    for start in (np.zeros(1, dtype=bool), np.ones(1, dtype=bool)):
        assert submodular_bound(inst, start) == pytest.approx(80.0)
    assert spec.brute_force() == 80


def test_bound_is_the_optimum_when_the_greedy_fills_the_budget() -> None:
    """Ratios 3, 2, 1 with budget 30: P0 and P1 fill it exactly, so the relaxation is
    integral and the bound from nothing is the optimum 70 (a looser capacity gives more)."""
    spec = spec_of([10, 20, 30], [30, 40, 30], [(0, 0), (1, 1), (2, 2)], budget=30)
    inst = _inst(spec.scenario())
    assert spec.brute_force() == 70
    assert submodular_bound(inst, np.zeros(3, dtype=bool)) == pytest.approx(70.0)


def _refund_channel(**over: Any) -> Channel:
    """A keeps for 10 but would cost 25 to exit (net -15); B costs 30; C costs 20.
    Budget 40: keeping A and B costs 40 exactly (160); C does not fit beside them."""
    base: dict[str, Any] = dict(
        objective="coverage",
        ids=["A", "B", "C"],
        types=["reseller"] * 3,
        gtm_tier=[1, 1, 1],
        cost=[10, 30, 20],
        score=[1.0, 1.0, 1.0],
        status=["current", "current", "prospect"],
        today=[0, 0, -1],
        recruit_cost=[0, 0, 0],
        exit_cost=[25, 0, 0],
        seg_ids=["S0", "S1", "S2"],
        value=[100, 60, 20],
        named=[False, False, False],
        covers={(0, 0), (1, 1), (2, 2)},
        tiers=[Tier("partner")],
        programme=False,
        budget=40,
    )
    base.update(over)
    return Channel(**base)


def test_plan_bound_counts_the_refund_and_is_tight() -> None:
    """Net of exits the budget is 15 and A's option costs -15; OPT (A and B) spends 30
    on paid options. The refund widens the capacity to 30, so the bound from nothing is
    exactly the optimum; without it (capacity 15) it would be 130 < 160."""
    ch = _refund_channel()
    assert ch.brute_force()[0] == 160
    inst = _instance(ch.scenario(), None)
    assert inst.budget == pytest.approx(15.0)
    assert sorted(inst.cost.tolist()) == [-15.0, 20.0, 30.0]
    assert submodular_bound(inst, np.zeros(3, dtype=bool)) == pytest.approx(160.0)
    result = solve(ch.scenario(), gap=0.0, seed=1)
    assert result.objective == pytest.approx(160.0)


def test_plan_bound_with_tiers_is_valid_on_a_hand_made_case() -> None:
    """Two tiers: the refund of a partner counts once (its best option), not per option."""
    ch = _refund_channel(
        tiers=[Tier("registered"), Tier("gold", fixed=5, share=1.0)], programme=True,
    )
    best, _ = ch.brute_force()
    assert best is not None
    inst = _instance(ch.scenario(), None)
    for start in _option_starts(inst, seed=1):
        _assert_valid(submodular_bound(inst, start), best, start)


# --- the teaching scenario -------------------------------------------------------------


@pytest.mark.parametrize("kind", ["coverage", "weighted_coverage"])
@pytest.mark.parametrize("budget", [250_000, 450_000, 600_000, 900_000])
def test_bound_is_never_below_the_optimum_from_any_start(kind, budget):
    scenario = load_scenario(TEACHING).with_changes(
        {"objective": {"kind": kind}, "budget": {"total": budget}}
    )
    inst = build_instance(scenario, partner_quality(scenario))
    optimum = _best_by_enumeration(inst)
    rng = np.random.default_rng(budget)
    for _ in range(20):
        start = rng.random(inst.n_partners) < rng.random()
        bound = submodular_bound(inst, start)
        assert bound is not None
        assert bound >= optimum - 1e-6 * max(1.0, optimum)


def test_bound_from_the_optimum_is_close_and_reported_by_solve():
    scenario = load_scenario(TEACHING)
    result = solve(scenario)
    assert result.status == "optimal"
    inst = build_instance(scenario, partner_quality(scenario))
    x = np.isin(inst.partner_ids, list(result.selected))
    bound = submodular_bound(inst, x)
    assert bound >= result.objective - 1e-6
    assert result.bound is not None and result.bound <= bound + 1e-6


def test_no_bound_for_min_cost():
    scenario = load_scenario(TEACHING).with_changes(
        {"objective": {"kind": "min_cost"}, "constraints": {"min_partners": {"default": 0}}}
    )
    inst = build_instance(scenario, partner_quality(scenario))
    assert submodular_bound(inst, np.zeros(inst.n_partners, dtype=bool)) is None

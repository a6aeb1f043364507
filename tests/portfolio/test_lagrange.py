"""The Lagrangian bound (selector/portfolio/lagrange.py): valid, and no looser than the
submodular bound it starts from.

Validity is checked against enumeration (``Spec.brute_force`` over subsets,
``Channel.brute_force`` over plan levels) on random small scenarios with every rule;
any prices give a valid bound, so few iterations must never give an invalid one.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from portfolio_cases import PHASES, Spec, spec_of, specs
from test_levels import random_channel

from selector.portfolio import partner_quality
from selector.portfolio.bounds import submodular_bound
from selector.portfolio.instance import build_instance, evaluate
from selector.portfolio.lagrange import lagrangian_bound
from selector.portfolio.model import build_model
from selector.portfolio.quality import scenario_instance as _instance

TOL = 1e-7


def _check(inst: Any, best: float | None, start: np.ndarray, iterations: int) -> float | None:
    bound = lagrangian_bound(inst, build_model(inst), incumbent=start, iterations=iterations)
    if best is None:
        return bound
    assert bound is not None
    assert bound >= best * (1 - TOL) - TOL, (bound, best)
    return bound


@settings(max_examples=60, deadline=None, phases=PHASES,
          suppress_health_check=[HealthCheck.too_slow])
@given(spec=specs())
@example(spec=spec_of([10, 20], [30, 99], [(0, 0), (1, 1)], budget=20))
def test_lagrangian_bound_is_never_below_the_optimum(spec: Spec) -> None:
    for kind in ("weighted_coverage", "coverage"):
        s = dataclasses.replace(spec, objective=kind)
        scenario = s.scenario()
        best = s.brute_force()
        inst = build_instance(scenario, partner_quality(scenario))
        rng = np.random.default_rng(len(s.ids))
        for start in (np.zeros(inst.n_partners, bool), rng.random(inst.n_partners) < 0.5):
            for iterations in (1, 5, 60):
                _check(inst, best, start, iterations)


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("objective", ["weighted_coverage", "coverage"])
def test_lagrangian_bound_on_plans(objective: str, seed: int) -> None:
    """Option instances: tiers, quotas, one-off costs, exit limits, continuity."""
    ch = random_channel(7300 + seed, objective)
    best, _ = ch.brute_force()
    inst = _instance(ch.scenario(), None)
    start = np.zeros(inst.n_partners, dtype=bool)
    _check(inst, best, start, 40)


def test_no_looser_than_the_submodular_bound_from_the_same_portfolio() -> None:
    # Disjoint coverage and only a budget: the submodular bound is the knapsack
    # relaxation, and the first price vector reproduces it exactly.
    spec = spec_of([10, 20, 30, 15], [30, 40, 30, 20], [(0, 0), (1, 1), (2, 2), (3, 3)],
                   budget=40)
    scenario = spec.scenario()
    inst = build_instance(scenario, partner_quality(scenario))
    start = np.array([True, False, False, False])
    sub = submodular_bound(inst, start)
    lag = lagrangian_bound(inst, build_model(inst), incumbent=start, iterations=1)
    assert sub is not None and lag is not None
    assert lag <= sub * (1 + TOL)
    more = lagrangian_bound(inst, build_model(inst), incumbent=start, iterations=200)
    assert more is not None and more <= lag * (1 + TOL)
    assert more >= spec.brute_force() * (1 - TOL)


def test_no_bound_for_min_cost_nor_for_rules_that_admit_nothing() -> None:
    spec = spec_of([10, 20], [30, 40], [(0, 0), (1, 1)], budget=100, objective="min_cost")
    inst = build_instance(spec.scenario(), np.ones(2))
    assert lagrangian_bound(inst, build_model(inst)) is None
    # A must-include partner dearer than the whole budget: no x at all.
    spec = spec_of([10, 20], [30, 40], [(0, 0), (1, 1)], budget=5)
    scenario = spec.scenario().with_changes({"constraints": {"must_include": [spec.ids[1]]}})
    inst = build_instance(scenario, partner_quality(scenario))
    assert lagrangian_bound(inst, build_model(inst)) is None
    assert evaluate(inst, np.zeros(2, bool)) == 0.0


def _lp_relaxation(inst: Any) -> float:
    """The LP relaxation of the full model (a column per covered segment row)."""
    import highspy

    from selector.portfolio.solvers.guard import quiet_highs
    from selector.portfolio.solvers.highs import highs_lp

    model = build_model(inst)
    h = quiet_highs(highspy)
    h.passModel(highs_lp(highspy, model, integer=False))
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return float(h.getInfo().objective_function_value)


@pytest.mark.parametrize("seed", range(6))
def test_the_subgradient_reaches_the_lp_relaxation(seed: int) -> None:
    """Minimising L over the prices reaches the LP relaxation's bound (and never goes
    below it, nor below the optimum): the subgradient is the right one."""
    rng = np.random.default_rng(seed)
    n, rows = 12, 40
    covers = [(p, s) for p in range(n) for s in range(rows) if rng.random() < 0.3]
    spec = spec_of(list(rng.integers(5, 30, n)), list(rng.integers(1, 60, rows)), covers,
                   budget=int(rng.integers(30, 90)), objective="weighted_coverage",
                   score=[float(v) for v in rng.uniform(0.3, 1.0, n).round(2)])
    scenario = spec.scenario()
    inst = build_instance(scenario, partner_quality(scenario))
    lp = _lp_relaxation(inst)
    best = spec.brute_force()
    assert best is not None
    bound = lagrangian_bound(inst, build_model(inst), incumbent=np.zeros(n, bool), iterations=3000,
                             seconds=30)
    assert bound is not None
    assert bound >= lp * (1 - TOL) - TOL
    assert bound >= best * (1 - TOL) - TOL
    assert bound <= lp * 1.01, (bound, lp, best)


@pytest.mark.parametrize("seed", range(6))
def test_the_largest_weighted_models_are_bounded_by_the_lagrangian_alone(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above LAGRANGE_ROWS_MASTER rows, weighted_coverage skips the master: the answer
    is the greedy's portfolio with the Lagrangian bound, "optimal" only when that bound
    proves it (small instances are put on that route here)."""
    from dataclasses import replace

    from selector.portfolio import finishing, searches, starts
    from selector.portfolio.clock import Deadline
    from selector.portfolio.execute import run_route
    from selector.portfolio.options import resolve_options
    from selector.portfolio.reductions import reduce
    from selector.portfolio.result import assemble_result
    from selector.portfolio.route import choose_route

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the master has no part in this path")

    monkeypatch.setattr(searches, "solve_by_cuts", refuse)
    rng = np.random.default_rng(50 + seed)
    n, rows = 9, 30
    covers = [(p, s) for p in range(n) for s in range(rows) if rng.random() < 0.3]
    # seed 0: disjoint coverage and a budget that takes everyone, so the bound proves it
    if seed == 0:
        covers = [(p, p) for p in range(n)]
    spec = spec_of(list(rng.integers(5, 30, n)), list(rng.integers(1, 60, rows)), covers,
                   budget=1000 if seed == 0 else int(rng.integers(30, 90)), objective="weighted_coverage",
                   score=[float(v) for v in rng.uniform(0.3, 1.0, n).round(2)])
    best = spec.brute_force()
    assert best is not None
    seen: list[Any] = []
    searched: list[Any] = []
    real = finishing.greedy_portfolio

    def more(*args: Any, **kwargs: Any) -> Any:
        found = real(*args, **kwargs)
        searched.append(found)
        return found

    monkeypatch.setattr(starts, "greedy_portfolio", more)  # the start ...
    monkeypatch.setattr(finishing, "greedy_portfolio", more)  # ... and the search after the bound
    # 3 s: 0.5 s of greedy start, a bound that settles at once here, 1 s of margin, and
    # about a second left for more search (half of it on a slow machine)
    scenario = spec.scenario()
    options = resolve_options(scenario, gap=1e-4, time_limit=3, progress=seen.append)
    clock = Deadline(options.time_limit)
    inst = reduce(scenario, options)
    chosen = choose_route(inst, options)
    assert chosen.search == "cuts"  # too small for this path by itself: it is put on it
    route = replace(chosen, search="lagrange_only", lagrangian="all", more_search_min=0.05)
    found = run_route(scenario, inst, route, options, clock)
    result = assemble_result(scenario, inst, status=found.status, x=found.x, objective=found.objective,
                             bound=found.bound, solver="highs", wall=clock.elapsed(), build=0.0,
                             explanation=found.explanation, heuristic=found.heuristic)
    assert result.objective is not None and result.bound is not None
    assert result.objective <= best * (1 + TOL) + TOL
    assert result.bound >= best * (1 - TOL) - TOL
    # the live figures: portfolios no better than the answer, bounds that hold
    assert all(p.incumbent <= result.objective * (1 + TOL) and p.bound >= best * (1 - TOL) - TOL
               for p in seen)
    # the more-search's portfolio is taken when it is better, and only then
    if result.status == "time_limit":
        assert len(searched) >= 2, "the time left after the bound goes to more search"
        found = searched[-1]
        assert result.objective >= found.objective * (1 - TOL) or not found.feasible
    if result.status == "optimal":
        assert result.bound - result.objective <= 1e-4 * 1.0001 * result.objective + TOL
    else:
        assert result.status == "time_limit"
        assert seen, "the Lagrangian path reports its bound while it runs"
        assert "Lagrangian dual" in result.explanation[0]
    if seed == 0:
        assert result.status == "optimal"

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
from selector.portfolio.quality import _instance

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

"""The submodular bound is a valid upper bound, and tight at an optimal portfolio."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from selector import load_scenario, solve
from selector.portfolio import partner_quality
from selector.portfolio.bounds import submodular_bound
from selector.portfolio.instance import build_instance, evaluate, violations

TEACHING = Path(__file__).resolve().parents[2] / "scenarios" / "teaching.toml"


def _best_by_enumeration(inst) -> float:
    best = 0.0
    for bits in itertools.product([False, True], repeat=inst.n_partners):
        x = np.array(bits)
        if not violations(inst, x):
            best = max(best, evaluate(inst, x))
    return best


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

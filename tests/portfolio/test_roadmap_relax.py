"""Per-year relaxations of an infeasible roadmap (selector/portfolio/roadmap_relax.py),
against the brute force of test_roadmap.py: a year's budget, exit or recruit limit
moved to the value said makes a roadmap exist, and a little less does not."""

from __future__ import annotations

from dataclasses import replace

import pytest
from test_roadmap import Road, random_road

from selector import load_scenario
from selector.portfolio import solve


def _moved(road: Road, setting: str, year: int, value: float) -> Road:
    if setting == "horizon.budget.by_year":
        assert road.budgets is not None
        budgets = list(road.budgets)
        budgets[year] = value
        return replace(road, budgets=budgets)
    name = "max_exits" if setting == "horizon.max_exits" else "max_recruits"
    limits = getattr(road, name) or [getattr(road.ch, name)] * road.years
    limits = list(limits)
    limits[year] = int(value)
    return replace(road, **{name: limits})


@pytest.mark.parametrize("seed", range(40))
def test_each_years_relaxation_is_the_least_that_works(seed: int) -> None:
    road = random_road(seed, "weighted_coverage")
    if road.brute_force() is not None:
        return
    result = solve(road.scenario(), gap=0.0, time_limit=20, seed=1)
    assert result.status == "infeasible"
    for r in result.relaxations:
        setting, year = r.setting.rsplit("[", 1)
        t = int(year.rstrip("]")) - 1
        assert r.status == "least"
        assert _moved(road, setting, t, r.needed).brute_force() is not None, r
        less = r.needed - (1 if r.unit == "count" else max(1.0, 1e-6 * r.needed))
        assert _moved(road, setting, t, less).brute_force() is None, r


def test_teaching_roadmap_says_which_year_needs_more() -> None:
    scenario = load_scenario("scenarios/teaching-3y.toml").with_changes(
        {"horizon": {"budget": {"by_year": [900_000, 500_000, 1_000_000]}}})
    result = solve(scenario, time_limit=20, seed=1)
    assert result.status == "infeasible"
    way = result.relaxation("horizon.budget.by_year[2]")
    assert way is not None and way.needed is not None and way.needed > 500_000
    assert any(line.startswith("Year 2 needs") for line in result.explanation)
    fixed = scenario.with_changes({"horizon": {"budget": {"by_year": [900_000, way.needed, 1_000_000]}}})
    assert solve(fixed, time_limit=20, seed=1).status == "optimal"

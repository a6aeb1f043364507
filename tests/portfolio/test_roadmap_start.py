"""The roadmap's start (selector/portfolio/roadmap_start.py): the year-one plan held
across the years, repaired to each year's limits and improved.

On the small random roadmaps of test_roadmap.py the start, when there is one, keeps every
row of the roadmap's model and is worth at most the brute force's optimum; its column
selection is the one :meth:`RoadmapInstance.selection` gives for the same levels.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from test_roadmap import random_road

from selector import load_scenario
from selector.portfolio import heuristic_solve, solve
from selector.portfolio.options import resolve_options
from selector.portfolio.reductions import reduce
from selector.portfolio.roadmap import build_roadmap
from selector.portfolio.roadmap_model import side_model, violated_groups
from selector.portfolio.roadmap_start import plan_repeated, selection_of, year_one_instance
from selector.portfolio.route import ROADMAP_LP_SHARE, choose_route


def _road(scenario):  # type: ignore[no-untyped-def]
    options = resolve_options(scenario, seed=1, node_limit=100)
    inst = reduce(scenario, options)
    road = build_roadmap(scenario, inst)
    return road, side_model(road), inst, options


@pytest.mark.parametrize("seed", range(25))
def test_start_keeps_every_row_and_is_at_most_the_optimum(seed: int) -> None:
    r = random_road(seed, "weighted_coverage" if seed % 3 else "coverage")
    road, side, inst, _ = _road(r.scenario())
    x = plan_repeated(road, side, inst, seconds=2.0, seed=1, moves=20, node_limit=100)
    best = r.brute_force()
    if x is None:
        return
    assert best is not None, "a start where no roadmap exists"
    assert violated_groups(side, x) == []
    assert road.objective(x) <= best + 1e-6 * max(1.0, abs(best))
    assert (road.selection(road.levels(x)) == x).all()


@pytest.mark.parametrize("seed", range(10))
def test_selection_of_matches_the_roadmaps_selection(seed: int) -> None:
    r = random_road(seed, "weighted_coverage")
    road, _, _, _ = _road(r.scenario())
    paths = [r.paths(p) for p in range(road.n_partners)]
    for combo in itertools.islice(itertools.product(*paths), 200):
        levels = np.array(combo, dtype=np.int64).reshape(road.n_partners, road.years)
        x = selection_of(road, levels)
        try:
            expected = road.selection(levels)
        except ValueError:
            assert x is None
            continue
        if (expected & road.col_fixed_out).any():
            assert x is None
        else:
            assert x is not None and (x == expected).all()


def test_vendor_3y_start_keeps_every_row() -> None:
    road, side, inst, _ = _road(load_scenario("scenarios/vendor-3y.toml"))
    x = plan_repeated(road, side, inst, seconds=5.0, seed=1, moves=20, node_limit=100)
    assert x is not None
    assert violated_groups(side, x) == []
    spend = road.spend(x)
    assert all(s <= b + 1e-6 for s, b in zip(spend, road.horizon.budgets, strict=True))


def test_year_one_instance_holds_the_first_years_limits() -> None:
    road, _, inst, _ = _road(load_scenario("scenarios/vendor-3y.toml"))
    one = year_one_instance(road, inst)
    assert one.horizon_years is None
    assert one.max_exits == road.horizon.max_exits[0]
    assert one.max_recruits == road.horizon.max_recruits[0]
    # nothing more than the tier step away from today's tier
    p = np.arange(one.n_partners) // road.n_levels
    lv = np.arange(one.n_partners) % road.n_levels
    far = road.current[p] & (np.abs(lv - road.today_level[p]) > road.programme.max_step)
    assert one.fixed_out[far].all()


def test_route_starts_a_roadmap_from_the_plan_repeated() -> None:
    scenario = load_scenario("scenarios/vendor-3y.toml")
    options = resolve_options(scenario)
    route = choose_route(reduce(scenario, options), options)
    assert (route.search, route.start, route.lp_share) == ("roadmap", "plan_repeated", ROADMAP_LP_SHARE)
    cold = resolve_options(scenario, warm_start=False)
    assert choose_route(reduce(scenario, cold), cold).start == "none"


def test_quick_answer_of_a_roadmap_scenario_is_a_roadmap() -> None:
    scenario = load_scenario("scenarios/teaching-3y.toml")
    quick = heuristic_solve(scenario, moves=20)
    assert quick.roadmap is not None and quick.roadmap_summary is not None
    assert sorted(quick.roadmap["year"].unique()) == [1, 2, 3]
    assert quick.bound is None and quick.status == "time_limit"
    exact = solve(scenario, gap=0.0, time_limit=20, seed=1)
    assert quick.objective <= exact.objective + 1e-6 * abs(exact.objective)
    again = heuristic_solve(scenario, moves=20)
    assert again.objective == quick.objective
    assert (again.roadmap["level"] == quick.roadmap["level"]).all()

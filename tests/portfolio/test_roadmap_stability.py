"""Fewest changes across a roadmap's years (selector/portfolio/roadmap_stability.py),
against the brute force of test_roadmap.py: among roadmaps worth the optimum, the answer
changes no more partner-years than the one that changes fewest (a partner-year counts
when the partner's level that year differs from today's)."""

from __future__ import annotations

import itertools

import pytest
from test_roadmap import Road, random_road

from selector.portfolio import solve

GAP = 1e-6


def changes(road: Road, levels: list[tuple[int, ...]]) -> int:
    ch = road.ch
    today = [ch.today[p] if ch.status[p] == "current" else -1 for p in range(len(ch.ids))]
    return sum(1 for p, row in enumerate(levels) for k in row if k != today[p])


def fewest_at_optimum(road: Road) -> tuple[float, int] | None:
    found: list[tuple[float, int]] = []
    for combo in itertools.product(*(road.paths(p) for p in range(len(road.ch.ids)))):
        levels = list(combo)
        if not road.broken(levels):
            found.append((road.objective_of(levels), changes(road, levels)))
    if not found:
        return None
    best = max(v for v, _ in found)
    return best, min(c for v, c in found if v >= best - 1e-9 * max(1.0, abs(best)))


@pytest.mark.parametrize("seed", range(80))
def test_roadmap_changes_fewest_among_optimal_roadmaps(seed: int) -> None:
    road = random_road(seed, "weighted_coverage" if seed % 2 else "coverage")
    if not any(s == "current" for s in road.ch.status):
        pytest.skip("no current partner: nothing to keep")
    expected = fewest_at_optimum(road)
    result = solve(road.scenario(), gap=GAP, time_limit=20, seed=1)
    if expected is None:
        assert result.status == "infeasible"
        return
    best, fewest = expected
    assert result.status == "optimal", result.explanation
    assert result.objective >= best - GAP * max(1.0, abs(best)) - 1e-9
    names = [t.name for t in road.ch.tiers]
    table = result.roadmap.set_index(["partner_id", "year"])["level"]
    levels = [tuple(-1 if table[(pid, t + 1)] == "out" else names.index(table[(pid, t + 1)])
                    for t in range(road.years)) for pid in road.ch.ids]
    assert road.broken(levels) == []
    assert changes(road, levels) <= fewest, (levels, road)
    assert result.stats["route"]["fewest_changes"]


def test_a_roadmap_without_fewest_changes_goes_to_the_cheapest() -> None:
    road = random_road(5, "weighted_coverage")
    scenario = road.scenario().with_changes({"programme": {"stability": "none"}})
    result = solve(scenario, gap=GAP, time_limit=20, seed=1)
    assert not result.stats["route"]["fewest_changes"]
    assert result.stats["route"]["tie_by_cost"]

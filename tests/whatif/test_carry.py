"""Stable what-ifs (still_best) and a frontier that never falls (monotone_frontier)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from selector import heuristic_solve, load_scenario, solve
from selector.whatif import monotone_frontier, still_best

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def teaching():
    s = load_scenario(ROOT / "scenarios" / "teaching.toml")
    return s, solve(s)


def test_excluding_an_unused_partner_keeps_the_portfolio(teaching) -> None:
    s, r = teaching
    out = next(p for p in s.partners.index if p not in r.selected)
    v = s.with_changes({"constraints": {"must_exclude": [out]}})
    kept = still_best(s, r, v)
    assert kept is not None and kept.selected == r.selected and kept.status == r.status
    # ... and solving again agrees (the teaching scenario is proven optimal).
    assert solve(v).objective == pytest.approx(r.objective)


def test_changes_that_matter_solve_again(teaching) -> None:
    s, r = teaching
    used = r.selected[0]
    assert still_best(s, r, s.with_changes({"constraints": {"must_exclude": [used]}})) is None
    more = s.with_changes({"budget": {"total": s.budget.total * 1.2}})
    assert still_best(s, r, more) is None  # a looser rule may buy more
    below = s.with_changes({"budget": {"total": r.cost - 1}})
    assert still_best(s, r, below) is None
    cut = s.with_changes({"budget": {"total": r.cost}})
    kept = still_best(s, r, cut)
    assert kept is not None and kept.budget == r.cost
    other = s.with_changes({"constraints": {"max_partners_per_segment": 1}})
    assert still_best(s, r, other) is None


def test_frontier_never_falls_and_marks_budgets_without_a_portfolio(teaching) -> None:
    s, _ = teaching
    levels = [0, 100_000, 500_000, 550_000, 600_000, 800_000]
    seen: list[tuple[int, int]] = []
    f = monotone_frontier(s, levels, progress=lambda d, t: seen.append((d, t)))
    assert list(f["budget"]) == sorted(levels)
    assert seen[-1] == (len(levels), len(levels))
    assert not f.loc[0, "feasible"] and math.isnan(f.loc[0, "weighted"])
    ok = f[f["feasible"]]
    assert len(ok) >= 3 and ok["objective"].is_monotonic_increasing
    assert ok["weighted"].is_monotonic_increasing
    assert (ok["cost"] <= ok["budget"]).all()


def test_frontier_keeps_a_lower_budgets_portfolio_when_the_search_misses(teaching) -> None:
    s, _ = teaching
    calls = {"n": 0}

    def flaky(scn):
        calls["n"] += 1
        r = heuristic_solve(scn, moves=50)
        if calls["n"] == 2:  # pretend the search found a poor portfolio at the higher budget
            return heuristic_solve(scn.with_changes({"budget": {"total": 200_000}}), moves=50)
        return r

    f = monotone_frontier(s, [500_000, 700_000], solve=flaky)
    assert f.loc[1, "kept_from"] == 500_000
    assert f.loc[1, "objective"] == f.loc[0, "objective"]

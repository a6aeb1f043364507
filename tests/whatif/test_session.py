"""A session's answers against cold solves and a brute force (selector/whatif/session.py).

Small random channels (the brute-force ``Channel`` of tests/portfolio/test_levels.py)
get a chain of what-ifs: budget cuts and rises, partners excluded and let back, looser
and tighter exits and recruits. Each what-if is answered by one session (after the
previous ones, as a strategist asks them) and by a cold solve: same status, the brute
force's optimum, and a plan that keeps every changed rule by the brute force's own
definitions.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import random
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from selector import Session, load_scenario, solve

_spec = importlib.util.spec_from_file_location(
    "levels_cases", Path(__file__).resolve().parents[1] / "portfolio" / "test_levels.py"
)
assert _spec is not None and _spec.loader is not None
levels_cases: Any = importlib.util.module_from_spec(_spec)
sys.modules["levels_cases"] = levels_cases  # its dataclasses look their module up
_spec.loader.exec_module(levels_cases)

TOL = 1e-6


def _what_ifs(ch: Any, rng: random.Random) -> list[Any]:
    """A chain of variants of channel ``ch`` (each a Channel the brute force reads)."""
    n = len(ch.ids)
    out: list[Any] = []
    budget = ch.budget if ch.budget is not None else int(sum(ch.cost) * 1.5) + 10
    for share in (0.6, 0.9, 1.2, 0.75):
        out.append(dataclasses.replace(ch, budget=int(budget * share)))
    gone = rng.randrange(n)
    if gone not in ch.must_include:
        out.append(dataclasses.replace(ch, must_exclude=sorted({*ch.must_exclude, gone})))
    if ch.programme:  # exits and recruits are programme settings
        out.append(dataclasses.replace(ch, max_exits=0 if ch.max_exits is None else max(0, ch.max_exits - 1)))
        out.append(dataclasses.replace(ch, max_recruits=None, max_exits=None))
    out.append(ch)
    return out


def _check(ch: Any, result: Any, cold: Any) -> None:
    best, _ = ch.brute_force()
    assert result.status == cold.status, (result.status, cold.status, result.explanation, ch)
    if best is None:
        assert result.status == "infeasible" and result.objective is None
        return
    assert result.status == "optimal", (result.status, result.explanation, ch)
    assert result.objective == pytest.approx(best, rel=TOL, abs=TOL)
    assert cold.objective == pytest.approx(best, rel=TOL, abs=TOL)
    levels = ch.levels_of(result.plan)
    assert ch.broken(levels) == [], (levels, ch.broken(levels), ch)
    assert ch.objective_of(levels) == pytest.approx(result.objective, rel=TOL, abs=TOL)


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("objective", ["weighted_coverage", "coverage", "min_cost"])
def test_session_answers_what_a_cold_solve_proves(seed: int, objective: str) -> None:
    ch = levels_cases.random_channel(500 + seed, objective)
    session = Session(ch.scenario(), gap=0.0, time_limit=20, seed=1)
    _check(ch, session.solve(), solve(ch.scenario(), gap=0.0, time_limit=20, seed=1))
    for variant in _what_ifs(ch, random.Random(seed)):
        scenario = variant.scenario()
        _check(variant, session.solve_scenario(scenario), solve(scenario, gap=0.0, time_limit=20, seed=1))


def test_tighter_rules_the_plan_keeps_need_no_solve() -> None:
    s = load_scenario("scenarios/teaching-plan.toml")
    session = Session(s, time_limit=20)
    base = session.solve()
    assert base.stats["session"]["answer"] == "warm"
    out = next(p for p in s.partners.index if p not in base.selected)
    kept = session.solve({"constraints": {"must_exclude": [out]}})
    assert kept.stats["session"]["answer"] == "kept"
    assert kept.status == base.status == "optimal"
    assert kept.selected == base.selected and kept.objective == pytest.approx(base.objective)
    cold = solve(s.with_changes({"constraints": {"must_exclude": [out]}}), time_limit=20)
    assert cold.status == kept.status and cold.objective == pytest.approx(kept.objective, rel=1e-4)
    # asked again: the answer kept for that scenario
    assert session.solve({"constraints": {"must_exclude": [out]}}).stats["session"]["answer"] == "cached"


def test_a_plan_that_breaks_a_changed_rule_is_solved_again() -> None:
    s = load_scenario("scenarios/teaching-plan.toml")
    session = Session(s, time_limit=20)
    base = session.solve()
    inside = base.selected[0]
    changed = session.solve({"constraints": {"must_exclude": [inside]}})
    assert changed.stats["session"]["answer"] == "warm"
    assert inside not in changed.selected
    cold = solve(s.with_changes({"constraints": {"must_exclude": [inside]}}), time_limit=20)
    assert changed.status == cold.status
    if cold.objective is not None:
        assert changed.objective == pytest.approx(cold.objective, rel=1e-4)


def test_a_session_is_shared_between_threads_one_what_if_at_a_time() -> None:
    s = load_scenario("scenarios/teaching.toml")
    session = Session(s, time_limit=20)
    results: list[Any] = []
    budgets = [500_000, 550_000, 650_000]
    threads = [
        threading.Thread(target=lambda b=b: results.append(session.solve({"budget": {"total": b}})))
        for b in budgets
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.budget for r in results) == budgets
    for r in results:
        cold = solve(s.with_changes({"budget": {"total": r.budget}}), time_limit=20)
        assert r.status == cold.status
        assert r.objective == pytest.approx(cold.objective, rel=1e-4)

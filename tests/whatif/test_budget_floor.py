"""Budget cuts below the least budget the other rules allow, answered "no portfolio"
by a session without the search (selector/whatif/budget_floor.py): the same status,
explanation and relaxations as a cold solve, the least budget found once per family."""

from __future__ import annotations

from typing import Any

import pytest

from selector import Session, load_scenario, solve
from selector.portfolio.elastic import ElasticModel
from selector.whatif.budget_floor import BUDGET, Floor


def _same_way_out(answer: Any, cold: Any) -> None:
    assert answer.status == cold.status == "infeasible"
    assert list(answer.explanation) == list(cold.explanation)
    mine = [(r.setting, r.needed, r.status, r.sentence) for r in answer.relaxations]
    theirs = [(r.setting, r.needed, r.status, r.sentence) for r in cold.relaxations]
    assert mine == theirs


@pytest.mark.parametrize("name", ["teaching", "teaching-plan"])
def test_budget_cuts_below_the_floor_answer_as_a_cold_solve(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = load_scenario(f"scenarios/{name}.toml")
    total = float(s.budget.total)
    session = Session(s, time_limit=20)
    assert session.solve().status == "optimal"
    solved: list[str] = []
    least_change = ElasticModel.least_change

    def counted(self: ElasticModel, k: int, seconds: float, **kw: Any) -> Any:
        solved.append(self.limits[k].setting)
        return least_change(self, k, seconds, **kw)

    monkeypatch.setattr(ElasticModel, "least_change", counted)
    cut = s.with_changes({"budget": {"total": total * 0.1}})
    first = session.solve_scenario(cut)
    assert first.stats["session"]["answer"] == "floor"
    assert solved.count(BUDGET) == 1  # the floor, found once
    _same_way_out(first, solve(cut, time_limit=20))
    solved.clear()
    deeper = s.with_changes({"budget": {"total": total * 0.05}})
    second = session.solve_scenario(deeper)
    assert second.stats["session"]["answer"] == "floor"
    # neither the budget nor a limit proved unable to help at the higher budget again
    nones = {r.setting for r in first.relaxations if r.status == "none"}
    assert BUDGET not in solved and not nones & set(solved)
    _same_way_out(second, solve(deeper, time_limit=20))
    # above the floor: the ordinary solve, and a portfolio
    floor = next(r.needed for r in first.relaxations if r.setting == BUDGET)
    above = s.with_changes({"budget": {"total": float(floor) * 1.001}})
    third = session.solve_scenario(above)
    assert third.stats["session"]["answer"] in ("warm", "kept")
    cold = solve(above, time_limit=20)
    assert third.status == cold.status and third.objective == pytest.approx(cold.objective, rel=1e-4)


def test_a_rise_or_another_change_is_not_answered_from_a_floor() -> None:
    s = load_scenario("scenarios/teaching.toml")
    total = float(s.budget.total)
    session = Session(s, time_limit=20)
    session.solve()
    # a first what-if of a family that was never answered at a higher budget: solved
    other = session.solve({"constraints": {"max_partners_per_segment": 1},
                           "budget": {"total": total * 0.1}})
    assert other.stats["session"]["answer"] == "warm"
    assert session.solve({"budget": {"total": total * 1.2}}).stats["session"]["answer"] == "warm"


def test_a_floor_says_which_budgets_it_proves_infeasible() -> None:
    floor = Floor(1_000_000.0, {"programme.max_exits": 800_000.0})
    assert floor.below(900_000.0) and not floor.below(1_000_000.0)
    assert not floor.below(999_999.5)  # within the solver's tolerance: solved
    assert set(floor.known(700_000.0)) == {BUDGET, "programme.max_exits"}
    assert set(floor.known(850_000.0)) == {BUDGET}
    assert Floor(None).below(1e12)


@pytest.mark.parametrize("name", ["teaching", "teaching-plan"])
def test_a_first_cut_that_leaves_room_finds_the_floor_below_it(name: str) -> None:
    # A first cut that still leaves room for a portfolio finds the least budget below
    # it (not the cut itself, which once answered a deeper feasible cut "no
    # portfolio"): deeper cuts above the least budget are solved, one below is not.
    s = load_scenario(f"scenarios/{name}.toml")
    total = float(s.budget.total)
    floor = next(r.needed for r in solve(s.with_changes({"budget": {"total": total * 0.1}}),
                                         time_limit=20).relaxations if r.setting == BUDGET)
    assert floor is not None and 0 < floor < total
    session = Session(s, time_limit=20)
    assert session.solve().status == "optimal"
    for share in (0.6, 0.3, 0.05):
        budget = float(floor) + share * (total - float(floor))
        variant = s.with_changes({"budget": {"total": budget}})
        answer, cold = session.solve_scenario(variant), solve(variant, time_limit=20)
        assert answer.status == cold.status == "optimal", share
        assert answer.objective == pytest.approx(cold.objective, rel=1e-4)
    assert [f.least for f in session._floors.floors.values()] == [pytest.approx(floor)]
    below = s.with_changes({"budget": {"total": float(floor) * 0.9}})
    answer = session.solve_scenario(below)
    assert answer.stats["session"]["answer"] == "floor"
    _same_way_out(answer, solve(below, time_limit=20))


@pytest.mark.parametrize("name", ["teaching", "teaching-plan"])
def test_the_least_budget_moving_down_is_the_relaxation_of_a_cut(name: str) -> None:
    # At the scenario's own budget (enough), the budget's least change allowed to move
    # down is the least budget a cut's relaxation names; held up, it is the budget
    # itself; and the model is as it was for the next solve.
    from selector.portfolio.options import resolve_options
    from selector.portfolio.reductions import reduce

    s = load_scenario(f"scenarios/{name}.toml")
    total = float(s.budget.total)
    cold = solve(s.with_changes({"budget": {"total": total * 0.1}}), time_limit=20)
    least = next(r.needed for r in cold.relaxations if r.setting == BUDGET)
    elastic = ElasticModel(s, reduce(s, resolve_options(s)), seed=0, threads=None)
    k = next(j for j, lim in enumerate(elastic.limits) if lim.setting == BUDGET)
    assert elastic.least_change(k, 20, lower=True).needed == pytest.approx(least)
    assert elastic.least_change(k, 20).needed == pytest.approx(total)
    assert elastic.least_change(k, 20, lower=True).needed == pytest.approx(least)

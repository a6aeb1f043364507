"""Budget frontier: coverage against budget, and where money stops buying coverage.

The teaching scenario solves in a fraction of a second, so whole frontiers run here.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from selector import load_scenario, solve
from selector.errors import ScenarioError
from selector.inputs.scenario import Scenario
from selector.whatif.budget_frontier import frontier

REPO = Path(__file__).resolve().parents[2]
TEACHING = REPO / "scenarios" / "teaching.toml"


@pytest.fixture(scope="module")
def teaching() -> Scenario:
    return load_scenario(TEACHING)


def test_frontier_coverage_rises_with_budget_and_statuses_are_honest(teaching: Scenario) -> None:
    seen: list[tuple[int, int]] = []
    result = frontier(teaching, points=8, engine="serial", progress=lambda d, n: seen.append((d, n)))
    assert seen[0] == (0, 8) and seen[-1] == (8, 8)
    budgets = [p.budget for p in result.points]
    assert budgets == sorted(budgets) and len(budgets) == 8
    assert budgets[0] == pytest.approx(0.5 * 600_000) and budgets[-1] == pytest.approx(1.5 * 600_000)
    optimal = [p for p in result.points if p.status == "optimal"]
    assert len(optimal) >= 4
    for a, b in itertools.pairwise(optimal):
        assert a.objective is not None and b.objective is not None
        assert b.objective >= a.objective * (1 - result.gap) - 1e-6
    for p in result.points:
        assert p.status in ("optimal", "time_limit", "infeasible", "error")
        if p.status in ("optimal", "time_limit"):
            assert p.selected and p.cost <= p.budget + 1e-6
            assert p.gap is not None and p.gap <= (result.gap if p.status == "optimal" else 1)
            assert p.covered_share is not None and 0 < p.covered_share <= 1
        else:  # no portfolio: nothing claimed
            assert p.selected == () and p.objective is None and p.covered_value == 0
    # 300k cannot reach every named segment through the teaching partners
    assert result.points[0].status == "infeasible"
    # marginals between consecutive feasible points, and where money stops helping
    for prev, p in zip(result.points, result.points[1:], strict=False):
        if prev.objective is not None and p.objective is not None:
            assert p.marginal == pytest.approx(
                (p.objective - prev.objective) / (p.budget - prev.budget)
            )
            assert p.previous_fits is True
        else:
            assert p.marginal is None
    assert result.saturation_budget is not None
    first = next(p.marginal for p in result.points if p.marginal is not None)
    after = result.points[budgets.index(result.saturation_budget) + 1]
    assert after.marginal is not None and after.marginal < 0.1 * first
    frame = result.to_frame()
    assert list(frame.index) == budgets and "marginal" in frame.columns
    d = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert d["saturation_budget"] == result.saturation_budget
    assert [p["budget"] for p in d["points"]] == budgets
    for p, back in zip(result.points, d["points"], strict=True):
        assert back["selected"] == list(p.selected) and back["n_selected"] == len(p.selected)
        assert back["objective"] == (None if p.objective is None else pytest.approx(p.objective))
        assert back["marginal"] == (None if p.marginal is None else pytest.approx(p.marginal))


def test_frontier_explicit_budgets_and_bad_options(teaching: Scenario) -> None:
    result = frontier(teaching, [700_000, 600_000, 600_000], engine="serial")
    assert [p.budget for p in result.points] == [600_000, 700_000]
    direct = solve(teaching, time_limit=10, gap=1e-3, threads=1, warm_start=False)
    assert result.points[0].selected == direct.selected
    with pytest.raises(ScenarioError, match="low 2 must be below high 1"):
        frontier(teaching, low=2, high=1, engine="serial")
    with pytest.raises(ScenarioError, match="points is 1; accepted: a whole number >= 2"):
        frontier(teaching, points=1, engine="serial")
    with pytest.raises(ScenarioError, match="budget is -1"):
        frontier(teaching, [-1], engine="serial")
    with pytest.raises(ScenarioError, match="engine is 0; accepted: None"):
        frontier(teaching, [600_000], engine=0)
    with pytest.raises(ScenarioError, match=r"engine is 2\.5"):
        frontier(teaching, [600_000], engine=2.5)


def test_a_frontier_through_a_session_proves_each_budget_as_alone(teaching: Scenario) -> None:
    # Budgets from below the least the rules allow to above the plan's: each point
    # through one session (serial, ascending: each starts from the plan below it), with
    # the statuses and values of independent solves.
    from selector.whatif import _shared

    total = float(teaching.budget.total or 0)
    budgets = [total * k for k in (0.05, 0.1, 0.6, 0.8, 1.0, 1.2)]
    _shared._sessions.clear()
    alone = frontier(teaching, budgets, engine="serial", gap=1e-4)
    through = frontier(teaching, budgets, engine="serial", gap=1e-4, session=True)
    for a, b in zip(alone.points, through.points, strict=True):
        assert (b.budget, b.status) == (a.budget, a.status)
        assert b.objective == (None if a.objective is None else pytest.approx(a.objective, rel=2e-4))
        assert b.cost <= b.budget * (1 + 1e-9)
    assert alone.saturation_budget == through.saturation_budget
    _shared._sessions.clear()


def test_the_cli_frontier_and_sweep_take_session(capsys: pytest.CaptureFixture[str]) -> None:
    from selector.cli.main import main

    assert main(["frontier", str(TEACHING), "--points", "3", "--low", "0.9", "--high", "1.1",
                 "--workers", "0", "--session", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [p["status"] for p in data["points"]] == ["optimal"] * 3

"""Tests for selector/portfolio/route.py: the route each kind of instance takes, chosen
without running any solver, and recorded in the result."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from portfolio_cases import coverage_pairs, tiny_frames

from selector import load_scenario, solve
from selector.inputs.scenario import scenario_from_frames
from selector.portfolio import searches, solvers, starts
from selector.portfolio.options import resolve_options
from selector.portfolio.reductions import reduce
from selector.portfolio.route import (
    DETERMINISTIC_MOVES,
    LAGRANGE_ROWS_MASTER,
    PLAN_START_MOVES,
    PLAN_START_SECONDS,
    Route,
    choose_route,
)


@pytest.fixture(autouse=True)
def _no_solver(monkeypatch: pytest.MonkeyPatch) -> None:
    """Choosing a route solves nothing: every solver and LP refuses to run."""

    def refuse(*_args: Any, **_kw: Any) -> Any:
        raise AssertionError("a solver ran while the route was chosen")

    for name in solvers.ADAPTERS:
        monkeypatch.setitem(solvers.ADAPTERS, name, refuse)
    monkeypatch.setattr(searches, "lp_relaxation", refuse)
    monkeypatch.setattr(starts, "solve_highs", refuse)


def route_of(scenario: Any, **options: Any) -> Route:
    resolved = resolve_options(scenario, **options)
    return choose_route(reduce(scenario, resolved), resolved)


def _cover(constraints: dict[str, Any] | None = None) -> Any:
    partners, segments = tiny_frames(3, 3, cost=[1, 2, 3])
    cov = coverage_pairs([("P0", "S0"), ("P0", "S1"), ("P1", "S1"), ("P1", "S2"), ("P2", "S2"), ("P2", "S0")])
    settings: dict[str, Any] = {"objective": {"kind": "min_cost"}}
    if constraints:
        settings["constraints"] = constraints
    return scenario_from_frames(partners, segments, coverage=cov, settings=settings)


def _blank(rows: int, objective: str, partners: int = 120, seed: int = 0) -> Any:
    """A blank-sheet coverage scenario with about ``rows`` segments covered by distinct
    sets of three partners (so merging keeps them apart)."""
    rng = np.random.default_rng(seed)
    frames, segments = tiny_frames(partners, rows)
    frames["score"] = rng.uniform(0.3, 1.0, partners).round(2)
    picks = np.unique(np.sort(rng.integers(0, partners, (rows, 3)), axis=1), axis=0)
    picks = picks[(picks[:, 0] != picks[:, 1]) & (picks[:, 1] != picks[:, 2])]
    segments = segments.iloc[: len(picks)]
    cov = pd.DataFrame({"partner_id": [f"P{p}" for p in picks.ravel()],
                        "segment_id": np.repeat(segments["id"].to_numpy(), 3)})
    return scenario_from_frames(frames, segments, coverage=cov,
                                settings={"objective": {"kind": objective}, "budget": {"total": 2000}})


def test_a_set_cover_starts_with_its_lp() -> None:
    r = route_of(_cover())
    assert (r.search, r.start, r.presolve, r.restart) == ("cover_lp", "lp_rounding", True, False)
    assert r.fallback().search == "mip" and r.drop == ()


def test_a_multicover_and_a_capped_cover_search_the_whole_model() -> None:
    multi = route_of(_cover({"min_partners": {"default": 2}}))
    assert (multi.search, multi.start, multi.restart) == ("mip", "greedy", False)
    capped = route_of(_cover({"max_partners_per_segment": 2}))
    assert (capped.search, capped.restart) == ("mip", True)


def test_a_set_cover_with_cbc_has_no_lp_stage() -> None:
    r = route_of(_cover(), solver="cbc")
    assert (r.search, r.solver, r.presolve) == ("mip", "cbc", False)


@pytest.mark.parametrize("objective", ["coverage", "weighted_coverage"])
@pytest.mark.parametrize(("rows", "lagrangian"), [(300, "none"), (10_000, "none")], ids=["S", "M"])
def test_blank_sheet_coverage_goes_to_the_cut_loop(objective: str, rows: int, lagrangian: str) -> None:
    r = route_of(_blank(rows, objective))
    assert (r.search, r.start, r.lagrangian) == ("cuts", "greedy", lagrangian)
    assert r.drop == ("objective_link",) and r.polish and r.neighbourhood and r.tie_by_cost
    assert (r.first_lp, r.fewest_changes, r.presolve) == ("ipm", False, False)


@pytest.fixture(scope="module")
def large() -> dict[str, Any]:
    return {kind: _blank(LAGRANGE_ROWS_MASTER + 2_000, kind, partners=200) for kind in
            ("coverage", "weighted_coverage")}


def test_the_largest_weighted_models_are_bounded_by_the_lagrangian_alone(large: dict[str, Any]) -> None:
    scenario = large["weighted_coverage"]
    r = route_of(scenario)
    assert (r.search, r.lagrangian, r.start) == ("lagrange_only", "all", "greedy")
    assert r.fallback() == replace(r, search="cuts", lagrangian="share")
    # coverage at that size keeps the cut loop; so does a node limit or no start
    assert route_of(large["coverage"]).search == "cuts"
    nodes = route_of(scenario, node_limit=50)
    assert (nodes.search, nodes.lagrangian, nodes.start_moves) == ("cuts", "share", DETERMINISTIC_MOVES)
    assert route_of(scenario, warm_start=False).search == "cuts"


@pytest.mark.parametrize("objective", ["coverage", "weighted_coverage"])
def test_cbc_searches_the_whole_model_with_a_lagrangian_share(objective: str) -> None:
    r = route_of(_blank(3_000, objective), solver="cbc")
    assert (r.search, r.lagrangian, r.drop) == ("mip", "share", ())


def test_a_coverage_rule_keeps_the_whole_model() -> None:
    scenario = _blank(300, "coverage")
    ids = list(scenario.segments.index[:10])
    ruled = scenario.with_changes(
        {"rules": [{"id": "reach", "kind": "coverage", "segments": {"id": ids}, "min_share": 0.0}]}
    )
    assert route_of(ruled).search == "mip"


@pytest.mark.parametrize("path", ["scenarios/teaching-plan.toml", "scenarios/vendor.toml"])
def test_a_plan_starts_short_and_ends_with_the_fewest_changes(path: str) -> None:
    scenario = load_scenario(path)
    r = route_of(scenario)
    assert (r.search, r.start, r.start_moves, r.first_lp) == ("cuts", "greedy", PLAN_START_MOVES, "choose")
    assert r.fewest_changes and not r.tie_by_cost and not r.polish and not r.neighbourhood
    assert r.presolve and r.start_seconds == PLAN_START_SECONDS and r.cover_seconds is not None
    loose = scenario.with_changes({"programme": {"stability": "none"}})
    assert not route_of(loose).fewest_changes and route_of(loose).tie_by_cost
    nodes = route_of(scenario, node_limit=100)
    assert (nodes.start_moves, nodes.cover_seconds) == (DETERMINISTIC_MOVES, None)


def test_the_start_gets_a_share_of_the_time() -> None:
    scenario = _blank(300, "coverage")
    assert route_of(scenario, time_limit=1).start_seconds == pytest.approx(0.25)
    assert route_of(scenario, time_limit=10).start_seconds == pytest.approx(1.5)
    assert route_of(scenario, time_limit=600).start_seconds == pytest.approx(5.0)
    assert route_of(scenario, warm_start=False).start == "none"


def test_the_result_records_the_route(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # this one solves
    scenario = load_scenario("scenarios/teaching.toml")
    result = solve(scenario, time_limit=20)
    chosen = route_of(scenario, time_limit=20)
    assert result.stats["route"] == chosen.describe()
    assert result.to_dict()["stats"]["route"]["search"] == "cuts"

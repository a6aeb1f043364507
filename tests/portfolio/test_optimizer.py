"""Tests for selector/portfolio/optimizer.py: statuses under time limits, bounds,
determinism, and the rules an optimal portfolio keeps."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from portfolio_cases import CONTRACT_KEYS, coverage_pairs, tiny_frames

from selector.inputs.scenario import scenario_from_frames
from selector.portfolio import heuristic_solve, partner_quality, solve

# --- time limits, determinism --------------------------------------------------------


def _large_scenario(seed: int = 7, n: int = 300, m: int = 3000) -> Any:
    rng = np.random.default_rng(seed)
    partners = pd.DataFrame(
        {
            "id": [f"P{i:03d}" for i in range(n)],
            "name": [f"Partner {i}" for i in range(n)],
            "type": "reseller",
            "gtm_tier": 1,
            "cost": rng.integers(10, 100, n),
            "regions": "*",
            "industries": "*",
            "sizes": "*",
            "score": np.round(rng.uniform(0.05, 1.0, n), 3),
        }
    )
    segments = pd.DataFrame(
        {
            "id": [f"S{j:04d}" for j in range(m)],
            "region": "R",
            "industry": "I",
            "size": "S",
            "value": rng.integers(1, 1000, m),
            "named": "false",
        }
    )
    k = 5
    p = rng.integers(0, n, (m, k))
    pairs = pd.DataFrame(
        {
            "partner_id": partners["id"].to_numpy()[p.ravel()],
            "segment_id": np.repeat(segments["id"].to_numpy(), k),
        }
    ).drop_duplicates()
    return scenario_from_frames(
        partners,
        segments,
        coverage=pairs,
        settings={"budget": {"total": int(partners["cost"].sum() * 0.08)}},
    )


@pytest.fixture(scope="module")
def large_scenario() -> Any:
    return _large_scenario()


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_time_limited_solve_is_not_reported_optimal(
    large_scenario: Any, solver: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The solver stops at its limit with a proven bound but no better portfolio than
    # the heuristic start. Simulated (a real 0.5 s limit made the outcome depend on the
    # machine's speed): the result is "time_limit" with a positive gap, never "optimal".
    from selector.portfolio import searches, solvers

    seen: list[float] = []

    def stopped(model: Any, *, time_limit: float, **_kw: Any) -> Any:
        seen.append(time_limit)
        loose = float(np.clip(model.c, 0, None).sum())  # every column at its best
        return solvers.Solved("time_limit", None, None, loose)

    def stopped_cuts(side: Any, rv: Any, *, time_limit: float, **_kw: Any) -> Any:
        seen.append(time_limit)
        return solvers.Solved("time_limit", None, None, float(rv.top.sum() + rv.c_x.sum()))

    monkeypatch.setitem(solvers.ADAPTERS, solver, stopped)
    monkeypatch.setattr(searches, "solve_by_cuts", stopped_cuts)  # the coverage master
    result = solve(large_scenario, solver=solver, time_limit=5)
    assert seen and all(0 < t <= 5 for t in seen)
    assert result.status == "time_limit", result.explanation
    assert result.solver == solver and result.selected
    assert result.objective is not None and result.bound is not None
    assert result.bound >= result.objective - 1e-6 * abs(result.objective)
    assert result.gap == pytest.approx((result.bound - result.objective) / result.bound)
    assert result.gap > 0
    d = result.to_dict()
    back = json.loads(json.dumps(d, allow_nan=False))
    assert CONTRACT_KEYS <= set(back)
    assert back["status"] == "time_limit" and back["selected"] == sorted(result.selected)
    assert back["objective"] == pytest.approx(result.objective)
    assert back["bound"] == pytest.approx(result.bound)


def test_time_limit_without_solver_bound_reports_the_submodular_one(
    teaching: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # HiGHS stopped by its limit before it had a bound (seen on the 300 x 3000 instance
    # with a 0.5 s limit); simulated here so the case is deterministic. The result
    # then carries the submodular bound of its own portfolio, never a made-up one.
    import numpy as np

    from selector.portfolio import searches, solvers
    from selector.portfolio.bounds import submodular_bound
    from selector.portfolio.instance import build_instance

    def stopped(model: Any, *_args: Any, **_kw: Any) -> Any:
        return solvers.Solved("time_limit", None, None, None)

    monkeypatch.setitem(solvers.ADAPTERS, "highs", stopped)
    monkeypatch.setattr(searches, "solve_by_cuts", stopped)  # the coverage master
    result = solve(teaching, solver="highs", time_limit=1.0)
    assert result.status == "time_limit"  # the heuristic portfolio, no proof
    inst = build_instance(teaching, partner_quality(teaching))
    expected = submodular_bound(inst, np.isin(inst.partner_ids, list(result.selected)))
    assert result.bound == pytest.approx(expected)
    assert result.objective is not None and result.bound >= result.objective
    assert result.gap == pytest.approx((result.bound - result.objective) / result.bound)
    text = " ".join(result.explanation)
    assert "(bound 0)" not in text and f"{result.bound:,.0f}" in text, text
    assert "More time may find a better portfolio, or prove this one the best." in text, text


def test_time_limit_message_without_any_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    # min_cost has no quick bound: a limit-stopped solve must not claim a gap.
    from selector.portfolio import searches, solvers

    def stopped(model: Any, *_args: Any, **_kw: Any) -> Any:
        return solvers.Solved("time_limit", None, None, None)

    monkeypatch.setitem(solvers.ADAPTERS, "highs", stopped)
    monkeypatch.setattr(searches, "solve_by_cuts", stopped)  # the coverage master
    # nor did the set cover's LP finish (it would answer this one: see cover_lp)
    monkeypatch.setattr(searches, "lp_relaxation", lambda *_a, **_kw: None)
    partners, segments = tiny_frames(3, 2, cost=[7, 5, 1])
    cov = coverage_pairs([("P0", "S0"), ("P1", "S1"), ("P2", "S0"), ("P2", "S1")])
    scenario = scenario_from_frames(
        partners, segments, coverage=cov, settings={"objective": {"kind": "min_cost"}}
    )
    result = solve(scenario, time_limit=1.0)
    assert result.status == "time_limit"
    assert result.bound is None and result.gap is None
    text = " ".join(result.explanation)
    assert "0.00%" not in text and "(bound 0)" not in text, text


@pytest.mark.parametrize("how", ["optimal", "time_limit", "cut loop"])
def test_partners_that_add_nothing_are_left_out_and_said(
    monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    # The solver answers every partner (its objective is indifferent to P0, which covers
    # S0 as P1 does but costs more), proved or stopped by its limit; or the cut loop
    # leaves P0 out itself (its ``tidy``, before the cheapest-tie stage of a proved
    # portfolio). Either way the answer is without P0, keeps the value and the status,
    # and says so with what it saves.
    from selector.portfolio import searches, solvers

    def answer(side: Any, rv: Any, *, tidy: Any, **_kw: Any) -> Any:
        x = np.ones(side.n_x, dtype=bool)
        if how == "cut loop":
            x = tidy(x)
        value = float(rv.c_x @ x) + float(rv.top.sum())
        return solvers.Solved("time_limit" if how == "time_limit" else "optimal", x, value, value)

    monkeypatch.setattr(searches, "solve_by_cuts", answer)
    partners, segments = tiny_frames(3, 2, cost=[5, 3, 4])
    cov = coverage_pairs([("P0", "S0"), ("P1", "S0"), ("P2", "S1")])
    scenario = scenario_from_frames(partners, segments, coverage=cov,
                                    settings={"objective": {"kind": "coverage"}, "budget": {"total": 20}})
    result = solve(scenario, time_limit=5, warm_start=False)
    assert result.selected == ("P1", "P2")
    assert result.objective == pytest.approx(float(segments["value"].sum()))
    assert result.cost == pytest.approx(7.0)
    assert result.status == ("time_limit" if how == "time_limit" else "optimal")
    text = " ".join(result.explanation)
    assert "1 partner that added no value" in text and "saving 5." in text, text


def test_same_input_and_seed_same_portfolio(teaching: Any) -> None:
    medium = _large_scenario(seed=3, n=40, m=300)
    for scenario in (teaching, medium):
        a = solve(scenario, seed=11)
        b = solve(scenario, seed=11)
        assert a.status == b.status == "optimal"
        assert a.selected == b.selected
        assert a.objective == b.objective
        ha = heuristic_solve(scenario, seed=11)
        hb = heuristic_solve(scenario, seed=11)
        assert ha.selected == hb.selected


def test_teaching_solution_keeps_its_rules(teaching: Any) -> None:
    r = solve(teaching)
    assert r.status == "optimal"
    assert r.cost <= 600_000
    sel = set(r.selected)
    assert not {"R02", "R10"} <= sel
    partners = teaching.partners
    supply = teaching.supply
    for pid in sel:
        if partners.loc[pid, "gtm_tier"] == 2:
            ds = set(supply.loc[supply["reseller_id"] == pid, "distributor_id"])
            assert ds & sel, pid
    dist = sum(partners.loc[p, "cost"] for p in sel if partners.loc[p, "type"] == "distributor")
    assert dist <= 350_000
    cov = r.coverage
    assert (cov["partners"] <= 3).all()
    assert (cov.loc[cov["named"], "partners"] >= 1).all()
    assert r.objective == pytest.approx(float(cov["counted_value"].sum()))


def test_conflict_shared_value_turns_shared_business_into_conflicts(teaching: Any) -> None:
    from selector.gtm import conflict_graph, conflict_pairs_above

    threshold = 1_500_000
    scenario = teaching.with_changes({"constraints": {"conflict_shared_value": threshold}})
    assert scenario.constraints.conflict_shared_value == threshold
    pairs = conflict_pairs_above(teaching, threshold)
    assert pairs, "the teaching scenario has partners sharing more than the threshold"
    result = solve(scenario)
    assert result.status == "optimal"
    chosen = set(result.selected)
    graph = conflict_graph(teaching, selected=result.selected)
    for a, b in pairs:
        assert not (a in chosen and b in chosen), (a, b)
    for a, b, data in graph.edges(data=True):
        if a in chosen and b in chosen:
            assert data["weight"] <= threshold
    # Without the rule the unconstrained optimum is at least as good.
    assert solve(teaching).objective >= result.objective - 1e-6


def _triangle(cost: list[float]) -> Any:
    # Three segments, three partners each covering two of them: the LP takes each at
    # one half (1.5 times the cost), any cover needs two.
    partners, segments = tiny_frames(3, 3, cost=cost)  # type: ignore[arg-type]
    cov = coverage_pairs([("P0", "S0"), ("P0", "S1"), ("P1", "S1"), ("P1", "S2"), ("P2", "S2"), ("P2", "S0")])
    return scenario_from_frames(partners, segments, coverage=cov, settings={"objective": {"kind": "min_cost"}})


@pytest.mark.parametrize(
    ("cost", "searched"),
    [([1, 1, 1], False), ([1.5, 1.5, 1.5], True)],
    ids=["whole costs: the LP's 1.5 rounds up to 2", "costs of 1.5: 2.25 is no proof of 3"],
)
def test_a_set_cover_start_that_meets_the_lp_bound_needs_no_search(
    monkeypatch: pytest.MonkeyPatch, cost: list[float], searched: bool
) -> None:
    from selector.portfolio import solvers

    runs: list[int] = []
    real = solvers.ADAPTERS["highs"]

    def counted(*args: Any, **kw: Any) -> Any:
        runs.append(1)
        return real(*args, **kw)

    monkeypatch.setitem(solvers.ADAPTERS, "highs", counted)
    r = solve(_triangle(cost), time_limit=10)
    assert r.status == "optimal" and len(r.selected) == 2
    assert r.objective == pytest.approx(2 * cost[0]) and r.bound == pytest.approx(2 * cost[0])
    assert bool(runs) is searched


@pytest.mark.parametrize(
    ("constraints", "restart", "cost"),
    [
        ({}, False, 3.0),
        ({"min_partners": {"default": 2}}, False, 4.5),
        ({"max_partners_per_segment": 2}, True, 3.0),
    ],
    ids=["a pure set cover", "two partners per segment", "a cap per segment"],
)
def test_a_set_cover_is_searched_without_root_restarts(
    monkeypatch: pytest.MonkeyPatch, constraints: dict[str, Any], restart: bool, cost: float
) -> None:
    # HiGHS's root restart repeats most of a set cover's work (see COVER_RESTART); other
    # models keep it.
    import highspy

    from selector.portfolio import solvers

    made: list[Any] = []
    real = solvers.highs.quiet_highs

    def kept(module: Any) -> Any:
        made.append(real(module))
        return made[-1]

    monkeypatch.setattr(solvers.highs, "quiet_highs", kept)
    scenario = _triangle([1.5, 1.5, 1.5])
    if constraints:
        scenario = scenario.with_changes({"constraints": constraints})
    r = solve(scenario, time_limit=10)
    assert r.status == "optimal" and r.objective == pytest.approx(cost)
    searches = [h for h in made if highspy.HighsVarType.kInteger in list(h.getLp().integrality_)]
    assert searches, "no search ran"
    assert [h.getOptionValue("mip_allow_restart")[1] for h in searches] == [restart] * len(searches)


def test_a_set_cover_with_an_integral_lp_is_answered_by_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each segment has one cheapest partner, and P3 covers both for more than the two
    # together: the LP optimum is P0 and P1, whole, with no start and no search.
    from selector.portfolio import solvers, starts

    def no_search(*_args: Any, **_kw: Any) -> Any:
        raise AssertionError("the search ran")

    monkeypatch.setitem(solvers.ADAPTERS, "highs", no_search)
    monkeypatch.setattr(starts, "greedy_portfolio", no_search)
    partners, segments = tiny_frames(4, 2, cost=[2, 3, 9, 6])
    cov = coverage_pairs([("P0", "S0"), ("P1", "S1"), ("P2", "S0"), ("P3", "S0"), ("P3", "S1")])
    scenario = scenario_from_frames(partners, segments, coverage=cov, settings={"objective": {"kind": "min_cost"}})
    r = solve(scenario, time_limit=10)
    assert r.status == "optimal" and r.selected == ("P0", "P1")
    assert r.objective == pytest.approx(5.0) and r.bound == pytest.approx(5.0)
    assert r.heuristic_objective is None


@pytest.mark.parametrize(("name", "restart"), [("teaching-plan", False), ("teaching", True)])
def test_a_plans_coverage_master_is_searched_without_root_restarts(
    monkeypatch: pytest.MonkeyPatch, name: str, restart: bool
) -> None:
    # The cut loop restarts its search when it adds cuts; on a plan HiGHS's own root
    # restart would solve the root once more (see PLAN_RESTART). Blank sheets keep it.
    from pathlib import Path

    from selector import load_scenario
    from selector.portfolio import cut_master

    made: list[Any] = []
    real = cut_master.quiet_highs

    def kept(module: Any) -> Any:
        made.append(real(module))
        return made[-1]

    monkeypatch.setattr(cut_master, "quiet_highs", kept)
    r = solve(load_scenario(Path(__file__).resolve().parents[2] / "scenarios" / f"{name}.toml"),
              time_limit=20)
    assert r.status == "optimal" and r.stats["route"]["search"] == "cuts"
    assert r.stats["route"]["restart"] is restart
    assert made and [h.getOptionValue("mip_allow_restart")[1] for h in made[:1]] == [restart]

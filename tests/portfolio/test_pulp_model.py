"""The readable PuLP model (selector/portfolio/pulp_model.py): names, agreement with the
fast path, analysts' constraints, read-back by the solver's own status, LP/MPS files."""

from __future__ import annotations

import random
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pulp
import pytest
from hypothesis import HealthCheck, given, settings
from portfolio_cases import PHASES, Spec
from test_rules import RuleCase, _loads, _scenario, rule_cases

from selector.cli.main import main
from selector.errors import ScenarioError
from selector.portfolio import pulp_model, read_pulp, solve, write_model
from selector.portfolio.pulp_compat import cbc_path, read_mps

CBC = pulp.COIN_CMD(path=cbc_path(), msg=False)


def _rich() -> Any:
    rules = [
        {"id": "finance-sis", "label": "At least 2 SIs in finance", "kind": "count",
         "where": {"type": "si", "industries": "finance"}, "min": 2},
        {"id": "r05-d01", "kind": "requires", "partner": "R05", "requires": ["D01", "D02"]},
    ]
    return _scenario(
        rules, budget=600,
        constraints={"conflicts": [["SI1", "D02"]], "max_partners_per_segment": 3},
    ).with_changes({"budget": {"pools": {"type:distributor": 300}}})


def test_names_read_like_the_scenario() -> None:
    prob, x = pulp_model(_rich())
    assert set(x) == {"SI1", "SI2", "SI3", "D01", "D02", "R05"}
    assert x["R05"].name == "x_R05"
    names = {c.name for c in prob.constraints()}
    for expected in ("budget", "pool_type_distributor", "conflict_D02_SI1", "cap_S_North_fin",
                     "rule_finance_sis", "rule_r05_d01", "best_S_North_fin", "link_SI1_S_North_fin"):
        assert expected in names, sorted(names)
    assert "z_SI1_S_North_fin" in prob.variablesDict()
    # The rule row is what it says.
    row = next(c for c in prob.constraints() if c.name == "rule_finance_sis")
    assert {v.name for v in row} == {"x_SI1", "x_SI2"} and row.constant == -2


def test_analyst_rule_end_to_end() -> None:
    scenario = _rich()
    base = solve(scenario, gap=0.0)
    assert "SI1" in base.selected and "SI2" in base.selected

    def no_si1_with_si2(prob: Any, x: dict[str, Any]) -> None:
        prob += x["SI1"] + x["SI2"] <= 1, "my_rule"

    # Together with the scenario's "at least 2 finance SIs" that is infeasible ...
    r = solve(scenario, solver="cbc", gap=0.0, customize=no_si1_with_si2)
    assert r.status == "infeasible"
    # ... and without it the analyst's rule holds.
    loose = scenario.with_changes({"rules": []})
    r = solve(loose, solver="cbc", gap=0.0, customize=no_si1_with_si2)
    assert r.status == "optimal" and not {"SI1", "SI2"} <= set(r.selected)
    r2 = solve(loose, solver="highs", gap=0.0, customize=no_si1_with_si2)
    assert r2.status == "optimal" and r2.objective == pytest.approx(r.objective)


def test_solve_by_hand_and_read_back() -> None:
    scenario = _rich()
    prob, x = pulp_model(scenario)
    prob += x["D01"] >= 1, "keep_D01"
    stats = prob.solve(CBC)
    result = read_pulp(scenario, prob, solver="cbc", stats=stats)
    assert result.status == "optimal" and "D01" in result.selected
    assert result.rules and all(r["holds"] for r in result.rules)


def test_status_is_the_solvers_own_never_pulps_text() -> None:
    """PuLP says Optimal (status 1) after a time limit; the solution status says 2."""
    scenario = _rich()
    prob, _x = pulp_model(scenario)
    prob.solve(CBC)
    stopped = SimpleNamespace(status=1, sol_status=2, variablesDict=prob.variablesDict)
    r = read_pulp(scenario, stopped)
    assert r.status == "time_limit" and r.bound is None and r.selected
    none = SimpleNamespace(status=1, sol_status=0, variablesDict=prob.variablesDict)
    assert read_pulp(scenario, none).status == "error"
    unsolved, _ = pulp_model(scenario)
    assert read_pulp(scenario, unsolved).status == "error"


def test_read_back_refuses_a_problem_of_another_scenario() -> None:
    prob = pulp.LpProblem("other", pulp.LpMaximize)
    prob += prob.add_variable("x_P1", cat="Binary") if hasattr(prob, "add_variable") else 0
    with pytest.raises(ScenarioError, match="x_"):
        read_pulp(_rich(), prob)


def test_a_portfolio_breaking_the_scenario_is_refused() -> None:
    scenario = _rich()
    prob, _x = pulp_model(scenario)
    stats = prob.solve(CBC)
    for v in prob.variables():
        if v.name.startswith("x_"):
            v.varValue = 1.0  # everyone: over the budget
    r = read_pulp(scenario, prob, stats=stats)
    assert r.status == "error" and "budget" in " ".join(r.explanation)


def test_a_must_include_partner_in_no_row_reads_as_selected() -> None:
    """Nothing to cover and nothing to pay: the must-include partner's variable is in no
    row and not in the objective, so the solver never sees it; it reads as its lower
    bound (1), not as 0 (which broke the must-include rule)."""
    spec = Spec(objective="weighted_coverage", ids=["P0", "P1", "P2"], types=["reseller"] * 3,
                tier=[1, 1, 1], cost=[0, 0, 0], score=[0.0] * 3, seg_ids=["S0", "S1", "S2"],
                value=[0, 0, 0], named=[False] * 3,
                covers=[(i, j) for i in range(3) for j in range(3)], budget=None, pools={},
                must_include=[0], must_exclude=[], conflicts=[], cap=None, named_need=None,
                default_need=None, supply=None, type_mix={})
    scenario = spec.scenario()
    prob, x = pulp_model(scenario)
    stats = prob.solve(CBC)
    assert x["P0"].varValue is None
    r = read_pulp(scenario, prob, solver="cbc", stats=stats)
    assert r.status == "optimal" and "P0" in r.selected, r.explanation


AGREE = settings(max_examples=25, deadline=None, derandomize=True, phases=PHASES,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@AGREE
@given(rule_cases())
def test_pulp_model_by_cbc_agrees_with_the_fast_path(case: RuleCase) -> None:
    scenario = _loads(case)
    if scenario is None:
        return
    fast = solve(scenario, gap=0.0, time_limit=20, seed=1)
    prob, _ = pulp_model(scenario)
    stats = prob.solve(CBC)
    slow = read_pulp(scenario, prob, solver="cbc", stats=stats)
    if fast.status == "infeasible":
        assert slow.status == "infeasible"
        return
    assert fast.status == "optimal" and slow.status == "optimal", (fast.explanation, slow.explanation)
    assert slow.objective == pytest.approx(fast.objective, rel=1e-6, abs=1e-6)
    # The problem's own objective value is the same number (a constant carries the rest).
    # (an objective without terms reads None)
    assert (pulp.value(prob.objective) or 0.0) == pytest.approx(fast.objective, rel=1e-6, abs=1e-6)


@AGREE
@given(rule_cases(objective="min_cost"))
def test_pulp_model_agrees_min_cost(case: RuleCase) -> None:
    scenario = _loads(case)
    if scenario is None:
        return
    fast = solve(scenario, gap=0.0, time_limit=20, seed=1)
    slow = solve(scenario, gap=0.0, time_limit=20, solver="cbc", customize=lambda p, x: None)
    assert slow.status == fast.status
    if fast.status == "optimal":
        assert slow.objective == pytest.approx(fast.objective, rel=1e-6, abs=1e-6)


@pytest.mark.parametrize("seed", range(15))
def test_plan_model_agrees_and_names_options(seed: int) -> None:
    from test_levels import random_channel
    from test_rules import _plan_rules

    rng = random.Random(seed)
    ch = random_channel(900 + seed, rng.choice(["weighted_coverage", "coverage", "min_cost"]))
    try:
        scenario = ch.scenario().with_changes({"rules": _plan_rules(ch, rng)})
    except ScenarioError:
        return
    prob, x = pulp_model(scenario)
    assert set(x) == set(ch.ids)
    names = set(prob.variablesDict())
    if ch.programme and len(ch.tiers) > 1:
        assert all(f"x_{pid}_{t.name}" in names for pid in ch.ids for t in ch.tiers)
        assert isinstance(x[ch.ids[0]], pulp.LpAffineExpression)
        assert any(c.name.startswith("one_level_") for c in prob.constraints())
    fast = solve(scenario.with_changes({"programme": {"stability": "none"}}) if ch.programme else scenario,
                 gap=0.0, time_limit=20, seed=1)
    stats = prob.solve(CBC)
    slow = read_pulp(scenario, prob, solver="cbc", stats=stats)
    assert slow.status == fast.status, (slow.explanation, fast.explanation)
    if fast.status == "optimal":
        assert slow.objective == pytest.approx(fast.objective, rel=1e-6, abs=1e-6)
        assert slow.plan is not None
        assert (pulp.value(prob.objective) or 0.0) == pytest.approx(fast.objective, rel=1e-6, abs=1e-6)


# --- files -------------------------------------------------------------------------


def _teaching(teaching: Any) -> Any:
    return teaching.with_changes({"rules": [
        {"id": "two-distributors", "kind": "count", "where": {"type": "distributor"}, "min": 2},
        {"id": "fin-cover", "kind": "coverage", "segments": {"industry": "finance"}, "min_share": 0.5},
    ]})


def test_mps_file_read_back_by_pulp_gives_the_same_optimum(teaching: Any, tmp_path: Path) -> None:
    scenario = _teaching(teaching)
    fast = solve(scenario, gap=0.0)
    assert fast.status == "optimal"
    path = tmp_path / "model.mps"
    assert write_model(scenario, str(path)) == "mps"
    _vars, prob = read_mps(str(path))
    assert prob.sense == pulp.LpMaximize
    stats = prob.solve(CBC)
    assert pulp.value(prob.objective) == pytest.approx(fast.objective, rel=1e-6)
    back = read_pulp(scenario, prob, solver="cbc", stats=stats)
    assert back.status == "optimal"
    assert back.objective == pytest.approx(fast.objective, rel=1e-6)


def test_lp_file_read_by_highs_gives_the_same_optimum(teaching: Any, tmp_path: Path) -> None:
    import highspy

    scenario = _teaching(teaching)
    fast = solve(scenario, gap=0.0)
    path = tmp_path / "model.lp"
    write_model(scenario, str(path))
    text = path.read_text()
    assert "rule_two_distributors" in text and "budget" in text
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.readModel(str(path))
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    assert h.getInfo().objective_function_value == pytest.approx(fast.objective, rel=1e-6)


def test_cli_writes_the_model(teaching: Any, tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "m.lp"
    assert main(["model", "scenarios/teaching.toml", "-o", str(out)]) == 0
    assert out.read_text().startswith("\\*")
    assert main(["model", "scenarios/teaching.toml", "-o", str(out)]) == 2
    assert "exists" in capsys.readouterr().err
    assert main(["model", "scenarios/teaching.toml", "-o", str(out), "--format", "mps", "--force"]) == 0
    assert "ROWS" in out.read_text()
    assert main(["model", "scenarios/teaching.toml", "-o", str(tmp_path / "m.txt")]) == 2


def test_names_stay_unique_after_sanitising() -> None:
    from selector.portfolio.pulp_model import _unique

    assert _unique(["x_a_b", "x_a_b", "x_a_b_2", "x_a_b"]) == ["x_a_b", "x_a_b_2", "x_a_b_2_2", "x_a_b_3"]
    assert len(set(_unique(["y"] * 50))) == 50


def test_fixed_out_partners_keep_a_variable_at_zero() -> None:
    scenario = _rich().with_changes({"constraints": {"must_exclude": ["SI3"]}})
    _prob, x = pulp_model(scenario)
    assert x["SI3"].upBound == 0
    assert np.isfinite(x["SI1"].upBound)

"""A plan brought within a what-if's rules (selector.portfolio.repair.repair_plan):
a session's last plan is the next what-if's start only when its repair keeps every rule;
otherwise the search starts from a portfolio built from nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from selector import load_scenario, solve
from selector.inputs.scenario import Scenario
from selector.portfolio.instance import PortfolioInstance, violations
from selector.portfolio.options import resolve_options
from selector.portfolio.reductions import reduce
from selector.portfolio.repair import repair_plan
from selector.portfolio.warm import Carry

VENDOR = Path(__file__).resolve().parents[2] / "scenarios" / "vendor.toml"


@pytest.fixture(scope="module")
def baseline() -> tuple[Scenario, np.ndarray, Any]:
    scenario = load_scenario(VENDOR)
    carry = Carry()
    result = solve(scenario, time_limit=30, carry=carry)
    assert result.status == "optimal" and carry.x is not None
    return scenario, carry.x.copy(), result


def _instance(s: Scenario) -> PortfolioInstance:
    return reduce(s, resolve_options(s))


def _repaired(s: Scenario, x: np.ndarray) -> tuple[PortfolioInstance, np.ndarray, list[str]]:
    inst = _instance(s)
    start = x & ~inst.fixed_out
    before = violations(inst, start)
    fixed = repair_plan(inst, start)
    assert not violations(inst, fixed), violations(inst, fixed)
    return inst, fixed, before


def test_excluding_a_kept_partner_when_every_exit_is_used(baseline: tuple[Scenario, np.ndarray, Any]) -> None:
    # The baseline uses all 36 exits; excluding a partner it keeps is a 37th: an exited
    # partner comes back at the lowest tier instead.
    scenario, x, result = baseline
    plan = result.plan
    kept = plan[plan["action"].isin(["keep", "promote", "demote"]) & (plan["type"] != "distributor")]
    pid = str(kept["value_added"].astype(float).idxmax())
    s = scenario.with_changes({"constraints": {"must_exclude": [*scenario.constraints.must_exclude, pid]}})
    inst, fixed, before = _repaired(s, x)
    assert any("exits, above the limit" in v for v in before)
    assert inst.max_exits is not None and inst.current is not None
    back = fixed & inst.current & ~x
    assert back.any() and (inst.option_level[back] == 0).all()


def test_dropping_a_distributor_its_tier_two_partners_buy_from(
    baseline: tuple[Scenario, np.ndarray, Any],
) -> None:
    scenario, x, _ = baseline
    s = scenario.with_changes({"constraints": {"must_exclude": [*scenario.constraints.must_exclude, "D012"]}})
    _repaired(s, x)


def test_a_new_count_rule_the_plan_falls_short_of(baseline: tuple[Scenario, np.ndarray, Any]) -> None:
    scenario, x, result = baseline
    plan = result.plan
    csp = int(((plan["type"] == "csp") & (plan["proposed"] != "out")).sum())
    rule = {"id": "more-csp", "label": "Two more cloud service providers", "kind": "count",
            "where": {"type": "csp"}, "min": csp + 2}
    s = scenario.with_changes({"rules": [*scenario.config.get("rules", []), rule]})
    inst, fixed, before = _repaired(s, x)
    assert any("more-csp" in v for v in before)
    counted = inst.rules[-1].weights
    assert float((counted @ fixed.astype(float))[0]) >= csp + 2


def test_a_budget_cut_and_a_tighter_quota(baseline: tuple[Scenario, np.ndarray, Any]) -> None:
    scenario, x, _ = baseline
    _repaired(scenario.with_changes({"budget": {"total": scenario.budget.total * 0.95}}), x)
    _repaired(scenario.with_changes({"programme": {"gold": {"max_share": 0.08}}}), x)

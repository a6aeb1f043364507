"""The ``[horizon]`` table and the roadmap keys of ``[programme]`` (selector/inputs/horizon.py,
selector/inputs/programme.py): what loads, and errors that name file, field and what is accepted."""

from __future__ import annotations

from typing import Any

import pytest

from selector import load_scenario
from selector.errors import ScenarioError

PLAN = "scenarios/teaching-plan.toml"


def variant(**changes: Any) -> Any:
    return load_scenario(PLAN).with_changes(changes)


def test_a_scenario_without_horizon_has_none() -> None:
    s = load_scenario(PLAN)
    assert s.horizon is None
    assert s.programme is not None and s.programme.ramp == (1.0,) and s.programme.max_step == 1


def test_teaching_roadmap_loads() -> None:
    s = load_scenario("scenarios/teaching-3y.toml")
    assert s.horizon is not None and s.horizon.years == 3
    assert s.horizon.budgets == (900_000, 950_000, 1_000_000)
    assert s.horizon.max_exits == (2, 2, 2) and s.horizon.max_recruits == (1, 1, 1)
    assert s.programme is not None and s.programme.ramp == (0.5, 1.0)
    assert s.programme.exit_value_share == 0.5 and s.programme.exit_cost_share == 0.5


def test_budget_growth_and_total() -> None:
    s = variant(horizon={"years": 3, "budget": {"growth": 0.1}})
    assert s.horizon.budgets == pytest.approx((900_000, 990_000, 1_089_000))
    s = variant(horizon={"years": 2, "budget": {"total": 2_100_000, "growth": 0.1}})
    assert s.horizon.budgets == pytest.approx((1_000_000, 1_100_000))
    assert sum(s.horizon.budgets) == pytest.approx(2_100_000)
    s = variant(horizon={"years": 2})
    assert s.horizon.budgets == (900_000, 900_000)
    assert s.horizon.max_exits == (3, 3)  # the programme's, each year


def test_weight_is_growth_over_discount() -> None:
    s = variant(horizon={"years": 3, "discount": 0.1, "segment_growth": 0.21})
    assert s.horizon.weight(2) == pytest.approx((1.21 / 1.1) ** 2)


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"horizon": {"years": 6}}, "horizon.years is 6; accepted: a whole number from 1 to 5"),
        ({"horizon": {"years": 0}}, "horizon.years is 0"),
        ({"horizon": {"years": 2, "span": 1}}, "unknown key(s) span in [horizon]"),
        ({"horizon": {"years": 2, "discount": -0.1}}, "horizon.discount is -0.1; accepted: a yearly rate"),
        ({"horizon": {"years": 2, "budget": {"by_year": [1, 2, 3]}}}, "accepted: a list of 2 budgets"),
        ({"horizon": {"years": 2, "budget": {"by_year": [1, -2]}}}, "horizon.budget.by_year[2] is -2"),
        ({"horizon": {"years": 2, "budget": {"cap": 1}}}, "horizon.budget is"),
        ({"horizon": {"years": 2, "max_exits": [1]}}, "horizon.max_exits is [1]; accepted"),
        ({"horizon": {"years": 2, "max_recruits": -1}}, "horizon.max_recruits is -1"),
        ({"programme": {"ramp": [0.4, 1.2]}}, "programme.ramp is [0.4, 1.2]; accepted: a list of 1 to 5 shares"),
        ({"programme": {"ramp": []}}, "programme.ramp is []"),
        ({"programme": {"exit_transition": {"value": 2}}}, "programme.exit_transition.value is 2"),
        ({"programme": {"exit_transition": {"share": 1}}}, "programme.exit_transition is"),
        ({"programme": {"max_step": 0}}, "programme.max_step is 0; accepted: a whole number >= 1"),
        ({"rules": [{"id": "r", "kind": "count", "where": {"type": "si"}, "min": 1, "year": 1}]},
         "a rule names a year only in a roadmap"),
        ({"horizon": {"years": 2},
          "rules": [{"id": "r", "kind": "count", "where": {"type": "si"}, "min": 1, "year": 3}]},
         "rule 'r' year: is 3; accepted: a whole number from 1 to 2"),
    ],
)
def test_bad_settings_are_named(changes: dict[str, Any], words: str) -> None:
    with pytest.raises(ScenarioError) as err:
        variant(**changes)
    assert words in str(err.value)
    assert "teaching-plan.toml" in str(err.value)


def test_a_roadmap_needs_todays_channel() -> None:
    with pytest.raises(ScenarioError, match="starts from today's channel"):
        load_scenario("scenarios/teaching.toml").with_changes({"horizon": {"years": 2}})


def test_a_rule_may_name_its_year() -> None:
    s = variant(horizon={"years": 2},
                rules=[{"id": "r", "kind": "count", "where": {"type": "si"}, "min": 1, "year": 2}])
    assert s.rules[0].year == 2

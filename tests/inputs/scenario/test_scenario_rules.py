"""Rules as table rows (selector/inputs/scenario/rules.py) and check_rules (scenario.py):
what the app's rule editor calls, usable from a script."""

from __future__ import annotations

from typing import Any

import pytest

from selector.errors import ScenarioError
from selector.inputs.scenario import check_rules
from selector.inputs.scenario.rules import rule_rows, rules_from_rows

RULES = [
    {"id": "a", "label": 'Say "hi"', "kind": "count", "where": {"type": "si", "score": {"min": 0.5}}, "min": 1},
    {"id": "b", "kind": "requires", "partner": "R05", "requires": ["D01", "D02"]},
    {"id": "c", "kind": "coverage", "segments": {"named": True}, "min_share": 0.25, "weighted": False},
]


def test_rows_round_trip() -> None:
    rows = rule_rows(RULES)
    assert [r["id"] for r in rows] == ["a", "b", "c"]
    assert rows[1]["settings"] == 'partner = "R05"\nrequires = ["D01", "D02"]'
    assert rules_from_rows(rows) == RULES


def test_one_line_settings_and_blank_rows() -> None:
    rows = [{"id": "x", "label": "", "kind": "count", "settings": 'where = { type = "a;b" }; min = 2'},
            {"id": "", "label": "", "kind": "", "settings": ""}]
    # A ';' inside a string survives when the text parses as it is ...
    assert rules_from_rows([{**rows[0], "settings": 'where = { type = "a;b" }\nmin = 2'}])[0]["where"] == {"type": "a;b"}
    # ... and separates settings on one line.
    assert rules_from_rows([{**rows[0], "settings": 'min = 2; max = 3'}, rows[1]]) == [
        {"id": "x", "kind": "count", "min": 2, "max": 3}
    ]


@pytest.mark.parametrize("settings", ["min = ", "import os", "id = 'y'"])
def test_bad_settings_name_the_rule(settings: str) -> None:
    with pytest.raises(ScenarioError, match="rule 'x' settings"):
        rules_from_rows([{"id": "x", "kind": "count", "settings": settings}])


def test_check_rules_keeps_the_good_and_names_the_bad(teaching: Any) -> None:
    rules = [
        {"id": "two-dist", "kind": "count", "where": {"type": "distributor"}, "min": 2},
        {"id": "bad", "kind": "count", "where": {"colour": "red"}, "min": 1},
        {"id": "two-dist", "kind": "count", "where": {"type": "distributor"}, "max": 2},
    ]
    good, errors = check_rules(teaching, rules)
    assert good == rules[:1]
    assert set(errors) == {"bad", "two-dist"}
    assert "where.colour" in errors["bad"] and "unique" in errors["two-dist"]


# --- rule values that once crashed or misled ---------------------------------------------


@pytest.mark.parametrize(
    ("rule", "fragment"),
    [
        ({"kind": "count", "where": {"cost": {"min": "a"}}, "min": 1}, "where.cost.min is 'a'"),
        ({"kind": "count", "where": {"cost": {"min": [1]}}, "min": 1}, "where.cost.min is [1]"),
        ({"kind": "count", "where": {"cost": {"max": 10**400}}, "min": 1}, "401 characters"),
        ({"kind": "count", "where": {"type": "si"}, "min": 10**400}, "from 0 to 1,000,000,000"),
        ({"kind": "group", "partners": ["R01"], "max": 10**400}, "from 0 to 1,000,000,000"),
        ({"kind": "cost", "where": {"type": "si"}, "min": 1e200}, "between 0 and 1e+12"),
        ({"kind": "cost", "where": {"type": "si"}, "max": 10**400}, "between 0 and 1e+12"),
    ],
)
def test_bad_rule_numbers_are_one_clear_line(teaching: Any, rule: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ScenarioError) as info:
        teaching.with_changes({"rules": [{"id": "r", **rule}]})
    assert fragment in str(info.value) and "rule 'r'" in str(info.value)
    assert "\n" not in str(info.value)


def test_a_star_in_a_filter_matches_every_partner(teaching: Any) -> None:
    rule = {"id": "all", "kind": "count", "where": {"regions": "*"}, "min": 1}
    s = teaching.with_changes({"rules": [rule]})
    assert s.rules[0].partners.all()
    one = teaching.with_changes({"rules": [{**rule, "where": {"regions": "North"}}]})
    works_north = [("North" in r or r == ("*",)) for r in teaching.partners["regions"]]
    assert list(one.rules[0].partners) == works_north


def test_a_requires_chain_names_the_excluded_partner_at_its_end(teaching: Any) -> None:
    rules = [
        {"id": "first", "kind": "requires", "partner": "R05", "requires": ["D01"]},
        {"id": "second", "kind": "requires", "partner": "D01", "requires": ["D02"]},
    ]
    with pytest.raises(ScenarioError) as info:
        teaching.with_changes({"rules": rules, "constraints": {"must_exclude": ["D02"]}})
    assert ("R05 requires D01 (rule 'first'); D01 requires D02 (rule 'second'); D02 is in "
            "constraints.must_exclude") in str(info.value)

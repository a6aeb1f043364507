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

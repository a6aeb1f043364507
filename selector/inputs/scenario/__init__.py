"""Scenarios: a partner table, a segment table, a budget and the rules to respect."""

from selector.inputs.scenario.scenario import (
    OBJECTIVES,
    PARTNER_COLUMNS,
    POOL_FIELDS,
    SEGMENT_COLUMNS,
    Budget,
    Constraints,
    Rule,
    Scenario,
    TierRule,
    check_rules,
    describe,
    load_scenario,
    scenario_from_frames,
)

__all__ = [
    "OBJECTIVES",
    "PARTNER_COLUMNS",
    "POOL_FIELDS",
    "SEGMENT_COLUMNS",
    "Budget",
    "Constraints",
    "Rule",
    "Scenario",
    "TierRule",
    "check_rules",
    "describe",
    "load_scenario",
    "scenario_from_frames",
]

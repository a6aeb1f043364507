"""Inputs: what a scenario is made of, read and checked.

Takes files (scenario TOML, partner / segment / coverage / supply tables as CSV or XLSX,
criteria-model TOML, OR-Library set-covering files) or a seed for the synthetic channel;
gives frozen :class:`Scenario` and :class:`CriteriaModel` objects that every later stage
reads. Bad input raises :class:`~selector.errors.ScenarioError` naming file, row and field.
"""


from selector.inputs.criteria import CriteriaModel, Criterion, JudgmentSet, load_model
from selector.inputs.scenario import (
    Budget,
    Constraints,
    Scenario,
    TierRule,
    describe,
    load_scenario,
    scenario_from_frames,
)

__all__ = ["Budget", "Constraints", "CriteriaModel", "Criterion", "JudgmentSet", "Scenario", "TierRule", "describe", "load_model", "load_scenario", "scenario_from_frames"]

"""Rolling a roadmap forward: next year's "today" from this year's plan.

:func:`roll_forward` takes a scenario and a solve's result and returns the scenario the
team re-plans from a year later: partners active in the plan's first year are current at
their proposed tier, recruits included; partners it exits stay out of the channel (they
join ``must_exclude``: no re-recruiting within the horizon); the others stay prospects.
A horizon moves one year on: each per-year budget and limit shifts by a year, the last
year's repeated (grown at the rate of the last two years, for budgets).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from selector.errors import ScenarioError
from selector.inputs.scenario import Scenario, scenario_from_frames
from selector.portfolio.result import PortfolioResult

__all__ = ["roll_forward", "scenario_tables"]


def _text_lists(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in ("regions", "industries", "sizes"):
        if col in out.columns:
            out[col] = [";".join(v) if isinstance(v, tuple) else v for v in out[col]]
    return out


def scenario_tables(scenario: Scenario) -> dict[str, pd.DataFrame]:
    """The scenario's tables in the shape of its files (``partners``, ``segments``,
    ``coverage``, ``supply`` when it has one)."""
    tables = {
        "partners": _text_lists(scenario.partners).reset_index(),
        "segments": scenario.segments.reset_index(),
        "coverage": scenario.coverage.reset_index(drop=True),
    }
    if scenario.supply is not None:
        tables["supply"] = scenario.supply.reset_index(drop=True)
    return tables


def _shifted(values: list[Any], grow: bool) -> list[Any]:
    last = values[-1]
    if grow and len(values) > 1 and values[-2]:
        last = values[-1] * values[-1] / values[-2]
    return [*values[1:], last]


def roll_forward(scenario: Scenario, result: PortfolioResult) -> Scenario:
    """The scenario a year on, its channel the first year of ``result`` (see the module).

    Raises
    ------
    ScenarioError
        When ``result`` has no plan (a blank-sheet solve, or no feasible plan).
    """
    if result.plan is None:
        raise ScenarioError("rolling forward needs a solved plan or roadmap (the result has no plan)")
    proposed = result.plan["proposed"].reindex(scenario.partners.index)
    tables = scenario_tables(scenario)
    partners = tables["partners"]
    active = (proposed != "out").to_numpy()
    exited = active == False  # noqa: E712 - an array, not a truth value
    exited &= (scenario.partners["status"] == "current").to_numpy()
    partners["status"] = np.where(active, "current", "prospect")
    partners["tier"] = np.where(active, proposed.to_numpy(dtype=object), "")
    settings = {k: v for k, v in scenario.to_toml_dict().items()}
    constraints = dict(settings.get("constraints", {}))
    gone = [str(p) for p in scenario.partners.index[exited]]
    constraints["must_exclude"] = sorted({*constraints.get("must_exclude", []), *gone})
    settings["constraints"] = constraints
    horizon = scenario.horizon
    if horizon is not None:
        raw = dict(settings.get("horizon", {}))
        raw["budget"] = {"by_year": [b for b in _shifted(list(horizon.budgets), True) if b is not None]}
        if not raw["budget"]["by_year"]:
            raw.pop("budget")
        for key, limits in (("max_exits", horizon.max_exits), ("max_recruits", horizon.max_recruits)):
            if all(v is not None for v in limits):
                raw[key] = _shifted(list(limits), False)
        settings["horizon"] = raw
        if horizon.budgets[1 if horizon.years > 1 else 0] is not None:
            budget = dict(settings.get("budget", {}))
            budget["total"] = raw["budget"]["by_year"][0]
            settings["budget"] = budget
    settings["name"] = f"{scenario.name} (rolled forward a year)"
    return scenario_from_frames(
        partners, tables["segments"], coverage=tables["coverage"], supply=tables.get("supply"),
        model=scenario.model, settings=settings,
    )

"""Partner quality: the per-partner score (0..1) that ``weighted_coverage`` counts.

Scores come from the caller, the partner table's ``score`` column, or the criteria
model (:func:`selector.scoring.score_partners`); the same scoring pass gives the
exit-tier mask when the scenario excludes that tier. :func:`scenario_instance` builds the array
instance of a scenario from them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from selector.errors import ScenarioError
from selector.inputs.scenario import Scenario
from selector.portfolio.instance import PortfolioInstance, build_instance
from selector.portfolio.levels import expand_levels

__all__ = ["has_plan", "partner_quality", "scenario_instance"]


def partner_quality(scenario: Scenario, scores: Mapping[str, float] | pd.Series | None = None) -> np.ndarray:
    """Per-partner quality (0..1) used by ``weighted_coverage``: given scores, the
    partner table's ``score`` column, or the criteria model's scores."""
    return _quality_and_exit(scenario, scores)[0]


def _quality_and_exit(
    scenario: Scenario, scores: Mapping[str, float] | pd.Series | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Partner quality and the exit-tier mask (when the scenario excludes that tier),
    from one scoring pass."""
    ids = scenario.partners.index
    needs_scores = scenario.objective == "weighted_coverage" and scores is None
    wants_band = scenario.tiers.exclude_exit or has_plan(scenario)
    can_score = scenario.model is not None or "score" in scenario.partners.columns
    computed = (
        _score_partners(scenario) if needs_scores or (wants_band and can_score) else None
    )
    if scores is not None:
        series = pd.Series(scores, dtype=float).reindex(ids)
        if series.isna().any():
            missing = list(series.index[series.isna()][:5])
            raise ScenarioError(f"scores missing for partners {', '.join(map(str, missing))}")
        quality = np.asarray(series.to_numpy(dtype=float))
    elif computed is not None and needs_scores:
        quality = np.asarray(computed.score.reindex(ids).to_numpy(dtype=float))
    else:
        quality = np.ones(len(ids))
    exit_mask = None
    if computed is not None and wants_band:
        exit_mask = np.asarray(computed.tier.reindex(ids) == "exit", dtype=bool)
    return quality, exit_mask


def _score_partners(scenario: Scenario) -> Any:
    from selector.scoring import score_partners

    return score_partners(scenario)


def has_plan(scenario: Scenario) -> bool:
    """Whether the scenario says what today's channel is (a plan, not a blank sheet)."""
    return scenario.programme is not None or "status" in scenario.partners.columns


def scenario_instance(
    scenario: Scenario,
    scores: Mapping[str, float] | pd.Series | None,
    *,
    reference: Mapping[str, str] | None = None,
    merge: bool = True,
) -> PortfolioInstance:
    """The scenario's array instance: partners (or, with today's channel, partner
    options at each level; :func:`selector.portfolio.levels.expand_levels`), segment
    rows merged unless ``merge`` is False, and the score ranking's exit band."""
    quality, exit_mask = _quality_and_exit(scenario, scores)
    if not has_plan(scenario):
        return build_instance(scenario, quality, exclude=exit_mask, merge=merge)
    programme = scenario.programme
    force = scenario.tiers.exclude_exit or (programme is not None and programme.exit_band == "force")
    base = build_instance(scenario, quality, exclude=exit_mask if force else None, prune=False, merge=merge)
    inst = expand_levels(base, scenario, reference=reference)
    years = None if scenario.horizon is None else scenario.horizon.years
    return replace(inst, exit_band=exit_mask, horizon_years=years)

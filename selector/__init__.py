"""selector: choose a vendor's channel-partner portfolio, and defend the choice.

The pipeline: criteria model (AHP weights) -> partner scores and programme tiers ->
portfolio model (budget, conflicts, go-to-market rules) -> solution -> map and app.

>>> from selector import load_scenario, solve
>>> result = solve(load_scenario("scenarios/teaching.toml"))  # doctest: +SKIP
>>> result.status, result.selected  # doctest: +SKIP
"""

from selector.criteria import CriteriaModel, Criterion, JudgmentSet, load_model
from selector.errors import (
    InfeasibleError,
    JudgmentError,
    ScenarioError,
    SelectorError,
    SolverError,
)
from selector.portfolio import (
    PortfolioResult,
    explain_partners,
    heuristic_solve,
    solve,
)
from selector.scenario import (
    Budget,
    Constraints,
    Scenario,
    TierRule,
    load_scenario,
    scenario_from_frames,
)

__version__ = "0.1.0"

__all__ = [
    "Budget",
    "Constraints",
    "CriteriaModel",
    "Criterion",
    "InfeasibleError",
    "JudgmentError",
    "JudgmentSet",
    "PortfolioResult",
    "Scenario",
    "ScenarioError",
    "SelectorError",
    "SolverError",
    "TierRule",
    "__version__",
    "explain_partners",
    "heuristic_solve",
    "load_model",
    "load_scenario",
    "scenario_from_frames",
    "solve",
]

"""selector: choose a vendor's channel-partner portfolio, and defend the choice.

The pipeline: criteria model (AHP weights) -> partner scores and programme tiers ->
portfolio model (budget, conflicts, go-to-market rules) -> solution -> map and app.

>>> from selector import load_scenario, solve
>>> result = solve(load_scenario("scenarios/teaching.toml"))
>>> result.status
'optimal'
"""

from selector.ahp import AhpResult, GroupResult, Revision, weigh
from selector.errors import (
    InfeasibleError,
    JudgmentError,
    ScenarioError,
    SelectorError,
    SolverError,
)
from selector.gtm import build_graph
from selector.inputs.criteria import CriteriaModel, Criterion, JudgmentSet, load_model
from selector.inputs.scenario import (
    Budget,
    Constraints,
    Scenario,
    TierRule,
    load_scenario,
    scenario_from_frames,
)
from selector.portfolio import (
    PortfolioResult,
    explain_partners,
    heuristic_solve,
    solve,
)
from selector.scoring import ModelWeights, PartnerScores, model_weights, score_partners
from selector.whatif import (
    FrontierResult,
    RobustnessResult,
    Session,
    SweepResult,
    frontier,
    load_sweep,
    robustness,
    sweep,
)

__version__ = "0.1.0"

__all__ = [
    "AhpResult",
    "Budget",
    "Constraints",
    "CriteriaModel",
    "Criterion",
    "FrontierResult",
    "GroupResult",
    "InfeasibleError",
    "JudgmentError",
    "JudgmentSet",
    "ModelWeights",
    "PartnerScores",
    "PortfolioResult",
    "Revision",
    "RobustnessResult",
    "Scenario",
    "ScenarioError",
    "SelectorError",
    "Session",
    "SolverError",
    "SweepResult",
    "TierRule",
    "__version__",
    "build_graph",
    "explain_partners",
    "frontier",
    "heuristic_solve",
    "load_model",
    "load_scenario",
    "load_sweep",
    "model_weights",
    "robustness",
    "scenario_from_frames",
    "score_partners",
    "solve",
    "sweep",
    "weigh",
]

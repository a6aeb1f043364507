"""Portfolio: the optimizer that picks partners under the budget and the rules.

Takes a scenario (partners with scores, segments with values, coverage, budget, rules);
gives a :class:`PortfolioResult`: the selected partners, what the solver proved (optimal,
or the gap to a bound), and why each partner is in or out. Inside: the array instance,
heuristics (greedy plus local search), bounds, the MIP model and its solver adapters
(HiGHS directly, CBC through PuLP), and the same model as a readable PuLP problem
for analysts (:func:`pulp_model`, :func:`read_pulp`, :func:`write_model`). An
infeasible result carries its :class:`Relaxation` list, the least change of each limit
that makes it feasible alone; :func:`apply_relaxation` makes that what-if.
"""

from selector.portfolio.explain import explain_partners
from selector.portfolio.model import MipModel, build_model
from selector.portfolio.optimizer import DEFAULT_SEED, SOLVERS, STATUSES, heuristic_solve, solve
from selector.portfolio.pulp_model import pulp_model, read_pulp, write_model
from selector.portfolio.quality import partner_quality
from selector.portfolio.relax import Relaxation, apply_relaxation
from selector.portfolio.result import PartnerReason, PortfolioResult
from selector.portfolio.solvers import SolveProgress, to_pulp

__all__ = [
    "DEFAULT_SEED",
    "SOLVERS",
    "STATUSES",
    "MipModel",
    "PartnerReason",
    "PortfolioResult",
    "Relaxation",
    "SolveProgress",
    "apply_relaxation",
    "build_model",
    "explain_partners",
    "heuristic_solve",
    "partner_quality",
    "pulp_model",
    "read_pulp",
    "solve",
    "to_pulp",
    "write_model",
]

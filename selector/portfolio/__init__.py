"""Portfolio: the optimizer that picks partners under the budget and the rules.

Takes a scenario (partners with scores, segments with values, coverage, budget, rules);
gives a :class:`PortfolioResult`: the selected partners, what the solver proved (optimal,
or the gap to a bound), and why each partner is in or out. Inside: the array instance,
heuristics (greedy plus local search), bounds, the MIP model and its solver adapters
(HiGHS directly, CBC through PuLP).
"""

from selector.portfolio.optimize import *  # noqa: F403
from selector.portfolio.optimize import DEFAULT_SEED
from selector.portfolio.optimize import __all__ as _all

__all__ = [*_all, "DEFAULT_SEED"]

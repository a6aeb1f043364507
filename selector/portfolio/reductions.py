"""The reductions a solve applies before choosing its route, each keeping what is needed
to map the answer back: segments covered by the same partners merged into weighted rows
and partners that can never help fixed out (:func:`~selector.portfolio.instance.build_instance`),
a plan's partners expanded into one column per level with every exit cost netted out of
the costs and the budget (:func:`~selector.portfolio.levels.expand_levels`; the instance's
``fixed_cost`` is that offset, added back by :meth:`PortfolioInstance.total_cost`,
:attr:`PortfolioInstance.given_budget` and :attr:`PortfolioInstance.objective_offset`),
and, for a pure set cover, the partners in no cheapest cover
(:func:`~selector.portfolio.instance.without_dominated`)."""

from __future__ import annotations

from selector.inputs.scenario import Scenario
from selector.portfolio.instance import PortfolioInstance, without_dominated
from selector.portfolio.options import SolveOptions
from selector.portfolio.quality import scenario_instance

__all__ = ["reduce"]


def reduce(scenario: Scenario, options: SolveOptions) -> PortfolioInstance:
    """The instance a solve of ``scenario`` searches, every reduction applied."""
    return without_dominated(scenario_instance(scenario, options.scores, reference=options.reference))

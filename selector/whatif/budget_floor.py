"""Budget cuts a what-if session answers "no portfolio" without the search's proof.

The least total budget with which every other rule of a scenario can hold does not
depend on the budget: it is the least change of the budget limit in the elastic model
(:class:`selector.portfolio.elastic.ElasticModel`, the budget's column alone free,
solved to optimality), ``least = total + s``. A session keeps it per *budget family*
(the scenario with its total budget put at one fixed value: scenarios that differ only by
their budget share it) as a :class:`Floor`:

- a budget below the floor is infeasible, proved: no search runs, and the relaxations
  start with the budget's (the same least budget) already known;
- a limit proved unable to make the scenario feasible alone (``none``) at one budget
  stays so at every lower budget (a tighter scenario), so it is not solved again below;
- a budget at or above the floor goes to the ordinary solve.

The first budget cut in a family below a budget answered before pays the floor's one
elastic solve (a fraction of the search's proof of infeasibility): the budget's
elastic column may move down as well as up, so the solve finds the least budget itself
whether the cut is below it or not; a cut at or above it goes on to the ordinary solve.
The answer is the one a cold :func:`selector.portfolio.solve` gives:
status ``infeasible``, the explanation of
:func:`~selector.portfolio.explain.explain_infeasible` and each limit's relaxation.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from selector.errors import SelectorError
from selector.inputs.scenario import Scenario
from selector.portfolio import PortfolioResult
from selector.portfolio.elastic import Answer, ElasticModel
from selector.portfolio.execute import RELAX_MIN_SHARE
from selector.portfolio.explain import MSG_NOT_MET, explain_infeasible
from selector.portfolio.instance import PortfolioInstance
from selector.portfolio.options import SolveOptions
from selector.portfolio.relax import Relaxation, find_relaxations
from selector.portfolio.result import assemble_result
from selector.portfolio.route import choose_route

__all__ = ["BUDGET", "FLOOR_MARGIN", "Floor", "Floors"]

#: The budget limit's setting in the elastic model.
BUDGET = "budget.total"
#: A budget counts as below the floor only below it by this share (at least one unit of
#: money): closer, the solver's tolerances decide, and the ordinary solve answers.
FLOOR_MARGIN = 1e-7
#: Families a session keeps floors for.
FAMILIES = 8


@dataclass
class Floor:
    """A budget family's least total budget (None: no budget makes it feasible), and the
    highest budget at which each limit was proved unable to help alone."""

    least: float | None
    none_at: dict[str, float] = field(default_factory=dict)

    def below(self, total: float) -> bool:
        """Whether ``total`` is proved infeasible."""
        if self.least is None:
            return True
        return total < self.least - max(1.0, FLOOR_MARGIN * abs(self.least))

    def known(self, total: float) -> dict[str, Answer]:
        """The answers that hold at ``total`` (below the floor)."""
        out = {setting: Answer("none") for setting, at in self.none_at.items() if total <= at}
        out[BUDGET] = Answer("none") if self.least is None else Answer("least", self.least)
        return out


@dataclass
class Floors:
    """A session's floors by budget family, and the highest budget answered per family."""

    reference: float | None
    floors: dict[str, Floor] = field(default_factory=dict)
    answered: dict[str, float] = field(default_factory=dict)

    def family(self, scenario: Scenario) -> str | None:
        """The scenario's budget family (None: it has no total budget)."""
        total = scenario.budget.total
        if total is None or self.reference is None:
            return None
        # the same way for every scenario (a budget put back changes the fingerprint)
        try:
            return scenario.with_changes({"budget": {"total": self.reference}}).fingerprint
        except SelectorError:  # a budget this variant refuses: no family, the ordinary solve
            return None

    def seen(self, family: str | None, total: float | None) -> None:
        """A what-if of ``family`` at ``total`` was answered."""
        if family is None or total is None:
            return
        self.answered[family] = max(float(total), self.answered.get(family, -math.inf))
        _trim(self.answered)

    def answer(
        self, scenario: Scenario, family: str | None, inst: PortfolioInstance,
        options: SolveOptions, t0: float,
    ) -> PortfolioResult | None:
        """The infeasible answer for ``scenario`` (of budget ``family``) when its budget
        is below the family's floor (found now when it cuts below a budget answered
        before), else None."""
        total = scenario.budget.total
        if family is None or total is None:
            return None
        route = choose_route(inst, options)
        if route.search in ("roadmap", "roadmap_mip"):
            return None  # a roadmap's years are solved as a whole
        total = float(total)
        floor = self.floors.get(family)
        elastic: ElasticModel | None = None
        if floor is None:
            if total >= self.answered.get(family, -math.inf):
                return None  # not a cut below an answer: the ordinary solve
            elastic = ElasticModel(scenario, inst, seed=options.seed, threads=options.threads)
            k = next((j for j, lim in enumerate(elastic.limits) if lim.setting == BUDGET), None)
            if k is None:
                return None
            # the least budget itself, below this one when this one is enough
            found = elastic.least_change(k, RELAX_MIN_SHARE * options.time_limit, lower=True)
            if found.status not in ("least", "none"):
                return None
            floor = Floor(None if found.status == "none" else float(found.needed or 0.0))
            self.floors[family] = floor
            _trim(self.floors)
        if not floor.below(total):
            return None
        relaxations: Sequence[Relaxation] = ()
        if options.explain:
            seconds = max(options.time_limit - (time.perf_counter() - t0),
                          RELAX_MIN_SHARE * options.time_limit)
            way = find_relaxations(scenario, inst, time_limit=seconds, seed=options.seed,
                                   threads=options.threads, elastic=elastic,
                                   known=floor.known(total))
            for r in way.relaxations:
                if r.status == "none":
                    floor.none_at[r.setting] = max(total, floor.none_at.get(r.setting, -math.inf))
            explanation = explain_infeasible(scenario, inst, way)
            relaxations = way.relaxations
        else:
            explanation = [MSG_NOT_MET]
        wall = time.perf_counter() - t0
        return assemble_result(
            scenario, inst, status="infeasible", x=None, objective=None, bound=None,
            solver=options.solver, wall=wall, build=wall, explanation=explanation,
            heuristic=None, route=route.describe(), relaxations=relaxations,
        )


def _trim(by_family: dict[str, Any]) -> None:
    """Keep the FAMILIES newest families of ``by_family``."""
    while len(by_family) > FAMILIES:
        by_family.pop(next(iter(by_family)))

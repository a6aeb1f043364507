"""The roadmap as a readable PuLP problem, for analysts who read or extend it.

:func:`roadmap_pulp_model` gives the same model the roadmap searches solve (the rows of
:func:`~selector.portfolio.roadmap_model.full_model`) as a ``pulp.LpProblem`` whose
names say what each variable and row is:

- ``x_<partner>_<tier>_y<year>``: a current partner at that tier in that year (years
  from 1); ``x_<partner>_<tier>_y<year>_from<recruit year>``: a prospect recruited in
  that year; ``exit_<partner>_<tier>_y<year>``: a current partner leaving that year from
  that tier; ``z_<column>_r<row>``: the objective's helper (the segment row of that year
  counts at this column's quality);
- rows ``<group>_<k>`` with the groups of
  :data:`~selector.portfolio.roadmap_model.ROADMAP_GROUPS` (``budget_1`` is year 1's
  budget, ``flow_...`` links a partner's years).

Solve it with any PuLP solver; :func:`read_roadmap_pulp` reads the levels back.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from selector.inputs.scenario import Scenario
from selector.portfolio.quality import scenario_instance
from selector.portfolio.roadmap import EXIT, RoadmapInstance, build_roadmap
from selector.portfolio.roadmap_model import ROADMAP_GROUPS, full_model
from selector.portfolio.solvers.cbc import to_pulp

__all__ = ["column_names", "read_roadmap_pulp", "roadmap_pulp_model"]

_BAD = re.compile(r"[^A-Za-z0-9_]")


def _clean(text: object) -> str:
    return _BAD.sub("_", str(text))


def column_names(road: RoadmapInstance) -> list[str]:
    """The roadmap's column names (see the module notes), one per column."""
    out = []
    for p, t, lv, k, c in zip(road.col_partner, road.col_year, road.col_level, road.col_kind,
                              road.col_cohort, strict=True):
        who = f"{_clean(road.partner_ids[p])}_{_clean(road.level_names[lv])}_y{t + 1}"
        if k == EXIT:
            out.append(f"exit_{who}")
        else:
            out.append(f"x_{who}" + (f"_from{c + 1}" if c >= 0 else ""))
    return out


def roadmap_pulp_model(
    scenario: Scenario, *, road: RoadmapInstance | None = None
) -> tuple[Any, RoadmapInstance]:
    """The scenario's roadmap as a readable PuLP problem (see the module notes) and the
    roadmap instance its columns follow (``road``, when given, is used as it is).

    Examples
    --------
    >>> prob, road = roadmap_pulp_model(scenario)          # doctest: +SKIP
    >>> prob.solve(pulp.HiGHS(msg=False, timeLimit=60))     # doctest: +SKIP
    >>> levels = read_roadmap_pulp(road, prob)              # doctest: +SKIP
    """
    if road is None:
        road = build_roadmap(scenario, scenario_instance(scenario, None))
    model = full_model(road)
    cols = column_names(road)
    aux = [f"z_{cols[j]}_r{r}" if j >= 0 else f"y_r{r}" for j, r in zip(model.aux_partner, model.aux_row, strict=True)]
    counts: dict[int, int] = {}
    rows = []
    for g in model.row_group:
        counts[int(g)] = counts.get(int(g), 0) + 1
        rows.append(f"{ROADMAP_GROUPS[int(g)]}_{counts[int(g)]}")
    prob, _variables = to_pulp(model, name=_clean(scenario.name) or "roadmap", col_names=cols + aux,
                               row_names=rows)
    return prob, road


def read_roadmap_pulp(road: RoadmapInstance, prob: Any) -> np.ndarray:
    """The column selection a solved :func:`roadmap_pulp_model` problem holds (use
    ``road.levels`` for the tiers by partner and year, ``road.objective`` for its value)."""
    values = {v.name: v.varValue for v in prob.variables()}
    return np.array([(values.get(name) or 0.0) > 0.5 for name in column_names(road)], dtype=bool)

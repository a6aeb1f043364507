"""The smallest way out of an infeasible roadmap, limit by limit and year by year.

:func:`roadmap_relaxations` asks, for each year's budget, exit limit and recruit limit
(the roadmap model's ``budget``, ``exits`` and ``recruits`` rows of that year, see
:mod:`selector.portfolio.roadmap_model`), how much more that one row needs for a roadmap
to exist while every other row holds: the row gets one elastic column (``row - s <= hi``,
``s >= 0``) and a short MIP minimizes ``s``. Each answer is a
:class:`~selector.portfolio.relax.Relaxation` whose ``setting`` names the year
(``horizon.budget.by_year[2]``, ``horizon.max_exits[2]``, years counted from 1), and
:func:`year_sentences` joins a year's answers into one sentence ("Year 2 needs
1,800,000 more budget, or 6 more exits.").
"""

from __future__ import annotations

import math
import time

import numpy as np
import scipy.sparse as sp

from selector.display import money, plural
from selector.portfolio.model import MipModel
from selector.portfolio.relax import Relaxation
from selector.portfolio.roadmap import RoadmapInstance
from selector.portfolio.roadmap_model import ROADMAP_GROUPS
from selector.portfolio.solvers import adapter

__all__ = ["MSG_YEAR_NEEDS", "YEAR_LIMITS", "roadmap_relaxations", "year_sentences"]

#: The per-year limits relaxed: the row group, its setting, what it is and its unit.
YEAR_LIMITS = (
    ("budget", "horizon.budget.by_year", "budget", "money"),
    ("exits", "horizon.max_exits", "exits", "count"),
    ("recruits", "horizon.max_recruits", "recruits", "count"),
)
MSG_YEAR_NEEDS = "Year {year} needs {ways}."


def _elastic(side: MipModel, rows: np.ndarray) -> MipModel:
    """``side`` with one elastic column ``s >= 0`` on ``rows`` (``row - s <= hi``) and
    ``s`` the objective to minimize."""
    col = sp.csc_matrix((-np.ones(len(rows)), (rows, np.zeros(len(rows), dtype=np.int64))),
                        shape=(side.A.shape[0], 1))
    c = np.zeros(side.n_cols + 1)
    c[-1] = 1.0
    return MipModel(
        sense="min", c=c, A=sp.hstack([side.A, col]).tocsc(), row_lo=side.row_lo, row_hi=side.row_hi,
        col_lo=np.append(side.col_lo, 0.0), col_hi=np.append(side.col_hi, np.inf), n_x=side.n_x,
        row_group=side.row_group, aux_row=side.aux_row, aux_partner=side.aux_partner,
        row_key=side.row_key, row_sub=side.row_sub,
    )


def roadmap_relaxations(road: RoadmapInstance, side: MipModel, *, seconds: float, seed: int,
                        threads: int | None, currency: str | None = None) -> tuple[Relaxation, ...]:
    """For each year's budget, exit and recruit limit (each one alone): the least change
    that lets a roadmap exist (see the module notes), within ``seconds`` in all. Limits
    whose elastic MIP is still infeasible, or not settled in time, are left out."""
    until = time.perf_counter() + seconds
    out: list[Relaxation] = []
    if side.row_key is None:
        return ()
    todo = [(t, spec) for t in range(road.years) for spec in YEAR_LIMITS]
    for k, (t, (group, setting, what, unit)) in enumerate(todo):
        rows = np.flatnonzero((side.row_group == ROADMAP_GROUPS.index(group)) & (side.row_key == t))
        left = until - time.perf_counter()
        if not len(rows) or left <= 0.05:
            continue
        today = float(side.row_hi[rows].max())
        solved = adapter("highs")(_elastic(side, rows), time_limit=left / max(1, len(todo) - k) * 2,
                                  gap=1e-6, seed=seed, start=None, threads=threads, presolve=True)
        if solved.state not in ("optimal", "time_limit") or solved.x is None:
            continue
        more = float(solved.objective) if solved.objective is not None else math.nan
        if not math.isfinite(more) or more <= 1e-6 * max(1.0, today):
            continue
        if unit == "count":
            more = float(math.ceil(more - 1e-6))
            ways = f"{plural(int(more), 'more ' + what[:-1], 'more ' + what)}"
            needed: float | int = int(today + more)
        else:
            ways = f"{money(more, currency)} more {what}"
            needed = today + more
        exact = solved.state == "optimal"
        out.append(Relaxation(
            setting=f"{setting}[{t + 1}]", path=(*setting.split("."), str(t + 1)),
            today=int(today) if unit == "count" else today, needed=needed,
            status="least" if exact else "works",
            sentence=f"Year {t + 1}: {ways}" + ("" if exact else " (the least found in the time)") + ".",
            what=f"year {t + 1}'s {what}" if unit == "money" else f"year {t + 1}'s {what} limit",
            unit=unit,
        ))
    return tuple(out)


def year_sentences(relaxations: tuple[Relaxation, ...]) -> list[str]:
    """One sentence a year: its relaxations as alternatives ("Year 2 needs 1,800,000 more
    budget, or 6 more exits.")."""
    by_year: dict[str, list[str]] = {}
    for r in relaxations:
        year = r.path[-1]
        by_year.setdefault(year, []).append(r.sentence.split(": ", 1)[1].rstrip("."))
    return [MSG_YEAR_NEEDS.format(year=y, ways=", or ".join(ways)) for y, ways in by_year.items()]

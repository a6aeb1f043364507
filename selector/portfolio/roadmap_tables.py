"""A roadmap read back as tables: one row per partner and year, and one per year.

:func:`roadmap_tables` turns a column selection of a
:class:`~selector.portfolio.roadmap.RoadmapInstance` into what
:attr:`selector.portfolio.result.PortfolioResult.roadmap` and ``roadmap_summary`` hold.

``roadmap`` columns (one row per partner and year, years from 1):

``partner_id``, ``year``
    the partner and the year;
``level``
    its programme tier that year, or ``out``;
``action``
    what changes that year: ``recruit``, ``keep``, ``promote``, ``demote``, ``exit``,
    ``stay out`` (a prospect not recruited yet, or never) or ``gone`` (a partner
    exited in an earlier year);
``one_off_cost``
    the recruit cost in its recruit year, the exit cost in its exit year;
``annual_cost``
    the tier's annual cost while active; in its exit year, the transition's share of
    the tier it left;
``value_added``
    what the roadmap's value would lose that year without the partner (grown and
    discounted as the objective counts it); in an exit year, its customers' value in
    transition;
``reason``
    the move in words.

``roadmap_summary`` columns (one row per year): ``year``, a count per action
(``recruit``, ``keep``, ``promote``, ``demote``, ``exit``), ``one_off_cost``,
``annual_cost``, ``spend`` (their sum), ``budget`` (that year's, NaN when unlimited),
``value`` (grown and discounted) and ``active_partners``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from selector.portfolio.instance import removal_losses
from selector.portfolio.roadmap import EXIT, RoadmapInstance

__all__ = ["ROADMAP_ACTIONS", "ROADMAP_COLUMNS", "SUMMARY_COLUMNS", "roadmap_tables"]

ROADMAP_ACTIONS = ("recruit", "keep", "promote", "demote", "exit", "stay out", "gone")
ROADMAP_COLUMNS = (
    "partner_id", "year", "level", "action", "one_off_cost", "annual_cost", "value_added", "reason",
)
SUMMARY_COLUMNS = (
    "year", "recruit", "keep", "promote", "demote", "exit", "one_off_cost", "annual_cost",
    "spend", "budget", "value", "active_partners",
)


def _money(x: float) -> str:
    return f"{x:,.0f}"


def _move(before: int, after: int, current: bool, exited: bool) -> str:
    if after < 0:
        if before >= 0:
            return "exit"
        return "gone" if exited else "stay out"
    if before < 0:
        return "recruit"
    if after == before:
        return "keep"
    return "promote" if after > before else "demote"


def roadmap_tables(road: RoadmapInstance, x: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The roadmap of selection ``x`` (a feasible one) and its yearly summary (see the
    module notes)."""
    sel = np.asarray(x, dtype=bool)
    levels = road.levels(sel)
    names = road.level_names
    programme = road.programme
    loss = removal_losses(road.flat, sel)
    added = np.zeros((road.n_partners, road.years))
    np.add.at(added, (road.col_partner[sel], road.col_year[sel]), loss[sel])
    exit_from = np.full((road.n_partners, road.years), -1, dtype=np.int64)
    on = sel & (road.col_kind == EXIT)
    exit_from[road.col_partner[on], road.col_year[on]] = road.col_level[on]
    records: list[dict[str, object]] = []
    for p in range(road.n_partners):
        before = int(road.today_level[p])
        exited = False
        joined = -1
        for t in range(road.years):
            after = int(levels[p, t])
            action = _move(before, after, bool(road.current[p]), exited)
            one_off = 0.0
            annual = 0.0 if after < 0 else float(road.annual[p, after])
            if action == "recruit":
                one_off = float(road.recruit_cost[p])
                joined = t
            elif action == "exit":
                one_off = float(road.exit_cost[p])
                annual = programme.exit_cost_share * float(road.annual[p, before])
                exited = True
            level = "out" if after < 0 else names[after]
            records.append({
                "partner_id": str(road.partner_ids[p]), "year": t + 1, "level": level,
                "action": action, "one_off_cost": one_off, "annual_cost": annual,
                "value_added": float(added[p, t]),
                "reason": _reason(road, action, before, after, one_off, annual, float(added[p, t]),
                                  t - joined + 1 if joined >= 0 else 0),
            })
            before = after
    roadmap = pd.DataFrame.from_records(records, columns=list(ROADMAP_COLUMNS))
    return roadmap, _summary(road, sel, roadmap)


def _reason(
    road: RoadmapInstance, action: str, before: int, after: int, one_off: float, annual: float,
    value: float, years_in: int,
) -> str:
    names = road.level_names
    programme = road.programme
    if action == "recruit":
        ramp = programme.ramp_share(1)
        ramps = f"; ramps up from {ramp:.0%} of its value" if ramp < 1 else ""
        return (f"Recruited at {names[after]} (one-off {_money(one_off)}, {_money(annual)} a year)"
                f"{ramps}; adds {_money(value)}.")
    if action == "exit":
        keep = programme.exit_value_share
        during = (f"; its customers in transition keep {keep:.0%} of its value this year"
                  if keep > 0 else "")
        return f"Exited from {names[before]} (one-off {_money(one_off)}){during}."
    if action in ("promote", "demote"):
        return (f"{action.capitalize()}d {names[before]} -> {names[after]}: {_money(annual)} a "
                f"year; adds {_money(value)}.")
    if action == "keep":
        ramp = programme.ramp_share(years_in) if years_in > 0 else 1.0
        ramping = f" (year {years_in} of its ramp: {ramp:.0%})" if ramp < 1 else ""
        return f"Kept at {names[after]}{ramping}: adds {_money(value)} for {_money(annual)} a year."
    if action == "gone":
        return "Exited in an earlier year."
    return "Not in the channel this year."


def _summary(road: RoadmapInstance, sel: np.ndarray, roadmap: pd.DataFrame) -> pd.DataFrame:
    value = road.year_value(sel) if road.maximize else np.zeros(road.years)
    rows = []
    for t in range(road.years):
        year = roadmap[roadmap["year"] == t + 1]
        counts = year["action"].value_counts()
        one_off = float(year["one_off_cost"].sum())
        annual = float(year["annual_cost"].sum())
        budget = road.horizon.budgets[t]
        rows.append({
            "year": t + 1,
            **{a: int(counts.get(a, 0)) for a in ("recruit", "keep", "promote", "demote", "exit")},
            "one_off_cost": one_off,
            "annual_cost": annual,
            "spend": float(road.spend(sel)[t]),
            "budget": np.nan if budget is None else float(budget),
            "value": float(value[t]),
            "active_partners": int((year["level"] != "out").sum()),
        })
    return pd.DataFrame.from_records(rows, columns=list(SUMMARY_COLUMNS))

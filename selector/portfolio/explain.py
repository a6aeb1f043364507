"""Explanations: why a scenario is infeasible, and why each partner is in or out.

:func:`explain_infeasible` names obvious causes first (must-include partners over the
budget, segments fewer partners can cover than they need, a rule its partners cannot
reach, ...), then the way out: which limits, each changed alone, make the scenario
feasible and to what value (:func:`selector.portfolio.relax.find_relaxations`, one
elastic model for every limit). Only the groups no setting moves (conflict pairs, the
must-include list) are checked by dropping them and re-solving, and only when no limit
alone helps. :func:`explain_partners` gives each partner's marginal value, the budget at
which it would enter, and a reason in words.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from selector.inputs.scenario import Scenario
from selector.portfolio.heuristics import entry_costs
from selector.portfolio.instance import (
    PortfolioInstance,
    addition_gains,
    evaluate,
    removal_losses,
    without_dominated,
)
from selector.portfolio.model import build_model
from selector.portfolio.quality import scenario_instance
from selector.portfolio.relax import Relaxation, WayOut, relaxation_values
from selector.portfolio.result import PortfolioResult
from selector.portfolio.rule_reach import rule_reach
from selector.portfolio.solvers.highs import solve_highs

__all__ = [
    "GROUP_WORDS",
    "MSG_FIXED_GROUPS",
    "MSG_NOT_MET",
    "MSG_NO_SINGLE_LIMIT",
    "MSG_NO_SINGLE_LIMIT_OF",
    "MSG_RELAXED",
    "explain_infeasible",
    "explain_partners",
]

MSG_RELAXED = "The rules conflict; the scenario becomes feasible when any one of these is relaxed: {changes}."
MSG_NO_SINGLE_LIMIT = "No limit, changed alone, makes the scenario feasible{unsettled}."
MSG_NO_SINGLE_LIMIT_OF = (
    "No limit, changed alone, makes the scenario feasible; {limits} cannot {all}hold "
    "whatever the other limits are."
)
MSG_NOT_MET = "The rules cannot all be met."
MSG_FIXED_GROUPS = "The scenario becomes feasible without {groups}."
MSG_COST_RULE = (
    "Rule {title} cannot hold: it asks for at least {lo:,.0f} spent on partners with {what}, "
    "who can cost at most {most:,.0f} in all."
)
#: The groups no setting moves by a number, checked by dropping them when no limit
#: alone helps (a re-solve each, at most this many seconds).
FIXED_GROUPS = ("conflicts", "must_include")
FIXED_GROUP_SECONDS = 5.0


GROUP_WORDS = {
    "budget": "the total budget",
    "pools": "the budget pools",
    "requirements": "the minimum partners per segment (named accounts / min_partners)",
    "caps": "the cap on partners per segment",
    "conflicts": "the conflict pairs",
    "type_mix": "the partner-type mix",
    "supply": "the rule that tier-2 partners need a selected distributor",
    "must_include": "the must-include list",
    "levels": "one level per partner (and must-include partners active)",
    "quotas": "the programme tier quotas",
    "exits": "the limit on exits",
    "recruits": "the limit on recruits",
    "continuity": "named accounts keeping a current partner",
}


def _rule_causes(inst: PortfolioInstance) -> list[str]:
    """Rules that cannot hold whatever else is chosen (each alone, from the instance)."""
    out: list[str] = []
    live = ~inst.fixed_out
    for k, rule in enumerate(inst.rules):
        if rule.kind == "coverage":
            assert rule.row_value is not None
            if rule.weighted:
                best = np.asarray(inst.cover.multiply(np.where(live, inst.quality, 0.0)[:, None]).max(axis=0).toarray()).ravel()
            else:
                best = (np.asarray(inst.cover.T @ live.astype(np.int64)).ravel() > 0).astype(float)
            most = float(rule.row_value @ best)
            if most < rule.need - 1e-6 * (rule.need + 1):
                out.append(
                    f"Rule {rule.title} cannot hold: even every selectable partner together covers "
                    f"{most:,.0f} of the segments with {rule.what}, below the {rule.need:,.0f} it asks for."
                )
            continue
        if rule.kind == "cost":
            lo = float(rule.lo[0]) + dict(inst.rule_offsets).get(rule.id, 0.0)
            most = rule_reach(inst, k)
            if math.isfinite(lo) and lo > most + 1e-9 * max(1.0, abs(lo)):
                out.append(MSG_COST_RULE.format(title=rule.title, lo=lo, what=rule.what, most=most))
            continue
        if rule.kind not in ("count", "group"):
            continue
        counted = np.asarray(rule.weights.sum(axis=0)).ravel() > 0
        can = inst.active_partners(live & counted)
        must = inst.fixed_in & counted
        if inst.group_required is not None:
            must_n = int((inst.group_required & inst.active_partners(counted)).sum())
        else:
            must_n = int(must.sum())
        lo, hi = float(rule.lo[0]), float(rule.hi[0])
        if math.isfinite(lo) and int(can.sum()) < lo:
            out.append(
                f"Rule {rule.title} cannot hold: it asks for at least {lo:g} partners with "
                f"{rule.what}; only {int(can.sum())} can be selected."
            )
        if math.isfinite(hi) and must_n > hi and not rule.levels:
            out.append(
                f"Rule {rule.title} cannot hold: {must_n} must-include partners have {rule.what}, "
                f"above its maximum of {hi:g}."
            )
    return out


def explain_infeasible(scenario: Scenario, inst: PortfolioInstance, way: WayOut | None = None) -> list[str]:
    """Sentences a strategist can act on: obvious causes first (no solve), then the way
    out ``way`` found (:func:`selector.portfolio.relax.find_relaxations`): the limits
    that, each changed alone, make the scenario feasible."""
    out: list[str] = []
    ids = inst.partner_ids
    must_cost = float(inst.cost[inst.fixed_in].sum())
    if must_cost > inst.budget:
        out.append(f"Must-include partners cost {must_cost:,.0f}, above the {inst.budget:,.0f} budget.")
    for key, mask, cap in inst.pools:
        used = float(inst.cost[inst.fixed_in & mask].sum())
        if used > cap:
            out.append(f"Must-include partners in pool {key} cost {used:,.0f}, above its cap {cap:,.0f}.")
    for a, b in inst.conflicts:
        if inst.fixed_in[a] and inst.fixed_in[b]:
            out.append(f"{ids[a]} and {ids[b]} are both must-include but are declared in conflict.")
    available = np.asarray(inst.cover.T @ (~inst.fixed_out).astype(np.int64)).ravel()
    seg_ids = np.asarray(scenario.segments.index)
    short = np.flatnonzero(available < inst.required)
    for r in short[:5]:
        members = seg_ids[inst.row_of_segment == r]
        who = members[0] if len(members) == 1 else f"{members[0]} (and {len(members) - 1} like it)"
        out.append(
            f"Segment {who} needs {inst.required[r]} partners, only {available[r]} available partner(s) cover it."
        )
    if len(short) > 5:
        out.append(f"... and {len(short) - 5} more segment group(s) like that.")
    contradict = np.flatnonzero((inst.cap >= 0) & (inst.required > inst.cap))
    for r in contradict[:3]:
        members = seg_ids[inst.row_of_segment == r]
        out.append(f"Segment {members[0]} needs {inst.required[r]} partners but allows at most {inst.cap[r]}.")
    for t, mask, lo, _hi in inst.type_mix:
        avail = int((mask & ~inst.fixed_out).sum())
        if lo is not None and lo > avail:
            out.append(f"The mix asks for at least {lo} {t} partner(s); only {avail} can be selected.")
    if inst.suppliers is not None:
        supplied = np.asarray(inst.suppliers @ (~inst.fixed_out).astype(np.int64)).ravel() > 0
        stuck = np.flatnonzero(inst.fixed_in & (inst.gtm_tier == 2) & ~supplied)
        for p in stuck[:3]:
            out.append(f"Must-include {ids[p]} is tier-2 but every distributor supplying it is excluded.")
    out += _rule_causes(inst)
    if way is None:
        return out or [MSG_NOT_MET]
    fixes = [r for r in way.relaxations if r.fixes]
    if fixes:
        out.append(MSG_RELAXED.format(changes="; ".join(_change_words(r) for r in fixes)))
        return out
    if way.conflict:
        words = {r.setting: r.what for r in way.relaxations}
        out.append(MSG_NO_SINGLE_LIMIT_OF.format(
            limits=_and([words.get(s, s) for s in way.conflict]),
            all="all " if len(way.conflict) > 1 else ""))
    else:
        unsettled = sum(r.status == "unknown" for r in way.relaxations)
        out.append(MSG_NO_SINGLE_LIMIT.format(
            unsettled=f" ({unsettled} not settled within the time)" if unsettled else ""))
    # What no setting moves by a number: drop the group and re-solve.
    groups = [g for g in FIXED_GROUPS if _has_group(inst, g)]
    freed = []
    for group in groups:
        model = build_model(inst, drop=(group,))
        trial = solve_highs(model, time_limit=FIXED_GROUP_SECONDS, gap=1.0, seed=0, start=None, threads=1)
        if trial.state in ("optimal", "time_limit"):
            freed.append(GROUP_WORDS[group])
    if freed:
        out.append(MSG_FIXED_GROUPS.format(groups=" or without ".join(freed)))
    return out


def _has_group(inst: PortfolioInstance, group: str) -> bool:
    if group == "conflicts":
        return bool(len(inst.conflicts)) if inst.partner_conflicts is None else bool(len(inst.partner_conflicts))
    return bool(inst.fixed_in.any()) or (inst.group_required is not None and bool(inst.group_required.any()))


def _change_words(r: Relaxation) -> str:
    """A relaxation as a short phrase: ``the total budget (budget.total 35,792,000 ->
    36,904,800)``."""
    if r.unit == "switch":
        return f"{r.what} ({r.setting} = false)"
    today, needed = relaxation_values(r)
    return f"{r.what} ({r.setting} {today} -> {needed})"


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def explain_partners(
    scenario: Scenario,
    result: PortfolioResult,
    *,
    scores: Mapping[str, float] | pd.Series | None = None,
) -> pd.DataFrame:
    """Why each partner is in or out.

    Columns: ``selected``, ``cost``, ``marginal_value`` (for a selected partner, the
    objective lost if it alone were removed, others kept; for an excluded one, the
    objective gained if it alone were added), ``entry_budget`` (for an excluded
    partner: the total budget at which greedy extension of this portfolio first adds
    it -- an estimate, not a proof), and ``reason`` in words.
    """
    if result.plan is not None:
        return _from_plan(result.plan)
    inst = without_dominated(scenario_instance(scenario, scores))  # as solve saw it
    ids = inst.partner_ids
    sel = np.isin(ids, list(result.selected))
    base = evaluate(inst, sel)
    reasons = dict(inst.out_reason)
    # Gain if added (excluded partners) and loss if removed (selected ones), all at once;
    # a selected distributor is re-evaluated whole, as it takes the partners it alone
    # supplies with it.
    if inst.maximize:
        marginal = np.where(sel, removal_losses(inst, sel), addition_gains(inst, sel))
        if inst.suppliers is not None:
            for d in np.flatnonzero(sel & (inst.gtm_tier == 1)):
                trial = sel.copy()
                trial[d] = False
                fed = np.asarray(inst.suppliers @ trial.astype(np.int64)).ravel() > 0
                trial &= (inst.gtm_tier == 1) | fed
                marginal[d] = base - evaluate(inst, trial)
    else:
        marginal = np.where(sel, -inst.cost, 0.0)
    entry = entry_costs(inst, sel) if inst.maximize else np.full(inst.n_partners, np.inf)
    conflicts: dict[int, list[int]] = {}
    for a, b in inst.conflicts:
        conflicts.setdefault(int(a), []).append(int(b))
        conflicts.setdefault(int(b), []).append(int(a))
    words: list[str] = []
    for p in range(inst.n_partners):
        pid = str(ids[p])
        if sel[p]:
            if inst.fixed_in[p]:
                words.append("must include")
            elif inst.maximize:
                words.append(f"adds {marginal[p]:,.0f} that no other selected partner replaces")
            else:
                words.append("needed to meet the segment requirements")
        elif pid in reasons:
            words.append(reasons[pid])
        elif any(sel[q] for q in conflicts.get(p, [])):
            other = next(str(ids[q]) for q in conflicts[p] if sel[q])
            words.append(f"in conflict with selected {other}")
        elif inst.maximize and marginal[p] <= 1e-9:
            words.append("adds nothing the portfolio does not already cover as well")
        elif math.isfinite(entry[p]):
            words.append(f"would enter at a budget of about {entry[p]:,.0f}")
        elif not inst.maximize:
            words.append("the portfolio meets the segment requirements more cheaply without it")
        else:
            words.append("less value per cost than the selected partners")
    return pd.DataFrame(
        {
            "name": scenario.partners["name"].to_numpy(),
            "type": inst.types,
            "selected": sel,
            "cost": inst.cost,
            "marginal_value": marginal,
            "entry_budget": np.where(sel, np.nan, entry),
            "reason": words,
        },
        index=pd.Index(ids, name="partner_id"),
    )


def _from_plan(plan: pd.DataFrame) -> pd.DataFrame:
    """The same columns for a plan from today's channel, read off its plan table:
    ``marginal_value`` is the value the partner adds at its proposed level; the reason
    is the plan's (the budget at which an option would enter is not estimated)."""
    active = (plan["proposed"] != "out").to_numpy()
    return pd.DataFrame(
        {
            "name": plan["name"].to_numpy(),
            "type": plan["type"].to_numpy(),
            "selected": active,
            "cost": plan["annual_cost"].to_numpy(dtype=float) + plan["one_off_cost"].to_numpy(dtype=float),
            "marginal_value": plan["value_added"].to_numpy(dtype=float),
            "entry_budget": np.full(len(plan), np.nan),
            "reason": plan["reason"].to_numpy(dtype=object),
        },
        index=plan.index,
    )

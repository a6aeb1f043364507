"""The answer as a plan: for every partner, today's level, the proposed one, and why.

:func:`build_plan` reads an option selection of a plan instance
(:mod:`selector.portfolio.levels`) back as one row per partner: the action (recruit,
keep, promote, demote, exit, stay out), its one-off and annual cost, the value it adds
and the reason in words; and totals: the cost of change, partners per action, value
before (today's channel) and after, and the named accounts whose coverage changes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from selector.inputs.programme import Programme, tier_costs
from selector.inputs.scenario import Scenario
from selector.portfolio.instance import PortfolioInstance, addition_gains, evaluate, removal_losses
from selector.portfolio.levels import OUT

__all__ = ["ACTIONS", "PLAN_COLUMNS", "build_plan", "plan_changes"]

ACTIONS = ("recruit", "keep", "promote", "demote", "exit", "stay out")
PLAN_COLUMNS = (
    "name", "type", "status", "today", "proposed", "action", "one_off_cost", "annual_cost",
    "value_added", "exit_band", "reason",
)


def _action(status: str, today: str, proposed: str, order: dict[str, int]) -> str:
    if status != "current":
        return "stay out" if proposed == OUT else "recruit"
    if proposed == OUT:
        return "exit"
    if proposed == today:
        return "keep"
    return "promote" if order[proposed] > order[today] else "demote"


def _money(x: float) -> str:
    return f"{x:,.0f}"


def build_plan(
    scenario: Scenario,
    inst: PortfolioInstance,
    x: np.ndarray,
    *,
    exit_band: np.ndarray | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """One row per partner (indexed by id, table order) and the plan's totals.

    ``x`` is a feasible option selection of ``inst`` (built by
    :func:`selector.portfolio.levels.expand_levels`); ``exit_band`` marks the partners
    in the score ranking's exit tier (flagged in the plan, and named in its reasons).
    """
    if inst.option_partner is None or inst.option_level is None:
        raise ValueError("build_plan needs a plan instance (expand_levels)")
    partners = scenario.partners
    programme = scenario.programme or Programme()
    names = programme.tier_names
    order = {t: k for k, t in enumerate(names)}
    sel = np.asarray(x, dtype=bool)
    n = len(partners)
    L = len(names)
    proposed_pos = np.full(n, -1)
    proposed_pos[inst.option_partner[sel]] = inst.option_level[sel]
    proposed = np.where(proposed_pos >= 0, np.asarray(names, dtype=object)[np.maximum(proposed_pos, 0)], OUT)
    status = partners["status"].to_numpy(dtype=object)
    current = status == "current"
    today = np.where(current, partners["tier"].to_numpy(dtype=object), OUT)
    annual_all = tier_costs(programme, partners)
    annual = np.where(proposed_pos >= 0, annual_all[np.arange(n), np.maximum(proposed_pos, 0)], 0.0)
    recruit_cost = partners["recruit_cost"].to_numpy(dtype=float)
    exit_cost = partners["exit_cost"].to_numpy(dtype=float)
    actions = np.array(
        [_action(s, t, p, order) for s, t, p in zip(status, today, proposed, strict=True)],
        dtype=object,
    )
    one_off = np.where(actions == "recruit", recruit_cost, 0.0) + np.where(
        actions == "exit", exit_cost, 0.0
    )
    # Value each active partner adds: what the plan loses without it.
    loss = removal_losses(inst, sel)
    value_added = np.zeros(n)
    value_added[inst.option_partner[sel]] = loss[sel]
    # For partners out of the plan: what they would add back at today's level (current)
    # or at the lowest tier (prospect).
    gains = addition_gains(inst, sel)
    back_level = np.where(current, pd.Index(names).get_indexer(today), 0)
    back_level = np.maximum(back_level, 0)
    would_add = gains[np.arange(n) * L + back_level]
    band = np.zeros(n, dtype=bool) if exit_band is None else np.asarray(exit_band, dtype=bool)
    out_reason = dict(inst.out_reason)
    ids = partners.index.astype(str)
    reasons = []
    for i in range(n):
        reasons.append(
            _reason(
                actions[i], today[i], proposed[i], annual_all[i, :],
                order, annual[i], one_off[i], value_added[i], would_add[i], bool(band[i]),
                out_reason.get(ids[i]), programme,
            )
        )
    plan = pd.DataFrame(
        {
            "name": partners["name"].to_numpy(dtype=object),
            "type": partners["type"].to_numpy(dtype=object),
            "status": status,
            "today": today,
            "proposed": proposed,
            "action": actions,
            "one_off_cost": one_off,
            "annual_cost": annual,
            "value_added": value_added,
            "exit_band": band,
            "reason": reasons,
        },
        index=pd.Index(ids, name="partner_id"),
    )
    today_sel = np.asarray(inst.reference, dtype=bool) if inst.reference is not None else np.zeros(len(sel), bool)
    summary = _summary(scenario, inst, plan, sel, today_sel, current, proposed_pos >= 0)
    return plan, summary


def _reason(
    action: str,
    today: str,
    proposed: str,
    annual_all: np.ndarray,
    order: dict[str, int],
    annual: float,
    one_off: float,
    value: float,
    would_add: float,
    band: bool,
    fixed: str | None,
    programme: Programme,
) -> str:
    flag = " It is in the exit band of the score ranking." if band else ""
    if action == "keep":
        if value <= 0:
            return (
                f"Kept at {proposed}: others of the plan reach its customers as well, but "
                f"keeping it ({_money(annual)} a year) fits the budget and avoids a change."
                f"{flag}"
            )
        return f"Kept at {proposed}: adds {_money(value)} of value for {_money(annual)} a year.{flag}"
    if action == "promote":
        extra = annual - annual_all[order[today]]
        mult = programme.tiers[order[proposed]].multiplier / max(programme.tiers[order[today]].multiplier, 1e-12)
        return (
            f"Promoted {today} -> {proposed}: quality x{mult:.2f} for {_money(extra)} more a year; "
            f"adds {_money(value)} of value.{flag}"
        )
    if action == "demote":
        saving = annual_all[order[today]] - annual
        return (
            f"Demoted {today} -> {proposed}: saves {_money(saving)} a year (a quota or the "
            f"budget is better spent elsewhere); still adds {_money(value)}.{flag}"
        )
    if action == "exit":
        why = fixed or (
            f"would add back only {_money(would_add)} of value at {today}"
            if would_add > 0
            else "its customers are all reached by other partners of the plan"
        )
        return f"Exited (one-off {_money(one_off)}): {why}.{flag}"
    if action == "recruit":
        return (
            f"Recruited at {proposed} (one-off {_money(one_off)}, {_money(annual)} a year): "
            f"adds {_money(value)} of value where coverage is thin."
        )
    if fixed:
        return f"Not recruited: {fixed}."
    if would_add <= 0:
        return "Not recruited: reaches no customer the plan does not already reach as well."
    return f"Not recruited: would add {_money(would_add)} of value; the budget is better spent elsewhere."


def _summary(
    scenario: Scenario,
    inst: PortfolioInstance,
    plan: pd.DataFrame,
    sel: np.ndarray,
    today_sel: np.ndarray,
    current: np.ndarray,
    active: np.ndarray,
) -> dict[str, Any]:
    counts = {a: int((plan["action"] == a).sum()) for a in ACTIONS}
    seg = scenario.segments
    named = seg["named"].to_numpy(dtype=bool)
    cover = sp.csr_matrix(scenario.coverage_matrix)
    changed = current != active  # partners whose presence changes
    touched = np.asarray(cover.T @ changed.astype(np.int64)).ravel() > 0
    before = np.asarray(cover.T @ current.astype(np.int64)).ravel()
    after = np.asarray(cover.T @ active.astype(np.int64)).ravel()
    named_changed = seg.index[named & touched].astype(str).tolist()
    named_lost = seg.index[named & (before > 0) & (after == 0)].astype(str).tolist()
    return {
        "actions": counts,
        "changes": int(sum(v for k, v in counts.items() if k not in ("keep", "stay out"))),
        "one_off_cost": float(plan["one_off_cost"].sum()),
        "annual_cost": float(plan["annual_cost"].sum()),
        "value_before": float(evaluate(inst, today_sel)) if today_sel.any() else 0.0,
        "value_after": float(evaluate(inst, sel)),
        "active_before": int(current.sum()),
        "active_after": int(active.sum()),
        "named_accounts_changed": named_changed,
        "named_accounts_lost": named_lost,
    }


def plan_changes(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Partners whose proposed level differs between two plans of one scenario.

    Returns a table indexed by partner id with ``name``, ``a`` and ``b`` (the two
    proposed levels) and ``actions`` (``"keep -> exit"``), sorted by id.
    """
    both = a[["name", "proposed", "action"]].join(
        b[["proposed", "action"]].rename(columns={"proposed": "proposed_b", "action": "action_b"}),
        how="outer",
    ).rename(columns={"proposed": "proposed_a", "action": "action_a"})
    diff = both[both["proposed_a"] != both["proposed_b"]]
    return pd.DataFrame(
        {
            "name": diff["name"],
            "a": diff["proposed_a"],
            "b": diff["proposed_b"],
            "actions": diff["action_a"].astype(str) + " -> " + diff["action_b"].astype(str),
        }
    ).sort_index()

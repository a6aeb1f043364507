"""The Portfolio page's answer: status, metrics, rules, plan, partners, coverage, budget,
reasons, and the roadmap over several years when the scenario has one.

:func:`render_result` draws it; the page (:mod:`selector.app.portfolio`) calls it once for
the quick answer and again when the exact solve replaces it.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any, cast

import altair as alt
import pandas as pd
import streamlit as st

from selector import PortfolioResult, Scenario
from selector.app.roadmap_view import render_roadmap
from selector.app.shared import (
    PLAN_ACTIONS,
    base_scenario,
    coverage_share,
    detail_table,
    explain_cached,
    result_key,
    scores_cached,
    weighted_share,
    weights_warning,
)
from selector.app.status import status_line
from selector.app.way_out import render_way_out
from selector.display import money, money_header, plural
from selector.report import exit_band_selected, plan_flow_dot, portfolio_table

__all__ = [
    "answer_key",
    "budget_cause",
    "coverage_heatmap",
    "entry_words",
    "gap_text",
    "plan_column_config",
    "pools_frame",
    "render_plan",
    "render_result",
    "result_metrics",
    "rule_status_frame",
]

# Shown open in the plan by action (keep and stay out start closed).
PLAN_CHANGES = frozenset({"exit", "demote", "promote", "recruit"})
# Column widths (pixels) that fit their longest value, and a table in the page's width
# at 1,400 px; a reason longer than its column is read in full by clicking its row.
ID_WIDTH = 70
NAME_WIDTH = 205
TYPE_WIDTH = 90
LEVEL_WIDTH = 90


def rule_status_frame(r: PortfolioResult) -> pd.DataFrame:
    """The scenario rules at this portfolio: value, bounds, holds."""
    return pd.DataFrame(
        [{k: rule.get(k) for k in ("id", "label", "kind", "value", "min", "max", "holds")} for rule in r.rules]
    )


# --- the answer: status, metrics, partners, coverage, budget, reasons ------------------


def render_result(s: Scenario, r: PortfolioResult) -> None:
    """The portfolio answer. Drawn twice in a run when the exact solve follows the quick
    answer, so its widgets' keys name the answer (:func:`answer_key`)."""
    cur = s.currency
    doubt = weights_warning(s)
    if r.feasible and doubt:
        st.warning(
            f"**{status_line(r)}** for weights that fail the consistency test · "
            f"{r.wall_seconds:.1f} s · {r.solver}  \n{doubt}",
            icon=":material/warning:",
        )
    elif r.feasible:
        icon = ":material/verified:" if r.status == "optimal" else ":material/bolt:"
        st.success(f"**{status_line(r)}** · {r.wall_seconds:.1f} s · {r.solver}", icon=icon)
    else:
        render_infeasible(s, r)
        return
    result_metrics(r, cur)
    if r.rules:
        st.subheader("Rules")
        st.dataframe(
            rule_status_frame(r),
            hide_index=True,
            width="stretch",
            column_config={
                "id": "Rule",
                "label": st.column_config.TextColumn("What it asks", width="large"),
                "kind": "Kind",
                "value": st.column_config.NumberColumn("At this portfolio", format="localized"),
                "min": st.column_config.NumberColumn("At least", format="localized"),
                "max": st.column_config.NumberColumn("At most", format="localized"),
                "holds": st.column_config.CheckboxColumn("Holds"),
            },
        )
    if r.plan is not None:
        render_plan(s, r)
    render_roadmap(s, r, key=answer_key(r))
    scores = scores_cached(s, s.fingerprint)
    reasons = explain_cached(s, r, s.fingerprint, result_key(r))
    table = portfolio_table(s, r, scores=scores.score, bands=scores.band, reasons=reasons)
    st.subheader("Selected partners")
    detail_table(
        table,
        key=f"selected:{answer_key(r)}",
        column_config={
            "_index": st.column_config.TextColumn("ID", width=ID_WIDTH),
            "name": st.column_config.TextColumn("Partner", width=NAME_WIDTH),
            "type": st.column_config.TextColumn("Type", width=TYPE_WIDTH),
            "programme_tier": st.column_config.TextColumn(
                "Programme tier", width=125,
                help="The level this plan proposes for the partner in the programme.",
            ),
            "score_band": st.column_config.TextColumn(
                "Score band", width=LEVEL_WIDTH,
                help="The rank of the partner's criteria score (not a programme tier).",
            ),
            "cost": st.column_config.NumberColumn(
                money_header("Base cost" if r.plan is not None else "Cost", cur),
                format="localized",
                width=115 if cur else 95,
            ),
            "score": st.column_config.ProgressColumn(
                "Score", min_value=0.0, max_value=1.0, format="%.2f", width=90
            ),
            "reason": st.column_config.TextColumn("Why it is in", width=195 if cur else 215),
        },
    )
    exits = exit_band_selected(table)
    if exits:
        st.warning(
            f"{plural(len(exits), 'selected partner')} in the **exit** score band: "
            + ", ".join(f"{pid} {table.at[pid, 'name']}" for pid in exits[:8])
            + (f" and {len(exits) - 8} more" if len(exits) > 8 else "")
            + ". The rules or the coverage they bring keep them in; check before signing.",
            icon=":material/flag:",
        )
    st.subheader("Coverage by region × industry")
    st.caption(
        "Share of each cell's segment value reached, counted at the best selected "
        "partner's score."
    )
    st.altair_chart(coverage_heatmap(r), width="stretch")
    st.subheader("Budget use")
    st.dataframe(
        pools_frame(r),
        hide_index=True,
        width="stretch",
        column_config={
            "pool": "Pool",
            "used": st.column_config.NumberColumn(money_header("Used", cur), format="localized"),
            "cap": st.column_config.NumberColumn(money_header("Cap", cur), format="localized"),
            "left": st.column_config.NumberColumn(money_header("Left", cur), format="localized"),
            "share": st.column_config.ProgressColumn(
                "Use", min_value=0.0, max_value=100.0, format="%.1f %%"
            ),
        },
    )
    for sentence in r.explanation:
        st.caption(sentence)
    st.subheader("Why each partner is in or out")
    why = reasons.sort_values(["selected", "marginal_value"], ascending=[False, False]).copy()
    why["marginal_value"] = why["marginal_value"].round(0)
    config: dict[str, Any] = {
        "_index": st.column_config.TextColumn("ID", width=ID_WIDTH),
        "name": st.column_config.TextColumn("Partner", width=NAME_WIDTH),
        "type": st.column_config.TextColumn("Type", width=TYPE_WIDTH),
        "selected": st.column_config.CheckboxColumn("In", width=45),
        "cost": st.column_config.NumberColumn(money_header("Cost", cur), format="localized"),
        "marginal_value": st.column_config.NumberColumn("Value it adds", format="localized"),
        "entry_budget": st.column_config.TextColumn(
            money_header("Enters at budget", cur),
            help="For a partner left out: the total budget at which it would first come in "
            "(an estimate from extending this portfolio).",
        ),
        "reason": st.column_config.TextColumn("Reason", width="large"),
    }
    if why["entry_budget"].isna().all():  # plans: the reason says what a change would buy
        why = why.drop(columns=["entry_budget"])
    else:
        why["entry_budget"] = [
            entry_words(b, selected=bool(sel))
            for b, sel in zip(why["entry_budget"], why["selected"], strict=True)
        ]
    detail_table(why, key=f"why:{answer_key(r)}", column_config=config)


def answer_key(r: PortfolioResult) -> str:
    """A short key naming an answer, for the widgets drawn with it."""
    return hashlib.sha1(result_key(r).encode()).hexdigest()[:10]


def render_infeasible(s: Scenario, r: PortfolioResult) -> None:
    """No portfolio: the status, the cause in words and, when the solve found them, the
    least change of each limit that would make the request feasible."""
    st.warning(f"**{status_line(r)}**", icon=":material/block:")
    cause = budget_cause(s)
    if cause:
        st.markdown(f"- {cause}")
    for sentence in r.explanation:
        st.markdown(f"- {sentence}")
    base = base_scenario()
    if base is not None:
        render_way_out(base, s, r, key=answer_key(r))


def entry_words(budget: float, *, selected: bool, currency: str | None = None) -> str:
    """The "Enters at budget" cell: in already, a budget, or never within reach."""
    if selected:
        return "in"
    if budget is None or not math.isfinite(float(budget)):
        return "not within reach"
    return money(float(budget), currency)


def budget_cause(s: Scenario) -> str | None:
    """Words naming the budget as the cause when it is zero or below what the forced-in
    partners cost."""
    total = s.budget.total
    if total is None:
        return None
    forced = float(s.partners["cost"].reindex(list(s.constraints.must_include)).fillna(0).sum())
    if total <= 0:
        return "**The budget is the cause:** a total budget of 0 buys no partner."
    if forced > total:
        return (
            f"**The budget is the cause:** the must-include partners alone cost "
            f"{money(forced, s.currency)}, more than the budget of {money(total, s.currency)}."
        )
    return None


def render_plan(s: Scenario, r: PortfolioResult) -> None:
    """The plan from today's channel: actions, cost of change, flow and partners by action."""
    plan = r.plan
    if plan is None:
        return
    cur = s.currency
    summary = dict(r.plan_summary or {})
    counts = plan["action"].value_counts()
    st.subheader("Plan from today's channel")
    for col, action in zip(st.columns(len(PLAN_ACTIONS)), PLAN_ACTIONS, strict=True):
        col.metric(action.capitalize(), f"{int(counts.get(action, 0)):,}", border=True)
    before = summary.get("value_before")
    after = summary.get("value_after")
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(
        money_header("One-off cost", cur),
        f"{summary.get('one_off_cost', float(plan['one_off_cost'].sum())):,.0f}",
        help="The cost of change: recruiting and exit costs, paid once.",
        border=True,
    )
    c2.metric(
        money_header("Annual cost", cur),
        f"{summary.get('annual_cost', float(plan['annual_cost'].sum())):,.0f}",
        help="What the proposed channel costs a year at its programme tiers.",
        border=True,
    )
    c3.metric(
        "Value after the plan",
        "n/a" if after is None else f"{after:,.0f}",
        delta=None if not before or after is None else f"{(after - before) / abs(before):+.1%} vs today",
        help="Score-weighted segment value reached by the plan"
        + ("" if before is None else f"; today's channel reaches {before:,.0f}")
        + ".",
        border=True,
    )
    active_before = summary.get("active_before")
    active_after = summary.get("active_after")
    c4.metric(
        "Active partners",
        f"{active_before:,} → {active_after:,}"
        if active_before is not None and active_after is not None
        else f"{int((plan['proposed'] != 'out').sum()):,}",
        border=True,
    )
    levels = s.programme.tier_names if s.programme is not None else None
    left, right = st.columns([3, 2])
    with left:
        st.markdown("**From today's programme tiers to the proposed ones**")
        st.graphviz_chart(plan_flow_dot(plan, levels), width="stretch")
    with right:
        st.markdown("**Reading the flow**")
        st.caption(
            "Each arrow is a group of partners moving from today's programme tier (left) to "
            "the proposed one (right), wider for more partners: :green[promote], "
            ":orange[demote], :red[exit], :blue[recruit], :gray[keep and stay out]."
        )
        changed = list(summary.get("named_accounts_changed") or [])
        lost = list(summary.get("named_accounts_lost") or [])
        if lost:
            st.warning(
                f"Named accounts losing coverage: {', '.join(map(str, lost))}.",
                icon=":material/warning:",
            )
        if changed:
            st.caption(
                f"Named accounts whose coverage changes: {', '.join(map(str, changed[:10]))}"
                + (f" and {len(changed) - 10} more" if len(changed) > 10 else "")
                + "."
            )
    st.markdown("**Partners by action** (changes first; click a row to read its reason in full)")
    shown = plan.drop(columns=["status", "action"]).copy()
    money_cols = ["one_off_cost", "annual_cost", "value_added"]
    shown[money_cols] = shown[money_cols].round(0)
    config = plan_column_config(cur)
    for action in PLAN_ACTIONS:
        mask = plan["action"] == action
        n = int(mask.sum())
        if not n:
            continue
        with st.expander(f"{action.capitalize()} · {plural(n, 'partner')}", expanded=action in PLAN_CHANGES):
            detail_table(
                shown[mask],
                key=f"plan:{action}:{answer_key(r)}",
                column_config=config,
                height=min(38 + 35 * n, 420),
            )


def plan_column_config(currency: str | None) -> dict[str, Any]:
    """How the plan's columns read: widths that fit their values, money with its currency."""
    return {
        "_index": st.column_config.TextColumn("ID", width=ID_WIDTH),
        "name": st.column_config.TextColumn("Partner", width=NAME_WIDTH - 5),
        "type": st.column_config.TextColumn("Type", width=TYPE_WIDTH),
        "today": st.column_config.TextColumn(
            "Today", width=LEVEL_WIDTH, help="Programme tier today (out: not a partner)."
        ),
        "proposed": st.column_config.TextColumn(
            "Proposed", width=LEVEL_WIDTH, help="Programme tier the plan proposes."
        ),
        "one_off_cost": st.column_config.NumberColumn(
            money_header("One-off", currency), format="localized"
        ),
        "annual_cost": st.column_config.NumberColumn(
            money_header("A year", currency), format="localized"
        ),
        "value_added": st.column_config.NumberColumn("Value it adds", format="localized"),
        "exit_band": st.column_config.CheckboxColumn(
            "Exit band", help="In the exit band of the score ranking.", width=75
        ),
        "reason": st.column_config.TextColumn("Reason", width=110),
    }


def result_metrics(r: PortfolioResult, currency: str | None = None) -> None:
    share = coverage_share(r)
    weighted = weighted_share(r)
    c1, c2, c0, c3, c4 = st.columns([3, 2, 2, 2, 2])
    c1.metric(
        money_header("Cost", currency),
        f"{r.cost:,.0f}",
        delta=None
        if r.budget is None
        else f"{money(r.budget - r.cost)} left of {money(r.budget)}",
        delta_color="off",
        delta_arrow="off",
        help="Total partner cost against the budget, exact.",
        border=True,
    )
    c0.metric(
        "Coverage",
        "n/a" if share is None or not r.feasible else f"{share:.1%}",
        help="Share of segment value reached by at least one selected partner.",
        border=True,
    )
    c2.metric(
        "Score-weighted value",
        "n/a" if weighted is None or not r.feasible else f"{weighted:.1%}",
        help="Segment value reached, each segment counted at the score of its best selected partner "
        "(what the optimizer maximizes).",
        border=True,
    )
    c3.metric("Partners selected", f"{len(r.selected):,}", border=True)
    c4.metric(
        "Optimality gap",
        gap_text(r),
        delta="not proven" if r.solver == "greedy" else None,
        delta_color="off",
        delta_arrow="off",
        help="Relative distance to the best possible portfolio the solver could prove.",
        border=True,
    )


def gap_text(r: PortfolioResult) -> str:
    if r.solver == "greedy":
        return "—"
    if r.gap is None or not math.isfinite(r.gap):
        return "n/a"
    return f"{max(r.gap, 0.0):.2%}"


def coverage_heatmap(r: PortfolioResult) -> alt.LayerChart:
    cov = r.coverage
    grid = cov.groupby(["region", "industry"], as_index=False)[["counted_value", "value"]].sum()
    grid["reached"] = (grid["counted_value"] / grid["value"]).where(grid["value"] > 0, 0.0)
    base = alt.Chart(grid).encode(
        x=alt.X(
            "industry:N",
            title="Industry",
            axis=alt.Axis(labelAngle=-30, orient="top", labelOverlap=False, labelLimit=160),
        ),
        y=alt.Y("region:N", title="Region"),
    )
    rect = base.mark_rect(stroke="white").encode(
        color=alt.Color(
            "reached:Q",
            title="Score-weighted value",
            scale=alt.Scale(domain=[0, 1], scheme="greens"),
            legend=None,
        ),
        tooltip=[
            "region",
            "industry",
            alt.Tooltip("reached:Q", format=".0%", title="score-weighted value reached"),
            alt.Tooltip("value:Q", format=",.0f", title="segment value"),
        ],
    )
    text = base.mark_text(fontSize=12).encode(
        text=alt.Text("reached:Q", format=".0%"),
        color=alt.condition("datum.reached > 0.6", alt.value("white"), alt.value("#333")),
    )
    # The page's width, not a width per cell: ten industries fit a column without spilling.
    return cast(alt.LayerChart, (rect + text).properties(width="container", height=alt.Step(36)))


def pool_label(key: str) -> str:
    field_, _, value = key.partition(":")
    return f"{field_.capitalize()} {value}" if value else key


def pools_frame(r: PortfolioResult) -> pd.DataFrame:
    rows = []
    if r.budget is not None:
        rows.append({"pool": "Total budget", "used": r.cost, "cap": r.budget})
    rows += [{"pool": pool_label(k), "used": u, "cap": c} for k, u, c in r.pools]
    df = pd.DataFrame(rows, columns=["pool", "used", "cap"])
    df["left"] = df["cap"] - df["used"]
    df["share"] = (100 * df["used"] / df["cap"]).where(df["cap"] > 0, 0.0)
    return df

"""Page "Portfolio": budget and rules in, the best portfolio out, with its proof and why.

A quick (greedy) answer shows at once; the exact solve follows by itself for a small
scenario or on request for a large one. The portfolio shown is remembered for the map.
Streamlit runs this file as the page (``st.Page`` in ``app.py``); importing it only
defines :func:`page`.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any, cast

import altair as alt
import pandas as pd
import streamlit as st

from selector import PortfolioResult, Scenario
from selector.app.shared import (
    AUTO_SOLVE_MAX_PARTNERS,
    PLAN_ACTIONS,
    base_scenario,
    bound,
    coverage_share,
    current_scenario,
    explain_cached,
    heuristic_cached,
    money,
    plural,
    progress_words,
    result_key,
    scores_cached,
    setting,
    solve_with_clock,
    state,
    status_line,
    weighted_share,
    weights_warning,
)
from selector.errors import ScenarioError
from selector.inputs.scenario import check_rules
from selector.inputs.scenario.rules import ROW_COLUMNS, RULE_KINDS, rule_rows, rules_from_rows
from selector.report import (
    exit_tier_selected,
    plan_flow_dot,
    portfolio_table,
    scenario_toml_bytes,
    to_csv_bytes,
    to_xlsx_bytes,
)
from selector.whatif import still_best

__all__ = ["EXACT_TIME_LIMITS", "page", "render_plan", "render_result", "rules_editor"]

EXACT_TIME_LIMITS = (5, 10, 30, 60)
# Shown open in the plan by action (keep and stay out start closed).
PLAN_CHANGES = frozenset({"exit", "demote", "promote", "recruit"})


def page() -> None:
    st.title("Portfolio")
    st.caption(
        "Set the budget and rules: a quick answer appears at once, then the optimizer proves "
        "how good it is."
    )
    base = base_scenario()
    if base is None:
        return
    portfolio_controls(base)
    s = current_scenario()
    if s is None:
        return
    fp = s.fingerprint
    small = len(s.partners) <= AUTO_SOLVE_MAX_PARTNERS
    c1, c2, c3 = st.columns([2, 2, 1], vertical_alignment="bottom")
    auto = bound(
        c1.toggle,
        "Prove the best portfolio after each change",
        f"{base.fingerprint}:auto",
        small,
        help=f"On by default for scenarios of up to {AUTO_SOLVE_MAX_PARTNERS} partners, where a "
        f"proof takes seconds; this one has {len(s.partners):,}, "
        + (
            "so it is on."
            if small
            else "so it is off: a proof can take the whole time limit after every change."
        ),
    )
    limit = bound(
        c2.select_slider, "Solver time limit (s)", "time_limit", 10, options=EXACT_TIME_LIMITS
    )
    requested = fp in state()["solve_requested"]
    c3.button(
        "Solve exactly",
        type="primary",
        on_click=_request_solve,
        args=(fp,),
        disabled=auto or requested,
        icon=":material/calculate:",
    )
    status_slot = st.empty()
    slot = st.empty()
    kept = kept_result(s)
    first = kept if kept is not None else heuristic_cached(s, fp)
    with slot.container():
        render_result(s, first)
    final = first
    if kept is not None and kept.solver != "greedy":
        status_slot.info(
            "The portfolio found for the previous settings still keeps every rule and "
            "nothing better exists under tighter rules: it is kept (no new solve).",
            icon=":material/push_pin:",
        )
    elif auto or requested:
        with status_slot.status(
            f"Proving the best portfolio (up to {limit} s)…", expanded=True
        ) as status:
            clock = st.empty()
            exact = solve_with_clock(
                s,
                fp,
                float(limit),
                lambda t, live: clock.progress(
                    min(t / float(limit), 1.0),
                    text=f"Solving: {t:.0f} s of up to {limit} s{progress_words(live)}",
                ),
            )
            clock.empty()
            status.update(
                label=f"Exact solve: {status_line(exact)} ({exact.wall_seconds:.1f} s)",
                state="complete" if exact.status in ("optimal", "time_limit") else "error",
                expanded=False,
            )
        with slot.container():
            render_result(s, exact)
        final = exact
    else:
        status_slot.info(
            "Quick answer shown. Press **Solve exactly** to prove how close it is to the best.",
            icon=":material/info:",
        )
    state()["last_result"][fp] = final
    state()["last_shown"] = (s, final)
    st.divider()
    st.subheader("Keep and share")
    d1, d2, d3 = st.columns(3)
    if final.feasible:
        scores = scores_cached(s, fp)
        reasons = explain_cached(s, final, fp, result_key(final))
        table = portfolio_table(s, final, scores=scores.score, tiers=scores.tier, reasons=reasons)
        frames = final.to_frame()
        sheets = {
            "Portfolio": table,
            "Why in or out": reasons,
            "Coverage": final.coverage,
            "Budget": frames["pools"],
            "Summary": frames["summary"],
        }
        if final.plan is not None:
            sheets["Plan"] = final.plan
        d1.download_button(
            "Portfolio (CSV)",
            to_csv_bytes(table),
            file_name="portfolio.csv",
            mime="text/csv",
            icon=":material/download:",
        )
        d2.download_button(
            "Portfolio (Excel)",
            to_xlsx_bytes(sheets),
            file_name="portfolio.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            icon=":material/download:",
        )
    d3.download_button(
        "Scenario with these settings (TOML)",
        scenario_toml_bytes(s),
        file_name="scenario-whatif.toml",
        mime="application/toml",
        icon=":material/download:",
    )
    with st.form("save_variant", border=False):
        f1, f2 = st.columns([3, 1], vertical_alignment="bottom")
        name = f1.text_input(
            "Save these settings as a what-if for Compare",
            value=f"{s.name} · budget {money(s.budget.total)}",
        )
        if f2.form_submit_button("Save what-if", icon=":material/bookmark_add:"):
            state()["variants"][name.strip() or s.name] = s
            state()["variant_results"][name.strip() or s.name] = final
            st.toast(f"Saved '{name}' for Compare.")


# --- budget and rules ----------------------------------------------------------------------


def portfolio_controls(base: Scenario) -> None:
    fp = base.fingerprint
    p = base.partners
    total_cost = float(p["cost"].sum())
    budget0 = base.budget.total if base.budget.total is not None else total_cost
    top = max(total_cost, budget0)
    step = 10 ** max(0, int(math.log10(max(top, 1))) - 2)
    exact0: int | float = int(budget0) if float(budget0).is_integer() else float(budget0)
    with st.container(border=True):
        c1, c2 = st.columns([3, 1])
        # A typed or loaded budget stays exact; the +/- buttons move by ``step``.
        typed = bound(
            c1.number_input,
            "Total budget",
            f"{fp}:budget",
            exact0,
            min_value=0,
            max_value=int(math.ceil(top * 2)),
            step=int(step),
            format="%d",
            help=f"Exact as typed or loaded; the buttons move it by {money(step)}.",
        )
        c1.caption(
            f"{money(float(typed))} · all partners together cost {money(total_cost)}"
            + ("" if base.budget.total is None else f" · the file says {money(base.budget.total)}")
        )
        bound(
            c2.number_input,
            "Max partners per segment",
            f"{fp}:max_per_segment",
            int(base.constraints.max_partners_per_segment or 0),
            min_value=0,
            max_value=50,
            step=1,
            help="0 = no cap",
        )
        ids = list(p.index)
        include_now = set(setting(f"{fp}:include", list(base.constraints.must_include)))
        exclude_now = set(setting(f"{fp}:exclude", list(base.constraints.must_exclude)))

        def fmt(pid: str) -> str:
            return f"{pid} · {p.at[pid, 'name']}"

        # A partner forced in cannot be offered for ruling out, and the other way round.
        # One row each: the chosen partners' chips get the whole width.
        bound(
            st.multiselect,
            "Must include",
            f"{fp}:include",
            list(base.constraints.must_include),
            options=[i for i in ids if i not in exclude_now or i in include_now],
            format_func=fmt,
            placeholder="No partner forced in",
        )
        bound(
            st.multiselect,
            "Must exclude",
            f"{fp}:exclude",
            list(base.constraints.must_exclude),
            options=[i for i in ids if i not in include_now or i in exclude_now],
            format_func=fmt,
            placeholder="No partner ruled out",
        )
    rules_editor(base)


RULE_HELP = (
    "One rule a row: an id, a label the explanations use, a kind (count, cost, coverage, "
    "requires, group) and its settings as TOML lines, e.g. "
    "`where = { type = \"si\", industries = \"finance\" }; min = 3`. "
    "See the README for every kind."
)


def rules_editor(base: Scenario) -> None:
    """Strategists' rules as an editable table, checked by the scenario loader; rules
    that do not load are left out and their errors shown by rule id."""
    fp = base.fingerprint
    store = state()["store"]
    rows = store.get(f"{fp}:rule_rows")
    if rows is None:
        rows = rule_rows(base.config.get("rules", []))
    applied = store.get(f"{fp}:rules")
    n = len(applied) if applied is not None else len(base.rules)
    with st.expander(f"Rules ({n})", icon=":material/rule:", expanded=bool(store.get(f"{fp}:rule_errors"))):
        st.caption(RULE_HELP)
        frame = pd.DataFrame(rows, columns=list(ROW_COLUMNS)).astype(str)
        version = hashlib.sha1(json.dumps(rows, sort_keys=True).encode()).hexdigest()[:10]
        edited = st.data_editor(
            frame,
            key=f"w:{fp}:rule_editor:{version}",
            num_rows="dynamic",
            hide_index=True,
            width="stretch",
            column_config={
                "id": st.column_config.TextColumn("Id", required=True),
                "label": st.column_config.TextColumn("Label"),
                "kind": st.column_config.SelectboxColumn("Kind", options=list(RULE_KINDS), required=True),
                "settings": st.column_config.TextColumn("Settings (TOML)", width="large"),
            },
        )
        new_rows = [
            {c: ("" if pd.isna(v) else str(v)) for c, v in rec.items()}
            for rec in edited.to_dict(orient="records")
        ]
        if new_rows != rows:
            store[f"{fp}:rule_rows"] = new_rows
            try:
                parsed = rules_from_rows(new_rows)
            except ScenarioError as exc:
                store[f"{fp}:rule_errors"] = {"settings": exc.detail}
            else:
                good, errors = check_rules(base, parsed)
                store[f"{fp}:rules"] = good
                store[f"{fp}:rule_errors"] = errors
            st.rerun()
        for rid, message in (store.get(f"{fp}:rule_errors") or {}).items():
            st.error(f"Rule '{rid}' is left out: {message}", icon=":material/error:")


def rule_status_frame(r: PortfolioResult) -> pd.DataFrame:
    """The scenario rules at this portfolio: value, bounds, holds."""
    return pd.DataFrame(
        [{k: rule.get(k) for k in ("id", "label", "kind", "value", "min", "max", "holds")} for rule in r.rules]
    )


def kept_result(s: Scenario) -> PortfolioResult | None:
    """The portfolio shown for the previous settings when it is still the answer for
    these (:func:`selector.whatif.still_best`), else the one shown for these before."""
    shown = state()["last_result"].get(s.fingerprint)
    if shown is not None and shown.solver != "greedy":
        return cast(PortfolioResult, shown)
    previous = state().get("last_shown")
    if previous is None or previous[0].fingerprint == s.fingerprint:
        return None
    return still_best(previous[0], previous[1], s)


def _request_solve(fp: str) -> None:
    state()["solve_requested"].add(fp)


# --- the answer: status, metrics, partners, coverage, budget, reasons ------------------


def render_result(s: Scenario, r: PortfolioResult) -> None:
    """The portfolio answer (no widgets: this may be drawn twice in one run)."""
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
        st.warning(f"**{status_line(r)}**", icon=":material/block:")
        cause = budget_cause(s)
        if cause:
            st.markdown(f"- {cause}")
        for sentence in r.explanation:
            st.markdown(f"- {sentence}")
        return
    result_metrics(r)
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
    scores = scores_cached(s, s.fingerprint)
    reasons = explain_cached(s, r, s.fingerprint, result_key(r))
    table = portfolio_table(s, r, scores=scores.score, tiers=scores.tier, reasons=reasons)
    st.subheader("Selected partners")
    st.dataframe(
        table,
        width="stretch",
        column_config={
            "_index": "ID",
            "name": "Partner",
            "type": "Type",
            "tier": "Score tier" if r.plan is not None else "Programme tier",
            "cost": st.column_config.NumberColumn(
                "Base cost" if r.plan is not None else "Cost", format="localized"
            ),
            "score": st.column_config.ProgressColumn(
                "Score", min_value=0.0, max_value=1.0, format="%.2f"
            ),
            "reason": st.column_config.TextColumn("Why it is in", width="large"),
        },
    )
    exits = exit_tier_selected(table)
    if exits:
        st.warning(
            f"{plural(len(exits), 'selected partner')} in the **exit** score tier: "
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
            "used": st.column_config.NumberColumn("Used", format="localized"),
            "cap": st.column_config.NumberColumn("Cap", format="localized"),
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
        "_index": "ID",
        "name": "Partner",
        "type": "Type",
        "selected": st.column_config.CheckboxColumn("In"),
        "cost": st.column_config.NumberColumn("Cost", format="localized"),
        "marginal_value": st.column_config.NumberColumn("Value it adds", format="localized"),
        "entry_budget": st.column_config.TextColumn(
            "Enters at budget",
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
    st.dataframe(why, width="stretch", column_config=config)


def entry_words(budget: float, *, selected: bool) -> str:
    """The "Enters at budget" cell: in already, a budget, or never within reach."""
    if selected:
        return "in"
    if budget is None or not math.isfinite(float(budget)):
        return "not within reach"
    return money(float(budget))


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
            f"**The budget is the cause:** the must-include partners alone cost {money(forced)}, "
            f"more than the budget of {money(total)}."
        )
    return None


def render_plan(s: Scenario, r: PortfolioResult) -> None:
    """The plan from today's channel: actions, cost of change, flow and partners by action."""
    plan = r.plan
    if plan is None:
        return
    summary = dict(r.plan_summary or {})
    counts = plan["action"].value_counts()
    st.subheader("Plan from today's channel")
    for col, action in zip(st.columns(len(PLAN_ACTIONS)), PLAN_ACTIONS, strict=True):
        col.metric(action.capitalize(), f"{int(counts.get(action, 0))}", border=True)
    before = summary.get("value_before")
    after = summary.get("value_after")
    c1, c2, c3, c4 = st.columns([1, 1, 2, 1])
    c1.metric(
        "One-off cost",
        money(summary.get("one_off_cost", float(plan["one_off_cost"].sum()))),
        help="The cost of change: recruiting and exit costs, paid once.",
        border=True,
    )
    c2.metric(
        "Annual cost",
        money(summary.get("annual_cost", float(plan["annual_cost"].sum()))),
        help="What the proposed channel costs a year at its programme tiers.",
        border=True,
    )
    c3.metric(
        "Value before → after",
        f"{money(before)} → {money(after)}" if before is not None and after is not None else "n/a",
        delta=None if not before or after is None else f"{(after - before) / abs(before):+.1%}",
        help="Score-weighted segment value reached by today's channel and by the plan.",
        border=True,
    )
    active_before = summary.get("active_before")
    active_after = summary.get("active_after")
    c4.metric(
        "Active partners",
        f"{active_before} → {active_after}"
        if active_before is not None and active_after is not None
        else f"{int((plan['proposed'] != 'out').sum())}",
        border=True,
    )
    levels = s.programme.tier_names if s.programme is not None else None
    left, right = st.columns([3, 2])
    with left:
        st.markdown("**From today's levels to the proposed ones**")
        st.graphviz_chart(plan_flow_dot(plan, levels), width="stretch")
    with right:
        st.markdown("**Reading the flow**")
        st.caption(
            "Each arrow is a group of partners moving from today's level (left) to the "
            "proposed one (right), wider for more partners: :green[promote], :orange[demote], "
            ":red[exit], :blue[recruit], :gray[keep and stay out]."
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
    st.markdown("**Partners by action** (changes first)")
    shown = plan.drop(columns=["status", "action"]).copy()
    money_cols = ["one_off_cost", "annual_cost", "value_added"]
    shown[money_cols] = shown[money_cols].round(0)
    for action in PLAN_ACTIONS:
        mask = plan["action"] == action
        n = int(mask.sum())
        if not n:
            continue
        label = f"{action.capitalize()} · {n} partner{'s' if n != 1 else ''}"
        with st.expander(label, expanded=action in PLAN_CHANGES):
            st.dataframe(shown[mask], width="stretch", column_config=PLAN_COLUMN_CONFIG)


PLAN_COLUMN_CONFIG: dict[str, Any] = {
    "_index": "ID",
    "name": "Partner",
    "type": "Type",
    "today": "Today",
    "proposed": "Proposed",
    "one_off_cost": st.column_config.NumberColumn("One-off", format="localized"),
    "annual_cost": st.column_config.NumberColumn("A year", format="localized"),
    "value_added": st.column_config.NumberColumn("Value it adds", format="localized"),
    "exit_band": st.column_config.CheckboxColumn(
        "Exit band", help="In the exit band of the score ranking."
    ),
    "reason": st.column_config.TextColumn("Reason", width="large"),
}


def result_metrics(r: PortfolioResult) -> None:
    share = coverage_share(r)
    weighted = weighted_share(r)
    c1, c0, c2, c3, c4 = st.columns(5)
    c1.metric(
        "Coverage",
        "n/a" if share is None or not r.feasible else f"{share:.1%}",
        help="Share of segment value reached by at least one selected partner.",
        border=True,
    )
    c0.metric(
        "Score-weighted value",
        "n/a" if weighted is None or not r.feasible else f"{weighted:.1%}",
        help="Segment value reached, each segment counted at the score of its best selected partner "
        "(what the optimizer maximizes).",
        border=True,
    )
    budget_help = "Total partner cost against the budget."
    c2.metric(
        "Cost",
        money(r.cost),
        delta=None if r.budget is None else f"{money(r.budget - r.cost)} left of {money(r.budget)}",
        delta_color="off",
        delta_arrow="off",
        help=budget_help,
        border=True,
    )
    c3.metric("Partners selected", f"{len(r.selected):,}", border=True)
    c4.metric(
        "Optimality gap",
        gap_text(r),
        delta="quick answer, no proof" if r.solver == "greedy" else None,
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
    df["share"] = (100 * df["used"] / df["cap"]).where(df["cap"] > 0, 0.0)
    return df


if __name__ == "__main__":  # run by Streamlit as the page
    page()

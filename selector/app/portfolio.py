"""Page "Portfolio": budget and rules in, the best portfolio out, with its proof and why.

(Over 700 lines since the programme editor, status line and one-save flow joined it; the
answer panel and the plan tables are the next to move into a module of their own.)

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

from selector import PortfolioResult, Scenario, SelectorError, SolverError
from selector.app.programme_editor import programme_editor
from selector.app.shared import (
    AUTO_SOLVE_MAX_PARTNERS,
    PLAN_ACTIONS,
    base_scenario,
    bound,
    coverage_share,
    current_scenario,
    detail_table,
    error_words,
    explain_cached,
    heuristic_cached,
    progress_words,
    result_key,
    scores_cached,
    setting,
    solve_with_clock,
    state,
    weighted_share,
    weights_warning,
)
from selector.app.status import (
    QUICK,
    answer_origin,
    shown_answer,
    solved_label,
    status_line,
    status_note,
)
from selector.app.way_out import render_extra_changes, render_way_out
from selector.app.workspace_shared import app_store, save_whatif
from selector.display import money, money_compact, money_header, plural
from selector.errors import ScenarioError
from selector.inputs.scenario import check_rules
from selector.inputs.scenario.rules import ROW_COLUMNS, RULE_KINDS, rule_rows, rules_from_rows
from selector.report import (
    exit_band_selected,
    money_headers,
    plan_flow_dot,
    portfolio_table,
    scenario_toml_bytes,
    to_csv_bytes,
    to_xlsx_bytes,
)

__all__ = [
    "EXACT_TIME_LIMITS",
    "page",
    "render_plan",
    "render_result",
    "rules_editor",
    "workbook_sheets",
]

EXACT_TIME_LIMITS = (5, 10, 30, 60)
# Shown open in the plan by action (keep and stay out start closed).
PLAN_CHANGES = frozenset({"exit", "demote", "promote", "recruit"})
# Column widths (pixels) that fit their longest value, and a table in the page's width
# at 1,400 px; a reason longer than its column is read in full by clicking its row.
ID_WIDTH = 70
NAME_WIDTH = 205
TYPE_WIDTH = 90
LEVEL_WIDTH = 90


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
    render_extra_changes(base)
    s = current_scenario()
    if s is None:
        return
    fp = s.fingerprint
    small = len(s.partners) <= AUTO_SOLVE_MAX_PARTNERS
    answers = state()["answers"]
    first, origin = shown_answer(s, answers, state().get("last_shown"))
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
    will_solve = origin == QUICK and (auto or requested)
    c3.button(
        "Solve exactly",
        type="primary",
        on_click=_request_solve,
        args=(fp,),
        disabled=auto or origin != QUICK or will_solve,
        icon=":material/calculate:",
    )
    status_slot = st.empty()
    slot = st.empty()
    if first is None:
        first = heuristic_cached(s, fp)
    with slot.container():
        render_result(s, first)
    final = first
    note = status_note(origin, first, will_solve=will_solve)
    if note is not None:
        show = status_slot.warning if note.kind == "warning" else status_slot.info
        show(note.text, icon=note.icon)
    if will_solve:
        with status_slot.status(
            f"Proving the best portfolio (up to {limit} s)…", expanded=True
        ) as status:
            clock = st.empty()
            try:  # in a worker process: a crash or a kill is a message, the server stays up
                exact: PortfolioResult | None = solve_with_clock(
                    s,
                    fp,
                    float(limit),
                    lambda t, live: clock.progress(
                        min(t / float(limit), 1.0),
                        text=f"Solving: {t:.0f} s of up to {limit} s{progress_words(live)}",
                    ),
                )
            except SolverError as exc:
                exact = None
                status.update(label=f"Exact solve failed: {error_words(exc)}", state="error")
            clock.empty()
            if exact is not None:
                status.update(
                    label=solved_label(exact),
                    state="complete" if exact.status in ("optimal", "time_limit") else "error",
                    expanded=False,
                )
        if exact is not None:
            with slot.container():
                render_result(s, exact)
            final, origin = exact, answer_origin(exact)
    answers[fp] = (final, origin)
    state()["last_shown"] = (s, final)
    st.divider()
    keep_and_share(base, s, final)


def keep_and_share(base: Scenario, s: Scenario, final: PortfolioResult) -> None:
    """Downloads of the answer shown, and the one "Save what-if" (to the workspace)."""
    fp = s.fingerprint
    st.subheader("Keep and share")
    d1, d2, d3 = st.columns(3)
    if final.feasible:
        scores = scores_cached(s, fp)
        reasons = explain_cached(s, final, fp, result_key(final))
        table = portfolio_table(s, final, scores=scores.score, bands=scores.band, reasons=reasons)
        d1.download_button(
            "Portfolio (CSV)",
            to_csv_bytes(money_headers(table, s.currency)),
            file_name="portfolio.csv",
            mime="text/csv",
            icon=":material/download:",
        )
        d2.download_button(
            "Portfolio (Excel)",
            to_xlsx_bytes(workbook_sheets(s, final, table, reasons)),
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
    save_form(base, s, final)


def save_form(base: Scenario, s: Scenario, final: PortfolioResult) -> None:
    """Save these settings and the answer shown as a what-if in the team workspace."""
    ss = state()
    with st.form("save_variant", border=True):
        st.markdown(
            "**Save these settings as a what-if** (in the team workspace: Compare and "
            "Workspace list it)"
        )
        f1, f2 = st.columns(2)
        name = f1.text_input("What-if name", value=f"Budget {money(s.budget.total, s.currency)}")
        note = f2.text_input("Note", placeholder="Why this one")
        submitted = st.form_submit_button(
            "Save what-if", type="primary", icon=":material/bookmark_add:"
        )
    done = ss.pop("portfolio:saved", None)
    if done:
        st.success(done, icon=":material/check:")
    if not submitted:
        return
    if not name.strip():
        st.error("Give the what-if a name.")
        return
    store = app_store(save=True)  # saved as this session's visitor, never a typed name
    if store is None:
        return
    try:
        rec = save_whatif(store, base, s, final, name=name.strip(), note=note)
    except SelectorError as exc:
        st.error(f"Not saved: {error_words(exc)}")
        return
    ss["whatif_results"][rec.id] = final
    st.success(
        f"Saved what-if **{rec.name}** (version {rec.version}) with its portfolio: "
        "Compare and Workspace list it.",
        icon=":material/check:",
    )


def workbook_sheets(
    s: Scenario, r: PortfolioResult, table: pd.DataFrame, reasons: pd.DataFrame
) -> dict[str, pd.DataFrame]:
    """The Excel export: the portfolio, reasons, coverage, budget, summary (and plan)."""
    frames = r.to_frame()
    summary = frames["summary"].copy()
    summary["currency"] = s.currency or ""
    sheets = {
        "Portfolio": money_headers(table, s.currency),
        "Why in or out": money_headers(reasons, s.currency),
        "Coverage": r.coverage,
        "Budget": money_headers(frames["pools"], s.currency),
        "Summary": summary,
    }
    if r.plan is not None:
        sheets["Plan"] = money_headers(r.plan, s.currency)
    return sheets


# --- budget and rules ----------------------------------------------------------------------


def portfolio_controls(base: Scenario) -> None:
    fp = base.fingerprint
    cur = base.currency
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
            money_header("Total budget", cur),
            f"{fp}:budget",
            exact0,
            min_value=0,
            max_value=int(math.ceil(top * 2)),
            step=int(step),
            format="%d",
            help=f"Exact as typed or loaded; the buttons move it by {money(step, cur)}.",
        )
        c1.caption(
            f"{money(float(typed), cur)} ({money_compact(float(typed))}) · all partners "
            f"together cost {money(total_cost, cur)}"
            + (
                ""
                if base.budget.total is None
                else f" · the file says {money(base.budget.total, cur)}"
            )
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
    programme_editor(base)


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


def _request_solve(fp: str) -> None:
    state()["solve_requested"].add(fp)


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


if __name__ == "__main__":  # run by Streamlit as the page
    page()

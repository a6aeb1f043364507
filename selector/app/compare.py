"""Page "Compare": scenarios side by side, who is added and dropped, coverage against budget.

Streamlit runs this file as the page (``st.Page`` in ``app.py``); importing it only
defines :func:`page`.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable
from typing import Any, cast

import altair as alt
import pandas as pd
import streamlit as st

from selector import PortfolioResult, Scenario, SelectorError
from selector.app.compare_roadmap import render_roadmaps
from selector.app.shared import (
    PLAN_ACTIONS,
    bound,
    bundled_scenarios,
    coverage_share,
    current_scenario,
    error_words,
    load_source,
    setting,
    solve_cached,
    state,
    variant_cached,
    weighted_share,
)
from selector.app.status import STATUS_WORDS
from selector.app.way_out import way_out_frame
from selector.app.workspace_shared import app_store, whatif_scenario
from selector.display import money, money_header, plural
from selector.portfolio.plan import plan_changes
from selector.store import Store, WhatIfRecord
from selector.whatif import monotone_frontier, still_best

__all__ = [
    "compare_display",
    "compare_options",
    "compare_table",
    "compared_result",
    "frontier_points",
    "membership_changes",
    "page",
    "plan_actions",
    "plan_actions_display",
    "plan_differences",
    "with_new_whatifs",
]


CURRENT = "Current scenario and settings"
WHATIF = "What-if: "


def page() -> None:
    st.title("Compare")
    st.caption("Scenarios side by side: who is added and dropped, what it costs, what it covers.")
    store = app_store()
    saved = saved_whatifs(store)
    opts = compare_options(store, saved)
    ss = state()
    labels = [label for label in opts if label.startswith(WHATIF)]
    mine = [whatif_label(rec) for rec in reversed(saved) if rec.id in ss["whatif_results"]]
    default = [CURRENT, *(mine or ["Current, budget +20 %"])]
    pick = ss["store"].get("compare_pick")
    seen = ss.get("compare_seen")
    chosen_now = with_new_whatifs(pick, labels, seen, default)
    if chosen_now != pick:
        ss["store"]["compare_pick"] = chosen_now
        st.session_state["w:compare_pick"] = chosen_now
    ss["compare_seen"] = set(labels)
    chosen = bound(
        st.multiselect,
        "Scenarios (the first is the baseline)",
        "compare_pick",
        default,
        options=list(opts),
    )
    limit = setting("time_limit", 10)
    chosen = [c for c in chosen if c in opts]
    if len(chosen) < 2:
        st.info("Pick at least two scenarios to compare.")
        return
    scenarios: list[tuple[str, Scenario, PortfolioResult]] = []
    with st.spinner("Solving each scenario…"):
        for label in chosen:
            try:
                scn = opts[label]()
            except (SelectorError, OSError) as exc:
                st.error(f"{label}: {error_words(exc)}")
                continue
            if scn is None:
                st.error(f"{label}: not available with the current settings.")
                continue
            whatif_id = saved_ids(saved).get(label)
            scenarios.append(
                (label, scn, compared_result(scn, scenarios, float(limit), whatif_id=whatif_id))
            )
    if len(scenarios) < 2:
        return
    base_label, base_s, base_r = scenarios[0]
    cur = base_s.currency
    table = compare_table(scenarios)
    st.dataframe(
        compare_display(table),
        width="stretch",
        column_config={
            "_index": st.column_config.TextColumn("Scenario", width=270),
            "status": st.column_config.TextColumn("Status", width=170),
            "partners": st.column_config.TextColumn("Partners", width=75),
            "cost": st.column_config.TextColumn(money_header("Cost", cur), width=100),
            "budget": st.column_config.TextColumn(money_header("Budget", cur), width=100),
            "coverage": st.column_config.TextColumn(
                "Coverage", width=80,
                help="Share of segment value reached by at least one selected partner.",
            ),
            "weighted": st.column_config.TextColumn(
                "Weighted", width=80,
                help="Segment value reached, each segment counted at its best selected "
                "partner's score: what the optimizer maximises.",
            ),
            "added": st.column_config.TextColumn("Added", width=65),
            "dropped": st.column_config.TextColumn("Dropped", width=72),
        },
    )
    st.caption(
        "Added and dropped count partners against the baseline (the first row). A saved "
        "what-if shows the portfolio it was saved with; a scenario whose rules the "
        "baseline's portfolio already keeps (only tighter) keeps that portfolio."
        + (
            ""
            if base_r.feasible
            else " The baseline has no portfolio keeping every rule, so nothing is counted "
            "as added or dropped."
        )
    )
    for label, scn, r in scenarios:
        if not r.feasible:
            infeasible_panel(label, r, scn.currency)
    actions = plan_actions([(label, r) for label, _scn, r in scenarios])
    if actions is not None:
        st.subheader("Plans from today's channel")
        st.dataframe(
            plan_actions_display(actions),
            width="stretch",
            column_config={
                "_index": st.column_config.TextColumn("Scenario", width=270),
                **{a: st.column_config.TextColumn(a.capitalize()) for a in PLAN_ACTIONS},
                "one_off_cost": st.column_config.TextColumn(money_header("One-off cost", cur)),
                "value_change": st.column_config.TextColumn("Value vs today"),
            },
        )
        if actions.isna().any(axis=None):
            st.caption("—: no plan (no portfolio keeps every rule).")
    diff = plan_differences([(label, r) for label, _scn, r in scenarios])
    if diff is not None:
        st.markdown("**Partners proposed at different programme tiers**")
        if diff.empty:
            st.caption("Every plan proposes the same programme tier for every partner.")
        else:
            st.caption(
                f"{plural(len(diff), 'partner')} whose proposed programme tier differs between "
                "the plans (tier · action)."
            )
            st.dataframe(diff, width="stretch", column_config={"_index": "ID", "name": "Partner"})
    render_roadmaps([(label, r) for label, _scn, r in scenarios], cur)
    st.subheader("Partners added and dropped")
    moves = membership_changes([(label, scn, r) for label, scn, r in scenarios])
    if not base_r.feasible:
        st.caption(f"**{base_label}** has no portfolio: pick a baseline that has one.")
    elif not any(r.feasible for _label, _scn, r in scenarios[1:]):
        st.caption("No other scenario has a portfolio to set against the baseline.")
    elif moves.empty:
        st.caption("Every scenario selects the same partners as the baseline.")
    else:
        st.caption(
            f"{plural(len(moves), 'partner')} in some scenarios and not in others "
            f"(against **{base_label}**)."
        )
        st.dataframe(
            moves,
            width="stretch",
            height=min(38 + 35 * len(moves), 400),
            column_config={"_index": "ID", "name": "Partner"},
        )
    frontier_section(scenarios)


def infeasible_panel(label: str, r: PortfolioResult, currency: str | None = None) -> None:
    """Why a compared scenario has no portfolio, and the least changes that would give one."""
    with st.container(border=True):
        st.markdown(f"**{label}**: no portfolio keeps every rule.")
        ways = way_out_frame(r, currency)
        if ways is not None:
            st.dataframe(
                ways,
                hide_index=True,
                width="stretch",
                column_config={
                    "limit": st.column_config.TextColumn("Limit", width="medium"),
                    "setting": st.column_config.TextColumn("Setting", width="medium"),
                    "today": st.column_config.TextColumn("Today", width="small"),
                    "needed": st.column_config.TextColumn("Needed", width="small"),
                    "sentence": st.column_config.TextColumn("What it means", width="large"),
                },
            )
        else:
            for sentence in r.explanation:
                st.markdown(f"- {sentence}")


def frontier_section(scenarios: list[tuple[str, Scenario, PortfolioResult]]) -> None:
    """Coverage against budget: quick answers at eight budgets, and the exact answer of
    the table at the scenario's own budget, marked apart."""
    st.subheader("Coverage against budget")
    pick = st.selectbox("Frontier for", [lab for lab, _, _ in scenarios], key="frontier_pick")
    scn, shown = next((s, r) for lab, s, r in scenarios if lab == pick)
    cur = scn.currency
    ref = scn.budget.total if scn.budget.total is not None else float(scn.partners["cost"].sum())
    levels = tuple(int(round(ref * f, -3)) for f in (0.6, 0.7, 0.8, 0.9, 1.0, 1.15, 1.3, 1.5))
    st.caption(
        "The lines are **quick answers** (greedy heuristic, not proven) at eight budget "
        "levels, solved from low to high: a portfolio found at a lower budget still fits a "
        "higher one, so the curve never falls. The diamonds are the answer in the table "
        "above at this scenario's own budget, with the table's figures; an exact solve can "
        "be above the quick line. Red crosses: budgets where the quick search found no "
        "portfolio keeping every rule."
    )
    bar = st.empty()

    def step(done: int, total: int) -> None:
        bar.progress(done / total, text=f"Coverage against budget: {done} of {total} budgets")

    frontier = frontier_cached(scn, scn.fingerprint, levels, step)
    bar.empty()
    long = frontier_points(frontier, shown, ref)
    measure = alt.Color(
        "measure:N",
        title=None,
        legend=alt.Legend(orient="bottom", labelLimit=0),
        scale=alt.Scale(range=["#2e7d6b", "#4c78a8"]),
    )
    tooltip = [
        "measure",
        "answer",
        alt.Tooltip("budget:Q", format=",.0f", title=money_header("budget", cur)),
        alt.Tooltip("share:Q", format=".1%"),
        "partners",
        alt.Tooltip("cost:Q", format=",.0f", title=money_header("cost", cur)),
    ]
    quick = long[long["answer"] == QUICK_ANSWER]
    kinds = list(dict.fromkeys(long["answer"]))
    shape = alt.Shape(
        "answer:N",
        title=None,
        scale=alt.Scale(domain=kinds, range=["circle", "diamond"][: len(kinds)]),
        legend=alt.Legend(orient="bottom", labelLimit=0),
    )
    chart = (
        alt.Chart(quick)
        .mark_line(point=True)
        .encode(
            x=alt.X("budget:Q", title=money_header("Budget", cur), axis=alt.Axis(format="~s")),
            y=alt.Y(
                "share:Q",
                title="Share of segment value",
                axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1]),
            ),
            color=measure,
            shape=shape,
            tooltip=tooltip,
        )
    )
    exact = (
        alt.Chart(long[long["answer"] != QUICK_ANSWER])
        .mark_point(size=220, filled=True, stroke="black", strokeWidth=1)
        .encode(x="budget:Q", y="share:Q", color=measure, shape=shape, tooltip=tooltip)
    )
    none = frontier.loc[~frontier["feasible"], ["budget"]].assign(
        share=0.0, note="no portfolio keeps every rule"
    )
    gaps = (
        alt.Chart(none)
        .mark_point(shape="cross", size=140, color="#c62828", filled=True)
        .encode(
            x="budget:Q",
            y="share:Q",
            tooltip=[alt.Tooltip("budget:Q", format=",.0f"), "note"],
        )
    )
    mark = (
        alt.Chart(pd.DataFrame({"budget": [ref]}))
        .mark_rule(strokeDash=[4, 4], color="grey")
        .encode(x="budget:Q")
    )
    st.altair_chart((chart + exact + gaps + mark).properties(height=320), width="stretch")
    if len(none):
        budgets = [money(b, cur) for b in none["budget"]]
        st.caption(
            f"No portfolio keeping every rule at the {plural(len(budgets), 'budget')} "
            + ", ".join(budgets)
            + "."
        )


QUICK_ANSWER = "quick answer (heuristic)"


def frontier_points(frontier: pd.DataFrame, shown: PortfolioResult, budget: float) -> pd.DataFrame:
    """The frontier's feasible points in long form (``measure``, ``share``), each marked
    ``answer`` = quick, plus the table's own answer at ``budget`` when it has a portfolio:
    its ``answer`` says which kind it is (``exact: Proven optimal``, ...)."""
    long = frontier[frontier["feasible"]].melt(
        id_vars=["budget", "cost", "partners"],
        value_vars=["coverage", "weighted"],
        var_name="measure",
        value_name="share",
    )
    long["answer"] = QUICK_ANSWER
    if shown.feasible:
        kind = "quick answer" if shown.solver == "greedy" else f"exact: {status_words(shown)}"
        own = pd.DataFrame(
            {
                "budget": [budget, budget],
                "cost": [shown.cost, shown.cost],
                "partners": [len(shown.selected)] * 2,
                "measure": ["coverage", "weighted"],
                "share": [coverage_share(shown), weighted_share(shown)],
                "answer": [f"the table's answer ({kind})"] * 2,
            }
        )
        long = pd.concat([long, own], ignore_index=True)
    long["measure"] = long["measure"].map(
        {"coverage": "Coverage (any partner)", "weighted": "Score-weighted value"}
    )
    return long


def with_new_whatifs(
    chosen: list[str] | None, saved: list[str], seen: set[str] | None, default: list[str]
) -> list[str]:
    """The scenarios to compare: ``chosen`` (``default`` the first time) plus every saved
    what-if not ``seen`` before (saved since Compare was last drawn), in ``saved`` order."""
    current = list(default if chosen is None else chosen)
    if seen is None:
        return current
    return current + [label for label in saved if label not in seen and label not in current]


def compared_result(
    scn: Scenario,
    earlier: list[tuple[str, Scenario, PortfolioResult]],
    limit: float,
    *,
    whatif_id: int | None = None,
) -> PortfolioResult:
    """The portfolio to compare: a what-if's own when it was saved in this session; the
    exact one shown on the Portfolio page for the same settings; the baseline's when
    ``scn`` only tightens rules it keeps (:func:`selector.whatif.still_best`); else an
    exact solve."""
    ss = state()
    if whatif_id is not None:
        saved = ss["whatif_results"].get(whatif_id)
        if saved is not None and saved.solver != "greedy":
            return cast(PortfolioResult, saved)
    shown = ss["answers"].get(scn.fingerprint)
    if shown is not None and shown[0].solver != "greedy":
        return cast(PortfolioResult, shown[0])
    if earlier:
        _label, base_s, base_r = earlier[0]
        kept = still_best(base_s, base_r, scn)
        if kept is not None:
            return kept
    return solve_cached(scn, scn.fingerprint, limit)


def compare_table(scenarios: list[tuple[str, Scenario, PortfolioResult]]) -> pd.DataFrame:
    """One row per scenario: status, partners, cost, budget, coverage, score-weighted
    value, gap (%) and partners added / dropped against the first. A scenario without
    a portfolio has no partners, cost, shares or counts (None), and nothing is counted
    as added or dropped against a baseline without one."""
    base_r = scenarios[0][2]
    base_sel = set(base_r.selected)
    rows = []
    for label, _scn, r in scenarios:
        sel = set(r.selected)
        counted = r.feasible and base_r.feasible
        rows.append(
            {
                "scenario": label,
                "status": status_words(r),
                "partners": len(r.selected) if r.feasible else None,
                "cost": r.cost if r.feasible else None,
                "budget": r.budget,
                "coverage": coverage_share(r) if r.feasible else None,
                "weighted": weighted_share(r) if r.feasible else None,
                "gap": 100 * max(r.gap, 0.0) if r.feasible and r.gap is not None else None,
                "added": len(sel - base_sel) if counted else None,
                "dropped": len(base_sel - sel) if counted else None,
            }
        )
    return pd.DataFrame(rows).set_index("scenario")


def compare_display(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`compare_table` as the page reads it: exact amounts, shares in per cent,
    "—" where a scenario has no figure (no raw None, no zero for a missing portfolio)."""

    def cell(value: Any, kind: str) -> str:
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return "unlimited" if kind == "budget" else "—"
        if kind in ("money", "budget"):
            return money(float(value))
        if kind == "share":
            return f"{float(value):.1%}"
        if kind == "count":
            return f"{int(value):,}"
        return str(value)

    kinds = {
        "status": "text", "partners": "count", "cost": "money", "budget": "budget",
        "coverage": "share", "weighted": "share", "added": "count", "dropped": "count",
    }
    out = pd.DataFrame(index=table.index)
    for column, kind in kinds.items():
        out[column] = [cell(v, kind) for v in table[column].astype(object)]
    return out


def plan_actions_display(actions: pd.DataFrame) -> pd.DataFrame:
    """:func:`plan_actions` as the page reads it: counts, exact money and a signed
    per cent, "—" for a scenario without a plan."""
    out = pd.DataFrame(index=actions.index)
    for column in actions.columns:
        values = actions[column].astype(object)
        if column == "one_off_cost":
            out[column] = [money(v) if pd.notna(v) else "—" for v in values]
        elif column == "value_change":
            out[column] = [f"{float(v):+.1f} %" if pd.notna(v) else "—" for v in values]
        else:
            out[column] = [f"{int(v):,}" if pd.notna(v) else "—" for v in values]
    return out


def status_words(r: PortfolioResult) -> str:
    """Short status for the table: "Proven optimal", "Best found, gap 9.36 %",
    "Infeasible" (the panel under the table says why), ..."""
    if r.status == "time_limit" and r.gap is not None and r.solver != "greedy":
        return f"Best found, gap {100 * max(r.gap, 0.0):.2f} %"
    if r.solver == "greedy":
        return "Quick answer" if r.feasible else "Quick answer: none found"
    if r.status == "infeasible":
        return "Infeasible"
    return STATUS_WORDS.get(r.status, r.status)


def membership_changes(scenarios: list[tuple[str, Scenario, PortfolioResult]]) -> pd.DataFrame:
    """Partners selected in some scenarios and not in others: ``name`` and one column
    per scenario after the first reading ``added``, ``dropped`` or ``""`` (same as the
    baseline); scenarios without a portfolio are left out, and so is every scenario when
    the baseline has none."""
    _label, base_s, base_r = scenarios[0]
    base_sel = set(base_r.selected)
    cols: dict[str, dict[str, str]] = {}
    names: dict[str, str] = {}
    for label, scn, r in scenarios[1:]:
        if not r.feasible or not base_r.feasible:
            continue
        sel = set(r.selected)
        col = {p: "added" for p in sel - base_sel} | {p: "dropped" for p in base_sel - sel}
        cols[label] = col
        for p in col:
            names.setdefault(p, str(scn.partners["name"].get(p, base_s.partners["name"].get(p, ""))))
    index = pd.Index(sorted(names), name="partner_id")
    out = pd.DataFrame({"name": [names[p] for p in index]}, index=index, dtype=object)
    for label, col in cols.items():
        out[label] = [col.get(p, "") for p in index]
    return out


def plan_actions(results: list[tuple[str, PortfolioResult]]) -> pd.DataFrame | None:
    """Per scenario with a plan: partners per action, one-off cost, value change vs today.

    ``None`` when no result has a plan; a scenario without one gets an empty row.
    """
    if all(r.plan is None for _label, r in results):
        return None
    rows = []
    for label, r in results:
        row: dict[str, object] = {"scenario": label}
        if r.plan is not None:
            counts = r.plan["action"].value_counts()
            summary = dict(r.plan_summary or {})
            before, after = summary.get("value_before"), summary.get("value_after")
            row |= {a: int(counts.get(a, 0)) for a in PLAN_ACTIONS}
            row["one_off_cost"] = float(r.plan["one_off_cost"].sum())
            row["value_change"] = (
                100 * (after - before) / abs(before) if before and after is not None else None
            )
        rows.append(row)
    columns = ["scenario", *PLAN_ACTIONS, "one_off_cost", "value_change"]
    return pd.DataFrame(rows, columns=columns).set_index("scenario")


def plan_differences(results: list[tuple[str, PortfolioResult]]) -> pd.DataFrame | None:
    """Partners whose proposed level differs between the plans, one column per plan.

    ``None`` when fewer than two of the results have a plan. Each cell reads
    ``"silver · demote"``; ``"—"`` where a plan does not name the partner.
    """
    plans = [(label, r.plan) for label, r in results if r.plan is not None]
    if len(plans) < 2:
        return None
    base = plans[0][1]
    ids: set[str] = set()
    for _label, plan in plans[1:]:
        ids |= set(plan_changes(base, plan).index)
    for k, (_label, a) in enumerate(plans[1:], start=1):  # what-ifs that differ among themselves
        for _other, b in plans[k + 1 :]:
            ids |= set(plan_changes(a, b).index)
    index = pd.Index(sorted(ids), name="partner_id")
    names = pd.concat([plan["name"] for _, plan in plans])
    names = names[~names.index.duplicated()]
    out = pd.DataFrame({"name": names.reindex(index).astype(object)}, index=index)
    for label, plan in plans:
        cell = plan["proposed"].astype(str) + " · " + plan["action"].astype(str)
        out[label] = cell.reindex(index).fillna("—")
    return out


# --- the scenarios to choose from ------------------------------------------------------


def whatif_label(rec: WhatIfRecord) -> str:
    return f"{WHATIF}{rec.name} v{rec.version}"


def saved_whatifs(store: Store | None) -> list[WhatIfRecord]:
    """The what-ifs the workspace holds, newest first (none without a workspace)."""
    if store is None:
        return []
    try:
        return store.whatifs()
    except SelectorError as exc:
        st.warning(f"The saved what-ifs cannot be listed: {error_words(exc)}")
        return []


def saved_ids(saved: list[WhatIfRecord]) -> dict[str, int]:
    return {whatif_label(rec): rec.id for rec in saved}


def compare_options(
    store: Store | None, saved: list[WhatIfRecord]
) -> dict[str, Callable[[], Scenario | None]]:
    """Label -> how to build that scenario: the current settings, the budget 20 % up and
    down, every what-if the workspace holds and the bundled scenarios."""
    opts: dict[str, Callable[[], Scenario | None]] = {CURRENT: current_scenario}

    def scaled(factor: float) -> Scenario | None:
        s = current_scenario(quiet=True)
        if s is None or s.budget.total is None:
            return None
        changes = {"budget": {"total": int(round(s.budget.total * factor, -3))}}
        return variant_cached(s, s.fingerprint, json.dumps(changes))

    opts["Current, budget +20 %"] = functools.partial(scaled, 1.2)
    opts["Current, budget −20 %"] = functools.partial(scaled, 0.8)
    if store is not None:
        for rec in saved:
            opts[whatif_label(rec)] = functools.partial(whatif_scenario, store, rec.id)
    for path in bundled_scenarios():
        opts[f"Bundled: {path.name}"] = functools.partial(load_source, str(path))
    return opts


# --- coverage against budget ------------------------------------------------------------


@st.cache_resource(show_spinner=False)
def _frontiers() -> dict[tuple[str, tuple[int, ...]], pd.DataFrame]:
    return {}


def frontier_cached(
    s: Scenario, fp: str, levels: tuple[int, ...], progress: Callable[[int, int], None]
) -> pd.DataFrame:
    """:func:`selector.whatif.monotone_frontier`, kept for every session (the progress
    bar is drawn by the page, so the cache is a plain dict, not a cached function)."""
    store = _frontiers()
    key = (fp, levels)
    if key not in store:
        while len(store) >= 32:
            store.pop(next(iter(store)))
        store[key] = monotone_frontier(s, levels, progress=progress)
    return store[key]


if __name__ == "__main__":  # run by Streamlit as the page
    page()

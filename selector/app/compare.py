"""Page "Compare": scenarios side by side, who is added and dropped, coverage against budget.

Streamlit runs this file as the page (``st.Page`` in ``app.py``); importing it only
defines :func:`page`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import cast

import altair as alt
import pandas as pd
import streamlit as st

from selector import PortfolioResult, Scenario, SelectorError
from selector.app.shared import (
    PLAN_ACTIONS,
    STATUS_WORDS,
    bound,
    bundled_scenarios,
    coverage_share,
    current_scenario,
    error_words,
    label_of,
    load_source,
    money,
    plural,
    setting,
    solve_cached,
    state,
    variant_cached,
    weighted_share,
)
from selector.portfolio.plan import plan_changes
from selector.whatif import monotone_frontier, still_best

__all__ = [
    "compare_options",
    "compare_table",
    "compared_result",
    "membership_changes",
    "page",
    "plan_actions",
    "plan_differences",
]


def page() -> None:
    st.title("Compare")
    st.caption("Scenarios side by side: who is added and dropped, what it costs, what it covers.")
    opts = compare_options()
    saved = [k for k in opts if k.startswith("What-if: ")]
    default = ["Current scenario and settings", *(saved or ["Current, budget +20 %"])]
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
            scenarios.append((label, scn, compared_result(label, scn, scenarios, float(limit))))
    if len(scenarios) < 2:
        return
    base_label = scenarios[0][0]
    st.dataframe(
        compare_table(scenarios),
        width="stretch",
        column_config={
            "_index": st.column_config.TextColumn("Scenario", width="medium"),
            "status": st.column_config.TextColumn("Status", width="medium"),
            "partners": st.column_config.NumberColumn("Partners", width="small"),
            "cost": st.column_config.NumberColumn("Cost", format="compact", width="small"),
            "budget": st.column_config.NumberColumn("Budget", format="compact", width="small"),
            "coverage": st.column_config.NumberColumn(
                "Coverage", format="percent", width="small",
                help="Share of segment value reached by at least one selected partner.",
            ),
            "weighted": st.column_config.NumberColumn(
                "Weighted", format="percent", width="small",
                help="Segment value reached, each segment counted at its best selected "
                "partner's score: what the optimizer maximises.",
            ),
            "gap": None,  # in the status words
            "added": st.column_config.NumberColumn("Added", width="small"),
            "dropped": st.column_config.NumberColumn("Dropped", width="small"),
        },
    )
    st.caption(
        "Added and dropped count partners against the baseline (the first row). A saved "
        "what-if shows the portfolio it was saved with; a scenario whose rules the "
        "baseline's portfolio already keeps (only tighter) keeps that portfolio."
    )
    actions = plan_actions([(label, r) for label, _scn, r in scenarios])
    if actions is not None:
        st.subheader("Plans from today's channel")
        st.dataframe(
            actions,
            width="stretch",
            column_config={
                "_index": "Scenario",
                **{a: st.column_config.NumberColumn(a.capitalize()) for a in PLAN_ACTIONS},
                "one_off_cost": st.column_config.NumberColumn("One-off cost", format="localized"),
                "value_change": st.column_config.NumberColumn("Value vs today", format="%+.1f%%"),
            },
        )
    diff = plan_differences([(label, r) for label, _scn, r in scenarios])
    if diff is not None:
        st.markdown("**Partners proposed at different levels**")
        if diff.empty:
            st.caption("Every plan proposes the same level for every partner.")
        else:
            st.caption(
                f"{len(diff)} partner{'s' if len(diff) != 1 else ''} whose proposed level "
                "differs between the plans (level · action)."
            )
            st.dataframe(diff, width="stretch", column_config={"_index": "ID", "name": "Partner"})
    st.subheader("Partners added and dropped")
    moves = membership_changes([(label, scn, r) for label, scn, r in scenarios])
    if moves.empty:
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
    st.subheader("Coverage against budget")
    pick = st.selectbox("Frontier for", [lab for lab, _, _ in scenarios], key="frontier_pick")
    scn = next(s for lab, s, _ in scenarios if lab == pick)
    ref = scn.budget.total if scn.budget.total is not None else float(scn.partners["cost"].sum())
    levels = tuple(int(round(ref * f, -3)) for f in (0.6, 0.7, 0.8, 0.9, 1.0, 1.15, 1.3, 1.5))
    st.caption(
        "Quick (heuristic) portfolios at eight budget levels, solved from low to high: a "
        "portfolio found at a lower budget still fits a higher one, so the curve never "
        "falls. Red marks: budgets where no portfolio keeps every rule."
    )
    bar = st.empty()

    def step(done: int, total: int) -> None:
        bar.progress(done / total, text=f"Coverage against budget: {done} of {total} budgets")

    frontier = frontier_cached(scn, scn.fingerprint, levels, step)
    bar.empty()
    long = frontier[frontier["feasible"]].melt(
        id_vars=["budget", "cost", "partners"],
        value_vars=["coverage", "weighted"],
        var_name="measure",
        value_name="share",
    )
    long["measure"] = long["measure"].map(
        {"coverage": "Coverage (any partner)", "weighted": "Score-weighted value"}
    )
    chart = (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X("budget:Q", title="Budget", axis=alt.Axis(format="~s")),
            y=alt.Y(
                "share:Q",
                title="Share of segment value",
                axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1]),
            ),
            color=alt.Color(
                "measure:N",
                title=None,
                legend=alt.Legend(orient="bottom"),
                scale=alt.Scale(range=["#2e7d6b", "#4c78a8"]),
            ),
            tooltip=[
                "measure",
                alt.Tooltip("budget:Q", format=",.0f"),
                alt.Tooltip("share:Q", format=".1%"),
                "partners",
                alt.Tooltip("cost:Q", format=",.0f"),
            ],
        )
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
    st.altair_chart((chart + gaps + mark).properties(height=320), width="stretch")
    if len(none):
        st.caption(
            "No portfolio keeping every rule at budget"
            + ("s " if len(none) > 1 else " ")
            + ", ".join(money(b) for b in none["budget"])
            + "."
        )


def compared_result(
    label: str,
    scn: Scenario,
    earlier: list[tuple[str, Scenario, PortfolioResult]],
    limit: float,
) -> PortfolioResult:
    """The portfolio to compare: a saved what-if's own; the one shown on the Portfolio
    page for the current settings; the baseline's when ``scn`` only tightens rules it
    keeps (:func:`selector.whatif.still_best`); else an exact solve."""
    ss = state()
    if label.startswith("What-if: "):
        saved = ss["variant_results"].get(label.removeprefix("What-if: "))
        if saved is not None and saved.solver != "greedy":
            return cast(PortfolioResult, saved)
    shown = ss["last_result"].get(scn.fingerprint)
    if shown is not None and shown.solver != "greedy":
        return cast(PortfolioResult, shown)
    if earlier:
        _label, base_s, base_r = earlier[0]
        kept = still_best(base_s, base_r, scn)
        if kept is not None:
            return kept
    return solve_cached(scn, scn.fingerprint, limit)


def compare_table(scenarios: list[tuple[str, Scenario, PortfolioResult]]) -> pd.DataFrame:
    """One row per scenario: status, partners, cost, budget, coverage, score-weighted
    value, gap (%) and partners added / dropped against the first."""
    base_sel = set(scenarios[0][2].selected)
    rows = []
    for label, _scn, r in scenarios:
        sel = set(r.selected)
        rows.append(
            {
                "scenario": label,
                "status": status_words(r),
                "partners": len(r.selected),
                "cost": r.cost,
                "budget": r.budget,
                "coverage": coverage_share(r) if r.feasible else None,
                "weighted": weighted_share(r) if r.feasible else None,
                "gap": 100 * max(r.gap, 0.0) if r.feasible and r.gap is not None else None,
                "added": len(sel - base_sel) if r.feasible else None,
                "dropped": len(base_sel - sel) if r.feasible else None,
            }
        )
    return pd.DataFrame(rows).set_index("scenario")


def status_words(r: PortfolioResult) -> str:
    """Short status for the table: "Proven optimal", "Best found, gap 9.36 %", ..."""
    if r.status == "time_limit" and r.gap is not None and r.solver != "greedy":
        return f"Best found, gap {100 * max(r.gap, 0.0):.2f} %"
    if r.solver == "greedy" and r.feasible:
        return "Quick answer"
    return STATUS_WORDS.get(r.status, r.status)


def membership_changes(scenarios: list[tuple[str, Scenario, PortfolioResult]]) -> pd.DataFrame:
    """Partners selected in some scenarios and not in others: ``name`` and one column
    per scenario after the first reading ``added``, ``dropped`` or ``""`` (same as the
    baseline); scenarios without a portfolio are left out."""
    _label, base_s, base_r = scenarios[0]
    base_sel = set(base_r.selected)
    cols: dict[str, dict[str, str]] = {}
    names: dict[str, str] = {}
    for label, scn, r in scenarios[1:]:
        if not r.feasible:
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


def _same(s: Scenario) -> Scenario:
    return s


def compare_options() -> dict[str, Callable[[], Scenario | None]]:
    ss = state()
    opts: dict[str, Callable[[], Scenario | None]] = {
        "Current scenario and settings": current_scenario
    }

    def scaled(factor: float) -> Scenario | None:
        s = current_scenario(quiet=True)
        if s is None or s.budget.total is None:
            return None
        changes = {"budget": {"total": int(round(s.budget.total * factor, -3))}}
        return variant_cached(s, s.fingerprint, json.dumps(changes))

    opts["Current, budget +20 %"] = functools.partial(scaled, 1.2)
    opts["Current, budget −20 %"] = functools.partial(scaled, 0.8)
    for name, scn in ss["variants"].items():
        opts[f"What-if: {name}"] = functools.partial(_same, scn)
    for path in bundled_scenarios():
        opts[f"Bundled: {label_of(str(path))}"] = functools.partial(load_source, str(path))
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

"""Page "Compare": scenarios side by side, who is added and dropped, coverage against budget.

Streamlit runs this file as the page (``st.Page`` in ``app.py``); importing it only
defines :func:`page`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable

import altair as alt
import pandas as pd
import streamlit as st

from selector import PortfolioResult, Scenario, SelectorError, heuristic_solve
from selector.app.shared import (
    PLAN_ACTIONS,
    STATUS_WORDS,
    bound,
    bundled_scenarios,
    coverage_share,
    current_scenario,
    label_of,
    load_source,
    money,
    setting,
    solve_cached,
    state,
    variant_cached,
    weighted_share,
)
from selector.portfolio.plan import plan_changes

__all__ = ["compare_options", "page", "plan_actions", "plan_differences"]


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
                st.error(f"{label}: {exc}")
                continue
            if scn is None:
                st.error(f"{label}: not available with the current settings.")
                continue
            scenarios.append((label, scn, solve_cached(scn, scn.fingerprint, float(limit))))
    if len(scenarios) < 2:
        return
    base_label, base_s, base_r = scenarios[0]
    base_sel = set(base_r.selected)
    rows = []
    for label, _scn, r in scenarios:
        share = coverage_share(r)
        sel = set(r.selected)
        rows.append(
            {
                "scenario": label,
                "status": STATUS_WORDS.get(r.status, r.status),
                "partners": len(r.selected),
                "cost": r.cost,
                "budget": r.budget,
                "coverage": share if r.feasible else None,
                "gap": 100 * max(r.gap, 0.0) if r.feasible and r.gap is not None else None,
                "added": len(sel - base_sel) if r.feasible else None,
                "dropped": len(base_sel - sel) if r.feasible else None,
            }
        )
    st.dataframe(
        pd.DataFrame(rows).set_index("scenario"),
        width="stretch",
        column_config={
            "_index": "Scenario",
            "status": "Status",
            "partners": "Partners",
            "cost": st.column_config.NumberColumn("Cost", format="localized"),
            "budget": st.column_config.NumberColumn("Budget", format="localized"),
            "coverage": st.column_config.ProgressColumn(
                "Coverage", min_value=0.0, max_value=1.0, format="percent"
            ),
            "gap": st.column_config.NumberColumn("Gap", format="%.2f%%"),
            "added": "Added vs baseline",
            "dropped": "Dropped vs baseline",
        },
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
    cols = st.columns(len(scenarios) - 1)
    for col, (label, scn, r) in zip(cols, scenarios[1:], strict=True):
        sel = set(r.selected)
        names = scn.partners["name"]
        with col:
            st.markdown(f"**{label}** vs **{base_label}**")
            if not r.feasible:
                st.warning(" ".join(r.explanation) or STATUS_WORDS.get(r.status, r.status))
                continue
            added = sorted(sel - base_sel)
            dropped = sorted(base_sel - sel)
            st.markdown("Added: " + (", ".join(f"{p} {names.get(p, '')}" for p in added) or "none"))
            st.markdown(
                "Dropped: "
                + (
                    ", ".join(f"{p} {base_s.partners['name'].get(p, '')}" for p in dropped)
                    or "none"
                )
            )
    st.subheader("Coverage against budget")
    pick = st.selectbox("Frontier for", [lab for lab, _, _ in scenarios], key="frontier_pick")
    scn = next(s for lab, s, _ in scenarios if lab == pick)
    ref = scn.budget.total if scn.budget.total is not None else float(scn.partners["cost"].sum())
    levels = tuple(int(round(ref * f, -3)) for f in (0.6, 0.7, 0.8, 0.9, 1.0, 1.15, 1.3, 1.5))
    st.caption(
        "Quick (heuristic) portfolios at eight budget levels: where extra money stops buying coverage."
    )
    frontier = frontier_cached(scn, scn.fingerprint, levels)
    long = frontier.dropna(subset=["coverage"]).melt(
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
    mark = (
        alt.Chart(pd.DataFrame({"budget": [ref]}))
        .mark_rule(strokeDash=[4, 4], color="grey")
        .encode(x="budget:Q")
    )
    st.altair_chart((chart + mark).properties(height=320), width="stretch")
    missing = frontier[frontier["coverage"].isna()]
    if len(missing):
        st.caption(
            "No portfolio keeping every rule at budget(s): "
            + ", ".join(money(b) for b in missing["budget"])
        )


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


@st.cache_resource(show_spinner=False, max_entries=32)
def frontier_cached(_s: Scenario, fp: str, levels: tuple[int, ...]) -> pd.DataFrame:
    rows = []
    for level in levels:
        r = heuristic_solve(_s.with_changes({"budget": {"total": level}}))
        rows.append(
            {
                "budget": level,
                "coverage": coverage_share(r) if r.feasible else None,
                "weighted": weighted_share(r) if r.feasible else None,
                "cost": r.cost if r.feasible else None,
                "partners": len(r.selected),
                "status": r.status,
            }
        )
    return pd.DataFrame(rows)


if __name__ == "__main__":  # run by Streamlit as the page
    page()

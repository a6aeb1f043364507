"""The Portfolio page's roadmap: what the plan does each year of a scenario's horizon.

Shown under the plan when the answer has a roadmap (``[horizon]`` in the scenario, solved
exactly): the yearly summary, the spend against each year's budget, the partners per
programme tier today and each year, the flow between them, and every partner's programme
tier year by year, filtered by action. Every figure comes from
:attr:`~selector.portfolio.PortfolioResult.roadmap` and ``roadmap_summary`` or from a
:mod:`selector.report` function a script can call the same way.
"""

from __future__ import annotations

from typing import Any, cast

import altair as alt
import pandas as pd
import streamlit as st

from selector import PortfolioResult, Scenario
from selector.app.shared import detail_table
from selector.display import money, money_header, plural
from selector.report import (
    ROADMAP_CHANGES,
    roadmap_by_partner,
    roadmap_flow_dot,
    roadmap_tier_counts,
)

__all__ = [
    "PARTNER_TABLE_WIDTH",
    "ROADMAP_FILTERS",
    "budget_chart",
    "budget_words",
    "partner_year_config",
    "render_roadmap",
    "roadmap_summary_frame",
    "roadmap_waiting",
    "tier_chart",
]

#: The actions the partner table filters on, changes first (``gone`` reads as exit).
ROADMAP_FILTERS = (*ROADMAP_CHANGES, "keep", "stay out")
#: Year columns wide enough for "registered · demote".
YEAR_WIDTH = 140
#: The widest the partners-by-year table may be: the page's main column at a 1,400 px
#: window with the sidebar open.
PARTNER_TABLE_WIDTH = 1_000
SPEND_PARTS = {"one_off_cost": "One-off (recruits and exits)", "annual_cost": "Annual (tiers)"}


def roadmap_summary_frame(summary: pd.DataFrame) -> pd.DataFrame:
    """``roadmap_summary`` as the page's table reads it: one row per year (``Year 1``,
    ...), the changes counted, spend against budget with its use in per cent, value and
    active partners; value rounded to the unit."""
    out = pd.DataFrame(index=pd.Index([f"Year {y}" for y in summary["year"]], name="year"))
    for action in (*ROADMAP_CHANGES, "keep"):
        out[action] = summary[action].astype(int).to_numpy()
    for column in ("spend", "budget", "value", "active_partners"):
        out[column] = summary[column].to_numpy()
    out["value"] = out["value"].round(0)  # a value reads to the unit, as money does
    budget = out["budget"].where(out["budget"] > 0)
    out.insert(out.columns.get_loc("budget") + 1, "use", (100 * out["spend"] / budget).to_numpy())
    return out


def roadmap_waiting(s: Scenario, r: PortfolioResult) -> str | None:
    """Words for an answer without the roadmap its scenario asks for (a quick answer
    plans the first year only); None when there is nothing to say."""
    horizon = getattr(s, "horizon", None)
    if horizon is None or r.roadmap is not None or not r.feasible:
        return None
    return (
        f"This scenario plans {plural(horizon.years, 'year')}: the roadmap year by year "
        "appears with the exact solve (the quick answer plans the first year only)."
    )


def budget_words(s: Scenario) -> str | None:
    """Words when the year budgets do not follow the page's total budget (the scenario
    lists them year by year), naming them; None when year 1's is the total budget."""
    horizon = getattr(s, "horizon", None)
    if horizon is None or s.budget.total is None or not horizon.budgets:
        return None
    if float(horizon.budgets[0]) == float(s.budget.total):
        return None
    listed = ", ".join(money(b, s.currency) for b in horizon.budgets)
    return (
        f"The scenario sets each year's budget ({listed}); the total budget above "
        f"({money(s.budget.total, s.currency)}) does not change them."
    )


def render_roadmap(s: Scenario, r: PortfolioResult, *, key: str) -> None:
    """The roadmap view (nothing when ``r`` has no roadmap). ``key`` names the answer,
    for the widgets drawn with it."""
    roadmap, summary = r.roadmap, r.roadmap_summary
    if roadmap is None or summary is None:
        waiting = roadmap_waiting(s, r)
        if waiting:
            st.info(waiting, icon=":material/timeline:")
        return
    cur = s.currency
    years = len(summary)
    st.subheader(f"Roadmap over {plural(years, 'year')}")
    st.caption(
        "The plan above is year 1; each later year starts from the one before. Spend is "
        "that year's one-off costs (recruits, exits) and annual tier costs against that "
        "year's budget; value is grown and discounted as the optimizer counts it."
    )
    fixed = budget_words(s)
    if fixed:
        st.caption(fixed)
    st.dataframe(
        roadmap_summary_frame(summary),
        width="stretch",
        key=f"roadmap_summary:{key}",
        column_config={
            "_index": st.column_config.TextColumn("Year", width=65),
            **{
                a: st.column_config.NumberColumn(a.capitalize(), format="localized", width=70)
                for a in (*ROADMAP_CHANGES, "keep")
            },
            "spend": st.column_config.NumberColumn(
                money_header("Spend", cur), format="localized", width=125
            ),
            "budget": st.column_config.NumberColumn(
                money_header("Budget", cur), format="localized", width=125
            ),
            "use": st.column_config.ProgressColumn(
                "Use", min_value=0.0, max_value=100.0, format="%.1f %%", width=95
            ),
            "value": st.column_config.NumberColumn("Value", format="localized", width=115),
            "active_partners": st.column_config.NumberColumn(
                "Active partners", format="localized", width=110
            ),
        },
    )
    tiers = list(s.programme.tier_names) if s.programme is not None else None
    today = r.plan["today"] if r.plan is not None else None
    left, right = st.columns(2)
    with left:
        st.markdown("**Budget use per year**")
        st.altair_chart(budget_chart(summary, cur), width="stretch")
    with right:
        st.markdown("**Partners per programme tier**")
        st.altair_chart(tier_chart(roadmap_tier_counts(roadmap, today, tiers)), width="stretch")
    st.markdown("**From today's programme tiers through each year**")
    st.graphviz_chart(roadmap_flow_dot(roadmap, today, tiers), width="stretch")
    st.caption(
        "Each column is a year's programme tiers; each arrow a group of partners moving to "
        "the next year's, wider for more partners: :green[promote], :orange[demote], "
        ":red[exit], :blue[recruit], :gray[keep and stay out]."
    )
    render_partner_years(r, roadmap, key=key)


def partner_year_config(year_columns: list[str]) -> dict[str, Any]:
    """The partners-by-year table's columns: with four or five years the reason column
    is left to the row's click (it is read in full below the table) and the name is
    narrower, so that every year fits the page at 1,400 px (PARTNER_TABLE_WIDTH)."""
    many = len(year_columns) > 3
    return {
        "_index": st.column_config.TextColumn("ID", width=70),
        "name": st.column_config.TextColumn("Partner", width=160 if many else 190),
        "type": None,
        "changes": None,
        "today": st.column_config.TextColumn(
            "Today", width=90, help="Programme tier today (out: not a partner)."
        ),
        **{
            c: st.column_config.TextColumn(
                c.capitalize(), width=125 if many else YEAR_WIDTH,
                help=f"Programme tier in {c}, with the change made that year.",
            )
            for c in year_columns
        },
        "reason": None if many else st.column_config.TextColumn("Reason", width=140),
    }


def render_partner_years(r: PortfolioResult, roadmap: pd.DataFrame, *, key: str) -> None:
    """Every partner's programme tier each year, filtered by what happens to it."""
    st.markdown("**Partners year by year** (click a row to read each year's reason)")
    chosen = st.multiselect(
        "Partners who, in some year,",
        list(ROADMAP_FILTERS),
        default=list(ROADMAP_CHANGES),
        key=f"roadmap_actions:{key}",
        format_func=lambda a: "are exited" if a == "exit" else {
            "recruit": "are recruited", "promote": "are promoted", "demote": "are demoted",
            "keep": "keep their tier", "stay out": "stay out",
        }[a],
        placeholder="Every partner",
    )
    table = roadmap_by_partner(roadmap, r.plan)
    if chosen:
        ids = roadmap.loc[roadmap["action"].isin(chosen), "partner_id"].unique()
        table = table[table.index.isin(ids)]
    config = partner_year_config([c for c in table.columns if c.startswith("year ")])
    st.caption(
        f"{plural(len(table), 'partner')} of {len(roadmap['partner_id'].unique()):,}."
    )
    if table.empty:
        return
    detail_table(
        table,
        key=f"roadmap_partners:{key}",
        column_config=config,
        height=min(38 + 35 * len(table), 460),
    )


def budget_chart(summary: pd.DataFrame, currency: str | None = None) -> alt.LayerChart:
    """Spend per year (one-off and annual, stacked) with that year's budget as a tick."""
    long = summary.melt(
        id_vars=["year"], value_vars=list(SPEND_PARTS), var_name="part", value_name="amount"
    )
    long["part"] = long["part"].map(SPEND_PARTS)
    long["year"] = "Year " + long["year"].astype(str)
    long["exact"] = [money(v, currency) for v in long["amount"]]
    money_axis = alt.Axis(format="~s", title=money_header("Spend", currency))
    bars = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("year:N", title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("amount:Q", stack=True, axis=money_axis),
            color=alt.Color(
                "part:N",
                title=None,
                scale=alt.Scale(range=["#4c78a8", "#9ecae9"]),
                legend=alt.Legend(orient="bottom", labelLimit=0),
            ),
            tooltip=["year", "part", alt.Tooltip("exact:N", title=money_header("amount", currency))],
        )
    )
    budgets = summary.loc[summary["budget"].notna(), ["year", "budget", "spend"]].copy()
    budgets["year"] = "Year " + budgets["year"].astype(str)
    budgets["exact"] = [money(v, currency) for v in budgets["budget"]]
    budgets["left"] = [money(b - s, currency) for b, s in zip(budgets["budget"], budgets["spend"], strict=True)]
    ticks = (
        alt.Chart(budgets)
        .mark_tick(color="#333", thickness=3, size=60)
        .encode(
            x="year:N",
            y="budget:Q",
            tooltip=[
                "year",
                alt.Tooltip("exact:N", title=money_header("budget", currency)),
                alt.Tooltip("left:N", title=money_header("left", currency)),
            ],
        )
    )
    return cast(alt.LayerChart, (bars + ticks).properties(height=260))


def tier_chart(counts: pd.DataFrame) -> alt.Chart:
    """Partners per programme tier today and each year, stacked (the lowest tier at the
    bottom); each bar's tooltip gives its count."""
    order = list(dict.fromkeys(counts["level"]))
    chart = (
        alt.Chart(counts)
        .mark_bar()
        .encode(
            x=alt.X(
                "stage:N",
                title=None,
                sort=list(dict.fromkeys(counts["stage"])),
                axis=alt.Axis(labelAngle=0),
            ),
            y=alt.Y("partners:Q", stack=True, title="Partners"),
            color=alt.Color(
                "level:N",
                title=None,
                sort=order,
                scale=alt.Scale(scheme="tealblues"),
                legend=alt.Legend(orient="bottom", labelLimit=0),
            ),
            tooltip=["stage", alt.Tooltip("level:N", title="programme tier"), "partners"],
        )
    )
    return cast(alt.Chart, chart.properties(height=260))

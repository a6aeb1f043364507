"""Compare's roadmaps: scenarios with a horizon set side by side, year by year.

:func:`roadmap_years` gives, for each year, one row per scenario with a roadmap (its
changes, spend against that year's budget, value, active partners);
:func:`roadmap_differences` the partners whose programme tier differs between the
roadmaps in some year. :func:`render_roadmaps` draws both on the Compare page.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from selector import PortfolioResult
from selector.display import money, money_header, plural
from selector.report import ROADMAP_CHANGES

__all__ = ["render_roadmaps", "roadmap_differences", "roadmap_years"]


def _roadmaps(results: list[tuple[str, PortfolioResult]]) -> list[tuple[str, PortfolioResult]]:
    return [(label, r) for label, r in results
            if r.roadmap is not None and r.roadmap_summary is not None]


def roadmap_years(results: list[tuple[str, PortfolioResult]]) -> dict[int, pd.DataFrame] | None:
    """Year -> one row per scenario with a roadmap reaching that year: ``recruit``,
    ``promote``, ``demote``, ``exit`` (counts), ``spend``, ``budget``, ``value`` and
    ``active_partners``. None when no result has a roadmap."""
    roads = _roadmaps(results)
    if not roads:
        return None
    columns = [*ROADMAP_CHANGES, "spend", "budget", "value", "active_partners"]
    years: dict[int, list[dict[str, object]]] = {}
    for label, r in roads:
        summary = r.roadmap_summary if r.roadmap_summary is not None else pd.DataFrame()
        for row in summary.to_dict(orient="records"):
            years.setdefault(int(row["year"]), []).append(
                {"scenario": label, **{c: row[c] for c in columns}}
            )
    return {
        year: pd.DataFrame(rows, columns=["scenario", *columns]).set_index("scenario")
        for year, rows in sorted(years.items())
    }


def roadmap_differences(results: list[tuple[str, PortfolioResult]]) -> pd.DataFrame | None:
    """Partners whose programme tier differs between the roadmaps in some year: ``years``
    (the years it differs, ``"2, 3"``) and one column per roadmap reading its tier each
    year (``"silver → gold → gold"``, ``—`` for a year the roadmap does not reach).
    None when fewer than two results have a roadmap."""
    roads = _roadmaps(results)
    if len(roads) < 2:
        return None
    tiers = {
        label: r.roadmap.pivot(index="partner_id", columns="year", values="level").astype(str)
        for label, r in roads
        if r.roadmap is not None
    }
    ids = sorted(set().union(*(set(t.index) for t in tiers.values())))
    years = sorted(set().union(*(set(t.columns) for t in tiers.values())))
    wide = {label: t.reindex(index=ids, columns=years).fillna("—") for label, t in tiers.items()}
    frames = list(wide.values())
    differs = pd.DataFrame(False, index=ids, columns=years)
    for other in frames[1:]:
        differs |= other != frames[0]
    keep = differs.any(axis=1)
    index = pd.Index([p for p in ids if keep[p]], name="partner_id")
    out = pd.DataFrame(index=index)
    out["years"] = [", ".join(str(y) for y in years if differs.at[p, y]) for p in index]
    for label, t in wide.items():
        out[label] = [" → ".join(t.loc[p]) for p in index]
    return out


def render_roadmaps(results: list[tuple[str, PortfolioResult]], currency: str | None) -> None:
    """The roadmaps year by year and the partners they place differently (nothing when
    no scenario has a roadmap)."""
    years = roadmap_years(results)
    if years is None:
        return
    st.subheader("Roadmaps year by year")
    without = [label for label, r in results if r.roadmap is None]
    if without:
        st.caption(
            "No roadmap (one year, or a quick answer): " + ", ".join(f"**{w}**" for w in without)
            + "."
        )
    for year, table in years.items():
        shown = pd.DataFrame(index=table.index)
        for action in ROADMAP_CHANGES:
            shown[action] = [f"{int(v):,}" for v in table[action]]
        shown["spend"] = [money(v) for v in table["spend"]]
        shown["budget"] = [money(v) if pd.notna(v) else "unlimited" for v in table["budget"]]
        shown["value"] = [money(v) for v in table["value"]]
        shown["active_partners"] = [f"{int(v):,}" for v in table["active_partners"]]
        st.markdown(f"**Year {year}**")
        st.dataframe(
            shown,
            width="stretch",
            key=f"compare_roadmap_year:{year}",
            column_config={
                "_index": st.column_config.TextColumn("Scenario", width=270),
                **{a: st.column_config.TextColumn(a.capitalize(), width=70)
                   for a in ROADMAP_CHANGES},
                "spend": st.column_config.TextColumn(money_header("Spend", currency), width=120),
                "budget": st.column_config.TextColumn(money_header("Budget", currency), width=120),
                "value": st.column_config.TextColumn("Value", width=110),
                "active_partners": st.column_config.TextColumn("Active partners", width=110),
            },
        )
    diff = roadmap_differences(results)
    if diff is None:
        return
    st.markdown("**Partners at different programme tiers in some year**")
    if diff.empty:
        st.caption("Every roadmap places every partner at the same programme tier each year.")
        return
    st.caption(
        f"{plural(len(diff), 'partner')} whose programme tier differs between the roadmaps in "
        "some year (tiers year by year)."
    )
    st.dataframe(
        diff,
        width="stretch",
        key="compare_roadmap_differences",
        height=min(38 + 35 * len(diff), 400),
        column_config={"_index": st.column_config.TextColumn("ID", width=70),
                       "years": st.column_config.TextColumn("Years", width=70)},
    )

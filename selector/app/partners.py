"""Page "Partners": scores from the criteria weights, programme tiers and positioning.

Streamlit runs this file as the page (``st.Page`` in ``app.py``); importing it only
defines :func:`page`.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from selector import SelectorError
from selector.app.shared import (
    base_scenario,
    bound,
    error_words,
    scores_cached,
    weighted_scenario,
)
from selector.scoring import positioning

__all__ = ["page"]


def page() -> None:
    st.title("Partners")
    st.caption(
        "Scores from the criteria weights, programme tiers, and where each partner stands with us."
    )
    base = base_scenario()
    if base is None:
        return
    s = weighted_scenario(base)
    try:
        sc = scores_cached(s, s.fingerprint)
    except SelectorError as exc:
        st.error(error_words(exc))
        return
    p = s.partners
    table = pd.DataFrame(
        {
            "name": p["name"],
            "type": p["type"],
            "regions": p["regions"].map(lambda r: ", ".join(r)),
            "cost": p["cost"],
            "score": sc.score,
            "tier": sc.tier,
        }
    )
    try:
        pos = positioning(s, sc)
        table["quadrant"] = pos["quadrant"]
    except SelectorError as exc:
        pos = None
        st.info(str(exc))
    regions = sorted({r for rs in p["regions"] for r in rs if r != "*"})
    f1, f2, f3 = st.columns(3)
    fp = base.fingerprint
    types = bound(
        f1.multiselect,
        "Type",
        f"{fp}:f_type",
        [],
        options=sorted(p["type"].unique()),
        placeholder="All types",
    )
    region = bound(
        f2.multiselect, "Region", f"{fp}:f_region", [], options=regions, placeholder="All regions"
    )
    tiers = bound(
        f3.multiselect,
        "Programme tier",
        f"{fp}:f_tier",
        [],
        options=["gold", "silver", "standard", "exit"],
        placeholder="All tiers",
    )
    mask = pd.Series(True, index=p.index)
    if types:
        mask &= p["type"].isin(types)
    if region:
        mask &= p["regions"].map(lambda rs: "*" in rs or any(r in rs for r in region))
    if tiers:
        mask &= sc.tier.isin(tiers)
    shown = table[mask].sort_values("score", ascending=False)
    counts = sc.tier[mask].value_counts()
    cols = st.columns(5)
    cols[0].metric("Partners shown", f"{int(mask.sum())}", border=True)
    for col, tier in zip(cols[1:], ["gold", "silver", "standard", "exit"], strict=True):
        col.metric(tier.capitalize(), f"{int(counts.get(tier, 0))}", border=True)
    st.dataframe(
        shown,
        width="stretch",
        column_config={
            "_index": "ID",
            "name": "Partner",
            "type": "Type",
            "regions": "Regions",
            "cost": st.column_config.NumberColumn("Cost", format="localized"),
            "score": st.column_config.ProgressColumn(
                "Score", min_value=0.0, max_value=1.0, format="%.2f"
            ),
            "tier": "Programme tier",
            "quadrant": st.column_config.TextColumn("Advice", width="medium"),
        },
    )
    if pos is not None:
        st.subheader("Positioning matrix")
        st.caption("Right: important to us (score). Up: we matter to them. Lines at the medians.")
        data = pos[mask].reset_index(names="id")
        points = (
            alt.Chart(data)
            .mark_circle(size=90, opacity=0.8)
            .encode(
                x=alt.X(
                    "importance_to_us:Q",
                    title="Importance to us (score)",
                    scale=alt.Scale(zero=False),
                ),
                y=alt.Y(
                    "importance_to_partner:Q",
                    title="Our importance to the partner",
                    scale=alt.Scale(zero=False),
                ),
                color=alt.Color(
                    "tier:N",
                    title="Tier",
                    scale=alt.Scale(
                        domain=["gold", "silver", "standard", "exit"],
                        range=["#d4a017", "#8e9aa6", "#4c78a8", "#d62728"],
                    ),
                ),
                tooltip=[
                    "id",
                    "name",
                    "type",
                    "tier",
                    "quadrant",
                    alt.Tooltip("importance_to_us:Q", format=".2f"),
                    alt.Tooltip("importance_to_partner:Q", format=".2f"),
                ],
            )
        )
        rules = (
            alt.Chart(pd.DataFrame({"x": [pos["importance_to_us"].median()]}))
            .mark_rule(strokeDash=[4, 4], color="grey")
            .encode(x="x:Q")
        )
        rules_y = (
            alt.Chart(pd.DataFrame({"y": [pos["importance_to_partner"].median()]}))
            .mark_rule(strokeDash=[4, 4], color="grey")
            .encode(y="y:Q")
        )
        st.altair_chart((points + rules + rules_y).properties(height=420), width="stretch")


if __name__ == "__main__":  # run by Streamlit as the page
    page()

"""Page "Partners": who is a partner today, programme tiers, score bands and positioning.

Streamlit runs this file as the page (``st.Page`` in ``app.py``); importing it only
defines :func:`page`.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd
import streamlit as st

from selector import SelectorError
from selector.app.shared import (
    base_scenario,
    bound,
    detail_table,
    error_words,
    scores_cached,
    weighted_scenario,
)
from selector.display import money_header
from selector.inputs.scenario import Scenario
from selector.scoring import BANDS, positioning

__all__ = ["BAND_HELP", "STATUSES", "count_words", "page", "partner_overview"]

STATUSES = ("current", "prospect")
BAND_HELP = (
    "The rank of the partner's criteria score: gold the top 10 %, silver up to the top "
    "30 %, exit the bottom 10 % (the scenario's [tiers] shares). Not the partner's level "
    "in the programme."
)


def partner_overview(s: Scenario, score: pd.Series, band: pd.Series) -> pd.DataFrame:
    """One row per partner: name, type, status and programme tier today (when the
    scenario says who is a partner today), score band, regions, cost and score."""
    p = s.partners
    table = pd.DataFrame({"name": p["name"], "type": p["type"]})
    if "status" in p.columns:
        table["status"] = p["status"].astype(str)
        today = p["tier"].astype(str) if "tier" in p.columns else pd.Series("", index=p.index)
        table["programme_tier"] = today.where(table["status"] == "current", "—")
    table["score_band"] = band
    table["regions"] = p["regions"].map(lambda r: ", ".join(r))
    table["cost"] = p["cost"]
    table["score"] = score
    return table


def count_words(values: pd.Series, order: Sequence[str]) -> str:
    """``"gold 54 · silver 108 · registered 442"``: a count per value, in ``order``."""
    counts = values.astype(str).value_counts()
    named = [v for v in order if v in counts.index]
    named += [str(v) for v in counts.index if v not in named]
    return " · ".join(f"{v} {int(counts[v]):,}" for v in named) or "none"


def page() -> None:
    st.title("Partners")
    st.caption(
        "Who is a partner today and at which programme tier, how the criteria score each "
        "one (score band: the rank of the score), and where each stands with us."
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
    table = partner_overview(s, sc.score, sc.band)
    try:
        pos = positioning(s, sc)
        table["quadrant"] = pos["quadrant"]
    except SelectorError as exc:
        pos = None
        st.info(str(exc))
    regions = sorted({r for rs in p["regions"] for r in rs if r != "*"})
    has_status = "status" in table.columns
    f1, f2, f3, f4 = st.columns(4)
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
    statuses = (
        bound(
            f3.multiselect,
            "Status",
            f"{fp}:f_status",
            [],
            options=list(STATUSES),
            placeholder="Partners today and prospects",
        )
        if has_status
        else []
    )
    bands = bound(
        f4.multiselect,
        "Score band",
        f"{fp}:f_band",
        [],
        options=list(BANDS),
        placeholder="All score bands",
        help=BAND_HELP,
    )
    mask = pd.Series(True, index=p.index)
    if types:
        mask &= p["type"].isin(types)
    if region:
        mask &= p["regions"].map(lambda rs: "*" in rs or any(r in rs for r in region))
    if statuses:
        mask &= table["status"].isin(statuses)
    if bands:
        mask &= sc.band.isin(bands)
    shown = table[mask].sort_values("score", ascending=False)
    cols = st.columns(3)
    cols[0].metric("Partners shown", f"{int(mask.sum()):,}", border=True)
    if has_status:
        cols[1].metric("Partners today", f"{int((shown['status'] == 'current').sum()):,}", border=True)
        cols[2].metric("Prospects", f"{int((shown['status'] == 'prospect').sum()):,}", border=True)
    if has_status:
        levels = s.programme.tier_names[::-1] if s.programme is not None else ()
        st.markdown(
            "**Programme tier today:** "
            + count_words(shown.loc[shown["status"] == "current", "programme_tier"], levels)
        )
    st.markdown(
        "**Score band** (rank of the criteria score, not a programme tier): "
        + count_words(shown["score_band"], BANDS),
        help=BAND_HELP,
    )
    detail_table(
        shown,
        key=f"partners:{fp}",
        text="quadrant",
        column_config={
            "_index": st.column_config.TextColumn("ID", width=70),
            "name": st.column_config.TextColumn("Partner", width=180),
            "type": st.column_config.TextColumn("Type", width=85),
            "status": st.column_config.TextColumn("Status", width=75),
            "programme_tier": st.column_config.TextColumn(
                "Tier today", width=85, help="The partner's programme tier today."
            ),
            "score_band": st.column_config.TextColumn("Score band", width=90, help=BAND_HELP),
            "regions": st.column_config.TextColumn("Regions", width=140),
            "cost": st.column_config.NumberColumn(
                money_header("Cost", s.currency), format="localized", width=85
            ),
            "score": st.column_config.ProgressColumn(
                "Score", min_value=0.0, max_value=1.0, format="%.2f", width=90
            ),
            "quadrant": st.column_config.TextColumn("Advice", width=170),
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
                    "band:N",
                    title="Score band",
                    scale=alt.Scale(
                        domain=["gold", "silver", "standard", "exit"],
                        range=["#d4a017", "#8e9aa6", "#4c78a8", "#d62728"],
                    ),
                ),
                tooltip=[
                    "id",
                    "name",
                    "type",
                    alt.Tooltip("band:N", title="score band"),
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

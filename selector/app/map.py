"""Page "Go-to-market map": vendor -> distributors -> tier-2 partners -> segments.

Draws the portfolio last shown on the Portfolio page (or the default answer for these
settings). Streamlit runs this file as the page (``st.Page`` in ``app.py``); importing it
only defines :func:`page`.
"""

from __future__ import annotations

import streamlit as st

from selector import SelectorError
from selector.app.shared import (
    bound,
    current_portfolio,
    current_scenario,
    scores_cached,
    status_line,
)

__all__ = ["page"]


def page() -> None:
    st.title("Go-to-market map")
    st.caption(
        "Vendor → distributors → tier-2 partners → customer segments, with the portfolio highlighted."
    )
    try:
        from selector.gtm import build_graph, to_dot
    except ImportError:
        st.info("The go-to-market map is not available in this version of the selector package.")
        return
    s = current_scenario()
    if s is None:
        return
    result = current_portfolio(s)
    c1, c2 = st.columns(2)
    only = bound(c1.toggle, "Selected partners only", "map_selected_only", False)
    agg = bound(
        c2.selectbox,
        "Roll up segments by",
        "map_aggregate",
        "region",
        options=["region", "industry", "none"],
    )
    st.caption(f"Portfolio: {status_line(result)}. Open the Portfolio page to change or prove it.")
    try:
        sc = scores_cached(s, s.fingerprint)
        graph = build_graph(s, result, scores=sc.score, programme_tiers=sc.tier)
        dot = to_dot(graph, selected_only=only or None, aggregate=None if agg == "none" else agg)
    except (SelectorError, ValueError, TypeError) as exc:
        st.warning(f"The map could not be drawn: {exc}")
        return
    st.graphviz_chart(dot, width="stretch")


if __name__ == "__main__":  # run by Streamlit as the page
    page()

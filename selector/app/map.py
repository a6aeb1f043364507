"""Page "Go-to-market map": vendor -> distributors -> tier-2 partners -> customer segments.

Draws the portfolio last shown on the Portfolio page (or the default answer for these
settings) three ways: a zoomable network where a partner can be found and clicked to
see its routes and who depends on it, a Sankey of the value flowing through the
channel, and the Graphviz picture as an export. The tables behind the pictures come
from :mod:`selector.gtm` (``network_layout``, ``value_flows``, ``partner_view``).
Streamlit runs this file as the page (``st.Page`` in ``app.py``); importing it only
defines :func:`page`.
"""

from __future__ import annotations

import math
from typing import Any

import networkx as nx
import pandas as pd
import streamlit as st

from selector import SelectorError
from selector.app.shared import (
    bound,
    current_portfolio,
    current_scenario,
    scores_cached,
    state,
)
from selector.app.status import status_line
from selector.display import money, plural

__all__ = ["TYPE_COLOURS", "network_figure", "page", "sankey_figure"]

TYPE_COLOURS = {
    "vendor": "#263238",
    "distributor": "#1565c0",
    "reseller": "#2e7d6b",
    "si": "#8e24aa",
    "isv": "#ef6c00",
    "csp": "#00838f",
    "msp": "#6d4c41",
    "region": "#757575",
    "industry": "#757575",
    "segment": "#757575",
}
FOCUS = "#c62828"
GRAPH_KEY = "map_graph"


def page() -> None:
    st.title("Go-to-market map")
    st.caption(
        "Vendor → distributors → tier-2 partners → customer segments, for the portfolio on "
        "the Portfolio page."
    )
    try:
        from selector.gtm import build_graph, to_dot
    except ImportError:
        st.info("The go-to-market map is not available in this version of the selector package.")
        return
    s = current_scenario()
    if s is None:
        return
    result, _origin = current_portfolio(s)
    st.caption(
        f"Portfolio: {status_line(result)}. Open the Portfolio page to change or prove it."
        + (
            " Partners carry the programme tier this plan proposes."
            if result.plan is not None
            else ""
        )
    )
    try:
        sc = scores_cached(s, s.fingerprint)
        # Programme tiers come from the plan shown (build_graph reads them off the result).
        graph = build_graph(s, result, scores=sc.score)
    except (SelectorError, ValueError, TypeError) as exc:
        st.warning(f"The map could not be drawn: {exc}")
        return
    network, flow, picture = st.tabs(["Network", "Value flow", "Picture (export)"])
    with network:
        network_tab(graph)
    with flow:
        flow_tab(graph)
    with picture:
        picture_tab(graph, to_dot, len(s.partners))


# --- the network: zoom, find a partner, click for its routes ------------------------------


def _take_click() -> None:
    """A partner clicked on the network becomes the one found (before the widgets)."""
    event = st.session_state.get(GRAPH_KEY)
    points = []
    if event is not None:
        try:
            points = list(event["selection"]["points"])
        except (KeyError, TypeError):
            points = []
    for point in points:
        pid = point.get("customdata")
        if isinstance(pid, list):
            pid = pid[0] if pid else None
        if isinstance(pid, str) and pid:
            state()["store"]["map_focus"] = pid
            st.session_state["w:map_focus"] = pid
            break


def network_tab(graph: nx.DiGraph) -> None:
    from selector.gtm import network_layout, partner_view

    _take_click()
    c1, c2, c3 = st.columns([3, 1, 1], vertical_alignment="bottom")
    only = bound(c2.toggle, "Selected partners only", "map_selected_only", True)
    by = bound(
        c3.selectbox,
        "Segments by",
        "map_aggregate",
        "region",
        options=["region", "industry", "segment"],
        help="Roll the customer segments up by region or industry, or show each segment.",
    )
    nodes, edges = network_layout(graph, selected_only=only, by=by)
    partners = nodes[nodes["kind"] == "partner"]
    options = list(partners.index)
    if state()["store"].get("map_focus") not in options:
        state()["store"]["map_focus"] = None
        st.session_state.pop("w:map_focus", None)
    focus = bound(
        c1.selectbox,
        "Find a partner",
        "map_focus",
        None,
        options=options,
        format_func=lambda pid: str(partners.at[pid, "label"]),
        index=None,
        placeholder=f"Type an id or a name ({plural(len(options), 'partner')} on the map)",
    )
    view = partner_view(graph, focus) if focus else None
    st.plotly_chart(
        network_figure(nodes, edges, focus, view, graph),
        key=GRAPH_KEY,
        on_select="rerun",
        selection_mode="points",
        width="stretch",
        config={"scrollZoom": True, "displaylogo": False},
    )
    st.caption(
        "Scroll or drag a box to zoom, double-click to see it all; hover a dot for the "
        "partner, click it (or find it above) for its routes and who depends on it."
    )
    if focus and view is not None:
        focus_panel(graph, focus, view)


def network_figure(
    nodes: pd.DataFrame,
    edges: pd.DataFrame,
    focus: str | None,
    view: dict[str, Any] | None,
    graph: nx.DiGraph | None = None,
) -> Any:
    import plotly.graph_objects as go

    fig = go.Figure()
    pos = nodes[["x", "y"]]

    def lines(frame: pd.DataFrame) -> tuple[list[float | None], list[float | None]]:
        xs: list[float | None] = []
        ys: list[float | None] = []
        for a, b in zip(frame["source"], frame["target"], strict=True):
            xs += [float(pos.at[a, "x"]), float(pos.at[b, "x"]), None]
            ys += [float(pos.at[a, "y"]), float(pos.at[b, "y"]), None]
        return xs, ys

    for kind, colour, width in (("coverage", "rgba(120,120,120,0.12)", 0.6),
                                ("supply", "rgba(21,101,192,0.18)", 0.8)):
        xs, ys = lines(edges[edges["kind"] == kind])
        fig.add_trace(
            go.Scattergl(x=xs, y=ys, mode="lines", line={"color": colour, "width": width},
                         hoverinfo="skip", showlegend=False)
        )
    if focus and view is not None:
        near = {focus, *(p for route in view["routes"] for p in route)}
        mine = edges[
            ((edges["source"] == focus) | (edges["target"] == focus))
            | (edges["source"].isin(near) & edges["target"].isin(near))
        ]
        xs, ys = lines(mine)
        fig.add_trace(
            go.Scatter(x=xs, y=ys, mode="lines", line={"color": FOCUS, "width": 2},
                       hoverinfo="skip", name="Routes of the partner found")
        )
    top = max(float(nodes["value"].max()), 1.0)
    for type_, group in nodes.groupby("type", sort=False):
        size = 6 + 22 * (group["value"].clip(lower=0) / top).map(math.sqrt)
        big = group["layer"] != 2  # tier 1 and segment groups carry their labels
        fig.add_trace(
            go.Scatter(
                x=group["x"],
                y=group["y"],
                mode="markers+text",
                text=[lab if b else "" for lab, b in zip(group["label"], big, strict=True)],
                textposition=["middle left" if lay == 1 else "middle right"
                              for lay in group["layer"]],
                textfont={"size": 11},
                marker={
                    "size": size,
                    "color": TYPE_COLOURS.get(str(type_), "#9e9e9e"),
                    "opacity": [1.0 if sel else 0.35 for sel in group["selected"]],
                    "line": {"width": 0.5, "color": "white"},
                },
                customdata=[pid if k == "partner" else "" for pid, k in
                            zip(group.index, group["kind"], strict=True)],
                hovertext=[
                    f"{lab}<br>{t} · value reached {money(v)}"
                    + _tier_words(graph, pid)
                    + ("" if sel else " · not selected")
                    for pid, lab, t, v, sel in zip(group.index, group["label"], group["type"],
                                                   group["value"], group["selected"], strict=True)
                ],
                hoverinfo="text",
                name=str(type_),
            )
        )
    if focus and focus in nodes.index:
        fig.add_trace(
            go.Scatter(
                x=[nodes.at[focus, "x"]], y=[nodes.at[focus, "y"]], mode="markers+text",
                text=[nodes.at[focus, "label"]], textposition="middle right",
                textfont={"size": 13, "color": FOCUS},
                marker={"size": 18, "color": "rgba(0,0,0,0)", "line": {"width": 3, "color": FOCUS}},
                hoverinfo="skip", name="Partner found",
            )
        )
    fig.update_layout(
        height=760,
        margin={"l": 10, "r": 10, "t": 64, "b": 40},  # the layer titles below the tool bar
        dragmode="zoom",
        legend={"orientation": "h", "y": -0.01, "yanchor": "top", "x": 0},
        xaxis={"visible": False, "range": [-0.6, 3.9], "fixedrange": False},
        yaxis={"visible": False, "range": [-0.03, 1.03]},
        plot_bgcolor="white",
        clickmode="event+select",
    )
    for x, title in enumerate(("Vendor", "Tier 1", "Tier 2", "Customers")):
        fig.add_annotation(
            x=x, y=1.03, text=f"<b>{title}</b>", showarrow=False, yanchor="bottom", yshift=4
        )
    return fig


def _tier_words(graph: nx.DiGraph | None, node: str) -> str:
    """`` · programme tier gold`` for a partner the plan places in a tier, else ""."""
    if graph is None or node not in graph:
        return ""
    tier = graph.nodes[node].get("programme_tier")
    return f" · programme tier {tier}" if tier else ""


def focus_panel(graph: nx.DiGraph, pid: str, view: dict[str, Any]) -> None:
    d = graph.nodes[pid]
    st.subheader(f"{pid} · {d.get('name')}{_tier_words(graph, pid)}")
    supplies: pd.DataFrame = view["supplies"]
    segments: pd.DataFrame = view["segments"]
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("In the portfolio", "yes" if d.get("selected") else "no", border=True)
    c2.metric("Segments it covers", f"{len(segments):,}", border=True)
    c3.metric(
        "Value only it reaches",
        money(view["alone_value"]),
        help="Segments no other selected partner covers: lost if it leaves.",
        border=True,
    )
    c4.metric(
        "Partners depending on it",
        f"{len(view['depends']):,}",
        help="Selected partners it supplies that no other selected distributor supplies.",
        border=True,
    )

    def name(n: str) -> str:
        return "Vendor" if n == "vendor" else f"{n} {graph.nodes[n].get('name', '')}"

    if view["routes"]:
        st.markdown(
            "**Routes from the vendor:** "
            + "; ".join(" → ".join(name(n) for n in route) for route in view["routes"][:6])
            + (f" and {len(view['routes']) - 6} more" if len(view["routes"]) > 6 else "")
        )
    elif int(d.get("tier", 1)) == 2:
        st.warning("No selected distributor supplies this partner: nothing it sells reaches "
                   "customers through the channel.", icon=":material/link_off:")
    left, right = st.columns(2)
    with left:
        st.markdown(f"**Partners it supplies** ({len(supplies):,})")
        if len(supplies):
            st.dataframe(
                supplies, width="stretch", height=min(38 + 35 * len(supplies), 320),
                column_config={
                    "_index": "ID", "name": "Partner", "type": "Type",
                    "selected": st.column_config.CheckboxColumn("In"),
                    "other_distributors": st.column_config.NumberColumn(
                        "Other distributors", help="Other selected distributors supplying it."
                    ),
                },
            )
        else:
            st.caption("None.")
    with right:
        st.markdown(f"**Segments it covers** ({len(segments):,})")
        if len(segments):
            st.dataframe(
                segments.sort_values("value", ascending=False), width="stretch",
                height=min(38 + 35 * len(segments), 320),
                column_config={
                    "_index": "Segment", "region": None, "industry": None,  # in the id
                    "value": st.column_config.NumberColumn("Value", format="localized"),
                    "others": st.column_config.NumberColumn(
                        "Other partners", help="Other selected partners covering it."
                    ),
                },
            )


# --- value flow (Sankey) ---------------------------------------------------------------------


def flow_tab(graph: nx.DiGraph) -> None:
    from selector.gtm import value_flows

    by = st.segmented_control(
        "Customers by", ["region", "industry"], default="region", key="map_flow_by"
    ) or "region"
    flows = value_flows(graph, by=by)
    if flows.empty:
        st.info("The portfolio reaches no customer segment: there is no value to show.")
        return
    st.caption(
        f"The {money(float(flows.loc[flows.stage == 1, 'value'].sum()))} of segment value "
        "the portfolio reaches, flowing from the vendor through distributors (or directly "
        f"to tier-1 partners) and tier-2 partners by type to customers by {by}. A segment "
        "reached by several partners is shared equally among them."
    )
    st.plotly_chart(sankey_figure(flows), width="stretch", config={"displaylogo": False})


def sankey_figure(flows: pd.DataFrame) -> Any:
    import plotly.graph_objects as go

    names = list(dict.fromkeys([*flows["source"], *flows["target"]]))
    index = {n: k for k, n in enumerate(names)}
    middle = set(flows.loc[flows.stage == 2, "target"])
    colours = []
    for n in names:
        if n == "vendor":
            colours.append(TYPE_COLOURS["vendor"])
        elif n in middle or n.endswith("(direct)"):
            colours.append(TYPE_COLOURS.get(n.split(" ")[0], "#9e9e9e"))
        elif n in set(flows.loc[flows.stage == 3, "target"]):
            colours.append("#9e9e9e")
        else:
            colours.append(TYPE_COLOURS["distributor"])
    labels = ["Vendor" if n == "vendor" else n for n in names]
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            valueformat=",.0f",
            node={"label": labels, "color": colours, "pad": 6, "thickness": 14},
            link={
                "source": [index[a] for a in flows["source"]],
                "target": [index[b] for b in flows["target"]],
                "value": flows["value"].tolist(),
                "color": "rgba(46,125,107,0.25)",
            },
        )
    )
    n_dist = flows.loc[flows.stage == 1, "target"].nunique()
    fig.update_layout(height=max(520, 16 * n_dist), margin={"l": 10, "r": 10, "t": 10, "b": 10})
    return fig


# --- the Graphviz picture, kept as an export ------------------------------------------------------


def picture_tab(graph: nx.DiGraph, to_dot: Any, n_partners: int) -> None:
    c1, c2 = st.columns(2)
    only = c1.toggle("Selected partners only", value=True, key="map_dot_selected")
    agg = c2.selectbox(
        "Roll up segments by", ["region", "industry", "none"], key="map_dot_aggregate",
        help="Applies when there are more segments than the picture shows one by one.",
    )
    try:
        dot = to_dot(graph, selected_only=only or None, aggregate=None if agg == "none" else agg)
    except (SelectorError, ValueError, TypeError) as exc:
        st.warning(f"The picture could not be drawn: {exc}")
        return
    st.download_button(
        "Map as Graphviz (DOT)", dot.encode("utf-8"), file_name="gtm-map.dot",
        mime="text/vnd.graphviz", icon=":material/download:",
    )
    st.caption("Open the DOT file with Graphviz (`dot -Tsvg gtm-map.dot`) for a printable map.")
    if n_partners > 200 and not st.toggle("Show the picture here", key="map_dot_show"):
        st.caption(
            f"With {n_partners:,} partners the picture is too tall to read on a page; the "
            "network and value flow tabs are the ones to explore."
        )
        return
    st.graphviz_chart(dot, width="stretch")


if __name__ == "__main__":  # run by Streamlit as the page
    page()

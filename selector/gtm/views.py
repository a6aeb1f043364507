"""The map as tables for interactive pictures: value flows, a layered network, one partner.

A drawing library (Plotly in the app) turns these plain tables into pictures; the
numbers are computed here so that a script gets the same ones.

* :func:`value_flows` -- the value a portfolio reaches, flowing vendor -> distributors
  -> tier-2 partners by type -> regions (the links of a Sankey diagram).
* :func:`network_layout` -- nodes with x/y positions in four layers (vendor,
  distributors and other tier-1 partners, tier-2 partners, segment groups) and the
  edges between them, for a zoomable network picture.
* :func:`partner_view` -- one partner's supply routes, the partners it supplies and the
  segments it reaches, each saying who else could take over.

Value is attributed like this: a reached segment's value is split equally among the
selected partners covering it; a tier-2 partner's share flows in through its selected
distributors, split equally among them (through ``"No selected distributor"`` when it
has none).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import networkx as nx
import pandas as pd

from selector.gtm.graph import VENDOR, require_graph

__all__ = [
    "FLOW_COLUMNS",
    "NO_DISTRIBUTOR",
    "network_layout",
    "partner_shares",
    "partner_view",
    "value_flows",
]

FLOW_COLUMNS = ("source", "target", "value", "stage")
NO_DISTRIBUTOR = "No selected distributor"
LAYERS = ("vendor", "tier 1", "tier 2", "segments")
TYPE_COLUMN_STEP = 0.12  # x distance between the tier-2 columns of different types


def _selected_partners(G: nx.DiGraph) -> list[str]:
    return [
        n for n, d in G.nodes(data=True) if d.get("kind") == "partner" and d.get("selected")
    ]


def _is_distributor(G: nx.DiGraph, p: str) -> bool:
    return str(G.nodes[p].get("type")) == "distributor"


def _suppliers(G: nx.DiGraph, p: str, *, selected: bool = True) -> list[str]:
    return sorted(
        u
        for u in G.predecessors(p)
        if u != VENDOR
        and G.nodes[u].get("kind") == "partner"
        and G.edges[u, p].get("kind") == "supply"
        and (G.nodes[u].get("selected") or not selected)
    )


def _coverers(G: nx.DiGraph, s: str) -> list[str]:
    return sorted(
        u
        for u in G.predecessors(s)
        if G.nodes[u].get("kind") == "partner" and G.nodes[u].get("selected")
    )


def partner_shares(G: nx.DiGraph) -> pd.DataFrame:
    """Each selected partner's share of each reached segment's value.

    Columns ``partner, segment, region, industry, value``: a segment's value split
    equally among the selected partners covering it.
    """
    require_graph(G)
    rows = []
    for s, d in G.nodes(data=True):
        if d.get("kind") != "segment":
            continue
        who = _coverers(G, s)
        for p in who:
            rows.append(
                {
                    "partner": p,
                    "segment": s,
                    "region": d.get("region"),
                    "industry": d.get("industry"),
                    "value": float(d.get("value", 0.0)) / len(who),
                }
            )
    return pd.DataFrame(rows, columns=["partner", "segment", "region", "industry", "value"])


def _group(G: nx.DiGraph, p: str) -> str:
    d = G.nodes[p]
    kind = str(d.get("type"))
    return f"{kind} (tier 2)" if int(d.get("tier", 1)) == 2 else f"{kind} (direct)"


def value_flows(G: nx.DiGraph, *, by: str = "region") -> pd.DataFrame:
    """The value a portfolio reaches as flows between stages (a Sankey's links).

    Stages: ``vendor`` -> each selected distributor (by name) or a direct tier-1 group
    (``"isv (direct)"``) -> tier-2 partners grouped by type (``"reseller (tier 2)"``)
    -> ``by`` (``"region"`` or ``"industry"`` of the segments). A distributor's own
    coverage flows from it straight to the regions. Columns :data:`FLOW_COLUMNS`
    (``stage`` is 1, 2 or 3); flows of the same source and target are summed, zero
    flows left out. What enters each middle node leaves it: the vendor's outflow is
    the value the portfolio reaches.

    >>> from selector import load_scenario, solve, build_graph
    >>> s = load_scenario("scenarios/teaching.toml")
    >>> r = solve(s)
    >>> flows = value_flows(build_graph(s, r))
    >>> round(flows[flows.stage == 1].value.sum()) == round(r.covered_value)
    True
    """
    require_graph(G)
    if by not in ("region", "industry"):
        raise ValueError(f"by must be 'region' or 'industry', not {by!r}")
    shares = partner_shares(G)
    sums: dict[tuple[str, str, int], float] = defaultdict(float)
    if not shares.empty:
        per = shares.groupby(["partner", by])["value"].sum()
        for (p, place), v in per.items():
            p = str(p)
            name = str(G.nodes[p].get("name", p))
            if _is_distributor(G, p) or int(G.nodes[p].get("tier", 1)) != 2:
                first = name if _is_distributor(G, p) else _group(G, p)
                sums[(VENDOR, first, 1)] += v
                sums[(first, str(place), 3)] += v
                continue
            group = _group(G, p)
            sups = _suppliers(G, p)
            via = [str(G.nodes[u].get("name", u)) for u in sups] or [NO_DISTRIBUTOR]
            for u in via:
                sums[(VENDOR, u, 1)] += v / len(via)
                sums[(u, group, 2)] += v / len(via)
            sums[(group, str(place), 3)] += v
    rows = [
        {"source": a, "target": b, "value": v, "stage": k}
        for (a, b, k), v in sums.items()
        if v > 0
    ]
    out = pd.DataFrame(rows, columns=list(FLOW_COLUMNS))
    return out.sort_values(["stage", "source", "target"], ignore_index=True)


def network_layout(
    G: nx.DiGraph, *, selected_only: bool = True, by: str = "region"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Nodes and edges of the map in four layers, for a zoomable network picture.

    Layers (``layer`` 0..3, ``x`` about the same): the vendor; distributors and other
    tier-1 partners; tier-2 partners (one narrow column per type around ``x`` = 2);
    segment groups (segments rolled up by ``by``: ``"region"``,
    ``"industry"`` or ``"segment"`` for none). Within a layer nodes are spread over
    ``y`` in 0..1, partners ordered by their first supplier so that a distributor's
    partners sit together. Partners not selected are left out when ``selected_only``.

    Returns ``(nodes, edges)``: nodes indexed by id with ``label, layer, x, y, kind,
    type, selected, value`` (value reached through the node, from
    :func:`partner_shares`); edges with ``source, target, kind, value``.
    """
    require_graph(G)
    if by not in ("region", "industry", "segment"):
        raise ValueError(f"by must be 'region', 'industry' or 'segment', not {by!r}")
    shares = partner_shares(G)
    reached = shares.groupby("partner")["value"].sum() if not shares.empty else pd.Series()
    keep = [
        n
        for n, d in G.nodes(data=True)
        if d.get("kind") == "partner" and (d.get("selected") or not selected_only)
    ]
    tier1 = sorted(
        (p for p in keep if int(G.nodes[p].get("tier", 1)) != 2),
        key=lambda p: (not _is_distributor(G, p), str(G.nodes[p].get("name"))),
    )
    order1 = {p: k for k, p in enumerate(tier1)}

    def first_supplier(p: str) -> tuple[int, str]:
        sups = [u for u in _suppliers(G, p, selected=selected_only) if u in order1]
        return (min((order1[u] for u in sups), default=len(order1)), str(G.nodes[p].get("name")))

    tier2 = sorted((p for p in keep if int(G.nodes[p].get("tier", 1)) == 2), key=first_supplier)
    rows: list[dict[str, Any]] = [
        {"id": VENDOR, "label": "Vendor", "layer": 0, "kind": "vendor", "type": "vendor",
         "selected": True, "value": float(reached.sum()) if len(reached) else 0.0}
    ]
    for layer, members in ((1, tier1), (2, tier2)):
        for p in members:
            d = G.nodes[p]
            rows.append(
                {"id": p, "label": f"{p} · {d.get('name')}", "layer": layer, "kind": "partner",
                 "type": str(d.get("type")), "selected": bool(d.get("selected")),
                 "value": float(reached.get(p, 0.0))}
            )
    seg_of: dict[str, str] = {}
    group_value: dict[str, float] = defaultdict(float)
    for s, d in G.nodes(data=True):
        if d.get("kind") != "segment":
            continue
        g = s if by == "segment" else f"{by}: {d.get(by)}"
        seg_of[s] = g
        if d.get("covered"):
            group_value[g] += float(d.get("value", 0.0))
    for g in sorted(set(seg_of.values())):
        rows.append(
            {"id": g, "label": g, "layer": 3, "kind": "segments", "type": by,
             "selected": g in group_value, "value": group_value.get(g, 0.0)}
        )
    nodes = pd.DataFrame(rows).set_index("id")
    nodes["x"] = nodes["layer"].astype(float)
    nodes["y"] = 0.5
    # Tier 2 is the crowded layer: one narrow column per partner type, side by side.
    types2 = sorted(set(nodes.loc[nodes["layer"] == 2, "type"]))
    columns: list[tuple[int, str | None]] = [(0, None), (1, None), (3, None)]
    columns += [(2, t) for t in types2]
    for layer, type_ in columns:
        mask = nodes["layer"] == layer
        if type_ is not None:
            mask &= nodes["type"] == type_
            offset = types2.index(type_) - (len(types2) - 1) / 2
            nodes.loc[mask, "x"] = 2 + TYPE_COLUMN_STEP * offset
        ids = nodes.index[mask]
        if len(ids) > 1:
            nodes.loc[ids, "y"] = [1 - k / (len(ids) - 1) for k in range(len(ids))]
    shown = set(nodes.index)
    edges: dict[tuple[str, str], dict[str, Any]] = {}
    for u, v, d in G.edges(data=True):
        if u not in shown:
            continue
        if d.get("kind") == "supply" and v in shown:
            edges[(u, v)] = {"source": u, "target": v, "kind": "supply", "value": 0.0}
        elif d.get("kind") == "coverage" and v in seg_of:
            key = (u, seg_of[v])
            e = edges.setdefault(key, {"source": u, "target": seg_of[v], "kind": "coverage",
                                       "value": 0.0})
            e["value"] += float(d.get("value", 0.0))
    edge_frame = pd.DataFrame(list(edges.values()), columns=["source", "target", "kind", "value"])
    return nodes, edge_frame


def partner_view(G: nx.DiGraph, partner: str) -> dict[str, Any]:
    """One partner on the map: where it buys, whom it supplies, what it reaches.

    Returns a dict with ``routes`` (supply paths from the vendor, each a list of ids,
    through selected partners only), ``supplies`` (a table of the partners it
    supplies: ``name, type, selected, other_distributors`` = how many other selected
    distributors supply each), ``segments`` (the segments it covers: ``region,
    industry, value, others`` = how many other selected partners cover each),
    ``depends`` (selected partners it alone supplies) and ``alone_value`` (the value
    of the segments no other selected partner covers).
    """
    require_graph(G)
    if partner not in G or G.nodes[partner].get("kind") != "partner":
        raise ValueError(f"{partner!r} is not a partner of this map")
    routes: list[list[str]] = []

    def up(node: str, path: list[str]) -> None:
        if len(path) > 6:
            return
        for u in G.predecessors(node):
            if G.edges[u, node].get("kind") != "supply" or u in path:
                continue
            if u == VENDOR:
                routes.append([VENDOR, *reversed(path)])
            elif G.nodes[u].get("selected"):
                up(u, [*path, u])

    up(partner, [partner])
    sup_rows = []
    for v in sorted(G.successors(partner)):
        if G.edges[partner, v].get("kind") != "supply":
            continue
        d = G.nodes[v]
        others = [u for u in _suppliers(G, v) if u != partner]
        sup_rows.append(
            {"partner_id": v, "name": d.get("name"), "type": d.get("type"),
             "selected": bool(d.get("selected")), "other_distributors": len(others)}
        )
    supplies = pd.DataFrame(
        sup_rows, columns=["partner_id", "name", "type", "selected", "other_distributors"]
    ).set_index("partner_id")
    seg_rows = []
    for s in sorted(G.successors(partner)):
        if G.edges[partner, s].get("kind") != "coverage":
            continue
        d = G.nodes[s]
        others = [u for u in _coverers(G, s) if u != partner]
        seg_rows.append(
            {"segment_id": s, "region": d.get("region"), "industry": d.get("industry"),
             "value": float(d.get("value", 0.0)), "others": len(others)}
        )
    segments = pd.DataFrame(
        seg_rows, columns=["segment_id", "region", "industry", "value", "others"]
    ).set_index("segment_id")
    depends = [
        str(v) for v, row in supplies.iterrows() if row["selected"] and row["other_distributors"] == 0
    ]
    alone = float(segments.loc[segments["others"] == 0, "value"].sum()) if len(segments) else 0.0
    return {
        "routes": sorted(routes),
        "supplies": supplies,
        "segments": segments,
        "depends": depends,
        "alone_value": alone if G.nodes[partner].get("selected") else 0.0,
    }

"""Value flows, the layered network and one partner's view (selector.gtm.views)."""

from __future__ import annotations

from pathlib import Path

import pytest

from selector import build_graph, load_scenario, solve
from selector.gtm import NO_DISTRIBUTOR, network_layout, partner_view, value_flows

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def solved():
    s = load_scenario(ROOT / "scenarios" / "teaching.toml")
    r = solve(s)
    return s, r, build_graph(s, r)


def test_flows_conserve_the_value_reached(solved) -> None:
    _s, r, G = solved
    f = value_flows(G)
    assert list(f.columns) == ["source", "target", "value", "stage"]
    assert (f["value"] > 0).all()
    assert f[f.stage == 1]["value"].sum() == pytest.approx(r.covered_value)
    assert f[f.stage == 3]["value"].sum() == pytest.approx(r.covered_value)
    # What enters a middle node leaves it.
    for node in set(f.loc[f.stage == 1, "target"]) | set(f.loc[f.stage == 2, "target"]):
        inflow = f.loc[f.target == node, "value"].sum()
        outflow = f.loc[f.source == node, "value"].sum()
        assert inflow == pytest.approx(outflow), node
    regions = set(f.loc[f.stage == 3, "target"])
    assert regions <= {d["region"] for _, d in G.nodes(data=True) if d.get("kind") == "segment"}
    by_industry = value_flows(G, by="industry")
    assert by_industry[by_industry.stage == 3]["value"].sum() == pytest.approx(r.covered_value)
    with pytest.raises(ValueError, match="region"):
        value_flows(G, by="size")


def test_tier2_partner_without_a_selected_distributor_flows_through_a_named_node(solved) -> None:
    s, _r, _G = solved
    tier2 = s.partners.index[s.partners["gtm_tier"] == 2][0]
    G = build_graph(s, [tier2])
    f = value_flows(G)
    assert NO_DISTRIBUTOR in set(f["target"])


def test_network_layout_layers_and_edges(solved) -> None:
    _s, r, G = solved
    nodes, edges = network_layout(G)
    partners = nodes[nodes["kind"] == "partner"]
    assert set(partners.index) == set(r.selected)
    assert set(nodes["layer"]) == {0, 1, 2, 3}
    assert nodes["y"].between(0, 1).all()
    assert set(edges["source"]) <= set(nodes.index) and set(edges["target"]) <= set(nodes.index)
    every, _ = network_layout(G, selected_only=False, by="segment")
    assert (every["kind"] == "partner").sum() == len(_s.partners)


def test_partner_view_routes_dependants_and_segments(solved) -> None:
    _s, r, G = solved
    dist = next(p for p in r.selected if G.nodes[p]["type"] == "distributor")
    view = partner_view(G, dist)
    assert ["vendor", dist] in view["routes"]
    assert set(view["depends"]) <= set(view["supplies"].index)
    tier2 = next(p for p in r.selected if G.nodes[p]["tier"] == 2)
    v2 = partner_view(G, tier2)
    assert v2["routes"] and all(route[0] == "vendor" and route[-1] == tier2 for route in v2["routes"])
    assert (v2["segments"]["others"] >= 0).all()
    assert v2["alone_value"] == pytest.approx(
        v2["segments"].loc[v2["segments"]["others"] == 0, "value"].sum()
    )
    with pytest.raises(ValueError, match="not a partner"):
        partner_view(G, "vendor")

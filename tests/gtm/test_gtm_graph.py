"""Tests for selector.gtm.graph: building the map from a scenario and a result.

The scenario is ``small()`` from ``gtm_cases`` (answers worked out by hand there).
"""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace
from typing import Any

import networkx as nx
import pandas as pd
import pytest
from gtm_cases import (
    PORTFOLIO,
    SMALL_COVERAGE,
    SMALL_PARTNERS,
    SMALL_SEGMENTS,
    SMALL_SUPPLY,
    make_scenario,
    small,
)

from selector import gtm
from selector.errors import ScenarioError
from selector.gtm import (
    CYCLE_MESSAGE,
    UNKNOWN_PARTNERS_MESSAGE,
    build_graph,
    check_graph,
    nodes_of,
    routes,
    selected_ids,
)
from selector.inputs.scenario import Scenario


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return small()


# --- building -----------------------------------------------------------------------------


def test_public_names_are_exported() -> None:
    for name in gtm.__all__:
        assert hasattr(gtm, name), name
    assert {"build_graph", "check_graph", "to_dot"} <= set(gtm.__all__)


def test_build_graph_layers_and_edges(scenario: Scenario) -> None:
    G = build_graph(scenario)
    assert G.graph["has_result"] is False
    assert G.graph["name"] == scenario.name
    kinds = nx.get_node_attributes(G, "kind")
    assert kinds["vendor"] == "vendor"
    assert sum(k == "partner" for k in kinds.values()) == 8
    assert sum(k == "segment" for k in kinds.values()) == 6
    supply = {(u, v) for u, v, k in G.edges(data="kind") if k == "supply"}
    assert supply == {("vendor", "D1"), ("vendor", "D2"), ("vendor", "D3"), *SMALL_SUPPLY}
    coverage = {(u, v): d for u, v, d in G.edges(data=True) if d["kind"] == "coverage"}
    assert set(coverage) == set(SMALL_COVERAGE)
    assert coverage[("R3", "E")]["value"] == 400.0
    assert G.in_degree("R4") == 0  # no supplier: no inbound edge
    assert not G.has_edge("vendor", "R1")  # tier-2 partners never buy from the vendor


def test_build_graph_node_attributes(scenario: Scenario) -> None:
    G = build_graph(
        scenario,
        SimpleNamespace(selected=("D1", "R3")),
        scores={"R2": 0.8},
        programme_tiers=pd.Series({"D1": "gold"}),
    )
    r2 = G.nodes["R2"]
    assert r2 == {
        "kind": "partner", "name": "Reseller Two", "type": "reseller", "tier": 2,
        "region": "N;S", "cost": 20.0, "score": 0.8, "programme_tier": None, "selected": False,
    }  # fmt: skip
    assert G.nodes["D1"]["selected"] and G.nodes["D1"]["programme_tier"] == "gold"
    assert G.nodes["D1"]["score"] is None
    assert G.nodes["E"] == {
        "kind": "segment", "region": "S", "industry": "finance", "size": "smb",
        "value": 400.0, "named": False, "covered": True,
    }  # fmt: skip
    assert G.nodes["B"]["covered"] is False
    assert G.graph["has_result"] is True


def test_scores_come_from_the_partner_table_when_not_given() -> None:
    sc = small(extra_partner_columns={"score": [0.9, 0.5, 0.1, 0.7, 0.6, 0.4, 0.3, 0.2]})
    G = build_graph(sc)
    assert G.nodes["D1"]["score"] == pytest.approx(0.9)
    assert G.nodes["R5"]["score"] == pytest.approx(0.2)
    # A model can leave scores missing (NaN): no score then, not NaN.
    partners = sc.partners.copy()
    partners.loc["R5", "score"] = float("nan")
    assert build_graph(dataclasses.replace(sc, partners=partners)).nodes["R5"]["score"] is None
    assert build_graph(sc, scores={"D1": 0.2}).nodes["D1"]["score"] == 0.2


def test_result_object_and_plain_ids_give_the_same_map(scenario: Scenario) -> None:
    @dataclasses.dataclass(frozen=True)
    class Result:
        selected: tuple[str, ...]

    a = build_graph(scenario, Result(tuple(PORTFOLIO)))
    b = build_graph(scenario, set(PORTFOLIO))
    assert dict(a.nodes(data="selected")) == dict(b.nodes(data="selected"))
    assert dict(a.nodes(data="covered")) == dict(b.nodes(data="covered"))


@pytest.mark.parametrize(
    ("kwargs", "what"),
    [
        ({"result": ["D1", "X9"]}, "the result"),
        ({"scores": {"X9": 0.5}}, "scores"),
        ({"programme_tiers": {"Y1": "gold", "Y2": "gold"}}, "programme_tiers"),
    ],
)
def test_unknown_partner_ids_are_refused(
    scenario: Scenario, kwargs: dict[str, Any], what: str
) -> None:
    with pytest.raises(ScenarioError) as info:
        build_graph(scenario, **kwargs)
    unknown = [
        k
        for k in (kwargs.get("result") or kwargs.get("scores") or kwargs["programme_tiers"])
        if k[0] in "XY"
    ]
    assert str(info.value) == UNKNOWN_PARTNERS_MESSAGE.format(
        what=what, count=len(unknown), nodes=", ".join(unknown)
    )


def test_nodes_of_and_selected_ids(scenario: Scenario) -> None:
    G = build_graph(scenario)
    assert nodes_of(G, "vendor") == ["vendor"]
    assert nodes_of(G, "partner") == [p for p, *_ in SMALL_PARTNERS]
    assert nodes_of(G, "segment") == [s for s, *_ in SMALL_SEGMENTS]
    ids = pd.Index([p for p, *_ in SMALL_PARTNERS])
    assert selected_ids(None, ids) is None
    assert selected_ids(SimpleNamespace(selected=["D1", "R1"]), ids) == {"D1", "R1"}
    assert selected_ids(("R2", "R2"), ids) == frozenset({"R2"})
    with pytest.raises(ScenarioError) as info:
        selected_ids(["D1", "X9"], ids, "the list")
    assert str(info.value) == UNKNOWN_PARTNERS_MESSAGE.format(what="the list", count=1, nodes="X9")


def test_a_string_is_not_a_result(scenario: Scenario) -> None:
    with pytest.raises(ScenarioError, match="'selected' collection"):
        build_graph(scenario, "D1")


def test_ids_must_not_clash() -> None:
    partners = [*SMALL_PARTNERS[:1], ("A", "Clash", "reseller", 2, 1, "N")]
    with pytest.raises(ScenarioError, match="both a partner and a segment id"):
        make_scenario_graph(partners)
    with pytest.raises(ScenarioError, match="'vendor' is reserved"):
        make_scenario_graph([*SMALL_PARTNERS[:1], ("vendor", "V", "reseller", 2, 1, "N")])


def make_scenario_graph(partners: list[tuple[Any, ...]]) -> nx.DiGraph:
    return build_graph(make_scenario(partners, SMALL_SEGMENTS, coverage=None, supply=None))


def test_a_cyclic_supply_table_builds_and_is_reported(scenario: Scenario) -> None:
    # Files cannot hold such a table (the loader checks tiers), a hand-made scenario can.
    looped = dataclasses.replace(
        scenario,
        supply=pd.DataFrame(
            [("D1", "D2"), ("D2", "R2"), ("R2", "D1"), ("D2", "R3")],
            columns=["distributor_id", "reseller_id"],
        ),
    )
    G = build_graph(looped, PORTFOLIO)
    findings = check_graph(G)
    assert findings[0].code == "supply-cycle" and findings[0].severity == "error"
    assert findings[0].nodes == ("D1", "D2", "R2")
    assert findings[0].message == CYCLE_MESSAGE.format(count=3, cycle="D1 -> D2 -> R2 -> D1")
    # Analysis still terminates and follows simple paths only.
    assert ["vendor", "D1", "D2", "R2", "B"] in routes(G, "B")
    assert all(len(set(r)) == len(r) for s in ("A", "B", "C", "E") for r in routes(G, s))


def test_supply_rows_with_unknown_partners_are_refused(scenario: Scenario) -> None:
    broken = dataclasses.replace(
        scenario, supply=pd.DataFrame([("D1", "Z1")], columns=["distributor_id", "reseller_id"])
    )
    with pytest.raises(ScenarioError, match="the supply table names 1 partner id"):
        build_graph(broken)


def test_a_plan_gives_the_map_its_proposed_programme_tiers(scenario: Scenario) -> None:
    # The map names the programme tier the plan shown proposes, not a score band.
    ids = list(scenario.partners.index)
    plan = pd.DataFrame(
        {"proposed": ["gold"] + ["out"] * (len(ids) - 1)}, index=pd.Index(ids, name="partner_id")
    )
    result = SimpleNamespace(selected=(ids[0],), plan=plan)
    G = build_graph(scenario, result)
    assert G.nodes[ids[0]]["programme_tier"] == "gold"
    assert all(G.nodes[p]["programme_tier"] is None for p in ids[1:])
    # Given tiers win over the plan's.
    given = build_graph(scenario, result, programme_tiers={ids[0]: "silver"})
    assert given.nodes[ids[0]]["programme_tier"] == "silver"

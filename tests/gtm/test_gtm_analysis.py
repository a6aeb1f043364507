"""Tests for selector.gtm.analysis: checks, routes, distributor load, single points of
failure, the conflict graph.

Most tests use ``small()`` from ``gtm_cases`` (answers worked out by hand there).
"""

from __future__ import annotations

import itertools
import re

import networkx as nx
import pytest
from conftest import TEACHING_TOML
from gtm_cases import (
    PORTFOLIO,
    SMALL_PARTNERS,
    SMALL_SEGMENTS,
    make_scenario,
    small,
    spof_by_removal,
)

from selector.errors import ScenarioError
from selector.gtm import (
    CYCLE_MESSAGE,
    IDLE_DISTRIBUTOR_MESSAGE,
    NO_DISTRIBUTOR_MESSAGE,
    NO_RESULT_MESSAGE,
    NO_SEGMENT_MESSAGE,
    UNREACHABLE_SEGMENT_MESSAGE,
    Finding,
    build_graph,
    check_graph,
    conflict_graph,
    conflict_pairs_above,
    distributor_load,
    routes,
    single_points_of_failure,
    uncovered_segments,
)
from selector.inputs.scenario import Scenario, load_scenario


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return small()


@pytest.fixture(scope="module")
def solved(scenario: Scenario) -> nx.DiGraph:
    return build_graph(scenario, PORTFOLIO)


# --- checks ---------------------------------------------------------------------------------


def test_check_graph_reports_each_problem_once(scenario: Scenario) -> None:
    G = build_graph(scenario)
    findings = check_graph(G)
    assert all(isinstance(f, Finding) for f in findings)
    by_code = {f.code: f for f in findings}
    assert list(by_code) == [
        "tier2-without-distributor", "idle-distributor", "unreachable-segment",
        "partner-without-segment",
    ]  # fmt: skip
    assert {f.severity for f in findings} == {"warning"}
    assert by_code["tier2-without-distributor"].nodes == ("R4",)
    assert by_code["tier2-without-distributor"].message == NO_DISTRIBUTOR_MESSAGE.format(
        count=1, nodes="R4 (Orphan Four)"
    )
    assert by_code["idle-distributor"].nodes == ("D3",)
    assert by_code["idle-distributor"].message == IDLE_DISTRIBUTOR_MESSAGE.format(
        count=1, nodes="D3 (Idle Dist)"
    )
    assert by_code["unreachable-segment"].nodes == ("F", "G")
    assert by_code["unreachable-segment"].message == UNREACHABLE_SEGMENT_MESSAGE.format(
        count=2, value="120", uncovered=1, cut_off=1, nodes="F, G"
    )
    # D3 reaches no segment either, but is already reported as an idle distributor.
    assert by_code["partner-without-segment"].nodes == ("R5",)
    assert by_code["partner-without-segment"].message == NO_SEGMENT_MESSAGE.format(
        count=1, nodes="R5 (Silent Five)"
    )


def test_a_sound_map_has_no_findings() -> None:
    G = build_graph(load_scenario(TEACHING_TOML))
    findings = check_graph(G)
    # The teaching data leaves two segments uncovered on purpose, and nothing else.
    assert [f.code for f in findings] == ["unreachable-segment"]
    assert set(findings[0].nodes) == {"N-RET-ENT", "E-EDU-ENT"}


def test_messages_name_the_first_few_nodes_and_count_the_rest() -> None:
    partners = [SMALL_PARTNERS[0]] + [
        (f"R{k}", f"Orphan {k}", "reseller", 2, 1, "N") for k in range(1, 9)
    ]
    sc = make_scenario(partners, SMALL_SEGMENTS[:1], coverage=None, supply=None)
    (finding,) = [f for f in check_graph(build_graph(sc)) if f.code == "tier2-without-distributor"]
    assert len(finding.nodes) == 8
    assert finding.message.startswith("8 tier-2 partner(s) have no distributor")
    assert (
        "R1 (Orphan 1), R2 (Orphan 2), R3 (Orphan 3), R4 (Orphan 4), R5 (Orphan 5) and 3 more"
        in finding.message
    )


def hand_graph() -> nx.DiGraph:
    G = nx.DiGraph(has_result=True)
    G.add_node("vendor", kind="vendor")
    for p, tier in (("D1", 1), ("D2", 1), ("R1", 2)):
        G.add_node(p, kind="partner", tier=tier, selected=True)
    G.add_node("S1", kind="segment", value=10.0)
    G.add_edges_from([("vendor", "D1"), ("vendor", "D2"), ("D1", "R1"), ("R1", "S1"), ("D2", "S1")])
    return G


def test_supply_cycle_on_a_hand_built_graph() -> None:
    G = hand_graph()
    assert check_graph(G) == []
    G.add_edges_from([("R1", "D2"), ("D2", "D1")])  # D1 -> R1 -> D2 -> D1
    (finding,) = check_graph(G)
    assert finding == Finding(
        "supply-cycle", "error", CYCLE_MESSAGE.format(count=3, cycle="D1 -> R1 -> D2 -> D1"),
        ("D1", "D2", "R1"),
    )  # fmt: skip


def test_cycles_come_first_and_a_self_loop_is_a_cycle(solved: nx.DiGraph) -> None:
    G = solved.copy()
    G.add_edge("R3", "R3")
    G.add_edge("R2", "D1")
    findings = check_graph(G)
    errors = [f for f in findings if f.severity == "error"]
    assert [f.nodes for f in errors] == [("D1", "R2"), ("R3",)]
    assert findings[: len(errors)] == errors
    assert errors[1].message == CYCLE_MESSAGE.format(count=1, cycle="R3 -> R3")


def test_checks_state_their_preconditions() -> None:
    with pytest.raises(ScenarioError, match=re.escape("networkx.DiGraph from build_graph")):
        check_graph(nx.Graph())
    G = nx.DiGraph()
    G.add_node("x")
    with pytest.raises(ScenarioError, match="node 'x' has kind None"):
        check_graph(G)


# --- analysis -------------------------------------------------------------------------------


def test_routes_by_hand(solved: nx.DiGraph) -> None:
    assert routes(solved, "A") == [["vendor", "D1", "A"], ["vendor", "D1", "R1", "A"]]
    assert routes(solved, "B") == [
        ["vendor", "D1", "R1", "B"], ["vendor", "D1", "R2", "B"], ["vendor", "D2", "R2", "B"],
    ]  # fmt: skip
    assert routes(solved, "E") == [["vendor", "D2", "E"], ["vendor", "D2", "R3", "E"]]
    assert routes(solved, "F") == []
    assert routes(solved, "G") == []  # R4 is selected but has no distributor


def test_a_tier2_route_needs_a_selected_distributor(scenario: Scenario) -> None:
    G = build_graph(scenario, ["D1", "R2", "R3"])  # D2, R3's only distributor, is out
    assert routes(G, "C") == [["vendor", "D1", "R2", "C"]]
    assert routes(G, "E") == []
    assert G.nodes["E"]["covered"] is True  # a selected partner covers it ...
    assert "E" in uncovered_segments(G)  # ... but no selected route reaches it
    # Even an edge from the vendor straight to a tier-2 partner does not count.
    G.add_edge("vendor", "R3", kind="supply")
    assert routes(G, "E") == []


def test_uncovered_segments(solved: nx.DiGraph) -> None:
    assert uncovered_segments(solved) == ["F", "G"]
    assert solved.nodes["G"]["covered"] is True and solved.nodes["F"]["covered"] is False


def test_distributor_load_by_hand(solved: nx.DiGraph) -> None:
    load = distributor_load(solved)
    assert list(load.index) == ["D2", "D1"]
    assert list(load.columns) == ["name", "resellers", "segments", "value", "share"]
    assert load.loc["D2", "resellers"] == 2 and load.loc["D1", "resellers"] == 2  # R5 is out
    assert load.loc["D2", "segments"] == 3 and load.loc["D1", "segments"] == 3
    assert load.loc["D2", "value"] == pytest.approx(900.0)
    assert load.loc["D1", "value"] == pytest.approx(600.0)
    assert load.loc["D2", "share"] == pytest.approx(0.9)
    assert load.loc["D1", "share"] == pytest.approx(0.6)
    assert load.loc["D1", "name"] == "North Dist"


def test_single_points_of_failure_by_hand(solved: nx.DiGraph) -> None:
    spof = single_points_of_failure(solved)
    assert list(spof.index) == ["D2", "D1"]
    assert spof.loc["D2", "lost_value"] == pytest.approx(400.0)
    assert spof.loc["D2", "segment_ids"] == ("E",)
    assert spof.loc["D1", "lost_value"] == pytest.approx(100.0)
    assert spof.loc["D1", "lost_segments"] == 1
    assert spof.loc["D1", "share"] == pytest.approx(0.1)
    assert list(single_points_of_failure(solved, top=1).index) == ["D2"]
    with pytest.raises(ScenarioError, match="top is 0"):
        single_points_of_failure(solved, top=0)


def test_single_points_of_failure_match_dropping_each_distributor(scenario: Scenario) -> None:
    for selected in (PORTFOLIO, ["D1", "R1", "R2"], ["D1", "D2", "D3", "R2", "R3", "R5"]):
        spof = single_points_of_failure(build_graph(scenario, selected), top=None)
        expected = spof_by_removal(scenario, selected)
        assert {d: set(spof.loc[d, "segment_ids"]) for d in spof.index} == expected


def test_analysis_needs_a_result(scenario: Scenario) -> None:
    G = build_graph(scenario)
    for fn in (uncovered_segments, distributor_load, single_points_of_failure):
        with pytest.raises(ScenarioError) as info:
            fn(G)
        assert str(info.value) == NO_RESULT_MESSAGE
    with pytest.raises(ScenarioError, match="'ZZ' is not a segment of this map"):
        routes(build_graph(scenario, PORTFOLIO), "ZZ")


def test_analysis_of_an_empty_portfolio(scenario: Scenario) -> None:
    G = build_graph(scenario, [])
    assert uncovered_segments(G) == ["A", "B", "C", "E", "F", "G"]
    assert distributor_load(G).empty and list(distributor_load(G).columns) == [
        "name", "resellers", "segments", "value", "share",
    ]  # fmt: skip
    assert single_points_of_failure(G).empty


# --- conflict graph -------------------------------------------------------------------------


def brute_force_shared(sc: Scenario, ids: list[str]) -> dict[tuple[str, str], tuple[int, float]]:
    covers: dict[str, set[str]] = {p: set() for p in ids}
    for p, s in zip(sc.coverage["partner_id"], sc.coverage["segment_id"], strict=True):
        if p in covers:
            covers[p].add(s)
    value = sc.segments["value"]
    out = {}
    for a, b in itertools.combinations(ids, 2):
        both = covers[a] & covers[b]
        if both:
            out[tuple(sorted((a, b)))] = (len(both), float(sum(value[s] for s in both)))
    return out  # type: ignore[return-value]


def edges_of(H: nx.Graph) -> dict[tuple[str, str], tuple[int, float]]:
    return {
        tuple(sorted((u, v))): (d["shared_segments"], d["weight"]) for u, v, d in H.edges(data=True)
    }


def test_conflict_graph_matches_a_brute_force_loop() -> None:
    sc = load_scenario(TEACHING_TOML)  # coverage by attribute match: plenty of overlaps
    H = conflict_graph(sc)
    expected = brute_force_shared(sc, list(sc.partners.index))
    got = edges_of(H)
    assert set(got) == set(expected)
    for pair, (count, value) in expected.items():
        assert got[pair][0] == count
        assert got[pair][1] == pytest.approx(value)
    assert H.number_of_nodes() == 12
    assert H.nodes["D01"]["type"] == "distributor" and H.nodes["D01"]["tier"] == 1


def test_conflict_graph_marks_declared_pairs_and_filters() -> None:
    sc = load_scenario(TEACHING_TOML)
    H = conflict_graph(sc)
    assert H["R02"]["R10"]["declared"] is True
    assert sum(d["declared"] for _, _, d in H.edges(data=True)) == 1
    expected = brute_force_shared(sc, list(sc.partners.index))
    shared_r02_r10 = expected[("R02", "R10")]
    # Above the threshold only heavy pairs stay, but the declared pair always does,
    # with its real shared value.
    cut = shared_r02_r10[1] + 1
    F = conflict_graph(sc, min_shared_value=cut)
    assert F["R02"]["R10"]["weight"] == pytest.approx(shared_r02_r10[1])
    assert F["R02"]["R10"]["shared_segments"] == shared_r02_r10[0]
    heavy = {pair for pair, (_, v) in expected.items() if v >= cut}
    assert set(edges_of(F)) == heavy | {("R02", "R10")}
    # Only the selected partners.
    S = conflict_graph(sc, selected=["D01", "R01", "R03", "R10"])
    assert set(S.nodes) == {"D01", "R01", "R03", "R10"}
    assert set(edges_of(S)) == set(brute_force_shared(sc, ["D01", "R01", "R03", "R10"]))
    with pytest.raises(ScenarioError, match="min_shared_value is -1"):
        conflict_graph(sc, min_shared_value=-1)


def test_shared_counts_do_not_overflow() -> None:
    # The coverage matrix is int8; 300 shared segments must still count as 300.
    segments = [(f"S{k:03d}", "N", "retail", 1) for k in range(300)]
    partners = [("P1", "One", "reseller", 1, 1, "N"), ("P2", "Two", "reseller", 1, 1, "N")]
    sc = make_scenario(partners, segments, coverage=None, supply=None)
    H = conflict_graph(sc)
    assert H["P1"]["P2"]["shared_segments"] == 300
    assert H["P1"]["P2"]["weight"] == pytest.approx(300.0)


def test_conflict_pairs_above() -> None:
    sc = load_scenario(TEACHING_TOML)
    expected = brute_force_shared(sc, list(sc.partners.index))
    threshold = 1_000_000
    want = sorted(
        ((v, pair) for pair, (_, v) in expected.items() if v > threshold),
        key=lambda t: (-t[0], t[1]),
    )
    pairs = conflict_pairs_above(sc, threshold)
    assert pairs == [pair for _, pair in want]
    assert pairs and all(a < b for a, b in pairs)
    assert conflict_pairs_above(sc, 1e12) == []
    with pytest.raises(ScenarioError, match="threshold is nan"):
        conflict_pairs_above(sc, float("nan"))

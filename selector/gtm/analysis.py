"""Checks and analysis of a go-to-market map (built by :mod:`selector.gtm.graph`).

On a map from :func:`~selector.gtm.graph.build_graph`, :func:`check_graph` reports
structural problems (supply cycles, tier-2 partners with no distributor, idle
distributors, segments nobody can reach, partners that reach no segment), and on a map
built with a portfolio result :func:`routes`, :func:`uncovered_segments`,
:func:`distributor_load` and :func:`single_points_of_failure` say how value reaches each
segment and what depends on which distributor.

A *selected route* to a segment is a path ``vendor -> ... -> P -> S`` whose partners
are all selected, where a tier-2 partner only counts when it is supplied through a
selected distributor (the vendor does not sell to tier-2 partners directly).

:func:`conflict_graph` links partners that chase the same segments (shared value
computed with sparse algebra); :func:`conflict_pairs_above` (from
:mod:`selector.inputs.overlap`) turns the heaviest of them into conflict pairs.
"""

from __future__ import annotations

import math
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from selector.errors import ScenarioError
from selector.gtm.graph import (
    CYCLE_MESSAGE,
    IDLE_DISTRIBUTOR_MESSAGE,
    NO_DISTRIBUTOR_MESSAGE,
    NO_SEGMENT_MESSAGE,
    UNREACHABLE_SEGMENT_MESSAGE,
    VENDOR,
    Finding,
    check_count,
    describe_nodes,
    nodes_of,
    require_graph,
    require_result,
    selected_ids,
)
from selector.inputs.overlap import conflict_pairs_above, shared_pairs
from selector.inputs.scenario import Scenario

__all__ = [
    "check_graph",
    "conflict_graph",
    "conflict_pairs_above",
    "distributor_load",
    "routes",
    "single_points_of_failure",
    "uncovered_segments",
]


# --- checks -----------------------------------------------------------------------------


def check_graph(G: nx.DiGraph) -> list[Finding]:
    """Structural problems of a go-to-market map, errors first.

    Parameters
    ----------
    G
        A map from :func:`build_graph`, or any DiGraph whose nodes carry ``kind``
        (``"vendor"``, ``"partner"``, ``"segment"``) and whose partners carry ``tier``.
        Any edge between two partners is read as supply.

    Returns
    -------
    list of Finding
        ``supply-cycle`` (error, one per strongly connected group of partners),
        ``tier2-without-distributor``, ``idle-distributor``, ``unreachable-segment`` and
        ``partner-without-segment`` (warnings, one each, listing every node).
        Empty when the map is sound.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph()
    >>> G.add_node("vendor", kind="vendor")
    >>> for p in ("D1", "D2"):
    ...     G.add_node(p, kind="partner", tier=1)
    ...     G.add_edge("vendor", p)
    >>> G.add_node("S1", kind="segment", value=10.0)
    >>> G.add_edges_from([("D1", "D2"), ("D2", "D1"), ("D1", "S1"), ("D2", "S1")])
    >>> [(f.code, f.severity, f.nodes) for f in check_graph(G)]
    [('supply-cycle', 'error', ('D1', 'D2'))]
    """
    require_graph(G)
    findings: list[Finding] = []
    order = {n: i for i, n in enumerate(G.nodes)}
    partners = nodes_of(G, "partner")
    segments = nodes_of(G, "segment")
    pset = set(partners)

    chain = G.subgraph(partners)
    for comp in sorted(
        nx.strongly_connected_components(chain), key=lambda c: min(order[n] for n in c)
    ):
        first = min(comp, key=order.__getitem__)
        if len(comp) == 1 and not chain.has_edge(first, first):
            continue
        cycle = [u for u, _ in nx.find_cycle(chain.subgraph(comp), source=first)]
        nodes = tuple(sorted(comp, key=order.__getitem__))
        findings.append(
            Finding(
                "supply-cycle",
                "error",
                CYCLE_MESSAGE.format(count=len(comp), cycle=" -> ".join([*cycle, cycle[0]])),
                nodes,
            )
        )

    orphans = [
        p
        for p in partners
        if G.nodes[p].get("tier") == 2 and not any(q in pset for q in G.predecessors(p))
    ]
    if orphans:
        findings.append(
            Finding(
                "tier2-without-distributor",
                "warning",
                NO_DISTRIBUTOR_MESSAGE.format(count=len(orphans), nodes=describe_nodes(orphans, G)),
                tuple(orphans),
            )
        )

    idle = [p for p in partners if G.nodes[p].get("tier") == 1 and G.out_degree(p) == 0]
    if idle:
        findings.append(
            Finding(
                "idle-distributor",
                "warning",
                IDLE_DISTRIBUTOR_MESSAGE.format(count=len(idle), nodes=describe_nodes(idle, G)),
                tuple(idle),
            )
        )

    reachable = nx.descendants(G, VENDOR) if VENDOR in G else set()
    lost = [s for s in segments if s not in reachable]
    if lost:
        nobody = sum(1 for s in lost if not any(q in pset for q in G.predecessors(s)))
        value = sum(float(G.nodes[s].get("value", 0.0)) for s in lost)
        findings.append(
            Finding(
                "unreachable-segment",
                "warning",
                UNREACHABLE_SEGMENT_MESSAGE.format(
                    count=len(lost),
                    value=f"{value:,.0f}",
                    uncovered=nobody,
                    cut_off=len(lost) - nobody,
                    nodes=describe_nodes(lost),
                ),
                tuple(lost),
            )
        )

    # Partners with a path to some segment: walk the edges backwards from all segments.
    reaches: set[str] = set()
    frontier = list(segments)
    while frontier:
        node = frontier.pop()
        for q in G.predecessors(node):
            if q in pset and q not in reaches:
                reaches.add(q)
                frontier.append(q)
    idle_set = set(idle)
    dead = [p for p in partners if p not in reaches and p not in idle_set]
    if dead:
        findings.append(
            Finding(
                "partner-without-segment",
                "warning",
                NO_SEGMENT_MESSAGE.format(count=len(dead), nodes=describe_nodes(dead, G)),
                tuple(dead),
            )
        )
    return findings


# --- analysis of a solved portfolio ------------------------------------------------------


def supply_paths(G: nx.DiGraph) -> dict[str, list[tuple[str, ...]]]:
    """Selected supply paths ``vendor -> ... -> P`` to every partner that has one."""
    selected = {
        n for n, d in G.nodes(data=True) if d.get("kind") == "partner" and d.get("selected")
    }
    out: dict[str, list[tuple[str, ...]]] = {}
    if VENDOR not in G:
        return out
    stack: list[tuple[str, ...]] = [(VENDOR,)]
    while stack:
        path = stack.pop()
        for nxt in G.successors(path[-1]):
            if nxt not in selected or nxt in path:
                continue
            if path[-1] == VENDOR and G.nodes[nxt].get("tier") == 2:
                continue  # the vendor does not sell to tier-2 partners directly
            longer = (*path, nxt)
            out.setdefault(nxt, []).append(longer)
            stack.append(longer)
    return out


def _segment_routes(G: nx.DiGraph) -> dict[str, list[tuple[str, ...]]]:
    paths = supply_paths(G)
    out: dict[str, list[tuple[str, ...]]] = {}
    for s in nodes_of(G, "segment"):
        found = [(*path, s) for p in G.predecessors(s) for path in paths.get(p, ())]
        out[s] = sorted(found)
    return out


def routes(G: nx.DiGraph, segment: str) -> list[list[str]]:
    """The selected routes that bring the vendor's offer to ``segment``.

    Parameters
    ----------
    G
        A map built with a portfolio result (``build_graph(scenario, result)``).
    segment
        A segment id.

    Returns
    -------
    list of list of str
        Each route as node ids ``["vendor", ..., partner, segment]`` through selected
        partners only, tier-2 partners only behind a selected distributor; sorted.
        Empty when the portfolio does not reach the segment.

    Raises
    ------
    ScenarioError
        The map has no result, or ``segment`` is not a segment of the map.
    """
    require_result(G)
    if segment not in G or G.nodes[segment].get("kind") != "segment":
        raise ScenarioError(f"'{segment}' is not a segment of this map")
    paths = supply_paths(G)
    found = [[*path, segment] for p in G.predecessors(segment) for path in paths.get(p, ())]
    return sorted(found)


def uncovered_segments(G: nx.DiGraph) -> list[str]:
    """Segments that no selected route reaches, in segment-table order.

    A segment covered only by selected tier-2 partners whose distributors are all
    unselected counts as uncovered here (its node attribute ``covered`` is still true:
    that attribute only asks whether a selected partner covers it).

    Raises
    ------
    ScenarioError
        The map was built without a result.
    """
    require_result(G)
    paths = supply_paths(G)
    return [s for s in nodes_of(G, "segment") if not any(p in paths for p in G.predecessors(s))]


def _distributor_stats(
    G: nx.DiGraph,
) -> tuple[list[str], dict[str, set[str]], dict[str, set[str]], float]:
    """Selected tier-1 partners; segments each carries; segments each alone carries;
    total value reached by the portfolio."""
    seg_routes = _segment_routes(G)
    dists = [
        n
        for n in nodes_of(G, "partner")
        if G.nodes[n].get("selected") and G.nodes[n].get("tier") == 1
    ]
    through: dict[str, set[str]] = {d: set() for d in dists}
    alone: dict[str, set[str]] = {d: set() for d in dists}
    reached = 0.0
    for s, rs in seg_routes.items():
        if not rs:
            continue
        reached += float(G.nodes[s]["value"])
        sets = [set(r) for r in rs]
        for d in set().union(*sets) & through.keys():
            through[d].add(s)
        for d in set.intersection(*sets) & alone.keys():
            alone[d].add(s)
    return dists, through, alone, reached


def distributor_load(G: nx.DiGraph) -> pd.DataFrame:
    """How much of the reached segment value flows through each selected distributor.

    Parameters
    ----------
    G
        A map built with a portfolio result.

    Returns
    -------
    pandas.DataFrame
        Indexed by distributor id (every selected tier-1 partner), sorted by value
        descending, with columns ``name``; ``resellers`` (selected partners it
        supplies); ``segments`` and ``value`` (segments with a selected route through it,
        via its resellers or itself, and their total value); ``share`` (``value`` over the
        total value the portfolio reaches; shares add to more than 1 where distributors
        overlap).
    """
    require_result(G)
    dists, through, _, reached = _distributor_stats(G)
    rows = []
    for d in dists:
        value = sum(float(G.nodes[s]["value"]) for s in through[d])
        rows.append(
            {
                "distributor": d,
                "name": G.nodes[d].get("name", d),
                "resellers": sum(
                    1
                    for r in G.successors(d)
                    if G.nodes[r].get("kind") == "partner" and G.nodes[r].get("selected")
                ),
                "segments": len(through[d]),
                "value": value,
                "share": value / reached if reached > 0 else 0.0,
            }
        )
    frame = pd.DataFrame(
        rows, columns=["distributor", "name", "resellers", "segments", "value", "share"]
    )
    frame = frame.astype(
        {"name": object, "resellers": "int64", "segments": "int64", "value": float, "share": float}
    )
    frame = frame.sort_values(["value", "distributor"], ascending=[False, True], kind="stable")
    return frame.set_index("distributor")


def single_points_of_failure(G: nx.DiGraph, *, top: int | None = 10) -> pd.DataFrame:
    """The segment value each selected distributor alone holds up.

    A segment is lost with distributor ``D`` when every selected route to it passes
    through ``D`` (including routes where ``D`` covers the segment itself).

    Parameters
    ----------
    G
        A map built with a portfolio result.
    top
        Keep the ``top`` rows with the most value at risk; ``None`` keeps all.

    Returns
    -------
    pandas.DataFrame
        Indexed by distributor id, sorted by ``lost_value`` descending, with columns
        ``name``, ``lost_segments``, ``lost_value``, ``share`` (of the value the
        portfolio reaches) and ``segment_ids`` (a tuple, most valuable first).
    """
    require_result(G)
    if top is not None:
        check_count("top", top, minimum=1)
    dists, _, alone, reached = _distributor_stats(G)
    rows = []
    for d in dists:
        lost = sorted(alone[d], key=lambda s: (-float(G.nodes[s]["value"]), s))
        value = sum(float(G.nodes[s]["value"]) for s in lost)
        rows.append(
            {
                "distributor": d,
                "name": G.nodes[d].get("name", d),
                "lost_segments": len(lost),
                "lost_value": value,
                "share": value / reached if reached > 0 else 0.0,
                "segment_ids": tuple(lost),
            }
        )
    frame = pd.DataFrame(
        rows,
        columns=["distributor", "name", "lost_segments", "lost_value", "share", "segment_ids"],
    )
    frame = frame.astype(
        {
            "name": object,
            "lost_segments": "int64",
            "lost_value": float,
            "share": float,
            "segment_ids": object,
        }
    )
    frame = frame.sort_values(["lost_value", "distributor"], ascending=[False, True], kind="stable")
    frame = frame.set_index("distributor")
    return frame if top is None else frame.head(top)


# --- channel conflict -------------------------------------------------------------------


def _selected_rows(scenario: Scenario, selected: Any) -> np.ndarray:
    ids = pd.Index(scenario.partners.index.astype(str))
    chosen = selected_ids(selected, ids, "selected")
    if chosen is None:
        return np.arange(len(ids))
    return np.flatnonzero(ids.isin(list(chosen)))


def conflict_graph(
    scenario: Scenario, *, selected: Any = None, min_shared_value: float = 0.0
) -> nx.Graph:
    """Partners linked when they chase the same segments (horizontal channel conflict).

    The shared value of every pair comes from one sparse product
    ``C diag(value) C^T`` on the partners x segments coverage matrix, so a 600-partner
    channel takes well under a second.

    Parameters
    ----------
    scenario
        A loaded scenario.
    selected
        Only these partners (a collection of ids, or a result with ``.selected``);
        ``None``: all partners.
    min_shared_value
        Link a pair only when the segments it shares are worth at least this much.
        Declared conflicts (``constraints.conflicts``) are always linked.

    Returns
    -------
    networkx.Graph
        Nodes are partner ids with ``name, type, tier, cost``. Edges carry ``weight``
        (total value of the shared segments), ``shared_segments`` (their count) and
        ``declared`` (True for a pair of the scenario's conflict list).

    Examples
    --------
    >>> from selector import load_scenario
    >>> scenario = load_scenario("scenarios/teaching.toml")
    >>> H = conflict_graph(scenario, min_shared_value=1e6)
    >>> H["R02"]["R10"]["weight"], H["R02"]["R10"]["declared"]
    (248000.0, True)
    """
    if (
        isinstance(min_shared_value, bool)
        or not isinstance(min_shared_value, int | float)
        or not math.isfinite(min_shared_value)
        or min_shared_value < 0
    ):
        raise ScenarioError(f"min_shared_value is {min_shared_value!r}; accepted: a number >= 0")
    rows = _selected_rows(scenario, selected)
    partners = scenario.partners
    ids = partners.index.astype(str).to_numpy()[rows]
    H = nx.Graph(name=scenario.name)
    H.add_nodes_from(
        (pid, {"name": str(name), "type": str(type_), "tier": int(tier), "cost": float(cost)})
        for pid, name, type_, tier, cost in zip(
            ids,
            partners["name"].to_numpy()[rows],
            partners["type"].to_numpy()[rows],
            partners["gtm_tier"].to_numpy()[rows],
            partners["cost"].to_numpy()[rows],
            strict=True,
        )
    )
    i, j, n, w = shared_pairs(scenario, rows)
    keep = w >= min_shared_value
    H.add_edges_from(
        (a, b, {"weight": x, "shared_segments": c, "declared": False})
        for a, b, c, x in zip(
            ids[i[keep]].tolist(),
            ids[j[keep]].tolist(),
            n[keep].tolist(),
            w[keep].tolist(),
            strict=True,
        )
    )
    declared = [(a, b) for a, b in scenario.constraints.conflicts if a in H and b in H]
    if declared:
        where = {pid: k for k, pid in enumerate(ids)}
        lookup = {
            (int(a), int(b)): (int(c), float(x)) for a, b, c, x in zip(i, j, n, w, strict=True)
        }
        for a, b in declared:
            if H.has_edge(a, b):
                H[a][b]["declared"] = True
                continue
            lo, hi = sorted((where[a], where[b]))
            c, x = lookup.get((lo, hi), (0, 0.0))
            H.add_edge(a, b, weight=x, shared_segments=c, declared=True)
    return H

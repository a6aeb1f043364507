"""The go-to-market map: vendor -> distributors -> tier-2 partners -> customer segments.

:func:`build_graph` turns a scenario (and, optionally, a solved portfolio) into a
:class:`networkx.DiGraph` with one node ``"vendor"``, one node per partner and one per
segment, named by their ids:

* ``vendor -> P`` for every tier-1 partner (``gtm_tier = 1``: it buys from the vendor);
* ``D -> R`` for every row of the supply table (distributor ``D`` supplies ``R``);
  a tier-2 partner that no distributor supplies gets no inbound edge;
* ``P -> S`` for every partner/segment pair of the coverage table.

On that graph, :func:`check_graph` reports structural problems (supply cycles, tier-2
partners with no distributor, idle distributors, segments nobody can reach, partners
that reach no segment), and on a map built with a portfolio result :func:`routes`,
:func:`uncovered_segments`, :func:`distributor_load` and :func:`single_points_of_failure`
say how value reaches each segment and what depends on which distributor.

A *selected route* to a segment is a path ``vendor -> ... -> P -> S`` whose partners
are all selected, where a tier-2 partner only counts when it is supplied through a
selected distributor (the vendor does not sell to tier-2 partners directly).

:func:`conflict_graph` links partners that chase the same segments (shared value
computed with sparse algebra), and :func:`to_dot` / :func:`write_picture` draw the map,
rolled up so that a 600-partner channel stays readable.
"""

from __future__ import annotations

import math
import os
import secrets
import shutil
import subprocess
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import networkx as nx
import numpy as np
import pandas as pd

from selector.errors import ScenarioError, SelectorError
from selector.inputs.overlap import conflict_pairs_above, shared_pairs
from selector.inputs.scenario import Scenario

__all__ = [
    "AGGREGATE_FIELDS",
    "CYCLE_MESSAGE",
    "DOT_FAILED_MESSAGE",
    "DOT_MISSING_MESSAGE",
    "IDLE_DISTRIBUTOR_MESSAGE",
    "NO_DISTRIBUTOR_MESSAGE",
    "NO_RESULT_MESSAGE",
    "NO_SEGMENT_MESSAGE",
    "OVERWRITE_MESSAGE",
    "PICTURE_FORMATS",
    "RESULT_FORMAT_MESSAGE",
    "UNKNOWN_PARTNERS_MESSAGE",
    "UNREACHABLE_SEGMENT_MESSAGE",
    "VENDOR",
    "Finding",
    "build_graph",
    "check_graph",
    "conflict_graph",
    "conflict_pairs_above",
    "distributor_load",
    "routes",
    "single_points_of_failure",
    "to_dot",
    "uncovered_segments",
    "write_picture",
]

VENDOR = "vendor"
NODE_KINDS = ("vendor", "partner", "segment")
AGGREGATE_FIELDS = ("region", "industry")
PICTURE_FORMATS = ("png", "svg", "pdf")
SHOW_NODES = 5  # how many node ids a message names before "and N more"

# --- user-facing messages (tests match on these) ----------------------------------------

CYCLE_MESSAGE = (
    "the supply chain has a cycle through {count} partner(s): {cycle}; a partner cannot "
    "buy, directly or through others, from a partner it supplies. Remove one of these "
    "supply rows (distributor_id,reseller_id)"
)
NO_DISTRIBUTOR_MESSAGE = (
    "{count} tier-2 partner(s) have no distributor, so nothing they sell reaches "
    "customers through the channel: {nodes}. Add a supply row "
    "(distributor_id,reseller_id) for each, or make them tier 1 (gtm_tier = 1)"
)
IDLE_DISTRIBUTOR_MESSAGE = (
    "{count} distributor(s) supply no partner and cover no segment themselves: {nodes}. "
    "Add supply or coverage rows for them, or leave them out of the partner table"
)
UNREACHABLE_SEGMENT_MESSAGE = (
    "{count} segment(s) worth {value} cannot be reached from the vendor through any "
    "partner ({uncovered} covered by no partner, {cut_off} only by partners with no supply "
    "route): {nodes}"
)
NO_SEGMENT_MESSAGE = (
    "{count} partner(s) reach no customer segment, neither directly nor through the "
    "partners they supply: {nodes}. Check their regions, industries and sizes, or the "
    "coverage table"
)
NO_RESULT_MESSAGE = (
    "this map was built without a portfolio result, so no partner is selected; build it "
    "with build_graph(scenario, result) (selector map --result RESULT.json) to analyse a "
    "solved portfolio"
)
UNKNOWN_PARTNERS_MESSAGE = (
    "{what} names {count} partner id(s) that are not in the partner table: {nodes}"
)
RESULT_FORMAT_MESSAGE = (
    "a portfolio result must be a JSON object with a 'selected' list of partner ids "
    "(the output of selector solve --json); found {found}"
)
DOT_MISSING_MESSAGE = (
    "cannot draw the map as {format}: the Graphviz 'dot' program is not installed or not "
    "on PATH. Install Graphviz (Debian/Ubuntu: apt-get install graphviz; macOS: brew "
    "install graphviz; Windows: winget install graphviz), or write the DOT text instead "
    "(to_dot(), selector map --dot FILE)"
)
DOT_FAILED_MESSAGE = "Graphviz 'dot' failed (exit status {status}) drawing {file}: {stderr}"
OVERWRITE_MESSAGE = (
    "the file already exists and was left as it is; pass overwrite=True "
    "(selector map --force) to replace it, or choose another file name"
)

Severity = Literal["error", "warning"]
Aggregate = Literal["region", "industry"]


@dataclass(frozen=True)
class Finding:
    """One problem :func:`check_graph` found in a go-to-market map.

    Attributes
    ----------
    code
        A stable identifier: ``supply-cycle``, ``tier2-without-distributor``,
        ``idle-distributor``, ``unreachable-segment`` or ``partner-without-segment``.
    severity
        ``"error"`` (the map is inconsistent) or ``"warning"`` (worth a look).
    message
        A sentence for people, naming the first few nodes and how many there are.
    nodes
        Every node concerned, in graph order.
    """

    code: str
    severity: Severity
    message: str
    nodes: tuple[str, ...]


# --- small helpers ----------------------------------------------------------------------


def _some(ids: Iterable[str], G: nx.DiGraph | None = None, *, first: int = SHOW_NODES) -> str:
    """``"A, B, C and 4 more"``; partners are shown with their names when known."""
    items = list(ids)
    shown = []
    for node in items[:first]:
        name = G.nodes[node].get("name") if G is not None and node in G else None
        shown.append(f"{node} ({name})" if name and name != node else str(node))
    more = len(items) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _short(x: float) -> str:
    """A money amount for labels: 950, 4,500, 180k, 1.2M, 3.4B."""
    a = abs(x)
    if a >= 1e9:
        return f"{x / 1e9:.1f}B"
    if a >= 1e6:
        return f"{x / 1e6:.1f}M"
    if a >= 1e4:
        return f"{x / 1e3:.0f}k"
    return f"{x:,.0f}"


def _as_mapping(values: Any, what: str) -> dict[str, Any]:
    if isinstance(values, pd.Series):
        return {str(k): v for k, v in values.items()}
    if isinstance(values, Mapping):
        return {str(k): v for k, v in values.items()}
    raise ScenarioError(
        f"{what} must be a mapping (or pandas Series) from partner id to value, "
        f"found {type(values).__name__}"
    )


def _check_known(ids: Iterable[str], known: pd.Index, what: str) -> None:
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise ScenarioError(
            UNKNOWN_PARTNERS_MESSAGE.format(what=what, count=len(unknown), nodes=_some(unknown))
        )


def _selected_ids(result: Any, known: pd.Index, what: str = "the result") -> frozenset[str] | None:
    """Partner ids from a result object (``.selected``) or a plain collection of ids."""
    if result is None:
        return None
    ids = getattr(result, "selected", result)
    if isinstance(ids, str | bytes) or not isinstance(ids, Iterable):
        raise ScenarioError(
            f"{what} must have a 'selected' collection of partner ids, or be one; "
            f"found {type(result).__name__}"
        )
    out = [str(i) for i in ids]
    _check_known(out, known, what)
    return frozenset(out)


def _require_graph(G: Any) -> None:
    """The preconditions every function here states: a DiGraph with known node kinds."""
    if not isinstance(G, nx.DiGraph):
        raise ScenarioError(
            f"expected a go-to-market map (networkx.DiGraph from build_graph), "
            f"found {type(G).__name__}"
        )
    for node, kind in G.nodes(data="kind"):
        if kind not in NODE_KINDS:
            raise ScenarioError(
                f"node {node!r} has kind {kind!r}; accepted: {', '.join(NODE_KINDS)} "
                "(build the map with build_graph)"
            )


def _require_result(G: Any) -> None:
    _require_graph(G)
    if not G.graph.get("has_result", False):
        raise ScenarioError(NO_RESULT_MESSAGE)


def _nodes_of(G: nx.DiGraph, kind: str) -> list[str]:
    return [n for n, k in G.nodes(data="kind") if k == kind]


def _check_option(name: str, value: Any, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ScenarioError(f"{name} is {value!r}; accepted: a whole number >= {minimum}")
    return value


# --- building ---------------------------------------------------------------------------


def build_graph(
    scenario: Scenario,
    result: Any = None,
    *,
    scores: Mapping[str, float] | pd.Series | None = None,
    programme_tiers: Mapping[str, str] | pd.Series | None = None,
) -> nx.DiGraph:
    """The go-to-market map of a scenario, optionally with a solved portfolio on it.

    Parameters
    ----------
    scenario
        A loaded scenario. Partner ids, segment ids and ``"vendor"`` must all differ.
    result
        A portfolio: any object with a ``selected`` collection of partner ids (such as
        the optimizer's ``PortfolioResult``) or such a collection itself. ``None``: no
        partner is marked selected and the analysis functions refuse the map.
    scores
        Partner id -> score, overriding the partner table's ``score`` column.
    programme_tiers
        Partner id -> programme tier name (``"gold"``, ``"silver"``, ...).

    Returns
    -------
    networkx.DiGraph
        Nodes have ``kind`` (``"vendor"``, ``"partner"``, ``"segment"``). Partners carry
        ``name, type, tier, region, cost, score, programme_tier, selected``; segments
        ``region, industry, size, value, named, covered`` (``covered``: some selected
        partner covers it, whether or not that partner has a selected distributor).
        Edges have ``kind`` ``"supply"`` or ``"coverage"``; coverage edges carry the
        segment ``value``. ``G.graph`` holds ``name`` and ``has_result``.

    Raises
    ------
    ScenarioError
        An id is used twice across partners, segments and the vendor, or ``result``,
        ``scores``, ``programme_tiers`` or the supply table name unknown partners.

    Notes
    -----
    The supply table is not required to be acyclic here (scenarios loaded from files
    are, but a hand-made one may not be): a cycle is built as is and reported by
    :func:`check_graph`.
    """
    partners = scenario.partners
    segments = scenario.segments
    p_index = pd.Index(partners.index.astype(str))
    s_index = pd.Index(segments.index.astype(str))
    clash = sorted(set(p_index) & set(s_index))
    if clash or VENDOR in p_index or VENDOR in s_index:
        which = clash or [VENDOR]
        raise ScenarioError(
            f"the map needs distinct node ids, but {_some(which)} is used as "
            f"{'both a partner and a segment id' if clash else 'a partner or segment id'} "
            f"('{VENDOR}' is reserved for the vendor); rename it in one of the tables"
        )
    selected = _selected_ids(result, p_index)
    score_map: dict[str, Any] = {}
    if scores is not None:
        score_map = _as_mapping(scores, "scores")
        _check_known(score_map, p_index, "scores")
    elif "score" in partners.columns:
        score_map = dict(zip(p_index, partners["score"], strict=True))
    tier_map: dict[str, Any] = {}
    if programme_tiers is not None:
        tier_map = _as_mapping(programme_tiers, "programme_tiers")
        _check_known(tier_map, p_index, "programme_tiers")

    G = nx.DiGraph(name=scenario.name, has_result=selected is not None)
    G.add_node(VENDOR, kind="vendor", name="Vendor")
    chosen = selected or frozenset()
    for pid, name, type_, tier, cost, regions in zip(
        p_index,
        partners["name"],
        partners["type"],
        partners["gtm_tier"],
        partners["cost"],
        partners["regions"],
        strict=True,
    ):
        raw_score = score_map.get(pid)
        score = None
        if raw_score is not None and not (isinstance(raw_score, float) and math.isnan(raw_score)):
            score = float(raw_score)
        G.add_node(
            pid,
            kind="partner",
            name=str(name),
            type=str(type_),
            tier=int(tier),
            region=";".join(map(str, regions)),
            cost=float(cost),
            score=score,
            programme_tier=None if tier_map.get(pid) is None else str(tier_map[pid]),
            selected=pid in chosen,
        )
    cov_p = scenario.coverage["partner_id"].astype(str).to_numpy()
    cov_s = scenario.coverage["segment_id"].astype(str).to_numpy()
    values = segments["value"].to_numpy(dtype=float)
    covered = {s for p, s in zip(cov_p, cov_s, strict=True) if p in chosen}
    for sid, region, industry, size, value, named in zip(
        s_index,
        segments["region"],
        segments["industry"],
        segments["size"],
        values,
        segments["named"],
        strict=True,
    ):
        G.add_node(
            sid,
            kind="segment",
            region=str(region),
            industry=str(industry),
            size=str(size),
            value=float(value),
            named=bool(named),
            covered=sid in covered,
        )

    tier1 = p_index[partners["gtm_tier"].to_numpy() == 1]
    G.add_edges_from((VENDOR, p, {"kind": "supply"}) for p in tier1)
    if scenario.supply is not None:
        sup_d = scenario.supply["distributor_id"].astype(str).tolist()
        sup_r = scenario.supply["reseller_id"].astype(str).tolist()
        _check_known([*sup_d, *sup_r], p_index, "the supply table")
        G.add_edges_from((d, r, {"kind": "supply"}) for d, r in zip(sup_d, sup_r, strict=True))
    seg_value = dict(zip(s_index, values.tolist(), strict=True))
    G.add_edges_from(
        (p, s, {"kind": "coverage", "value": seg_value[s]})
        for p, s in zip(cov_p, cov_s, strict=True)
    )
    return G


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
    _require_graph(G)
    findings: list[Finding] = []
    order = {n: i for i, n in enumerate(G.nodes)}
    partners = _nodes_of(G, "partner")
    segments = _nodes_of(G, "segment")
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
                NO_DISTRIBUTOR_MESSAGE.format(count=len(orphans), nodes=_some(orphans, G)),
                tuple(orphans),
            )
        )

    idle = [p for p in partners if G.nodes[p].get("tier") == 1 and G.out_degree(p) == 0]
    if idle:
        findings.append(
            Finding(
                "idle-distributor",
                "warning",
                IDLE_DISTRIBUTOR_MESSAGE.format(count=len(idle), nodes=_some(idle, G)),
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
                    nodes=_some(lost),
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
                NO_SEGMENT_MESSAGE.format(count=len(dead), nodes=_some(dead, G)),
                tuple(dead),
            )
        )
    return findings


# --- analysis of a solved portfolio ------------------------------------------------------


def _supply_paths(G: nx.DiGraph) -> dict[str, list[tuple[str, ...]]]:
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
    paths = _supply_paths(G)
    out: dict[str, list[tuple[str, ...]]] = {}
    for s in _nodes_of(G, "segment"):
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
    _require_result(G)
    if segment not in G or G.nodes[segment].get("kind") != "segment":
        raise ScenarioError(f"'{segment}' is not a segment of this map")
    paths = _supply_paths(G)
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
    _require_result(G)
    paths = _supply_paths(G)
    return [s for s in _nodes_of(G, "segment") if not any(p in paths for p in G.predecessors(s))]


def _distributor_stats(
    G: nx.DiGraph,
) -> tuple[list[str], dict[str, set[str]], dict[str, set[str]], float]:
    """Selected tier-1 partners; segments each carries; segments each alone carries;
    total value reached by the portfolio."""
    seg_routes = _segment_routes(G)
    dists = [
        n
        for n in _nodes_of(G, "partner")
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
    _require_result(G)
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
    _require_result(G)
    if top is not None:
        _check_option("top", top, minimum=1)
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
    chosen = _selected_ids(selected, ids, "selected")
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
    >>> H = conflict_graph(scenario, min_shared_value=1e6)  # doctest: +SKIP
    >>> H["R02"]["R10"]["weight"], H["R02"]["R10"]["declared"]  # doctest: +SKIP
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


# --- drawing ----------------------------------------------------------------------------

_SELECTED_FILL = {1: "#f6ae2d", 2: "#86bbd8"}
_PLAIN_FILL = {1: "#fde9c4", 2: "#dcebf4"}
_GREY_FILL = "#f1f1f1"
_GREY_LINE = "#b5b5b5"
_GREY_EDGE = "#a0a0a080"  # translucent: hundreds of edges must not drown the nodes
_GREY_TEXT = "#808080"
_LIVE_SUPPLY = "#c77800"
_PLAIN_EDGE = "#505050a0"
_LIVE_COVER = "#2f6f9fa0"
_REACHED_FILL = "#c8e6c0"
_COVERED_FILL = "#fdd9a8"
_UNCOVERED_LINE = "#c0392b"


def _blend(a: str, b: str, t: float) -> str:
    """The colour ``t`` of the way from ``a`` to ``b`` (``#rrggbb``)."""
    t = min(max(t, 0.0), 1.0)
    ca = [int(a[k : k + 2], 16) for k in (1, 3, 5)]
    cb = [int(b[k : k + 2], 16) for k in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(ca, cb, strict=True))


def _q(text: str) -> str:
    """A DOT double-quoted string; ``\\n`` in ``text`` becomes a centred line break."""
    body = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\r", "")
    return '"' + body.replace("\n", "\\n") + '"'


def _attrs(**kw: Any) -> str:
    return "[" + ", ".join(f"{k}={_q(str(v))}" for k, v in kw.items() if v is not None) + "]"


def _clip(text: str, width: int = 30) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _plural(type_: str, n: int) -> str:
    word = type_.replace("_", " ").strip() or "partner"
    if len(word) <= 3 and word.isalpha():
        word = word.upper()
    if n == 1:
        return word
    return word if word.endswith("s") else word + "s"


_SELECTED_STYLE = {"style": "filled,bold", "penwidth": "2.2", "fontname": "Helvetica-Bold"}
_GREY_STYLE = {
    "style": "filled",
    "fillcolor": _GREY_FILL,
    "color": _GREY_LINE,
    "fontcolor": _GREY_TEXT,
}
_LEGEND = (
    "\npartners: bold colour = selected, grey = not selected"
    "\nsegments: green = covered through a selected route, orange = covered only without a "
    "selected distributor, red dashed = not covered"
)


def _value(G: nx.DiGraph, node: str) -> float:
    return float(G.nodes[node].get("value", 0.0))


def _tier(G: nx.DiGraph, p: str) -> int:
    return 1 if G.nodes[p].get("tier") == 1 else 2


def _group_prefix(G: nx.DiGraph) -> str:
    """A prefix for roll-up node ids that no map node starts with."""
    prefix = "~"
    while any(str(n).startswith(prefix) for n in G.nodes):
        prefix += "~"
    return prefix


def _draw_partners(
    G: nx.DiGraph,
    shown: list[str],
    *,
    max_partners: int,
    has_result: bool,
    prefix: str,
) -> tuple[dict[str, str], dict[str, str], list[str], list[str]]:
    """Partner nodes (one each, or rolled up): map node -> DOT node, DOT node -> attributes,
    and the tier-1 and tier-2 columns."""
    reach = {
        p: sum(_value(G, s) for s in G.successors(p) if G.nodes[s].get("kind") == "segment")
        for p in shown
    }
    sel = {p for p in shown if G.nodes[p].get("selected")}
    if len(shown) <= max_partners:
        individual = list(shown)
    else:
        individual = sorted(sel, key=lambda p: (_tier(G, p), -reach[p], p))[:max_partners]
    where: dict[str, str] = {}
    attrs: dict[str, str] = {}
    columns: tuple[list[str], list[str]] = ([], [])
    # Selected first, widest reach first: the highlighted portfolio reads top-down.
    for p in sorted(individual, key=lambda p: (p not in sel, _tier(G, p), -reach[p], p)):
        d = G.nodes[p]
        facts = [p, str(d.get("type", "")), _short(float(d.get("cost", 0.0)))]
        if d.get("programme_tier"):
            facts.append(str(d["programme_tier"]))
        t = _tier(G, p)
        if p in sel:
            style = {**_SELECTED_STYLE, "fillcolor": _SELECTED_FILL[t]}
        elif has_result:
            style = dict(_GREY_STYLE)
        else:
            style = {"style": "filled", "fillcolor": _PLAIN_FILL[t]}
        label = f"{_clip(str(d.get('name', p)))}\n{' · '.join(f for f in facts if f)}"
        where[p] = p
        attrs[p] = _attrs(label=label, shape="box", **style)
        columns[t - 1].append(p)
    drawn = set(individual)
    groups: dict[tuple[bool, int, str], list[str]] = defaultdict(list)
    for p in shown:
        if p not in drawn:
            groups[(p in sel, _tier(G, p), str(G.nodes[p].get("type", "partner")))].append(p)
    ranked = sorted(groups, key=lambda g: (not g[0], g[1], -len(groups[g]), g[2]))
    for k, (is_sel, t, type_) in enumerate(ranked):
        members = groups[(is_sel, t, type_)]
        dot = f"{prefix}partners{k}"
        where.update(dict.fromkeys(members, dot))
        n = len(members)
        cost = sum(float(G.nodes[p].get("cost", 0.0)) for p in members)
        if is_sel:
            head, style = (
                f"{n} more selected {_plural(type_, n)}",
                {**_SELECTED_STYLE, "fillcolor": _SELECTED_FILL[t]},
            )
        elif has_result or individual:
            head, style = f"{n} other {_plural(type_, n)}", dict(_GREY_STYLE)
        else:
            head, style = (
                f"{n} {_plural(type_, n)}",
                {"style": "filled", "fillcolor": _PLAIN_FILL[t]},
            )
        attrs[dot] = _attrs(
            label=f"{head}\ntier {t} · cost {_short(cost)}", shape="folder", **style
        )
        columns[t - 1].append(dot)
    return where, attrs, columns[0], columns[1]


def _draw_segments(
    G: nx.DiGraph,
    state: Mapping[str, str] | None,
    *,
    max_segments: int,
    aggregate: str | None,
    prefix: str,
) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """Segment nodes (one each, or rolled up); ``state``: reached/covered/uncovered."""
    segments = _nodes_of(G, "segment")
    if len(segments) <= max_segments:
        singles, rest = segments, []
    elif aggregate is None:
        by_value = sorted(segments, key=lambda s: (-_value(G, s), s))
        singles, rest = by_value[:max_segments], by_value[max_segments:]
    else:
        singles, rest = [], segments
    where: dict[str, str] = {}
    attrs: dict[str, str] = {}
    column: list[str] = []
    for s in singles:
        label = f"{s}\n{_short(_value(G, s))}" + (" · named" if G.nodes[s].get("named") else "")
        style = {"style": "filled,rounded", "fillcolor": "white"}
        if state is not None:
            if state[s] == "reached":
                style["fillcolor"] = _REACHED_FILL
            elif state[s] == "covered":
                style["fillcolor"] = _COVERED_FILL
            else:
                style.update(color=_UNCOVERED_LINE, style="filled,rounded,dashed")
        where[s] = s
        attrs[s] = _attrs(label=label, shape="box", **style)
        column.append(s)
    groups: dict[str, list[str]] = defaultdict(list)
    for s in rest:
        groups[str(G.nodes[s].get(aggregate, "")) if aggregate else ""].append(s)
    for k, name in enumerate(sorted(groups)):
        members = groups[name]
        dot = f"{prefix}segments{k}"
        where.update(dict.fromkeys(members, dot))
        total = sum(_value(G, s) for s in members)
        head = name if aggregate else f"{len(members)} other segments"
        label = f"{head}\n{len(members)} segments · {_short(total)}"
        style = {"style": "filled,rounded", "fillcolor": "white"}
        if state is not None:
            got = sum(_value(G, s) for s in members if state[s] == "reached")
            share = got / total if total > 0 else 0.0
            label += f"\ncovered {share:.0%}"
            style["fillcolor"] = _blend("#ffffff", _REACHED_FILL, share)
            if got == 0:
                style.update(color=_UNCOVERED_LINE, style="filled,rounded,dashed")
        attrs[dot] = _attrs(label=label, shape="box", **style)
        column.append(dot)
    return where, attrs, column


def _draw_edges(
    G: nx.DiGraph,
    where: Mapping[str, str],
    live: set[str],
    segment_nodes: set[str],
    *,
    has_result: bool,
) -> list[str]:
    """Map edges bundled between drawn nodes; a bundle is live when any edge in it is."""
    bundles: dict[tuple[str, str], list[float]] = {}
    alive: set[tuple[str, str]] = set()
    for u, v, data in G.edges(data=True):
        a, b = where.get(u), where.get(v)
        if a is None or b is None or a == b:
            continue
        entry = bundles.setdefault((a, b), [0.0, 0.0])
        entry[0] += 1
        entry[1] += float(data.get("value", 0.0))
        if G.nodes[v].get("kind") == "segment":
            ok = u in live
        else:
            ok = v in live and (u in live or (u == VENDOR and _tier(G, v) == 1))
        if ok:
            alive.add((a, b))
    top = max((x[1] for x in bundles.values()), default=0.0) or 1.0
    lines = []
    for (a, b), (count, value) in sorted(bundles.items()):
        on = (a, b) in alive
        attrs: dict[str, str] = {}
        if b in segment_nodes:
            width = 0.6 + 3.4 * value / top
            attrs["penwidth"] = f"{width:.2f}" if on or not has_result else "0.6"
            attrs["color"] = _LIVE_COVER if on else _GREY_EDGE if has_result else _PLAIN_EDGE
        else:
            attrs["penwidth"] = "2" if on else "0.8" if has_result else "1.2"
            attrs["color"] = _LIVE_SUPPLY if on else _GREY_EDGE if has_result else _PLAIN_EDGE
        if has_result and not on:
            attrs["style"] = "dashed"
        if count > 1:
            attrs["tooltip"] = f"{int(count)} links, value {_short(value)}"
        lines.append(f"  {_q(a)} -> {_q(b)} {_attrs(**attrs)};")
    return lines


def to_dot(
    G: nx.DiGraph,
    *,
    max_segments: int = 40,
    max_partners: int = 60,
    aggregate: Aggregate | None = "region",
    selected_only: bool | None = None,
    title: str | None = None,
) -> str:
    r"""The map as Graphviz DOT text: columns vendor | distributors | tier-2 | segments.

    Parameters
    ----------
    G
        A map from :func:`build_graph`.
    max_segments
        Above this many segments, segments are rolled up by ``aggregate`` into one node
        per region or industry, labelled with their count, total value and (with a
        result) the share of that value the portfolio reaches. With ``aggregate=None``
        the ``max_segments`` most valuable segments are drawn and the rest rolled up
        into one node.
    max_partners
        Above this many partners, the selected portfolio is drawn partner by partner
        (its first ``max_partners``, distributors and the widest reach first) and every
        other partner is rolled up into one node per (selected or not, type, tier),
        such as "412 other resellers".
    aggregate
        ``"region"``, ``"industry"`` or ``None``, see ``max_segments``.
    selected_only
        ``True``: leave the unselected partners out altogether (needs a map built with a
        result). ``False`` or ``None`` (the default): draw them, greyed.
    title
        The caption; defaults to the scenario name with the portfolio's totals and a
        legend.

    Returns
    -------
    str
        DOT source (``rankdir=LR``). Drawn partners and segments keep their ids as DOT
        node ids; roll-up nodes get ids starting with ``~``. Selected partners are filled
        in colour and bold, unselected ones grey; segments are green when a selected
        route reaches them, orange when only a selected partner without a selected
        distributor covers them, outlined red when nothing selected covers them.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph(name="demo", has_result=False)
    >>> G.add_node("vendor", kind="vendor", name="Vendor")
    >>> G.add_node("D1", kind="partner", name='North "A"', type="distributor", tier=1,
    ...            cost=1e5, selected=False)
    >>> G.add_node("S1", kind="segment", value=2e5, named=False, covered=False)
    >>> G.add_edges_from([("vendor", "D1"), ("D1", "S1", {"value": 2e5})])
    >>> text = to_dot(G)
    >>> text.startswith("digraph gtm {"), r'label="North \"A\"\nD1' in text
    (True, True)
    """
    _require_graph(G)
    _check_option("max_segments", max_segments, minimum=0)
    _check_option("max_partners", max_partners, minimum=0)
    if aggregate is not None and aggregate not in AGGREGATE_FIELDS:
        raise ScenarioError(
            f"aggregate is {aggregate!r}; accepted: {', '.join(AGGREGATE_FIELDS)} or None"
        )
    has_result = bool(G.graph.get("has_result", False))
    if selected_only and not has_result:
        raise ScenarioError(
            "selected_only=True needs a map built with a result: " + NO_RESULT_MESSAGE
        )

    live = set(_supply_paths(G)) if has_result else set()
    partners = _nodes_of(G, "partner")
    segments = _nodes_of(G, "segment")
    state: dict[str, str] | None = None
    if has_result:
        state = {
            s: "reached"
            if any(p in live for p in G.predecessors(s))
            else "covered"
            if G.nodes[s].get("covered")
            else "uncovered"
            for s in segments
        }
    prefix = _group_prefix(G)
    shown = [p for p in partners if G.nodes[p].get("selected")] if selected_only else partners
    p_where, p_attrs, col_t1, col_t2 = _draw_partners(
        G, shown, max_partners=max_partners, has_result=has_result, prefix=prefix
    )
    s_where, s_attrs, col_seg = _draw_segments(
        G, state, max_segments=max_segments, aggregate=aggregate, prefix=prefix
    )
    where = {**p_where, **s_where}
    attrs = {**p_attrs, **s_attrs}
    col_vendor = []
    if VENDOR in G:
        where[VENDOR] = VENDOR
        attrs[VENDOR] = _attrs(
            label=str(G.nodes[VENDOR].get("name", "Vendor")),
            shape="box3d",
            style="filled,bold",
            fillcolor="#4a4a4a",
            fontcolor="white",
            fontsize="16",
        )
        col_vendor.append(VENDOR)

    if title is None:
        title = str(G.graph.get("name") or "Go-to-market map")
        total = sum(_value(G, s) for s in segments)
        if state is not None:
            got = sum(_value(G, s) for s in segments if state[s] == "reached")
            n_sel = sum(1 for p in partners if G.nodes[p].get("selected"))
            title += (
                f"\n{n_sel} of {len(partners)} partners selected · {len(segments)} segments · "
                f"covered value {_short(got)} of {_short(total)} "
                f"({got / total if total else 0:.0%})" + _LEGEND
            )
        else:
            title += (
                f"\n{len(partners)} partners · {len(segments)} segments · value {_short(total)}"
            )

    graph_attrs = _attrs(
        rankdir="LR",
        ranksep="1.4",
        nodesep="0.12",
        newrank="true",
        label=title,
        labelloc="t",
        fontsize="18",
        fontname="Helvetica",
    )
    out = [
        "digraph gtm {",
        f"  graph {graph_attrs};",
        f"  node {_attrs(fontname='Helvetica', fontsize='11', margin='0.12,0.04', height='0.3')};",
        f"  edge {_attrs(arrowsize='0.6')};",
    ]
    for name, column in (
        ("vendor", col_vendor),
        ("tier 1", col_t1),
        ("tier 2", col_t2),
        ("segments", col_seg),
    ):
        if column:
            out.append(f"  subgraph {_q('rank ' + name)} {{")
            out.append("    rank=same;")
            out.extend(f"    {_q(dot)} {attrs[dot]};" for dot in column)
            out.append("  }")
    out.extend(_draw_edges(G, where, live, set(col_seg), has_result=has_result))
    out.append("}")
    return "\n".join(out) + "\n"


def write_picture(
    G: nx.DiGraph,
    path: str | Path,
    *,
    format: str | None = None,
    overwrite: bool = False,
    **dot_options: Any,
) -> Path:
    """Draw the map to an image file with Graphviz ``dot``.

    Parameters
    ----------
    G
        A map from :func:`build_graph`.
    path
        The file to write; its folder must exist.
    format
        ``"png"``, ``"svg"`` or ``"pdf"``; by default taken from the file suffix.
    overwrite
        Replace an existing file (otherwise refuse, naming it).
    **dot_options
        Passed to :func:`to_dot` (``max_segments``, ``aggregate``, ...).

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    ScenarioError
        Unknown format, missing folder, or the file exists and ``overwrite`` is false.
    SelectorError
        Graphviz is not installed, or ``dot`` failed.
    """
    target = Path(path)
    fmt = (format or target.suffix.lstrip(".")).lower()
    if fmt not in PICTURE_FORMATS:
        raise ScenarioError(
            f"cannot tell the picture format from {str(target)!r}; accepted: a file ending "
            f"in {', '.join('.' + f for f in PICTURE_FORMATS)}, or format= one of "
            f"{', '.join(PICTURE_FORMATS)}"
        )
    if target.exists() and not overwrite:
        raise ScenarioError(OVERWRITE_MESSAGE, file=str(target))
    if not target.parent.is_dir():
        raise ScenarioError("the folder to write into does not exist", file=str(target.parent))
    exe = shutil.which("dot")
    if exe is None:
        raise SelectorError(DOT_MISSING_MESSAGE.format(format=fmt.upper()))
    text = to_dot(G, **dot_options)
    # dot creates the file itself (so it gets the usual permissions); a unique name in
    # the same folder lets the finished picture replace the target in one step.
    tmp = str(target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp")
    try:
        try:
            proc = subprocess.run(
                [exe, f"-T{fmt}", "-o", tmp],
                input=text.encode("utf-8"),
                capture_output=True,
                timeout=300,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise SelectorError(
                DOT_FAILED_MESSAGE.format(status="timeout", file=target, stderr="ran over 300 s")
            ) from None
        if proc.returncode != 0:
            err = proc.stderr.decode("utf-8", "replace").strip()
            raise SelectorError(
                DOT_FAILED_MESSAGE.format(status=proc.returncode, file=target, stderr=err[:500])
            )
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target

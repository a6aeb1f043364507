"""The go-to-market map: vendor -> distributors -> tier-2 partners -> customer segments.

:func:`build_graph` turns a scenario (and, optionally, a solved portfolio) into a
:class:`networkx.DiGraph` with one node ``"vendor"``, one node per partner and one per
segment, named by their ids:

* ``vendor -> P`` for every tier-1 partner (``gtm_tier = 1``: it buys from the vendor);
* ``D -> R`` for every row of the supply table (distributor ``D`` supplies ``R``);
  a tier-2 partner that no distributor supplies gets no inbound edge;
* ``P -> S`` for every partner/segment pair of the coverage table.

This module also holds what the rest of :mod:`selector.gtm` shares: the node kinds, the
:class:`Finding` record, the user-facing messages (tests match on these), reading a
portfolio result (:func:`selected_ids`) and the preconditions every function states on
a map. The checks and the analysis of a portfolio are in :mod:`selector.gtm.analysis`,
the drawings in :mod:`selector.gtm.drawing`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import networkx as nx
import pandas as pd

from selector.errors import ScenarioError
from selector.inputs.scenario import Scenario

__all__ = [
    "CYCLE_MESSAGE",
    "DOT_FAILED_MESSAGE",
    "DOT_MISSING_MESSAGE",
    "IDLE_DISTRIBUTOR_MESSAGE",
    "NO_DISTRIBUTOR_MESSAGE",
    "NO_RESULT_MESSAGE",
    "NO_SEGMENT_MESSAGE",
    "OVERWRITE_MESSAGE",
    "RESULT_FORMAT_MESSAGE",
    "UNKNOWN_PARTNERS_MESSAGE",
    "UNREACHABLE_SEGMENT_MESSAGE",
    "VENDOR",
    "Finding",
    "build_graph",
    "nodes_of",
    "selected_ids",
]

VENDOR = "vendor"
NODE_KINDS = ("vendor", "partner", "segment")
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


def describe_nodes(
    ids: Iterable[str], G: nx.DiGraph | None = None, *, first: int = SHOW_NODES
) -> str:
    """``"A, B, C and 4 more"``; partners are shown with their names when known."""
    items = list(ids)
    shown = []
    for node in items[:first]:
        name = G.nodes[node].get("name") if G is not None and node in G else None
        shown.append(f"{node} ({name})" if name and name != node else str(node))
    more = len(items) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


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
            UNKNOWN_PARTNERS_MESSAGE.format(
                what=what, count=len(unknown), nodes=describe_nodes(unknown)
            )
        )


def selected_ids(result: Any, known: pd.Index, what: str = "the result") -> frozenset[str] | None:
    """Partner ids from a result object (``.selected``) or a plain collection of ids.

    ``None`` (no result) gives ``None``. Raises :class:`~selector.errors.ScenarioError`
    when ``result`` is a string or not a collection, or names ids that are not in
    ``known``; ``what`` names the result in that message.
    """
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


def require_graph(G: Any) -> None:
    """The preconditions every function of selector.gtm states: a DiGraph with known node kinds."""
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


def require_result(G: Any) -> None:
    require_graph(G)
    if not G.graph.get("has_result", False):
        raise ScenarioError(NO_RESULT_MESSAGE)


def nodes_of(G: nx.DiGraph, kind: str) -> list[str]:
    """The ids of the nodes of one ``kind`` (vendor, partner, segment), in graph order."""
    return [n for n, k in G.nodes(data="kind") if k == kind]


def check_count(name: str, value: Any, *, minimum: int) -> int:
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
        Partner id -> programme tier name (``"gold"``, ``"silver"``, ...): the partner's
        level in the vendor's programme, not its score band. Default: the level the
        result's plan proposes (``result.plan["proposed"]``; none for partners it leaves
        out), so the map names the programme tier of the plan it shows.

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
            f"the map needs distinct node ids, but {describe_nodes(which)} is used as "
            f"{'both a partner and a segment id' if clash else 'a partner or segment id'} "
            f"('{VENDOR}' is reserved for the vendor); rename it in one of the tables"
        )
    selected = selected_ids(result, p_index)
    score_map: dict[str, Any] = {}
    if scores is not None:
        score_map = _as_mapping(scores, "scores")
        _check_known(score_map, p_index, "scores")
    elif "score" in partners.columns:
        score_map = dict(zip(p_index, partners["score"], strict=True))
    tier_map: dict[str, Any] = {}
    plan = getattr(result, "plan", None)
    if programme_tiers is None and isinstance(plan, pd.DataFrame) and "proposed" in plan:
        proposed = plan["proposed"].astype(str)
        programme_tiers = proposed[proposed != "out"]
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

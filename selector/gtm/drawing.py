"""Drawings of a go-to-market map: Graphviz DOT text and pictures (PNG / SVG / PDF).

:func:`to_dot` lays a map from :func:`~selector.gtm.graph.build_graph` out in columns
vendor | distributors | tier-2 partners | segments, highlights a selected portfolio and
rolls partners and segments up so that a 600-partner channel stays readable;
:func:`write_picture` runs Graphviz ``dot`` on that text.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import networkx as nx

from selector.errors import ScenarioError, SelectorError
from selector.gtm.analysis import supply_paths
from selector.gtm.graph import (
    DOT_FAILED_MESSAGE,
    DOT_MISSING_MESSAGE,
    NO_RESULT_MESSAGE,
    OVERWRITE_MESSAGE,
    VENDOR,
    check_count,
    nodes_of,
    require_graph,
)

__all__ = ["AGGREGATE_FIELDS", "PICTURE_FORMATS", "to_dot", "write_picture"]

AGGREGATE_FIELDS = ("region", "industry")
PICTURE_FORMATS = ("png", "svg", "pdf")

Aggregate = Literal["region", "industry"]

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


def clip_label(text: str, width: int = 30) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


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
        label = f"{clip_label(str(d.get('name', p)))}\n{' · '.join(f for f in facts if f)}"
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
    segments = nodes_of(G, "segment")
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
    require_graph(G)
    check_count("max_segments", max_segments, minimum=0)
    check_count("max_partners", max_partners, minimum=0)
    if aggregate is not None and aggregate not in AGGREGATE_FIELDS:
        raise ScenarioError(
            f"aggregate is {aggregate!r}; accepted: {', '.join(AGGREGATE_FIELDS)} or None"
        )
    has_result = bool(G.graph.get("has_result", False))
    if selected_only and not has_result:
        raise ScenarioError(
            "selected_only=True needs a map built with a result: " + NO_RESULT_MESSAGE
        )

    live = set(supply_paths(G)) if has_result else set()
    partners = nodes_of(G, "partner")
    segments = nodes_of(G, "segment")
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

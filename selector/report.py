"""Export helpers: the portfolio as a table, and safe CSV / XLSX / TOML downloads.

Spreadsheet programs run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in
some programs, a tab or carriage return) as a formula, so a partner named
``=HYPERLINK(...)`` in an uploaded table could act when a strategist opens the export.
:func:`to_csv_bytes` and :func:`to_xlsx_bytes` therefore prefix such *text* cells (and
headers and index labels) with ``'``; numbers are written untouched.

>>> import pandas as pd
>>> to_csv_bytes(pd.DataFrame({"name": ["=1+1", "Acme"], "cost": [-5, 10]}), index=False)
b"name,cost\\n'=1+1,-5\\nAcme,10\\n"
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd
import tomli_w

from selector.display import money_header, plural
from selector.safe_output import (
    FORMULA_PREFIXES,
    is_number_like,
    neutralize,
    neutralize_frame,
    to_csv_bytes,
)

if TYPE_CHECKING:
    from selector.inputs.scenario import Scenario
    from selector.portfolio import PortfolioResult

__all__ = [
    "FORMULA_PREFIXES",
    "MONEY_COLUMNS",
    "exit_band_selected",
    "judgment_warning",
    "money_headers",
    "neutralize",
    "neutralize_frame",
    "plan_flow_dot",
    "portfolio_table",
    "roadmap_by_partner",
    "roadmap_flow_dot",
    "roadmap_tier_counts",
    "scenario_toml_bytes",
    "to_csv_bytes",
    "to_xlsx_bytes",
]

PORTFOLIO_COLUMNS = ("name", "type", "programme_tier", "score_band", "cost", "score", "reason")

# Characters openpyxl refuses in cells (XML 1.0 control characters other than tab, LF, CR).
_ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(name: str, used: set[str]) -> str:
    base = _BAD_SHEET_CHARS.sub("_", str(name)).strip("'") or "Sheet"
    base = base[:31]
    candidate, k = base, 2
    while candidate.lower() in used:
        suffix = f" ({k})"
        candidate = base[: 31 - len(suffix)] + suffix
        k += 1
    used.add(candidate.lower())
    return candidate


def _xlsx_cell(value: Any) -> Any:
    value = neutralize(value)
    if isinstance(value, str):
        return _ILLEGAL_XLSX.sub("", value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def to_xlsx_bytes(sheets: Mapping[str, pd.DataFrame], *, index: bool = True) -> bytes:
    """An Excel workbook (openpyxl) with one sheet per ``sheets`` entry, in order.

    Sheet names are cut to Excel's 31 characters and stripped of the characters Excel
    forbids; text cells are neutralized like :func:`to_csv_bytes`, and missing or
    infinite numbers are written as empty cells.
    """
    if not sheets:
        raise ValueError("to_xlsx_bytes needs at least one sheet")
    buffer = io.BytesIO()
    used: set[str] = set()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            safe = neutralize_frame(frame)
            for column in safe.columns:
                if not is_number_like(safe[column]):
                    safe[column] = safe[column].map(_xlsx_cell).astype(object)
            safe.to_excel(writer, sheet_name=_sheet_name(name, used), index=index)
    return buffer.getvalue()


def _toml_clean(value: Any) -> Any:
    """Drop ``None`` (TOML has no null) and turn numpy scalars into Python ones."""
    if isinstance(value, Mapping):
        return {str(k): _toml_clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_toml_clean(v) for v in value if v is not None]
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    return value


def scenario_toml_bytes(scenario: Scenario) -> bytes:
    """The scenario's settings (``Scenario.to_toml_dict``) as TOML bytes (tomli_w)."""
    return tomli_w.dumps(_toml_clean(scenario.to_toml_dict())).encode("utf-8")


def portfolio_table(
    scenario: Scenario,
    result: PortfolioResult,
    *,
    scores: pd.Series | None = None,
    bands: pd.Series | None = None,
    reasons: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The selected partners: ``name, type, programme_tier, score_band, cost, score,
    reason`` by partner id.

    ``programme_tier`` is the level the plan proposes in the vendor's programme (only
    for a plan from today's channel: a blank-sheet portfolio has no such column);
    ``score_band`` the rank band of the partner's score (gold / silver / standard /
    exit) and ``score`` the score, both from :func:`selector.scoring.score_partners`
    unless given; ``reason`` comes from :func:`selector.portfolio.explain_partners`
    unless its table is given as ``reasons``. Rows follow the order of
    ``result.selected``. A scenario that cannot be scored (no criteria model, no score
    column) gets empty scores and bands.
    """
    from selector.errors import SelectorError
    from selector.portfolio import explain_partners
    from selector.scoring import score_partners

    ids = [pid for pid in result.selected if pid in scenario.partners.index]
    if scores is None or bands is None:
        try:
            scored = score_partners(scenario)
            scores = scored.score if scores is None else scores
            bands = scored.band if bands is None else bands
        except SelectorError:
            scores = (
                pd.Series(float("nan"), index=scenario.partners.index) if scores is None else scores
            )
            bands = (
                pd.Series(None, index=scenario.partners.index, dtype=object)
                if bands is None
                else bands
            )
    if reasons is None:
        reasons = explain_partners(scenario, result)
    partners = scenario.partners
    index = pd.Index(ids, name="partner_id")
    table = pd.DataFrame(
        {
            "name": partners["name"].reindex(index).astype(str),
            "type": partners["type"].reindex(index).astype(str),
            "programme_tier": (
                result.plan["proposed"].reindex(index).astype(object)
                if result.plan is not None
                else pd.Series(None, index=index, dtype=object)
            ),
            "score_band": bands.reindex(index).astype(object),
            "cost": partners["cost"].reindex(index).astype(float),
            "score": scores.reindex(index).astype(float),
            "reason": reasons["reason"].reindex(index).astype(object),
        },
        index=index,
    )
    columns = [c for c in PORTFOLIO_COLUMNS if c != "programme_tier" or result.plan is not None]
    return table.loc[:, columns]


#: Columns of amounts paid, named with the scenario's currency in an export.
MONEY_COLUMNS = (
    "cost", "one_off_cost", "annual_cost", "spend", "entry_budget", "used", "cap", "budget",
)


def money_headers(table: pd.DataFrame, currency: str | None) -> pd.DataFrame:
    """``table`` with its money columns named with the currency (``cost (CNY)``), for
    an export; unchanged without a currency.

    >>> list(money_headers(pd.DataFrame({"name": ["A"], "cost": [5.0]}), "EUR").columns)
    ['name', 'cost (EUR)']
    """
    if not currency:
        return table
    named = {c: money_header(c, currency) for c in MONEY_COLUMNS if c in table.columns}
    return table.rename(columns=named)


def exit_band_selected(table: pd.DataFrame) -> list[str]:
    """Ids of the selected partners (rows of :func:`portfolio_table`) in the ``exit``
    score band: in the portfolio although their score says leave."""
    if "score_band" not in table.columns:
        return []
    return [str(pid) for pid in table.index[table["score_band"].astype(str) == "exit"]]


def judgment_warning(weights: Any, labels: Mapping[str, str] | None = None) -> str | None:
    """Words for a portfolio whose weights come from judgments failing the consistency
    test (``weights`` a :class:`selector.scoring.ModelWeights`); None when they pass.

    >>> from selector import load_scenario, model_weights
    >>> judgment_warning(model_weights(load_scenario("scenarios/teaching.toml").model)) is None
    True
    """
    bad = weights.inconsistent_nodes()
    if not bad:
        return None
    names = dict(labels or {})
    where = "; ".join(
        f"{'the goal' if parent == 'goal' else names.get(parent, parent)} ({', '.join(problems)})"
        for parent, problems in bad.items()
    )
    return (
        "The criteria weights come from judgments that fail the consistency test: "
        f"{where}. Revise them on the Criteria page before trusting this portfolio."
    )


# --- the plan as a flow: today's levels -> proposed levels ----------------------------------

PLAN_OUT = "out"
# Edge colour by action (a plan's ``action`` column).
PLAN_ACTION_COLOURS = {
    "keep": "#8c8c8c",
    "promote": "#2e7d32",
    "demote": "#ef6c00",
    "exit": "#c62828",
    "recruit": "#1565c0",
    "stay out": "#a8a8a8",
}


def _dot_quote(text: Any) -> str:
    """``text`` as a quoted DOT string (a newline becomes a centred line break)."""
    escaped = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\r", "")
    return '"' + escaped.replace("\n", "\\n") + '"'


def plan_flow_dot(plan: pd.DataFrame, levels: Sequence[str] | None = None) -> str:
    """A Graphviz DOT digraph of a plan: today's levels (left) to proposed levels (right).

    ``plan`` is a ``PortfolioResult.plan`` table (columns ``today``, ``proposed`` and
    ``action``); ``levels`` the programme tiers, lowest first (default: the levels the
    plan names, in order of first appearance). Each column lists the tiers highest first
    and ``out`` last, each node with its partner count; an edge per (today, proposed)
    pair is labelled with its partner count, drawn wider for more partners and coloured
    by the action.

    >>> plan = pd.DataFrame({"today": ["gold", "out"], "proposed": ["gold", "silver"],
    ...                      "action": ["keep", "recruit"]})
    >>> plan_flow_dot(plan, ["silver", "gold"]).startswith("digraph")
    True
    """
    seen = [str(v) for v in pd.concat([plan["today"], plan["proposed"]]).unique()]
    tiers = list(levels) if levels is not None else [v for v in seen if v != PLAN_OUT]
    tiers += [v for v in seen if v not in tiers and v != PLAN_OUT]
    column = [*reversed(tiers), PLAN_OUT]  # highest tier on top, "out" at the bottom
    node = {level: k for k, level in enumerate(column)}
    today = plan["today"].astype(str)
    proposed = plan["proposed"].astype(str)
    flows = (
        pd.DataFrame({"today": today, "proposed": proposed, "action": plan["action"].astype(str)})
        .groupby(["today", "proposed"], sort=False)
        .agg(count=("action", "size"), action=("action", "first"))
        .reset_index()
    )
    top = max(int(flows["count"].max()), 1) if len(flows) else 1
    lines = [
        "digraph plan {",
        "  rankdir=LR; nodesep=0.25; ranksep=2.2;",
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11, '
        'width=1.6, fillcolor="#f2f5f4", color="#9aa7a3"];',
        '  edge [fontname="Helvetica", fontsize=10, arrowsize=0.6];',
    ]
    for side, prefix, counts, title in (
        ("today", "t", today.value_counts(), "Today"),
        ("proposed", "p", proposed.value_counts(), "Proposed"),
    ):
        ids = [f"{prefix}{node[level]}" for level in column]
        lines.append(f"  subgraph {side} {{ rank=same;")
        lines.append(
            f'    {prefix}h [label={_dot_quote(title)}, shape=plaintext, style="", '
            'fontsize=13, fontname="Helvetica-Bold"];'
        )
        for level, nid in zip(column, ids, strict=True):
            n = int(counts.get(level, 0))
            style = ', style="rounded,dashed", fillcolor=white' if level == PLAN_OUT else ""
            label = _dot_quote(f"{level}\n{plural(n, 'partner')}")
            lines.append(f"    {nid} [label={label}{style}];")
        # Invisible links keep each column in order, top to bottom.
        lines.append("    " + " -> ".join([f"{prefix}h", *ids]) + " [style=invis];")
        lines.append("  }")
    lines.append("  th -> ph [style=invis, weight=100];  // the two headings level")
    for row in flows.itertuples(index=False):
        count = int(row.count)
        action = str(row.action)
        colour = PLAN_ACTION_COLOURS.get(action, "#555555")
        width = 1.0 + 5.0 * count / top
        dashed = ", style=dashed" if action == "stay out" else ""
        lines.append(
            f"  t{node[str(row.today)]} -> p{node[str(row.proposed)]} "
            f"[label={_dot_quote(f'{count} {action}')}, penwidth={width:.1f}, "
            f'color="{colour}", fontcolor="{colour}"{dashed}];'
        )
    lines.append("}")
    return "\n".join(lines)


# --- a roadmap over several years: today -> year 1 -> ... -> the last year ------------------

#: What a roadmap cell adds to a programme tier in a year it changes (keep, stay out and
#: gone read as the tier alone).
ROADMAP_CHANGES = ("recruit", "promote", "demote", "exit")


def _roadmap_stages(roadmap: pd.DataFrame, today: pd.Series | None) -> pd.DataFrame:
    """Programme tier by partner (rows) and stage (columns ``today``, 1, 2, ...)."""
    levels = roadmap.pivot(index="partner_id", columns="year", values="level").astype(str)
    first = roadmap[roadmap["year"] == roadmap["year"].min()].set_index("partner_id")
    if today is None:  # today's tier is where year 1 started: its level unless it moved
        start = first["level"].where(~first["action"].isin(ROADMAP_CHANGES), "?").astype(str)
    else:
        start = today.reindex(levels.index).fillna(PLAN_OUT).astype(str)
    levels.insert(0, "today", start)
    return levels


def roadmap_tier_counts(
    roadmap: pd.DataFrame, today: pd.Series | None = None, levels: Sequence[str] | None = None
) -> pd.DataFrame:
    """Partners per programme tier today and in each year of a roadmap, in long form:
    ``stage`` (``"Today"``, ``"Year 1"``, ...), ``order`` (0, 1, ...), ``level`` and
    ``partners``; ``out`` (not a partner that year) left out.

    ``roadmap`` is a :attr:`~selector.portfolio.PortfolioResult.roadmap`, ``today`` the
    tier of each partner today (a plan's ``today`` column), ``levels`` the programme
    tiers lowest first (they set the rows' order).

    >>> road = pd.DataFrame({"partner_id": ["A", "A", "B", "B"], "year": [1, 2, 1, 2],
    ...                      "level": ["gold", "gold", "out", "silver"],
    ...                      "action": ["keep", "keep", "stay out", "recruit"]})
    >>> roadmap_tier_counts(road, pd.Series({"A": "silver", "B": "out"}))[["stage", "level", "partners"]].values.tolist()
    [['Today', 'silver', 1], ['Year 1', 'gold', 1], ['Year 2', 'gold', 1], ['Year 2', 'silver', 1]]
    """
    stages = _roadmap_stages(roadmap, today)
    order = list(levels or [])
    rows = []
    for k, column in enumerate(stages.columns):
        counts = stages[column].value_counts()
        names = order + sorted(v for v in counts.index if v not in order)
        for level in names:
            n = int(counts.get(level, 0))
            if level != PLAN_OUT and n:
                stage = "Today" if column == "today" else f"Year {column}"
                rows.append({"stage": stage, "order": k, "level": level, "partners": n})
    return pd.DataFrame(rows, columns=["stage", "order", "level", "partners"])


def roadmap_by_partner(
    roadmap: pd.DataFrame, plan: pd.DataFrame | None = None
) -> pd.DataFrame:
    """A roadmap with one row per partner and one column per year.

    Columns: ``name`` and ``type`` (from ``plan``, a
    :attr:`~selector.portfolio.PortfolioResult.plan`, when given), ``today`` (its
    programme tier today), ``year 1``, ``year 2``, ... (its programme tier that year,
    ``"silver · promote"`` in a year it changes), ``changes`` (the changes in words,
    ``"none"`` when it keeps its tier throughout) and ``reason`` (each year's, in full).

    >>> road = pd.DataFrame({"partner_id": ["A", "A"], "year": [1, 2],
    ...                      "level": ["gold", "out"], "action": ["keep", "exit"],
    ...                      "reason": ["Kept.", "Exited."]})
    >>> roadmap_by_partner(road).loc["A"].tolist()
    ['gold', 'gold', 'out · exit', 'exit in year 2', 'Year 1: Kept. Year 2: Exited.']
    """
    stages = _roadmap_stages(roadmap, None if plan is None else plan["today"])
    years = [c for c in stages.columns if c != "today"]
    action = roadmap.pivot(index="partner_id", columns="year", values="action").astype(str)
    reason = roadmap.pivot(index="partner_id", columns="year", values="reason").astype(str)
    out = pd.DataFrame(index=pd.Index(stages.index, name="partner_id"))
    if plan is not None:
        out["name"] = plan["name"].reindex(out.index).astype(object)
        out["type"] = plan["type"].reindex(out.index).astype(object)
    out["today"] = stages["today"]
    for year in years:
        moved = action[year].isin(ROADMAP_CHANGES)
        out[f"year {year}"] = stages[year].where(~moved, stages[year] + " · " + action[year])
    changes = [
        ", ".join(f"{action.at[p, y]} in year {y}" for y in years
                  if action.at[p, y] in ROADMAP_CHANGES) or "none"
        for p in out.index
    ]
    out["changes"] = changes
    out["reason"] = [
        " ".join(f"Year {y}: {reason.at[p, y]}" for y in years) for p in out.index
    ]
    return out


def roadmap_flow_dot(
    roadmap: pd.DataFrame, today: pd.Series | None = None, levels: Sequence[str] | None = None
) -> str:
    """A Graphviz DOT digraph of a roadmap: today's programme tiers, then each year's.

    Like :func:`plan_flow_dot` with one column per stage (today, year 1, ...): each node
    a tier with its partner count that year, each edge a group of partners moving from
    one stage's tier to the next one's, labelled with its count (and the action when it
    is a change), wider for more partners and coloured by the action. ``today`` is each
    partner's tier today (a plan's ``today`` column); ``levels`` the tiers, lowest first.

    >>> road = pd.DataFrame({"partner_id": ["A", "A"], "year": [1, 2],
    ...                      "level": ["gold", "out"], "action": ["keep", "exit"]})
    >>> dot = roadmap_flow_dot(road, pd.Series({"A": "gold"}), ["silver", "gold"])
    >>> dot.startswith("digraph roadmap") and '"1 exit"' in dot
    True
    """
    stages = _roadmap_stages(roadmap, today)
    action = roadmap.pivot(index="partner_id", columns="year", values="action").astype(str)
    seen = [str(v) for v in pd.unique(stages.to_numpy().ravel())]
    tiers = list(levels) if levels is not None else []
    tiers += [v for v in seen if v not in tiers and v != PLAN_OUT]
    column = [*reversed(tiers), PLAN_OUT]
    node = {level: k for k, level in enumerate(column)}
    titles = ["Today", *(f"Year {c}" for c in stages.columns[1:])]
    lines = [
        "digraph roadmap {",
        "  rankdir=LR; nodesep=0.2; ranksep=1.5;",
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11, '
        'width=1.4, fillcolor="#f2f5f4", color="#9aa7a3"];',
        '  edge [fontname="Helvetica", fontsize=10, arrowsize=0.6];',
    ]
    for k, (stage, title) in enumerate(zip(stages.columns, titles, strict=True)):
        counts = stages[stage].value_counts()
        lines.append(f"  subgraph s{k} {{ rank=same;")
        lines.append(
            f'    s{k}h [label={_dot_quote(title)}, shape=plaintext, style="", '
            'fontsize=13, fontname="Helvetica-Bold"];'
        )
        ids = []
        for level in column:
            n = int(counts.get(level, 0))
            if n == 0 and level != PLAN_OUT and level not in (levels or ()):
                continue
            nid = f"s{k}n{node[level]}"
            ids.append(nid)
            style = ', style="rounded,dashed", fillcolor=white' if level == PLAN_OUT else ""
            label = _dot_quote(f"{level}\n{plural(n, 'partner')}")
            lines.append(f"    {nid} [label={label}{style}];")
        lines.append("    " + " -> ".join([f"s{k}h", *ids]) + " [style=invis];")
        lines.append("  }")
        if k:
            lines.append(f"  s{k - 1}h -> s{k}h [style=invis, weight=100];")
    for k in range(1, len(stages.columns)):
        before, after = stages.columns[k - 1], stages.columns[k]
        moves = (
            # out to out is one edge, whether never recruited or exited before
            pd.DataFrame({"a": stages[before], "b": stages[after],
                          "action": action[after].replace("gone", "stay out")})
            .groupby(["a", "b", "action"], sort=False)
            .size()
            .reset_index(name="count")
        )
        top = max(int(moves["count"].max()), 1) if len(moves) else 1
        for row in moves.itertuples(index=False):
            count = int(row.count)
            act = str(row.action)
            colour = PLAN_ACTION_COLOURS.get(act, PLAN_ACTION_COLOURS["stay out"])
            text = f"{count} {act}" if act in ROADMAP_CHANGES else f"{count}"
            dashed = ", style=dashed" if act in ("stay out", "gone") else ""
            lines.append(
                f"  s{k - 1}n{node[str(row.a)]} -> s{k}n{node[str(row.b)]} "
                f"[label={_dot_quote(text)}, penwidth={1.0 + 5.0 * count / top:.1f}, "
                f'color="{colour}", fontcolor="{colour}"{dashed}];'
            )
    lines.append("}")
    return "\n".join(lines)

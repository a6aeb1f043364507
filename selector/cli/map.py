"""``selector map``: check the go-to-market map, analyse a result, draw it."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from selector.display import plural
from selector.errors import ScenarioError
from selector.gtm import (
    AGGREGATE_FIELDS,
    OVERWRITE_MESSAGE,
    RESULT_FORMAT_MESSAGE,
    build_graph,
    check_graph,
    distributor_load,
    nodes_of,
    selected_ids,
    single_points_of_failure,
    to_dot,
    uncovered_segments,
    write_picture,
)
from selector.gtm.drawing import clip_label
from selector.inputs.scenario import load_scenario
from selector.safe_output import write_bytes_atomic

__all__ = ["add_map_parser", "cli_map"]


# --- command line -----------------------------------------------------------------------


def _read_result(path: str, partner_ids: pd.Index) -> frozenset[str]:
    p = Path(path)
    if not p.is_file():
        raise ScenarioError("result file not found", file=str(p))
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"not valid JSON: {exc}", file=str(p)) from None
    found = (
        f"a JSON {type(data).__name__}"
        if not isinstance(data, dict)
        else f"an object with keys {', '.join(map(str, data)) or '(none)'}"
    )
    if not isinstance(data, dict) or not isinstance(data.get("selected"), list):
        raise ScenarioError(RESULT_FORMAT_MESSAGE.format(found=found), file=str(p))
    ids = data["selected"]
    if not all(isinstance(i, str) for i in ids):
        raise ScenarioError(
            RESULT_FORMAT_MESSAGE.format(found="a 'selected' list with non-text entries"),
            file=str(p),
        )
    try:
        chosen = selected_ids(ids, partner_ids, "the result's 'selected' list")
    except ScenarioError as exc:
        raise ScenarioError(exc.detail, file=str(p)) from None
    return chosen or frozenset()


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for idx, row in frame.iterrows():
        rec: dict[str, Any] = {str(frame.index.name or "id"): str(idx)}
        for k, v in row.items():
            if isinstance(v, tuple):
                rec[str(k)] = list(v)
            elif isinstance(v, np.generic):
                rec[str(k)] = v.item()
            else:
                rec[str(k)] = v
        out.append(rec)
    return out


def cli_map(args: argparse.Namespace) -> int:
    """``selector map``: check the go-to-market map, analyse a result, draw it.

    Prints the check findings, and with ``--result`` the portfolio's reach, the load on
    each distributor and the single points of failure; writes ``--dot`` / ``--png``.
    Returns 0; bad input raises :class:`~selector.errors.SelectorError` (the command
    line turns it into exit status 2).
    """
    scenario = load_scenario(args.scenario)
    ids = pd.Index(scenario.partners.index.astype(str))
    chosen = _read_result(args.result, ids) if args.result else None
    G = build_graph(scenario, None if chosen is None else sorted(chosen))
    outputs = [(f, kind) for f, kind in ((args.dot, "dot"), (args.png, "png")) if f]
    for f, _ in outputs:
        if Path(f).exists() and not args.force:
            raise ScenarioError(OVERWRITE_MESSAGE, file=f)

    findings = check_graph(G)
    report: dict[str, Any] = {
        "scenario": scenario.name,
        "partners": len(nodes_of(G, "partner")),
        "segments": len(nodes_of(G, "segment")),
        "findings": [asdict(f) | {"nodes": list(f.nodes)} for f in findings],
    }
    load = spof = None
    if chosen is not None:
        missing = uncovered_segments(G)
        total = sum(float(G.nodes[s]["value"]) for s in nodes_of(G, "segment"))
        lost = sum(float(G.nodes[s]["value"]) for s in missing)
        load = distributor_load(G)
        spof = single_points_of_failure(G)
        report["portfolio"] = {
            "selected": len(chosen),
            "covered_value": total - lost,
            "total_value": total,
            "covered_share": (total - lost) / total if total > 0 else 0.0,
            "uncovered_segments": missing,
        }
        report["distributor_load"] = _records(load)
        report["single_points_of_failure"] = _records(spof)

    written: list[str] = []
    if args.dot:
        dot_path = Path(args.dot)
        try:
            write_bytes_atomic(dot_path, to_dot(G, aggregate=args.aggregate).encode("utf-8"))
        except OSError as exc:
            raise ScenarioError(f"cannot write the file: {exc.strerror or exc}", file=str(dot_path)) from None
        written.append(str(dot_path))
    if args.png:
        written.append(
            str(write_picture(G, args.png, overwrite=args.force, aggregate=args.aggregate))
        )
    report["written"] = written

    if args.json:
        print(json.dumps(report, indent=2, allow_nan=False, ensure_ascii=False))
        return 0
    print(
        f"Map        {scenario.name}: {report['partners']} partners, {report['segments']} segments"
    )
    if findings:
        print("Checks:")
        for f in findings:
            print(f"  {f.severity:<7} {f.code}: {f.message}")
    else:
        print("Checks     no problems found.")
    if chosen is not None and load is not None and spof is not None:
        info = report["portfolio"]
        print(
            f"Portfolio  {info['selected']} partners selected; covered value "
            f"{info['covered_value']:,.0f} of {info['total_value']:,.0f} "
            f"({info['covered_share']:.1%}); "
            f"{plural(len(info['uncovered_segments']), 'segment')} uncovered"
        )
        if len(load):
            print("Distributor load (segment value flowing through each selected distributor):")
            for d, row in load.iterrows():
                print(
                    f"  {d:<10} {clip_label(str(row['name']), 28):<28} resellers {row['resellers']:>4}  "
                    f"value {row['value']:>15,.0f}  share {row['share']:>6.1%}"
                )
            print("Single points of failure (value lost if that distributor were lost):")
            for d, row in spof.iterrows():
                print(
                    f"  {d:<10} {clip_label(str(row['name']), 28):<28} segments {row['lost_segments']:>4}  "
                    f"value {row['lost_value']:>15,.0f}  share {row['share']:>6.1%}"
                )
        else:
            print("Distributor load: no distributor is selected.")
    for w in written:
        print(f"Wrote      {w}")
    return 0


def add_map_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``selector map`` on an ``argparse`` sub-parsers object; return its parser."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "map",
        help="check and draw the go-to-market map (vendor -> distributors -> partners -> segments)",
        description=(
            "Build the go-to-market map of a scenario, report structural problems, and "
            "with --result analyse a solved portfolio: distributor load and single points "
            "of failure. --dot / --png draw it (PNG needs Graphviz)."
        ),
    )
    p.add_argument("scenario", help="scenario TOML file")
    p.add_argument(
        "--result",
        metavar="RESULT.json",
        help="a solved portfolio: JSON with a 'selected' list (selector solve --json)",
    )
    p.add_argument("--dot", metavar="FILE", help="write the map as Graphviz DOT text")
    p.add_argument("--png", metavar="FILE", help="draw the map to a PNG (needs Graphviz 'dot')")
    p.add_argument(
        "--aggregate",
        choices=AGGREGATE_FIELDS,
        default="region",
        help="roll segments up by region or industry when there are many (default: region)",
    )
    p.add_argument("--force", action="store_true", help="replace existing output files")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cli_map)
    return p

"""The ``selector`` command line: the same functions the app and scripts call.

Every subcommand takes ``--json`` for machine-readable output. Bad input exits with
status 2 and one line naming the file, row and column; a solver failure exits 3.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from typing import Any

from selector.errors import SelectorError, SolverError

__all__ = ["main"]


def _clean(value: Any) -> Any:
    """Make a value JSON-safe: NaN and infinities become null, tuples lists."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _clean(value.item())
    return value


def emit_json(value: Any) -> None:
    """Print one JSON document (strict: no NaN)."""
    print(json.dumps(_clean(value), indent=2, allow_nan=False, ensure_ascii=False))


# --- validate --------------------------------------------------------------------------


def _cmd_validate(args: argparse.Namespace) -> int:
    from selector.scenario import describe, load_scenario

    scenario = load_scenario(args.scenario)
    info = describe(scenario)
    if args.json:
        emit_json(info)
        return 0
    print(f"Scenario   {info['name']}  ({info['source']})")
    if len(info["files"]) > 1:
        print(f"Extends    {' <- '.join(info['files'])}")
    print(f"Model      {info['model'] or '(none: scores from the partner table)'}")
    print(f"Objective  {info['objective']}")
    by_type = ", ".join(f"{k} {v}" for k, v in info["partners_by_type"].items())
    print(f"Partners   {info['partners']} ({by_type}); total cost {info['total_partner_cost']:,.0f}")
    print(
        f"Segments   {info['segments']} ({info['named_segments']} named); "
        f"value {info['segment_value']:,.0f}"
    )
    print(f"Coverage   {info['coverage_pairs']:,} partner-segment pairs")
    if info["supply_pairs"] is not None:
        print(f"Supply     {info['supply_pairs']:,} distributor-partner pairs")
    budget = "unlimited" if info["budget_total"] is None else f"{info['budget_total']:,.0f}"
    print(f"Budget     {budget}")
    for key, cap in info["budget_pools"].items():
        print(f"  pool     {key}: {cap:,.0f}")
    if info["must_include"] or info["must_exclude"] or info["conflicts"]:
        print(
            f"Rules      must include {len(info['must_include'])}, must exclude "
            f"{len(info['must_exclude'])}, conflict pairs {len(info['conflicts'])}"
        )
    if info["problems"]:
        print("Problems found (the scenario still loads):")
        for p in info["problems"]:
            print(f"  - {p}")
    else:
        print("No problems found.")
    return 0


def _add_validate(sub: Any) -> None:
    p = sub.add_parser("validate", help="load a scenario and report what was loaded")
    p.add_argument("scenario", help="scenario TOML file")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_cmd_validate)


# --- solve ---------------------------------------------------------------------------


def _cmd_solve(args: argparse.Namespace) -> int:
    from selector.portfolio import explain_partners, heuristic_solve, solve
    from selector.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    if args.heuristic:
        result = heuristic_solve(scenario, seed=args.seed)
    else:
        result = solve(
            scenario,
            solver=args.solver,
            time_limit=args.time_limit,
            gap=args.gap,
            seed=args.seed,
        )
    if args.json:
        emit_json(result.to_dict())
    else:
        d = result.to_dict()
        print(f"Scenario   {d['scenario']}  ({d['objective_kind']})")
        print(f"Status     {d['status']}  [{d['solver']}, {d['wall_seconds']:.2f} s]")
        if d["objective"] is not None:
            bound = "-" if d["bound"] is None else f"{d['bound']:,.0f}"
            gap = "-" if d["gap"] is None else f"{d['gap']:.3%}"
            print(f"Objective  {d['objective']:,.0f}   bound {bound}   gap {gap}")
            budget = "unlimited" if d["budget"] is None else f"{d['budget']:,.0f}"
            print(f"Cost       {d['cost']:,.0f} of {budget}")
            for pool in d["pools"]:
                print(f"  pool     {pool['pool']}: {pool['used']:,.0f} of {pool['cap']:,.0f}")
            share = d["covered_share"]
            print(
                f"Coverage   {d['covered_value']:,.0f} of {d['total_value']:,.0f}"
                + ("" if share is None else f" ({share:.1%})")
            )
            print(f"Selected   {len(d['selected'])} partner(s): {', '.join(d['selected'])}")
        for line in d["explanation"]:
            print(f"  - {line}")
        if args.why and result.feasible:
            table = explain_partners(scenario, result)
            print()
            print(table[["type", "selected", "cost", "marginal_value", "reason"]].to_string())
    return 0 if result.status in ("optimal", "time_limit") else 1


def _add_solve(sub: Any) -> None:
    p = sub.add_parser("solve", help="choose the partner portfolio")
    p.add_argument("scenario", help="scenario TOML file")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--solver", choices=["highs", "cbc"], default=None)
    p.add_argument("--time-limit", type=float, default=None, metavar="S")
    p.add_argument("--gap", type=float, default=None, metavar="G", help="relative gap, e.g. 0.001")
    p.add_argument("--seed", type=int, default=2027)
    p.add_argument("--heuristic", action="store_true", help="greedy + local search only (instant)")
    p.add_argument("--why", action="store_true", help="explain why each partner is in or out")
    p.set_defaults(func=_cmd_solve)


# Each entry adds one subcommand; modules keep their logic, this file only wires it.
REGISTRARS: list[Callable[[Any], None]] = [_add_validate, _add_solve]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="selector",
        description="Choose a channel-partner portfolio: weights, scores, optimizer, map.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in REGISTRARS:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except SolverError as exc:
        print(f"selector: solver failed: {exc}", file=sys.stderr)
        return 3
    except SelectorError as exc:
        print(f"selector: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("selector: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

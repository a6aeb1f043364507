"""The ``selector`` command line: the same functions the app and scripts call.

Every subcommand takes ``--json`` for machine-readable output. Bad input exits with
status 2 and one line naming the file, row and column; a solver failure exits 3.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO, cast

from selector.cli.output import PrintableStream, emit_json, print_solve, printable, status_words
from selector.display import money
from selector.errors import ScenarioError, SelectorError, SolverError

__all__ = ["main", "package_version"]


# --- validate --------------------------------------------------------------------------


def _cmd_validate(args: argparse.Namespace) -> int:
    from selector.inputs.scenario import describe, load_scenario

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
    print(
        f"Partners   {info['partners']} ({by_type}); total cost "
        f"{money(info['total_partner_cost'], scenario.currency)}"
    )
    print(
        f"Segments   {info['segments']} ({info['named_segments']} named); "
        f"value {info['segment_value']:,.0f}"
    )
    print(f"Coverage   {info['coverage_pairs']:,} partner-segment pairs")
    if info["supply_pairs"] is not None:
        print(f"Supply     {info['supply_pairs']:,} distributor-partner pairs")
    currency = scenario.currency
    print(f"Budget     {money(info['budget_total'], currency)}")
    for key, cap in info["budget_pools"].items():
        print(f"  pool     {key}: {money(cap, currency)}")
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
    from selector.inputs.scenario import load_scenario
    from selector.portfolio import explain_partners, heuristic_solve, solve

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
            node_limit=args.node_limit,
        )
    for path in (args.csv, args.xlsx):
        if path and Path(path).exists() and not args.force:
            raise ScenarioError("the file exists; pass --force to replace it", file=path)
    if args.csv or args.xlsx:
        _export(result, csv=args.csv, xlsx=args.xlsx, currency=scenario.currency)
    if args.json:
        emit_json(result.to_dict() | {"currency": scenario.currency})
    else:
        print_solve(result, currency=scenario.currency, ids=args.ids, every=args.why)
        if args.why and result.feasible and result.plan is None:
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
    p.add_argument(
        "--node-limit", type=int, default=None, metavar="N",
        help="deterministic mode: stop after N branch-and-bound nodes instead of at a time "
        "(the same input, seed and N give the same portfolio on any machine)",
    )
    p.add_argument("--heuristic", action="store_true", help="greedy + local search only (instant)")
    p.add_argument("--why", action="store_true", help="explain why each partner is in or out")
    p.add_argument(
        "--ids", action="store_true", help="list the selected partners' ids (--json always has them)"
    )
    p.add_argument("--csv", metavar="FILE",
                   help="write the roadmap (one row per partner and year), the plan, or the selected partners as CSV")
    p.add_argument("--xlsx", metavar="FILE", help="write every result table to an Excel workbook")
    p.add_argument("--force", action="store_true", help="replace --csv / --xlsx files that exist")
    p.set_defaults(func=_cmd_solve)


def _cmd_roll(args: argparse.Namespace) -> int:
    """Solve, then write next year's scenario: OUT.toml and its tables in the folder OUT/."""
    import os

    from selector.inputs.scenario import load_scenario
    from selector.portfolio import solve
    from selector.portfolio.roll import roll_forward, scenario_tables
    from selector.report import scenario_toml_bytes, to_csv_bytes
    from selector.safe_output import write_bytes_atomic

    out = Path(args.output)
    if out.suffix != ".toml":
        raise ScenarioError("accepted: a path ending in .toml", file=str(out))
    folder = out.with_suffix("")
    if not args.force:
        for path in (out, folder):
            if path.exists():
                raise ScenarioError("the file exists; pass --force to replace it", file=str(path))
    scenario = load_scenario(args.scenario)
    result = solve(scenario, time_limit=args.time_limit, seed=args.seed)
    if result.plan is None:
        raise ScenarioError("no plan to roll forward: " + " ".join(result.explanation), file=args.scenario)
    rolled = roll_forward(scenario, result)
    folder.mkdir(parents=True, exist_ok=True)
    settings = scenario_toml_bytes(rolled).decode("utf-8")
    paths = []
    for key, table in scenario_tables(rolled).items():
        write_bytes_atomic(folder / f"{key}.csv", to_csv_bytes(table, index=False))
        paths.append(f'{key} = "{folder.name}/{key}.csv"')
    if scenario.model is not None and scenario.model.source:
        rel = Path(os.path.relpath(Path(scenario.model.source).resolve(), out.resolve().parent)).as_posix()
        paths.append(f'model = "{rel}"')
    write_bytes_atomic(out, ("\n".join(paths) + "\n" + settings).encode("utf-8"))
    print(f"{status_words(result)}; wrote {out} (its tables in {folder}/): today's channel is the "
          f"plan's first year, {len(rolled.constraints.must_exclude)} partners out for good")
    return 0


def _add_roll(sub: Any) -> None:
    p = sub.add_parser("roll", help="solve, then write next year's scenario from the plan's first year")
    p.add_argument("scenario", help="scenario TOML file")
    p.add_argument("-o", "--output", required=True, metavar="NEW.toml", help="the new scenario file")
    p.add_argument("--time-limit", type=float, default=None, metavar="S")
    p.add_argument("--seed", type=int, default=2027)
    p.add_argument("--force", action="store_true", help="replace NEW.toml and its folder when they exist")
    p.set_defaults(func=_cmd_roll)


def _export(result: Any, *, csv: str | None, xlsx: str | None, currency: str | None) -> None:
    """Write the result's tables, each through a temporary file moved into place, so an
    interrupted run never leaves half a file. The summary names the currency, and so do
    the money columns' headers when the scenario gives one."""
    from selector.report import money_headers, to_csv_bytes, to_xlsx_bytes
    from selector.safe_output import write_bytes_atomic

    tables = {k: money_headers(v, currency) for k, v in result.to_frame().items()}
    tables["summary"] = tables["summary"].assign(currency=currency or "")
    outputs: list[tuple[str | None, Callable[[], bytes]]] = [
        (csv, lambda: to_csv_bytes(
            tables.get("roadmap", tables.get("plan", tables["selected"])), index=False)),
        (xlsx, lambda: to_xlsx_bytes(tables, index=False)),
    ]
    for path, data in outputs:
        if not path:
            continue
        try:
            write_bytes_atomic(path, data())
        except OSError as exc:
            raise ScenarioError(f"cannot write the file: {exc.strerror or exc}", file=path) from None


# --- weights and scores --------------------------------------------------------------


def _cmd_weights(args: argparse.Namespace) -> int:
    from selector import ahp
    from selector.inputs.criteria import ROOT, load_model
    from selector.scoring import model_weights

    model = load_model(args.model)
    mw = model_weights(model, method=args.method, ri=args.ri)
    nodes: dict[str, Any] = {}
    for parent, res in mw.nodes.items():
        entry: dict[str, Any] = {"children": list(model.children(parent))}
        if isinstance(res, ahp.AhpResult):
            entry.update(
                local_weights=res.weights, cr=res.cr, consistent=res.consistent,
                lambda_max=res.lambda_max,
                revisions=[r.__dict__ for r in res.revisions],
            )
        elif isinstance(res, ahp.GroupResult):
            entry.update(
                local_weights=res.weights,
                consensus=res.consensus,
                experts={
                    name: {"weights": r.weights, "cr": r.cr, "consistent": r.consistent,
                           "revisions": [v.__dict__ for v in r.revisions]}
                    for name, r in res.experts.items()
                },
            )
        else:
            entry.update(local_weights=None, note="no judgments: equal weights")
        nodes[parent] = entry
    if args.json:
        emit_json(
            {
                "model": model.name, "method": mw.method, "ri_table": mw.ri_table,
                "consistent": mw.consistent, "global_weights": dict(mw.global_weights),
                "node_weights": dict(mw.node_weights), "nodes": nodes,
            }
        )
        return 0
    print(f"Model   {model.name}   (method {mw.method}, RI table {mw.ri_table})")

    def show(parent: str, depth: int) -> None:
        for child in model.children(parent):
            node = model.node(child)
            weight = mw.node_weights.get(child, 0.0)
            local = (nodes.get(parent, {}).get("local_weights") or {}).get(child)
            local_s = "" if local is None else f"  (local {local:.3f})"
            print(f"{'  ' * depth}{node.label:<{44 - 2 * depth}} {weight:7.3f}{local_s}")
            show(child, depth + 1)

    print(f"{'criterion':<44} {'global':>7}")
    show(ROOT, 0)
    print()
    for parent, res in mw.nodes.items():
        label = "goal" if parent == ROOT else model.node(parent).label
        results = (
            {"": res} if isinstance(res, ahp.AhpResult)
            else dict(res.experts) if isinstance(res, ahp.GroupResult) else {}
        )
        for expert, r in results.items():
            who = f" [{expert}]" if expert else ""
            verdict = "ok" if r.consistent else f"INCONSISTENT (threshold {r.threshold:g})"
            print(f"CR {max(r.cr, 0.0):6.3f}  {label}{who}: {verdict}")
            for rev in r.revisions:
                print(
                    f"    revise {rev.row} vs {rev.col}: {rev.current:.3g} -> {rev.suggested:.3g}"
                    f"  (CR after: {rev.cr_after:.3f})"
                )
        if isinstance(res, ahp.GroupResult):
            print(f"    experts merged ({res.method}); consensus {res.consensus:.2f}")
    return 0


def _add_weights(sub: Any) -> None:
    p = sub.add_parser("weights", help="AHP weights of a criteria model, with consistency")
    p.add_argument("model", help="criteria model TOML file")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--method", choices=["eigenvector", "geometric"], default=None)
    p.add_argument(
        "--ri", choices=["saaty1980", "saaty2005", "alonso_lamata", "donegan_dodd"], default=None
    )
    p.set_defaults(func=_cmd_weights)


def _cmd_scores(args: argparse.Namespace) -> int:
    from selector.inputs.scenario import load_scenario
    from selector.scoring import score_partners

    scenario = load_scenario(args.scenario)
    scores = score_partners(scenario)
    table = scores.to_frame()
    table.insert(0, "name", scenario.partners["name"].reindex(table.index))
    table.insert(1, "type", scenario.partners["type"].reindex(table.index))
    if args.json:
        emit_json(
            {
                "scenario": scenario.name,
                "partners": [
                    {"id": str(pid), **{k: row[k] for k in ("name", "type", "score", "band", "rank")}}
                    for pid, row in table.iterrows()
                ],
                "bands": {str(k): int(v) for k, v in scores.band.value_counts().items()},
            }
        )
        return 0
    print(f"Scenario  {scenario.name}: {len(table)} partners")
    print(table.to_string(float_format=lambda v: f"{v:.3f}"))
    return 0


def _add_scores(sub: Any) -> None:
    p = sub.add_parser("scores", help="partner scores and score bands (ranks of the scores)")
    p.add_argument("scenario", help="scenario TOML file")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_cmd_scores)


# --- map and synth: logic in their modules -----------------------------------------------


def _add_map(sub: Any) -> None:
    from selector.cli.map import add_map_parser

    add_map_parser(sub)


def _add_synth(sub: Any) -> None:
    from selector.cli import synth

    p = sub.add_parser("synth", help="generate a seeded synthetic channel scenario")
    synth.add_arguments(p)
    p.set_defaults(func=synth.run)


def _add_robustness(sub: Any) -> None:
    from selector.cli.whatif import add_robustness_parsers

    add_robustness_parsers(sub)


def _add_model(sub: Any) -> None:
    from selector.cli.model import add_model_parser

    add_model_parser(sub)


def _add_workspace(sub: Any) -> None:
    from selector.cli.workspace import add_workspace_parsers

    add_workspace_parsers(sub)


# Each entry adds one subcommand; modules keep their logic, this file only wires it.
REGISTRARS: list[Callable[[Any], None]] = [
    _add_validate,
    _add_weights,
    _add_scores,
    _add_solve,
    _add_roll,
    _add_map,
    _add_synth,
    _add_robustness,
    _add_model,
    _add_workspace,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="selector",
        description="Choose a channel-partner portfolio: weights, scores, optimizer, map.",
    )
    parser.add_argument(
        "--version", action="version", version=f"selector {package_version()}",
        help="print the installed selector version and exit",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in REGISTRARS:
        register(sub)
    return parser


def package_version() -> str:
    """The installed package's version (its metadata), or the source tree's when run
    from a checkout that was never installed."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("selector")
    except PackageNotFoundError:
        from selector import __version__

        return f"{__version__} (not installed)"


class Terminated(KeyboardInterrupt):
    """SIGTERM, turned into an exception so that solvers stop and files are removed."""


def _on_sigterm(signum: int, frame: Any) -> None:
    raise Terminated()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (130 after Ctrl-C, 143 after
    SIGTERM: the solver is stopped and temporary files removed first)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_sigterm)
    stdout = sys.stdout
    sys.stdout = cast(TextIO, PrintableStream(stdout))  # text from files is shown, not obeyed
    try:
        return int(args.func(args))
    except SolverError as exc:
        print(f"selector: solver failed: {printable(str(exc))}", file=sys.stderr)
        return 3
    except SelectorError as exc:
        print(f"selector: error: {printable(str(exc))}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into head and the like
        return 0
    except Terminated:
        print("selector: terminated", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print("selector: interrupted", file=sys.stderr)
        return 130
    finally:
        sys.stdout = stdout


if __name__ == "__main__":
    sys.exit(main())

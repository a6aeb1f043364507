"""``selector frontier | robust | sweep``: what-if analyses from the command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from selector.cli.output import emit_json
from selector.errors import ScenarioError
from selector.inputs.scenario import load_scenario
from selector.whatif import (
    EngineError,
    Progress,
    frontier,
    load_sweep,
    robustness,
    sweep,
    write_csv,
)

if TYPE_CHECKING:
    from selector.store import StudyLog

__all__ = ["add_robustness_parsers"]


def _refuse_existing(path: str | None, force: bool) -> None:
    """Fail before any solving when ``--csv`` would replace a file without ``--force``."""
    if path and Path(path).exists() and not force:
        raise ScenarioError("the file exists; pass --force (overwrite=True) to replace it", file=path)


def _printer(label: str) -> Progress:
    """A progress bar on stderr: tqdm when installed, else a plain counter."""
    try:
        from tqdm import tqdm  # type: ignore[import-untyped, unused-ignore]
    except ImportError:
        tty = sys.stderr.isatty()

        def show(done: int, total: int) -> None:
            step = max(1, total // 10)
            if tty:
                end = "\n" if done == total else ""
                print(f"\r{label}: {done}/{total}", end=end, file=sys.stderr, flush=True)
            elif done == total or done % step == 0:
                print(f"{label}: {done}/{total}", file=sys.stderr, flush=True)

        return show

    bars: list[Any] = []

    def update(done: int, total: int) -> None:
        if not bars:
            bars.append(tqdm(total=total, desc=label, file=sys.stderr))
        bars[0].n = done
        bars[0].refresh()
        if done == total:
            bars[0].close()

    return update


def _engine_from(args: argparse.Namespace) -> Any:
    if getattr(args, "scheduler", None):
        return args.scheduler
    workers = getattr(args, "workers", None)
    if workers is None:
        return None
    return "serial" if workers == 0 else workers


@contextmanager
def _kept(args: argparse.Namespace, what: str) -> Iterator[StudyLog | None]:
    """The workspace log for ``--db`` (None without it); on an engine failure or Ctrl-C,
    say what finished and whether it was kept."""
    if args.resume and not args.db:
        raise ScenarioError("--resume needs --db, the workspace the earlier results were saved in")
    if not args.db:
        try:
            yield None
        except EngineError as exc:
            if not exc.done:
                raise
            raise EngineError(
                f"{exc}; without --db they are not kept (with --db FILE each result is "
                "saved as it arrives, and --resume runs only what is missing)",
                done=exc.done, total=exc.total, results=exc.results,
            ) from exc
        return
    # only with --db: SQLAlchemy is slow to import
    from selector.store import StudyLog, open_store, study_results

    store = open_store(args.db)
    log = StudyLog(store, resume=args.resume)
    try:
        yield log
    except EngineError as exc:
        if not exc.done:
            raise
        raise EngineError(
            f"{exc}; they are saved in the workspace {args.db}: the same command with "
            f"--resume runs only the other {exc.total - exc.done}",
            done=exc.done, total=exc.total, results=exc.results,
        ) from exc
    except KeyboardInterrupt:
        done = log.reused + log.saved
        if log.study_id is not None:  # counted in the workspace: a save may have been cut off
            with suppress(Exception):
                done = len(study_results(store, log.study_id))
        print(f"selector: {done} {what} are saved in the workspace {args.db}; the same "
              "command with --resume runs only the rest", file=sys.stderr)
        raise
    else:
        print(f"{what}: {log.reused} from the workspace, {log.saved} run now and saved "
              f"(study {log.study_id} in {args.db})", file=sys.stderr)
    finally:
        store.close()


def _finish(frame: pd.DataFrame, data: dict[str, Any], args: argparse.Namespace, text: str) -> None:
    if args.csv:
        write_csv(frame, args.csv, overwrite=args.force)
    if args.json:
        emit_json(data)
    else:
        print(text)


def _cmd_frontier(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    _refuse_existing(args.csv, args.force)
    with _kept(args, "points") as log:
        result = frontier(
            scenario, points=args.points, low=args.low, high=args.high,
            time_limit=args.time_limit, engine=_engine_from(args), progress=_printer("frontier"),
            log=log, session=args.session,
        )
    frame = result.to_frame()
    table = frame[["status", "objective", "gap", "cost", "covered_share", "n_selected", "marginal"]]
    sat = result.saturation_budget
    text = table.to_string(float_format=lambda v: f"{v:,.4g}") + "\n" + (
        f"Extra budget stops buying coverage after {sat:,.0f} (marginal gain below "
        f"{result.saturation:.0%} of the first step's)."
        if sat is not None
        else "Extra budget keeps buying coverage over the whole range."
    )
    _finish(frame, result.to_dict(), args, text)
    return 0


def _cmd_robust(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    _refuse_existing(args.csv, args.force)
    with _kept(args, "runs") as log:
        result = robustness(
            scenario, runs=args.runs, judgment_spread=args.spread, data_noise=args.noise,
            value_noise=args.noise, seed=args.seed, time_limit=args.time_limit,
            heuristic=args.heuristic, engine=_engine_from(args), progress=_printer("robust"),
            log=log,
        )
    frame = result.to_frame()
    shown = frame[frame["frequency"] > 0]
    lines = [
        f"{len(result.runs)} runs ({result.feasible_runs} with a portfolio; statuses "
        f"{result.status_counts})",
        shown.to_string(float_format=lambda v: f"{v:,.3g}"),
        "",
        result.spread.to_string(float_format=lambda v: f"{v:,.4g}"),
        "",
        f"Most frequent portfolio ({result.modal_count} of {len(result.runs)} runs): "
        + ", ".join(result.modal_portfolio),
    ]
    _finish(frame, result.to_dict(), args, "\n".join(lines))
    return 0


def _cmd_sweep(args: argparse.Namespace) -> int:
    scenario, grid = load_sweep(args.spec)
    _refuse_existing(args.csv, args.force)
    with _kept(args, "combinations") as log:
        result = sweep(
            scenario, grid, time_limit=args.time_limit, engine=_engine_from(args),
            progress=_printer("sweep"), log=log, session=args.session,
        )
    frame = result.to_frame()
    shown = frame.drop(columns=["selected", "seconds"])
    _finish(frame, result.to_dict(), args, shown.to_string(float_format=lambda v: f"{v:,.4g}"))
    return 0


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--csv", metavar="FILE", help="also write the table as CSV")
    p.add_argument("--force", action="store_true", help="overwrite the --csv file")
    p.add_argument("--scheduler", metavar="ADDR", help="Dask scheduler, e.g. tcp://host:8786")
    p.add_argument("--time-limit", type=float, default=10.0, metavar="S", help="seconds per solve")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="local worker processes (default: one per CPU; 0: in this process)")
    p.add_argument("--db", default=None, metavar="DB",
                   help="workspace (file or URL) to save each result in as it arrives")
    p.add_argument("--resume", action="store_true",
                   help="take the results this same command saved in --db; run only the rest")


def _session_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--session", action="store_true",
                   help="solve through one solve session per worker (each solve starts from "
                        "the ones before it: faster; ties between plans of equal value may "
                        "be settled otherwise than by independent solves)")


def add_robustness_parsers(subparsers: Any) -> None:
    """Register ``frontier``, ``robust`` and ``sweep`` on the ``selector`` command."""
    p = subparsers.add_parser("frontier", help="coverage against budget over a range")
    p.add_argument("scenario", help="scenario TOML file")
    p.add_argument("--points", type=int, default=8, metavar="N")
    p.add_argument("--low", type=float, default=0.5, metavar="X", help="lowest budget multiple")
    p.add_argument("--high", type=float, default=1.5, metavar="X", help="highest budget multiple")
    _common(p)
    _session_flag(p)
    p.set_defaults(func=_cmd_frontier)

    p = subparsers.add_parser("robust", help="Monte Carlo robustness of the portfolio")
    p.add_argument("scenario", help="scenario TOML file")
    p.add_argument("--runs", type=int, required=True, metavar="N")
    p.add_argument("--spread", type=int, default=1, metavar="K",
                   help="judgment steps on Saaty's scale")
    p.add_argument("--noise", type=float, default=0.1, metavar="X",
                   help="lognormal sigma for partner data and segment values")
    p.add_argument("--heuristic", action="store_true", help="greedy portfolio instead of exact solves (fast)")
    p.add_argument("--seed", type=int, default=2027)
    _common(p)
    p.set_defaults(func=_cmd_robust)

    p = subparsers.add_parser("sweep", help="solve a grid of scenario settings")
    p.add_argument("spec", help="sweep spec TOML (scenario = ..., [grid])")
    _common(p)
    _session_flag(p)
    p.set_defaults(func=_cmd_sweep)

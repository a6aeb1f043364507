"""Portfolio benchmark: selector against the plain PuLP formulation and the greedy alone.

Instances come from the project's seeded generator (``selector.inputs.synth``) at account
granularity: S (~60 partners x 1,000 accounts), M (604 x 14,000, the vendor shape),
L (~5,000 x 200,000). Each method runs in its own process so peak memory is its own.

    python bench/portfolio_bench.py --sizes S,M --time-limit 10
    python bench/portfolio_bench.py --orlib ../shared/benchmarks/orlib-scp --time-limit 60
    python bench/portfolio_bench.py --orlib-only --orlib ../shared/benchmarks/orlib-scp \
        --orlib-hard --orlib-names scpnre1,scpnrf1 --time-limit 60

Prints one table per run; compare ratios within one run (the machine is shared).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from selector.inputs.orlib import KNOWN_OPTIMA

SIZES = {"S": (0.1, 1_000), "M": (1.0, 14_000), "L": (8.3, 200_000)}
# OR-Library optima (shared/benchmarks/orlib-scp/README.md), kept in selector.inputs.orlib
KNOWN = KNOWN_OPTIMA
# hard/ (shared/benchmarks/orlib-scp/README.md): best-known costs, several proven optimal
BEST_KNOWN_HARD = dict(zip(
    [f"scpnr{s}{i}" for s in "efgh" for i in range(1, 6)],
    [29, 30, 27, 28, 28, 14, 15, 14, 14, 13, 176, 154, 166, 168, 168, 63, 63, 59, 58, 55],
    strict=True,
))


def _peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024.0


def _scenario(size: str, objective: str, budget_share: float) -> Any:
    from selector.inputs.scenario import scenario_from_frames
    from selector.inputs.synth import generate_channel

    scale, accounts = SIZES[size]
    ch = generate_channel(seed=2027, scale=scale, granularity="account", accounts=accounts, prospects=0)
    partners = ch.partners.copy()
    partners["score"] = 0.5 + 0.5 * np.random.default_rng(1).random(len(partners))
    budget = round(budget_share * float(partners["cost"].sum()), -3)
    settings = {
        "name": f"bench-{size}",
        "objective": {"kind": objective},
        "budget": {"total": budget},
        "constraints": {"tier2_needs_distributor": False},
    }
    coverage = ch.coverage.astype(str)
    return scenario_from_frames(partners.drop(columns=[]), ch.segments, coverage=coverage, settings=settings)


def _plain(scn: Any, solver: str, time_limit: float) -> dict[str, Any]:
    """The formulation an analyst writes: x binary, y_s <= sum x, budget; lpSum per row."""
    import pulp

    t0 = time.perf_counter()
    prob = pulp.LpProblem("plain", pulp.LpMaximize)
    ids = list(scn.partners.index)
    cost = scn.partners["cost"].to_dict()
    x = {p: pulp.LpVariable(f"x_{p}", cat=pulp.LpBinary) for p in ids}
    by_seg = scn.coverage.groupby("segment_id")["partner_id"].apply(list)
    value = scn.segments["value"]
    y = {s: pulp.LpVariable(f"y_{s}", 0, 1) for s in by_seg.index}
    prob += pulp.lpSum(float(value[s]) * y[s] for s in by_seg.index)
    for s, members in by_seg.items():
        prob += y[s] <= pulp.lpSum(x[p] for p in members)
    prob += pulp.lpSum(cost[p] * x[p] for p in ids) <= float(scn.budget.total)
    build = time.perf_counter() - t0
    t1 = time.perf_counter()
    if solver == "cbc":
        from pulp.apis import coin_api

        cmd = pulp.COIN_CMD(path=coin_api.pulp_cbc_path, msg=False, timeLimit=time_limit)
    else:
        cmd = pulp.HiGHS(msg=False, timeLimit=time_limit)
    prob.solve(cmd)
    chosen = np.array([(x[p].varValue or 0) > 0.5 for p in ids])
    sel = set(np.asarray(ids)[chosen])
    covered = scn.coverage[scn.coverage["partner_id"].isin(sel)]["segment_id"].unique()
    obj = float(value.loc[covered].sum())
    return {"build_s": build, "solve_s": time.perf_counter() - t1, "objective": obj, "bound": None}


def _greedy(scn: Any) -> dict[str, Any]:
    from selector.portfolio import heuristic_solve

    t0 = time.perf_counter()
    r = heuristic_solve(scn)
    return {"build_s": r.build_seconds, "solve_s": time.perf_counter() - t0 - r.build_seconds,
            "objective": r.objective, "bound": None}


def _selector(scn: Any, time_limit: float, gap: float, *, full_model: bool = False) -> dict[str, Any]:
    from selector.portfolio import solve

    if full_model:  # the model with a column per segment row, as selector solved it before the cuts
        r = _full_model(scn, time_limit, gap)
    else:
        r = solve(scn, time_limit=time_limit, gap=gap)
    return {"build_s": r.build_seconds, "solve_s": r.wall_seconds - r.build_seconds,
            "objective": r.objective, "bound": r.bound, "status": r.status}


def _full_model(scn: Any, time_limit: float, gap: float) -> Any:
    """selector's solve on the route the coverage objectives took before the cut loop:
    the whole model by HiGHS, its Lagrangian bound a share of the time on large models."""
    from dataclasses import replace

    from selector.portfolio.clock import Deadline
    from selector.portfolio.execute import run_route
    from selector.portfolio.options import resolve_options
    from selector.portfolio.reductions import reduce
    from selector.portfolio.result import assemble_result
    from selector.portfolio.route import LAGRANGE_ROWS, choose_route

    options = resolve_options(scn, time_limit=time_limit, gap=gap)
    clock = Deadline(options.time_limit)
    inst = reduce(scn, options)
    route = replace(choose_route(inst, options), search="mip", polish=False, neighbourhood=False,
                    lagrangian="share" if inst.maximize and inst.n_rows >= LAGRANGE_ROWS else "none")
    found = run_route(scn, inst, route, options, clock)
    return assemble_result(scn, inst, status=found.status, x=found.x, objective=found.objective,
                           bound=found.bound, solver="highs", wall=clock.elapsed(),
                           build=found.build_seconds, explanation=found.explanation,
                           heuristic=found.heuristic, route=found.route.describe())


def _run(method: str, size: str, args: argparse.Namespace, out: Any) -> None:
    t0 = time.perf_counter()
    scn = _scenario(size, args.objective, args.budget_share)
    gen = time.perf_counter() - t0
    if method == "plain PuLP+CBC":
        row = _plain(scn, "cbc", args.time_limit)
    elif method == "plain PuLP+HiGHS":
        row = _plain(scn, "highs", args.time_limit)
    elif method == "greedy alone":
        row = _greedy(scn)
    elif method == "selector full model":
        row = _selector(scn, args.time_limit, args.gap, full_model=True)
    else:
        row = _selector(scn, args.time_limit, args.gap)
    row.update(size=size, method=method, generate_s=gen, peak_mb=_peak_mb(),
               shape=f"{len(scn.partners)}x{len(scn.segments)}")
    out.put(row)


def _orlib(path: Path, need: int = 1) -> Any:
    """The ``min_cost`` scenario of an OR-Library file (ScenarioError when it has no
    costs); with ``need`` > 1, every row needs that many partners (a multicover)."""
    from selector.inputs.orlib import read_scp, scp_scenario

    scenario = scp_scenario(read_scp(path))
    if need > 1:
        scenario = scenario.with_changes({"constraints": {"min_partners": {"default": need}}})
    return scenario


def _tiny_scp() -> Path:
    """A 3-row, 4-column set-covering file: the warm-up solve of ``--orlib-warm``."""
    import tempfile

    path = Path(tempfile.mkdtemp()) / "tiny.txt"
    path.write_text("3 4\n1 2 3 4\n2 1 2\n2 2 3\n2 3 4\n")
    return path


def _orlib_one(path: Path, time_limit: float, warm: bool, need: int, out: Any) -> None:
    import highspy  # noqa: F401  (imported before the clock, as plain HiGHS's is)

    from selector.portfolio import solve

    if warm:  # what a process that has solved once already pays
        solve(_orlib(_tiny_scp()), solver="highs", time_limit=time_limit, gap=0.0, threads=1)
    t0 = time.perf_counter()
    r = solve(_orlib(path, need), solver="highs", time_limit=time_limit, gap=0.0, threads=1)
    out.put({"selector": r.objective, "status": r.status, "bound": r.bound,
             "seconds": time.perf_counter() - t0})


def _plain_highs(path: Path, time_limit: float, need: int = 1) -> Any:
    """The set-covering MIP as anyone would hand it to HiGHS: min c x, A x >= need, x
    binary, one thread, HiGHS's defaults otherwise (the README's reference times)."""
    import highspy

    from selector.inputs.orlib import read_scp

    inst = read_scp(path)
    assert inst.costs is not None
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("time_limit", float(time_limit))
    A = inst.coverage.tocsc().astype(float)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = inst.n, inst.m
    lp.col_cost_ = inst.costs.astype(float)
    lp.col_lower_, lp.col_upper_ = np.zeros(inst.n), np.ones(inst.n)
    lp.row_lower_, lp.row_upper_ = np.full(inst.m, float(need)), np.full(inst.m, highspy.kHighsInf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = inst.n, inst.m
    lp.integrality_ = [highspy.HighsVarType.kInteger] * inst.n
    h.passModel(lp)
    h.run()
    return h.getInfo()


def _orlib_plain(path: Path, time_limit: float, warm: bool, need: int, out: Any) -> None:
    """Plain HiGHS on the file, timed from reading it, as selector's solve is (its time
    includes the read)."""
    import highspy  # noqa: F401

    if warm:
        _plain_highs(_tiny_scp(), time_limit)
    t0 = time.perf_counter()  # from the file, as selector's time is
    info = _plain_highs(path, time_limit, need)
    out.put({"plain HiGHS": info.objective_function_value, "plain bound": info.mip_dual_bound,
             "plain_s": time.perf_counter() - t0})


def _stem(path: Path) -> str:
    return path.name.split(".")[0]


def _orlib_files(folder: Path, everything: bool, hard: bool = False, names: str = "") -> list[Path]:
    """scp4x, scp5x, scp6x (and scpa-d when ``everything``), in the README's order; with
    ``hard``, the gzip files of ``hard/`` (nre, nrf, nrg, nrh) instead. ``names``
    (comma separated stems) keeps only those."""
    if hard:
        def hard_key(path: Path) -> tuple[str, int]:
            stem = _stem(path)
            return stem[:-1], int(stem[-1])

        found = sorted((folder / "hard").glob("scp*.txt.gz"), key=hard_key)
    else:
        sets = "456abcd" if everything else "456"

        def key(path: Path) -> tuple[str, int]:
            digits = path.stem[4:]
            return path.stem[3], int(digits) if digits.isdigit() else 0

        found = sorted((p for p in folder.glob("scp*.txt") if p.stem[3:4] in sets), key=key)
    wanted = {n.strip() for n in names.split(",") if n.strip()}
    return [p for p in found if not wanted or _stem(p) in wanted]


def _orlib_table(folder: Path, time_limit: float, everything: bool, hard: bool = False, names: str = "",
                 warm: bool = False, repeat: int = 1, need: int = 1) -> None:
    """Solve each file with selector (HiGHS, gap 0) and compare with the known optimum.
    Each side runs in a fresh process; with ``warm``, each first solves a tiny file, so
    that what is timed is a solve in a process that has solved before (both sides); with
    ``repeat``, each side's least time of that many runs is kept. With ``need`` > 1
    every row needs that many columns (a multicover, on both sides): there is no known
    optimum, and a file counts as solved when selector's value is plain HiGHS's proved
    one.

    Files are read here first: one that is broken or carries no costs gets a row that
    says so, and nothing is solved for it."""
    from selector.errors import ScenarioError
    from selector.inputs.orlib import read_scp

    rows: list[dict[str, Any]] = []
    notes: dict[str, str] = {}
    for path in _orlib_files(folder, everything, hard, names):
        stem = _stem(path)
        known = (BEST_KNOWN_HARD if hard else KNOWN).get(stem) if need == 1 else None
        row: dict[str, Any] = {"instance": stem, "m x n": "?", "known": known,
                               "selector": None, "status": "", "bound": None, "seconds": None,
                               "plain HiGHS": None, "plain bound": None, "plain_s": None}
        try:
            inst = read_scp(path)
        except ScenarioError as exc:
            row["status"] = "unreadable"
            notes[stem] = str(exc)
            head = path.read_bytes()[:100].split()[:2]
            if len(head) == 2 and all(h.isdigit() for h in head):
                row["m x n"] = f"{int(head[0])} x {int(head[1])}"
        else:
            row["m x n"] = f"{inst.m} x {inst.n}"
            if inst.costs is None:
                row["status"] = "no costs in file"
                notes.setdefault("no costs", inst.layout)
            else:
                # the least time of ``repeat`` fresh processes, each side (noise on the
                # 20-ms files is a few ms either way)
                row.update(min((_in_process(_orlib_one, path, time_limit, warm, need) for _ in range(repeat)),
                               key=lambda r: r["seconds"]))
                row.update(min((_in_process(_orlib_plain, path, time_limit, warm, need) for _ in range(repeat)),
                               key=lambda r: r["plain_s"]))
        rows.append(row)
        print(f"  done {stem}: {row['status']}", file=sys.stderr)
    table = pd.DataFrame(rows, columns=["instance", "m x n", "known", "selector", "status",
                                        "bound", "seconds", "plain HiGHS", "plain bound", "plain_s"])
    numbers = ["known", "selector", "bound", "seconds", "plain HiGHS", "plain bound", "plain_s"]
    table[numbers] = table[numbers].astype(float)
    table["time ratio"] = table["seconds"] / table["plain_s"]
    # a NaN (no objective, no known optimum) compares False
    if need == 1:
        table["at_optimum"] = (table["selector"] - table["known"]).abs() < 1e-6
    else:  # plain HiGHS's value where it proved it (its bound meets it)
        proved = (table["plain HiGHS"] - table["plain bound"]).abs() < 1e-6
        table["at_optimum"] = proved & ((table["selector"] - table["plain HiGHS"]).abs() < 1e-6)
    print(f"OR-Library set {'covering' if need == 1 else f'multicovering ({need} a row)'} ({folder}), "
          "selector (HiGHS, gap 0) and plain HiGHS, "
          f"one thread each, time limit {time_limit:g} s, "
          f"{'each after a warm-up solve of a tiny file' if warm else 'each in a fresh process'}"
          f"{f', best of {repeat} runs' if repeat > 1 else ''}")
    print(table.to_string(index=False, na_rep="-", float_format=lambda v: f"{v:,.4g}"))
    costless = int((table["status"] == "no costs in file").sum())
    if costless:
        print(f"{costless} file(s) carry no column costs ({notes.pop('no costs')} layout: m n, "
              "2m row numbers, rows; see selector/orlib.py): nothing to compare")
    for stem, message in notes.items():
        print(f"{stem}: {message}")
    what = "best-known value" if hard else "known optimum" if need == 1 else "optimum plain HiGHS proved"
    print(f"{int(table['at_optimum'].sum())} of {len(table)} at the {what}; time ratio "
          f"selector / plain HiGHS: median {table['time ratio'].median():.2f}, worst "
          f"{table['time ratio'].max():.2f}; totals {table['seconds'].sum():.1f} s vs "
          f"{table['plain_s'].sum():.1f} s")


def _in_process(target: Any, *a: Any) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=target, args=(*a, q))
    p.start()
    row = q.get()
    p.join()
    return dict(row)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="S,M")
    ap.add_argument("--methods", default="plain PuLP+CBC,plain PuLP+HiGHS,greedy alone,selector full model,selector")
    ap.add_argument("--objective", default="coverage", choices=["coverage", "weighted_coverage"])
    ap.add_argument("--budget-share", type=float, default=0.08)
    ap.add_argument("--time-limit", type=float, default=10.0)
    ap.add_argument("--gap", type=float, default=0.005)
    ap.add_argument("--orlib", type=Path, default=None, help="folder of OR-Library scp files")
    ap.add_argument("--orlib-only", action="store_true")
    ap.add_argument("--orlib-all", action="store_true", help="also the larger scpa-d files")
    ap.add_argument("--orlib-hard", action="store_true", help="the hard/ files (nre, nrf, nrg, nrh) instead")
    ap.add_argument("--orlib-names", default="", help="only these files (comma-separated stems)")
    ap.add_argument("--orlib-repeat", type=int, default=1,
                    help="run each side this many times (fresh processes) and keep its least time")
    ap.add_argument("--orlib-need", type=int, default=1,
                    help="every row needs this many columns (a multicover; compared with plain HiGHS's value)")
    ap.add_argument("--orlib-warm", action="store_true",
                    help="time each side after a warm-up solve of a tiny file in the same process")
    args = ap.parse_args(argv)
    if args.orlib_need < 1:
        ap.error(f"--orlib-need must be 1 or more (got {args.orlib_need})")
    pd.set_option("display.width", 200)
    if not args.orlib_only:
        rows = []
        for size in args.sizes.split(","):
            for method in args.methods.split(","):
                rows.append(_in_process(_run, method, size, args))
                print(f"  done {size} {method}", file=sys.stderr)
        table = pd.DataFrame(rows)
        # every bound is valid: the least one is the tightest
        best_bound = table.groupby("size")["bound"].min()
        table["proven_gap"] = [
            (b - o) / o if b == b and b is not None and o else None
            for b, o in zip(table["bound"], table["objective"], strict=True)
        ]
        table["gap_to_best_bound"] = [
            (best_bound[s] - o) / best_bound[s] if best_bound.notna()[s] and o else None
            for s, o in zip(table["size"], table["objective"], strict=True)
        ]
        cols = ["size", "shape", "method", "build_s", "solve_s", "objective", "bound", "proven_gap",
                "gap_to_best_bound", "peak_mb"]
        print(f"objective={args.objective} budget={args.budget_share:.0%} of partner cost, "
              f"time limit {args.time_limit:g} s, selector gap target {args.gap:g}")
        print(table[cols].to_string(index=False, float_format=lambda v: f"{v:,.4g}"))
    if args.orlib is not None:
        _orlib_table(args.orlib, args.time_limit, args.orlib_all, args.orlib_hard, args.orlib_names,
                     args.orlib_warm, max(1, args.orlib_repeat), args.orlib_need)
    return 0


if __name__ == "__main__":
    sys.exit(main())

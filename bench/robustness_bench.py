"""Monte Carlo robustness throughput: runs per minute on the vendor scenario.

Each run perturbs the vendor scenario (604 partners, 510 segments: AHP judgments by
one Saaty step, partner data and segment values by 10 % lognormal noise), re-scores
and re-solves it. ``--mode heuristic`` (default) takes the greedy portfolio alone
(``robustness(heuristic=True)``: requirements first, then gain per cost; no
time-bounded step, so reproducible; ~0.2 s a run); ``--mode exact``
runs HiGHS on one thread with ``--time-limit`` seconds per run.

``--engines`` (default ``cluster``): ``cluster`` starts a real local Dask cluster for
each worker count in ``--workers``, the way a team starts one (a ``dask scheduler``
process on 127.0.0.1 and ``dask worker ADDR --nworkers N --nthreads 1``), and passes its
address as ``engine=``; the workers import selector once in a warm-up of N runs, which
is not timed (a team's cluster stays up), and cluster start-up is not timed either.
``pool`` times the local process pool, pool start-up included (workers are spawned).

    python bench/robustness_bench.py                        # 1,000 runs, 1 and 2 workers
    python bench/robustness_bench.py --runs 200 --workers 1,2 --engines pool,cluster
    python bench/robustness_bench.py --runs 12 --mode exact --time-limit 5

Prints one table (engine, workers, runs, seconds, runs/minute, speed-up against the
first row of the same engine). The machine is shared and noisy: compare ratios within
one run.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from selector import load_scenario
from selector.whatif import RobustnessResult, robustness

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "scenarios" / "vendor.toml"


def _wait_for(log: Path, text: str, count: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 300
    while not log.exists() or log.read_text(errors="replace").count(text) < count:
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{log.stem} did not start; see {log}")
        time.sleep(0.2)


@contextlib.contextmanager
def local_cluster(workers: int) -> Iterator[str]:
    """A `dask scheduler` and `dask worker --nworkers N --nthreads 1` process on
    127.0.0.1 (a free port); yields the scheduler's address, stops both after."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    # the workers must import this checkout's selector, whatever is installed
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)}
    folder = Path(tempfile.mkdtemp(prefix="robustness-bench-"))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for name, argv, text, count in (
            ("scheduler", ["dask", "scheduler", "--host", "127.0.0.1", "--port", str(port),
                           "--dashboard-address", ":0"], "Scheduler at:", 1),
            ("worker", ["dask", "worker", address, "--nworkers", str(workers), "--nthreads",
                        "1", "--no-dashboard"], "Registered to:", workers),
        ):
            log = folder / f"{name}.log"
            with log.open("wb") as out:
                procs.append(subprocess.Popen(argv, cwd=folder, env=env, stdout=out,
                                              stderr=subprocess.STDOUT))
            _wait_for(log, text, count, procs[-1])
        yield address
    finally:
        for proc in reversed(procs):  # the processes started here
            proc.terminate()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000, help="Monte Carlo runs (default 1000)")
    parser.add_argument("--workers", default="1,2", help="worker counts, e.g. 1,2 (default)")
    parser.add_argument("--engines", default="cluster",
                        help="pool, cluster or both as pool,cluster (default cluster)")
    parser.add_argument("--mode", choices=["heuristic", "exact"], default="heuristic")
    parser.add_argument("--time-limit", type=float, default=5.0, metavar="S",
                        help="seconds per exact solve (exact mode)")
    parser.add_argument("--seed", type=int, default=2027)
    parser.add_argument("--scenario", default=str(VENDOR))
    args = parser.parse_args(argv)
    counts = [int(w) for w in args.workers.split(",") if w.strip()]
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = sorted(set(engines) - {"pool", "cluster"})
    if unknown:
        parser.error(f"--engines: unknown {', '.join(unknown)}; accepted: pool, cluster")
    scenario = load_scenario(args.scenario)
    print(
        f"{scenario.name}: {len(scenario.partners)} partners, {len(scenario.segments)} "
        f"segments; {args.runs} runs, mode {args.mode}"
        + (f" ({args.time_limit:g} s per solve)" if args.mode == "exact" else "")
        + f"; {os.cpu_count()} CPUs",
        file=sys.stderr,
    )

    def run(engine: object, runs: int) -> RobustnessResult:
        return robustness(scenario, runs=runs, seed=args.seed, heuristic=args.mode == "heuristic",
                          time_limit=args.time_limit, engine=engine)

    rows = []
    reference: dict[str, tuple[str, ...]] = {}
    for engine_kind in engines:
        for workers in counts:
            with contextlib.ExitStack() as stack:
                engine: object = workers
                if engine_kind == "cluster":
                    engine = stack.enter_context(local_cluster(workers))
                    # warm-up, not timed: each worker imports selector and gets the scenario
                    run(engine, workers)
                t0 = time.perf_counter()
                result = run(engine, args.runs)
                seconds = time.perf_counter() - t0
            per_run = sum(r.seconds for r in result.runs) / len(result.runs)
            sets = tuple(",".join(r.selected) for r in result.runs)
            same = None
            if reference:
                same = sum(a == b for a, b in zip(reference["sets"], sets, strict=True)) / len(sets)
            else:
                reference["sets"] = sets
            rows.append(
                {
                    "engine": engine_kind,
                    "workers": workers,
                    "runs": len(result.runs),
                    "seconds": round(seconds, 1),
                    "runs/minute": round(60 * len(result.runs) / seconds, 1),
                    "solve s/run": round(per_run, 2),
                    "statuses": ", ".join(f"{k} {v}" for k, v in result.status_counts.items()),
                    "same portfolios as first": "-" if same is None else f"{same:.0%}",
                }
            )
            print(f"  {engine_kind}, {workers} worker(s): {seconds:.1f} s", file=sys.stderr)
    table = pd.DataFrame(rows)
    first = table.groupby("engine", sort=False)["runs/minute"].transform("first")
    table.insert(5, "speed-up", (table["runs/minute"] / first).round(2))
    print(table.to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

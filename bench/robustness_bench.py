"""Monte Carlo robustness throughput: runs per minute on the vendor scenario.

Each run perturbs the vendor scenario (604 partners, 510 segments: AHP judgments by
one Saaty step, partner data and segment values by 10 % lognormal noise), re-scores
and re-solves it. ``--mode heuristic`` (default) takes the greedy portfolio alone
(``robustness(heuristic=True)``: requirements first, then gain per cost; no
time-bounded step, so reproducible; ~0.2 s a run); ``--mode exact``
runs HiGHS on one thread with ``--time-limit`` seconds per run. The local process pool is timed with
each worker count in ``--workers``, pool start-up included (workers are spawned).

    python bench/robustness_bench.py                        # 1,000 runs, 1 and 2 workers
    python bench/robustness_bench.py --runs 200 --workers 1,2
    python bench/robustness_bench.py --runs 40 --mode exact --time-limit 5

Prints one table (workers, runs, seconds, runs/minute, speed-up against the first
worker count). The machine is shared and noisy: compare ratios within one run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import pandas as pd

from selector import load_scenario
from selector.whatif import robustness

VENDOR = Path(__file__).resolve().parents[1] / "scenarios" / "vendor.toml"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000, help="Monte Carlo runs (default 1000)")
    parser.add_argument("--workers", default="1,2", help="worker counts, e.g. 1,2 (default)")
    parser.add_argument("--mode", choices=["heuristic", "exact"], default="heuristic")
    parser.add_argument("--time-limit", type=float, default=5.0, metavar="S",
                        help="seconds per exact solve (exact mode)")
    parser.add_argument("--seed", type=int, default=2027)
    parser.add_argument("--scenario", default=str(VENDOR))
    args = parser.parse_args(argv)
    counts = [int(w) for w in args.workers.split(",") if w.strip()]
    scenario = load_scenario(args.scenario)
    print(
        f"{scenario.name}: {len(scenario.partners)} partners, {len(scenario.segments)} "
        f"segments; {args.runs} runs, mode {args.mode}"
        + (f" ({args.time_limit:g} s per solve)" if args.mode == "exact" else "")
        + f"; {os.cpu_count()} CPUs",
        file=sys.stderr,
    )
    rows = []
    reference: dict[str, tuple[str, ...]] = {}
    for workers in counts:
        t0 = time.perf_counter()
        result = robustness(
            scenario, runs=args.runs, seed=args.seed, heuristic=args.mode == "heuristic",
            time_limit=args.time_limit, engine=workers,
        )
        seconds = time.perf_counter() - t0
        per_run = sum(r.seconds for r in result.runs) / len(result.runs)
        same = None
        if reference:
            same = sum(
                a == b for a, b in zip(reference["sets"], (",".join(r.selected) for r in result.runs),
                                       strict=True)
            ) / len(result.runs)
        else:
            reference["sets"] = tuple(",".join(r.selected) for r in result.runs)
        rows.append(
            {
                "workers": workers,
                "runs": len(result.runs),
                "seconds": round(seconds, 1),
                "runs/minute": round(60 * len(result.runs) / seconds, 1),
                "solve s/run": round(per_run, 2),
                "statuses": ", ".join(f"{k} {v}" for k, v in result.status_counts.items()),
                "same portfolios as first": "-" if same is None else f"{same:.0%}",
            }
        )
        print(f"  {workers} worker(s): {seconds:.1f} s", file=sys.stderr)
    table = pd.DataFrame(rows)
    table.insert(4, "speed-up", (table["runs/minute"] / table["runs/minute"].iloc[0]).round(2))
    print(table.to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

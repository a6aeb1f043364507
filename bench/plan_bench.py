"""Plans from today's channel: time, proven gap and stability, with and without the
fewest-changes stage, in one run.

For each scenario it solves the baseline and a what-if that only excludes a partner the
baseline leaves out (so the right answer is the same plan), once with the second stage
(``stability = "fewest_changes"``, the default) and once without (``"none"``), and prints
one table: seconds, status, proven gap, changes from today, and how many partners the
two what-ifs' plans put at different levels (0 is what a strategist should see).

    python bench/plan_bench.py [--time-limit 10] [SCENARIO.toml ...]
"""

from __future__ import annotations

import argparse
import time

from selector import load_scenario, solve
from selector.portfolio.plan import plan_changes


def row(path: str, stability: str, time_limit: float) -> dict[str, object]:
    base = load_scenario(path).with_changes({"programme": {"stability": stability}})
    t0 = time.perf_counter()
    a = solve(base, time_limit=time_limit)
    seconds = time.perf_counter() - t0
    if a.plan is None or a.plan_summary is None:
        raise SystemExit(f"{path}: not a plan scenario (no status column / [programme])")
    out_ids = [pid for pid in a.plan.index if a.plan.loc[pid, "proposed"] == "out"]
    excluded = list(base.constraints.must_exclude) + out_ids[-1:]
    what_if = base.with_changes({"constraints": {"must_exclude": excluded}})
    b = solve(what_if, time_limit=time_limit)
    differ = len(plan_changes(a.plan, b.plan)) if b.plan is not None else -1
    return {
        "scenario": path.rsplit("/", 1)[-1],
        "stability": stability,
        "seconds": round(seconds, 2),
        "status": a.status,
        "gap": "-" if a.gap is None else f"{a.gap:.3%}",
        "changes": a.plan_summary["changes"],
        "what-if differs by": differ,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenarios", nargs="*", default=["scenarios/teaching-plan.toml", "scenarios/vendor.toml"])
    parser.add_argument("--time-limit", type=float, default=10.0)
    args = parser.parse_args()
    rows = [row(p, s, args.time_limit) for p in args.scenarios for s in ("fewest_changes", "none")]
    keys = list(rows[0])
    widths = {k: max(len(k), *(len(str(r[k])) for r in rows)) for k in keys}
    print("  ".join(k.ljust(widths[k]) for k in keys))
    for r in rows:
        print("  ".join(str(r[k]).ljust(widths[k]) for k in keys))


if __name__ == "__main__":
    main()

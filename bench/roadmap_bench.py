"""Roadmap speed: the product's roadmap search against a plain PuLP + HiGHS formulation
of the same roadmap, in the same run.

    PYTHONPATH=. python bench/roadmap_bench.py [--quick]

Cases: ``scenarios/vendor-3y.toml`` (three years) to a 0.5 % gap within 30 s, and the same
vendor channel over five years to a 1 % gap within 60 s. The product's search is
:func:`selector.solve` (the ``roadmap`` route: the cut loop on the years' rows); the plain
one is :func:`selector.portfolio.roadmap_pulp.roadmap_pulp_model` (the whole assignment
model, named) solved by ``pulp.HiGHS`` with the same time limit and gap. Its roadmap is
valued by the roadmap's own objective and its gap measured against the product's bound.
"""

from __future__ import annotations

import argparse
import time

from selector import load_scenario, solve
from selector.portfolio.roadmap_pulp import read_roadmap_pulp, roadmap_pulp_model

CASES = (
    ("vendor-3y", {}, 30.0, 0.005),
    ("vendor-5y", {"horizon": {"years": 5}}, 60.0, 0.01),
)


def main() -> None:
    import pulp

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a tenth of each time limit")
    args = parser.parse_args()
    base = load_scenario("scenarios/vendor-3y.toml")
    rows = []
    for name, changes, limit, gap in CASES:
        limit = limit / 10 if args.quick else limit
        scenario = base.with_changes(changes) if changes else base
        t0 = time.perf_counter()
        r = solve(scenario, time_limit=limit, gap=gap, seed=1)
        ours = time.perf_counter() - t0
        rows.append((name, "selector (roadmap route)", r.status, r.objective, r.gap, ours))
        t0 = time.perf_counter()
        prob, road = roadmap_pulp_model(scenario)
        prob.solve(pulp.HiGHS(msg=False, timeLimit=limit, gapRel=gap))
        x = read_roadmap_pulp(road, prob)
        plain = time.perf_counter() - t0
        found = x.any()
        obj = road.objective(x) if found else None
        rel = None if obj is None or r.bound is None else max(0.0, r.bound - obj) / r.bound
        rows.append((name, "plain PuLP + HiGHS", pulp.LpStatus[prob.status] if found else "no roadmap",
                     obj, rel, plain))
        print(f"{name}: limit {limit:g} s, gap target {gap:.1%}; "
              f"{road.n_cols:,} decision columns, {road.years} years", flush=True)
    print()
    print(f"{'case':<10} {'method':<26} {'status':<12} {'objective':>16} {'gap':>8} {'seconds':>8}")
    for name, method, status, obj, rel, secs in rows:
        o = "-" if obj is None else f"{obj:,.0f}"
        g = "-" if rel is None else f"{rel:.3%}"
        print(f"{name:<10} {method:<26} {status:<12} {o:>16} {g:>8} {secs:>8.1f}")


if __name__ == "__main__":
    main()

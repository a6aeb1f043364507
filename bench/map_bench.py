"""The channel map at vendor scale: seconds to build, check, analyse, draw as DOT and
compute the conflict graph (the timings tests/gtm/test_gtm_scale.py used to assert).

    python bench/map_bench.py [SCENARIO.toml] [--repeat 3]

Prints the best of ``--repeat`` runs per step; the machine is shared, so compare steps
within one run.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import pandas as pd

from selector import load_scenario
from selector.gtm import (
    build_graph,
    check_graph,
    conflict_graph,
    distributor_load,
    single_points_of_failure,
    to_dot,
)


def portfolio(sc: Any, distributors: int = 12, per_distributor: int = 6) -> list[str]:
    """The widest-reaching distributors and, for each, its widest-reaching resellers."""
    reach = pd.Series(sc.coverage_matrix.astype(float) @ sc.segments["value"].to_numpy(),
                      index=sc.partners.index)
    tier1 = reach[sc.partners["gtm_tier"] == 1].sort_values(ascending=False, kind="stable")
    chosen = list(tier1.index[:distributors])
    for d in chosen[:]:
        supplied = sc.supply.loc[sc.supply["distributor_id"] == d, "reseller_id"]
        best = reach[supplied].sort_values(ascending=False, kind="stable").index[:per_distributor]
        chosen += [r for r in best if r not in chosen]
    return chosen


def best_of(repeat: int, fn: Callable[[], Any]) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", nargs="?", default="scenarios/vendor.toml")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    sc = load_scenario(args.scenario)
    selected = portfolio(sc)
    G = build_graph(sc, selected)
    steps: dict[str, Callable[[], Any]] = {
        "build": lambda: build_graph(sc, selected),
        "check": lambda: check_graph(G),
        "analysis": lambda: (distributor_load(G), single_points_of_failure(G, top=None)),
        "conflict_graph": lambda: conflict_graph(sc),
        "to_dot": lambda: to_dot(G),
    }
    print(f"{args.scenario}: {len(sc.partners)} partners, {len(selected)} selected")
    for name, fn in steps.items():
        print(f"{name:>15}  {best_of(args.repeat, fn):8.3f} s")


if __name__ == "__main__":
    main()

"""The way out of an infeasible scenario: the elastic model of every limit against the
explanation it replaces (one re-solve per rule and per group of rules), in one run.

For each scenario it reduces the instance as a solve does, then times

- *elastic*: :func:`selector.portfolio.relax.find_relaxations` with the solve's time
  limit: the least change of every movable limit, one model built once and re-solved in
  place (the limits it counts, the HiGHS runs, how many limits fix it alone);
- *re-solve per rule*: the explanation before it, written out here: the model rebuilt
  and solved by HiGHS (5 s each, stopping at the first portfolio) once without each rule
  and once without each group of rules; how many of them made the scenario feasible.

and prints one table. The scenarios: ``vendor-budget-cut.toml`` as it is (feasible: its
overlay allows 150 exits; a solve would not look for a way out), the vendor baseline
with its total budget cut 20 % (the cut a channel team asks about first), and the
baseline and the cut with 151 rules (150 that the baseline keeps and one asking 30 M on
distributors, more than they can cost).

    python bench/relax_bench.py [--time-limit 60]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from selector import Scenario, load_scenario
from selector.portfolio.model import build_model
from selector.portfolio.options import resolve_options
from selector.portfolio.reductions import reduce
from selector.portfolio.relax import find_relaxations
from selector.portfolio.solvers.highs import solve_highs

#: The groups the former explanation dropped one at a time (plans add the last four).
OLD_GROUPS = ["budget", "pools", "requirements", "caps", "conflicts", "type_mix", "supply", "must_include"]
PLAN_GROUPS = ["quotas", "exits", "recruits", "continuity"]


def many_rules(scenario: Scenario) -> list[dict[str, Any]]:
    """150 count rules of the kind a team writes (at least one partner per region and
    industry, per region and type, per industry and type) and one asking 30 M on
    distributors."""
    p = scenario.partners

    def works(column: str, value: str) -> Any:
        return p[column].map(lambda v: value in v or "*" in v)

    regions = sorted({r for v in p["regions"] for r in v if r != "*"})
    industries = sorted({i for v in p["industries"] for i in v if i != "*"})
    types = sorted(set(p["type"]))
    rules: list[dict[str, Any]] = []
    for r in regions:
        for i in industries:
            if (works("regions", r) & works("industries", i)).sum() >= 3:
                rules.append({"id": f"cover-{r}-{i}".lower(), "kind": "count",
                              "where": {"regions": r, "industries": i}, "min": 1})
    for pairs, column in ((regions, "regions"), (industries, "industries")):
        for value in pairs:
            for t in types:
                if (works(column, value) & (p["type"] == t)).sum() >= 2:
                    rules.append({"id": f"mix-{value}-{t}".lower(), "kind": "count",
                                  "where": {column: value, "type": t}, "min": 1})
    rules = rules[:150]
    rules.append({"id": "distributor-spend", "label": "At least 30 M on distributors",
                  "kind": "cost", "where": {"type": "distributor"}, "min": 30_000_000})
    return rules


def old_explanation(inst: Any) -> tuple[float, int, int]:
    """The former search: drop each rule, then each group, re-solve. Seconds, solves,
    and how many of them were feasible."""
    t0 = time.perf_counter()
    drops = [(f"rule:{r.id}",) for r in inst.rules]
    drops += [(g,) for g in OLD_GROUPS + (PLAN_GROUPS if inst.has_levels else [])]
    feasible = 0
    for drop in drops:
        trial = solve_highs(build_model(inst, drop=drop), time_limit=5.0, gap=1.0, seed=0,
                            start=None, threads=1)
        feasible += trial.state in ("optimal", "time_limit")
    return time.perf_counter() - t0, len(drops), feasible


def row(name: str, scenario: Scenario, time_limit: float) -> dict[str, object]:
    options = resolve_options(scenario, time_limit=time_limit)
    inst = reduce(scenario, options)
    way = find_relaxations(scenario, inst, time_limit=time_limit, seed=options.seed)
    old_seconds, old_solves, old_feasible = old_explanation(inst)
    fixes = [r for r in way.relaxations if r.fixes and r.needed != r.today]
    return {
        "scenario": name,
        "rules": len(scenario.rules),
        "limits": len(way.relaxations),
        "elastic s": f"{way.seconds:.1f}",
        "elastic solves": way.solves,
        "fix alone": len(fixes),
        "unsettled": sum(r.status in ("unknown", "works") for r in way.relaxations),
        "re-solve per rule s": f"{old_seconds:.1f}",
        "re-solves": old_solves,
        "feasible without": old_feasible,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--time-limit", type=float, default=60.0, help="the solve's time limit")
    args = parser.parse_args()
    vendor = load_scenario("scenarios/vendor.toml")
    assert vendor.budget.total is not None
    cut = vendor.with_changes({"budget": {"total": 0.8 * vendor.budget.total}})
    cases = [
        ("vendor-budget-cut.toml", load_scenario("scenarios/vendor-budget-cut.toml")),
        ("vendor.toml, budget -20 %", cut),
        ("vendor.toml, budget -20 %, 151 rules", cut.with_changes({"rules": many_rules(vendor)})),
        ("vendor.toml, 151 rules", vendor.with_changes({"rules": many_rules(vendor)})),
    ]
    rows = [row(name, s, args.time_limit) for name, s in cases]
    keys = list(rows[0])
    widths = {k: max(len(k), *(len(str(r[k])) for r in rows)) for k in keys}
    print("  ".join(k.ljust(widths[k]) for k in keys))
    for r in rows:
        print("  ".join(str(r[k]).ljust(widths[k]) for k in keys))


if __name__ == "__main__":
    main()

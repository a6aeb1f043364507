"""What-ifs while the strategist waits: ten canonical what-ifs on the vendor scenario,
each solved cold (``solve`` of the changed scenario) and through one
:class:`selector.Session` that answered the baseline first, in one run.

The what-ifs: the total budget -20/-25/-5/+5/+20 % (the pools as they are; -25 %
asked right after -20 %, as a strategist cuts further), drop a
distributor the baseline keeps (D012), exclude the kept partner that adds most value,
exclude a prospect that stays out, a tighter gold quota (10 % -> 8 %), a new count rule
(two more cloud service providers than the baseline plan has), and a changed criteria
weight (one judgment of the goal moved one step on Saaty's scale). For each it prints
the time to the answer and its status (a time counts as proven only when the status is
``optimal`` or ``infeasible``), how the session answered (``kept``: no solve; ``floor``: a budget below the least
budget the other rules allow, no search; ``warm``: solved from the session's last plan
and cuts), the session's value against the cold one, how many partners' proposed
levels differ and, for an infeasible what-if, how many limits' relaxations (value and
status) differ.

Then a budget frontier (``selector frontier``: ``--frontier-points`` budgets from
``--frontier-low`` to ``--frontier-high`` times the scenario's), solved in this process
by independent solves and through a session (``session=True``, the CLI's
``--session``): the time of each and whether their statuses and values agree.

With ``--prepare S`` the session may prepare for up to S seconds before each what-if
(:meth:`selector.Session.prepare`: the budget frontier, as the app's session worker does
while the strategist reads an answer); the time it took is printed, not counted.

    python bench/whatif_bench.py [--scenario scenarios/vendor.toml] [--time-limit 20] [--gap 1e-4]
        [--prepare 0] [--frontier-points 8 --frontier-low 0.8 --frontier-high 1.1]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time
from collections.abc import Callable

from selector import PortfolioResult, Scenario, Session, load_scenario, solve
from selector.whatif import frontier

WhatIf = tuple[str, Callable[[Scenario], Scenario]]


def _budget(share: float) -> Callable[[Scenario], Scenario]:
    def change(s: Scenario) -> Scenario:
        return s.with_changes({"budget": {"total": s.budget.total * share}})

    return change


def what_ifs(scenario: Scenario, base: PortfolioResult) -> list[WhatIf]:
    """The ten what-ifs, the partners they name chosen from the baseline plan."""
    plan = base.plan
    if plan is None:
        raise SystemExit("the bench needs a plan scenario (today's channel)")
    kept = plan[plan["action"].isin(["keep", "promote", "demote"]) & (plan["type"] != "distributor")]
    valuable = str(kept["value_added"].astype(float).idxmax())
    prospect = str(sorted(plan.index[plan["action"] == "stay out"])[0])
    excluded = list(scenario.constraints.must_exclude)
    csp = int(((plan["type"] == "csp") & (plan["proposed"] != "out")).sum())
    rule = {"id": "more-csp", "label": "Two more cloud service providers", "kind": "count",
            "where": {"type": "csp"}, "min": csp + 2}
    model = scenario.model

    def weight(s: Scenario) -> Scenario:
        if model is None:
            return s
        goal = model.judgments[0]
        pairs = tuple((a, b, 1.0 if (a, b) == ("strategic_fit", "performance") else v) for a, b, v in goal.pairs)
        new = dataclasses.replace(model, judgments=(dataclasses.replace(goal, pairs=pairs), *model.judgments[1:]))
        return dataclasses.replace(s, model=new)

    return [
        ("budget -20 %", _budget(0.80)),
        ("budget -25 % (after -20 %)", _budget(0.75)),
        ("budget -5 %", _budget(0.95)),
        ("budget +5 %", _budget(1.05)),
        ("budget +20 %", _budget(1.20)),
        ("drop distributor D012", lambda s: s.with_changes({"constraints": {"must_exclude": [*excluded, "D012"]}})),
        (f"exclude kept {valuable}", lambda s: s.with_changes({"constraints": {"must_exclude": [*excluded, valuable]}})),
        (f"exclude prospect {prospect}", lambda s: s.with_changes({"constraints": {"must_exclude": [*excluded, prospect]}})),
        ("gold quota 10 % -> 8 %", lambda s: s.with_changes({"programme": {"gold": {"max_share": 0.08}}})),
        (f"rule: >= {csp + 2} csp", lambda s: s.with_changes({"rules": [*s.config.get("rules", []), rule]})),
        ("weight: performance up", weight),
    ]


def _proven(r: PortfolioResult) -> bool:
    return r.status in ("optimal", "infeasible")


def _levels(r: PortfolioResult) -> dict[str, str]:
    return {} if r.plan is None else {str(k): str(v) for k, v in r.plan["proposed"].items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", default="scenarios/vendor.toml")
    ap.add_argument("--time-limit", type=float, default=20.0)
    ap.add_argument("--gap", type=float, default=1e-4)
    ap.add_argument("--prepare", type=float, default=0.0,
                    help="seconds the session may prepare before each what-if (Session.prepare, as the "
                         "app does while the strategist reads an answer); 0: none")
    ap.add_argument("--frontier-points", type=int, default=8, help="0: no frontier")
    ap.add_argument("--frontier-low", type=float, default=0.8)
    ap.add_argument("--frontier-high", type=float, default=1.1)
    args = ap.parse_args()
    scenario = load_scenario(args.scenario)
    session = Session(scenario, time_limit=args.time_limit, gap=args.gap)
    t0 = time.perf_counter()
    base = session.solve()
    print(f"{scenario.name}: baseline through the session {base.status} in "
          f"{time.perf_counter() - t0:.1f} s (objective {base.objective:,.0f})\n")
    header = (f"| {'what-if':<26} | {'cold':>18} | {'session':>18} | {'answer':<6} | "
              f"{'value vs cold':>13} | {'levels differ':>13} | {'way out differs':>15} |")
    print(header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    cold_times: list[float] = []
    warm_times: list[float] = []
    prepared = 0.0
    for name, change in what_ifs(scenario, base):
        variant = change(scenario)
        if args.prepare > 0:
            t = time.perf_counter()
            session.prepare(args.prepare)
            prepared += time.perf_counter() - t
        t = time.perf_counter()
        cold = solve(variant, time_limit=args.time_limit, gap=args.gap)
        t_cold = time.perf_counter() - t
        t = time.perf_counter()
        warm = session.solve_scenario(variant)
        t_warm = time.perf_counter() - t
        cold_times.append(t_cold if _proven(cold) else float("inf"))
        warm_times.append(t_warm if _proven(warm) else float("inf"))
        if cold.objective is not None and warm.objective is not None:
            vs = f"{(warm.objective - cold.objective) / max(abs(cold.objective), 1e-9):+.4%}"
        else:
            vs = "-" if cold.objective is None and warm.objective is None else "differs"
        a, b = _levels(cold), _levels(warm)
        differ = sum(a.get(k) != b.get(k) for k in set(a) | set(b))
        ways = {r.setting: (r.needed, r.status) for r in cold.relaxations}
        way_differs = sum(ways.get(r.setting) != (r.needed, r.status) for r in warm.relaxations)
        way_differs += len(set(ways) - {r.setting for r in warm.relaxations})
        print(f"| {name:<26} | {cold.status:>11} {t_cold:5.1f} s | {warm.status:>11} {t_warm:5.1f} s | "
              f"{warm.stats['session']['answer']:<6} | {vs:>13} | {differ:>13} | {way_differs:>15} |")
    print()
    for label, times in (("cold", cold_times), ("session", warm_times)):
        finite = [t for t in times if t != float("inf")]
        print(f"{label}: median {statistics.median(times):.1f} s, max "
              f"{max(times):.1f} s, {len(finite)} of {len(times)} proven")
    if args.prepare > 0:
        print(f"session: {prepared:.1f} s of preparing in all, at most {args.prepare:g} s (plus one priced "
              "solve) before each what-if")
    if args.frontier_points >= 2:
        _frontier(scenario, args)


def _frontier(scenario: Scenario, args: argparse.Namespace) -> None:
    """The budget frontier by independent solves and through a session, one after the other."""
    runs = {}
    for label, through in (("independent", False), ("session", True)):
        t = time.perf_counter()
        runs[label] = frontier(scenario, points=args.frontier_points, low=args.frontier_low,
                               high=args.frontier_high, time_limit=args.time_limit, gap=args.gap,
                               engine="serial", session=through)
        runs[label + " s"] = time.perf_counter() - t
    a, b = runs["independent"], runs["session"]
    print(f"\nbudget frontier, {args.frontier_points} budgets from {args.frontier_low:g} to "
          f"{args.frontier_high:g} times the scenario's, serial:\n")
    print(f"| {'budget':>12} | {'independent':>18} | {'session':>18} | {'value vs independent':>20} |")
    print(f"|{'-' * 14}|{'-' * 20}|{'-' * 20}|{'-' * 22}|")
    for p, q in zip(a.points, b.points, strict=True):
        vs = ("-" if p.objective is None and q.objective is None else "differs"
              if p.objective is None or q.objective is None
              else f"{(q.objective - p.objective) / max(abs(p.objective), 1e-9):+.4%}")
        print(f"| {p.budget:>12,.0f} | {p.status:>11} {p.seconds:5.1f} s | {q.status:>11} "
              f"{q.seconds:5.1f} s | {vs:>20} |")
    print(f"\nindependent: {runs['independent s']:.1f} s in all; session: {runs['session s']:.1f} s "
          f"({runs['independent s'] / max(runs['session s'], 1e-9):.2f}x)")


if __name__ == "__main__":
    main()

"""Output helpers every ``selector`` command shares: strict JSON on stdout."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

__all__ = ["clean_json", "emit_json", "print_plan", "print_relaxations"]


def clean_json(value: Any) -> Any:
    """Make a value JSON-safe: NaN and infinities become null, tuples lists."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_json(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return clean_json(value.item())
    return value


def emit_json(value: Any) -> None:
    """Print one JSON document (strict: no NaN)."""
    print(json.dumps(clean_json(value), indent=2, allow_nan=False, ensure_ascii=False))


#: The order a plan is read in: what changes first, what stays last.
PLAN_ORDER = ("exit", "demote", "promote", "recruit", "keep", "stay out")


def print_plan(plan: pd.DataFrame, summary: Mapping[str, Any], *, every: bool = False) -> None:
    """Print a plan grouped by action: changes in full, kept and left-out partners
    counted (listed too with ``every``)."""
    counts = summary["actions"]
    print()
    print(
        f"Plan       {summary['changes']} change(s) from today: "
        + ", ".join(f"{counts[a]} {a}" for a in PLAN_ORDER if counts.get(a))
    )
    print(
        f"           value {summary['value_before']:,.0f} today -> {summary['value_after']:,.0f}; "
        f"active partners {summary['active_before']} -> {summary['active_after']}; "
        f"one-off cost {summary['one_off_cost']:,.0f}, annual {summary['annual_cost']:,.0f}"
    )
    lost = summary.get("named_accounts_lost") or []
    changed = summary.get("named_accounts_changed") or []
    if changed:
        print(f"           {len(changed)} named account(s) change partners; {len(lost)} lose all")
    for action in PLAN_ORDER:
        rows = plan[plan["action"] == action]
        if rows.empty:
            continue
        if action in ("keep", "stay out") and not every:
            print(f"{action.capitalize()}: {len(rows)} partner(s) (--why lists them)")
            continue
        print(f"{action.capitalize()} ({len(rows)}):")
        for pid, row in rows.iterrows():
            move = row["proposed"] if action in ("keep", "recruit") else f"{row['today']} -> {row['proposed']}"
            print(f"  {pid:<8} {str(row['name'])[:28]:<28} {move:<22} {row['reason']}")


def print_relaxations(result: Any) -> None:
    """Print an infeasible result's way out as a short table (setting, today, needed,
    sentence), the least extra budget and the fewest extra exits first. When some limit
    fixes the scenario alone, a limit that does not says only that; rules that no value
    helps alone, and that no sentence names, are counted, not listed (``--json`` has
    every row in full)."""
    from selector.portfolio.relax import relaxation_values

    rows = list(result.relaxations)
    if not rows:
        return
    any_fix = any(r.fixes for r in rows)
    shown = [r for r in rows if not r.setting.startswith("rules.") or r.status != "none"
             or r.setting in _named_rules(result)]
    hidden = len(rows) - len(shown)
    table = [(r.setting, *relaxation_values(r),
              "no value of this alone is enough" if any_fix and r.status == "none" else r.sentence)
             for r in shown]
    wide = [max(len(row[i]) for row in (("setting", "today", "needed", ""), *table)) for i in range(3)]
    print()
    print("Way out    the least change of each limit that, alone, makes the scenario feasible:")
    print(f"  {'setting':<{wide[0]}}  {'today':>{wide[1]}}  {'needed':>{wide[2]}}")
    for setting, today, needed, sentence in table:
        print(f"  {setting:<{wide[0]}}  {today:>{wide[1]}}  {needed:>{wide[2]}}  {sentence}")
    if hidden:
        print(f"  ... and {hidden} rule bound(s) that, changed alone, do not help (--json lists them)")


def _named_rules(result: Any) -> set[str]:
    """Rule settings another row's sentence names (a rule that can never hold is named
    in the other limits' sentences)."""
    rows = result.relaxations
    return {r.setting for r in rows if r.setting.startswith("rules.")
            and any(f"'{r.path[1]}'" in o.sentence for o in rows if o.path[:2] != r.path[:2])}

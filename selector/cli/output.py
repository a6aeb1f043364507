"""Output helpers every ``selector`` command shares: strict JSON on stdout."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

__all__ = ["clean_json", "emit_json", "print_plan"]


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

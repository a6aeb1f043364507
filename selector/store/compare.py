"""Two saved runs side by side: what changed in the numbers, the portfolio and the plan."""

from __future__ import annotations

from typing import Any

from selector.store.api import RunRecord

__all__ = ["NUMBERS", "diff_runs"]

NUMBERS = ("objective", "bound", "gap", "cost", "budget", "covered_share", "weighted_share",
           "wall_seconds")


def _plan_levels(run: RunRecord) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for row in run.plan or []:
        pid = str(row.get("partner_id", row.get("id", row.get("index", ""))))
        out[pid] = row
    return out


def diff_runs(a: RunRecord, b: RunRecord) -> dict[str, Any]:
    """What differs from run ``a`` to run ``b``: the numbers (with ``b - a``), partners
    added and dropped, and, for plans, each partner whose proposed level or action
    changed. JSON-safe."""
    numbers = []
    for key in NUMBERS:
        va, vb = a.result.get(key), b.result.get(key)
        delta = vb - va if isinstance(va, int | float) and isinstance(vb, int | float) else None
        numbers.append({"name": key, "a": va, "b": vb, "delta": delta})
    sel_a, sel_b = set(a.selected), set(b.selected)
    plan_changes = []
    pa, pb = _plan_levels(a), _plan_levels(b)
    for pid in sorted(set(pa) | set(pb)):
        ra, rb = pa.get(pid, {}), pb.get(pid, {})
        if (ra.get("proposed"), ra.get("action")) != (rb.get("proposed"), rb.get("action")):
            plan_changes.append({
                "partner_id": pid,
                "a_proposed": ra.get("proposed"), "a_action": ra.get("action"),
                "b_proposed": rb.get("proposed"), "b_action": rb.get("action"),
            })
    return {
        "a": {"id": a.id, "label": a.label, "author": a.author,
              "created_at": a.created_at.isoformat(), "status": a.status,
              "fingerprint": a.fingerprint},
        "b": {"id": b.id, "label": b.label, "author": b.author,
              "created_at": b.created_at.isoformat(), "status": b.status,
              "fingerprint": b.fingerprint},
        "same_input": a.fingerprint == b.fingerprint,
        "numbers": numbers,
        "added": sorted(sel_b - sel_a),
        "dropped": sorted(sel_a - sel_b),
        "kept": sorted(sel_a & sel_b),
        "plan_changes": plan_changes,
    }

"""Output helpers every ``selector`` command shares: strict JSON on stdout, a solve and
its plan in words, and text that a terminal shows rather than obeys.

Names, notes and cells come from files and from the team workspace, where anyone can
put an escape sequence that retitles, clears or recolours a terminal (or, with
bidirectional overrides, shows text in another order than it is stored).
:func:`printable` writes every such character as a ``\\uXXXX`` escape; the command
line sends all of its standard output through :class:`PrintableStream` and its error
lines through :func:`printable`. JSON stays valid: ``\\uXXXX`` is JSON's own escape.

>>> printable("Acme\\x1b]0;owned\\x07 Ltd")
'Acme\\\\u001b]0;owned\\\\u0007 Ltd'
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any, TextIO

import pandas as pd

from selector.display import money, plural

__all__ = [
    "PLAN_ORDER",
    "ROADMAP_ORDER",
    "PrintableStream",
    "clean_json",
    "emit_json",
    "print_plan",
    "print_relaxations",
    "print_roadmap",
    "print_solve",
    "printable",
    "status_words",
]

#: What a terminal could act on: C0 controls but tab and newline, DEL, C1 controls,
#: bidirectional marks and overrides, line and paragraph separators, and lone
#: surrogates (bytes of a file name that are not UTF-8, which could not be printed).
_UNSAFE: dict[int, str] = {
    c: f"\\u{c:04x}"
    for c in (
        *range(0x00, 0x09), *range(0x0B, 0x20), 0x7F, *range(0x80, 0xA0),
        0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x2028, 0x2029,
        *range(0xD800, 0xE000),
    )
}


def printable(text: str) -> str:
    """``text`` with every character a terminal could act on written as ``\\uXXXX``."""
    return text.translate(_UNSAFE)


class PrintableStream:
    """A text stream that writes :func:`printable` text to ``stream``."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(printable(text))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


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

#: A solve's status in words, after its code.
STATUS_WORDS = {
    "optimal": "proven optimal",
    "time_limit": "best found in the time limit",
    "infeasible": "no portfolio keeps every rule",
    "error": "the solver failed",
}


def status_words(result: Any) -> str:
    """``"optimal (proven optimal)"``, ``"time_limit (best found in the time limit, gap
    0.02 %)"``, ``"infeasible (no portfolio keeps every rule)"``, a quick answer's."""
    if result.solver == "greedy":
        words = "quick answer, not proven" if result.feasible else "the quick answer found none"
    else:
        words = STATUS_WORDS.get(result.status, result.status)
        gap = result.gap
        if result.status == "time_limit" and gap is not None and math.isfinite(gap):
            words += f", gap {max(gap, 0.0):.2%}"
    return f"{result.status} ({words})"


def print_solve(
    result: Any, *, currency: str | None = None, ids: bool = False, every: bool = False
) -> None:
    """A solve for people: the status first, then what the portfolio costs and covers,
    the plan's summary and its actions; partner ids only with ``ids``."""
    d = result.to_dict()
    print(f"Status     {status_words(result)}  [{d['solver']}, {d['wall_seconds']:.2f} s]")
    print(f"Scenario   {d['scenario']}  ({d['objective_kind']})")
    if not result.feasible:
        for line in d["explanation"]:
            print(f"  - {line}")
        print_relaxations(result, currency=currency)
        return
    if d["objective"] is not None:
        bound = "-" if d["bound"] is None else f"{d['bound']:,.0f}"
        gap = "-" if d["gap"] is None else f"{d['gap']:.3%}"
        print(f"Objective  {d['objective']:,.0f}   bound {bound}   gap {gap}")
    budget = d["budget"]
    left = "" if budget is None else f" ({money(budget - d['cost'], currency)} left)"
    print(f"Cost       {money(d['cost'], currency)} of {money(budget, currency)}{left}")
    for pool in d["pools"]:
        print(
            f"  pool     {pool['pool']}: {money(pool['used'], currency)} of "
            f"{money(pool['cap'], currency)}"
        )
    share = d["covered_share"]
    print(
        f"Coverage   {d['covered_value']:,.0f} of {d['total_value']:,.0f}"
        + ("" if share is None else f" ({share:.1%})")
    )
    print(
        f"Selected   {plural(len(d['selected']), 'partner')}"
        + (": " + ", ".join(d["selected"]) if ids else " (--ids lists them)")
    )
    if result.plan is not None and result.plan_summary is not None:
        print_plan(result.plan, result.plan_summary, every=every, currency=currency)
    if result.roadmap is not None and result.roadmap_summary is not None:
        print_roadmap(result.roadmap, result.roadmap_summary, ids=ids, currency=currency)
    if d["explanation"]:
        print()
        for line in d["explanation"]:
            print(f"  - {line}")


def print_plan(
    plan: pd.DataFrame,
    summary: Mapping[str, Any],
    *,
    every: bool = False,
    currency: str | None = None,
) -> None:
    """Print a plan grouped by action: changes in full, kept and left-out partners
    counted (listed too with ``every``)."""
    counts = summary["actions"]
    print()
    print(
        f"Plan       {plural(int(summary['changes']), 'change')} from today: "
        + ", ".join(f"{counts[a]} {a}" for a in PLAN_ORDER if counts.get(a))
    )
    print(
        f"           value {summary['value_before']:,.0f} today -> {summary['value_after']:,.0f}; "
        f"active partners {summary['active_before']} -> {summary['active_after']}; "
        f"one-off cost {money(summary['one_off_cost'], currency)}, "
        f"annual {money(summary['annual_cost'], currency)}"
    )
    lost = summary.get("named_accounts_lost") or []
    changed = summary.get("named_accounts_changed") or []
    if changed:
        print(
            f"           {plural(len(changed), 'named account')} "
            f"{'changes' if len(changed) == 1 else 'change'} partners; {len(lost)} "
            f"{'loses' if len(lost) == 1 else 'lose'} all of them"
        )
    for action in PLAN_ORDER:
        rows = plan[plan["action"] == action]
        if rows.empty:
            continue
        if action in ("keep", "stay out") and not every:
            print(f"{action.capitalize()}: {plural(len(rows), 'partner')} (--why lists them)")
            continue
        print(f"{action.capitalize()} ({len(rows)}):")
        for pid, row in rows.iterrows():
            move = row["proposed"] if action in ("keep", "recruit") else f"{row['today']} -> {row['proposed']}"
            print(f"  {pid:<8} {str(row['name'])[:28]:<28} {move:<22} {row['reason']}")


#: The changes of a roadmap's year, in the order a year is read.
ROADMAP_ORDER = ("exit", "demote", "promote", "recruit")


def print_roadmap(
    roadmap: pd.DataFrame, summary: pd.DataFrame, *, ids: bool = False, currency: str | None = None
) -> None:
    """Print a roadmap by year: each year's spend against its budget, value and active
    partners, then its changes (counted; with ``ids``, the partners of each)."""
    print()
    print(f"Roadmap    {plural(len(summary), 'year')} (year 1 is the plan above)")
    for _, year in summary.iterrows():
        t = int(year["year"])
        budget = year["budget"]
        of = "" if budget != budget else f" of {money(float(budget), currency)}"  # NaN: none
        changes = ", ".join(f"{int(year[a])} {a}" for a in ROADMAP_ORDER if int(year[a]))
        print(
            f"  Year {t}   spend {money(float(year['spend']), currency)}{of}; value "
            f"{float(year['value']):,.0f}; {plural(int(year['active_partners']), 'active partner')}; "
            + (changes or "no change")
        )
        if ids:
            rows = roadmap[roadmap["year"] == t]
            for action in ROADMAP_ORDER:
                who = rows.loc[rows["action"] == action]
                if not who.empty:
                    moves = [f"{r.partner_id} ({r.level})" if action != "exit" else str(r.partner_id)
                             for r in who.itertuples()]
                    print(f"           {action}: {', '.join(moves)}")
    if not ids:
        print("           (--ids lists the partners of each change)")


def print_relaxations(result: Any, *, currency: str | None = None) -> None:
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
    amounts = f" (amounts in {currency})" if currency else ""
    print(f"Way out    the least change of each limit that, alone, makes the scenario feasible{amounts}:")
    print(f"  {'setting':<{wide[0]}}  {'today':>{wide[1]}}  {'needed':>{wide[2]}}")
    for setting, today, needed, sentence in table:
        print(f"  {setting:<{wide[0]}}  {today:>{wide[1]}}  {needed:>{wide[2]}}  {sentence}")
    if hidden:
        print(f"  ... and {plural(hidden, 'rule bound')} that, changed alone, do not help (--json lists them)")


def _named_rules(result: Any) -> set[str]:
    """Rule settings another row's sentence names (a rule that can never hold is named
    in the other limits' sentences)."""
    rows = result.relaxations
    return {r.setting for r in rows if r.setting.startswith("rules.")
            and any(f"'{r.path[1]}'" in o.sentence for o in rows if o.path[:2] != r.path[:2])}

"""Stable what-ifs: when a change cannot move the portfolio, keep it.

A strategist tries one change after another. When a change only tightens the rules
(rules out a partner the portfolio does not use, forces in one it already has, lowers
the budget to no less than the portfolio costs), the portfolio found before still keeps
every rule and nothing better can exist under tighter rules than under the looser ones:
:func:`still_best` gives it back for the new settings instead of solving again, so two
what-ifs differ only by changes that matter. :func:`monotone_frontier` gives coverage
against budget that never falls as the budget rises: a portfolio found at a lower budget
still fits a higher one.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence

import pandas as pd

from selector.errors import SelectorError
from selector.inputs.scenario import Scenario
from selector.portfolio import PortfolioResult, heuristic_solve

__all__ = ["FRONTIER_COLUMNS", "monotone_frontier", "still_best"]

FRONTIER_COLUMNS = (
    "budget", "feasible", "coverage", "weighted", "objective", "cost", "partners", "kept_from",
)


def _rules(s: Scenario) -> tuple[float | None, frozenset[str], frozenset[str]]:
    c = s.constraints
    return s.budget.total, frozenset(c.must_include), frozenset(c.must_exclude)


def still_best(
    previous: Scenario, result: PortfolioResult, scenario: Scenario
) -> PortfolioResult | None:
    """``result`` (solved for ``previous``) as the answer for ``scenario``, or None.

    Given back when ``scenario`` differs from ``previous`` only by tighter rules that
    ``result`` already keeps: more must-exclude partners it does not select, more
    must-include partners it does select, a lower total budget it still fits. Its
    status, bound and gap stay valid (a tighter problem's best is no better). ``None``
    when anything else changed, a rule was loosened, or the portfolio breaks a new rule.

    >>> from selector import load_scenario, solve
    >>> s = load_scenario("scenarios/teaching.toml")
    >>> r = solve(s)
    >>> out = next(p for p in s.partners.index if p not in r.selected)
    >>> v = s.with_changes({"constraints": {"must_exclude": [out]}})
    >>> still_best(s, r, v).selected == r.selected
    True
    """
    if not result.feasible:
        return None
    budget0, include0, exclude0 = _rules(previous)
    budget1, include1, exclude1 = _rules(scenario)
    selected = frozenset(result.selected)
    if not (include0 <= include1 and exclude0 <= exclude1):
        return None
    if include1 & exclude1 or not include1 <= selected or exclude1 & selected:
        return None
    if budget1 is not None and (
        (budget0 is not None and budget1 > budget0) or result.cost > budget1 * (1 + 1e-12)
    ):
        return None
    if budget1 is None and budget0 is not None:
        return None
    # Everything else must be as before: give both the same rules and compare contents.
    same_rules: dict[str, object] = {
        "constraints": {"must_include": sorted(include0), "must_exclude": sorted(exclude0)}
    }
    if budget0 is not None:
        same_rules["budget"] = {"total": float(budget0)}
    try:
        same = (
            scenario.with_changes(same_rules).fingerprint
            == previous.with_changes(same_rules).fingerprint
        )
    except (SelectorError, ValueError, TypeError, KeyError):  # any failure: solve again
        return None
    if not same:
        return None
    return dataclasses.replace(result, budget=budget1, scenario=scenario.name)


def monotone_frontier(
    scenario: Scenario,
    budgets: Sequence[float],
    *,
    solve: Callable[[Scenario], PortfolioResult] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Coverage against budget, never worse with more money.

    Budgets are solved from low to high (``solve``, default the quick
    :func:`~selector.portfolio.heuristic_solve`); where a lower budget's portfolio
    scores higher and fits, it is kept (``kept_from`` names that budget). Budgets with
    no portfolio keeping every rule have a row with ``feasible`` False. Columns:
    :data:`FRONTIER_COLUMNS`; ``coverage`` is the share of segment value reached,
    ``weighted`` the score-weighted share (what the optimizer maximises).
    ``progress(done, total)`` is called after each budget.
    """
    run = solve or heuristic_solve
    levels = sorted({float(b) for b in budgets})
    rows: list[dict[str, object]] = []
    best: tuple[float, PortfolioResult] | None = None
    for k, level in enumerate(levels):
        r = run(scenario.with_changes({"budget": {"total": level}}))
        kept = None
        if r.feasible and r.objective is not None:
            if best is not None and best[1].objective is not None and (
                best[1].objective > r.objective and best[1].cost <= level
            ):
                kept, r = best[0], best[1]
            else:
                best = (level, r)
        elif best is not None and best[1].cost <= level:
            kept, r = best[0], best[1]  # the quick search missed: the lower budget's fits
        total = float(r.coverage["value"].sum()) if r.feasible else 0.0
        rows.append(
            {
                "budget": level,
                "feasible": r.feasible,
                "coverage": r.covered_value / total if r.feasible and total else math.nan,
                "weighted": float(r.coverage["counted_value"].sum()) / total
                if r.feasible and total
                else math.nan,
                "objective": r.objective if r.feasible else math.nan,
                "cost": r.cost if r.feasible else math.nan,
                "partners": len(r.selected) if r.feasible else 0,
                "kept_from": kept,
            }
        )
        if progress is not None:
            progress(k + 1, len(levels))
    return pd.DataFrame(rows, columns=list(FRONTIER_COLUMNS))

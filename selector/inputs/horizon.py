"""A roadmap's horizon: the ``[horizon]`` table of a scenario.

A scenario with today's channel (a ``status`` column or a ``[programme]``) may plan
several years at once. Without ``[horizon]`` it is a one-year plan, exactly as before::

    [horizon]
    years = 3                                   # 1 to 5
    discount = 0.08                             # yearly rate on value (default 0)
    segment_growth = 0.05                       # every segment's value grows 5 % a year
    budget = { growth = 0.04 }                  # year 1 = budget.total, then +4 % a year
    # budget = { by_year = [40e6, 42e6, 45e6] } # or one budget per year
    # budget = { total = 130e6, growth = 0.04 } # or a total over the years, growing
    max_exits = [12, 8, 8]                      # per year (a number: the same each year)
    max_recruits = 10

Every other limit holds in every year of the roadmap: pools (at their caps), the
programme's tier quotas (of today's partners), named accounts, the scenario's rules
(a rule with ``year = K`` only in year K). ``max_exits`` and ``max_recruits`` default to
the programme's, each year. The programme's ``ramp``, ``exit_transition`` and
``max_step`` (:mod:`selector.inputs.programme`) say how partners move between years.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from selector.errors import ScenarioError
from selector.inputs.tables import MAX_COUNT

__all__ = ["MAX_YEARS", "Horizon", "parse_horizon"]

#: The longest horizon, in years.
MAX_YEARS = 5
_KEYS = frozenset({"years", "discount", "segment_growth", "budget", "max_exits", "max_recruits"})
_BUDGET_KEYS = frozenset({"by_year", "total", "growth"})
#: A yearly rate (discount, growth) is at most this; below -MAX_RATE it is a typo too.
MAX_RATE = 1.0


@dataclass(frozen=True)
class Horizon:
    """The years of a roadmap and what changes between them.

    ``budgets`` has one budget per year (None: unlimited), ``max_exits`` and
    ``max_recruits`` one limit per year (None: no limit); ``discount`` is the yearly
    rate on value and ``segment_growth`` the yearly growth of every segment's value.
    """

    years: int
    budgets: tuple[float | None, ...]
    discount: float = 0.0
    segment_growth: float = 0.0
    max_exits: tuple[int | None, ...] = ()
    max_recruits: tuple[int | None, ...] = ()

    def weight(self, year: int) -> float:
        """What a unit of segment value counts in ``year`` (0 = the first): its growth
        over the discount.

        >>> Horizon(2, (None, None), discount=0.1, segment_growth=0.1).weight(1)
        1.0
        """
        return ((1.0 + self.segment_growth) / (1.0 + self.discount)) ** year


def _shown(value: Any) -> str:
    text = f"{value:g}" if isinstance(value, float) else repr(value)
    return text if len(text) <= 40 else f"{text[:20]}... ({len(text)} characters)"


def _rate(value: Any, where: str, file: str, *, low: float) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(float(value))
        or not low <= value <= MAX_RATE
    ):
        raise ScenarioError(
            f"{where} is {_shown(value)}; accepted: a yearly rate from {low:g} to {MAX_RATE:g} "
            "(0.05 = 5 %)",
            file=file,
        )
    return float(value)


def _money(value: Any, where: str, file: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1e300:
        raise ScenarioError(f"{where} is {_shown(value)}; accepted: an amount >= 0", file=file)
    return float(value)


def _per_year(
    value: Any, where: str, file: str, years: int, default: int | None
) -> tuple[int | None, ...]:
    """A limit per year: a whole number (each year) or a list of one per year."""
    if value is None:
        return (default,) * years
    items = value if isinstance(value, list) else [value] * years
    ok = len(items) == years and all(
        not isinstance(v, bool) and isinstance(v, int) and 0 <= v <= MAX_COUNT for v in items
    )
    if not ok:
        raise ScenarioError(
            f"{where} is {_shown(value)}; accepted: a whole number from 0 to {MAX_COUNT:,} "
            f"(each year) or a list of {years} of them (one per year)",
            file=file,
        )
    return tuple(int(v) for v in items)


def _budgets(raw: Any, file: str, years: int, total: float | None) -> tuple[float | None, ...]:
    if raw is None:
        return (total,) * years
    if not isinstance(raw, Mapping) or not raw or set(raw) - _BUDGET_KEYS:
        raise ScenarioError(
            f"horizon.budget is {_shown(raw)}; accepted: {{ by_year = [...] }} (one budget a "
            "year), { growth = G } (year 1 = budget.total, then G more a year) or "
            "{ total = T, growth = G } (T over the horizon, growing by G a year)",
            file=file,
        )
    if "by_year" in raw:
        if set(raw) != {"by_year"}:
            raise ScenarioError("horizon.budget: give by_year alone, or total and growth", file=file)
        by_year = raw["by_year"]
        if not isinstance(by_year, list) or len(by_year) != years:
            raise ScenarioError(
                f"horizon.budget.by_year is {_shown(by_year)}; accepted: a list of {years} "
                "budgets, one per year of the horizon",
                file=file,
            )
        return tuple(_money(v, f"horizon.budget.by_year[{k}]", file) for k, v in enumerate(by_year, 1))
    growth = _rate(raw.get("growth", 0.0), "horizon.budget.growth", file, low=-0.9)
    shape = [(1.0 + growth) ** t for t in range(years)]
    if "total" in raw:
        over = _money(raw["total"], "horizon.budget.total", file)
        return tuple(over * s / sum(shape) for s in shape)
    if total is None:
        raise ScenarioError(
            "horizon.budget.growth grows budget.total, which the scenario does not give; "
            "add [budget] total, or give horizon.budget.by_year",
            file=file,
        )
    return tuple(total * s for s in shape)


def parse_horizon(
    config: Mapping[str, Any],
    file: str,
    *,
    budget_total: float | None,
    max_exits: int | None = None,
    max_recruits: int | None = None,
) -> Horizon | None:
    """The ``[horizon]`` table (None when absent; see the module notes).

    ``budget_total`` is the scenario's ``[budget] total`` (year 1's budget unless the
    horizon says otherwise); ``max_exits`` and ``max_recruits`` the programme's limits,
    each year's unless the horizon gives its own.

    Raises
    ------
    ScenarioError
        Naming the key, what was found and what is accepted.
    """
    raw = config.get("horizon")
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise ScenarioError("[horizon] must be a table with years = N (see the scenario format)", file=file)
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise ScenarioError(
            f"unknown key(s) {', '.join(unknown)} in [horizon]; accepted: {', '.join(sorted(_KEYS))}",
            file=file,
        )
    years = raw.get("years")
    if isinstance(years, bool) or not isinstance(years, int) or not 1 <= years <= MAX_YEARS:
        raise ScenarioError(
            f"horizon.years is {_shown(years)}; accepted: a whole number from 1 to {MAX_YEARS}",
            file=file,
        )
    return Horizon(
        years=years,
        budgets=_budgets(raw.get("budget"), file, years, budget_total),
        discount=_rate(raw.get("discount", 0.0), "horizon.discount", file, low=0.0),
        segment_growth=_rate(raw.get("segment_growth", 0.0), "horizon.segment_growth", file, low=-0.9),
        max_exits=_per_year(raw.get("max_exits"), "horizon.max_exits", file, years, max_exits),
        max_recruits=_per_year(raw.get("max_recruits"), "horizon.max_recruits", file, years, max_recruits),
    )

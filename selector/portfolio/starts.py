"""Starts: the portfolio a search begins from. The greedy with local search
(:func:`greedy_start`: from today's channel for a plan, else from the cheapest cover of
the segment requirements), a set cover's LP rounding
(:func:`selector.portfolio.heuristics.lp_rounded_cover`), the LP-guided greedy the cut
loop polishes its last LP with (:func:`lp_greedy`), and a portfolio the caller gives
(:func:`given_start`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from selector.errors import ScenarioError
from selector.portfolio.heuristics import HeuristicResult, greedy_portfolio
from selector.portfolio.instance import PortfolioInstance, evaluate, violations
from selector.portfolio.model import build_model
from selector.portfolio.repair import repair_plan
from selector.portfolio.solvers.highs import solve_highs

__all__ = ["POLISH_FROM", "POLISH_SECONDS", "given_start", "greedy_start", "lp_greedy", "requirement_cover"]

#: The LP-guided greedy on the master (see lp_greedy): at most this many seconds, from
#: the partners the LP takes at POLISH_FROM or more. M weighted_coverage: 6.3029e8 in
#: 1 s from the partners at 0.5 or more, against 6.2503e8 for the greedy from nothing
#: (below 0.5 the start breaks the budget). Not for plans: vendor.toml was proved
#: optimal in 4.4-6.0 s without it, 6.5-6.9 s with it.
POLISH_SECONDS = 1.0
POLISH_FROM = 0.5


def requirement_cover(inst: PortfolioInstance, *, time_limit: float, seed: int) -> np.ndarray | None:
    """The cheapest portfolio meeting the segment requirements under every rule, found
    by a short HiGHS run; the greedy then spends the rest of the budget from there.
    None when there are no requirements or no such portfolio was found in time."""
    lower_rules = any(r.kind == "coverage" or np.isfinite(r.lo).any() for r in inst.rules)
    if not inst.maximize or not (inst.required.any() or lower_rules):
        return None
    model = build_model(replace(inst, objective="min_cost"))
    found = solve_highs(model, time_limit=time_limit, gap=0.02, seed=seed, start=None, threads=1)
    return found.x if found.state in ("optimal", "time_limit") else None


def greedy_start(
    inst: PortfolioInstance, *, time_budget: float, seed: int, moves: int | None = None,
    cover_time: float | None = None,
) -> HeuristicResult:
    """The greedy-plus-local-search portfolio: from today's channel (or the reference
    plan) brought within the budget and quotas for a plan, else from the requirement
    cover; ``moves`` bounds the local search by a count instead of ``time_budget``."""
    # With a move count the cover gets time enough to finish (a solve that ends by
    # itself is deterministic); with a time budget it gets a share of it.
    if cover_time is None:
        cover_time = max(0.2, time_budget) if moves is None else 30.0
    from_today = None
    if inst.has_levels and inst.reference is not None and inst.reference.any():
        # A plan starts from today's channel (or the reference plan), brought within
        # the budget and quotas; the greedy then spends what is left.
        from_today = greedy_portfolio(
            inst, time_budget=time_budget, seed=seed, start=repair_plan(inst, inst.reference),
            moves=moves,
        )
        if from_today.feasible:
            return from_today
    start = requirement_cover(inst, time_limit=cover_time, seed=seed)
    h = greedy_portfolio(inst, time_budget=time_budget, seed=seed, start=start, moves=moves)
    if start is not None and not h.feasible:
        h = greedy_portfolio(inst, time_budget=time_budget, seed=seed, moves=moves)
    # Neither works: what today's channel, repaired, still breaks says more than a
    # portfolio built from nothing (which exits most of today's channel).
    return h if h.feasible or from_today is None else from_today


def lp_greedy(
    inst: PortfolioInstance, *, seed: int, moves: int | None, seconds: float
) -> Callable[[np.ndarray], np.ndarray | None]:
    """The master's LP-guided start: the partners an LP optimum takes at
    ``POLISH_FROM`` or more, completed and improved by the greedy (None when that
    breaks a rule)."""

    def polish(x_lp: np.ndarray) -> np.ndarray | None:
        start = (np.asarray(x_lp) >= POLISH_FROM) & ~inst.fixed_out
        h = greedy_portfolio(inst, time_budget=seconds, seed=seed, start=start, moves=moves)
        return h.selected if h.feasible else None

    return polish


def given_start(
    inst: PortfolioInstance, ids: Sequence[str] | None, heuristic: HeuristicResult | None
) -> HeuristicResult | None:
    """The better start of ``heuristic`` and the portfolio of partner ``ids`` (a known
    portfolio, e.g. the previous point of a budget frontier), that one only when it keeps
    every rule.

    Raises
    ------
    ScenarioError
        When ``ids`` names partners the scenario does not have.
    """
    if ids is None:
        return heuristic
    unknown = sorted(set(ids) - set(map(str, inst.partner_ids)))
    if unknown:
        raise ScenarioError(f"start portfolio names unknown partners: {', '.join(unknown[:5])}")
    given = np.isin(inst.partner_ids.astype(str), list(ids))
    if not violations(inst, given) and (
        heuristic is None or not heuristic.feasible
        or (evaluate(inst, given) > heuristic.objective) == inst.maximize
    ):
        return HeuristicResult(given, evaluate(inst, given), True, 0.0)
    return heuristic

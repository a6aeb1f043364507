"""The budget frontier of a scenario, computed once and read off for any total budget:
the bound the Lagrangian relaxation of the budget proves, from solves that price the
spend instead of limiting it.

For a price ``p >= 0`` per unit of spend, let ``L(p)`` be the most ``value(x) - p *
spend(x)`` over the plans ``x`` that keep every rule but the total budget. A plan within
a budget ``B`` then has ``value(x) <= L(p) + p * spend(x) <= L(p) + p * B``, whatever
``p``: one priced solve bounds every budget at once, and the least over the prices
solved, ``bound(B) = min_k U_k + p_k * B`` (``U_k >= L(p_k)`` the bound each solve
proved), bounds the family's every budget. Each priced solve's plan, with its spend
``c_k``, is also a plan for every budget of at least ``c_k``. The plans' points
``(c_k, value_k)`` lie on the upper concave envelope of the (spend, value) of all plans,
and ``bound`` is within the envelope's distance from the frontier itself (the duality
gap of the budget row alone, small where many partners each spend a little: on the
vendor scenario 0.002-0.005 % at 5 % less budget, where the search's own bound moves
slowly through the many ways of fitting the spend).

:class:`BudgetHull` holds the priced solves of one budget family (the scenario with
every rule but its total budget, :class:`selector.whatif.budget_floor.Floors`) and
refines the envelope the way Eisner and Severance (Operations Research 24(4), 1976) do:
price the chord between two neighbouring points; a plan above the chord is a new
point, none proves the chord part of the envelope. :meth:`BudgetHull.step` adds one
priced solve where the bound is furthest from the envelope's points over a range of
budgets; a session runs the steps when it is idle (:meth:`Session.prepare`), and a
budget what-if of the family starts with ``bound(B)`` as a bound proved elsewhere and
the best plan within ``B`` as a start (:class:`selector.portfolio.warm.Carry`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from selector.portfolio.cuts import CutLoop, CutOptions, row_values, solve_fixed
from selector.portfolio.instance import PortfolioInstance
from selector.portfolio.model import MipModel, build_model
from selector.portfolio.warm import MAX_CUT_ROWS, CutBatch, array_key

__all__ = ["HULL_GAP", "BudgetHull", "HullPoint", "side_key"]

#: Relative gap each priced solve is proved to: its bound's slack counts against the
#: what-if's gap (1e-4 by default), so it is kept well inside it.
HULL_GAP = 1e-5
#: The share of the what-if's gap the envelope may leave between its bound and its
#: points' values; the rest is for the search's plan.
HULL_SHARE = 0.5
#: The first price tried above zero, as a share of the value per unit of spend of the
#: plan at price zero; each further one below the range doubles it.
FIRST_PRICE = 0.02
#: The columns the mixed plan frees (BudgetHull.mixed_plan): it takes envelope points
#: on each side of the budget, nearest first, until their plans differ on at least this
#: many. Vendor at 5 % less budget, 15 points: one point each side freed 28 columns and
#: found a plan 0.064 % below the optimum, three 73 (0.012 %), eight 211 and the
#: optimum itself, in 0.18 s, 0.50 s and 0.57 s.
MIX_COLUMNS = 200
#: Most priced solves one hull keeps.
MAX_POINTS = 64
#: The highest price tried, as a share of the value per unit of spend of the plan at
#: price zero: above it the priced objective nears zero, where a gap relative to it
#: proves little, and the budgets it would bound are cuts of a tenth or more (vendor).
TOP_PRICE = 0.5


@dataclass(frozen=True)
class HullPoint:
    """One priced solve: the ``price`` of spend, the ``bound`` it proved on the most
    ``value - price * spend``, and its plan's columns with their value and (net) spend;
    ``proved``: the bound is within HULL_GAP of the plan's priced value (a solve
    stopped early proves a looser bound, still a bound)."""

    price: float
    bound: float
    x: np.ndarray = field(repr=False)
    value: float
    spend: float
    proved: bool = True


def side_key(inst: PortfolioInstance) -> str:
    """What a priced solve depends on: the instance's columns, costs, values and every
    partner-side rule but the budget (a key equal for the budgets of one family)."""
    side = build_model(inst, drop=("objective_link", "budget"))
    rv = row_values(inst)
    return array_key(side.A.indptr, side.A.indices, side.A.data, side.row_lo, side.row_hi,
                     side.col_lo, side.col_hi, rv.row, rv.ptr, rv.member, rv.q, rv.d, rv.c_x,
                     inst.cost, np.asarray(inst.partner_ids).astype(str))


class BudgetHull:
    """The priced solves of one budget family (see the module), on ``inst``'s columns.

    ``bound(budget)`` and ``best_plan(budget)`` read them off for a net budget (the
    instance's ``budget``); ``step(low, high, seconds)`` adds the priced solve that
    refines the envelope most between net budgets ``low`` and ``high``.
    """

    def __init__(self, inst: PortfolioInstance, *, gap: float, seed: int, threads: int | None) -> None:
        self.key = side_key(inst)
        self.side = build_model(inst, drop=("objective_link", "budget"))
        self.rv = row_values(inst)
        self.cost = np.asarray(inst.cost, dtype=float)
        self.tol = HULL_SHARE * max(gap, 1e-9)
        self.seed, self.threads = seed, threads
        # cuts of ``rv`` the priced solves start with and add to (a session's copy)
        self.pool: list[CutBatch] | None = None
        self.points: list[HullPoint] = []
        self.done = False  # every chord over the range asked last is settled
        self.least_spend = -math.inf  # no plan spends less than this (found by pricing higher)

    def matches(self, inst: PortfolioInstance) -> bool:
        """Whether ``inst`` is of this family (its bound and plans hold for it)."""
        return side_key(inst) == self.key

    def bound(self, budget: float) -> float | None:
        """The least bound on the value of a plan within the net ``budget`` (None: no
        priced solve yet)."""
        if not self.points:
            return None
        return min(p.bound + p.price * budget for p in self.points)

    def best_plan(self, budget: float) -> HullPoint | None:
        """The priced solve whose plan is worth most within the net ``budget``."""
        within = [p for p in self.points if p.spend <= budget + 1e-9 * max(1.0, abs(budget))]
        return max(within, key=lambda p: p.value) if within else None

    def mixed_plan(self, inst: PortfolioInstance, side: MipModel, seconds: float) -> np.ndarray | None:
        """A plan within ``inst``'s budget from the envelope points around it (nearest
        first, until their plans differ on MIX_COLUMNS columns): the columns on which
        their plans agree kept as they are, the small problem on the others solved
        exactly by the cut loop in at most ``seconds`` on ``side`` (``inst``'s rows
        without the objective's, its budget with them).
        None when the budget is outside the envelope's points or nothing was found."""
        budget = float(inst.budget)
        env = self._envelope()
        below = [p for p in env if p.spend <= budget]
        above = [p for p in env if p.spend > budget]
        if not below or not above:
            return None
        a = below[-1]
        movable = side.col_lo < side.col_hi
        for k in range(1, max(len(below), len(above)) + 1):
            near = [*below[-k:], *above[:k]]
            ones = movable & np.logical_and.reduce([p.x for p in near])
            zeros = movable & ~np.logical_or.reduce([p.x for p in near])
            if int((movable & ~ones & ~zeros).sum()) >= MIX_COLUMNS:
                break
        solved = solve_fixed(side, self.rv, ones, zeros,
                             CutOptions(time_limit=seconds, gap=HULL_GAP, seed=self.seed, threads=self.threads,
                                        scaled=True, restart=False), start=a.x)
        return None if solved.x is None else np.asarray(solved.x, dtype=bool)

    def _envelope(self) -> list[HullPoint]:
        """The points on the upper concave envelope of (spend, value), by spend."""
        pts = sorted(self.points, key=lambda p: (p.spend, -p.value))
        hull: list[HullPoint] = []
        for p in pts:
            if hull and p.value <= hull[-1].value:
                continue  # spends more for no more value
            while len(hull) >= 2:
                a, b = hull[-2], hull[-1]
                # b is under the chord from a to p
                if (b.value - a.value) * (p.spend - a.spend) <= (p.value - a.value) * (b.spend - a.spend):
                    hull.pop()
                else:
                    break
            hull.append(p)
        return hull

    def next_price(self, low: float, high: float) -> float | None:
        """The price that refines the envelope most between net budgets ``low`` and
        ``high``, or None when the bound is within the tolerance of the envelope's
        points over the whole range."""
        if not self.points:
            return 0.0
        env = self._envelope()
        per_unit = env[-1].value / max(env[-1].spend, 1.0)
        top = max(p.price for p in self.points)
        if env[0].spend > max(low, self.least_spend) and top < TOP_PRICE * per_unit:
            # no plan spends as little as the range's low end yet: a higher price
            return min(2.0 * top if top > 0 else FIRST_PRICE * per_unit, TOP_PRICE * per_unit)
        prices = np.array([p.price for p in self.points])
        solved = np.array([p.price for p in self.points if p.proved])
        bounds = np.array([p.bound for p in self.points])
        # the bound is concave and piecewise linear: its largest lead over a chord is at
        # one of its breakpoints, where two of its lines cross, or at an end
        i, j = np.triu_indices(len(prices), 1)
        apart = prices[i] != prices[j]
        crossings = (bounds[j[apart]] - bounds[i[apart]]) / (prices[i[apart]] - prices[j[apart]])
        worst, price = 0.0, None
        for a, b in itertools.pairwise(env):
            if b.spend < low or a.spend > high:
                continue
            chord = (b.value - a.value) / (b.spend - a.spend)
            if np.any(np.abs(solved - chord) <= 1e-12 * max(chord, 1.0)):
                continue  # priced already: nothing above the chord
            spots = np.concatenate([[a.spend, b.spend], crossings[(crossings > a.spend) & (crossings < b.spend)]])
            bound_at = (bounds[:, None] + prices[:, None] * spots[None, :]).min(axis=0)
            lead = float((bound_at - (a.value + chord * (spots - a.spend))).max())
            if lead > self.tol * max(abs(b.value), 1.0) and lead > worst:
                worst, price = lead, chord
        return price

    def solve_price(self, price: float, seconds: float,
                    stop: Callable[[], bool] | None = None) -> HullPoint | None:
        """One priced solve (proved to HULL_GAP, at most ``seconds``, ended early when
        ``stop()`` answers True), kept as a point when it proved a bound."""
        if self.pool is not None:  # the oldest cuts go first, as in a session's carry
            while sum(len(b.rows) for b in self.pool) > MAX_CUT_ROWS and len(self.pool) > 1:
                self.pool.pop(0)
        rv = replace(self.rv, c_x=self.rv.c_x - price * self.cost)
        near = min(self.points, key=lambda p: abs(p.price - price), default=None)
        loop = CutLoop(self.side, rv, CutOptions(time_limit=seconds, gap=HULL_GAP, seed=self.seed,
                                                 threads=self.threads, restart=False, first_lp="choose",
                                                 fill_in=True),
                       start=None if near is None else near.x, pool=self.pool, stop=stop)
        solved = loop.run()
        if solved.x is None or solved.bound is None or not math.isfinite(solved.bound):
            return None
        x = np.asarray(solved.x, dtype=bool)
        xf = x.astype(float)
        point = HullPoint(price, float(solved.bound), x, self.rv.objective(xf), float(self.cost @ xf),
                          solved.state == "optimal")
        self.points = [p for p in self.points if p.proved or p.price != price]
        if self.points and price > max(p.price for p in self.points):
            least = min(p.spend for p in self.points)
            if point.spend >= least - 1e-9 * max(1.0, abs(least)):
                self.least_spend = least  # a higher price buys no less spend: the lowest there is
        self.points.append(point)
        return point

    def step(self, low: float, high: float, seconds: float, stop: Callable[[], bool] | None = None) -> bool:
        """Add the priced solve that refines the envelope most between net budgets
        ``low`` and ``high`` (at most ``seconds``, ``stop`` as for :meth:`solve_price`).
        False when none is left to add (or the solve proved nothing)."""
        price = None if len(self.points) >= MAX_POINTS else self.next_price(low, high)
        if price is None:
            self.done = True
            return False
        before = len(self.points)
        self.solve_price(price, seconds, stop)
        return len(self.points) > before


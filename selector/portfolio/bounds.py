"""A quick proven upper bound for the coverage objectives, from submodularity.

Both coverage objectives are monotone submodular set functions of the portfolio: a
segment counts at the best selected partner covering it. For any portfolio ``S`` and
the best portfolio ``OPT``,

    f(OPT) <= f(S) + sum_{p in OPT} gain(p | S)
           <= f(S) + (fractional knapsack of the gains gain(p | S), costs c_p, capacity B),

because ``OPT`` costs at most the budget ``B``. Every other rule is dropped, which can
only raise the optimum, so the result is a valid bound for the full model. It costs one
pass over the coverage pairs, and is tight when ``S`` is good: it gives a time-limited
solve an honest gap even where the LP relaxation is too large to finish in time.
"""

from __future__ import annotations

import math

import numpy as np

from selector.portfolio.instance import PortfolioInstance, addition_gains, evaluate

__all__ = ["fractional_knapsack", "submodular_bound"]


def submodular_bound(inst: PortfolioInstance, selected: np.ndarray) -> float | None:
    """An upper bound on the objective of every portfolio of ``inst``.

    Parameters
    ----------
    inst
        The instance; ``min_cost`` instances get ``None`` (no bound from here).
    selected
        Any portfolio (boolean mask); the better it is, the tighter the bound.

    Examples
    --------
    >>> from selector import load_scenario
    >>> from selector.portfolio.instance import build_instance
    >>> from selector.portfolio import partner_quality
    >>> s = load_scenario("scenarios/teaching.toml")
    >>> inst = build_instance(s, partner_quality(s))
    >>> import numpy as np
    >>> submodular_bound(inst, np.zeros(inst.n_partners, dtype=bool)) >= 0
    True
    """
    if not inst.maximize:
        return None
    sel = np.asarray(selected, dtype=bool)
    gain = addition_gains(inst, sel)
    gain[inst.fixed_out | sel] = 0.0
    base = evaluate(inst, sel)
    useful = np.flatnonzero(gain > 0)
    if not len(useful):
        return base
    free = useful[inst.cost[useful] <= 0]
    total = float(gain[free].sum())
    paid = useful[inst.cost[useful] > 0]
    # Net costs below 0 (a plan: keeping a partner costs less than its exit) in OPT pay
    # for more of OPT's other members: widen the capacity by the most any one option of
    # each partner can give back (a partner has at most one option in OPT).
    refund = np.where(inst.fixed_out, 0.0, np.maximum(-inst.cost, 0.0))
    if inst.option_partner is not None and len(refund):
        per = np.zeros(int(inst.option_partner.max()) + 1)
        np.maximum.at(per, inst.option_partner, refund)
        refund = per
    capacity = inst.budget + float(refund.sum())
    if not math.isfinite(capacity):
        return base + total + float(gain[paid].sum())
    share = fractional_knapsack(gain[paid], inst.cost[paid], capacity)
    return base + total + float(gain[paid] @ share)


def fractional_knapsack(profit: np.ndarray, weight: np.ndarray, capacity: float) -> np.ndarray:
    """The share (0..1) of each item in the best fractional knapsack: items by profit per
    weight, whole while they fit, then one item split. ``weight`` must be > 0."""
    share = np.zeros(len(profit))
    order = np.argsort(-profit / weight, kind="stable")
    fill = np.cumsum(weight[order])
    whole = fill <= capacity
    share[order[whole]] = 1.0
    k = int(whole.sum())
    if k < len(order):
        room = capacity - (float(fill[k - 1]) if k else 0.0)
        share[order[k]] = max(room, 0.0) / float(weight[order[k]])
    return share

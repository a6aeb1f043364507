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

__all__ = ["submodular_bound"]


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
    if not math.isfinite(inst.budget):
        return base + total + float(gain[paid].sum())
    order = paid[np.argsort(-gain[paid] / inst.cost[paid], kind="stable")]
    spent = np.cumsum(inst.cost[order])
    whole = spent <= inst.budget
    total += float(gain[order[whole]].sum())
    k = int(whole.sum())
    if k < len(order):
        room = inst.budget - (float(spent[k - 1]) if k else 0.0)
        total += float(gain[order[k]]) * max(room, 0.0) / float(inst.cost[order[k]])
    return base + total

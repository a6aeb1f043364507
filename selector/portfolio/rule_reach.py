"""What a scenario rule can reach at most, whatever else is chosen (:func:`rule_reach`),
and the sentence for a rule's minimum that its partners alone can never meet
(:func:`never_holds`): the elastic model (:mod:`selector.portfolio.elastic`) marks such a
rule's bound as one no solve needs to move, and the explanation of an infeasible
scenario (:mod:`selector.portfolio.explain`) names it."""

from __future__ import annotations

import numpy as np

from selector.portfolio.instance import PortfolioInstance

__all__ = ["never_holds", "rule_reach"]


def rule_reach(inst: PortfolioInstance, k: int) -> float:
    """The most rule ``k`` of ``inst`` (a ``count``, ``group`` or ``cost`` rule) can
    reach, whatever else is chosen: every selectable partner at its best level (at most
    one level counts per partner), as the scenario reads it (a cost rule with the exit
    costs its rows leave out added back)."""
    rule = inst.rules[k]
    coef = np.asarray(rule.matrix(inst.cost).sum(axis=0)).ravel()
    coef = np.where(~inst.fixed_out, np.maximum(coef, 0.0), 0.0)
    shift = dict(inst.rule_offsets).get(rule.id, 0.0) if rule.by_cost else 0.0
    if inst.option_partner is None:
        return float(coef.sum()) + shift
    best = np.zeros(int(inst.option_partner.max()) + 1 if len(coef) else 0)
    np.maximum.at(best, inst.option_partner, coef)
    return float(best.sum()) + shift


def never_holds(inst: PortfolioInstance, k: int, side: str, bound: float, title: str, what: str,
           money: bool) -> str:
    """Why a rule's minimum can never hold, when its partners alone show it."""
    if side != "min":
        return ""
    most = rule_reach(inst, k)
    if most >= bound - 1e-9 * max(1.0, abs(bound)):
        return ""
    if money:
        return (f"rule {title} asks for at least {bound:,.0f} spent on partners with {what}, "
                f"who can cost at most {most:,.0f} in all")
    return f"rule {title} asks for at least {bound:g} partners with {what}; only {most:g} can be selected"

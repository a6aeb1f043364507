"""Bringing a plan within a scenario's rules: :func:`repair_plan` turns today's channel
(the quick plan's start) or a session's last plan (the next what-if's start) into a plan
that keeps the budget, pools, quotas, exit limit, count rules' minimums, the tier-2
supply rule and the conflicts where it can, moving as few partners as it can. The
searches then start from it (:mod:`selector.portfolio.heuristics`)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from selector.portfolio.instance import PortfolioInstance, evaluate, removal_losses

__all__ = ["repair_plan"]


def repair_plan(inst: PortfolioInstance, x: np.ndarray) -> np.ndarray:
    """Bring a plan (e.g. today's channel) within the budget, pools and tier quotas.

    Two conflicting partners both in the plan: the one whose exit loses less leaves.
    More exits than allowed (a current partner excluded by a what-if counts as one):
    exited partners come back at the lowest programme tier, the most value per cost
    first. A count rule's minimum not met: partners it counts join at the lowest tier,
    the most value per cost first. Over a quota: the lowest-quality partner at that tier moves one tier down. Over
    the budget or a pool: the option that loses least value per cost saved moves one
    tier down, or out when it is at the lowest tier (never once the exits allowed are
    used), and never a distributor that is the only one supplying a tier-2 partner of
    the plan. What is left to fix (recruits, named accounts, the rules' other bounds)
    is for the solver; the result may still break rules.
    """
    sel = np.asarray(x, dtype=bool).copy()
    if inst.option_partner is None or inst.option_level is None:
        return sel

    levels = inst.option_level
    _part_conflicts(inst, sel)
    before = sel.copy()
    _supplied(inst, sel)
    _within_exits(inst, sel)
    _count_minimums(inst, sel)
    _supplied(inst, sel)
    kept = inst.fixed_in | (sel & ~before)  # what these repairs added stays
    supplies = None if inst.suppliers is None else sp.csr_matrix(inst.suppliers.T)

    def orphans(o: int, count: np.ndarray) -> bool:
        """Whether taking option ``o`` out leaves a tier-2 option of the plan unsupplied
        (``count``: each option's selected suppliers)."""
        assert supplies is not None
        served = supplies.indices[supplies.indptr[o]:supplies.indptr[o + 1]]
        return bool((count[served[sel[served]]] <= 1).any())

    def lower(o: int) -> int:
        """The option one tier below ``o`` (-1: out)."""
        return o - 1 if levels[o] > 0 else -1

    for _ in range(4 * inst.n_partners):
        active = int(sel.sum())
        over = [
            mask for _n, mask, share, count in inst.quotas
            if (share is not None and (sel & mask).sum() > share * active + 1e-9)
            or (count is not None and (sel & mask).sum() > count)
        ]
        if over:
            cands = np.flatnonzero(sel & over[0] & ~kept)
            if not len(cands):
                break
            o = int(cands[np.argmin(inst.quality[cands])])
        else:
            spent = float(inst.cost[sel].sum())
            short = spent > inst.budget + 1e-9 * max(1.0, abs(inst.budget))
            pool = None
            for _key, mask, cap in inst.pools:
                if float(inst.cost[sel & mask].sum()) > cap + 1e-9 * max(1.0, abs(cap)):
                    pool = mask
            if not short and pool is None:
                break
            cands = np.flatnonzero(sel & ~kept & (pool if pool is not None else True))
            down = np.array([lower(int(o)) for o in cands], dtype=np.int64)
            saving = inst.cost[cands] - np.where(down >= 0, inst.cost[np.maximum(down, 0)], 0.0)
            useful = saving > 0
            if supplies is not None and inst.suppliers is not None:
                count = np.asarray(inst.suppliers @ sel.astype(np.int64)).ravel()  # once a round
                useful &= ~np.array([d < 0 and orphans(int(o), count) for o, d in zip(cands, down, strict=True)],
                                    dtype=bool)
            if inst.max_exits is not None and inst.current is not None and (
                inst.n_current - int((sel & inst.current).sum()) >= inst.max_exits
            ):
                # the exits allowed are used: a current partner only moves down a tier
                useful &= (down >= 0) | ~inst.current[cands]
            if not useful.any():
                break
            cands, down, saving = cands[useful], down[useful], saving[useful]
            losses = removal_losses(inst, sel)[cands]
            o = int(cands[np.argmin(losses / saving)])
        sel[o] = False
        d = lower(o)
        if d >= 0:
            sel[d] = True
    return sel


def _add_best(inst: PortfolioInstance, sel: np.ndarray, cands: np.ndarray) -> bool:
    """Add to ``sel`` (in place) the option of ``cands`` that adds the most value per
    cost; False when there is none to add."""
    if not len(cands):
        return False
    base = evaluate(inst, sel)
    best, pick = -np.inf, -1
    for o in cands:
        trial = sel.copy()
        trial[o] = True
        gain = (evaluate(inst, trial) - base) * (1.0 if inst.maximize else -1.0)
        score = gain / max(float(inst.cost[o]), 1e-9)
        if score > best:
            best, pick = score, int(o)
    sel[pick] = True
    return True


def _lowest_free(inst: PortfolioInstance, sel: np.ndarray, partners: np.ndarray) -> np.ndarray:
    """Per partner of ``partners`` with no option in ``sel``: its lowest-tier option that
    may be taken (not fixed out), when it has one."""
    assert inst.option_partner is not None and inst.option_level is not None
    taken = np.zeros(inst.n_partners, dtype=bool)
    taken[inst.option_partner[sel]] = True
    ok = ~inst.fixed_out & np.isin(inst.option_partner, partners) & ~taken[inst.option_partner]
    cols = np.flatnonzero(ok)
    if not len(cols):
        return cols
    order = np.lexsort((inst.option_level[cols], inst.option_partner[cols]))
    cols = cols[order]
    first = np.r_[True, inst.option_partner[cols][1:] != inst.option_partner[cols][:-1]]
    return cols[first]


def _within_exits(inst: PortfolioInstance, sel: np.ndarray) -> None:
    """Bring exited current partners back at their lowest tier (in place) until the
    exits are within ``max_exits``, the most value per cost first."""
    if inst.max_exits is None or inst.current is None or inst.option_partner is None:
        return
    partners = np.unique(inst.option_partner[inst.current])
    sup = None if inst.suppliers is None or inst.gtm_tier is None else sp.csr_matrix(inst.suppliers)
    for _ in range(inst.n_current):
        if inst.n_current - int(np.unique(inst.option_partner[sel & inst.current]).size) <= inst.max_exits:
            return
        cands = _lowest_free(inst, sel, partners)
        if sup is not None and inst.gtm_tier is not None:
            # a tier-2 partner comes back only with a distributor of the plan to buy from
            supplied = np.asarray(sup @ sel.astype(np.int64)).ravel() > 0
            cands = cands[(inst.gtm_tier[cands] != 2) | supplied[cands]]
        if not _add_best(inst, sel, cands):
            return


def _count_minimums(inst: PortfolioInstance, sel: np.ndarray) -> None:
    """Add partners a count rule counts (in place, each at its lowest tier, the most
    value per cost first) until every count rule's minimum holds."""
    if inst.option_partner is None:
        return
    for rule in inst.rules:
        if rule.kind != "count" or rule.by_cost:
            continue
        w = sp.csr_matrix(rule.weights)
        for i in range(w.shape[0]):
            row = w.getrow(i)
            counted = row.indices[row.data > 0]
            for _ in range(len(counted)):
                if float((row @ sel.astype(float))[0]) >= rule.lo[i] - 1e-9:
                    break
                partners = np.unique(inst.option_partner[counted])
                cands = np.intersect1d(_lowest_free(inst, sel, partners), counted)
                if not _add_best(inst, sel, cands):
                    break


def _supplied(inst: PortfolioInstance, sel: np.ndarray) -> None:
    """Give every tier-2 partner of ``sel`` a selected distributor (in place): the
    distributor that would supply the most of those left without one joins at its
    lowest tier (ties: the cheapest); a tier-2 partner none can supply leaves."""
    if inst.suppliers is None or inst.gtm_tier is None or inst.option_partner is None:
        return
    sup = sp.csr_matrix(inst.suppliers)
    for _ in range(inst.n_partners):
        supplied = np.asarray(sup @ sel.astype(np.int64)).ravel() > 0
        needs = np.flatnonzero(sel & (inst.gtm_tier == 2) & ~supplied)
        if not len(needs):
            return
        block = sup[needs]
        offers = np.asarray(block.sum(axis=0)).ravel()  # per option: how many it would supply
        dists = np.flatnonzero(offers > 0)
        cands = _lowest_free(inst, sel, np.unique(inst.option_partner[dists])) if len(dists) else dists
        if not len(cands):
            sel[needs] = False  # nobody can supply them
            return
        # the same partner's options supply alike: count by partner, take its lowest tier
        by_partner = np.zeros(inst.n_partners)
        np.add.at(by_partner, inst.option_partner[dists], offers[dists])
        score = by_partner[inst.option_partner[cands]]
        sel[int(cands[np.lexsort((inst.cost[cands], -score))[0]])] = True


def _part_conflicts(inst: PortfolioInstance, sel: np.ndarray) -> None:
    """Take out of ``sel`` (in place) one partner of each conflicting pair both in it:
    the one whose exit loses less value (a must-include partner stays)."""
    if not len(inst.conflicts) or inst.option_partner is None:
        return
    a, b = inst.conflicts[:, 0], inst.conflicts[:, 1]
    other = inst.option_partner[a] != inst.option_partner[b]
    for i in np.flatnonzero(other):
        oa, ob = int(a[i]), int(b[i])
        if not (sel[oa] and sel[ob]):
            continue
        losses = removal_losses(inst, sel)
        drop = ob if inst.fixed_in[oa] or (not inst.fixed_in[ob] and losses[ob] <= losses[oa]) else oa
        if not inst.fixed_in[drop]:
            sel[drop] = False

"""Moves between programme tiers for plans (partners as one column per level; see
:mod:`selector.portfolio.levels`): the spend that buys nothing taken out of a plan
(:func:`without_idle_spend`: recruits and promotions that add no value undone) and the
tier steps a quick plan makes after its greedy (:func:`improve_tiers`: promote where the
value gained per extra cost is best)."""

from __future__ import annotations

import numpy as np

from selector.portfolio.instance import (
    PortfolioInstance,
    evaluate,
    removal_losses,
    segment_quality,
    violations,
)

__all__ = ["IDLE", "improve_tiers", "without_idle_spend"]

#: An option is idle when removing it loses at most this share of the objective.
IDLE = 1e-12


def _options_by_partner(inst: PortfolioInstance) -> list[np.ndarray]:
    if inst.option_partner is None:
        raise ValueError("needs a plan instance (selector.portfolio.levels)")
    order = np.argsort(inst.option_partner, kind="stable")
    starts = np.searchsorted(inst.option_partner[order], np.arange(int(inst.option_partner.max()) + 2))
    return [order[starts[p] : starts[p + 1]] for p in range(len(starts) - 1)]


def without_idle_spend(inst: PortfolioInstance, x: np.ndarray) -> np.ndarray:
    """A plan without spend that buys nothing: a recruit or a promotion (a change from
    the reference plan, today's channel by default, that costs more) whose level adds
    no value (every segment it covers has another selected partner at least as good)
    is undone as far as every rule allows: the recruit not made, the promotion taken
    back to a lower tier, down to the reference one. The biggest saving goes first; the
    plan's value stays what it was (within ``IDLE``). Partners kept at their level are
    not touched (a plan changes today's channel only where the value needs it);
    must-include partners keep their level; blank-sheet portfolios and cost objectives
    are answered as they are (:func:`selector.portfolio.heuristics.without_idle`).

    Recruits that add nothing cannot be needed by a tier quota: quotas are counts of
    today's partners (:func:`selector.portfolio.levels.quota_count`).
    """
    sel = np.asarray(x, dtype=bool).copy()
    if not inst.has_levels or not inst.maximize or not sel.any() or inst.option_level is None:
        return sel
    assert inst.option_partner is not None
    groups = _options_by_partner(inst)
    reference = inst.reference if inst.reference is not None else np.zeros(inst.n_partners, dtype=bool)
    # per option: the level of its partner in the reference plan (-1: out)
    ref_level = np.full(len(groups), -1)
    ref_level[inst.option_partner[reference]] = inst.option_level[reference]
    mine_ref = ref_level[inst.option_partner]
    spend = sel & ~reference & (inst.option_level > mine_ref)  # recruits and promotions
    value = evaluate(inst, sel)
    floor = value - IDLE * max(abs(value), 1.0)
    stuck = np.zeros(inst.n_partners, dtype=bool)  # changes no lesser level can replace
    moved = True
    while moved:  # rounds: one change undone can make another one needed
        moved = False
        losses = removal_losses(inst, sel)
        idle = sel & spend & ~stuck & ~inst.fixed_in & (losses <= value - floor)
        # dearest first: the most that undoing it could save
        for o in np.flatnonzero(idle)[np.argsort(-inst.cost[idle], kind="stable")]:
            mine = groups[int(inst.option_partner[o])]
            lesser = mine[(inst.option_level[mine] >= mine_ref[o]) & (inst.option_level[mine] < inst.option_level[o])
                          & (inst.cost[mine] < inst.cost[o]) & ~inst.fixed_out[mine]]
            # a recruit: not made; a promotion: back down, the cheapest tier first
            alternatives = [-1] if mine_ref[o] < 0 else []
            alternatives += lesser[np.argsort(inst.cost[lesser], kind="stable")].tolist()
            for alt in alternatives:
                trial = sel.copy()
                trial[o] = False
                if alt >= 0:
                    trial[alt] = True
                if evaluate(inst, trial) >= floor and not violations(inst, trial):
                    sel, moved = trial, True
                    if alt >= 0:  # a lesser promotion is still spend the plan adds
                        spend[alt] = bool(inst.option_level[alt] > mine_ref[o])
                    break
            else:
                stuck[o] = True
    return sel


def improve_tiers(inst: PortfolioInstance, x: np.ndarray, *, steps: int | None = None) -> np.ndarray:
    """Tier steps from plan ``x`` (a quick plan's last stage): one tier up for the
    partner whose step gains the most value per extra cost while every rule holds,
    repeated; then :func:`without_idle_spend` (recruits and promotions that add nothing
    undone).
    ``steps`` bounds the promotions (default: as many as pay)."""
    sel = np.asarray(x, dtype=bool).copy()
    if not inst.has_levels or not inst.maximize or inst.option_level is None:
        return sel
    assert inst.option_partner is not None
    groups = _options_by_partner(inst)
    level = inst.option_level
    above = np.full(inst.n_partners, -1)
    for mine in groups:
        ranked = mine[np.argsort(level[mine], kind="stable")]
        above[ranked[:-1]] = ranked[1:]
    blocked = np.zeros(inst.n_partners, dtype=bool)
    value = evaluate(inst, sel)
    done = 0
    while steps is None or done < steps:
        cands = np.flatnonzero(sel & (above >= 0) & ~blocked)
        if not len(cands):
            break
        ups = above[cands]
        extra = inst.cost[ups] - inst.cost[cands]
        # only steps the budget and the tier quotas have room for are tried
        ok = ~inst.fixed_out[ups] & (extra <= inst.budget - float(inst.cost[sel].sum()) + 1e-9)
        for _name, mask, share, count in inst.quotas:
            held = int((sel & mask).sum())
            if (count is not None and held >= count) or (
                share is not None and held + 1 > share * int(inst.active_partners(sel).sum()) + 1e-9
            ):
                ok &= ~mask[ups]
        cands, ups, extra = cands[ok], ups[ok], extra[ok]
        gains = _step_gains(inst, sel, above)[cands]
        useful = gains > IDLE * max(abs(value), 1.0)
        if not useful.any():
            break
        ratio = np.where(useful, gains / np.maximum(extra, 1e-9), -np.inf)
        ratio[useful & (extra <= 0)] = np.inf  # a step up that costs nothing more
        k = int(np.argmax(ratio))
        trial = sel.copy()
        trial[cands[k]] = False
        trial[ups[k]] = True
        if violations(inst, trial):
            blocked[cands[k]] = True
            continue
        sel, value, done = trial, evaluate(inst, trial), done + 1
    return without_idle_spend(inst, sel)


def _step_gains(inst: PortfolioInstance, sel: np.ndarray, above: np.ndarray) -> np.ndarray:
    """Per selected option ``o``: the value a step to the option ``above[o]`` of the same
    partner adds. Its rows are those of ``o``; each row counts the better of its best
    selected partner and the new level, and ``o``'s own level is at most that best."""
    best = segment_quality(inst, sel)
    pair_option = np.repeat(np.arange(inst.n_partners), np.diff(inst.cover.indptr))
    pair_row = inst.cover.indices
    mine = sel[pair_option] & (above[pair_option] >= 0)
    up = above[pair_option[mine]]
    lift = np.maximum(inst.quality[up] - best[pair_row[mine]], 0.0) * inst.value[pair_row[mine]]
    return np.bincount(pair_option[mine], weights=lift, minlength=inst.n_partners)

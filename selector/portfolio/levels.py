"""Plans from today's channel: every partner at one level, out or a programme tier.

When a scenario says who is a partner today (a ``status`` column, optionally a
``[programme]`` with tiers), the decision is no longer "in or out" but "which level":
a current partner is kept at its tier, promoted, demoted or exited; a prospect stays
out or is recruited at a tier. :func:`expand_levels` turns the partner instance of
:func:`~selector.portfolio.instance.build_instance` into an *option* instance: one
column per (partner, tier), at most one per partner, so the heuristics, the bound and
the MIP keep working on columns while the new rules hold:

- an option's cost is the tier's annual cost, plus the recruit cost for a prospect,
  minus the exit cost for a current partner; the exit costs of all current partners
  are taken off the budget (and off each pool) up front. So "exit" costs its exit cost
  and "keep" costs the tier's cost, exactly, with one linear budget row;
- an option's quality is the partner's quality times the tier's multiplier (at most 1);
- quotas: a tier holds at most ``max_count`` partners and ``max_share`` of today's
  partners (a number fixed for the year, so recruiting partners that add nothing cannot
  buy places at a tier; with no partner today, a share of the active partners);
- at most ``max_exits`` current partners leave and ``max_recruits`` prospects join;
- a named account covered by current partners today keeps at least one of them
  (``keep_named_accounts``);
- rules (``[[rules]]``): a partner counts when any of its options is selected (at most
  one is); a ``cost`` rule counts net option costs and its bounds are lowered by the
  exit costs of its current partners, as a pool's cap is, so it limits what the plan
  spends on them, one-off costs included; a ``level`` filter keeps the options at the
  named tiers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import numpy as np
import pandas as pd
import scipy.sparse as sp

from selector.errors import ScenarioError
from selector.inputs.programme import Programme, tier_costs
from selector.inputs.scenario import Scenario
from selector.portfolio.instance import PortfolioInstance, RuleRows

__all__ = ["OUT", "expand_levels", "quota_count", "reference_levels", "today_levels"]

#: The level of a partner that is not in the channel.
OUT = "out"


def today_levels(scenario: Scenario) -> pd.Series:
    """Today's level of every partner: its tier when current, ``"out"`` for a prospect."""
    partners = scenario.partners
    if "status" not in partners.columns:
        return pd.Series(OUT, index=partners.index, dtype=object)
    current = partners["status"].to_numpy() == "current"
    return pd.Series(
        np.where(current, partners["tier"].to_numpy(dtype=object), OUT),
        index=partners.index,
        dtype=object,
    )


def reference_levels(
    scenario: Scenario, reference: Mapping[str, str] | None
) -> pd.Series:
    """The plan the answer should change least from: today's, or the caller's.

    ``reference`` maps partner ids to a level (a tier name or ``"out"``); partners it
    does not name keep today's level.

    Raises
    ------
    ScenarioError
        For an unknown partner id or level.
    """
    levels = today_levels(scenario)
    if not reference:
        return levels
    programme = scenario.programme or Programme()
    known = {OUT, *programme.tier_names}
    unknown_ids = sorted(set(reference) - set(levels.index))
    if unknown_ids:
        raise ScenarioError(f"the reference plan names unknown partners: {', '.join(unknown_ids[:5])}")
    bad = sorted({str(v) for v in reference.values()} - known)
    if bad:
        raise ScenarioError(
            f"the reference plan uses unknown level(s) {', '.join(bad)}; accepted: "
            f"{', '.join(sorted(known))}"
        )
    out = levels.copy()
    for pid, level in reference.items():
        out[pid] = level
    return out


def expand_levels(
    inst: PortfolioInstance,
    scenario: Scenario,
    *,
    reference: Mapping[str, str] | None = None,
) -> PortfolioInstance:
    """The option instance of a scenario with today's channel (see the module notes).

    ``inst`` is the partner instance built with ``prune=False``; its fixed-in and
    fixed-out partners carry over to all their options.
    """
    partners = scenario.partners
    programme = scenario.programme or Programme()
    n = inst.n_partners
    L = len(programme.tiers)
    opt_p = np.repeat(np.arange(n), L)
    opt_l = np.tile(np.arange(L), n)
    status = partners["status"].to_numpy()
    current = status == "current"
    exit_cost = np.where(current, partners["exit_cost"].to_numpy(dtype=float), 0.0)
    recruit_cost = np.where(current, 0.0, partners["recruit_cost"].to_numpy(dtype=float))
    annual = tier_costs(programme, partners)  # partners x tiers
    gross = annual + recruit_cost[:, None]
    net = (gross - exit_cost[:, None]).ravel()
    fixed_cost = float(exit_cost.sum())
    mult = np.array([t.multiplier for t in programme.tiers])
    if inst.objective == "weighted_coverage":
        quality = np.minimum(inst.quality[:, None] * mult[None, :], 1.0).ravel()
    else:
        quality = np.ones(n * L)

    # Each option works the same segments as its partner.
    cover = sp.csr_matrix(inst.cover[opt_p])
    cover.sort_indices()
    suppliers = None
    if inst.suppliers is not None:
        # Option o of tier-2 partner p needs any option of any of p's distributors.
        expand = sp.csr_matrix(
            (np.ones(n * L, dtype=np.int8), (np.arange(n * L), opt_p)), shape=(n * L, n)
        )
        suppliers = sp.csr_matrix(expand @ inst.suppliers @ expand.T)
        suppliers.data[:] = 1
    budget = inst.budget - fixed_cost
    pools = tuple(
        (key, mask[opt_p], cap - float(exit_cost[mask].sum())) for key, mask, cap in inst.pools
    )
    # At most one level per partner: the options of one partner conflict pairwise (the
    # heuristics and the rule check read it so); the MIP writes one row per partner.
    own = [
        np.stack(np.triu_indices(L, k=1), axis=1) + p * L for p in range(n)
    ] if L > 1 else []
    pairs = [np.asarray(own).reshape(-1, 2)] if own else []
    for a, b in inst.conflicts:
        aa, bb = np.meshgrid(np.arange(L) + a * L, np.arange(L) + b * L)
        pairs.append(np.stack([aa.ravel(), bb.ravel()], axis=1))
    conflicts = np.concatenate(pairs).astype(np.int64) if pairs else np.zeros((0, 2), np.int64)

    names = programme.tier_names
    ref = reference_levels(scenario, reference)
    ref_pos = pd.Index(names).get_indexer(ref.to_numpy())  # -1 for "out"
    reference_mask = np.zeros(n * L, dtype=bool)
    on = np.flatnonzero(ref_pos >= 0)
    reference_mask[on * L + ref_pos[on]] = True

    today = int(current.sum())
    quotas = tuple(
        (t.name, opt_l == k, None if today else t.max_share, quota_count(t.max_share, t.max_count, today))
        for k, t in enumerate(programme.tiers)
        if t.max_share is not None or t.max_count is not None
    )
    continuity, continuity_ids = _continuity(scenario, programme, current, opt_p, L)
    rules, offsets = _expand_rules(inst.rules, opt_p, opt_l, names, exit_cost, net)
    fixed_in = inst.fixed_in[opt_p] if L == 1 else np.zeros(n * L, dtype=bool)
    return replace(
        inst,
        partner_ids=inst.partner_ids[opt_p],
        cost=net,
        quality=quality,
        types=inst.types[opt_p],
        gtm_tier=inst.gtm_tier[opt_p],
        cover=cover,
        budget=budget,
        pools=pools,
        conflicts=conflicts,
        type_mix=tuple((t, mask[opt_p], lo, hi) for t, mask, lo, hi in inst.type_mix),
        suppliers=suppliers,
        fixed_in=fixed_in,
        fixed_out=inst.fixed_out[opt_p],
        movable_out=None if inst.movable_out is None else inst.movable_out[opt_p],
        option_partner=opt_p,
        option_level=opt_l,
        level_names=names,
        partner_names=inst.partner_ids,
        partner_conflicts=inst.conflicts,
        group_required=inst.fixed_in.copy() if L > 1 else None,
        quotas=quotas,
        current=current[opt_p],
        reference=reference_mask,
        n_current=int(current.sum()),
        max_exits=programme.max_exits,
        max_recruits=programme.max_recruits,
        continuity=continuity,
        continuity_ids=continuity_ids,
        fixed_cost=fixed_cost,
        rules=rules,
        rule_offsets=offsets,
    )


def _expand_rules(
    rules: tuple[RuleRows, ...], opt_p: np.ndarray, opt_l: np.ndarray, names: tuple[str, ...],
    exit_cost: np.ndarray, net: np.ndarray,
) -> tuple[tuple[RuleRows, ...], tuple[tuple[str, float], ...]]:
    """Partner rules as option rules (see the module notes)."""
    out: list[RuleRows] = []
    offsets: list[tuple[str, float]] = []
    for rule in rules:
        weights = sp.csr_matrix(rule.weights[:, opt_p])
        if rule.levels is not None:
            keep = np.isin(np.asarray(names, dtype=object)[opt_l], list(rule.levels))
            weights = sp.csr_matrix(weights.multiply(keep[None, :].astype(float)))
        lo, hi = rule.lo, rule.hi
        if rule.by_cost and rule.levels is not None:
            # Spent on partners at these levels: their options' gross cost (the exit
            # cost is paid only by partners that leave, which are at no level).
            gross = net + exit_cost[opt_p]
            weights = sp.csr_matrix(weights.multiply(gross[None, :]))
            out.append(replace(rule, weights=weights, by_cost=False))
            continue
        if rule.by_cost:
            shift = np.asarray(rule.weights @ exit_cost).ravel()
            lo, hi = lo - shift, hi - shift
            offsets.append((rule.id, float(shift[0])))
        out.append(replace(rule, weights=weights, lo=lo, hi=hi))
    return tuple(out), tuple(offsets)


def _continuity(
    scenario: Scenario, programme: Programme, current: np.ndarray, opt_p: np.ndarray, L: int
) -> tuple[sp.csr_matrix | None, tuple[str, ...]]:
    """Named accounts x options: the options of the current partners covering each named
    account that has any today (a plan must keep one of them)."""
    if not programme.keep_named_accounts or not current.any():
        return None, ()
    named = np.flatnonzero(scenario.segments["named"].to_numpy(dtype=bool))
    if not len(named):
        return None, ()
    cover = scenario.coverage_matrix.tocsc()[:, named]  # partners x named
    cover = sp.csr_matrix(cover.multiply(current[:, None].astype(np.int8)))
    has = np.asarray(cover.sum(axis=0)).ravel() > 0
    if not has.any():
        return None, ()
    rows = sp.csr_matrix(cover[:, has].T)  # named-with-current x partners
    expand = sp.csr_matrix(
        (np.ones(len(opt_p), dtype=np.int8), (opt_p, np.arange(len(opt_p)))),
        shape=(len(current), len(opt_p)),
    )
    mat = sp.csr_matrix(rows @ expand)
    mat.data[:] = 1
    ids = tuple(str(s) for s in scenario.segments.index[named[has]])
    return mat, ids


def quota_count(max_share: float | None, max_count: int | None, today: int) -> int | None:
    """The most partners a tier may hold: ``max_count``, and ``max_share`` of the
    ``today`` partners of today's channel (rounded down) when there are any.

    >>> quota_count(0.1, None, 604), quota_count(0.1, 50, 604), quota_count(0.1, None, 0)
    (60, 50, None)
    """
    counts = [c for c in (max_count,) if c is not None]
    if max_share is not None and today:
        counts.append(int(np.floor(max_share * today + 1e-9)))
    return min(counts) if counts else None

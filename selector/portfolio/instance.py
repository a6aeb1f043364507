"""The portfolio problem as arrays: what the optimizer and the heuristics both work on.

:func:`build_instance` turns a :class:`~selector.inputs.scenario.Scenario` and partner scores
into a :class:`PortfolioInstance`: a partners x segments coverage matrix in which
segments covered by exactly the same partners (and with the same requirements) are
merged into one weighted row, segments nobody covers are set aside, and partners that
can never be selected or never help are fixed out with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from selector.inputs.overlap import conflict_pairs_above
from selector.inputs.scenario import Scenario

__all__ = [
    "PortfolioInstance",
    "RuleRows",
    "addition_gains",
    "build_instance",
    "evaluate",
    "pure_cover",
    "removal_losses",
    "rule_status",
    "segment_quality",
    "violations",
    "without_dominated",
]


@dataclass(frozen=True, eq=False)
class RuleRows:
    """A scenario rule (``[[rules]]``) as linear rows on the instance's columns.

    Row ``i`` reads ``lo[i] <= sum_j coef[i, j] * x_j <= hi[i]``, where ``coef`` is
    ``weights`` (times the column cost for a ``cost`` rule). A ``coverage`` rule has no
    rows on ``x``: the value of the merged segment rows it counts (``row_value``) that is
    covered -- at the best selected partner's quality when ``weighted`` -- must reach
    ``need``. ``subjects`` names the partner of each row of a ``requires`` rule.
    """

    id: str
    label: str
    kind: str
    weights: sp.csr_matrix
    lo: np.ndarray
    hi: np.ndarray
    by_cost: bool = False
    row_value: np.ndarray | None = None
    need: float = 0.0
    weighted: bool = False
    what: str = ""
    subjects: tuple[str, ...] = ()
    levels: tuple[str, ...] | None = None

    def matrix(self, cost: np.ndarray) -> sp.csr_matrix:
        """The coefficient rows (costs applied for a ``cost`` rule)."""
        if not self.by_cost:
            return self.weights
        return sp.csr_matrix(self.weights.multiply(cost[None, :]))

    @property
    def title(self) -> str:
        return f"'{self.id}'" + (f" ({self.label})" if self.label and self.label != self.id else "")


@dataclass(frozen=True, eq=False)
class PortfolioInstance:
    """Arrays of one portfolio problem (partners in table order; merged segment rows).

    ``cover`` is partners x rows (CSR, int8). ``row_of_segment[s]`` is the merged row of
    original segment ``s`` or -1 when no partner covers it. ``fixed_out`` partners
    cannot be selected (``out_reason`` says why); ``fixed_in`` must be.
    """

    objective: str
    partner_ids: np.ndarray
    cost: np.ndarray
    quality: np.ndarray
    types: np.ndarray
    gtm_tier: np.ndarray
    cover: sp.csr_matrix
    value: np.ndarray
    required: np.ndarray
    cap: np.ndarray
    row_of_segment: np.ndarray
    budget: float
    pools: tuple[tuple[str, np.ndarray, float], ...]
    conflicts: np.ndarray
    type_mix: tuple[tuple[str, np.ndarray, int | None, int | None], ...]
    suppliers: sp.csr_matrix | None
    fixed_in: np.ndarray
    fixed_out: np.ndarray
    out_reason: tuple[tuple[str, str], ...]
    # --- plans from today's channel (see selector.portfolio.levels) ---------------------
    # With a programme, a column is an *option*: one partner at one level. Every array
    # above is then per option; these say which partner and level each option is.
    option_partner: np.ndarray | None = None  # partner position per column (None: identity)
    option_level: np.ndarray | None = None  # level position per column
    level_names: tuple[str, ...] = ()
    partner_names: np.ndarray | None = None  # one id per partner (None: partner_ids)
    partner_conflicts: np.ndarray | None = None  # conflict pairs as partner positions
    group_required: np.ndarray | None = None  # partners that must be active at some level
    quotas: tuple[tuple[str, np.ndarray, float | None, int | None], ...] = ()
    current: np.ndarray | None = None  # per column: an option of a current partner
    reference: np.ndarray | None = None  # per column: the level of the reference plan
    n_current: int = 0
    max_exits: int | None = None
    max_recruits: int | None = None
    continuity: sp.csr_matrix | None = None  # named accounts x columns (current partners)
    continuity_ids: tuple[str, ...] = ()
    fixed_cost: float = 0.0  # exit costs of every current partner, netted out of the costs
    exit_band: np.ndarray | None = None  # per partner: in the score ranking's exit tier
    rules: tuple[RuleRows, ...] = ()  # the scenario's [[rules]] (see RuleRows)
    rule_offsets: tuple[tuple[str, float], ...] = ()  # cost rules: exit costs netted out
    # Per column: fixed out only by a limit a what-if can move (dearer than the budget or
    # a pool, a tier-2 partner no distributor supplies); selector.portfolio.relax frees them.
    movable_out: np.ndarray | None = None
    # A roadmap's years (the scenario's [horizon]); None: a one-year plan or portfolio.
    # The instance is then year one's plan; selector.portfolio.roadmap builds the years.
    horizon_years: int | None = None

    @property
    def n_partners(self) -> int:
        """Columns of the model: partners, or partner options when there are levels."""
        return len(self.partner_ids)

    @property
    def has_levels(self) -> bool:
        return self.option_partner is not None

    # A plan's model nets every current partner's exit cost (``fixed_cost``) out of its
    # options' costs and out of the budget (selector.portfolio.levels); these three add
    # it back, and are the only places that do.
    @property
    def given_budget(self) -> float:
        """The scenario's budget (the model's ``budget`` is net of the exit costs)."""
        return self.budget + self.fixed_cost

    @property
    def objective_offset(self) -> float:
        """What the model's objective lacks: the exit costs, when it is the cost."""
        return self.fixed_cost if self.objective == "min_cost" else 0.0

    def total_cost(self, x: np.ndarray) -> float:
        """What selection ``x`` costs, exit costs included."""
        return float(self.cost[np.asarray(x, dtype=bool)].sum()) + self.fixed_cost

    def active_partners(self, x: np.ndarray) -> np.ndarray:
        """Per partner (not option): active in selection ``x``."""
        sel = np.asarray(x, dtype=bool)
        if self.option_partner is None:
            return sel
        n = len(self.partner_names) if self.partner_names is not None else 0
        return np.bincount(self.option_partner[sel], minlength=n) > 0

    @property
    def n_rows(self) -> int:
        return int(self.cover.shape[1])

    @property
    def cover_csc(self) -> sp.csc_matrix:
        return self.cover.tocsc()

    @cached_property
    def row_partners(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The coverage pairs by merged row: ``(starts, partners, rows)``, where
        ``partners[starts[r]:starts[r + 1]]`` cover row ``r``; ``rows`` lists the rows
        with at least one partner (computed once per instance)."""
        by_row = self.cover_csc
        ptr = np.asarray(by_row.indptr, dtype=np.int64)
        return ptr, np.asarray(by_row.indices, dtype=np.int64), np.flatnonzero(np.diff(ptr) > 0)

    @property
    def maximize(self) -> bool:
        return self.objective != "min_cost"


def _merge_key(columns: sp.csc_matrix, required: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Group id per segment: equal for segments with the same covering partners and rules."""
    indptr, indices = columns.indptr, columns.indices
    keys = [
        indices[indptr[j] : indptr[j + 1]].tobytes() + b"|" + required[j].tobytes() + cap[j].tobytes()
        for j in range(columns.shape[1])
    ]
    codes, _ = pd.factorize(pd.Series(keys, dtype=object))
    return np.asarray(codes, dtype=np.int64)


def build_instance(
    scenario: Scenario,
    quality: np.ndarray,
    *,
    exclude: np.ndarray | None = None,
    merge: bool = True,
    prune: bool = True,
) -> PortfolioInstance:
    """Turn a scenario into arrays.

    Parameters
    ----------
    scenario
        The validated scenario.
    quality
        Per-partner weight in 0..1 of the value a segment yields when that partner is
        the best selected one covering it (the partner score); ignored (taken as 1)
        unless the objective is ``weighted_coverage``.
    exclude
        Extra partners fixed out (boolean mask), e.g. the exit programme tier.
    merge
        Merge segments with identical coverage and rules into one weighted row.
    prune
        Fix out partners that cost more than the budget or never help. A plan from
        today's channel turns this off: exiting a partner costs money too, so keeping
        an idle one can be the cheaper choice.
    """
    partners = scenario.partners
    n = len(partners)
    objective = scenario.objective
    q = np.asarray(quality, dtype=float) if objective == "weighted_coverage" else np.ones(n)
    cost = partners["cost"].to_numpy(dtype=float)
    cover_full = scenario.coverage_matrix
    value_full = scenario.segments["value"].to_numpy(dtype=float)
    req_full = scenario.required_partners()
    cap_full = scenario.max_partners()
    ids = partners.index.to_numpy(dtype=object)
    index = pd.Index(ids)
    reasons: dict[str, str] = {}
    fixed_out = np.zeros(n, dtype=bool)
    fixed_in = np.zeros(n, dtype=bool)
    for pid in scenario.constraints.must_include:
        fixed_in[index.get_loc(pid)] = True
    for pid in scenario.constraints.must_exclude:
        fixed_out[index.get_loc(pid)] = True
        reasons[pid] = "excluded by the scenario (must_exclude)"
    if exclude is not None:
        for pos in np.flatnonzero(exclude & ~fixed_in):
            if not fixed_out[pos]:
                reasons[str(ids[pos])] = "in the exit programme tier (tiers.exclude_exit)"
            fixed_out[pos] = True
    budget = np.inf if scenario.budget.total is None else float(scenario.budget.total)
    too_dear = (cost > budget) & ~fixed_out & ~fixed_in & prune
    for pos in np.flatnonzero(too_dear):
        reasons[str(ids[pos])] = f"costs {cost[pos]:,.0f}, more than the whole budget {budget:,.0f}"
    fixed_out |= too_dear
    movable = too_dear.copy()
    pools: list[tuple[str, np.ndarray, float]] = []
    for key, pool_cap in scenario.budget.pools:
        mask = scenario.pool_members(key)
        pools.append((key, mask, float(pool_cap)))
        dear = mask & (cost > pool_cap) & ~fixed_out & ~fixed_in & prune
        for pos in np.flatnonzero(dear):
            reasons[str(ids[pos])] = f"costs {cost[pos]:,.0f}, more than budget pool {key} ({pool_cap:,.0f})"
        fixed_out |= dear
        movable |= dear

    suppliers: sp.csr_matrix | None = None
    tier = partners["gtm_tier"].to_numpy(dtype=np.int64)
    supply = scenario.supply
    if scenario.constraints.tier2_needs_distributor and supply is not None:
        r = index.get_indexer(supply["reseller_id"])
        d = index.get_indexer(supply["distributor_id"])
        suppliers = sp.csr_matrix((np.ones(len(r), dtype=np.int8), (r, d)), shape=(n, n))
        has_supplier = np.diff(suppliers.indptr) > 0
        orphan = (tier == 2) & ~has_supplier & ~fixed_out
        for pos in np.flatnonzero(orphan):
            reasons.setdefault(str(ids[pos]), "tier-2 partner with no distributor in the supply table")
        fixed_out |= orphan & ~fixed_in
        movable |= orphan & ~fixed_in

    # Segments: drop those nobody covers, merge identical ones.
    covered = np.diff(cover_full.tocsc().indptr) > 0
    # An uncovered segment that requires partners stays: it makes the model infeasible,
    # and the explanation names it.
    keep = np.flatnonzero(covered | (req_full > 0))
    sub = cover_full.tocsc()[:, keep]
    row_of_segment = np.full(len(value_full), -1, dtype=np.int64)
    if merge and len(keep):
        codes = _merge_key(sub, req_full[keep], cap_full[keep])
        first = np.unique(codes, return_index=True)[1]
        n_rows = len(first)
        merged_value = np.bincount(codes, weights=value_full[keep], minlength=n_rows)
        cover = sub[:, first].tocsr()
        required = req_full[keep][first]
        cap = cap_full[keep][first]
        row_of_segment[keep] = codes
    else:
        cover = sub.tocsr()
        merged_value = value_full[keep]
        required = req_full[keep]
        cap = cap_full[keep]
        row_of_segment[keep] = np.arange(len(keep))
    cover.sort_indices()

    # Partners that can never help: no value, no requirement, supply nobody, not needed by a mix.
    useful_rows = (merged_value > 0) | (required > 0)
    helps = np.asarray(cover[:, useful_rows].sum(axis=1)).ravel() > 0
    if suppliers is not None:
        helps |= np.asarray(suppliers.sum(axis=0)).ravel() > 0
    mix_types = {t for t, lo, _hi in _type_mix(scenario) if lo}
    helps |= np.isin(partners["type"].to_numpy(), list(mix_types))
    for rule in scenario.rules:
        # Rules can need partners that add no value: a minimum count or spend, or an
        # alternative a requires rule asks for.
        if rule.kind in ("count", "group", "cost") and rule.lo:
            helps |= rule.partners
        if rule.requires is not None:
            helps |= rule.requires
    idle = ~helps & ~fixed_in & ~fixed_out & prune
    for pos in np.flatnonzero(idle):
        reasons[str(ids[pos])] = "covers no segment with value or a requirement"
    fixed_out |= idle

    pairs = list(scenario.constraints.conflicts)
    if scenario.constraints.conflict_shared_value is not None:
        pairs += conflict_pairs_above(scenario, scenario.constraints.conflict_shared_value)
    conflicts = np.array(
        [[index.get_loc(a), index.get_loc(b)] for a, b in dict.fromkeys(map(tuple, map(sorted, pairs)))],
        dtype=np.int64,
    ).reshape(-1, 2)
    types = partners["type"].to_numpy(dtype=object)
    mix = tuple((t, types == t, lo, hi) for t, lo, hi in _type_mix(scenario))
    rules = _rule_rows(scenario, ids, value_full, row_of_segment, len(merged_value))
    return PortfolioInstance(
        objective=objective,
        partner_ids=ids,
        cost=cost,
        quality=q,
        types=types,
        gtm_tier=tier,
        cover=cover,
        value=merged_value,
        required=required.astype(np.int64),
        cap=cap.astype(np.int64),
        row_of_segment=row_of_segment,
        budget=budget,
        pools=tuple(pools),
        conflicts=conflicts,
        type_mix=mix,
        suppliers=suppliers,
        fixed_in=fixed_in,
        fixed_out=fixed_out & ~fixed_in,
        out_reason=tuple(sorted(reasons.items())),
        rules=rules,
        movable_out=movable & ~fixed_in,
    )


def pure_cover(inst: PortfolioInstance, *, multicover: bool = False) -> bool:
    """A set-covering problem and nothing more: ``min_cost``, each row needing at most
    one partner (any number with ``multicover``), and no plan, budget pool, cap,
    conflict, type limit, supplier or rule (must-include and excluded partners may be
    given)."""
    return not (
        inst.objective != "min_cost" or inst.has_levels or inst.pools or len(inst.conflicts)
        or inst.suppliers is not None or inst.rules or (inst.cap >= 0).any()
        or ((inst.required > 1).any() and not multicover)
        or any(lo is not None or hi is not None for _t, _m, lo, hi in inst.type_mix)
    )


#: Rounds of :func:`without_dominated` (each can make more partners dominated).
DOMINATION_ROUNDS = 5


def without_dominated(inst: PortfolioInstance) -> PortfolioInstance:
    """A pure set cover (``min_cost``, each row needing at most one partner, no other
    rule) without the partners in no cheapest cover: those that cost more than the
    cheapest other partner of each of their rows together.

    If a portfolio took such a partner ``j``, swapping it for those partners would keep
    every row covered and cost less, so no cheapest portfolio has ``j``: dropping them
    all (and again, from what is left) keeps every cheapest portfolio. This is the
    column domination of set-covering reductions (Beasley, 1987). On the OR-Library's
    scp41 it keeps 173 of 1,000 columns, and HiGHS then solves it in 10 ms where it
    took 23 ms (``bench/portfolio_bench.py --orlib-only``).

    Anything else (a maximizing objective, plans, budget pools, caps, conflicts, type
    limits, suppliers, rules, rows needing two or more) is answered as it is: a swap
    could break those. The dropped partners are ``fixed_out``, with their reason in
    ``out_reason``; must-include partners stay.
    """
    if not pure_cover(inst) or (inst.cost[~inst.fixed_out] < 0).any():
        return inst  # (with a negative cost, a partner counted for several rows is no bound)
    n = inst.n_partners
    pair_p = np.repeat(np.arange(n), np.diff(inst.cover.indptr))
    pair_r = np.asarray(inst.cover.indices, dtype=np.int64)
    needed = inst.required[pair_r] > 0
    pair_p, pair_r = pair_p[needed], pair_r[needed]
    out = inst.fixed_out.copy()
    cost = inst.cost.astype(float)
    for _ in range(DOMINATION_ROUNDS):
        live = ~out[pair_p]
        p, r = pair_p[live], pair_r[live]
        if not len(p):  # no segment needs a partner: nobody is dominated
            break
        order = np.lexsort((p, cost[p], r))  # by row, cheapest first
        p, r = p[order], r[order]
        first = np.r_[True, r[1:] != r[:-1]]
        starts = np.flatnonzero(first)
        cheapest = np.full(inst.n_rows, np.inf)
        who = np.full(inst.n_rows, -1)
        second = np.full(inst.n_rows, np.inf)
        cheapest[r[starts]] = cost[p[starts]]
        who[r[starts]] = p[starts]
        has_second = np.flatnonzero(np.r_[starts[1:], len(r)] - starts >= 2)
        second[r[starts[has_second]]] = cost[p[starts[has_second] + 1]]
        instead = np.where(who[r] == p, second[r], cheapest[r])
        other = np.bincount(p, weights=instead, minlength=n).astype(float)
        drop = ~out & ~inst.fixed_in & (cost > other + 1e-9 * np.maximum(np.abs(cost), 1.0))
        if not drop.any():
            break
        out |= drop
    dropped = np.flatnonzero(out & ~inst.fixed_out)
    if not len(dropped):
        return inst
    reasons = dict(inst.out_reason)
    for j in dropped:
        reasons[str(inst.partner_ids[j])] = (
            f"costs {cost[j]:,.0f}, more than the cheapest other partners of its segments together: "
            "it is in no cheapest portfolio"
        )
    return replace(inst, fixed_out=out, out_reason=tuple(sorted(reasons.items())))


def _rule_rows(
    scenario: Scenario, ids: np.ndarray, value_full: np.ndarray, row_of_segment: np.ndarray, n_rows: int
) -> tuple[RuleRows, ...]:
    """The scenario's rules as rows on the partner columns."""
    n = len(ids)
    out: list[RuleRows] = []
    for rule in scenario.rules:
        lo = -np.inf if rule.lo is None else float(rule.lo)
        hi = np.inf if rule.hi is None else float(rule.hi)
        if rule.kind == "coverage":
            assert rule.segments is not None
            seg = rule.segments & (row_of_segment >= 0)
            row_value = np.bincount(row_of_segment[seg], weights=value_full[seg], minlength=n_rows)
            out.append(RuleRows(rule.id, rule.label, rule.kind, sp.csr_matrix((0, n)), np.zeros(0),
                                np.zeros(0), row_value=row_value, need=float(rule.lo or 0.0),
                                weighted=rule.weighted, what=rule.what))
        elif rule.kind == "requires":
            assert rule.requires is not None
            subjects = np.flatnonzero(rule.partners)
            rows: list[int] = []
            cols: list[int] = []
            vals: list[float] = []
            for k, p in enumerate(subjects):
                alt = np.flatnonzero(rule.requires)
                alt = alt[alt != p]
                rows += [k] * (1 + len(alt))
                cols += [int(p), *map(int, alt)]
                vals += [1.0] + [-1.0] * len(alt)
            k = len(subjects)
            weights = sp.csr_matrix((vals, (rows, cols)), shape=(k, n))
            out.append(RuleRows(rule.id, rule.label, rule.kind, weights, np.full(k, -np.inf),
                                np.zeros(k), what=rule.what,
                                subjects=tuple(str(ids[p]) for p in subjects)))
        else:
            weights = sp.csr_matrix(rule.partners.astype(float).reshape(1, -1))
            out.append(RuleRows(rule.id, rule.label, rule.kind, weights, np.array([lo]), np.array([hi]),
                                by_cost=rule.kind == "cost", what=rule.what, levels=rule.levels))
    return tuple(out)


def _type_mix(scenario: Scenario) -> tuple[tuple[str, int | None, int | None], ...]:
    return scenario.constraints.type_mix


def segment_quality(inst: PortfolioInstance, x: np.ndarray) -> np.ndarray:
    """Per merged row: the best quality among selected partners covering it (0 if none)."""
    w = np.where(np.asarray(x, dtype=bool), inst.quality, 0.0)
    out = np.zeros(inst.n_rows)
    if not w.any():
        return out
    # One pass over the pairs in row order (np.maximum.at is slow at 10^5+ pairs).
    ptr, partners, rows = inst.row_partners
    if len(rows):
        out[rows] = np.maximum.reduceat(w[partners], ptr[rows])
    return np.maximum(out, 0.0)


def addition_gains(inst: PortfolioInstance, x: np.ndarray) -> np.ndarray:
    """Objective gained if each partner alone were added to selection ``x`` (max objectives).

    Partners already selected gain 0. One pass over the coverage pairs.
    """
    best = segment_quality(inst, x)
    cover = inst.cover
    pair_p = np.repeat(np.arange(inst.n_partners), np.diff(cover.indptr))
    lift = np.maximum(inst.quality[pair_p] - best[cover.indices], 0.0) * inst.value[cover.indices]
    return np.bincount(pair_p, weights=lift, minlength=inst.n_partners)


def removal_losses(inst: PortfolioInstance, x: np.ndarray) -> np.ndarray:
    """Objective lost if each selected partner alone were removed (others kept).

    A row loses ``value * (best - second best)`` when its best selected partner goes;
    computed for all partners at once from the sorted (row, quality) pairs.
    """
    sel = np.asarray(x, dtype=bool)
    out = np.zeros(inst.n_partners)
    if inst.objective == "min_cost" or not sel.any():
        return out
    cover = inst.cover
    pair_p = np.repeat(np.arange(inst.n_partners), np.diff(cover.indptr))
    on = sel[pair_p]
    p, r = pair_p[on], cover.indices[on]
    if not len(p):
        return out
    q = inst.quality[p]
    order = np.lexsort((-q, r))
    p, r, q = p[order], r[order], q[order]
    starts = np.flatnonzero(np.r_[True, r[1:] != r[:-1]])
    ends = np.r_[starts[1:], len(r)]
    second = np.where(ends - starts > 1, q[np.minimum(starts + 1, len(q) - 1)], 0.0)
    loss = inst.value[r[starts]] * (q[starts] - second)
    np.add.at(out, p[starts], loss)
    return out


def evaluate(inst: PortfolioInstance, x: np.ndarray) -> float:
    """Objective value of selection ``x`` (boolean per partner)."""
    sel = np.asarray(x, dtype=bool)
    if inst.objective == "min_cost":
        return inst.total_cost(sel)
    return float(inst.value @ segment_quality(inst, sel))


def violations(inst: PortfolioInstance, x: np.ndarray, *, tol: float = 1e-6) -> list[str]:
    """Every rule selection ``x`` breaks, in words (empty when feasible)."""
    sel = np.asarray(x, dtype=bool)
    out: list[str] = []
    ids = inst.partner_ids
    cost = float(inst.cost[sel].sum())
    if cost > inst.budget + tol * (abs(inst.budget) + inst.fixed_cost + 1):
        out.append(
            f"cost {inst.total_cost(sel):,.0f} exceeds the budget {inst.given_budget:,.0f}"
        )
    for key, mask, cap in inst.pools:
        used = float(inst.cost[sel & mask].sum())
        if used > cap + tol * (abs(cap) + inst.fixed_cost + 1):
            out.append(f"pool {key} uses {used:,.0f} of {cap:,.0f}")
    bad_in = np.flatnonzero(inst.fixed_in & ~sel)
    if len(bad_in):
        out.append(f"must-include partners not selected: {', '.join(map(str, ids[bad_in]))}")
    bad_out = np.flatnonzero(inst.fixed_out & sel)
    if len(bad_out):
        out.append(f"excluded partners selected: {', '.join(map(str, ids[bad_out]))}")
    if inst.option_partner is not None:
        out += _level_violations(inst, sel, tol)
    if len(inst.conflicts):
        # vectorised: a plan's options of one partner are conflict pairs too (thousands)
        a, b = inst.conflicts[:, 0], inst.conflicts[:, 1]
        for i in np.flatnonzero(sel[a] & sel[b]):
            if ids[a[i]] != ids[b[i]]:
                out.append(f"conflicting partners both selected: {ids[a[i]]}, {ids[b[i]]}")
    counts = np.asarray(inst.cover.T @ sel.astype(np.int64)).ravel()
    short = np.flatnonzero(counts < inst.required)
    if len(short):
        out.append(f"{len(short)} segment group(s) have fewer selected partners than required")
    over = np.flatnonzero((inst.cap >= 0) & (counts > inst.cap))
    if len(over):
        out.append(f"{len(over)} segment group(s) have more selected partners than the cap")
    for t, mask, lo, hi in inst.type_mix:
        k = int((sel & mask).sum())
        if lo is not None and k < lo:
            out.append(f"{k} {t} partner(s) selected, at least {lo} required")
        if hi is not None and k > hi:
            out.append(f"{k} {t} partner(s) selected, at most {hi} allowed")
    if inst.suppliers is not None:
        supplied = np.asarray(inst.suppliers @ sel.astype(np.int64)).ravel() > 0
        needs = sel & (inst.gtm_tier == 2) & ~supplied
        if needs.any():
            out.append(
                "tier-2 partners selected without a selected distributor: "
                f"{', '.join(map(str, ids[np.flatnonzero(needs)][:5]))}"
            )
    out += [s["problem"] for s in rule_status(inst, sel, tol=tol) if not s["holds"]]
    return out


def _rule_value(inst: PortfolioInstance, rule: RuleRows, sel: np.ndarray) -> np.ndarray:
    """Per row of ``rule``: its left-hand side at selection ``sel`` (one value for a
    coverage rule: the covered value it counts)."""
    if rule.kind == "coverage":
        assert rule.row_value is not None
        if rule.weighted:
            got = segment_quality(inst, sel)
        else:
            got = (np.asarray(inst.cover.T @ sel.astype(np.int64)).ravel() > 0).astype(float)
        return np.array([float(rule.row_value @ got)])
    return np.asarray(rule.matrix(inst.cost) @ sel.astype(float)).ravel()


def rule_status(inst: PortfolioInstance, x: np.ndarray, *, tol: float = 1e-6) -> list[dict[str, Any]]:
    """Each rule at selection ``x``: its value, bounds, whether it holds, and the
    problem in words when it does not (one entry per rule; a ``requires`` rule holds
    when every row does). Money is shown as the plan spends it (exit costs added)."""
    sel = np.asarray(x, dtype=bool)
    out: list[dict[str, Any]] = []
    for rule in inst.rules:
        got = _rule_value(inst, rule, sel)
        entry: dict[str, Any] = {"id": rule.id, "label": rule.label, "kind": rule.kind,
                                    "what": rule.what, "problem": ""}
        if rule.kind == "coverage":
            entry.update(value=float(got[0]), min=rule.need, max=None)
            holds = got[0] >= rule.need - tol * (abs(rule.need) + 1)
            if not holds:
                entry["problem"] = (
                    f"rule {rule.title}: covered {'weighted ' if rule.weighted else ''}value of the "
                    f"segments with {rule.what} is {got[0]:,.0f}, below the {rule.need:,.0f} required"
                )
        elif rule.kind == "requires":
            bad = np.flatnonzero(got > rule.hi + tol)
            holds = not len(bad)
            entry.update(value=float(len(bad)), min=None, max=0.0)
            if not holds:
                who = ", ".join(rule.subjects[i] for i in bad[:5])
                entry["problem"] = f"rule {rule.title}: {who} selected without any partner it requires ({rule.what})"
        else:
            shift = _rule_shift(inst, rule)
            v = float(got[0]) + shift
            lo, hi = float(rule.lo[0]) + shift, float(rule.hi[0]) + shift
            entry.update(value=v, min=None if not np.isfinite(lo) else lo,
                         max=None if not np.isfinite(hi) else hi)
            scale = tol * (abs(lo if np.isfinite(lo) else 0) + abs(hi if np.isfinite(hi) else 0) + 1)
            holds = lo - scale <= v <= hi + scale
            if not holds:
                what = "spent on" if rule.kind == "cost" else "selected among"
                fmt = _money if rule.kind == "cost" else _plain
                limit = f"at least {fmt(lo)}" if v < lo - scale else f"at most {fmt(hi)}"
                entry["problem"] = f"rule {rule.title}: {fmt(v)} {what} partners with {rule.what}; {limit} allowed"
        entry["holds"] = bool(holds)
        out.append(entry)
    return out


def _money(a: float) -> str:
    return f"{a:,.0f}"


def _plain(a: float) -> str:
    return f"{a:g}"


def _rule_shift(inst: PortfolioInstance, rule: RuleRows) -> float:
    """What a ``cost`` rule's matching partners spend outside the columns (the exit costs
    taken off in a plan), so that values read as money spent."""
    if rule.by_cost and inst.rule_offsets:
        return float(dict(inst.rule_offsets).get(rule.id, 0.0))
    return 0.0



def _level_violations(inst: PortfolioInstance, sel: np.ndarray, tol: float) -> list[str]:
    """The rules of a plan from today's channel that selection ``sel`` breaks."""
    out: list[str] = []
    if not (inst.option_partner is not None and inst.partner_names is not None):
        raise ValueError("needs a plan instance (selector.portfolio.levels)")
    names = inst.partner_names
    per = np.bincount(inst.option_partner[sel], minlength=len(names))
    twice = np.flatnonzero(per > 1)
    if len(twice):
        out.append(f"partners at more than one level: {', '.join(map(str, names[twice[:5]]))}")
    active = per > 0
    if inst.group_required is not None:
        missing = np.flatnonzero(inst.group_required & ~active)
        if len(missing):
            out.append(f"must-include partners not selected: {', '.join(map(str, names[missing[:5]]))}")
    n_active = int(active.sum())
    for name, mask, share, count in inst.quotas:
        k = int((sel & mask).sum())
        if share is not None and k > share * n_active + tol:
            out.append(f"{k} {name} partners, above {share:.0%} of the {n_active} active")
        if count is not None and k > count:
            out.append(f"{k} {name} partners, above the quota of {count}")
    if inst.current is not None:
        exits = inst.n_current - int((sel & inst.current).sum())
        if inst.max_exits is not None and exits > inst.max_exits:
            out.append(f"{exits} exits, above the limit of {inst.max_exits}")
        recruits = int((sel & ~inst.current).sum())
        if inst.max_recruits is not None and recruits > inst.max_recruits:
            out.append(f"{recruits} recruits, above the limit of {inst.max_recruits}")
    if inst.continuity is not None:
        kept = np.asarray(inst.continuity @ sel.astype(np.int64)).ravel()
        lost = np.flatnonzero(kept < 1)
        if len(lost):
            who = ", ".join(inst.continuity_ids[i] for i in lost[:5])
            out.append(f"named accounts left without any of their current partners: {who}")
    return out

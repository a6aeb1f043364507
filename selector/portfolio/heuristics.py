"""A fast portfolio without a solver: greedy by value per cost, then local search.

It answers in well under a second on the vendor-scale scenario, is what the app shows
while the exact solve runs, and gives the MIP solver its starting portfolio. It
respects every rule of the instance; when it cannot find a portfolio that does, it
says so (``feasible=False``) and the solver decides.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from selector.portfolio.instance import (
    PortfolioInstance,
    evaluate,
    removal_losses,
    segment_quality,
    violations,
)

__all__ = ["HeuristicResult", "entry_costs", "greedy_portfolio", "lp_rounded_cover", "without_idle"]


@dataclass(frozen=True)
class HeuristicResult:
    """A selection (boolean per partner), its objective and whether it keeps every rule."""

    selected: np.ndarray
    objective: float
    feasible: bool
    seconds: float
    problems: tuple[str, ...] = ()


class _State:
    """Running selection with the counters the feasibility tests need."""

    def __init__(self, inst: PortfolioInstance, cheapest: np.ndarray | None = None) -> None:
        self.inst = inst
        n = inst.n_partners
        self.sel = np.zeros(n, dtype=bool)
        self.count = np.zeros(inst.n_rows, dtype=np.int64)
        self.best = np.zeros(inst.n_rows)
        self.spent = 0.0
        self.pool_spent = np.zeros(len(inst.pools))
        self.blocked = inst.fixed_out.copy()
        self.dead = np.zeros(n, dtype=bool)
        self.conflict_of: list[list[int]] = [[] for _ in range(n)]
        for a, b in inst.conflicts:
            self.conflict_of[int(a)].append(int(b))
            self.conflict_of[int(b)].append(int(a))
        self.pair_partner = np.repeat(np.arange(n), np.diff(inst.cover.indptr))
        self.pair_row = inst.cover.indices
        self.cheapest_supplier = _cheapest_suppliers(inst) if cheapest is None else cheapest
        # Rules as rows on the columns (coverage rules only grow as partners are added).
        self.rule_rows = [
            (r.matrix(inst.cost).tocsr(), r.lo, r.hi) for r in inst.rules if r.kind != "coverage"
        ]

    def copy(self) -> _State:
        """An independent copy (arrays copied; the instance and static tables shared)."""
        other = object.__new__(_State)
        other.__dict__.update(self.__dict__)
        for name in ("sel", "count", "best", "pool_spent", "blocked", "dead"):
            setattr(other, name, getattr(self, name).copy())
        return other

    def supplied(self) -> np.ndarray:
        inst = self.inst
        if inst.suppliers is None:
            return np.ones(inst.n_partners, dtype=bool)
        ok = np.asarray(inst.suppliers @ self.sel.astype(np.int64)).ravel() > 0
        return np.asarray(ok | (inst.gtm_tier == 1), dtype=bool)

    def add(self, p: int) -> None:
        inst = self.inst
        self.sel[p] = True
        start, end = inst.cover.indptr[p], inst.cover.indptr[p + 1]
        rows = inst.cover.indices[start:end]
        self.count[rows] += 1
        self.best[rows] = np.maximum(self.best[rows], inst.quality[p])
        self.spent += inst.cost[p]
        for k, (_key, mask, _cap) in enumerate(inst.pools):
            if mask[p]:
                self.pool_spent[k] += inst.cost[p]
        for q in self.conflict_of[p]:
            self.blocked[q] = True

    def remove(self, p: int) -> None:
        inst = self.inst
        self.sel[p] = False
        start, end = inst.cover.indptr[p], inst.cover.indptr[p + 1]
        rows = inst.cover.indices[start:end]
        self.count[rows] -= 1
        self.best = segment_quality(inst, self.sel)
        self.spent -= inst.cost[p]
        for k, (_key, mask, _cap) in enumerate(inst.pools):
            if mask[p]:
                self.pool_spent[k] -= inst.cost[p]
        self.blocked = inst.fixed_out.copy()
        for q in np.flatnonzero(self.sel):
            for r in self.conflict_of[int(q)]:
                self.blocked[r] = True

    def gains(self) -> np.ndarray:
        """Objective gain of adding each partner alone (max objectives)."""
        inst = self.inst
        lift = inst.quality[self.pair_partner] - self.best[self.pair_row]
        np.maximum(lift, 0.0, out=lift)
        return np.bincount(
            self.pair_partner, weights=lift * inst.value[self.pair_row], minlength=inst.n_partners
        )

    def allowed(self, extra_cost: np.ndarray, partner_of_extra: np.ndarray) -> np.ndarray:
        """Mask of partners that can be added (with their supplier when one is needed)."""
        inst = self.inst
        ok = ~self.sel & ~self.blocked & ~self.dead
        brings = partner_of_extra != np.arange(inst.n_partners)
        ok &= ~(brings & self.blocked[partner_of_extra])
        total = inst.cost + extra_cost
        ok &= self.spent + total <= inst.budget * (1 + 1e-9)
        for k, (_key, mask, cap) in enumerate(inst.pools):
            add = inst.cost * mask + np.where(mask[partner_of_extra], extra_cost, 0.0)
            ok &= self.pool_spent[k] + add <= cap * (1 + 1e-9)
        saturated = (inst.cap >= 0) & (self.count >= inst.cap)
        if saturated.any():
            touches = np.asarray(inst.cover[:, saturated].sum(axis=1)).ravel() > 0
            ok &= ~touches
            # A partner that brings its supplier along is also blocked by the supplier's rows.
            ok &= ~(touches[partner_of_extra] & (partner_of_extra != np.arange(inst.n_partners)))
        for _t, mask, _lo, hi in inst.type_mix:
            if hi is not None:
                room = hi - int((self.sel & mask).sum())
                adds = mask.astype(np.int64) + (brings & mask[partner_of_extra]).astype(np.int64)
                ok &= adds <= room
        if inst.quotas:
            # Tier quotas are shares of the active partners: one more at a tier needs
            # room for it among one more active partner.
            active = int(self.sel.sum())
            for _name, mask, share, count in inst.quotas:
                k = int((self.sel & mask).sum())
                fits = (share is None or k + 1 <= share * (active + 1) + 1e-9) and (
                    count is None or k + 1 <= count
                )
                if not fits:
                    ok &= ~mask
        if inst.current is not None and inst.max_recruits is not None:
            if int((self.sel & ~inst.current).sum()) >= inst.max_recruits:
                ok &= inst.current
        for M, r_lo, r_hi in self.rule_rows:
            # No addition may push a rule row past a bound it moves towards.
            val = M @ self.sel.astype(float)
            A = M
            if brings.any():
                A = sp.csr_matrix(M + M[:, partner_of_extra].multiply(brings[None, :].astype(float)))
            coo = A.tocoo()
            v = val[coo.row] + coo.data
            eps_hi = 1e-9 * (np.abs(np.where(np.isfinite(r_hi), r_hi, 0.0)) + 1.0)
            eps_lo = 1e-9 * (np.abs(np.where(np.isfinite(r_lo), r_lo, 0.0)) + 1.0)
            bad = ((coo.data > 0) & (v > r_hi[coo.row] + eps_hi[coo.row])) | (
                (coo.data < 0) & (v < r_lo[coo.row] - eps_lo[coo.row])
            )
            ok[coo.col[bad]] = False
        return np.asarray(ok, dtype=bool)

    def bundle(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For each partner: the supplier to add with it (-1 none), that supplier's cost,
        and the partner whose rules the extra cost answers to (itself when no supplier).

        A tier-2 partner whose suppliers are all out, or whose cheapest supplier is
        blocked, is marked in ``self.dead`` and cannot be added this round.
        """
        inst = self.inst
        n = inst.n_partners
        partner_of_extra = np.arange(n)
        extra = np.zeros(n)
        need = np.full(n, -1)
        self.dead = np.zeros(n, dtype=bool)
        if inst.suppliers is not None:
            unsupplied = ~self.supplied()
            d = self.cheapest_supplier
            self.dead = unsupplied & ((d < 0) | self.blocked[np.maximum(d, 0)])
            use = unsupplied & ~self.dead
            need[use] = d[use]
            extra[use] = inst.cost[d[use]]
            partner_of_extra[use] = d[use]
        return need, extra, partner_of_extra

    def try_add(self, p: int, supplier: int) -> bool:
        """Add ``p`` (and its supplier, when it needs one). ``allowed`` checked each
        alone; here the pair is checked together (a conflict between them, a segment
        both work pushed over its cap). When the pair fails, ``p`` is blocked instead."""
        inst = self.inst
        bring = [q for q in (supplier, p) if q >= 0 and not self.sel[q]]
        if len(bring) > 1:
            d = bring[0]
            clash = p in self.conflict_of[d]
            if not clash and (inst.cap >= 0).any():
                extra = np.zeros(inst.n_rows, dtype=np.int64)
                for q in bring:
                    extra[inst.cover.indices[inst.cover.indptr[q] : inst.cover.indptr[q + 1]]] += 1
                clash = bool(((inst.cap >= 0) & (self.count + extra > inst.cap)).any())
            if clash:
                self.blocked[p] = True
                return False
        for q in bring:
            self.add(q)
        return True


def _cheapest_suppliers(inst: PortfolioInstance) -> np.ndarray:
    n = inst.n_partners
    out = np.full(n, -1)
    if inst.suppliers is None:
        return out
    sup = inst.suppliers
    for r in range(n):
        ds = sup.indices[sup.indptr[r] : sup.indptr[r + 1]]
        ds = ds[~inst.fixed_out[ds]]
        if len(ds):
            out[r] = int(ds[np.argmin(inst.cost[ds])])
    return out


def _fill_requirements(state: _State, row_weight: np.ndarray | None = None) -> bool:
    """Add partners until every row has its required number; False if stuck.

    Greedy set cover: the partner (with its supplier, when it needs one) that fills the
    most missing requirement units per cost, value gained breaking near-ties.
    """
    inst = state.inst
    while True:
        deficit = np.maximum(inst.required - state.count, 0)
        if not deficit.any():
            return True
        need, extra, pox = state.bundle()
        ok = state.allowed(extra, pox)
        short = np.minimum(deficit, 1).astype(float)
        if row_weight is not None:
            short *= row_weight
        units = np.asarray(inst.cover @ short).ravel()
        supplier_units = np.where(need >= 0, units[np.maximum(need, 0)], 0.0)
        units = units + supplier_units
        ok &= units > 0
        if not ok.any():
            return False
        total_cost = inst.cost + extra
        score = units / np.maximum(total_cost, 1e-9)
        if inst.maximize:
            gain = state.gains()
            score = score * (1.0 + 0.1 * gain / max(float(gain.max()), 1e-9))
        p = int(np.argmax(np.where(ok, score, -np.inf)))
        state.try_add(p, int(need[p]))


def _greedy_step(state: _State) -> bool:
    """Add the best gain-per-cost partner (with its supplier); False when nothing helps."""
    inst = state.inst
    need, extra, pox = state.bundle()
    ok = state.allowed(extra, pox)
    if not ok.any():
        return False
    gain = state.gains()
    bundle_gain = gain + np.where(need >= 0, gain[np.maximum(need, 0)], 0.0)
    ok &= bundle_gain > 1e-9
    if not ok.any():
        return False
    ratio = np.where(ok, bundle_gain / np.maximum(inst.cost + extra, 1e-9), -np.inf)
    p = int(np.argmax(ratio))
    state.try_add(p, int(need[p]))
    return True


def _gain_of(state: _State, p: int) -> float:
    """Exact gain of adding partner ``p`` alone, from its own coverage rows only."""
    inst = state.inst
    rows = inst.cover.indices[inst.cover.indptr[p] : inst.cover.indptr[p + 1]]
    lift = np.maximum(inst.quality[p] - state.best[rows], 0.0)
    return float(inst.value[rows] @ lift)


def _greedy_fill(state: _State, *, deadline: float) -> None:
    """Add the best gain-per-cost partner (with its supplier) while anything helps.

    Lazy evaluation: gains only shrink as partners are added (the objectives are
    submodular), so last round's gains bound this round's. Each step recomputes the
    exact gain of the best-looking candidates only, from their own rows, instead of
    every partner's; the choice is the same as recomputing all of them.
    """
    inst = state.inst
    upper = state.gains()  # exact now; an upper bound from here on
    while time.perf_counter() < deadline:
        need, extra, pox = state.bundle()
        ok = state.allowed(extra, pox)
        if not ok.any():
            return
        total = np.maximum(inst.cost + extra, 1e-9)
        with_supplier = need >= 0
        ratio = np.where(
            ok, (upper + np.where(with_supplier, upper[np.maximum(need, 0)], 0.0)) / total, -np.inf
        )
        fresh = np.zeros(inst.n_partners, dtype=bool)
        while True:
            p = int(np.argmax(ratio))
            if not np.isfinite(ratio[p]) or ratio[p] <= 0:
                return
            if fresh[p]:
                break
            upper[p] = _gain_of(state, p)
            if with_supplier[p] and not fresh[need[p]]:
                d = int(need[p])
                upper[d] = _gain_of(state, d)
                fresh[d] = True
                if np.isfinite(ratio[d]):  # the supplier is a candidate of its own too
                    own = upper[d] + (upper[need[d]] if with_supplier[d] else 0.0)
                    ratio[d] = own / total[d] if own > 1e-9 else -np.inf
            fresh[p] = True
            bundle_gain = upper[p] + (upper[need[p]] if with_supplier[p] else 0.0)
            ratio[p] = bundle_gain / total[p] if bundle_gain > 1e-9 else -np.inf
        state.try_add(p, int(need[p]))


def entry_costs(inst: PortfolioInstance, selected: np.ndarray) -> np.ndarray:
    """Total cost at which greedy extension of ``selected`` adds each other partner.

    Budget and pools are lifted; other rules hold. Partners never added get ``inf``.
    This is what "the budget at which an excluded partner would enter" estimates.
    """
    out = np.full(inst.n_partners, np.inf)
    state = _State(replace(inst, budget=np.inf, pools=()))
    for p in np.flatnonzero(selected):
        state.add(int(p))
    while True:
        before = state.sel.copy()
        if not _greedy_step(state):
            break
        out[np.flatnonzero(state.sel & ~before)] = state.spent
    return out


#: A partner is idle when removing it loses at most this share of the objective.
IDLE = 1e-12


def without_idle(inst: PortfolioInstance, x: np.ndarray) -> np.ndarray:
    """``x`` without its idle partners: those whose removal loses no value (every segment
    they cover has another selected partner at least as good) and keeps every rule,
    dearest first. A maximizing objective's value stays what it was (within ``IDLE``);
    its cost falls by theirs. Must-include partners and free ones stay; ``x`` itself is
    not changed. Plans are answered as they are (their fewest-changes stage decides).

    The search's objective is indifferent to such partners, so a portfolio with slack in
    the budget can keep some (three, worth 180,800 of 13.4 M, in a blank-sheet copy of
    the vendor scenario proved optimal in 18 s).
    """
    sel = np.asarray(x, dtype=bool).copy()
    if not inst.maximize or inst.has_levels or not sel.any():
        return sel  # plans: the fewest-changes stage decides
    value = evaluate(inst, sel)
    floor = value - IDLE * max(abs(value), 1.0)
    losses = removal_losses(inst, sel)
    for p in np.argsort(-inst.cost, kind="stable"):
        if not sel[p] or inst.fixed_in[p] or inst.cost[p] <= 0 or losses[p] > value - floor:
            continue
        sel[p] = False  # its loss alone is none; with others gone it may not be: check
        if evaluate(inst, sel) < floor or violations(inst, sel):
            sel[p] = True
    return sel


def _drop_redundant(state: _State, order: np.ndarray | None = None) -> None:
    """min_cost: remove the dearest partners (or those first in ``order``) whose removal
    keeps every rule.

    A removal can break only lower limits: the required counts of the partner's own
    rows (checked here from the counts), and type minimums, suppliers, plan levels and
    rules (checked in full, only when the instance has any). On a plain set cover
    (OR-Library scp41) that is 0.2 ms instead of 8 ms.
    """
    inst = state.inst
    counts_only = (
        not inst.rules and inst.suppliers is None and inst.option_partner is None
        and not any(lo for _, _, lo, _ in inst.type_mix)
    )
    indptr, indices = inst.cover.indptr, inst.cover.indices
    for p in np.argsort(-inst.cost) if order is None else order:
        if not state.sel[p] or inst.fixed_in[p]:
            continue
        rows = indices[indptr[p] : indptr[p + 1]]
        if (state.count[rows] <= inst.required[rows]).any():
            continue  # a row of its own would fall short
        if not counts_only:
            state.sel[p] = False
            broken = violations(inst, state.sel)
            state.sel[p] = True
            if broken:
                continue
        state.remove(int(p))


def lp_rounded_cover(inst: PortfolioInstance, x_lp: np.ndarray) -> HeuristicResult:
    """min_cost: the partners an LP optimum ``x_lp`` takes at all (and the must-include
    ones), less those whose removal keeps every rule, the least worth their cost to the
    LP first. On the OR-Library's scp5x files it starts the search from 259 where the
    greedy's cover cost 269 (scp51; the optimum is 253).
    """
    t0 = time.perf_counter()
    x = np.asarray(x_lp, dtype=float)[: inst.n_partners]
    state = _State(inst)
    for p in np.flatnonzero(((x > 1e-9) & ~inst.fixed_out) | inst.fixed_in):
        state.add(int(p))
    _drop_redundant(state, order=np.argsort(-(inst.cost / np.maximum(x, 1e-9)), kind="stable"))
    sel = state.sel.copy()
    problems = tuple(violations(inst, sel))
    return HeuristicResult(selected=sel, objective=evaluate(inst, sel), feasible=not problems,
                           seconds=time.perf_counter() - t0, problems=problems)


def _start_state(
    inst: PortfolioInstance, cheapest: np.ndarray, start: np.ndarray | None
) -> _State:
    """The must-include partners (and a supplier for each tier-2 one), plus ``start``."""
    state = _State(inst, cheapest)
    first = inst.fixed_in if start is None else (inst.fixed_in | (start & ~inst.fixed_out))
    for p in np.flatnonzero(first):
        if not state.sel[p]:
            state.add(int(p))
    if inst.suppliers is not None:
        for p in np.flatnonzero(inst.fixed_in & ~state.supplied()):
            d = state.cheapest_supplier[p]
            if d >= 0 and not state.sel[d]:
                state.add(int(d))
    return state


def _perturb_and_refill(
    inst: PortfolioInstance,
    best: _State,
    best_obj: float,
    *,
    rng: np.random.Generator,
    deadline: float,
    moves: int | None = None,
) -> tuple[_State, float]:
    """Iterated local search: drop a few partners (cheap-to-lose ones more often),
    with the tier-2 partners that lose their only selected distributor, refill
    greedily, keep the result when it is better. Runs until the deadline."""
    tried = 0
    failures = 0
    while time.perf_counter() < deadline and (moves is None or tried < moves):
        tried += 1
        selected = np.flatnonzero(best.sel & ~inst.fixed_in)
        # Stop when it has stopped paying: many trials in a row without a gain.
        if len(selected) < 2 or failures > max(30, 3 * len(selected)):
            break
        losses = removal_losses(inst, best.sel)[selected]
        ratio = losses / np.maximum(inst.cost[selected], 1e-9)
        weight = 1.0 / (1e-9 + ratio / max(float(ratio.max()), 1e-12) + 0.05)
        k = int(rng.integers(2, min(4, len(selected)) + 1))
        drop = rng.choice(selected, size=k, replace=False, p=weight / weight.sum())
        trial = best.copy()
        for p in drop:
            trial.remove(int(p))
        if inst.suppliers is not None:
            orphans = np.flatnonzero(trial.sel & ~trial.supplied() & ~inst.fixed_in)
            for p in orphans:
                trial.remove(int(p))
            drop = np.concatenate([drop, orphans])
        trial.blocked[drop] = True
        _greedy_fill(trial, deadline=deadline)
        trial.blocked[drop] = inst.fixed_out[drop]
        obj = evaluate(inst, trial.sel)
        if obj > best_obj * (1 + 1e-12) + 1e-9 and not violations(inst, trial.sel):
            best, best_obj = trial, obj
            failures = 0
        else:
            failures += 1
    return best, best_obj


def greedy_portfolio(
    inst: PortfolioInstance,
    *,
    time_budget: float = 0.5,
    seed: int = 0,
    start: np.ndarray | None = None,
    moves: int | None = None,
) -> HeuristicResult:
    """Greedy by objective gain per cost, then drop-and-refill local search.

    Parameters
    ----------
    inst
        The instance from :func:`selector.portfolio.instance.build_instance`.
    time_budget
        Seconds for the local search (the greedy itself is not cut short).
    seed
        Order of ties in the local search; the same seed gives the same portfolio.
    start
        Partners to start from (boolean mask), e.g. a cheapest cover of the segment
        requirements; the greedy then completes it.
    moves
        Stop the searches after this many drop-and-refill trials instead of at the time
        budget: the result then depends only on the input and ``seed``, not on how busy
        the machine is (what reproducible Monte Carlo runs need).
    """
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    cheapest = _cheapest_suppliers(inst)
    # Requirements first; rows left short get more weight on a restart.
    row_weight = np.ones(inst.n_rows)
    ok = False
    state = _start_state(inst, cheapest, start)
    for _attempt in range(8):
        ok = _fill_requirements(state, row_weight)
        if ok:
            break
        row_weight[inst.required > state.count] *= 4.0
        state = _start_state(inst, cheapest, None)
    if inst.maximize:
        _greedy_fill(state, deadline=np.inf)
        best = state
        best_obj = evaluate(inst, best.sel)
        deadline = t0 + time_budget if moves is None else np.inf
        budget_left = np.inf if moves is None else moves
        # Local search: drop one selected partner, refill greedily; keep improvements.
        improved = True
        while improved and time.perf_counter() < deadline and budget_left > 0:
            improved = False
            selected = np.flatnonzero(best.sel & ~inst.fixed_in)
            rng.shuffle(selected)
            losses = removal_losses(inst, best.sel)[selected]
            # The least valuable per cost first.
            order = selected[np.argsort(losses / np.maximum(inst.cost[selected], 1e-9), kind="stable")]
            for p in order:
                if time.perf_counter() >= deadline or budget_left <= 0:
                    break
                budget_left -= 1
                trial = best.copy()
                trial.remove(int(p))
                trial.blocked[p] = True
                _greedy_fill(trial, deadline=deadline)
                obj = evaluate(inst, trial.sel)
                if obj > best_obj * (1 + 1e-12) + 1e-9 and not violations(inst, trial.sel):
                    trial.blocked[p] = inst.fixed_out[p]
                    best, best_obj = trial, obj
                    improved = True
                    break
        best, best_obj = _perturb_and_refill(
            inst, best, best_obj, rng=rng, deadline=deadline,
            moves=None if moves is None else int(max(budget_left, 0)),
        )
        selected_mask = best.sel
    else:
        _drop_redundant(state)
        selected_mask = state.sel
    problems = tuple(violations(inst, selected_mask))
    return HeuristicResult(
        selected=selected_mask,
        objective=evaluate(inst, selected_mask),
        feasible=ok and not problems,
        seconds=time.perf_counter() - t0,
        problems=problems,
    )

"""The portfolio MIP as sparse matrices, built in bulk.

Model (binary ``x_p``: partner p selected):

* ``weighted_coverage`` (default) -- a segment's value counts at the score of the best
  selected partner covering it (assignment variables ``z_ps <= x_p``, ``sum_p z_ps <= 1``),
  so the AHP weights shape the portfolio;
* ``coverage`` -- a segment's value counts when any selected partner covers it;
* ``min_cost`` -- the cheapest portfolio meeting each segment's required partner count.

Constraints (all from the scenario): total budget and budget pools, must include /
must exclude, conflict pairs, at most k selected partners per segment, at least k for
named or flagged segments, partner-type mix, the go-to-market rule that a tier-2
partner needs a selected distributor that supplies it, and the strategists' rules
(``[[rules]]``: one row group ``rules``; a coverage rule is a row on the objective's
auxiliary columns, which a ``min_cost`` model then gets too).

The model is built from the array instance (:mod:`selector.portfolio.instance`, segments
with identical coverage already merged) without per-element Python loops; row groups
name each row's constraint family so that infeasibility can be located by dropping one
group at a time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from selector.portfolio.instance import PortfolioInstance, segment_quality

__all__ = ["GROUPS", "MipModel", "build_model", "start_vector"]


@dataclass(frozen=True, eq=False)
class MipModel:
    """A mixed-integer model in matrix form: maximize/minimize ``c @ v`` subject to
    ``row_lo <= A @ v <= row_hi``, ``col_lo <= v <= col_hi``, the first ``n_x`` columns
    binary. Row groups name the constraint family of each row (for explanations)."""

    sense: str
    c: np.ndarray
    A: sp.csc_matrix
    row_lo: np.ndarray
    row_hi: np.ndarray
    col_lo: np.ndarray
    col_hi: np.ndarray
    n_x: int
    row_group: np.ndarray
    aux_row: np.ndarray
    aux_partner: np.ndarray
    # What each row is within its group (a merged segment row, a pool, a pair, a rule,
    # ...; -1 when the group has one row) and, for groups with several rows per key, which
    # one: what names the rows of the readable PuLP model (selector.portfolio.pulp_model).
    row_key: np.ndarray | None = None
    row_sub: np.ndarray | None = None

    @property
    def n_cols(self) -> int:
        return len(self.c)


GROUPS = (
    "objective_link",
    "budget",
    "pools",
    "requirements",
    "caps",
    "conflicts",
    "type_mix",
    "supply",
    "levels",
    "quotas",
    "exits",
    "recruits",
    "continuity",
    "rules",
)


def build_model(inst: PortfolioInstance, *, drop: Sequence[str] = ()) -> MipModel:
    """Build the MIP of an instance in bulk (no per-element Python loops).

    ``drop`` leaves out whole constraint groups (used to locate infeasibility);
    ``"rule:ID"`` leaves out one rule; ``"objective_link"`` leaves out the objective's
    auxiliary columns and rows (coverage rules need them: drop those too).
    """
    n = inst.n_partners
    cover = inst.cover
    blocks_r: list[np.ndarray] = []
    blocks_c: list[np.ndarray] = []
    blocks_v: list[np.ndarray] = []
    lo: list[np.ndarray] = []
    hi: list[np.ndarray] = []
    group: list[np.ndarray] = []
    keys: list[np.ndarray] = []
    subs: list[np.ndarray] = []
    n_rows = 0

    def add(
        rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, r_lo: np.ndarray, r_hi: np.ndarray,
        name: str, key: Any = -1, sub: Any = 0,
    ) -> None:
        nonlocal n_rows
        blocks_r.append(rows + n_rows)
        blocks_c.append(cols)
        blocks_v.append(vals)
        lo.append(r_lo)
        hi.append(r_hi)
        group.append(np.full(len(r_lo), GROUPS.index(name)))
        keys.append(np.broadcast_to(np.asarray(key, dtype=np.int64), (len(r_lo),)).copy())
        subs.append(np.broadcast_to(np.asarray(sub, dtype=np.int64), (len(r_lo),)).copy())
        n_rows += len(r_lo)

    rules = [r for k, r in enumerate(inst.rules) if "rules" not in drop and f"rule:{r.id}" not in drop]
    rule_index = {r.id: k for k, r in enumerate(inst.rules)}
    coverage_rules = [r for r in rules if r.kind == "coverage"]

    live = ~inst.fixed_out
    pair_p = np.repeat(np.arange(n), np.diff(cover.indptr))
    pair_r = cover.indices
    c_x = np.zeros(n)
    aux_row = np.zeros(0, dtype=np.int64)
    aux_partner = np.zeros(0, dtype=np.int64)
    n_aux = 0
    if "objective_link" in drop:
        # The partner-side rows alone (the master of selector.portfolio.cuts): no
        # auxiliary columns, no objective on the partners for coverage objectives.
        if inst.objective == "min_cost":
            c_x = inst.cost.copy()
        c_aux = np.zeros(0)
    elif inst.objective == "weighted_coverage":
        # Pairs that add nothing stay when a coverage rule counts them.
        counted = inst.value > 0
        plain_rule = any(not r.weighted for r in coverage_rules)
        keep = live[pair_p] & counted[pair_r] & ((inst.quality[pair_p] > 0) | plain_rule)
        zp, zr = pair_p[keep], pair_r[keep]
        n_aux = len(zp)
        aux_row, aux_partner = zr, zp
        z_cols = n + np.arange(n_aux)
        c_aux = inst.value[zr] * inst.quality[zp]
        # sum_p z_ps <= 1 for each segment row
        seg_rows = np.unique(zr)
        seg_index = np.searchsorted(seg_rows, zr)
        add(seg_index, z_cols, np.ones(n_aux), np.full(len(seg_rows), -np.inf), np.ones(len(seg_rows)),
            "objective_link", key=seg_rows, sub=0)
        # z_ps - x_p <= 0
        pair_rows = np.arange(n_aux)
        add(
            np.concatenate([pair_rows, pair_rows]),
            np.concatenate([z_cols, zp]),
            np.concatenate([np.ones(n_aux), -np.ones(n_aux)]),
            np.full(n_aux, -np.inf),
            np.zeros(n_aux),
            "objective_link",
            key=pair_rows,
            sub=1,
        )
    elif inst.objective == "coverage" or coverage_rules:
        rows_with_value = np.flatnonzero(inst.value > 0)
        n_aux = len(rows_with_value)
        aux_row = rows_with_value
        aux_partner = np.full(n_aux, -1)
        y_cols = n + np.arange(n_aux)
        c_aux = inst.value[rows_with_value] if inst.objective == "coverage" else np.zeros(n_aux)
        if inst.objective == "min_cost":
            c_x = inst.cost.copy()
        # y_s - sum_p C_ps x_p <= 0
        row_pos = np.full(inst.n_rows, -1)
        row_pos[rows_with_value] = np.arange(n_aux)
        keep = (row_pos[pair_r] >= 0) & live[pair_p]
        add(
            np.concatenate([np.arange(n_aux), row_pos[pair_r[keep]]]),
            np.concatenate([y_cols, pair_p[keep]]),
            np.concatenate([np.ones(n_aux), -np.ones(int(keep.sum()))]),
            np.full(n_aux, -np.inf),
            np.zeros(n_aux),
            "objective_link",
            key=rows_with_value,
            sub=2,
        )
    else:
        c_x = inst.cost.copy()
        c_aux = np.zeros(0)

    cover_t = cover.T.tocsr()  # rows x partners
    if "requirements" not in drop:
        need = np.flatnonzero(inst.required > 0)
        if len(need):
            sub = cover_t[need].tocoo()
            add(sub.row, sub.col, sub.data.astype(float), inst.required[need].astype(float), np.full(len(need), np.inf), "requirements",
                key=need)
    if "caps" not in drop:
        degree = np.diff(cover_t.indptr)
        capped = np.flatnonzero((inst.cap >= 0) & (inst.cap < degree))
        if len(capped):
            sub = cover_t[capped].tocoo()
            add(sub.row, sub.col, sub.data.astype(float), np.full(len(capped), -np.inf), inst.cap[capped].astype(float), "caps",
                key=capped)
    if "budget" not in drop and math.isfinite(inst.budget):
        # Costs below 0 occur in plans: keeping a partner can cost less than its exit.
        cols = np.flatnonzero(live & (inst.cost != 0))
        add(np.zeros(len(cols), dtype=np.int64), cols, inst.cost[cols], np.array([-np.inf]), np.array([inst.budget]), "budget")
    if "pools" not in drop:
        for k, (_key, mask, cap) in enumerate(inst.pools):
            cols = np.flatnonzero(mask & live & (inst.cost != 0))
            add(np.zeros(len(cols), dtype=np.int64), cols, inst.cost[cols], np.array([-np.inf]), np.array([cap]),
                "pools", key=k)
    if "conflicts" not in drop and inst.option_partner is not None:
        # Partner pairs: no option of one with any option of the other (one row a pair).
        if inst.partner_conflicts is not None and len(inst.partner_conflicts):
            opts = _options_of(inst.option_partner)
            c_rows: list[np.ndarray] = []
            c_cols: list[np.ndarray] = []
            for k, (a, b) in enumerate(inst.partner_conflicts):
                both = np.concatenate([opts[a], opts[b]])
                c_rows.append(np.full(len(both), k))
                c_cols.append(both)
            k = len(inst.partner_conflicts)
            all_cols = np.concatenate(c_cols)
            add(np.concatenate(c_rows), all_cols, np.ones(len(all_cols)),
                np.full(k, -np.inf), np.ones(k), "conflicts", key=np.arange(k))
    elif "conflicts" not in drop and len(inst.conflicts):
        k = len(inst.conflicts)
        add(
            np.repeat(np.arange(k), 2),
            inst.conflicts.ravel(),
            np.ones(2 * k),
            np.full(k, -np.inf),
            np.ones(k),
            "conflicts",
            key=np.arange(k),
        )
    if "type_mix" not in drop:
        for k, (_t, mask, t_lo, t_hi) in enumerate(inst.type_mix):
            cols = np.flatnonzero(mask)
            add(
                np.zeros(len(cols), dtype=np.int64),
                cols,
                np.ones(len(cols)),
                np.array([-np.inf if t_lo is None else float(t_lo)]),
                np.array([np.inf if t_hi is None else float(t_hi)]),
                "type_mix",
                key=k,
            )
    if "supply" not in drop and inst.suppliers is not None:
        tier2 = np.flatnonzero((inst.gtm_tier == 2) & live)
        sub = inst.suppliers[tier2].tocoo()
        k = len(tier2)
        add(
            np.concatenate([np.arange(k), sub.row]),
            np.concatenate([tier2, sub.col]),
            np.concatenate([np.ones(k), -np.ones(len(sub.row))]),
            np.full(k, -np.inf),
            np.zeros(k),
            "supply",
            key=tier2,
        )

    if inst.option_partner is not None:
        _level_rows(inst, inst.option_partner, add, drop)

    for rule in rules:
        k = rule_index[rule.id]
        if rule.kind == "coverage":
            assert rule.row_value is not None
            # Covered value of the rule's rows, at the aux columns: z (weighted_coverage)
            # sums to the row's covered fraction, y (coverage, min_cost) is 1 when covered.
            if aux_partner.size and aux_partner[0] >= 0:
                w = rule.row_value[aux_row] * (inst.quality[aux_partner] if rule.weighted else 1.0)
            else:
                w = rule.row_value[aux_row].astype(float)
            on = np.flatnonzero(w != 0)
            add(np.zeros(len(on), dtype=np.int64), n + on, w[on], np.array([rule.need]), np.array([np.inf]),
                "rules", key=k)
            continue
        m = rule.matrix(inst.cost).tocoo()
        keep_nz = live[m.col] & (m.data != 0)
        add(m.row[keep_nz], m.col[keep_nz], m.data[keep_nz].astype(float), rule.lo.astype(float),
            rule.hi.astype(float), "rules", key=k, sub=np.arange(len(rule.lo)))

    n_cols = n + n_aux
    if blocks_r:
        A = sp.csc_matrix(
            (np.concatenate(blocks_v), (np.concatenate(blocks_r), np.concatenate(blocks_c))),
            shape=(n_rows, n_cols),
        )
    else:
        A = sp.csc_matrix((0, n_cols))
    row_lo = np.concatenate(lo) if lo else np.zeros(0)
    row_hi = np.concatenate(hi) if hi else np.zeros(0)
    row_group = np.concatenate(group) if group else np.zeros(0, dtype=np.int64)
    row_key = np.concatenate(keys) if keys else np.zeros(0, dtype=np.int64)
    row_sub = np.concatenate(subs) if subs else np.zeros(0, dtype=np.int64)
    # Rows without entries that 0 satisfies say nothing (a budget over no partner);
    # CBC mishandles them. Empty rows that 0 breaks (a required segment nobody
    # covers) stay: they make the model infeasible, as it is.
    empty = np.diff(A.tocsr().indptr) == 0
    idle = empty & (row_lo <= 0) & (row_hi >= 0)
    if idle.any():
        keep_rows = ~idle
        A = sp.csc_matrix(A.tocsr()[keep_rows])
        row_lo, row_hi, row_group = row_lo[keep_rows], row_hi[keep_rows], row_group[keep_rows]
        row_key, row_sub = row_key[keep_rows], row_sub[keep_rows]
    col_lo = np.zeros(n_cols)
    col_hi = np.ones(n_cols)
    col_hi[:n][inst.fixed_out] = 0.0
    col_lo[:n][inst.fixed_in] = 1.0
    if "must_include" in drop:
        col_lo[:n] = 0.0
    return MipModel(
        sense="max" if inst.maximize else "min",
        c=np.concatenate([c_x, c_aux]),
        A=A,
        row_lo=row_lo,
        row_hi=row_hi,
        col_lo=col_lo,
        col_hi=col_hi,
        n_x=n,
        row_group=row_group,
        aux_row=aux_row,
        aux_partner=aux_partner,
        row_key=row_key,
        row_sub=row_sub,
    )


def start_vector(model: MipModel, inst: PortfolioInstance, x: np.ndarray) -> np.ndarray:
    """A full column vector for a selection: auxiliaries set consistently."""
    v = np.zeros(model.n_cols)
    v[: model.n_x] = x.astype(float)
    n_aux = model.n_cols - model.n_x
    if n_aux == 0:
        return v
    if (model.aux_partner < 0).all():  # y: row covered (coverage, or min_cost with a coverage rule)
        counts = np.asarray(inst.cover.T @ x.astype(np.int64)).ravel()
        v[model.n_x :] = (counts[model.aux_row] > 0).astype(float)
    else:
        best = segment_quality(inst, x)
        p, r = model.aux_partner, model.aux_row
        is_best = x[p] & (inst.quality[p] >= best[r]) & (best[r] > 0)
        # Exactly one z per row: the first best partner.
        order = np.flatnonzero(is_best)
        _, first = np.unique(r[order], return_index=True)
        z = np.zeros(n_aux)
        z[order[first]] = 1.0
        v[model.n_x :] = z
    return v


def _options_of(option_partner: np.ndarray) -> list[np.ndarray]:
    """Column positions of each partner's options."""
    order = np.argsort(option_partner, kind="stable")
    counts = np.bincount(option_partner)
    return np.split(order, np.cumsum(counts)[:-1])


def _level_rows(
    inst: PortfolioInstance, option_partner: np.ndarray, add: Any, drop: Sequence[str]
) -> None:
    """Rows of a plan from today's channel: one level per partner, tier quotas, the
    exit and recruit limits, and named accounts keeping a current partner."""
    n_cols = inst.n_partners
    cols = np.arange(n_cols)
    live = ~inst.fixed_out
    n_real = int(option_partner.max()) + 1 if n_cols else 0
    if "levels" not in drop:
        lo = np.full(n_real, -np.inf)
        if inst.group_required is not None and "must_include" not in drop:
            lo[inst.group_required] = 1.0
        add(option_partner, cols, np.ones(n_cols), lo, np.ones(n_real), "levels", key=np.arange(n_real))
    if "quotas" not in drop:
        for q, (_name, mask, share, count) in enumerate(inst.quotas):
            if share is not None:
                vals = mask.astype(float) - share
                keep = live & (vals != 0)
                add(np.zeros(int(keep.sum()), dtype=np.int64), cols[keep], vals[keep],
                    np.array([-np.inf]), np.array([0.0]), "quotas", key=q, sub=0)
            if count is not None:
                keep = live & mask
                add(np.zeros(int(keep.sum()), dtype=np.int64), cols[keep], np.ones(int(keep.sum())),
                    np.array([-np.inf]), np.array([float(count)]), "quotas", key=q, sub=1)
    if inst.current is not None:
        if "exits" not in drop and inst.max_exits is not None:
            keep = live & inst.current
            add(np.zeros(int(keep.sum()), dtype=np.int64), cols[keep], np.ones(int(keep.sum())),
                np.array([float(inst.n_current - inst.max_exits)]), np.array([np.inf]), "exits")
        if "recruits" not in drop and inst.max_recruits is not None:
            keep = live & ~inst.current
            add(np.zeros(int(keep.sum()), dtype=np.int64), cols[keep], np.ones(int(keep.sum())),
                np.array([-np.inf]), np.array([float(inst.max_recruits)]), "recruits")
    if "continuity" not in drop and inst.continuity is not None:
        sub = inst.continuity.tocoo()
        k = inst.continuity.shape[0]
        add(sub.row, sub.col, sub.data.astype(float), np.ones(k), np.full(k, np.inf), "continuity",
            key=np.arange(k))

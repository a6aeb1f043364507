"""The roadmap's MIP as sparse matrices: the rows that link the years, and every limit
of a plan held in every year.

Columns are those of a :class:`~selector.portfolio.roadmap.RoadmapInstance` (binary
``x_j``; ``A_pt = sum of p's active columns in year t``, 1 when ``p`` is in the channel
in year ``t``; ``E_pt`` the sum of its exit columns). Rows, by group:

``flow``
    a current partner: ``A_pt + E_pt = A_p,t-1`` (``A_p,-1 = 1``): each year it stays
    or leaves, and once it has left it stays out;
``exit_tier``
    it leaves from the tier it held: ``e_ptl <= x_p,t-1,l``;
``recruit_once``, ``stay``
    a prospect is recruited at most once (``sum_s A_pss <= 1``, cohort ``s``) and stays
    to the horizon's end (``A_pts = A_p,t-1,s``);
``steps``
    at most ``max_step`` tiers a year: ``x_p,t-1,l + x_ptl' <= 1`` when ``|l - l'|`` is
    larger (in the same cohort);
``must_include``
    a must-include partner is active every year;
``budget``, ``pools``, ``requirements``, ``caps``, ``conflicts``, ``type_mix``,
``supply``, ``quotas``, ``exits``, ``recruits``, ``continuity``, ``rules``
    the plan's limits (:mod:`selector.portfolio.model`), one row per year: what year
    ``t``'s columns spend against that year's budget (and each pool's cap), segment
    requirements and caps on the active partners, conflicting pairs, the type mix,
    tier-2 partners with an active distributor, the tier quotas, the year's exit and
    recruit limits, every named account keeping one of today's partners, and each
    rule (only in its year when it names one).

:func:`side_model` gives these rows alone (the cut loop's master,
:mod:`selector.portfolio.cuts`, values the objective by cuts); :func:`full_model` adds
the objective's assignment rows (:func:`selector.portfolio.model.build_model` on the
roadmap's ``flat`` instance) and per-year coverage rules, for CBC and for scenarios the
cut loop does not take.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np
import scipy.sparse as sp

from selector.portfolio.cut_master import RowValues, row_values
from selector.portfolio.instance import RuleRows
from selector.portfolio.model import GROUPS, MipModel, build_model
from selector.portfolio.roadmap import ACTIVE, EXIT, TODAY, RoadmapInstance

__all__ = [
    "ROADMAP_GROUPS",
    "col_tables",
    "full_model",
    "objective_rows",
    "side_model",
    "violated_groups",
]

ROADMAP_GROUPS = (
    "objective_link", "budget", "pools", "requirements", "caps", "conflicts", "type_mix",
    "supply", "must_include", "flow", "exit_tier", "recruit_once", "stay", "steps", "quotas",
    "exits", "recruits", "continuity", "rules",
)


class _Rows:
    """Row triplets gathered group by group."""

    def __init__(self, n_cols: int) -> None:
        self.n_cols = n_cols
        self.r: list[np.ndarray] = []
        self.c: list[np.ndarray] = []
        self.v: list[np.ndarray] = []
        self.lo: list[np.ndarray] = []
        self.hi: list[np.ndarray] = []
        self.group: list[np.ndarray] = []
        self.key: list[np.ndarray] = []
        self.n = 0

    def add(self, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, lo: Any, hi: Any,
            name: str, key: Any = -1) -> None:
        k = int(np.size(lo)) if np.ndim(lo) else 1
        lo_a = np.broadcast_to(np.asarray(lo, dtype=float), (k,)).copy()
        hi_a = np.broadcast_to(np.asarray(hi, dtype=float), (k,)).copy()
        self.r.append(np.asarray(rows, dtype=np.int64) + self.n)
        self.c.append(np.asarray(cols, dtype=np.int64))
        self.v.append(np.asarray(vals, dtype=float))
        self.lo.append(lo_a)
        self.hi.append(hi_a)
        self.group.append(np.full(k, ROADMAP_GROUPS.index(name)))
        self.key.append(np.broadcast_to(np.asarray(key, dtype=np.int64), (k,)).copy())
        self.n += k

    def sparse(self, name: str, mat: sp.spmatrix, lo: Any, hi: Any, key: Any = -1) -> None:
        """Rows given as a sparse matrix over the columns."""
        coo = sp.coo_matrix(mat)
        k = mat.shape[0]
        if not k:
            return
        self.add(coo.row, coo.col, coo.data, np.broadcast_to(np.asarray(lo, dtype=float), (k,)),
                 np.broadcast_to(np.asarray(hi, dtype=float), (k,)), name, key)

    def model(self, c: np.ndarray, col_lo: np.ndarray, col_hi: np.ndarray, sense: str) -> MipModel:
        rows = np.concatenate(self.r) if self.r else np.zeros(0, dtype=np.int64)
        cols = np.concatenate(self.c) if self.c else np.zeros(0, dtype=np.int64)
        vals = np.concatenate(self.v) if self.v else np.zeros(0)
        A = sp.csc_matrix((vals, (rows, cols)), shape=(self.n, self.n_cols))
        A.sum_duplicates()
        lo = np.concatenate(self.lo) if self.lo else np.zeros(0)
        hi = np.concatenate(self.hi) if self.hi else np.zeros(0)
        group = np.concatenate(self.group) if self.group else np.zeros(0, dtype=np.int64)
        key = np.concatenate(self.key) if self.key else np.zeros(0, dtype=np.int64)
        # Rows without entries that 0 satisfies say nothing (CBC mishandles them).
        empty = np.diff(A.tocsr().indptr) == 0
        keep = ~(empty & (lo <= 0) & (hi >= 0))
        A = sp.csc_matrix(A.tocsr()[keep])
        return MipModel(sense=sense, c=c, A=A, row_lo=lo[keep], row_hi=hi[keep], col_lo=col_lo,
                        col_hi=col_hi, n_x=self.n_cols, row_group=group[keep],
                        aux_row=np.zeros(0, dtype=np.int64), aux_partner=np.zeros(0, dtype=np.int64),
                        row_key=key[keep], row_sub=np.zeros(int(keep.sum()), dtype=np.int64))


def col_tables(road: RoadmapInstance) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Column positions by (year, partner, level): current partners' active and exit
    columns, and prospects' active columns by (year, cohort, partner, level); -1 none."""
    T, n, L = road.years, road.n_partners, road.n_levels
    cur = np.full((T, n, L), -1, dtype=np.int64)
    ext = np.full((T, n, L), -1, dtype=np.int64)
    pro = np.full((T, T, n, L), -1, dtype=np.int64)
    j = np.arange(road.n_cols)
    p, t, lv, k, c = road.col_partner, road.col_year, road.col_level, road.col_kind, road.col_cohort
    a = (k == ACTIVE) & (c == TODAY)
    cur[t[a], p[a], lv[a]] = j[a]
    e = k == EXIT
    ext[t[e], p[e], lv[e]] = j[e]
    q = (k == ACTIVE) & (c >= 0)
    pro[t[q], c[q], p[q], lv[q]] = j[q]
    return cur, ext, pro


def _sum_rows(table: np.ndarray, sign: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Triplets of rows ``i`` summing the columns ``table[i, :]`` (``-1`` entries skipped)."""
    i, l_ = np.nonzero(table >= 0)
    return i, table[i, l_], np.full(len(i), sign)


def _link_rows(road: RoadmapInstance, rows: _Rows) -> None:
    cur, ext, pro = col_tables(road)
    T, L = road.years, road.n_levels
    current = np.flatnonzero(road.current)
    prospects = np.flatnonzero(~road.current)
    for t in range(T):  # flow
        parts = [_sum_rows(cur[t, current]), _sum_rows(ext[t, current])]
        if t:
            parts.append(_sum_rows(cur[t - 1, current], -1.0))
        r = np.concatenate([a[0] for a in parts])
        rows.add(r, np.concatenate([a[1] for a in parts]), np.concatenate([a[2] for a in parts]),
                 np.full(len(current), 1.0 if t == 0 else 0.0),
                 np.full(len(current), 1.0 if t == 0 else 0.0), "flow", key=current)
    for t in range(1, T):  # exit_tier
        e = ext[t, current].ravel()
        x = cur[t - 1, current].ravel()
        k = len(e)
        rows.add(np.r_[np.arange(k), np.arange(k)], np.r_[e, x], np.r_[np.ones(k), -np.ones(k)],
                 np.full(k, -np.inf), np.zeros(k), "exit_tier", key=np.repeat(current, L))
    if len(prospects):  # recruit_once
        first = np.stack([pro[s, s, prospects] for s in range(T)], axis=1).reshape(len(prospects), -1)
        r, c, v = _sum_rows(first)
        rows.add(r, c, v, np.full(len(prospects), -np.inf), np.ones(len(prospects)), "recruit_once",
                 key=prospects)
        for t in range(1, T):  # stay
            for s in range(t):
                r1, c1, v1 = _sum_rows(pro[t, s, prospects])
                r0, c0, v0 = _sum_rows(pro[t - 1, s, prospects], -1.0)
                rows.add(np.r_[r1, r0], np.r_[c1, c0], np.r_[v1, v0], np.zeros(len(prospects)),
                         np.zeros(len(prospects)), "stay", key=prospects)
    step = road.programme.max_step
    pairs = [(a, b) for a in range(L) for b in range(L) if abs(a - b) > step]
    for t in range(1, T):  # steps
        blocks = [(cur[t - 1, current], cur[t, current])]
        blocks += [(pro[t - 1, s, prospects], pro[t, s, prospects]) for s in range(t)]
        for before, after in blocks:
            for a, b in pairs:
                k = len(before)
                rows.add(np.r_[np.arange(k), np.arange(k)], np.r_[before[:, a], after[:, b]],
                         np.ones(2 * k), np.full(k, -np.inf), np.ones(k), "steps")


def _year_rows(road: RoadmapInstance, rows: _Rows) -> None:
    plan = road.plan
    T, n, L = road.years, road.n_partners, road.n_levels
    live = ~road.col_fixed_out
    cost = road.col_cost
    year = road.col_year
    cover_t = plan.cover[::L].T.tocsr()  # rows x partners
    partner_live = np.asarray(~plan.fixed_out.reshape(n, L).all(axis=1))
    for t in range(T):
        act_t = road.act[t * n : (t + 1) * n]
        in_year = (year == t) & live
        budget = road.horizon.budgets[t]
        if budget is not None and math.isfinite(budget):
            cols = np.flatnonzero(in_year & (cost != 0))
            rows.add(np.zeros(len(cols)), cols, cost[cols], -np.inf, budget, "budget", key=t)
        for k, (_key, mask, cap) in enumerate(plan.pools):
            members = mask[::L]
            given = cap + float(road.exit_cost[members].sum())
            cols = np.flatnonzero(in_year & members[road.col_partner] & (cost != 0))
            rows.add(np.zeros(len(cols)), cols, cost[cols], -np.inf, given, "pools", key=k)
        required = plan.group_required if plan.group_required is not None else plan.fixed_in[::L]
        if required.any():
            req = np.flatnonzero(required)
            rows.sparse("must_include", act_t[req], 1.0, np.inf, key=req)
        need = np.flatnonzero(plan.required > 0)
        if len(need):
            rows.sparse("requirements", cover_t[need] @ act_t, plan.required[need], np.inf, key=need)
        degree = np.diff(cover_t.indptr)
        capped = np.flatnonzero((plan.cap >= 0) & (plan.cap < degree))
        if len(capped):
            rows.sparse("caps", cover_t[capped] @ act_t, -np.inf, plan.cap[capped], key=capped)
        pairs = plan.partner_conflicts
        if pairs is not None and len(pairs):
            rows.sparse("conflicts", act_t[pairs[:, 0]] + act_t[pairs[:, 1]], -np.inf, 1.0)
        for k, (_t, mask, lo, hi) in enumerate(plan.type_mix):
            members = sp.csr_matrix(mask[::L].astype(float).reshape(1, -1))
            rows.sparse("type_mix", members @ act_t, -np.inf if lo is None else lo,
                        np.inf if hi is None else hi, key=k)
        if plan.suppliers is not None:
            suppliers = plan.suppliers[::L, ::L]
            tier2 = np.flatnonzero((plan.gtm_tier[::L] == 2) & partner_live)
            rows.sparse("supply", act_t[tier2] - suppliers[tier2] @ act_t, -np.inf, 0.0, key=tier2)
        for q, (_name, mask, share, count) in enumerate(plan.quotas):
            at = in_year & (road.col_kind == ACTIVE)
            tier = mask[road.col_partner * L + road.col_level] & at
            if count is not None:
                cols = np.flatnonzero(tier)
                rows.add(np.zeros(len(cols)), cols, np.ones(len(cols)), -np.inf, count, "quotas", key=q)
            if share is not None:
                vals = tier.astype(float) - share * at
                cols = np.flatnonzero(vals != 0)
                rows.add(np.zeros(len(cols)), cols, vals[cols], -np.inf, 0.0, "quotas", key=q)
        limit = road.horizon.max_exits[t]
        if limit is not None:
            cols = np.flatnonzero(in_year & (road.col_kind == EXIT))
            rows.add(np.zeros(len(cols)), cols, np.ones(len(cols)), -np.inf, limit, "exits", key=t)
        limit = road.horizon.max_recruits[t]
        if limit is not None:
            cols = np.flatnonzero(in_year & (road.col_kind == ACTIVE) & (road.col_cohort == t))
            rows.add(np.zeros(len(cols)), cols, np.ones(len(cols)), -np.inf, limit, "recruits", key=t)
        if plan.continuity is not None:
            cont = sp.csr_matrix(plan.continuity[:, ::L], dtype=float)
            rows.sparse("continuity", cont @ act_t, 1.0, np.inf, key=np.arange(cont.shape[0]))
        _rule_rows(road, rows, t, act_t, in_year)


def _rule_rows(road: RoadmapInstance, rows: _Rows, t: int, act_t: sp.csr_matrix,
               in_year: np.ndarray) -> None:
    names = np.asarray(road.level_names, dtype=object)
    for k, rule in enumerate(road.rules):
        if rule.kind == "coverage" or (rule.year is not None and rule.year - 1 != t):
            continue
        lo = -np.inf if rule.lo is None else float(rule.lo)
        hi = np.inf if rule.hi is None else float(rule.hi)
        if rule.kind == "requires":
            assert rule.requires is not None
            for p in np.flatnonzero(rule.partners):
                alt = np.flatnonzero(rule.requires)
                alt = alt[alt != p]
                mat = act_t[[p]] - sp.csr_matrix(np.ones((1, len(alt)))) @ act_t[alt]
                rows.sparse("rules", mat, -np.inf, 0.0, key=k)
            continue
        at_level = np.ones(road.n_cols, dtype=bool) if rule.levels is None else np.isin(
            names[road.col_level], list(rule.levels))
        match = in_year & rule.partners[road.col_partner]
        active = match & (road.col_kind == ACTIVE) & at_level
        if rule.kind == "cost":
            spent = active | (match & (road.col_kind == EXIT) & (rule.levels is None))
            cols = np.flatnonzero(spent & (road.col_cost != 0))
            vals = road.col_cost[cols]
        else:
            cols = np.flatnonzero(active)
            vals = np.ones(len(cols))
        rows.add(np.zeros(len(cols)), cols, vals, lo, hi, "rules", key=k)


def side_model(road: RoadmapInstance) -> MipModel:
    """The roadmap's rows on its columns alone, no objective rows (the cut loop's side):
    its objective is the ``min_cost`` spend, 0 for the coverage objectives."""
    rows = _Rows(road.n_cols)
    _link_rows(road, rows)
    _year_rows(road, rows)
    col_hi = np.where(road.col_fixed_out, 0.0, 1.0)
    c = np.zeros(road.n_cols) if road.maximize else road.col_cost * road.discount_factors[road.col_year]
    return rows.model(c, np.zeros(road.n_cols), col_hi, "max" if road.maximize else "min")


def objective_rows(road: RoadmapInstance) -> RowValues:
    """The coverage objective as the cut loop's row values (rows: (segment row, year))."""
    return row_values(road.flat)


def _coverage_rules(road: RoadmapInstance) -> tuple[RuleRows, ...]:
    """The coverage rules once per year they hold, on the (row, year) rows."""
    R, T = road.plan.n_rows, road.years
    out: list[RuleRows] = []
    by_id = {r.id: r for r in road.rules}
    for rule in road.plan.rules:
        if rule.kind != "coverage" or rule.row_value is None:
            continue
        year = by_id[rule.id].year
        for t in range(T):
            if year is not None and year - 1 != t:
                continue
            row_value = np.zeros(R * T)
            row_value[t * R : (t + 1) * R] = rule.row_value
            out.append(replace(rule, row_value=row_value))
    return tuple(out)


def full_model(road: RoadmapInstance) -> MipModel:
    """The whole roadmap MIP: :func:`side_model`'s rows, the objective's assignment rows
    and the coverage rules of each year (their rows in group ``rules``)."""
    side = side_model(road)
    # A roadmap's coverage counts a row at the share of its best partner (a recruit's
    # ramp, an exit's transition): the assignment model of weighted_coverage, whose
    # qualities are those shares (the plain coverage model would count them as 1).
    objective = "weighted_coverage" if road.flat.objective == "coverage" else road.flat.objective
    flat = replace(road.flat, rules=_coverage_rules(road), objective=objective)
    keep = ("objective_link", "rules")
    obj = build_model(flat, drop=tuple(g for g in GROUPS if g not in keep))
    n_aux = obj.n_cols - obj.n_x
    c = np.concatenate([side.c, obj.c[obj.n_x :]])
    A = sp.vstack([sp.hstack([side.A, sp.csc_matrix((side.A.shape[0], n_aux))]), obj.A]).tocsc()
    group = np.concatenate([side.row_group, np.where(
        obj.row_group == GROUPS.index("rules"), ROADMAP_GROUPS.index("rules"), 0)])
    assert side.row_key is not None and obj.row_key is not None
    return MipModel(
        sense=side.sense, c=c, A=A, row_lo=np.r_[side.row_lo, obj.row_lo],
        row_hi=np.r_[side.row_hi, obj.row_hi], col_lo=np.r_[side.col_lo, obj.col_lo[obj.n_x :]],
        col_hi=np.r_[side.col_hi, obj.col_hi[obj.n_x :]], n_x=side.n_x, row_group=group,
        aux_row=obj.aux_row, aux_partner=obj.aux_partner,
        row_key=np.r_[side.row_key, obj.row_key], row_sub=np.zeros(len(group), dtype=np.int64),
    )


def violated_groups(model: MipModel, x: np.ndarray, *, tol: float = 1e-6) -> list[str]:
    """The row groups of ``model`` (built by :func:`side_model`) that selection ``x``
    breaks, in :data:`ROADMAP_GROUPS` order (empty when it keeps every row)."""
    got = model.A[:, : model.n_x] @ np.asarray(x, dtype=float)[: model.n_x] if model.n_cols == model.n_x \
        else model.A @ np.asarray(x, dtype=float)
    scale = tol * (1.0 + np.abs(np.where(np.isfinite(model.row_hi), model.row_hi, 0.0)))
    bad = (got < model.row_lo - scale) | (got > model.row_hi + scale)
    return [ROADMAP_GROUPS[g] for g in sorted(set(model.row_group[bad].tolist()))]

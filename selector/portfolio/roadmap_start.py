"""A roadmap's start: the one-year plan held across the years, repaired to each year's
limits and improved where a later year's budget leaves room.

:func:`plan_repeated` (the route's ``plan_repeated`` start) works on the roadmap as a
partners x years matrix of tier positions (-1 out; :meth:`RoadmapInstance.levels`):

1. the year-one plan of the quick answer (:func:`~selector.portfolio.starts.greedy_start`
   with the tier moves of :func:`~selector.portfolio.tier_moves.improve_tiers`), each
   partner at its plan tier in every year;
2. repair: while a row of the roadmap's model (:func:`~selector.portfolio.roadmap_model.side_model`)
   is broken, the move that breaks least (ties: the most value) among those of the
   partners in the broken rows: a partner keeps the year before's tier one more year
   (an exit or a tier step deferred), steps one tier down from a year on, or (a
   prospect) is recruited a year later or not at all;
3. improvement: recruits and one-tier steps up from a year on, where the year's budget
   has room and the roadmap's value rises, the best first, until the time is up.

The start keeps every row or is None; the cut loop values it exactly and starts its
search from it, so a five-year horizon is not left with the portfolio of a search that
had no time after its LP rounds (bench/roadmap_bench.py).
"""

from __future__ import annotations

import math
import time
from dataclasses import replace

import numpy as np

from selector.portfolio.cut_master import row_values
from selector.portfolio.cuts import solve_by_cuts
from selector.portfolio.instance import PortfolioInstance, violations
from selector.portfolio.model import MipModel, build_model
from selector.portfolio.roadmap import RoadmapInstance
from selector.portfolio.roadmap_model import col_tables
from selector.portfolio.starts import greedy_start
from selector.portfolio.tier_moves import improve_tiers

__all__ = ["IMPROVE_STEPS", "IMPROVE_STEPS_FIXED", "PLAN_SHARE", "REPAIR_CANDIDATES", "REPAIR_STEPS", "YEAR_ONE_GAP", "plan_repeated", "selection_of", "year_one_instance",
           "year_one_start"]

#: Column positions by year, partner and level (see _tables).
Tables = tuple[np.ndarray, np.ndarray, np.ndarray]
#: Most repair moves before the start is given up (None).
REPAIR_STEPS = 400
#: Columns of the broken rows whose partners' moves each repair step tries, at most.
REPAIR_CANDIDATES = 40
#: Most improvement steps (each scans every partner and year once: about a second on
#: vendor-3y), and the steps when the start must not depend on the clock.
IMPROVE_STEPS = 50
IMPROVE_STEPS_FIXED = 2
#: Share of the start's time for the year-one plan's cut loop, and the gap it aims at.
PLAN_SHARE = 0.6
YEAR_ONE_GAP = 1e-3


def selection_of(road: RoadmapInstance, levels: np.ndarray,
                 tables: Tables | None = None) -> np.ndarray | None:
    """The column selection of ``levels`` (partners x years, -1 out), vectorised;
    None when no selection says it (a current partner back after its exit, a recruit
    leaving)."""
    cur, ext, pro = tables if tables is not None else col_tables(road)
    levels = np.asarray(levels, dtype=np.int64)
    x = np.zeros(road.n_cols, dtype=bool)
    c = np.flatnonzero(road.current)
    lv = levels[c]
    prev = np.concatenate([road.today_level[c, None], lv[:, :-1]], axis=1)
    if ((lv >= 0) & (prev < 0)).any():
        return None
    ti, pi = np.nonzero((lv >= 0).T)
    x[cur[ti, c[pi], lv[pi, ti]]] = True
    ti, pi = np.nonzero(((lv < 0) & (prev >= 0)).T)
    x[ext[ti, c[pi], prev[pi, ti]]] = True
    p = np.flatnonzero(~road.current)
    lp = levels[p]
    on = lp >= 0
    first = np.where(on.any(axis=1), on.argmax(axis=1), road.years)
    after = np.arange(road.years)[None, :] >= first[:, None]
    if (after & ~on).any():
        return None
    ti, pi = np.nonzero(on.T)
    x[pro[ti, first[pi], p[pi], lp[pi, ti]]] = True
    if (x & road.col_fixed_out).any():
        return None
    return x


def _excess(side: MipModel, x: np.ndarray) -> np.ndarray:
    """Per row: how far selection ``x`` breaks it, relative to the row's size."""
    got = side.A @ x.astype(float)
    scale = 1.0 + np.abs(np.where(np.isfinite(side.row_hi), side.row_hi,
                                  np.where(np.isfinite(side.row_lo), side.row_lo, 0.0)))
    over = np.maximum(got - side.row_hi, 0.0) + np.maximum(side.row_lo - got, 0.0)
    return np.where(over > 1e-6 * scale, over / scale, 0.0)


def _moves(road: RoadmapInstance, levels: np.ndarray, p: int, t: int) -> list[np.ndarray]:
    """Repair moves of partner ``p`` in year ``t`` (new level matrices)."""
    out = []
    row = levels[p]
    T = road.years
    if road.current[p]:
        before = int(road.today_level[p]) if t == 0 else int(row[t - 1])
        if before >= 0 and row[t] != before:  # keep the year before's tier one more year
            m = levels.copy()
            m[p, t] = before
            out.append(m)
        if row[t] > 0:  # one tier down from year t on
            m = levels.copy()
            m[p, t:] = np.where(row[t:] >= 0, np.maximum(row[t:] - 1, 0), row[t:])
            out.append(m)
        if row[t] >= 0:  # exit in year t
            m = levels.copy()
            m[p, t:] = -1
            out.append(m)
    elif row[t] >= 0:
        m = levels.copy()  # recruited a year later (or not at all)
        if t + 1 < T and (row[: t + 1] < 0)[:t].all():
            m[p, t] = -1
        else:
            m[p, :] = -1
        out.append(m)
        if row[t] > 0:
            m = levels.copy()
            m[p, t:] = np.maximum(row[t:] - 1, 0)
            out.append(m)
    return out


def _repair(road: RoadmapInstance, side: MipModel, levels: np.ndarray, tables: Tables,
            until: float) -> np.ndarray | None:
    x = selection_of(road, levels, tables)
    if x is None:
        return None
    A = side.A.tocsr()
    for _ in range(REPAIR_STEPS):
        bad = _excess(side, x)
        if not bad.any():
            return levels
        if time.perf_counter() > until:
            return None
        cols = A[np.flatnonzero(bad)].indices
        cols = np.unique(cols[x[cols]])
        if len(cols) > REPAIR_CANDIDATES:  # the largest entries of the broken rows first
            weight = np.abs(A[np.flatnonzero(bad)][:, cols]).max(axis=0).toarray().ravel()
            cols = cols[np.argsort(-weight, kind="stable")[:REPAIR_CANDIDATES]]
        pairs = {(int(road.col_partner[j]), int(road.col_year[j])) for j in cols}
        best: tuple[float, float, np.ndarray, np.ndarray] | None = None
        for p, t in sorted(pairs):
            for m in _moves(road, levels, p, t):
                y = selection_of(road, m, tables)
                if y is None:
                    continue
                key = (float(_excess(side, y).sum()), -road.objective(y))
                if best is None or key < best[:2]:
                    best = (key[0], key[1], m, y)
        if best is None or best[0] >= float(bad.sum()):
            return None
        levels, x = best[2], best[3]
    return levels if not _excess(side, x).any() else None


def _improve(road: RoadmapInstance, side: MipModel, levels: np.ndarray, tables: Tables,
             until: float, steps: int) -> np.ndarray:
    """Recruits and one-tier steps up from a year on, best gain per cost first, while
    they keep every row, time is left and at most ``steps`` of them."""
    x = selection_of(road, levels, tables)
    assert x is not None  # a repaired start has a selection
    value = road.objective(x)
    budgets = np.array([np.inf if b is None else b for b in road.horizon.budgets], dtype=float)
    L, T = road.n_levels, road.years
    for _ in range(steps):
        if time.perf_counter() >= until:
            break
        room = budgets - road.spend(x)
        found: tuple[float, np.ndarray, np.ndarray, float] | None = None
        for t in range(T):
            if room[t] <= 0:
                continue
            for p in range(road.n_partners):
                if time.perf_counter() >= until:
                    break
                row = levels[p]
                m = None
                if not road.current[p] and row[t] < 0:  # recruited in year t (or earlier)
                    if (row[:t] >= 0).any():
                        continue
                    m = levels.copy()
                    m[p, t:] = np.where(row[t:] >= 0, row[t:], 0)
                elif row[t] >= 0 and row[t] < L - 1 and (t == 0 or row[t - 1] == row[t] or row[t - 1] < 0):
                    m = levels.copy()
                    m[p, t:] = np.where(row[t:] >= 0, np.minimum(row[t:] + 1, L - 1), row[t:])
                if m is None:
                    continue
                y = selection_of(road, m, tables)
                if y is None:
                    continue
                extra = road.spend(y) - road.spend(x)
                if (extra > room + 1e-9).any():
                    continue
                gain = road.objective(y) - value
                if gain <= 1e-9 * max(abs(value), 1.0):
                    continue
                ratio = gain / max(float(extra.sum()), 1.0)
                if (found is None or ratio > found[0]) and not _excess(side, y).any():
                    found = (ratio, m, y, gain)
        if found is None:
            break
        levels, x, value = found[1], found[2], value + found[3]
    return levels


def year_one_instance(road: RoadmapInstance, inst: PortfolioInstance) -> PortfolioInstance:
    """The year-one plan instance held to the horizon's first-year limits (budget,
    exits, recruits) and tier step, a prospect's quality scaled by its mean ramp share
    over the horizon (a recruit held for the years is worth that much of a current
    partner)."""
    h = road.horizon
    budget = h.budgets[0]
    ramp = float(np.mean([road.programme.ramp_share(k + 1) for k in range(road.years)]))
    p = np.arange(inst.n_partners) // road.n_levels
    level = np.arange(inst.n_partners) % road.n_levels
    quality = np.where(road.current[p], inst.quality, inst.quality * ramp)
    # the tier step of the first year (the plan has none)
    far = road.current[p] & (np.abs(level - road.today_level[p]) > road.programme.max_step)
    # An exit's transition (a share of its tier's cost in the year it leaves) netted out
    # as the plan nets the exit cost: staying saves it.
    cur = np.flatnonzero(road.current)
    transition = np.zeros(road.n_partners)
    transition[cur] = road.programme.exit_cost_share * road.annual[cur, road.today_level[cur]]
    spare = float(transition.sum())
    return replace(
        inst,
        horizon_years=None,
        cost=inst.cost - transition[p],
        fixed_cost=inst.fixed_cost + spare,
        budget=(inst.budget if budget is None else min(inst.budget + inst.fixed_cost, budget)) - inst.fixed_cost - spare,
        max_exits=h.max_exits[0] if h.max_exits and h.max_exits[0] is not None else inst.max_exits,
        max_recruits=h.max_recruits[0] if h.max_recruits and h.max_recruits[0] is not None
        else inst.max_recruits,
        quality=quality,
        fixed_out=inst.fixed_out | far,
    )


def year_one_start(inst: PortfolioInstance, *, seconds: float, seed: int, moves: int | None,
                   threads: int | None, node_limit: int | None = None, exact: bool = True) -> np.ndarray | None:
    """The year-one plan: the quick plan, then the cut loop from it for ``seconds``
    (``node_limit`` nodes when given; its best plan, proved or not); None when no plan
    keeps every rule."""
    h = greedy_start(inst, time_budget=min(0.5, 0.2 * seconds), seed=seed, moves=moves)
    x = improve_tiers(inst, h.selected) if h.feasible and inst.has_levels else h.selected
    start = x if h.feasible and not violations(inst, x) else None
    if exact and inst.maximize and inst.objective in ("coverage", "weighted_coverage") and not any(
            r.kind == "coverage" for r in inst.rules):
        solved = solve_by_cuts(build_model(inst, drop=("objective_link",)), row_values(inst),
                               time_limit=seconds, gap=YEAR_ONE_GAP, seed=seed, start=start,
                               threads=threads, first_lp="choose", node_limit=node_limit)
        if solved.x is not None and not violations(inst, solved.x):
            return np.asarray(solved.x, dtype=bool)
    return start


def plan_repeated(road: RoadmapInstance, side: MipModel, inst: PortfolioInstance, *, seconds: float,
                  seed: int, moves: int | None = None, threads: int | None = None,
                  node_limit: int | None = None, exact_plan: bool = True) -> np.ndarray | None:
    """The roadmap start (see the module notes): a column selection keeping every row of
    ``side``, or None. ``inst`` is the year-one plan instance; ``seconds`` bounds the
    whole (the year-one plan gets PLAN_SHARE of it). With ``node_limit`` the start does
    not depend on the clock: the year-one plan's search gets that many nodes, the
    improvement IMPROVE_STEPS_FIXED steps. Without ``exact_plan`` the year-one plan is the
    quick plan alone (no cut loop): the quick answer's roadmap."""
    t0 = time.perf_counter()
    until = t0 + seconds if node_limit is None else math.inf
    plan = year_one_start(year_one_instance(road, inst), seconds=PLAN_SHARE * seconds, seed=seed,
                          moves=moves, threads=threads, node_limit=node_limit, exact=exact_plan)
    if plan is None:
        return None
    L = road.n_levels
    level = np.full(road.n_partners, -1, dtype=np.int64)
    on = np.flatnonzero(plan)
    level[on // L] = on % L
    tables = col_tables(road)
    left = until - time.perf_counter()
    levels = _repair(road, side, np.repeat(level[:, None], road.years, axis=1), tables,
                     min(until, time.perf_counter() + max(0.5, 0.5 * left)))
    if levels is None:
        return None
    levels = _improve(road, side, levels, tables, until,
                      IMPROVE_STEPS if node_limit is None else IMPROVE_STEPS_FIXED)
    return selection_of(road, levels, tables)

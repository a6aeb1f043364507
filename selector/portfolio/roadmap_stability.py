"""Finishing a roadmap: the fewest changes from the reference among roadmaps within the
gap tolerance of the best value found (:func:`fewest_roadmap_changes`), as
:mod:`selector.portfolio.stability` does for a one-year plan.

A roadmap's changes are counted in partner-years: each year in which a partner's level
differs from its level in the reference (today's channel, or the reference plan given
to the solve, held in every year). A change made in year ``t`` of ``T`` counts ``T - t``
times, so among roadmaps of equal value the one that changes least, and latest, wins;
ties go to the cheapest over the horizon (discounted). The stage is one MIP over the
whole roadmap model (:func:`~selector.portfolio.roadmap_model.full_model`) with the
value held at or above the floor, started from the roadmap found.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from selector.display import plural
from selector.portfolio.model import MipModel, start_vector
from selector.portfolio.roadmap import ACTIVE, RoadmapInstance
from selector.portfolio.roadmap_model import ROADMAP_GROUPS, full_model, violated_groups
from selector.portfolio.solvers import adapter

__all__ = ["MSG_ROADMAP_STABLE", "fewest_roadmap_changes", "reference_levels", "roadmap_changes"]

MSG_ROADMAP_STABLE = (
    "{undone} from {what} that bought nothing {were} undone; the roadmap keeps "
    "{changes} (a partner-year at another level than in {what}), {how} within {tol:.2g} "
    "of the best value found ({seconds:.1f} s)."
)


def reference_levels(road: RoadmapInstance) -> np.ndarray | None:
    """Per partner: its tier position in the reference plan of the roadmap's year-one
    instance (today's channel by default), -1 out; None without a reference."""
    plan = road.plan
    if plan.reference is None or plan.option_partner is None:
        return None
    out = np.full(road.n_partners, -1, dtype=np.int64)
    on = np.flatnonzero(plan.reference)
    out[on // road.n_levels] = on % road.n_levels
    return out


def _weights(road: RoadmapInstance, ref: np.ndarray) -> tuple[np.ndarray, float]:
    """Per column: what it adds to the count of changed partner-years, and the count's
    constant (every reference partner-year counts until its own level's column is taken)."""
    active = road.col_kind == ACTIVE
    ref_p = ref[road.col_partner]
    w = np.where(active & (ref_p >= 0) & (road.col_level == ref_p), -1.0, 0.0)
    w += np.where(active & (ref_p < 0), 1.0, 0.0)
    return w, float((ref >= 0).sum() * road.years)


def roadmap_changes(road: RoadmapInstance, x: np.ndarray, ref: np.ndarray) -> int:
    """Partner-years of selection ``x`` at another level than the reference ``ref``."""
    return int((road.levels(x) != ref[:, None]).sum())


def fewest_roadmap_changes(
    road: RoadmapInstance,
    side: MipModel,
    x: np.ndarray,
    obj: float,
    *,
    gap: float,
    time_limit: float,
    seed: int,
    threads: int | None,
    solver: str,
    what: str,
    bound: float | None = None,
) -> tuple[np.ndarray, float, str | None]:
    """Second stage of a maximized roadmap: the fewest changed partner-years (see the
    module notes) among roadmaps worth at least ``obj`` less the gap tolerance (and,
    with the ``bound`` proved, within the tolerance of it). Never more changes than
    ``x``, never a value below the floor; ``x`` itself when nothing better is found in
    ``time_limit``."""
    ref = reference_levels(road)
    if ref is None or not road.maximize:
        return x, obj, None
    t0 = time.perf_counter()
    before = roadmap_changes(road, x, ref)
    if before == 0 or time_limit <= 0.2:
        return x, obj, None
    tol = max(gap, 1e-9) * max(abs(obj), 1.0)
    floor = obj - tol
    if bound is not None and bound >= obj:
        floor = min(obj, max(floor, bound - max(gap, 1e-9) * max(abs(bound), 1.0)))
    full = full_model(road)
    time_limit -= time.perf_counter() - t0  # the model's construction counts
    if time_limit <= 0.2:
        return x, obj, None
    w, _ = _weights(road, ref)
    cost = road.col_cost * road.discount_factors[road.col_year]
    w = w + 0.5 * cost / (float(np.abs(cost).sum()) or 1.0)  # ties: the cheaper (less than one change)
    c = np.zeros(full.n_cols)
    c[: full.n_x] = w
    value_row = sp.csc_matrix(full.c.reshape(1, -1))
    stage = MipModel(
        sense="min", c=c, A=sp.csc_matrix(sp.vstack([full.A, value_row])),
        row_lo=np.append(full.row_lo, floor), row_hi=np.append(full.row_hi, np.inf),
        col_lo=full.col_lo, col_hi=full.col_hi, n_x=full.n_x,
        row_group=np.append(full.row_group, ROADMAP_GROUPS.index("objective_link")),
        aux_row=full.aux_row, aux_partner=full.aux_partner,
        row_key=None if full.row_key is None else np.append(full.row_key, -1),
        row_sub=None if full.row_sub is None else np.append(full.row_sub, 0),
    )
    start = start_vector(full, road.flat, np.asarray(x, dtype=bool))
    solved = adapter(solver)(stage, time_limit=time_limit, gap=1e-6, seed=seed, start=start,
                             threads=threads, presolve=True)
    if (solved.x is not None and solved.objective is not None
            and abs(float(w @ solved.x[: full.n_x]) - solved.objective) > 1e-6):
        # HiGHS has been seen to answer its optimum's value with the start's columns
        # (see selector.portfolio.cuts): once more without its presolve.
        solved = adapter(solver)(stage, time_limit=max(0.2, time_limit - (time.perf_counter() - t0)),
                                 gap=1e-6, seed=seed, start=start, threads=threads, presolve=False)
    sel, value = np.asarray(x, dtype=bool), obj
    if solved.x is not None:
        y = np.asarray(solved.x[: road.n_cols], dtype=bool)
        v = road.objective(y)
        if not violated_groups(side, y) and v >= floor and roadmap_changes(road, y, ref) <= before:
            sel, value = y, v
    after = roadmap_changes(road, sel, ref)
    note = MSG_ROADMAP_STABLE.format(
        undone="No change" if before == after else plural(before - after, "changed partner-year"),
        were="was" if before - after <= 1 else "were", what=what,
        changes=plural(after, "change"), tol=max(gap, 1e-9),
        how="the fewest" if solved.state == "optimal" else "the fewest found",
        seconds=time.perf_counter() - t0,
    )
    return sel, value, note

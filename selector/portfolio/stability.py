"""Finishing a plan: the fewest changes from the reference plan (today's channel by
default) among plans within the gap tolerance of the best value found, so that two
what-ifs differ by what the what-if causes, not by solver noise (:func:`fewest_changes`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import scipy.sparse as sp

from selector.display import plural
from selector.portfolio.instance import PortfolioInstance, evaluate, violations
from selector.portfolio.model import GROUPS, MipModel, start_vector
from selector.portfolio.solvers import Solved

__all__ = ["EXACT_UNDO_COLUMNS", "EXACT_UNDO_PARTNERS", "count_changes", "fewest_changes"]

MSG_STABLE = (
    "{undone} from {what} that bought nothing {were} undone; the {changes} left are the "
    "fewest that keep the value within {tol:.2g} of the best found ({seconds:.1f} s)."
)
MSG_STABLE_GREEDY = (
    "{undone} from {what} that bought nothing {were} undone, one partner at a time; the "
    "{changes} left are each needed to keep the value within {tol:.2g} of the best found "
    "({seconds:.1f} s)."
)


def count_changes(inst: PortfolioInstance, x: np.ndarray) -> int:
    """Partners whose level in ``x`` differs from the reference plan's."""
    if inst.reference is None:
        return 0
    sel = np.asarray(x, dtype=bool)
    moved = inst.active_partners(sel & ~inst.reference) | inst.active_partners(inst.reference & ~sel)
    return int(moved.sum())


#: Up to this many model columns, the undo stage searches every plan exactly; above it,
#: only the changed partners, and only when at most EXACT_UNDO_PARTNERS are left.
EXACT_UNDO_COLUMNS = 600
EXACT_UNDO_PARTNERS = 60


def _revert(inst: PortfolioInstance, x: np.ndarray, p: int) -> np.ndarray:
    """``x`` with partner ``p`` back at its reference level (or out)."""
    if not (inst.option_partner is not None and inst.reference is not None):
        raise ValueError("needs a plan instance (selector.portfolio.levels)")
    mine = inst.option_partner == p
    out = np.asarray(x, dtype=bool).copy()
    out[mine] = inst.reference[mine]
    return out


def _undo_greedily(
    inst: PortfolioInstance, x: np.ndarray, floor: float
) -> tuple[np.ndarray, float]:
    """Undo changes one partner at a time, cheapest in value first, while the plan keeps
    every rule and its value stays at or above ``floor``. Deterministic in ``x``."""
    if not (inst.option_partner is not None and inst.reference is not None):
        raise ValueError("needs a plan instance (selector.portfolio.levels)")
    sel = np.asarray(x, dtype=bool).copy()
    moved = np.flatnonzero(
        inst.active_partners(sel & ~inst.reference) | inst.active_partners(inst.reference & ~sel)
    )
    if inst.maximize:
        loss = np.array([-evaluate(inst, _revert(inst, sel, int(p))) for p in moved])
    else:
        loss = np.array([evaluate(inst, _revert(inst, sel, int(p))) for p in moved])
    value = evaluate(inst, sel)
    for k in np.lexsort((moved, loss)):
        trial = _revert(inst, sel, int(moved[k]))
        v = evaluate(inst, trial)
        ok = v >= floor if inst.maximize else v <= floor
        if ok and not violations(inst, trial):
            sel, value = trial, v
    return sel, value


def fewest_changes(
    inst: PortfolioInstance,
    model: MipModel,
    x: np.ndarray,
    obj: float,
    *,
    gap: float,
    time_limit: float,
    seed: int,
    threads: int | None,
    solver: Callable[..., Solved],
    what: str,
    bound: float | None = None,
) -> tuple[np.ndarray, float, str | None]:
    """Second stage: undo the changes from the reference plan (today's channel by
    default) that the value does not need, keeping it within the gap tolerance of
    ``obj``. A greedy pass undoes one partner at a time; when few changes are left, a
    small MIP over the changed partners finds the fewest. Never more changes than
    ``x``, never a value below the tolerance, and the same answer for the same ``x``.
    With the ``bound`` a first stage proved (maximizing), the value also stays within
    the gap tolerance of it, so that a plan proved optimal is still proved so after.
    """
    if inst.reference is None or inst.option_partner is None:
        return x, obj, None
    before = count_changes(inst, x)
    if before == 0:
        return x, obj, None
    t0 = time.perf_counter()
    tol = max(gap, 1e-9) * max(abs(obj), 1.0)
    floor = obj - tol if inst.maximize else obj + tol
    if bound is not None and inst.maximize and bound >= obj:
        floor = min(obj, max(floor, bound - max(gap, 1e-9) * max(abs(bound), 1.0)))
    sel, value = _undo_greedily(inst, x, floor)
    exact = False
    # Small models: the fewest changes over every plan within the tolerance (the same
    # answer whatever plan stage one found). Larger ones: over the changed partners only.
    whole = inst.n_partners <= EXACT_UNDO_COLUMNS
    if (whole or count_changes(inst, sel) <= EXACT_UNDO_PARTNERS) and (
        time_limit - (time.perf_counter() - t0) > 0.2
    ):
        found = _undo_exactly(
            inst, model, sel, floor, seed=seed, threads=threads, solver=solver,
            time_limit=time_limit - (time.perf_counter() - t0), restrict=not whole,
        )
        if found is not None:
            sel, value, exact = found
    after = count_changes(inst, sel)
    note = (MSG_STABLE if exact else MSG_STABLE_GREEDY).format(
        tol=max(gap, 1e-9), what=what, changes=plural(after, "change"),
        undone="No change" if before == after else plural(before - after, "change"),
        were="was" if before - after <= 1 else "were",
        seconds=time.perf_counter() - t0,
    )
    return sel, value, note


def _undo_exactly(
    inst: PortfolioInstance,
    model: MipModel,
    x: np.ndarray,
    floor: float,
    *,
    seed: int,
    threads: int | None,
    solver: Callable[..., Solved],
    time_limit: float,
    restrict: bool,
) -> tuple[np.ndarray, float, bool] | None:
    """The fewest changes among plans with a value at ``floor`` or better, started from
    ``x``. With ``restrict``, only the partners ``x`` changes may move (each keeps its new
    level, returns to its reference one, or leaves when either is "out")."""
    if not (inst.option_partner is not None and inst.reference is not None):
        raise ValueError("needs a plan instance (selector.portfolio.levels)")
    n = inst.n_partners
    sel = np.asarray(x, dtype=bool)
    ref_partner = inst.active_partners(inst.reference)
    # changes = const - sum(y at the reference level) + sum(y of partners out in the reference)
    w = np.where(inst.reference, -1.0, 0.0) + np.where(ref_partner[inst.option_partner], 0.0, 1.0)
    scale = float(np.abs(inst.cost).sum()) or 1.0
    w += 0.5 * inst.cost / scale  # ties: the cheaper plan (adds less than one change)
    c = np.zeros(model.n_cols)
    c[:n] = w
    v1 = start_vector(model, inst, sel)
    row = sp.csc_matrix(model.c.reshape(1, -1))
    lo, hi = (floor, np.inf) if model.sense == "max" else (-np.inf, floor)
    moved = inst.active_partners(sel & ~inst.reference) | inst.active_partners(inst.reference & ~sel)
    free = moved[inst.option_partner] if restrict else np.ones(n, dtype=bool)
    allowed = (sel | inst.reference) if restrict else np.ones(n, dtype=bool)
    col_lo = model.col_lo.copy()
    col_hi = model.col_hi.copy()
    col_hi[:n] = np.where(free, np.minimum(col_hi[:n], allowed), np.minimum(col_hi[:n], sel))
    col_lo[:n] = np.where(free, col_lo[:n], np.maximum(col_lo[:n], sel))
    stage = replace(
        model,
        sense="min",
        c=c,
        A=sp.csc_matrix(sp.vstack([model.A, row])),
        row_lo=np.append(model.row_lo, lo),
        row_hi=np.append(model.row_hi, hi),
        row_group=np.append(model.row_group, GROUPS.index("objective_link")),
        col_lo=col_lo,
        col_hi=col_hi,
        row_key=None if model.row_key is None else np.append(model.row_key, -1),
        row_sub=None if model.row_sub is None else np.append(model.row_sub, 3),
    )
    solved = solver(stage, time_limit=time_limit, gap=1e-6, seed=seed, start=v1, threads=threads)
    x2 = solved.x
    if x2 is None or violations(inst, x2):
        return None
    x2 = np.asarray(x2, dtype=bool)
    value = evaluate(inst, x2)
    if count_changes(inst, x2) > count_changes(inst, sel) or (value < floor if inst.maximize else value > floor):
        return None
    return x2, value, solved.state == "optimal"

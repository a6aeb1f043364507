"""What-ifs answered one after another from what the previous answers left: a
:class:`Session` holds a scenario and answers ``session.solve(changes)`` with exactly
what ``solve(scenario.with_changes(changes))`` would prove, faster.

How a what-if is answered (``result.stats["session"]["answer"]``):

``cached``
    The same changed scenario was answered before (its fingerprint): that answer.
``kept``
    The changed scenario's model is the model of an answer proved optimal with tighter
    or equal rows and bounds, the same objective and the same reference plan, and that
    answer's plan keeps every changed rule (a budget cut it still fits, a partner
    excluded that it leaves out, a quota or count rule it keeps): no plan can be better
    under tighter rules, so it is still proved optimal, with the same bound. No solve.
``floor``
    Only the total budget differs from a what-if answered before, and it is below the
    least budget with which the other rules can hold (:mod:`selector.whatif.budget_floor`,
    one elastic solve per such family of budgets): no portfolio, proved without the
    search; the relaxations reuse what the family's earlier answers proved.
``warm``
    Everything else is solved by :func:`selector.portfolio.solve` with the session's
    :class:`~selector.portfolio.warm.Carry`: the last plan starts the search (repaired
    when it breaks a changed rule), the cut loop starts with every cut the session's
    solves added for the same objective (a cut of the coverage objective holds whatever
    the budget and the partner-side rules), and the answer's status, bound and
    fewest-changes stage are the cold solve's. When the session prepared the budget
    frontier of the what-if's budget family (:meth:`Session.prepare`, while its caller
    was idle; :mod:`selector.whatif.budget_hull`), the solve also starts with the
    frontier's bound (its search stops once a plan is within the gap of it) and from a
    plan mixed from the frontier's plans around the budget when that is worth more.

The session is safe to share between threads (one what-if at a time, behind a lock),
e.g. held in Streamlit's ``st.session_state`` across reruns.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import scipy.sparse as sp

from selector.inputs.scenario import Scenario
from selector.portfolio import PortfolioResult, SolveProgress
from selector.portfolio.instance import PortfolioInstance, evaluate, violations
from selector.portfolio.model import MipModel, build_model
from selector.portfolio.optimizer import solve_resolved
from selector.portfolio.options import DEFAULT_SEED, SolveOptions, resolve_options
from selector.portfolio.reductions import reduce
from selector.portfolio.result import assemble_result
from selector.portfolio.warm import Answer, Carry, layout_key
from selector.whatif.budget_floor import FAMILIES, Floors
from selector.whatif.budget_hull import BudgetHull, side_key

__all__ = ["HELD_ANSWERS", "MSG_KEPT", "Session"]

#: The model compared for ``kept`` answers: the partner-side rows (the objective is
#: compared on the instance's arrays, whose columns do not depend on the exclusions).
OBJECTIVE_ROWS = ("objective_link",)

#: Answers a session keeps (each with its model) to answer a tighter what-if without a
#: solve, and changed scenarios whose results it keeps (the least recently asked go).
HELD_ANSWERS = 8
CACHED_RESULTS = 32
#: The budget ranges :meth:`Session.prepare` settles the frontier over, one after the
#: other: total budgets from this share below the last what-if's up to
#: PREPARE_ABOVE above it.
PREPARE_RINGS = (0.05, 0.1, 0.2)
PREPARE_ABOVE = 0.05
#: Most seconds one priced solve of the frontier may take, and the mixed plan of the
#: two frontier plans around a budget what-if (BudgetHull.mixed_plan).
PRICED_SECONDS = 10.0
MIX_SECONDS = 1.0

MSG_KEPT = (
    "The changed rules only tighten the scenario of an answer proved before, and its plan "
    "keeps every one of them: no plan can be better, so it is still the best (answered "
    "without a new solve)."
)


@dataclass(frozen=True)
class _Held:
    """An answer proved optimal, with the model and instance it was proved on."""

    inst: PortfolioInstance
    model: MipModel
    answer: Answer
    solver: str


def _row_keys(model: MipModel, live: np.ndarray) -> dict[tuple[bytes, bytes], list[int]]:
    """Per distinct row of ``model`` on the ``live`` columns (its columns and
    coefficients there): the rows that have it."""
    a = sp.csr_matrix(model.A @ sp.diags(live.astype(float)))
    a.eliminate_zeros()
    a.sort_indices()
    keys: dict[tuple[bytes, bytes], list[int]] = {}
    for i in range(a.shape[0]):
        lo, hi = a.indptr[i], a.indptr[i + 1]
        keys.setdefault((a.indices[lo:hi].tobytes(), a.data[lo:hi].tobytes()), []).append(i)
    return keys


def _same(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a.shape == b.shape and bool(np.array_equal(a, b))


def _tighter(held: _Held, inst: PortfolioInstance, model: MipModel) -> bool:
    """Whether ``model`` (the partner-side rows of ``inst``) has the held model's
    columns, ``inst`` its objective (coverage, values, qualities, costs) and reference
    plan, and every held row is implied by one of its rows with the same coefficients
    (on the columns not fixed at 0) and bounds at least as tight, or by the column
    bounds alone: its feasible plans are a subset of the held model's."""
    old, was, tol = held.model, held.inst, 1e-9
    if not (model.sense == old.sense and model.n_cols == old.n_cols and _same(model.c, old.c)
            and inst.objective == was.objective and inst.fixed_cost == was.fixed_cost
            and _same(inst.reference, was.reference) and _same(inst.value, was.value)
            and _same(inst.quality, was.quality) and _same(inst.cost, was.cost)
            and _same(inst.partner_ids.astype(str), was.partner_ids.astype(str))
            and inst.cover.shape == was.cover.shape and (inst.cover != was.cover).nnz == 0):
        return False
    if not (np.all(model.col_lo >= old.col_lo - tol) and np.all(model.col_hi <= old.col_hi + tol)):
        return False
    # Columns fixed at 0 now count for nothing in any row (an excluded partner's option
    # can leave a quota row's coefficients as they were, or not); a held row the column
    # bounds alone keep (a tier-2 partner's supply row once it is out) is implied too.
    live = model.col_hi > 0
    a = sp.csr_matrix(old.A @ sp.diags(live.astype(float)))
    low = a.maximum(0) @ model.col_lo + a.minimum(0) @ model.col_hi
    high = a.maximum(0) @ model.col_hi + a.minimum(0) @ model.col_lo
    finite_lo, finite_hi = np.isfinite(old.row_lo), np.isfinite(old.row_hi)
    margin = tol * np.maximum.reduce([np.ones(len(old.row_lo)), np.where(finite_lo, np.abs(old.row_lo), 1.0),
                                      np.where(finite_hi, np.abs(old.row_hi), 1.0)])
    implied = (low >= old.row_lo - margin) & (high <= old.row_hi + margin)
    implied |= _by_name(old, model, a, live, margin)
    if implied.all():
        return True
    new_rows = _row_keys(model, live)
    for key, rows in _row_keys(old, live).items():
        mine = new_rows.get(key, [])
        lo, hi = model.row_lo[mine], model.row_hi[mine]
        for r in rows:
            if implied[r]:
                continue
            if not np.any((lo >= old.row_lo[r] - margin[r]) & (hi <= old.row_hi[r] + margin[r])):
                return False
    return True


def _by_name(old: MipModel, model: MipModel, a: sp.csr_matrix, live: np.ndarray,
             margin: np.ndarray) -> np.ndarray:
    """Per row of ``old`` (``a``: its matrix on the ``live`` columns): whether the row of
    ``model`` with the same name (group, key and sub-row) has the same coefficients on
    those columns and bounds at least as tight, so implies it. Rows without such a row
    are left to the comparison by coefficients."""
    out = np.zeros(a.shape[0], dtype=bool)
    if old.row_key is None or old.row_sub is None or model.row_key is None or model.row_sub is None:
        return out
    names = {k: i for i, k in enumerate(zip(model.row_group.tolist(), model.row_key.tolist(),
                                            model.row_sub.tolist(), strict=True))}
    mine = np.array([names.get(k, -1) for k in zip(old.row_group.tolist(), old.row_key.tolist(),
                                                   old.row_sub.tolist(), strict=True)], dtype=np.int64)
    rows = np.flatnonzero(mine >= 0)
    if len(rows) == 0:
        return out
    b = sp.csr_matrix(model.A @ sp.diags(live.astype(float)))[mine[rows]]
    same = np.asarray((a[rows] != b).getnnz(axis=1)).ravel() == 0
    m = mine[rows]
    tight = (model.row_lo[m] >= old.row_lo[rows] - margin[rows]) & (model.row_hi[m] <= old.row_hi[rows] + margin[rows])
    out[rows] = same & tight
    return out


class Session:
    """A scenario and the what-ifs asked of it, answered from what earlier answers left.

    ``session.solve(changes)`` answers ``scenario.with_changes(changes)`` (``changes``
    as for :meth:`selector.Scenario.with_changes`; None: the scenario itself) with what a
    cold :func:`selector.portfolio.solve` of it proves: the same status semantics, the
    same bound guarantee and the same fewest-changes stage against today's channel. The
    options (keyword-only, as for :func:`~selector.portfolio.solve`) hold for every
    what-if. ``result.stats["session"]`` says how it was answered (see the module) and
    in how many seconds.

    Examples
    --------
    >>> from selector import load_scenario
    >>> session = Session(load_scenario("scenarios/teaching.toml"), time_limit=20)
    >>> base = session.solve()
    >>> cut = session.solve({"budget": {"total": 550_000}})
    >>> cut.status, cut.stats["session"]["answer"] in ("kept", "warm")
    ('optimal', True)
    """

    def __init__(
        self,
        scenario: Scenario,
        *,
        solver: str | None = None,
        time_limit: float | None = None,
        gap: float | None = None,
        seed: int = DEFAULT_SEED,
        threads: int | None = None,
        explain: bool = True,
    ) -> None:
        self.scenario = scenario
        self._kw: dict[str, Any] = {"solver": solver, "time_limit": time_limit, "gap": gap,
                                    "seed": seed, "threads": threads, "explain": explain}
        resolve_options(scenario, **self._kw)  # checked once, where they enter
        self._lock = threading.Lock()
        self._carry = Carry()
        self._held: list[_Held] = []
        self._results: OrderedDict[str, PortfolioResult] = OrderedDict()
        self._floors = Floors(scenario.budget.total)
        self._hulls: OrderedDict[str, BudgetHull] = OrderedDict()
        # the last plan what-if with a budget family: (family, instance, total budget, options)
        self._last: tuple[str, PortfolioInstance, float, SolveOptions] | None = None

    def solve(
        self,
        changes: Mapping[str, Any] | None = None,
        *,
        progress: Callable[[SolveProgress], object] | None = None,
    ) -> PortfolioResult:
        """The answer for the session's scenario with ``changes`` (see the class)."""
        scenario = self.scenario.with_changes(changes) if changes else self.scenario
        return self.solve_scenario(scenario, progress=progress)

    def solve_scenario(
        self, scenario: Scenario, *, progress: Callable[[SolveProgress], object] | None = None
    ) -> PortfolioResult:
        """The answer for ``scenario`` (a variant of the session's, made by the caller)."""
        with self._lock:
            t0 = time.perf_counter()
            key = scenario.fingerprint
            if key in self._results:
                self._results.move_to_end(key)
                return _told(self._results[key], "cached", time.perf_counter() - t0)
            options = resolve_options(scenario, **self._kw)
            inst = reduce(scenario, options)
            model = build_model(inst, drop=OBJECTIVE_ROWS)
            family = self._floors.family(scenario)
            result = self._kept(scenario, inst, model, options, t0)
            how = "kept"
            if result is None:
                result = self._floors.answer(scenario, family, inst, options, t0)
                how = "floor"
            if result is None:
                how = "warm"
                hull = self._hull_for(family, inst)
                if hull is not None:
                    self._carry.bound = hull.bound(inst.budget)
                    self._start_from(hull, inst, model)
                run = replace(options, progress=progress, carry=self._carry)
                try:
                    result = solve_resolved(scenario, run, inst, started=t0)
                finally:
                    self._carry.bound = None
                self._hold(inst, model, options)
            self._floors.seen(family, scenario.budget.total)
            if (family is not None and scenario.budget.total is not None and inst.has_levels
                    and inst.maximize and inst.horizon_years is None and result.plan is not None):
                self._last = (family, inst, float(scenario.budget.total), options)
            result = _told(result, how, time.perf_counter() - t0)
            self._results[key] = result
            while len(self._results) > CACHED_RESULTS:
                self._results.popitem(last=False)
            return result

    def prepare(self, seconds: float, *, stop: Callable[[], bool] | None = None) -> bool:
        """Spend about ``seconds`` (one priced solve may run over, at most
        PRICED_SECONDS) on the budget frontier of the last what-if's budget family
        (:mod:`selector.whatif.budget_hull`), for a caller that is idle: the app between
        a strategist's what-ifs, a script between its own. A later budget what-if of
        the family starts with the frontier's bound and its best plan within the
        budget, and is answered with what a cold solve proves, sooner. The budgets
        refined first are the nearest below the last what-if's (PREPARE_RINGS).
        ``stop``, asked while a priced solve runs, ends it (and the preparing) as soon
        as it answers True: the app's worker asks whether a what-if is waiting. False
        when nothing is left to do (no one-year plan what-if yet, or the frontier
        settled); a roadmap's years are not prepared."""
        with self._lock:
            if self._last is None:
                return False
            family, inst, total, options = self._last
            hull = self._hulls.get(family)
            if hull is None:
                hull = BudgetHull(inst, gap=options.gap, seed=options.seed, threads=options.threads)
                # the session's cuts to start with; the frontier's own go to its copy
                hull.pool = list(self._carry.cuts_for(hull.rv.pool_key))
                self._hulls[family] = hull
                while len(self._hulls) > FAMILIES:
                    self._hulls.popitem(last=False)
            self._hulls.move_to_end(family)
            end = time.perf_counter() + seconds
            high = total * (1.0 + PREPARE_ABOVE) - inst.fixed_cost
            for ring in PREPARE_RINGS:
                low = total * (1.0 - ring) - inst.fixed_cost
                while time.perf_counter() < end and not (stop is not None and stop()):
                    if not hull.step(low, high, PRICED_SECONDS, stop):
                        break
                if time.perf_counter() >= end or (stop is not None and stop()):
                    return True
            return False

    def _hull_for(self, family: str | None, inst: PortfolioInstance) -> BudgetHull | None:
        """The prepared frontier of ``inst``'s budget family, when it holds for it."""
        hull = None if family is None or inst.horizon_years is not None else self._hulls.get(family)
        if hull is None or not hull.points or side_key(inst) != hull.key:
            return None
        return hull

    def _start_from(self, hull: BudgetHull, inst: PortfolioInstance, model: MipModel) -> None:
        """The best of the last plan, the frontier's best plan within ``inst``'s budget
        and its mixed plan (on ``model``, ``inst``'s rows without the objective's)
        becomes the carried start."""
        columns = layout_key(inst.partner_ids, inst.option_level)
        point = hull.best_plan(inst.budget)
        found = [] if point is None else [point.x]
        mixed = hull.mixed_plan(inst, model, MIX_SECONDS)
        if mixed is not None:
            found.append(mixed)
        last = self._carry.start_for(columns)
        if last is not None:
            found.append(last)
        kept = [(evaluate(inst, x), k, x) for k, x in enumerate(found) if not violations(inst, x)]
        if kept:
            self._carry.columns, self._carry.x = columns, max(kept, key=lambda t: (t[0], -t[1]))[2].copy()

    def _kept(
        self, scenario: Scenario, inst: PortfolioInstance, model: MipModel, options: SolveOptions, t0: float
    ) -> PortfolioResult | None:
        """A held answer that still holds for ``scenario`` (see ``kept`` in the module)."""
        for held in reversed(self._held):
            x = held.answer.x
            if x is None or held.solver != options.solver or not _tighter(held, inst, model):
                continue
            if violations(inst, x):
                continue
            a = held.answer
            return assemble_result(
                scenario, inst, status=a.status, x=x, objective=evaluate(inst, x), bound=a.bound,
                solver=options.solver, wall=time.perf_counter() - t0, build=time.perf_counter() - t0,
                explanation=[*a.explanation, MSG_KEPT], heuristic=None, route=a.route,
            )
        return None

    def _hold(self, inst: PortfolioInstance, model: MipModel, options: SolveOptions) -> None:
        """Hold the answer just solved when it is proved optimal (see ``kept``)."""
        answer = self._carry.last
        if answer is None or answer.status != "optimal" or answer.x is None:
            return
        if answer.x.shape != (inst.n_partners,):
            return
        self._held.append(_Held(inst, model, answer, options.solver))
        del self._held[:-HELD_ANSWERS]


def _told(result: PortfolioResult, how: str, seconds: float) -> PortfolioResult:
    """``result`` with how the session answered it, in its ``stats``."""
    return replace(result, stats={**result.stats, "session": {"answer": how, "seconds": seconds}})

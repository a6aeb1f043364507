"""The portfolio optimizer: which partners to select, what it proved, and why.

Model (binary ``x_p``: partner p selected):

* ``weighted_coverage`` (default) -- a segment's value counts at the score of the best
  selected partner covering it (assignment variables ``z_ps <= x_p``, ``sum_p z_ps <= 1``),
  so the AHP weights shape the portfolio;
* ``coverage`` -- a segment's value counts when any selected partner covers it;
* ``min_cost`` -- the cheapest portfolio meeting each segment's required partner count.

Constraints (all from the scenario): total budget and budget pools, must include /
must exclude, conflict pairs, at most k selected partners per segment, at least k for
named or flagged segments, partner-type mix, and the go-to-market rule that a tier-2
partner needs a selected distributor that supplies it.

The model is built as sparse matrices in bulk, after merging segments with identical
coverage, and solved by HiGHS (``highspy``) or by CBC through PuLP, started from the
greedy-plus-local-search portfolio of :mod:`selector.portfolio.heuristics`. A solve never raises
for an infeasible scenario: the status says so and ``explanation`` says why.
"""

from __future__ import annotations

import math
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from selector.errors import ScenarioError, SolverError
from selector.inputs.scenario import Scenario
from selector.portfolio.bounds import submodular_bound
from selector.portfolio.heuristics import HeuristicResult, entry_costs, greedy_portfolio
from selector.portfolio.instance import (
    PortfolioInstance,
    addition_gains,
    build_instance,
    evaluate,
    removal_losses,
    segment_quality,
    violations,
)

__all__ = [
    "SOLVERS",
    "STATUSES",
    "MipModel",
    "PartnerReason",
    "PortfolioResult",
    "build_model",
    "explain_partners",
    "heuristic_solve",
    "partner_quality",
    "solve",
    "to_pulp",
]

SOLVERS = ("highs", "cbc")
STATUSES = ("optimal", "time_limit", "infeasible", "error")
DEFAULT_TIME_LIMIT = 60.0
DEFAULT_GAP = 1e-4
DEFAULT_SEED = 2027

MSG_TIME_NO_SOLUTION = (
    "The solver stopped at the time limit before finding any portfolio that keeps every "
    "rule; allow more time or loosen the rules."
)
MSG_OPTIMAL = "Proved optimal (within the relative gap tolerance {gap:.2g})."
MSG_TIME_LIMIT_NO_BOUND = (
    "Stopped at the {limit:g} s time limit before proving a bound: the portfolio keeps "
    "every rule, but how far it is from the best possible is not known; allow more time."
)
MSG_TIME_LIMIT = (
    "Stopped at the {limit:g} s time limit: the portfolio is within {gap:.2%} of the best "
    "possible (bound {bound:,.0f})."
)


@dataclass(frozen=True)
class PortfolioResult:
    """What the optimizer found and proved.

    ``status`` is one of ``optimal``, ``time_limit`` (stopped by a limit, with a
    portfolio), ``infeasible`` or ``error``; never ``optimal`` when a limit stopped the
    solver. ``gap`` is the relative distance between ``objective`` and ``bound``.
    """

    status: str
    selected: tuple[str, ...]
    objective: float | None
    bound: float | None
    gap: float | None
    cost: float
    budget: float | None
    pools: tuple[tuple[str, float, float], ...]
    coverage: pd.DataFrame
    solver: str
    wall_seconds: float
    build_seconds: float
    objective_kind: str
    scenario: str
    explanation: tuple[str, ...] = ()
    heuristic_objective: float | None = None
    stats: Mapping[str, Any] = field(default_factory=dict)

    @property
    def feasible(self) -> bool:
        return self.status in ("optimal", "time_limit")

    @property
    def covered_value(self) -> float:
        """Segment value reached by at least one selected partner."""
        return float((self.coverage["value"] * (self.coverage["partners"] > 0)).sum())

    @property
    def total_value(self) -> float:
        """Value of every segment of the scenario."""
        return float(self.coverage["value"].sum())

    @property
    def covered_share(self) -> float | None:
        """Share of the segment value reached (None when there is no value)."""
        total = self.total_value
        return self.covered_value / total if total else None

    @property
    def weighted_share(self) -> float | None:
        """Share of the segment value counted at the best selected partner's score."""
        total = self.total_value
        return float(self.coverage["counted_value"].sum()) / total if total else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary (the ``selector solve --json`` output)."""

        def num(v: float | None) -> float | None:
            return None if v is None or not math.isfinite(v) else float(v)

        total_value = self.total_value
        return {
            "scenario": self.scenario,
            "status": self.status,
            "objective_kind": self.objective_kind,
            "selected": list(self.selected),
            "objective": num(self.objective),
            "bound": num(self.bound),
            "gap": num(self.gap),
            "cost": float(self.cost),
            "budget": num(self.budget),
            "pools": [{"pool": k, "used": float(u), "cap": float(c)} for k, u, c in self.pools],
            "covered_value": self.covered_value,
            "total_value": total_value,
            "covered_share": self.covered_share,
            "weighted_share": self.weighted_share,
            "solver": self.solver,
            "wall_seconds": float(self.wall_seconds),
            "build_seconds": float(self.build_seconds),
            "heuristic_objective": num(self.heuristic_objective),
            "explanation": list(self.explanation),
            "stats": {k: (num(v) if isinstance(v, float) else v) for k, v in self.stats.items()},
        }

    def to_frame(self) -> dict[str, pd.DataFrame]:
        """Tables: ``summary``, ``selected``, ``pools``, ``coverage``."""
        d = self.to_dict()
        summary = pd.DataFrame(
            [
                {k: d[k] for k in ("scenario", "status", "objective", "bound", "gap", "cost",
                                   "budget", "covered_value", "total_value", "solver",
                                   "wall_seconds")}
            ]
        )
        pools = pd.DataFrame(d["pools"], columns=["pool", "used", "cap"])
        return {
            "summary": summary,
            "selected": pd.DataFrame({"partner_id": list(self.selected)}),
            "pools": pools,
            "coverage": self.coverage.reset_index(),
        }


@dataclass(frozen=True)
class PartnerReason:
    """Why a partner is in or out of the portfolio."""

    partner_id: str
    selected: bool
    cost: float
    marginal_value: float
    removal_loss: float | None
    entry_budget: float | None
    reason: str


# --- scores --------------------------------------------------------------------------


def partner_quality(scenario: Scenario, scores: Mapping[str, float] | pd.Series | None = None) -> np.ndarray:
    """Per-partner quality (0..1) used by ``weighted_coverage``: given scores, the
    partner table's ``score`` column, or the criteria model's scores."""
    return _quality_and_exit(scenario, scores)[0]


def _quality_and_exit(
    scenario: Scenario, scores: Mapping[str, float] | pd.Series | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Partner quality and the exit-tier mask (when the scenario excludes that tier),
    from one scoring pass."""
    ids = scenario.partners.index
    needs_scores = scenario.objective == "weighted_coverage" and scores is None
    computed = (
        _score_partners(scenario) if needs_scores or scenario.tiers.exclude_exit else None
    )
    if scores is not None:
        series = pd.Series(scores, dtype=float).reindex(ids)
        if series.isna().any():
            missing = list(series.index[series.isna()][:5])
            raise ScenarioError(f"scores missing for partners {', '.join(map(str, missing))}")
        quality = np.asarray(series.to_numpy(dtype=float))
    elif computed is not None and needs_scores:
        quality = np.asarray(computed.score.reindex(ids).to_numpy(dtype=float))
    else:
        quality = np.ones(len(ids))
    exit_mask = None
    if computed is not None and scenario.tiers.exclude_exit:
        exit_mask = np.asarray(computed.tier.reindex(ids) == "exit", dtype=bool)
    return quality, exit_mask


def _score_partners(scenario: Scenario) -> Any:
    from selector.scoring import score_partners

    return score_partners(scenario)


def _instance(
    scenario: Scenario, scores: Mapping[str, float] | pd.Series | None
) -> PortfolioInstance:
    quality, exit_mask = _quality_and_exit(scenario, scores)
    return build_instance(scenario, quality, exclude=exit_mask)


# --- the MIP as matrices ---------------------------------------------------------------


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
)


def build_model(inst: PortfolioInstance, *, drop: Sequence[str] = ()) -> MipModel:
    """Build the MIP of an instance in bulk (no per-element Python loops).

    ``drop`` leaves out whole constraint groups (used to locate infeasibility).
    """
    n = inst.n_partners
    cover = inst.cover
    blocks_r: list[np.ndarray] = []
    blocks_c: list[np.ndarray] = []
    blocks_v: list[np.ndarray] = []
    lo: list[np.ndarray] = []
    hi: list[np.ndarray] = []
    group: list[np.ndarray] = []
    n_rows = 0

    def add(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, r_lo: np.ndarray, r_hi: np.ndarray, name: str) -> None:
        nonlocal n_rows
        blocks_r.append(rows + n_rows)
        blocks_c.append(cols)
        blocks_v.append(vals)
        lo.append(r_lo)
        hi.append(r_hi)
        group.append(np.full(len(r_lo), GROUPS.index(name)))
        n_rows += len(r_lo)

    live = ~inst.fixed_out
    pair_p = np.repeat(np.arange(n), np.diff(cover.indptr))
    pair_r = cover.indices
    c_x = np.zeros(n)
    aux_row = np.zeros(0, dtype=np.int64)
    aux_partner = np.zeros(0, dtype=np.int64)
    n_aux = 0
    if inst.objective == "weighted_coverage":
        keep = live[pair_p] & (inst.value[pair_r] > 0) & (inst.quality[pair_p] > 0)
        zp, zr = pair_p[keep], pair_r[keep]
        n_aux = len(zp)
        aux_row, aux_partner = zr, zp
        z_cols = n + np.arange(n_aux)
        c_aux = inst.value[zr] * inst.quality[zp]
        # sum_p z_ps <= 1 for each segment row
        seg_rows = np.unique(zr)
        seg_index = np.searchsorted(seg_rows, zr)
        add(seg_index, z_cols, np.ones(n_aux), np.full(len(seg_rows), -np.inf), np.ones(len(seg_rows)), "objective_link")
        # z_ps - x_p <= 0
        pair_rows = np.arange(n_aux)
        add(
            np.concatenate([pair_rows, pair_rows]),
            np.concatenate([z_cols, zp]),
            np.concatenate([np.ones(n_aux), -np.ones(n_aux)]),
            np.full(n_aux, -np.inf),
            np.zeros(n_aux),
            "objective_link",
        )
    elif inst.objective == "coverage":
        rows_with_value = np.flatnonzero(inst.value > 0)
        n_aux = len(rows_with_value)
        aux_row = rows_with_value
        aux_partner = np.full(n_aux, -1)
        y_cols = n + np.arange(n_aux)
        c_aux = inst.value[rows_with_value]
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
        )
    else:
        c_x = inst.cost.copy()
        c_aux = np.zeros(0)

    cover_t = cover.T.tocsr()  # rows x partners
    if "requirements" not in drop:
        need = np.flatnonzero(inst.required > 0)
        if len(need):
            sub = cover_t[need].tocoo()
            add(sub.row, sub.col, sub.data.astype(float), inst.required[need].astype(float), np.full(len(need), np.inf), "requirements")
    if "caps" not in drop:
        degree = np.diff(cover_t.indptr)
        capped = np.flatnonzero((inst.cap >= 0) & (inst.cap < degree))
        if len(capped):
            sub = cover_t[capped].tocoo()
            add(sub.row, sub.col, sub.data.astype(float), np.full(len(capped), -np.inf), inst.cap[capped].astype(float), "caps")
    if "budget" not in drop and math.isfinite(inst.budget):
        cols = np.flatnonzero(live & (inst.cost > 0))
        add(np.zeros(len(cols), dtype=np.int64), cols, inst.cost[cols], np.array([-np.inf]), np.array([inst.budget]), "budget")
    if "pools" not in drop:
        for _key, mask, cap in inst.pools:
            cols = np.flatnonzero(mask & live & (inst.cost > 0))
            add(np.zeros(len(cols), dtype=np.int64), cols, inst.cost[cols], np.array([-np.inf]), np.array([cap]), "pools")
    if "conflicts" not in drop and len(inst.conflicts):
        k = len(inst.conflicts)
        add(
            np.repeat(np.arange(k), 2),
            inst.conflicts.ravel(),
            np.ones(2 * k),
            np.full(k, -np.inf),
            np.ones(k),
            "conflicts",
        )
    if "type_mix" not in drop:
        for _t, mask, t_lo, t_hi in inst.type_mix:
            cols = np.flatnonzero(mask)
            add(
                np.zeros(len(cols), dtype=np.int64),
                cols,
                np.ones(len(cols)),
                np.array([-np.inf if t_lo is None else float(t_lo)]),
                np.array([np.inf if t_hi is None else float(t_hi)]),
                "type_mix",
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
        )

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
    # Rows without entries that 0 satisfies say nothing (a budget over no partner);
    # CBC mishandles them. Empty rows that 0 breaks (a required segment nobody
    # covers) stay: they make the model infeasible, as it is.
    empty = np.diff(A.tocsr().indptr) == 0
    idle = empty & (row_lo <= 0) & (row_hi >= 0)
    if idle.any():
        keep_rows = ~idle
        A = sp.csc_matrix(A.tocsr()[keep_rows])
        row_lo, row_hi, row_group = row_lo[keep_rows], row_hi[keep_rows], row_group[keep_rows]
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
    )


def _start_vector(model: MipModel, inst: PortfolioInstance, x: np.ndarray) -> np.ndarray:
    """A full column vector for a selection: auxiliaries set consistently."""
    v = np.zeros(model.n_cols)
    v[: model.n_x] = x.astype(float)
    n_aux = model.n_cols - model.n_x
    if n_aux == 0:
        return v
    if inst.objective == "coverage":
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


# --- solving ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Solved:
    state: str  # optimal | time_limit | infeasible | no_solution | error
    x: np.ndarray | None
    objective: float | None
    bound: float | None
    message: str = ""


def _quiet_highs(highspy: Any) -> Any:
    """A HiGHS instance whose start-up banner does not reach stdout (it would corrupt
    ``--json`` output): the banner is written by C++ on the first construction."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError):
        h = highspy.Highs()
    else:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 1)
            h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(devnull)
    h.setOptionValue("output_flag", False)
    return h


def _solve_highs(
    model: MipModel,
    *,
    time_limit: float,
    gap: float,
    seed: int,
    start: np.ndarray | None,
    threads: int | None,
    presolve: str = "off",
) -> _Solved:
    import highspy

    h = _quiet_highs(highspy)
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", float(gap))
    h.setOptionValue("random_seed", int(seed) % 2_147_483_647)
    if threads is not None:
        h.setOptionValue("threads", int(threads))
    # HiGHS presolve was seen spending the whole time limit on these coverage models
    # (10 s on the 604-partner vendor scenario) for little reduction; the model is
    # already reduced (merged segments, fixed partners) before it gets here.
    h.setOptionValue("presolve", presolve)
    lp = highspy.HighsLp()
    lp.num_col_ = model.n_cols
    lp.num_row_ = int(model.A.shape[0])
    lp.col_cost_ = model.c
    lp.col_lower_ = model.col_lo
    lp.col_upper_ = model.col_hi
    inf = highspy.kHighsInf
    lp.row_lower_ = np.where(np.isinf(model.row_lo), -inf, model.row_lo)
    lp.row_upper_ = np.where(np.isinf(model.row_hi), inf, model.row_hi)
    lp.sense_ = highspy.ObjSense.kMaximize if model.sense == "max" else highspy.ObjSense.kMinimize
    A = model.A
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data.astype(float)
    lp.a_matrix_.num_col_ = model.n_cols
    lp.a_matrix_.num_row_ = lp.num_row_
    lp.integrality_ = [highspy.HighsVarType.kInteger] * model.n_x + [
        highspy.HighsVarType.kContinuous
    ] * (model.n_cols - model.n_x)
    status = h.passModel(lp)
    if status == highspy.HighsStatus.kError:
        return _Solved("error", None, None, None, "HiGHS rejected the model")
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = list(start)
        sol.value_valid = True
        h.setSolution(sol)
    h.HandleUserInterrupt = True
    # HiGHS has been seen to overrun its own time limit: guard it from outside too.
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["status"] = h.run()
        except Exception as exc:
            result["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=time_limit)
    if worker.is_alive():
        h.cancelSolve()
        worker.join(timeout=1.0)
        if worker.is_alive():
            # Still deaf to the interrupt: leave the daemon thread and answer without it.
            return _Solved("no_solution", None, None, None, "HiGHS did not stop at its time limit")
    if "error" in result:
        raise SolverError(f"HiGHS failed: {result['error']}")
    ms = h.getModelStatus()
    info = h.getInfo()
    MS = highspy.HighsModelStatus
    has_solution = int(info.primal_solution_status) == 2
    x = None
    obj = None
    if has_solution:
        values = np.asarray(h.getSolution().col_value)
        x = values[: model.n_x] > 0.5
        obj = float(info.objective_function_value)
    bound = float(info.mip_dual_bound) if math.isfinite(info.mip_dual_bound) else None
    if ms == MS.kOptimal:
        return _Solved("optimal", x, obj, bound if bound is not None else obj)
    if ms in (MS.kInfeasible, MS.kUnboundedOrInfeasible):
        return _Solved("infeasible", None, None, None)
    if ms in (MS.kTimeLimit, MS.kInterrupt, MS.kIterationLimit, MS.kSolutionLimit, MS.kObjectiveBound, MS.kObjectiveTarget):
        return _Solved("time_limit" if has_solution else "no_solution", x, obj, bound)
    return _Solved("error", x, obj, bound, f"HiGHS ended with status {h.modelStatusToString(ms)}")


def to_pulp(model: MipModel, *, name: str = "portfolio") -> tuple[Any, list[Any]]:
    """The same model as a PuLP problem (for analysts and the CBC path).

    Returns the problem and its variables (the first ``model.n_x`` are the partners').
    """
    import pulp

    sense = pulp.LpMaximize if model.sense == "max" else pulp.LpMinimize
    prob = pulp.LpProblem(re.sub(r"\W", "_", name) or "portfolio", sense)
    # PuLP 3.3 deprecates constructing LpVariable directly; 4.x needs prob.add_variable.
    make = getattr(prob, "add_variable", None)

    def var(name: str, lo: float, hi: float, cat: str) -> Any:
        if make is not None:
            return make(name, lowBound=lo, upBound=hi, cat=cat)
        return pulp.LpVariable(name, lowBound=lo, upBound=hi, cat=cat)

    xs = [
        var(f"x{j}", float(model.col_lo[j]), float(model.col_hi[j]), pulp.LpInteger)
        for j in range(model.n_x)
    ]
    aux = [var(f"a{j}", 0.0, 1.0, pulp.LpContinuous) for j in range(model.n_cols - model.n_x)]
    variables = xs + aux
    nz = np.flatnonzero(model.c)
    prob += pulp.LpAffineExpression([(variables[j], float(model.c[j])) for j in nz])
    A = model.A.tocsr()
    for i in range(A.shape[0]):
        cols = A.indices[A.indptr[i] : A.indptr[i + 1]]
        vals = A.data[A.indptr[i] : A.indptr[i + 1]]
        expr = pulp.LpAffineExpression([(variables[j], float(v)) for j, v in zip(cols, vals, strict=True)])
        lo, hi = model.row_lo[i], model.row_hi[i]
        if math.isfinite(lo) and math.isfinite(hi) and lo == hi:
            prob += expr == float(lo), f"r{i}"
        else:
            if math.isfinite(hi):
                prob += expr <= float(hi), f"r{i}_hi"
            if math.isfinite(lo):
                prob += expr >= float(lo), f"r{i}_lo"
    return prob, variables


_CBC_RESULT = re.compile(r"^Result - (.*)$", re.M)
_CBC_OBJ = re.compile(r"^Objective value:\s+(\S+)", re.M)
_CBC_BOUND = re.compile(r"^(?:Lower|Upper) bound:\s+(\S+)", re.M)


def _cbc_path() -> str | None:
    """The CBC binary: PuLP 3's bundled one, else ``cbc`` on the PATH (PuLP 4 with
    ``pulp[cbc]`` installs it there)."""
    import shutil

    try:
        from pulp.apis import coin_api
    except ImportError:  # pragma: no cover - layout of another PuLP release
        coin_api = None
    bundled = getattr(coin_api, "pulp_cbc_path", None)
    if bundled and os.path.exists(bundled):
        return str(bundled)
    found = shutil.which("cbc")
    if found is None:
        raise SolverError("CBC is not installed: pip install 'pulp[cbc]' or use solver='highs'")
    return found


def _solve_cbc(
    model: MipModel,
    *,
    time_limit: float,
    gap: float,
    seed: int,
    start: np.ndarray | None,
    threads: int | None,
) -> _Solved:
    import pulp

    prob, variables = to_pulp(model)
    if start is not None:
        for var, value in zip(variables, np.clip(start, 0.0, 1.0), strict=True):
            var.setInitialValue(float(round(value)) if var.cat != pulp.LpContinuous else float(value))
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "cbc.log"
        solver = pulp.COIN_CMD(
            path=_cbc_path(),
            msg=False,
            timeLimit=float(time_limit),
            gapRel=float(gap),
            warmStart=start is not None,
            threads=threads,
            logPath=str(log),
            options=[f"randomCbcSeed {max(1, int(seed) % 2_147_483_647)}"],
        )
        try:
            prob.solve(solver)
        except pulp.PulpSolverError as exc:
            raise SolverError(f"CBC failed: {exc}") from None
        text = log.read_text(errors="replace") if log.exists() else ""
    result = _CBC_RESULT.search(text)
    state_text = result.group(1).strip().lower() if result else ""
    sol_status = int(getattr(prob, "sol_status", 0))
    values = np.array([v.varValue if v.varValue is not None else 0.0 for v in variables[: model.n_x]])
    x = values > 0.5
    obj_m = _CBC_OBJ.search(text)
    obj = float(obj_m.group(1)) if obj_m else None
    bound_m = _CBC_BOUND.search(text)
    bound = float(bound_m.group(1)) if bound_m else None
    if "infeasible" in state_text or pulp.LpStatus.get(prob.status) == "Infeasible":
        return _Solved("infeasible", None, None, None)
    if "optimal" in state_text and sol_status == 1:
        return _Solved("optimal", x, obj, obj if bound is None else bound)
    if sol_status in (1, 2) or ("stopped" in state_text and sol_status != 0):
        return _Solved("time_limit", x, obj, bound)
    if sol_status == 0 or "stopped" in state_text:
        # PuLP reports the LP relaxation's value here: it is not a portfolio.
        return _Solved("no_solution", None, None, bound)
    return _Solved("error", None, None, None, f"CBC ended with '{state_text or 'no result line'}'")


def _solve_unconstrained(
    model: MipModel,
    *,
    time_limit: float,
    gap: float,
    seed: int,
    start: np.ndarray | None,
    threads: int | None,
) -> _Solved:
    """A model without constraint rows: every column at its best bound (exact)."""
    del time_limit, gap, seed, start, threads
    better = model.c > 0 if model.sense == "max" else model.c < 0
    v = np.where(better, model.col_hi, model.col_lo)
    obj = float(model.c @ v)
    return _Solved("optimal", v[: model.n_x] > 0.5, obj, obj)


def _relative_gap(objective: float, bound: float, sense: str) -> float:
    diff = (bound - objective) if sense == "max" else (objective - bound)
    return max(0.0, diff) / max(abs(objective), abs(bound), 1e-9)


def _requirement_cover(inst: PortfolioInstance, *, time_limit: float, seed: int) -> np.ndarray | None:
    """The cheapest portfolio meeting the segment requirements under every rule, found
    by a short HiGHS run; the greedy then spends the rest of the budget from there.
    None when there are no requirements or no such portfolio was found in time."""
    if not inst.maximize or not inst.required.any():
        return None
    from dataclasses import replace

    model = build_model(replace(inst, objective="min_cost"))
    found = _solve_highs(model, time_limit=time_limit, gap=0.02, seed=seed, start=None, threads=1)
    return found.x if found.state in ("optimal", "time_limit") else None


def _heuristic(
    inst: PortfolioInstance, *, time_budget: float, seed: int, moves: int | None = None
) -> HeuristicResult:
    # With a move count the cover gets time enough to finish (a solve that ends by
    # itself is deterministic); with a time budget it gets a share of it.
    cover_time = max(0.2, time_budget) if moves is None else 30.0
    start = _requirement_cover(inst, time_limit=cover_time, seed=seed)
    h = greedy_portfolio(inst, time_budget=time_budget, seed=seed, start=start, moves=moves)
    if start is not None and not h.feasible:
        h = greedy_portfolio(inst, time_budget=time_budget, seed=seed, moves=moves)
    return h


def heuristic_solve(
    scenario: Scenario,
    *,
    scores: Mapping[str, float] | pd.Series | None = None,
    time_budget: float = 0.5,
    seed: int = DEFAULT_SEED,
    moves: int | None = None,
) -> PortfolioResult:
    """The greedy-plus-local-search portfolio alone (instant; no proof).

    ``time_budget`` bounds the local search in seconds; ``moves`` bounds it by a count
    of drop-and-refill trials instead, so that the portfolio depends only on the input
    and ``seed`` (for reproducible Monte Carlo runs on busy machines).

    Its ``status`` is ``time_limit`` (a portfolio without an optimality proof, ``bound``
    None) or ``infeasible`` when it found no portfolio keeping every rule (which does
    not prove that none exists).
    """
    t0 = time.perf_counter()
    inst = _instance(scenario, scores)
    build = time.perf_counter() - t0
    h = _heuristic(inst, time_budget=time_budget, seed=seed, moves=moves)
    bound = submodular_bound(inst, h.selected) if h.feasible else None
    explanation = [
        "Greedy portfolio with local search: a good answer, not a proven optimum"
        + ("." if bound is None else f"; the best possible is at most {bound:,.0f}.")
    ]
    if not h.feasible:
        explanation.append("The heuristic found no portfolio keeping every rule: " + "; ".join(h.problems) + ".")
    return _result(
        scenario,
        inst,
        status="time_limit" if h.feasible else "infeasible",
        x=h.selected if h.feasible else None,
        objective=h.objective if h.feasible else None,
        bound=bound,
        solver="greedy",
        wall=time.perf_counter() - t0,
        build=build,
        explanation=explanation,
        heuristic=h,
    )


def solve(
    scenario: Scenario,
    *,
    solver: str | None = None,
    time_limit: float | None = None,
    gap: float | None = None,
    seed: int = DEFAULT_SEED,
    scores: Mapping[str, float] | pd.Series | None = None,
    warm_start: bool = True,
    threads: int | None = None,
    explain: bool = True,
    start: Sequence[str] | None = None,
) -> PortfolioResult:
    """Choose the partner portfolio.

    Parameters
    ----------
    scenario
        A loaded scenario (:func:`selector.load_scenario`).
    solver
        ``"highs"`` (default) or ``"cbc"``; defaults to the scenario's ``[solve]``.
    time_limit
        Seconds the solver may run (default: scenario's, else 60).
    gap
        Relative optimality gap at which to stop (default: scenario's, else 1e-4).
    seed
        Solver random seed: the same input and seed give the same portfolio.
    scores
        Partner scores (0..1) to use instead of the criteria model's.
    warm_start
        Start the solver from the heuristic portfolio.
    explain
        For infeasible scenarios, search for the rules that conflict (extra solves).
    start
        Partner ids of a known portfolio (e.g. the previous point of a budget frontier);
        used as the solver's starting point when it keeps every rule and beats the
        heuristic's.

    Returns
    -------
    PortfolioResult
        Never raises for infeasibility: see ``status`` and ``explanation``.

    Examples
    --------
    >>> from selector import load_scenario, solve
    >>> r = solve(load_scenario("scenarios/teaching.toml"))  # doctest: +SKIP
    >>> r.status, r.selected  # doctest: +SKIP
    """
    opts = dict(scenario.solve_options)
    solver = solver or opts.get("solver", "highs")
    if solver not in SOLVERS:
        raise ScenarioError(f"solver {solver!r} is not known; accepted: {', '.join(SOLVERS)}")
    time_limit = float(time_limit if time_limit is not None else opts.get("time_limit", DEFAULT_TIME_LIMIT))
    gap = float(gap if gap is not None else opts.get("gap", DEFAULT_GAP))
    if time_limit <= 0 or gap < 0:
        raise ScenarioError(f"time_limit must be > 0 and gap >= 0 (got {time_limit}, {gap})")
    t0 = time.perf_counter()
    inst = _instance(scenario, scores)
    # The start matters most where the solver is slow: give the search a share of the time.
    budget = min(5.0, max(0.5, 0.15 * time_limit), time_limit / 4)
    heuristic = _heuristic(inst, time_budget=budget, seed=seed) if warm_start else None
    if start is not None:
        unknown = sorted(set(start) - set(map(str, inst.partner_ids)))
        if unknown:
            raise ScenarioError(f"start portfolio names unknown partners: {', '.join(unknown[:5])}")
        given = np.isin(inst.partner_ids.astype(str), list(start))
        if not violations(inst, given) and (
            heuristic is None or not heuristic.feasible
            or (evaluate(inst, given) > heuristic.objective) == inst.maximize
        ):
            heuristic = HeuristicResult(given, evaluate(inst, given), True, 0.0)
    model = build_model(inst)
    build = time.perf_counter() - t0
    # Keep a margin for the guard and for reading the result back: the caller's limit
    # is on the whole call, not only on the solver.
    remaining = max(0.05, time_limit - build - min(2.0, 1.0 + 0.01 * time_limit))
    first = _start_vector(model, inst, heuristic.selected) if heuristic is not None and heuristic.feasible else None
    run = _solve_highs if solver == "highs" else _solve_cbc
    if model.A.shape[0] == 0:
        run = _solve_unconstrained
    solved = run(model, time_limit=remaining, gap=gap, seed=seed, start=first, threads=threads)
    wall = time.perf_counter() - t0

    if solved.state == "infeasible":
        explanation = explain_infeasible(scenario, inst) if explain else ["The rules cannot all be met."]
        return _result(scenario, inst, status="infeasible", x=None, objective=None, bound=None,
                       solver=solver, wall=wall, build=build, explanation=explanation, heuristic=heuristic)
    if solved.state == "error":
        return _result(scenario, inst, status="error", x=None, objective=None, bound=None,
                       solver=solver, wall=wall, build=build,
                       explanation=[solved.message or "The solver failed."], heuristic=heuristic)
    x, obj = solved.x, solved.objective
    if x is not None:
        obj = evaluate(inst, x)
        if violations(inst, x):
            x, obj = None, None
    # Keep the better of the solver's incumbent and the heuristic start.
    if heuristic is not None and heuristic.feasible and (
        obj is None
        or (inst.maximize and heuristic.objective > obj)
        or (not inst.maximize and heuristic.objective < obj)
    ):
        x, obj = heuristic.selected, heuristic.objective
    if x is None or obj is None:
        return _result(scenario, inst, status="error", x=None, objective=None, bound=solved.bound,
                       solver=solver, wall=wall, build=build,
                       explanation=[MSG_TIME_NO_SOLUTION], heuristic=heuristic)
    bound = _sane_bound(solved.bound, obj, inst)
    quick = submodular_bound(inst, x)
    if quick is not None and (bound is None or quick < bound):
        bound = max(quick, obj)
    rel = _relative_gap(obj, bound, model.sense) if bound is not None else None
    status = "optimal" if solved.state == "optimal" and (rel is None or rel <= max(gap, 1e-9) * 1.0001) else "time_limit"
    if status == "optimal":
        explanation = [MSG_OPTIMAL.format(gap=gap)]
    elif bound is None or rel is None:
        explanation = [MSG_TIME_LIMIT_NO_BOUND.format(limit=time_limit)]
    else:
        explanation = [MSG_TIME_LIMIT.format(limit=time_limit, gap=rel, bound=bound)]
    return _result(scenario, inst, status=status, x=x, objective=obj, bound=bound, solver=solver,
                   wall=wall, build=build, explanation=explanation, heuristic=heuristic)


def _sane_bound(bound: float | None, objective: float, inst: PortfolioInstance) -> float | None:
    """Read the solver's bound defensively: a sign flip and a bound on the wrong side
    of the incumbent have both been seen through solver interfaces."""
    if bound is None or not math.isfinite(bound):
        return None
    if inst.maximize:
        if bound < objective - 1e-6 * max(1.0, abs(objective)) and -bound >= objective:
            bound = -bound
        return max(bound, objective)
    return min(bound, objective)


def _result(
    scenario: Scenario,
    inst: PortfolioInstance,
    *,
    status: str,
    x: np.ndarray | None,
    objective: float | None,
    bound: float | None,
    solver: str,
    wall: float,
    build: float,
    explanation: Sequence[str],
    heuristic: HeuristicResult | None,
) -> PortfolioResult:
    sel = np.zeros(inst.n_partners, dtype=bool) if x is None else np.asarray(x, dtype=bool)
    ids = inst.partner_ids
    cost = float(inst.cost[sel].sum())
    pools = tuple((key, float(inst.cost[sel & mask].sum()), cap) for key, mask, cap in inst.pools)
    # Coverage per original segment.
    seg = scenario.segments
    cover = scenario.coverage_matrix
    counts = np.asarray(cover.T @ sel.astype(np.int64)).ravel()
    best = np.zeros(len(seg))
    cov = cover.tocsc()
    rows = np.repeat(np.arange(cov.shape[1]), np.diff(cov.indptr))
    on = sel[cov.indices]
    np.maximum.at(best, rows[on], inst.quality[cov.indices[on]])
    coverage = pd.DataFrame(
        {
            "region": seg["region"].to_numpy(),
            "industry": seg["industry"].to_numpy(),
            "size": seg["size"].to_numpy(),
            "named": seg["named"].to_numpy(),
            "value": seg["value"].to_numpy(dtype=float),
            "partners": counts,
            "fraction": best if inst.objective == "weighted_coverage" else (counts > 0).astype(float),
        },
        index=seg.index,
    )
    coverage["counted_value"] = coverage["value"] * coverage["fraction"]
    stats = {
        "partners": inst.n_partners,
        "segments": len(seg),
        "segment_rows_after_merge": inst.n_rows,
        "partners_fixed_out": int(inst.fixed_out.sum()),
        "heuristic_seconds": None if heuristic is None else heuristic.seconds,
    }
    notes = list(explanation)
    if inst.fixed_out.any() and status != "infeasible":
        notes.append(f"{int(inst.fixed_out.sum())} partner(s) could not be selected (see explain_partners).")
    return PortfolioResult(
        status=status,
        selected=tuple(sorted(str(i) for i in ids[sel])),
        objective=objective,
        bound=bound,
        gap=None if objective is None or bound is None else _relative_gap(objective, bound, "max" if inst.maximize else "min"),
        cost=cost,
        budget=None if not math.isfinite(inst.budget) else inst.budget,
        pools=pools,
        coverage=coverage,
        solver=solver,
        wall_seconds=wall,
        build_seconds=build,
        objective_kind=inst.objective,
        scenario=scenario.name,
        explanation=tuple(notes),
        heuristic_objective=None if heuristic is None or not heuristic.feasible else heuristic.objective,
        stats=stats,
    )


# --- explanations ------------------------------------------------------------------------

GROUP_WORDS = {
    "budget": "the total budget",
    "pools": "the budget pools",
    "requirements": "the minimum partners per segment (named accounts / min_partners)",
    "caps": "the cap on partners per segment",
    "conflicts": "the conflict pairs",
    "type_mix": "the partner-type mix",
    "supply": "the rule that tier-2 partners need a selected distributor",
    "must_include": "the must-include list",
}


def explain_infeasible(scenario: Scenario, inst: PortfolioInstance) -> list[str]:
    """Sentences a strategist can act on: obvious causes first, then which groups of
    rules conflict (found by dropping one group at a time and re-solving)."""
    out: list[str] = []
    ids = inst.partner_ids
    must_cost = float(inst.cost[inst.fixed_in].sum())
    if must_cost > inst.budget:
        out.append(f"Must-include partners cost {must_cost:,.0f}, above the {inst.budget:,.0f} budget.")
    for key, mask, cap in inst.pools:
        used = float(inst.cost[inst.fixed_in & mask].sum())
        if used > cap:
            out.append(f"Must-include partners in pool {key} cost {used:,.0f}, above its cap {cap:,.0f}.")
    for a, b in inst.conflicts:
        if inst.fixed_in[a] and inst.fixed_in[b]:
            out.append(f"{ids[a]} and {ids[b]} are both must-include but are declared in conflict.")
    available = np.asarray(inst.cover.T @ (~inst.fixed_out).astype(np.int64)).ravel()
    seg_ids = np.asarray(scenario.segments.index)
    short = np.flatnonzero(available < inst.required)
    for r in short[:5]:
        members = seg_ids[inst.row_of_segment == r]
        who = members[0] if len(members) == 1 else f"{members[0]} (and {len(members) - 1} like it)"
        out.append(
            f"Segment {who} needs {inst.required[r]} partners, only {available[r]} available partner(s) cover it."
        )
    if len(short) > 5:
        out.append(f"... and {len(short) - 5} more segment group(s) like that.")
    contradict = np.flatnonzero((inst.cap >= 0) & (inst.required > inst.cap))
    for r in contradict[:3]:
        members = seg_ids[inst.row_of_segment == r]
        out.append(f"Segment {members[0]} needs {inst.required[r]} partners but allows at most {inst.cap[r]}.")
    for t, mask, lo, _hi in inst.type_mix:
        avail = int((mask & ~inst.fixed_out).sum())
        if lo is not None and lo > avail:
            out.append(f"The mix asks for at least {lo} {t} partner(s); only {avail} can be selected.")
    if inst.suppliers is not None:
        supplied = np.asarray(inst.suppliers @ (~inst.fixed_out).astype(np.int64)).ravel() > 0
        stuck = np.flatnonzero(inst.fixed_in & (inst.gtm_tier == 2) & ~supplied)
        for p in stuck[:3]:
            out.append(f"Must-include {ids[p]} is tier-2 but every distributor supplying it is excluded.")
    if out:
        return out
    # No obvious cause: relax one group at a time.
    relaxing: list[str] = []
    for group in ("budget", "pools", "requirements", "caps", "conflicts", "type_mix", "supply", "must_include"):
        model = build_model(inst, drop=(group,))
        trial = _solve_highs(model, time_limit=5.0, gap=1.0, seed=0, start=None, threads=1)
        if trial.state in ("optimal", "time_limit"):
            relaxing.append(GROUP_WORDS[group])
    if relaxing:
        out.append(
            "The rules conflict; the scenario becomes feasible when any one of these is relaxed: "
            + "; ".join(relaxing)
            + "."
        )
    else:
        out.append("The rules conflict in combination: no single group of rules, relaxed alone, makes the scenario feasible.")
    return out


def explain_partners(
    scenario: Scenario,
    result: PortfolioResult,
    *,
    scores: Mapping[str, float] | pd.Series | None = None,
) -> pd.DataFrame:
    """Why each partner is in or out.

    Columns: ``selected``, ``cost``, ``marginal_value`` (for a selected partner, the
    objective lost if it alone were removed, others kept; for an excluded one, the
    objective gained if it alone were added), ``entry_budget`` (for an excluded
    partner: the total budget at which greedy extension of this portfolio first adds
    it -- an estimate, not a proof), and ``reason`` in words.
    """
    inst = _instance(scenario, scores)
    ids = inst.partner_ids
    sel = np.isin(ids, list(result.selected))
    base = evaluate(inst, sel)
    reasons = dict(inst.out_reason)
    # Gain if added (excluded partners) and loss if removed (selected ones), all at once;
    # a selected distributor is re-evaluated whole, as it takes the partners it alone
    # supplies with it.
    if inst.maximize:
        marginal = np.where(sel, removal_losses(inst, sel), addition_gains(inst, sel))
        if inst.suppliers is not None:
            for d in np.flatnonzero(sel & (inst.gtm_tier == 1)):
                trial = sel.copy()
                trial[d] = False
                fed = np.asarray(inst.suppliers @ trial.astype(np.int64)).ravel() > 0
                trial &= (inst.gtm_tier == 1) | fed
                marginal[d] = base - evaluate(inst, trial)
    else:
        marginal = np.where(sel, -inst.cost, 0.0)
    entry = entry_costs(inst, sel) if inst.maximize else np.full(inst.n_partners, np.inf)
    conflicts: dict[int, list[int]] = {}
    for a, b in inst.conflicts:
        conflicts.setdefault(int(a), []).append(int(b))
        conflicts.setdefault(int(b), []).append(int(a))
    words: list[str] = []
    for p in range(inst.n_partners):
        pid = str(ids[p])
        if sel[p]:
            if inst.fixed_in[p]:
                words.append("must include")
            elif inst.maximize:
                words.append(f"adds {marginal[p]:,.0f} that no other selected partner replaces")
            else:
                words.append("needed to meet the segment requirements")
        elif pid in reasons:
            words.append(reasons[pid])
        elif any(sel[q] for q in conflicts.get(p, [])):
            other = next(str(ids[q]) for q in conflicts[p] if sel[q])
            words.append(f"in conflict with selected {other}")
        elif inst.maximize and marginal[p] <= 1e-9:
            words.append("adds nothing the portfolio does not already cover as well")
        elif math.isfinite(entry[p]):
            words.append(f"would enter at a budget of about {entry[p]:,.0f}")
        else:
            words.append("less value per cost than the selected partners")
    return pd.DataFrame(
        {
            "name": scenario.partners["name"].to_numpy(),
            "type": inst.types,
            "selected": sel,
            "cost": inst.cost,
            "marginal_value": marginal,
            "entry_budget": np.where(sel, np.nan, entry),
            "reason": words,
        },
        index=pd.Index(ids, name="partner_id"),
    )

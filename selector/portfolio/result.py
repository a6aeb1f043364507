"""What the optimizer answers: the portfolio, what was proved, and why a partner is in or out.

:class:`PortfolioResult` is returned by :func:`selector.portfolio.solve` and
:func:`selector.portfolio.heuristic_solve`; it serialises to the ``selector solve --json``
contract (:meth:`PortfolioResult.to_dict`) and to tables (:meth:`PortfolioResult.to_frame`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from selector.display import plural
from selector.inputs.scenario import Scenario
from selector.portfolio.heuristics import HeuristicResult
from selector.portfolio.instance import PortfolioInstance, rule_status
from selector.portfolio.plan import build_plan
from selector.portfolio.relax import Relaxation
from selector.portfolio.roadmap import RoadmapInstance
from selector.portfolio.roadmap_tables import roadmap_tables

__all__ = ["PartnerReason", "PortfolioResult", "assemble_result", "relative_gap"]


def relative_gap(objective: float, bound: float, sense: str) -> float:
    """How far ``objective`` is from ``bound``, relative to the larger of the two."""
    diff = (bound - objective) if sense == "max" else (objective - bound)
    return max(0.0, diff) / max(abs(objective), abs(bound), 1e-9)


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
    plan: pd.DataFrame | None = None
    plan_summary: Mapping[str, Any] | None = None
    # Each scenario rule ([[rules]]) at the portfolio: id, label, kind, what (the filter
    # in words), value, min, max, holds, problem.
    rules: tuple[Mapping[str, Any], ...] = ()
    # An infeasible scenario's way out: per movable limit, the least change that makes it
    # feasible alone (selector.portfolio.relax); the total budget first, then the exits.
    relaxations: tuple[Relaxation, ...] = ()
    # A scenario with [horizon]: one row per partner and year, and one per year (columns
    # in selector.portfolio.roadmap_tables); ``plan`` is then the roadmap's first year,
    # ``objective`` the discounted value over the horizon, ``cost`` and ``budget`` the
    # first year's.
    roadmap: pd.DataFrame | None = None
    roadmap_summary: pd.DataFrame | None = None

    @property
    def feasible(self) -> bool:
        return self.status in ("optimal", "time_limit")

    def relaxation(self, setting: str) -> Relaxation | None:
        """The relaxation of one setting (``"budget.total"``: the least extra budget with
        every other limit as it is; ``"programme.max_exits"``: the fewest extra exits
        within the budget), or None when the result has none for it."""
        return next((r for r in self.relaxations if r.setting == setting), None)

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
            "plan": None if self.plan is None else _records(self.plan),
            "plan_summary": None if self.plan_summary is None else dict(self.plan_summary),
            "rules": [
                {k: (num(v) if isinstance(v, float) else v) for k, v in r.items()} for r in self.rules
            ],
            "relaxations": [r.to_dict() for r in self.relaxations],
        } | self._roadmap_dict()

    def _roadmap_dict(self) -> dict[str, Any]:
        """The roadmap's entries of :meth:`to_dict` (none without a horizon)."""
        if self.roadmap is None or self.roadmap_summary is None:
            return {}
        summary = self.roadmap_summary.astype(object).where(self.roadmap_summary.notna(), None)
        return {
            "roadmap": [{str(k): (v.item() if hasattr(v, "item") else v) for k, v in r.items()}
                        for r in self.roadmap.to_dict(orient="records")],
            "roadmap_summary": [{str(k): (v.item() if hasattr(v, "item") else v) for k, v in r.items()}
                                for r in summary.to_dict(orient="records")],
        }

    def to_frame(self) -> dict[str, pd.DataFrame]:
        """Tables: ``summary``, ``selected``, ``pools``, ``coverage`` (and ``plan``,
        ``rules``, ``relaxations`` when there are any)."""
        d = self.to_dict()
        summary = pd.DataFrame(
            [
                {k: d[k] for k in ("scenario", "status", "objective", "bound", "gap", "cost",
                                   "budget", "covered_value", "total_value", "solver",
                                   "wall_seconds")}
            ]
        )
        pools = pd.DataFrame(d["pools"], columns=["pool", "used", "cap"])
        frames = {
            "summary": summary,
            "selected": pd.DataFrame({"partner_id": list(self.selected)}),
            "pools": pools,
            "coverage": self.coverage.reset_index(),
        }
        if self.plan is not None:
            frames["plan"] = self.plan.reset_index()
        if self.rules:
            frames["rules"] = pd.DataFrame([dict(r) for r in self.rules])
        if self.roadmap is not None and self.roadmap_summary is not None:
            frames["roadmap_summary"] = self.roadmap_summary
            frames["roadmap"] = self.roadmap
        if self.relaxations:
            frames["relaxations"] = pd.DataFrame(
                [{k: v for k, v in r.to_dict().items() if k != "path"} for r in self.relaxations]
            )
        return frames


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


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-safe dicts, the index as the first field."""
    out = []
    for rec in frame.reset_index().to_dict(orient="records"):
        out.append({str(k): (v.item() if hasattr(v, "item") else v) for k, v in rec.items()})
    return out


def assemble_result(
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
    route: Mapping[str, Any] | None = None,
    relaxations: Sequence[Relaxation] = (),
    roadmap: tuple[RoadmapInstance, np.ndarray] | None = None,
) -> PortfolioResult:
    """The :class:`PortfolioResult` of selection ``x`` (None: no portfolio) of ``inst``:
    costs with the offsets of the reductions added back, coverage per original segment,
    the plan table for a plan, each rule's state, ``stats`` (with the ``route``
    the solve took, when given) and an infeasible scenario's ``relaxations``.
    ``roadmap`` is a roadmap's instance and selection, ``x`` then its first year."""
    sel = np.zeros(inst.n_partners, dtype=bool) if x is None else np.asarray(x, dtype=bool)
    ids = inst.partner_ids
    cost = inst.total_cost(sel)
    given_caps = dict(scenario.budget.pools)
    pools = tuple(
        (key, float(inst.cost[sel & mask].sum()) + given_caps.get(key, cap) - cap, given_caps.get(key, cap))
        for key, mask, cap in inst.pools
    )
    # Per partner: selected, and the quality it counts at (its option's, in a plan).
    active = inst.active_partners(sel)
    quality = np.zeros(len(active))
    if inst.option_partner is None:
        quality = inst.quality
    else:
        quality[inst.option_partner[sel]] = inst.quality[sel]
    # Coverage per original segment.
    seg = scenario.segments
    cover = scenario.coverage_matrix
    counts = np.asarray(cover.T @ active.astype(np.int64)).ravel()
    best = np.zeros(len(seg))
    cov = cover.tocsc()
    rows = np.repeat(np.arange(cov.shape[1]), np.diff(cov.indptr))
    on = active[cov.indices]
    np.maximum.at(best, rows[on], quality[cov.indices[on]])
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
    selectable = inst.active_partners(~inst.fixed_out)
    stats: dict[str, Any] = {
        "partners": inst.n_partners,
        "segments": len(seg),
        "segment_rows_after_merge": inst.n_rows,
        "partners_fixed_out": int((~selectable).sum()),
        "heuristic_seconds": None if heuristic is None else heuristic.seconds,
    }
    if route is not None:
        stats["route"] = dict(route)
    notes = list(explanation)
    if (~selectable).any() and status != "infeasible":
        notes.append(
            f"{plural(int((~selectable).sum()), 'partner')} {'was' if (~selectable).sum() == 1 else 'were'} left out before the solve; the partner "
            "table says why for each."
        )
    plan, plan_summary = (None, None)
    rules = tuple(rule_status(inst, sel)) if x is not None else ()
    if inst.has_levels and x is not None:
        plan, plan_summary = build_plan(scenario, inst, sel, exit_band=inst.exit_band)
        if rules:
            plan_summary = {**plan_summary, "rules": [dict(r) for r in rules]}
    result = PortfolioResult(
        status=status,
        selected=tuple(sorted({str(i) for i in ids[sel]})),
        objective=objective,
        bound=bound,
        gap=None if objective is None or bound is None else relative_gap(objective, bound, "max" if inst.maximize else "min"),
        cost=cost,
        budget=None if not math.isfinite(inst.budget) else inst.given_budget,
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
        plan=plan,
        plan_summary=plan_summary,
        rules=rules,
        relaxations=tuple(relaxations),
    )
    return result if roadmap is None else replace(result, **_roadmap_fields(roadmap))


def _roadmap_fields(roadmap: tuple[RoadmapInstance, np.ndarray]) -> dict[str, Any]:
    """A roadmap's tables, and its first year's spend and budget as the result's."""
    road, x = roadmap
    table, summary = roadmap_tables(road, x)
    budget = road.horizon.budgets[0]
    return {"roadmap": table, "roadmap_summary": summary, "cost": float(summary["spend"].iloc[0]),
            "budget": budget}

"""Shared cases for the portfolio tests: random small scenarios and a brute force.

The brute force below is written from the definitions in the scenario format (module
docstring of selector/inputs/scenario/__init__.py), not from selector's own ``evaluate``/``violations``:
it enumerates every subset of partners, keeps those that break no rule and takes the
best objective.

Not a test module (no ``test_`` prefix): the portfolio tests import it by name, as
pytest puts this folder on ``sys.path`` (prepend import mode, no ``__init__.py``).
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import Phase
from hypothesis import strategies as st

from selector.inputs.scenario import scenario_from_frames
from selector.portfolio import solve

CONTRACT_KEYS = {
    "status",
    "selected",
    "objective",
    "bound",
    "gap",
    "cost",
    "solver",
    "wall_seconds",
    "explanation",
}
TOL = 1e-6


# --- a random small scenario, kept as plain data so the brute force can read it ------


@dataclass
class Spec:
    objective: str
    ids: list[str]
    types: list[str]
    tier: list[int]
    cost: list[int]
    score: list[float]
    seg_ids: list[str]
    value: list[int]
    named: list[bool]
    covers: list[tuple[int, int]]  # (partner, segment)
    budget: int | None
    pools: dict[str, int]
    must_include: list[int]
    must_exclude: list[int]
    conflicts: list[tuple[int, int]]
    cap: int | None
    named_need: int | None
    default_need: int | None
    supply: list[tuple[int, int]] | None  # (distributor, reseller)
    type_mix: dict[str, tuple[int | None, int | None]]

    # -- to selector ----------------------------------------------------------------
    def scenario(self) -> Any:
        n = len(self.ids)
        partners = pd.DataFrame(
            {
                "id": self.ids,
                "name": [f"Partner {i}" for i in self.ids],
                "type": self.types,
                "gtm_tier": self.tier,
                "cost": self.cost,
                "regions": ["*"] * n,
                "industries": ["*"] * n,
                "sizes": ["*"] * n,
                "score": self.score,
            }
        )
        segments = pd.DataFrame(
            {
                "id": self.seg_ids,
                "region": "R",
                "industry": "I",
                "size": "S",
                "value": self.value,
                "named": ["true" if v else "false" for v in self.named],
            }
        )
        coverage = pd.DataFrame(
            [(self.ids[p], self.seg_ids[s]) for p, s in self.covers],
            columns=["partner_id", "segment_id"],
        )
        supply = (
            None
            if self.supply is None
            else pd.DataFrame(
                [(self.ids[d], self.ids[r]) for d, r in self.supply],
                columns=["distributor_id", "reseller_id"],
            )
        )
        constraints: dict[str, Any] = {
            "must_include": [self.ids[i] for i in self.must_include],
            "must_exclude": [self.ids[i] for i in self.must_exclude],
            "conflicts": [[self.ids[a], self.ids[b]] for a, b in self.conflicts],
        }
        if self.cap is not None:
            constraints["max_partners_per_segment"] = self.cap
        mins: dict[str, int] = {}
        if self.named_need is not None:
            mins["named"] = self.named_need
        if self.default_need is not None:
            mins["default"] = self.default_need
        if mins:
            constraints["min_partners"] = mins
        if self.type_mix:
            constraints["type_mix"] = {
                t: {k: v for k, v in (("min", lo), ("max", hi)) if v is not None}
                for t, (lo, hi) in self.type_mix.items()
            }
        budget: dict[str, Any] = {}
        if self.budget is not None:
            budget["total"] = self.budget
        if self.pools:
            budget["pools"] = dict(self.pools)
        return scenario_from_frames(
            partners,
            segments,
            coverage=coverage,
            supply=supply,
            settings={
                "name": "random",
                "budget": budget,
                "objective": {"kind": self.objective},
                "constraints": constraints,
            },
        )

    # -- brute force from the definitions ---------------------------------------------
    def cover_matrix(self) -> np.ndarray:
        m = np.zeros((len(self.ids), len(self.seg_ids)), dtype=bool)
        for p, s in self.covers:
            m[p, s] = True
        return m

    def required(self) -> np.ndarray:
        default = self.default_need
        if default is None:
            default = 1 if self.objective == "min_cost" else 0
        req = np.full(len(self.seg_ids), default)
        if self.named_need is not None:
            req[np.array(self.named, dtype=bool)] = self.named_need
        return req

    def pool_mask(self, key: str) -> np.ndarray:
        field, _, value = key.partition(":")
        if field == "type":
            return np.array([t == value for t in self.types])
        assert field == "tier"
        return np.array([str(t) == value for t in self.tier])

    def broken(self, sel: np.ndarray) -> list[str]:
        """Every rule ``sel`` breaks (own implementation)."""
        out = []
        cost = np.array(self.cost, dtype=float)
        spent = float(cost[sel].sum())
        if self.budget is not None and spent > self.budget + TOL:
            out.append("budget")
        for key, cap in self.pools.items():
            if float(cost[sel & self.pool_mask(key)].sum()) > cap + TOL:
                out.append(f"pool {key}")
        if any(not sel[i] for i in self.must_include):
            out.append("must_include")
        if any(sel[i] for i in self.must_exclude):
            out.append("must_exclude")
        if any(sel[a] and sel[b] for a, b in self.conflicts):
            out.append("conflict")
        counts = self.cover_matrix()[sel].sum(axis=0)
        if (counts < self.required()).any():
            out.append("min partners")
        if self.cap is not None and (counts > self.cap).any():
            out.append("cap")
        types = np.array(self.types)
        for t, (lo, hi) in self.type_mix.items():
            k = int((sel & (types == t)).sum())
            if (lo is not None and k < lo) or (hi is not None and k > hi):
                out.append(f"type_mix {t}")
        if self.supply is not None:
            for r in range(len(self.ids)):
                if sel[r] and self.tier[r] == 2:
                    if not any(sel[d] for d, rr in self.supply if rr == r):
                        out.append(f"supply {self.ids[r]}")
        return out

    def objective_of(self, sel: np.ndarray) -> float:
        if self.objective == "min_cost":
            return float(np.array(self.cost, dtype=float)[sel].sum())
        cover = self.cover_matrix()
        total = 0.0
        for s, v in enumerate(self.value):
            who = [p for p in range(len(self.ids)) if sel[p] and cover[p, s]]
            if not who:
                continue
            if self.objective == "coverage":
                total += v
            else:
                total += v * max(self.score[p] for p in who)
        return total

    def brute_force(self) -> float | None:
        """Best objective over all feasible subsets, None if there is none."""
        best: float | None = None
        n = len(self.ids)
        for bits in itertools.product((False, True), repeat=n):
            sel = np.array(bits, dtype=bool)
            if self.broken(sel):
                continue
            obj = self.objective_of(sel)
            if best is None or (obj > best if self.objective != "min_cost" else obj < best):
                best = obj
        return best

    def selection(self, selected: tuple[str, ...]) -> np.ndarray:
        return np.array([i in selected for i in self.ids], dtype=bool)


def spec_of(
    cost: list[int],
    value: list[int],
    covers: list[tuple[int, int]],
    *,
    budget: int | None,
    objective: str = "coverage",
    score: list[float] | None = None,
    **over: Any,
) -> Spec:
    """A hand-made scenario as plain data (as :func:`specs` draws): resellers at tier 1,
    unnamed segments, no rule but the budget unless ``over`` sets one (any Spec field)."""
    n, m = len(cost), len(value)
    base: dict[str, Any] = dict(
        objective=objective,
        ids=[f"P{i}" for i in range(n)],
        types=["reseller"] * n,
        tier=[1] * n,
        cost=cost,
        score=score or [1.0] * n,
        seg_ids=[f"S{j}" for j in range(m)],
        value=value,
        named=[False] * m,
        covers=sorted(covers),
        budget=budget,
        pools={},
        must_include=[],
        must_exclude=[],
        conflicts=[],
        cap=None,
        named_need=None,
        default_need=None,
        supply=None,
        type_mix={},
    )
    base.update(over)
    return Spec(**base)



@st.composite
def specs(draw: st.DrawFn, objective: str = "weighted_coverage") -> Spec:
    n = draw(st.integers(3, 8))
    m = draw(st.integers(3, 10))
    ids = [f"P{i}" for i in range(n)]
    seg_ids = [f"S{j}" for j in range(m)]
    use_supply = draw(st.booleans())
    if use_supply:
        n_dist = draw(st.integers(1, 2))
        types = ["distributor"] * n_dist + [
            draw(st.sampled_from(["reseller", "si"])) for _ in range(n - n_dist)
        ]
        tier = [1] * n_dist + [draw(st.sampled_from([1, 2, 2])) for _ in range(n - n_dist)]
        supply = []
        for r in range(n_dist, n):
            if tier[r] == 2:
                for d in range(n_dist):
                    if draw(st.integers(0, 3)) > 0:  # mostly supplied, sometimes orphaned
                        supply.append((d, r))
    else:
        types = [draw(st.sampled_from(["reseller", "si", "distributor"])) for _ in range(n)]
        tier = [draw(st.sampled_from([1, 2])) for _ in range(n)]
        supply = None
    cost = [draw(st.integers(0, 60)) for _ in range(n)]
    score = [draw(st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.6, 0.75, 0.9, 1.0])) for _ in range(n)]
    value = [draw(st.integers(0, 100)) for _ in range(m)]
    named = [draw(st.booleans()) for _ in range(m)]
    covers: set[tuple[int, int]] = set()
    for s in range(m):
        # every segment covered by at least one partner (uncovered: see a separate test)
        covers.add((draw(st.integers(0, n - 1)), s))
        for p in range(n):
            if draw(st.integers(0, 2)) == 0:
                covers.add((p, s))
    total_cost = sum(cost)
    budget = draw(st.one_of(st.none(), st.integers(0, max(total_cost, 1))))
    pools: dict[str, int] = {}
    if draw(st.booleans()):
        key = draw(
            st.sampled_from(sorted({f"type:{t}" for t in types} | {f"tier:{t}" for t in tier}))
        )
        pools[key] = draw(st.integers(0, max(total_cost, 1)))
    order = draw(st.permutations(range(n)))
    k_in = draw(st.integers(0, 2))
    k_out = draw(st.integers(0, 2))
    must_include = sorted(order[:k_in])
    must_exclude = sorted(order[k_in : k_in + k_out])
    pairs = [(a, b) for a in range(n) for b in range(a + 1, n)]
    conflicts = draw(st.lists(st.sampled_from(pairs), max_size=2, unique=True))
    cap = draw(st.one_of(st.none(), st.integers(1, 3)))
    named_need = draw(st.one_of(st.none(), st.integers(1, 2)))
    default_need = draw(st.sampled_from([None, None, None, 0, 1]))
    type_mix: dict[str, tuple[int | None, int | None]] = {}
    if draw(st.integers(0, 4)) == 0:
        t = draw(st.sampled_from(sorted(set(types))))
        lo = draw(st.one_of(st.none(), st.integers(0, 2)))
        hi = draw(st.one_of(st.none(), st.integers(max(lo or 0, 0), 3)))
        if lo is not None or hi is not None:
            type_mix[t] = (lo, hi)
    return Spec(
        objective=objective,
        ids=ids,
        types=types,
        tier=tier,
        cost=cost,
        score=score,
        seg_ids=seg_ids,
        value=value,
        named=named,
        covers=sorted(covers),
        budget=budget,
        pools=pools,
        must_include=must_include,
        must_exclude=must_exclude,
        conflicts=conflicts,
        cap=cap,
        named_need=named_need,
        default_need=default_need,
        supply=supply,
        type_mix=type_mix,
    )


def idle_partners(spec: Spec, sel: np.ndarray) -> list[str]:
    """Selected partners of positive cost, not must-include, whose removal keeps the
    value (within 1e-9 of it) and every rule, by the spec's own checker."""
    value = spec.objective_of(sel)
    out = []
    for p in np.flatnonzero(sel):
        if p in spec.must_include or spec.cost[p] <= 0:
            continue
        less = sel.copy()
        less[p] = False
        kept = spec.objective_of(less) >= value - 1e-9 * max(abs(value), 1.0)
        if spec.objective != "min_cost" and kept and not spec.broken(less):
            out.append(spec.ids[p])
        elif spec.objective == "min_cost" and not spec.broken(less):
            out.append(spec.ids[p])  # cheaper and keeping every rule: not optimal
    return out


def check_against_brute_force(spec: Spec, solver: str, scenario: Any = None) -> Any:
    """Solve ``spec`` and compare with brute force; return the result."""
    scenario = scenario if scenario is not None else spec.scenario()
    best = spec.brute_force()
    result = solve(scenario, solver=solver, gap=0.0, time_limit=20, seed=1)
    if best is None:
        assert result.status == "infeasible", (result.status, result.selected, spec)
        assert result.selected == () and result.objective is None
        assert result.explanation, spec
        assert all(isinstance(s, str) and s for s in result.explanation)
        return result
    assert result.status == "optimal", (result.status, result.explanation, best, spec)
    sel = spec.selection(result.selected)
    assert spec.broken(sel) == [], (result.selected, spec.broken(sel), spec)
    assert list(result.selected) == sorted(result.selected)
    assert result.objective == pytest.approx(best, rel=1e-6, abs=1e-6), (result.selected, spec)
    assert spec.objective_of(sel) == pytest.approx(result.objective, rel=1e-6, abs=1e-6)
    assert result.cost == pytest.approx(float(np.array(spec.cost)[sel].sum()))
    maximize = spec.objective != "min_cost"
    assert result.bound is not None
    if maximize:
        assert result.bound >= best - 1e-6 * max(1.0, abs(best)), (result.bound, best)
    else:
        assert result.bound <= best + 1e-6 * max(1.0, abs(best)), (result.bound, best)
    # Nothing idle: no partner of positive cost (not a must-include) can go keeping the
    # value and every rule (a maximizing objective's search is indifferent to them).
    assert idle_partners(spec, sel) == [], (idle_partners(spec, sel), result.selected, spec)
    # The heuristic start (greedy + local search) is never better than the optimum.
    if result.heuristic_objective is not None:
        if maximize:
            assert result.objective >= result.heuristic_objective - 1e-6
        else:
            assert result.objective <= result.heuristic_objective + 1e-6
    return result

OBJECTIVES = ("weighted_coverage", "coverage", "min_cost")
# Hypothesis' failure "explain" phase imports code that raises a DeprecationWarning
# (mypy_extensions), which the warnings-as-errors setting turns into a pytest
# INTERNALERROR hiding the real failure; leave that phase out.
PHASES = (Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink)


def each_objective(spec: Spec) -> list[tuple[Spec, Any]]:
    """The spec under each objective kind; one table parse, then cheap variants."""
    base = spec.scenario()
    out = []
    for kind in OBJECTIVES:
        variant = dataclasses.replace(spec, objective=kind)
        scenario = (
            base if kind == spec.objective else base.with_changes({"objective": {"kind": kind}})
        )
        assert scenario.objective == kind
        out.append((variant, scenario))
    return out


def tiny_frames(n: int, m: int, *, cost: list[int] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    partners = pd.DataFrame(
        {
            "id": [f"P{i}" for i in range(n)],
            "name": [f"Partner {i}" for i in range(n)],
            "type": "reseller",
            "gtm_tier": 1,
            "cost": cost or [100] * n,
            "regions": "*",
            "industries": "*",
            "sizes": "*",
            "score": 0.5,
        }
    )
    segments = pd.DataFrame(
        {
            "id": [f"S{j}" for j in range(m)],
            "region": "R",
            "industry": "I",
            "size": "S",
            "value": 10,
            "named": "false",
        }
    )
    return partners, segments


def coverage_pairs(pairs: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(pairs, columns=["partner_id", "segment_id"])

"""Tests for selector/portfolio.py: the MIP against brute force, statuses, explanations.

The brute force below is written from the definitions in the scenario format (module
docstring of selector/scenario.py), not from selector's own ``evaluate``/``violations``:
it enumerates every subset of partners, keeps those that break no rule and takes the
best objective.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from selector import cli
from selector.inputs.scenario import scenario_from_frames
from selector.portfolio import (
    build_model,
    explain_partners,
    heuristic_solve,
    partner_quality,
    solve,
)
from selector.portfolio.instance import build_instance

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


@settings(
    max_examples=110, deadline=None, phases=PHASES, suppress_health_check=[HealthCheck.too_slow]
)
@given(spec=specs())
def test_highs_optimum_equals_brute_force(spec: Spec) -> None:
    """Each example is checked under weighted_coverage, coverage and min_cost."""
    for variant, scenario in each_objective(spec):
        check_against_brute_force(variant, "highs", scenario)


@settings(
    max_examples=8, deadline=None, phases=PHASES, suppress_health_check=[HealthCheck.too_slow]
)
@given(spec=specs())
def test_cbc_agrees_with_highs_and_brute_force(spec: Spec) -> None:
    for variant, scenario in each_objective(spec):
        # A model left with no constraint rows trips a separate CBC bug (see
        # test_cbc_model_without_rows_is_optimal); this property is about the rest.
        inst = build_instance(scenario, partner_quality(scenario))
        if build_model(inst).A.shape[0] == 0:
            continue
        b = check_against_brute_force(variant, "cbc", scenario)
        a = solve(scenario, solver="highs", gap=0.0, time_limit=20)
        assert a.status == b.status
        if a.status == "optimal":
            assert a.objective == pytest.approx(b.objective, rel=1e-6, abs=1e-6)


def test_cbc_path_emits_no_deprecation_warning() -> None:
    # PuLP 3.3 deprecates building LpVariable directly (PuLP 4 migration warnings).
    partners, segments = _frames(2, 1)
    cov = _coverage([("P0", "S0"), ("P1", "S0")])
    scenario = scenario_from_frames(
        partners, segments, coverage=cov, settings={"budget": {"total": 150}}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        assert solve(scenario, solver="cbc").status == "optimal"


def test_cbc_model_without_rows_is_optimal() -> None:
    partners, segments = _frames(2, 1, cost=[0, 0])
    segments["value"] = 0
    cov = _coverage([("P0", "S0"), ("P1", "S0")])
    scenario = scenario_from_frames(partners, segments, coverage=cov, settings={})
    assert solve(scenario, solver="highs").status == "optimal"
    assert solve(scenario, solver="cbc").status == "optimal"


# --- infeasible scenarios and their explanations -------------------------------------


def _frames(n: int, m: int, *, cost: list[int] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
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


def _coverage(pairs: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(pairs, columns=["partner_id", "segment_id"])


def test_infeasible_must_include_over_budget_names_both_figures() -> None:
    partners, segments = _frames(3, 2, cost=[700_000, 500_000, 10])
    cov = _coverage([("P0", "S0"), ("P1", "S1"), ("P2", "S0")])
    scenario = scenario_from_frames(
        partners,
        segments,
        coverage=cov,
        settings={"budget": {"total": 1_000_000}, "constraints": {"must_include": ["P0", "P1"]}},
    )
    result = solve(scenario)
    assert result.status == "infeasible"
    assert result.selected == ()
    assert result.objective is None
    text = " ".join(result.explanation)
    assert "1,200,000" in text and "1,000,000" in text, text


def test_infeasible_named_segment_needs_more_partners_than_cover_it() -> None:
    partners, segments = _frames(3, 3)
    segments.loc[1, "named"] = "true"
    cov = _coverage([("P0", "S0"), ("P1", "S1"), ("P2", "S2"), ("P0", "S2")])
    scenario = scenario_from_frames(
        partners,
        segments,
        coverage=cov,
        settings={"budget": {"total": 1000}, "constraints": {"min_partners": {"named": 2}}},
    )
    result = solve(scenario)
    assert result.status == "infeasible"
    text = " ".join(result.explanation)
    assert "S1" in text and "2" in text, text


def test_infeasible_conflicting_must_includes_named() -> None:
    partners, segments = _frames(3, 2)
    cov = _coverage([("P0", "S0"), ("P1", "S1"), ("P2", "S0")])
    scenario = scenario_from_frames(
        partners,
        segments,
        coverage=cov,
        settings={
            "budget": {"total": 1000},
            "constraints": {"must_include": ["P0", "P1"], "conflicts": [["P1", "P0"]]},
        },
    )
    result = solve(scenario)
    assert result.status == "infeasible"
    text = " ".join(result.explanation)
    assert "P0" in text and "P1" in text and "conflict" in text, text


def test_infeasible_found_only_by_relaxation_names_a_rule_group() -> None:
    # Three named segments, each covered by its own partner costing 100: every rule is
    # fine alone, but the 250 budget cannot pay for all three required partners.
    partners, segments = _frames(3, 3)
    segments["named"] = "true"
    cov = _coverage([("P0", "S0"), ("P1", "S1"), ("P2", "S2")])
    scenario = scenario_from_frames(
        partners,
        segments,
        coverage=cov,
        settings={"budget": {"total": 250}, "constraints": {"min_partners": {"named": 1}}},
    )
    result = solve(scenario)
    assert result.status == "infeasible"
    text = " ".join(result.explanation)
    assert "relaxed" in text, text
    assert "the total budget" in text, text
    assert "minimum partners per segment" in text, text


def test_named_segment_nobody_covers_is_infeasible() -> None:
    partners, segments = _frames(2, 2, cost=[10, 20])
    segments.loc[1, "named"] = "true"
    cov = _coverage([("P0", "S0"), ("P1", "S0")])
    scenario = scenario_from_frames(
        partners,
        segments,
        coverage=cov,
        settings={"budget": {"total": 100}, "constraints": {"min_partners": {"named": 1}}},
    )
    result = solve(scenario)
    assert result.status == "infeasible"
    assert "S1" in " ".join(result.explanation)


# --- time limits, serialisation, determinism ----------------------------------------


def _large_scenario(seed: int = 7, n: int = 300, m: int = 3000) -> Any:
    rng = np.random.default_rng(seed)
    partners = pd.DataFrame(
        {
            "id": [f"P{i:03d}" for i in range(n)],
            "name": [f"Partner {i}" for i in range(n)],
            "type": "reseller",
            "gtm_tier": 1,
            "cost": rng.integers(10, 100, n),
            "regions": "*",
            "industries": "*",
            "sizes": "*",
            "score": np.round(rng.uniform(0.05, 1.0, n), 3),
        }
    )
    segments = pd.DataFrame(
        {
            "id": [f"S{j:04d}" for j in range(m)],
            "region": "R",
            "industry": "I",
            "size": "S",
            "value": rng.integers(1, 1000, m),
            "named": "false",
        }
    )
    k = 5
    p = rng.integers(0, n, (m, k))
    pairs = pd.DataFrame(
        {
            "partner_id": partners["id"].to_numpy()[p.ravel()],
            "segment_id": np.repeat(segments["id"].to_numpy(), k),
        }
    ).drop_duplicates()
    return scenario_from_frames(
        partners,
        segments,
        coverage=pairs,
        settings={"budget": {"total": int(partners["cost"].sum() * 0.08)}},
    )


@pytest.fixture(scope="module")
def large_scenario() -> Any:
    return _large_scenario()


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_time_limited_solve_is_not_reported_optimal(large_scenario: Any, solver: str) -> None:
    result = solve(large_scenario, solver=solver, time_limit=0.5)
    assert result.status in ("time_limit", "optimal"), result.explanation
    assert result.selected
    if result.status == "time_limit":
        assert result.bound is None or (result.gap is not None and result.gap > 0), (
            result.bound,
            result.gap,
            result.objective,
        )
    else:
        assert result.gap is not None and result.gap <= 1e-4 * 1.001
    if result.bound is not None:
        assert result.bound >= result.objective - 1e-6 * abs(result.objective)
    d = result.to_dict()
    text = json.dumps(d, allow_nan=False)
    assert CONTRACT_KEYS <= set(json.loads(text))
    assert d["selected"] == sorted(d["selected"])


def test_time_limit_without_solver_bound_reports_the_submodular_one(
    teaching: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # HiGHS stopped by its limit before it had a bound (seen on the 300 x 3000 instance
    # with time_limit=0.5); simulated here so the case is deterministic. The result
    # then carries the submodular bound of its own portfolio, never a made-up one.
    import numpy as np

    from selector.portfolio import optimize as portfolio
    from selector.portfolio.bounds import submodular_bound
    from selector.portfolio.instance import build_instance

    def stopped(model: Any, **_kw: Any) -> Any:
        return portfolio._Solved("time_limit", None, None, None)

    monkeypatch.setattr(portfolio, "_solve_highs", stopped)
    result = solve(teaching, solver="highs", time_limit=1.0)
    assert result.status == "time_limit"  # the heuristic portfolio, no proof
    inst = build_instance(teaching, portfolio.partner_quality(teaching))
    expected = submodular_bound(inst, np.isin(inst.partner_ids, list(result.selected)))
    assert result.bound == pytest.approx(expected)
    assert result.objective is not None and result.bound >= result.objective
    assert result.gap == pytest.approx((result.bound - result.objective) / result.bound)
    text = " ".join(result.explanation)
    assert "(bound 0)" not in text and f"{result.bound:,.0f}" in text, text


def test_time_limit_message_without_any_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    # min_cost has no quick bound: a limit-stopped solve must not claim a gap.
    from selector.portfolio import optimize as portfolio

    def stopped(model: Any, **_kw: Any) -> Any:
        return portfolio._Solved("time_limit", None, None, None)

    monkeypatch.setattr(portfolio, "_solve_highs", stopped)
    partners, segments = _frames(3, 2, cost=[7, 5, 1])
    cov = _coverage([("P0", "S0"), ("P1", "S1"), ("P2", "S0"), ("P2", "S1")])
    scenario = scenario_from_frames(
        partners, segments, coverage=cov, settings={"objective": {"kind": "min_cost"}}
    )
    result = solve(scenario, time_limit=1.0)
    assert result.status == "time_limit"
    assert result.bound is None and result.gap is None
    text = " ".join(result.explanation)
    assert "0.00%" not in text and "(bound 0)" not in text, text


def test_to_dict_contract_for_each_status() -> None:
    partners, segments = _frames(3, 2, cost=[700, 500, 10])
    cov = _coverage([("P0", "S0"), ("P1", "S1"), ("P2", "S0")])
    ok = scenario_from_frames(partners, segments, coverage=cov, settings={"budget": {"total": 800}})
    bad = ok.with_changes({"constraints": {"must_include": ["P0", "P1"]}})
    for scenario, status in ((ok, "optimal"), (bad, "infeasible")):
        r = solve(scenario)
        assert r.status == status
        d = json.loads(json.dumps(r.to_dict(), allow_nan=False))
        assert CONTRACT_KEYS <= set(d)
        assert d["status"] == status
        assert d["selected"] == sorted(d["selected"])
        assert isinstance(d["explanation"], list) and d["explanation"]
    h = heuristic_solve(ok)
    json.dumps(h.to_dict(), allow_nan=False)


def test_same_input_and_seed_same_portfolio(teaching: Any) -> None:
    medium = _large_scenario(seed=3, n=40, m=300)
    for scenario in (teaching, medium):
        a = solve(scenario, seed=11)
        b = solve(scenario, seed=11)
        assert a.status == b.status == "optimal"
        assert a.selected == b.selected
        assert a.objective == b.objective
        ha = heuristic_solve(scenario, seed=11)
        hb = heuristic_solve(scenario, seed=11)
        assert ha.selected == hb.selected


def test_teaching_solution_keeps_its_rules(teaching: Any) -> None:
    r = solve(teaching)
    assert r.status == "optimal"
    assert r.cost <= 600_000
    sel = set(r.selected)
    assert not {"R02", "R10"} <= sel
    partners = teaching.partners
    supply = teaching.supply
    for pid in sel:
        if partners.loc[pid, "gtm_tier"] == 2:
            ds = set(supply.loc[supply["reseller_id"] == pid, "distributor_id"])
            assert ds & sel, pid
    dist = sum(partners.loc[p, "cost"] for p in sel if partners.loc[p, "type"] == "distributor")
    assert dist <= 350_000
    cov = r.coverage
    assert (cov["partners"] <= 3).all()
    assert (cov.loc[cov["named"], "partners"] >= 1).all()
    assert r.objective == pytest.approx(float(cov["counted_value"].sum()))


# --- why each partner is in or out ---------------------------------------------------


def test_explain_partners_on_teaching(teaching: Any) -> None:
    scenario = teaching.with_changes({"constraints": {"must_exclude": ["R01"]}})
    result = solve(scenario)
    assert result.status == "optimal"
    why = explain_partners(scenario, result)
    assert set(why.index) == set(scenario.partner_ids)
    assert why["reason"].map(lambda s: isinstance(s, str) and len(s) > 0).all()
    assert set(why.index[why["selected"]]) == set(result.selected)
    assert (why.loc[why["selected"], "marginal_value"] >= -1e-9).all()
    assert "must_exclude" in why.loc["R01", "reason"]
    assert not why.loc["R01", "selected"]
    # The conflict pair: if one is selected, the other says so.
    for a, b in (("R02", "R10"), ("R10", "R02")):
        if why.loc[a, "selected"] and not why.loc[b, "selected"]:
            assert a in why.loc[b, "reason"], why.loc[b, "reason"]


def test_explain_partners_marginal_value_is_loss_when_removed(teaching: Any) -> None:
    from selector.scoring import score_partners

    result = solve(teaching)
    why = explain_partners(teaching, result)
    score = score_partners(teaching).score.reindex(teaching.partner_ids).to_numpy()
    cover = teaching.coverage_matrix.toarray().astype(bool)
    value = teaching.segments["value"].to_numpy(dtype=float)
    ids = list(teaching.partner_ids)
    supply = teaching.supply
    tier = teaching.partners["gtm_tier"].to_numpy()

    def objective(sel: np.ndarray) -> float:
        best = (cover & sel[:, None]) * score[:, None]
        return float(value @ best.max(axis=0))

    sel = np.array([p in result.selected for p in ids])
    base = objective(sel)
    assert base == pytest.approx(result.objective)
    for k, pid in enumerate(ids):
        if not sel[k]:
            continue
        trial = sel.copy()
        trial[k] = False
        # A reseller whose only selected distributor goes goes with it.
        for r, rid in enumerate(ids):
            if trial[r] and tier[r] == 2:
                ds = supply.loc[supply["reseller_id"] == rid, "distributor_id"]
                if not any(trial[ids.index(d)] for d in ds):
                    trial[r] = False
        assert why.loc[pid, "marginal_value"] == pytest.approx(base - objective(trial)), pid


# --- the command line ----------------------------------------------------------------


def test_cli_solve_json(capsys: pytest.CaptureFixture[str]) -> None:
    from conftest import TEACHING_TOML

    code = cli.main(["solve", str(TEACHING_TOML), "--json"])
    out = capsys.readouterr().out
    assert code == 0
    data = json.loads(out)
    assert isinstance(data, dict)
    assert CONTRACT_KEYS <= set(data)
    assert data["status"] == "optimal"
    assert data["selected"] == sorted(data["selected"])
    assert math.isfinite(data["objective"])


def test_conflict_shared_value_turns_shared_business_into_conflicts(teaching: Any) -> None:
    from selector.gtm import conflict_graph, conflict_pairs_above

    threshold = 1_500_000
    scenario = teaching.with_changes({"constraints": {"conflict_shared_value": threshold}})
    assert scenario.constraints.conflict_shared_value == threshold
    pairs = conflict_pairs_above(teaching, threshold)
    assert pairs, "the teaching scenario has partners sharing more than the threshold"
    result = solve(scenario)
    assert result.status == "optimal"
    chosen = set(result.selected)
    graph = conflict_graph(teaching, selected=result.selected)
    for a, b in pairs:
        assert not (a in chosen and b in chosen), (a, b)
    for a, b, data in graph.edges(data=True):
        if a in chosen and b in chosen:
            assert data["weight"] <= threshold
    # Without the rule the unconstrained optimum is at least as good.
    assert solve(teaching).objective >= result.objective - 1e-6

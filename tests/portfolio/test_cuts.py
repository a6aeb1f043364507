"""The Benders master of the coverage objectives (selector/portfolio/cuts.py).

The row value functions are checked against ``evaluate`` and against every cut; the cut
loop against enumeration (``Spec.brute_force`` over subsets, ``Channel.brute_force``
over plan levels) on random small scenarios with every rule, with and without a start,
and with limits so small that it must stop early: its bound is then still never below
the optimum, and it says ``optimal`` only with the gap closed.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from portfolio_cases import PHASES, Spec, spec_of, specs
from test_levels import random_channel

from selector.portfolio import partner_quality, solve
from selector.portfolio.cuts import CutLoop, RowValues, row_values, solve_by_cuts
from selector.portfolio.instance import build_instance, evaluate, violations
from selector.portfolio.model import GROUPS, build_model
from selector.portfolio.quality import scenario_instance as _instance

TOL = 1e-7
OBJECTIVES = ("coverage", "weighted_coverage")


def _objective(rv: RowValues, x: np.ndarray) -> float:
    return float(rv.c_x @ x + rv.values(x)[0].sum())


def _cut_rhs(rv: RowValues, i: int, pos: int, x: np.ndarray) -> float:
    """Cut of kept row ``i`` at pair index ``pos``, written out from the module's formula."""
    start, end = rv.ptr[i], rv.ptr[i + 1]
    q_k = rv.q[pos] if pos < end else 0.0
    return float(rv.d[i] * (q_k + sum((rv.q[p] - q_k) * x[rv.member[p]] for p in range(start, pos))))


def _random_instance(seed: int, objective: str, n: int = 7, rows: int = 12) -> tuple[Spec, Any]:
    rng = np.random.default_rng(seed)
    covers = [(p, s) for p in range(n) for s in range(rows) if rng.random() < 0.35]
    spec = spec_of(list(rng.integers(5, 30, n)), list(rng.integers(1, 60, rows)), covers,
                   budget=int(rng.integers(20, 80)), objective=objective,
                   score=[float(v) for v in rng.uniform(0.3, 1.0, n).round(2)])
    scenario = spec.scenario()
    return spec, build_instance(scenario, partner_quality(scenario))


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("objective", OBJECTIVES)
def test_row_values_are_the_objective_and_the_least_cut(objective: str, seed: int) -> None:
    _, inst = _random_instance(seed, objective)
    rv = row_values(inst)
    for bits in itertools.product([0, 1], repeat=inst.n_partners):
        x = np.array(bits, dtype=float)
        if (x[inst.fixed_out] > 0).any():
            continue  # fixed-out partners are no columns of the master
        assert _objective(rv, x) == pytest.approx(evaluate(inst, x.astype(bool)), rel=1e-12, abs=1e-9)
        value, k = rv.values(x)
        for i in range(rv.n_rows):
            cuts = [_cut_rhs(rv, i, pos, x) for pos in range(rv.ptr[i], rv.ptr[i + 1] + 1)]
            # every cut is valid at a 0/1 selection, and the one chosen is the least
            assert min(cuts) >= value[i] - 1e-9
            assert _cut_rhs(rv, i, int(k[i]), x) == pytest.approx(value[i], abs=1e-9)


def test_cut_matrix_matches_the_formula() -> None:
    _, inst = _random_instance(3, "weighted_coverage", n=8, rows=15)
    rv = row_values(inst)
    rng = np.random.default_rng(0)
    x = rng.random(inst.n_partners)
    _, k = rv.values(x)
    rows = np.arange(rv.n_rows)
    m, rhs = rv.cuts(rows, k)
    theta = rv.top  # any theta: the cut is theta + m @ x <= rhs
    for i in rows:
        assert rhs[i] - m[i] @ x == pytest.approx(_cut_rhs(rv, int(i), int(k[i]), x), abs=1e-9)
    assert (theta >= 0).all()


def test_fractional_values_are_the_assignment_relaxation() -> None:
    # One row, partners of quality 0.9, 0.6, 0.3 at 0.5 each: the relaxation assigns
    # half to the best and half to the next: 0.5*0.9 + 0.5*0.6.
    spec = spec_of([10, 10, 10], [100], [(0, 0), (1, 0), (2, 0)], budget=100,
                   objective="weighted_coverage")
    scenario = spec.scenario()
    inst = build_instance(scenario, np.array([0.9, 0.6, 0.3]))
    rv = row_values(inst)
    value, _ = rv.values(np.array([0.5, 0.5, 0.5]))
    assert value.sum() == pytest.approx(100 * (0.5 * 0.9 + 0.5 * 0.6))
    # less than a whole partner in all: the rest of the row counts at quality 0
    value, _ = rv.values(np.array([0.2, 0.1, 0.0]))
    assert value.sum() == pytest.approx(100 * (0.2 * 0.9 + 0.1 * 0.6))


def _side(inst: Any) -> Any:
    model = build_model(inst, drop=("objective_link",))
    assert model.n_cols == inst.n_partners
    assert GROUPS.index("objective_link") not in set(model.row_group.tolist())
    return model


def _check(inst: Any, best: float | None, solved: Any, gap: float) -> None:
    if best is None:
        assert solved.state in ("infeasible", "no_solution")
        return
    assert solved.x is not None and not violations(inst, solved.x)
    assert solved.objective == pytest.approx(evaluate(inst, solved.x), rel=1e-12, abs=1e-9)
    assert solved.objective <= best * (1 + TOL) + TOL
    if solved.bound is not None:
        assert solved.bound >= best * (1 - TOL) - TOL, (solved.bound, best)
    if solved.state == "optimal":
        assert solved.bound is not None
        assert solved.bound - solved.objective <= max(gap, 1e-9) * 1.0001 * max(abs(solved.objective), 1e-9) + TOL


@settings(max_examples=50, deadline=None, phases=PHASES, suppress_health_check=[HealthCheck.too_slow])
@given(spec=specs())
@example(spec=spec_of([10, 20], [30, 99], [(0, 0), (1, 1)], budget=20))
def test_the_cut_loop_finds_the_optimum_under_every_rule(spec: Spec) -> None:
    for kind in OBJECTIVES:
        s = dataclasses.replace(spec, objective=kind)
        scenario = s.scenario()
        best = s.brute_force()
        inst = build_instance(scenario, partner_quality(scenario))
        rv = row_values(inst)
        # the scaled master (theta divided by the row's weight) is the same problem
        for start, scaled in ((None, False), ("zero", False), (None, True)):
            x0 = np.zeros(inst.n_partners, bool) if start == "zero" and not violations(
                inst, np.zeros(inst.n_partners, bool)) else None
            solved = solve_by_cuts(_side(inst), rv, time_limit=20, gap=0.0, seed=1, start=x0, threads=1,
                                   scaled=scaled)
            _check(inst, best, solved, 0.0)
            if best is not None:
                assert solved.state == "optimal"
                assert solved.objective == pytest.approx(best, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("scaled", [False, True])
@pytest.mark.parametrize("seed", range(16))
@pytest.mark.parametrize("objective", OBJECTIVES)
def test_the_cut_loop_on_plans(objective: str, seed: int, scaled: bool) -> None:
    """Option instances: tiers, quotas, one-off costs, exit limits, continuity; the
    master as built and scaled (theta divided by the row's weight)."""
    ch = random_channel(7300 + seed, objective)
    best, _ = ch.brute_force()
    inst = _instance(ch.scenario(), None)
    if any(rule.kind == "coverage" for rule in inst.rules):
        pytest.skip("coverage rules keep the full model")
    solved = solve_by_cuts(_side(inst), row_values(inst), time_limit=20, gap=0.0, seed=1, start=None,
                           threads=1, scaled=scaled)
    _check(inst, best, solved, 0.0)
    if best is not None:
        assert solved.state == "optimal"
        assert solved.objective == pytest.approx(best, rel=1e-9, abs=1e-6)


@pytest.mark.parametrize("nodes", [1, 2, 5])
def test_stopped_early_the_bound_still_holds(nodes: int) -> None:
    for seed in range(6):
        spec, inst = _random_instance(100 + seed, "coverage", n=12, rows=40)
        best = spec.brute_force()
        solved = solve_by_cuts(_side(inst), row_values(inst), time_limit=20, gap=0.0, seed=seed, start=None,
                               threads=1, node_limit=nodes)
        _check(inst, best, solved, 0.0)


def test_solve_uses_the_cut_loop_for_coverage_and_proves_the_optimum() -> None:
    spec, _ = _random_instance(7, "coverage", n=12, rows=40)
    best = spec.brute_force()
    assert best is not None
    seen: list[Any] = []
    result = solve(spec.scenario(), gap=0.0, progress=seen.append, time_limit=20)
    assert all(p.bound is None or p.bound >= best * (1 - TOL) for p in seen)
    assert result.status == "optimal"
    assert result.objective == pytest.approx(best)
    assert result.bound == pytest.approx(best)


def test_coverage_rules_keep_the_full_model(monkeypatch: pytest.MonkeyPatch) -> None:
    import selector.portfolio.searches as searches

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a coverage rule has no place in the master")

    spec, _ = _random_instance(9, "coverage", n=8, rows=20)
    scenario = spec.scenario().with_changes(
        {"rules": [{"id": "reach", "kind": "coverage", "segments": {"id": spec.seg_ids}, "min_share": 0.0}]}
    )
    monkeypatch.setattr(searches, "solve_by_cuts", refuse)
    result = solve(scenario, gap=0.0, time_limit=20)
    assert result.status == "optimal"
    assert result.objective == pytest.approx(spec.brute_force())
    with pytest.raises(AssertionError, match="no place"):
        solve(spec.scenario(), gap=0.0, time_limit=20)


@pytest.mark.parametrize("start", [None, "dear", "cheap"])
def test_ties_in_value_go_to_the_cheaper_portfolio_whatever_the_start(start: str | None) -> None:
    # P0 and P1 cover the same segment; P1 is cheaper. Either fits the budget, not both
    # with P2, which covers the other segment.
    spec = spec_of([30, 20, 40], [50, 70], [(0, 0), (1, 0), (2, 1)], budget=70)
    scenario = spec.scenario()
    inst = build_instance(scenario, partner_quality(scenario))
    x0 = None if start is None else np.array([start == "dear", start == "cheap", True])
    solved = solve_by_cuts(_side(inst), row_values(inst), time_limit=20, gap=0.0, seed=1, start=x0, threads=1,
                           cost=inst.cost)
    assert solved.state == "optimal" and solved.x is not None
    assert list(solved.x) == [False, True, True]
    assert solved.objective == pytest.approx(120.0)
    assert solved.bound is not None and solved.bound >= 120.0



def _cancel_searches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every branch-and-bound run of the master is cancelled before it begins (the LP
    rounds still run): what the guard leaves is a cleared solver and no status."""
    import highspy

    import selector.portfolio.cuts as cuts

    real = cuts.run_guarded

    def cancelled(h: Any, seconds: float) -> Any:
        if highspy.HighsVarType.kInteger in list(h.getLp().integrality_):
            h.clearSolver()
            return None
        return real(h, seconds)

    monkeypatch.setattr(cuts, "run_guarded", cancelled)


def test_a_search_cancelled_before_it_ran_proves_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """A search the guard cancels before HiGHS began it leaves an info whose dual bound
    reads 0 (as an LP's does): that number must not become the bound, nor "optimal"."""
    _cancel_searches(monkeypatch)
    for seed in range(6):
        spec, inst = _random_instance(300 + seed, "weighted_coverage", n=9, rows=25)
        best = spec.brute_force()
        start = np.zeros(inst.n_partners, bool)
        solved = solve_by_cuts(_side(inst), row_values(inst), time_limit=20, gap=0.0, seed=0,
                               start=None if violations(inst, start) else start, threads=1)
        if best is None or solved.x is None:
            continue
        assert solved.bound is not None and solved.bound >= best * (1 - TOL) - TOL, (solved.bound, best)
        if solved.state == "optimal":
            assert solved.objective == pytest.approx(best, rel=1e-9, abs=1e-9)


def _best_portfolio(inst: Any) -> tuple[float, np.ndarray] | None:
    """The optimum by enumeration over the instance's columns (small n only)."""
    found: tuple[float, np.ndarray] | None = None
    for bits in itertools.product([False, True], repeat=inst.n_partners):
        x = np.array(bits, dtype=bool)
        if violations(inst, x):
            continue
        v = evaluate(inst, x)
        if found is None or v > found[0]:
            found = (v, x)
    return found


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_the_lp_guided_start_is_taken_when_better_and_only_then(
    objective: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The polish hook gets the LP optimum (fractions within 0..1) and its portfolio
    becomes the incumbent when it is worth more; a worse one or None changes nothing.
    The search and the LP rounds' own portfolios are switched off, so that only the
    start and the hook can bring a portfolio."""
    _cancel_searches(monkeypatch)
    monkeypatch.setattr(CutLoop, "_take_lp_point", lambda self, x: None)
    checked = 0
    for seed in range(10):
        _, inst = _random_instance(400 + seed, objective, n=9, rows=25)
        known = _best_portfolio(inst)
        empty = np.zeros(inst.n_partners, bool)
        if known is None or not known[0] > 0 or violations(inst, empty):
            continue
        best, x_best = known
        seen: list[np.ndarray] = []

        def polish(x_lp: np.ndarray, keep: np.ndarray = x_best, seen: list[np.ndarray] = seen) -> np.ndarray:
            seen.append(x_lp)
            return keep

        solved = solve_by_cuts(_side(inst), row_values(inst), time_limit=20, gap=0.0, seed=0,
                               start=empty, threads=1, polish=polish)
        assert len(seen) == 1 and ((seen[0] >= -1e-9) & (seen[0] <= 1 + 1e-9)).all()
        assert solved.objective == pytest.approx(best, rel=1e-9, abs=1e-9)
        assert solved.x is not None and np.array_equal(solved.x, x_best)
        for hook in (lambda _x, e=empty: e, lambda _x: None):
            kept = solve_by_cuts(_side(inst), row_values(inst), time_limit=20, gap=0.0, seed=0,
                                 start=x_best, threads=1, polish=hook)
            assert kept.x is not None and np.array_equal(kept.x, x_best)
        checked += 1
    assert checked >= 3


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_the_lp_rounds_and_the_fill_in_bring_only_portfolios_keeping_every_rule(
    objective: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the search switched off, the portfolios the LP rounds' optima (rounded) and
    the fill-in on their fractional columns bring keep every rule, are valued at their
    true worth and are never worth more than the optimum by enumeration; with the
    search on, the fill-in changes no optimum."""
    checked = improved = 0
    for seed in range(12):
        _, inst = _random_instance(500 + seed, objective, n=9, rows=25)
        known = _best_portfolio(inst)
        empty = np.zeros(inst.n_partners, bool)
        if known is None or violations(inst, empty):
            continue
        best = known[0]
        rv = row_values(inst)
        with monkeypatch.context() as m:
            _cancel_searches(m)
            off = solve_by_cuts(_side(inst), rv, time_limit=20, gap=0.0, seed=0, start=empty, threads=1,
                                fill_in=True)
        assert off.x is not None and not violations(inst, off.x)
        assert off.objective == pytest.approx(_objective(rv, off.x.astype(float)), rel=1e-9, abs=1e-9)
        assert off.objective <= best + 1e-9 * max(abs(best), 1.0)
        improved += off.objective > _objective(rv, empty.astype(float)) + 1e-9
        on = solve_by_cuts(_side(inst), rv, time_limit=20, gap=0.0, seed=0, start=empty, threads=1,
                           fill_in=True)
        assert on.state == "optimal" and on.objective == pytest.approx(best, rel=1e-9, abs=1e-9)
        checked += 1
    assert checked >= 3 and improved >= 1


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_reduced_cost_fixing_excludes_only_worse_portfolios(
    objective: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Started from the optimum, the master fixes partners by the last LP's reduced
    costs: every portfolio a fixing excludes is worth at most the bound it answers
    (below the optimum), by enumeration; and the search still proves the optimum."""
    import selector.portfolio.cut_master as cut_master

    seen: list[tuple[np.ndarray, np.ndarray, float]] = []
    real = cut_master.CutMaster.fix_by_reduced_costs

    def recorded(master: Any, lp_value: float, x: np.ndarray, d: np.ndarray, best: float) -> float:
        before = master.h.getLp()
        lo0, hi0 = np.array(before.col_lower_)[: master.n], np.array(before.col_upper_)[: master.n]
        worth = real(master, lp_value, x, d, best)
        after = master.h.getLp()
        lo, hi = np.array(after.col_lower_)[: master.n], np.array(after.col_upper_)[: master.n]
        changed = (lo != lo0) | (hi != hi0)
        seen.append((changed, lo, worth))
        return worth

    monkeypatch.setattr(cut_master.CutMaster, "fix_by_reduced_costs", recorded)
    fixed = 0
    for seed in range(12):
        _, inst = _random_instance(500 + seed, objective, n=9, rows=25)
        known = _best_portfolio(inst)
        if known is None:
            continue
        best, x_best = known
        seen.clear()
        solved = solve_by_cuts(_side(inst), row_values(inst), time_limit=20, gap=0.0, seed=0,
                               start=x_best, threads=1)
        assert solved.state == "optimal"
        assert solved.objective == pytest.approx(best, rel=1e-9, abs=1e-9)
        assert solved.bound is not None and solved.bound >= best * (1 - TOL) - TOL
        if not seen or not seen[0][0].any():
            continue
        changed, lo, worth = seen[0]
        assert worth < best
        fixed += int(changed.sum())
        for bits in itertools.product([False, True], repeat=inst.n_partners):
            x = np.array(bits, dtype=bool)
            if violations(inst, x) or not (x[changed] != (lo[changed] > 0.5)).any():
                continue
            assert evaluate(inst, x) <= worth + TOL * max(abs(worth), 1.0), (seed, bits)
    assert fixed >= 3


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("objective", OBJECTIVES)
def test_rebased_rows_value_a_selection_less_the_fixed_part(objective: str, seed: int) -> None:
    """With some columns taken and some left out, the rebased rows value every selection
    that keeps them so at its full value less one constant (the fixed-in part)."""
    from selector.portfolio.cuts import rebased

    _, inst = _random_instance(500 + seed, objective, n=8, rows=16)
    rv = row_values(inst)
    rng = np.random.default_rng(seed)
    state = rng.integers(0, 3, inst.n_partners)  # 0 left out, 1 taken, 2 free
    state[inst.fixed_out] = 0
    fixed_in, free = state == 1, state == 2
    rb = rebased(rv, fixed_in, free)
    assert not fixed_in[rb.member].any() and free[rb.member].all()
    assert (rb.q > 0).all() and (np.diff(rb.ptr) >= 2).all()
    gaps = []
    for bits in itertools.product([False, True], repeat=int(free.sum())):
        x = fixed_in.copy()
        x[np.flatnonzero(free)] = bits
        gaps.append(_objective(rv, x.astype(float)) - _objective(rb, x.astype(float)))
    assert max(gaps) - min(gaps) <= 1e-9 * max(1.0, abs(max(gaps)))


@settings(max_examples=40, deadline=None, phases=PHASES, suppress_health_check=[HealthCheck.too_slow])
@given(spec=specs(), drop=st.integers(1, 3), add=st.integers(1, 3), seed=st.integers(0, 3))
def test_the_neighbourhood_search_keeps_every_rule_and_never_loses_value(
    spec: Spec, drop: int, add: int, seed: int,
) -> None:
    """From the empty portfolio (when it keeps the rules), small neighbourhoods: every
    answer keeps every rule, is worth what it says, no less than the start and no more
    than the optimum."""
    import selector.portfolio.cuts as cuts

    for kind in OBJECTIVES:
        s = dataclasses.replace(spec, objective=kind)
        best = s.brute_force()
        inst = build_instance(s.scenario(), partner_quality(s.scenario()))
        start = inst.fixed_in.copy()
        if best is None or violations(inst, start):
            continue
        rv = row_values(inst)
        value0 = _objective(rv, start.astype(float))
        lp = np.random.default_rng(seed).random(inst.n_partners)
        old = (cuts.NEIGHBOURHOOD_DROP, cuts.NEIGHBOURHOOD_ADD, cuts.NEIGHBOURHOOD_STALL)
        cuts.NEIGHBOURHOOD_DROP, cuts.NEIGHBOURHOOD_ADD, cuts.NEIGHBOURHOOD_STALL = drop, add, 6
        try:
            x, value = cuts._neighbourhood(_side(inst), rv, lp, start, value0, until=time.perf_counter() + 20,
                                           seed=seed, threads=1)
        finally:
            cuts.NEIGHBOURHOOD_DROP, cuts.NEIGHBOURHOOD_ADD, cuts.NEIGHBOURHOOD_STALL = old
        assert not violations(inst, x)
        assert value == pytest.approx(evaluate(inst, x), rel=1e-12, abs=1e-9)
        assert value >= value0 - 1e-9
        assert value <= best * (1 + TOL) + TOL


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("objective", OBJECTIVES)
def test_a_neighbourhood_of_every_column_is_the_whole_problem(objective: str, seed: int) -> None:
    """When a try frees every column (the LP takes them all a little), its small problem
    is the whole one: the first try answers the optimum, from a poor start."""
    import selector.portfolio.cuts as cuts

    _, inst = _random_instance(600 + seed, objective, n=9, rows=24)
    found = _best_portfolio(inst)
    assert found is not None
    rv = row_values(inst)
    start = np.zeros(inst.n_partners, bool)
    if violations(inst, start):
        pytest.skip("the empty portfolio breaks a rule")
    x, value = cuts._neighbourhood(_side(inst), rv, np.full(inst.n_partners, 0.5), start,
                                   _objective(rv, start.astype(float)), until=time.perf_counter() + 20,
                                   seed=seed, threads=1)
    assert value == pytest.approx(found[0], rel=1e-9, abs=1e-9)
    assert not violations(inst, x) and value == pytest.approx(evaluate(inst, x), rel=1e-12, abs=1e-9)


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_solve_with_the_neighbourhood_search_still_proves_the_optimum(
    objective: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The search runs in solve() (its size threshold lifted) and the proof still holds."""
    import selector.portfolio.cuts as cuts

    calls: list[float] = []
    real = cuts._neighbourhood

    def counted(*args: Any, **kwargs: Any) -> Any:
        out = real(*args, **kwargs)
        calls.append(out[1])
        return out

    monkeypatch.setattr(cuts, "NEIGHBOURHOOD_MIN_COLUMNS", 0)
    monkeypatch.setattr(cuts, "_neighbourhood", counted)
    for seed in range(4):
        spec, _ = _random_instance(700 + seed, objective, n=12, rows=40)
        best = spec.brute_force()
        assert best is not None
        seen: list[Any] = []
        result = solve(spec.scenario(), gap=0.0, time_limit=20, warm_start=True, progress=seen.append)
        assert seen
        assert all(p.bound is None or p.bound >= best * (1 - TOL) for p in seen)
        assert all(p.incumbent is None or p.incumbent <= best * (1 + TOL) for p in seen)
        assert result.status == "optimal"
        assert result.objective == pytest.approx(best, rel=1e-9)
        assert result.bound is not None and result.bound >= best * (1 - TOL)
    assert calls, "the neighbourhood search never ran"


# --- the loop's stages (CutLoop), one at a time --------------------------------------


def _loop(inst: Any, **options: Any) -> Any:
    from selector.portfolio.cuts import CutLoop, CutOptions

    start = options.pop("start", None)
    cost = options.pop("cost", None)
    opts = CutOptions(time_limit=20, gap=0.0, seed=0, threads=1, **options)
    return CutLoop(_side(inst), row_values(inst), opts, start=start, cost=cost)


def test_cut_options_are_frozen_and_keyword_only() -> None:
    from selector.portfolio.cuts import CutOptions

    with pytest.raises(TypeError):
        CutOptions(10.0, 0.0, 1)  # type: ignore[misc]
    opts = CutOptions(time_limit=10.0, gap=0.0, seed=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        opts.gap = 0.1  # type: ignore[misc]
    assert dataclasses.replace(opts, node_limit=5).node_limit == 5


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_the_lp_rounds_alone_bound_the_optimum(objective: str) -> None:
    """After the LP rounds (no search) the bound is at or above the optimum, the LP
    optimum they leave is a fraction per column, and a portfolio they leave (an LP
    optimum rounded) keeps every rule."""
    checked = 0
    for seed in range(6):
        spec, inst = _random_instance(1000 + seed, objective, n=10, rows=30)
        best = spec.brute_force()
        if best is None:
            continue
        loop = _loop(inst)
        loop.seed_from_start()
        assert loop.lp_rounds()
        assert loop.bound >= best * (1 - TOL) - TOL, (seed, loop.bound, best)
        assert loop.lp_x is not None and ((loop.lp_x >= -1e-9) & (loop.lp_x <= 1 + 1e-9)).all()
        assert loop.priced is not None and loop.priced[0] == pytest.approx(loop.bound)
        # no start, no search: a portfolio only from an LP optimum rounded, keeping every rule
        if loop.best_x is not None:
            assert not violations(inst, loop.best_x)
            assert loop.best == pytest.approx(evaluate(inst, loop.best_x), rel=1e-9, abs=1e-9)
            assert loop.best <= best * (1 + TOL) + TOL
        checked += 1
    assert checked >= 3


def test_the_start_is_valued_exactly_and_is_the_best_known() -> None:
    _, inst = _random_instance(1100, "weighted_coverage", n=10, rows=30)
    start = np.zeros(inst.n_partners, bool)
    assert not violations(inst, start)
    loop = _loop(inst, start=start)
    loop.seed_from_start()
    assert loop.best_x is not None and np.array_equal(loop.best_x, start)
    assert loop.best == pytest.approx(evaluate(inst, start), rel=1e-12, abs=1e-9)


@pytest.mark.parametrize("nodes", [1, 3])
def test_the_search_runs_once_within_its_node_limit(nodes: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """With a node limit the search stage runs one branch and bound, of at most that many
    nodes, and its bound still holds."""
    import highspy

    import selector.portfolio.cuts as cuts

    searches: list[int] = []
    real = cuts.run_guarded

    def counted(h: Any, seconds: float) -> Any:
        status = real(h, seconds)
        if highspy.HighsVarType.kInteger in list(h.getLp().integrality_):
            searches.append(int(h.getInfo().mip_node_count))
        return status

    monkeypatch.setattr(cuts, "run_guarded", counted)
    ran = 0
    for seed in range(4):
        spec, inst = _random_instance(1200 + seed, "coverage", n=12, rows=40)
        best = spec.brute_force()
        searches.clear()
        loop = _loop(inst, node_limit=nodes)
        loop.seed_from_start()
        assert loop.lp_rounds()
        assert loop.search()
        assert len(searches) <= 1 and all(count <= nodes for count in searches), searches
        ran += len(searches)
        if best is not None and loop.best_x is not None:
            state = loop.settle()
            assert loop.bound >= best * (1 - TOL) - TOL
            assert state == "time_limit" or loop.best == pytest.approx(best, rel=1e-9, abs=1e-9)
    assert ran >= 2


def test_an_infeasible_master_is_found_by_the_lp_rounds() -> None:
    """Plans whose rules no portfolio keeps, even in fractions: the LP rounds say so and
    the loop answers "infeasible" without a search."""
    checked = 0
    for seed in range(7300, 7316):
        ch = random_channel(seed, "coverage")
        if ch.brute_force()[0] is not None:
            continue
        inst = _instance(ch.scenario(), None)
        if any(rule.kind == "coverage" for rule in inst.rules) or _loop(inst).lp_rounds():
            continue  # the LP keeps the rules; only the 0/1 problem breaks one
        assert _loop(inst).run().state == "infeasible"
        checked += 1
    assert checked >= 1


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_solve_by_cuts_is_one_cut_loop_run(objective: str) -> None:
    """The function and the class give the same answer (deterministic mode)."""
    for seed in range(3):
        _, inst = _random_instance(1300 + seed, objective, n=12, rows=40)
        by_function = solve_by_cuts(_side(inst), row_values(inst), time_limit=20, gap=0.0, seed=0, start=None,
                                    threads=1, node_limit=5, cost=inst.cost)
        by_class = _loop(inst, node_limit=5, cost=inst.cost).run()
        assert by_function.state == by_class.state
        assert by_function.objective == by_class.objective and by_function.bound == by_class.bound
        assert (by_function.x is None) == (by_class.x is None)
        if by_function.x is not None:
            assert np.array_equal(by_function.x, by_class.x)

"""Tests for selector/portfolio/solvers.py: the CBC path through PuLP agrees with HiGHS."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from portfolio_cases import (
    PHASES,
    Spec,
    check_against_brute_force,
    coverage_pairs,
    each_objective,
    specs,
    tiny_frames,
)

from selector.inputs.scenario import scenario_from_frames
from selector.portfolio import build_model, partner_quality, solve
from selector.portfolio.instance import build_instance

TEACHING_PLAN = Path(__file__).resolve().parents[2] / "scenarios" / "teaching-plan.toml"


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
    partners, segments = tiny_frames(2, 1)
    cov = coverage_pairs([("P0", "S0"), ("P1", "S0")])
    scenario = scenario_from_frames(
        partners, segments, coverage=cov, settings={"budget": {"total": 150}}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        assert solve(scenario, solver="cbc").status == "optimal"


def test_cbc_model_without_rows_is_optimal() -> None:
    partners, segments = tiny_frames(2, 1, cost=[0, 0])
    segments["value"] = 0
    cov = coverage_pairs([("P0", "S0"), ("P1", "S0")])
    scenario = scenario_from_frames(partners, segments, coverage=cov, settings={})
    assert solve(scenario, solver="highs").status == "optimal"
    assert solve(scenario, solver="cbc").status == "optimal"


def test_progress_reports_a_consistent_running_solve() -> None:
    """solve(progress=...) hears from HiGHS while it runs: time never goes back, the
    bound never falls below the best portfolio so far, and the last report agrees with
    the result."""
    from selector import load_scenario
    from selector.portfolio import SolveProgress

    seen: list[SolveProgress] = []
    result = solve(load_scenario(TEACHING_PLAN), time_limit=30, progress=seen.append)
    assert result.status == "optimal"
    assert seen, "no progress was reported"
    times = [p.seconds for p in seen]
    assert times == sorted(times)
    both = [p for p in seen if p.incumbent is not None and p.bound is not None]
    assert both
    for p in both:
        assert p.bound >= p.incumbent * (1 - 1e-9)
        # HiGHS measures the gap against the incumbent
        assert p.gap == pytest.approx((p.bound - p.incumbent) / p.incumbent, rel=1e-6, abs=1e-9)
    assert result.bound is not None and result.objective is not None
    assert max(p.incumbent for p in both) <= result.bound * (1 + 1e-9)


def test_progress_in_words() -> None:
    from selector.app.shared import progress_words
    from selector.portfolio import SolveProgress

    assert progress_words(None) == ""
    assert progress_words(SolveProgress(1.0, None, None, None)) == ""
    words = progress_words(SolveProgress(2.0, 1_000.0, 1_100.0, 0.0909))
    assert words == " · best so far 1,000 · bound 1,100 · gap 9.09%"

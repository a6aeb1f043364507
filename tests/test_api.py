"""The public API: a test that fails when it changes by accident.

Changing the public names on purpose means changing this list too, in the same commit.
"""

from __future__ import annotations

import dataclasses
import inspect

import selector

PUBLIC = [
    "AhpResult",
    "Budget",
    "Constraints",
    "CriteriaModel",
    "Criterion",
    "FrontierResult",
    "GroupResult",
    "InfeasibleError",
    "JudgmentError",
    "JudgmentSet",
    "ModelWeights",
    "PartnerScores",
    "PortfolioResult",
    "Revision",
    "RobustnessResult",
    "Scenario",
    "ScenarioError",
    "SelectorError",
    "Session",
    "SolverError",
    "SweepResult",
    "TierRule",
    "__version__",
    "build_graph",
    "explain_partners",
    "frontier",
    "heuristic_solve",
    "load_model",
    "load_scenario",
    "load_sweep",
    "model_weights",
    "robustness",
    "scenario_from_frames",
    "score_partners",
    "solve",
    "sweep",
    "weigh",
]

RESULT_FIELDS = {
    "status", "selected", "objective", "bound", "gap", "cost", "budget", "pools",
    "coverage", "solver", "wall_seconds", "build_seconds", "objective_kind", "scenario",
    "explanation", "heuristic_objective", "stats", "plan", "plan_summary",
    "rules", "relaxations", "roadmap", "roadmap_summary",
}


def test_public_names_are_exactly_these() -> None:
    assert sorted(selector.__all__) == sorted(PUBLIC)
    for name in PUBLIC:
        assert hasattr(selector, name), name


def test_solve_keeps_its_keyword_options() -> None:
    params = inspect.signature(selector.solve).parameters
    assert next(iter(params)) == "scenario"
    for name in ("solver", "time_limit", "gap", "seed", "scores", "warm_start", "start"):
        assert params[name].kind is inspect.Parameter.KEYWORD_ONLY, name


def test_portfolio_result_fields() -> None:
    fields = {f.name for f in dataclasses.fields(selector.PortfolioResult)}
    assert fields == RESULT_FIELDS


def test_weigh_contract() -> None:
    params = inspect.signature(selector.weigh).parameters
    assert list(params)[:2] == ["judgments", "items"]
    for name in ("method", "ri"):
        assert params[name].kind is inspect.Parameter.KEYWORD_ONLY, name
    r = selector.weigh({("a", "b"): 3})
    assert set(r.weights) == {"a", "b"}
    assert r.method == "eigenvector" and r.ri_table == "saaty1980"


def test_errors_share_one_root() -> None:
    for exc in (
        selector.ScenarioError, selector.JudgmentError, selector.InfeasibleError,
        selector.SolverError,
    ):
        assert issubclass(exc, selector.SelectorError)

"""Tests for selector/portfolio/model.py: the MIP, solved by HiGHS, against brute force.

Each random scenario (``portfolio_cases.specs``) is solved under every objective kind
and compared with the best subset found by enumeration from the definitions. The
``@example`` cases sit on each rule's boundary (a segment with exactly one partner more
than its cap, a requirement met by exactly its coverers, a budget or pool spent to the
unit, a type count at its minimum and maximum), so a rule whose row is skipped or
off by one fails on every run, whatever the random draw.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from portfolio_cases import PHASES, Spec, check_against_brute_force, each_objective, spec_of, specs

from selector.portfolio import build_model, partner_quality, solve
from selector.portfolio.instance import build_instance
from selector.portfolio.model import GROUPS

# S0 is covered by P0 and P1, one more than its cap of 1; each also covers a segment of
# its own, so taking both is worth more than either (and min_cost needs both).
CAP_ONE_OVER = spec_of([10, 10], [50, 30, 20], [(0, 0), (0, 1), (1, 0), (1, 2)],
                       budget=None, cap=1)
# Cap 2, degree 3: any two of the three, never all three.
CAP_TWO_OVER = spec_of([5, 5, 5], [60, 10, 20, 30],
                       [(0, 0), (1, 0), (2, 0), (0, 1), (1, 2), (2, 3)], budget=None, cap=2)
# Cap equal to the degree: no row is needed, taking all is allowed.
CAP_AT_DEGREE = spec_of([5, 5], [60, 10, 20], [(0, 0), (1, 0), (0, 1), (1, 2)],
                        budget=None, cap=2)
# Named S0 needs 2 partners and has exactly 2 coverers, one of them poor value.
NEED_ALL_COVERERS = spec_of([10, 40, 10], [5, 50, 0], [(0, 0), (1, 0), (2, 1), (1, 2)],
                            budget=60, named=[True, False, False], named_need=2)
# The best pair costs exactly the budget; one unit less and it does not fit.
BUDGET_EXACT = spec_of([30, 20, 25], [40, 35, 30], [(0, 0), (1, 1), (2, 2)], budget=50)
BUDGET_ONE_SHORT = spec_of([30, 20, 25], [40, 35, 30], [(0, 0), (1, 1), (2, 2)], budget=49)
# The pool of the SIs holds exactly the two SIs.
POOL_EXACT = spec_of([20, 15, 10], [40, 30, 20], [(0, 0), (1, 1), (2, 2)], budget=None,
                     types=["si", "si", "reseller"], pools={"type:si": 35})
POOL_ONE_SHORT = spec_of([20, 15, 10], [40, 30, 20], [(0, 0), (1, 1), (2, 2)], budget=None,
                         types=["si", "si", "reseller"], pools={"type:si": 34})
# Type mix: exactly one SI (min = max = 1) though two would be worth more.
TYPE_MIX_EXACT = spec_of([5, 5, 5], [40, 30, 20], [(0, 0), (1, 1), (2, 2)], budget=None,
                         types=["si", "si", "reseller"], type_mix={"si": (1, 1)})
# P0 and P1 conflict; tier-2 P2 needs its distributor P0: the best is P0 with P2.
CONFLICT_AND_SUPPLY = spec_of([5, 5, 5], [40, 30, 20], [(0, 0), (1, 1), (2, 2)], budget=None,
                              types=["distributor", "reseller", "reseller"], tier=[1, 1, 2],
                              conflicts=[(0, 1)], supply=[(0, 2)])
BOUNDARIES = [
    CAP_ONE_OVER, CAP_TWO_OVER, CAP_AT_DEGREE, NEED_ALL_COVERERS, BUDGET_EXACT,
    BUDGET_ONE_SHORT, POOL_EXACT, POOL_ONE_SHORT, TYPE_MIX_EXACT, CONFLICT_AND_SUPPLY,
]


def _with_examples(test):  # type: ignore[no-untyped-def]
    for case in reversed(BOUNDARIES):
        test = example(spec=case)(test)
    return test


@settings(
    max_examples=110, deadline=None, phases=PHASES, suppress_health_check=[HealthCheck.too_slow]
)
@given(spec=specs())
@_with_examples
def test_highs_optimum_equals_brute_force(spec: Spec) -> None:
    """Each example is checked under weighted_coverage, coverage and min_cost."""
    for variant, scenario in each_objective(spec):
        check_against_brute_force(variant, "highs", scenario)


@pytest.mark.parametrize(
    ("spec", "objective", "optimum"),
    [
        (CAP_ONE_OVER, "coverage", 80.0),  # both would give 100
        (CAP_ONE_OVER, "min_cost", None),  # covering S1 and S2 needs both: infeasible
        (CAP_TWO_OVER, "coverage", 110.0),  # all three would give 120
        (CAP_AT_DEGREE, "coverage", 90.0),
        (NEED_ALL_COVERERS, "coverage", 55.0),
        (BUDGET_EXACT, "coverage", 75.0),
        (BUDGET_ONE_SHORT, "coverage", 65.0),  # P1 and P2
        (POOL_EXACT, "coverage", 90.0),
        (POOL_ONE_SHORT, "coverage", 60.0),
        (TYPE_MIX_EXACT, "coverage", 60.0),
        (CONFLICT_AND_SUPPLY, "coverage", 60.0),
    ],
)
def test_boundary_cases_by_hand(spec: Spec, objective: str, optimum: float | None) -> None:
    """The optimum of each boundary case, worked out by hand (and by the brute force)."""
    variant, scenario = next((v, s) for v, s in each_objective(spec) if v.objective == objective)
    assert variant.brute_force() == optimum
    result = solve(scenario, gap=0.0, seed=1)
    if optimum is None:
        assert result.status == "infeasible"
    else:
        assert result.status == "optimal" and result.objective == pytest.approx(optimum)


def test_cap_row_for_a_segment_one_partner_over() -> None:
    """The model has a cap row for every segment with more coverers than its cap, the
    smallest excess (one) included, and none where the cap is not below the degree."""
    for spec, rows in ((CAP_ONE_OVER, 1), (CAP_TWO_OVER, 1), (CAP_AT_DEGREE, 0)):
        scenario = spec.scenario()
        model = build_model(build_instance(scenario, partner_quality(scenario)))
        assert int((model.row_group == GROUPS.index("caps")).sum()) == rows, spec

"""Tests for selector/portfolio/model.py: the MIP, solved by HiGHS, against brute force.

Each random scenario (``portfolio_cases.specs``) is solved under every objective kind
and compared with the best subset found by enumeration from the definitions.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from portfolio_cases import PHASES, Spec, check_against_brute_force, each_objective, specs


@settings(
    max_examples=110, deadline=None, phases=PHASES, suppress_health_check=[HealthCheck.too_slow]
)
@given(spec=specs())
def test_highs_optimum_equals_brute_force(spec: Spec) -> None:
    """Each example is checked under weighted_coverage, coverage and min_cost."""
    for variant, scenario in each_objective(spec):
        check_against_brute_force(variant, "highs", scenario)

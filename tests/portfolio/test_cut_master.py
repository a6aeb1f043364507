"""The row value functions and the Benders master (selector/portfolio/cut_master.py).

The master is checked on random small scenarios: at a 0/1 portfolio whose cuts it has,
it values the portfolio exactly; its value at any of its points is the partner part and
the rows' theta; a point whose cuts are in calls for no more; scaled or not it is the
same problem. (The value functions and cut formulas themselves are checked against
``evaluate`` and enumeration in test_cuts.py, where the loop lives.)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from portfolio_cases import spec_of

from selector.portfolio import partner_quality
from selector.portfolio.cut_master import CutMaster, row_values
from selector.portfolio.instance import build_instance, evaluate, violations
from selector.portfolio.model import build_model

OBJECTIVES = ("coverage", "weighted_coverage")


def _instance(seed: int, objective: str, n: int = 8, rows: int = 20) -> Any:
    rng = np.random.default_rng(seed)
    covers = [(p, s) for p in range(n) for s in range(rows) if rng.random() < 0.35]
    spec = spec_of(list(rng.integers(5, 30, n)), list(rng.integers(1, 60, rows)), covers,
                   budget=int(rng.integers(20, 80)), objective=objective,
                   score=[float(v) for v in rng.uniform(0.3, 1.0, n).round(2)])
    scenario = spec.scenario()
    return build_instance(scenario, partner_quality(scenario))


def _portfolios(inst: Any, seed: int, count: int = 6) -> list[np.ndarray]:
    """Random portfolios that keep every rule (the fixed-out partners left out)."""
    rng = np.random.default_rng(seed)
    found = []
    for _ in range(200):
        x = (rng.random(inst.n_partners) < 0.4) & ~inst.fixed_out
        x |= inst.fixed_in
        if not violations(inst, x):
            found.append(x)
        if len(found) == count:
            break
    return found


def _lp_value_with(master: CutMaster, x: np.ndarray) -> float:
    """The master's LP optimum with its partner columns fixed at ``x``."""
    cols = np.arange(master.n, dtype=np.int32)
    master.h.changeColsBounds(master.n, cols, x.astype(float), x.astype(float))
    master.h.run()
    assert master.h.getModelStatus() == master.hs.HighsModelStatus.kOptimal
    value = float(master.h.getInfo().objective_function_value)
    master.h.changeColsBounds(master.n, cols, master.col_lo.astype(float), master.col_hi.astype(float))
    return value


@pytest.mark.parametrize("scaled", [False, True])
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("objective", OBJECTIVES)
def test_the_master_values_a_portfolio_exactly_once_it_has_its_cuts(
    objective: str, seed: int, scaled: bool
) -> None:
    inst = _instance(800 + seed, objective)
    rv = row_values(inst)
    side = build_model(inst, drop=("objective_link",))
    for x in _portfolios(inst, seed):
        assert rv.objective(x.astype(float)) == pytest.approx(evaluate(inst, x), rel=1e-12, abs=1e-9)
        master = CutMaster(side, rv, seed=0, threads=1, scaled=scaled)
        # before its cuts, every row counts at its largest value: never below the truth
        assert _lp_value_with(master, x) >= rv.objective(x.astype(float)) - 1e-6
        master.add_cuts(x.astype(float))
        assert _lp_value_with(master, x) == pytest.approx(rv.objective(x.astype(float)), rel=1e-9, abs=1e-6)
        # the same portfolio calls for no more cuts at the master's values of it
        v = np.asarray(master.h.getSolution().col_value)
        assert master.add_cuts(x.astype(float), master.theta(v)) == 0


@pytest.mark.parametrize("scaled", [False, True])
@pytest.mark.parametrize("objective", OBJECTIVES)
def test_the_master_value_is_the_partner_part_and_the_rows_theta(objective: str, scaled: bool) -> None:
    inst = _instance(900, objective)
    rv = row_values(inst)
    master = CutMaster(build_model(inst, drop=("objective_link",)), rv, seed=0, threads=1, scaled=scaled)
    x0 = _portfolios(inst, 0, count=1)[0]
    master.add_cuts(x0.astype(float))  # some rows get theta columns, the others none yet
    assert 0 < int((master.col_of_row >= 0).sum()) <= rv.n_rows
    master.h.run()
    v = np.asarray(master.h.getSolution().col_value)
    assert master.value_of(v) == pytest.approx(float(rv.c_x @ v[: master.n] + master.theta(v).sum()),
                                               rel=1e-12, abs=1e-9)
    assert master.value_of(v) == pytest.approx(float(master.h.getInfo().objective_function_value),
                                               rel=1e-9, abs=1e-6)


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_scaled_and_plain_masters_are_the_same_problem(objective: str) -> None:
    inst = _instance(950, objective)
    rv = row_values(inst)
    side = build_model(inst, drop=("objective_link",))
    values = []
    for scaled in (False, True):
        master = CutMaster(side, rv, seed=0, threads=1, scaled=scaled)
        for x in _portfolios(inst, 1):
            master.add_cuts(x.astype(float))
        master.h.run()
        values.append(float(master.h.getInfo().objective_function_value))
    assert values[0] == pytest.approx(values[1], rel=1e-9, abs=1e-6)

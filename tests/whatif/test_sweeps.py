"""Scenario sweeps: grids of settings, solved and tabulated; sweep specs from TOML.

The teaching scenario solves in a fraction of a second, so whole sweeps run here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from selector import load_scenario, solve
from selector.errors import ScenarioError
from selector.inputs.scenario import Scenario
from selector.whatif.sweeps import load_sweep, sweep

REPO = Path(__file__).resolve().parents[2]
TEACHING = REPO / "scenarios" / "teaching.toml"
TEACHING_SWEEP = REPO / "scenarios" / "sweeps" / "teaching-budget-cap.toml"
VENDOR_SWEEP = REPO / "scenarios" / "sweeps" / "vendor-budget-distributor.toml"


@pytest.fixture(scope="module")
def teaching() -> Scenario:
    return load_scenario(TEACHING)


GRID: dict[str, list[Any]] = {
    "budget.total": [500_000, 700_000],
    "constraints.max_partners_per_segment": [2, 3],
    "constraints.must_exclude": [[], ["D01"]],
}


def test_sweep_rows_match_direct_solves(teaching: Scenario) -> None:
    result = sweep(teaching, GRID, engine="serial")
    assert len(result.rows) == 8 and result.keys == tuple(GRID)
    assert [tuple(r.overrides.values()) for r in result.rows][:2] == [
        (500_000, 2, []), (500_000, 2, ["D01"])
    ]
    for row in result.rows:
        o = row.overrides
        variant = teaching.with_changes({
            "budget": {"total": o["budget.total"]},
            "constraints": {
                "max_partners_per_segment": o["constraints.max_partners_per_segment"],
                "must_exclude": o["constraints.must_exclude"],
            },
        })
        direct = solve(variant, time_limit=10, gap=1e-3, threads=1, explain=False,
                       warm_start=False)
        assert row.status == direct.status
        assert row.selected == (direct.selected if direct.feasible else ())
        if direct.feasible:
            assert row.objective == pytest.approx(direct.objective)
            assert row.cost == pytest.approx(direct.cost)
            assert "D01" not in row.selected or o["constraints.must_exclude"] == []
    frame = result.to_frame()
    assert len(frame) == 8
    assert list(frame.columns[:3]) == list(GRID)
    assert {"status", "objective", "bound", "gap", "cost", "covered_share", "n_selected",
            "selected"} <= set(frame.columns)
    assert set(frame["constraints.must_exclude"]) == {"", "D01"}
    d = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert d["keys"] == list(GRID) and len(d["rows"]) == 8
    for row, back in zip(result.rows, d["rows"], strict=True):
        assert back["overrides"] == {k: (list(v) if isinstance(v, tuple) else v)
                                     for k, v in row.overrides.items()}
        assert back["status"] == row.status and back["selected"] == list(row.selected)
        assert back["n_selected"] == len(row.selected)
        assert back["objective"] == (None if row.objective is None else pytest.approx(row.objective))


def test_sweep_refuses_bad_grids(teaching: Scenario) -> None:
    with pytest.raises(ScenarioError, match=r"grid key 'budget\.totl' is not a scenario setting"):
        sweep(teaching, {"budget.totl": [1]}, engine="serial")
    with pytest.raises(ScenarioError, match="grid key 'partners'"):
        sweep(teaching, {"partners": ["x.csv"]}, engine="serial")
    with pytest.raises(ScenarioError, match=r"grid 'budget\.total' is 5; accepted: a non-empty list"):
        sweep(teaching, {"budget.total": 5}, engine="serial")  # type: ignore[dict-item]
    with pytest.raises(ScenarioError, match="max_partners_per_segment is 0"):
        sweep(teaching, {"constraints.max_partners_per_segment": [2, 0]}, engine="serial")
    with pytest.raises(ScenarioError, match="'Z99' is not a partner id"):
        sweep(teaching, {"constraints.must_exclude": [["Z99"]]}, engine="serial")
    # both distributors (330k together) are needed for the named segments
    pooled = sweep(teaching, {"budget.pools.type:distributor": [300_000, 400_000]}, engine="serial")
    assert [r.status for r in pooled.rows] == ["infeasible", "optimal"]


def test_load_sweep_example_specs(teaching: Scenario) -> None:
    scenario, grid = load_sweep(TEACHING_SWEEP)
    assert scenario.fingerprint == teaching.fingerprint
    assert grid == {
        "budget.total": [500_000, 600_000, 750_000],
        "constraints.max_partners_per_segment": [2, 3],
    }
    assert len(sweep(scenario, grid, engine="serial").rows) == 6
    vendor, vgrid = load_sweep(VENDOR_SWEEP)
    current = int((vendor.partners["status"] == "current").sum())
    assert (current, len(vendor.partners)) == (604, 754)
    assert len(vgrid["constraints.must_exclude"]) == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('scenario = "../nope.toml"\n[grid]\n"budget.total" = [1]\n', "scenario .*nope.toml. not found"),
        ('scenario = "TEACHING"\n[grid]\n"budget.totl" = [1]\n', "grid key 'budget.totl'"),
        ('scenario = "TEACHING"\n[grid]\nbudget.total = [1]\n', "quote dotted keys"),
        ('scenario = "TEACHING"\n', r"\[grid\] is missing"),
        ('[grid]\n"budget.total" = [1]\n', "'scenario' is missing"),
        ('scenario = "TEACHING"\ngird = 1\n', "unknown key"),
        ('scenario = "TEACHING"\n[grid\n', "not valid TOML"),
    ],
)
def test_load_sweep_errors_name_the_file_and_field(tmp_path: Path, text: str, message: str) -> None:
    spec = tmp_path / "spec.toml"
    spec.write_text(text.replace("TEACHING", TEACHING.as_posix()))
    with pytest.raises(ScenarioError, match=message) as info:
        load_sweep(spec)
    assert "spec.toml" in str(info.value)


def test_a_grid_with_too_many_combinations_is_refused_before_anything_is_built(
    tmp_path: Path,
) -> None:
    """Three 1,000-value grids in a few kB of TOML are a billion combinations: refused,
    naming the count and the limit, without building them."""
    spec = tmp_path / "big.toml"
    values = ", ".join(str(400_000 + k) for k in range(1000))
    spec.write_text(
        f'scenario = "{(REPO / "scenarios" / "teaching.toml").as_posix()}"\n[grid]\n'
        f'"budget.total" = [{values}]\n'
        f'"budget.pools.type:distributor" = [{values}]\n'
        f'"constraints.max_partners_per_segment" = [{values}]\n'
    )
    with pytest.raises(ScenarioError) as info:
        load_sweep(spec)
    assert "1,000 x 1,000 x 1,000 = 1,000,000,000 combinations; accepted: at most 1,000" in str(
        info.value
    )


@pytest.mark.parametrize("name", ["teaching", "teaching-plan"])
def test_a_sweep_through_a_session_proves_what_independent_solves_prove(name: str) -> None:
    # The same grid, each combination proved through one solve session (serial: one
    # session for all): the statuses and values of independent solves, and every row's
    # portfolio keeps its combination's rules (its cost within its budget, D01 out when
    # excluded).
    from selector.portfolio.instance import violations
    from selector.portfolio.options import resolve_options
    from selector.portfolio.reductions import reduce
    from selector.whatif import _shared
    from selector.whatif.sweeps import _nest

    scenario = load_scenario(REPO / "scenarios" / f"{name}.toml")
    total = float(scenario.budget.total or 0)
    grid: dict[str, list[Any]] = {
        "budget.total": [total * 1.1, total, total * 0.9, total * 0.3, total * 0.1],
        "constraints.must_exclude": [[], ["D01"]],
    }
    _shared._sessions.clear()
    independent = sweep(scenario, grid, engine="serial", gap=1e-4)
    through = sweep(scenario, grid, engine="serial", gap=1e-4, session=True)
    assert len(_shared._sessions) == 1
    held = next(iter(_shared._sessions.values()))
    assert held.scenario.fingerprint == scenario.fingerprint
    for a, b in zip(independent.rows, through.rows, strict=True):
        assert a.overrides == b.overrides
        assert b.status == a.status, b.overrides
        if a.objective is not None:
            assert b.objective == pytest.approx(a.objective, rel=2e-4)
            variant = scenario.with_changes(_nest(b.overrides))
            inst = reduce(variant, resolve_options(variant))
            x = np.isin(inst.partner_ids, list(b.selected))
            if not inst.has_levels:
                assert not violations(inst, x), b.overrides
            assert b.cost <= float(b.overrides["budget.total"]) * (1 + 1e-9)
            assert "D01" not in b.selected or not b.overrides["constraints.must_exclude"]
    _shared._sessions.clear()

"""Tests for selector/portfolio/result.py: the ``to_dict`` contract, in Python and as
``selector solve --json``."""

from __future__ import annotations

import json
import math

import pytest
from portfolio_cases import CONTRACT_KEYS, coverage_pairs, tiny_frames

from selector import cli
from selector.inputs.scenario import scenario_from_frames
from selector.portfolio import heuristic_solve, solve


def test_to_dict_contract_for_each_status() -> None:
    partners, segments = tiny_frames(3, 2, cost=[700, 500, 10])
    cov = coverage_pairs([("P0", "S0"), ("P1", "S1"), ("P2", "S0")])
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
    d = json.loads(json.dumps(h.to_dict(), allow_nan=False))
    assert CONTRACT_KEYS <= set(d)
    assert d["status"] == h.status and d["solver"] == "greedy"
    assert d["selected"] == sorted(h.selected)
    assert d["objective"] == pytest.approx(h.objective) and d["cost"] == pytest.approx(h.cost)
    assert d["bound"] == (None if h.bound is None else pytest.approx(h.bound))


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

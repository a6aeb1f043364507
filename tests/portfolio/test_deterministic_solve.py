"""Deterministic mode (issue 16 item 14): a node limit instead of a time, and a
heuristic start by move count, give the same portfolio however fast the machine is."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import selector.portfolio.heuristics as heuristics
from selector.inputs.scenario import load_scenario
from selector.portfolio import solve

ROOT = Path(__file__).resolve().parents[2]


class _SlowClock:
    """A machine so loaded that every look at the clock finds a second gone."""

    def __init__(self) -> None:
        self.ticks = itertools.count()

    def perf_counter(self) -> float:
        return float(next(self.ticks))

    def __getattr__(self, name: str):
        import time

        return getattr(time, name)


def test_node_limit_result_does_not_depend_on_the_clock(teaching, monkeypatch) -> None:
    calm = solve(teaching, node_limit=50, time_limit=30)
    monkeypatch.setattr(heuristics, "time", _SlowClock())
    loaded = solve(teaching, node_limit=50, time_limit=30)
    assert calm.selected == loaded.selected and calm.objective == loaded.objective


def test_docstring_no_longer_promises_determinism_under_a_time_limit() -> None:
    doc = " ".join((solve.__doc__ or "").split())
    assert "the same input and seed give the same portfolio." not in doc
    assert "node_limit" in doc and "time limit stops it" in doc


def test_node_limit_from_the_scenario_and_the_cli(make_scenario, expect_error) -> None:
    path = make_scenario(settings={"solve": {"node_limit": 10}})
    assert load_scenario(path).solve_options["node_limit"] == 10
    bad = make_scenario(settings={"solve": {"node_limit": -3}})
    expect_error(load_scenario, bad, file=bad, contains=["solve.node_limit"])
    proc = subprocess.run(
        [sys.executable, "-m", "selector", "solve", str(path), "--json", "--node-limit", "5"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr


def test_node_limit_must_be_a_positive_whole_number(teaching) -> None:
    import pytest

    from selector.errors import ScenarioError

    for bad in (0, -1, 1.5, True):
        with pytest.raises(ScenarioError, match="node_limit"):
            solve(teaching, node_limit=bad)

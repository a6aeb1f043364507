"""Budget frontier, Monte Carlo robustness and sweeps, on every engine.

The teaching scenario solves in a fraction of a second, so whole studies run here;
the Dask tests start a two-worker LocalCluster (a few seconds each).
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import itertools
import json
import math
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from selector import load_scenario, solve
from selector.cli.whatif import add_robustness_parsers
from selector.errors import ScenarioError
from selector.inputs.scenario import Scenario
from selector.whatif.robustness import (
    SAATY_SCALE,
    frontier,
    load_sweep,
    perturb_scenario,
    robustness,
    run_tasks,
    sweep,
    write_csv,
)

REPO = Path(__file__).resolve().parents[1]
TEACHING = REPO / "scenarios" / "teaching.toml"
TEACHING_SWEEP = REPO / "scenarios" / "sweeps" / "teaching-budget-cap.toml"
VENDOR_SWEEP = REPO / "scenarios" / "sweeps" / "vendor-budget-distributor.toml"

# Closing a LocalCluster (or losing a worker) can leave a socket or a worker's pipe
# for the garbage collector, which reports it as a ResourceWarning.
DASK_WARNINGS = pytest.mark.filterwarnings("ignore::ResourceWarning")


@pytest.fixture(scope="module")
def teaching() -> Scenario:
    return load_scenario(TEACHING)


# --- frontier ----------------------------------------------------------------------------


def test_frontier_coverage_rises_with_budget_and_statuses_are_honest(teaching: Scenario) -> None:
    seen: list[tuple[int, int]] = []
    result = frontier(teaching, points=8, engine="serial", progress=lambda d, n: seen.append((d, n)))
    assert seen[0] == (0, 8) and seen[-1] == (8, 8)
    budgets = [p.budget for p in result.points]
    assert budgets == sorted(budgets) and len(budgets) == 8
    assert budgets[0] == pytest.approx(0.5 * 600_000) and budgets[-1] == pytest.approx(1.5 * 600_000)
    optimal = [p for p in result.points if p.status == "optimal"]
    assert len(optimal) >= 4
    for a, b in itertools.pairwise(optimal):
        assert a.objective is not None and b.objective is not None
        assert b.objective >= a.objective * (1 - result.gap) - 1e-6
    for p in result.points:
        assert p.status in ("optimal", "time_limit", "infeasible", "error")
        if p.status in ("optimal", "time_limit"):
            assert p.selected and p.cost <= p.budget + 1e-6
            assert p.gap is not None and p.gap <= (result.gap if p.status == "optimal" else 1)
            assert p.covered_share is not None and 0 < p.covered_share <= 1
        else:  # no portfolio: nothing claimed
            assert p.selected == () and p.objective is None and p.covered_value == 0
    # 300k cannot reach every named segment through the teaching partners
    assert result.points[0].status == "infeasible"
    # marginals between consecutive feasible points, and where money stops helping
    for prev, p in zip(result.points, result.points[1:], strict=False):
        if prev.objective is not None and p.objective is not None:
            assert p.marginal == pytest.approx(
                (p.objective - prev.objective) / (p.budget - prev.budget)
            )
            assert p.previous_fits is True
            assert p.warm_started is ("start" in inspect.signature(solve).parameters)
        else:
            assert p.marginal is None
    assert result.saturation_budget is not None
    first = next(p.marginal for p in result.points if p.marginal is not None)
    after = result.points[budgets.index(result.saturation_budget) + 1]
    assert after.marginal is not None and after.marginal < 0.1 * first
    frame = result.to_frame()
    assert list(frame.index) == budgets and "marginal" in frame.columns
    json.dumps(result.to_dict(), allow_nan=False)


def test_frontier_explicit_budgets_and_bad_options(teaching: Scenario) -> None:
    result = frontier(teaching, [700_000, 600_000, 600_000], engine="serial")
    assert [p.budget for p in result.points] == [600_000, 700_000]
    direct = solve(teaching, time_limit=10, gap=1e-3, threads=1, warm_start=False)
    assert result.points[0].selected == direct.selected
    with pytest.raises(ScenarioError, match="low 2 must be below high 1"):
        frontier(teaching, low=2, high=1, engine="serial")
    with pytest.raises(ScenarioError, match="points is 1; accepted: a whole number >= 2"):
        frontier(teaching, points=1, engine="serial")
    with pytest.raises(ScenarioError, match="budget is -1"):
        frontier(teaching, [-1], engine="serial")
    with pytest.raises(ScenarioError, match="engine is 0; accepted: None"):
        frontier(teaching, [600_000], engine=0)
    with pytest.raises(ScenarioError, match=r"engine is 2\.5"):
        frontier(teaching, [600_000], engine=2.5)


# --- Monte Carlo -------------------------------------------------------------------------


def test_perturbation_moves_judgments_by_at_most_the_spread(teaching: Scenario) -> None:
    assert teaching.model is not None
    same = perturb_scenario(
        teaching, np.random.default_rng(1), judgment_spread=0, data_noise=0, value_noise=0
    )
    assert same.model is not None and same.model.judgments == teaching.model.judgments
    assert same.partners.equals(teaching.partners) and same.segments.equals(teaching.segments)
    log_scale = np.log(SAATY_SCALE)
    moved = perturb_scenario(teaching, np.random.default_rng(1), judgment_spread=1)
    assert moved.model is not None
    changed = 0
    for before, after in zip(teaching.model.judgments, moved.model.judgments, strict=True):
        for (a, b, v), (a2, b2, v2) in zip(before.pairs, after.pairs, strict=True):
            assert (a, b) == (a2, b2) and v2 in SAATY_SCALE
            k = int(np.argmin(abs(log_scale - math.log(v))))
            assert abs(SAATY_SCALE.index(v2) - k) <= 1
            changed += v2 != v
    assert changed > 0
    assert list(moved.partners.index) == list(teaching.partners.index)
    assert not moved.partners["sales_headcount"].equals(teaching.partners["sales_headcount"])
    assert moved.partners["cost"].equals(teaching.partners["cost"])  # not a criterion
    assert (moved.segments["value"] > 0).all()


def test_robustness_is_seeded_and_consistent(teaching: Scenario) -> None:
    a = robustness(teaching, runs=12, seed=7, engine="serial")
    b = robustness(teaching, runs=12, seed=7, engine="serial")
    assert a.runs == b.runs and a.frequency.equals(b.frequency)
    c = robustness(teaching, runs=12, seed=8, judgment_spread=2, engine="serial")
    assert [r.objective for r in c.runs] != [r.objective for r in a.runs]
    assert [r.run for r in a.runs] == list(range(12))
    assert a.status_counts == {"optimal": 12}
    freq = a.frequency
    assert ((freq >= 0) & (freq <= 1)).all()
    assert list(freq.to_numpy()) == sorted(freq.to_numpy(), reverse=True)
    assert set(freq.index) == set(teaching.partners.index)
    for pid, f in freq.items():
        assert f == pytest.approx(sum(pid in r.selected for r in a.runs) / 12)
    share = a.modal_count / a.feasible_runs
    assert a.modal_count == max(
        sum(tuple(sorted(r.selected)) == tuple(sorted(s.selected)) for r in a.runs) for s in a.runs
    )
    for pid in a.modal_portfolio:
        assert freq[pid] >= share - 1e-12
    for pid in set(freq.index) - set(a.modal_portfolio):
        assert freq[pid] <= 1 - share + 1e-12
    frame = a.to_frame()
    assert frame["frequency"].equals(freq.rename("frequency")) or list(frame["frequency"]) == list(freq)
    assert {"name", "type", "cost", "runs_selected", "in_modal"} <= set(frame.columns)
    assert set(a.spread.index) == {"covered_share", "covered_value", "cost", "objective"}
    assert (a.spread.loc["cost", "max"] <= 600_000 + 1e-6)
    assert len(a.runs_frame()) == 12
    json.dumps(a.to_dict(), allow_nan=False)


def test_heuristic_robustness_and_bad_options(teaching: Scenario) -> None:
    h = robustness(teaching, runs=4, heuristic=True, engine="serial")
    assert {r.status for r in h.runs} <= {"time_limit", "infeasible"}
    assert h.heuristic and h.feasible_runs == 4
    with pytest.raises(ScenarioError, match="runs is 0; accepted: a whole number >= 1"):
        robustness(teaching, runs=0, engine="serial")
    with pytest.raises(ScenarioError, match=r"data_noise is -0\.1"):
        robustness(teaching, runs=1, data_noise=-0.1, engine="serial")
    with pytest.raises(ScenarioError, match="judgment_spread"):
        robustness(teaching, runs=1, judgment_spread=1.5, engine="serial")  # type: ignore[arg-type]


def test_process_pool_matches_serial(teaching: Scenario) -> None:
    seen: list[int] = []
    pooled = robustness(teaching, runs=6, seed=3, engine=2, progress=lambda d, n: seen.append(d))
    serial = robustness(teaching, runs=6, seed=3, engine="serial")
    assert pooled.runs == serial.runs
    assert seen == list(range(7))


# --- sweeps ------------------------------------------------------------------------------

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
    json.dumps(result.to_dict(), allow_nan=False)


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
    assert len(vendor.partners) == 604 and len(vgrid["constraints.must_exclude"]) == 3


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


# --- output and command line ------------------------------------------------------------


def _cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="selector")
    add_robustness_parsers(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_cli_sweep_frontier_robust(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sweep.csv"
    assert _cli(["sweep", str(TEACHING_SWEEP), "--workers", "0", "--csv", str(out)]) == 0
    text, err = capsys.readouterr()
    assert "budget.total" in text and "optimal" in text and "sweep: 6/6" in err
    assert len(out.read_text().splitlines()) == 7
    with pytest.raises(ScenarioError, match="the file exists; pass --force"):
        _cli(["sweep", str(TEACHING_SWEEP), "--workers", "0", "--csv", str(out)])
    assert _cli(["sweep", str(TEACHING_SWEEP), "--workers", "0", "--csv", str(out), "--force",
                 "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["rows"]) == 6
    assert _cli(["frontier", str(TEACHING), "--points", "3", "--low", "1", "--high", "1.2",
                 "--workers", "0"]) == 0
    assert "optimal" in capsys.readouterr().out
    assert _cli(["robust", str(TEACHING), "--runs", "3", "--workers", "0", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["runs"] == 3 and len(data["run_records"]) == 3
    write_csv(robustness(load_scenario(TEACHING), runs=1, engine="serial").to_frame(),
              tmp_path / "r.csv")
    assert (tmp_path / "r.csv").read_text().startswith("partner_id,")


# --- Dask -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dask_client() -> Iterator[Any]:
    # dashboard_address=":0": the scheduler's HTTP server starts even without a
    # dashboard, on 8787 unless told otherwise, and a second cluster (the worker-loss
    # test, or another test run) would warn that the port is taken.
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.mark.slow
@DASK_WARNINGS
def test_dask_matches_serial(teaching: Scenario, dask_client: Any) -> None:
    seen: list[int] = []
    on_dask = robustness(teaching, runs=10, seed=11, engine=dask_client,
                         progress=lambda d, n: seen.append(d))
    serial = robustness(teaching, runs=10, seed=11, engine="serial")
    assert on_dask.runs == serial.runs and on_dask.frequency.equals(serial.frequency)
    assert seen == list(range(11))
    grid = {"budget.total": [500_000, 700_000], "constraints.max_partners_per_segment": [2, 3]}
    assert sweep(teaching, grid, engine=dask_client).rows == sweep(teaching, grid, engine="serial").rows
    address = dask_client.scheduler.address
    by_address = frontier(teaching, [600_000, 800_000], engine=address)
    chained = frontier(teaching, [600_000, 800_000], engine="serial")
    # serial solves chain warm starts (when solve() takes start=); the rest is equal
    assert [dataclasses.replace(p, warm_started=False) for p in chained.points] == list(
        by_address.points
    )


@pytest.mark.slow
@DASK_WARNINGS
def test_worker_loss_keeps_results_and_finishes(teaching: Scenario, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    import selector.whatif.robustness as rb

    runs = 16
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        # 1. a task that kills its worker the first time it runs
        marker = tmp_path / "crashed"
        specs = [
            rb._RunSpec(index=i, seed=child, judgment_spread=1, data_noise=0.1,
                        value_noise=0.1, heuristic=False, time_limit=10, gap=1e-3)
            for i, child in enumerate(np.random.SeedSequence(5).spawn(runs))
        ]
        crash_at = 8
        marker_path = str(marker)

        def task(scenario: Scenario, spec: Any) -> Any:
            # a local function: Dask ships it by value (the test module is not
            # importable on the workers); it kills its worker the first time run 8 runs
            from selector.whatif import robustness

            if spec.index == crash_at and not os.path.exists(marker_path):
                Path(marker_path).touch()
                os._exit(1)
            return robustness._robust_task(scenario, spec)

        seen: list[int] = []
        records = run_tasks(task, teaching, specs, engine=client,
                            progress=lambda d, n: seen.append(d))
        assert marker.exists()  # the worker did die
        assert seen == list(range(runs + 1))
        serial = robustness(teaching, runs=runs, seed=5, engine="serial")
        assert tuple(records) == serial.runs

        # 2. kill a busy worker from outside once a few results are in
        kills: list[str] = []
        before = set(client.scheduler_info()["workers"])

        def progress(done: int, total: int) -> None:
            seen2.append(done)
            if done == 3 and not kills:
                busy = [w for w, keys in client.processing().items() if keys]
                kills.append(busy[0])
                pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
                os.kill(pid, signal.SIGKILL)  # a worker process this test started

        seen2: list[int] = []
        result = robustness(teaching, runs=runs, seed=5, engine=client, progress=progress)
        assert kills and kills[0] in before
        assert kills[0] not in client.scheduler_info()["workers"]  # it was lost
        assert seen2 == list(range(runs + 1))  # results before the loss were kept
        assert result.runs == serial.runs

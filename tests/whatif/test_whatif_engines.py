"""Task engines: the process pool and Dask give the serial engine's numbers.

The Dask tests start a two-worker LocalCluster (a few seconds each).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from selector import load_scenario
from selector.errors import ScenarioError
from selector.inputs.scenario import Scenario
from selector.whatif.budget_frontier import frontier
from selector.whatif.engines import EngineError, run_tasks
from selector.whatif.montecarlo import robustness
from selector.whatif.sweeps import sweep

REPO = Path(__file__).resolve().parents[2]
TEACHING = REPO / "scenarios" / "teaching.toml"

# Closing a LocalCluster (or losing a worker) can leave a socket or a worker's pipe
# for the garbage collector, which reports it as a ResourceWarning.
DASK_WARNINGS = pytest.mark.filterwarnings("ignore::ResourceWarning")


@pytest.fixture(scope="module")
def teaching() -> Scenario:
    return load_scenario(TEACHING)


def test_process_pool_matches_serial(teaching: Scenario) -> None:
    seen: list[int] = []
    pooled = robustness(teaching, runs=6, seed=3, engine=2, progress=lambda d, n: seen.append(d))
    serial = robustness(teaching, runs=6, seed=3, engine="serial")
    assert pooled.runs == serial.runs
    assert seen == list(range(7))


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
    assert by_address.points == frontier(teaching, [600_000, 800_000], engine="serial").points


@pytest.mark.slow
@DASK_WARNINGS
def test_worker_loss_keeps_results_and_finishes(teaching: Scenario, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    import selector.whatif.montecarlo as mc

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
            mc._RunSpec(index=i, seed=child, judgment_spread=1, data_noise=0.1,
                        value_noise=0.1, heuristic=False, time_limit=10, gap=1e-3)
            for i, child in enumerate(np.random.SeedSequence(5).spawn(runs))
        ]
        crash_at = 8
        marker_path = str(marker)

        def task(scenario: Scenario, spec: Any) -> Any:
            # a local function: Dask ships it by value (the test module is not
            # importable on the workers); it kills its worker the first time run 8 runs
            from selector.whatif import montecarlo

            if spec.index == crash_at and not os.path.exists(marker_path):
                Path(marker_path).touch()
                os._exit(1)
            return montecarlo._robust_task(scenario, spec)

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
            if done >= 3 and not kills:
                # Both workers can be between tasks when a result arrives: then kill
                # either (its loss is what the test is about; whether it held a task
                # at that instant is up to the scheduler).
                workers = client.processing()
                busy = [w for w, keys in workers.items() if keys] or sorted(workers)
                kills.append(busy[0])
                pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
                os.kill(pid, signal.SIGKILL)  # a worker process this test started

        seen2: list[int] = []
        result = robustness(teaching, runs=runs, seed=5, engine=client, progress=progress)
        assert kills and kills[0] in before
        assert kills[0] not in client.scheduler_info()["workers"]  # it was lost
        assert seen2 == list(range(runs + 1))  # results before the loss were kept
        assert result.runs == serial.runs


# --- one loop for every engine: a task log, what finished when a task fails ---------------


class MemoryLog:
    """A task log in a dict: what ``selector.store.StudyLog`` does in the workspace."""

    def __init__(self, resume: bool = True) -> None:
        self.resume = resume
        self.kept: dict[tuple[str, str], dict[int, dict[str, Any]]] = {}
        self.current: tuple[str, str] | None = None
        self.calls: list[int] = []

    def start(self, kind: str, spec: Any) -> dict[int, dict[str, Any]]:
        import json

        self.current = (kind, json.dumps(spec, sort_keys=True))
        earlier = self.kept.setdefault(self.current, {})
        return dict(earlier) if self.resume else {}

    def keep(self, index: int, result: Any) -> None:
        assert self.current is not None
        self.kept[self.current][index] = dict(result)
        self.calls.append(index)


def test_a_log_keeps_each_result_and_resumed_runs_run_only_what_is_missing(
    teaching: Scenario,
) -> None:
    log = MemoryLog()
    first = robustness(teaching, runs=3, seed=4, engine="serial", log=log)
    assert sorted(log.calls) == [0, 1, 2]
    seen: list[int] = []
    # the same study on another engine: the process pool runs only runs 3 and 4
    longer = robustness(teaching, runs=5, seed=4, engine=2, log=log,
                        progress=lambda d, n: seen.append(d))
    assert sorted(log.calls) == [0, 1, 2, 3, 4]
    assert seen == [3, 4, 5]
    assert longer.runs[:3] == first.runs
    assert longer.runs == robustness(teaching, runs=5, seed=4, engine="serial").runs
    # another seed is another study; frontier and sweep points are kept the same way
    robustness(teaching, runs=1, seed=5, engine="serial", log=log)
    frontier(teaching, [600_000, 700_000], engine="serial", log=log)
    sweep(teaching, {"budget.total": [500_000]}, engine="serial", log=log)
    assert sorted(kind for kind, _ in log.kept) == ["frontier", "robust", "robust", "sweep"]
    assert len(log.kept[next(k for k in log.kept if k[0] == "frontier")]) == 2


def test_without_resume_every_task_runs_again(teaching: Scenario) -> None:
    log = MemoryLog(resume=False)
    robustness(teaching, runs=2, seed=4, engine="serial", log=log)
    robustness(teaching, runs=2, seed=4, engine="serial", log=log)
    assert log.calls == [0, 1, 0, 1]


def _fails_at_two(scenario: Scenario, i: int) -> int:
    if i == 2:
        raise RuntimeError("boom")
    return i * 10


def test_a_failed_task_says_and_keeps_what_finished(teaching: Scenario) -> None:
    with pytest.raises(EngineError, match=r"RuntimeError: boom; 2 of 4 tasks had finished") as info:
        run_tasks(_fails_at_two, teaching, [0, 1, 2, 3], engine="serial")
    assert (info.value.done, info.value.total, info.value.results) == (2, 4, {0: 0, 1: 10})


def test_engine_strings_are_serial_or_addresses(teaching: Scenario) -> None:
    with pytest.raises(ScenarioError, match="engine is 'localhost'; accepted"):
        run_tasks(_fails_at_two, teaching, [0], engine="localhost")
    with pytest.raises(ScenarioError, match="a log but no study"):
        run_tasks(_fails_at_two, teaching, [0], engine="serial", log=MemoryLog())

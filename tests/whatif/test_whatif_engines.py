"""Task engines: the process pool and Dask give the serial engine's numbers.

The Dask tests start a two-worker LocalCluster (a few seconds each).
"""

from __future__ import annotations

import dataclasses
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from selector import load_scenario
from selector.inputs.scenario import Scenario
from selector.whatif.budget_frontier import frontier
from selector.whatif.engines import run_tasks
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
    chained = frontier(teaching, [600_000, 800_000], engine="serial")
    # serial solves chain warm starts (when solve() takes start=); the rest is equal
    assert [dataclasses.replace(p, warm_started=False) for p in chained.points] == list(
        by_address.points
    )


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


# --- interrupts and limits ----------------------------------------------------------------


SLOW_STUDY = """
import signal, sys, time
from selector import load_scenario
from selector.cli.main import _on_sigterm
from selector.whatif.engines import run_tasks

def slow(scenario, payload):
    time.sleep(600)  # a solve that would run on for minutes

if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        run_tasks(slow, load_scenario(sys.argv[1]), list(range(8)), engine=2,
                  progress=lambda done, total: print("started", flush=True))
    except KeyboardInterrupt:
        print("ended", flush=True)
        sys.exit(130)
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_an_interrupt_terminates_the_pool_workers_mid_task(tmp_path: Path, sig: int) -> None:
    """Tasks that would run for ten minutes: a signal to the study's process ends it
    and its workers at once, instead of waiting for the running and queued tasks."""
    import subprocess
    import sys
    import time

    psutil = pytest.importorskip("psutil")
    script = tmp_path / "study.py"
    script.write_text(SLOW_STUDY)
    env = {**os.environ, "PYTHONPATH": str(REPO), "SELECTOR_MAX_WORKERS": "2"}
    proc = subprocess.Popen([sys.executable, str(script), str(TEACHING)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
    try:
        parent = psutil.Process(proc.pid)
        deadline = time.monotonic() + 120
        workers: list[Any] = []
        while len(workers) < 2:
            assert proc.poll() is None, proc.communicate()[1][-2000:]
            assert time.monotonic() < deadline, "the workers never started"
            time.sleep(0.2)
            workers = [c for c in parent.children() if "resource_tracker" not in " ".join(c.cmdline())]
        time.sleep(3)  # the workers are inside their tasks
        os.kill(proc.pid, sig)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:  # pragma: no cover - only when the test fails
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert proc.returncode == 130 and out.splitlines()[-1] == "ended", err[-2000:]
    _gone, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive, [p.pid for p in alive]


@pytest.mark.slow
@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_an_interrupt_ends_a_study_and_its_workers_at_once(how: str) -> None:
    """Ctrl-C (SIGINT to the whole process group, as a terminal sends it) or SIGTERM to
    the command alone: the command ends, and so do its worker processes, long before the
    400 runs (minutes of solving) would have."""
    import subprocess
    import sys
    import time

    psutil = pytest.importorskip("psutil")
    env = {**os.environ, "PYTHONPATH": str(REPO), "SELECTOR_MAX_WORKERS": "2"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "selector", "robust", str(REPO / "scenarios" / "vendor.toml"),
         "--runs", "400", "--workers", "2", "--time-limit", "30"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        start_new_session=True,  # its own process group, like a terminal's job
    )
    try:
        parent = psutil.Process(proc.pid)
        deadline = time.monotonic() + 120
        workers: list[Any] = []
        while len(workers) < 2:
            assert proc.poll() is None, proc.communicate()[1][-2000:]
            assert time.monotonic() < deadline, "the workers never started"
            time.sleep(0.2)
            workers = [c for c in parent.children() if "resource_tracker" not in " ".join(c.cmdline())]
        time.sleep(2)  # the workers are solving
        if how == "ctrl-c":
            os.killpg(proc.pid, signal.SIGINT)
        else:
            os.kill(proc.pid, signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:  # pragma: no cover - only when the test fails
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert proc.returncode == (130 if how == "ctrl-c" else 143), err[-2000:]
    assert err.splitlines()[-1] == ("selector: interrupted" if how == "ctrl-c" else "selector: terminated")
    assert "Traceback" not in err, err[-2000:]
    _gone, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive, [p.pid for p in alive]


def test_local_workers_are_at_most_the_cpus_unless_asked(
    teaching: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    from selector.errors import ScenarioError
    from selector.whatif import engines

    monkeypatch.delenv(engines.WORKERS_ENV, raising=False)
    cpus = engines.max_workers()
    assert cpus == len(os.sched_getaffinity(0))
    with pytest.raises(ScenarioError, match=rf"{cpus + 10} local worker processes asked for; "
                       rf"accepted: at most {cpus}, the CPUs this process may use"):
        robustness(teaching, runs=2, heuristic=True, engine=cpus + 10)
    monkeypatch.setenv(engines.WORKERS_ENV, str(cpus + 1))
    assert engines.max_workers() == cpus + 1
    assert len(robustness(teaching, runs=2, heuristic=True, engine=cpus + 1).runs) == 2
    monkeypatch.setenv(engines.WORKERS_ENV, "many")
    with pytest.raises(ScenarioError, match="SELECTOR_MAX_WORKERS is 'many'"):
        engines.max_workers()

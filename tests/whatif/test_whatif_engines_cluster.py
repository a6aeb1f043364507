"""The what-if engines on a Dask cluster started as a user starts one.

A `dask scheduler` and a `dask worker --nworkers 2 --nthreads 1` process on 127.0.0.1
(free ports), the `selector` command in its own process, and no Dask client in this
test process (a default client here would hide a client that is not handed on). Each
cluster takes several seconds to start, so these tests are marked slow (CI runs them).
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import DaskProcesses, child_env, dask_processes, free_port

from selector import load_scenario
from selector.inputs.scenario import Scenario
from selector.whatif import frontier, robustness, sweep

REPO = Path(__file__).resolve().parents[2]
TEACHING = REPO / "scenarios" / "teaching.toml"
TEACHING_SWEEP = REPO / "scenarios" / "sweeps" / "teaching-budget-cap.toml"

# A client closed after its scheduler is gone can leave a socket for the garbage
# collector, which reports it as a ResourceWarning.
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::ResourceWarning")]


@pytest.fixture(scope="module")
def teaching() -> Scenario:
    return load_scenario(TEACHING)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaskProcesses]:
    pytest.importorskip("distributed")
    procs = dask_processes(tmp_path_factory.mktemp("dask")).start()
    try:
        yield procs
    finally:
        procs.stop()


def _selector(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    # timeout: only a guard against a hang (no speed is asserted)
    return subprocess.run(
        [sys.executable, "-m", "selector", *args], cwd=cwd, env=child_env(**env),
        capture_output=True, text=True, timeout=600, check=False,
    )


def _start(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "selector", *args], cwd=cwd, env=child_env(),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _saved(db: Path) -> int:
    """Results saved in the workspace file so far (0 before its tables exist)."""
    try:
        # read-only: a plain connect would create an empty file, which the workspace refuses
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
            return int(conn.execute("select count(*) from study_results").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def _wait_for_saved(db: Path, n: int, proc: subprocess.Popen[str]) -> int:
    deadline = time.monotonic() + 600
    while (count := _saved(db)) < n:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no results arrived"
        time.sleep(0.1)
    return count


def _records(data: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k != "seconds"} for r in data]


def test_cli_robust_frontier_and_sweep_run_on_the_cluster(
    cluster: DaskProcesses, teaching: Scenario, tmp_path: Path
) -> None:
    address = cluster.address
    out = _selector(["robust", str(TEACHING), "--runs", "8", "--seed", "3", "--scheduler",
                     address, "--json"], tmp_path)
    assert out.returncode == 0, out.stderr
    serial = robustness(teaching, runs=8, seed=3, engine="serial").to_dict()
    assert _records(json.loads(out.stdout)["run_records"]) == _records(serial["run_records"])

    out = _selector(["frontier", str(TEACHING), "--points", "3", "--low", "1", "--high", "1.2",
                     "--scheduler", address, "--json"], tmp_path)
    assert out.returncode == 0, out.stderr
    serial = frontier(teaching, points=3, low=1, high=1.2, engine="serial").to_dict()
    assert _records(json.loads(out.stdout)["points"]) == _records(serial["points"])

    out = _selector(["sweep", str(TEACHING_SWEEP), "--scheduler", address, "--json"], tmp_path)
    assert out.returncode == 0, out.stderr
    spec_scenario, grid = load_scenario(TEACHING), {
        "budget.total": [500_000, 600_000, 750_000],
        "constraints.max_partners_per_segment": [2, 3],
    }
    serial = sweep(spec_scenario, grid, engine="serial").to_dict()
    assert _records(json.loads(out.stdout)["rows"]) == _records(serial["rows"])
    # the three commands were the scheduler's clients
    assert cluster.log("scheduler").count("Receive client connection") >= 3


def test_python_engine_address_needs_no_default_client(
    cluster: DaskProcesses, teaching: Scenario
) -> None:
    distributed = pytest.importorskip("distributed")
    with pytest.raises(ValueError, match="No clients found"):
        distributed.default_client()
    address = cluster.address
    assert robustness(teaching, runs=4, seed=2, engine=address).runs == robustness(
        teaching, runs=4, seed=2, engine="serial").runs
    budgets = [600_000, 800_000]
    assert frontier(teaching, budgets, engine=address).points == frontier(
        teaching, budgets, engine="serial").points
    grid = {"budget.total": [500_000, 700_000]}
    assert sweep(teaching, grid, engine=address).rows == sweep(teaching, grid,
                                                               engine="serial").rows
    with pytest.raises(ValueError, match="No clients found"):
        distributed.default_client()  # none was made the default, none left behind


def test_a_worker_killed_mid_run_loses_nothing(
    cluster: DaskProcesses, teaching: Scenario, tmp_path: Path
) -> None:
    runs = 40
    db = tmp_path / "runs.db"
    proc = _start(["robust", str(TEACHING), "--runs", str(runs), "--seed", "5", "--scheduler",
                   cluster.address, "--db", str(db), "--json"], tmp_path)
    try:
        before = _wait_for_saved(db, 3, proc)
        victim = cluster.worker_pids()[0]
        os.kill(victim, signal.SIGKILL)  # a worker process this test started
        out, err = proc.communicate(timeout=600)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert before < runs  # the worker died mid-run
    assert proc.returncode == 0, err
    serial = robustness(teaching, runs=runs, seed=5, engine="serial").to_dict()
    assert _records(json.loads(out)["run_records"]) == _records(serial["run_records"])
    assert _saved(db) == runs


def test_the_scheduler_gone_mid_run_says_what_finished_and_resume_completes_it(
    teaching: Scenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("distributed")
    from selector.cli.main import main

    runs = 60
    db = tmp_path / "runs.db"
    args = ["robust", str(TEACHING), "--runs", str(runs), "--seed", "7", "--db", str(db)]
    procs = dask_processes(tmp_path / "dask").start()
    try:
        proc = _start([*args, "--scheduler", procs.address, "--csv", "lost.csv"], tmp_path)
        try:
            _wait_for_saved(db, 3, proc)
            procs.procs["scheduler"].kill()  # the scheduler this test started
            _out, err = proc.communicate(timeout=600)
        finally:
            if proc.poll() is None:
                proc.kill()
    finally:
        procs.stop()
    assert proc.returncode == 2, err
    said = re.search(r"(\d+) of 60 tasks had finished", err)
    assert said is not None, err
    done = int(said.group(1))
    assert 3 <= done < runs and _saved(db) == done  # every finished run was kept
    assert f"lost the Dask scheduler at {procs.address}" in err
    assert f"saved in the workspace {db}" in err
    assert f"with --resume runs only the other {runs - done}" in err
    assert "Traceback" not in err
    assert not (tmp_path / "lost.csv").exists()

    # The study is named by what its results depend on, not by the engine: resume here.
    capsys.readouterr()
    assert main([*args, "--resume", "--workers", "0", "--csv", str(tmp_path / "resumed.csv")]) == 0
    assert f"runs: {done} from the workspace, {runs - done} run now" in capsys.readouterr().err
    assert main(["robust", str(TEACHING), "--runs", str(runs), "--seed", "7", "--workers", "0",
                 "--csv", str(tmp_path / "whole.csv")]) == 0
    resumed = (tmp_path / "resumed.csv").read_text()
    assert resumed == (tmp_path / "whole.csv").read_text()


def test_a_wrong_address_fails_within_the_connect_timeout(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    address = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    out = _selector(["robust", str(TEACHING), "--runs", "2", "--scheduler", address], tmp_path,
                    DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT="2s")
    assert out.returncode == 2
    assert f"selector: error: cannot reach a Dask scheduler at {address} within 2s" in out.stderr
    assert "Traceback" not in out.stderr


def test_a_connection_closed_under_a_running_client_is_the_scheduler_gone() -> None:
    distributed = pytest.importorskip("distributed")
    from distributed.comm import CommClosedError

    from selector.whatif.engines import scheduler_gone

    class Client:
        status = "running"

    assert scheduler_gone(distributed, Client(), CommClosedError("in <TCP (closed)>"))
    assert not scheduler_gone(distributed, Client(), ValueError("a task's own error"))
    Client.status = "closed"
    assert scheduler_gone(distributed, Client(), ValueError("anything"))

"""``selector frontier | robust | sweep`` and CSV output, on the teaching scenario."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from selector import load_scenario
from selector.cli.whatif import add_robustness_parsers
from selector.errors import ScenarioError
from selector.whatif.montecarlo import robustness
from selector.whatif.sweeps import write_csv

REPO = Path(__file__).resolve().parents[2]
TEACHING = REPO / "scenarios" / "teaching.toml"
TEACHING_SWEEP = REPO / "scenarios" / "sweeps" / "teaching-budget-cap.toml"


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


@pytest.mark.slow
def test_an_interrupted_run_resumes_to_the_table_of_one_whole_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C a `selector robust --db` process part-way; the same command with
    --resume runs only the missing runs and writes the table one whole run writes."""
    import signal
    import sqlite3
    import subprocess
    import sys
    import time

    from conftest import child_env

    runs, db = 40, tmp_path / "runs.db"
    args = ["robust", str(TEACHING), "--runs", str(runs), "--seed", "9", "--workers", "0",
            "--db", str(db)]

    def saved() -> int:
        try:
            # read-only: a plain connect would create an empty file, which the workspace refuses
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
                return int(conn.execute("select count(*) from study_results").fetchone()[0])
        except sqlite3.OperationalError:  # the tables are not there yet
            return 0

    proc = subprocess.Popen([sys.executable, "-m", "selector", *args], cwd=tmp_path,
                            env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        deadline = time.monotonic() + 600  # a guard against a hang, not a speed check
        while saved() < 3:
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=600)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    done = saved()
    assert 3 <= done < runs
    assert f"selector: {done} runs are saved in the workspace {db}" in err

    from selector.cli.main import main

    capsys.readouterr()
    assert main([*args, "--resume", "--csv", str(tmp_path / "resumed.csv")]) == 0
    assert f"runs: {done} from the workspace, {runs - done} run now" in capsys.readouterr().err
    assert saved() == runs
    assert _cli([*args[:-2], "--csv", str(tmp_path / "whole.csv")]) == 0
    assert (tmp_path / "resumed.csv").read_text() == (tmp_path / "whole.csv").read_text()


@pytest.mark.slow
@pytest.mark.parametrize("how", ["SIGTERM", "SIGINT"])
def test_a_signal_ends_a_study_and_its_workers_at_once(how: str) -> None:
    """`selector robust ... --runs 400 --workers 2` (minutes of work), signalled once its
    two workers are solving: it exits with its one line, and no process of it is left."""
    import signal
    import subprocess
    import sys
    import time

    import psutil
    from conftest import child_env

    vendor = REPO / "scenarios" / "vendor.toml"
    proc = subprocess.Popen(
        [sys.executable, "-m", "selector", "robust", str(vendor), "--runs", "400",
         "--workers", "2"], cwd=REPO, env=child_env(), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )
    parent = psutil.Process(proc.pid)
    try:
        deadline = time.monotonic() + 300  # a guard against a hang, not a speed check
        workers: list[psutil.Process] = []
        while len(workers) < 2:  # the two pool workers have started (and import, then solve)
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            workers = [p for p in parent.children(recursive=True)
                       if "resource_tracker" not in " ".join(p.cmdline())]
            time.sleep(0.1)
        time.sleep(2.0)  # well into their first solves
        children = parent.children(recursive=True)
        proc.send_signal(getattr(signal, how))
        _out, err = proc.communicate(timeout=120)  # the whole study would take many minutes
    finally:
        if proc.poll() is None:
            proc.kill()
    expected = {"SIGTERM": (143, "selector: terminated"), "SIGINT": (130, "selector: interrupted")}
    code, line = expected[how]
    assert proc.returncode == code, err
    assert err.strip().splitlines()[-1] == line, err
    assert "Traceback" not in err, err
    # Every process it started is gone (the pool's workers mid-solve, the resource tracker).
    _gone, alive = psutil.wait_procs(children, timeout=30)
    assert alive == [], [(p.pid, p.cmdline()) for p in alive]

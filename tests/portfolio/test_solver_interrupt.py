"""Interrupting a real solve (issue 16): HiGHS and CBC stop, the process exits cleanly,
no CBC child is left running and no PuLP file is left in the temporary folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from selector import load_scenario, solve
from selector.portfolio.solvers.guard import wait_for as _wait

ROOT = Path(__file__).resolve().parents[2]
VENDOR = str(ROOT / "scenarios" / "vendor.toml")
TEACHING = str(ROOT / "scenarios" / "teaching.toml")


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ")[-1].startswith("Z"))


def _start(args: list[str], tmp: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "TMPDIR": str(tmp), "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "selector", *args],
        cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        # a test runner started in the background may ignore SIGINT; the CLI must not
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


@pytest.mark.parametrize("limit", ["inf", "1e308", "1e10"])
def test_huge_time_limit_solves(limit: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "selector", "solve", TEACHING, "--json", "--time-limit", limit],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert '"status": "optimal"' in proc.stdout
    assert "Traceback" not in proc.stderr


def test_huge_time_limit_in_process(teaching) -> None:
    assert solve(teaching, time_limit=1e10).status == "optimal"
    assert solve(teaching, time_limit=float("inf")).status == "optimal"


def test_wait_takes_any_timeout() -> None:
    import threading

    done = threading.Event()
    done.set()
    assert _wait(done, float("inf")) and _wait(done, 1e308)
    assert not _wait(threading.Event(), 0.01)


@pytest.mark.slow
@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupt_highs_solve(tmp_path: Path, sig: int, code: int) -> None:
    proc = _start(["solve", VENDOR, "--time-limit", "60", "--json"], tmp_path)
    time.sleep(8)  # loading, the heuristic, then HiGHS runs (the solve takes ~60 s)
    assert proc.poll() is None
    t0 = time.monotonic()
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == code, err
    assert time.monotonic() - t0 < 15
    assert "terminate called" not in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGKILL, -9)])
def test_interrupt_cbc_solve(tmp_path: Path, sig: int, code: int) -> None:
    proc = _start(["solve", VENDOR, "--solver", "cbc", "--time-limit", "60", "--json"], tmp_path)
    deadline = time.monotonic() + 60
    cbc: list[int] = []
    while not cbc and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
        cbc = _children(proc.pid)
    assert cbc, "CBC never started"
    assert list(tmp_path.glob("**/*-pulp.mps")), "PuLP's model file is expected in TMPDIR"
    time.sleep(1.0)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == code, err
    time.sleep(0.5)
    assert not any(_alive(pid) for pid in cbc), "CBC left running"
    if sig != signal.SIGKILL:  # a killed process cannot remove its files
        assert list(tmp_path.iterdir()) == []
        assert "Traceback" not in err


@pytest.mark.slow
def test_exit_during_solve_in_a_thread_is_clean(tmp_path: Path) -> None:
    # As in the app: the solve runs in a (non-daemon) script thread and the server exits.
    script = textwrap.dedent(f"""
        import sys, threading, time
        from selector import load_scenario, solve
        s = load_scenario({VENDOR!r})
        t = threading.Thread(target=lambda: solve(s, time_limit=60))
        t.start()
        time.sleep(8)
        sys.exit(0)
    """)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "terminate called" not in proc.stderr
    assert time.monotonic() - t0 < 40  # the exit hook cancelled the solve


def test_scenario_loads() -> None:
    assert load_scenario(TEACHING).partners.shape[0] > 0


@pytest.mark.parametrize("flag", ["--gap", "--time-limit"])
def test_nan_gap_and_time_limit_are_refused(flag: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "selector", "solve", TEACHING, "--json", flag, "nan"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    assert "nan" in proc.stderr and proc.stdout == ""


def test_nan_gap_refused_in_process(teaching) -> None:
    from selector.errors import ScenarioError

    for kwargs in ({"gap": float("nan")}, {"time_limit": float("nan")}, {"gap": float("inf")}):
        with pytest.raises(ScenarioError):
            solve(teaching, **kwargs)

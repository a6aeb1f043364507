"""The app's solves in a worker process: the answer comes back; a crash, a kill or a
failure is one line, not a dead server; Stop (whatever ends the wait) ends the worker
at once. And the Portfolio page, whose exact solve crashes, shows a message."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest
import streamlit as st
from solve_entries import fails, segfault, sleep_long
from streamlit.testing.v1 import AppTest

from selector import SolverError, load_scenario, solve
from selector.app import solve_runner
from selector.app.solve_runner import SolveWorker, SolveWorkerDied, solve_in_worker

ROOT = Path(__file__).resolve().parents[2]
TEACHING = ROOT / "scenarios" / "teaching.toml"


class Stop(Exception):
    """What Streamlit's Stop raises in the script thread, as far as the runner knows."""


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_a_solve_in_a_worker_gives_the_answer_a_direct_solve_gives() -> None:
    scenario = load_scenario(TEACHING)
    ticks: list[float] = []
    result = solve_in_worker(scenario, time_limit=30, tick=lambda t, p: ticks.append(t))
    direct = solve(scenario, time_limit=30)
    assert result.status == direct.status == "optimal"
    assert result.selected == direct.selected
    assert result.objective == pytest.approx(direct.objective)


def test_a_crashing_worker_is_a_message_and_this_process_carries_on() -> None:
    worker = SolveWorker(load_scenario(TEACHING), entry=segfault).start()
    pid = worker.pid
    assert pid is not None and pid != os.getpid()
    with pytest.raises(SolveWorkerDied) as info:
        worker.result()
    message = str(info.value)
    assert "its worker process ended with SIGSEGV (a crash in the solver)" in message
    assert "\n" not in message and isinstance(info.value, SolverError)
    assert gone(pid)


def test_a_worker_killed_from_outside_is_a_message() -> None:
    worker = SolveWorker(load_scenario(TEACHING), entry=sleep_long).start()
    pid = worker.pid
    assert pid is not None

    def kill_it(seconds: float, progress: object) -> None:
        os.kill(pid, signal.SIGKILL)

    with pytest.raises(SolveWorkerDied, match=r"SIGKILL \(it was stopped from outside\)"):
        worker.result(tick=kill_it)
    assert gone(pid)


def test_stop_ends_the_worker_at_once() -> None:
    worker = SolveWorker(load_scenario(TEACHING), entry=sleep_long).start()
    pid = worker.pid
    assert pid is not None and not gone(pid)

    def stop(seconds: float, progress: object) -> None:
        raise Stop

    with pytest.raises(Stop):
        worker.result(tick=stop)
    # The worker was terminated on the way out, not left to sleep its 600 s.
    assert gone(pid) and worker.pid is None


def test_a_failure_in_the_worker_is_a_solver_error() -> None:
    with pytest.raises(SolverError, match="the solver failed: ValueError: not a number"):
        solve_in_worker(load_scenario(TEACHING), entry=fails)


def test_the_portfolio_page_survives_a_solver_crash(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SELECTOR_DB", str(tmp_path / "workspace.db"))
    monkeypatch.setattr(sys, "argv", ["app.py", "--scenario", str(TEACHING)])
    monkeypatch.setattr(solve_runner, "_default_session", segfault)
    st.cache_resource.clear()  # no exact answer kept from an earlier test
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("selector/app/portfolio.py").run()
    assert not at.exception, [e.value for e in at.exception]
    labels = [s.label for s in at.status]
    assert any(label.startswith("Exact solve failed: the solve stopped without an answer: "
                                "its worker process ended with SIGSEGV") for label in labels), labels
    assert [s.state for s in at.status] == ["error"]
    # The quick answer stands, and the page goes on working.
    assert any(m.label == "Partners selected" for m in at.metric), [m.label for m in at.metric]
    at.run()
    assert not at.exception
    st.cache_resource.clear()

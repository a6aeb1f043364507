"""The app's what-if session in a long-lived worker process
(:class:`selector.app.solve_runner.SessionWorker`): successive what-ifs go to the same
process and come back as a cold solve would prove them; a worker that died is replaced;
Stop ends it at once. And the Portfolio page answers two what-ifs through one worker."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest
import streamlit as st
from solve_entries import sleep_long
from streamlit.testing.v1 import AppTest

from selector import load_scenario, solve
from selector.app.solve_runner import SessionWorker
from selector.app.status import CARRIED, SOLVED, answer_origin, solved_label
from tests.app.test_solve_runner import ROOT, TEACHING, Stop


@pytest.fixture()
def worker():
    w = SessionWorker()
    yield w
    w.stop()


def test_successive_what_ifs_go_to_one_worker_and_equal_cold_solves(worker) -> None:
    base = load_scenario(TEACHING)
    first = worker.solve(base, key="teaching", time_limit=30)
    pid = worker.pid
    assert pid is not None and pid != os.getpid()
    cut = base.with_changes({"budget": {"total": 520_000}})
    second = worker.solve(cut, key="teaching", time_limit=30)
    assert worker.pid == pid
    assert first.stats["session"]["answer"] == "warm"
    assert second.stats["session"]["answer"] in ("kept", "warm")
    cold = solve(cut, time_limit=30)
    assert second.status == cold.status == "optimal"
    assert second.selected == cold.selected
    assert second.objective == pytest.approx(cold.objective)
    again = worker.solve(cut, key="teaching", time_limit=30)
    assert again.stats["session"]["answer"] == "cached" and worker.pid == pid


def test_a_kept_answer_is_worded_as_the_page_words_a_carried_one(worker) -> None:
    base = load_scenario(TEACHING)
    proven = worker.solve(base, key="teaching", time_limit=30)
    out = next(p for p in base.partners.index if p not in proven.selected)
    kept = worker.solve(base.with_changes({"constraints": {"must_exclude": [out]}}),
                        key="teaching", time_limit=30)
    assert kept.stats["session"]["answer"] == "kept"
    assert answer_origin(kept) == CARRIED and answer_origin(proven) == SOLVED
    assert "still keeps every rule" in solved_label(kept)
    assert "no new solve" not in solved_label(proven)


def test_a_worker_killed_between_what_ifs_is_replaced(worker) -> None:
    base = load_scenario(TEACHING)
    worker.solve(base, key="teaching", time_limit=30)
    pid = worker.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    result = worker.solve(base.with_changes({"budget": {"total": 520_000}}),
                          key="teaching", time_limit=30)
    assert result.status == "optimal"
    assert worker.pid is not None and worker.pid != pid
    assert result.stats["session"]["answer"] == "warm"  # a new session: nothing kept


def test_stop_ends_the_worker_at_once_and_the_next_what_if_starts_a_new_one() -> None:
    slow = SessionWorker(make=sleep_long)
    base = load_scenario(TEACHING)

    def stop(seconds: float, progress: object) -> None:
        raise Stop

    with pytest.raises(Stop):
        slow.solve(base, key="teaching", tick=stop)
    assert slow.pid is None
    fresh = SessionWorker()
    try:
        assert fresh.solve(base, key="teaching", time_limit=30).status == "optimal"
    finally:
        fresh.stop()


def test_the_portfolio_page_answers_what_ifs_through_one_worker(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SELECTOR_DB", str(tmp_path / "workspace.db"))
    monkeypatch.setattr(sys, "argv", ["app.py", "--scenario", str(TEACHING)])
    st.cache_resource.clear()  # no exact answer kept from an earlier test
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("selector/app/portfolio.py").run()
    assert not at.exception, [e.value for e in at.exception]
    pid = at.session_state["solve_session"].pid
    assert pid is not None
    budget = next(w for w in at.number_input if w.label.startswith("Total budget"))
    budget.set_value(520_000).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["solve_session"].pid == pid
    cold = solve(load_scenario(TEACHING).with_changes({"budget": {"total": 520_000}}),
                 time_limit=10)
    shown = next(m.value for m in at.metric if m.label == "Cost")
    assert shown == f"{cold.cost:,.0f}"
    assert "Proven optimal" in "\n".join(str(s.value) for s in at.success)
    # a worker killed between what-ifs: the next one is answered by a new worker
    os.kill(pid, signal.SIGKILL)
    budget = next(w for w in at.number_input if w.label.startswith("Total budget"))
    budget.set_value(650_000).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["solve_session"].pid not in (None, pid)
    cold = solve(load_scenario(TEACHING).with_changes({"budget": {"total": 650_000}}),
                 time_limit=10)
    assert next(m.value for m in at.metric if m.label == "Cost") == f"{cold.cost:,.0f}"
    assert [s.state for s in at.status] == ["complete"]
    at.session_state["solve_session"].stop()
    st.cache_resource.clear()


def test_an_idle_worker_prepares_and_stops_as_soon_as_a_what_if_arrives(tmp_path) -> None:
    """Between what-ifs the worker's session prepares (its budget frontier); a what-if
    that arrives meanwhile stops the step at once and is answered."""
    from solve_entries import preparing

    log = tmp_path / "prepare.log"
    w = SessionWorker(make=preparing)
    try:
        base = load_scenario(TEACHING)
        w.solve(base, key="teaching", time_limit=30, prepare_log=str(log))
        cut = base.with_changes({"budget": {"total": 520_000}})
        for _ in range(400):  # the worker prepares once the answer is sent
            if log.exists():
                break
            time.sleep(0.05)
        second = w.solve(cut, key="teaching", time_limit=30, prepare_log=str(log))
        assert second.status == solve(cut, time_limit=30).status == "optimal"
    finally:
        w.stop()
    lines = log.read_text(encoding="utf-8").splitlines()
    assert lines and "prepare stopped=True" in lines

"""What-if studies in the workspace (SQLite and PostgreSQL): each result saved as it
arrives, given back when resuming, named by kind, spec and selector version."""

from __future__ import annotations

from pathlib import Path

import pytest

from selector.store import StoreError, StudyLog, open_store, studies, study_results

SPEC = {"scenario": "c2d17396cea8eadf", "seed": 7, "time_limit": 10.0, "budgets": [1.5, 2.0]}


def test_results_are_saved_as_they_arrive_and_given_back_when_resuming(db_url: str) -> None:
    store = open_store(db_url, user="ana")
    log = StudyLog(store)
    assert log.start("robust", SPEC) == {}
    log.keep(0, {"run": 0, "selected": ["D01", "R03"], "objective": 9.5e6})
    log.keep(2, {"run": 2, "selected": [], "objective": None})
    assert (log.saved, log.reused) == (2, 0)

    # a second process, the same study: without --resume nothing comes back ...
    bo = open_store(db_url, user="bo")
    again = StudyLog(bo)
    assert again.start("robust", dict(SPEC)) == {}
    assert again.study_id == log.study_id
    again.keep(2, {"run": 2, "selected": ["R09"], "objective": 1.0})  # ran again: added
    # ... with it, each task's newest result
    resumed = StudyLog(store, resume=True)
    assert resumed.start("robust", SPEC) == {
        0: {"run": 0, "selected": ["D01", "R03"], "objective": 9.5e6},
        2: {"run": 2, "selected": ["R09"], "objective": 1.0},
    }
    assert resumed.reused == 2
    assert study_results(store, log.study_id or 0) == resumed.start("robust", SPEC)

    # another spec or kind is another study
    other = StudyLog(store, resume=True)
    assert other.start("robust", {**SPEC, "seed": 8}) == {}
    assert other.study_id != log.study_id
    assert StudyLog(store, resume=True).start("frontier", SPEC) == {}

    listed = {s.id: s for s in studies(store)}
    assert listed[log.study_id or 0].tasks_done == 2
    assert listed[log.study_id or 0].spec == SPEC
    assert (listed[log.study_id or 0].kind, listed[log.study_id or 0].author) == ("robust", "ana")
    assert listed[other.study_id or 0].tasks_done == 0
    again.store.close()
    store.close()


def test_a_log_must_be_started_and_a_study_must_exist(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path}/w.db")
    with pytest.raises(StoreError, match="keep before start"):
        StudyLog(store).keep(0, {})
    with pytest.raises(StoreError, match="no saved study 99"):
        study_results(store, 99)
    store.close()

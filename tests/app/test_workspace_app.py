"""The workspace pages, driven headless with AppTest against a real SQLite workspace:
a saved what-if reopened in a new session of a restarted app, a three-person judgment
round with Streamlit's sign-in, and a session that cannot save as someone else."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from selector import load_scenario
from selector.app.workspace_shared import close_stores
from selector.store import open_store

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")


def start(monkeypatch: pytest.MonkeyPatch, db: Path | str) -> AppTest:
    monkeypatch.setattr(sys, "argv", ["app.py", "--scenario", "scenarios/teaching.toml"])
    monkeypatch.setenv("SELECTOR_DB", str(db))
    close_stores()  # a new app process: nothing cached, the store opened again
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    return at


@pytest.fixture(autouse=True)
def _close_stores() -> Iterator[None]:
    yield
    close_stores()


def go(at: AppTest, page: str, title: str) -> AppTest:
    at.switch_page(f"selector/app/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == title
    return at


def budget_input(at: AppTest) -> Any:
    """The Portfolio page's exact budget field."""
    return next(w for w in at.number_input if w.label == "Total budget")


def test_a_saved_what_if_survives_a_restart(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    db = tmp_path / "team.db"
    monkeypatch.setenv("LOGNAME", "ana")  # no sign-in configured: the app's own user saves
    at = go(start(monkeypatch, db), "portfolio", "Portfolio")
    budget_input(at).set_value(520_000).run()
    # One "Save what-if", on the Portfolio page: it saves to the workspace.
    next(t for t in at.text_input if t.label == "What-if name").set_value("lean year")
    next(t for t in at.text_input if t.label == "Note").set_value("20 % less")
    assert not [t for t in at.text_input if t.label in ("Saved by", "Your name")]
    next(b for b in at.button if b.label == "Save what-if").click().run()
    assert not at.exception
    assert "Saved what-if **lean year** (version 1)" in "\n".join(s.value for s in at.success)
    # The Workspace page shows it at once, and has no second save button.
    at = go(at, "workspace", "Workspace")
    assert "Single-user: no sign-in is configured for this app, so everything is saved as " \
        "**ana**" in "\n".join(str(c.value) for c in at.caption)
    assert list(at.dataframe[0].value["what-if"]) == ["lean year"]
    assert list(at.dataframe[0].value["changes"]) == ["budget 520,000"]
    assert not [b for b in at.button if b.label == "Save what-if"]

    # The app restarts: a new session, nothing cached; the what-if is in the database.
    at = go(start(monkeypatch, db), "workspace", "Workspace")
    whatifs = at.dataframe[0].value
    assert list(whatifs["what-if"]) == ["lean year"]
    assert list(whatifs["saved by"]) == ["ana"] and list(whatifs["note"]) == ["20 % less"]
    next(b for b in at.button if b.label == "Open what-if").click().run()
    assert not at.exception
    assert "Opened what-if **lean year**" in at.success[0].value
    at = go(at, "portfolio", "Portfolio")
    assert budget_input(at).value == 520_000
    assert "lean year" in "\n".join(str(c.value) for c in at.sidebar.caption)
    store = open_store(db)
    runs = store.runs()
    store.close()
    assert [(r.label, r.author, r.status) for r in runs] == [("lean year", "ana", "optimal")]


def test_compare_two_saved_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    db = tmp_path / "team.db"
    at = go(start(monkeypatch, db), "portfolio", "Portfolio")
    for name in ("as is", "cut"):
        if name == "cut":
            budget_input(at).set_value(450_000).run()
        next(t for t in at.text_input if t.label == "What-if name").set_value(name)
        next(b for b in at.button if b.label == "Save what-if").click().run()
        assert not at.exception
    at = go(at, "workspace", "Workspace")
    assert len(at.dataframe[1].value) == 2  # the runs table
    numbers = at.dataframe[2].value
    assert "cost" in list(numbers.iloc[:, 0])
    assert "Different input" in "\n".join(str(c.value) for c in at.caption)


def sign_in(at: AppTest, name: str) -> AppTest:
    """Streamlit's sign-in (st.login with an OIDC provider), as AppTest simulates it."""
    at.user = {"is_logged_in": True, "email": f"{name}@team.example", "name": name.title()}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def judge(at: AppTest, name: str, moves: dict[str, float]) -> AppTest:
    sign_in(at, name)
    for label, value in moves.items():
        next(s for s in at.select_slider if s.label == label).set_value(value)
    next(b for b in at.button if b.label == "Submit my judgments").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert f"judgments of {name}@team.example" in at.success[0].value
    return at


def test_a_three_person_round(monkeypatch: pytest.MonkeyPatch, db_url: str) -> None:
    db = db_url  # an SQLite file, then a PostgreSQL server
    at = go(start(monkeypatch, db), "judgments", "Group judgments")
    sign_in(at, "fran")
    assert "Signed in as **fran@team.example**" in "\n".join(str(c.value) for c in at.caption)
    next(b for b in at.button if b.label == "Open a round").click().run()
    assert "Opened round #1" in at.success[0].value
    judge(at, "ana", {"Strategic fit vs Capability": 3.0})
    judge(at, "bo", {"Strategic fit vs Capability": 7.0})
    judge(at, "cy", {"Strategic fit vs Capability": 1 / 5, "Capability vs Financial health": 9.0})
    text = "\n".join(str(c.value) for c in at.caption)
    assert "3 participants: ana@team.example" in text
    # Only fran, who opened the round, may adopt it: cy sees who may, and no button.
    assert "fran@team.example opened this round: only they adopt or close it." in text
    assert not [b for b in at.button if b.label.startswith("Adopt the group")]
    sign_in(at, "fran")
    consensus = [m.value for m in at.metric if m.label == "Consensus"]
    assert len(consensus) >= 1 and all(v.endswith("%") for v in consensus)
    disputes = at.dataframe[-1].value
    assert disputes.iloc[0]["pair"] == "Strategic fit vs Capability"
    assert disputes.iloc[0]["spread"] == "x35"
    next(b for b in at.button if b.label.startswith("Adopt the group")).click().run()
    assert "model version 2" in at.success[0].value
    # The adopted group judgments become the ones the app scores partners with.
    next(b for b in at.button if b.label == "Work with the adopted judgments").click().run()
    assert "Working with Partner selection model version 2" in at.success[0].value
    working = load_scenario(at.session_state["source"])
    assert working.model is not None
    people = {f"{n}@team.example" for n in ("ana", "bo", "cy")}
    assert {j.expert for j in working.model.judgments_for("goal")} == people
    at = go(at, "criteria", "Criteria (AHP)")
    at = go(at, "portfolio", "Portfolio")
    store = open_store(db)
    rnd = store.rounds()[0]
    assert rnd.status == "adopted"
    assert rnd.facilitator == "fran@team.example"
    model = store.load_model(rnd.adopted_model_version_id or 0)
    assert {j.expert for j in model.judgments_for("goal")} == people
    store.close()


def test_a_session_cannot_save_or_judge_as_someone_else(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    db = tmp_path / "team.db"
    monkeypatch.setenv("LOGNAME", "ana")
    at = go(start(monkeypatch, db), "judgments", "Group judgments")
    # No sign-in configured: no name to type; whatever the session holds, ana judges.
    assert not [t for t in at.text_input if t.label == "Your name"]
    next(b for b in at.button if b.label == "Open a round").click().run()
    at.session_state["workspace:user"] = "bob"
    next(s for s in at.select_slider if s.label == "Strategic fit vs Capability").set_value(5.0)
    next(b for b in at.button if b.label == "Submit my judgments").click().run()
    assert not at.exception
    assert "judgments of ana in round #1" in at.success[0].value
    # Sign-in configured, nobody signed in: nothing can be saved or judged.
    at.user = {"is_logged_in": False}
    at.run()
    assert not at.exception
    assert "Sign in to save or judge" in "\n".join(i.value for i in at.info)
    assert [b.label for b in at.button if b.label == "Sign in"]
    labels = {b.label for b in at.button}
    assert not labels & {"Submit my judgments", "Open a round", "Import the questionnaire",
                         "Adopt the group judgments as the model's"}
    at = go(at, "portfolio", "Portfolio")
    next(t for t in at.text_input if t.label == "What-if name").set_value("mine")
    next(b for b in at.button if b.label == "Save what-if").click().run()
    assert not at.exception
    assert "Sign in to save or judge" in "\n".join(i.value for i in at.info)
    store = open_store(db)
    assert [(j.participant, j.source) for j in store.judgments(1)] == [("ana", "app")]
    assert store.whatifs() == [] and store.runs() == []
    store.close()

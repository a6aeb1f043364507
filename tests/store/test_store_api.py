"""The workspace store on a real SQLite file and a real PostgreSQL server: migrations
from an empty database, versioned saves, exports that load back, runs and what-ifs,
two writers at once, and a writer killed half-way through a save."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from contextlib import closing
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from selector import load_scenario, solve
from selector.store import StoreError, open_store, resolve_url
from selector.store.engine import current_revision, head_revision
from selector.store.schema import Base

REPO = Path(__file__).resolve().parents[2]
# Child processes import this checkout's selector, whatever is installed.
CHILD_ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
TEACHING = REPO / "scenarios" / "teaching.toml"
PLAN = REPO / "scenarios" / "teaching-plan.toml"


def _tables(db_url: str) -> list[str] | None:
    """The database's tables; None for an SQLite file that is not there (looking at it
    through SQLAlchemy would create it)."""
    if db_url.startswith("sqlite:///") and not Path(db_url.removeprefix("sqlite:///")).exists():
        return None
    engine = create_engine(db_url)
    try:
        return inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_migrations_create_the_schema_on_an_empty_database(db_url: str) -> None:
    assert _tables(db_url) in (None, [])
    store = open_store(db_url)
    assert store.scenarios() == [] and not store.exists
    assert _tables(db_url) in (None, [])  # opening and reading create nothing
    store.upgrade()
    assert store.exists
    assert current_revision(store.engine) == head_revision()
    tables = set(inspect(store.engine).get_table_names())
    assert {"blobs", "model_versions", "scenario_versions", "scenario_tables", "rounds",
            "judgment_sets", "runs", "whatifs", "alembic_version"} <= tables
    # The migrated schema is exactly what the ORM models describe.
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    store.close()
    again = open_store(db_url)  # opening a migrated database changes nothing
    assert current_revision(again.engine) == head_revision()
    again.close()


def test_migrations_go_down_to_empty_and_up_again(db_url: str) -> None:
    from alembic import command

    from selector.store.engine import _config

    store = open_store(db_url)
    store.save_scenario(load_scenario(TEACHING))
    with store.engine.begin() as conn:
        command.downgrade(_config(conn), "base")
    assert set(inspect(store.engine).get_table_names()) <= {"alembic_version"}
    with store.engine.begin() as conn:
        command.upgrade(_config(conn), "head")
    assert current_revision(store.engine) == head_revision()
    assert store.scenarios() == []
    store.close()


def test_a_save_makes_a_new_version_and_exports_back_to_files(
    db_url: str, tmp_path: Path
) -> None:
    store = open_store(db_url, user="ana")
    scenario = load_scenario(TEACHING)
    v1 = store.save_scenario(scenario, note="baseline")
    assert (v1.name, v1.version, v1.author) == ("Teaching: East-North-South", 1, "ana")
    assert v1.fingerprint == scenario.fingerprint
    assert set(v1.tables) == {"partners", "segments", "supply"}
    again = store.save_scenario(scenario)  # same content, author, no note
    assert again.id == v1.id and again.unchanged
    cut = scenario.with_changes({"budget": {"total": 450_000}})
    with closing(open_store(db_url, user="bo")) as bo:
        v2 = bo.save_scenario(cut)
    assert v2.version == 2 and v2.fingerprint != v1.fingerprint and not v2.unchanged
    assert [r.version for r in store.scenarios(v1.name)] == [2, 1]
    # Another author saving the same content adds a version that records it.
    with closing(open_store(db_url, user="cy")) as cy:
        v3 = cy.save_scenario(cut, note="checked")
    assert (v3.version, v3.author, v3.note, v3.same_as) == (3, "cy", "checked", 2)
    assert v3.model_version_id == v2.model_version_id  # the unchanged model is not repeated
    # Both versions are there, each with its own settings; tables are stored once.
    back1 = load_scenario(store.export_scenario(v1.id, tmp_path / "v1"))
    back2 = store.load_scenario(v3.id, tmp_path / "v2")
    assert back1.fingerprint == scenario.fingerprint
    assert back2.fingerprint == cut.fingerprint
    assert back2.budget.total == 450_000
    assert (tmp_path / "v1" / "teaching-east-north-south" / "partners.csv").read_bytes() == (
        REPO / "scenarios" / "teaching" / "partners.csv"
    ).read_bytes()
    model = store.load_model(v1.model_version_id or 0)
    assert model.criteria == scenario.model.criteria  # type: ignore[union-attr]
    store.close()


def test_runs_keep_status_numbers_and_the_plan(db_url: str) -> None:
    store = open_store(db_url, user="ana")
    scenario = load_scenario(PLAN)
    saved = store.save_scenario(scenario)
    result = solve(scenario, time_limit=30)
    run = store.save_run(result, scenario_version=saved.id, options={"time_limit": 30},
                         label="plan baseline")
    got = store.run(run.id)
    assert got.status == result.status == "optimal"
    assert got.fingerprint == scenario.fingerprint
    assert got.objective == pytest.approx(result.objective)
    assert got.gap == pytest.approx(result.gap)
    assert got.selected == list(result.selected)
    assert got.plan is not None and len(got.plan) == len(result.plan)  # type: ignore[arg-type]
    assert got.options == {"time_limit": 30}
    assert got.package_version and got.author == "ana"
    assert [r.id for r in store.runs()] == [run.id]
    with pytest.raises(StoreError, match="no saved run 999"):
        store.run(999)
    store.close()


def test_a_named_what_if_reopens_as_the_same_scenario(db_url: str) -> None:
    store = open_store(db_url)
    scenario = load_scenario(TEACHING)
    saved = store.save_scenario(scenario)
    changes = {"budget": {"total": 500_000}, "constraints": {"must_include": ["R01"]}}
    first = store.save_whatif("tight budget", scenario_version=saved.id, changes=changes,
                              judgments={"0|strategic_fit|capability": 3.0})
    second = store.save_whatif("tight budget", scenario_version=saved.id,
                               changes={"budget": {"total": 400_000}})
    assert (first.version, second.version) == (1, 2)
    assert store.whatif(first.id).judgments == {"0|strategic_fit|capability": 3.0}
    again = store.load_whatif(first.id)
    assert again.fingerprint == scenario.with_changes(changes).fingerprint
    assert [w.version for w in store.whatifs("tight budget")] == [2, 1]
    with pytest.raises(StoreError, match="needs a name"):
        store.save_whatif("  ", scenario_version=saved.id)
    store.close()


def test_database_from_the_environment_and_bad_urls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SELECTOR_DB", str(tmp_path / "sub" / "team.db"))
    assert resolve_url() == f"sqlite:///{tmp_path / 'sub' / 'team.db'}"
    store = open_store()
    assert store.runs() == [] and not (tmp_path / "sub").exists()
    store.save_model(load_scenario(TEACHING).model)  # type: ignore[arg-type]
    assert (tmp_path / "sub" / "team.db").is_file()
    store.close()
    monkeypatch.delenv("SELECTOR_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert resolve_url() == f"sqlite:///{tmp_path / 'data' / 'selector' / 'workspace.db'}"
    with pytest.raises(StoreError, match="is a folder"):
        resolve_url(tmp_path)
    with pytest.raises(StoreError, match="not nosuchdriver; accepted: a file path"):
        open_store("nosuchdriver://x/y")


WRITER = textwrap.dedent(
    """
    import sys
    from selector import load_scenario
    from selector.store import open_store

    url, who, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    store = open_store(url, user=who)
    base = load_scenario(sys.argv[4])
    for k in range(n):
        variant = base.with_changes({"budget": {"total": 300_000 + 1_000 * k + (7 if who == "b" else 0)}})
        store.save_scenario(variant, name="shared")
    print("done")
    """
)


def test_two_writers_at_once_get_distinct_versions(db_url: str, tmp_path: Path) -> None:
    first = open_store(db_url)
    first.upgrade()  # create the workspace first; the race here is between saves
    first.close()
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    n = 8
    procs = [
        subprocess.Popen([sys.executable, str(script), db_url, who, str(n), str(TEACHING)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO, env=CHILD_ENV)
        for who in ("a", "b")
    ]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-2000:]
        assert "done" in out
    store = open_store(db_url)
    saved = store.scenarios("shared")
    assert sorted(r.version for r in saved) == list(range(1, 2 * n + 1))
    assert {r.author for r in saved} == {"a", "b"}
    assert len({r.fingerprint for r in saved}) == 2 * n
    store.close()


KILLED = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from selector import load_scenario
    from selector.store import api, open_store

    url, marker = sys.argv[1], Path(sys.argv[2])
    store = open_store(url, user="killed")
    scenario = load_scenario(sys.argv[3]).with_changes({"budget": {"total": 123_456}})
    original = api.Store._blob
    calls = []

    def slow_blob(session, data):
        digest = original(session, data)
        calls.append(digest)
        if len(calls) == 3:  # the version row and two tables are written, not committed
            marker.write_text("mid-save")
            time.sleep(600)
        return digest

    api.Store._blob = staticmethod(slow_blob)
    store.save_scenario(scenario, name="half")
    """
)


def test_a_writer_killed_mid_save_leaves_no_half_written_version(
    db_url: str, tmp_path: Path
) -> None:
    store = open_store(db_url, user="ana")
    first = store.save_scenario(load_scenario(TEACHING), name="half")
    script, marker = tmp_path / "killed.py", tmp_path / "marker"
    script.write_text(KILLED)
    proc = subprocess.Popen([sys.executable, str(script), db_url, str(marker), str(TEACHING)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO, env=CHILD_ENV)
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert proc.poll() is None, proc.communicate()[1][-2000:]
        assert time.monotonic() < deadline, "the writer never reached the middle of its save"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    # Only the committed version is there; the next save gets version 2 and works.
    assert [(r.version, r.author) for r in store.scenarios("half")] == [(1, "ana")]
    with closing(open_store(db_url, user="bo")) as bo:
        after = bo.save_scenario(
            load_scenario(TEACHING).with_changes({"budget": {"total": 123_456}}), name="half"
        )
    assert after.version == 2
    back = store.load_scenario(after.id, tmp_path / "back")
    assert back.budget.total == 123_456
    assert store.scenario_record(first.id).version == 1
    store.close()

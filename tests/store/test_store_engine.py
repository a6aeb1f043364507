"""The store opens only its own databases: reading changes nothing, another
application's file is refused, a database in memory is refused, passwords never show,
a server that does not answer is given up on, and a read-only workspace can be read."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from selector import load_scenario
from selector.cli import main
from selector.store import StoreError, open_store

REPO = Path(__file__).resolve().parents[2]
TEACHING = REPO / "scenarios" / "teaching.toml"
CHILD_ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}

READS = [
    ["runs", "list"], ["runs", "show", "1"], ["scenarios", "list"], ["models", "list"],
    ["whatifs", "list"], ["round", "list"], ["round", "show", "1"],
]


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with a hash of its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.startswith("selector: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


def test_read_only_commands_create_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "new" / "team.db"
    for argv in READS:
        code = main([*argv, "--db", str(db)])
        out = capsys.readouterr()
        assert code in (0, 2), out.err
    assert not db.parent.exists()
    assert main(["runs", "list", "--db", str(db)]) == 0
    assert "No saved runs" in capsys.readouterr().out
    assert main(["runs", "show", "1", "--db", str(db)]) == 2
    assert "no saved run 1" in one_line_error(capsys)
    assert not db.parent.exists()


def other_apps_sqlite(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        conn.execute("INSERT INTO notes (body) VALUES ('mine')")
    conn.close()


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (other_apps_sqlite, "not a selector workspace: it holds other tables (notes)"),
        (lambda p: p.write_bytes(b""), "is an empty file, not a selector workspace"),
        (lambda p: p.write_text("root:x:0:0:root:/root:/bin/bash\n"),
         "not a selector workspace: it is not an SQLite database file"),
    ],
    ids=["other-sqlite", "empty", "text"],
)
def test_a_file_that_is_not_a_workspace_is_refused_and_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make: object, says: str
) -> None:
    folder = tmp_path / "files"
    folder.mkdir()
    path = folder / "other.db"
    make(path)  # type: ignore[operator]
    before = snapshot(folder)
    for argv in [*READS, ["scenarios", "save", str(TEACHING)],
                 ["runs", "solve", str(TEACHING)], ["round", "open", "1"]]:
        assert main([*argv, "--db", str(path)]) == 2, argv
        assert says in one_line_error(capsys), argv
    assert snapshot(folder) == before
    if path.read_bytes().startswith(b"SQLite format 3"):
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        conn.close()


def test_another_applications_postgresql_database_is_refused(
    postgres_server: object, capsys: pytest.CaptureFixture[str]
) -> None:
    import psycopg

    url = postgres_server.new_database()  # type: ignore[attr-defined]
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
        conn.execute("CREATE TABLE invoices (id integer)")
    for argv in (["runs", "list"], ["scenarios", "save", str(TEACHING)]):
        assert main([*argv, "--db", url]) == 2
        assert "not a selector workspace: it holds other tables (invoices)" in one_line_error(capsys)
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn:
        tables = {r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert tables == {"invoices"}


@pytest.mark.parametrize(
    "url", ["sqlite://", "sqlite:///:memory:", "sqlite+pysqlite:///:memory:",
            "sqlite:///file::memory:?cache=shared"],
)
def test_a_database_in_memory_is_refused(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["runs", "solve", str(TEACHING), "--db", url, "--time-limit", "5"]) == 2
    captured = capsys.readouterr()
    assert "Saved run" not in captured.out
    assert "in memory, which keeps nothing" in captured.err


@pytest.mark.parametrize(
    "url",
    [
        "mysql://alice:S3cretPW@127.0.0.1:1/team",
        "postgresql+psycopg://alice:S3cretPW@127.0.0.1:1/team",
        "postgresql://alice:S3cret%40PW@127.0.0.1:1/team",
        "postgresql+psycopg://alice:S3cretPW@[::1",
        "postgresql+psycopg://alice:S3cretPW@127.0.0.1:notaport/team",
    ],
)
def test_passwords_never_show(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["runs", "list"], ["scenarios", "save", str(TEACHING)]):
        assert main([*argv, "--db", url]) == 2
        err = one_line_error(capsys)
        assert "S3cret" not in err and "%40PW" not in err, err


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        yield int(s.getsockname()[1])


def test_a_server_that_never_answers_is_given_up_on(
    silent_server: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from selector.store import engine

    monkeypatch.setattr(engine, "CONNECT_TIMEOUT", 2)
    url = f"postgresql+psycopg://alice:S3cretPW@127.0.0.1:{silent_server}/team"
    assert main(["runs", "list", "--db", url]) == 2
    err = one_line_error(capsys)
    assert "timeout" in err and "S3cretPW" not in err


def test_a_workspace_made_by_a_newer_selector_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "t.db"
    store = open_store(db)
    store.save_scenario(load_scenario(TEACHING))
    store.close()
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
    conn.close()
    assert main(["scenarios", "list", "--db", str(db)]) == 2
    assert "made by a newer selector (schema revision 9999_future)" in one_line_error(capsys)


def test_ids_and_names_the_database_cannot_hold_are_clear_errors(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    store = open_store(db_url)
    scenario = load_scenario(TEACHING)
    store.save_scenario(scenario)
    assert main(["runs", "list", "--limit", "99999999999999999999", "--db", db_url]) == 0
    capsys.readouterr()
    for argv in (["runs", "show", "99999999999999999999"], ["round", "show", "-5"],
                 ["scenarios", "export", "99999999999999999999", "out"],
                 ["runs", "list", "--limit", "-1"]):
        assert main([*argv, "--db", db_url]) == 2
        err = one_line_error(capsys)
        assert "no saved" in err or "no judgment round" in err or "limit is -1" in err, err
    with pytest.raises(StoreError, match=r"the scenario name .* has 250 characters; the "
                                         r"workspace keeps at most 200"):
        store.save_scenario(scenario, name="x" * 250)
    with pytest.raises(StoreError, match=r"the user name .* has 201 characters; the "
                                         r"workspace keeps at most 200"):
        open_store(db_url, user="a" * 201)
    with pytest.raises(StoreError, match="NUL"):
        store.save_scenario(scenario, note="a\x00b")
    store.close()


def _drop_write_rights() -> list[str] | None:
    """A command prefix that runs a child without the right to write files it does not
    own for writing (as root: without the capabilities that override file modes)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    caps = "-dac_override,-dac_read_search,-fowner"
    return [setpriv, f"--inh-caps={caps}", f"--bounding-set={caps}", "--"]


def test_a_read_only_workspace_can_be_read(tmp_path: Path) -> None:
    prefix = _drop_write_rights()
    if prefix is None:
        pytest.skip("running as root without setpriv: cannot make a folder read-only")
    folder = tmp_path / "ws"
    db = folder / "team.db"
    store = open_store(db)
    saved = store.save_scenario(load_scenario(TEACHING), note="baseline")
    store.close()
    os.chmod(db, 0o444)
    os.chmod(folder, 0o555)
    try:
        before = snapshot(folder)

        def cli(*argv: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [*prefix, sys.executable, "-m", "selector", *argv, "--db", str(db)],
                capture_output=True, text=True, cwd=tmp_path, env=CHILD_ENV, timeout=300,
            )

        listed = cli("scenarios", "list")
        assert listed.returncode == 0, listed.stderr
        assert "baseline" in listed.stdout and f"{saved.id:>5}" in listed.stdout
        assert cli("runs", "list").returncode == 0
        refused = cli("scenarios", "save", str(TEACHING), "--note", "again")
        assert refused.returncode == 2
        assert "readonly database" in refused.stderr and refused.stderr.count("\n") == 1
        assert snapshot(folder) == before
    finally:
        os.chmod(folder, 0o755)
        os.chmod(db, 0o644)

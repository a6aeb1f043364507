"""Nothing read from a workspace database touches the file system unchecked.

A database row is not trusted: someone with write access to a shared workspace (or to
its SQLite file) could store a table file name holding ``../``, settings naming any
local file (``extends``, ``partners``, ...) or what-if changes pointing a table at a
private file. Exporting or reopening such a version must neither write outside the
target folder nor read any file the row names.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from selector import load_scenario
from selector.cli import main
from selector.store import StoreError, open_store

REPO = Path(__file__).resolve().parents[2]
TEACHING = REPO / "scenarios" / "teaching.toml"
TEACHING_PARTNERS = REPO / "scenarios" / "teaching" / "partners.csv"


def saved_teaching(tmp_path: Path) -> tuple[Path, int]:
    db = tmp_path / "t.db"
    store = open_store(db)
    version = store.save_scenario(load_scenario(TEACHING)).id
    store.close()
    return db, version


def tamper(db: Path, sql: str, *params: object) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute(sql, params)


@pytest.mark.parametrize(
    "filename",
    ["{up}{tmp}/x/PWNED.sh", "{tmp}/x/supply.csv", "sub/supply.csv", "supply.sh",
     "..", "supply.csv\x00.sh", "partners.csv"],
)
def test_a_stored_file_name_that_is_not_a_plain_table_name_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], filename: str
) -> None:
    db, version = saved_teaching(tmp_path)
    (tmp_path / "x").mkdir()
    bad = filename.format(tmp=tmp_path.as_posix().lstrip("/"), up="../" * 40)
    if bad.startswith(tmp_path.as_posix().lstrip("/")):
        bad = "/" + bad
    tamper(db, "update scenario_tables set filename = ? where role = 'supply'", bad)
    out = tmp_path / "out" / "a"
    code = main(["scenarios", "export", str(version), str(out), "--db", str(db)])
    err = capsys.readouterr().err
    assert list((tmp_path / "x").iterdir()) == []
    assert code == 2
    assert "saved scenario version 1" in err and "supply" in err
    assert "accepted: supply.csv, supply.xlsx" in err
    assert err.count("\n") == 1
    assert list((tmp_path / "x").iterdir()) == []
    assert not out.exists() or not any(out.rglob("*"))
    store = open_store(db)
    with pytest.raises(StoreError, match="not one selector writes"):
        store.load_scenario(version, tmp_path / "reopened")
    store.close()
    assert list((tmp_path / "x").iterdir()) == []


def test_a_stored_table_role_outside_the_fixed_set_is_refused(tmp_path: Path) -> None:
    db, version = saved_teaching(tmp_path)
    tamper(db, "update scenario_tables set role = '../x' where role = 'supply'")
    store = open_store(db)
    with pytest.raises(StoreError, match=r"role '\.\./x'; accepted: partners, segments"):
        store.export_scenario(version, tmp_path / "out")
    store.close()


def test_stored_settings_that_name_files_are_dropped(tmp_path: Path) -> None:
    db, version = saved_teaching(tmp_path)
    secret = tmp_path / "secret.csv"
    secret.write_text(TEACHING_PARTNERS.read_text().replace("Northwind", "SECRET"))
    settings = {"extends": "/etc/hostname", "coverage": str(secret), "model": str(secret),
                "partners": str(secret)}
    tamper(db, "update scenario_versions set settings = json_patch(settings, ?)",
           json.dumps(settings))
    store = open_store(db)
    path = store.export_scenario(version, tmp_path / "out")
    text = path.read_text()
    assert "extends" not in text and str(secret) not in text
    again = store.load_scenario(version, tmp_path / "reopened")
    assert again.fingerprint == load_scenario(TEACHING).fingerprint
    assert not again.partners["name"].str.contains("SECRET").any()
    store.close()


def test_what_if_changes_that_name_files_are_dropped_on_load_and_refused_on_save(
    tmp_path: Path,
) -> None:
    db, version = saved_teaching(tmp_path)
    secret = tmp_path / "secret.csv"
    secret.write_text(TEACHING_PARTNERS.read_text().replace("Northwind", "SECRET"))
    store = open_store(db)
    with pytest.raises(StoreError, match=r"may not name files \(partners\)"):
        store.save_whatif("w", scenario_version=version, changes={"partners": str(secret)})
    saved = store.save_whatif("w", scenario_version=version,
                              changes={"budget": {"total": 500_000}})
    changes = {"budget": {"total": 500_000}, "partners": str(secret), "supply": str(secret),
               "model": str(secret)}
    tamper(db, "update whatifs set changes = ? where id = ?", json.dumps(changes), saved.id)
    assert store.whatif(saved.id).changes == {"budget": {"total": 500_000}}
    variant = store.load_whatif(saved.id)
    assert variant.budget.total == 500_000
    assert not variant.partners["name"].str.contains("SECRET").any()
    store.close()


def test_an_export_replaces_links_in_its_folder_instead_of_following_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, version = saved_teaching(tmp_path)
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    out = tmp_path / "out"
    data = out / "teaching-east-north-south"
    data.mkdir(parents=True)
    (data / "partners.csv").symlink_to(outside)
    (out / "teaching-east-north-south.toml").symlink_to(outside)
    assert main(["scenarios", "export", str(version), str(out), "--db", str(db),
                 "--force"]) == 0
    capsys.readouterr()
    assert outside.read_text() == "keep me"
    assert not (data / "partners.csv").is_symlink()
    assert (data / "partners.csv").read_bytes() == TEACHING_PARTNERS.read_bytes()
    # A link in the place of the tables' folder is refused.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out2 = tmp_path / "out2"
    out2.mkdir()
    (out2 / "teaching-east-north-south").symlink_to(elsewhere)
    assert main(["scenarios", "export", str(version), str(out2), "--db", str(db),
                 "--force"]) == 2
    assert "is a link or a file" in capsys.readouterr().err
    assert list(elsewhere.iterdir()) == []


def test_reopening_writes_into_the_users_own_temporary_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    from selector.store.serialize import private_temp_folder

    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()

    monkeypatch.setattr(tempfile, "tempdir", None)  # read TMPDIR again
    db, version = saved_teaching(tmp_path)
    tamper(db, "update scenario_versions set fingerprint = '../../../escaped'")
    store = open_store(db)
    scenario = store.load_scenario(version)
    store.close()
    own = private_temp_folder()
    assert own.parent == tmp_path / "tmp"
    assert stat.S_IMODE(os.lstat(own).st_mode) == 0o700
    assert Path(scenario.source or "").resolve().is_relative_to(own.resolve())
    assert not (tmp_path / "escaped").exists() and not (tmp_path / "tmp" / "escaped").exists()
    # Someone else's link in its place is refused rather than followed.
    own.rename(tmp_path / "tmp" / "moved")
    own.symlink_to(tmp_path / "tmp" / "moved")
    with pytest.raises(StoreError, match="not a folder of yours"):
        private_temp_folder()

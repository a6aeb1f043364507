"""The app's upload (issue 16): every file reached from an uploaded scenario, through
``extends`` at any depth, stays inside the upload; upload folders are removed."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from selector import SelectorError
from selector.app.scenario import (
    UPLOAD_PREFIX,
    check_inside,
    drop_upload_dir,
    sweep_stale_uploads,
    write_upload,
)
from selector.inputs.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "scenarios" / "teaching"


@dataclass
class Upload:
    name: str
    data: bytes

    def getvalue(self) -> bytes:
        return self.data


def _tables() -> list[Upload]:
    return [Upload(n, (DATA / n).read_bytes()) for n in ("partners.csv", "segments.csv")]


TOP = b'name = "up"\nextends = "base.toml"\n[budget]\ntotal = 1000000\n'


def _base(partners: str = "partners.csv") -> bytes:
    return (f'partners = "{partners}"\nsegments = "segments.csv"\n'
            'model = "../models/partner-selection.toml"\n').encode()


def test_upload_with_a_base_loads(tmp_path: Path) -> None:
    path = write_upload([Upload("top.toml", TOP), Upload("base.toml", _base()), *_tables()], tmp_path)
    assert path.name == "top.toml"
    assert load_scenario(path).partners.shape[0] > 0


@pytest.mark.parametrize("partners", ["/etc/passwd.csv", "../../../../etc/x.csv", "../models/../../x.csv"])
def test_base_reached_through_extends_cannot_leave_the_upload(tmp_path: Path, partners: str) -> None:
    files = [Upload("top.toml", TOP), Upload("base.toml", _base(partners)), *_tables()]
    with pytest.raises(SelectorError, match=r"base.toml: 'partners = .*' points outside"):
        write_upload(files, tmp_path)


def test_extends_outside_refused_at_any_depth(tmp_path: Path) -> None:
    mid = b'extends = "base.toml"\n'
    base = b'extends = "/work/elsewhere/secret.toml"\n'
    files = [Upload("top.toml", TOP.replace(b"base.toml", b"mid.toml")), Upload("mid.toml", mid),
             Upload("base.toml", base)]
    with pytest.raises(SelectorError, match=r"base.toml: 'extends = .*' points outside"):
        write_upload(files, tmp_path)


def test_deeply_nested_upload_is_a_selector_error(tmp_path: Path) -> None:
    deep = b"description = " + b"[" * 5000 + b"]" * 5000 + b"\n"
    with pytest.raises(SelectorError, match="nested too deeply"):
        write_upload([Upload("top.toml", deep)], tmp_path)


def test_check_inside_walks_the_chain(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('extends = "b.toml"\n')
    (tmp_path / "b.toml").write_text('supply = "/dev/null"\n')
    with pytest.raises(SelectorError, match="supply"):
        check_inside(tmp_path / "a.toml", [tmp_path.resolve()])


def test_stale_upload_folders_are_swept(tmp_path: Path) -> None:
    old = tmp_path / f"{UPLOAD_PREFIX}old"
    new = tmp_path / f"{UPLOAD_PREFIX}new"
    other = tmp_path / "unrelated"
    for d in (old, new, other):
        d.mkdir()
    day_ago = time.time() - 2 * 24 * 3600
    os.utime(old, (day_ago, day_ago))
    os.utime(other, (day_ago, day_ago))
    assert sweep_stale_uploads(tmp=str(tmp_path)) == [str(old)]
    assert not old.exists() and new.exists() and other.exists()
    drop_upload_dir(str(new))
    assert not new.exists()
    drop_upload_dir(str(other))  # not an upload folder: left alone
    assert other.exists()

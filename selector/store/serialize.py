"""Criteria models and scenarios as the files they came from, and back.

:func:`model_toml` writes a :class:`CriteriaModel` as the TOML that
:func:`~selector.inputs.criteria.load_model` reads back into an equal model.
:func:`scenario_files` gives a scenario's settings and table files (the bytes of the
files it was loaded from, or CSV written from in-memory tables), and
:func:`write_scenario_files` lays them out as a scenario TOML with its tables beside it,
ready for :func:`~selector.inputs.scenario.load_scenario`.

What comes back from a database is not trusted to name files: a stored table's file
name must be one of :data:`TABLE_FILENAMES` (its role and ``.csv`` or ``.xlsx``, no
folder), stored settings and what-if changes lose every key that names a file
(:data:`FILE_KEYS`, :func:`without_file_keys`), and :func:`write_scenario_files` writes
only inside its target folder, replacing a symbolic link in its way rather than
following it.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import tomli_w

from selector.inputs.criteria import ROOT, CriteriaModel
from selector.inputs.scenario import Scenario
from selector.inputs.tables import TABLE_SUFFIXES
from selector.safe_output import write_bytes_atomic
from selector.store.engine import StoreError

__all__ = [
    "FILE_KEYS",
    "MODEL_FILENAME",
    "TABLE_FILENAMES",
    "TABLE_ROLES",
    "ScenarioFiles",
    "check_table_file",
    "model_toml",
    "private_temp_folder",
    "scenario_files",
    "sha256",
    "slug",
    "without_file_keys",
    "write_scenario_files",
]

TABLE_ROLES = ("partners", "segments", "coverage", "supply")
#: The only file names a stored table may have: its role and a table suffix.
TABLE_FILENAMES: dict[str, tuple[str, ...]] = {
    role: tuple(f"{role}{suffix}" for suffix in TABLE_SUFFIXES) for role in TABLE_ROLES
}
MODEL_FILENAME = "model.toml"
#: Scenario settings that name a file; never taken from a database.
FILE_KEYS = ("model", *TABLE_ROLES, "extends")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def slug(text: str) -> str:
    """A file-name-safe version of ``text`` (letters, digits, ``-``)."""
    out = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
    return out[:60] or "scenario"


def check_table_file(role: str, filename: str, *, where: str) -> str:
    """``filename`` when it is a plain table file name selector writes for ``role``
    (``partners.csv``, ``partners.xlsx``, ...); otherwise :class:`StoreError`."""
    accepted = TABLE_FILENAMES.get(role)
    if accepted is None:
        raise StoreError(
            f"{where}: a table with the role {role!r}; accepted: {', '.join(TABLE_ROLES)}"
        )
    if filename not in accepted:
        raise StoreError(
            f"{where}: the {role} table's stored file name {filename!r} is not one selector "
            f"writes; accepted: {', '.join(accepted)}"
        )
    return filename


def without_file_keys(settings: Mapping[str, Any]) -> dict[str, Any]:
    """``settings`` without the keys that name a file (:data:`FILE_KEYS`)."""
    return {k: v for k, v in settings.items() if k not in FILE_KEYS}


def private_temp_folder() -> Path:
    """A folder of the system's temporary directory that only this user can enter
    (``selector-workspace-<uid>``, mode 0700), for scenarios reopened from the
    workspace. One that is a symbolic link or belongs to someone else is refused."""
    uid = os.getuid() if hasattr(os, "getuid") else None
    folder = Path(tempfile.gettempdir()) / f"selector-workspace-{uid if uid is not None else 'user'}"
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        raise StoreError(f"cannot create the folder {folder}: {exc.strerror or exc}") from None
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode) or (uid is not None and info.st_uid != uid):
        raise StoreError(
            f"{folder} is not a folder of yours (a link, a file or another user's folder); "
            "remove it, or set TMPDIR to a folder of your own"
        )
    if info.st_mode & 0o077:
        os.chmod(folder, 0o700)
    return folder


def clean(value: Any) -> Any:
    """JSON/TOML-safe: numpy scalars to Python, tuples to lists, None and NaN dropped."""
    if isinstance(value, Mapping):
        return {
            str(k): clean(v)
            for k, v in value.items()
            if v is not None and not (isinstance(v, float) and math.isnan(v))
        }
    if isinstance(value, list | tuple):
        return [clean(v) for v in value if v is not None]
    if isinstance(value, np.generic):
        return value.item()
    return value


def model_toml(model: CriteriaModel) -> bytes:
    """The model as TOML text that loads back into an equal model (``source`` aside)."""
    criteria: list[dict[str, Any]] = []
    for c in model.criteria:
        entry: dict[str, Any] = {"id": c.id, "label": c.label}
        if c.parent != ROOT:
            entry["parent"] = c.parent
        if c.column is not None:
            entry["column"] = c.column
            entry["direction"] = c.direction
            entry["normalize"] = c.normalize
            entry["missing"] = c.missing
            if c.scale is not None:
                entry["scale"] = [float(c.scale[0]), float(c.scale[1])]
        if c.description:
            entry["description"] = c.description
        criteria.append(entry)
    judgments: list[dict[str, Any]] = []
    for j in model.judgments:
        entry = {"parent": j.parent, "weight": float(j.weight)}
        if j.expert:
            entry["expert"] = j.expert
        entry["pairs"] = [[a, b, float(v)] for a, b, v in j.pairs]
        judgments.append(entry)
    doc: dict[str, Any] = {"name": model.name}
    if model.description:
        doc["description"] = model.description
    doc["settings"] = {"method": model.method, "ri": model.ri, "threshold": float(model.threshold)}
    doc["criteria"] = criteria
    if judgments:
        doc["judgments"] = judgments
    return tomli_w.dumps(doc).encode("utf-8")


@dataclass(frozen=True)
class ScenarioFiles:
    """A scenario as files: settings (no data paths), tables by role, the model's TOML."""

    name: str
    settings: dict[str, Any]
    tables: dict[str, tuple[str, bytes]]  # role -> (file name, bytes)
    model: bytes | None


def _cell(value: Any) -> str:
    if isinstance(value, tuple | list):
        return ";".join(str(v) for v in value)
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _frame_csv(frame: pd.DataFrame, *, index: bool) -> bytes:
    out = frame.reset_index() if index else frame.reset_index(drop=True)
    text = out.astype(object).map(_cell)
    csv: str = text.to_csv(index=False, lineterminator="\n")
    return csv.encode("utf-8")


def scenario_files(scenario: Scenario) -> ScenarioFiles:
    """The scenario's settings and table files.

    A table loaded from a file is kept byte for byte (a ``.csv`` or ``.xlsx``); a table
    given in memory (:func:`~selector.inputs.scenario.scenario_from_frames`) is written
    as CSV from the loaded frame.
    """
    config = scenario.config
    tables: dict[str, tuple[str, bytes]] = {}
    frames: dict[str, tuple[pd.DataFrame | None, bool]] = {
        "partners": (scenario.partners, True),
        "segments": (scenario.segments, True),
        "coverage": (scenario.coverage if scenario.coverage_given else None, False),
        "supply": (scenario.supply, False),
    }
    for role in TABLE_ROLES:
        path = config.get(role)
        suffix = Path(path).suffix.lower() if isinstance(path, str) else ""
        if isinstance(path, str) and suffix in TABLE_SUFFIXES and Path(path).is_file():
            tables[role] = (f"{role}{suffix}", Path(path).read_bytes())
            continue
        frame, index = frames[role]
        if frame is not None:
            tables[role] = (f"{role}.csv", _frame_csv(frame, index=index))
    settings = without_file_keys(clean(scenario.to_toml_dict()))
    settings = json.loads(json.dumps(settings, default=str))
    model = None if scenario.model is None else model_toml(scenario.model)
    return ScenarioFiles(name=scenario.name, settings=settings, tables=tables, model=model)


def _plain_name(name: str, what: str) -> str:
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\x00" in name:
        raise StoreError(f"{what} {name!r} is not a plain file name")
    return name


def _own_folder(path: Path) -> Path:
    """Make ``path`` a real folder (not a link to one elsewhere)."""
    try:
        path.mkdir(exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the folder {path}: {exc.strerror or exc}") from None
    if path.is_symlink() or not path.is_dir():
        raise StoreError(
            f"{path} is a link or a file, not a folder; remove it or export somewhere else"
        )
    return path


def write_scenario_files(files: ScenarioFiles, folder: str | Path, *, stem: str | None = None) -> Path:
    """Write ``<folder>/<stem>.toml``, its tables in ``<folder>/<stem>/`` and the model
    beside them; returns the TOML path. Existing files are replaced.

    Nothing is written outside ``folder``: ``stem`` and every table's file name must be
    plain names (a table's one of :data:`TABLE_FILENAMES`), settings that name a file
    are dropped, and each file is moved into place whole, replacing (never following)
    a symbolic link of the same name.
    """
    root = Path(folder)
    stem_ = _plain_name(stem or slug(files.name), "the scenario's file stem")
    for role, (filename, _) in files.tables.items():
        check_table_file(role, filename, where=f"scenario {files.name!r}")
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the folder {root}: {exc.strerror or exc}") from None
    data_dir = _own_folder(root / stem_)
    doc: dict[str, Any] = without_file_keys(files.settings)
    try:
        if files.model is not None:
            write_bytes_atomic(data_dir / MODEL_FILENAME, files.model)
            doc["model"] = f"{stem_}/{MODEL_FILENAME}"
        for role, (filename, data) in files.tables.items():
            write_bytes_atomic(data_dir / filename, data)
            doc[role] = f"{stem_}/{filename}"
        toml_path = root / f"{stem_}.toml"
        write_bytes_atomic(toml_path, tomli_w.dumps(clean(doc)).encode("utf-8"))
    except OSError as exc:
        raise StoreError(f"cannot write the scenario into {root}: {exc.strerror or exc}") from None
    return toml_path

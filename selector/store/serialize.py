"""Criteria models and scenarios as the files they came from, and back.

:func:`model_toml` writes a :class:`CriteriaModel` as the TOML that
:func:`~selector.inputs.criteria.load_model` reads back into an equal model.
:func:`scenario_files` gives a scenario's settings and table files (the bytes of the
files it was loaded from, or CSV written from in-memory tables), and
:func:`write_scenario_files` lays them out as a scenario TOML with its tables beside it,
ready for :func:`~selector.inputs.scenario.load_scenario`.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import tomli_w

from selector.inputs.criteria import ROOT, CriteriaModel
from selector.inputs.scenario import Scenario

__all__ = [
    "TABLE_ROLES",
    "ScenarioFiles",
    "model_toml",
    "scenario_files",
    "sha256",
    "slug",
    "write_scenario_files",
]

TABLE_ROLES = ("partners", "segments", "coverage", "supply")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def slug(text: str) -> str:
    """A file-name-safe version of ``text`` (letters, digits, ``-``)."""
    out = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
    return out[:60] or "scenario"


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
        if isinstance(path, str) and Path(path).is_file():
            suffix = Path(path).suffix.lower() or ".csv"
            tables[role] = (f"{role}{suffix}", Path(path).read_bytes())
            continue
        frame, index = frames[role]
        if frame is not None:
            tables[role] = (f"{role}.csv", _frame_csv(frame, index=index))
    settings = clean(scenario.to_toml_dict())
    for key in (*TABLE_ROLES, "model", "extends"):
        settings.pop(key, None)
    settings = json.loads(json.dumps(settings, default=str))
    model = None if scenario.model is None else model_toml(scenario.model)
    return ScenarioFiles(name=scenario.name, settings=settings, tables=tables, model=model)


def write_scenario_files(files: ScenarioFiles, folder: str | Path, *, stem: str | None = None) -> Path:
    """Write ``<folder>/<stem>.toml``, its tables in ``<folder>/<stem>/`` and the model
    beside them; returns the TOML path. Existing files are replaced."""
    root = Path(folder)
    stem_ = stem or slug(files.name)
    data_dir = root / stem_
    data_dir.mkdir(parents=True, exist_ok=True)
    doc: dict[str, Any] = dict(files.settings)
    if files.model is not None:
        (data_dir / "model.toml").write_bytes(files.model)
        doc["model"] = f"{stem_}/model.toml"
    for role, (filename, data) in files.tables.items():
        (data_dir / filename).write_bytes(data)
        doc[role] = f"{stem_}/{filename}"
    toml_path = root / f"{stem_}.toml"
    toml_path.write_text(tomli_w.dumps(clean(doc)), encoding="utf-8")
    return toml_path

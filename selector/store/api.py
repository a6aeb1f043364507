"""The workspace: saved scenarios, criteria models, judgment rounds, solve runs, what-ifs.

One :class:`Store` class holds every record kind, built up by kind: the plumbing and
who saves (:mod:`selector.store._base`), criteria models
(:mod:`selector.store.criteria_models`), judgment rounds and their roles
(:mod:`selector.store.judging`), and here scenarios, runs and what-ifs. The records
handed back are in :mod:`selector.store.records`.

>>> import tempfile, pathlib
>>> from selector import load_scenario, solve
>>> from selector.store import open_store
>>> store = open_store(pathlib.Path(tempfile.mkdtemp()) / "team.db")
>>> scenario = load_scenario("scenarios/teaching.toml")
>>> saved = store.save_scenario(scenario)
>>> saved.name, saved.version
('Teaching: East-North-South', 1)
>>> run = store.save_run(solve(scenario), scenario_version=saved.id)
>>> run.author == store.user
True
>>> store.run(run.id).status
'optimal'
>>> store.close()

Every ``save_*`` adds a version, never overwrites: saving a scenario under a name that
exists gives the next version number. Saving content equal to the newest version of its
name adds nothing when the same author saves it again with no new note: the newest
version comes back with ``unchanged=True``. Anyone else, or a new note, adds a version
that shares the content (``same_as`` gives the version number it repeats), so who saved
it and why is kept. Each save is one transaction: a writer that dies half-way leaves
nothing behind.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from selector.inputs.scenario import Scenario, load_scenario
from selector.portfolio import PortfolioResult
from selector.store._base import (
    MAX_ID,
    checked_text,
    default_author,
    finite,
    get_row,
    package_version,
)
from selector.store.engine import StoreError, locate
from selector.store.judging import RoundStore
from selector.store.records import (
    JudgmentRecord,
    ModelRecord,
    RoundRecord,
    RunRecord,
    ScenarioRecord,
    WhatIfRecord,
    aware,
    now,
    repeats,
    run_record,
    whatif_record,
)
from selector.store.schema import ModelVersion, RunRow, ScenarioTable, ScenarioVersion, WhatIfRow
from selector.store.serialize import (
    FILE_KEYS,
    ScenarioFiles,
    check_table_file,
    private_temp_folder,
    scenario_files,
    slug,
    without_file_keys,
    write_scenario_files,
)

__all__ = [
    "JudgmentRecord",
    "ModelRecord",
    "RoundRecord",
    "RunRecord",
    "ScenarioRecord",
    "Store",
    "WhatIfRecord",
    "default_author",
    "open_store",
]


class Store(RoundStore):
    """The workspace database. Make one with :func:`open_store`.

    Opening only checks that the database is a selector workspace, or nothing yet;
    reading never changes it (a workspace that does not exist yet reads as empty); the
    first save creates it, and upgrades a workspace an older selector made. Every
    record saved names :attr:`user` as its author.
    """

    # -- scenarios -------------------------------------------------------------------------

    def save_scenario(
        self, scenario: Scenario, *, note: str = "", name: str | None = None
    ) -> ScenarioRecord:
        """Save a scenario (settings, model and tables) as a new version of its name."""
        who = self.user
        checked_text(note, "note", limit=None)
        name_ = checked_text(name or scenario.name, "scenario name")
        files = scenario_files(scenario)
        fingerprint = scenario.fingerprint

        def work(s: Session) -> ScenarioRecord:
            latest = s.scalars(
                select(ScenarioVersion).where(ScenarioVersion.name == name_)
                .order_by(ScenarioVersion.version.desc()).limit(1)
            ).first()
            same = latest is not None and latest.fingerprint == fingerprint
            if latest is not None and same and repeats(latest.author, latest.note, who, note):
                return dataclasses.replace(self._scenario_record(s, latest), unchanged=True)
            model_id = None
            if scenario.model is not None:
                model_id = self._save_model(s, scenario.model, who, note, None).id
            row = ScenarioVersion(
                name=name_, version=self._next_version(s, ScenarioVersion, name_),
                fingerprint=fingerprint, settings=files.settings, model_version_id=model_id,
                author=who, note=note, created_at=now(),
            )
            s.add(row)
            s.flush()
            for role, (filename, data) in files.tables.items():
                s.add(ScenarioTable(scenario_version_id=row.id, role=role, filename=filename,
                                    sha256=self._blob(s, data)))
            s.flush()
            record = self._scenario_record(s, row)
            return dataclasses.replace(record, same_as=latest.version) if latest and same else record

        return self._write(work)

    @staticmethod
    def _scenario_record(s: Session, row: ScenarioVersion) -> ScenarioRecord:
        tables = {
            t.role: t.filename
            for t in s.scalars(select(ScenarioTable).where(ScenarioTable.scenario_version_id == row.id))
        }
        return ScenarioRecord(row.id, row.name, row.version, row.fingerprint, row.author,
                              row.note, aware(row.created_at), row.model_version_id, tables)

    def scenarios(self, name: str | None = None) -> list[ScenarioRecord]:
        """Saved scenario versions, newest first."""
        with self._read() as s:
            q = select(ScenarioVersion).order_by(
                ScenarioVersion.created_at.desc(), ScenarioVersion.id.desc()
            )
            if name is not None:
                q = q.where(ScenarioVersion.name == name)
            return [self._scenario_record(s, r) for r in s.scalars(q)]

    def scenario_record(self, scenario_version: int) -> ScenarioRecord:
        with self._read() as s:
            row = get_row(s, ScenarioVersion, scenario_version)
            if row is None:
                raise StoreError(f"no saved scenario version {scenario_version}")
            return self._scenario_record(s, row)

    def scenario_files(self, scenario_version: int) -> ScenarioFiles:
        with self._read() as s:
            row = get_row(s, ScenarioVersion, scenario_version)
            if row is None:
                raise StoreError(f"no saved scenario version {scenario_version}")
            where = f"saved scenario version {scenario_version}"
            tables = {
                t.role: (check_table_file(t.role, t.filename, where=where),
                         self._blob_bytes(s, t.sha256))
                for t in s.scalars(
                    select(ScenarioTable).where(ScenarioTable.scenario_version_id == row.id)
                )
            }
            model = None
            if row.model_version_id is not None:
                mv = get_row(s, ModelVersion, row.model_version_id)
                if mv is None:
                    raise StoreError(f"{where}: its model version {row.model_version_id} is missing")
                model = self._blob_bytes(s, mv.sha256)
            if not isinstance(row.settings, dict):
                raise StoreError(f"{where}: its settings are not a table of settings")
            # Settings from the database never name a file (a table, the model, extends).
            return ScenarioFiles(row.name, without_file_keys(row.settings), tables, model)

    def export_scenario(
        self, scenario_version: int, folder: str | Path, *, stem: str | None = None
    ) -> Path:
        """Write a saved scenario as a TOML file with its tables; returns the TOML path."""
        files = self.scenario_files(scenario_version)
        return write_scenario_files(files, folder, stem=stem)

    def load_scenario(self, scenario_version: int, folder: str | Path | None = None) -> Scenario:
        """A saved scenario, loaded (its files are written to ``folder`` first, by default
        a folder named after the version in this user's own folder of the system's
        temporary directory, :func:`~selector.store.serialize.private_temp_folder`)."""
        record = self.scenario_record(scenario_version)
        if folder is None:
            folder = private_temp_folder() / (
                f"scenario-{int(scenario_version)}-{slug(record.fingerprint)}"
            )
        path = self.export_scenario(scenario_version, folder, stem=slug(record.name))
        return load_scenario(path)

    # -- runs ------------------------------------------------------------------------------

    def save_run(
        self, result: PortfolioResult, *, scenario_version: int | None = None,
        fingerprint: str | None = None, options: Mapping[str, Any] | None = None,
        label: str = "",
    ) -> RunRecord:
        """Save a solve: its input fingerprint, options, status, numbers and plan."""
        who = self.user
        label_ = checked_text(label or result.scenario, "run label")
        data = result.to_dict()

        def work(s: Session) -> RunRecord:
            fp = fingerprint
            if scenario_version is not None:
                sv = get_row(s, ScenarioVersion, scenario_version)
                if sv is None:
                    raise StoreError(f"no saved scenario version {scenario_version}")
                fp = fp or sv.fingerprint
            row = RunRow(
                label=label_, scenario_version_id=scenario_version,
                fingerprint=fp or "", options=dict(options or {"solver": result.solver}),
                status=result.status, objective=finite(result.objective), bound=finite(result.bound),
                gap=finite(result.gap), result=data, wall_seconds=float(result.wall_seconds),
                build_seconds=float(result.build_seconds), package_version=package_version(),
                author=who, created_at=now(),
            )
            s.add(row)
            s.flush()
            return run_record(row)

        return self._write(work)

    def runs(self, *, limit: int | None = None) -> list[RunRecord]:
        """Saved runs, newest first (at most ``limit``)."""
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
            raise StoreError(f"limit is {limit!r}; accepted: a whole number >= 0")
        with self._read() as s:
            q = select(RunRow).order_by(RunRow.created_at.desc(), RunRow.id.desc())
            if limit is not None:
                q = q.limit(min(limit, MAX_ID))
            return [run_record(r) for r in s.scalars(q)]

    def run(self, run_id: int) -> RunRecord:
        with self._read() as s:
            row = get_row(s, RunRow, run_id)
            if row is None:
                raise StoreError(f"no saved run {run_id}")
            return run_record(row)

    # -- what-ifs --------------------------------------------------------------------------

    def save_whatif(
        self, name: str, *, scenario_version: int, changes: Mapping[str, Any] | None = None,
        judgments: Mapping[str, Any] | None = None, run: int | None = None, note: str = "",
    ) -> WhatIfRecord:
        """Save a named what-if (a new version of ``name``): a saved scenario version,
        the setting changes (scenario-file shape) and any edited judgments."""
        if not checked_text(name, "what-if name").strip():
            raise StoreError("a what-if needs a name")
        checked_text(note, "note", limit=None)
        named = sorted(set(changes or {}) & set(FILE_KEYS))
        if named:
            raise StoreError(
                f"what-if {name.strip()!r}: changes may not name files ({', '.join(named)}); "
                "save the scenario with its tables first and make the what-if on that version"
            )
        who = self.user

        def work(s: Session) -> WhatIfRecord:
            if get_row(s, ScenarioVersion, scenario_version) is None:
                raise StoreError(f"no saved scenario version {scenario_version}")
            row = WhatIfRow(
                name=name.strip(), version=self._next_version(s, WhatIfRow, name.strip()),
                scenario_version_id=scenario_version, changes=dict(changes or {}),
                judgments=dict(judgments or {}), run_id=run, author=who, note=note,
                created_at=now(),
            )
            s.add(row)
            s.flush()
            return whatif_record(row)

        return self._write(work)

    def whatifs(self, name: str | None = None) -> list[WhatIfRecord]:
        """Saved what-ifs, newest first."""
        with self._read() as s:
            q = select(WhatIfRow).order_by(WhatIfRow.created_at.desc(), WhatIfRow.id.desc())
            if name is not None:
                q = q.where(WhatIfRow.name == name)
            return [whatif_record(r) for r in s.scalars(q)]

    def whatif(self, whatif_id: int) -> WhatIfRecord:
        with self._read() as s:
            row = get_row(s, WhatIfRow, whatif_id)
            if row is None:
                raise StoreError(f"no saved what-if {whatif_id}")
            return whatif_record(row)

    def load_whatif(self, whatif_id: int) -> Scenario:
        """The what-if's scenario: the saved version with its changes applied."""
        record = self.whatif(whatif_id)
        base = self.load_scenario(record.scenario_version_id)
        return base.with_changes(record.changes) if record.changes else base


def open_store(db: str | os.PathLike[str] | None = None, *, user: str | None = None) -> Store:
    """Open the workspace database (created by the first save); see
    :mod:`selector.store.engine` for how ``db`` is resolved and what is refused.

    ``user`` is for a program that saves for the people signed in to it (the app):
    leave it out to save as yourself (the database login, or the operating-system
    user for an SQLite file); see :mod:`selector.store._base`.

    Raises
    ------
    StoreError
        ``db`` is not an SQLite file or a PostgreSQL database, is in memory, cannot be
        reached, or holds something other than a selector workspace.
    RoleError
        ``user`` is someone other than the PostgreSQL login, which may not save for others.
    """
    store = Store(locate(db), user=user)
    try:
        store._probe()
        store.user  # noqa: B018 - who saves is settled (and a refusal raised) on opening
    except BaseException:
        store.close()
        raise
    return store

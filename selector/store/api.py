"""The workspace: saved scenarios, criteria models, judgment rounds, solve runs, what-ifs.

(Over 700 lines since the safety checks joined it: one :class:`Store` class holds every
record kind; splitting it by record kind into mixins is the next step, not done yet.)

>>> import tempfile, pathlib
>>> from selector import load_scenario, solve
>>> from selector.store import open_store
>>> store = open_store(pathlib.Path(tempfile.mkdtemp()) / "team.db")
>>> scenario = load_scenario("scenarios/teaching.toml")
>>> saved = store.save_scenario(scenario, author="ana")
>>> saved.name, saved.version
('Teaching: East-North-South', 1)
>>> run = store.save_run(solve(scenario), scenario_version=saved.id, author="ana")
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
import getpass
import gzip
import os
import threading
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from selector.inputs.criteria import CriteriaModel, model_from_dict
from selector.inputs.scenario import Scenario, load_scenario
from selector.portfolio import PortfolioResult
from selector.store.engine import (
    StoreError,
    Workspace,
    empty_reader,
    head_revision,
    locate,
    probe,
    reader,
    sqlite_file_exists,
    writer,
)
from selector.store.schema import (
    Blob,
    JudgmentRow,
    ModelVersion,
    RoundRow,
    RunRow,
    ScenarioTable,
    ScenarioVersion,
    WhatIfRow,
)
from selector.store.serialize import (
    FILE_KEYS,
    ScenarioFiles,
    check_table_file,
    model_toml,
    private_temp_folder,
    scenario_files,
    sha256,
    slug,
    without_file_keys,
    write_scenario_files,
)

__all__ = [
    "USER_ENV",
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

USER_ENV = "SELECTOR_USER"
_RETRIES = 8
T = TypeVar("T")
M = TypeVar("M")


def default_author() -> str:
    """Who is saving: ``$SELECTOR_USER``, else the login name."""
    name = os.environ.get(USER_ENV)
    if name:
        return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # pragma: no cover - no login name in some containers
        return "unknown"


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("selector")
    except PackageNotFoundError:  # pragma: no cover - running from a plain checkout
        return "unknown"


# --- records (what the API hands back; plain frozen data, no session attached) ----------


@dataclass(frozen=True)
class ModelRecord:
    id: int
    name: str
    version: int
    author: str
    note: str
    created_at: datetime
    sha256: str
    parent_id: int | None
    #: Returned by a save that added nothing: this version already had the content.
    unchanged: bool = False
    #: Returned by a save that repeated the newest version's content: its version number.
    same_as: int | None = None


@dataclass(frozen=True)
class ScenarioRecord:
    id: int
    name: str
    version: int
    fingerprint: str
    author: str
    note: str
    created_at: datetime
    model_version_id: int | None
    tables: dict[str, str]  # role -> file name
    #: Returned by a save that added nothing: this version already had the content.
    unchanged: bool = False
    #: Returned by a save that repeated the newest version's content: its version number.
    same_as: int | None = None


@dataclass(frozen=True)
class RunRecord:
    id: int
    label: str
    scenario_version_id: int | None
    fingerprint: str
    options: dict[str, Any]
    status: str
    objective: float | None
    bound: float | None
    gap: float | None
    wall_seconds: float
    build_seconds: float
    package_version: str
    author: str
    created_at: datetime
    result: dict[str, Any] = field(repr=False)

    @property
    def selected(self) -> list[str]:
        return list(self.result.get("selected", []))

    @property
    def plan(self) -> list[dict[str, Any]] | None:
        plan = self.result.get("plan")
        return None if plan is None else list(plan)


@dataclass(frozen=True)
class WhatIfRecord:
    id: int
    name: str
    version: int
    scenario_version_id: int
    changes: dict[str, Any]
    judgments: dict[str, Any]
    run_id: int | None
    author: str
    note: str
    created_at: datetime


@dataclass(frozen=True)
class RoundRecord:
    id: int
    title: str
    model_version_id: int
    facilitator: str
    status: str
    adopted_model_version_id: int | None
    created_at: datetime


@dataclass(frozen=True)
class JudgmentRecord:
    """One participant's submission: ``pairs`` holds ``(parent, a, b, value)``."""

    id: int
    round_id: int | None
    model_version_id: int
    participant: str
    source: str
    pairs: tuple[tuple[str, str, str, float], ...]
    created_at: datetime


def _repeats(latest_author: str, latest_note: str, author: str, note: str) -> bool:
    """Whether saving the newest version's content again adds nothing: the same author,
    and no note or the same one."""
    return latest_author == author and note in ("", latest_note)


def _model_record(r: ModelVersion) -> ModelRecord:
    return ModelRecord(r.id, r.name, r.version, r.author, r.note, _aware(r.created_at),
                       r.sha256, r.parent_id)


def _run_record(r: RunRow) -> RunRecord:
    return RunRecord(
        id=r.id, label=r.label, scenario_version_id=r.scenario_version_id,
        fingerprint=r.fingerprint, options=dict(r.options), status=r.status,
        objective=r.objective, bound=r.bound, gap=r.gap, wall_seconds=r.wall_seconds,
        build_seconds=r.build_seconds, package_version=r.package_version, author=r.author,
        created_at=_aware(r.created_at), result=dict(r.result),
    )


def _whatif_record(r: WhatIfRow) -> WhatIfRecord:
    # A stored what-if never names a file: such keys are dropped as they are read.
    changes = without_file_keys(r.changes) if isinstance(r.changes, dict) else {}
    return WhatIfRecord(r.id, r.name, r.version, r.scenario_version_id, changes,
                        dict(r.judgments), r.run_id, r.author, r.note, _aware(r.created_at))


def _round_record(r: RoundRow) -> RoundRecord:
    return RoundRecord(r.id, r.title, r.model_version_id, r.facilitator, r.status,
                       r.adopted_model_version_id, _aware(r.created_at))


def _judgment_record(r: JudgmentRow) -> JudgmentRecord:
    pairs = tuple((str(p), str(a), str(b), float(v)) for p, a, b, v in r.pairs)
    return JudgmentRecord(r.id, r.round_id, r.model_version_id, r.participant, r.source, pairs,
                          _aware(r.created_at))


#: Largest row id a database holds (a signed 64-bit integer).
MAX_ID = 2**63 - 1
#: Longest name, author, title or label the workspace keeps.
MAX_NAME = 200


def _get(session: Session, table: type[M], key: int) -> M | None:
    """The row ``key`` of ``table``; None for any id no database could hold."""
    if isinstance(key, bool) or not isinstance(key, int) or not 0 < key <= MAX_ID:
        return None
    return session.get(table, key)


def _text(value: str, what: str, *, limit: int | None = MAX_NAME) -> str:
    """``value`` when the workspace can keep it: text, no NUL, at most ``limit`` long."""
    if not isinstance(value, str):
        raise StoreError(f"the {what} must be text, found {value!r}")
    if "\x00" in value:
        raise StoreError(f"the {what} holds a NUL character (\\u0000); remove it")
    if limit is not None and len(value) > limit:
        raise StoreError(
            f"the {what} {value[:40]!r}... has {len(value):,} characters; the workspace "
            f"keeps at most {limit}"
        )
    return value


def _num(value: float | None) -> float | None:
    import math

    return None if value is None or not math.isfinite(value) else float(value)


# --- the store ----------------------------------------------------------------------------


class Store:
    """The workspace database. Make one with :func:`open_store`.

    Opening only checks that the database is a selector workspace, or nothing yet;
    reading never changes it (a workspace that does not exist yet reads as empty); the
    first save creates it, and upgrades a workspace an older selector made.
    """

    def __init__(self, where: Workspace) -> None:
        self.where = where
        self._lock = threading.RLock()
        self._reader: Engine | None = None
        self._reader_empty = False
        self._writer: Engine | None = None

    @property
    def url(self) -> str:
        """The database URL, without its password."""
        return self.where.shown

    @property
    def exists(self) -> bool:
        """Whether the workspace has been created (by a first save)."""
        self._read_engine()
        return not self._reader_empty

    @property
    def engine(self) -> Engine:
        """The engine saves go through; asking for it creates or upgrades the workspace."""
        return self._write_engine()

    def upgrade(self) -> None:
        """Create the workspace now, or bring its schema up to this selector's."""
        self._write_engine()

    def close(self) -> None:
        with self._lock:
            for engine in {id(e): e for e in (self._reader, self._writer) if e is not None}.values():
                engine.dispose()
            self._reader = self._writer = None
            self._reader_empty = False

    # -- plumbing --------------------------------------------------------------------------

    def _probe(self) -> tuple[Engine, str | None]:
        """Point the reader at the workspace (or at an empty stand-in while there is none);
        return it and the workspace's schema revision (None: not created yet)."""
        with self._lock:
            if self._reader is not None and not self._reader_empty:
                return self._reader, head_revision()
            where = self.where
            engine: Engine | None = None
            revision: str | None = None
            if where.path is None or sqlite_file_exists(where.path):
                # SQLite is read through its own read-only connections, never the writer's.
                server_writer = self._writer if where.path is None else None
                engine = server_writer if server_writer is not None else reader(where)
                try:
                    revision = probe(where, engine)
                except BaseException:
                    if engine is not self._writer:
                        engine.dispose()
                    raise
            if engine is None or revision is None:
                if engine is not None and engine is not self._writer:
                    engine.dispose()
                if self._reader is None or not self._reader_empty:
                    self._reader, self._reader_empty = empty_reader(), True
                return self._reader, None
            if self._reader is not None:
                self._reader.dispose()
            self._reader, self._reader_empty = engine, False
            return engine, revision

    def _read_engine(self) -> Engine:
        with self._lock:
            engine, revision = self._probe()
            if revision is not None and revision != head_revision():
                raise StoreError(
                    f"{self.url}: the workspace was made by an older selector (schema "
                    f"revision {revision}, this one reads {head_revision()}); the next save "
                    "into it upgrades it"
                )
            return engine

    def _write_engine(self) -> Engine:
        with self._lock:
            if self._writer is None:
                self._writer = writer(self.where)
                if self._reader is not None:
                    self._reader.dispose()
                if self.where.path is None:  # one engine serves both on a server
                    self._reader, self._reader_empty = self._writer, False
                else:
                    self._reader, self._reader_empty = None, False
            return self._writer

    @contextmanager
    def _read(self) -> Iterator[Session]:
        engine = self._read_engine()
        try:
            with Session(engine, expire_on_commit=False) as session:
                yield session
        except (SQLAlchemyError, OverflowError) as exc:  # Overflow: a number SQL cannot hold
            raise self.where.error(f"cannot read the workspace {self.url}", exc) from None

    def _write(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in one transaction; retry when another writer took the same
        version number (or blob) first."""
        engine = self._write_engine()
        for attempt in range(_RETRIES):
            try:
                with Session(engine, expire_on_commit=False) as session, session.begin():
                    return work(session)
            except IntegrityError as exc:
                if attempt == _RETRIES - 1:
                    raise self.where.error("the workspace database refused the save", exc) from None
            except SQLAlchemyError as exc:
                raise self.where.error("the workspace database refused the save", exc) from None
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _blob(session: Session, data: bytes) -> str:
        digest = sha256(data)
        if session.get(Blob, digest) is None:
            session.add(Blob(sha256=digest, size=len(data), data=gzip.compress(data, mtime=0)))
            session.flush()
        return digest

    def _blob_bytes(self, session: Session, digest: str) -> bytes:
        row = session.get(Blob, digest)
        if row is None:
            raise StoreError(f"the workspace has no content {digest[:12]}")
        return gzip.decompress(row.data)

    @staticmethod
    def _next_version(session: Session, table: Any, name: str) -> int:
        current = session.scalar(select(func.max(table.version)).where(table.name == name))
        return int(current or 0) + 1

    # -- criteria models -------------------------------------------------------------------

    @staticmethod
    def _latest_model(session: Session, name: str) -> ModelVersion | None:
        return session.scalars(
            select(ModelVersion).where(ModelVersion.name == name)
            .order_by(ModelVersion.version.desc()).limit(1)
        ).first()

    def _save_model(
        self, session: Session, model: CriteriaModel, author: str, note: str,
        parent_id: int | None, name: str | None = None, *, reuse: bool = True,
    ) -> ModelVersion:
        """A new version of the model; with ``reuse``, the newest version when it has the
        same content (a scenario's model saved along with it)."""
        name_ = _text(name or model.name, "model name")
        data = model_toml(model)
        digest = self._blob(session, data)
        latest = self._latest_model(session, name_)
        if reuse and latest is not None and latest.sha256 == digest and parent_id is None:
            return latest
        row = ModelVersion(
            name=name_, version=self._next_version(session, ModelVersion, name_), sha256=digest,
            author=author, note=note, created_at=_now(), parent_id=parent_id,
        )
        session.add(row)
        session.flush()
        return row

    def save_model(
        self, model: CriteriaModel, *, author: str | None = None, note: str = "",
        name: str | None = None,
    ) -> ModelRecord:
        """Save a criteria model as a new version of its name (see the module notes for
        content equal to the newest version)."""
        who = _text(author or default_author(), "author")
        _text(note, "note", limit=None)
        name_ = _text(name or model.name, "model name")
        digest = sha256(model_toml(model))

        def work(s: Session) -> ModelRecord:
            latest = self._latest_model(s, name_)
            same = latest is not None and latest.sha256 == digest
            if latest is not None and same and _repeats(latest.author, latest.note, who, note):
                return dataclasses.replace(_model_record(latest), unchanged=True)
            record = _model_record(self._save_model(s, model, who, note, None, name_, reuse=False))
            return dataclasses.replace(record, same_as=latest.version) if latest and same else record

        return self._write(work)

    def models(self, name: str | None = None) -> list[ModelRecord]:
        """Saved model versions, newest first."""
        with self._read() as s:
            q = select(ModelVersion).order_by(ModelVersion.created_at.desc(), ModelVersion.id.desc())
            if name is not None:
                q = q.where(ModelVersion.name == name)
            return [_model_record(r) for r in s.scalars(q)]

    def model_record(self, model_version: int) -> ModelRecord:
        with self._read() as s:
            row = _get(s, ModelVersion, model_version)
            if row is None:
                raise StoreError(f"no saved model version {model_version}")
            return _model_record(row)

    def load_model(self, model_version: int) -> CriteriaModel:
        """The criteria model of a saved version."""
        with self._read() as s:
            row = _get(s, ModelVersion, model_version)
            if row is None:
                raise StoreError(f"no saved model version {model_version}")
            text = self._blob_bytes(s, row.sha256).decode("utf-8")
        return model_from_dict(tomllib.loads(text), source=f"workspace model {model_version}")

    # -- scenarios -------------------------------------------------------------------------

    def save_scenario(
        self, scenario: Scenario, *, author: str | None = None, note: str = "",
        name: str | None = None,
    ) -> ScenarioRecord:
        """Save a scenario (settings, model and tables) as a new version of its name."""
        who = _text(author or default_author(), "author")
        _text(note, "note", limit=None)
        name_ = _text(name or scenario.name, "scenario name")
        files = scenario_files(scenario)
        fingerprint = scenario.fingerprint

        def work(s: Session) -> ScenarioRecord:
            latest = s.scalars(
                select(ScenarioVersion).where(ScenarioVersion.name == name_)
                .order_by(ScenarioVersion.version.desc()).limit(1)
            ).first()
            same = latest is not None and latest.fingerprint == fingerprint
            if latest is not None and same and _repeats(latest.author, latest.note, who, note):
                return dataclasses.replace(self._scenario_record(s, latest), unchanged=True)
            model_id = None
            if scenario.model is not None:
                model_id = self._save_model(s, scenario.model, who, note, None).id
            row = ScenarioVersion(
                name=name_, version=self._next_version(s, ScenarioVersion, name_),
                fingerprint=fingerprint, settings=files.settings, model_version_id=model_id,
                author=who, note=note, created_at=_now(),
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
                              row.note, _aware(row.created_at), row.model_version_id, tables)

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
            row = _get(s, ScenarioVersion, scenario_version)
            if row is None:
                raise StoreError(f"no saved scenario version {scenario_version}")
            return self._scenario_record(s, row)

    def scenario_files(self, scenario_version: int) -> ScenarioFiles:
        with self._read() as s:
            row = _get(s, ScenarioVersion, scenario_version)
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
                mv = _get(s, ModelVersion, row.model_version_id)
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
        label: str = "", author: str | None = None,
    ) -> RunRecord:
        """Save a solve: its input fingerprint, options, status, numbers and plan."""
        who = _text(author or default_author(), "author")
        label_ = _text(label or result.scenario, "run label")
        data = result.to_dict()

        def work(s: Session) -> RunRecord:
            fp = fingerprint
            if scenario_version is not None:
                sv = _get(s, ScenarioVersion, scenario_version)
                if sv is None:
                    raise StoreError(f"no saved scenario version {scenario_version}")
                fp = fp or sv.fingerprint
            row = RunRow(
                label=label_, scenario_version_id=scenario_version,
                fingerprint=fp or "", options=dict(options or {"solver": result.solver}),
                status=result.status, objective=_num(result.objective), bound=_num(result.bound),
                gap=_num(result.gap), result=data, wall_seconds=float(result.wall_seconds),
                build_seconds=float(result.build_seconds), package_version=_package_version(),
                author=who, created_at=_now(),
            )
            s.add(row)
            s.flush()
            return _run_record(row)

        return self._write(work)

    def runs(self, *, limit: int | None = None) -> list[RunRecord]:
        """Saved runs, newest first (at most ``limit``)."""
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
            raise StoreError(f"limit is {limit!r}; accepted: a whole number >= 0")
        with self._read() as s:
            q = select(RunRow).order_by(RunRow.created_at.desc(), RunRow.id.desc())
            if limit is not None:
                q = q.limit(min(limit, MAX_ID))
            return [_run_record(r) for r in s.scalars(q)]

    def run(self, run_id: int) -> RunRecord:
        with self._read() as s:
            row = _get(s, RunRow, run_id)
            if row is None:
                raise StoreError(f"no saved run {run_id}")
            return _run_record(row)

    # -- what-ifs --------------------------------------------------------------------------

    def save_whatif(
        self, name: str, *, scenario_version: int, changes: Mapping[str, Any] | None = None,
        judgments: Mapping[str, Any] | None = None, run: int | None = None,
        author: str | None = None, note: str = "",
    ) -> WhatIfRecord:
        """Save a named what-if (a new version of ``name``): a saved scenario version,
        the setting changes (scenario-file shape) and any edited judgments."""
        if not _text(name, "what-if name").strip():
            raise StoreError("a what-if needs a name")
        _text(note, "note", limit=None)
        named = sorted(set(changes or {}) & set(FILE_KEYS))
        if named:
            raise StoreError(
                f"what-if {name.strip()!r}: changes may not name files ({', '.join(named)}); "
                "save the scenario with its tables first and make the what-if on that version"
            )
        who = _text(author or default_author(), "author")

        def work(s: Session) -> WhatIfRecord:
            if _get(s, ScenarioVersion, scenario_version) is None:
                raise StoreError(f"no saved scenario version {scenario_version}")
            row = WhatIfRow(
                name=name.strip(), version=self._next_version(s, WhatIfRow, name.strip()),
                scenario_version_id=scenario_version, changes=dict(changes or {}),
                judgments=dict(judgments or {}), run_id=run, author=who, note=note,
                created_at=_now(),
            )
            s.add(row)
            s.flush()
            return _whatif_record(row)

        return self._write(work)

    def whatifs(self, name: str | None = None) -> list[WhatIfRecord]:
        """Saved what-ifs, newest first."""
        with self._read() as s:
            q = select(WhatIfRow).order_by(WhatIfRow.created_at.desc(), WhatIfRow.id.desc())
            if name is not None:
                q = q.where(WhatIfRow.name == name)
            return [_whatif_record(r) for r in s.scalars(q)]

    def whatif(self, whatif_id: int) -> WhatIfRecord:
        with self._read() as s:
            row = _get(s, WhatIfRow, whatif_id)
            if row is None:
                raise StoreError(f"no saved what-if {whatif_id}")
            return _whatif_record(row)

    def load_whatif(self, whatif_id: int) -> Scenario:
        """The what-if's scenario: the saved version with its changes applied."""
        record = self.whatif(whatif_id)
        base = self.load_scenario(record.scenario_version_id)
        return base.with_changes(record.changes) if record.changes else base

    # -- judgment rounds -------------------------------------------------------------------

    def open_round(
        self, model_version: int, *, title: str = "", facilitator: str | None = None
    ) -> RoundRecord:
        """Open a judgment round on a saved model version."""
        who = _text(facilitator or default_author(), "facilitator")
        _text(title, "round title")

        def work(s: Session) -> RoundRecord:
            mv = _get(s, ModelVersion, model_version)
            if mv is None:
                raise StoreError(f"no saved model version {model_version}")
            row = RoundRow(title=title or f"{mv.name} v{mv.version}"[:MAX_NAME],
                           model_version_id=mv.id,
                           facilitator=who, status="open", created_at=_now())
            s.add(row)
            s.flush()
            return _round_record(row)

        return self._write(work)

    def rounds(self) -> list[RoundRecord]:
        with self._read() as s:
            q = select(RoundRow).order_by(RoundRow.created_at.desc(), RoundRow.id.desc())
            return [_round_record(r) for r in s.scalars(q)]

    def round(self, round_id: int) -> RoundRecord:
        with self._read() as s:
            row = _get(s, RoundRow, round_id)
            if row is None:
                raise StoreError(f"no judgment round {round_id}")
            return _round_record(row)

    def submit_judgments(
        self, round_id: int, participant: str,
        pairs: Sequence[tuple[str, str, str, float]], *, source: str = "api",
    ) -> JudgmentRecord:
        """Record a participant's judgments ``(parent, a, b, value)`` in an open round.

        A later submission by the same participant supersedes the earlier one for the
        group result; both are kept.
        """
        who = _text(participant, "participant").strip()
        if not who:
            raise StoreError("a participant needs a name")
        _text(source, "source", limit=40)
        model = self.load_model(self.round(round_id).model_version_id)
        clean_pairs = _check_pairs(model, pairs)

        def work(s: Session) -> JudgmentRecord:
            rnd = _get(s, RoundRow, round_id)
            if rnd is None:
                raise StoreError(f"no judgment round {round_id}")
            if rnd.status != "open":
                raise StoreError(f"judgment round {round_id} is {rnd.status}, not open")
            row = JudgmentRow(round_id=rnd.id, model_version_id=rnd.model_version_id,
                              participant=who, source=source, pairs=clean_pairs,
                              created_at=_now())
            s.add(row)
            s.flush()
            return _judgment_record(row)

        return self._write(work)

    def judgments(self, round_id: int, *, latest: bool = True) -> list[JudgmentRecord]:
        """The round's submissions (by default each participant's latest), by name."""
        with self._read() as s:
            rows = list(s.scalars(
                select(JudgmentRow).where(JudgmentRow.round_id == round_id)
                .order_by(JudgmentRow.created_at, JudgmentRow.id)
            ))
        records = [_judgment_record(r) for r in rows]
        if not latest:
            return records
        newest: dict[str, JudgmentRecord] = {}
        for r in records:
            newest[r.participant] = r
        return [newest[k] for k in sorted(newest)]

    def adopt_round(
        self, round_id: int, *, author: str | None = None,
        participants: Sequence[str] | None = None,
    ) -> ModelRecord:
        """Make the group result the model's judgments: a new model version whose
        judgments are each participant's (merged by AIJ when weighed), and close the round."""
        who = _text(author or default_author(), "author")
        rnd = self.round(round_id)
        model = self.load_model(rnd.model_version_id)
        subs = self.judgments(round_id)
        if participants is not None:
            subs = [j for j in subs if j.participant in set(participants)]
        if not subs:
            raise StoreError(f"judgment round {round_id} has no judgments to adopt")
        from selector.store.rounds import adopted_model

        new_model = adopted_model(model, subs)

        def work(s: Session) -> ModelRecord:
            row = _get(s, RoundRow, round_id)
            assert row is not None
            if row.status != "open":
                raise StoreError(f"judgment round {round_id} is {row.status}, not open")
            mv = self._save_model(
                s, new_model, who, f"group judgments of round {round_id} "
                f"({', '.join(j.participant for j in subs)})", rnd.model_version_id,
            )
            row.status = "adopted"
            row.adopted_model_version_id = mv.id
            s.flush()
            return _model_record(mv)

        return self._write(work)


def _check_pairs(
    model: CriteriaModel, pairs: Sequence[tuple[str, str, str, float]]
) -> list[list[Any]]:
    out: list[list[Any]] = []
    for k, item in enumerate(pairs, start=1):
        try:
            parent, a, b, value = item
        except (TypeError, ValueError):
            raise StoreError(f"judgment {k}: {item!r}; accepted: (parent, a, b, value)") from None
        children = model.children(str(parent))
        if len(children) < 2:
            raise StoreError(f"judgment {k}: {parent!r} has no sub-criteria to compare")
        if a not in children or b not in children or a == b:
            raise StoreError(
                f"judgment {k}: {a!r} and {b!r} are not two sub-criteria of {parent!r} "
                f"(accepted: {', '.join(children)})"
            )
        v = float(value)
        if not 1 / 9 - 1e-9 <= v <= 9 + 1e-9:
            raise StoreError(f"judgment {k}: {value!r} is outside Saaty's scale 1/9..9")
        out.append([str(parent), str(a), str(b), v])
    if not out:
        raise StoreError("no judgments given")
    return out


def open_store(db: str | os.PathLike[str] | None = None) -> Store:
    """Open the workspace database (created by the first save); see
    :mod:`selector.store.engine` for how ``db`` is resolved and what is refused.

    Raises
    ------
    StoreError
        ``db`` is not an SQLite file or a PostgreSQL database, is in memory, cannot be
        reached, or holds something other than a selector workspace.
    """
    store = Store(locate(db))
    try:
        store._probe()
    except BaseException:
        store.close()
        raise
    return store

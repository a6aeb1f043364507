"""What-if studies kept in the workspace as their results arrive, so a long run resumes.

A study is one batch of what-if solves: a Monte Carlo robustness run, a budget
frontier or a sweep. It is named by its kind and by everything its results depend on
(the scenario's fingerprint, the seed, the options: the ``spec`` the what-if gives)
and by the selector version. :class:`StudyLog` is the what-if engines' task log
(``log=`` of :func:`selector.whatif.robustness`, ``frontier`` and ``sweep``): it saves
each task's result in its own transaction as it arrives, so a run that is
interrupted, or whose cluster goes away, loses only the tasks that were running; with
``resume=True`` it gives the saved results back and only the missing tasks run.

>>> import tempfile, pathlib
>>> from selector import load_scenario, robustness
>>> from selector.store import StudyLog, open_store
>>> store = open_store(pathlib.Path(tempfile.mkdtemp()) / "team.db")
>>> scenario = load_scenario("scenarios/teaching.toml")
>>> first = robustness(scenario, runs=2, engine="serial", log=StudyLog(store))
>>> again = StudyLog(store, resume=True)
>>> robustness(scenario, runs=3, engine="serial", log=again).runs[:2] == first.runs
True
>>> again.reused, again.saved
(2, 1)
>>> store.close()

Like every save in the workspace, results are only ever added: a task run twice has
two rows, and the newest is the one given back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any, TypeVar

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from selector.store.api import Store
from selector.store.engine import StoreError
from selector.store.schema import Base

__all__ = ["StudyLog", "StudyRecord", "StudyResultRow", "StudyRow", "studies", "study_results"]

T = TypeVar("T")
_RETRIES = 8


class StudyRow(Base):
    """A what-if study: its kind, what names it (``key``, a hash of kind, spec and
    selector version) and its spec."""

    __tablename__ = "studies"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    package_version: Mapped[str] = mapped_column(String(40))
    author: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StudyResultRow(Base):
    """One task's result in a study (a new row each time the task runs)."""

    __tablename__ = "study_results"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"), index=True)
    task: Mapped[int] = mapped_column(Integer)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    author: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class StudyRecord:
    """A saved study and how many of its tasks have a result."""

    id: int
    kind: str
    spec: dict[str, Any]
    package_version: str
    author: str
    created_at: datetime
    tasks_done: int


def _now() -> datetime:
    return datetime.now(UTC)


def _package_version() -> str:
    try:
        return version("selector")
    except PackageNotFoundError:  # pragma: no cover - running from a plain checkout
        return "unknown"


def _key(kind: str, spec: Mapping[str, Any], package_version: str) -> str:
    text = json.dumps({"kind": kind, "spec": spec, "version": package_version},
                      sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _write(store: Store, work: Callable[[Session], T]) -> T:
    """Run ``work`` in one transaction; retry when another writer created the same
    study first."""
    sessions = sessionmaker(store.engine, expire_on_commit=False)
    for attempt in range(_RETRIES):
        try:
            with sessions() as session, session.begin():
                return work(session)
        except IntegrityError:
            if attempt == _RETRIES - 1:
                raise
        except OperationalError as exc:
            raise StoreError(f"the workspace database refused the save: {exc.orig}") from None
    raise StoreError("the workspace database kept refusing the save")  # pragma: no cover


def _latest(session: Session, study_id: int) -> dict[int, dict[str, Any]]:
    rows = session.execute(
        select(StudyResultRow.task, StudyResultRow.result)
        .where(StudyResultRow.study_id == study_id).order_by(StudyResultRow.id)
    )
    return {int(task): dict(result) for task, result in rows}


class StudyLog:
    """The what-if engines' task log, in the workspace (see the module docstring).

    Parameters
    ----------
    store
        An open workspace (:func:`selector.store.open_store`).
    resume
        Give back the results saved earlier for the same study, so that only the
        missing tasks run; without it every task runs (and is saved again).

    Attributes
    ----------
    study_id
        The study's id once started.
    reused, saved
        Results given back from the workspace, and results saved by this run.
    """

    def __init__(self, store: Store, *, resume: bool = False) -> None:
        self.store = store
        self.resume = bool(resume)
        self.author = store.user
        self.study_id: int | None = None
        self.reused = 0
        self.saved = 0

    def start(self, kind: str, spec: Mapping[str, Any]) -> dict[int, dict[str, Any]]:
        """Find or create the study; the results saved for it when resuming."""
        package_version = _package_version()
        key = _key(kind, spec, package_version)
        plain = json.loads(json.dumps(dict(spec), default=str))

        def work(s: Session) -> tuple[int, dict[int, dict[str, Any]]]:
            row = s.scalars(select(StudyRow).where(StudyRow.key == key)).first()
            if row is None:
                row = StudyRow(key=key, kind=kind, spec=plain, package_version=package_version,
                               author=self.author, created_at=_now())
                s.add(row)
                s.flush()
                return row.id, {}
            return row.id, (_latest(s, row.id) if self.resume else {})

        self.study_id, done = _write(self.store, work)
        self.reused, self.saved = len(done), 0
        return done

    def keep(self, index: int, result: Mapping[str, Any]) -> None:
        """Save one task's result now, in its own transaction."""
        if self.study_id is None:
            raise StoreError("StudyLog.keep before start: the study is not known yet")
        study_id, data = self.study_id, dict(result)

        def work(s: Session) -> None:
            s.add(StudyResultRow(study_id=study_id, task=int(index), result=data,
                                 author=self.author, created_at=_now()))

        _write(self.store, work)
        self.saved += 1


def studies(store: Store) -> list[StudyRecord]:
    """Saved studies, newest first, with how many of their tasks have a result."""
    with sessionmaker(store.engine)() as s:
        counts = dict(s.execute(
            select(StudyResultRow.study_id, func.count(func.distinct(StudyResultRow.task)))
            .group_by(StudyResultRow.study_id)
        ).all())
        rows = s.scalars(select(StudyRow).order_by(StudyRow.created_at.desc(), StudyRow.id.desc()))
        return [
            StudyRecord(r.id, r.kind, dict(r.spec), r.package_version, r.author,
                        r.created_at if r.created_at.tzinfo else r.created_at.replace(tzinfo=UTC),
                        int(counts.get(r.id, 0)))
            for r in rows
        ]


def study_results(store: Store, study_id: int) -> dict[int, dict[str, Any]]:
    """A saved study's results by task index (the newest result of each task)."""
    with sessionmaker(store.engine)() as s:
        if s.get(StudyRow, study_id) is None:
            raise StoreError(f"no saved study {study_id}")
        return _latest(s, study_id)

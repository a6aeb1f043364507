"""The workspace store's plumbing, shared by every record kind: opening the database,
reading and writing transactions, content blobs, version numbers, and who saves.

Who saves is the deployment's, never typed: on PostgreSQL the database login
(``current_user``), on SQLite the operating-system user. A program that saves for
the people signed in to it (the Streamlit app with ``st.login``) opens the store with
``user=``: on PostgreSQL only a login that is a superuser or a member of the
:data:`~selector.store.engine.APP_ROLE` role may do so; an SQLite file has no logins
(whoever may write the file may write anything in it), so there the name is taken as
given.
"""

from __future__ import annotations

import getpass
import gzip
import math
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from selector.store.engine import (
    APP_ROLE,
    RoleError,
    StoreError,
    Workspace,
    empty_reader,
    head_revision,
    probe,
    reader,
    server_login,
    sqlite_file_exists,
    writer,
)
from selector.store.schema import Blob
from selector.store.serialize import sha256

__all__ = [
    "MAX_ID",
    "MAX_NAME",
    "StoreBase",
    "checked_text",
    "default_author",
    "finite",
    "get_row",
    "package_version",
]

_RETRIES = 8
#: PostgreSQL's error code for a privilege or row-level security refusal.
INSUFFICIENT_PRIVILEGE = "42501"
T = TypeVar("T")
M = TypeVar("M")


def default_author() -> str:
    """The operating-system user: who saves into an SQLite workspace."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # pragma: no cover - no login name in some containers
        return "unknown"


def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("selector")
    except PackageNotFoundError:  # pragma: no cover - running from a plain checkout
        return "unknown"


#: Largest row id a database holds (a signed 64-bit integer).
MAX_ID = 2**63 - 1
#: Longest name, author, title or label the workspace keeps.
MAX_NAME = 200


def get_row(session: Session, table: type[M], key: int) -> M | None:
    """The row ``key`` of ``table``; None for any id no database could hold."""
    if isinstance(key, bool) or not isinstance(key, int) or not 0 < key <= MAX_ID:
        return None
    return session.get(table, key)


def checked_text(value: str, what: str, *, limit: int | None = MAX_NAME) -> str:
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


def finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


class StoreBase:
    """The plumbing of :class:`~selector.store.api.Store` (see the module docstring)."""

    def __init__(self, where: Workspace, *, user: str | None = None) -> None:
        self.where = where
        self._act_as: str | None = None
        if user is not None:
            self._act_as = checked_text(user, "user name").strip()
            if not self._act_as:
                raise StoreError("the user name is empty; leave it out to save as yourself")
        self._user: str | None = None
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

    @property
    def user(self) -> str:
        """Who saves through this store (see the module docstring); every record it
        saves names them as author, facilitator or participant."""
        with self._lock:
            if self._user is None:
                self._user = self._identify()
            return self._user

    def _identify(self) -> str:
        if self.where.path is not None:
            return self._act_as or default_author()
        engine = self._writer if self._writer is not None else reader(self.where)
        try:
            login, delegate = server_login(self.where, engine)
        finally:
            if engine is not self._writer:
                engine.dispose()
        if self._act_as is None or self._act_as == login:
            return login
        if not delegate:
            raise RoleError(
                f"{self.url}: the login {login} saves as itself, not as {self._act_as!r}; "
                f"a login that saves for an app's signed-in users must be a member of the "
                f"{APP_ROLE} role"
            )
        return self._act_as

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
                if getattr(getattr(exc, "orig", None), "sqlstate", None) == INSUFFICIENT_PRIVILEGE:
                    raise RoleError(self.where.mask(
                        f"the workspace database refused the save: the login may not write "
                        f"this as {self.user} ({getattr(exc, 'orig', exc)})"
                    )) from None
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


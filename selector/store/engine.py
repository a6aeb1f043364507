"""Where the workspace lives and how it is opened: the URL, the engine, the migrations.

The database is named by ``--db`` on the command line, else by the ``SELECTOR_DB``
environment variable, else it is an SQLite file in the user's data folder
(``$XDG_DATA_HOME/selector/workspace.db``, by default ``~/.local/share/...``). A value
with ``://`` is an SQLAlchemy URL (``postgresql+psycopg://user@host/db`` for a shared
team server); anything else is a file path. The file, its folder and the schema are
created on first use: :func:`open_engine` runs the Alembic migrations shipped in
``selector/store/migrations`` up to the newest, so a fresh install needs no set-up.

SQLite is opened in WAL mode with a 30 s busy timeout, and every transaction starts
with ``BEGIN IMMEDIATE``: two writers at once take turns instead of failing half-way.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from selector.errors import SelectorError

__all__ = [
    "DB_ENV",
    "MIGRATIONS",
    "StoreError",
    "current_revision",
    "default_db_path",
    "head_revision",
    "migrate",
    "open_engine",
    "resolve_url",
]

DB_ENV = "SELECTOR_DB"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_migrated: set[str] = set()
_lock = threading.Lock()


class StoreError(SelectorError):
    """The workspace database cannot be opened or does not hold what was asked for."""


def default_db_path() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "selector" / "workspace.db"


def resolve_url(db: str | os.PathLike[str] | None = None) -> str:
    """The SQLAlchemy URL for ``db`` (a URL or a file path), ``$SELECTOR_DB`` or the default."""
    raw = os.fspath(db) if db is not None else os.environ.get(DB_ENV) or None
    if raw is None:
        path = default_db_path()
    elif "://" in raw:
        try:
            make_url(raw)
        except ArgumentError as exc:
            raise StoreError(f"not a database URL: {raw!r} ({exc})") from None
        return raw
    else:
        path = Path(raw).expanduser()
    path = path.resolve()
    if path.exists() and path.is_dir():
        raise StoreError(f"{path} is a folder; give a database file or a URL")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the folder for the database {path}: {exc}") from None
    return f"sqlite:///{path}"


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy issues BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _config(connection: Any) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config(None)).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: Engine) -> None:
    """Bring the schema up to the newest migration (creates every table on an empty db)."""
    with engine.begin() as conn:
        command.upgrade(_config(conn), "head")


def open_engine(db: str | os.PathLike[str] | None = None, *, upgrade: bool = True) -> Engine:
    """An engine on the workspace database, migrated to the newest schema."""
    url = resolve_url(db)
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
    try:
        engine = create_engine(url, **kwargs)
    except (ArgumentError, ImportError) as exc:
        raise StoreError(f"cannot open the database {url!r}: {exc}") from None
    if engine.dialect.name == "sqlite":
        _sqlite_setup(engine)
    if upgrade:
        with _lock:
            if url not in _migrated:
                try:
                    if current_revision(engine) != head_revision():
                        migrate(engine)
                except OperationalError as exc:
                    raise StoreError(
                        f"cannot open the database {engine.url!r}: {exc.orig}"
                    ) from None
                _migrated.add(url)
    return engine

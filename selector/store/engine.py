"""Where the workspace lives and how it is opened: the URL, the engines, the migrations.

The database is named by ``--db`` on the command line, else by the ``SELECTOR_DB``
environment variable, else it is an SQLite file in the user's data folder
(``$XDG_DATA_HOME/selector/workspace.db``, by default ``~/.local/share/...``). A value
with ``://`` is an SQLAlchemy URL (``postgresql+psycopg://user@host/db`` for a shared
team server; ``postgresql://`` means the same); anything else is a file path. Only
SQLite files and PostgreSQL databases are accepted, and never a database in memory
(it would keep nothing).

A workspace is opened only when it is selector's own: an SQLite file must be an SQLite
database (an empty or text file is refused), and a database must hold nothing (a new
workspace) or selector's tables at a schema revision this selector knows. Reading
never creates or changes anything: an SQLite workspace is read through a read-only
connection (a workspace in a folder the user cannot write is still read), and a
workspace that does not exist yet reads as empty. The first save creates the file, its
folder and the schema, and upgrades an older schema: :func:`writer` runs the Alembic
migrations shipped in ``selector/store/migrations`` up to the newest.

SQLite is written in WAL mode with a 30 s busy timeout, and every write transaction
starts with ``BEGIN IMMEDIATE``: two writers at once take turns instead of failing
half-way. A PostgreSQL server gets :data:`CONNECT_TIMEOUT` seconds to answer (unless
the URL sets ``connect_timeout``). Messages never show a password.
"""

from __future__ import annotations

import os
import re
import sqlite3
import stat
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from selector.errors import SelectorError

__all__ = [
    "APP_ROLE",
    "CONNECT_TIMEOUT",
    "DB_ENV",
    "MIGRATIONS",
    "RoleError",
    "StoreError",
    "Workspace",
    "current_revision",
    "default_db_path",
    "head_revision",
    "locate",
    "migrate",
    "resolve_url",
    "server_login",
]

DB_ENV = "SELECTOR_DB"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: Seconds a database server gets to answer a connection.
CONNECT_TIMEOUT = 10
SQLITE_HEADER = b"SQLite format 3\x00"
ACCEPTED = "a file path, sqlite:///PATH or postgresql+psycopg://USER@HOST/DATABASE"
#: The tables that make a database a selector workspace (any revision).
CORE_TABLES = frozenset({"blobs", "scenario_versions", "runs"})
#: The PostgreSQL role whose member logins may save for an app's signed-in users (the
#: DBA creates it and grants it to the app's login; a superuser may do so too).
APP_ROLE = "selector_app"
_migrated: set[str] = set()
_lock = threading.Lock()


class StoreError(SelectorError):
    """The workspace database cannot be opened or does not hold what was asked for."""


class RoleError(StoreError):
    """The user's role does not allow the action: a judgment round is adopted or closed
    only by its facilitator, and judgments are submitted only by their participant."""


def default_db_path() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "selector" / "workspace.db"


def mask_url_text(text: str) -> str:
    """``text`` with the password of any ``scheme://user:password@`` in it replaced."""
    return re.sub(r"(://[^/:@\s]*:)[^@\s]*@", r"\1***@", text)


@dataclass(frozen=True)
class Workspace:
    """Where a workspace database is: its URL and, for SQLite, its file."""

    url: URL
    path: Path | None

    @property
    def shown(self) -> str:
        """The URL as messages show it (no password)."""
        return self.url.render_as_string(hide_password=True)

    @property
    def is_sqlite(self) -> bool:
        return self.path is not None

    def mask(self, text: str) -> str:
        """``text`` with this URL's password (as given and URL-encoded) replaced."""
        secret = self.url.password
        if secret:
            for form in {str(secret), quote(str(secret), safe="")}:
                text = text.replace(form, "***")
        return " ".join(mask_url_text(text).split())

    def error(self, what: str, exc: BaseException | None = None) -> StoreError:
        """A :class:`StoreError` about this workspace: one line, no password."""
        detail = ""
        if exc is not None:
            orig = getattr(exc, "orig", None) or exc
            detail = f": {orig}"
        return StoreError(self.mask(f"{what}{detail}"))


def _sqlite_url(path: Path) -> URL:
    return URL.create("sqlite", database=str(path))


def locate(db: str | os.PathLike[str] | None = None) -> Workspace:
    """The workspace ``db`` names (a URL or a file path), ``$SELECTOR_DB`` or the
    default file; checks the name only, touches nothing."""
    raw = os.fspath(db) if db is not None else os.environ.get(DB_ENV) or None
    if raw is None:
        path = default_db_path()
    elif "://" in raw:
        try:
            url = make_url(raw)
        except (ArgumentError, ValueError) as exc:
            raise StoreError(
                f"not a database URL: {mask_url_text(raw)} ({mask_url_text(str(exc))}); "
                f"accepted: {ACCEPTED}"
            ) from None
        backend = url.get_backend_name()
        if backend == "sqlite":
            name = url.database or ""
            if name in ("", ":memory:") or "mode=memory" in name or ":memory:" in name:
                raise StoreError(
                    f"{url.render_as_string(hide_password=True)} is a database in memory, "
                    f"which keeps nothing once the command ends; accepted: {ACCEPTED}"
                )
            if name.startswith("file:"):
                raise StoreError(
                    f"{url.render_as_string(hide_password=True)}: give the file's path "
                    f"(sqlite:///PATH), not an SQLite URI; accepted: {ACCEPTED}"
                )
            path = Path(name)
        elif backend == "postgresql":
            if url.get_driver_name() in ("", "psycopg2") and "+" not in url.drivername:
                url = url.set(drivername="postgresql+psycopg")
            return Workspace(url, None)
        else:
            raise StoreError(
                f"{url.render_as_string(hide_password=True)}: a workspace is an SQLite file "
                f"or a PostgreSQL database, not {backend}; accepted: {ACCEPTED}"
            )
    else:
        if "\x00" in raw:
            raise StoreError("the database path holds a NUL character")
        path = Path(raw)
    path = path.expanduser().resolve()
    if path.is_dir():
        raise StoreError(f"{path} is a folder; give a database file or a URL ({ACCEPTED})")
    return Workspace(_sqlite_url(path), path)


def resolve_url(db: str | os.PathLike[str] | None = None) -> str:
    """The SQLAlchemy URL for ``db`` (a URL or a file path), ``$SELECTOR_DB`` or the
    default, password included (for connecting; show :attr:`Workspace.shown`)."""
    return locate(db).url.render_as_string(hide_password=False)


# --- SQLite files ---------------------------------------------------------------------


def sqlite_file_exists(path: Path) -> bool:
    """Whether the SQLite file ``path`` is there; refuses anything that is not an SQLite
    database (a folder, a device, an empty or a text file) without changing it."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise StoreError(f"cannot open the workspace {path}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        raise StoreError(f"{path} is a folder; give a database file or a URL ({ACCEPTED})")
    if not stat.S_ISREG(info.st_mode):
        raise StoreError(f"{path} is not a regular file, so not a selector workspace")
    if info.st_size == 0:
        raise StoreError(
            f"{path} is an empty file, not a selector workspace; name another file (a new "
            "workspace is created by the first save), or delete this one"
        )
    try:
        with path.open("rb") as fh:
            head = fh.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise StoreError(f"cannot read the workspace {path}: {exc.strerror or exc}") from None
    if head != SQLITE_HEADER:
        raise StoreError(
            f"{path} is not a selector workspace: it is not an SQLite database file; "
            "name the workspace's .db file, or a new file to start one"
        )
    return True


def _read_only_connect(path: Path) -> Any:
    """An SQLite connection that cannot write. A WAL database in a folder the user may
    not write is opened as immutable (SQLite could not make its shared-memory file)."""
    uri = f"file:{quote(str(path))}?mode=ro"
    conn = sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError:
        conn.close()
    return sqlite3.connect(uri + "&immutable=1", uri=True, timeout=30, check_same_thread=False)


def _sqlite_writer_setup(engine: Engine) -> None:
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


def _server_engine(where: Workspace) -> Engine:
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in where.url.query:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT
    try:
        return create_engine(where.url, connect_args=connect_args, pool_pre_ping=True)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise where.error(f"cannot open the database {where.shown}", exc) from None


def reader(where: Workspace) -> Engine:
    """An engine for reading an existing workspace (read-only for SQLite)."""
    if where.path is None:
        return _server_engine(where)
    path = where.path
    return create_engine(_sqlite_url(path), creator=lambda: _read_only_connect(path))


def empty_reader() -> Engine:
    """A workspace with the schema and nothing in it: what a workspace that does not
    exist yet reads as (kept in memory, never saved to)."""
    from sqlalchemy.pool import StaticPool

    from selector.store.schema import Base

    engine = create_engine("sqlite://", poolclass=StaticPool,
                           connect_args={"check_same_thread": False})
    Base.metadata.create_all(engine)
    return engine


def server_login(where: Workspace, engine: Engine) -> tuple[str, bool]:
    """The database login ``engine`` connects as (``current_user``), and whether it may
    save for others: a superuser or a member of :data:`APP_ROLE`."""
    query = text(
        "SELECT current_user, r.rolsuper OR EXISTS (SELECT 1 FROM pg_roles a "
        "WHERE a.rolname = :app AND pg_has_role(current_user, a.oid, 'MEMBER')) "
        "FROM pg_roles r WHERE r.rolname = current_user"
    )
    try:
        with engine.connect() as conn:
            row = conn.execute(query, {"app": APP_ROLE}).one()
    except SQLAlchemyError as exc:
        raise where.error(f"cannot open the workspace {where.shown}", exc) from None
    return str(row[0]), bool(row[1])


# --- what a database holds --------------------------------------------------------------


def _config(connection: Any) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config(None)).get_current_head()
    if head is None:  # pragma: no cover - the package ships its migrations
        raise StoreError("selector's workspace migrations are missing")
    return head


def known_revisions() -> set[str]:
    return {r.revision for r in ScriptDirectory.from_config(_config(None)).walk_revisions()}


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def probe(where: Workspace, engine: Engine) -> str | None:
    """The schema revision of the workspace ``engine`` reaches, or None when the
    database holds no tables yet; refuses another application's database and one a
    newer selector made."""
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            revision = (
                MigrationContext.configure(conn).get_current_revision()
                if "alembic_version" in tables else None
            )
    except SQLAlchemyError as exc:
        raise where.error(f"cannot open the workspace {where.shown}", exc) from None
    ours = tables & CORE_TABLES
    if revision is None:
        if not (tables - {"alembic_version"}):
            return None  # an empty database: a new workspace
        others = sorted(tables - {"alembic_version"})
        listed = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
        raise StoreError(
            f"{where.shown} is not a selector workspace: it holds other tables ({listed}); "
            "name the workspace's database, or a new file or an empty database to start one"
        )
    if revision not in known_revisions():
        if ours == CORE_TABLES:
            raise StoreError(
                f"{where.shown}: the workspace was made by a newer selector (schema "
                f"revision {revision}); upgrade selector to open it"
            )
        raise StoreError(
            f"{where.shown} is not a selector workspace: its schema revision {revision!r} "
            "is another application's"
        )
    return revision


def migrate(engine: Engine) -> None:
    """Bring the schema up to the newest migration (creates every table on an empty db)."""
    with engine.begin() as conn:
        command.upgrade(_config(conn), "head")


def writer(where: Workspace) -> Engine:
    """An engine for saving: creates the SQLite file and its folder, and the schema, on
    first use and upgrades an older one; refuses a database that is not a workspace."""
    if where.path is not None:
        path = where.path
        if sqlite_file_exists(path):
            check = reader(where)
            try:
                probe(where, check)
            finally:
                check.dispose()
        else:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"cannot create the folder for the workspace {path}: {exc.strerror or exc}"
                ) from None
        engine = create_engine(
            _sqlite_url(path), connect_args={"timeout": 30, "check_same_thread": False}
        )
        _sqlite_writer_setup(engine)
    else:
        engine = _server_engine(where)
        try:
            probe(where, engine)
        except BaseException:
            engine.dispose()
            raise
    key = where.url.render_as_string(hide_password=False)
    with _lock:
        if key not in _migrated:
            try:
                if current_revision(engine) != head_revision():
                    migrate(engine)
            except DBAPIError as exc:
                engine.dispose()
                raise where.error(f"cannot save into the workspace {where.shown}", exc) from None
            _migrated.add(key)
    return engine

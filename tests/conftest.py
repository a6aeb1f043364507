"""Shared fixtures: small scenarios in ``tmp_path`` derived from the teaching data.

Each test changes one thing in the teaching scenario (a table cell, a setting) and
checks what the loader says about it.
"""

from __future__ import annotations

import contextlib
import copy
import os
import tomllib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import tomli_w
from hypothesis import settings

from selector.errors import ScenarioError

# Hypothesis: every run of the suite draws the same examples ("ci", the default), so a
# failure seen once is seen again and a green run means the same thing on every machine.
# Edge cases the random draw might miss are pinned with @example in the tests. To explore
# new examples locally, run with HYPOTHESIS_PROFILE=explore (a failure prints the blob to
# reproduce it with @reproduce_failure). The CI script (.ci/run) sets no variable, so the
# reproducible profile is the one loaded without any.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"
TEACHING_TOML = SCENARIOS / "teaching.toml"
TEACHING_DATA = SCENARIOS / "teaching"
MODEL = REPO / "models" / "partner-selection.toml"

KEEP = object()  # "use the teaching table" (the default for partners/segments/supply)

Table = pd.DataFrame | Callable[[pd.DataFrame], pd.DataFrame] | str | None


def teaching_table(name: str) -> pd.DataFrame:
    """A teaching table as text cells (how the loader sees it)."""
    return pd.read_csv(TEACHING_DATA / f"{name}.csv", dtype=str, keep_default_na=False)


def teaching_settings() -> dict[str, Any]:
    """The teaching scenario's settings, without its data paths."""
    with TEACHING_TOML.open("rb") as fh:
        data = tomllib.load(fh)
    for key in ("model", "partners", "segments", "supply", "coverage"):
        data.pop(key, None)
    return data


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(dict(base))
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Numbers as numbers, so an XLSX gets numeric cells like a hand-made sheet."""
    out = frame.copy()
    for col in out.columns:
        with contextlib.suppress(ValueError, TypeError):
            out[col] = pd.to_numeric(out[col])
    return out


def write_table(frame: pd.DataFrame | str, path: Path) -> None:
    """Write a frame as CSV or XLSX (by suffix), or raw text as it is."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(frame, str):
        path.write_text(frame, encoding="utf-8")
    elif path.suffix == ".xlsx":
        _typed(frame).to_excel(path, index=False, engine="openpyxl")
    else:
        frame.to_csv(path, index=False)


class ScenarioFactory:
    """Writes a scenario (TOML + tables) into its own folder under ``tmp_path``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.count = 0

    def __call__(
        self,
        *,
        partners: Table | object = KEEP,
        segments: Table | object = KEEP,
        supply: Table | object = KEEP,
        coverage: Table | Iterable[tuple[str, str]] | None = None,
        settings: Mapping[str, Any] | None = None,
        drop: Iterable[str] = (),
        model: bool | str | Path = True,
        fmt: str = "csv",
        raw_toml: str | None = None,
        toml_extra: str = "",
    ) -> Path:
        """Return the path of the written scenario TOML.

        Tables: ``KEEP`` (teaching data), a frame, a function of the teaching frame,
        raw text for the file, or ``None`` (no such table; only for supply/coverage).
        ``settings`` is deep-merged into the teaching settings, ``drop`` removes dotted
        keys, ``toml_extra`` is appended to the TOML text as written.
        """
        self.count += 1
        folder = self.root / f"scenario{self.count}"
        data_dir = folder / "data"
        data_dir.mkdir(parents=True)
        config: dict[str, Any] = {}
        if model is True:
            config["model"] = str(MODEL)
        elif model:
            config["model"] = str(model)
        for name, table in (("partners", partners), ("segments", segments),
                            ("supply", supply), ("coverage", coverage)):
            if table is None:
                continue
            if table is KEEP:
                if name == "coverage":
                    continue
                frame: pd.DataFrame | str = teaching_table(name)
            elif callable(table) and not isinstance(table, pd.DataFrame):
                frame = table(teaching_table(name))
            elif isinstance(table, pd.DataFrame | str):
                frame = table
            else:  # pairs
                cols = ["partner_id", "segment_id"] if name == "coverage" else [
                    "distributor_id", "reseller_id"]
                frame = pd.DataFrame(list(table), columns=cols)
            target = data_dir / f"{name}.{fmt}"
            write_table(frame, target)
            config[name] = f"data/{target.name}"
        config = deep_merge(teaching_settings(), config)
        config = deep_merge(config, settings or {})
        for dotted in drop:
            *parents, last = dotted.split(".")
            node = config
            for p in parents:
                node = node[p]
            node.pop(last, None)
        path = folder / "scenario.toml"
        text = raw_toml if raw_toml is not None else tomli_w.dumps(config)
        path.write_text(text + ("\n" + toml_extra if toml_extra else ""), encoding="utf-8")
        return path


@pytest.fixture
def make_scenario(tmp_path: Path) -> ScenarioFactory:
    return ScenarioFactory(tmp_path)


@pytest.fixture(scope="session")
def teaching():
    """The teaching scenario, loaded once (scenarios are frozen)."""
    from selector.inputs.scenario import load_scenario

    return load_scenario(TEACHING_TOML)


def check_error(
    exc: BaseException,
    *,
    file: str | Path | None = None,
    row: int | None = None,
    column: str | None = None,
    contains: Iterable[str] = (),
) -> str:
    """Assert a ScenarioError names its place (file, row, column) and what it found."""
    assert isinstance(exc, ScenarioError), f"{type(exc).__name__}: {exc}"
    msg = str(exc)
    if file is not None:
        assert exc.file is not None, msg
        if Path(file).is_absolute():
            assert Path(exc.file).resolve() == Path(file).resolve(), (exc.file, msg)
        else:
            assert Path(exc.file).name == Path(file).name, (exc.file, msg)
        assert msg.startswith(f"{exc.file}"), msg
        assert Path(file).name in msg, msg
    if row is not None:
        assert exc.row == row, msg
        assert f"row {row}" in msg, msg
    if column is not None:
        assert exc.column == column, msg
        assert f"column '{column}'" in msg, msg
    for fragment in contains:
        assert fragment in msg, f"{fragment!r} not in {msg!r}"
    assert "\n" not in msg, msg
    return msg


@pytest.fixture
def expect_error() -> Callable[..., str]:
    """``expect_error(fn, *args, file=..., row=..., column=..., contains=[...])``: call
    ``fn``, require a ScenarioError, check where it points; return the message."""

    def run(fn: Callable[..., Any], *args: Any, **where: Any) -> str:
        with pytest.raises(ScenarioError) as info:
            fn(*args)
        return check_error(info.value, **where)

    return run


# --- workspace databases: an SQLite file, or a throwaway PostgreSQL server ---------------


def _pg_bin(name: str) -> str | None:
    import glob
    import shutil

    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


class PostgresServer:
    """A PostgreSQL cluster in a temporary folder on a free localhost port (initdb +
    pg_ctl; as the ``postgres`` user when the tests run as root)."""

    def __init__(self) -> None:
        import pwd
        import shutil
        import socket
        import subprocess
        import tempfile

        initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
        if initdb is None or pg_ctl is None:
            raise FileNotFoundError("initdb / pg_ctl")
        self.pg_ctl = pg_ctl
        self.folder = Path(tempfile.mkdtemp(prefix="selector-pg-"))
        self.data = self.folder / "data"
        self.prefix: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.folder, user.pw_uid, user.pw_gid)
            runuser = shutil.which("runuser") or "runuser"
            self.prefix = [runuser, "-u", "postgres", "--"]
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        subprocess.run(
            [*self.prefix, initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust",
             "-E", "UTF8", "--no-sync"],
            check=True, capture_output=True,
        )
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            [*self.prefix, pg_ctl, "-D", str(self.data), "-o", options, "-w", "-t", "60",
             "-l", str(self.folder / "server.log"), "start"],
            check=True, capture_output=True,
        )
        self.count = 0

    def new_database(self) -> str:
        import psycopg

        self.count += 1
        name = f"selector_test_{self.count}"
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        import shutil
        import subprocess

        subprocess.run(
            [*self.prefix, self.pg_ctl, "-D", str(self.data), "-m", "immediate", "stop"],
            check=False, capture_output=True,
        )
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterable[PostgresServer]:
    try:
        server = PostgresServer()
    except FileNotFoundError:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL binaries (initdb, pg_ctl) are required in CI")
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) not installed: apt-get install postgresql")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty workspace database: an SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'workspace.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.new_database()


def login_role(server: PostgresServer, name: str) -> None:
    """A PostgreSQL login ``name`` on ``server`` (no password: the test cluster trusts
    localhost), neither superuser nor able to create anything."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        f"host=127.0.0.1 port={server.port} user=postgres dbname=postgres", autocommit=True
    ) as conn:
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone() is None:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(name)))


@pytest.fixture
def as_login(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Callable[[str, str], str]:
    """``as_login(db_url, name)``: the database URL to use as the person ``name``. On
    SQLite that person is the operating-system user (``$LOGNAME``, which
    ``getpass.getuser`` reads first; set for the rest of the test); on PostgreSQL a login
    of that name, the workspace being created first by the server's owner login."""

    def login(db_url: str, name: str) -> str:
        if not db_url.startswith("postgresql"):
            monkeypatch.setenv("LOGNAME", name)
            return db_url
        from sqlalchemy.engine import make_url

        from selector.store import open_store

        server: PostgresServer = request.getfixturevalue("postgres_server")
        owner = open_store(db_url)
        owner.upgrade()
        owner.close()
        login_role(server, name)
        return make_url(db_url).set(username=name).render_as_string(hide_password=False)

    return login


# --- Dask processes, started as a user starts them ------------------------------------


def child_env(**extra: str) -> dict[str, str]:
    """The environment for a child process that must import this checkout's selector
    (a `selector` command, a `dask worker`), whatever is installed."""
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, **extra}


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class DaskProcesses:
    """A `dask scheduler` and a `dask worker` process (with its nannies' worker
    processes), each logging to a file in ``folder``; no client in this process.

    Start with :meth:`start`; :meth:`stop` ends the processes this object started.
    """

    def __init__(self, folder: Path, scheduler: list[str], worker: list[str], *,
                 workers: int, address: str) -> None:
        self.folder, self.address, self.workers = folder, address, workers
        folder.mkdir(parents=True, exist_ok=True)
        self.argv = {"scheduler": scheduler, "worker": worker}
        self.procs: dict[str, Any] = {}

    def log(self, name: str) -> str:
        path = self.folder / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def _launch(self, name: str, until: str, count: int, timeout: float) -> None:
        import subprocess
        import time

        folder = self.folder
        with (folder / f"{name}.log").open("wb") as out:
            self.procs[name] = subprocess.Popen(
                self.argv[name], cwd=folder, env=child_env(), stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while self.log(name).count(until) < count:
            if self.procs[name].poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{' '.join(self.argv[name])} did not start:\n{self.log(name)}")
            time.sleep(0.2)

    def start(self) -> DaskProcesses:
        # generous waits: the machine running the tests may be busy
        self._launch("scheduler", "Scheduler at:", 1, 120)
        self._launch("worker", "Registered to:", self.workers, 180)
        return self

    def worker_pids(self) -> list[int]:
        """The worker processes (the nannies' children), not the `dask worker` process."""
        import psutil

        children = psutil.Process(self.procs["worker"].pid).children(recursive=True)
        return [p.pid for p in children if "spawn_main" in " ".join(p.cmdline())]

    def stop(self) -> None:
        import contextlib
        import signal
        import subprocess

        import psutil

        for name in ("worker", "scheduler"):
            proc = self.procs.get(name)
            if proc is None or proc.poll() is not None:
                continue
            children: list[Any] = []
            with contextlib.suppress(psutil.Error):
                children = psutil.Process(proc.pid).children(recursive=True)
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            for child in children:  # processes this object started, through dask
                with contextlib.suppress(psutil.Error):
                    child.kill()


def dask_processes(folder: Path, *, workers: int = 2, port: int | None = None) -> DaskProcesses:
    """A scheduler on 127.0.0.1 (a free port unless given) and ``workers`` worker
    processes of one thread each, started the way the README says."""
    port = port or free_port()
    address = f"tcp://127.0.0.1:{port}"
    return DaskProcesses(
        folder,
        ["dask", "scheduler", "--host", "127.0.0.1", "--port", str(port),
         "--dashboard-address", ":0"],
        ["dask", "worker", address, "--nworkers", str(workers), "--nthreads", "1",
         "--no-dashboard"],
        workers=workers, address=address,
    )

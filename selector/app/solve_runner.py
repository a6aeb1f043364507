"""Solves in a worker process, so that nothing a solver does can take the app down.

A solve runs in its own process (``forkserver``: a clean server process, started once,
with the optimizer imported, forks each worker; never ``fork`` from the Streamlit
server, which has threads). The app's process only waits for the answer:

- a solver crash (a segmentation fault in a native library), running out of memory or
  a kill ends the worker, not the server, and becomes a :class:`SolveWorkerDied` (a
  :class:`~selector.errors.SolverError`) whose one line says what happened;
- whatever interrupts the wait (Streamlit's Stop, a rerun, Ctrl-C) terminates the
  worker at once, on the way out.

A :class:`SessionWorker` is the same, long-lived: one process holds a
:class:`selector.whatif.Session` per scenario and answers successive what-ifs from what
the earlier ones left (``kept``, ``cached`` or ``warm``: see the session's module). A
crash or a kill is the same one-line :class:`SolveWorkerDied` for the what-if it ended,
and the next what-if starts a new worker, transparently (its session starts cold); so
does the next what-if after a Stop, which terminates the worker as it does a one-off.

Nothing here needs Streamlit: a script can run a solve the same way.

>>> from selector import load_scenario
>>> result = solve_in_worker(load_scenario("scenarios/teaching.toml"), time_limit=30)
>>> result.status
'optimal'
"""

from __future__ import annotations

import multiprocessing as mp
import signal
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from multiprocessing.connection import Connection
from typing import Any, cast

from selector import PortfolioResult, Scenario, SelectorError, SolverError
from selector.portfolio import SolveProgress

__all__ = ["SESSIONS_HELD", "SessionWorker", "SolveWorker", "SolveWorkerDied", "solve_in_worker"]

#: Seconds between two looks at the worker (and calls of ``tick``).
POLL = 0.25
#: Seconds a terminated worker gets to end before it is killed.
GRACE = 1.0
#: Modules the worker server imports once, so each worker starts at once.
PRELOAD = ["selector.portfolio", "selector.whatif.session"]
#: Seconds of one step of a session worker's preparing while idle (a priced solve may run
#: over, and any step ends when a what-if arrives).
PREPARE_STEP = 1.0
#: Sessions a :class:`SessionWorker` holds (one per scenario key and options; the least
#: recently asked goes).
SESSIONS_HELD = 2

Entry = Callable[..., PortfolioResult]
#: What a session worker makes a session with: ``make(scenario, **options)``, an object
#: whose ``solve_scenario(scenario, progress=...)`` answers a what-if.
MakeSession = Callable[..., Any]
Tick = Callable[[float, SolveProgress | None], object]


class SolveWorkerDied(SolverError):
    """The solve's worker process ended without an answer (a crash or a kill)."""


def _context() -> Any:
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


def _default_entry(scenario: Scenario, **options: Any) -> PortfolioResult:
    from selector.portfolio import solve

    return solve(scenario, **options)


def _default_session(scenario: Scenario, **options: Any) -> Any:
    from selector.whatif.session import Session

    return Session(scenario, **options)


def _sender(conn: Connection) -> Callable[[SolveProgress], None]:
    """A progress callback sending the live figures a few times a second at most."""
    last = [0.0]

    def seen(p: SolveProgress) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.1:
            last[0] = now
            conn.send(("progress", p))

    return seen


def _answer(conn: Connection, run: Callable[[], PortfolioResult]) -> None:
    """``run()``, its answer or its error sent on ``conn``."""
    try:
        result = run()
    except SelectorError as exc:
        try:
            conn.send(("error", exc))
        except Exception:  # an error that cannot cross processes: its words can
            conn.send(("error", SolverError(str(exc))))
        return
    except Exception as exc:
        conn.send(("error", SolverError(f"the solver failed: {type(exc).__name__}: {exc}")))
        return
    conn.send(("result", result))


def _serve(conn: Connection, make: MakeSession) -> None:
    """The session worker: one what-if after another until the pipe closes. While no
    what-if waits, the session last asked prepares its budget frontier (see
    :meth:`selector.whatif.Session.prepare`), a step at a time, stopping as soon as one
    arrives."""
    sessions: OrderedDict[Hashable, Any] = OrderedDict()
    idle = False  # the last session asked has preparing left to do
    while True:
        try:
            while idle and not conn.poll(0):
                last = sessions[next(reversed(sessions))]
                try:
                    idle = bool(last.prepare(PREPARE_STEP, stop=lambda: conn.poll(0)))
                except Exception:  # preparing is a bonus: the what-ifs go on without it
                    idle = False
            key, scenario, options = conn.recv()
        except (EOFError, OSError):
            return
        held = (key, tuple(sorted(options.items())))
        conn.send(("started", None))  # a death from now on is this what-if's

        def run(held: Hashable = held, scenario: Scenario = scenario,
                options: dict[str, Any] = options) -> PortfolioResult:
            if held not in sessions:
                sessions[held] = make(scenario, **options)
                while len(sessions) > SESSIONS_HELD:
                    sessions.popitem(last=False)
            sessions.move_to_end(held)
            return cast(PortfolioResult,
                        sessions[held].solve_scenario(scenario, progress=_sender(conn)))

        _answer(conn, run)
        idle = bool(sessions) and hasattr(sessions[next(reversed(sessions))], "prepare")


def _work(conn: Connection, entry: Entry, scenario: Scenario, options: dict[str, Any]) -> None:
    """The worker: solve, send the live figures now and then, then the answer."""
    _answer(conn, lambda: entry(scenario, progress=_sender(conn), **options))


def _ended(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        cause = "a crash in the solver" if name in ("SIGSEGV", "SIGBUS", "SIGILL", "SIGFPE",
                                                    "SIGABRT") else "it was stopped from outside"
        return f"with {name} ({cause})"
    return f"with exit code {exitcode}"


class _DiedIdle(Exception):
    """A session worker ended before it took the what-if (killed while it waited)."""


def _wait(process: Any, conn: Connection, tick: Tick | None, *, taken: bool = True) -> PortfolioResult:
    """The answer ``process`` sends on ``conn``, ``tick`` called meanwhile (see
    :meth:`SolveWorker.result`); leaves the process as it is. ``taken=False``: the
    worker says ``started`` when it takes the request, and a death before that is a
    :class:`_DiedIdle`."""
    t0 = time.monotonic()
    progress: SolveProgress | None = None
    last_tick = t0
    while True:
        message: tuple[str, Any] | None = None
        if conn.poll(POLL):
            try:
                message = conn.recv()
            except (EOFError, OSError):
                message = None
            if message is None:
                process.join(GRACE)
                raise _died(process) if taken else _DiedIdle()
            kind, value = message
            if kind == "started":
                taken = True
                continue
            if kind == "result":
                return cast(PortfolioResult, value)
            if kind == "error":
                raise value
            progress = value
        elif not process.is_alive():
            if not conn.poll(0):
                raise _died(process) if taken else _DiedIdle()
            continue
        now = time.monotonic()
        if tick is not None and (message is None or now - last_tick >= POLL):
            last_tick = now
            tick(now - t0, progress)


def _died(process: Any) -> SolveWorkerDied:
    return SolveWorkerDied(
        f"the solve stopped without an answer: its worker process ended "
        f"{_ended(process.exitcode)}; the app is still running, and the quick "
        "answer stands"
    )


def _end(process: Any, conn: Connection | None) -> None:
    """End ``process`` now (terminate, then kill after :data:`GRACE` seconds)."""
    if conn is not None:
        conn.close()
    if process is None:
        return
    if process.is_alive():
        process.terminate()
        process.join(GRACE)
        if process.is_alive():
            process.kill()
    process.join(GRACE)
    process.close()


class SolveWorker:
    """One solve in its own process: :meth:`start` it, :meth:`result` waits for it."""

    def __init__(
        self, scenario: Scenario, *, entry: Entry | None = None, **options: Any
    ) -> None:
        self.scenario = scenario
        self.entry = entry if entry is not None else _default_entry
        self.options = dict(options)
        self._process: Any = None
        self._conn: Connection | None = None

    @property
    def pid(self) -> int | None:
        return None if self._process is None else int(self._process.pid)

    def start(self) -> SolveWorker:
        ctx = _context()
        ours, theirs = ctx.Pipe(duplex=False)
        self._process = ctx.Process(
            target=_work, args=(theirs, self.entry, self.scenario, self.options),
            name="selector-solve", daemon=True,
        )
        self._process.start()
        theirs.close()
        self._conn = ours
        return self

    def result(self, tick: Tick | None = None) -> PortfolioResult:
        """The answer; ``tick(seconds, progress)`` is called about four times a second
        meanwhile. Whatever ends the wait early (an exception from ``tick``, an
        interrupt) terminates the worker.

        Raises
        ------
        SolveWorkerDied
            The worker ended without an answer.
        SelectorError
            The solve raised it (a scenario the solver refused, a solver failure).
        """
        if self._process is None or self._conn is None:
            self.start()
        try:
            return _wait(self._process, cast(Connection, self._conn), tick)
        finally:
            self.stop()

    def stop(self) -> None:
        """End the worker now (terminate, then kill after :data:`GRACE` seconds)."""
        process, conn, self._process, self._conn = self._process, self._conn, None, None
        _end(process, conn)


class SessionWorker:
    """A long-lived worker process answering what-ifs through sessions it holds.

    :meth:`solve` sends a scenario and waits for the answer as
    :meth:`SolveWorker.result` does. The worker keeps a
    :class:`~selector.whatif.Session` per ``key`` (the caller's name for the base
    scenario, e.g. its file) and options, so a what-if is answered from the earlier
    ones (``result.stats["session"]["answer"]``). A worker found dead before a what-if
    is replaced without a word; one that dies during a what-if is that what-if's
    :class:`SolveWorkerDied`, and the next what-if starts a new one. Whatever ends the
    wait early (Stop) terminates the worker; the next what-if starts a new, cold one.
    One what-if at a time (behind a lock): a second caller waits its turn.
    """

    def __init__(self, *, make: MakeSession | None = None) -> None:
        self.make = make if make is not None else _default_session
        self._process: Any = None
        self._conn: Connection | None = None
        self._lock = threading.Lock()
        self._finalizer: Any = None

    @property
    def pid(self) -> int | None:
        return None if self._process is None else int(self._process.pid)

    def _ensure(self) -> tuple[Any, Connection]:
        if self._process is not None and self._conn is not None and self._process.is_alive():
            return self._process, self._conn
        self.stop()
        ctx = _context()
        ours, theirs = ctx.Pipe(duplex=True)
        process = ctx.Process(target=_serve, args=(theirs, self.make),
                              name="selector-session", daemon=True)
        process.start()
        theirs.close()
        self._process, self._conn = process, ours
        # the worker ends with this object (a browser session's state dropped)
        self._finalizer = weakref.finalize(self, _end, process, ours)
        return process, ours

    def solve(
        self, scenario: Scenario, *, key: Hashable = None, tick: Tick | None = None,
        **options: Any,
    ) -> PortfolioResult:
        """The answer for ``scenario`` from the session held for ``key`` and
        ``options`` (keyword-only, as for :func:`selector.solve`).

        Raises
        ------
        SolveWorkerDied
            The worker ended without an answer (the next what-if starts a new one).
        SelectorError
            The solve raised it (the worker and its sessions carry on).
        """
        with self._lock:
            for attempt in (1, 2):
                process, conn = self._ensure()
                try:
                    conn.send((key, scenario, dict(options)))
                    return _wait(process, conn, tick, taken=False)
                except (_DiedIdle, BrokenPipeError):
                    # it died waiting (killed, out of memory): a new one, once
                    self.stop()
                    if attempt == 2:
                        raise SolveWorkerDied(
                            "the solve could not start: its worker process ended twice "
                            "before it took the what-if; the app is still running"
                        ) from None
                except SelectorError as exc:
                    if isinstance(exc, SolveWorkerDied):
                        self.stop()
                    raise
                except BaseException:
                    self.stop()
                    raise
            raise AssertionError("unreachable")  # pragma: no cover

    def stop(self) -> None:
        """End the worker now (its sessions with it)."""
        process, conn, self._process, self._conn = self._process, self._conn, None, None
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        _end(process, conn)


def solve_in_worker(
    scenario: Scenario, *, time_limit: float | None = None, tick: Tick | None = None,
    entry: Entry | None = None,
) -> PortfolioResult:
    """:func:`selector.solve` of ``scenario`` in a worker process (see the module
    docstring); ``tick(seconds, progress)`` is called about four times a second while it
    runs, with the solver's live figures."""
    options: dict[str, Any] = {} if time_limit is None else {"time_limit": time_limit}
    return SolveWorker(scenario, entry=entry, **options).start().result(tick)

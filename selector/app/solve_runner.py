"""Solves in a worker process, so that nothing a solver does can take the app down.

A solve runs in its own process (``forkserver``: a clean server process, started once,
with the optimizer imported, forks each worker; never ``fork`` from the Streamlit
server, which has threads). The app's process only waits for the answer:

- a solver crash (a segmentation fault in a native library), running out of memory or
  a kill ends the worker, not the server, and becomes a :class:`SolveWorkerDied` (a
  :class:`~selector.errors.SolverError`) whose one line says what happened;
- whatever interrupts the wait (Streamlit's Stop, a rerun, Ctrl-C) terminates the
  worker at once, on the way out.

Nothing here needs Streamlit: a script can run a solve the same way.

>>> from selector import load_scenario
>>> result = solve_in_worker(load_scenario("scenarios/teaching.toml"), time_limit=30)
>>> result.status
'optimal'
"""

from __future__ import annotations

import multiprocessing as mp
import signal
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, cast

from selector import PortfolioResult, Scenario, SelectorError, SolverError
from selector.portfolio import SolveProgress

__all__ = ["SolveWorker", "SolveWorkerDied", "solve_in_worker"]

#: Seconds between two looks at the worker (and calls of ``tick``).
POLL = 0.25
#: Seconds a terminated worker gets to end before it is killed.
GRACE = 1.0
#: Modules the worker server imports once, so each worker starts at once.
PRELOAD = ["selector.portfolio"]

Entry = Callable[..., PortfolioResult]
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


def _work(conn: Connection, entry: Entry, scenario: Scenario, options: dict[str, Any]) -> None:
    """The worker: solve, send the live figures now and then, then the answer."""
    last = [0.0]

    def seen(p: SolveProgress) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.1:  # the page shows a few updates a second at most
            last[0] = now
            conn.send(("progress", p))

    try:
        result = entry(scenario, progress=seen, **options)
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
        conn = cast(Connection, self._conn)
        t0 = time.monotonic()
        progress: SolveProgress | None = None
        last_tick = t0
        try:
            while True:
                message: tuple[str, Any] | None = None
                if conn.poll(POLL):
                    try:
                        message = conn.recv()
                    except (EOFError, OSError):
                        message = None
                    if message is None:
                        self._process.join(GRACE)
                        raise self._died()
                    kind, value = message
                    if kind == "result":
                        return cast(PortfolioResult, value)
                    if kind == "error":
                        raise value
                    progress = value
                elif not self._process.is_alive():
                    if not conn.poll(0):
                        raise self._died()
                    continue
                now = time.monotonic()
                if tick is not None and (message is None or now - last_tick >= POLL):
                    last_tick = now
                    tick(now - t0, progress)
        finally:
            self.stop()

    def _died(self) -> SolveWorkerDied:
        return SolveWorkerDied(
            f"the solve stopped without an answer: its worker process ended "
            f"{_ended(self._process.exitcode)}; the app is still running, and the quick "
            "answer stands"
        )

    def stop(self) -> None:
        """End the worker now (terminate, then kill after :data:`GRACE` seconds)."""
        process, self._process = self._process, None
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if process is None:
            return
        if process.is_alive():
            process.terminate()
            process.join(GRACE)
            if process.is_alive():
                process.kill()
        process.join(GRACE)
        process.close()


def solve_in_worker(
    scenario: Scenario, *, time_limit: float | None = None, tick: Tick | None = None,
    entry: Entry | None = None,
) -> PortfolioResult:
    """:func:`selector.solve` of ``scenario`` in a worker process (see the module
    docstring); ``tick(seconds, progress)`` is called about four times a second while it
    runs, with the solver's live figures."""
    options: dict[str, Any] = {} if time_limit is None else {"time_limit": time_limit}
    return SolveWorker(scenario, entry=entry, **options).start().result(tick)

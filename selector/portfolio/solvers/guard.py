"""HiGHS runs under a guard thread that cancels it at its time limit (HiGHS has been
seen to overrun its own), on Ctrl-C, on a Streamlit stop and at the interpreter's exit
(a HiGHS thread still running when the process exits aborts it)."""

from __future__ import annotations

import atexit
import os
import sys
import threading
import time
from typing import Any

from selector.errors import SolverError

__all__ = ["check_not_exiting", "quiet_highs", "run_guarded", "wait_for"]


def quiet_highs(highspy: Any) -> Any:
    """A HiGHS instance whose start-up banner does not reach stdout (it would corrupt
    ``--json`` output): the banner is written by C++ on the first construction."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError):
        h = highspy.Highs()
    else:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 1)
            h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(devnull)
    h.setOptionValue("output_flag", False)
    return h


# HiGHS solves running now, each with the event its guard thread sets when it ends: an
# interrupted caller and the interpreter's exit cancel them, since a HiGHS thread still
# running when the process exits aborts it (SIGABRT from the C++ runtime). The thread's
# own join/is_alive are not used: a join interrupted by Ctrl-C marks a running thread
# as stopped (CPython 3.11-3.12).
_RUNNING: dict[int, tuple[Any, threading.Event]] = {}
_RUNNING_LOCK = threading.Lock()
_POLL = 0.25  # seconds between looks at the guard thread (a Ctrl-C lands between them)


def _stop(h: Any, done: threading.Event, *, wait: float = 10.0) -> bool:
    """Cancel a HiGHS solve and wait (bounded) for it to end; True when it did."""
    try:
        h.cancelSolve()
    except Exception:  # pragma: no cover - a HiGHS already torn down
        return True
    return wait_for(done, wait)


_EXITING = threading.Event()  # set by the exit hook: no new solve starts after it


def _stop_all() -> None:
    _EXITING.set()
    with _RUNNING_LOCK:
        running = list(_RUNNING.values())
    for h, done in running:
        _stop(h, done)


# threading's exit hooks run before the interpreter joins its non-daemon threads (a
# Streamlit script thread inside a solve is one); atexit covers interpreters without it.
_register = getattr(threading, "_register_atexit", None)
if _register is not None:
    _register(_stop_all)
atexit.register(_stop_all)


class _running:
    """Context: a HiGHS solve is registered while it runs; leaving it by an exception
    (KeyboardInterrupt, SystemExit, a Streamlit stop) cancels the solve first."""

    def __init__(self, h: Any, done: threading.Event) -> None:
        self.h, self.done = h, done

    def __enter__(self) -> None:
        with _RUNNING_LOCK:
            _RUNNING[id(self.h)] = (self.h, self.done)

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        try:
            if kind is not None and not self.done.is_set():
                _stop(self.h, self.done)
        finally:
            if self.done.is_set():  # one deaf to cancelSolve stays for the exit hook
                with _RUNNING_LOCK:
                    _RUNNING.pop(id(self.h), None)


def wait_for(done: threading.Event, seconds: float) -> bool:
    """Wait up to ``seconds`` (any float, ``inf`` included: one long wait overflows the
    platform's time_t) for ``done``; True when it is set. Waits in short steps so that a
    signal (Ctrl-C) is seen at once."""
    deadline = time.monotonic() + seconds
    while not done.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        done.wait(timeout=min(left, _POLL))
    return True


def run_guarded(h: Any, time_limit: float) -> Any:
    """Run a prepared HiGHS instance with a guard thread that cancels it at
    ``time_limit`` (HiGHS has been seen to overrun its own). Answers its run status,
    or None when it stayed deaf to the cancel (the exit hook stops it later)."""
    if _EXITING.is_set():
        raise SolverError("the solve was cancelled: the program is exiting")
    result: dict[str, Any] = {}
    done = threading.Event()

    def run() -> None:
        try:
            result["status"] = h.run()
        except Exception as exc:
            result["error"] = exc
        finally:
            done.set()

    worker = threading.Thread(target=run, daemon=True)
    with _running(h, done):
        worker.start()
        if not wait_for(done, time_limit) and not _stop(h, done, wait=1.0):
            return None
    if "error" in result:
        raise SolverError(f"HiGHS failed: {result['error']}")
    return result.get("status")


def check_not_exiting() -> None:
    """Refuse to start a solve once the program is exiting."""
    if _EXITING.is_set():
        raise SolverError("the solve was cancelled: the program is exiting")


"""Stand-ins for the solver, run inside the solve runner's worker process (importable
there by name, as the worker server has this folder on its path)."""

from __future__ import annotations

import os
import signal
import time
from typing import Any


def segfault(scenario: Any, **options: Any) -> Any:
    """A solver that crashes as a native library does: a segmentation fault."""
    os.kill(os.getpid(), signal.SIGSEGV)
    time.sleep(60)


def sleep_long(scenario: Any, **options: Any) -> Any:
    """A solver that takes far longer than any test waits."""
    time.sleep(600)


def fails(scenario: Any, **options: Any) -> Any:
    raise ValueError("not a number the solver can hold")


class PreparingSession:
    """A session whose ``prepare`` takes a while unless stopped, then writes a line to
    a file per call, with whether the ``stop`` it was given answered True (a what-if
    waiting); its what-ifs are solved cold. The file is the option ``prepare_log``."""

    def __init__(self, scenario: Any, *, prepare_log: str, **options: Any) -> None:
        self.log = prepare_log
        self.options = options

    def solve_scenario(self, scenario: Any, progress: Any = None) -> Any:
        from selector import solve

        return solve(scenario, **self.options)

    def prepare(self, seconds: float, *, stop: Any = None) -> bool:
        end = time.monotonic() + 5.0
        stopped = False
        while time.monotonic() < end:
            if stop is not None and stop():
                stopped = True
                break
            time.sleep(0.02)
        with open(self.log, "a", encoding="utf-8") as f:
            f.write(f"prepare stopped={stopped}\n")
        return True


def preparing(scenario: Any, **options: Any) -> Any:
    return PreparingSession(scenario, **options)

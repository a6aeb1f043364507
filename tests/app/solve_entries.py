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
    """A session whose ``prepare`` writes a line to a file per call, and whether the
    ``stop`` it was given answered True (a what-if waiting), then takes a while unless
    stopped; its what-ifs are solved cold. The file is named by the environment
    variable SELECTOR_TEST_PREPARE_LOG."""

    def __init__(self, scenario: Any, **options: Any) -> None:
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
        with open(os.environ["SELECTOR_TEST_PREPARE_LOG"], "a", encoding="utf-8") as f:
            f.write(f"prepare stopped={stopped}\n")
        return True


def preparing(scenario: Any, **options: Any) -> Any:
    return PreparingSession(scenario, **options)

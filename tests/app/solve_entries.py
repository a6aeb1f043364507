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

"""One clock for a solve: the caller's time limit is on the whole call, so every stage
asks the same :class:`Deadline` how long it may take."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

__all__ = ["Deadline"]


@dataclass
class Deadline:
    """The time left of a solve's ``limit`` (seconds) counted from its creation.

    ``margin`` is kept back from every stage for the guard thread and for reading the
    result back: ``min(2, 1 + 1 % of the limit)`` seconds.
    """

    limit: float
    t0: float = field(default_factory=time.perf_counter)

    @property
    def margin(self) -> float:
        return min(2.0, 1.0 + 0.01 * self.limit)

    def elapsed(self) -> float:
        """Seconds since the solve began."""
        return time.perf_counter() - self.t0

    def left(self) -> float:
        """Seconds a stage may still take (the margin kept back; may be negative)."""
        return self.limit - self.elapsed() - self.margin

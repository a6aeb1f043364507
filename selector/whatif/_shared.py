"""Helpers shared by the what-if studies (internal to :mod:`selector.whatif`).

Option checks that name the option and what is accepted, :class:`Outcome`, the
picklable summary of one solve that every study's task returns, and the solve a task
calls (:func:`solve_variant`): independent of every other task, or through the
worker's solve session of the study's scenario.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from selector.errors import ScenarioError
from selector.inputs.scenario import Scenario
from selector.portfolio import DEFAULT_SEED, PortfolioResult, solve

__all__ = [
    "Outcome",
    "check_count",
    "check_number",
    "finite_or_none",
    "outcome_of",
    "solve_exact",
    "solve_variant",
    "total_segment_value",
]

#: Solve sessions a worker process keeps (one per study scenario and options; the
#: least recently used goes first).
WORKER_SESSIONS = 4
_sessions: OrderedDict[tuple[str, float, float], Any] = OrderedDict()
_sessions_lock = threading.Lock()


def check_number(value: Any, name: str, *, minimum: float = 0.0, above: bool = False) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < minimum or (above and value == minimum):
        rel = ">" if above else ">="
        raise ScenarioError(f"{name} is {value!r}; accepted: a number {rel} {minimum:g}")
    return float(value)


def check_count(value: Any, name: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ScenarioError(f"{name} is {value!r}; accepted: a whole number >= {minimum}")
    return int(value)


def finite_or_none(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def total_segment_value(scenario: Scenario) -> float:
    return float(scenario.segments["value"].sum())


@dataclass(frozen=True)
class Outcome:
    status: str
    objective: float | None
    bound: float | None
    gap: float | None
    cost: float
    covered_value: float
    covered_share: float | None
    selected: tuple[str, ...]
    seconds: float = field(default=0.0, compare=False)


def outcome_of(result: PortfolioResult, total_value: float) -> Outcome:
    feasible = result.feasible
    covered = result.covered_value if feasible else 0.0
    return Outcome(
        status=result.status,
        objective=finite_or_none(result.objective),
        bound=finite_or_none(result.bound),
        gap=finite_or_none(result.gap),
        cost=float(result.cost) if feasible else 0.0,
        covered_value=float(covered),
        covered_share=covered / total_value if feasible and total_value > 0 else None,
        selected=tuple(result.selected) if feasible else (),
        seconds=float(result.wall_seconds),
    )


def solve_exact(scenario: Scenario, time_limit: float, gap: float) -> PortfolioResult:
    # warm_start=False: solve()'s heuristic start runs until its time budget, so the
    # start (and with it the MIP's path) would depend on machine speed; HiGHS alone
    # with a fixed seed on one thread is reproducible whenever it ends by the gap.
    return solve(
        scenario, time_limit=time_limit, gap=gap, seed=DEFAULT_SEED, threads=1,
        explain=False, warm_start=False,
    )


def solve_variant(
    base: Scenario, variant: Scenario, time_limit: float, gap: float, session: bool
) -> PortfolioResult:
    """A study task's solve of ``variant`` (a variant of the study's scenario ``base``):
    :func:`solve_exact` when ``session`` is False, else through this worker process's
    :class:`~selector.whatif.session.Session` of ``base`` (one thread, no explanations):
    the same proof, from what the worker's earlier variants left (their plans, cuts,
    budget floor and proved answers). Ties between plans of equal value may then be
    settled otherwise than by an independent solve, as the order of the tasks decides."""
    if not session:
        return solve_exact(variant, time_limit, gap)
    from selector.whatif.session import Session

    key = (base.fingerprint, float(time_limit), float(gap))
    with _sessions_lock:
        held = _sessions.get(key)
        if held is None:
            held = Session(base, time_limit=time_limit, gap=gap, seed=DEFAULT_SEED, threads=1,
                           explain=False)
            _sessions[key] = held
        _sessions.move_to_end(key)
        while len(_sessions) > WORKER_SESSIONS:
            _sessions.popitem(last=False)
    result: PortfolioResult = held.solve_scenario(variant)
    return result

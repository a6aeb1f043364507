"""Everything a solve is told, resolved and checked once: the caller's keywords over the
scenario's ``[solve]`` table over the defaults (:func:`resolve_options`)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from selector.errors import ScenarioError
from selector.inputs.scenario import Scenario
from selector.portfolio.solvers import SOLVERS, SolveProgress
from selector.portfolio.warm import Carry

__all__ = [
    "DEFAULT_GAP",
    "DEFAULT_SEED",
    "DEFAULT_TIME_LIMIT",
    "SolveOptions",
    "resolve_options",
]

DEFAULT_TIME_LIMIT = 60.0
DEFAULT_GAP = 1e-4
DEFAULT_SEED = 2027


@dataclass(frozen=True)
class SolveOptions:
    """A solve's options, resolved once (:func:`resolve_options`) from the keywords of
    :func:`selector.portfolio.solve` over the scenario's ``[solve]`` over the defaults.

    Attributes
    ----------
    solver
        ``"highs"`` (default) or ``"cbc"``; defaults to the scenario's ``[solve]``.
    time_limit
        Seconds the solver may run (default: scenario's, else 60).
    gap
        Relative optimality gap at which to stop (default: scenario's, else 1e-4).
    seed
        Solver random seed. The same input and seed give the same portfolio when the
        solve ends by itself (proved optimal within ``gap``), but not when the time
        limit stops it: how far the heuristic start and the solver got by then depends
        on the machine's speed and load (three runs of a loaded machine chose 101, 100
        and 100 partners). For a reproducible result use ``node_limit``.
    scores
        Partner scores (0..1) to use instead of the criteria model's.
    warm_start
        Start the solver from the heuristic portfolio.
    explain
        For infeasible scenarios, search for the rules that conflict (extra solves).
    start
        Partner ids of a known portfolio (e.g. the previous point of a budget frontier);
        used as the solver's starting point when it keeps every rule and beats the
        heuristic's.
    reference
        For a scenario with today's channel: the plan to change least from, as partner
        id -> level (a programme tier or ``"out"``); partners it does not name keep
        today's level. Default: today's channel. Among plans within ``gap`` of the best
        value found, the one with the fewest changes from it is returned (a second
        solve; turn it off with ``[programme] stability = "none"``, which
        ``fewest_changes`` records).
    customize
        A callback ``customize(problem, partners)`` that adds constraints (or changes
        the objective) of the readable PuLP model
        (:func:`selector.portfolio.pulp_model.pulp_model`: ``partners`` maps partner id
        to its variable). The model is then solved through PuLP with ``solver`` (CBC or
        HiGHS) and read back by the solver's own status; no heuristic start, no
        fewest-changes stage, no bound beyond the solver's word.
    node_limit
        Deterministic mode: stop the solver after this many branch-and-bound nodes
        instead of after a time, and run the heuristic start for a fixed number of
        moves; the same input, seed and node limit then give the same portfolio on any
        machine, as long as the time limit (kept as a safety net) is not reached first.
    progress
        Called during the HiGHS solve (about four times a second, and at each better
        portfolio) with a :class:`~selector.portfolio.solvers.SolveProgress`: seconds,
        best objective so far, proven bound and gap, for a caller that shows them live.
    fewest_changes
        The scenario's ``[programme] stability`` (on unless it says ``"none"``): whether
        a plan gets the fewest-changes stage.
    carry
        A session's :class:`~selector.portfolio.warm.Carry`: the last plan starts the
        search (repaired when it breaks a changed rule), the cut loop starts from the
        cuts kept for the same objective, and the answer is kept for the next solve.
        It changes how fast a solve proves, not what it proves.
    """

    solver: str
    time_limit: float
    gap: float
    seed: int = DEFAULT_SEED
    threads: int | None = None
    node_limit: int | None = None
    warm_start: bool = True
    explain: bool = True
    start: tuple[str, ...] | None = None
    reference: Mapping[str, str] | None = None
    scores: Mapping[str, float] | pd.Series | None = None
    customize: Callable[[Any, dict[str, Any]], Any] | None = None
    progress: Callable[[SolveProgress], object] | None = None
    fewest_changes: bool = True
    carry: Carry | None = None

    @property
    def deterministic(self) -> bool:
        """A node limit asks for an answer that does not depend on the machine's speed."""
        return self.node_limit is not None


def resolve_options(
    scenario: Scenario,
    *,
    solver: str | None = None,
    time_limit: float | None = None,
    gap: float | None = None,
    seed: int = DEFAULT_SEED,
    threads: int | None = None,
    node_limit: int | None = None,
    warm_start: bool = True,
    explain: bool = True,
    start: Sequence[str] | None = None,
    reference: Mapping[str, str] | None = None,
    scores: Mapping[str, float] | pd.Series | None = None,
    customize: Callable[[Any, dict[str, Any]], Any] | None = None,
    progress: Callable[[SolveProgress], object] | None = None,
    carry: Carry | None = None,
) -> SolveOptions:
    """The caller's options over the scenario's ``[solve]`` over the defaults, checked.

    Raises
    ------
    ScenarioError
        An unknown solver, a time limit not above 0, a negative gap, or a node limit
        that is not a whole number of at least 1.
    """
    given = dict(scenario.solve_options)
    solver = solver or given.get("solver", "highs")
    if solver not in SOLVERS:
        raise ScenarioError(f"solver {solver!r} is not known; accepted: {', '.join(SOLVERS)}")
    limit = float(time_limit if time_limit is not None else given.get("time_limit", DEFAULT_TIME_LIMIT))
    tolerance = float(gap if gap is not None else given.get("gap", DEFAULT_GAP))
    nodes = node_limit if node_limit is not None else given.get("node_limit")
    if nodes is not None and (isinstance(nodes, bool) or not isinstance(nodes, int) or nodes < 1):
        raise ScenarioError(f"node_limit must be a whole number >= 1 (got {nodes!r})")
    # written as ``not ...`` so that nan is refused too; inf is "no time limit"
    if not limit > 0 or not 0 <= tolerance < math.inf:
        raise ScenarioError(f"time_limit must be > 0 and gap a number >= 0 (got {limit}, {tolerance})")
    programme = scenario.programme
    return SolveOptions(
        solver=str(solver),
        time_limit=limit,
        gap=tolerance,
        seed=seed,
        threads=threads,
        node_limit=nodes,
        warm_start=warm_start,
        explain=explain,
        start=None if start is None else tuple(start),
        reference=reference,
        scores=scores,
        customize=customize,
        progress=progress,
        fewest_changes=programme is None or programme.stability == "fewest_changes",
        carry=carry,
    )

"""What the Portfolio page says about the answer it shows, decided in one place.

The page shows one portfolio for the settings on screen, found one of four ways
(:data:`ORIGINS`): solved exactly just now; shown before for these very settings
(coming back to the page, or a budget put back); carried over from the previous
settings because :func:`selector.whatif.still_best` proved it is still the best for
these; or the quick (greedy) answer. :func:`shown_answer` picks the answer and its
origin from what the session remembers, and :func:`status_note` words the line above
it. An exact answer says the same of itself: the what-if session in the solve worker
answers ``kept`` (a plan proved for looser rules keeps these: no solve) or ``cached``
(these very settings, solved before), which :func:`answer_origin` reads as
:data:`CARRIED` and :data:`EARLIER`, worded by the same :func:`status_note` (and
:func:`solved_label`). None of these touches Streamlit, so every case is a plain
function call in the tests.

>>> from selector import load_scenario, solve
>>> s = load_scenario("scenarios/teaching.toml")
>>> r = solve(s)
>>> result, origin = shown_answer(s, {s.fingerprint: (r, SOLVED)}, None)
>>> origin
'earlier'
>>> "no new solve" in status_note(origin, result, will_solve=False).text
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from selector import PortfolioResult, Scenario
from selector.whatif import still_best

__all__ = [
    "ANSWER_ORIGINS",
    "CARRIED",
    "EARLIER",
    "ORIGINS",
    "QUICK",
    "SOLVED",
    "STATUS_WORDS",
    "StatusNote",
    "answer_origin",
    "shown_answer",
    "solved_label",
    "status_line",
    "status_note",
]

SOLVED = "solved"
EARLIER = "earlier"
CARRIED = "carried"
QUICK = "quick"
ORIGINS = (SOLVED, EARLIER, CARRIED, QUICK)
#: How a what-if session answered (``result.stats["session"]["answer"]``, see
#: :mod:`selector.whatif.session`) as the origin the page words.
ANSWER_ORIGINS = {"kept": CARRIED, "cached": EARLIER, "warm": SOLVED}

STATUS_WORDS = {
    "optimal": "Proven optimal",
    "time_limit": "Best found in the time limit",
    "infeasible": "No portfolio keeps every rule",
    "error": "Solver error",
}

MSG_CARRIED = (
    "These settings only tighten rules a portfolio was proven best for, and that "
    "portfolio still keeps every rule: nothing better exists, so it is kept (no new solve)."
)
MSG_EARLIER = "Solved before for exactly these settings: shown again (no new solve)."
MSG_EARLIER_NONE = (
    "Solved before for exactly these settings: no portfolio keeps every rule (no new solve)."
)
MSG_QUICK = "Quick answer shown. Press **Solve exactly** to prove how close it is to the best."
MSG_QUICK_NONE = (
    "The quick answer found no portfolio keeping every rule. Press **Solve exactly** to "
    "know for sure and to see which limits are in the way."
)


@dataclass(frozen=True)
class StatusNote:
    """The line above the answer: ``kind`` is ``"info"`` or ``"warning"``."""

    kind: str
    text: str
    icon: str


def status_line(r: PortfolioResult) -> str:
    """The answer's status in words: "Proven optimal", "Quick answer ...", ..."""
    if r.solver == "greedy":
        if r.feasible:
            return "Quick answer (greedy heuristic): good, not yet proven"
        return (
            "The quick answer found no portfolio keeping every rule; solve exactly to know for sure"
        )
    words = STATUS_WORDS.get(r.status, r.status)
    if r.status == "time_limit" and r.gap is not None and math.isfinite(r.gap):
        words += f", within {r.gap:.2%} of the best possible"
    return words


def answer_origin(r: PortfolioResult) -> str:
    """How an exact answer was found, as one of :data:`ORIGINS`: :data:`CARRIED` when
    the what-if session kept a plan proved for looser rules, :data:`EARLIER` when it
    had answered these very settings, else :data:`SOLVED`."""
    how = (r.stats.get("session") or {}).get("answer")
    return ANSWER_ORIGINS.get(str(how), SOLVED)


def solved_label(r: PortfolioResult) -> str:
    """The label of the exact solve's box once it has answered: its status and time,
    and how the answer was found when no new solve was needed (the words of
    :func:`status_note`)."""
    label = f"Exact solve: {status_line(r)} ({r.wall_seconds:.1f} s)"
    origin = answer_origin(r)
    note = None if origin == SOLVED else status_note(origin, r, will_solve=False)
    return label if note is None else f"{label}. {note.text}"


def shown_answer(
    s: Scenario,
    remembered: Mapping[str, tuple[PortfolioResult, str]],
    previous: tuple[Scenario, PortfolioResult] | None,
) -> tuple[PortfolioResult | None, str]:
    """The answer to show first for ``s`` and its origin (one of :data:`ORIGINS`).

    ``remembered`` maps a settings fingerprint to the answer shown for it and how it
    was found; ``previous`` is the scenario and answer shown last. An exact answer
    shown before for these very settings comes back as :data:`EARLIER`; else the
    previous answer when :func:`~selector.whatif.still_best` proves it still the best
    (:data:`CARRIED`, never an infeasible one); else ``(None, QUICK)``: the page shows
    the quick answer (and solves when asked).
    """
    seen = remembered.get(s.fingerprint)
    if seen is not None and seen[0].solver != "greedy":
        return seen[0], EARLIER
    if previous is not None and previous[0].fingerprint != s.fingerprint:
        kept = still_best(previous[0], previous[1], s)
        if kept is not None and kept.solver != "greedy" and kept.feasible:
            return kept, CARRIED
    return None, QUICK


def status_note(origin: str, result: PortfolioResult, *, will_solve: bool) -> StatusNote | None:
    """The line above the answer, or None when an exact solve runs (its progress and
    outcome are the line then).

    It says "kept (no new solve)" only for a carried answer, which
    :func:`shown_answer` gives only when it keeps every rule of these settings.
    """
    if origin == SOLVED or (origin == QUICK and will_solve):
        return None
    if origin == CARRIED and result.feasible:
        return StatusNote("info", MSG_CARRIED, ":material/push_pin:")
    if origin in (CARRIED, EARLIER):
        if result.feasible:
            return StatusNote("info", MSG_EARLIER, ":material/history:")
        return StatusNote("warning", MSG_EARLIER_NONE, ":material/history:")
    if result.feasible:
        return StatusNote("info", MSG_QUICK, ":material/info:")
    return StatusNote("warning", MSG_QUICK_NONE, ":material/info:")

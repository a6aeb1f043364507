"""The Portfolio page's status line, decided by plain functions (selector/app/status.py).

The cases are the ones where the page used to contradict itself: "kept (no new solve)"
beside "No portfolio keeps every rule", after a looser budget was put back, and on
coming back to the page.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from selector import PortfolioResult, Scenario, heuristic_solve, load_scenario, solve
from selector.app.status import (
    CARRIED,
    EARLIER,
    QUICK,
    SOLVED,
    shown_answer,
    status_line,
    status_note,
)

ROOT = Path(__file__).resolve().parents[2]
KEPT = "kept (no new solve)"


@pytest.fixture(scope="module")
def teaching() -> Scenario:
    return load_scenario(ROOT / "scenarios" / "teaching.toml")


@pytest.fixture(scope="module")
def proven(teaching: Scenario) -> PortfolioResult:
    r = solve(teaching, time_limit=20)
    assert r.status == "optimal"
    return r


def test_a_tighter_budget_the_portfolio_still_fits_keeps_it(teaching, proven) -> None:
    tighter = teaching.with_changes({"budget": {"total": proven.cost}})
    result, origin = shown_answer(tighter, {teaching.fingerprint: (proven, SOLVED)}, (teaching, proven))
    assert origin == CARRIED and result is not None
    note = status_note(origin, result, will_solve=False)
    assert note is not None and KEPT in note.text and note.kind == "info"


def test_the_looser_budget_put_back_is_the_answer_solved_for_it(teaching, proven) -> None:
    tighter = teaching.with_changes({"budget": {"total": proven.cost}})
    carried = shown_answer(tighter, {teaching.fingerprint: (proven, SOLVED)}, (teaching, proven))
    assert carried[1] == CARRIED and carried[0] is not None
    remembered = {teaching.fingerprint: (proven, SOLVED), tighter.fingerprint: (carried[0], CARRIED)}
    result, origin = shown_answer(teaching, remembered, (tighter, carried[0]))
    assert origin == EARLIER and result is proven
    note = status_note(origin, result, will_solve=False)
    assert note is not None
    assert KEPT not in note.text and "previous" not in note.text and "tighten" not in note.text
    assert "exactly these settings" in note.text


def test_coming_back_to_the_page_shows_the_answer_again_in_words_that_hold(
    teaching, proven
) -> None:
    remembered = {teaching.fingerprint: (proven, SOLVED)}
    result, origin = shown_answer(teaching, remembered, (teaching, proven))
    assert (result, origin) == (proven, EARLIER)
    note = status_note(origin, proven, will_solve=True)  # the toggle is on: still no solve
    assert note is not None and KEPT not in note.text and "no new solve" in note.text


def test_an_infeasible_answer_is_never_said_to_keep_every_rule(teaching) -> None:
    cut = teaching.with_changes({"budget": {"total": 50_000}})
    none = solve(cut, time_limit=20)
    assert not none.feasible
    # Coming back to infeasible settings.
    result, origin = shown_answer(cut, {cut.fingerprint: (none, SOLVED)}, (cut, none))
    assert (result, origin) == (none, EARLIER)
    note = status_note(origin, none, will_solve=False)
    assert note is not None and note.kind == "warning"
    assert "keeps every rule" not in note.text.replace("no portfolio keeps every rule", "")
    assert KEPT not in note.text
    assert status_line(none) == "No portfolio keeps every rule"
    # Tightening further from an infeasible answer carries nothing over.
    tighter = cut.with_changes({"budget": {"total": 40_000}})
    assert shown_answer(tighter, {cut.fingerprint: (none, SOLVED)}, (cut, none)) == (None, QUICK)
    # Even if asked to word a "carried" infeasible answer, it does not say kept.
    carried_note = status_note(CARRIED, none, will_solve=False)
    assert carried_note is not None and KEPT not in carried_note.text


def test_a_budget_the_portfolio_no_longer_fits_gets_the_quick_answer(teaching, proven) -> None:
    cut = teaching.with_changes({"budget": {"total": proven.cost - 1}})
    assert shown_answer(cut, {teaching.fingerprint: (proven, SOLVED)}, (teaching, proven)) == (
        None,
        QUICK,
    )


def test_quick_answers(teaching) -> None:
    quick = heuristic_solve(teaching)
    # A quick answer remembered for these settings is not an exact one: solve or offer it.
    assert shown_answer(teaching, {teaching.fingerprint: (quick, QUICK)}, (teaching, quick)) == (
        None,
        QUICK,
    )
    note = status_note(QUICK, quick, will_solve=False)
    assert note is not None and "Solve exactly" in note.text
    assert status_note(QUICK, quick, will_solve=True) is None  # the solve's progress says it
    assert status_note(SOLVED, quick, will_solve=False) is None
    none = heuristic_solve(teaching.with_changes({"budget": {"total": 10_000}}))
    assert not none.feasible
    words = status_note(QUICK, none, will_solve=False)
    assert words is not None and words.kind == "warning" and "found no portfolio" in words.text

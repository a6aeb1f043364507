"""The Excel questionnaire: written per parent node with drop-downs, read back, and
every unreadable answer reported with its sheet, row and column."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from selector import load_model
from selector.store.questionnaire import (
    VERBAL,
    QuestionnaireError,
    questionnaire_bytes,
    read_questionnaire,
    verbal,
)

REPO = Path(__file__).resolve().parents[2]
MODEL = load_model(REPO / "models" / "partner-selection.toml")


def workbook(**kw):
    return load_workbook(io.BytesIO(questionnaire_bytes(MODEL, **kw)))


def save(wb) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_a_sheet_per_parent_with_every_pair_and_drop_downs() -> None:
    wb = workbook(participant="ana", round_id=3)
    parents = [p for p in MODEL.parents if len(MODEL.children(p)) > 1]
    assert wb.sheetnames[0] == "About" and len(wb.sheetnames) == 1 + len(parents)
    assert wb["About"]["B3"].value == "ana" and wb["About"]["B4"].value == "3"
    goal = wb["Goal"]
    assert goal["B2"].value == "goal"
    n = len(MODEL.children("goal"))
    rows = list(goal.iter_rows(min_row=5, values_only=True))
    assert len(rows) == n * (n - 1) // 2
    first = rows[0]
    a, b = MODEL.children("goal")[:2]
    assert first[:2] == (MODEL.node(a).label, MODEL.node(b).label)
    assert first[4:6] == (a, b)
    lists = sorted(dv.formula1 for dv in goal.data_validations.dataValidation)
    assert '"A,B,equal"' in lists
    assert any("very strongly" in f for f in lists)


def test_filled_in_questionnaire_reads_back() -> None:
    wb = workbook()
    wb["About"]["B3"] = "bo"
    goal = wb["Goal"]
    goal["C5"], goal["D5"] = "A", "strongly"
    goal["C6"], goal["D6"] = "B", "very strongly"
    goal["C7"] = "equal"
    goal["C8"], goal["D8"] = "a", 4  # a number is accepted too
    q = read_questionnaire(save(wb), MODEL)
    assert q.participant == "bo" and q.round_id is None
    got = {(p, a, b): v for p, a, b, v in q.pairs}
    rows = list(goal.iter_rows(min_row=5, max_row=8, values_only=True))
    keys = [("goal", r[4], r[5]) for r in rows]
    assert got == {keys[0]: 5.0, keys[1]: pytest.approx(1 / 7), keys[2]: 1.0, keys[3]: 4.0}


def test_prefill_round_trips_on_the_scale() -> None:
    given = {(j.parent, a, b): v for j in MODEL.judgments for a, b, v in j.pairs}
    q = read_questionnaire(questionnaire_bytes(MODEL, participant="cy", prefill=given), MODEL)
    assert q.pairs
    for parent, a, b, v in q.pairs:
        want = given.get((parent, a, b)) or 1 / given[(parent, b, a)]
        assert verbal(v) == verbal(want)
    assert verbal(1 / 3) == ("B", "moderately") and verbal(6.2) == ("A", VERBAL[6])


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda wb: (wb["Goal"].__setitem__("C5", "A"), wb["Goal"].__setitem__("D5", "very strongy")),
         "sheet 'Goal', row 5, column D (How much more): 'very strongy' is not on the scale"),
        (lambda wb: wb["Goal"].__setitem__("C6", "both"),
         "sheet 'Goal', row 6, column C (More important (A, B or equal)): 'both'"),
        (lambda wb: (wb["Goal"].__setitem__("C7", "B"), wb["Goal"].__setitem__("D7", None)),
         "sheet 'Goal', row 7, column D (How much more): empty"),
        (lambda wb: (wb["Goal"].__setitem__("C5", "equal"), wb["Goal"].__setitem__("D5", "strongly")),
         "sheet 'Goal', row 5, column D (How much more): 'strongly' contradicts 'equal'"),
        (lambda wb: wb["Goal"].__setitem__("E5", "nonsense"),
         "sheet 'Goal', row 5, column E (A id): 'nonsense' is not a sub-criterion of 'goal'"),
        (lambda wb: wb["Goal"].__setitem__("B2", "nowhere"),
         "sheet 'Goal', row 2, column B: node id 'nowhere'"),
        (lambda wb: wb["About"].__setitem__("B3", None),
         "sheet 'About', row 3, column B: no participant name"),
    ],
)
def test_errors_name_sheet_row_and_column(edit, message: str) -> None:
    given = {(j.parent, a, b): v for j in MODEL.judgments for a, b, v in j.pairs}
    wb = load_workbook(io.BytesIO(questionnaire_bytes(MODEL, participant="dee", prefill=given)))
    edit(wb)
    with pytest.raises(QuestionnaireError) as info:
        read_questionnaire(save(wb), MODEL)
    assert message in str(info.value)


def test_not_a_workbook_and_an_empty_one() -> None:
    with pytest.raises(QuestionnaireError, match="not a questionnaire workbook"):
        read_questionnaire(b"not excel", MODEL)
    with pytest.raises(QuestionnaireError, match="no answers"):
        read_questionnaire(questionnaire_bytes(MODEL, participant="ed"), MODEL)


@pytest.mark.parametrize(
    ("sheet", "cell", "message"),
    [("Goal", "D5", "sheet 'Goal', row 5, column D (How much more): '²' is not on the scale"),
     ("About", "B4", "sheet 'About', row 4, column B: round '²' is not a round number")],
)
def test_a_digit_that_is_not_0_to_9_is_an_error_not_a_crash(sheet: str, cell: str, message: str) -> None:
    wb = workbook(participant="fay")
    wb["Goal"]["C5"], wb["Goal"]["D5"] = "A", "strongly"
    wb[sheet][cell] = "²"
    with pytest.raises(QuestionnaireError) as info:
        read_questionnaire(save(wb), MODEL)
    assert message in str(info.value)


def test_a_pair_answered_on_two_sheets_is_refused() -> None:
    """A copy of the Goal sheet answering the same pairs the other way round: the second
    answer is refused, naming both places."""
    wb = workbook(participant="gil")
    goal = wb["Goal"]
    goal["C5"], goal["D5"] = "A", "strongly"
    copy = wb.copy_worksheet(goal)
    copy.title = "Goal again"
    copy["E5"], copy["F5"] = goal["F5"].value, goal["E5"].value
    copy["C5"], copy["D5"] = "A", "moderately"
    with pytest.raises(QuestionnaireError) as info:
        read_questionnaire(save(wb), MODEL)
    a, b = goal["E5"].value, goal["F5"].value
    assert (f"sheet 'Goal again', row 5, column E (A id): the pair {b} / {a} (under goal) is "
            "asked again; it is already at sheet 'Goal', row 5") in str(info.value)


@pytest.mark.parametrize("row", [6000, 1_048_576])
def test_a_sheet_reaching_far_down_is_refused_without_reading_every_row(row: int) -> None:
    """A 12 kB workbook with a cell at Z1048576 on every sheet once took minutes and
    gigabytes (every row up to max_row was built); now the rows the file holds are
    streamed and a sheet holding one below MAX_ROWS is refused."""
    from selector.store.questionnaire import MAX_ROWS

    wb = workbook(participant="hal")
    wb["Goal"]["C5"], wb["Goal"]["D5"] = "A", "strongly"
    for ws in wb.worksheets:
        ws[f"Z{row}"] = "x"
    data = save(wb)
    assert len(data) < 20_000
    with pytest.raises(QuestionnaireError) as info:
        read_questionnaire(data, MODEL)
    assert f"has cells below row {MAX_ROWS:,}" in str(info.value)

"""The Excel questionnaire of a judgment round: one sheet per parent node, a row per pair.

:func:`questionnaire_bytes` writes a workbook a participant can fill in offline: an
"About" sheet (who fills it in, the model and the round) and, for every criterion with
sub-criteria, a sheet whose rows name both sub-criteria and ask which matters more
(``A``, ``B`` or ``equal``) and how much, on the verbal 1-9 scale (drop-down lists):

====  ==========================
1     equal
3     moderately
5     strongly
7     very strongly
9     extremely
====  ==========================

with the in-betweens (2 "equal to moderately", 4, 6, 8). :func:`read_questionnaire`
reads a filled-in workbook back into ``(parent, a, b, value)`` judgments; anything it
cannot read raises :class:`QuestionnaireError` naming the sheet, row and column.

Reading is bounded by what the file holds, not by what it claims: the workbook is
streamed (read-only), only columns A-F are read, and a workbook over
:data:`MAX_UNPACKED` bytes unpacked, with more than :data:`MAX_SHEETS` sheets, or with
a cell in any row below :data:`MAX_ROWS` is refused (a cell at Z1048576 once made the
reader build a million rows).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

from selector.inputs.criteria import ROOT, CriteriaModel
from selector.store.engine import StoreError

__all__ = [
    "MAX_ROWS",
    "MAX_SHEETS",
    "MAX_UNPACKED",
    "VERBAL",
    "Questionnaire",
    "QuestionnaireError",
    "questionnaire_bytes",
    "read_questionnaire",
    "verbal",
]

VERBAL: dict[int, str] = {
    1: "equal",
    2: "equal to moderately",
    3: "moderately",
    4: "moderately to strongly",
    5: "strongly",
    6: "strongly to very strongly",
    7: "very strongly",
    8: "very strongly to extremely",
    9: "extremely",
}
_BY_WORD = {v: k for k, v in VERBAL.items()}
CHOICES = ("A", "B", "equal")
HEADER_ROW = 4
FIRST_ROW = 5
COLUMNS = {
    "A": "Criterion A",
    "B": "Criterion B",
    "C": "More important (A, B or equal)",
    "D": "How much more",
    "E": "A id",
    "F": "B id",
}
_ABOUT = "About"
#: The last row of a sheet that is read: far below the pairs of any model (a criterion
#: with 60 sub-criteria asks 1,770 pairs).
MAX_ROWS = 5000
#: The most sheets a questionnaire may have (one per criterion with sub-criteria).
MAX_SHEETS = 500
#: The most bytes a questionnaire may unpack to (a filled-in one is well under 1 MB).
MAX_UNPACKED = 32 * 1024 * 1024


class QuestionnaireError(StoreError):
    """A filled-in questionnaire cannot be read; the message names sheet, row and column."""


@dataclass(frozen=True)
class Questionnaire:
    """What a filled-in questionnaire says."""

    participant: str
    model: str
    round_id: int | None
    pairs: tuple[tuple[str, str, str, float], ...]


def verbal(value: float) -> tuple[str, str]:
    """``(choice, words)`` for a judgment "a is ``value`` times as important as b",
    snapped to the nearest whole step of the scale."""
    if abs(value - 1) < 1e-9:
        return "equal", VERBAL[1]
    choice = "A" if value > 1 else "B"
    step = min(9, max(1, round(value if value > 1 else 1 / value)))
    return ("equal", VERBAL[1]) if step == 1 else (choice, VERBAL[step])


def _text(cell: Any, value: str) -> None:
    cell.value = value
    if value[:1] in ("=", "+", "-", "@"):
        cell.data_type = "s"  # shown as text, never run as a formula


def _label(model: CriteriaModel, node: str) -> str:
    return "Goal" if node == ROOT else model.node(node).label


def _sheet_title(label: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\']", " ", label).strip()[:31] or "Sheet"
    title, k = base, 2
    while title.lower() in used:
        suffix = f" ({k})"
        title, k = base[: 31 - len(suffix)] + suffix, k + 1
    used.add(title.lower())
    return title


def questionnaire_bytes(
    model: CriteriaModel,
    *,
    participant: str = "",
    round_id: int | None = None,
    title: str = "",
    prefill: Mapping[tuple[str, str, str], float] | None = None,
) -> bytes:
    """The questionnaire workbook (``.xlsx`` bytes) for ``model``.

    ``prefill`` maps ``(parent, a, b)`` to a judgment to show as the starting answer
    (snapped to the scale's whole steps).
    """
    wb = Workbook()
    about = wb.active
    assert about is not None
    about.title = _ABOUT
    bold = Font(bold=True)
    rows: list[tuple[str, str]] = [
        ("Questionnaire", title or f"Pairwise judgments: {model.name}"),
        ("Model", model.name),
        ("Participant", participant),
        ("Round", "" if round_id is None else str(round_id)),
        ("How to answer", "On each sheet, say for every pair which criterion matters more "
         "(A, B or equal) and how much more, from the drop-down lists. Leave a row empty "
         "to skip that pair. Type your name next to Participant."),
        ("Scale", "; ".join(f"{k} {w}" for k, w in VERBAL.items())),
    ]
    for r, (key, value) in enumerate(rows, start=1):
        about.cell(r, 1, key).font = bold
        _text(about.cell(r, 2), value)
    about.column_dimensions["A"].width = 16
    about.column_dimensions["B"].width = 100
    about.cell(5, 2).alignment = Alignment(wrap_text=True)

    given = dict(prefill or {})
    used = {_ABOUT.lower()}
    fill = PatternFill("solid", fgColor="FFF2CC")
    for parent in model.parents:
        children = model.children(parent)
        if len(children) < 2:
            continue
        ws = wb.create_sheet(_sheet_title(_label(model, parent), used))
        ws.cell(1, 1, "Which matters more for").font = bold
        _text(ws.cell(1, 2), _label(model, parent))
        ws.cell(2, 1, "Node id").font = bold
        _text(ws.cell(2, 2), parent)
        for col, header in COLUMNS.items():
            ws[f"{col}{HEADER_ROW}"] = header
            ws[f"{col}{HEADER_ROW}"].font = bold
        choice_dv = DataValidation(type="list", formula1='"' + ",".join(CHOICES) + '"',
                                   allow_blank=True, showErrorMessage=True)
        words_dv = DataValidation(type="list", formula1='"' + ",".join(VERBAL.values()) + '"',
                                  allow_blank=True, showErrorMessage=True)
        choice_dv.error = "Choose A, B or equal"
        words_dv.error = "Choose a step of the scale, from equal to extremely"
        ws.add_data_validation(choice_dv)
        ws.add_data_validation(words_dv)
        row = FIRST_ROW
        for i, a in enumerate(children):
            for b in children[i + 1:]:
                _text(ws.cell(row, 1), model.node(a).label)
                _text(ws.cell(row, 2), model.node(b).label)
                judged = given.get((parent, a, b))
                if judged is None and (parent, b, a) in given:
                    judged = 1.0 / given[(parent, b, a)]
                if judged is not None:
                    choice, words = verbal(judged)
                    ws.cell(row, 3, choice)
                    ws.cell(row, 4, words)
                ws.cell(row, 3).fill = fill
                ws.cell(row, 4).fill = fill
                _text(ws.cell(row, 5), a)
                _text(ws.cell(row, 6), b)
                choice_dv.add(f"C{row}")
                words_dv.add(f"D{row}")
                row += 1
        for col, width in zip("ABCDEF", (34, 34, 30, 28, 18, 18), strict=True):
            ws.column_dimensions[col].width = width
        ws.freeze_panes = f"A{FIRST_ROW}"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _where(sheet: str, row: int, col: str) -> str:
    header = COLUMNS.get(col) if row >= FIRST_ROW and sheet != _ABOUT else None
    return f"sheet '{sheet}', row {row}, column {col}" + (f" ({header})" if header else "")


def _cell_text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _intensity(raw: Any, where: str) -> int:
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        if float(raw).is_integer() and 1 <= raw <= 9:
            return int(raw)
    else:
        text = _cell_text(raw).lower()
        if text in _BY_WORD:
            return _BY_WORD[text]
        if text in {str(k) for k in VERBAL}:  # not str.isdigit: it takes '²' too
            return int(text)
    raise QuestionnaireError(
        f"{where}: {raw!r} is not on the scale; accepted: "
        f"{', '.join(VERBAL.values())} (or a whole number 1-9)"
    )


def _rows(ws: Any) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """``(row number, values of columns A-F)`` of every row up to the last the sheet
    holds; refuses a sheet holding a row below :data:`MAX_ROWS`, as soon as it is seen
    (the streamed sheet yields the empty rows in between only up to there)."""
    for number, values in enumerate(ws.iter_rows(max_col=len(COLUMNS), values_only=True), 1):
        if number > MAX_ROWS:
            raise QuestionnaireError(
                f"sheet '{ws.title}' has cells below row {MAX_ROWS:,} (a questionnaire "
                "sheet has one row per pair); delete the rows below the questions"
            )
        yield number, tuple(values) + (None,) * (len(COLUMNS) - len(values))


def _read_sheet(
    ws: Any, model: CriteriaModel, answered: dict[tuple[str, frozenset[str]], str],
) -> list[tuple[str, str, str, float]]:
    """The sheet's judgments; ``answered`` maps each pair (with its parent) already read,
    on this sheet or an earlier one, to where it was."""
    sheet = ws.title
    rows = list(_rows(ws))
    parent = next((_cell_text(v[1]) for r, v in rows if r == 2), "")
    if parent not in model.parents or len(model.children(parent)) < 2:
        raise QuestionnaireError(
            f"{_where(sheet, 2, 'B')}: node id {parent!r} is not a criterion with "
            f"sub-criteria in model '{model.name}' (accepted: "
            f"{', '.join(p for p in model.parents if len(model.children(p)) > 1)})"
        )
    children = model.children(parent)
    out: list[tuple[str, str, str, float]] = []
    for row, values in rows:
        if row < FIRST_ROW:
            continue
        a, b = _cell_text(values[4]), _cell_text(values[5])
        choice = _cell_text(values[2])
        amount = values[3]
        if not a and not b:
            if choice or _cell_text(amount):
                raise QuestionnaireError(
                    f"{_where(sheet, row, 'E')}: an answer on a row that names no pair; "
                    "keep the A id and B id columns as the questionnaire wrote them"
                )
            continue
        for col, item in (("E", a), ("F", b)):
            if item not in children:
                raise QuestionnaireError(
                    f"{_where(sheet, row, col)}: {item!r} is not a sub-criterion of "
                    f"{parent!r} (accepted: {', '.join(children)})"
                )
        if a == b:
            raise QuestionnaireError(f"{_where(sheet, row, 'E')}: {a} / {b} is one criterion")
        key = (parent, frozenset((a, b)))
        if key in answered:
            raise QuestionnaireError(
                f"{_where(sheet, row, 'E')}: the pair {a} / {b} (under {parent}) is asked "
                f"again; it is already at {answered[key]} (keep one)"
            )
        answered[key] = f"sheet '{sheet}', row {row}"
        if not choice and not _cell_text(amount):
            continue  # skipped pair
        lowered = choice.lower()
        if lowered == "equal" or (not choice and _cell_text(amount).lower() == "equal"):
            if _cell_text(amount) and _intensity(amount, _where(sheet, row, "D")) != 1:
                raise QuestionnaireError(
                    f"{_where(sheet, row, 'D')}: {amount!r} contradicts 'equal' in column C; "
                    "clear it or choose A or B"
                )
            out.append((parent, a, b, 1.0))
            continue
        if lowered not in ("a", "b"):
            raise QuestionnaireError(
                f"{_where(sheet, row, 'C')}: {choice!r}; accepted: A, B or equal"
                + (" (say which criterion matters more)" if not choice else "")
            )
        if not _cell_text(amount):
            raise QuestionnaireError(
                f"{_where(sheet, row, 'D')}: empty; say how much more {choice} matters "
                f"({', '.join(VERBAL.values())})"
            )
        step = _intensity(amount, _where(sheet, row, "D"))
        out.append((parent, a, b, float(step) if lowered == "a" else 1.0 / step))
    return out


def read_questionnaire(
    source: bytes | str | Path, model: CriteriaModel, *, participant: str | None = None
) -> Questionnaire:
    """Read a filled-in questionnaire; ``participant`` is whose it is when the file names
    nobody (whoever imports it), else the file's name stands (and the workspace lets only
    that person record it)."""
    try:
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            unpacked = sum(max(0, info.file_size) for info in zf.infolist())
        if unpacked > MAX_UNPACKED:
            raise QuestionnaireError(
                f"the workbook unpacks to {unpacked / 2**20:,.0f} MB; a questionnaire is "
                f"accepted up to {MAX_UNPACKED // 2**20} MB"
            )
        wb = load_workbook(io.BytesIO(data), data_only=True, read_only=True)
    except (OSError, InvalidFileException, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise QuestionnaireError(f"not a questionnaire workbook (.xlsx): {exc}") from None
    try:
        return _read_workbook(wb, model, participant)
    finally:
        wb.close()


def _read_workbook(wb: Any, model: CriteriaModel, participant: str | None) -> Questionnaire:
    if len(wb.sheetnames) > MAX_SHEETS:
        raise QuestionnaireError(
            f"the workbook has {len(wb.sheetnames):,} sheets; a questionnaire has one per "
            f"criterion with sub-criteria (accepted: at most {MAX_SHEETS})"
        )
    name: str | None = None
    round_id: int | None = None
    model_name = model.name
    if _ABOUT in wb.sheetnames:
        about = {r: v for r, v in _rows(wb[_ABOUT]) if r <= 6}
        empty: tuple[Any, ...] = (None,) * len(COLUMNS)
        name = _cell_text(about.get(3, empty)[1])
        model_name = _cell_text(about.get(2, empty)[1]) or model.name
        raw_round = _cell_text(about.get(4, empty)[1])
        if raw_round:
            if not (raw_round.isascii() and raw_round.isdigit()) or len(raw_round) > 18:
                raise QuestionnaireError(
                    f"{_where(_ABOUT, 4, 'B')}: round {raw_round!r} is not a round number"
                )
            round_id = int(raw_round)
    name = name or participant
    if not name:
        raise QuestionnaireError(
            f"{_where(_ABOUT, 3, 'B')}: no participant name; type your name next to Participant"
        )
    pairs: list[tuple[str, str, str, float]] = []
    answered: dict[tuple[str, frozenset[str]], str] = {}
    for ws in wb.worksheets:
        if ws.title == _ABOUT:
            continue
        pairs.extend(_read_sheet(ws, model, answered))
    if not pairs:
        raise QuestionnaireError("the questionnaire has no answers: every row is empty")
    return Questionnaire(participant=name, model=model_name, round_id=round_id,
                         pairs=tuple(pairs))

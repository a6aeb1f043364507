"""Reading partner and segment tables (CSV or XLSX) with errors a user can act on.

Cells are read as text and converted here, so a typo is reported with its file,
spreadsheet row (the header is row 1, the first data row is row 2) and column,
instead of silently turning into NaN or a wrong type.
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from selector.errors import ScenarioError
from selector.inputs.files import check_file

__all__ = [
    "MAX_AMOUNT",
    "MAX_COUNT",
    "MAX_NUMBER",
    "TABLE_SUFFIXES",
    "parse_bool_column",
    "parse_list_cell",
    "parse_number_column",
    "read_table",
    "require_columns",
    "sheet_row",
    "unique_ids",
]

TABLE_SUFFIXES = (".csv", ".xlsx")
# Bounds on every number read: larger amounts (a cost of 1e15) overflow the objective or
# fall outside what the solvers take as finite (HiGHS: 1e20) and have crashed HiGHS;
# a trillion is far beyond any channel, a billion beyond any count of partners.
MAX_AMOUNT = 1e12
MAX_COUNT = 10**9
MAX_NUMBER = 1e15
TRUE_WORDS = frozenset({"true", "yes", "y", "1"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", ""})


# A workbook is a zip of XML: a few MB on disk can hold a gigabyte of sheet XML that
# takes openpyxl many minutes to read. Excel's own row limit at ~10 columns is ~100 MB.
MAX_XLSX_UNCOMPRESSED = 128 * 1024 * 1024


def _check_workbook_size(path: Path, name: str) -> int:
    """Refuse a workbook whose parts unpack to more than :data:`MAX_XLSX_UNCOMPRESSED`
    (read from the zip directory, before anything is unpacked)."""
    try:
        with zipfile.ZipFile(path) as zf:
            total = sum(max(0, info.file_size) for info in zf.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return 0  # not a workbook: read_excel says so below
    if total > MAX_XLSX_UNCOMPRESSED:
        raise ScenarioError(
            f"the workbook unpacks to {total / 2**20:,.0f} MB of sheet data, more than the "
            f"{MAX_XLSX_UNCOMPRESSED // 2**20} MB accepted; save the sheet as CSV instead",
            file=name,
        )
    return total


# Workbooks up to this size (unpacked) are also read cell by cell for formulas without
# a saved value and merged cells, which pandas reports as empty cells.
MAX_XLSX_CHECKED = 32 * 1024 * 1024


def _split_sheet(path: Path) -> tuple[Path, str | None]:
    """``book.xlsx#Partners`` names the sheet ``Partners`` of ``book.xlsx``."""
    head, sep, sheet = str(path).rpartition("#")
    if sep and head.lower().endswith(".xlsx") and sheet:
        return Path(head), sheet
    return path, None


def _pick_sheet(path: Path, sheet: str | None, name: str) -> str | int:
    """The sheet to read: the one named, else the first; an empty first sheet while
    another has data is an error naming that sheet."""
    try:
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # not a workbook: read_excel says so
        return sheet if sheet is not None else 0
    try:
        names = list(wb.sheetnames)
        if sheet is not None:
            if sheet not in names:
                raise ScenarioError(
                    f"the workbook has no sheet '{sheet}'; its sheets: {', '.join(names)}",
                    file=name,
                )
            return sheet
        first = wb[names[0]]
        if len(names) > 1 and first.max_row in (None, 1) and first.max_column in (None, 1) and (
            first.cell(1, 1).value is None
        ):
            full = [n for n in names[1:] if wb[n].max_row and wb[n].max_row > 1]
            if full:
                raise ScenarioError(
                    f"the first sheet '{names[0]}' is empty and the data is on sheet "
                    f"'{full[0]}'; name the sheet as '{path.name}#{full[0]}' in the scenario, "
                    "or move the data to the first sheet",
                    file=name,
                )
        return 0
    finally:
        wb.close()


def _check_sheet_cells(path: Path, sheet: str | int, name: str) -> None:
    """Name the cells pandas would read as empty for a reason a user cannot see: a
    formula without a saved value (a file written by a program that does not
    calculate), and merged cells (only the first holds the value)."""
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    try:
        formulas = load_workbook(path, data_only=False)
        values = load_workbook(path, data_only=True, read_only=True)
    except Exception:  # read_excel read it; leave the rest to the usual checks
        return
    try:
        ws = formulas[sheet] if isinstance(sheet, str) else formulas.worksheets[sheet]
        wv = values[ws.title]
        header = [c.value for c in next(ws.iter_rows(min_row=1, max_row=1), ())]
        for merged in ws.merged_cells.ranges:
            col = header[merged.min_col - 1] if merged.min_col - 1 < len(header) else None
            raise ScenarioError(
                f"cells {merged.coord} are merged: only the first holds the value and the "
                "others read as empty; unmerge them and fill in every cell",
                file=name,
                row=merged.min_row,
                column=None if col is None else str(col),
            )
        cached = {
            (r, c): v
            for r, row in enumerate(wv.iter_rows(values_only=True), start=1)
            for c, v in enumerate(row, start=1)
            if v is not None
        }
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f" and (cell.row, cell.column) not in cached:
                    col = header[cell.column - 1] if cell.column - 1 < len(header) else None
                    raise ScenarioError(
                        f"cell {get_column_letter(cell.column)}{cell.row} holds the formula "
                        f"{str(cell.value)[:40]} with no saved value (the file was written by a "
                        "program that does not calculate formulas); open and save it in a "
                        "spreadsheet program, or enter the value",
                        file=name,
                        row=cell.row,
                        column=None if col is None else str(col),
                    )
    finally:
        values.close()


# Encodings tried when a CSV is not UTF-8: Excel saves "CSV" in the system's code page
# (GBK in China, cp1252 in Western Europe) and "Unicode text" as UTF-16.
FALLBACK_ENCODINGS = ("gb18030", "utf-16", "cp1252")
_DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "bars"}


def _decode_csv(raw: bytes, name: str) -> tuple[str, list[str]]:
    """The text of a CSV file and notes on how it was read (an encoding other than
    UTF-8). UTF-8 (with or without a BOM) and UTF-16 with a BOM are read as such;
    UTF-16 without one is seen by its zero bytes; other bytes are GB18030 or cp1252
    (:func:`_guess_legacy_encoding`)."""
    for bom, marked in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                        (codecs.BOM_UTF16_BE, "utf-16")):
        if raw.startswith(bom):
            try:
                text = raw.decode(marked)
            except UnicodeDecodeError as exc:
                raise ScenarioError(
                    f"cannot read the table: it starts as {marked.upper()} but byte {exc.start} "
                    "is not; save it as UTF-8 CSV",
                    file=name,
                ) from None
            return text, [] if marked == "utf-8-sig" else [f"read as {marked.upper()}"]
    try:
        return raw.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    head = raw[:4000]
    if head.count(0) > len(head) // 4:  # UTF-16 without a BOM: every other byte is 0
        wide = "utf-16-le" if head[1::2].count(0) > head[0::2].count(0) else "utf-16-be"
        try:
            return raw.decode(wide), [f"read as {wide.upper()}"]
        except UnicodeDecodeError:
            pass
    encoding = _guess_legacy_encoding(raw)
    if encoding is None:
        raise ScenarioError(
            f"cannot read the table: it is not UTF-8 text (byte {first_bad}) and not "
            f"recognisably {', '.join(e.upper() for e in FALLBACK_ENCODINGS)}; save it as UTF-8 CSV",
            file=name,
        )
    return raw.decode(encoding), [f"read as {encoding.upper()} (it is not UTF-8)"]


_HIGH_RUNS = re.compile(rb"[\x80-\xff]+")


def _guess_legacy_encoding(raw: bytes) -> str | None:
    """GB18030 (a superset of GBK) or cp1252, for bytes that are not UTF-8.

    Both decode most byte strings, so the choice is made on the shape of the non-ASCII
    bytes: a Chinese character is two bytes, an accented Latin letter one. (A general
    detector such as charset-normalizer was tried: it read a table whose only Chinese
    text was short names, 伙伴0 ..., as cp1252.)
    """
    def decodes(encoding: str) -> bool:
        try:
            raw.decode(encoding)
        except UnicodeDecodeError:
            return False
        return True

    runs = [len(m) for m in _HIGH_RUNS.findall(raw)]
    even = sum(1 for n in runs if n % 2 == 0) / len(runs) if runs else 0.0
    gb, latin = decodes("gb18030"), decodes("cp1252")
    if gb and (even >= 0.8 or not latin):
        return "gb18030"
    return "cp1252" if latin else None


def _delimiter(text: str) -> str:
    """The separator of the header line: a comma, unless the header has none and has
    semicolons, tabs or bars (Excel's CSV where the decimal mark is a comma)."""
    header = text.lstrip("\ufeff").split("\n", 1)[0]
    if "," in header:
        return ","
    counts = {d: header.count(d) for d in (";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def sheet_row(position: int) -> int:
    """Spreadsheet row of the data row at 0-based ``position`` (header is row 1)."""
    return position + 2


def read_table(path: str | Path, *, label: str | None = None) -> pd.DataFrame:
    """Read a CSV or XLSX table as text cells, stripped of surrounding blanks.

    Parameters
    ----------
    path
        The file; ``.csv`` (UTF-8, else GB18030, UTF-16 or cp1252; comma, semicolon or
        tab separated) or ``.xlsx`` (the first sheet, or the one named as
        ``book.xlsx#Sheet``).
    label
        How to name the file in messages (defaults to the path).

    Raises
    ------
    ScenarioError
        The file is missing, has another format, cannot be parsed, has duplicate or
        empty column names, or has no data rows.
    """
    p, sheet = _split_sheet(Path(path))
    name = label or str(path)
    check_file(p, name=name)
    suffix = p.suffix.lower()
    notes: list[str] = []
    text = ""
    try:
        if suffix == ".csv":
            text, notes = _decode_csv(p.read_bytes(), name)
            delimiter = _delimiter(text)
            if delimiter != ",":
                notes.append(f"columns separated by {_DELIMITER_NAMES[delimiter]}")
            # Blank lines are kept (and trailing ones dropped below) so that row numbers
            # in messages stay the spreadsheet rows a user sees.
            # The header is read as a row (header=None) so that a repeated column name
            # is seen as written, not renamed "cost.1" by pandas.
            frame = pd.read_csv(
                io.StringIO(text),
                header=None,
                dtype=str,
                keep_default_na=False,
                skipinitialspace=True,
                skip_blank_lines=False,
                sep=delimiter,
            )
        elif suffix == ".xlsx":
            size = _check_workbook_size(p, name)
            chosen = _pick_sheet(p, sheet, name)
            frame = pd.read_excel(
                p, sheet_name=chosen, header=None, dtype=str, engine="openpyxl",
                keep_default_na=False,
            )
            if size <= MAX_XLSX_CHECKED:
                _check_sheet_cells(p, chosen, name)
        else:
            raise ScenarioError(
                f"unsupported table format '{p.suffix}'; accepted: {', '.join(TABLE_SUFFIXES)}",
                file=name,
            )
    except ScenarioError:
        raise
    except pd.errors.EmptyDataError:
        raise ScenarioError("the table is empty; it needs a header row and data rows", file=name) from None
    except (
        pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError, zipfile.BadZipFile, KeyError
    ) as exc:  # BadZipFile, KeyError: an .xlsx that is not a workbook
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ScenarioError(f"cannot read the table: {first}", file=name) from None
    if frame.empty:
        raise ScenarioError("the table is empty; it needs a header row and data rows", file=name)
    frame = frame.fillna("")
    columns = [str(c).strip() for c in frame.iloc[0]]
    frame = frame.iloc[1:]
    for k, c in enumerate(columns, start=1):
        if not c:
            raise ScenarioError(
                f"column {k} has no header; every column needs a name in row 1", file=name
            )
    dupes = sorted({c for c in columns if columns.count(c) > 1})
    if dupes:
        raise ScenarioError(f"column names used twice: {', '.join(dupes)}", file=name)
    frame.columns = columns
    frame = frame.apply(lambda col: col.astype(str).str.strip())
    for column in (frame.columns if suffix != ".csv" or "\x00" in text else ()):
        nul = frame[column].str.contains("\x00", regex=False).to_numpy()
        if nul.any():
            raise ScenarioError(
                "the cell holds a NUL character (a binary file, or one saved as UTF-16?)",
                file=name, row=sheet_row(_first_bad(nul)), column=column,
            )
    blank = (frame == "").all(axis=1).to_numpy()
    keep = len(frame)
    while keep and blank[keep - 1]:  # trailing blank rows are not data
        keep -= 1
    frame = frame.iloc[:keep]
    if frame.empty:
        raise ScenarioError("the table has a header but no data rows", file=name)
    out = frame.reset_index(drop=True)
    if notes:
        out.attrs["note"] = f"{name}: " + "; ".join(notes)
    return out


def require_columns(frame: pd.DataFrame, columns: Iterable[str], *, file: str, why: str = "") -> None:
    """Raise naming the first missing column and the columns the table does have."""
    for col in columns:
        if col not in frame.columns:
            reason = f" ({why})" if why else ""
            raise ScenarioError(
                f"required column is missing{reason}; the table has: {', '.join(frame.columns)}",
                file=file,
                column=col,
            )


def _first_bad(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def parse_number_column(
    frame: pd.DataFrame,
    column: str,
    *,
    file: str,
    allow_missing: bool = False,
    minimum: float | None = None,
    maximum: float | None = None,
    integer: bool = False,
) -> np.ndarray:
    """Convert a text column to float64, naming the first bad cell on error.

    Empty cells become NaN when ``allow_missing``; otherwise they are errors. Without
    a ``maximum`` (``minimum``), numbers above :data:`MAX_NUMBER` (below its negative)
    are refused, and whole numbers above :data:`MAX_COUNT`.
    """
    if maximum is None:
        maximum = float(MAX_COUNT) if integer else MAX_NUMBER
    if minimum is None:
        minimum = -MAX_NUMBER
    text = frame[column].astype(str)
    empty = (text == "").to_numpy()
    values = pd.to_numeric(text.str.replace("_", "", regex=False), errors="coerce").to_numpy(
        dtype=float
    )
    if not allow_missing and empty.any():
        raise ScenarioError(
            "the cell is empty; a number is required",
            file=file,
            row=sheet_row(_first_bad(empty)),
            column=column,
        )
    # Written out, not 'inf': a number too long for a float, told apart from a word.
    huge = np.isinf(values) & ~text.str.contains("[A-Za-z]", regex=True).to_numpy()
    if huge.any():
        i = _first_bad(huge)
        raise ScenarioError(
            f"'{text.iloc[i][:40]}' is infinite or too large; accepted: a number from "
            f"{minimum:g} to {maximum:g}",
            file=file,
            row=sheet_row(i),
            column=column,
        )
    bad = np.isnan(values) & ~empty | np.isinf(values)
    if bad.any():
        i = _first_bad(bad)
        raise ScenarioError(
            f"'{text.iloc[i]}' is not a number; accepted: a number such as 12 or 0.5",
            file=file,
            row=sheet_row(i),
            column=column,
        )
    if integer:
        frac = ~np.isnan(values) & (values != np.round(values))
        if frac.any():
            i = _first_bad(frac)
            raise ScenarioError(
                f"'{text.iloc[i]}' is not a whole number; accepted: 0, 1, 2, ...",
                file=file,
                row=sheet_row(i),
                column=column,
            )
    if minimum is not None:
        low = values < minimum
        if low.any():
            i = _first_bad(low)
            raise ScenarioError(
                f"{text.iloc[i]} is below {minimum:g}; accepted: {minimum:g} or more",
                file=file,
                row=sheet_row(i),
                column=column,
            )
    if maximum is not None:
        high = values > maximum
        if high.any():
            i = _first_bad(high)
            raise ScenarioError(
                f"{text.iloc[i]} is above {maximum:g}; accepted: {maximum:g} or less",
                file=file,
                row=sheet_row(i),
                column=column,
            )
    return np.asarray(values, dtype=float)


def parse_bool_column(frame: pd.DataFrame, column: str, *, file: str) -> np.ndarray:
    """Read true/false, yes/no, 1/0 (empty = false)."""
    text = frame[column].astype(str).str.lower()
    ok = text.isin(TRUE_WORDS | FALSE_WORDS).to_numpy()
    if not ok.all():
        i = _first_bad(~ok)
        raise ScenarioError(
            f"'{frame[column].iloc[i]}' is not true or false; accepted: true, false, yes, no, 1, 0",
            file=file,
            row=sheet_row(i),
            column=column,
        )
    return np.asarray(text.isin(TRUE_WORDS).to_numpy(), dtype=bool)


def parse_list_cell(cell: str) -> tuple[str, ...]:
    """Split a ``;``-separated cell; ``*`` stands for all and is kept as ``("*",)``."""
    parts = tuple(p.strip() for p in cell.split(";") if p.strip())
    return ("*",) if "*" in parts else parts


def unique_ids(values: Sequence[str], *, file: str, column: str = "id") -> None:
    """Raise on an empty or repeated id, naming both rows of a repeat."""
    seen: dict[str, int] = {}
    for pos, v in enumerate(values):
        if not v:
            raise ScenarioError("the id is empty", file=file, row=sheet_row(pos), column=column)
        if v in seen:
            raise ScenarioError(
                f"id '{v}' is used twice (also in row {sheet_row(seen[v])}); ids must be unique",
                file=file,
                row=sheet_row(pos),
                column=column,
            )
        seen[v] = pos

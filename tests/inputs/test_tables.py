"""Reading tables: text cells, spreadsheet row numbers, and errors that name their place."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from conftest import TEACHING_DATA

from selector.errors import ScenarioError
from selector.inputs.tables import (
    parse_bool_column,
    parse_list_cell,
    parse_number_column,
    read_table,
    require_columns,
    sheet_row,
    unique_ids,
)

TEACHING_PARTNERS = TEACHING_DATA / "partners.csv"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_sheet_row_counts_the_header():
    assert sheet_row(0) == 2
    assert sheet_row(9) == 11


# --- read_table ----------------------------------------------------------------------------


def test_csv_cells_are_stripped_text(tmp_path):
    path = write(tmp_path / "t.csv", "id , cost,note\n a1, 12 ,  \nb2,0.50,x y\n")
    frame = read_table(path)
    assert list(frame.columns) == ["id", "cost", "note"]
    assert frame.to_numpy().tolist() == [["a1", "12", ""], ["b2", "0.50", "x y"]]
    assert list(frame.index) == [0, 1]


def test_teaching_partners_read_whole():
    frame = read_table(TEACHING_PARTNERS)
    raw = TEACHING_PARTNERS.read_text().strip().splitlines()
    assert len(frame) == len(raw) - 1 == 12
    assert list(frame.columns) == raw[0].split(",")
    assert frame.iloc[0, 0] == "D01"
    assert frame.loc[0, "target_attainment"] == "1.05"  # text, not a float
    assert frame.loc[2, "target_attainment"] == "1.20"  # trailing zero kept


def test_utf8_bom_is_ignored(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffid,v\nx,1\n".encode())
    assert list(read_table(path).columns) == ["id", "v"]


def test_xlsx_reads_like_csv(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["id", "cost", "named", "ratio"])
    ws.append(["P1", 1000, True, 0.25])
    ws.append(["P2", None, False, 1.5])
    wb.save(tmp_path / "t.xlsx")
    frame = read_table(tmp_path / "t.xlsx")
    assert frame.to_numpy().tolist() == [["P1", "1000", "True", "0.25"], ["P2", "", "False", "1.5"]]


def test_missing_file(tmp_path):
    with pytest.raises(ScenarioError) as info:
        read_table(tmp_path / "nope.csv")
    assert info.value.file == str(tmp_path / "nope.csv")
    assert str(info.value) == f"{tmp_path / 'nope.csv'}: file not found"


def test_label_names_the_file(tmp_path):
    with pytest.raises(ScenarioError, match=r"^partners table: file not found$"):
        read_table(tmp_path / "nope.csv", label="partners table")


def test_unsupported_format(tmp_path):
    path = write(tmp_path / "t.txt", "id\n1\n")
    with pytest.raises(ScenarioError, match=r"t\.txt: unsupported table format '\.txt'; accepted: \.csv, \.xlsx"):
        read_table(path)


def test_completely_empty_file(tmp_path):
    path = write(tmp_path / "t.csv", "")
    with pytest.raises(ScenarioError, match=r"t\.csv: the table is empty; it needs a header row"):
        read_table(path)


def test_blank_lines_only(tmp_path):
    path = write(tmp_path / "t.csv", "\n\n\n")
    with pytest.raises(ScenarioError, match=r"t\.csv: the table is empty"):
        read_table(path)


def test_empty_xlsx(tmp_path):
    openpyxl.Workbook().save(tmp_path / "t.xlsx")
    with pytest.raises(ScenarioError, match=r"t\.xlsx: the table is empty"):
        read_table(tmp_path / "t.xlsx")


@pytest.mark.parametrize("text", ["id,cost\n", "id,cost\n\n\n", "id,cost\n,\n"])
def test_header_only(tmp_path, text):
    path = write(tmp_path / "t.csv", text)
    with pytest.raises(ScenarioError, match=r"t\.csv: the table has a header but no data rows"):
        read_table(path)


def test_header_only_xlsx(tmp_path):
    pd.DataFrame(columns=["id", "cost"]).to_excel(tmp_path / "t.xlsx", index=False)
    with pytest.raises(ScenarioError, match=r"t\.xlsx: the table has a header but no data rows"):
        read_table(tmp_path / "t.xlsx")


def test_not_a_workbook(tmp_path):
    path = write(tmp_path / "t.xlsx", "id,cost\nP1,5\n")  # a CSV saved under the wrong name
    with pytest.raises(ScenarioError, match=r"t\.xlsx: cannot read the table: File is not a zip file"):
        read_table(path)


def test_not_utf8(tmp_path):
    # issue 16: a Western-European Excel CSV (cp1252) is read, and the encoding named
    path = tmp_path / "t.csv"
    path.write_bytes("id,name\nP1,M\xfcller\n".encode("latin-1"))
    frame = read_table(path)
    assert frame["name"].iloc[0] == "Müller" and "CP1252" in frame.attrs["note"]


def test_ragged_row(tmp_path):
    path = write(tmp_path / "t.csv", "id,cost\nP1,5\nP2,6,7\n")
    with pytest.raises(ScenarioError, match=r"t\.csv: cannot read the table: .*Expected 2 fields in line 3, saw 3"):
        read_table(path)


def test_short_row_gets_empty_cells(tmp_path):
    frame = read_table(write(tmp_path / "t.csv", "id,cost,note\nP1,5\n"))
    assert frame.to_numpy().tolist() == [["P1", "5", ""]]


@pytest.mark.parametrize("text", ["id,,cost\nP1,x,5\n", "id,cost, \nP1,5,x\n"])
def test_column_without_header(tmp_path, text):
    path = write(tmp_path / "t.csv", text)
    with pytest.raises(ScenarioError, match=r"t\.csv: column (2|3) has no header; every column needs a name in row 1"):
        read_table(path)


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_repeated_column_name(tmp_path, suffix):
    # pandas would rename the second 'cost' to 'cost.1' and the first would win silently
    path = tmp_path / f"t.{suffix}"
    frame = pd.DataFrame([["P1", "5", "7"]], columns=["id", "cost", "cost"])
    if suffix == "csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_excel(path, index=False)
    with pytest.raises(ScenarioError, match=rf"t\.{suffix}: column names used twice: cost$"):
        read_table(path)


def test_trailing_blank_lines_are_not_rows(tmp_path):
    frame = read_table(write(tmp_path / "t.csv", "id,cost\nP1,5\nP2,6\n\n\n,\n"))
    assert frame["id"].tolist() == ["P1", "P2"]


def test_blank_line_inside_keeps_spreadsheet_row_numbers(tmp_path):
    # a blank line is row 3 in a spreadsheet; the bad cell below it is row 4, not row 3
    path = write(tmp_path / "t.csv", "id,cost\nP1,5\n\nP3,12k\n")
    frame = read_table(path)
    assert frame["id"].tolist() == ["P1", "", "P3"]
    with pytest.raises(ScenarioError) as info:
        parse_number_column(frame, "cost", file=str(path), allow_missing=True)
    assert info.value.row == 4
    with pytest.raises(ScenarioError) as info:
        unique_ids(list(frame["id"]), file=str(path))
    assert info.value.row == 3 and "the id is empty" in str(info.value)


def test_blank_row_in_xlsx_keeps_row_numbers(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["id", "cost"])
    ws.append(["P1", 5])
    ws.append([])
    ws.append(["P3", "12k"])
    wb.save(tmp_path / "t.xlsx")
    frame = read_table(tmp_path / "t.xlsx")
    with pytest.raises(ScenarioError) as info:
        parse_number_column(frame, "cost", file="t.xlsx", allow_missing=True)
    assert info.value.row == 4 and info.value.column == "cost"


# --- require_columns, unique_ids ---------------------------------------------------------------


def test_require_columns_names_the_first_missing():
    frame = pd.DataFrame({"id": ["a"], "cost": ["1"]})
    require_columns(frame, ["id", "cost"], file="p.csv")  # present: no error
    with pytest.raises(ScenarioError) as info:
        require_columns(frame, ["id", "value", "size"], file="p.csv", why="segments need it")
    err = info.value
    assert (err.file, err.row, err.column) == ("p.csv", None, "value")
    assert str(err) == (
        "p.csv, column 'value': required column is missing (segments need it); the table has: id, cost"
    )


def test_unique_ids_names_both_rows():
    unique_ids(["a", "b", "c"], file="p.csv")
    with pytest.raises(ScenarioError) as info:
        unique_ids(["a", "b", "c", "b"], file="p.csv")
    assert (info.value.row, info.value.column) == (5, "id")
    assert str(info.value) == "p.csv, row 5, column 'id': id 'b' is used twice (also in row 3); ids must be unique"


def test_unique_ids_empty_id():
    with pytest.raises(ScenarioError, match=r"^p\.csv, row 3, column 'partner_id': the id is empty$"):
        unique_ids(["a", ""], file="p.csv", column="partner_id")


# --- parse_number_column -----------------------------------------------------------------------


def frame_of(*cells: str) -> pd.DataFrame:
    return pd.DataFrame({"x": list(cells)})


def test_numbers_parse():
    values = parse_number_column(frame_of("1", "2.5", "-3", "1_000", "1e3", " 4"), "x", file="f")
    assert values.dtype == np.float64
    assert values.tolist() == [1, 2.5, -3, 1000, 1000, 4]


def test_empty_is_nan_when_allowed():
    values = parse_number_column(frame_of("1", ""), "x", file="f", allow_missing=True)
    assert values[0] == 1 and np.isnan(values[1])


@pytest.mark.parametrize(
    ("cells", "kwargs", "row", "message"),
    [
        (("1", ""), {}, 3, "the cell is empty; a number is required"),
        (("1", "2", "12k"), {}, 4, "'12k' is not a number; accepted: a number such as 12 or 0.5"),
        (("nan",), {}, 2, "'nan' is not a number"),
        (("1", "inf"), {}, 3, "'inf' is not a number"),
        (("1", "1,5"), {}, 3, "'1,5' is not a number"),
        (("3", "-2"), {"minimum": 0.0}, 3, "-2 is below 0; accepted: 0 or more"),
        (("0.5", "1.01"), {"maximum": 1.0}, 3, "1.01 is above 1; accepted: 1 or less"),
        (("2", "2.5"), {"integer": True}, 3, "'2.5' is not a whole number; accepted: 0, 1, 2, ..."),
    ],
)
def test_bad_numbers_name_row_and_column(cells, kwargs, row, message):
    with pytest.raises(ScenarioError) as info:
        parse_number_column(frame_of(*cells), "x", file="p.csv", **kwargs)
    err = info.value
    assert (err.file, err.row, err.column) == ("p.csv", row, "x")
    assert str(err).startswith(f"p.csv, row {row}, column 'x': {message}")


def test_first_bad_cell_is_reported():
    with pytest.raises(ScenarioError) as info:
        parse_number_column(frame_of("1", "a", "b"), "x", file="f")
    assert info.value.row == 3 and "'a'" in str(info.value)


# --- parse_bool_column, parse_list_cell ----------------------------------------------------------


def test_bools():
    frame = frame_of("true", "FALSE", "Yes", "no", "y", "n", "1", "0", "")
    assert parse_bool_column(frame, "x", file="f").tolist() == [
        True, False, True, False, True, False, True, False, False]


def test_bad_bool():
    with pytest.raises(ScenarioError) as info:
        parse_bool_column(frame_of("true", "Maybe"), "x", file="s.csv")
    assert str(info.value) == (
        "s.csv, row 3, column 'x': 'Maybe' is not true or false; accepted: true, false, yes, no, 1, 0"
    )


@pytest.mark.parametrize(
    ("cell", "parts"),
    [("North;East", ("North", "East")), (" North ; East ;", ("North", "East")),
     ("*", ("*",)), ("North;*", ("*",)), ("", ()), ("smb", ("smb",))],
)
def test_list_cells(cell, parts):
    assert parse_list_cell(cell) == parts

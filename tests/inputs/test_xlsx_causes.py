"""XLSX cells that read as empty for a reason a user cannot see are named (issue 16
item 15): formulas without a saved value, merged cells, data on another sheet; and a
scenario can name the sheet as ``book.xlsx#Sheet``."""

from __future__ import annotations

from pathlib import Path

from conftest import teaching_table
from openpyxl import Workbook

from selector.inputs.scenario import load_scenario
from selector.inputs.tables import read_table


def _book(path: Path, rows: list[list[object]], *, sheet: str | None = None, empty_first: bool = False) -> Path:
    wb = Workbook()
    ws = wb.active
    if empty_first or sheet:
        ws.title = "Sheet1"
        ws = wb.create_sheet(sheet or "Data")
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


ROWS: list[list[object]] = [["id", "cost"], ["P1", 5], ["P2", 6], ["P3", 7]]


def test_formula_without_saved_value_is_named(tmp_path: Path, expect_error) -> None:
    rows = [list(r) for r in ROWS]
    rows[2][1] = "=B2*2"  # openpyxl writes the formula, no cached value
    path = _book(tmp_path / "f.xlsx", rows)
    expect_error(read_table, path, file=path, row=3, column="cost", contains=["formula =B2*2", "no saved value"])


def test_merged_cells_are_named(tmp_path: Path, expect_error) -> None:
    wb = Workbook()
    ws = wb.active
    for row in ROWS:
        ws.append(row)
    ws.merge_cells("B2:B3")
    path = tmp_path / "m.xlsx"
    wb.save(path)
    expect_error(read_table, path, file=path, row=2, column="cost", contains=["B2:B3 are merged"])


def test_data_on_another_sheet_is_named(tmp_path: Path, expect_error) -> None:
    path = _book(tmp_path / "s.xlsx", ROWS, empty_first=True)
    expect_error(read_table, path, contains=["first sheet 'Sheet1' is empty", "'Data'", "s.xlsx#Data"])


def test_sheet_named_in_the_path(tmp_path: Path, expect_error) -> None:
    path = _book(tmp_path / "n.xlsx", ROWS, sheet="Partners")
    frame = read_table(f"{path}#Partners")
    assert list(frame["id"]) == ["P1", "P2", "P3"]
    expect_error(read_table, f"{path}#Nope", contains=["no sheet 'Nope'", "Sheet1, Partners"])


def test_scenario_names_the_sheet(make_scenario) -> None:
    path = make_scenario()
    book = path.parent / "data" / "book.xlsx"
    wb = Workbook()
    wb.active.title = "Notes"
    for name in ("partners", "segments"):
        ws = wb.create_sheet(name.capitalize())
        frame = teaching_table(name)
        ws.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            ws.append([str(v) for v in row])
    wb.save(book)
    text = path.read_text().replace('"data/partners.csv"', '"data/book.xlsx#Partners"').replace(
        '"data/segments.csv"', '"data/book.xlsx#Segments"')
    assert "book.xlsx#Partners" in text and "book.xlsx#Segments" in text
    path.write_text(text)
    scenario = load_scenario(path)
    assert len(scenario.partners) == len(teaching_table("partners"))

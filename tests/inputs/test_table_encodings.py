"""CSV tables in the encodings and separators spreadsheet programs save (issue 16 item
16): GBK/GB18030, UTF-16 and cp1252 are read correctly and named; semicolon- and
tab-separated files are read as such."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import teaching_table

from selector.errors import ScenarioError
from selector.inputs.scenario import load_scenario
from selector.inputs.tables import read_table

ROWS = [["P1", "北京星辰科技有限公司", "100"], ["P2", "上海华东分销", "200"]]


def _csv(rows: list[list[str]], sep: str = ",") -> str:
    return "\n".join(sep.join(r) for r in [["id", "name", "cost"], *rows]) + "\n"


@pytest.mark.parametrize("encoding, named", [
    ("gbk", "GB18030"), ("gb18030", "GB18030"), ("utf-16", "UTF-16"), ("utf-16-le", "UTF-16-LE"),
])
def test_chinese_csv_in_other_encodings(tmp_path: Path, encoding: str, named: str) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(_csv(ROWS).encode(encoding))
    frame = read_table(path)
    assert list(frame["name"]) == ["北京星辰科技有限公司", "上海华东分销"]
    assert named in frame.attrs["note"] and "t.csv" in frame.attrs["note"]


def test_cp1252_csv(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(_csv([["P1", "Café Müller", "1"], ["P2", "Señor Ltd", "2"]]).encode("cp1252"))
    frame = read_table(path)
    assert list(frame["name"]) == ["Café Müller", "Señor Ltd"]
    assert "CP1252" in frame.attrs["note"]


def test_utf8_csv_has_no_note(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(_csv(ROWS), encoding="utf-8")
    assert "note" not in read_table(path).attrs


@pytest.mark.parametrize("sep, word", [(";", "semicolons"), ("\t", "tabs")])
def test_semicolon_and_tab_separated(tmp_path: Path, sep: str, word: str) -> None:
    path = tmp_path / "t.csv"
    path.write_text(_csv(ROWS, sep), encoding="utf-8")
    frame = read_table(path)
    assert list(frame.columns) == ["id", "name", "cost"] and list(frame["cost"]) == ["100", "200"]
    assert word in frame.attrs["note"]


def test_binary_garbage_is_a_named_error(tmp_path: Path, expect_error) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(bytes(range(128, 256)) * 20)
    with pytest.raises(ScenarioError) as info:
        read_table(path)
    assert info.value.file == str(path)


def test_scenario_with_gbk_partners_says_how_it_was_read(make_scenario) -> None:
    frame = teaching_table("partners")
    frame["name"] = [f"伙伴{i}" for i in range(len(frame))]
    path = make_scenario(partners=frame)
    csv = path.parent / "data" / "partners.csv"
    csv.write_bytes(csv.read_text(encoding="utf-8").encode("gbk"))
    scenario = load_scenario(path)
    assert scenario.partners["name"].iloc[0] == "伙伴0"
    assert any("partners.csv" in p and "GB18030" in p for p in scenario.problems)

"""Tests for ``selector map`` (selector.cli.map): the go-to-market map on the command line."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pytest
from conftest import TEACHING_TOML
from gtm_cases import HAS_DOT, dot_parses

from selector.cli.map import add_map_parser
from selector.errors import ScenarioError, SelectorError
from selector.gtm import (
    OVERWRITE_MESSAGE,
    RESULT_FORMAT_MESSAGE,
    build_graph,
    distributor_load,
    uncovered_segments,
)
from selector.inputs.scenario import load_scenario

# --- command line ---------------------------------------------------------------------------


def map_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="selector")
    sub = parser.add_subparsers(dest="command", required=True)
    add_map_parser(sub)
    return parser


def run_map(argv: list[str]) -> int:
    args = map_parser().parse_args(["map", *argv])
    return int(args.func(args))


@pytest.fixture
def result_file(tmp_path: Path) -> Path:
    path = tmp_path / "result.json"
    path.write_text(
        json.dumps({"status": "optimal", "selected": ["D01", "D02", "R01", "R03", "R05", "R04"]})
    )
    return path


def test_cli_map_text(
    result_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dot_file = tmp_path / "map.dot"
    assert run_map([str(TEACHING_TOML), "--result", str(result_file), "--dot", str(dot_file)]) == 0
    out = capsys.readouterr().out
    assert "unreachable-segment" in out
    assert "Distributor load" in out and "Single points of failure" in out
    assert re.search(r"D01\s+Northstar Distribution", out)
    assert f"Wrote      {dot_file}" in out
    dot_parses(dot_file.read_text())


def test_cli_map_json(result_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_map([str(TEACHING_TOML), "--result", str(result_file), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["partners"] == 12 and report["segments"] == 30
    assert [f["code"] for f in report["findings"]] == ["unreachable-segment"]
    G = build_graph(load_scenario(TEACHING_TOML), ["D01", "D02", "R01", "R03", "R05", "R04"])
    assert report["portfolio"]["uncovered_segments"] == uncovered_segments(G)
    load = distributor_load(G)
    assert [r["distributor"] for r in report["distributor_load"]] == list(load.index)
    assert report["distributor_load"][0]["value"] == pytest.approx(load["value"].iloc[0])
    spof = report["single_points_of_failure"]
    assert isinstance(spof[0]["segment_ids"], list) and spof[0]["lost_value"] > 0
    assert report["written"] == []


def test_cli_map_without_result(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_map([str(TEACHING_TOML), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert "portfolio" not in report and report["findings"]


def test_cli_map_refuses_to_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dot_file = tmp_path / "map.dot"
    dot_file.write_text("old")
    with pytest.raises(ScenarioError, match=re.escape(OVERWRITE_MESSAGE)):
        run_map([str(TEACHING_TOML), "--dot", str(dot_file)])
    assert dot_file.read_text() == "old"
    assert (
        run_map([str(TEACHING_TOML), "--dot", str(dot_file), "--force", "--aggregate", "industry"])
        == 0
    )
    assert dot_file.read_text().startswith("digraph gtm {")


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("[1, 2]", RESULT_FORMAT_MESSAGE.format(found="a JSON list")),
        ('{"chosen": []}', RESULT_FORMAT_MESSAGE.format(found="an object with keys chosen")),
        ("{not json", "not valid JSON"),
        (
            '{"selected": ["D01", "NOPE"]}',
            "names 1 partner id(s) that are not in the partner table: NOPE",
        ),
    ],
)
def test_cli_map_bad_result(tmp_path: Path, content: str, match: str) -> None:
    bad = tmp_path / "result.json"
    bad.write_text(content)
    with pytest.raises(ScenarioError) as info:
        run_map([str(TEACHING_TOML), "--result", str(bad)])
    assert info.value.file == str(bad)
    assert match in str(info.value)


def test_cli_map_png(result_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    png = tmp_path / "map.png"
    if HAS_DOT:
        assert run_map([str(TEACHING_TOML), "--result", str(result_file), "--png", str(png)]) == 0
        assert png.read_bytes()[:4] == b"\x89PNG"
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SelectorError, match="Install Graphviz"):
        run_map([str(TEACHING_TOML), "--png", str(tmp_path / "other.png")])

"""Tests for selector.gtm.drawing: DOT text and pictures through Graphviz.

The scenario is ``small()`` from ``gtm_cases`` (answers worked out by hand there).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from gtm_cases import (
    HAS_DOT,
    PORTFOLIO,
    SMALL_PARTNERS,
    SMALL_SEGMENTS,
    dot_parses,
    make_scenario,
    rank_blocks,
    small,
)

from selector.errors import ScenarioError, SelectorError
from selector.gtm import DOT_MISSING_MESSAGE, OVERWRITE_MESSAGE, build_graph, to_dot, write_picture
from selector.inputs.scenario import Scenario

needs_dot = pytest.mark.skipif(not HAS_DOT, reason="Graphviz 'dot' is not installed")


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return small()


@pytest.fixture(scope="module")
def solved(scenario: Scenario) -> nx.DiGraph:
    return build_graph(scenario, PORTFOLIO)


# --- drawing --------------------------------------------------------------------------------


def node_line(text: str, node: str) -> str:
    (line,) = [ln for ln in text.splitlines() if ln.strip().startswith(f'"{node}" [')]
    return line


def test_dot_layers_and_highlight(solved: nx.DiGraph) -> None:
    text = to_dot(solved)
    dot_parses(text)
    assert 'rankdir="LR"' in text
    assert rank_blocks(text) == {
        "vendor": ["vendor"],
        "tier 1": ["D2", "D1", "D3"],
        "tier 2": ["R3", "R2", "R1", "R4", "R5"],  # selected first, widest reach first
        "segments": ["A", "B", "C", "E", "F", "G"],
    }
    for p in PORTFOLIO:
        assert 'style="filled,bold"' in node_line(text, p), p
    for p in ("D3", "R5"):
        line = node_line(text, p)
        assert 'fillcolor="#f1f1f1"' in line and "bold" not in line
    assert 'fillcolor="#c8e6c0"' in node_line(text, "E")  # reached
    assert 'fillcolor="#fdd9a8"' in node_line(text, "G")  # covered, no distributor
    assert "dashed" in node_line(text, "F")  # not covered
    assert 'label="North Dist\\nD1 · distributor · 100"' in node_line(text, "D1")
    assert "6 of 8 partners selected · 6 segments · covered value 1,000 of 1,120 (89%)" in text


def test_dot_without_result_is_neutral(scenario: Scenario) -> None:
    text = to_dot(build_graph(scenario))
    dot_parses(text)
    for p, *_ in SMALL_PARTNERS:  # nothing is highlighted, nothing greyed
        line = node_line(text, p)
        assert "bold" not in line and "#f1f1f1" not in line, line
    assert "8 partners · 6 segments" in text


def test_dot_escapes_labels() -> None:
    nasty = 'Quote "Q" \\ back\nslash {x} <b>'
    partners = [("D1", nasty, "distributor", 1, 1, "N"), ('R"1', "R", "reseller", 2, 1, "N")]
    sc = make_scenario(partners, SMALL_SEGMENTS[:2], coverage=None, supply=[("D1", 'R"1')])
    text = to_dot(build_graph(sc, ["D1"]), title='A "title" \\ here')
    dot_parses(text)
    assert r'"D1" [label="Quote \"Q\" \\ back\nslash {x} <b>\nD1 · distributor · 1",' in text
    assert r'"R\"1" [label="R\nR\"1 · reseller · 1",' in text
    assert r'"D1" -> "R\"1" [' in text
    assert r'label="A \"title\" \\ here"' in text


def test_segments_are_aggregated_above_the_limit(solved: nx.DiGraph) -> None:
    text = to_dot(solved, max_segments=3)
    dot_parses(text)
    segs = rank_blocks(text)["segments"]
    assert segs == ["~segments0", "~segments1"]  # N and S
    assert 'label="N\\n3 segments · 370\\ncovered 81%"' in text  # A+B of A, B, G
    assert 'label="S\\n3 segments · 750\\ncovered 93%"' in text  # C+E of C, E, F
    by_industry = to_dot(solved, max_segments=3, aggregate="industry")
    assert len(rank_blocks(by_industry)["segments"]) == 3
    assert 'label="energy\\n2 segments · 120\\ncovered 0%"' in by_industry
    top = to_dot(solved, max_segments=3, aggregate=None)
    dot_parses(top)
    assert rank_blocks(top)["segments"] == ["E", "C", "B", "~segments0"]
    assert 'label="3 other segments\\n3 segments · 220' in top
    assert len(rank_blocks(to_dot(solved, max_segments=6))["segments"]) == 6


def test_partners_are_rolled_up_above_the_limit(solved: nx.DiGraph, scenario: Scenario) -> None:
    text = to_dot(solved, max_partners=3)
    dot_parses(text)
    cols = rank_blocks(text)
    drawn = [n for n in cols["tier 1"] + cols["tier 2"] if not n.startswith("~")]
    assert drawn == ["D2", "D1", "R3"]  # distributors first, then widest reach
    assert 'label="3 more selected resellers\\ntier 2 · cost 45"' in text
    assert 'label="1 other distributor\\ntier 1 · cost 90"' in text
    assert 'label="1 other reseller\\ntier 2 · cost 5"' in text
    plain = to_dot(build_graph(scenario), max_partners=3)
    dot_parses(plain)
    assert 'label="3 distributors\\ntier 1 · cost 310"' in plain
    assert 'label="4 resellers\\ntier 2 · cost 50"' in plain
    assert 'label="1 SI\\ntier 2 · cost 30"' in plain


def test_selected_only(solved: nx.DiGraph, scenario: Scenario) -> None:
    text = to_dot(solved, selected_only=True)
    dot_parses(text)
    cols = rank_blocks(text)
    assert sorted(cols["tier 1"] + cols["tier 2"]) == sorted(PORTFOLIO)
    with pytest.raises(ScenarioError, match="selected_only=True needs a map built with a result"):
        to_dot(build_graph(scenario), selected_only=True)


@pytest.mark.parametrize(
    ("option", "match"),
    [
        ({"max_segments": -1}, "max_segments is -1"),
        ({"max_partners": 2.5}, "max_partners is 2.5"),
        ({"aggregate": "size"}, "aggregate is 'size'"),
    ],
)
def test_dot_options_are_checked(solved: nx.DiGraph, option: dict[str, Any], match: str) -> None:
    with pytest.raises(ScenarioError, match=match):
        to_dot(solved, **option)


def test_write_picture_refuses_to_overwrite(solved: nx.DiGraph, tmp_path: Path) -> None:
    target = tmp_path / "map.png"
    target.write_bytes(b"keep me")
    with pytest.raises(ScenarioError) as info:
        write_picture(solved, target)
    assert str(info.value) == f"{target}: {OVERWRITE_MESSAGE}"
    assert target.read_bytes() == b"keep me"


def test_write_picture_checks_the_format(solved: nx.DiGraph, tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"accepted: a file ending in \.png, \.svg, \.pdf"):
        write_picture(solved, tmp_path / "map.gif")
    with pytest.raises(ScenarioError, match="folder to write into does not exist"):
        write_picture(solved, tmp_path / "missing" / "map.png")


def test_write_picture_without_graphviz(
    solved: nx.DiGraph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no 'dot' there
    with pytest.raises(SelectorError) as info:
        write_picture(solved, tmp_path / "map.svg")
    assert str(info.value) == DOT_MISSING_MESSAGE.format(format="SVG")
    assert "apt-get install graphviz" in str(info.value)
    assert not (tmp_path / "map.svg").exists()


@needs_dot
def test_write_picture_renders(solved: nx.DiGraph, tmp_path: Path) -> None:
    png = write_picture(solved, tmp_path / "map.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = write_picture(solved, tmp_path / "map.svg", max_segments=3)
    assert "<svg" in svg.read_text() and "covered 81%" in svg.read_text()
    again = write_picture(solved, tmp_path / "map.png", overwrite=True, format="svg")
    assert "<svg" in again.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.png", "map.svg"]  # no leftovers

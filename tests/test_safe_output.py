"""Exports that cannot hurt (issue 16 items 5 and 7): what-if CSVs neutralise formula
text like the report's exports, and files and the synth tables are written whole."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pandas as pd
import pytest

import selector.inputs.synth.write as synth_write
from selector.cli.whatif import add_robustness_parsers
from selector.inputs.synth import generate_channel, write_scenario
from selector.safe_output import replace_folder, staging_folder, write_bytes_atomic
from selector.whatif.sweeps import write_csv

REPO = Path(__file__).resolve().parents[1]
EVIL = "=cmd|' /C calc'!A0"


def _cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="selector")
    add_robustness_parsers(parser.add_subparsers(dest="command", required=True))
    return int(parser.parse_args(argv).func(parser.parse_args(argv)))


def _evil_scenario(make_scenario) -> Path:
    def rename(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        frame["name"] = frame["name"].astype(str)
        frame.loc[frame.index[0], "name"] = EVIL
        return frame

    return make_scenario(partners=rename)


def _no_raw_formula(path: Path) -> None:
    for line in path.read_text().splitlines():
        for cell in line.split(","):
            assert not cell.startswith(("=", "+", "@")), line
    assert "'" + EVIL.split("'")[0] in path.read_text() or EVIL not in path.read_text()


def test_write_csv_neutralises_text_cells_headers_and_index(tmp_path: Path) -> None:
    frame = pd.DataFrame({"name": [EVIL, "Acme"], "=x": [-1.5, 2]}, index=pd.Index(["@a", "b"], name="id"))
    out = tmp_path / "t.csv"
    write_csv(frame, out)
    text = out.read_text()
    assert "'=cmd|' /C calc'!A0" in text and "'=x" in text and "'@a" in text
    assert ",-1.5" in text  # numbers untouched


@pytest.mark.parametrize("command", [
    ["robust", "--runs", "2", "--workers", "0"],
    ["frontier", "--points", "2", "--low", "1", "--high", "1.2", "--workers", "0"],
])
def test_whatif_csv_exports_are_neutralised(tmp_path: Path, make_scenario, command: list[str]) -> None:
    scenario = _evil_scenario(make_scenario)
    out = tmp_path / "out.csv"
    assert _cli([command[0], str(scenario), *command[1:], "--csv", str(out)]) == 0
    assert EVIL not in out.read_text().replace("'" + EVIL, "")
    _no_raw_formula(out)


def test_sweep_csv_is_neutralised(tmp_path: Path, make_scenario) -> None:
    scenario = _evil_scenario(make_scenario)
    spec = tmp_path / "sweep.toml"
    spec.write_text(f'name = "{EVIL}"\nscenario = "{scenario}"\n[grid]\n"budget.total" = [500000, 600000]\n')
    out = tmp_path / "sweep.csv"
    assert _cli(["sweep", str(spec), "--workers", "0", "--csv", str(out)]) == 0
    _no_raw_formula(out)


def test_write_bytes_atomic_keeps_the_old_file_on_failure(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "a.csv"
    target.write_text("old\n")

    def boom(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        write_bytes_atomic(target, b"new\n")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["a.csv"]  # no .part left


def test_interrupted_synth_leaves_the_old_tables_whole(tmp_path: Path, monkeypatch) -> None:
    ch = generate_channel(seed=11, scale=0.3, accounts=1000, named=50, prospects=0)
    toml = write_scenario(ch, tmp_path / "small", name="Small")
    before = {p.name: p.read_bytes() for p in (tmp_path / "small").iterdir()}
    before_toml = toml.read_bytes()
    other = generate_channel(seed=12, scale=0.3, accounts=1000, named=50, prospects=0)

    def interrupted(frame, path):  # Ctrl-C while writing the coverage table
        Path(path).write_text("partner_id,segment_id\nD001,S")
        raise KeyboardInterrupt

    monkeypatch.setattr(synth_write, "_write_pairs", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_scenario(other, tmp_path / "small", name="Small", overwrite=True)
    after = {p.name: p.read_bytes() for p in (tmp_path / "small").iterdir()}
    assert after == before and toml.read_bytes() == before_toml
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small", "small.toml"]


def test_interrupted_first_synth_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    ch = generate_channel(seed=11, scale=0.3, accounts=1000, named=50, prospects=0)

    def interrupted(frame, path):
        raise KeyboardInterrupt

    monkeypatch.setattr(synth_write, "_write_pairs", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_scenario(ch, tmp_path / "new", name="New")
    assert list(tmp_path.iterdir()) == []


def test_replace_folder_into_existing(tmp_path: Path) -> None:
    target = tmp_path / "t"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    (target / "a.csv").write_text("old")
    stage = staging_folder(target)
    (stage / "a.csv").write_text("new")
    replace_folder(stage, target)
    assert (target / "a.csv").read_text() == "new" and (target / "keep.txt").read_text() == "mine"
    assert not stage.exists()

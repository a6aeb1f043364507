"""Files a scenario names (issue 16): deep nesting, folders, pipes, devices, long
``extends`` chains are refused with the file named, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import TEACHING_TOML

import selector.inputs.scenario.toml as scenario_toml
from selector.errors import ScenarioError
from selector.inputs.criteria import load_model
from selector.inputs.files import nesting_depth, read_toml
from selector.inputs.scenario import load_scenario
from selector.inputs.scenario.toml import MAX_EXTENDS

ROOT = Path(__file__).resolve().parents[2]
DEEP = "description = " + "[" * 5000 + "]" * 5000 + "\n"


def test_deeply_nested_toml_is_a_scenario_error(tmp_path: Path, expect_error) -> None:
    path = tmp_path / "deep.toml"
    path.write_text(DEEP)
    expect_error(load_scenario, path, file=path, contains=["nested too deeply"])
    expect_error(load_model, path, file=path, contains=["nested too deeply"])


def test_deeply_nested_toml_in_the_cli(tmp_path: Path) -> None:
    path = tmp_path / "deep.toml"
    path.write_text(DEEP)
    proc = subprocess.run([sys.executable, "-m", "selector", "validate", str(path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "deep.toml" in proc.stderr


def test_nesting_below_the_recursion_limit_is_still_refused(tmp_path: Path, expect_error) -> None:
    # 200 levels parse, but are no scenario; deep_merge would recurse on such tables
    path = tmp_path / "nested.toml"
    path.write_text("name = 'x'\n[" + ".".join(f"k{i}" for i in range(200)) + "]\nv = 1\n")
    expect_error(load_scenario, path, file=path, contains=["nested more than 64"])
    assert nesting_depth({"a": [[{"b": 1}]]}) == 4


def test_folder_fifo_and_device_are_named(tmp_path: Path, expect_error, make_scenario) -> None:
    expect_error(load_scenario, tmp_path, file=tmp_path, contains=["folder"])
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    for target, word in ((tmp_path, "folder"), (fifo, "pipe"), (Path("/dev/zero"), "device")):
        path = make_scenario(settings={"partners": str(target)})
        expect_error(load_scenario, path, contains=[word, str(target)])
    expect_error(read_toml, fifo, file=fifo, contains=["pipe"])


def test_extends_chain_is_bounded(tmp_path: Path, expect_error, monkeypatch) -> None:
    n = 20_000
    for i in range(n):
        target = f"s{i + 1}.toml" if i < n - 1 else TEACHING_TOML
        (tmp_path / f"s{i}.toml").write_text(f'extends = "{target}"\n')
    opened: list[Path] = []

    def counting_read_toml(path: Path, **kwargs: Any) -> dict[str, Any]:
        opened.append(Path(path))
        return read_toml(path, **kwargs)

    monkeypatch.setattr(scenario_toml, "read_toml", counting_read_toml)
    expect_error(load_scenario, tmp_path / "s0.toml", contains=["more than 100 files deep"])
    # the first MAX_EXTENDS files are read, the next is refused unopened, the rest never
    # reached (bench/input_bench.py times it against following the whole chain)
    assert opened == [tmp_path / f"s{i}.toml" for i in range(MAX_EXTENDS)]
    # a chain within the bound still loads
    (tmp_path / "s5.toml").write_text(f'extends = "{TEACHING_TOML}"\n')
    assert load_scenario(tmp_path / "s0.toml").name


def test_extends_cycle_still_named(tmp_path: Path, expect_error) -> None:
    (tmp_path / "a.toml").write_text('extends = "b.toml"\n')
    (tmp_path / "b.toml").write_text('extends = "a.toml"\n')
    expect_error(load_scenario, tmp_path / "a.toml", contains=["cycle", "a.toml -> b.toml -> a.toml"])


def test_scenario_error_type() -> None:
    assert issubclass(ScenarioError, ValueError)


@pytest.mark.parametrize("text", ['name = "a\\u0000b"\n'])
def test_nul_in_toml_refused(tmp_path: Path, text: str, expect_error) -> None:
    path = tmp_path / "nul.toml"
    path.write_text(text)
    expect_error(load_scenario, path, file=path, contains=["'name' holds a NUL"])


def test_nul_in_a_table_cell_refused(make_scenario, expect_error) -> None:
    def poison(frame):
        frame = frame.copy()
        frame.loc[1, "name"] = "Acme\x00Corp"
        return frame

    path = make_scenario(partners=poison)
    expect_error(load_scenario, path, row=3, column="name", contains=["NUL"])

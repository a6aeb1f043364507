"""Tests for selector.inputs.synth.write: the written scenario, the command line and the
bundled vendor data."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pandas as pd
import pytest
from conftest import MODEL, SCENARIOS

from selector.cli.synth import main
from selector.errors import ScenarioError
from selector.inputs.scenario import describe, load_scenario
from selector.inputs.synth import SyntheticChannel, generate_channel, write_scenario

TABLES = ("partners", "segments", "coverage", "supply")


@pytest.fixture(scope="module")
def vendor() -> SyntheticChannel:
    return generate_channel(seed=2027)


# --- writing ----------------------------------------------------------------------------------


def test_write_scenario_writes_a_loadable_scenario(tmp_path: Path) -> None:
    ch = generate_channel(seed=11, scale=0.3, accounts=1000, named=50, prospects=0)
    path = write_scenario(ch, tmp_path / "small", name="Small", model=str(MODEL))
    assert path == tmp_path / "small.toml"
    assert sorted(p.name for p in (tmp_path / "small").iterdir()) == [
        "coverage.csv", "partners.csv", "segments.csv", "supply.csv",
    ]  # fmt: skip
    scenario = load_scenario(path)
    info = describe(scenario)
    assert info["partners"] == len(ch.partners) and info["segments"] == len(ch.segments)
    assert info["coverage_pairs"] == len(ch.coverage)
    assert info["budget_total"] == ch.budget_total
    assert info["budget_pools"] == {"type:distributor": ch.distributor_budget}
    assert info["problems"] == []
    assert scenario.constraints.max_partners_per_segment == 6
    assert scenario.constraints.min_partners_named == 1
    assert scenario.programme is None and "status" not in scenario.partners.columns
    (pair,) = scenario.constraints.conflicts
    p = ch.partners.set_index("id")
    assert p.loc[pair[0], "regions"] == p.loc[pair[1], "regions"]
    assert (p.loc[list(pair), "type"] == "reseller").all()


def test_write_scenario_refuses_to_overwrite(tmp_path: Path) -> None:
    ch = generate_channel(seed=11, scale=0.3, accounts=1000, named=50)
    (tmp_path / "x.toml").write_text("keep me\n")
    with pytest.raises(ScenarioError, match="overwrite=True") as info:
        write_scenario(ch, tmp_path / "x", name="X")
    assert info.value.file == str(tmp_path / "x.toml")
    assert "--force" in str(info.value)
    assert not (tmp_path / "x" / "partners.csv").exists()  # nothing written
    assert (tmp_path / "x.toml").read_text() == "keep me\n"
    write_scenario(ch, tmp_path / "x", name="X", overwrite=True)
    assert tomllib.loads((tmp_path / "x.toml").read_text())["name"] == "X"
    with pytest.raises(ScenarioError, match=r"partners\.csv"):
        write_scenario(ch, tmp_path / "x", name="X")


def test_write_scenario_without_model(tmp_path: Path) -> None:
    ch = generate_channel(seed=11, scale=0.3, accounts=1000, named=50)
    path = write_scenario(ch, tmp_path / "m", name='Quote " and \\ back', model=None)
    data = tomllib.loads(path.read_text())
    assert "model" not in data and data["name"] == 'Quote " and \\ back'


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "acc"
    argv = [str(out), "--seed", "4", "--scale", "0.3", "--granularity", "account",
            "--accounts", "800", "--named", "20"]  # fmt: skip
    assert main(argv) == 0
    assert "coverage pairs" in capsys.readouterr().out
    written = pd.read_csv(out / "segments.csv")
    assert len(written) == 800 and written["named"].sum() == 20
    assert main(argv) == 2
    assert "--force" in capsys.readouterr().err
    assert main([*argv, "--force"]) == 0


# --- the bundled vendor scenario ---------------------------------------------------------------


def test_bundled_vendor_data_is_reproducible(vendor: SyntheticChannel, tmp_path: Path) -> None:
    path = write_scenario(vendor, tmp_path / "vendor", name="FY27 vendor baseline", currency="CNY")
    for table in TABLES:
        bundled = (SCENARIOS / "vendor" / f"{table}.csv").read_bytes()
        assert (tmp_path / "vendor" / f"{table}.csv").read_bytes() == bundled, table
    assert path.read_bytes() == (SCENARIOS / "vendor.toml").read_bytes()


def test_bundled_overlays(vendor: SyntheticChannel) -> None:
    base = tomllib.loads((SCENARIOS / "vendor.toml").read_text())
    cut = tomllib.loads((SCENARIOS / "vendor-budget-cut.toml").read_text())
    drop = tomllib.loads((SCENARIOS / "vendor-drop-distributor.toml").read_text())
    assert base["budget"]["total"] == vendor.budget_total
    assert cut["extends"] == drop["extends"] == "vendor.toml"
    assert cut["budget"]["total"] == pytest.approx(0.8 * base["budget"]["total"])
    pool = "type:distributor"
    assert cut["budget"]["pools"][pool] == pytest.approx(0.8 * base["budget"]["pools"][pool])
    # A 20 % cut of a channel that costs the whole budget needs a bigger exit programme.
    assert cut["programme"]["max_exits"] > base["programme"]["max_exits"]
    # The overlay drops a current distributor (kept in the baseline plan) that supplies
    # partners.
    top = "D012"
    assert top in set(vendor.supply["distributor_id"])
    assert vendor.partners.set_index("id").loc[top, "status"] == "current"
    assert drop["constraints"]["must_exclude"] == [top]
    assert set(drop) <= {"extends", "name", "description", "constraints"}
    loaded = load_scenario(SCENARIOS / "vendor-drop-distributor.toml")
    assert loaded.constraints.must_exclude == (top,)
    assert loaded.constraints.min_partners_named == 1  # inherited
    assert loaded.programme is not None and loaded.programme.max_exits == base["programme"]["max_exits"]
    cut_loaded = load_scenario(SCENARIOS / "vendor-budget-cut.toml")
    assert cut_loaded.budget.total == cut["budget"]["total"]
    assert cut_loaded.programme is not None
    assert cut_loaded.programme.tier_names == ("registered", "silver", "gold")  # inherited

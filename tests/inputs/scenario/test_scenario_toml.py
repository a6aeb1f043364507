"""Scenario files: TOML that does not parse, files that are missing, the extends chain."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import tomli_w
from conftest import teaching_table

from selector.inputs.scenario import load_scenario

# --- the file itself ---------------------------------------------------------------------


def test_invalid_toml(make_scenario, expect_error):
    path = make_scenario(raw_toml='name = "x"\n[budget\ntotal = 5\n')
    expect_error(load_scenario, path, file=path, contains=["not valid TOML", "line"])


def test_scenario_file_not_utf8(tmp_path, expect_error):
    path = tmp_path / "latin.toml"
    path.write_bytes('name = "Müller"\n'.encode("latin-1"))
    expect_error(load_scenario, path, file=path, contains=["not valid TOML", "not UTF-8"])


# --- missing files -------------------------------------------------------------------------


def test_scenario_file_missing(tmp_path, expect_error):
    missing = tmp_path / "nope.toml"
    expect_error(load_scenario, missing, file=missing, contains=["scenario file not found"])


def test_partners_path_wrong(make_scenario, expect_error):
    path = make_scenario(settings={"partners": "data/partner.csv"})
    expect_error(load_scenario, path, file=path.parent / "data" / "partner.csv",
                 contains=["file not found"])


def test_model_file_missing(make_scenario, expect_error):
    path = make_scenario(model="../models/missing.toml")
    expect_error(load_scenario, path, file=(path.parent / "../models/missing.toml").resolve(),
                 contains=["criteria model file not found"])


def test_partners_key_missing(make_scenario, expect_error):
    path = make_scenario(drop=["partners"])
    expect_error(load_scenario, path, file=path, contains=["'partners' is missing"])


def test_unsupported_table_format(make_scenario, expect_error):
    path = make_scenario(settings={"segments": "data/segments.xls"})
    (path.parent / "data" / "segments.xls").write_text("x")
    expect_error(load_scenario, path, file=path.parent / "data" / "segments.xls",
                 contains=["unsupported table format '.xls'", ".csv, .xlsx"])


# --- extends -------------------------------------------------------------------------------


def write_toml(path: Path, data: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(tomli_w.dumps(data))
    return path


def test_extends_cycle(tmp_path, expect_error):
    a = write_toml(tmp_path / "a.toml", {"extends": "b.toml", "budget": {"total": 1}})
    write_toml(tmp_path / "b.toml", {"extends": "a.toml"})
    expect_error(load_scenario, a, file=a, contains=["'extends' forms a cycle", "a.toml -> b.toml -> a.toml"])


def test_extends_itself(tmp_path, expect_error):
    a = write_toml(tmp_path / "a.toml", {"extends": "a.toml"})
    expect_error(load_scenario, a, file=a, contains=["a.toml -> a.toml"])


def test_extends_missing_parent(tmp_path, expect_error):
    a = write_toml(tmp_path / "a.toml", {"extends": "base.toml"})
    expect_error(load_scenario, a, file=tmp_path / "base.toml",
                 contains=["scenario file not found", "named by 'extends' in a.toml"])


def test_extends_unknown_key_in_parent(tmp_path, expect_error):
    a = write_toml(tmp_path / "a.toml", {"extends": "base.toml"})
    base = write_toml(tmp_path / "base.toml", {"budgett": 1})
    expect_error(load_scenario, a, file=base, contains=["budgett"])


def test_extends_chain(make_scenario, tmp_path):
    base = make_scenario(settings={"constraints": {"must_exclude": ["R04"]}})
    # the overlay lives in another folder: data paths stay relative to the base file
    overlay = write_toml(tmp_path / "variants" / "lean.toml", {
        "extends": f"../{base.parent.name}/{base.name}",
        "name": "Lean",
        "budget": {"total": 400_000},                       # override one key of the table
        "constraints": {"conflicts": [["R01", "R03"]],      # arrays are replaced
                        "must_exclude": []},
        "tiers": {"exclude_exit": True},
    })
    parent = load_scenario(base)
    s = load_scenario(overlay)
    assert s.name == "Lean"
    assert s.sources == (str(overlay.resolve()), str(base.resolve()))
    assert s.source == str(overlay)
    assert s.budget.total == 400_000
    assert s.budget.pools == parent.budget.pools                  # deep-merged, inherited
    assert s.budget.pools[0][0] == "type:distributor"
    assert s.constraints.conflicts == (("R01", "R03"),)
    assert s.constraints.must_exclude == ()
    assert parent.constraints.must_exclude == ("R04",)
    assert s.constraints.max_partners_per_segment == parent.constraints.max_partners_per_segment
    assert s.constraints.max_partners_per_segment is not None     # inherited
    assert s.tiers.exclude_exit is True and s.tiers.gold == 0.10
    assert s.config["partners"] == str((base.parent / "data" / "partners.csv").resolve())
    pd.testing.assert_frame_equal(s.partners, parent.partners)
    assert "extends" not in s.config


def test_extends_overlay_data_path_is_relative_to_the_overlay(make_scenario, tmp_path):
    base = make_scenario()
    segs = teaching_table("segments").iloc[:10]
    segs.to_csv(tmp_path / "few.csv", index=False)
    overlay = write_toml(tmp_path / "few.toml", {
        "extends": str(base), "segments": "few.csv"})
    s = load_scenario(overlay)
    assert len(s.segments) == 10
    assert s.config["segments"] == str((tmp_path / "few.csv").resolve())

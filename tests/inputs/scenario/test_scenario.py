"""The Scenario object: the teaching scenario, describe, derived views, what-if variants,
the fingerprint, scenarios from in-memory frames and the TOML round trip."""

from __future__ import annotations

import dataclasses
import tomllib

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import tomli_w
from conftest import MODEL, TEACHING_DATA, TEACHING_TOML, teaching_settings, teaching_table

from selector.errors import ScenarioError
from selector.inputs.criteria import load_model
from selector.inputs.scenario import (
    Budget,
    describe,
    load_scenario,
    scenario_from_frames,
)

TOTAL = teaching_settings()["budget"]["total"]


def set_cell(frame: pd.DataFrame, row_id: str, column: str, value: str) -> pd.DataFrame:
    out = frame.copy()
    out.loc[out["id"] == row_id, column] = value
    return out


# --- the teaching scenario ---------------------------------------------------------------


def test_teaching_loads_every_row_and_column(teaching):
    raw_p = teaching_table("partners")
    raw_s = teaching_table("segments")
    raw_supply = teaching_table("supply")
    assert teaching.partner_ids == tuple(raw_p["id"])
    assert teaching.segment_ids == tuple(raw_s["id"])
    assert len(teaching.partners) == len(raw_p) == 12
    assert len(teaching.segments) == len(raw_s) == 30
    assert teaching.supply is not None and len(teaching.supply) == len(raw_supply) == 12
    # every column is kept (id becomes the index)
    assert set(raw_p.columns) - {"id"} <= set(teaching.partners.columns)
    assert set(raw_s.columns) - {"id"} <= set(teaching.segments.columns)
    assert teaching.partners.loc["R01", "regions"] == ("East",)
    assert teaching.partners.loc["D01", "industries"] == ("*",)
    assert teaching.partners.loc["R03", "industries"] == ("manufacturing", "government")
    assert teaching.partners["cost"].dtype == float
    assert teaching.partners.loc["D01", "cost"] == 180_000
    assert teaching.partners["gtm_tier"].tolist() == [1, 1] + [2] * 10
    assert teaching.partners.loc["R05", "overdue_ratio"] == pytest.approx(0.02)
    assert teaching.segments["named"].sum() == 3
    assert np.isnan(teaching.segments["min_partners"]).all()
    assert teaching.model is not None and teaching.model.name == "Partner selection"
    assert teaching.name == "Teaching: East-North-South"
    assert teaching.objective == "weighted_coverage"
    # settings as written in teaching.toml (read independently of the loader)
    cfg = teaching_settings()
    assert teaching.budget == Budget(
        total=float(cfg["budget"]["total"]),
        pools=tuple((k, float(v)) for k, v in cfg["budget"]["pools"].items()),
    )
    assert teaching.constraints.conflicts == tuple(tuple(c) for c in cfg["constraints"]["conflicts"])
    assert teaching.constraints.max_partners_per_segment == cfg["constraints"]["max_partners_per_segment"]
    assert teaching.constraints.min_partners_named == cfg["constraints"]["min_partners"]["named"]
    assert teaching.constraints.tier2_needs_distributor is True
    assert teaching.importance_column == "importance_to_partner"
    assert teaching.sources == (str(TEACHING_TOML.resolve()),)
    assert not teaching.coverage_given


def test_teaching_problems_report_the_two_uncovered_segments(teaching):
    assert len(teaching.problems) == 1
    (problem,) = teaching.problems
    assert "2 segment(s)" in problem
    assert "E-EDU-ENT" in problem and "N-RET-ENT" in problem
    assert "905,000" in problem  # 455,000 + 450,000
    uncovered = set(teaching.segment_ids) - set(teaching.coverage["segment_id"])
    assert uncovered == {"E-EDU-ENT", "N-RET-ENT"}


def test_describe_counts(teaching):
    info = describe(teaching)
    assert info["partners"] == 12
    assert info["partners_by_type"] == {"distributor": 2, "isv": 1, "reseller": 5, "si": 4}
    assert info["partners_by_tier"] == {"1": 2, "2": 10}
    assert info["segments"] == 30
    assert info["named_segments"] == 3
    assert info["coverage_pairs"] == 52
    assert info["supply_pairs"] == 12
    assert info["total_partner_cost"] == 990_000
    assert info["segment_value"] == 15_378_000
    assert info["budget_total"] == TOTAL
    assert info["conflicts"] == teaching_settings()["constraints"]["conflicts"]


# --- derived views -------------------------------------------------------------------------


def test_coverage_matrix_shape_and_sum(teaching):
    mat = teaching.coverage_matrix
    assert sp.issparse(mat) and mat.format == "csr"
    assert mat.shape == (12, 30)
    assert mat.dtype == np.int8
    assert mat.sum() == len(teaching.coverage) == 52
    dense = mat.toarray()
    assert set(np.unique(dense)) <= {0, 1}
    r01 = teaching.partner_ids.index("R01")
    assert {teaching.segment_ids[j] for j in np.flatnonzero(dense[r01])} == {"E-FIN-ENT", "E-GOV-ENT"}
    assert dense.sum(axis=0)[teaching.segment_ids.index("E-EDU-ENT")] == 0


def test_required_partners(teaching, make_scenario):
    req = teaching.required_partners()
    assert req.dtype == np.int64 and req.shape == (30,)
    named = [teaching.segment_ids[i] for i in np.flatnonzero(req)]
    assert named == ["N-GOV-ENT", "E-FIN-ENT", "S-MAN-ENT"]
    assert req.sum() == 3
    # a segment's own min_partners overrides; min_cost defaults to 1 everywhere else
    frame = teaching_table("segments")
    frame["min_partners"] = ""
    frame = set_cell(frame, "N-GOV-ENT", "min_partners", "2")
    frame = set_cell(frame, "N-FIN-SMB", "min_partners", "0")
    s = load_scenario(make_scenario(segments=frame, settings={"objective": {"kind": "min_cost"}}))
    req2 = s.required_partners()
    assert req2[s.segment_ids.index("N-GOV-ENT")] == 2
    assert req2[s.segment_ids.index("N-FIN-SMB")] == 0
    assert req2[s.segment_ids.index("E-FIN-ENT")] == 1
    assert (np.delete(req2, [0, 1, 2]) == 1).all()


def test_max_partners(teaching, make_scenario):
    cap = teaching.max_partners()
    assert cap.tolist() == [teaching_settings()["constraints"]["max_partners_per_segment"]] * 30
    frame = teaching_table("segments")
    frame["max_partners"] = ""
    frame = set_cell(frame, "S-RET-SMB", "max_partners", "1")
    s = load_scenario(make_scenario(segments=frame, drop=["constraints.max_partners_per_segment"]))
    cap2 = s.max_partners()
    assert cap2[s.segment_ids.index("S-RET-SMB")] == 1
    assert (cap2 == -1).sum() == 29


def test_pool_members(teaching):
    def members(key: str) -> set[str]:
        mask = teaching.pool_members(key)
        assert mask.dtype == bool and mask.shape == (12,)
        return {p for p, m in zip(teaching.partner_ids, mask, strict=True) if m}

    assert members("type:distributor") == {"D01", "D02"}
    assert members("tier:1") == {"D01", "D02"}
    assert members("tier:2") == set(teaching.partner_ids) - {"D01", "D02"}
    # R05 works every region (*)
    assert members("region:East") == {"D01", "R01", "R03", "R05", "R06", "R07", "R10"}
    # D01 and D02 work every industry (*)
    assert members("industry:finance") == {"D01", "D02", "R01", "R05", "R06", "R09"}
    assert members("size:enterprise") == {"D02", "R01", "R03", "R05", "R06", "R08", "R09"}


# --- with_changes, frozen, fingerprint -------------------------------------------------------


def test_with_changes_budget(teaching):
    s2 = teaching.with_changes({"budget": {"total": 1_000_000}})
    assert s2.budget.total == 1_000_000
    assert s2.budget.pools == teaching.budget.pools       # merged, not replaced
    assert teaching.budget.total == TOTAL                 # the original is untouched
    assert teaching.config["budget"]["total"] == TOTAL
    assert s2.partners is teaching.partners
    assert s2.segments is teaching.segments
    assert s2.coverage is teaching.coverage
    assert s2.supply is teaching.supply
    assert s2.model is teaching.model
    assert s2.sources == teaching.sources


def test_with_changes_revalidates(teaching, expect_error):
    expect_error(teaching.with_changes, {"budget": {"total": -5}},
                 file=TEACHING_TOML, contains=["budget.total is -5"])
    expect_error(teaching.with_changes, {"constraints": {"must_include": ["NOPE"]}},
                 file=TEACHING_TOML, contains=["'NOPE' is not a partner id"])
    expect_error(teaching.with_changes, {"objective": {"kind": "max_profit"}},
                 file=TEACHING_TOML, contains=["'max_profit'"])


@pytest.mark.parametrize("key", ["budjet", "extends"])
def test_with_changes_unknown_key(teaching, key):
    with pytest.raises(ScenarioError, match=f"unknown scenario setting '{key}'; accepted: .*budget"):
        teaching.with_changes({key: {}})


def test_with_changes_new_data_file_is_relative_to_the_scenario(make_scenario):
    path = make_scenario()
    teaching_table("segments").iloc[:5].to_csv(path.parent / "data" / "five.csv", index=False)
    s = load_scenario(path)
    s2 = s.with_changes({"segments": "data/five.csv"})
    assert len(s2.segments) == 5
    assert s2.segments is not s.segments
    assert s2.coverage_matrix.shape == (12, 5)


def test_scenario_is_frozen(teaching):
    with pytest.raises(dataclasses.FrozenInstanceError):
        teaching.name = "changed"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        teaching.budget.total = 1.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        teaching.config["name"] = "changed"  # type: ignore[index]
    with pytest.raises(TypeError):
        teaching.solve_options["solver"] = "cbc"  # type: ignore[index]
    assert teaching.name == "Teaching: East-North-South"


def test_fingerprint(teaching, make_scenario):
    again = load_scenario(TEACHING_TOML)
    assert teaching.fingerprint == again.fingerprint
    assert len(teaching.fingerprint) == 16
    changed = teaching.with_changes({"budget": {"total": TOTAL + 100_000}})
    assert changed.fingerprint != teaching.fingerprint
    back = changed.with_changes({"budget": {"total": TOTAL}})
    assert back.fingerprint == teaching.fingerprint
    # a copy in another folder has the same content, hence the same fingerprint
    assert load_scenario(make_scenario()).fingerprint == teaching.fingerprint
    # one changed cell changes it
    cell = load_scenario(make_scenario(partners=lambda df: set_cell(df, "R01", "cost", "95001")))
    assert cell.fingerprint != teaching.fingerprint


def test_fingerprint_sees_the_model(make_scenario, tmp_path):
    text = MODEL.read_text().replace('["credit_rating", "annual_revenue", 3]',
                                     '["credit_rating", "annual_revenue", 5]')
    other = tmp_path / "other-model.toml"
    other.write_text(text)
    a = load_scenario(make_scenario())
    b = load_scenario(make_scenario(model=other))
    assert a.fingerprint != b.fingerprint


# --- scenario_from_frames ----------------------------------------------------------------------


def _frames():
    # as a user would read them: pandas' own types, numbers as numbers
    return {name: pd.read_csv(TEACHING_DATA / f"{name}.csv") for name in ("partners", "segments", "supply")}


def test_scenario_from_frames_matches_the_files(teaching):
    f = _frames()
    settings = teaching_settings()
    s = scenario_from_frames(f["partners"], f["segments"], supply=f["supply"],
                             model=load_model(MODEL), settings=settings)
    pd.testing.assert_frame_equal(s.partners, teaching.partners)
    pd.testing.assert_frame_equal(s.segments, teaching.segments)
    pd.testing.assert_frame_equal(s.coverage, teaching.coverage)
    pd.testing.assert_frame_equal(s.supply, teaching.supply)
    assert s.budget == teaching.budget
    assert s.constraints == teaching.constraints
    assert s.tiers == teaching.tiers
    assert s.problems == teaching.problems
    assert s.name == teaching.name
    assert s.source is None
    assert s.fingerprint == teaching.fingerprint
    assert (s.coverage_matrix != teaching.coverage_matrix).nnz == 0
    s2 = s.with_changes({"budget": {"total": 1}})
    assert s2.partners is s.partners and s2.budget.total == 1


def test_scenario_from_frames_with_missing_cells():
    f = _frames()
    seg = f["segments"]
    seg["min_partners"] = [2.0] + [np.nan] * (len(seg) - 1)   # NaN where not given
    s = scenario_from_frames(f["partners"], seg, supply=f["supply"], model=load_model(MODEL),
                             settings=teaching_settings())
    assert s.required_partners()[0] == 2
    assert np.isnan(s.segments["min_partners"].iloc[1:]).all()


def test_scenario_from_frames_errors_name_the_table_and_row(expect_error):
    f = _frames()
    f["partners"].loc[3, "market_share"] = np.nan
    expect_error(
        lambda: scenario_from_frames(f["partners"], f["segments"], supply=f["supply"],
                                     model=load_model(MODEL), settings=teaching_settings()),
        file="partners table", row=5, column="market_share",
        contains=["no value for criterion 'market_share'"],
    )


def test_scenario_from_frames_without_model_needs_scores():
    f = _frames()
    with pytest.raises(ScenarioError, match="needs partner scores"):
        scenario_from_frames(f["partners"], f["segments"])
    s = scenario_from_frames(f["partners"], f["segments"],
                             settings={"objective": {"kind": "coverage"}})
    assert s.supply is None and len(s.coverage) == 52


# --- the whole file round-trips ---------------------------------------------------------------


def test_to_toml_dict_round_trips(teaching, tmp_path):
    out = teaching.to_toml_dict()
    assert "extends" not in out
    assert out["budget"]["total"] == 600_000
    assert tomllib.loads(tomli_w.dumps(out))["constraints"]["conflicts"] == [["R02", "R10"]]

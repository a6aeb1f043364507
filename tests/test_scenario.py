"""Loading scenarios: every class of bad input names its place; good input loads whole."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import tomli_w

from selector.errors import ScenarioError
from selector.inputs.criteria import load_model
from selector.inputs.scenario import (
    Budget,
    describe,
    load_scenario,
    scenario_from_frames,
)

REPO = Path(__file__).resolve().parents[1]
TEACHING_TOML = REPO / "scenarios" / "teaching.toml"
TEACHING_DATA = REPO / "scenarios" / "teaching"
MODEL = REPO / "models" / "partner-selection.toml"


def teaching_table(name: str) -> pd.DataFrame:
    return pd.read_csv(TEACHING_DATA / f"{name}.csv", dtype=str, keep_default_na=False)


def teaching_settings() -> dict:
    with TEACHING_TOML.open("rb") as fh:
        data = tomllib.load(fh)
    for key in ("model", "partners", "segments", "supply", "coverage"):
        data.pop(key, None)
    return data


TOTAL = teaching_settings()["budget"]["total"]


def set_cell(frame: pd.DataFrame, row_id: str, column: str, value: str) -> pd.DataFrame:
    out = frame.copy()
    out.loc[out["id"] == row_id, column] = value
    return out


def partners_row(row_id: str) -> int:
    """Spreadsheet row of a teaching partner (header = row 1)."""
    return int(np.flatnonzero(teaching_table("partners")["id"] == row_id)[0]) + 2


def segments_row(row_id: str) -> int:
    return int(np.flatnonzero(teaching_table("segments")["id"] == row_id)[0]) + 2


def data_file(scenario_path: Path, name: str, fmt: str = "csv") -> Path:
    return scenario_path.parent / "data" / f"{name}.{fmt}"


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


# --- coverage by attributes ----------------------------------------------------------------


def _expected_pairs() -> set[tuple[str, str]]:
    partners = teaching_table("partners")
    segments = teaching_table("segments")
    out = set()
    for p in partners.itertuples():
        allowed = [set(v.split(";")) for v in (p.regions, p.industries, p.sizes)]
        for s in segments.itertuples():
            if all("*" in a or value in a for a, value in zip(allowed, (s.region, s.industry, s.size), strict=True)):
                out.add((p.id, s.id))
    return out


def test_coverage_by_attributes_matches_a_brute_force_check(teaching):
    pairs = set(zip(teaching.coverage["partner_id"], teaching.coverage["segment_id"], strict=True))
    assert pairs == _expected_pairs()
    assert len(pairs) == len(teaching.coverage) == 52  # no repeats


def test_star_matches_all_and_every_attribute_must_match(teaching):
    cov = teaching.coverage
    covered = {p: set(cov.loc[cov["partner_id"] == p, "segment_id"]) for p in teaching.partner_ids}
    # D01: North;East, industries *, smb -> all 5 industries in 2 regions, smb only
    assert covered["D01"] == {f"{r}-{i}-SMB" for r in "NE" for i in ("FIN", "GOV", "MAN", "RET", "EDU")}
    # R05: regions *, finance, enterprise
    assert covered["R05"] == {"N-FIN-ENT", "E-FIN-ENT", "S-FIN-ENT"}
    # R01: East, finance;government, enterprise: not East-finance-smb, not North-finance-enterprise
    assert covered["R01"] == {"E-FIN-ENT", "E-GOV-ENT"}


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


def test_partner_with_no_match_is_reported_not_dropped(make_scenario):
    path = make_scenario(partners=lambda df: set_cell(df, "R04", "regions", "West"))
    s = load_scenario(path)
    assert len(s.partners) == 12
    assert "R04" in s.partner_ids
    assert any("cover no segment" in p and "R04" in p for p in s.problems)


def test_coverage_table_is_used_as_given(make_scenario):
    path = make_scenario(coverage=[("R01", "N-FIN-ENT"), ("R02", "S-EDU-SMB"), ("R01", "N-FIN-ENT")])
    s = load_scenario(path)
    assert s.coverage_given
    assert list(zip(s.coverage["partner_id"], s.coverage["segment_id"], strict=True)) == [
        ("R01", "N-FIN-ENT"), ("R02", "S-EDU-SMB")]
    assert s.coverage_matrix.sum() == 2
    assert any("repeated partner/segment pair" in p and "rows 4" in p for p in s.problems)
    assert any("28 segment(s)" in p for p in s.problems)


# --- XLSX ----------------------------------------------------------------------------------


def test_xlsx_loads_the_same_as_csv(make_scenario):
    from_csv = load_scenario(make_scenario())
    from_xlsx = load_scenario(make_scenario(fmt="xlsx"))
    assert from_xlsx.config["partners"].endswith("partners.xlsx")
    pd.testing.assert_frame_equal(from_csv.partners, from_xlsx.partners)
    pd.testing.assert_frame_equal(from_csv.segments, from_xlsx.segments)
    pd.testing.assert_frame_equal(from_csv.coverage, from_xlsx.coverage)
    pd.testing.assert_frame_equal(from_csv.supply, from_xlsx.supply)
    assert from_csv.problems == from_xlsx.problems
    assert from_csv.fingerprint == from_xlsx.fingerprint


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_non_numeric_cell_names_the_spreadsheet_row(make_scenario, expect_error, fmt):
    path = make_scenario(partners=lambda df: set_cell(df, "R03", "cost", "12k"), fmt=fmt)
    msg = expect_error(
        load_scenario, path,
        file=data_file(path, "partners", fmt), row=partners_row("R03"), column="cost",
        contains=["'12k'", "not a number"],
    )
    assert partners_row("R03") == 6 and "row 6" in msg


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_empty_criterion_cell_is_an_error(make_scenario, expect_error, fmt):
    path = make_scenario(partners=lambda df: set_cell(df, "R06", "satisfaction", ""), fmt=fmt)
    expect_error(
        load_scenario, path,
        file=data_file(path, "partners", fmt), row=partners_row("R06"), column="satisfaction",
        contains=["no value for criterion 'satisfaction'", "missing ="],
    )


# --- partner and segment table errors ------------------------------------------------------


def test_duplicate_partner_id_names_both_rows(make_scenario, expect_error):
    path = make_scenario(partners=lambda df: set_cell(df, "R05", "id", "R01"))
    expect_error(
        load_scenario, path,
        file=data_file(path, "partners"), row=partners_row("R05"), column="id",
        contains=["'R01'", f"also in row {partners_row('R01')}", "unique"],
    )


def test_duplicate_segment_id_names_both_rows(make_scenario, expect_error):
    path = make_scenario(segments=lambda df: set_cell(df, "S-GOV-ENT", "id", "N-FIN-SMB"))
    expect_error(
        load_scenario, path,
        file=data_file(path, "segments"), row=segments_row("S-GOV-ENT"), column="id",
        contains=["'N-FIN-SMB'", "also in row 3"],
    )


def test_empty_partner_id(make_scenario, expect_error):
    path = make_scenario(partners=lambda df: set_cell(df, "R02", "id", ""))
    expect_error(load_scenario, path, file=data_file(path, "partners"),
                 row=partners_row("R02"), column="id", contains=["empty"])


@pytest.mark.parametrize(
    ("value", "fragments"),
    [("-5", ["-5 is below 0", "0 or more"]), ("", ["empty", "number is required"]),
     ("12k", ["'12k' is not a number"]), ("inf", ["'inf' is not a number"])],
)
def test_bad_cost(make_scenario, expect_error, value, fragments):
    path = make_scenario(partners=lambda df: set_cell(df, "R08", "cost", value))
    expect_error(load_scenario, path, file=data_file(path, "partners"),
                 row=partners_row("R08"), column="cost", contains=fragments)


@pytest.mark.parametrize(
    ("value", "fragments"),
    [("-1", ["-1 is below 0"]), ("", ["empty"]), ("lots", ["'lots' is not a number"])],
)
def test_bad_segment_value(make_scenario, expect_error, value, fragments):
    path = make_scenario(segments=lambda df: set_cell(df, "E-RET-SMB", "value", value))
    expect_error(load_scenario, path, file=data_file(path, "segments"),
                 row=segments_row("E-RET-SMB"), column="value", contains=fragments)


def test_cost_accepts_underscores_and_zero(make_scenario):
    frame = set_cell(teaching_table("partners"), "R01", "cost", "95_000")
    frame = set_cell(frame, "R02", "cost", "0")
    s = load_scenario(make_scenario(partners=frame))
    assert s.partners.loc["R01", "cost"] == 95_000
    assert s.partners.loc["R02", "cost"] == 0


def test_gtm_tier_3(make_scenario, expect_error):
    path = make_scenario(partners=lambda df: set_cell(df, "R07", "gtm_tier", "3"))
    expect_error(load_scenario, path, file=data_file(path, "partners"),
                 row=partners_row("R07"), column="gtm_tier",
                 contains=["'3' is not a go-to-market tier", "accepted: 1", "or 2"])


def test_empty_partner_type(make_scenario, expect_error):
    path = make_scenario(partners=lambda df: set_cell(df, "R09", "type", ""))
    expect_error(load_scenario, path, file=data_file(path, "partners"),
                 row=partners_row("R09"), column="type", contains=["empty"])


def test_bad_named_value(make_scenario, expect_error):
    path = make_scenario(segments=lambda df: set_cell(df, "N-EDU-SMB", "named", "maybe"))
    expect_error(load_scenario, path, file=data_file(path, "segments"),
                 row=segments_row("N-EDU-SMB"), column="named",
                 contains=["'maybe'", "accepted: true, false"])


def test_named_accepts_yes_no_and_empty(make_scenario):
    frame = teaching_table("segments")
    frame["named"] = ["yes", "NO", "", "1", "0", "True"] * 5
    s = load_scenario(make_scenario(segments=frame))
    assert s.segments["named"].tolist() == [True, False, False, True, False, True] * 5


def test_missing_required_partner_column(make_scenario, expect_error):
    path = make_scenario(partners=lambda df: df.drop(columns=["sizes"]))
    expect_error(load_scenario, path, file=data_file(path, "partners"), column="sizes",
                 contains=["required column is missing", "the table has: id, name"])


def test_missing_required_segment_column(make_scenario, expect_error):
    path = make_scenario(segments=lambda df: df.drop(columns=["value"]))
    expect_error(load_scenario, path, file=data_file(path, "segments"), column="value",
                 contains=["required column is missing"])


def test_missing_criterion_column_names_column_and_criterion(make_scenario, expect_error):
    path = make_scenario(partners=lambda df: df.drop(columns=["certified_engineers"]))
    expect_error(load_scenario, path, file=data_file(path, "partners"), column="certified_engineers",
                 contains=["criterion 'certified_engineers'", "(Certified engineers)",
                           "'Partner selection'", "is missing"])


def test_criterion_column_other_than_its_id(make_scenario, expect_error, tmp_path):
    text = MODEL.read_text().replace(
        'id = "solution_skill"\n', 'id = "solution_skill"\ncolumn = "skill_rating"\n')
    model = tmp_path / "model.toml"
    model.write_text(text)
    path = make_scenario(model=model)
    expect_error(load_scenario, path, file=data_file(path, "partners"), column="skill_rating",
                 contains=["criterion 'solution_skill'"])
    renamed = make_scenario(
        model=model, partners=lambda df: df.rename(columns={"solution_skill": "skill_rating"}))
    s = load_scenario(renamed)
    assert s.partners["skill_rating"].tolist() == teaching_table("partners")["solution_skill"].astype(float).tolist()


def test_empty_criterion_cell_allowed_when_model_says_so(make_scenario, tmp_path):
    text = MODEL.read_text().replace(
        'id = "satisfaction"\n', 'id = "satisfaction"\nmissing = "worst"\n')
    model = tmp_path / "model.toml"
    model.write_text(text)
    s = load_scenario(make_scenario(
        model=model, partners=lambda df: set_cell(df, "R06", "satisfaction", "")))
    assert np.isnan(s.partners.loc["R06", "satisfaction"])
    assert s.partners["satisfaction"].notna().sum() == 11


def test_non_numeric_criterion_cell(make_scenario, expect_error):
    path = make_scenario(partners=lambda df: set_cell(df, "D02", "overdue_ratio", "9%"))
    expect_error(load_scenario, path, file=data_file(path, "partners"),
                 row=partners_row("D02"), column="overdue_ratio", contains=["'9%'"])


@pytest.mark.parametrize("table", ["partners", "segments"])
def test_header_only_table(make_scenario, expect_error, table):
    header = ",".join(teaching_table(table).columns) + "\n"
    path = make_scenario(**{table: header})
    expect_error(load_scenario, path, file=data_file(path, table),
                 contains=["header but no data rows"])


@pytest.mark.parametrize("table", ["partners", "segments", "supply"])
def test_completely_empty_file(make_scenario, expect_error, table):
    path = make_scenario(**{table: ""})
    expect_error(load_scenario, path, file=data_file(path, table), contains=["the table is empty"])


# --- scores without a model ----------------------------------------------------------------


def test_weighted_coverage_needs_a_model_or_scores(make_scenario, expect_error):
    path = make_scenario(model=False)
    expect_error(load_scenario, path, file=data_file(path, "partners"), column="score",
                 contains=["weighted_coverage needs partner scores", "'model'", "'score' column"])


def test_scores_without_a_model(make_scenario):
    frame = teaching_table("partners")
    frame["score"] = [f"{v:.2f}" for v in np.linspace(0, 1, len(frame))]
    s = load_scenario(make_scenario(model=False, partners=frame))
    assert s.model is None
    assert s.partners["score"].tolist() == pytest.approx(np.round(np.linspace(0, 1, 12), 2))


@pytest.mark.parametrize(("value", "fragment"), [("1.5", "1.5 is above 1"), ("-0.1", "-0.1 is below 0"),
                                                 ("", "empty"), ("high", "'high' is not a number")])
def test_score_outside_0_1(make_scenario, expect_error, value, fragment):
    frame = teaching_table("partners")
    frame["score"] = "0.5"
    frame = set_cell(frame, "D02", "score", value)
    path = make_scenario(model=False, partners=frame)
    expect_error(load_scenario, path, file=data_file(path, "partners"),
                 row=partners_row("D02"), column="score", contains=[fragment])


@pytest.mark.parametrize("kind", ["coverage", "min_cost"])
def test_objectives_without_scores_need_no_model(make_scenario, kind):
    s = load_scenario(make_scenario(model=False, settings={"objective": {"kind": kind}}))
    assert s.objective == kind
    assert s.model is None
    assert "score" not in s.partners.columns


# --- constraints naming partners -----------------------------------------------------------


@pytest.mark.parametrize("key", ["must_include", "must_exclude"])
def test_unknown_partner_in_include_exclude(make_scenario, expect_error, key):
    path = make_scenario(settings={"constraints": {key: ["R01", "P999"]}})
    expect_error(load_scenario, path, file=path,
                 contains=[f"constraints.{key}", "'P999' is not a partner id"])


def test_unknown_partner_in_conflicts(make_scenario, expect_error):
    path = make_scenario(settings={"constraints": {"conflicts": [["R02", "R10"], ["R01", "X1"]]}})
    expect_error(load_scenario, path, file=path,
                 contains=["constraints.conflicts pair 2", "'X1' is not a partner id"])


def test_partner_both_included_and_excluded(make_scenario, expect_error):
    path = make_scenario(settings={"constraints": {"must_include": ["R01", "R03"],
                                                   "must_exclude": ["R03"]}})
    expect_error(load_scenario, path, file=path,
                 contains=["R03 both in must_include and must_exclude"])


@pytest.mark.parametrize("pair", [["R02", "R02"], ["R01", "R02", "R03"], ["R01"]])
def test_conflict_pair_must_be_two_different_ids(make_scenario, expect_error, pair):
    path = make_scenario(settings={"constraints": {"conflicts": [pair]}})
    expect_error(load_scenario, path, file=path,
                 contains=["constraints.conflicts pair 1", repr(pair), "two different partner ids"])


def test_include_and_exclude_loaded(make_scenario):
    s = load_scenario(make_scenario(settings={"constraints": {
        "must_include": ["D01"], "must_exclude": ["R10"], "type_mix": {"si": {"min": 1, "max": 3}},
        "min_partners": {"named": 2, "default": 1}}}))
    assert s.constraints.must_include == ("D01",)
    assert s.constraints.must_exclude == ("R10",)
    assert s.constraints.type_mix == (("si", 1, 3),)
    assert s.constraints.min_partners_named == 2
    assert s.constraints.min_partners_default == 1


# --- settings errors -----------------------------------------------------------------------


def test_unknown_top_level_key(make_scenario, expect_error):
    path = make_scenario(settings={"budgt": {"total": 5}})
    expect_error(load_scenario, path, file=path,
                 contains=["unknown setting(s) budgt", "accepted:", "budget", "constraints"])


def test_unknown_constraints_key(make_scenario, expect_error):
    path = make_scenario(settings={"constraints": {"max_partners": 2}})
    expect_error(load_scenario, path, file=path,
                 contains=["constraints: unknown key(s) max_partners", "max_partners_per_segment"])


def test_bad_objective_kind(make_scenario, expect_error):
    path = make_scenario(settings={"objective": {"kind": "profit"}})
    expect_error(load_scenario, path, file=path,
                 contains=["objective.kind is 'profit'", "weighted_coverage, coverage, min_cost"])


@pytest.mark.parametrize(
    ("key", "fragments"),
    [("colour:red", ["budget pool 'colour:red'", "FIELD:VALUE", "region, industry, size, type, tier"]),
     ("East", ["budget pool 'East'", "FIELD:VALUE"]),
     ("region:", ["budget pool 'region:'"]),
     ("region:Mars", ["no partner has region 'Mars'", "accepted: East, North, South"]),
     ("type:wholesaler", ["no partner has type 'wholesaler'", "distributor"]),
     ("tier:3", ["no partner has tier '3'", "accepted: 1, 2"])],
)
def test_bad_budget_pool_key(make_scenario, expect_error, key, fragments):
    path = make_scenario(settings={"budget": {"pools": {key: 1000}}})
    expect_error(load_scenario, path, file=path, contains=fragments)


@pytest.mark.parametrize(
    ("budget", "fragment"),
    [({"total": -1}, "budget.total is -1"), ({"total": "lots"}, "budget.total is 'lots'"),
     ({"pools": {"type:si": -5}}, "budget pool 'type:si' is -5"),
     ({"limit": 5}, "budget: unknown key(s) limit")],
)
def test_bad_budget_values(make_scenario, expect_error, budget, fragment):
    path = make_scenario(settings={"budget": budget})
    expect_error(load_scenario, path, file=path, contains=[fragment])


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [("total = nan", "budget.total is nan"), ("total = inf", "budget.total is inf"),
     ('pools = { "type:si" = nan }', "budget pool 'type:si' is nan")],
)
def test_budget_must_be_finite(make_scenario, expect_error, extra, fragment):
    # TOML has nan and inf literals; a nan budget would pass "< 0" checks unnoticed
    path = make_scenario(drop=["budget"], toml_extra=f"[budget]\n{extra}\n")
    expect_error(load_scenario, path, file=path, contains=[fragment, "accepted: a number >= 0"])


@pytest.mark.parametrize(
    ("constraints", "fragment"),
    [({"max_partners_per_segment": 0}, "max_partners_per_segment is 0"),
     ({"max_partners_per_segment": 1.5}, "max_partners_per_segment is 1.5"),
     ({"min_partners": {"named": -1}}, "min_partners.named is -1"),
     ({"min_partners": {"every": 1}}, "min_partners accepts"),
     ({"type_mix": {"vad": {"min": 1}}}, "no partner has type 'vad'"),
     ({"type_mix": {"si": {"min": 3, "max": 1}}}, "min 3 is above max 1"),
     ({"tier2_needs_distributor": "yes"}, "tier2_needs_distributor must be true or false"),
     ({"must_include": "R01"}, "must_include must be a list")],
)
def test_bad_constraint_values(teaching, expect_error, constraints, fragment):
    # checked as a what-if of the teaching scenario: the same checks, no tables re-read
    expect_error(teaching.with_changes, {"constraints": constraints},
                 file=TEACHING_TOML, contains=[fragment])


@pytest.mark.parametrize(
    ("section", "fragment"),
    [({"tiers": {"gold": 0.5, "silver": 0.3}}, "gold <= silver"),
     ({"tiers": {"exclude_exit": "no"}}, "tiers.exclude_exit is 'no'"),
     ({"tiers": {"platinum": 0.01}}, "[tiers] accepts"),
     ({"solve": {"solver": "gurobi"}}, "solve.solver is 'gurobi'; accepted: highs, cbc"),
     ({"solve": {"time_limit": 0}}, "solve.time_limit is 0"),
     ({"positioning": {"importance_to_partner": "nope"}}, "names column 'nope'"),
     ({"positioning": {"importance_to_partner": "name"}}, "names column 'name'"),
     ({"name": 5}, "'name' must be text")],
)
def test_bad_other_settings(teaching, expect_error, section, fragment):
    expect_error(teaching.with_changes, section, file=TEACHING_TOML, contains=[fragment])


@pytest.mark.parametrize("section", [{"tiers": {"gold": 0.5, "silver": 0.3}}, {"partners": 5}])
def test_bad_settings_in_the_file(make_scenario, expect_error, section):
    path = make_scenario(settings=section)
    expect_error(load_scenario, path, file=path, contains=["accepted" if "tiers" in section
                                                           else "'partners' must be a file path"])


def test_settings_are_read(make_scenario):
    s = load_scenario(make_scenario(settings={
        "tiers": {"gold": 0.2, "silver": 0.5, "exit": 0.2, "exclude_exit": True},
        "solve": {"solver": "cbc", "time_limit": 5, "gap": 0.01},
        "budget": {"pools": {"region:East": 300_000}}}))
    assert s.tiers.gold == 0.2 and s.tiers.exclude_exit is True
    assert dict(s.solve_options) == {"solver": "cbc", "time_limit": 5.0, "gap": 0.01}
    assert s.budget.pools[-1] == ("region:East", 300_000.0)
    assert s.budget.pools[:-1] == tuple(
        (k, float(v)) for k, v in teaching_settings()["budget"]["pools"].items())


def test_invalid_toml(make_scenario, expect_error):
    path = make_scenario(raw_toml='name = "x"\n[budget\ntotal = 5\n')
    expect_error(load_scenario, path, file=path, contains=["not valid TOML", "line"])


def test_scenario_file_not_utf8(tmp_path, expect_error):
    path = tmp_path / "latin.toml"
    path.write_bytes('name = "Müller"\n'.encode("latin-1"))
    expect_error(load_scenario, path, file=path, contains=["not valid TOML", "not UTF-8"])


def test_name_defaults_to_file_stem(make_scenario):
    s = load_scenario(make_scenario(drop=["name"]))
    assert s.name == "scenario"


# --- coverage and supply tables ------------------------------------------------------------


def test_coverage_table_unknown_segment(make_scenario, expect_error):
    path = make_scenario(coverage=[("R01", "E-FIN-ENT"), ("R02", "X-NOPE"), ("R03", "X-NOPE")])
    expect_error(load_scenario, path, file=data_file(path, "coverage"), row=3, column="segment_id",
                 contains=["'X-NOPE' is not a segment id", "2 such row(s)"])


def test_coverage_table_unknown_partner(make_scenario, expect_error):
    path = make_scenario(coverage=[("R01", "E-FIN-ENT"), ("ZZ", "E-FIN-ENT")])
    expect_error(load_scenario, path, file=data_file(path, "coverage"), row=3, column="partner_id",
                 contains=["'ZZ' is not a partner id"])


def test_coverage_table_needs_its_columns(make_scenario, expect_error):
    path = make_scenario(coverage="partner,segment\nR01,E-FIN-ENT\n")
    expect_error(load_scenario, path, file=data_file(path, "coverage"), column="partner_id",
                 contains=["required column is missing"])


def test_supply_from_a_tier2_distributor(make_scenario, expect_error):
    supply = pd.concat([teaching_table("supply"),
                        pd.DataFrame({"distributor_id": ["R01"], "reseller_id": ["R02"]})])
    path = make_scenario(supply=supply)
    expect_error(load_scenario, path, file=data_file(path, "supply"), row=14,
                 column="distributor_id",
                 contains=["'R01' supplies 'R02'", "tier-2 partner", "only tier-1"])


def test_supply_to_a_tier1_partner(make_scenario, expect_error):
    path = make_scenario(supply="distributor_id,reseller_id\nD01,R01\nD01,D02\n")
    expect_error(load_scenario, path, file=data_file(path, "supply"), row=3,
                 column="reseller_id", contains=["'D02' is a tier-1 partner"])


def test_supply_unknown_partner(make_scenario, expect_error):
    path = make_scenario(supply="distributor_id,reseller_id\nD01,R01\nD09,R02\n")
    expect_error(load_scenario, path, file=data_file(path, "supply"), row=3,
                 column="distributor_id", contains=["'D09' is not a partner id"])


def test_tier2_needs_distributor_without_supply(make_scenario, expect_error):
    path = make_scenario(supply=None, settings={"constraints": {"tier2_needs_distributor": True}})
    expect_error(load_scenario, path, file=path,
                 contains=["tier2_needs_distributor is true", "no 'supply' table"])


def test_no_supply_table_turns_the_rule_off(make_scenario):
    s = load_scenario(make_scenario(supply=None))
    assert s.supply is None
    assert s.constraints.tier2_needs_distributor is False


def test_repeated_supply_pair_is_reported(make_scenario):
    s = load_scenario(make_scenario(supply="distributor_id,reseller_id\nD01,R01\nD01,R01\n"))
    assert s.supply is not None and len(s.supply) == 1
    assert any("1 repeated supply pair" in p for p in s.problems)


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


# --- derived views -------------------------------------------------------------------------


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


def test_min_partners_cell_must_be_whole(make_scenario, expect_error):
    frame = teaching_table("segments")
    frame["min_partners"] = ""
    path = make_scenario(segments=set_cell(frame, "N-FIN-SMB", "min_partners", "1.5"))
    expect_error(load_scenario, path, file=data_file(path, "segments"), row=3,
                 column="min_partners", contains=["'1.5' is not a whole number"])


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
    f["partners"].loc[3, "satisfaction"] = np.nan
    expect_error(
        lambda: scenario_from_frames(f["partners"], f["segments"], supply=f["supply"],
                                     model=load_model(MODEL), settings=teaching_settings()),
        file="partners table", row=5, column="satisfaction",
        contains=["no value for criterion 'satisfaction'"],
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

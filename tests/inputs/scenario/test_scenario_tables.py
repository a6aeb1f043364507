"""Scenario data tables: bad partner, segment, coverage or supply input names its file,
row and column; good input loads whole, from CSV or XLSX."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import MODEL, teaching_table

from selector.inputs.scenario import load_scenario


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
    # market_share has no missing-value rule in the model (the history criteria do:
    # prospects have none, and are scored at the mean).
    path = make_scenario(partners=lambda df: set_cell(df, "R06", "market_share", ""), fmt=fmt)
    expect_error(
        load_scenario, path,
        file=data_file(path, "partners", fmt), row=partners_row("R06"), column="market_share",
        contains=["no value for criterion 'market_share'", "missing ="],
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
        'id = "market_share"\n', 'id = "market_share"\nmissing = "worst"\n')
    model = tmp_path / "model.toml"
    model.write_text(text)
    s = load_scenario(make_scenario(
        model=model, partners=lambda df: set_cell(df, "R06", "market_share", "")))
    assert np.isnan(s.partners.loc["R06", "market_share"])
    assert s.partners["market_share"].notna().sum() == 11


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


def test_min_partners_cell_must_be_whole(make_scenario, expect_error):
    frame = teaching_table("segments")
    frame["min_partners"] = ""
    path = make_scenario(segments=set_cell(frame, "N-FIN-SMB", "min_partners", "1.5"))
    expect_error(load_scenario, path, file=data_file(path, "segments"), row=3,
                 column="min_partners", contains=["'1.5' is not a whole number"])


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

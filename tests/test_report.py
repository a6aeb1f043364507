"""Export helpers: portfolio table, formula-safe CSV/XLSX, scenario TOML."""

from __future__ import annotations

import csv
import io
import tomllib
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from selector import heuristic_solve, load_scenario, solve
from selector.report import (
    FORMULA_PREFIXES,
    neutralize,
    plan_flow_dot,
    portfolio_table,
    scenario_toml_bytes,
    to_csv_bytes,
    to_xlsx_bytes,
)

ROOT = Path(__file__).resolve().parents[1]
TEACHING = ROOT / "scenarios" / "teaching.toml"


@pytest.fixture(scope="module")
def teaching():
    return load_scenario(TEACHING)


@pytest.mark.parametrize("text", ["=1+1", "+A1", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_neutralize_prefixes_formula_text(text: str) -> None:
    assert neutralize(text) == "'" + text


@pytest.mark.parametrize("value", ["Acme", "", "a=b", 3, -3.5, None, True])
def test_neutralize_leaves_safe_values(value) -> None:
    assert neutralize(value) == value or (value is None and neutralize(value) is None)


def hostile_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": ['=HYPERLINK("http://x")', "Acme", "-cmd", "@x"],
            "cost": [-5.0, 10.0, 0.0, 1.5],
            "count": [-1, 2, 3, 4],
        },
        index=pd.Index(["=P1", "P2", "P3", "P4"], name="id"),
    )


def test_csv_neutralizes_text_but_not_numbers() -> None:
    text = to_csv_bytes(hostile_frame()).decode()
    back = pd.read_csv(io.StringIO(text), index_col=0)
    assert list(back["name"]) == ['\'=HYPERLINK("http://x")', "Acme", "'-cmd", "'@x"]
    assert list(back.index) == ["'=P1", "P2", "P3", "P4"]
    assert list(back["cost"]) == [-5.0, 10.0, 0.0, 1.5]
    assert list(back["count"]) == [-1, 2, 3, 4]


def test_csv_headers_are_neutralized() -> None:
    text = to_csv_bytes(pd.DataFrame({"=evil": ["a"]}), index=False).decode()
    assert text.splitlines()[0] == "'=evil"


def test_xlsx_sheets_cells_and_numbers() -> None:
    data = to_xlsx_bytes({"Portfolio": hostile_frame(), "x" * 40: pd.DataFrame({"a": [1]})})
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Portfolio", "x" * 31]
    ws = wb["Portfolio"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("id", "name", "cost", "count")
    assert rows[1][0] == "'=P1"
    assert rows[1][1] == '\'=HYPERLINK("http://x")'
    assert rows[1][2] == -5 and rows[1][3] == -1
    # No cell is stored as a formula.
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def test_xlsx_drops_illegal_control_characters_and_nan() -> None:
    df = pd.DataFrame({"name": ["bad\x01name"], "v": [float("nan")]})
    wb = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes({"s": df}, index=False)))
    assert list(wb["s"].iter_rows(values_only=True))[1] == ("badname", None)


def test_xlsx_needs_a_sheet() -> None:
    with pytest.raises(ValueError):
        to_xlsx_bytes({})


def test_portfolio_table(teaching) -> None:
    result = solve(teaching, time_limit=20)
    table = portfolio_table(teaching, result)
    assert list(table.columns) == ["name", "type", "score_band", "cost", "score", "reason"]
    assert list(table.index) == list(result.selected)
    assert table["cost"].sum() == pytest.approx(result.cost)
    assert table["score_band"].isin(["gold", "silver", "standard", "exit"]).all()
    assert table["score"].between(0, 1).all()
    assert table["reason"].map(bool).all()


def test_portfolio_table_of_heuristic_exports(teaching) -> None:
    result = heuristic_solve(teaching)
    table = portfolio_table(teaching, result)
    back = pd.read_csv(io.BytesIO(to_csv_bytes(table)), index_col=0)
    assert list(back.index) == list(result.selected)


def test_scenario_toml_round_trips(teaching) -> None:
    data = tomllib.loads(scenario_toml_bytes(teaching).decode())
    assert data["name"] == teaching.name
    assert data["budget"]["total"] == teaching.budget.total
    variant = teaching.with_changes({"budget": {"total": 400_000}})
    assert tomllib.loads(scenario_toml_bytes(variant).decode())["budget"]["total"] == 400_000


def test_plan_flow_dot_counts_each_move() -> None:
    plan = pd.DataFrame(
        {
            "today": ["gold", "silver", "silver", "out", "out", "registered"],
            "proposed": ["silver", "silver", "silver", "registered", "out", "out"],
            "action": ["demote", "keep", "keep", "recruit", "stay out", "exit"],
        },
        index=pd.Index(list("ABCDEF"), name="partner_id"),
    )
    dot = plan_flow_dot(plan, ["registered", "silver", "gold"])
    assert dot.startswith("digraph") and dot.rstrip().endswith("}")
    # Columns: highest tier first, "out" last (t0 = gold, ..., t3 = out).
    assert 't0 [label="gold\\n1 partner"]' in dot
    assert 't1 [label="silver\\n2 partners"]' in dot
    assert 'p1 [label="silver\\n3 partners"]' in dot
    assert 't1 -> p1 [label="2 keep", penwidth=6.0' in dot
    assert 't0 -> p1 [label="1 demote", penwidth=3.5' in dot
    assert 't3 -> p2 [label="1 recruit"' in dot
    assert 't2 -> p3 [label="1 exit"' in dot
    edges = [line for line in dot.splitlines() if "-> p" in line and "invis" not in line]
    assert len(edges) == 5
    assert sum(int(e.split('label="')[1].split()[0]) for e in edges) == len(plan)


def test_plan_flow_dot_of_a_solved_plan_quotes_levels() -> None:
    scenario = load_scenario(ROOT / "scenarios" / "teaching-plan.toml")
    result = solve(scenario, time_limit=20)
    assert result.plan is not None
    dot = plan_flow_dot(result.plan, scenario.programme.tier_names)
    for level in (*scenario.programme.tier_names, "out"):
        assert f'label="{level}\\n' in dot
    counts = [
        int(line.split('label="')[1].split()[0])
        for line in dot.splitlines()
        if "-> p" in line and "invis" not in line
    ]
    assert sum(counts) == len(result.plan)
    odd = pd.DataFrame({"today": ['a "b"'], "proposed": ["out"], "action": ["exit"]})
    assert 'label="a \\"b\\"\\n1 partner"' in plan_flow_dot(odd)


def _hostile_multiindex_frame() -> pd.DataFrame:
    rows = pd.MultiIndex.from_tuples(
        [("=EMEA", -1, "+a"), ("@APAC", 2, "b"), ("NA", 3, "-c")], names=["=region", "k", "-p"]
    )
    cols = pd.MultiIndex.from_tuples(
        [("=top", "name"), ("=top", "-cost"), ("plain", "@n")], names=["+group", "field"]
    )
    return pd.DataFrame(
        [["=cmd|' /C calc'!A0", -5.0, 1], ["Acme", 10.0, -2], ["-x", 0.5, 3]],
        index=rows, columns=cols,
    )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _formula_like(cell: object) -> bool:
    return isinstance(cell, str) and cell.startswith(FORMULA_PREFIXES) and not _is_number(cell)


def test_csv_with_multiindex_rows_and_columns_is_neutralized() -> None:
    """Every text a spreadsheet would run as a formula gets its quote, in the index
    levels, the header rows and the level names alike; numbers stay numbers."""
    text = to_csv_bytes(_hostile_multiindex_frame()).decode()
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert not [c for c in cells if _formula_like(c)], text
    for quoted in ("'=EMEA", "'@APAC", "'+a", "'-c", "'=region", "'-p", "'=top", "'-cost",
                   "'@n", "'=cmd|' /C calc'!A0", "'-x"):
        assert quoted in cells, (quoted, text)
    assert "-1" in cells and "-5.0" in cells and "-2" in cells  # numbers untouched


def test_xlsx_with_multiindex_rows_and_columns_is_neutralized() -> None:
    data = to_xlsx_bytes({"s": _hostile_multiindex_frame()})
    ws = openpyxl.load_workbook(io.BytesIO(data))["s"]
    values = [c.value for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [v for v in values if _formula_like(v)], values
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    for quoted in ("'=EMEA", "'@APAC", "'+a", "'-c", "'=top", "'-cost", "'@n", "'-x"):
        assert quoted in values, (quoted, values)
    assert -1 in values and -5 in values and -2 in values


def test_portfolio_table_of_a_plan_shows_the_proposed_programme_tier() -> None:
    from selector import load_scenario

    scenario = load_scenario("scenarios/teaching-plan.toml")
    result = solve(scenario, time_limit=20)
    assert result.plan is not None
    table = portfolio_table(scenario, result)
    assert list(table.columns) == [
        "name", "type", "programme_tier", "score_band", "cost", "score", "reason"
    ]
    proposed = result.plan["proposed"].reindex(table.index)
    assert (table["programme_tier"] == proposed).all()
    assert set(table["programme_tier"]) <= set(scenario.programme.tier_names)


def test_exit_band_selected_and_judgment_warning() -> None:
    import dataclasses

    import pandas as pd

    from selector import load_scenario, model_weights
    from selector.report import exit_band_selected, judgment_warning

    table = pd.DataFrame({"score_band": ["gold", "exit", None]}, index=["A", "B", "C"])
    assert exit_band_selected(table) == ["B"]
    assert exit_band_selected(pd.DataFrame(index=["A"])) == []
    model = load_scenario("scenarios/teaching.toml").model
    assert judgment_warning(model_weights(model)) is None
    # Reverse one judgment of a three-way comparison: the set fails the consistency test.
    js = next(j for j in model.judgments if len(j.pairs) >= 3)
    pairs = list(js.pairs)
    a, b, v = pairs[0]
    pairs[0] = (a, b, 1 / 9 if v >= 1 else 9.0)
    a2, b2, _ = pairs[1]
    pairs[1] = (a2, b2, 9.0)
    bad = dataclasses.replace(
        model,
        judgments=tuple(dataclasses.replace(j, pairs=tuple(pairs)) if j is js else j
                        for j in model.judgments),
    )
    weights = model_weights(bad)
    assert not weights.consistent
    words = judgment_warning(weights, {})
    assert words is not None and "fail the consistency test" in words
    assert "the goal (CR 0.3" in words

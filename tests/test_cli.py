"""The ``selector validate`` command: counts on stdout, one-line errors on stderr."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from selector import load_scenario
from selector.cli import main

REPO = Path(__file__).resolve().parents[1]
TEACHING = REPO / "scenarios" / "teaching.toml"
ALL_SCENARIOS = sorted((REPO / "scenarios").glob("*.toml"))


def test_validate_teaching(capsys):
    assert main(["validate", str(TEACHING)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert "Teaching: East-North-South" in out
    assert "Model      Partner selection" in out
    assert "Objective  weighted_coverage" in out
    assert "Partners   12 (distributor 2, isv 1, reseller 5, si 4); total cost 990,000" in out
    assert "Segments   30 (3 named); value 15,378,000" in out
    assert "Coverage   52 partner-segment pairs" in out
    assert "Supply     12 distributor-partner pairs" in out
    assert "conflict pairs 1" in out
    assert "Problems found (the scenario still loads):" in out
    assert "2 segment(s) worth 905,000 are covered by no partner: E-EDU-ENT, N-RET-ENT" in out


def test_validate_json(capsys):
    assert main(["validate", "--json", str(TEACHING)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    info = json.loads(out)
    assert info["name"] == "Teaching: East-North-South"
    assert info["partners"] == 12
    assert info["segments"] == 30
    assert info["named_segments"] == 3
    assert info["coverage_pairs"] == 52
    assert info["supply_pairs"] == 12
    assert info["partners_by_tier"] == {"1": 2, "2": 10}
    assert info["model"] == "Partner selection"
    assert info["files"] == [str(TEACHING.resolve())]
    assert isinstance(info["budget_total"], float)
    assert len(info["problems"]) == 1 and "E-EDU-ENT" in info["problems"][0]


def test_validate_shows_the_extends_chain(tmp_path, capsys):
    overlay = tmp_path / "lean.toml"
    overlay.write_text(f'extends = "{TEACHING.as_posix()}"\nname = "Lean"\n[budget]\ntotal = 1\n')
    assert main(["validate", str(overlay)]) == 0
    out = capsys.readouterr().out
    assert "Scenario   Lean" in out
    assert f"Extends    {overlay.resolve()} <- {TEACHING.resolve()}" in out
    assert "Budget     1" in out


def _assert_one_line_error(capsys, *, names: str, says: str) -> str:
    out, err = capsys.readouterr()
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith("selector: error: ")
    assert names in err
    assert says in err
    assert "Traceback" not in err
    return err


def test_bad_scenario_exits_2_with_one_line(make_scenario, capsys):
    path = make_scenario(settings={"objective": {"kind": "profit"}})
    assert main(["validate", str(path)]) == 2
    _assert_one_line_error(capsys, names=str(path), says="objective.kind is 'profit'")


def test_bad_cell_exits_2_naming_file_row_and_column(make_scenario, capsys):
    def typo(df):
        df.loc[df["id"] == "R03", "cost"] = "12k"
        return df

    path = make_scenario(partners=typo)
    assert main(["validate", "--json", str(path)]) == 2
    err = _assert_one_line_error(capsys, names="partners.csv, row 6, column 'cost'", says="'12k'")
    assert str(path.parent / "data" / "partners.csv") in err


def test_missing_scenario_exits_2(tmp_path, capsys):
    missing = tmp_path / "nope.toml"
    assert main(["validate", str(missing)]) == 2
    _assert_one_line_error(capsys, names=str(missing), says="scenario file not found")


def test_scenario_not_utf8_exits_2(tmp_path, capsys):
    path = tmp_path / "latin.toml"
    path.write_bytes('name = "Müller"\n'.encode("latin-1"))
    assert main(["validate", str(path)]) == 2
    _assert_one_line_error(capsys, names="latin.toml", says="not UTF-8")


def test_corrupt_workbook_exits_2(make_scenario, capsys):
    path = make_scenario(settings={"segments": "data/segments.xlsx"})
    (path.parent / "data" / "segments.xlsx").write_text("id,region\n")
    assert main(["validate", str(path)]) == 2
    _assert_one_line_error(capsys, names="segments.xlsx", says="cannot read the table")


def test_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["validate"])
    assert info.value.code == 2
    assert "scenario" in capsys.readouterr().err


@pytest.mark.parametrize("scenario", ALL_SCENARIOS, ids=[p.name for p in ALL_SCENARIOS])
def test_every_bundled_scenario_validates(scenario, capsys):
    assert main(["validate", "--json", str(scenario)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    info = json.loads(out)
    loaded = load_scenario(scenario)
    assert info["partners"] == len(loaded.partners) > 0
    assert info["segments"] == len(loaded.segments) > 0
    assert info["coverage_pairs"] == loaded.coverage_matrix.nnz > 0
    assert info["files"][0] == str(scenario.resolve())


# --- weights, scores, solve and map ----------------------------------------------------


def test_weights_json_on_the_bundled_model(capsys):
    assert main(["weights", "--json", str(REPO / "models" / "partner-selection.toml")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["consistent"] is True
    assert sum(data["global_weights"].values()) == pytest.approx(1.0)
    assert len(data["global_weights"]) == 16
    assert all(node["cr"] <= 0.1 for node in data["nodes"].values() if "cr" in node)


def test_weights_flag_the_inconsistent_example_and_suggest_a_revision(capsys):
    assert main(["weights", "--json", str(REPO / "models" / "inconsistent-example.toml")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["consistent"] is False
    goal = data["nodes"]["goal"]
    assert goal["cr"] > 0.1
    assert goal["revisions"], "an inconsistent node must come with suggested revisions"
    assert all(r["cr_after"] < goal["cr"] for r in goal["revisions"])
    capability = data["nodes"]["capability"]
    assert set(capability["experts"]) == {"sales lead", "technical lead"}
    assert 0.0 <= capability["consensus"] <= 1.0


def test_weights_text_names_the_judgment_to_revise(capsys):
    assert main(["weights", str(REPO / "models" / "inconsistent-example.toml")]) == 0
    out = capsys.readouterr().out
    assert "INCONSISTENT" in out
    assert "revise" in out


def test_scores_json_has_a_score_and_score_band_per_partner(capsys):
    assert main(["scores", "--json", str(REPO / "scenarios" / "teaching.toml")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["partners"]) == 12
    assert {p["band"] for p in data["partners"]} <= {"gold", "silver", "standard", "exit"}
    assert sum(data["bands"].values()) == 12
    assert "tier" not in data["partners"][0]  # a score band is not a programme tier
    assert all(0.0 <= p["score"] <= 1.0 for p in data["partners"])
    ranks = [p["rank"] for p in data["partners"]]
    assert ranks == sorted(ranks)


def test_solve_text_with_why(capsys):
    assert main(["solve", "--why", str(REPO / "scenarios" / "teaching.toml")]) == 0
    out = capsys.readouterr().out
    assert "Status     optimal" in out
    assert "reason" in out


def test_map_from_a_solve_result(tmp_path, capsys):
    assert main(["solve", "--json", str(REPO / "scenarios" / "teaching.toml")]) == 0
    result = tmp_path / "result.json"
    result.write_text(capsys.readouterr().out, encoding="utf-8")
    dot = tmp_path / "map.dot"
    code = main(
        ["map", str(REPO / "scenarios" / "teaching.toml"), "--result", str(result), "--dot", str(dot)]
    )
    assert code == 0
    assert dot.read_text(encoding="utf-8").startswith(("digraph", "strict digraph"))
    assert "Single points of failure" in capsys.readouterr().out


def test_version_comes_from_the_installed_package(capsys) -> None:
    from importlib.metadata import version

    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"selector {version('selector')}"


def test_solve_text_leads_with_the_status_and_the_plan(capsys):
    assert main(["solve", str(REPO / "scenarios" / "teaching-plan.toml")]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("Status     optimal (proven optimal)")
    # Counts read in words (the explanation lines come from the optimizer).
    assert not [line for line in lines if "(s)" in line and not line.startswith("  - ")]
    plan = next(k for k, line in enumerate(lines) if line.startswith("Plan       "))
    assert plan < 12 and "changes from today" in lines[plan]
    assert lines[plan + 3].startswith("Exit (")  # the actions right after the summary


def test_infeasible_solve_says_so_first(tmp_path, capsys):
    cut = tmp_path / "cut.toml"
    cut.write_text(f'extends = "{(REPO / "scenarios" / "teaching.toml").as_posix()}"\n'
                   "[budget]\ntotal = 480_000\n", encoding="utf-8")
    assert main(["solve", str(cut)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Status     infeasible (no portfolio keeps every rule)")
    assert any("the total budget" in line for line in out)
    assert not any(line.startswith("Selected") for line in out)


def test_solve_json_names_the_currency(tmp_path, capsys):
    priced = tmp_path / "priced.toml"
    priced.write_text(f'extends = "{(REPO / "scenarios" / "teaching.toml").as_posix()}"\n'
                      'currency = "EUR"\n', encoding="utf-8")
    assert main(["solve", "--json", str(priced)]) == 0
    assert json.loads(capsys.readouterr().out)["currency"] == "EUR"
    assert main(["solve", str(priced)]) == 0
    assert "Cost       EUR 600,000 of EUR 600,000" in capsys.readouterr().out
    # Exports name it too: the money columns' headers and the summary.
    import pandas as pd

    xlsx = tmp_path / "out.xlsx"
    assert main(["solve", str(priced), "--xlsx", str(xlsx)]) == 0
    sheets = pd.read_excel(xlsx, sheet_name=None)
    assert sheets["summary"]["currency"].tolist() == ["EUR"]
    assert {"used (EUR)", "cap (EUR)"} <= set(sheets["pools"].columns)


def test_python_dash_m_selector_help() -> None:
    """``python -m selector`` (selector/__main__.py) runs the same command line."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    run = subprocess.run([sys.executable, "-m", "selector", "--help"], cwd=root,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("usage: selector")
    for command in ("validate", "solve"):
        assert command in run.stdout
    bad = subprocess.run([sys.executable, "-m", "selector", "no-such-command"], cwd=root,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "invalid choice" in bad.stderr


UNSAFE = "\x1b]0;owned\x07\x1b[2J\x9b31m\u202eevil\r"


def _shown_not_obeyed(text: str) -> None:
    for char in ("\x1b", "\x07", "\x9b", "\u202e", "\r"):
        assert char not in text, repr(text)


def test_text_from_a_file_is_printed_escaped(make_scenario, capsys):
    """A scenario name and a table cell holding terminal escapes are shown as ``\\uXXXX``
    on stdout, and in the one-line error on stderr; JSON still reads back the same."""
    path = make_scenario(settings={"name": f"Plan {UNSAFE}"})
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    _shown_not_obeyed(out)
    assert "Plan \\u001b]0;owned\\u0007\\u001b[2J\\u009b31m\\u202eevil\\u000d" in out
    assert main(["validate", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == f"Plan {UNSAFE}"

    def bad_cost(frame):
        frame.loc[0, "cost"] = f"12{UNSAFE.rstrip()}"
        return frame

    bad = make_scenario(partners=bad_cost)
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    _shown_not_obeyed(err)
    assert err.count("\n") == 1 and "\\u001b]0;owned" in err


def test_a_huge_exit_cost_is_a_clear_error_not_a_crash(tmp_path):
    """An exit cost of 1e15 once crashed HiGHS (segmentation fault): it is refused, with
    the file, row and column, before anything is solved."""
    import subprocess
    import sys

    data = REPO / "scenarios" / "teaching"
    lines = (data / "partners-plan.csv").read_text().splitlines()
    assert lines[1].startswith("D01,") and lines[1].endswith(",45000")
    lines[1] = lines[1][: -len("45000")] + "1e15"
    (tmp_path / "partners.csv").write_text("\n".join(lines) + "\n")
    plan = tmp_path / "plan.toml"
    plan.write_text(f'extends = "{(REPO / "scenarios" / "teaching-plan.toml").as_posix()}"\n'
                    'partners = "partners.csv"\n')
    env = {**__import__("os").environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "selector", "solve", str(plan)],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])
    assert "partners.csv, row 2, column 'exit_cost'" in done.stderr
    assert "is above 1e+12" in done.stderr and done.stderr.count("\n") == 1

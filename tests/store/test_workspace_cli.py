"""``selector runs | scenarios | models | whatifs | round`` against a real database."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from selector import load_scenario
from selector.cli import main

REPO = Path(__file__).resolve().parents[2]
TEACHING = REPO / "scenarios" / "teaching.toml"
MODEL = REPO / "models" / "partner-selection.toml"


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    assert main([*argv, "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


Login = Callable[[str, str], str]


def test_runs_solve_list_show_diff_and_export(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], as_login: Login
) -> None:
    cut = tmp_path / "cut.toml"
    cut.write_text(f'extends = "{TEACHING.as_posix()}"\nname = "cut"\n[budget]\ntotal = 500_000\n')
    first = run_json(capsys, "runs", "solve", str(TEACHING), "--db", as_login(db_url, "ana"))
    second = run_json(capsys, "runs", "solve", str(cut), "--db", as_login(db_url, "bo"),
                      "--label", "budget cut")
    assert first["status"] == second["status"] == "optimal"
    listed = run_json(capsys, "runs", "list", "--db", db_url)
    assert [r["id"] for r in listed] == [second["id"], first["id"]]
    assert [r["author"] for r in listed] == ["bo", "ana"]
    shown = run_json(capsys, "runs", "show", str(first["id"]), "--db", db_url)
    assert shown["result"]["selected"] and shown["package_version"]
    diff = run_json(capsys, "runs", "diff", str(first["id"]), str(second["id"]), "--db", db_url)
    assert not diff["same_input"]
    cost = next(n for n in diff["numbers"] if n["name"] == "cost")
    assert cost["b"] <= 500_000
    assert diff["added"] or diff["dropped"]
    # Plain text too.
    assert main(["runs", "diff", str(first["id"]), str(second["id"]), "--db", db_url]) == 0
    assert "dropped" in capsys.readouterr().out
    assert main(["runs", "list", "--db", db_url]) == 0
    assert "budget cut" in capsys.readouterr().out

    versions = run_json(capsys, "scenarios", "list", "--db", db_url)
    assert {v["name"] for v in versions} == {"cut", "Teaching: East-North-South"}
    out = tmp_path / "exported"
    got = run_json(capsys, "scenarios", "export", str(first["scenario_version_id"]), str(out),
                   "--db", db_url)
    assert load_scenario(got["scenario"]).fingerprint == load_scenario(TEACHING).fingerprint
    assert main(["scenarios", "export", str(first["scenario_version_id"]), str(out),
                 "--db", db_url]) == 2
    assert "not empty" in capsys.readouterr().err
    assert main(["runs", "show", "999", "--db", db_url]) == 2
    assert "no saved run 999" in capsys.readouterr().err


def fill(path: Path, name: str, first: str, words: str) -> None:
    """Answer every Goal row: strategic fit (column A on the first rows) ``first``."""
    wb = load_workbook(path)
    wb["About"]["B3"] = name
    ws = wb["Goal"]
    for row in range(5, ws.max_row + 1):
        if ws.cell(row, 5).value == "strategic_fit":
            ws.cell(row, 3).value, ws.cell(row, 4).value = first, words
        else:
            ws.cell(row, 3).value, ws.cell(row, 4).value = "equal", None
    buffer = io.BytesIO()
    wb.save(buffer)
    path.write_bytes(buffer.getvalue())


def test_a_round_through_questionnaires(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], as_login: Login
) -> None:
    fran = as_login(db_url, "fran")
    rnd = run_json(capsys, "round", "open", str(MODEL), "--db", fran, "--title", "FY27")
    assert rnd["status"] == "open" and rnd["facilitator"] == "fran"
    for name, first, words in (("ana", "A", "moderately"), ("bo", "A", "strongly"),
                               ("cy", "B", "moderately")):
        sheet = tmp_path / f"{name}.xlsx"
        run_json(capsys, "round", "questionnaire", str(rnd["id"]), "-o", str(sheet),
                 "--db", fran, "--participant", name)
        fill(sheet, name, first, words)
        # Someone else cannot record it: only the person it names.
        assert main(["round", "import", str(rnd["id"]), str(sheet), "--db",
                     as_login(db_url, "mallory")]) == 2
        err = capsys.readouterr().err.strip()
        assert err.endswith(f"judgment round {rnd['id']}: only {name} may submit or replace "
                            f"{name}'s judgments; you are mallory"), err
        sub = run_json(capsys, "round", "import", str(rnd["id"]), str(sheet), "--db",
                       as_login(db_url, name))
        assert sub["participant"] == name and sub["source"] == "questionnaire"
    assert main(["round", "adopt", str(rnd["id"]), "--db", as_login(db_url, "mallory")]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.endswith(
        f"judgment round {rnd['id']} (FY27): only its facilitator, fran, may adopt it; "
        "you are mallory"
    ), err
    db_url = as_login(db_url, "fran")
    shown = run_json(capsys, "round", "show", str(rnd["id"]), "--db", db_url)
    assert shown["participants"] == ["ana", "bo", "cy"]
    goal = shown["parents"][0]
    assert goal["parent"] == "goal" and 0 < goal["consensus"] < 1
    assert goal["aij"]["strategic_fit"] > 0.2
    assert shown["disagreements"][0]["a"] == "strategic_fit"
    assert main(["round", "show", str(rnd["id"]), "--db", db_url]) == 0
    text = capsys.readouterr().out
    assert "Most disputed pairs" in text and "AIJ" in text and "CR 0.000" in text
    adopted = run_json(capsys, "round", "adopt", str(rnd["id"]), "--db", db_url)
    assert adopted["version"] == 2
    models = run_json(capsys, "models", "list", "--db", db_url)
    assert [m["version"] for m in models] == [2, 1]
    # A broken questionnaire is an error naming the sheet, row and column.
    bad = tmp_path / "bad.xlsx"
    rnd2 = run_json(capsys, "round", "open", str(adopted["id"]), "--db", db_url)
    run_json(capsys, "round", "questionnaire", str(rnd2["id"]), "-o", str(bad), "--db", db_url,
             "--participant", "dee")
    wb = load_workbook(bad)
    wb["Goal"]["C5"], wb["Goal"]["D5"] = "A", "hugely"
    wb.save(bad)
    assert main(["round", "import", str(rnd2["id"]), str(bad), "--db", db_url]) == 2
    assert "sheet 'Goal', row 5, column D" in capsys.readouterr().err


def test_text_from_the_workspace_is_printed_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A name or note someone saved with terminal escapes is shown, not obeyed."""
    from selector.store import open_store

    db = str(tmp_path / "t.db")
    unsafe = "\x1b]0;owned\x07\x1b[2J\x9b31m\u202eevil"
    store = open_store(db, user=f"ana{unsafe}")
    scenario = load_scenario(TEACHING).with_changes({"name": f"Plan {unsafe}"})
    store.save_scenario(scenario, note=f"note {unsafe}")
    store.close()
    for argv in (["scenarios", "list"], ["models", "list"], ["scenarios", "list", "--json"]):
        assert main([*argv, "--db", db]) == 0
        out = capsys.readouterr().out
        for char in ("\x1b", "\x07", "\x9b", "\u202e"):
            assert char not in out, (argv, out)
    assert main(["scenarios", "list", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "Plan \\u001b]0;owned\\u0007\\u001b[2J\\u009b31m\\u202eevil" in out
    listed = run_json(capsys, "scenarios", "list", "--db", db)
    assert listed[0]["name"] == f"Plan {unsafe}" and listed[0]["note"] == f"note {unsafe}"


def test_saving_the_same_content_again_says_what_happened(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], as_login: Login
) -> None:
    db = as_login(str(tmp_path / "t.db"), "ana")
    save = ["scenarios", "save", str(TEACHING), "--db", db]
    assert main([*save, "--note", "baseline"]) == 0
    assert "Saved scenario version 1: Teaching: East-North-South v1" in capsys.readouterr().out
    # The same author, no new note: nothing is added, and the message says so.
    assert main(save) == 0
    out = capsys.readouterr().out
    assert out.startswith("Unchanged: scenario version 1 (Teaching: East-North-South v1")
    assert "saved by ana" in out and "nothing new saved" in out
    # Someone else (or a new note): a new version keeps who saved it and why.
    as_login(db, "bo")
    again = run_json(capsys, *save, "--note", "checked for FY27")
    assert (again["version"], again["author"], again["note"]) == (2, "bo", "checked for FY27")
    assert again["same_as"] == 1 and not again["unchanged"]
    assert main([*save, "--note", "and again"]) == 0
    assert "; the same content as v2\n" in (
        capsys.readouterr().out
    )
    as_login(db, "ana")
    models = ["models", "save", str(MODEL), "--db", db]
    assert main(models) == 0
    assert capsys.readouterr().out.startswith("Unchanged: model version 1")

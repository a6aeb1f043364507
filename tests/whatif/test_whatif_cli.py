"""``selector frontier | robust | sweep`` and CSV output, on the teaching scenario."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from selector import load_scenario
from selector.cli.whatif import add_robustness_parsers
from selector.errors import ScenarioError
from selector.whatif.montecarlo import robustness
from selector.whatif.sweeps import write_csv

REPO = Path(__file__).resolve().parents[2]
TEACHING = REPO / "scenarios" / "teaching.toml"
TEACHING_SWEEP = REPO / "scenarios" / "sweeps" / "teaching-budget-cap.toml"


def _cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="selector")
    add_robustness_parsers(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_cli_sweep_frontier_robust(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sweep.csv"
    assert _cli(["sweep", str(TEACHING_SWEEP), "--workers", "0", "--csv", str(out)]) == 0
    text, err = capsys.readouterr()
    assert "budget.total" in text and "optimal" in text and "sweep: 6/6" in err
    assert len(out.read_text().splitlines()) == 7
    with pytest.raises(ScenarioError, match="the file exists; pass --force"):
        _cli(["sweep", str(TEACHING_SWEEP), "--workers", "0", "--csv", str(out)])
    assert _cli(["sweep", str(TEACHING_SWEEP), "--workers", "0", "--csv", str(out), "--force",
                 "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["rows"]) == 6
    assert _cli(["frontier", str(TEACHING), "--points", "3", "--low", "1", "--high", "1.2",
                 "--workers", "0"]) == 0
    assert "optimal" in capsys.readouterr().out
    assert _cli(["robust", str(TEACHING), "--runs", "3", "--workers", "0", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["runs"] == 3 and len(data["run_records"]) == 3
    write_csv(robustness(load_scenario(TEACHING), runs=1, engine="serial").to_frame(),
              tmp_path / "r.csv")
    assert (tmp_path / "r.csv").read_text().startswith("partner_id,")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["frontier", str(TEACHING), "--high", "1e308"],
         "selector: error: high is 1e+308: 1e+308 times the budget (600,000) is above 1e+12"),
        (["frontier", str(TEACHING), "--points", "100000000"],
         "selector: error: points is 100,000,000; accepted: 2 to 1,000 budgets"),
        (["robust", str(TEACHING), "--runs", "2", "--noise", "1e308"],
         "selector: error: data_noise is 1e+308; accepted: a lognormal sigma from 0 to 2"),
    ],
)
def test_what_if_options_out_of_range_name_the_option(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from selector.cli import main

    assert main([*argv, "--workers", "0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1, err


def test_an_unreachable_scheduler_is_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("distributed")
    from selector.cli import main
    from selector.whatif import engines

    monkeypatch.setattr(engines, "SCHEDULER_TIMEOUT", "2s")
    assert main(["robust", str(TEACHING), "--runs", "2", "--heuristic",
                 "--scheduler", "tcp://127.0.0.1:1"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "robust: 0/2"  # the progress counter
    assert err[1].startswith("selector: error: cannot reach the Dask scheduler 'tcp://127.0.0.1:1'")
    assert len(err) == 2 and "Traceback" not in "".join(err)

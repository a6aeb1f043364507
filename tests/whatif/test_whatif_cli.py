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

"""Rolling a roadmap forward (selector/portfolio/roll.py) and ``selector roll``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from selector import load_scenario
from selector.portfolio import solve
from selector.portfolio.roll import roll_forward


def test_next_years_today_is_the_plans_first_year() -> None:
    s = load_scenario("scenarios/teaching-3y.toml")
    r = solve(s, seed=1)
    n = roll_forward(s, r)
    assert r.plan is not None
    for pid, row in r.plan.iterrows():
        active = row["proposed"] != "out"
        assert n.partners.loc[pid, "status"] == ("current" if active else "prospect")
        assert n.partners.loc[pid, "tier"] == (row["proposed"] if active else "")
    exits = set(r.plan.index[r.plan["action"] == "exit"])
    assert exits <= set(n.constraints.must_exclude)
    assert n.horizon is not None and n.horizon.budgets[:2] == (950_000, 1_000_000)
    assert n.budget.total == 950_000
    assert solve(n, seed=1).status == "optimal"


def test_roll_command_never_overwrites(tmp_path: Path, capsys: Any) -> None:
    from selector.cli import main

    out = tmp_path / "next.toml"
    scenario = str(Path("scenarios/teaching-3y.toml").resolve())
    assert main(["roll", scenario, "-o", str(out)]) == 0
    assert (tmp_path / "next" / "partners.csv").exists()
    assert load_scenario(out).horizon is not None
    assert main(["roll", scenario, "-o", str(out)]) != 0  # exists: refused without --force
    assert "--force" in capsys.readouterr().err
    assert main(["roll", scenario, "-o", str(out), "--force"]) == 0

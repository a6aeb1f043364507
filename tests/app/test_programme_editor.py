"""The programme's settings edited in the app (selector/app/programme_editor.py): the
limits and tiers as tables, their changes in the scenario-file shape, applied to the
plan and saved with the what-if."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from selector import load_scenario, solve
from selector.app.programme_editor import limit_rows, programme_changes, tier_rows

ROOT = Path(__file__).resolve().parents[2]
PLAN = ROOT / "scenarios" / "teaching-plan.toml"


@pytest.fixture(scope="module")
def plan_scenario():
    return load_scenario(PLAN)


def test_rows_show_the_scenario_programme(plan_scenario) -> None:
    programme = plan_scenario.programme
    limits = limit_rows(programme)
    assert limits == [{"max_exits": programme.max_exits, "max_recruits": programme.max_recruits,
                       "exit_band": programme.exit_band}]
    tiers = tier_rows(programme)
    assert [r["tier"] for r in tiers] == list(reversed(programme.tier_names))  # highest first
    assert programme_changes(programme, limits, tiers) == {}


def test_edited_rows_become_the_programme_table_of_a_what_if(plan_scenario) -> None:
    programme = plan_scenario.programme
    limits = limit_rows(programme)
    limits[0].update(max_exits=0, max_recruits=None, exit_band="force")
    tiers = tier_rows(programme)
    top = tiers[0]["tier"]
    tiers[0].update(fixed=12_000.0, share=1.5, multiplier=1.2, max_share=None, max_count=1)
    changes = programme_changes(programme, limits, tiers)
    assert changes["max_exits"] == 0 and changes["exit_band"] == "force"
    edited = changes[top]
    assert edited["cost"] == {"fixed": 12_000.0, "share": 1.5}
    assert edited["multiplier"] == 1.2 and edited["max_count"] == 1
    had_quota = next(t for t in programme.tiers if t.name == top).max_share is not None
    assert ("max_share" in edited) == had_quota and edited.get("max_share") is None
    if programme.max_recruits is not None:
        assert changes["max_recruits"] is None  # an emptied cell: no limit
    variant = plan_scenario.with_changes({"programme": changes})
    tier = next(t for t in variant.programme.tiers if t.name == top)
    assert (tier.fixed, tier.share, tier.multiplier, tier.max_count) == (12_000.0, 1.5, 1.2, 1)
    assert variant.programme.max_exits == 0 and variant.programme.exit_band == "force"


def test_a_limit_set_in_the_editor_holds_in_the_plan(plan_scenario) -> None:
    limits = limit_rows(plan_scenario.programme)
    limits[0]["max_exits"] = 0
    changes = programme_changes(plan_scenario.programme, limits, tier_rows(plan_scenario.programme))
    result = solve(plan_scenario.with_changes({"programme": changes}), time_limit=20)
    assert result.feasible and result.plan_summary["actions"].get("exit", 0) == 0


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[AppTest]:
    from selector.app.workspace_shared import close_stores

    close_stores()
    monkeypatch.setenv("SELECTOR_DB", str(tmp_path / "workspace.db"))
    monkeypatch.setattr(sys, "argv", ["app.py", "--scenario", str(PLAN)])
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("selector/app/portfolio.py").run()
    assert not at.exception
    yield at
    close_stores()


def test_the_portfolio_page_edits_the_programme_and_saves_it_with_the_what_if(app) -> None:
    at = app
    assert any(e.label.startswith("Programme: limits and tiers") for e in at.expander)
    assert int(next(m.value for m in at.metric if m.label == "Exit")) > 0
    editor = next(e for e in at.data_editor if "programme_limits" in str(e.key))
    at.session_state[editor.key] = {"edited_rows": {0: {"max_exits": 0}}, "added_rows": [],
                                    "deleted_rows": []}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Programme: limits and tiers (edited)" in [e.label for e in at.expander]
    assert next(m.value for m in at.metric if m.label == "Exit") == "0"
    next(t for t in at.text_input if t.label == "What-if name").set_value("No exits")
    next(b for b in at.button if b.label == "Save what-if").click().run()
    assert not at.exception
    at.switch_page("selector/app/workspace.py").run()
    saved = at.dataframe[0].value
    assert list(saved["what-if"]) == ["No exits"]
    assert "max exits 0" in saved["changes"].iloc[0]


def test_a_programme_the_loader_refuses_is_named_and_not_applied(app) -> None:
    at = app
    editor = next(e for e in at.data_editor if "programme_tiers" in str(e.key))
    # Every tier capped, the shares adding up to less than 1: no partner could be active.
    rows = {k: {"max_share": 10.0} for k in range(len(editor.value))}
    at.session_state[editor.key] = {"edited_rows": rows, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception
    errors = "\n".join(e.value for e in at.error)
    assert "Not applied" in errors and "programme quotas cannot hold" in errors
    assert "Programme: limits and tiers" in [e.label for e in at.expander]  # not "(edited)"

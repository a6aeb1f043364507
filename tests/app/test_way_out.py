"""The way out of an infeasible what-if on the Portfolio page: the table of least changes
and the buttons that apply one to the page's controls and prove the plan."""

from __future__ import annotations

from tests.app.test_app import budget_input, go, start, texts


def way_out_buttons(at):
    return [b for b in at.button if str(b.key or "").startswith("way_out:")]


def test_a_budget_cut_shows_its_ways_out_and_the_fewest_exits_apply(monkeypatch) -> None:
    at = go(start(monkeypatch, "scenarios/teaching-plan.toml"), "portfolio")
    budget_input(at).set_value(650_000).run()
    assert not at.exception
    assert "No portfolio keeps every rule" in texts(at.warning)
    table = next(d.value for d in at.dataframe if "needed" in d.value.columns)
    rows = table.set_index("setting")
    # the least extra budget and the fewest extra exits, as people read them
    assert rows.loc["budget.total", "today"] == "650,000"
    assert rows.loc["budget.total", "needed"] == "651,000"
    assert rows.loc["programme.max_exits", "needed"] == "4"
    assert rows.loc["programme.max_recruits", "needed"] == "-"
    labels = [b.label for b in way_out_buttons(at)]
    assert "Total budget → 651,000" in labels and "Limit on exits → 4" in labels
    # only changes that fix the what-if alone get a button
    assert not any("recruits" in label for label in labels)

    next(b for b in way_out_buttons(at) if b.label == "Limit on exits → 4").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Applied: Raise the limit on exits from 3 to 4" in texts(at.info)
    # the programme editor shows the new limit, the budget stays as typed
    assert budget_input(at).value == 650_000
    assert "Programme: limits and tiers (edited)" in [e.label for e in at.expander]
    # and the plan is proved, within the budget and the new limit
    assert "No portfolio keeps every rule" not in texts(at.warning)
    assert "proven optimal" in texts(at.success).lower(), texts(at.success)
    exits = next(m.value for m in at.metric if m.label == "Exit")
    assert int(exits) <= 4


def test_a_switch_no_control_shows_is_listed_and_undone(monkeypatch) -> None:
    at = go(start(monkeypatch, "scenarios/teaching-plan.toml"), "portfolio")
    budget_input(at).set_value(650_000).run()
    button = next(b for b in way_out_buttons(at) if "tier-2" in b.label.lower() or "distributor" in b.label)
    button.click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Also changed by a way out: constraints.tier2_needs_distributor = off" in texts(at.caption)
    assert "No portfolio keeps every rule" not in texts(at.warning)
    next(b for b in at.button if b.label == "Undo these").click().run()
    assert not at.exception
    assert "Also changed by a way out" not in texts(at.caption)
    assert "No portfolio keeps every rule" in texts(at.warning)


def test_a_roadmap_years_budget_is_raised_by_its_way_out(monkeypatch, tmp_path) -> None:
    # teaching-3y with year 2's budget cut to 500,000: year 2 needs 121,500 more
    scenario = tmp_path / "cut.toml"
    root = __import__("pathlib").Path(__file__).resolve().parents[2]
    scenario.write_text(
        f'extends = "{root / "scenarios" / "teaching-3y.toml"}"\n'
        "[horizon]\nbudget = { by_year = [900000, 500000, 1000000] }\n"
    )
    at = go(start(monkeypatch, str(scenario)), "portfolio")
    assert not at.exception, [e.value for e in at.exception]
    table = next(d.value for d in at.dataframe if "needed" in d.value.columns).set_index("setting")
    assert table.loc["horizon.budget.by_year[2]", "needed"] == "621,500"
    button = next(b for b in way_out_buttons(at) if b.label == "Year 2's budget → 621,500")
    button.click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Also changed by a way out: horizon.budget.by_year[2] = 621,500" in texts(at.caption)
    assert "proven optimal" in texts(at.success).lower(), texts(at.success)

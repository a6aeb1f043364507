"""The README's two commands are the ones CI and users run."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```bash\n(.+?)\n```", text)[:2]


def test_readme_opens_with_app_and_test_commands() -> None:
    app, tests = _commands()
    assert "pip install" in app and "streamlit run app.py" in app
    assert "scenarios/" in app
    assert "pip install" in tests and "pytest" in tests


def test_ci_runs_the_readme_test_command() -> None:
    _app, tests = _commands()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert tests in ci.splitlines()


def test_readme_app_scenario_exists() -> None:
    app, _tests = _commands()
    scenario = re.search(r"--scenario (\S+)", app)
    assert scenario is not None
    assert (ROOT / scenario.group(1)).is_file()


def test_readme_rules_load_on_the_plan_scenario() -> None:
    import tomllib

    from selector import load_scenario

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"### Rules.*?```toml\n(.*?)```", text, re.S)
    assert block is not None
    rules = tomllib.loads(block.group(1))["rules"]
    scenario = load_scenario(ROOT / "scenarios" / "teaching-plan.toml").with_changes({"rules": rules})
    assert [r.id for r in scenario.rules] == [r["id"] for r in rules]


def test_readme_script_example_runs(tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## From a script", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    monkeypatch.chdir(tmp_path)
    exec(code.group(1).replace('"scenarios/', f'"{ROOT}/scenarios/'), {})
    out = capsys.readouterr().out
    assert out.count("optimal") == 2 and "x_R01 + x_R05 + x_R09 >= 2" in out
    assert (tmp_path / "teaching.lp").is_file()


def test_readme_route_example_prints_the_route(monkeypatch: Any, capsys: Any) -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("Which path a solve takes", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    monkeypatch.chdir(ROOT)
    exec(code.group(1), {})
    assert capsys.readouterr().out.split() == ["cuts", "greedy"]

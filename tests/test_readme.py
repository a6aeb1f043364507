"""The README's two commands are the ones CI and users run."""

from __future__ import annotations

import re
from pathlib import Path

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

"""The README's commands are the ones CI and users run."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

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


def _python_block(heading: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", text.split(heading, 1)[1], re.S)
    assert code is not None
    return code.group(1).replace('"scenarios/', f'"{ROOT}/scenarios/')


def _cli_lines() -> list[str]:
    """The commands of the README's command-line block, comments cut."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## The command line\n.*?```bash\n(.*?)```", text, re.S)
    assert block is not None
    return [line.split("  #")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_readme_python_example_prints_the_status_and_explains_the_cut(
    tmp_path: Path, monkeypatch: Any, capsys: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    exec(_python_block("## From Python"), {})
    out = capsys.readouterr().out
    assert "optimal 5 partners:" in out
    # The 20 % cut is infeasible: it says so, and names the limits in the way.
    lines = out.splitlines()
    assert "infeasible" in lines
    assert "the total budget" in lines[lines.index("infeasible") + 1]
    assert "()" not in lines


def test_readme_script_example_runs(tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    import shlex

    from selector.cli import main

    monkeypatch.chdir(tmp_path)
    exec(_python_block("## From a script"), {})
    out = capsys.readouterr().out
    assert out.count("optimal") == 2 and "x_R01 + x_R05 + x_R09 >= 2" in out
    assert (tmp_path / "teaching-my-rules.lp").is_file()
    # The command line's model example then runs in the same folder: no example writes
    # a file another one trips on.
    model = next(line for line in _cli_lines() if line.startswith("selector model "))
    argv = [a.replace("scenarios/", f"{ROOT}/scenarios/") for a in shlex.split(model)[1:]]
    assert main(argv) == 0
    assert (tmp_path / "teaching.lp").is_file()


def test_readme_examples_write_distinct_files() -> None:
    import shlex

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    written = re.findall(r"\.write(?:LP|MPS)\(\"([^\"]+)\"\)", text)
    for line in _cli_lines():
        words = shlex.split(line)
        for flag in ("-o", "--xlsx", "--csv", "--png", "--dot", ">"):
            if flag in words:
                written.append(words[words.index(flag) + 1])
    assert written and len(written) == len(set(written)), written


def test_readme_cli_solve_lists_ids_only_when_asked(capsys: Any) -> None:
    from selector.cli import main

    teaching = str(ROOT / "scenarios" / "teaching.toml")
    assert main(["solve", teaching]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Status     optimal (proven optimal)")
    assert "Selected   5 partners (--ids lists them)" in out and "R03" not in out
    assert main(["solve", teaching, "--ids"]) == 0
    assert "Selected   5 partners: D01, D02, R03, R06, R09" in capsys.readouterr().out
    assert "selector solve scenarios/teaching.toml --ids" in _cli_lines()
    assert "selector --version" in _cli_lines()


def test_readme_route_example_prints_the_route(monkeypatch: Any, capsys: Any) -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("Which path a solve takes", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    monkeypatch.chdir(ROOT)
    exec(code.group(1), {})
    assert capsys.readouterr().out.split() == ["cuts", "greedy"]


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_readme_cluster_commands_run_as_written(tmp_path: Path) -> None:
    """The "On a Dask cluster" commands, run as written: the two `dask` lines as
    processes, then each `selector` line in a folder beside the scenarios. Only the port
    changes, and only when 8799 is taken on this machine."""
    import shlex
    import shutil
    import socket
    import subprocess

    from conftest import DaskProcesses, child_env, free_port

    pytest.importorskip("distributed")
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## On a Dask cluster", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block is not None
    lines = [line for line in block.group(1).splitlines() if line.strip()]
    scheduler, worker, *commands = lines
    assert scheduler.startswith("dask scheduler ") and worker.startswith("dask worker ")
    assert commands and all(c.startswith("selector ") for c in commands)
    port = "8799"
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", 8799))
        except OSError:
            port = str(free_port())
    argv = [shlex.split(line.replace("8799", port)) for line in lines]
    assert shutil.which("selector") and shutil.which("dask"), "pip install -e '.[test]' first"
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    workers = int(argv[1][argv[1].index("--nworkers") + 1])
    procs = DaskProcesses(tmp_path / "dask", argv[0], argv[1], workers=workers,
                          address=f"tcp://127.0.0.1:{port}").start()
    try:
        done = [
            subprocess.run(command, cwd=tmp_path, env=child_env(), capture_output=True,
                           text=True, timeout=600, check=False)
            for command in argv[2:]
        ]
    finally:
        procs.stop()
    for command, out in zip(commands, done, strict=True):
        assert out.returncode == 0, f"{command}\n{out.stderr}"
    assert "runs: 0 from the workspace, 40 run now and saved" in done[0].stderr
    assert "runs: 40 from the workspace, 20 run now and saved" in done[1].stderr
    assert "Most frequent portfolio" in done[1].stdout
    assert procs.log("scheduler").count("Receive client connection") >= len(commands)


def test_readme_roadmap_settings_load_on_the_vendor_scenario(tmp_path: Path) -> None:
    from selector import load_scenario

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"### Roadmaps over several years.*?```toml\n(.*?)```", text, re.S)
    assert block is not None
    path = tmp_path / "roadmap.toml"
    path.write_text(f'extends = "{ROOT / "scenarios" / "vendor.toml"}"\n' + block.group(1))
    horizon = load_scenario(path).horizon
    assert horizon is not None and horizon.years == 3
    assert horizon.budgets[0] == 44_740_000 and horizon.max_recruits == (12, 12, 8)

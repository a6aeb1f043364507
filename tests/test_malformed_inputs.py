"""Property test (issue 16): 10,000 generated malformed scenarios and judgment sets.

Scenarios (TOML settings and CSV tables, broken one or a few places at a time) go to
:func:`load_scenario` and, when they load, to :func:`solve`; criteria models with
generated judgments go to :func:`load_model` and :func:`model_weights`. Every failure
must be a :class:`SelectorError` that names the file it is about (and, for a table
cell, the row and column); nothing else may escape. The cases come from a seeded
generator in-process (much faster than Hypothesis for 10,000 cases), so CI sees the same
cases every time and a failure names the case.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from selector.errors import ScenarioError, SelectorError
from selector.inputs.criteria import load_model
from selector.inputs.scenario import load_scenario
from selector.portfolio import solve
from selector.scoring import model_weights

SCENARIO_CASES = 2_000  # each loads two CSV tables (~30 ms)
JUDGMENT_CASES = 8_000  # 10,000 in all
SOLVE_EVERY = 25  # solving is slower than loading: one loaded scenario in 25 is solved

PARTNERS = [
    ["id", "name", "type", "gtm_tier", "cost", "regions", "industries", "sizes", "score"],
    ["D1", "Dist One", "distributor", "1", "100", "East", "*", "*", "0.9"],
    ["R1", "Reseller One", "reseller", "2", "40", "East", "Retail", "SMB", "0.6"],
    ["R2", "Reseller Two", "reseller", "2", "30", "East;North", "Finance", "*", "0.4"],
]
SEGMENTS = [
    ["id", "region", "industry", "size", "value", "named"],
    ["S1", "East", "Retail", "SMB", "1000", "false"],
    ["S2", "East", "Finance", "SMB", "800", "true"],
    ["S3", "North", "Finance", "Enterprise", "500", "false"],
]
SETTINGS: dict[str, Any] = {
    "name": "gen",
    "partners": "partners.csv",
    "segments": "segments.csv",
    "budget": {"total": 150},
    "objective": {"kind": "weighted_coverage"},
    "constraints": {"must_include": [], "must_exclude": [], "conflicts": []},
    "solve": {"time_limit": 5},
}

# Values a user (or a broken export) puts where something else belongs.
WEIRD_TEXT = [
    "", " ", "-1", "0", "1e308", "-1e308", "nan", "inf", "-inf", "1/0", "abc", "=1+1", "\x00",
    "北京", "1,5", "true", "yes", "*", ";", ";;", "East;;North", "1e12", "999999999999999",
    "0.5", "2", "1.5", "  7  ", "\t", '"', "'", "\\", "None", "NULL", "#N/A", "Retail", "SMB",
    "distributor", "reseller", "current", "prospect", "gold",
]
SETTING_PATHS = [
    ("name",), ("partners",), ("segments",), ("coverage",), ("supply",), ("model",), ("extends",),
    ("description",), ("budget",), ("budget", "total"), ("budget", "pools"), ("budget", "extra"),
    ("objective",), ("objective", "kind"), ("objective", "kid"), ("constraints",),
    ("constraints", "must_include"), ("constraints", "must_exclude"), ("constraints", "conflicts"),
    ("constraints", "max_partners_per_segment"), ("constraints", "min_partners"),
    ("tiers",), ("tiers", "gold"), ("solve",), ("solve", "time_limit"), ("solve", "gap"),
    ("solve", "solver"), ("programme",), ("programme", "tiers"), ("positioning",), ("unknown_key",),
]


def weird_value(rng: random.Random) -> Any:
    kind = rng.randrange(8)
    if kind == 0:
        return rng.choice(WEIRD_TEXT)
    if kind == 1:
        return rng.choice([0, -1, 1, 2, 7, 10**6, 2**63, -(2**70)])
    if kind == 2:
        return rng.choice([0.0, -0.5, 0.1, 1e-300, 1e12, 1e308, math.inf, -math.inf, math.nan])
    if kind == 3:
        return rng.choice([True, False])
    if kind == 4:
        return [rng.choice([0, 1, -1, 3]) for _ in range(rng.randrange(4))]
    if kind == 5:
        return [[rng.choice(["D1", "R1", "R2", "X", ""]) for _ in range(rng.randrange(4))]]
    if kind == 6:
        return {rng.choice(["total", "kind", "x", "pools", "named", "gold"]): rng.choice([1, -1, "a", 0.5])}
    return "".join(rng.choice("ab1;,=*\u00e9北 ") for _ in range(rng.randrange(6)))


def scenario_case(rng: random.Random) -> tuple[dict[str, Any], list[list[str]], list[list[str]], str]:
    config: dict[str, Any] = {k: (dict(v) if isinstance(v, dict) else v) for k, v in SETTINGS.items()}
    partners = [list(r) for r in PARTNERS]
    segments = [list(r) for r in SEGMENTS]
    for _ in range(rng.randint(1, 3)):
        what = rng.choice(["setting", "setting", "partner_cell", "segment_cell", "drop_column",
                           "extra_row", "short_row"])
        if what == "setting":
            path = rng.choice(SETTING_PATHS)
            node = config
            for key in path[:-1]:
                if not isinstance(node.get(key), dict):
                    node[key] = {}
                node = node[key]
            node[path[-1]] = weird_value(rng)
            continue
        table = partners if what.startswith("partner") or rng.random() < 0.5 else segments
        if what.endswith("cell"):
            row = table[rng.randrange(len(table))]
            if row:
                row[rng.randrange(len(row))] = rng.choice(WEIRD_TEXT)
        elif what == "drop_column":
            c = rng.randrange(len(table[0]))
            for row in table:
                if c < len(row):
                    del row[c]
        elif what == "extra_row":
            table.append([rng.choice(WEIRD_TEXT) for _ in table[0]])
        else:
            table.append([rng.choice(WEIRD_TEXT)])
    encoding = rng.choice(["utf-8", "utf-8", "utf-8", "gbk", "utf-16", "cp1252"])
    return config, partners, segments, encoding


def _clean_toml_value(value: Any) -> Any:
    # tomli_w cannot write None or mixed containers; keep what TOML can hold
    if isinstance(value, dict):
        return {str(k): _clean_toml_value(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_clean_toml_value(v) for v in value if v is not None]
    return value


def _write_case(folder: Path, case: tuple[dict[str, Any], list[list[str]], list[list[str]], str]) -> Path:
    config, partners, segments, encoding = case
    folder.mkdir(parents=True, exist_ok=True)
    for name, table in (("partners.csv", partners), ("segments.csv", segments)):
        text = "\n".join(",".join(row) for row in table) + "\n"
        try:
            data = text.encode(encoding)
        except UnicodeEncodeError:
            data = text.encode("utf-8")
        (folder / name).write_bytes(data)
    path = folder / "scenario.toml"
    try:
        text = tomli_w.dumps(_clean_toml_value(config))
    except (TypeError, ValueError):
        text = 'name = "unwritable"\npartners = "partners.csv"\nsegments = "segments.csv"\n'
    path.write_text(text, encoding="utf-8")
    return path


def _check_named(exc: BaseException, files: list[Path], *, case: Any = None) -> None:
    if not isinstance(exc, SelectorError):
        raise AssertionError(f"case {case!r} raised {type(exc).__name__}: {exc}") from exc
    msg = str(exc)
    assert "\n" not in msg and "Traceback" not in msg, msg
    if isinstance(exc, ScenarioError):
        assert exc.file, f"no file named: {msg}"
        if exc.row is not None:
            assert exc.column, f"a row without a column: {msg}"
    assert any(f.name in msg for f in files) or (isinstance(exc, ScenarioError) and exc.file), (case, msg)


@pytest.mark.slow
def test_malformed_scenarios_raise_only_named_selector_errors(tmp_path: Path) -> None:
    rng = random.Random(16)
    loaded = solved = 0
    kinds: Counter[str] = Counter()
    for k in range(SCENARIO_CASES):
        case = scenario_case(rng)
        path = _write_case(tmp_path, case)
        files = [path, tmp_path / "partners.csv", tmp_path / "segments.csv"]
        try:
            scenario = load_scenario(path)
        except Exception as exc:
            _check_named(exc, files, case=(k, case))
            kinds[type(exc).__name__] += 1
            continue
        loaded += 1
        if loaded % SOLVE_EVERY:
            continue
        try:
            result = solve(scenario, time_limit=5, explain=False)
        except Exception as exc:
            _check_named(exc, files, case=(k, case))
            continue
        solved += 1
        assert result.status in ("optimal", "time_limit", "infeasible", "error")
    # the generator breaks things often, but not always
    assert loaded > SCENARIO_CASES // 20 and sum(kinds.values()) > SCENARIO_CASES // 2, (loaded, kinds)
    assert solved > 0



CRITERIA = ["a", "b", "c", "d"]
JUDGMENT_VALUES: list[Any] = [1, 2, 3, 9, 0.5, "1/3", "1/9", 10, 0, -1, 1e308, "x", "1/0", "", True,
                              math.nan, math.inf, 1e-300, 17, "3", " 1/2 ", 1 / 3, 4, 5, 1 / 7]


def judgment_value(rng: random.Random) -> Any:
    # mostly valid Saaty values, so that what follows the parsing is reached too
    return rng.choice([2, 3, 5, 1 / 3, 0.5, "1/5"]) if rng.random() < 0.6 else rng.choice(JUDGMENT_VALUES)


def judgment_model(rng: random.Random) -> dict[str, Any]:
    model: dict[str, Any] = {"name": "gen", "criteria": [{"id": c} for c in CRITERIA]}
    if rng.random() < 0.3:
        model["settings"] = {
            "threshold": rng.choice([0.1, 0.1, *JUDGMENT_VALUES]),
            "ri": rng.choice(["saaty1980", "alonso_lamata", "nope"]),
            "method": rng.choice(["eigenvector", "geometric", "nope"]),
        }
    entries = []
    for _ in range(rng.randint(0, 3)):
        entry: dict[str, Any] = {}
        if rng.random() < 0.4:
            n = rng.randint(1, 4)
            entry["items"] = rng.sample(CRITERIA, n) if rng.random() < 0.8 else [rng.choice([*CRITERIA, "z"]) for _ in range(n)]
            entry["matrix"] = [[judgment_value(rng) for _ in range(n)] for _ in range(n)]
            if rng.random() < 0.5:  # a well-formed reciprocal matrix, sometimes
                entry["matrix"] = [[1 if i == j else 3 if i < j else 1 / 3 for j in range(n)] for i in range(n)]
        else:
            entry["pairs"] = [[rng.choice(CRITERIA), rng.choice(CRITERIA), judgment_value(rng)]
                              for _ in range(rng.randint(0, 7))]
            if rng.random() < 0.2:
                entry["pairs"].append([rng.choice([*CRITERIA, "z", ""]) for _ in range(rng.randint(0, 4))])
        if rng.random() < 0.3:
            entry["expert"] = rng.choice(["x", "y", ""])
        if rng.random() < 0.2:
            entry["weight"] = judgment_value(rng)
        if rng.random() < 0.1:
            entry["parent"] = rng.choice(["goal", "a", "nope"])
        entries.append(entry)
    model["judgments"] = entries
    return model


@pytest.mark.slow
def test_malformed_judgments_raise_only_named_selector_errors(tmp_path: Path) -> None:
    rng = random.Random(16)
    path = tmp_path / "model.toml"
    weighed = failed = 0
    for k in range(JUDGMENT_CASES):
        model = judgment_model(rng)
        try:
            path.write_text(tomli_w.dumps(_clean_toml_value(model)), encoding="utf-8")
        except (TypeError, ValueError):
            continue  # not writable as TOML: no file a user could have
        try:
            weights = model_weights(load_model(path))
        except Exception as exc:
            _check_named(exc, [path], case=(k, model))
            failed += 1
            continue
        weighed += 1
        total = sum(weights.global_weights.values())
        assert math.isclose(total, 1.0, rel_tol=1e-9), (k, model, weights.global_weights)
    assert weighed > JUDGMENT_CASES // 20 and failed > JUDGMENT_CASES // 5, (weighed, failed)

"""Property tests: about 11,700 generated malformed inputs of every kind selector reads.

Scenarios (TOML settings and CSV tables, broken one or a few places at a time) go to
:func:`load_scenario` and, when they load, to :func:`solve`; criteria models with
generated judgments go to :func:`load_model` and :func:`model_weights`. A wider
generator breaks plan scenarios (status, tier and one-off cost columns, a
``[programme]``, ``[[rules]]`` of every kind, coverage and supply tables, CSV or XLSX)
and solves every one that loads (with a node and a time limit); filled-in
questionnaires are damaged cell by cell and sheet by sheet, read and recorded in a
workspace; and the workspace command line is run with bad ids, names and databases.
Every failure must be a :class:`SelectorError` on one line that names the file it is
about (and, for a table cell, the row and column); nothing else may escape. The cases
come from seeded generators in-process (much faster than Hypothesis for this many
cases), so CI sees the same cases every time and a failure names the case.
"""

from __future__ import annotations

import copy
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
from selector.portfolio import STATUSES, solve
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


# --- the wider generator: plans, rules, coverage and supply tables, XLSX ------------------
#
# A small plan scenario (partners with status, tier and one-off costs; a [programme];
# [[rules]] of every kind; coverage and supply tables) broken one to four places at a
# time, written as CSV or XLSX. Every case that loads is solved (with a node and time
# limit). Questionnaires and the workspace command line get their own generators below.

RICH_CASES = 1_000
RICH_PARTNERS = [
    ["id", "name", "type", "gtm_tier", "cost", "regions", "industries", "sizes", "score",
     "status", "tier", "recruit_cost", "exit_cost", "gold_cost"],
    ["D1", "Dist One", "distributor", "1", "100", "East", "*", "*", "0.9", "current", "gold", "", "30", "150"],
    ["R1", "Reseller One", "reseller", "2", "40", "East", "Retail", "SMB", "0.6", "current", "silver", "", "10", "60"],
    ["R2", "Reseller Two", "reseller", "2", "30", "East;North", "Finance", "*", "0.4", "prospect", "", "15", "", "50"],
    ["S1", "Integrator", "si", "2", "50", "North", "Finance", "Enterprise", "0.8", "current", "registered", "", "20", "70"],
]
RICH_SEGMENTS = [
    ["id", "region", "industry", "size", "value", "named", "min_partners", "max_partners"],
    ["G1", "East", "Retail", "SMB", "1000", "false", "", ""],
    ["G2", "East", "Finance", "SMB", "800", "true", "1", "2"],
    ["G3", "North", "Finance", "Enterprise", "500", "false", "", "3"],
]
RICH_COVERAGE = [["partner_id", "segment_id"], ["D1", "G1"], ["D1", "G2"], ["R1", "G1"],
                 ["R2", "G2"], ["R2", "G3"], ["S1", "G3"]]
RICH_SUPPLY = [["distributor_id", "reseller_id"], ["D1", "R1"], ["D1", "R2"], ["D1", "S1"]]
RICH_RULES: list[dict[str, Any]] = [
    {"id": "two", "kind": "count", "where": {"type": "reseller"}, "max": 2},
    {"id": "spend", "kind": "cost", "where": {"region": "East"}, "max_share": 0.9},
    {"id": "cover", "kind": "coverage", "segments": {"industry": "Finance"}, "min_share": 0.2},
    {"id": "needs", "kind": "requires", "partner": "R2", "requires": ["D1"]},
    {"id": "few", "kind": "group", "partners": ["R1", "R2", "S1"], "min": 1},
]
RICH_SETTINGS: dict[str, Any] = {
    "name": "rich",
    "budget": {"total": 400, "pools": {"type:distributor": 300}},
    "objective": {"kind": "weighted_coverage"},
    "constraints": {"must_include": [], "must_exclude": [], "conflicts": [["R1", "R2"]],
                    "tier2_needs_distributor": True},
    "programme": {
        "tiers": ["registered", "silver", "gold"], "max_exits": 2, "max_recruits": 1,
        "registered": {"cost": {"share": 1.0}, "multiplier": 0.9},
        "silver": {"cost": {"fixed": 10, "share": 1.1}},
        "gold": {"cost": {"column": "gold_cost"}, "multiplier": 1.2, "max_share": 0.5},
    },
    "solve": {"time_limit": 2},
}
RICH_SETTING_PATHS = [
    *SETTING_PATHS,
    ("programme", "max_exits"), ("programme", "max_recruits"), ("programme", "exit_band"),
    ("programme", "stability"), ("programme", "keep_named_accounts"), ("programme", "gold"),
    ("programme", "gold", "cost"), ("programme", "gold", "cost", "fixed"),
    ("programme", "gold", "cost", "share"), ("programme", "gold", "cost", "column"),
    ("programme", "gold", "multiplier"), ("programme", "gold", "max_share"),
    ("programme", "gold", "max_count"), ("programme", "silver", "cost", "fixed"),
    ("constraints", "type_mix"), ("constraints", "tier2_needs_distributor"),
    ("constraints", "conflict_shared_value"), ("budget", "pools", "type:distributor"),
    ("budget", "pools", "region:East"), ("tiers", "silver"), ("tiers", "exclude_exit"),
    ("solve", "node_limit"), ("rules",),
]
RULE_FIELDS = ["id", "kind", "label", "where", "segments", "min", "max", "exactly", "min_share",
               "max_share", "partner", "partners", "requires", "weighted"]
FILTERS: list[Any] = [
    {"type": "si"}, {"regions": "*"}, {"region": ["East", "Nowhere"]}, {"cost": {"min": 10}},
    {"cost": {"min": "a"}}, {"cost": {"max": 10**400}}, {"score": {"min": 0.5, "max": 0.1}},
    {"status": "current"}, {"tier": "gold"}, {"level": "gold"}, {"level": ["x"]}, {"id": "D1"},
    {"industry": "Finance", "named": True}, {"named": True}, {"value": {"min": 600}}, {}, [1],
]
# Changes that keep the scenario valid: cases that still load, so the solver sees them.
VALID_CHANGES: list[tuple[tuple[str, ...], Any]] = [
    (("budget", "total"), 150), (("budget", "total"), 1e12), (("budget", "pools"), {}),
    (("objective", "kind"), "coverage"), (("objective", "kind"), "min_cost"),
    (("programme", "exit_band"), "force"), (("programme", "stability"), "none"),
    (("programme", "max_exits"), 0), (("programme", "keep_named_accounts"), False),
    (("programme", "gold", "cost"), {"fixed": 1e11}), (("programme", "silver", "max_count"), 1),
    (("constraints", "must_include"), ["D1"]), (("constraints", "must_exclude"), ["R2"]),
    (("constraints", "max_partners_per_segment"), 1), (("constraints", "min_partners"), {"named": 2}),
    (("constraints", "type_mix"), {"reseller": {"min": 1, "max": 1}}),
    (("constraints", "conflict_shared_value"), 0.5), (("tiers", "exclude_exit"), True),
    (("solve", "node_limit"), 5), (("programme",), {"tiers": ["partner"]}),
]
CHANNEL_TEXT = ["current", "prospect", "Current", "former", "gold", "silver", "registered",
                "platinum", "1e15", "1e12", "-5", "1" + "0" * 400, "0", ""]


def rich_value(rng: random.Random) -> Any:
    kind = rng.randrange(5)
    if kind == 0:
        return rng.choice(FILTERS)
    if kind == 1:
        return rng.choice([1e15, 1e200, 1.7e308, 10**400, 2**63, -3, 0.5, 1, 3, 1e12])
    if kind == 2:
        return rng.choice([["D1"], ["D1", "R2"], ["R2"], ["X9"], [], "D1", "S1"])
    return weird_value(rng)


def rich_rule(rng: random.Random) -> dict[str, Any]:
    rule = dict(rng.choice(RICH_RULES))
    for _ in range(rng.randint(0, 2)):
        field = rng.choice(RULE_FIELDS)
        if rng.random() < 0.2:
            rule.pop(field, None)
        else:
            rule[field] = rich_value(rng)
    return rule


def rich_case(rng: random.Random) -> dict[str, Any]:
    config = copy.deepcopy(RICH_SETTINGS)
    config["rules"] = [dict(r) for r in rng.sample(RICH_RULES, rng.randint(0, len(RICH_RULES)))]
    tables = {
        "partners": [list(r) for r in RICH_PARTNERS],
        "segments": [list(r) for r in RICH_SEGMENTS],
        "coverage": [list(r) for r in RICH_COVERAGE] if rng.random() < 0.7 else None,
        "supply": [list(r) for r in RICH_SUPPLY] if rng.random() < 0.8 else None,
    }
    if tables["supply"] is None:
        config["constraints"]["tier2_needs_distributor"] = False
    for _ in range(rng.choice([1, 1, 1, 2, 2, 3, 4])):
        # settings and rules often still load (and are solved); table damage seldom does
        what = rng.choice(["valid"] * 6 + ["setting"] * 3 + ["rule"] * 5 + ["channel"] * 2
                          + ["cell"] * 2 + ["drop_column", "extra_row", "short_row"])
        if what == "valid":
            keys, value = rng.choice(VALID_CHANGES)
            node = config
            for key in keys[:-1]:
                node = node.setdefault(key, {}) if isinstance(node.get(key, {}), dict) else node
            node[keys[-1]] = copy.deepcopy(value)
            continue
        if what == "setting":
            path = rng.choice(RICH_SETTING_PATHS)
            node = config
            for key in path[:-1]:
                if not isinstance(node.get(key), dict):
                    node[key] = {}
                node = node[key]
            node[path[-1]] = rich_value(rng) if rng.random() < 0.5 else weird_value(rng)
            continue
        if what == "rule":
            rules = config.get("rules")
            if not isinstance(rules, list):
                rules = config["rules"] = []
            if rules and rng.random() < 0.5:
                rules[rng.randrange(len(rules))] = rich_rule(rng)
            else:
                rules.append(rich_rule(rng))
            continue
        present = [k for k, t in tables.items() if t is not None]
        table = tables["partners"] if what == "channel" else tables[rng.choice(present)]
        assert table is not None
        if what == "channel":
            row = table[rng.randrange(1, len(table))]
            col = rng.choice(["status", "tier", "recruit_cost", "exit_cost", "gold_cost", "cost"])
            if col in table[0] and table[0].index(col) < len(row):
                row[table[0].index(col)] = rng.choice(CHANNEL_TEXT)
        elif what == "cell":
            row = table[rng.randrange(len(table))]
            if row:
                row[rng.randrange(len(row))] = rng.choice([*WEIRD_TEXT, *CHANNEL_TEXT, "X9", "G9"])
        elif what == "drop_column" and table[0]:
            c = rng.randrange(len(table[0]))
            for row in table:
                if c < len(row):
                    del row[c]
        elif what == "extra_row":
            table.append([rng.choice([*WEIRD_TEXT, "D1", "G1"]) for _ in table[0]])
        else:
            table.append([rng.choice(WEIRD_TEXT)])
    return {"config": config, "tables": tables, "fmt": "xlsx" if rng.random() < 0.2 else "csv"}


def _typed_cell(text: str) -> Any:
    """A cell as a spreadsheet holds it: a number where the text is one."""
    try:
        number = float(text)
    except ValueError:
        return text
    return number if math.isfinite(number) and len(text) < 30 else text


def _write_rich(folder: Path, case: dict[str, Any]) -> tuple[Path, list[Path]]:
    from openpyxl import Workbook

    folder.mkdir(parents=True, exist_ok=True)
    config = dict(case["config"])
    files = []
    for name, table in case["tables"].items():
        if table is None:
            config.pop(name, None)
            continue
        path = folder / f"{name}.{case['fmt']}"
        if case["fmt"] == "xlsx":
            wb = Workbook()
            ws = wb.active
            assert ws is not None
            for row in table:
                ws.append([_typed_cell(c) if c != "\x00" else "" for c in row])
            wb.save(path)
        else:
            path.write_text("\n".join(",".join(row) for row in table) + "\n", encoding="utf-8")
        config[name] = path.name
        files.append(path)
    config.setdefault("partners", "partners.csv")
    config.setdefault("segments", "segments.csv")
    path = folder / "scenario.toml"
    try:
        text = tomli_w.dumps(_clean_toml_value(config))
    except (TypeError, ValueError):
        text = f'name = "unwritable"\npartners = "partners.{case["fmt"]}"\nsegments = "segments.{case["fmt"]}"\n'
    path.write_text(text, encoding="utf-8")
    return path, [path, *files]


@pytest.mark.slow
def test_malformed_plans_rules_and_tables_raise_only_named_errors_and_load_to_a_solve(
    tmp_path: Path,
) -> None:
    rng = random.Random(29)
    loaded = solved = 0
    kinds: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    for k in range(RICH_CASES):
        case = rich_case(rng)
        folder = tmp_path / f"case{k % 2}"  # a fresh folder each time: no file left over
        for old in folder.glob("*"):
            old.unlink()
        path, files = _write_rich(folder, case)
        try:
            scenario = load_scenario(path)
        except Exception as exc:
            _check_named(exc, files, case=(k, case))
            kinds[type(exc).__name__] += 1
            continue
        loaded += 1
        try:
            result = solve(scenario, time_limit=2, node_limit=100, explain=k % 10 == 0)
        except Exception as exc:
            _check_named(exc, files, case=(k, case))
            continue
        solved += 1
        statuses[result.status] += 1
        assert result.status in STATUSES, (k, result.status)
    assert loaded > RICH_CASES // 10 and sum(kinds.values()) > RICH_CASES // 3, (loaded, kinds)
    assert solved == loaded, (solved, loaded)
    assert statuses["optimal"] > 0, statuses


# --- questionnaires ---------------------------------------------------------------------

QUESTIONNAIRE_CASES = 400
CELL_VALUES: list[Any] = [
    None, "", "A", "B", "equal", "a", "strongly", "extremely", "very strongy", 1, 9, 10, 0, -3,
    2.5, 10**400 // 10**390, "²", "٣", "=1/0", "1e308", math.nan, True, "goal", "strategic_fit",
    "capability", "nonsense", "x" * 300, "\u202eevil", " 5 ", "7", "About", "dee",
]


def mutate_questionnaire(wb: Any, rng: random.Random) -> None:
    sheets = wb.worksheets
    for _ in range(rng.randint(1, 3)):
        what = rng.choice(["cell"] * 6 + ["far", "copy", "drop", "rename"])
        ws = rng.choice(sheets)
        if what == "cell":
            ws.cell(rng.randint(1, 14), rng.randint(1, 7), rng.choice(CELL_VALUES))
        elif what == "far":
            ws[rng.choice(["Z9", "F5001", "A6000", "G5", "Z1048576"])] = "x"
        elif what == "copy":
            wb.copy_worksheet(ws)
        elif what == "drop" and len(sheets) > 1:
            wb.remove(ws)
            sheets = wb.worksheets
        elif what == "rename":
            ws.title = rng.choice(["About", "Goal2", "Sheet", "x" * 31])


@pytest.mark.slow
def test_malformed_questionnaires_raise_only_selector_errors(tmp_path: Path) -> None:
    import io

    from openpyxl import load_workbook

    from selector.store import open_store
    from selector.store.questionnaire import questionnaire_bytes, read_questionnaire

    model = load_model(Path(__file__).resolve().parents[1] / "models" / "partner-selection.toml")
    prefill = {(j.parent, a, b): v for j in model.judgments for a, b, v in j.pairs}
    blank = questionnaire_bytes(model, participant="ana", round_id=1, prefill=prefill)
    store = open_store(tmp_path / "w.db", user="ana")
    rnd = store.open_round(store.save_model(model).id)
    rng = random.Random(29)
    read = recorded = 0
    for k in range(QUESTIONNAIRE_CASES):
        wb = load_workbook(io.BytesIO(blank))
        mutate_questionnaire(wb, rng)
        buffer = io.BytesIO()
        try:
            wb.save(buffer)
        except (ValueError, TypeError):  # not a workbook openpyxl can write: no such file
            continue
        try:
            answers = read_questionnaire(buffer.getvalue(), model, participant="ana")
        except Exception as exc:
            assert isinstance(exc, SelectorError) and "\n" not in str(exc), (k, exc)
            continue
        read += 1
        try:
            store.submit_judgments(rnd.id, answers.pairs, participant=answers.participant,
                                   source="fuzz")
        except Exception as exc:
            assert isinstance(exc, SelectorError) and "\n" not in str(exc), (k, exc)
            continue
        recorded += 1
    store.close()
    assert read > QUESTIONNAIRE_CASES // 10 and recorded > 0, (read, recorded)


# --- the workspace command line -----------------------------------------------------------

WORKSPACE_CASES = 300
IDS = ["1", "2", "0", "-1", "99999999999999999999", "x", "²", "1e3", " 1"]
NAMES = ["ana", "", " ", "x" * 250, "a\x1b]0;t\x07b", "\u202eevil", "=1+1", "北京"]


def workspace_argv(rng: random.Random, dbs: list[str], files: dict[str, str]) -> list[str]:
    db = rng.choice(dbs)
    choices = [
        ["runs", "list"], ["runs", "list", "--limit", rng.choice(IDS)],
        ["runs", "show", rng.choice(IDS)], ["runs", "diff", rng.choice(IDS), rng.choice(IDS)],
        ["scenarios", "list"], ["scenarios", "list", "--name", rng.choice(NAMES)],
        ["scenarios", "save", rng.choice([files["scenario"], files["text"], "nope.toml"]),
         "--name", rng.choice(NAMES), "--note", rng.choice(NAMES)],
        ["scenarios", "export", rng.choice(IDS), files["out"] + str(rng.randrange(3))],
        ["models", "list"], ["models", "save", rng.choice([files["model"], files["text"]])],
        ["whatifs", "list"], ["round", "list"], ["round", "show", rng.choice(IDS)],
        ["round", "open", rng.choice([*IDS, files["model"]]), "--title", rng.choice(NAMES)],
        ["round", "import", rng.choice(IDS), rng.choice([files["text"], files["model"]])],
        ["round", "questionnaire", rng.choice(IDS), "-o", files["out"] + ".xlsx", "--force",
         "--participant", rng.choice(NAMES)],
        ["round", "close", rng.choice(IDS)],
        ["round", "adopt", rng.choice(IDS)],
        ["round", "questionnaire", rng.choice(IDS), "-o", files["out"] + ".xlsx", "--force"],
    ]
    argv = list(rng.choice(choices))
    if rng.random() < 0.3:
        argv.append("--json")
    return [*argv, "--db", db]


@pytest.mark.slow
def test_the_workspace_command_line_answers_bad_input_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from selector.cli import main

    repo = Path(__file__).resolve().parents[1]
    good = tmp_path / "good.db"
    (tmp_path / "empty.db").write_bytes(b"")
    (tmp_path / "text.db").write_text("not a database\n")
    files = {"scenario": str(repo / "scenarios" / "teaching.toml"), "text": str(tmp_path / "text.db"),
             "model": str(repo / "models" / "partner-selection.toml"), "out": str(tmp_path / "out")}
    dbs = [str(good), str(good), str(good), str(tmp_path / "new" / "n.db"), str(tmp_path / "empty.db"),
           str(tmp_path / "text.db"), str(tmp_path), "sqlite://", "mysql://u:S3cretPW@127.0.0.1:1/x",
           "postgresql+psycopg://u:S3cretPW@[::1"]
    assert main(["scenarios", "save", files["scenario"], "--db", str(good)]) == 0
    capsys.readouterr()
    rng = random.Random(29)
    codes: Counter[int] = Counter()
    for k in range(WORKSPACE_CASES):
        argv = workspace_argv(rng, dbs, files)
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse: a usage error, exit status 2
            code = int(exc.code or 0)
            assert code == 2, (k, argv)
            capsys.readouterr()
            codes[code] += 1
            continue
        out, err = capsys.readouterr()
        codes[code] += 1
        assert code in (0, 1, 2), (k, argv, code)
        assert "Traceback" not in err and "S3cretPW" not in out + err, (k, argv, err)
        if code == 2:
            assert err.startswith("selector: error: ") and err.count("\n") == 1, (k, argv, err)
        for char in ("\x1b", "\x07", "\u202e"):
            assert char not in out and char not in err, (k, argv)
    assert codes[0] > WORKSPACE_CASES // 10 and codes[2] > WORKSPACE_CASES // 10, codes

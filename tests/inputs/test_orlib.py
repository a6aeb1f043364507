"""OR-Library set-covering files: the reader, its error messages, and min_cost solves.

The copies in ``shared/benchmarks/orlib-scp`` are genuine OR-Library files: the tests
read every one, solve two to their published optimum, and check the reader and the solve
path on files written here (the shared rows with seeded costs, tiny instances checked by
brute force, and the cost-less row-weights variant that circulates).
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pulp
import pytest

from selector.errors import ScenarioError
from selector.inputs import orlib
from selector.inputs.orlib import KNOWN_OPTIMA, RESOLVED_HERE, ScpInstance, read_scp, scp_scenario
from selector.inputs.scenario import scenario_from_frames
from selector.portfolio import solve
from selector.portfolio.pulp_compat import SOLUTION_OPTIMAL, cbc_path, solution_status

SHARED = Path(__file__).resolve().parents[3] / "shared" / "benchmarks" / "orlib-scp"
SCP41 = SHARED / "scp41.txt"
SCP41_ROW1 = [91, 214, 230, 289, 351, 416, 488, 491, 518, 567, 720, 721, 735, 753, 768, 928, 990]

needs_shared = pytest.mark.skipif(not SCP41.exists(), reason=f"{SHARED} is not beside the repo")


def write_beasley(path: Path, costs: Sequence[float], rows: Sequence[Sequence[int]], *,
                  n: int | None = None, newline: str = "\n") -> Path:
    """An instance in OR-Library's layout (12 numbers a line, as the originals)."""
    lines = [f" {len(rows)} {n if n is not None else len(costs)} "]
    for start in range(0, len(costs), 12):
        lines.append(" " + " ".join(str(c) for c in costs[start:start + 12]) + " ")
    for row in rows:
        lines.append(f" {len(row)} ")
        for start in range(0, len(row), 12):
            lines.append(" " + " ".join(str(j) for j in row[start:start + 12]) + " ")
    path.write_bytes((newline.join(lines) + newline).encode())
    return path


def instance_rows(inst: ScpInstance) -> list[list[int]]:
    a = inst.coverage
    return [(a.indices[a.indptr[i]:a.indptr[i + 1]] + 1).tolist() for i in range(inst.m)]


def random_rows(rng: np.random.Generator, m: int, n: int) -> list[list[int]]:
    """``m`` rows, each a sorted random set of 1..n columns (1-based, as in the files)."""
    return [sorted(rng.choice(np.arange(1, n + 1), size=int(rng.integers(1, n + 1)),
                              replace=False).tolist()) for _ in range(m)]


def cbc_optimum(inst: ScpInstance, costs: np.ndarray) -> float:
    """Weighted set covering as an analyst writes it in plain PuLP, solved by CBC."""
    prob = pulp.LpProblem("scp", pulp.LpMinimize)
    x = [prob.add_variable(f"x{j}", lowBound=0, upBound=1, cat=pulp.LpInteger)
         for j in range(inst.n)]
    prob += pulp.lpSum(float(costs[j]) * x[j] for j in range(inst.n))
    for row in instance_rows(inst):
        prob += pulp.lpSum(x[j - 1] for j in row) >= 1
    stats = prob.solve(pulp.COIN_CMD(path=cbc_path(), msg=False, timeLimit=120))
    assert solution_status(prob, stats) == SOLUTION_OPTIMAL  # proven optimal
    return float(pulp.value(prob.objective))


# --- the shared copies -------------------------------------------------------------


@needs_shared
def test_shared_scp41_reads_in_the_orlibrary_layout() -> None:
    inst = read_scp(SCP41)
    assert (inst.name, inst.m, inst.n) == ("scp41", 200, 1000)
    assert inst.layout == "beasley"
    assert inst.costs is not None and inst.costs.shape == (1000,)
    assert inst.costs.min() == 1 and inst.costs.max() <= 100
    assert (np.diff(inst.costs) >= 0).all()  # sorted ascending, as the README says
    assert inst.nnz == 4009 == int(inst.row_counts.sum())
    assert inst.coverage.shape == (200, 1000)
    assert inst.row_counts[:3].tolist() == [17, 18, 26]
    assert instance_rows(inst)[0] == SCP41_ROW1
    assert inst.row_weights is None and inst.row_labels is None


@needs_shared
def test_every_shared_file_reads_with_costs() -> None:
    names = set()
    for path in sorted(SHARED.glob("scp*.txt")):
        inst = read_scp(path)
        assert inst.layout == "beasley" and inst.costs is not None, path.stem
        assert (inst.row_counts >= 1).all(), path.stem
        names.add(inst.name)
    assert names == set(KNOWN_OPTIMA)


@needs_shared
def test_gzipped_hard_file_reads_as_it_is() -> None:
    path = SHARED / "hard" / "scpnre1.txt.gz"
    if not path.exists():
        pytest.skip(f"{path} is not there")
    inst = read_scp(path)
    assert (inst.name, inst.m, inst.n, inst.layout) == ("scpnre1", 500, 5000, "beasley")


@pytest.mark.parametrize("name", ["scp41", "scp51"])
@needs_shared
def test_shared_files_solve_to_the_published_optimum(name: str) -> None:
    r = solve(scp_scenario(read_scp(SHARED / f"{name}.txt")), time_limit=120, gap=0.0)
    assert r.status == "optimal"
    assert r.objective == pytest.approx(KNOWN_OPTIMA[name])


def test_no_costs_no_scenario(tmp_path: Path, expect_error: Callable[..., str]) -> None:
    path = tmp_path / "rw.txt"
    path.write_text("3 4\n 7 8 9\n 1 2 3\n 2 1 2\n 2 2 3\n 1 4\n")
    expect_error(scp_scenario, read_scp(path), file=path,
                 contains=["has no column costs", "pass costs="])


def test_unreadable_gzip(tmp_path: Path, expect_error: Callable[..., str]) -> None:
    path = tmp_path / "bad.txt.gz"
    path.write_bytes(b"not gzip at all")
    expect_error(read_scp, path, file=path, contains=["cannot be read"])


@needs_shared
def test_known_optima_are_the_readme_table() -> None:
    text = (SHARED / "README.md").read_text(encoding="utf-8")
    table = {name: int(value) for name, value in re.findall(r"\| (scp\w+) \| (\d+)", text)}
    assert dict(KNOWN_OPTIMA) == table
    assert RESOLVED_HERE == set(table)
    assert {p.stem for p in SHARED.glob("scp*.txt")} == set(KNOWN_OPTIMA)


@needs_shared
def test_shared_rows_with_costs_solve_to_the_cbc_optimum(tmp_path: Path) -> None:
    """scp41's 200 x 1000 rows with seeded costs 1..100 (sorted, as OR-Library's):
    written in the OR-Library layout, read back, and solved by selector and by CBC."""
    shared = read_scp(SCP41)
    costs = np.sort(np.random.default_rng(41).integers(1, 101, size=shared.n))
    path = write_beasley(tmp_path / "scp41-costed.txt", costs.tolist(), instance_rows(shared),
                         newline="\r\n")
    inst = read_scp(path)
    assert inst.layout == "beasley"
    assert inst.costs is not None and np.array_equal(inst.costs, costs)
    assert (inst.coverage != shared.coverage).nnz == 0

    r = solve(scp_scenario(inst), time_limit=60, gap=0.0)
    assert r.status == "optimal"
    assert r.objective == pytest.approx(cbc_optimum(inst, costs))
    assert r.bound == pytest.approx(r.objective)
    chosen = np.array([int(p[1:]) - 1 for p in r.selected])
    assert costs[chosen].sum() == pytest.approx(r.objective)
    assert (np.asarray(inst.coverage[:, chosen].sum(axis=1)).ravel() >= 1).all()

    again = solve(scp_scenario(shared, costs=costs), time_limit=60, gap=0.0)
    assert again.objective == pytest.approx(r.objective)


# --- solving small instances ----------------------------------------------------------


def brute_force(costs: np.ndarray, rows: list[list[int]]) -> float:
    best = np.inf
    n = costs.size
    for mask in itertools.product((0, 1), repeat=n):
        if all(any(mask[j - 1] for j in row) for row in rows):
            best = min(best, float(np.dot(mask, costs)))
    return best


@pytest.mark.parametrize("seed", range(6))
def test_min_cost_matches_brute_force(tmp_path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    m, n = int(rng.integers(3, 9)), int(rng.integers(3, 10))
    costs = rng.integers(1, 20, size=n)
    rows = random_rows(rng, m, n)
    inst = read_scp(write_beasley(tmp_path / f"tiny{seed}.txt", costs.tolist(), rows))
    assert (inst.m, inst.n, inst.nnz) == (m, n, sum(map(len, rows)))
    scn = scp_scenario(inst)
    assert scn.objective == "min_cost"
    assert list(scn.partners.index[:2]) == ["c1", "c2"]
    assert list(scn.segments.index[:2]) == ["r1", "r2"]
    assert len(scn.coverage) == inst.nnz
    r = solve(scn, time_limit=20, gap=0.0)
    assert r.status == "optimal"
    assert r.objective == pytest.approx(brute_force(costs, rows))


@pytest.mark.parametrize("seed", range(3))
def test_scenario_tables_are_what_the_loaders_checks_give(tmp_path: Path, seed: int) -> None:
    """scp_scenario builds its tables typed, without the loader's text checks: they must
    be the ones the checked path (scenario_from_frames on the same rows) gives."""
    rng = np.random.default_rng(seed)
    m, n = int(rng.integers(3, 12)), int(rng.integers(3, 15))
    costs = rng.integers(0, 30, size=n)
    rows = random_rows(rng, m, n)
    inst = read_scp(write_beasley(tmp_path / f"t{seed}.txt", costs.tolist(), rows))
    fast = scp_scenario(inst, name="t")
    pid = np.array([f"c{j + 1}" for j in range(n)], dtype=object)
    sid = np.array([f"r{i + 1}" for i in range(m)], dtype=object)
    checked = scenario_from_frames(
        pd.DataFrame({"id": pid, "name": pid, "type": "reseller", "gtm_tier": 1, "cost": costs,
                      "regions": "*", "industries": "*", "sizes": "*"}),
        pd.DataFrame({"id": sid, "region": "any", "industry": "any", "size": "any", "value": 0}),
        coverage=pd.DataFrame({"partner_id": [f"c{j}" for row in rows for j in row],
                               "segment_id": [f"r{i + 1}" for i, row in enumerate(rows) for _ in row]}),
        settings={"name": "t", "objective": {"kind": "min_cost"}},
    )
    for table in ("partners", "segments", "coverage"):
        pd.testing.assert_frame_equal(getattr(fast, table), getattr(checked, table))
    same = ("name", "objective", "budget", "constraints", "tiers", "rules", "problems",
            "coverage_given", "programme", "supply", "model", "solve_options")
    assert {k: getattr(fast, k) for k in same} == {k: getattr(checked, k) for k in same}
    a, b = solve(fast, time_limit=10, gap=0.0), solve(checked, time_limit=10, gap=0.0)
    assert (a.status, a.objective, a.selected) == (b.status, b.objective, b.selected)


def test_unit_costs_for_a_file_without_costs(tmp_path: Path) -> None:
    path = tmp_path / "rw.txt"
    # m=3 n=4: two blocks of 3 row numbers, then the rows
    path.write_text("3 4\n 7 8 9\n 1 2 3\n 2 1 2\n 2 2 3\n 1 4\n")
    inst = read_scp(path)
    assert inst.layout == "row-weights" and inst.costs is None
    assert inst.row_weights is not None and inst.row_weights.tolist() == [7, 8, 9]
    r = solve(scp_scenario(inst, costs=np.ones(4), name="unit"), time_limit=10, gap=0.0)
    assert (r.status, r.objective, r.scenario) == ("optimal", 2.0, "unit")


# --- the reader's checks -----------------------------------------------------------------


def test_crlf_and_lf_read_the_same(tmp_path: Path) -> None:
    rows = [[1, 3], [2], [2, 3]]
    a = read_scp(write_beasley(tmp_path / "lf.txt", [3, 1, 2], rows))
    b = read_scp(write_beasley(tmp_path / "crlf.txt", [3, 1, 2], rows, newline="\r\n"))
    assert a.costs is not None and b.costs is not None
    assert a.costs.tolist() == b.costs.tolist() == [3, 1, 2]
    assert (a.coverage != b.coverage).nnz == 0
    assert instance_rows(b) == rows


def test_instance_is_frozen(tmp_path: Path) -> None:
    inst = read_scp(write_beasley(tmp_path / "f.txt", [1, 2], [[1, 2]]))
    with pytest.raises(dataclasses.FrozenInstanceError):
        inst.m = 3  # type: ignore[misc]
    assert inst.costs is not None
    with pytest.raises(ValueError, match="read-only"):
        inst.costs[0] = 5
    with pytest.raises(ValueError, match="read-only"):
        inst.coverage.indices[0] = 1


BROKEN = [
    # (file text, row, fragments of the message)
    ("2 3\n 1 1 1\n 2 1 2\n 1", 2,
     ["end of file (after token 9, line 4)", "expected 1 column indices for row 2 from token 10, found 0"]),
    ("2 3\n 1 1 1\n 2 1 2\n", 2,
     ["the file ends after 1 of 2 rows", "expected the count of columns covering row 2"]),
    ("3 4\n 1 2\n", None, ["expected 4 column costs from token 3, found 2"]),
    ("2 3\n 1 1 1\n 2 1 4\n 1 2\n", 1,
     ["token 8 (line 3)", "column index 4 in row 1 is outside 1..3 (n)"]),
    ("2 3\n 1 1 1\n 1 2\n 2 0 3\n", 2, ["token 9 (line 4)", "column index 0 in row 2 is outside 1..3"]),
    ("2 3\n 1 1 x\n 1 1\n 1 2\n", None, ["token 5 (line 2)", "expected column costs, found 'x' (not a whole number)"]),
    ("2 3\r\n 1 1 1\r\n 2 1 2.5\r\n 1 3\r\n", 1,
     ["token 8 (line 3)", "expected column indices for row 1, found '2.5'"]),
    ("2 3\n 1 1 1\n -1 2\n 1 3\n", 1, ["token 6 (line 3)", "found '-1' (negative)"]),
    ("2 3\n 1 1 1\n 0\n 1 3\n", 1, ["row 1 lists 0 covering columns; expected 1..3"]),
    ("2 3\n 1 1 1\n 4 1 2 3 3\n 1 3\n", 1, ["row 1 lists 4 covering columns"]),
    ("2 3\n 1 1 1\n 3 1 2 1\n 1 3\n", 1, ["token 9 (line 3)", "column 1 is listed twice in row 1"]),
    ("2 3\n 1 1 1\n 1 1\n 1 3\n 7 7\n", None,
     ["token 10 (line 5)", "the number 7 and 1 more tokens after the last row (row 2 ends at token 9)",
      "do not add up"]),
    ("2 3\n 1 1 1\n 1 1\n 1 3\nSolved in 3 s\n", None,
     ["token 10 (line 5)", "text after the last row", "'Solved' and 3 more tokens"]),
    ("", None, ["expected 1 m (the number of rows) from token 1, found 0"]),
    ("two 3\n", None, ["token 1 (line 1)", "found 'two'"]),
    ("2 0\n", None, ["token 2 (line 1)", "n (the number of columns) is 0; expected a positive"]),
    ("2 3\n 1 1 99999999999999999999\n", None, ["token 5 (line 2)", "more than 18 digits"]),
]


@pytest.mark.parametrize(("text", "row", "contains"), BROKEN,
                         ids=[f"broken{i}" for i in range(len(BROKEN))])
def test_broken_files_name_file_and_position(
    tmp_path: Path, expect_error: Callable[..., str], text: str, row: int | None,
    contains: list[str],
) -> None:
    path = tmp_path / "broken.txt"
    path.write_bytes(text.encode())
    msg = expect_error(read_scp, path, file=path, row=row, contains=contains)
    assert "Traceback" not in msg


def test_forced_layout_reports_for_that_layout(
    tmp_path: Path, expect_error: Callable[..., str]
) -> None:
    path = write_beasley(tmp_path / "b.txt", [1, 1, 1], [[1], [2, 3]])
    assert read_scp(path, layout="beasley").layout == "beasley"
    expect_error(lambda: read_scp(path, layout="row-weights"), file=path,
                 contains=["row-weights layout"])
    with pytest.raises(ScenarioError, match="layout 'csv' is not known"):
        read_scp(path, layout="csv")  # type: ignore[arg-type]


def test_missing_file(tmp_path: Path, expect_error: Callable[..., str]) -> None:
    path = tmp_path / "nope.txt"
    expect_error(read_scp, path, file=path, contains=["cannot be read"])


@pytest.mark.parametrize(("costs", "fragment"), [
    (np.ones(2), "costs has shape (2,); expected (3,)"),
    (np.array([1.0, -1.0, 1.0]), "cost of column 2 is -1.0"),
    (np.array([1.0, 1.0, np.nan]), "cost of column 3 is nan"),
])
def test_bad_given_costs(tmp_path: Path, expect_error: Callable[..., str],
                         costs: np.ndarray, fragment: str) -> None:
    path = write_beasley(tmp_path / "c.txt", [1, 1, 1], [[1], [2, 3]])
    inst = read_scp(path)
    expect_error(lambda: scp_scenario(inst, costs=costs), file=path, contains=[fragment])


def test_public_names() -> None:
    assert set(orlib.__all__) == {"KNOWN_OPTIMA", "LAYOUTS", "RESOLVED_HERE", "ScpInstance",
                                  "read_scp", "scp_scenario"}
    for name in orlib.__all__:
        assert getattr(orlib, name) is not None
    assert KNOWN_OPTIMA["scp41"] == 429 and KNOWN_OPTIMA["scpd1"] == 60
    assert len(KNOWN_OPTIMA) == 45
    with pytest.raises(TypeError):
        KNOWN_OPTIMA["scp41"] = 1  # type: ignore[index]

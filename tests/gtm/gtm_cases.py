"""Shared cases for the selector.gtm tests (tests/gtm/test_gtm_*.py).

``small()`` is a hand-built scenario whose answers are worked out by hand in its
docstring; ``dot_parses`` / ``rank_blocks`` read DOT text; ``spof_by_removal`` is the
brute-force check of single points of failure. Each test file defines its own
``scenario`` / ``solved`` fixtures from ``small()`` and ``PORTFOLIO``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Any

import pandas as pd
from conftest import SCENARIOS

from selector.gtm import build_graph, uncovered_segments
from selector.inputs.scenario import Scenario, scenario_from_frames

__all__ = [
    "HAS_DOT",
    "PORTFOLIO",
    "SMALL_COVERAGE",
    "SMALL_PARTNERS",
    "SMALL_SEGMENTS",
    "SMALL_SUPPLY",
    "VENDOR_TOML",
    "dot_parses",
    "make_scenario",
    "rank_blocks",
    "small",
    "spof_by_removal",
]

VENDOR_TOML = SCENARIOS / "vendor.toml"
HAS_DOT = shutil.which("dot") is not None

PARTNER_COLUMNS = ["id", "name", "type", "gtm_tier", "cost", "regions", "industries", "sizes"]
SEGMENT_COLUMNS = ["id", "region", "industry", "size", "value", "named"]

# The small channel (see small()): id, name, type, tier, cost, regions.
SMALL_PARTNERS = [
    ("D1", "North Dist", "distributor", 1, 100, "N"),
    ("D2", "South Dist", "distributor", 1, 120, "S"),
    ("D3", "Idle Dist", "distributor", 1, 90, "N"),
    ("R1", "Reseller One", "reseller", 2, 10, "N"),
    ("R2", "Reseller Two", "reseller", 2, 20, "N;S"),
    ("R3", "Integrator Three", "si", 2, 30, "S"),
    ("R4", "Orphan Four", "reseller", 2, 15, "N"),
    ("R5", "Silent Five", "reseller", 2, 5, "N"),
]
SMALL_SEGMENTS = [  # id, region, industry, value
    ("A", "N", "retail", 100),
    ("B", "N", "finance", 200),
    ("C", "S", "retail", 300),
    ("E", "S", "finance", 400),
    ("F", "S", "energy", 50),
    ("G", "N", "energy", 70),
]
SMALL_COVERAGE = [
    ("D1", "A"), ("R1", "A"), ("R1", "B"), ("R2", "B"), ("R2", "C"),
    ("R3", "C"), ("R3", "E"), ("D2", "E"), ("R4", "G"),
]  # fmt: skip
SMALL_SUPPLY = [("D1", "R1"), ("D1", "R2"), ("D2", "R2"), ("D2", "R3"), ("D1", "R5")]
PORTFOLIO = ["D1", "D2", "R1", "R2", "R3", "R4"]


def make_scenario(
    partners: list[tuple[Any, ...]],
    segments: list[tuple[Any, ...]],
    *,
    coverage: list[tuple[str, str]] | None,
    supply: list[tuple[str, str]] | None,
    extra_partner_columns: dict[str, list[Any]] | None = None,
    settings: dict[str, Any] | None = None,
) -> Scenario:
    p = pd.DataFrame(
        [(i, n, t, g, c, r, "*", "*") for i, n, t, g, c, r in partners], columns=PARTNER_COLUMNS
    )
    for col, values in (extra_partner_columns or {}).items():
        p[col] = values
    s = pd.DataFrame(
        [(i, r, ind, "smb", v, "false") for i, r, ind, v in segments], columns=SEGMENT_COLUMNS
    )
    return scenario_from_frames(
        p,
        s,
        coverage=None
        if coverage is None
        else pd.DataFrame(coverage, columns=["partner_id", "segment_id"]),
        supply=None
        if supply is None
        else pd.DataFrame(supply, columns=["distributor_id", "reseller_id"]),
        settings=settings or {"objective": {"kind": "coverage"}},
    )


def small(**kw: Any) -> Scenario:
    """Three distributors, five tier-2 partners, six segments.

    Structure: D3 supplies nobody and covers nothing; R4 has no distributor (and alone
    covers G); R5 is supplied by D1 but covers nothing; nobody covers F.

    With the portfolio D1, D2, R1, R2, R3, R4 the selected routes are::

        A: vendor-D1-A, vendor-D1-R1-A                    (all through D1)
        B: vendor-D1-R1-B, vendor-D1-R2-B, vendor-D2-R2-B
        C: vendor-D1-R2-C, vendor-D2-R2-C, vendor-D2-R3-C
        E: vendor-D2-E, vendor-D2-R3-E                    (all through D2)
        F, G: none (G is covered by R4, which has no distributor)

    so losing D1 loses A (100), losing D2 loses E (400); D1 carries A, B, C (600) with
    resellers R1, R2; D2 carries B, C, E (900) with resellers R2, R3; the portfolio
    reaches 1,000.
    """
    return make_scenario(
        SMALL_PARTNERS, SMALL_SEGMENTS, coverage=SMALL_COVERAGE, supply=SMALL_SUPPLY, **kw
    )


def spof_by_removal(scenario: Scenario, selected: list[str]) -> dict[str, set[str]]:
    """Brute force: the segments that become uncovered when each distributor is dropped."""
    base = set(uncovered_segments(build_graph(scenario, selected)))
    tier = scenario.partners["gtm_tier"]
    return {
        d: set(uncovered_segments(build_graph(scenario, [p for p in selected if p != d]))) - base
        for d in selected
        if tier[d] == 1
    }


def dot_parses(text: str) -> None:
    """Check DOT text: with Graphviz when installed, else its structure by hand."""
    if HAS_DOT:
        proc = subprocess.run(
            ["dot", "-Tcanon"], input=text.encode(), capture_output=True, check=False
        )
        assert proc.returncode == 0, proc.stderr.decode()
        assert b"Warning" not in proc.stderr and b"Error" not in proc.stderr, proc.stderr.decode()
    body = re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)  # blank out quoted strings
    assert body.startswith("digraph") and body.count("{") == body.count("}")
    declared = set(re.findall(r'^\s+("(?:[^"\\]|\\.)*") \[', text, flags=re.M))
    for a, b in re.findall(r'^\s+("(?:[^"\\]|\\.)*") -> ("(?:[^"\\]|\\.)*")', text, flags=re.M):
        assert a in declared and b in declared, (a, b)


def rank_blocks(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, block in re.findall(
        r'subgraph "rank ([^"]+)" \{\n    rank=same;\n(.*?)\n  \}', text, flags=re.S
    ):
        out[name] = re.findall(r'^\s+"((?:[^"\\]|\\.)*)" \[', block, flags=re.M)
    return out

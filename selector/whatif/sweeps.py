"""Scenario sweeps: the cartesian product of scenario settings, solved and tabulated.

:func:`sweep` solves every combination of a grid of settings (budget x cap x ...) on any
engine of :func:`~selector.whatif.engines.run_tasks`; :func:`load_sweep` reads a sweep
spec from TOML::

      scenario = "../teaching.toml"          # relative to this file
      [grid]
      "budget.total" = [400_000, 600_000, 800_000]
      "constraints.max_partners_per_segment" = [2, 3]

:func:`write_csv` writes any study's table without replacing an existing file.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from selector.errors import ScenarioError
from selector.inputs.files import read_toml
from selector.inputs.scenario import Scenario, load_scenario
from selector.safe_output import to_csv_bytes, write_bytes_atomic
from selector.whatif._shared import (
    Outcome,
    check_number,
    outcome_of,
    solve_variant,
    total_segment_value,
)
from selector.whatif.engines import Progress, Study, TaskLog, run_tasks

__all__ = [
    "MAX_COMBINATIONS",
    "SWEEP_KEYS",
    "SweepResult",
    "SweepRow",
    "load_sweep",
    "sweep",
    "write_csv",
]

#: The most combinations one sweep solves (each is a solve of up to its time limit).
MAX_COMBINATIONS = 1000

SWEEP_KEYS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "budget": ("total", "pools"),
        "objective": ("kind",),
        "constraints": (
            "must_include", "must_exclude", "conflicts", "max_partners_per_segment",
            "min_partners", "type_mix", "tier2_needs_distributor",
        ),
        "tiers": ("gold", "silver", "exit", "exclude_exit"),
        "positioning": ("importance_to_partner",),
    }
)
"""Settings a sweep may vary: ``SECTION.KEY`` (and ``budget.pools.POOL``,
``constraints.min_partners.named|default``, ``constraints.type_mix.TYPE``)."""

_DEEPER = {"budget.pools", "constraints.min_partners", "constraints.type_mix"}


def _check_key(key: Any, file: str | None) -> tuple[str, ...]:
    accepted = ", ".join(f"{s}.{k}" for s, keys in SWEEP_KEYS.items() for k in keys)
    if not isinstance(key, str):
        raise ScenarioError(f"grid key {key!r} is not text; accepted: {accepted}", file=file)
    parts = tuple(key.split("."))
    ok = len(parts) >= 2 and parts[0] in SWEEP_KEYS and parts[1] in SWEEP_KEYS[parts[0]]
    if ok and len(parts) > 2:
        ok = ".".join(parts[:2]) in _DEEPER and len(parts) == 3 and bool(parts[2])
        if ok and parts[1] == "min_partners":
            ok = parts[2] in ("named", "default")
    if not ok:
        raise ScenarioError(
            f"grid key '{key}' is not a scenario setting a sweep can vary; accepted: "
            f"{accepted} (and budget.pools.POOL, constraints.min_partners.named|default, "
            "constraints.type_mix.TYPE)",
            file=file,
        )
    return parts


def _nest(overrides: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in overrides.items():
        node = out
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


@dataclass(frozen=True)
class SweepRow:
    """One combination of a sweep: its overrides and the portfolio solved for it."""

    overrides: Mapping[str, Any]
    status: str
    objective: float | None
    bound: float | None
    gap: float | None
    cost: float
    covered_value: float
    covered_share: float | None
    selected: tuple[str, ...]
    seconds: float = field(default=0.0, compare=False)


@dataclass(frozen=True)
class SweepResult:
    """A solved grid of scenario settings: one row per combination, in grid order
    (the last key varies fastest)."""

    scenario: str
    keys: tuple[str, ...]
    rows: tuple[SweepRow, ...]
    time_limit: float
    gap: float

    def to_frame(self) -> pd.DataFrame:
        """One row per combination; list values and ``selected`` as ``;``-separated text."""

        def cell(v: Any) -> Any:
            if isinstance(v, list | tuple):
                return ";".join(cell(x) if not isinstance(x, str) else x for x in v)
            if isinstance(v, Mapping):
                return json.dumps(v, sort_keys=True)
            return v

        out = []
        for r in self.rows:
            row = {k: cell(r.overrides[k]) for k in self.keys}
            row.update(
                status=r.status, objective=r.objective, bound=r.bound, gap=r.gap, cost=r.cost,
                covered_value=r.covered_value, covered_share=r.covered_share,
                n_selected=len(r.selected), selected=";".join(r.selected), seconds=r.seconds,
            )
            out.append(row)
        return pd.DataFrame(out)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary."""
        return {
            "scenario": self.scenario,
            "keys": list(self.keys),
            "time_limit": self.time_limit,
            "gap": self.gap,
            "rows": [
                {**dataclasses.asdict(r), "overrides": dict(r.overrides),
                 "selected": list(r.selected), "n_selected": len(r.selected)}
                for r in self.rows
            ],
        }


def _sweep_task(scenario: Scenario, payload: tuple[dict[str, Any], float, float, bool]) -> Outcome:
    overrides, time_limit, gap, session = payload
    variant = scenario.with_changes(_nest(overrides))
    return outcome_of(solve_variant(scenario, variant, time_limit, gap, session),
                      total_segment_value(variant))


def _check_grid(
    scenario: Scenario, grid: Mapping[str, Sequence[Any]], file: str | None
) -> list[dict[str, Any]]:
    if not isinstance(grid, Mapping) or not grid:
        raise ScenarioError(
            "grid must be a non-empty table of setting = [values], such as "
            "{\"budget.total\": [400000, 600000]}",
            file=file,
        )
    for key, values in grid.items():
        _check_key(key, file)
        if not isinstance(values, list | tuple) or not values:
            raise ScenarioError(
                f"grid '{key}' is {values!r}; accepted: a non-empty list of values", file=file
            )
    keys = list(grid)
    count = math.prod(len(values) for values in grid.values())
    if count > MAX_COMBINATIONS:
        sizes = " x ".join(f"{len(v):,}" for v in grid.values())
        raise ScenarioError(
            f"the grid has {sizes} = {count:,} combinations; accepted: at most "
            f"{MAX_COMBINATIONS:,} (each is a solve): fewer values per setting, or "
            "several sweeps",
            file=file,
        )
    combos = [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*grid.values())]
    for combo in combos:
        try:
            scenario.with_changes(_nest(combo))
        except ScenarioError as exc:
            raise ScenarioError(
                f"grid combination {json.dumps(combo, default=str)}: {exc.detail}", file=file
            ) from None
    return combos


def sweep(
    scenario: Scenario,
    grid: Mapping[str, Sequence[Any]],
    *,
    time_limit: float = 10,
    gap: float = 1e-3,
    engine: Any = None,
    progress: Progress | None = None,
    log: TaskLog | None = None,
    session: bool = False,
) -> SweepResult:
    """Solve every combination of ``grid`` (the cartesian product) and tabulate them.

    Parameters
    ----------
    scenario
        The base scenario.
    grid
        Dotted setting paths to lists of values, for example
        ``{"budget.total": [1e6, 2e6], "constraints.must_exclude": [[], ["D01"]]}``;
        see :data:`SWEEP_KEYS`.
    time_limit, gap
        Per solve.
    engine, progress, log
        See :func:`run_tasks`; ``log`` keeps each combination's portfolio as it
        arrives and gives back those kept before for the same scenario, grid and options.
    session
        Solve the combinations through one solve session per worker process
        (:class:`~selector.whatif.session.Session`), in the grid's order on each: a
        combination starts from what the ones before it left (their plans, cuts, budget
        floors and proved answers). Each is proved as an independent solve proves it; a
        tie between plans of equal value may be settled otherwise.

    Returns
    -------
    SweepResult

    Raises
    ------
    ScenarioError
        An unknown key, an empty value list, or a combination the scenario refuses
        (all checked before anything is solved).
    """
    t = check_number(time_limit, "time_limit", above=True)
    g = check_number(gap, "gap")
    combos = _check_grid(scenario, grid, None)
    study = None
    if log is not None:
        combos_json = json.loads(json.dumps(combos, default=str))
        spec: dict[str, Any] = {
            "scenario": scenario.fingerprint, "combinations": combos_json, "time_limit": t,
            "gap": g,
        }
        if session:
            spec["session"] = True
        study = Study("sweep", spec, Outcome)
    outcomes = run_tasks(
        _sweep_task, scenario, [(c, t, g, bool(session)) for c in combos], engine=engine, progress=progress,
        log=log, study=study,
    )
    rows = tuple(
        SweepRow(overrides=c, status=o.status, objective=o.objective,
                 bound=o.bound, gap=o.gap, cost=o.cost, covered_value=o.covered_value,
                 covered_share=o.covered_share, selected=o.selected, seconds=o.seconds)
        for c, o in zip(combos, outcomes, strict=True)
    )
    return SweepResult(scenario=scenario.name, keys=tuple(grid), rows=rows, time_limit=t, gap=g)


def load_sweep(path: str | Path) -> tuple[Scenario, dict[str, list[Any]]]:
    """Read a sweep spec: ``scenario = "PATH"`` (relative to the spec) and ``[grid]``.

    Raises
    ------
    ScenarioError
        Unreadable TOML, unknown keys, a missing scenario, or a grid key that is not a
        setting a sweep can vary (named with what is accepted).
    """
    p = Path(path)
    file = str(p)
    if not p.exists():
        raise ScenarioError("sweep spec not found", file=file)
    data = read_toml(p, what="sweep spec")
    unknown = sorted(set(data) - {"name", "description", "scenario", "grid"})
    if unknown:
        raise ScenarioError(
            f"unknown key(s) {', '.join(unknown)}; accepted: name, description, scenario, grid",
            file=file,
        )
    target = data.get("scenario")
    if not isinstance(target, str) or not target.strip():
        raise ScenarioError(
            "'scenario' is missing; give the scenario TOML path, relative to this file",
            file=file,
        )
    grid = data.get("grid")
    if not isinstance(grid, Mapping) or not grid:
        raise ScenarioError(
            "[grid] is missing or empty; give dotted settings as quoted keys, such as "
            "\"budget.total\" = [400_000, 600_000]",
            file=file,
        )
    if any(isinstance(v, Mapping) for v in grid.values()):
        bad = next(k for k, v in grid.items() if isinstance(v, Mapping))
        raise ScenarioError(
            f"grid key '{bad}' is a table: quote dotted keys, as \"{bad}.KEY\" = [...]",
            file=file,
        )
    for key in grid:
        _check_key(key, file)
    target_path = p.parent / target
    if not target_path.is_file():
        raise ScenarioError(
            f"scenario '{target}' not found (looked for {target_path}); the path is "
            "relative to the sweep spec",
            file=file,
        )
    scenario = load_scenario(target_path)
    _check_grid(scenario, grid, file)
    return scenario, {k: list(v) for k, v in grid.items()}


# --- output --------------------------------------------------------------------------------


def write_csv(frame: pd.DataFrame, path: str | Path, *, overwrite: bool = False) -> None:
    """Write ``frame`` as CSV; refuse to replace an existing file unless ``overwrite``.

    Text cells a spreadsheet would run as formulas (``=cmd|' /C calc'!A0``) are written
    with a leading ``'``, and the file is written whole (a temporary file moved into
    place), as every export of :mod:`selector.report`.
    """
    p = Path(path)
    if p.exists() and not overwrite:
        raise ScenarioError("the file exists; pass --force (overwrite=True) to replace it", file=str(p))
    try:
        write_bytes_atomic(p, to_csv_bytes(frame))
    except OSError as exc:
        raise ScenarioError(f"cannot write the file: {exc.strerror or exc}", file=str(p)) from None

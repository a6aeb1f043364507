"""The :class:`Scenario` object and how it is put together: from a TOML file
(:func:`load_scenario`), from in-memory tables (:func:`scenario_from_frames`) or as a
what-if variant (:meth:`Scenario.with_changes`); also :func:`check_rules` and
:func:`describe`.

The file format is described in :mod:`selector.inputs.scenario`; the sections and
tables are read and checked by the modules beside this one.
"""


from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from selector.errors import ScenarioError
from selector.inputs.criteria import CriteriaModel, load_model
from selector.inputs.currency import read_currency
from selector.inputs.horizon import Horizon, parse_horizon
from selector.inputs.programme import (
    CHANNEL_COLUMNS,
    Programme,
    channel_columns,
    parse_programme,
    tier_costs,
)
from selector.inputs.scenario.rules import Rule, read_rules
from selector.inputs.scenario.settings import (
    Budget,
    Constraints,
    TierRule,
    read_budget,
    read_constraints,
    read_importance,
    read_objective,
    read_solve_options,
    read_tiers,
)
from selector.inputs.scenario.tables import (
    coverage_by_attributes,
    coverage_problems,
    coverage_table,
    partner_table,
    segment_table,
    supply_table,
)
from selector.inputs.scenario.toml import (
    DATA_KEYS,
    KNOWN_KEYS,
    deep_merge,
    load_chain,
    resolve_paths,
)
from selector.inputs.tables import read_table

__all__ = ["Scenario", "assemble", "check_rules", "describe", "load_scenario", "scenario_from_frames"]


@dataclass(frozen=True, eq=False)
class Scenario:
    """A loaded, validated scenario. Treat the tables as read-only.

    ``partners`` is indexed by partner id in file order, with ``regions``,
    ``industries`` and ``sizes`` as tuples and numeric criterion columns as float;
    ``segments`` is indexed by segment id with ``value``, ``named``, ``min_partners``,
    ``max_partners`` (NaN when not given). ``coverage`` and ``supply`` are id pairs.
    """

    name: str
    partners: pd.DataFrame
    segments: pd.DataFrame
    coverage: pd.DataFrame
    supply: pd.DataFrame | None
    model: CriteriaModel | None
    budget: Budget
    objective: str
    constraints: Constraints
    tiers: TierRule
    importance_column: str | None
    solve_options: Mapping[str, Any]
    config: Mapping[str, Any]
    description: str = ""
    source: str | None = None
    sources: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    coverage_given: bool = field(default=False)
    programme: Programme | None = None
    rules: tuple[Rule, ...] = ()
    currency: str | None = None  # ISO 4217 code of every amount, when the file names one
    horizon: Horizon | None = None  # a roadmap's years ([horizon]); None: a one-year plan

    # --- pickling (worker processes) ---------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["config"] = dict(self.config)
        state["solve_options"] = dict(self.solve_options)
        state.pop("coverage_matrix", None)  # cached; rebuilt on demand
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        state["config"] = MappingProxyType(state["config"])
        state["solve_options"] = MappingProxyType(state["solve_options"])
        self.__dict__.update(state)

    # --- derived views ---------------------------------------------------------------
    @property
    def partner_ids(self) -> tuple[str, ...]:
        return tuple(self.partners.index)

    @property
    def segment_ids(self) -> tuple[str, ...]:
        return tuple(self.segments.index)

    @cached_property
    def coverage_matrix(self) -> sp.csr_matrix:
        """Partners x segments 0/1 matrix (CSR, int8), rows and columns in table order."""
        p_index = pd.Index(self.partners.index)
        s_index = pd.Index(self.segments.index)
        rows = p_index.get_indexer(self.coverage["partner_id"])
        cols = s_index.get_indexer(self.coverage["segment_id"])
        data = np.ones(len(rows), dtype=np.int8)
        mat = sp.csr_matrix(
            (data, (rows, cols)), shape=(len(p_index), len(s_index)), dtype=np.int8
        )
        mat.sum_duplicates()
        mat.data[:] = 1
        return mat

    @cached_property
    def fingerprint(self) -> str:
        """A content hash: equal for scenarios with the same data and settings.

        File paths are left out (the tables' and the model's content is hashed
        instead), so a copy of a scenario in another folder, or the same tables given
        in memory, hash alike, and a different model in memory hashes differently.
        """
        h = hashlib.sha256()
        settings = {k: v for k, v in self.config.items() if k not in DATA_KEYS}
        h.update(json.dumps(_jsonable(settings), sort_keys=True, default=str).encode())
        if self.model is not None:
            h.update(repr(dataclasses.replace(self.model, source=None)).encode())
        for frame in (self.partners, self.segments, self.coverage, self.supply):
            if frame is not None:
                h.update(json.dumps([str(c) for c in frame.columns]).encode())
                h.update(pd.util.hash_pandas_object(frame.astype(str), index=True).to_numpy().tobytes())
        return h.hexdigest()[:16]

    def required_partners(self) -> np.ndarray:
        """Selected partners each segment needs at least (0 = coverage optional)."""
        seg = self.segments
        default = self.constraints.min_partners_default
        if default is None:
            default = 1 if self.objective == "min_cost" else 0
        req = np.full(len(seg), default, dtype=np.int64)
        if self.constraints.min_partners_named is not None:
            req[seg["named"].to_numpy(dtype=bool)] = self.constraints.min_partners_named
        own = seg["min_partners"].to_numpy(dtype=float)
        has = ~np.isnan(own)
        req[has] = own[has].astype(np.int64)
        return req

    def max_partners(self) -> np.ndarray:
        """Cap on selected partners working each segment (-1 = no cap)."""
        seg = self.segments
        cap = self.constraints.max_partners_per_segment
        out = np.full(len(seg), -1 if cap is None else cap, dtype=np.int64)
        own = seg["max_partners"].to_numpy(dtype=float)
        has = ~np.isnan(own)
        out[has] = own[has].astype(np.int64)
        return out

    def pool_members(self, key: str) -> np.ndarray:
        """Boolean mask of partners whose cost counts in budget pool ``key``."""
        field_, _, value = key.partition(":")
        p = self.partners
        if field_ == "type":
            return np.asarray(p["type"] == value, dtype=bool)
        if field_ == "tier":
            return np.asarray(p["gtm_tier"].astype(str) == value, dtype=bool)
        column = {"region": "regions", "industry": "industries", "size": "sizes"}[field_]
        return np.array([value in v or v == ("*",) for v in p[column]], dtype=bool)

    def with_changes(self, changes: Mapping[str, Any]) -> Scenario:
        """A what-if variant: ``changes`` is deep-merged into this scenario's settings.

        Tables are merged table by table, anything else replaced (``horizon.budget`` is
        replaced whole: it is one of three forms); the data tables are reused, not read
        again, unless ``changes`` names another data file.

        >>> s = load_scenario("scenarios/teaching.toml")
        >>> s2 = s.with_changes({"budget": {"total": 1_000_000}})
        >>> s.budget.total, s2.budget.total, s2.partners is s.partners
        (600000.0, 1000000.0, True)
        """
        for key in changes:
            if key not in KNOWN_KEYS - {"extends"}:
                raise ScenarioError(
                    f"unknown scenario setting '{key}'; accepted: "
                    f"{', '.join(sorted(KNOWN_KEYS - {'extends'}))}"
                )
        # Data paths in ``changes`` are relative to the scenario file, as in the TOML.
        base = Path(self.source).resolve().parent if self.source else Path.cwd()
        config = dict(self.config)
        if isinstance((changes.get("horizon") or {}).get("budget"), Mapping) and isinstance(
            config.get("horizon"), Mapping
        ):
            # horizon.budget is one of three forms (by_year; growth; total and growth):
            # a change gives the whole of its form, so it replaces the table
            config["horizon"] = {k: v for k, v in config["horizon"].items() if k != "budget"}
        config = deep_merge(config, resolve_paths(dict(changes), base))
        frames = None
        if all(config.get(k) == self.config.get(k) for k in DATA_KEYS):
            frames = (self.partners, self.segments, self.coverage, self.supply, self.model)
        return assemble(
            config,
            file=self.source or "<in-memory scenario>",
            sources=self.sources,
            frames=frames,
            coverage_given=self.coverage_given,
        )

    def to_toml_dict(self) -> dict[str, Any]:
        """The settings as a plain dict ready to write as TOML (paths made relative
        to the scenario file's folder when possible)."""
        out = _jsonable(self.config)
        base = Path(self.source).parent if self.source else None
        for key in DATA_KEYS:
            if isinstance(out.get(key), str) and base is not None:
                out[key] = Path(os.path.relpath(out[key], base.resolve())).as_posix()
        out.pop("extends", None)
        return dict(out)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


# --- loading -------------------------------------------------------------------------


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario TOML file, following its ``extends`` chain.

    Raises
    ------
    ScenarioError
        For any problem in the TOML or its tables; the message names the file, the
        row and column where it applies, what was found and what is accepted.
    """
    p = Path(path)
    config, sources = load_chain(p)
    return assemble(config, file=str(p), sources=sources)


def scenario_from_frames(
    partners: pd.DataFrame,
    segments: pd.DataFrame,
    *,
    coverage: pd.DataFrame | None = None,
    supply: pd.DataFrame | None = None,
    model: CriteriaModel | None = None,
    settings: Mapping[str, Any] | None = None,
) -> Scenario:
    """Build a scenario from in-memory tables (for scripts and notebooks).

    The tables have the same columns as the files; ``settings`` has the shape of the
    TOML file without the data paths.
    """
    config = dict(settings or {})
    for key in DATA_KEYS:
        config.pop(key, None)
    # Missing cells (NaN, None, pd.NA) become empty text, as in a file; astype(str)
    # alone keeps NaN as NaN with pandas' string dtype.
    as_text = [
        None
        if f is None
        else f.astype(object).where(f.notna(), "").astype(str).reset_index(drop=True)
        for f in (partners, segments, coverage, supply)
    ]
    raw = _RawTables(
        partners=as_text[0], segments=as_text[1], coverage=as_text[2], supply=as_text[3]
    )
    return assemble(config, file="<in-memory scenario>", sources=(), raw=raw, model=model)


@dataclass(frozen=True)
class _RawTables:
    partners: pd.DataFrame
    segments: pd.DataFrame
    coverage: pd.DataFrame | None
    supply: pd.DataFrame | None
    partners_file: str = "partners table"
    segments_file: str = "segments table"
    coverage_file: str = "coverage table"
    supply_file: str = "supply table"


def assemble(
    config: dict[str, Any],
    *,
    file: str,
    sources: tuple[str, ...],
    frames: tuple[Any, ...] | None = None,
    raw: _RawTables | None = None,
    model: CriteriaModel | None = None,
    coverage_given: bool = False,
) -> Scenario:
    """Check merged scenario settings and the tables, and return the :class:`Scenario`.

    What :func:`load_scenario`, :func:`scenario_from_frames`,
    :meth:`Scenario.with_changes` and :func:`selector.inputs.orlib.scp_scenario` share.

    Parameters
    ----------
    config
        The settings, shaped like the TOML file (``extends`` already followed).
    file
        How to name the scenario in messages; ``<...>`` for one held in memory.
    sources
        The files it was read from.
    frames
        ``(partners, segments, coverage, supply, model)`` already checked, reused as
        they are; otherwise the tables are checked from ``raw``, or read from the
        paths in ``config`` when ``raw`` is ``None`` too.
    raw
        The tables as text cells, as a file gives them.
    model
        The criteria model, when not read from ``config``'s ``model`` path.
    coverage_given
        With ``frames``: whether the coverage came from a table.

    Raises
    ------
    ScenarioError
        For any problem in the settings or tables, naming file, row and field.
    """
    name = config.get("name", Path(file).stem)
    if not isinstance(name, str):
        raise ScenarioError(f"'name' must be text, found {name!r}", file=file)
    objective = read_objective(config, file)
    problems: list[str] = []

    if frames is not None:
        partners, segments, coverage, supply, model = frames
    else:
        if raw is None:
            for key in ("partners", "segments"):
                if key not in config:
                    raise ScenarioError(
                        f"'{key}' is missing; give the path of the {key} table (.csv or .xlsx)",
                        file=file,
                    )
            raw = _RawTables(
                partners=read_table(config["partners"]),
                segments=read_table(config["segments"]),
                coverage=read_table(config["coverage"]) if "coverage" in config else None,
                supply=read_table(config["supply"]) if "supply" in config else None,
                partners_file=config["partners"],
                segments_file=config["segments"],
                coverage_file=str(config.get("coverage", "coverage table")),
                supply_file=str(config.get("supply", "supply table")),
            )
        # how a table was read when not as plain UTF-8 CSV (encoding, separator)
        problems += [t.attrs["note"] for t in (raw.partners, raw.segments, raw.coverage, raw.supply)
                     if t is not None and t.attrs.get("note")]
        if model is None and "model" in config:
            model = load_model(config["model"])
        partners = partner_table(raw.partners, raw.partners_file, model, objective)
        segments = segment_table(raw.segments, raw.segments_file)
        coverage_given = raw.coverage is not None
        if raw.coverage is not None:
            coverage = coverage_table(raw.coverage, raw.coverage_file, partners, segments, problems)
        else:
            coverage = coverage_by_attributes(partners, segments)
        supply = (
            supply_table(raw.supply, raw.supply_file, partners, problems)
            if raw.supply is not None
            else None
        )

    programme = parse_programme(config, file, partners.columns)
    partners = _with_channel(partners, str(config.get("partners", file)), programme)
    budget = read_budget(config, file, partners)
    constraints = read_constraints(config, file, partners, supply)
    tiers = read_tiers(config, file)
    horizon = parse_horizon(
        config, file, budget_total=budget.total,
        max_exits=None if programme is None else programme.max_exits,
        max_recruits=None if programme is None else programme.max_recruits,
    )
    if horizon is not None and "status" not in partners.columns:
        raise ScenarioError(
            "a roadmap ([horizon]) starts from today's channel: add a status column to the "
            "partner table (current or prospect) and a [programme]",
            file=file,
        )
    importance = read_importance(config, file, partners)
    solve_options = read_solve_options(config, file)
    rules = read_rules(
        config,
        file,
        partners,
        segments,
        budget_total=budget.total,
        level_names=programme.tier_names if programme is not None and programme.has_tiers else None,
        must_exclude=constraints.must_exclude,
        must_include=constraints.must_include,
        horizon_years=None if horizon is None else horizon.years,
    )
    problems += coverage_problems(partners, segments, coverage)
    return Scenario(
        name=name,
        description=str(config.get("description", "")),
        partners=partners,
        segments=segments,
        coverage=coverage,
        supply=supply,
        model=model,
        budget=budget,
        objective=objective,
        constraints=constraints,
        tiers=tiers,
        importance_column=importance,
        solve_options=MappingProxyType(solve_options),
        config=MappingProxyType(copy.deepcopy(config)),
        source=file if not file.startswith("<") else None,
        sources=sources,
        problems=tuple(problems),
        coverage_given=coverage_given,
        programme=programme,
        rules=rules,
        currency=read_currency(config, file),
        horizon=horizon,
    )


def _with_channel(
    partners: pd.DataFrame, file: str, programme: Programme | None
) -> pd.DataFrame:
    """The partner table with today's channel read and checked (status, tier, one-off
    costs), or unchanged for a scenario without one."""
    present = [c for c in CHANNEL_COLUMNS if c in partners.columns]
    text = pd.DataFrame(
        {c: partners[c].astype(object).where(partners[c].notna(), "").astype(str) for c in present},
        index=partners.index,  # rows even with none of the columns ([programme] without them)
    )
    channel = channel_columns(text, file, programme)
    if channel is None:
        return partners
    out = partners.copy()
    for col, values in channel.items():
        out[col] = values
    if programme is not None:
        try:
            tier_costs(programme, out)
        except ScenarioError as exc:
            raise ScenarioError(exc.detail, file=file, row=exc.row, column=exc.column) from None
    return out


def check_rules(
    scenario: Scenario, rules: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Check rules (scenario-file shape) against a scenario one by one, then together.

    Returns the rules that load, in order, and an error message per rule id for the
    others (the loader's message: it names the field). What the app's rule editor
    shows; a script can call it before ``scenario.with_changes({"rules": ...})``.
    """
    good: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    for k, rule in enumerate(rules, start=1):
        rid = str(rule.get("id") or f"row {k}")
        try:
            scenario.with_changes({"rules": [rule]})
        except ScenarioError as exc:
            errors[rid] = exc.detail
            continue
        if any(str(r.get("id")) == rid for r in good):
            errors[rid] = f"rule '{rid}': id used by an earlier rule; ids must be unique"
            continue
        good.append(rule)
    # Together: a dependency may only fail with the others.
    while good:
        try:
            scenario.with_changes({"rules": good})
            break
        except ScenarioError as exc:
            culprit = next((r for r in good if f"'{r['id']}'" in exc.detail), good[-1])
            errors[str(culprit["id"])] = exc.detail
            good = [r for r in good if r is not culprit]
    return good, errors


def describe(scenario: Scenario) -> dict[str, Any]:
    """What was loaded, as plain data (the ``selector validate`` report)."""
    p = scenario.partners
    s = scenario.segments
    return {
        "name": scenario.name,
        "source": scenario.source,
        "files": list(scenario.sources),
        "model": scenario.model.name if scenario.model else None,
        "objective": scenario.objective,
        "partners": len(p),
        "partners_by_type": {str(k): int(v) for k, v in p["type"].value_counts().sort_index().items()},
        "partners_by_tier": {str(k): int(v) for k, v in p["gtm_tier"].value_counts().sort_index().items()},
        "total_partner_cost": float(p["cost"].sum()),
        "segments": len(s),
        "named_segments": int(s["named"].sum()),
        "segment_value": float(s["value"].sum()),
        "coverage_pairs": len(scenario.coverage),
        "supply_pairs": None if scenario.supply is None else len(scenario.supply),
        "budget_total": scenario.budget.total,
        "budget_pools": dict(scenario.budget.pools),
        "must_include": list(scenario.constraints.must_include),
        "must_exclude": list(scenario.constraints.must_exclude),
        "conflicts": [list(c) for c in scenario.constraints.conflicts],
        "rules": [{"id": r.id, "label": r.label, "kind": r.kind} for r in scenario.rules],
        "problems": list(scenario.problems),
    }

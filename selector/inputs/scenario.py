"""Scenarios: a partner table, a segment table, a budget and the rules to respect.

A scenario is a TOML file that points at its data tables (paths relative to itself)::

    name = "FY27 baseline"
    model = "../models/partner-selection.toml"  # criteria model (optional, see below)
    partners = "vendor/partners.csv"            # .csv or .xlsx
    segments = "vendor/segments.csv"
    coverage = "vendor/coverage.csv"            # optional: partner_id,segment_id pairs
    supply = "vendor/supply.csv"                # optional: distributor_id,reseller_id pairs
    extends = "baseline.toml"                   # optional: inherit, then override

    [budget]
    total = 2_500_000
    pools = { "region:East" = 600_000, "type:distributor" = 900_000 }

    [objective]
    kind = "weighted_coverage"                  # or "coverage" or "min_cost"

    [constraints]
    must_include = ["P001"]
    must_exclude = []
    conflicts = [["P010", "P011"]]              # never both
    max_partners_per_segment = 3                # horizontal-conflict cap
    min_partners = { named = 2, default = 0 }   # required selected partners per segment
    type_mix = { distributor = { min = 2, max = 10 } }
    tier2_needs_distributor = true              # default: true when a supply table is given
    conflict_shared_value = 2_000_000           # also forbid pairs sharing segments worth more

    [tiers]                                     # programme tiers by score rank
    gold = 0.10                                 # top 10 %
    silver = 0.30                               # up to the top 30 %
    exit = 0.10                                 # bottom 10 %
    exclude_exit = false                        # true: exit-tier partners cannot be selected

    [positioning]
    importance_to_partner = "importance_to_partner"   # column: how much we matter to them

    [solve]                                     # defaults for solve(); callers may override
    solver = "highs"
    time_limit = 60
    gap = 0.0001

Partner table columns: ``id, name, type, gtm_tier (1|2), cost, regions, industries,
sizes`` (lists separated by ``;``, ``*`` = all), then one column per leaf criterion of
the criteria model, and an optional ``score`` (0..1) that overrides the computed score.
Segment table: ``id, region, industry, size, value, named`` and optional
``min_partners``, ``max_partners``. Without a coverage table a partner covers a segment
when the segment's region, industry and size are all among the partner's.

``model`` may be omitted when the partner table has a complete ``score`` column or the
objective does not use scores (``coverage``, ``min_cost``).

Scenario objects are frozen; make a what-if variant with :meth:`Scenario.with_changes`,
which takes the same shape of table as the TOML file and re-validates.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import os
import tomllib
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
from selector.inputs.tables import (
    parse_bool_column,
    parse_list_cell,
    parse_number_column,
    read_table,
    require_columns,
    sheet_row,
    unique_ids,
)

__all__ = [
    "OBJECTIVES",
    "PARTNER_COLUMNS",
    "POOL_FIELDS",
    "SEGMENT_COLUMNS",
    "Budget",
    "Constraints",
    "Scenario",
    "TierRule",
    "describe",
    "load_scenario",
    "scenario_from_frames",
]

OBJECTIVES = ("weighted_coverage", "coverage", "min_cost")
PARTNER_COLUMNS = ("id", "name", "type", "gtm_tier", "cost", "regions", "industries", "sizes")
SEGMENT_COLUMNS = ("id", "region", "industry", "size", "value")
POOL_FIELDS = ("region", "industry", "size", "type", "tier")
SOLVERS = ("highs", "cbc")
DATA_KEYS = ("model", "partners", "segments", "coverage", "supply")
KNOWN_KEYS = frozenset(
    {"name", "description", "extends", *DATA_KEYS, "budget", "objective", "constraints",
     "tiers", "positioning", "solve"}
)


@dataclass(frozen=True)
class Budget:
    """Total budget (``None``: unlimited) and capped pools ``(("region:East", cap), ...)``."""

    total: float | None = None
    pools: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Constraints:
    """Portfolio rules. Partner ids are checked against the partner table on load."""

    must_include: tuple[str, ...] = ()
    must_exclude: tuple[str, ...] = ()
    conflicts: tuple[tuple[str, str], ...] = ()
    max_partners_per_segment: int | None = None
    min_partners_named: int | None = None
    min_partners_default: int | None = None
    type_mix: tuple[tuple[str, int | None, int | None], ...] = ()
    tier2_needs_distributor: bool = True
    conflict_shared_value: float | None = None


@dataclass(frozen=True)
class TierRule:
    """Programme tiers by score rank: gold = top ``gold`` share, silver up to ``silver``,
    exit = bottom ``exit`` share, standard the rest."""

    gold: float = 0.10
    silver: float = 0.30
    exit: float = 0.10
    exclude_exit: bool = False


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

        Tables are merged table by table, anything else replaced; the data tables are
        reused, not read again, unless ``changes`` names another data file.

        >>> s2 = s.with_changes({"budget": {"total": 1_000_000}})  # doctest: +SKIP
        """
        for key in changes:
            if key not in KNOWN_KEYS - {"extends"}:
                raise ScenarioError(
                    f"unknown scenario setting '{key}'; accepted: "
                    f"{', '.join(sorted(KNOWN_KEYS - {'extends'}))}"
                )
        # Data paths in ``changes`` are relative to the scenario file, as in the TOML.
        base = Path(self.source).resolve().parent if self.source else Path.cwd()
        config = _merge(dict(self.config), _resolve_paths(dict(changes), base))
        frames = None
        if all(config.get(k) == self.config.get(k) for k in DATA_KEYS):
            frames = (self.partners, self.segments, self.coverage, self.supply, self.model)
        return _assemble(
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


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(dict(out[key]), value)
        else:
            out[key] = copy.deepcopy(value)
    return out


# --- loading -------------------------------------------------------------------------


def _read_toml(path: Path, *, referenced_by: str | None = None) -> dict[str, Any]:
    if not path.is_file():
        hint = f" (named by {referenced_by})" if referenced_by else ""
        raise ScenarioError(f"scenario file not found{hint}", file=str(path))
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"not valid TOML: {exc}", file=str(path)) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            f"not valid TOML: not UTF-8 text (byte {exc.start}); save the file as UTF-8",
            file=str(path),
        ) from None
    except OSError as exc:
        raise ScenarioError(f"cannot read the file: {exc.strerror or exc}", file=str(path)) from None


def _resolve_paths(data: dict[str, Any], base: Path) -> dict[str, Any]:
    out = dict(data)
    for key in (*DATA_KEYS, "extends"):
        if key in out:
            value = out[key]
            if not isinstance(value, str) or not value.strip():
                raise ScenarioError(f"'{key}' must be a file path (text), found {value!r}")
            out[key] = str((base / value).resolve())
    return out


def _load_chain(path: Path) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Read ``path`` and its ``extends`` ancestors; return merged settings, files read."""
    chain: list[Path] = []
    current: Path | None = path.resolve()
    referenced_by: str | None = None
    layers: list[dict[str, Any]] = []
    while current is not None:
        if current in chain:
            cycle = " -> ".join(p.name for p in [*chain, current])
            raise ScenarioError(f"'extends' forms a cycle: {cycle}", file=str(path))
        chain.append(current)
        data = _read_toml(current, referenced_by=referenced_by)
        unknown = sorted(set(data) - KNOWN_KEYS)
        if unknown:
            raise ScenarioError(
                f"unknown setting(s) {', '.join(unknown)}; accepted: {', '.join(sorted(KNOWN_KEYS))}",
                file=str(current),
            )
        try:
            layers.append(_resolve_paths(data, current.parent))
        except ScenarioError as exc:
            raise ScenarioError(exc.detail, file=str(current)) from None
        referenced_by = f"'extends' in {current.name}"
        parent = layers[-1].get("extends")
        current = Path(parent) if parent else None
    merged: dict[str, Any] = {}
    for layer in reversed(layers):
        merged = _merge(merged, layer)
    merged.pop("extends", None)
    return merged, tuple(str(p) for p in chain)


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario TOML file, following its ``extends`` chain.

    Raises
    ------
    ScenarioError
        For any problem in the TOML or its tables; the message names the file, the
        row and column where it applies, what was found and what is accepted.
    """
    p = Path(path)
    config, sources = _load_chain(p)
    return _assemble(config, file=str(p), sources=sources)


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
    return _assemble(config, file="<in-memory scenario>", sources=(), raw=raw, model=model)


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


def _assemble(
    config: dict[str, Any],
    *,
    file: str,
    sources: tuple[str, ...],
    frames: tuple[Any, ...] | None = None,
    raw: _RawTables | None = None,
    model: CriteriaModel | None = None,
    coverage_given: bool = False,
) -> Scenario:
    name = config.get("name", Path(file).stem)
    if not isinstance(name, str):
        raise ScenarioError(f"'name' must be text, found {name!r}", file=file)
    objective = _objective(config, file)
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
        if model is None and "model" in config:
            model = load_model(config["model"])
        partners = _partners(raw.partners, raw.partners_file, model, objective)
        segments = _segments(raw.segments, raw.segments_file)
        coverage_given = raw.coverage is not None
        if raw.coverage is not None:
            coverage = _coverage_table(raw.coverage, raw.coverage_file, partners, segments, problems)
        else:
            coverage = _coverage_by_attributes(partners, segments)
        supply = (
            _supply_table(raw.supply, raw.supply_file, partners, problems)
            if raw.supply is not None
            else None
        )

    budget = _budget(config, file, partners)
    constraints = _constraints(config, file, partners, supply)
    tiers = _tiers(config, file)
    importance = _importance(config, file, partners)
    solve_options = _solve_options(config, file)
    problems += _coverage_problems(partners, segments, coverage)
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
    )


def _objective(config: Mapping[str, Any], file: str) -> str:
    obj = config.get("objective", {})
    if not isinstance(obj, Mapping):
        raise ScenarioError("[objective] must be a table such as kind = \"coverage\"", file=file)
    kind = obj.get("kind", "weighted_coverage")
    if kind not in OBJECTIVES:
        raise ScenarioError(
            f"objective.kind is {kind!r}; accepted: {', '.join(OBJECTIVES)}", file=file
        )
    return str(kind)


def _partners(
    raw: pd.DataFrame, file: str, model: CriteriaModel | None, objective: str
) -> pd.DataFrame:
    require_columns(raw, PARTNER_COLUMNS, file=file)
    unique_ids(list(raw["id"]), file=file)
    out = pd.DataFrame(index=pd.Index(raw["id"].to_numpy(dtype=object), name="id"))
    for col in ("name", "type"):
        empty = (raw[col] == "").to_numpy()
        if empty.any():
            i = int(np.flatnonzero(empty)[0])
            raise ScenarioError("the cell is empty; text is required", file=file, row=sheet_row(i), column=col)
        out[col] = raw[col].to_numpy(dtype=object)
    tier = raw["gtm_tier"]
    bad = ~tier.isin(["1", "2"]).to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ScenarioError(
            f"'{tier.iloc[i]}' is not a go-to-market tier; accepted: 1 (buys from the vendor) "
            "or 2 (buys from a distributor)",
            file=file,
            row=sheet_row(i),
            column="gtm_tier",
        )
    out["gtm_tier"] = tier.astype(int).to_numpy()
    out["cost"] = parse_number_column(raw, "cost", file=file, minimum=0.0)
    for col in ("regions", "industries", "sizes"):
        out[col] = [parse_list_cell(c) for c in raw[col]]
    has_score = "score" in raw.columns
    if model is not None:
        for leaf in model.leaves:
            column = leaf.column or leaf.id
            if column not in raw.columns:
                raise ScenarioError(
                    f"column for criterion '{leaf.id}' ({leaf.label}) of model "
                    f"'{model.name}' is missing; add it, or remove the criterion from the model",
                    file=file,
                    column=column,
                )
            values = parse_number_column(raw, column, file=file, allow_missing=True)
            if leaf.missing == "error" and np.isnan(values).any():
                i = int(np.flatnonzero(np.isnan(values))[0])
                raise ScenarioError(
                    f"no value for criterion '{leaf.id}'; fill it in, or set "
                    "missing = \"worst\" | \"mean\" | \"zero\" for this criterion in the model",
                    file=file,
                    row=sheet_row(i),
                    column=column,
                )
            out[column] = values
    if has_score:
        scores = parse_number_column(
            raw, "score", file=file, allow_missing=model is not None, minimum=0.0, maximum=1.0
        )
        out["score"] = scores
    elif model is None and objective == "weighted_coverage":
        raise ScenarioError(
            "objective weighted_coverage needs partner scores: give a criteria 'model' in the "
            "scenario, or a 'score' column (0..1) in the partner table",
            file=file,
            column="score",
        )
    # Keep every other column too (numbers where they parse), nothing is dropped.
    for col in raw.columns:
        if col not in out.columns and col != "id":
            numeric = pd.to_numeric(raw[col], errors="coerce")
            if numeric.notna().sum() == (raw[col] != "").sum():
                out[col] = numeric.to_numpy(dtype=float)
            else:
                out[col] = raw[col].to_numpy(dtype=object)
    return out


def _segments(raw: pd.DataFrame, file: str) -> pd.DataFrame:
    require_columns(raw, SEGMENT_COLUMNS, file=file)
    unique_ids(list(raw["id"]), file=file)
    out = pd.DataFrame(index=pd.Index(raw["id"].to_numpy(dtype=object), name="id"))
    for col in ("region", "industry", "size"):
        out[col] = raw[col].to_numpy(dtype=object)
    out["value"] = parse_number_column(raw, "value", file=file, minimum=0.0)
    out["named"] = (
        parse_bool_column(raw, "named", file=file) if "named" in raw.columns else np.zeros(len(raw), dtype=bool)
    )
    for col in ("min_partners", "max_partners"):
        if col in raw.columns:
            out[col] = parse_number_column(
                raw, col, file=file, allow_missing=True, minimum=0.0, integer=True
            )
        else:
            out[col] = np.full(len(raw), np.nan)
    for col in raw.columns:
        if col not in out.columns and col != "id":
            out[col] = raw[col].to_numpy(dtype=object)
    return out


def _check_ids(
    values: pd.Series, known: pd.Index, *, file: str, column: str, what: str
) -> None:
    bad = ~values.isin(known).to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ScenarioError(
            f"'{values.iloc[i]}' is not a {what} id in the {what} table"
            f" ({bad.sum()} such row(s) in all)",
            file=file,
            row=sheet_row(i),
            column=column,
        )


def _coverage_table(
    raw: pd.DataFrame,
    file: str,
    partners: pd.DataFrame,
    segments: pd.DataFrame,
    problems: list[str],
) -> pd.DataFrame:
    require_columns(raw, ("partner_id", "segment_id"), file=file)
    _check_ids(raw["partner_id"], partners.index, file=file, column="partner_id", what="partner")
    _check_ids(raw["segment_id"], segments.index, file=file, column="segment_id", what="segment")
    pairs = raw[["partner_id", "segment_id"]]
    dup = pairs.duplicated().to_numpy()
    if dup.any():
        rows = [sheet_row(int(i)) for i in np.flatnonzero(dup)[:5]]
        problems.append(
            f"{file}: {int(dup.sum())} repeated partner/segment pair(s) counted once "
            f"(rows {', '.join(map(str, rows))}{'...' if dup.sum() > 5 else ''})"
        )
    return pairs.loc[~dup].reset_index(drop=True)


def _coverage_by_attributes(partners: pd.DataFrame, segments: pd.DataFrame) -> pd.DataFrame:
    """Partner covers segment when region, industry and size all match (``*`` = all)."""
    cells = segments[["region", "industry", "size"]].drop_duplicates()
    pairs_p: list[np.ndarray] = []
    pairs_c: list[np.ndarray] = []
    cell_region = cells["region"].to_numpy()
    cell_industry = cells["industry"].to_numpy()
    cell_size = cells["size"].to_numpy()
    for pos, (regions, industries, sizes) in enumerate(
        zip(partners["regions"], partners["industries"], partners["sizes"], strict=True)
    ):
        ok = np.ones(len(cells), dtype=bool)
        for allowed, values in ((regions, cell_region), (industries, cell_industry), (sizes, cell_size)):
            if allowed != ("*",):
                ok &= np.isin(values, allowed)
        idx = np.flatnonzero(ok)
        pairs_p.append(np.full(len(idx), pos))
        pairs_c.append(idx)
    p_pos = np.concatenate(pairs_p) if pairs_p else np.zeros(0, dtype=int)
    c_pos = np.concatenate(pairs_c) if pairs_c else np.zeros(0, dtype=int)
    cell_pairs = pd.DataFrame(
        {
            "partner_id": partners.index.to_numpy()[p_pos],
            "region": cell_region[c_pos],
            "industry": cell_industry[c_pos],
            "size": cell_size[c_pos],
        }
    )
    seg = segments[["region", "industry", "size"]].reset_index()
    merged = cell_pairs.merge(seg, on=["region", "industry", "size"], how="inner")
    merged = merged.rename(columns={"id": "segment_id"})[["partner_id", "segment_id"]]
    order_p = pd.Index(partners.index).get_indexer(merged["partner_id"])
    order_s = pd.Index(segments.index).get_indexer(merged["segment_id"])
    merged = merged.iloc[np.lexsort((order_s, order_p))]
    return merged.reset_index(drop=True)


def _supply_table(
    raw: pd.DataFrame, file: str, partners: pd.DataFrame, problems: list[str]
) -> pd.DataFrame:
    require_columns(raw, ("distributor_id", "reseller_id"), file=file)
    _check_ids(raw["distributor_id"], partners.index, file=file, column="distributor_id", what="partner")
    _check_ids(raw["reseller_id"], partners.index, file=file, column="reseller_id", what="partner")
    tier = partners["gtm_tier"]
    for pos, (d, r) in enumerate(zip(raw["distributor_id"], raw["reseller_id"], strict=True)):
        if tier[d] != 1:
            raise ScenarioError(
                f"'{d}' supplies '{r}' but is a tier-{tier[d]} partner; only tier-1 partners "
                "(gtm_tier = 1) can supply others",
                file=file,
                row=sheet_row(pos),
                column="distributor_id",
            )
        if tier[r] != 2:
            raise ScenarioError(
                f"'{r}' is a tier-1 partner; only tier-2 partners (gtm_tier = 2) buy from a distributor",
                file=file,
                row=sheet_row(pos),
                column="reseller_id",
            )
    pairs = raw[["distributor_id", "reseller_id"]]
    dup = pairs.duplicated().to_numpy()
    if dup.any():
        problems.append(f"{file}: {int(dup.sum())} repeated supply pair(s) counted once")
    return pairs.loc[~dup].reset_index(drop=True)


def _coverage_problems(
    partners: pd.DataFrame, segments: pd.DataFrame, coverage: pd.DataFrame
) -> list[str]:
    out: list[str] = []
    idle = partners.index.difference(pd.Index(coverage["partner_id"].unique()))
    if len(idle):
        out.append(
            f"{len(idle)} partner(s) cover no segment: {', '.join(map(str, idle[:8]))}"
            f"{'...' if len(idle) > 8 else ''}"
        )
    lonely = segments.index.difference(pd.Index(coverage["segment_id"].unique()))
    if len(lonely):
        value = float(segments.loc[lonely, "value"].sum())
        out.append(
            f"{len(lonely)} segment(s) worth {value:,.0f} are covered by no partner: "
            f"{', '.join(map(str, lonely[:8]))}{'...' if len(lonely) > 8 else ''}"
        )
    return out


def _number(value: Any, where: str, file: str, *, minimum: float = 0.0) -> float:
    # ``not value >= minimum`` also refuses nan; TOML allows nan and inf
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not value >= minimum
        or value == float("inf")
    ):
        raise ScenarioError(f"{where} is {value!r}; accepted: a number >= {minimum:g}", file=file)
    return float(value)


def _count(value: Any, where: str, file: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ScenarioError(f"{where} is {value!r}; accepted: a whole number >= 0", file=file)
    return int(value)


def _budget(config: Mapping[str, Any], file: str, partners: pd.DataFrame) -> Budget:
    raw = config.get("budget", {})
    if not isinstance(raw, Mapping):
        raise ScenarioError("[budget] must be a table with total = ...", file=file)
    unknown = sorted(set(raw) - {"total", "pools"})
    if unknown:
        raise ScenarioError(f"budget: unknown key(s) {', '.join(unknown)}; accepted: total, pools", file=file)
    total = None if raw.get("total") is None else _number(raw["total"], "budget.total", file)
    pools_raw = raw.get("pools", {})
    if not isinstance(pools_raw, Mapping):
        raise ScenarioError("budget.pools must be a table such as { \"type:distributor\" = 900_000 }", file=file)
    pools: list[tuple[str, float]] = []
    for key, cap in pools_raw.items():
        field_, sep, value = str(key).partition(":")
        if not sep or field_ not in POOL_FIELDS or not value:
            raise ScenarioError(
                f"budget pool '{key}': accepted keys are FIELD:VALUE with FIELD one of "
                f"{', '.join(POOL_FIELDS)} (for example \"region:East\")",
                file=file,
            )
        known = _field_values(partners, field_)
        if value not in known:
            raise ScenarioError(
                f"budget pool '{key}': no partner has {field_} '{value}'; "
                f"accepted: {', '.join(sorted(known)[:20])}",
                file=file,
            )
        pools.append((str(key), _number(cap, f"budget pool '{key}'", file)))
    return Budget(total=total, pools=tuple(pools))


def _field_values(partners: pd.DataFrame, field_: str) -> set[str]:
    if field_ == "type":
        return set(partners["type"])
    if field_ == "tier":
        return {str(t) for t in partners["gtm_tier"]}
    column = {"region": "regions", "industry": "industries", "size": "sizes"}[field_]
    return {v for values in partners[column] for v in values if v != "*"}


def _id_list(value: Any, where: str, file: str, known: pd.Index) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ScenarioError(f"{where} must be a list of partner ids such as [\"P001\"]", file=file)
    for v in value:
        if v not in known:
            raise ScenarioError(
                f"{where}: '{v}' is not a partner id in the partner table", file=file
            )
    return tuple(value)


def _constraints(
    config: Mapping[str, Any], file: str, partners: pd.DataFrame, supply: pd.DataFrame | None
) -> Constraints:
    raw = config.get("constraints", {})
    if not isinstance(raw, Mapping):
        raise ScenarioError("[constraints] must be a table", file=file)
    accepted = {
        "must_include", "must_exclude", "conflicts", "max_partners_per_segment",
        "min_partners", "type_mix", "tier2_needs_distributor", "conflict_shared_value",
    }
    unknown = sorted(set(raw) - accepted)
    if unknown:
        raise ScenarioError(
            f"constraints: unknown key(s) {', '.join(unknown)}; accepted: {', '.join(sorted(accepted))}",
            file=file,
        )
    known = partners.index
    include = _id_list(raw.get("must_include", []), "constraints.must_include", file, known)
    exclude = _id_list(raw.get("must_exclude", []), "constraints.must_exclude", file, known)
    both = sorted(set(include) & set(exclude))
    if both:
        raise ScenarioError(
            f"constraints: {', '.join(both)} both in must_include and must_exclude; keep one",
            file=file,
        )
    conflicts: list[tuple[str, str]] = []
    raw_conflicts = raw.get("conflicts", [])
    if not isinstance(raw_conflicts, list):
        raise ScenarioError("constraints.conflicts must be a list of pairs such as [[\"P1\", \"P2\"]]", file=file)
    for k, pair in enumerate(raw_conflicts, start=1):
        ids = _id_list(pair, f"constraints.conflicts pair {k}", file, known)
        if len(ids) != 2 or ids[0] == ids[1]:
            raise ScenarioError(
                f"constraints.conflicts pair {k} is {pair!r}; accepted: two different partner ids",
                file=file,
            )
        conflicts.append((ids[0], ids[1]))
    cap = raw.get("max_partners_per_segment")
    cap_n = None if cap is None else _count(cap, "constraints.max_partners_per_segment", file)
    if cap_n == 0:
        raise ScenarioError(
            "constraints.max_partners_per_segment is 0, which would forbid every partner; "
            "accepted: 1 or more, or leave it out",
            file=file,
        )
    mins = raw.get("min_partners", {})
    if not isinstance(mins, Mapping) or set(mins) - {"named", "default"}:
        raise ScenarioError(
            "constraints.min_partners accepts { named = N, default = N }", file=file
        )
    named = None if "named" not in mins else _count(mins["named"], "constraints.min_partners.named", file)
    default = None if "default" not in mins else _count(mins["default"], "constraints.min_partners.default", file)
    mix_raw = raw.get("type_mix", {})
    if not isinstance(mix_raw, Mapping):
        raise ScenarioError("constraints.type_mix must be a table { TYPE = { min = N, max = N } }", file=file)
    types = set(partners["type"])
    mix: list[tuple[str, int | None, int | None]] = []
    for t, rule in mix_raw.items():
        if t not in types:
            raise ScenarioError(
                f"constraints.type_mix: no partner has type '{t}'; accepted: {', '.join(sorted(types))}",
                file=file,
            )
        if not isinstance(rule, Mapping) or set(rule) - {"min", "max"} or not rule:
            raise ScenarioError(f"constraints.type_mix.{t} accepts {{ min = N, max = N }}", file=file)
        lo = None if "min" not in rule else _count(rule["min"], f"constraints.type_mix.{t}.min", file)
        hi = None if "max" not in rule else _count(rule["max"], f"constraints.type_mix.{t}.max", file)
        if lo is not None and hi is not None and lo > hi:
            raise ScenarioError(f"constraints.type_mix.{t}: min {lo} is above max {hi}", file=file)
        mix.append((str(t), lo, hi))
    needs = raw.get("tier2_needs_distributor", supply is not None)
    if not isinstance(needs, bool):
        raise ScenarioError("constraints.tier2_needs_distributor must be true or false", file=file)
    if needs and supply is None:
        raise ScenarioError(
            "constraints.tier2_needs_distributor is true but the scenario has no 'supply' table "
            "saying which distributor supplies which partner",
            file=file,
        )
    shared = raw.get("conflict_shared_value")
    shared_value = (
        None if shared is None else _number(shared, "constraints.conflict_shared_value", file)
    )
    return Constraints(
        conflict_shared_value=shared_value,
        must_include=include,
        must_exclude=exclude,
        conflicts=tuple(conflicts),
        max_partners_per_segment=cap_n,
        min_partners_named=named,
        min_partners_default=default,
        type_mix=tuple(mix),
        tier2_needs_distributor=needs,
    )


def _tiers(config: Mapping[str, Any], file: str) -> TierRule:
    raw = config.get("tiers", {})
    if not isinstance(raw, Mapping) or set(raw) - {"gold", "silver", "exit", "exclude_exit"}:
        raise ScenarioError(
            "[tiers] accepts gold, silver, exit (shares 0..1) and exclude_exit (true/false)",
            file=file,
        )
    exclude_exit = raw.get("exclude_exit", False)
    if not isinstance(exclude_exit, bool):
        raise ScenarioError(
            f"tiers.exclude_exit is {exclude_exit!r}; accepted: true or false", file=file
        )
    rule = TierRule(
        gold=_number(raw.get("gold", 0.10), "tiers.gold", file),
        silver=_number(raw.get("silver", 0.30), "tiers.silver", file),
        exit=_number(raw.get("exit", 0.10), "tiers.exit", file),
        exclude_exit=exclude_exit,
    )
    if not (rule.gold <= rule.silver <= 1.0 and rule.silver + rule.exit <= 1.0):
        raise ScenarioError(
            f"tiers: gold {rule.gold:g}, silver {rule.silver:g}, exit {rule.exit:g}; accepted: "
            "gold <= silver <= 1 (silver is the cumulative top share) and silver + exit <= 1",
            file=file,
        )
    return rule


def _importance(config: Mapping[str, Any], file: str, partners: pd.DataFrame) -> str | None:
    raw = config.get("positioning", {})
    if not isinstance(raw, Mapping) or set(raw) - {"importance_to_partner"}:
        raise ScenarioError("[positioning] accepts importance_to_partner = \"COLUMN\"", file=file)
    column = raw.get("importance_to_partner")
    if column is None:
        return "importance_to_partner" if "importance_to_partner" in partners.columns else None
    if column not in partners.columns or partners[column].dtype != float:
        raise ScenarioError(
            f"positioning.importance_to_partner names column '{column}', which the partner "
            "table does not have as numbers",
            file=file,
        )
    return str(column)


def _solve_options(config: Mapping[str, Any], file: str) -> dict[str, Any]:
    raw = config.get("solve", {})
    if not isinstance(raw, Mapping) or set(raw) - {"solver", "time_limit", "gap"}:
        raise ScenarioError("[solve] accepts solver, time_limit and gap", file=file)
    out: dict[str, Any] = {}
    if "solver" in raw:
        if raw["solver"] not in SOLVERS:
            raise ScenarioError(
                f"solve.solver is {raw['solver']!r}; accepted: {', '.join(SOLVERS)}", file=file
            )
        out["solver"] = raw["solver"]
    if "time_limit" in raw:
        out["time_limit"] = _number(raw["time_limit"], "solve.time_limit", file, minimum=0.001)
    if "gap" in raw:
        out["gap"] = _number(raw["gap"], "solve.gap", file)
    return out


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
        "problems": list(scenario.problems),
    }


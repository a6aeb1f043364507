"""The settings sections of a scenario: ``[budget]``, ``[objective]``, ``[constraints]``,
``[tiers]``, ``[positioning]`` and ``[solve]``.

Each ``read_*`` function checks one section of a scenario's merged settings and returns
what :class:`~selector.inputs.scenario.Scenario` keeps of it (:class:`Budget`,
:class:`Constraints`, :class:`TierRule`, the objective, the importance column, the solve
options). Checks that name partners, types or columns take the partner table. A bad
value raises :class:`~selector.errors.ScenarioError` naming the setting, what was found
and what is accepted. The format is described in :mod:`selector.inputs.scenario`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from selector.errors import ScenarioError
from selector.inputs.tables import MAX_AMOUNT, MAX_COUNT

__all__ = [
    "OBJECTIVES",
    "POOL_FIELDS",
    "SOLVERS",
    "Budget",
    "Constraints",
    "TierRule",
    "read_budget",
    "read_constraints",
    "read_importance",
    "read_objective",
    "read_solve_options",
    "read_tiers",
]


OBJECTIVES = ("weighted_coverage", "coverage", "min_cost")
POOL_FIELDS = ("region", "industry", "size", "type", "tier")
SOLVERS = ("highs", "cbc")


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
    """Score bands by rank: gold = top ``gold`` share, silver up to ``silver``,
    exit = bottom ``exit`` share, standard the rest."""

    gold: float = 0.10
    silver: float = 0.30
    exit: float = 0.10
    exclude_exit: bool = False


def read_objective(config: Mapping[str, Any], file: str) -> str:
    obj = config.get("objective", {})
    if not isinstance(obj, Mapping):
        raise ScenarioError("[objective] must be a table such as kind = \"coverage\"", file=file)
    unknown = sorted(set(obj) - {"kind"})
    if unknown:
        raise ScenarioError(f"objective: unknown key(s) {', '.join(unknown)}; accepted: kind", file=file)
    kind = obj.get("kind", "weighted_coverage")
    if kind not in OBJECTIVES:
        raise ScenarioError(
            f"objective.kind is {kind!r}; accepted: {', '.join(OBJECTIVES)}", file=file
        )
    return str(kind)


def _number(
    value: Any, where: str, file: str, *, minimum: float = 0.0, maximum: float = 1e300
) -> float:
    # ``not minimum <= value <= maximum`` also refuses nan and inf (TOML allows both) and
    # a whole number too long for a float. A cap (a budget) may be huge: it only limits.
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not minimum <= value <= maximum
    ):
        shown = repr(value) if len(repr(value)) <= 30 else f"{repr(value)[:12]}..."
        upper = f" from {minimum:g} to {maximum:g}" if maximum < 1e300 else f" >= {minimum:g}"
        raise ScenarioError(f"{where} is {shown}; accepted: a number{upper}", file=file)
    return float(value)


def _count(value: Any, where: str, file: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        shown = repr(value) if len(repr(value)) <= 30 else f"{repr(value)[:12]}..."
        raise ScenarioError(
            f"{where} is {shown}; accepted: a whole number from 0 to {MAX_COUNT:,}", file=file
        )
    return int(value)


def read_budget(config: Mapping[str, Any], file: str, partners: pd.DataFrame) -> Budget:
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


def read_constraints(
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
        None if shared is None
        else _number(shared, "constraints.conflict_shared_value", file, maximum=MAX_AMOUNT)
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


def read_tiers(config: Mapping[str, Any], file: str) -> TierRule:
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


def read_importance(config: Mapping[str, Any], file: str, partners: pd.DataFrame) -> str | None:
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


def read_solve_options(config: Mapping[str, Any], file: str) -> dict[str, Any]:
    raw = config.get("solve", {})
    if not isinstance(raw, Mapping) or set(raw) - {"solver", "time_limit", "gap", "node_limit"}:
        raise ScenarioError("[solve] accepts solver, time_limit, gap and node_limit", file=file)
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
    if "node_limit" in raw:  # deterministic mode: see selector.portfolio.solve
        out["node_limit"] = _count(raw["node_limit"], "solve.node_limit", file) or 1
    return out

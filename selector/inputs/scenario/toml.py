"""Scenario TOML files: reading them, following ``extends``, merging the layers.

:func:`load_chain` reads a scenario file and the files it ``extends``, checks their
top-level keys, makes data paths absolute (relative to the file that names them) and
deep-merges the layers, the extending file last: tables are merged key by key, anything
else is replaced. :meth:`~selector.inputs.scenario.Scenario.with_changes` merges a
what-if the same way. The format is described in :mod:`selector.inputs.scenario`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from selector.errors import ScenarioError
from selector.inputs.files import read_toml

__all__ = ["DATA_KEYS", "KNOWN_KEYS", "deep_merge", "load_chain", "resolve_paths"]


MAX_EXTENDS = 100
DATA_KEYS = ("model", "partners", "segments", "coverage", "supply")
KNOWN_KEYS = frozenset(
    {"name", "description", "extends", *DATA_KEYS, "budget", "objective", "constraints",
     "tiers", "positioning", "solve", "programme", "rules", "currency", "horizon"}
)


def deep_merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(dict(out[key]), value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _read_toml(path: Path, *, referenced_by: str | None = None) -> dict[str, Any]:
    if not path.exists():
        hint = f" (named by {referenced_by})" if referenced_by else ""
        raise ScenarioError(f"scenario file not found{hint}", file=str(path))
    return read_toml(path, what="scenario file")


def resolve_paths(data: dict[str, Any], base: Path) -> dict[str, Any]:
    out = dict(data)
    for key in (*DATA_KEYS, "extends"):
        if key in out:
            value = out[key]
            if not isinstance(value, str) or not value.strip():
                raise ScenarioError(f"'{key}' must be a file path (text), found {value!r}")
            out[key] = str((base / value).resolve())
    return out


def load_chain(path: Path) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Read ``path`` and its ``extends`` ancestors; return merged settings, files read."""
    chain: list[Path] = []
    current: Path | None = path.resolve()
    referenced_by: str | None = None
    layers: list[dict[str, Any]] = []
    seen: set[Path] = set()  # a set: a list made the check quadratic in the chain's length
    while current is not None:
        if current in seen:
            cycle = " -> ".join(p.name for p in [*chain, current])
            raise ScenarioError(f"'extends' forms a cycle: {cycle}", file=str(path))
        if len(chain) >= MAX_EXTENDS:
            raise ScenarioError(
                f"'extends' goes more than {MAX_EXTENDS} files deep; a scenario extends a "
                "base, which may extend another, not a long chain",
                file=str(path),
            )
        chain.append(current)
        seen.add(current)
        data = _read_toml(current, referenced_by=referenced_by)
        unknown = sorted(set(data) - KNOWN_KEYS)
        if unknown:
            raise ScenarioError(
                f"unknown setting(s) {', '.join(unknown)}; accepted: {', '.join(sorted(KNOWN_KEYS))}",
                file=str(current),
            )
        try:
            layers.append(resolve_paths(data, current.parent))
        except ScenarioError as exc:
            raise ScenarioError(exc.detail, file=str(current)) from None
        referenced_by = f"'extends' in {current.name}"
        parent = layers[-1].get("extends")
        current = Path(parent) if parent else None
    merged: dict[str, Any] = {}
    for layer in reversed(layers):
        merged = deep_merge(merged, layer)
    merged.pop("extends", None)
    return merged, tuple(str(p) for p in chain)

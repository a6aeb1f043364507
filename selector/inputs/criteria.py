"""Criteria models: a hierarchy of criteria with pairwise judgments, read from TOML.

A criteria model says *what* matters when choosing partners and *how much*, as the
channel team judged it. It is data (``models/*.toml``), not code::

    name = "Partner selection"

    [settings]                      # optional
    method = "eigenvector"          # or "geometric"
    ri = "saaty1980"                # Random Index table
    threshold = 0.10                # consistency ratio accepted

    [[criteria]]                    # an inner node: no column
    id = "capability"
    label = "Capability"            # parent omitted: a child of the goal

    [[criteria]]                    # a leaf: reads a partner-table column
    id = "certified_engineers"
    parent = "capability"
    column = "certified_engineers"  # defaults to the id
    direction = "benefit"           # or "cost" (less is better)
    normalize = "ratio"             # "minmax" | "ratio" (to the best) | "scale"
    scale = [1, 5]                  # with normalize = "scale": the rating range
    missing = "error"               # or "worst" | "mean" | "zero"

    [[judgments]]                   # pairwise comparisons among a parent's children
    parent = "goal"
    expert = "channel director"     # optional; several experts are merged
    weight = 1.0                    # the expert's weight in the merge
    pairs = [["strategic_fit", "capability", 2], ["capability", "financial", "1/3"]]
    # or: items = [...] and matrix = [[...], ...]

Loading checks the structure (unique ids, known parents, no cycles, judgments only
among siblings) and raises :class:`~selector.errors.ScenarioError` naming the file and
the entry. Turning judgments into weights is :mod:`selector.ahp`'s job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from selector.errors import ScenarioError
from selector.inputs.files import read_toml

__all__ = [
    "DIRECTIONS",
    "MISSING_POLICIES",
    "NORMALIZATIONS",
    "ROOT",
    "CriteriaModel",
    "Criterion",
    "JudgmentSet",
    "load_model",
    "model_from_dict",
    "parse_judgment",
]

ROOT = "goal"
DIRECTIONS = ("benefit", "cost")
NORMALIZATIONS = ("minmax", "ratio", "scale")
MISSING_POLICIES = ("error", "worst", "mean", "zero")
METHODS = ("eigenvector", "geometric")
RI_TABLES = ("saaty1980", "saaty2005", "alonso_lamata", "donegan_dodd")


@dataclass(frozen=True)
class Criterion:
    """One node of the hierarchy. A leaf has a ``column``; an inner node has children."""

    id: str
    label: str
    parent: str
    column: str | None = None
    direction: str = "benefit"
    normalize: str = "minmax"
    scale: tuple[float, float] | None = None
    missing: str = "error"
    description: str = ""

    @property
    def is_leaf(self) -> bool:
        return self.column is not None


@dataclass(frozen=True)
class JudgmentSet:
    """One expert's pairwise judgments among the children of ``parent``.

    ``pairs`` holds ``(a, b, value)``: a is ``value`` times as important as b.
    """

    parent: str
    pairs: tuple[tuple[str, str, float], ...]
    expert: str = ""
    weight: float = 1.0

    def as_mapping(self) -> dict[tuple[str, str], float]:
        return {(a, b): v for a, b, v in self.pairs}


@dataclass(frozen=True)
class CriteriaModel:
    """A criteria hierarchy with its judgments. Build with :func:`load_model`."""

    name: str
    criteria: tuple[Criterion, ...]
    judgments: tuple[JudgmentSet, ...]
    method: str = "eigenvector"
    ri: str = "saaty1980"
    threshold: float = 0.10
    description: str = ""
    source: str | None = None

    @property
    def leaves(self) -> tuple[Criterion, ...]:
        """Leaf criteria in tree order (depth first, children in file order)."""
        return tuple(c for c in self.in_tree_order() if c.is_leaf)

    @property
    def parents(self) -> tuple[str, ...]:
        """Nodes that have children, the goal first, in tree order."""
        out = [ROOT] if self.children(ROOT) else []
        out += [c.id for c in self.in_tree_order() if self.children(c.id)]
        return tuple(out)

    def node(self, node_id: str) -> Criterion:
        for c in self.criteria:
            if c.id == node_id:
                return c
        raise KeyError(node_id)

    def children(self, parent: str) -> tuple[str, ...]:
        return tuple(c.id for c in self.criteria if c.parent == parent)

    def judgments_for(self, parent: str) -> tuple[JudgmentSet, ...]:
        return tuple(j for j in self.judgments if j.parent == parent)

    def in_tree_order(self) -> tuple[Criterion, ...]:
        out: list[Criterion] = []

        def visit(parent: str) -> None:
            for c in self.criteria:
                if c.parent == parent:
                    out.append(c)
                    visit(c.id)

        visit(ROOT)
        return tuple(out)


def parse_judgment(value: Any, *, where: str = "", file: str | None = None) -> float:
    """Read one judgment: a positive number or a fraction string such as ``"1/3"``.

    ``where`` and ``file`` say where the value came from, for the error message.
    """
    try:
        if isinstance(value, bool):
            raise ValueError
        if isinstance(value, str):
            number = float(Fraction(value.strip()))
        else:
            number = float(value)
    except (ValueError, ZeroDivisionError, TypeError):
        raise ScenarioError(
            f"judgment {value!r} is not a number; accepted: a positive number or a "
            f"fraction such as \"1/3\"{' (' + where + ')' if where else ''}",
            file=file,
        ) from None
    if not number > 0 or number == float("inf"):
        raise ScenarioError(
            f"judgment {value!r} must be a positive finite number"
            f"{' (' + where + ')' if where else ''}",
            file=file,
        )
    return number


def load_model(path: str | Path) -> CriteriaModel:
    """Read a criteria model from a TOML file.

    Raises
    ------
    ScenarioError
        The file is missing, is not TOML, or its structure is wrong; the message
        names the file and the entry.
    """
    p = Path(path)
    data = read_toml(p, what="criteria model file")
    return model_from_dict(data, source=str(p))


def _text(entry: Mapping[str, Any], key: str, default: str, where: str, file: str) -> str:
    value = entry.get(key, default)
    if not isinstance(value, str):
        raise ScenarioError(f"{where}: '{key}' must be text, found {value!r}", file=file)
    return value


def model_from_dict(data: Mapping[str, Any], *, source: str | None = None) -> CriteriaModel:
    """Build a :class:`CriteriaModel` from parsed TOML (see the module docstring)."""
    file = source or "<criteria model>"
    settings = data.get("settings", {})
    if not isinstance(settings, Mapping):
        raise ScenarioError("[settings] must be a table", file=file)
    method = settings.get("method", "eigenvector")
    if method not in METHODS:
        raise ScenarioError(
            f"settings.method is {method!r}; accepted: {', '.join(METHODS)}", file=file
        )
    ri = settings.get("ri", "saaty1980")
    if ri not in RI_TABLES:
        raise ScenarioError(f"settings.ri is {ri!r}; accepted: {', '.join(RI_TABLES)}", file=file)
    threshold = settings.get("threshold", 0.10)
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, int | float)
        or not 0 < threshold < float("inf")  # also refuses nan
    ):
        raise ScenarioError(
            f"settings.threshold is {threshold!r}; accepted: a positive number such as 0.1",
            file=file,
        )

    raw_criteria = data.get("criteria")
    if not isinstance(raw_criteria, list) or not raw_criteria:
        raise ScenarioError(
            "no [[criteria]] entries; a model needs at least one criterion", file=file
        )
    criteria: list[Criterion] = []
    seen: set[str] = set()
    for k, entry in enumerate(raw_criteria, start=1):
        where = f"criteria entry {k}"
        if not isinstance(entry, Mapping):
            raise ScenarioError(f"{where} must be a table", file=file)
        cid = entry.get("id")
        if not isinstance(cid, str) or not cid.strip():
            raise ScenarioError(f"{where} has no 'id'", file=file)
        cid = cid.strip()
        where = f"criterion '{cid}'"
        if cid == ROOT or cid in seen:
            raise ScenarioError(f"{where}: id used twice (or is the reserved '{ROOT}')", file=file)
        seen.add(cid)
        parent = _text(entry, "parent", ROOT, where, file)
        column = entry.get("column")
        direction = _text(entry, "direction", "benefit", where, file)
        normalize = _text(entry, "normalize", "minmax", where, file)
        missing = _text(entry, "missing", "error", where, file)
        if direction not in DIRECTIONS:
            raise ScenarioError(
                f"{where}: direction {direction!r}; accepted: {', '.join(DIRECTIONS)}", file=file
            )
        if normalize not in NORMALIZATIONS:
            raise ScenarioError(
                f"{where}: normalize {normalize!r}; accepted: {', '.join(NORMALIZATIONS)}",
                file=file,
            )
        if missing not in MISSING_POLICIES:
            raise ScenarioError(
                f"{where}: missing {missing!r}; accepted: {', '.join(MISSING_POLICIES)}",
                file=file,
            )
        scale_raw = entry.get("scale")
        scale: tuple[float, float] | None = None
        if scale_raw is not None:
            ok = (
                isinstance(scale_raw, list)
                and len(scale_raw) == 2
                and all(isinstance(v, int | float) and not isinstance(v, bool) for v in scale_raw)
                and scale_raw[0] < scale_raw[1]
            )
            if not ok:
                raise ScenarioError(
                    f"{where}: scale {scale_raw!r}; accepted: [low, high] with low < high",
                    file=file,
                )
            scale = (float(scale_raw[0]), float(scale_raw[1]))
        if normalize == "scale" and scale is None:
            raise ScenarioError(
                f"{where}: normalize = \"scale\" needs scale = [low, high], e.g. [1, 5]",
                file=file,
            )
        criteria.append(
            Criterion(
                id=cid,
                label=_text(entry, "label", cid, where, file),
                parent=parent,
                column=None if column is None else str(column),
                direction=direction,
                normalize=normalize,
                scale=scale,
                missing=missing,
                description=_text(entry, "description", "", where, file),
            )
        )

    ids = {c.id for c in criteria}
    for c in criteria:
        if c.parent != ROOT and c.parent not in ids:
            raise ScenarioError(
                f"criterion '{c.id}': parent '{c.parent}' is not a criterion id "
                f"(known: {ROOT}, {', '.join(sorted(ids))})",
                file=file,
            )
    has_children = {c.parent for c in criteria}
    # Inner nodes get no column; leaves default their column to their id.
    fixed: list[Criterion] = []
    for c in criteria:
        if c.id in has_children:
            if c.column is not None:
                raise ScenarioError(
                    f"criterion '{c.id}' has sub-criteria and a column; only leaves read columns",
                    file=file,
                )
            fixed.append(c)
        elif c.column is None:
            fixed.append(Criterion(**{**c.__dict__, "column": c.id}))
        else:
            fixed.append(c)
    model_nodes = tuple(fixed)

    # Every node must hang from the goal (a parent chain that loops never reaches it).
    reached = {c.id for c in CriteriaModel("", model_nodes, ()).in_tree_order()}
    stranded = sorted(ids - reached)
    if stranded:
        raise ScenarioError(
            f"criteria {', '.join(stranded)} form a cycle and never reach the goal", file=file
        )

    judgments = _read_judgments(data.get("judgments", []), model_nodes, file)
    name = data.get("name", Path(file).stem)
    return CriteriaModel(
        name=str(name),
        criteria=model_nodes,
        judgments=judgments,
        method=str(method),
        ri=str(ri),
        threshold=float(threshold),
        description=str(data.get("description", "")),
        source=source,
    )


def _read_judgments(
    raw: Any, nodes: tuple[Criterion, ...], file: str
) -> tuple[JudgmentSet, ...]:
    if not isinstance(raw, list):
        raise ScenarioError("[[judgments]] must be an array of tables", file=file)
    children: dict[str, set[str]] = {}
    for c in nodes:
        children.setdefault(c.parent, set()).add(c.id)
    out: list[JudgmentSet] = []
    for k, entry in enumerate(raw, start=1):
        where = f"judgments entry {k}"
        if not isinstance(entry, Mapping):
            raise ScenarioError(f"{where} must be a table", file=file)
        parent = entry.get("parent", ROOT)
        if parent not in children:
            raise ScenarioError(
                f"{where}: parent {parent!r} has no sub-criteria to compare "
                f"(parents: {', '.join(sorted(children))})",
                file=file,
            )
        expert = str(entry.get("expert", ""))
        weight = entry.get("weight", 1.0)
        if (
            isinstance(weight, bool)
            or not isinstance(weight, int | float)
            or not 0 < weight < float("inf")  # also refuses nan
        ):
            raise ScenarioError(f"{where}: weight {weight!r} must be a positive number", file=file)
        siblings = children[parent]
        pairs: list[tuple[str, str, float]] = []
        if "matrix" in entry:
            items = entry.get("items")
            matrix = entry["matrix"]
            if not isinstance(items, list) or not isinstance(matrix, list):
                raise ScenarioError(f"{where}: 'matrix' needs 'items' (a list of ids)", file=file)
            if len(matrix) != len(items) or any(
                not isinstance(row, list) or len(row) != len(items) for row in matrix
            ):
                raise ScenarioError(
                    f"{where}: matrix must be {len(items)} x {len(items)} to match 'items'",
                    file=file,
                )
            for i, a in enumerate(items):
                for j, b in enumerate(items):
                    value = parse_judgment(matrix[i][j], where=f"{where}, {a}/{b}", file=file)
                    if i < j:
                        pairs.append((str(a), str(b), value))
                    elif i == j and abs(value - 1.0) > 1e-6:
                        raise ScenarioError(
                            f"{where}: the diagonal cell {a}/{a} is {matrix[i][j]!r}; an item "
                            "compared with itself is 1",
                            file=file,
                        )
                    elif i > j:
                        upper = parse_judgment(matrix[j][i], where=f"{where}, {b}/{a}", file=file)
                        if abs(value * upper - 1.0) > 1e-6:
                            raise ScenarioError(
                                f"{where}: cell {a}/{b} is {matrix[i][j]!r} but {b}/{a} is "
                                f"{matrix[j][i]!r}; the lower triangle must hold the "
                                f"reciprocals of the upper one (here 1/{matrix[j][i]!r}), or "
                                "give 'pairs' instead",
                                file=file,
                            )
        else:
            raw_pairs = entry.get("pairs")
            if not isinstance(raw_pairs, list) or not raw_pairs:
                raise ScenarioError(f"{where}: give 'pairs' or 'items' and 'matrix'", file=file)
            for m, pair in enumerate(raw_pairs, start=1):
                if not isinstance(pair, list) or len(pair) != 3:
                    raise ScenarioError(
                        f"{where}, pair {m}: {pair!r}; accepted: [\"a\", \"b\", value]", file=file
                    )
                a, b, v = pair
                pairs.append((str(a), str(b), parse_judgment(v, where=f"{where}, pair {m}", file=file)))
        first: dict[frozenset[str], int] = {}
        for m, (a, b, _) in enumerate(pairs, start=1):
            key = frozenset((a, b))
            if a != b and key in first:
                raise ScenarioError(
                    f"{where}, pair {m}: '{a}' and '{b}' are already compared in pair "
                    f"{first[key]}; give each pair once",
                    file=file,
                )
            first.setdefault(key, m)
        for a, b, _ in pairs:
            if a == b:
                raise ScenarioError(
                    f"{where}: compares '{a}' with itself; accepted: two different sub-criteria "
                    f"of '{parent}'",
                    file=file,
                )
            for item in (a, b):
                if item not in siblings:
                    raise ScenarioError(
                        f"{where}: '{item}' is not a sub-criterion of '{parent}' "
                        f"(accepted: {', '.join(sorted(siblings))})",
                        file=file,
                    )
        # One named expert's judgments on one parent, over several entries, are merged pair by
        # pair: a pair in two of them would keep only the last value.
        for j, earlier in enumerate(out, start=1):
            if expert and earlier.parent == str(parent) and earlier.expert == expert:
                seen_pairs = {frozenset((a, b)) for a, b, _ in earlier.pairs}
                for a, b, _ in pairs:
                    if frozenset((a, b)) in seen_pairs:
                        raise ScenarioError(
                            f"{where}: '{a}' and '{b}' are already compared in judgments entry "
                            f"{j} (same parent '{parent}', same expert); give each pair once",
                            file=file,
                        )
        out.append(JudgmentSet(parent=str(parent), pairs=tuple(pairs), expert=expert, weight=float(weight)))
    return tuple(out)

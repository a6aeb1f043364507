"""Rules a strategist writes in the scenario: ``[[rules]]``, each a linear rule on the portfolio.

Every rule has an ``id`` (letters, digits, ``-`` and ``_``), an optional ``label`` (the
sentence the explanations and the app show) and a ``kind``::

    [[rules]]                                   # at least 3 SIs working finance
    id = "finance-sis"
    label = "At least 3 SIs in finance"
    kind = "count"
    where = { type = "si", industries = "finance" }
    min = 3                                     # min / max / exactly

    [[rules]]                                   # at most 40 % of the budget on distributors
    id = "distributor-spend"
    kind = "cost"
    where = { type = "distributor" }
    max_share = 0.40                            # of budget.total; or min_share, min, max

    [[rules]]                                   # cover 60 % of the finance value
    id = "finance-cover"
    kind = "coverage"
    segments = { industry = "finance" }
    min_share = 0.60
    weighted = true                             # count value at the partner's score

    [[rules]]                                   # R05 only with D01 (or D02)
    id = "r05-needs-d01"
    kind = "requires"
    partner = "R05"                             # or partners = [...] or where = {...}
    requires = ["D01", "D02"]                   # one of them must be selected too

    [[rules]]                                   # at most 2 of these 5
    id = "big-five"
    kind = "group"
    partners = ["P01", "P02", "P03", "P04", "P05"]
    max = 2                                     # min / max / exactly

Filters (``where`` over partner columns, ``segments`` over segment columns) are tables
of ``column = value``: a value (equal), a list (any of), or ``{ min = A, max = B }`` (a
range, numeric columns). Partner columns: ``id``, ``type``, ``gtm_tier``, ``regions``,
``industries``, ``sizes`` (also as ``region``, ``industry``, ``size``: a partner matches
when it works any of the values; a partner working ``*`` matches any value, and ``*`` in
the filter matches every partner), ``status``, ``tier`` (today's
programme tier), any criterion or other column; in a plan scenario ``level`` filters the
proposed programme tier (``count``, ``cost`` and ``group`` rules). Segment columns:
``id``, ``region``, ``industry``, ``size``, ``named``, ``value`` and any other. Every
condition must hold. No text is ever evaluated as code.

In a plan (today's channel), a ``cost`` rule counts what a partner costs in the plan,
one-off recruit and exit costs included, as the budget does.

``rules`` is a list: a file that ``extends`` another, or a what-if
(``Scenario.with_changes({"rules": [...]})``), replaces the whole list.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from selector.errors import ScenarioError
from selector.inputs.tables import MAX_AMOUNT, MAX_COUNT

__all__ = ["RULE_KINDS", "Rule", "filter_mask", "read_rules", "rule_rows", "rules_from_rows"]

RULE_KINDS = ("count", "cost", "coverage", "requires", "group")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_LIST_COLUMNS = {"regions": "regions", "industries": "industries", "sizes": "sizes",
                 "region": "regions", "industry": "industries", "size": "sizes"}
_KEYS = {
    "count": {"where", "min", "max", "exactly"},
    "cost": {"where", "min", "max", "min_share", "max_share"},
    "coverage": {"segments", "min_share", "weighted"},
    "requires": {"partner", "partners", "where", "requires"},
    "group": {"partners", "min", "max", "exactly"},
}


@dataclass(frozen=True, eq=False)
class Rule:
    """One validated rule.

    ``partners`` is a mask over the partner table (the partners a ``count``, ``cost``
    or ``group`` rule counts, or the partners a ``requires`` rule constrains);
    ``levels`` the proposed programme tiers it counts (None: any level); ``lo`` and
    ``hi`` the bounds (counts, or money for ``cost``; shares already turned into
    money); ``segments`` a mask over the segment table and ``share`` the covered share
    a ``coverage`` rule asks for; ``requires`` the mask of alternatives of a
    ``requires`` rule. ``what`` describes the filter in words.
    """

    id: str
    label: str
    kind: str
    partners: np.ndarray
    lo: float | None = None
    hi: float | None = None
    levels: tuple[str, ...] | None = None
    segments: np.ndarray | None = None
    share: float = 0.0
    weighted: bool = False
    requires: np.ndarray | None = None
    what: str = ""
    year: int | None = None  # a roadmap rule for one year (1 = the first); None: every year

    @property
    def title(self) -> str:
        """``'id' (label)`` for messages."""
        return f"'{self.id}'" + (f" ({self.label})" if self.label and self.label != self.id else "")


def _err(where: str, message: str, file: str) -> ScenarioError:
    return ScenarioError(f"{where}: {message}", file=file)


def _text(series: pd.Series) -> np.ndarray:
    return np.asarray(series.astype(str).to_numpy(), dtype=object)


def _show(value: Any, *, quote: bool = False) -> str:
    """A value from the file as a message shows it: numbers short, anything else as
    written (quoted with ``quote``; a very long whole number or text shortened)."""
    if isinstance(value, float):
        return f"{value:g}"
    text = str(value) if isinstance(value, int) or (isinstance(value, str) and not quote) else repr(value)
    return text if len(text) <= 40 else f"{text[:20]}... ({len(text)} characters)"


def _describe_value(value: Any) -> str:
    if isinstance(value, Mapping):
        parts = [f"{k} {_show(value[k])}" for k in ("min", "max") if k in value]
        return " ".join(parts)
    if isinstance(value, list):
        return " or ".join(map(_show, value))
    return _show(value)


def filter_mask(
    table: pd.DataFrame,
    spec: Any,
    where: str,
    file: str,
    *,
    list_columns: Mapping[str, str] | None = None,
    skip: Sequence[str] = (),
) -> tuple[np.ndarray, str]:
    """Rows of ``table`` matching a filter table; the mask and the filter in words.

    Raises
    ------
    ScenarioError
        Naming ``where`` and the column for an unknown column, a bad value or a value
        that no row has.
    """
    if not isinstance(spec, Mapping) or not spec:
        raise _err(where, f"must be a table of column = value, found {spec!r}", file)
    mask = np.ones(len(table), dtype=bool)
    words: list[str] = []
    for column, value in spec.items():
        if column in skip:
            continue
        at = f"{where}.{column}"
        words.append(f"{column} = {_describe_value(value)}")
        if column == "id":
            col_values = np.asarray(table.index.astype(str), dtype=object)
        elif list_columns and column in list_columns:
            mask &= _list_match(table[list_columns[column]], value, at, file)
            continue
        elif column in table.columns:
            col_values = None
        else:
            accepted = ["id", *(list_columns or {}), *map(str, table.columns)]
            raise _err(at, f"unknown column '{column}'; accepted: {', '.join(sorted(set(accepted)))}", file)
        if isinstance(value, Mapping):
            if col_values is not None or table[column].dtype.kind not in "fiu":
                raise _err(at, "a range { min, max } needs a numeric column", file)
            if not value or set(value) - {"min", "max"}:
                raise _err(at, "a range accepts { min = A, max = B }", file)
            nums = table[column].to_numpy(dtype=float)
            lo = _num(value.get("min", -np.inf), f"{at}.min", file)
            hi = _num(value.get("max", np.inf), f"{at}.max", file)
            if lo > hi:
                raise _err(at, f"min {lo:g} is above max {hi:g}", file)
            mask &= (nums >= lo) & (nums <= hi)
            continue
        wanted = value if isinstance(value, list) else [value]
        if not wanted or any(isinstance(v, Mapping | list) for v in wanted):
            raise _err(at, f"accepted: a value, a list of values or {{ min, max }}; found {value!r}", file)
        if col_values is None:
            col_values = _column_text(table[column])
        texts = [_value_text(v) for v in wanted]
        present = set(col_values)
        missing = [t for t in texts if t not in present]
        if missing:
            shown = sorted(present)[:20]
            raise _err(
                at,
                f"no row has {', '.join(repr(m) for m in missing)}; accepted: {', '.join(shown)}"
                + (" ..." if len(present) > 20 else ""),
                file,
            )
        mask &= np.isin(col_values, texts)
    return mask, "; ".join(words)


def _column_text(series: pd.Series) -> np.ndarray:
    if series.dtype == bool:
        return np.where(series.to_numpy(), "true", "false").astype(object)
    if series.dtype.kind == "f":
        vals = series.to_numpy(dtype=float)
        return np.array([_value_text(v) for v in vals], dtype=object)
    return _text(series)


def _value_text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _list_match(column: pd.Series, value: Any, at: str, file: str) -> np.ndarray:
    wanted = value if isinstance(value, list) else [value]
    if not wanted or not all(isinstance(v, str) for v in wanted):
        raise _err(at, f"accepted: a name or a list of names; found {value!r}", file)
    known = {v for values in column for v in values if v != "*"}
    missing = [w for w in wanted if w not in known and w != "*"]
    if missing:
        raise _err(
            at, f"no partner works {', '.join(repr(m) for m in missing)}; accepted: "
            f"{', '.join(sorted(known)[:20])}", file,
        )
    want = set(wanted)
    if "*" in want:  # every region (industry, size): no condition on this column
        return np.ones(len(column), dtype=bool)
    return np.array([v == ("*",) or "*" in v or bool(want & set(v)) for v in column], dtype=bool)


def _num(value: Any, where: str, file: str, *, lo: float = -np.inf, hi: float = np.inf) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and lo <= value <= hi
    if ok and isinstance(value, int):
        ok = abs(value) <= 1e300  # a longer whole number has no float
    if not ok:
        bounds = (f" between {lo:g} and {hi:g}" if np.isfinite(lo) and np.isfinite(hi)
                  else f" >= {lo:g}" if np.isfinite(lo) else "")
        raise ScenarioError(f"{where} is {_show(value, quote=True)}; accepted: a number{bounds}",
                            file=file)
    return float(value)


def _count(value: Any, where: str, file: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise ScenarioError(
            f"{where} is {_show(value, quote=True)}; accepted: a whole number from 0 to "
            f"{MAX_COUNT:,}",
            file=file,
        )
    return int(value)


def _ids(value: Any, where: str, file: str, known: pd.Index) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(v, str) for v in items):
        raise _err(where, f"accepted: a partner id or a list of partner ids; found {value!r}", file)
    unknown = [v for v in items if v not in known]
    if unknown:
        raise _err(where, f"unknown partner id(s) {', '.join(unknown[:5])}", file)
    return list(items)


def read_rules(
    config: Mapping[str, Any],
    file: str,
    partners: pd.DataFrame,
    segments: pd.DataFrame,
    *,
    budget_total: float | None,
    level_names: tuple[str, ...] | None,
    must_exclude: Sequence[str] = (),
    must_include: Sequence[str] = (),
    horizon_years: int | None = None,
) -> tuple[Rule, ...]:
    """Check ``[[rules]]`` and resolve their filters (see the module notes).

    ``level_names`` are the programme tiers a ``level`` filter may name (None: the
    scenario has no programme tiers, and ``level`` is refused). ``horizon_years`` are
    the years of a roadmap (``[horizon]``): a rule may then name one of them with
    ``year = K`` (1 = the first); without a horizon, ``year`` is refused.
    """
    raw = config.get("rules", [])
    if not isinstance(raw, list) or not all(isinstance(r, Mapping) for r in raw):
        raise ScenarioError("'rules' must be a list of tables ([[rules]] with id, kind, ...)", file=file)
    out: list[Rule] = []
    seen: set[str] = set()
    for k, item in enumerate(raw, start=1):
        rid = item.get("id")
        if not isinstance(rid, str) or not _ID.match(rid):
            raise ScenarioError(
                f"rules[{k}].id is {rid!r}; accepted: text of letters, digits, '-' and '_'", file=file
            )
        where = f"rule '{rid}'"
        if rid in seen:
            raise _err(where, "id used by an earlier rule; ids must be unique", file)
        seen.add(rid)
        kind = item.get("kind")
        if kind not in RULE_KINDS:
            raise _err(f"{where} kind", f"{kind!r}; accepted: {', '.join(RULE_KINDS)}", file)
        unknown = sorted(set(item) - {"id", "label", "kind", "year"} - _KEYS[kind])
        if unknown:
            raise _err(where, f"unknown field(s) {', '.join(unknown)} for kind '{kind}'; accepted: "
                       f"id, label, kind, year, {', '.join(sorted(_KEYS[kind]))}", file)
        year = _year(item.get("year"), where, file, horizon_years)
        label = item.get("label", rid)
        if not isinstance(label, str):
            raise _err(f"{where} label", f"must be text, found {label!r}", file)
        rule = _read_one(item, rid, label, str(kind), where, file, partners, segments,
                         budget_total=budget_total, level_names=level_names)
        out.append(rule if year is None else replace(rule, year=year))
    _check_dependencies(out, partners, must_exclude, must_include, file)
    return tuple(out)


def _year(value: Any, where: str, file: str, horizon_years: int | None) -> int | None:
    """A rule's ``year``: None (every year of a roadmap), or a year of the horizon."""
    if value is None:
        return None
    if horizon_years is None:
        raise _err(f"{where} year", "a rule names a year only in a roadmap; add a [horizon] "
                   "with years = N, or leave year out", file)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= horizon_years:
        raise _err(f"{where} year", f"is {_show(value, quote=True)}; accepted: a whole number "
                   f"from 1 to {horizon_years} (the horizon's years)", file)
    return int(value)


def _partner_filter(
    item: Mapping[str, Any], field: str, where: str, file: str, partners: pd.DataFrame,
    level_names: tuple[str, ...] | None, *, allow_level: bool = True,
) -> tuple[np.ndarray, str, tuple[str, ...] | None]:
    spec = item.get(field)
    at = f"{where} {field}"
    if spec is None:
        raise _err(at, "missing; give a filter such as { type = \"si\" }", file)
    levels = None
    if isinstance(spec, Mapping) and "level" in spec:
        if not allow_level:
            raise _err(f"{at}.level", "a requires rule cannot filter on the proposed level", file)
        if level_names is None:
            raise _err(f"{at}.level", "the scenario has no [programme] tiers to filter on", file)
        wanted = spec["level"] if isinstance(spec["level"], list) else [spec["level"]]
        bad = [w for w in wanted if w not in level_names]
        if bad or not wanted:
            raise _err(f"{at}.level", f"unknown level(s) {bad or wanted!r}; accepted: "
                       f"{', '.join(level_names)}", file)
        levels = tuple(str(w) for w in wanted)
        if len(spec) == 1:
            return np.ones(len(partners), dtype=bool), f"level = {_describe_value(spec['level'])}", levels
    mask, words = filter_mask(partners, spec, at, file, list_columns=_LIST_COLUMNS, skip=("level",))
    if levels is not None:
        words += f"; level = {' or '.join(levels)}"
    if not mask.any():
        raise _err(at, f"matches no partner ({words})", file)
    return mask, words, levels


def _bounds(item: Mapping[str, Any], where: str, file: str, reader: Any) -> tuple[float | None, float | None]:
    lo = None if "min" not in item else float(reader(item["min"], f"{where} min", file))
    hi = None if "max" not in item else float(reader(item["max"], f"{where} max", file))
    if "exactly" in item:
        if lo is not None or hi is not None:
            raise _err(where, "give exactly, or min and/or max, not both", file)
        lo = hi = float(reader(item["exactly"], f"{where} exactly", file))
    return lo, hi


def _read_one(
    item: Mapping[str, Any], rid: str, label: str, kind: str, where: str, file: str,
    partners: pd.DataFrame, segments: pd.DataFrame, *,
    budget_total: float | None, level_names: tuple[str, ...] | None,
) -> Rule:
    n = len(partners)
    if kind in ("count", "group"):
        if kind == "group":
            ids = _ids(item.get("partners"), f"{where} partners", file, partners.index)
            mask = partners.index.isin(ids)
            words = f"id = {' or '.join(ids)}"
            levels = None
        else:
            mask, words, levels = _partner_filter(item, "where", where, file, partners, level_names)
        lo, hi = _bounds(item, where, file, _count)
        if lo is None and hi is None:
            raise _err(where, "give min, max or exactly", file)
        if lo is not None and hi is not None and lo > hi:
            raise _err(f"{where} min", f"{lo:g} is above max {hi:g}", file)
        matching = int(mask.sum())
        if lo is not None and lo > matching:
            raise _err(f"{where} min", f"{lo:g} is more than the {matching} partner(s) the filter matches", file)
        return Rule(rid, label, kind, np.asarray(mask, dtype=bool), lo, hi, levels, what=words)
    if kind == "cost":
        mask, words, levels = _partner_filter(item, "where", where, file, partners, level_names)
        lo, hi = _bounds(item, where, file, lambda v, w, f: _num(v, w, f, lo=0.0, hi=MAX_AMOUNT))
        for key, attr in (("min_share", "lo"), ("max_share", "hi")):
            if key not in item:
                continue
            share = _num(item[key], f"{where} {key}", file, lo=0.0, hi=1.0)
            if budget_total is None:
                raise _err(f"{where} {key}", "a share of the budget needs budget.total", file)
            if (lo if attr == "lo" else hi) is not None:
                raise _err(f"{where} {key}", f"give {key} or {attr.replace('lo', 'min').replace('hi', 'max')}, not both", file)
            if attr == "lo":
                lo = share * budget_total
                if lo > MAX_AMOUNT:
                    raise _err(f"{where} {key}", f"{share:g} of budget.total is {lo:g}, above "
                               f"{MAX_AMOUNT:g}; give min instead", file)
            else:
                hi = share * budget_total
        if lo is None and hi is None:
            raise _err(where, "give min, max, min_share or max_share", file)
        if lo is not None and hi is not None and lo > hi:
            raise _err(f"{where} min", f"{lo:,.0f} is above max {hi:,.0f}", file)
        return Rule(rid, label, kind, np.asarray(mask, dtype=bool), lo, hi, levels, what=words)
    if kind == "coverage":
        seg_mask, words = filter_mask(segments, item.get("segments"), f"{where} segments", file)
        if not seg_mask.any():
            raise _err(f"{where} segments", f"matches no segment ({words})", file)
        if "min_share" not in item:
            raise _err(f"{where} min_share", "missing; give the share of the value to cover (0..1)", file)
        share = _num(item["min_share"], f"{where} min_share", file, lo=0.0, hi=1.0)
        weighted = item.get("weighted", False)
        if not isinstance(weighted, bool):
            raise _err(f"{where} weighted", f"must be true or false, found {weighted!r}", file)
        value = float(segments["value"].to_numpy(dtype=float)[seg_mask].sum())
        if value <= 0 and share > 0:
            raise _err(f"{where} segments", f"the matching segments ({words}) have no value", file)
        return Rule(rid, label, kind, np.zeros(n, dtype=bool), share * value, None,
                    segments=np.asarray(seg_mask, dtype=bool), share=share, weighted=weighted, what=words)
    # requires
    given = [f for f in ("partner", "partners", "where") if f in item]
    if len(given) != 1:
        raise _err(where, "give one of partner, partners or where (the partners that need others)", file)
    if given[0] == "where":
        mask, words, _ = _partner_filter(item, "where", where, file, partners, level_names, allow_level=False)
    else:
        ids = _ids(item[given[0]], f"{where} {given[0]}", file, partners.index)
        mask = np.asarray(partners.index.isin(ids), dtype=bool)
        words = " or ".join(ids)
    if "requires" not in item:
        raise _err(f"{where} requires", "missing; give the partner ids one of which must be selected too", file)
    alt_ids = _ids(item["requires"], f"{where} requires", file, partners.index)
    alternatives = np.asarray(partners.index.isin(alt_ids), dtype=bool)
    selfish = np.flatnonzero(mask & alternatives & (alternatives.sum() == 1))
    if len(selfish):
        raise _err(f"{where} requires", f"{partners.index[selfish[0]]} only requires itself", file)
    return Rule(rid, label, kind, mask, None, 0.0, requires=alternatives,
                what=f"{words} requires one of {', '.join(alt_ids)}")


# --- rules as table rows (the app's rule editor) --------------------------------------

ROW_COLUMNS = ("id", "label", "kind", "settings")


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise ScenarioError(f"cannot write {value!r} as a TOML value")


def _toml_key(key: str) -> str:
    return key if re.match(r"^[A-Za-z0-9_-]+$", key) else _toml_value(key)


def rule_rows(rules: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Rules in the scenario-file shape as table rows: ``id``, ``label``, ``kind`` and
    ``settings``, the rest of the rule as TOML lines (``where = { type = "si" }``)."""
    rows = []
    for rule in rules:
        rest = {k: v for k, v in rule.items() if k not in ("id", "label", "kind")}
        rows.append({
            "id": str(rule.get("id", "")),
            "label": str(rule.get("label", "")),
            "kind": str(rule.get("kind", "")),
            "settings": "\n".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in rest.items()),
        })
    return rows


def _cell(v: Any) -> str:
    return "" if v is None or (isinstance(v, float) and v != v) else str(v).strip()


def rules_from_rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The rows of :func:`rule_rows` back as rules (blank rows skipped). ``settings`` is
    read as TOML (never evaluated as code).

    Raises
    ------
    ScenarioError
        Naming the rule for settings that are not TOML.
    """
    import tomllib

    out: list[dict[str, Any]] = []
    for k, row in enumerate(rows, start=1):
        rid, label, kind, settings = (_cell(row.get(c)) for c in ROW_COLUMNS)
        if not (rid or kind or settings):
            continue
        where = f"rule '{rid}'" if rid else f"rule in row {k}"
        try:
            rest = tomllib.loads(settings) if settings else {}
        except tomllib.TOMLDecodeError:
            # One line in a table cell: settings separated by ';'.
            try:
                rest = tomllib.loads(settings.replace(";", "\n"))
            except tomllib.TOMLDecodeError as exc:
                raise ScenarioError(f"{where} settings: not TOML lines such as min = 3 ({exc})") from None
        clash = sorted(set(rest) & {"id", "label", "kind"})
        if clash:
            raise ScenarioError(f"{where} settings: {', '.join(clash)} belong in their own column")
        rule: dict[str, Any] = {"id": rid, "kind": kind}
        if label:
            rule["label"] = label
        rule.update(rest)
        out.append(rule)
    return out


def _check_dependencies(
    rules: Sequence[Rule], partners: pd.DataFrame, must_exclude: Sequence[str],
    must_include: Sequence[str], file: str,
) -> None:
    """Refuse ``requires`` rules that can never be met: a partner whose alternatives are
    all excluded, directly or through their own requirements (a cycle leading only to
    excluded partners)."""
    deps = [r for r in rules if r.kind == "requires"]
    if not deps:
        return
    ids = partners.index
    possible = ~np.asarray(ids.isin(list(must_exclude)), dtype=bool)
    changed = True
    while changed:
        changed = False
        for r in deps:
            assert r.requires is not None
            # A subject stays possible when one alternative other than itself is.
            for p in np.flatnonzero(r.partners & possible):
                alt = r.requires.copy()
                alt[p] = False
                if not (alt & possible).any():
                    possible[p] = False
                    changed = True
    excluded = np.asarray(ids.isin(list(must_exclude)), dtype=bool)
    included = np.asarray(ids.isin(list(must_include)), dtype=bool)
    for r in deps:
        live = r.partners & ~excluded
        dead = live & ~possible
        if dead.any() and (dead.all() or (dead == live).all() or (dead & included).any()):
            first = int(np.flatnonzero(dead & included)[0] if (dead & included).any()
                        else np.flatnonzero(dead)[0])
            who = ", ".join(map(str, ids[dead][:5]))
            raise ScenarioError(
                f"rule '{r.id}' requires: {who} can never be selected: "
                f"{_chain(first, r, deps, possible, excluded, ids)}",
                file=file,
            )


def _chain(
    start: int, rule: Rule, deps: Sequence[Rule], possible: np.ndarray, excluded: np.ndarray,
    ids: pd.Index,
) -> str:
    """Why partner ``start`` can never be selected, followed to the excluded partners at
    the end: "R05 requires D01 (rule 'a'); D01 requires D02 (rule 'b'); D02 is in
    constraints.must_exclude"."""

    def blocked(d: Rule, q: int) -> bool:
        if d.requires is None or not d.partners[q]:
            return False
        alt = d.requires.copy()
        alt[q] = False
        return not (alt & possible).any()

    steps: list[str] = []
    seen = {start}
    p: int | None = start
    r: Rule | None = rule
    out: list[str] = []
    while p is not None and r is not None and r.requires is not None:
        alt = np.flatnonzero(r.requires)
        alt = alt[alt != p]
        names = " or ".join(map(str, ids[alt][:5])) + (" ..." if len(alt) > 5 else "")
        steps.append(f"{ids[p]} requires {names} (rule '{r.id}')")
        out += [str(ids[a]) for a in alt if excluded[a] and str(ids[a]) not in out]
        onward = [int(a) for a in alt if not excluded[a] and int(a) not in seen]
        p = onward[0] if onward else None
        r = None if p is None else next((d for d in deps if blocked(d, p)), None)
        if p is not None:
            seen.add(p)
    if out:
        steps.append(f"{', '.join(out[:5])} {'is' if len(out) == 1 else 'are'} in "
                     "constraints.must_exclude")
    return "; ".join(steps)

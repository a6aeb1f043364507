"""The smallest way out of an infeasible scenario: for each limit a strategist can move,
the least change that makes the scenario feasible on its own.

:func:`find_relaxations` answers, for an instance no portfolio satisfies, one
:class:`Relaxation` per limit: its setting (the TOML path), today's value, the value
needed (``None`` when no value of that limit alone is enough) and a sentence.
:func:`apply_relaxation` turns one into the what-if scenario that carries it.

The model is :class:`~selector.portfolio.elastic.ElasticModel`: the solve's own MIP
with one elastic column per limit, solved in place once per limit (see its module).
:func:`find_relaxations` runs it within the time left and turns its answers into
sentences; when a limit is one of many (above ``FILTER_FROM`` limits) the elastic
filter first sets aside the limits that cannot help alone.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from selector.errors import ScenarioError
from selector.inputs.scenario import Scenario
from selector.portfolio.elastic import (
    RELAXATION_STATUSES,
    Answer,
    ElasticModel,
    Limit,
    Status,
)
from selector.portfolio.instance import PortfolioInstance

__all__ = [
    "MSG_NOT_SETTLED",
    "MSG_NO_SWITCH",
    "MSG_NO_VALUE",
    "MSG_WORKS",
    "RELAXATION_STATUSES",
    "Answer",
    "ElasticModel",
    "Relaxation",
    "WayOut",
    "apply_relaxation",
    "find_relaxations",
    "horizon_with",
    "relaxation_values",
    "show_value",
]

MSG_NO_VALUE = "No {what} makes the scenario feasible while the other limits stay as they are{why}."
MSG_NO_SWITCH = "{what} alone does not make the scenario feasible{why}."
MSG_WORKS = " (found when the time ran out: the least change that works lies between {low} and {high})"
MSG_NOT_SETTLED = "Whether {what} alone can make the scenario feasible was not settled within the time."
MSG_CANNOT_APPLY = "no value of {setting} makes the scenario feasible on its own: nothing to apply"

#: Share of the time left that the elastic filter may take.
FILTER_SHARE = 0.4
#: Above this many limits the elastic filter first sets aside the limits that cannot help
#: alone; below it each limit's own solve is quicker (vendor with a 20 % budget cut, 9
#: limits: about 1 s a limit, where the filter's rounds took 7 s and left 6 limits).
FILTER_FROM = 12


@dataclass(frozen=True)
class Relaxation:
    """The least change of one limit that makes an infeasible scenario feasible alone.

    ``setting`` is the limit's place in the scenario file (``budget.total``,
    ``programme.max_exits``, ``rules.<id>.min``, ...; ``path`` the same as keys),
    ``today`` its value, ``needed`` the value that makes the scenario feasible (``False``
    for a switch turned off or a rule dropped; ``None`` when no value works or it was not
    settled), ``status`` one of :data:`RELAXATION_STATUSES` and ``sentence`` the change
    in words; ``what`` names the limit ("the total budget") and ``unit`` says how its
    values read: ``money``, ``count``, ``share`` (0..1) or ``switch`` (on/off).
    """

    setting: str
    path: tuple[str, ...]
    today: float | int | bool
    needed: float | int | bool | None
    status: Status
    sentence: str
    what: str = ""
    unit: str = "count"

    @property
    def fixes(self) -> bool:
        """Whether changing this limit alone (to ``needed``) makes the scenario feasible."""
        return self.needed is not None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: ``setting``, ``today``, ``needed``, ``sentence``, ``status``,
        ``what``, ``unit`` and ``path``."""
        return {
            "setting": self.setting,
            "today": _plain(self.today),
            "needed": _plain(self.needed),
            "sentence": self.sentence,
            "status": self.status,
            "what": self.what,
            "unit": self.unit,
            "path": list(self.path),
        }


def _plain(v: Any) -> Any:
    if isinstance(v, bool | np.bool_):
        return bool(v)
    if isinstance(v, int | np.integer):
        return int(v)
    if isinstance(v, float | np.floating):
        return float(v) if math.isfinite(v) else None
    return v


@dataclass(frozen=True)
class WayOut:
    """What :func:`find_relaxations` found: a relaxation per limit, the limits that cannot
    all hold whatever the others are (``conflict``, as settings; empty when the rows no
    setting moves conflict by themselves, ``None`` when not settled), the solves and the
    seconds it took."""

    relaxations: tuple[Relaxation, ...]
    conflict: tuple[str, ...] | None
    solves: int
    seconds: float



def show_value(unit: str, v: float | int | bool | None, *, up: bool = True) -> str:
    """A limit's value as a strategist reads it: money in whole units (rounded up when
    the change raises it, ``up``, down otherwise: the shown value still works), a share
    as a percentage, a switch as on/off, ``-`` for no value."""
    if v is None:
        return "-"
    if unit == "switch":
        return "on" if v else "off"
    if unit == "money":
        x = round(float(v), 6)
        return f"{(math.ceil(x) if up else math.floor(x)):,.0f}"
    if unit in ("share", "ratio"):
        x = round(100 * float(v), 9) * 100
        return f"{(math.ceil(x) if up else math.floor(x)) / 100:.2f} %"
    return f"{int(v):,}"


def relaxation_values(r: Relaxation) -> tuple[str, str]:
    """A relaxation's today and needed values as :func:`show_value` reads them."""
    up = r.needed is None or isinstance(r.needed, bool) or float(r.needed) >= float(r.today)
    return show_value(r.unit, r.today, up=up), show_value(r.unit, r.needed, up=up)


def _show(limit: Limit, v: float | int | bool, *, up: bool) -> str:
    return show_value(limit.unit, v, up=up)


def _sentence(limit: Limit, answer: Answer, why: str) -> str:
    status, needed = answer.status, answer.needed
    if status == "none":
        if limit.unit == "switch":
            off = f"Dropping {limit.what}" if limit.path[0] == "rules" else f"Turning off {limit.what}"
            return MSG_NO_SWITCH.format(what=off, why=f": {why}" if why else "")
        return MSG_NO_VALUE.format(what=_value_of(limit), why=f": {why}" if why else "")
    if status == "unknown" or needed is None:
        return MSG_NOT_SETTLED.format(what=limit.what)
    if limit.unit == "switch":
        text = (f"Drop {limit.what}" if limit.path[0] == "rules"
                else f"Turn off {limit.what}") + f" ({limit.setting} = false)"
        return text + "."
    up = float(needed) >= float(limit.today)
    today, new = _show(limit, limit.today, up=up), _show(limit, needed, up=up)
    text = f"{'Raise' if up else 'Lower'} {limit.what} from {today} to {new} ({limit.setting} = {new})"
    if status == "least":
        return text + "."
    if answer.reach is None:
        return text + " (found when the time ran out: a smaller change may work too)."
    low, high = sorted([float(answer.reach), float(needed)])
    return text + MSG_WORKS.format(low=_show(limit, low, up=up), high=_show(limit, high, up=up)) + "."


def _value_of(limit: Limit) -> str:
    return {"the total budget": "total budget"}.get(limit.what, f"value of {limit.what}")


def find_relaxations(
    scenario: Scenario,
    inst: PortfolioInstance,
    *,
    time_limit: float,
    seed: int = 0,
    threads: int | None = None,
    elastic: ElasticModel | None = None,
    known: Mapping[str, Answer] | None = None,
) -> WayOut:
    """For an infeasible ``inst`` (of ``scenario``), the least change of each movable
    limit that makes it feasible alone, within ``time_limit`` seconds (the model's
    docstring says how). Relaxations come budget first, then the limit on exits, then
    the rest in the scenario file's order.

    ``elastic``: the model, when the caller has built it for ``inst`` already;
    ``known``: answers the caller has proved for this very scenario (by setting, e.g. a
    what-if session's least budget, which no other budget changes), not solved again.
    """
    t0 = time.perf_counter()

    def left() -> float:
        return time_limit - (time.perf_counter() - t0)

    if elastic is None:
        elastic = ElasticModel(scenario, inst, seed=seed, threads=threads)
    limits = elastic.limits
    answers: dict[int, Answer] = {k: known[lim.setting] for k, lim in enumerate(limits)
                                  if known and lim.setting in known}
    held = None
    if len(limits) > FILTER_FROM:
        held = elastic.conflicting(max(0.05, FILTER_SHARE * left()))
    # the strategist's two questions first: the budget, then the exits
    candidates = sorted((j for j in (range(len(limits)) if held is None else held) if j not in answers),
                        key=lambda j: (_FIRST.get(limits[j].setting, 2), j))
    for done, k in enumerate(candidates):
        seconds = left() / max(1, len(candidates) - done)
        answers[k] = elastic.least_change(k, seconds) if seconds > 0.05 else Answer("unknown")
    fixes = [j for j, a in answers.items() if a.needed is not None]
    out: list[Relaxation] = []
    for k, limit in enumerate(limits):
        answer = answers.get(k, Answer("none" if held is not None else "unknown"))
        why = _why_not(limits, k, held, fixes) if answer.status == "none" else ""
        out.append(Relaxation(limit.setting, limit.path, limit.today, answer.needed,
                              answer.status, _sentence(limit, answer, why), what=limit.what,
                              unit="share" if limit.unit == "ratio" else limit.unit))
    out.sort(key=lambda r: _FIRST.get(r.setting, 2))
    conflict = None if held is None else tuple(limits[k].setting for k in sorted(held))
    return WayOut(tuple(out), conflict, elastic.solves, time.perf_counter() - t0)


#: Settings listed first: the least extra budget, then the fewest extra exits.
_FIRST = {"budget.total": 0, "programme.max_exits": 1}


def _why_not(limits: Sequence[Limit], k: int, held: frozenset[int] | None, fixes: Sequence[int]) -> str:
    """Why no value of limit ``k`` alone is enough, in words."""
    # a rule that can never hold (its partners alone show it) blocks every other limit
    causes = [lim.cause for j, lim in enumerate(limits) if j != k and lim.cause]
    if causes:
        return causes[0]
    others = [j for j in sorted(held or ()) if j != k]
    alone = [limits[j].what for j in fixes if j != k]
    if alone:
        return f"change {_join(alone, 'or')} instead"
    if held is not None and k not in held and others:
        return _join([limits[j].what for j in others]) + " cannot all hold, whatever it is"
    if held is not None and not held:
        return ("the rules no setting moves (must-include, exclusions, conflicts) conflict "
                "by themselves")
    return "another limit has to change with it"


def _join(words: Sequence[str], conj: str = "and") -> str:
    words = list(words)
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + f" {conj} " + words[-1]


# --- applying one --------------------------------------------------------------------


def apply_relaxation(scenario: Scenario, relaxation: Relaxation) -> Scenario:
    """The what-if of ``scenario`` with ``relaxation``'s setting at its needed value
    (:meth:`Scenario.with_changes`); a rule's bound is changed in the rule list, a
    switched-off ``requires`` rule leaves it.

    Raises
    ------
    ScenarioError
        When the relaxation has no value to apply (no value of its limit alone works).
    """
    if relaxation.needed is None:
        raise ScenarioError(MSG_CANNOT_APPLY.format(setting=relaxation.setting))
    path, value = relaxation.path, _plain(relaxation.needed)
    if path[0] == "rules":
        return scenario.with_changes({"rules": _rules_with(scenario, path, value)})
    if path[0] == "horizon":
        return scenario.with_changes({"horizon": horizon_with(scenario, path, value)})
    change: Any = value
    for key in reversed(path):
        change = {key: change}
    return scenario.with_changes(change)


def _rules_with(scenario: Scenario, path: tuple[str, ...], value: Any) -> list[dict[str, Any]]:
    rules = [dict(r) for r in scenario.config.get("rules", []) or []]
    rid = path[1]
    at = next((i for i, r in enumerate(rules) if str(r.get("id")) == rid), None)
    if at is None:
        raise ScenarioError(f"the scenario has no rule '{rid}' to change")
    if len(path) == 2:
        del rules[at]
        return rules
    rule = rules[at]
    if "exactly" in rule:
        both = rule.pop("exactly")
        rule["min"], rule["max"] = both, both
    rule[path[2]] = value
    return rules


def horizon_with(scenario: Scenario, path: tuple[str, ...], value: Any) -> dict[str, Any]:
    """The scenario's ``[horizon]`` table with one year's limit (``path`` ends with the
    year, from 1) at ``value``: every year's value written out (``budget = { by_year =
    [...] }``, ``max_exits = [...]``), the others as the scenario resolves them."""
    horizon = scenario.horizon
    if horizon is None or not path[-1].isdigit():
        raise ScenarioError(f"the scenario has no horizon setting {'.'.join(path)} to change")
    year = int(path[-1])
    table = {k: v for k, v in scenario.config.get("horizon", {}).items()}
    if path[1:3] == ("budget", "by_year"):
        values: list[Any] = list(horizon.budgets)
        values[year - 1] = value
        table["budget"] = {"by_year": values}
    elif path[1] in ("max_exits", "max_recruits"):
        values = list(getattr(horizon, path[1]))
        values[year - 1] = value
        table[path[1]] = values
    else:
        raise ScenarioError(f"the scenario has no horizon setting {'.'.join(path)} to change")
    return table

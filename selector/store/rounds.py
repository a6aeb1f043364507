"""A judgment round's result: each participant's consistency, the group weights, consensus
and where people disagree; and the model with the group's judgments adopted.

Works on the round's submissions (:class:`~selector.store.api.JudgmentRecord`) and the
model version the round judges; everything numeric comes from :mod:`selector.ahp`
(:func:`~selector.ahp.weigh` per participant, :func:`~selector.ahp.merge` for AIJ and
AIP with the Shannon-entropy consensus).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from selector.ahp import AhpResult, GroupResult, merge
from selector.errors import JudgmentError
from selector.inputs.criteria import CriteriaModel, JudgmentSet

__all__ = [
    "Disagreement",
    "ParentResult",
    "RoundResult",
    "adopted_model",
    "round_result",
]


class _Submission(Protocol):
    @property
    def participant(self) -> str: ...

    @property
    def pairs(self) -> tuple[tuple[str, str, str, float], ...]: ...


@dataclass(frozen=True)
class Disagreement:
    """A pair the participants judged furthest apart.

    ``values`` holds each participant's judgment as "a is v times as important as b";
    ``spread`` is the largest over the smallest (1 = everyone agrees).
    """

    parent: str
    a: str
    b: str
    values: dict[str, float]
    spread: float


@dataclass(frozen=True)
class ParentResult:
    """The round at one parent node of the hierarchy."""

    parent: str
    items: tuple[str, ...]
    participants: dict[str, AhpResult]
    problems: dict[str, str]
    aij: GroupResult | None
    aip: GroupResult | None

    @property
    def consensus(self) -> float | None:
        return None if self.aij is None else self.aij.consensus


@dataclass(frozen=True)
class RoundResult:
    parents: tuple[ParentResult, ...]
    disagreements: tuple[Disagreement, ...]
    participants: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary (``selector round show --json``)."""

        def ahp(r: AhpResult) -> dict[str, Any]:
            top = r.revisions[0] if r.revisions else None
            return {
                "weights": r.weights,
                "cr": r.cr,
                "consistent": r.consistent,
                "revision": None if top is None else {
                    "a": top.row, "b": top.col, "current": top.current,
                    "suggested": top.suggested, "cr_after": top.cr_after,
                },
            }

        return {
            "participants": list(self.participants),
            "parents": [
                {
                    "parent": p.parent,
                    "items": list(p.items),
                    "participants": {k: ahp(v) for k, v in p.participants.items()},
                    "problems": dict(p.problems),
                    "aij": None if p.aij is None else p.aij.weights,
                    "aip": None if p.aip is None else p.aip.weights,
                    "consensus": p.consensus,
                    "aij_cr": None if p.aij is None or p.aij.merged is None else p.aij.merged.cr,
                }
                for p in self.parents
            ],
            "disagreements": [dataclasses.asdict(d) for d in self.disagreements],
        }


def _by_parent(
    submissions: Sequence[_Submission],
) -> dict[str, dict[str, dict[tuple[str, str], float]]]:
    out: dict[str, dict[str, dict[tuple[str, str], float]]] = {}
    for sub in submissions:
        for parent, a, b, v in sub.pairs:
            out.setdefault(parent, {}).setdefault(sub.participant, {})[(a, b)] = float(v)
    return out


def round_result(
    model: CriteriaModel, submissions: Sequence[_Submission], *, top: int = 5
) -> RoundResult:
    """Each participant's weights and CR, group weights (AIJ, AIP), consensus and the
    ``top`` most disputed pairs, at every parent the participants judged."""
    grouped = _by_parent(submissions)
    parents: list[ParentResult] = []
    disagreements: list[Disagreement] = []
    for parent in model.parents:
        items = model.children(parent)
        if len(items) < 2 or parent not in grouped:
            continue
        usable: dict[str, dict[tuple[str, str], float]] = {}
        results: dict[str, AhpResult] = {}
        problems: dict[str, str] = {}
        for who, pairs in grouped[parent].items():
            try:
                one = merge({who: pairs}, items=items, priority=model.method, ri=model.ri,
                            threshold=model.threshold)
            except JudgmentError as exc:
                problems[who] = str(exc)
                continue
            results[who] = one.experts[who]
            usable[who] = pairs
        aij = aip = None
        if usable:
            kw: dict[str, Any] = {"items": items, "priority": model.method, "ri": model.ri,
                                  "threshold": model.threshold}
            aij = merge(usable, method="aij", **kw)
            aip = merge(usable, method="aip", **kw)
        parents.append(ParentResult(parent, items, results, problems, aij, aip))
        # Disagreement: each pair read as "a over b" in the children's order.
        for i, a in enumerate(items):
            for b in items[i + 1:]:
                values: dict[str, float] = {}
                for who, pairs in usable.items():
                    if (a, b) in pairs:
                        values[who] = pairs[(a, b)]
                    elif (b, a) in pairs:
                        values[who] = 1.0 / pairs[(b, a)]
                if len(values) >= 2:
                    spread = max(values.values()) / min(values.values())
                    disagreements.append(Disagreement(parent, a, b, values, spread))
    disagreements.sort(key=lambda d: (-d.spread, d.parent, d.a, d.b))
    people = tuple(sorted({s.participant for s in submissions}))
    disputed = tuple(d for d in disagreements if d.spread > 1 + 1e-9)[:top]
    return RoundResult(tuple(parents), disputed, people)


def adopted_model(model: CriteriaModel, submissions: Sequence[_Submission]) -> CriteriaModel:
    """The model with each judged parent's judgments replaced by every participant's own
    (one judgment set per participant, equal weights; scoring merges them by AIJ).
    Parents nobody judged keep the model's judgments."""
    grouped = _by_parent(submissions)
    usable: dict[str, dict[str, dict[tuple[str, str], float]]] = {}
    for parent, people in grouped.items():
        for who, pairs in people.items():
            try:
                merge({who: pairs}, items=model.children(parent))
            except JudgmentError:
                continue  # incomplete or off-scale at this parent: not adopted here
            usable.setdefault(parent, {})[who] = pairs
    sets: list[JudgmentSet] = [j for j in model.judgments if j.parent not in usable]
    for parent in model.parents:
        for who, pairs in sorted(usable.get(parent, {}).items()):
            sets.append(JudgmentSet(
                parent=parent, pairs=tuple((a, b, v) for (a, b), v in pairs.items()),
                expert=who, weight=1.0,
            ))
    return dataclasses.replace(model, judgments=tuple(sets), source=None)

"""What the workspace hands back: plain frozen records, no database session attached,
and how each is made from its table row."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from selector.store.schema import JudgmentRow, ModelVersion, RoundRow, RunRow, WhatIfRow
from selector.store.serialize import without_file_keys

__all__ = [
    "JudgmentRecord",
    "ModelRecord",
    "RoundRecord",
    "RunRecord",
    "ScenarioRecord",
    "WhatIfRecord",
    "aware",
    "judgment_record",
    "model_record",
    "now",
    "repeats",
    "round_record",
    "run_record",
    "whatif_record",
]


def now() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime) -> datetime:
    """``value`` with its time zone (SQLite gives times back without one: they are UTC)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class ModelRecord:
    id: int
    name: str
    version: int
    author: str
    note: str
    created_at: datetime
    sha256: str
    parent_id: int | None
    #: Returned by a save that added nothing: this version already had the content.
    unchanged: bool = False
    #: Returned by a save that repeated the newest version's content: its version number.
    same_as: int | None = None


@dataclass(frozen=True)
class ScenarioRecord:
    id: int
    name: str
    version: int
    fingerprint: str
    author: str
    note: str
    created_at: datetime
    model_version_id: int | None
    tables: dict[str, str]  # role -> file name
    #: Returned by a save that added nothing: this version already had the content.
    unchanged: bool = False
    #: Returned by a save that repeated the newest version's content: its version number.
    same_as: int | None = None


@dataclass(frozen=True)
class RunRecord:
    id: int
    label: str
    scenario_version_id: int | None
    fingerprint: str
    options: dict[str, Any]
    status: str
    objective: float | None
    bound: float | None
    gap: float | None
    wall_seconds: float
    build_seconds: float
    package_version: str
    author: str
    created_at: datetime
    result: dict[str, Any] = field(repr=False)

    @property
    def selected(self) -> list[str]:
        return list(self.result.get("selected", []))

    @property
    def plan(self) -> list[dict[str, Any]] | None:
        plan = self.result.get("plan")
        return None if plan is None else list(plan)


@dataclass(frozen=True)
class WhatIfRecord:
    id: int
    name: str
    version: int
    scenario_version_id: int
    changes: dict[str, Any]
    judgments: dict[str, Any]
    run_id: int | None
    author: str
    note: str
    created_at: datetime


@dataclass(frozen=True)
class RoundRecord:
    id: int
    title: str
    model_version_id: int
    facilitator: str
    status: str
    adopted_model_version_id: int | None
    created_at: datetime


@dataclass(frozen=True)
class JudgmentRecord:
    """One participant's submission: ``pairs`` holds ``(parent, a, b, value)``."""

    id: int
    round_id: int | None
    model_version_id: int
    participant: str
    source: str
    pairs: tuple[tuple[str, str, str, float], ...]
    created_at: datetime


def repeats(latest_author: str, latest_note: str, author: str, note: str) -> bool:
    """Whether saving the newest version's content again adds nothing: the same author,
    and no note or the same one."""
    return latest_author == author and note in ("", latest_note)


def model_record(r: ModelVersion) -> ModelRecord:
    return ModelRecord(r.id, r.name, r.version, r.author, r.note, aware(r.created_at),
                       r.sha256, r.parent_id)


def run_record(r: RunRow) -> RunRecord:
    return RunRecord(
        id=r.id, label=r.label, scenario_version_id=r.scenario_version_id,
        fingerprint=r.fingerprint, options=dict(r.options), status=r.status,
        objective=r.objective, bound=r.bound, gap=r.gap, wall_seconds=r.wall_seconds,
        build_seconds=r.build_seconds, package_version=r.package_version, author=r.author,
        created_at=aware(r.created_at), result=dict(r.result),
    )


def whatif_record(r: WhatIfRow) -> WhatIfRecord:
    # A stored what-if never names a file: such keys are dropped as they are read.
    changes = without_file_keys(r.changes) if isinstance(r.changes, dict) else {}
    return WhatIfRecord(r.id, r.name, r.version, r.scenario_version_id, changes,
                        dict(r.judgments), r.run_id, r.author, r.note, aware(r.created_at))


def round_record(r: RoundRow) -> RoundRecord:
    return RoundRecord(r.id, r.title, r.model_version_id, r.facilitator, r.status,
                       r.adopted_model_version_id, aware(r.created_at))


def judgment_record(r: JudgmentRow) -> JudgmentRecord:
    pairs = tuple((str(p), str(a), str(b), float(v)) for p, a, b, v in r.pairs)
    return JudgmentRecord(r.id, r.round_id, r.model_version_id, r.participant, r.source, pairs,
                          aware(r.created_at))

"""Judgment rounds in the workspace, and who may do what in one.

Whoever opens a round is its facilitator: only they adopt the group's judgments or
close the round. Everyone else is a participant: each submits, and later replaces,
their own judgments only (a later submission supersedes the earlier one for the group
result; both are kept). Who someone is comes from the store
(:attr:`~selector.store._base.StoreBase.user`), never from an argument, and these
checks are made here, once, for the command line and the app alike; a refusal is a
:class:`~selector.store.engine.RoleError` naming the round and who may do it. On
PostgreSQL the database holds the same line for anyone writing SQL directly
(migration ``0003``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from selector.inputs.criteria import CriteriaModel
from selector.store._base import MAX_NAME, checked_text, get_row
from selector.store.criteria_models import ModelStore
from selector.store.engine import RoleError, StoreError
from selector.store.records import (
    JudgmentRecord,
    ModelRecord,
    RoundRecord,
    judgment_record,
    model_record,
    now,
    round_record,
)
from selector.store.schema import JudgmentRow, ModelVersion, RoundRow

__all__ = ["RoundStore", "check_pairs"]


class RoundStore(ModelStore):
    """Judgment rounds (part of :class:`~selector.store.api.Store`)."""

    def open_round(self, model_version: int, *, title: str = "") -> RoundRecord:
        """Open a judgment round on a saved model version; this store's user is its
        facilitator."""
        who = self.user
        checked_text(title, "round title")

        def work(s: Session) -> RoundRecord:
            mv = get_row(s, ModelVersion, model_version)
            if mv is None:
                raise StoreError(f"no saved model version {model_version}")
            row = RoundRow(title=title or f"{mv.name} v{mv.version}"[:MAX_NAME],
                           model_version_id=mv.id,
                           facilitator=who, status="open", created_at=now())
            s.add(row)
            s.flush()
            return round_record(row)

        return self._write(work)

    def rounds(self) -> list[RoundRecord]:
        with self._read() as s:
            q = select(RoundRow).order_by(RoundRow.created_at.desc(), RoundRow.id.desc())
            return [round_record(r) for r in s.scalars(q)]

    def round(self, round_id: int) -> RoundRecord:
        with self._read() as s:
            row = get_row(s, RoundRow, round_id)
            if row is None:
                raise StoreError(f"no judgment round {round_id}")
            return round_record(row)

    def submit_judgments(
        self, round_id: int, pairs: Sequence[tuple[str, str, str, float]], *,
        participant: str | None = None, source: str = "api",
    ) -> JudgmentRecord:
        """Record this store's user's judgments ``(parent, a, b, value)`` in an open round.

        ``participant`` is whom the judgments are said to be from (a questionnaire names
        its participant): anyone but this store's user is refused.

        Raises
        ------
        RoleError
            ``participant`` is someone else.
        """
        who = self.user
        if participant is not None and participant.strip() not in ("", who):
            raise RoleError(
                f"judgment round {round_id}: only {participant.strip()} may submit or replace "
                f"{participant.strip()}'s judgments; you are {who}"
            )
        checked_text(source, "source", limit=40)
        model = self.load_model(self.round(round_id).model_version_id)
        clean_pairs = check_pairs(model, pairs)

        def work(s: Session) -> JudgmentRecord:
            rnd = get_row(s, RoundRow, round_id)
            if rnd is None:
                raise StoreError(f"no judgment round {round_id}")
            if rnd.status != "open":
                raise StoreError(f"judgment round {round_id} is {rnd.status}, not open")
            row = JudgmentRow(round_id=rnd.id, model_version_id=rnd.model_version_id,
                              participant=who, source=source, pairs=clean_pairs,
                              created_at=now())
            s.add(row)
            s.flush()
            return judgment_record(row)

        return self._write(work)

    def judgments(self, round_id: int, *, latest: bool = True) -> list[JudgmentRecord]:
        """The round's submissions (by default each participant's latest), by name."""
        with self._read() as s:
            rows = list(s.scalars(
                select(JudgmentRow).where(JudgmentRow.round_id == round_id)
                .order_by(JudgmentRow.created_at, JudgmentRow.id)
            ))
        records = [judgment_record(r) for r in rows]
        if not latest:
            return records
        newest: dict[str, JudgmentRecord] = {}
        for r in records:
            newest[r.participant] = r
        return [newest[k] for k in sorted(newest)]

    def may_facilitate(self, rnd: RoundRecord) -> bool:
        """Whether this store's user may adopt or close ``rnd`` (they opened it)."""
        return rnd.facilitator == self.user

    def _facilitator_only(self, rnd: RoundRecord, action: str) -> None:
        if not self.may_facilitate(rnd):
            raise RoleError(
                f"judgment round {rnd.id} ({rnd.title}): only its facilitator, "
                f"{rnd.facilitator}, may {action} it; you are {self.user}"
            )
        if rnd.status != "open":
            raise StoreError(f"judgment round {rnd.id} is {rnd.status}, not open")

    def adopt_round(
        self, round_id: int, *, participants: Sequence[str] | None = None
    ) -> ModelRecord:
        """Make the group result the model's judgments: a new model version whose
        judgments are each participant's (merged by AIJ when weighed), and close the
        round. Only the round's facilitator may.

        Raises
        ------
        RoleError
            This store's user is not the round's facilitator.
        """
        rnd = self.round(round_id)
        self._facilitator_only(rnd, "adopt")
        who = self.user
        model = self.load_model(rnd.model_version_id)
        subs = self.judgments(round_id)
        if participants is not None:
            subs = [j for j in subs if j.participant in set(participants)]
        if not subs:
            raise StoreError(f"judgment round {round_id} has no judgments to adopt")
        from selector.store.rounds import adopted_model

        new_model = adopted_model(model, subs)

        def work(s: Session) -> ModelRecord:
            row = self._open_row(s, round_id)
            mv = self._save_model(
                s, new_model, who, f"group judgments of round {round_id} "
                f"({', '.join(j.participant for j in subs)})", rnd.model_version_id,
            )
            row.status = "adopted"
            row.adopted_model_version_id = mv.id
            s.flush()
            return model_record(mv)

        return self._write(work)

    def close_round(self, round_id: int) -> RoundRecord:
        """Close a round without adopting its judgments (they stay in the workspace).
        Only the round's facilitator may.

        Raises
        ------
        RoleError
            This store's user is not the round's facilitator.
        """
        self._facilitator_only(self.round(round_id), "close")

        def work(s: Session) -> RoundRecord:
            row = self._open_row(s, round_id)
            row.status = "closed"
            s.flush()
            return round_record(row)

        return self._write(work)

    @staticmethod
    def _open_row(s: Session, round_id: int) -> RoundRow:
        row = get_row(s, RoundRow, round_id)
        if row is None:
            raise StoreError(f"no judgment round {round_id}")
        if row.status != "open":
            raise StoreError(f"judgment round {round_id} is {row.status}, not open")
        return row


def check_pairs(
    model: CriteriaModel, pairs: Sequence[tuple[str, str, str, float]]
) -> list[list[Any]]:
    """``pairs`` as stored: each ``[parent, a, b, value]`` checked against ``model``."""
    out: list[list[Any]] = []
    for k, item in enumerate(pairs, start=1):
        try:
            parent, a, b, value = item
        except (TypeError, ValueError):
            raise StoreError(f"judgment {k}: {item!r}; accepted: (parent, a, b, value)") from None
        children = model.children(str(parent))
        if len(children) < 2:
            raise StoreError(f"judgment {k}: {parent!r} has no sub-criteria to compare")
        if a not in children or b not in children or a == b:
            raise StoreError(
                f"judgment {k}: {a!r} and {b!r} are not two sub-criteria of {parent!r} "
                f"(accepted: {', '.join(children)})"
            )
        v = float(value)
        if not 1 / 9 - 1e-9 <= v <= 9 + 1e-9:
            raise StoreError(f"judgment {k}: {value!r} is outside Saaty's scale 1/9..9")
        out.append([str(parent), str(a), str(b), v])
    if not out:
        raise StoreError("no judgments given")
    return out

"""Saved criteria models: each save a new version of the model's name, its TOML text
kept as a content blob (see :mod:`selector.store.api` for content equal to the newest
version)."""

from __future__ import annotations

import dataclasses
import tomllib

from sqlalchemy import select
from sqlalchemy.orm import Session

from selector.inputs.criteria import CriteriaModel, model_from_dict
from selector.store._base import StoreBase, checked_text, get_row
from selector.store.engine import StoreError
from selector.store.records import ModelRecord, model_record, now, repeats
from selector.store.schema import ModelVersion
from selector.store.serialize import model_toml, sha256

__all__ = ["ModelStore"]


class ModelStore(StoreBase):
    """Criteria model versions (part of :class:`~selector.store.api.Store`)."""

    @staticmethod
    def _latest_model(session: Session, name: str) -> ModelVersion | None:
        return session.scalars(
            select(ModelVersion).where(ModelVersion.name == name)
            .order_by(ModelVersion.version.desc()).limit(1)
        ).first()

    def _save_model(
        self, session: Session, model: CriteriaModel, author: str, note: str,
        parent_id: int | None, name: str | None = None, *, reuse: bool = True,
    ) -> ModelVersion:
        """A new version of the model; with ``reuse``, the newest version when it has the
        same content (a scenario's model saved along with it)."""
        name_ = checked_text(name or model.name, "model name")
        data = model_toml(model)
        digest = self._blob(session, data)
        latest = self._latest_model(session, name_)
        if reuse and latest is not None and latest.sha256 == digest and parent_id is None:
            return latest
        row = ModelVersion(
            name=name_, version=self._next_version(session, ModelVersion, name_), sha256=digest,
            author=author, note=note, created_at=now(), parent_id=parent_id,
        )
        session.add(row)
        session.flush()
        return row

    def save_model(
        self, model: CriteriaModel, *, note: str = "", name: str | None = None
    ) -> ModelRecord:
        """Save a criteria model as a new version of its name (see the module notes for
        content equal to the newest version)."""
        who = self.user
        checked_text(note, "note", limit=None)
        name_ = checked_text(name or model.name, "model name")
        digest = sha256(model_toml(model))

        def work(s: Session) -> ModelRecord:
            latest = self._latest_model(s, name_)
            same = latest is not None and latest.sha256 == digest
            if latest is not None and same and repeats(latest.author, latest.note, who, note):
                return dataclasses.replace(model_record(latest), unchanged=True)
            record = model_record(self._save_model(s, model, who, note, None, name_, reuse=False))
            return dataclasses.replace(record, same_as=latest.version) if latest and same else record

        return self._write(work)

    def models(self, name: str | None = None) -> list[ModelRecord]:
        """Saved model versions, newest first."""
        with self._read() as s:
            q = select(ModelVersion).order_by(ModelVersion.created_at.desc(), ModelVersion.id.desc())
            if name is not None:
                q = q.where(ModelVersion.name == name)
            return [model_record(r) for r in s.scalars(q)]

    def model_record(self, model_version: int) -> ModelRecord:
        with self._read() as s:
            row = get_row(s, ModelVersion, model_version)
            if row is None:
                raise StoreError(f"no saved model version {model_version}")
            return model_record(row)

    def load_model(self, model_version: int) -> CriteriaModel:
        """The criteria model of a saved version."""
        with self._read() as s:
            row = get_row(s, ModelVersion, model_version)
            if row is None:
                raise StoreError(f"no saved model version {model_version}")
            text = self._blob_bytes(s, row.sha256).decode("utf-8")
        return model_from_dict(tomllib.loads(text), source=f"workspace model {model_version}")

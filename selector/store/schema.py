"""The workspace's tables (SQLAlchemy 2 declarative models).

Nothing here is ever updated in place except a judgment round's status: every save
adds rows. A saved thing has a name and numbered versions (``version`` 1, 2, ...; the
pair is unique, so two writers saving the same name at once cannot both get one
number). Table data and criteria models are kept once per content hash in ``blobs``
(gzip'd bytes), so versions that share a table share its row.

The Alembic migrations in ``selector/store/migrations/versions`` create exactly these
tables; ``tests/store`` checks that the migrated schema and this module agree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "Base",
    "Blob",
    "JudgmentRow",
    "ModelVersion",
    "RoundRow",
    "RunRow",
    "ScenarioTable",
    "ScenarioVersion",
    "WhatIfRow",
]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Blob(Base):
    """Content-addressed bytes: a table file or a criteria model's TOML, gzip'd."""

    __tablename__ = "blobs"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class ModelVersion(Base):
    """One saved version of a criteria model (its TOML text is a blob)."""

    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("name", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    author: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("model_versions.id"), nullable=True)


class ScenarioVersion(Base):
    """One saved version of a scenario: its settings, its model and its tables."""

    __tablename__ = "scenario_versions"
    __table_args__ = (UniqueConstraint("name", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[int] = mapped_column(Integer)
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    model_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("model_versions.id"), nullable=True
    )
    author: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ScenarioTable(Base):
    """A data table of a scenario version: its role, file name and content blob."""

    __tablename__ = "scenario_tables"
    scenario_version_id: Mapped[int] = mapped_column(
        ForeignKey("scenario_versions.id"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(20), primary_key=True)
    filename: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))


class RoundRow(Base):
    """A judgment round: a facilitator asks participants to judge one model version."""

    __tablename__ = "rounds"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    model_version_id: Mapped[int] = mapped_column(ForeignKey("model_versions.id"))
    facilitator: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="open")
    adopted_model_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("model_versions.id"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class JudgmentRow(Base):
    """One participant's judgments on one model version (a new row per submission)."""

    __tablename__ = "judgment_sets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id"), nullable=True)
    model_version_id: Mapped[int] = mapped_column(ForeignKey("model_versions.id"))
    participant: Mapped[str] = mapped_column(String(200), index=True)
    source: Mapped[str] = mapped_column(String(40))
    pairs: Mapped[list[Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RunRow(Base):
    """A solve: what went in (fingerprint, options), what came out, how long it took."""

    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    scenario_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("scenario_versions.id"), nullable=True
    )
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    options: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20))
    objective: Mapped[float | None] = mapped_column(Float, nullable=True)
    bound: Mapped[float | None] = mapped_column(Float, nullable=True)
    gap: Mapped[float | None] = mapped_column(Float, nullable=True)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    wall_seconds: Mapped[float] = mapped_column(Float)
    build_seconds: Mapped[float] = mapped_column(Float)
    package_version: Mapped[str] = mapped_column(String(40))
    author: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WhatIfRow(Base):
    """A named what-if: a saved scenario version plus changes and edited judgments."""

    __tablename__ = "whatifs"
    __table_args__ = (UniqueConstraint("name", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[int] = mapped_column(Integer)
    scenario_version_id: Mapped[int] = mapped_column(ForeignKey("scenario_versions.id"))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    judgments: Mapped[dict[str, Any]] = mapped_column(JSON)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), nullable=True)
    author: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

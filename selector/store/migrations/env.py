"""Alembic environment: run by :func:`selector.store.engine.migrate` with a live connection.

The connection comes in ``config.attributes["connection"]``; there is no alembic.ini
and no offline (SQL script) mode.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from selector.store.schema import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reached when run by the alembic CLI
    raise RuntimeError("run the migrations through selector.store (open_store), not alembic")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    if connection.dialect.name == "postgresql":
        # Two processes opening a new database at once: the second waits, then finds
        # the schema at head and does nothing.
        connection.execute(text("SELECT pg_advisory_xact_lock(7215)"))
    context.run_migrations()

"""Alembic environment: runs on the connection that storage.migrate hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from storage.models import Base

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("run migrations through `claimbot db upgrade` (storage.migrate), not the alembic CLI")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()

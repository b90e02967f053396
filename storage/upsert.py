"""``INSERT ... ON CONFLICT DO NOTHING`` for SQLite and PostgreSQL alike."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Base


def insert_ignore(session: AsyncSession, model: type[Base], rows: list[dict[str, Any]]) -> Any:
    """An insert of ``rows`` that skips rows violating a unique constraint (race-free on both backends)."""
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    return module.insert(model).values(rows).on_conflict_do_nothing()


def ignoring_conflicts(session: AsyncSession, model: type[Base]) -> Any:
    """The same statement without values, for ``session.execute(stmt, rows)`` (one executemany, cached)."""
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    return module.insert(model.__table__).on_conflict_do_nothing()

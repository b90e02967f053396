"""Engines and sessions: SQLite (WAL, foreign keys, busy timeout) by default, or any async URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from storage.errors import DatabaseConfigError as DatabaseConfigError


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for other backends, in-memory databases and non-URLs."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None  # create_engine says what is wrong with it
    if not parsed.drivername.startswith("sqlite") or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An engine for ``url``; SQLite files get WAL mode and their folder must exist."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseConfigError(f"database.url {url!r} is not a SQLAlchemy URL") from None
    if parsed.drivername == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    path = sqlite_path(parsed.render_as_string(hide_password=False))
    if path is not None and not path.parent.is_dir():
        raise DatabaseConfigError(
            f"database folder {path.parent} does not exist; create it or set database.url"
        )
    kwargs: dict[str, Any] = {"echo": echo}
    if parsed.drivername.startswith("postgresql"):
        kwargs.update(pool_pre_ping=True, pool_size=10, max_overflow=10)
    try:
        engine = create_async_engine(parsed, **kwargs)
    except (ArgumentError, ImportError) as exc:
        raise DatabaseConfigError(f"database.url {parsed!r} cannot be used: {exc}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)

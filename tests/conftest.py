"""Shared fixtures: a fresh database per test on SQLite and (where reachable) PostgreSQL, and settings.

PostgreSQL tests use ``CLAIMBOT_TEST_DATABASE_URL`` (default: the local server, database ``test``); each
test gets a database of its own, dropped afterwards. With no server they skip, except under CI (``CI=true``),
where that is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from bot.settings import Settings, load_settings
from storage.db import create_engine, create_sessionmaker
from storage.migrate import upgrade

PG_URL = os.environ.get("CLAIMBOT_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
_pg_state: dict[str, str | None] = {}


async def _pg_problem() -> str | None:
    """None when the PostgreSQL server answers, else why not (checked once per session)."""
    if "problem" not in _pg_state:
        engine = create_async_engine(PG_URL, pool_pre_ping=False)
        try:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            _pg_state["problem"] = None
        except Exception as exc:  # any failure means "not reachable" here
            _pg_state["problem"] = f"{type(exc).__name__}: {exc}".splitlines()[0]
        finally:
            await engine.dispose()
    return _pg_state["problem"]


async def _admin(statement: str) -> None:
    engine = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A URL to an empty database of this test's own, on each backend."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'claimbot.db'}"
        return
    async for url in _fresh_pg_database():
        yield url


async def _fresh_pg_database() -> AsyncIterator[str]:
    problem = await _pg_problem()
    if problem is not None:
        message = f"PostgreSQL at {make_url(PG_URL).render_as_string()} is not reachable ({problem})"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; CI needs it")
        pytest.skip(message)
    name = f"claimbot_t_{uuid.uuid4().hex[:12]}"
    await _admin(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database for tests that only make sense there (several processes)."""
    async for url in _fresh_pg_database():
        yield url


@dataclass(frozen=True)
class Db:
    url: str
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name


async def _migrated(url: str) -> AsyncIterator[Db]:
    engine = create_engine(url)
    await upgrade(engine)
    try:
        yield Db(url, engine, create_sessionmaker(engine))
    finally:
        await engine.dispose()


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Db]:
    """A migrated database on each backend."""
    async for migrated in _migrated(database_url):
        yield migrated


@pytest.fixture
async def pg_db(pg_url: str) -> AsyncIterator[Db]:
    """A migrated PostgreSQL database, for tests that only make sense there."""
    async for migrated in _migrated(pg_url):
        yield migrated


def make_settings(database_url: str, **overrides: Any) -> Settings:
    """Settings for tests: local feeds allowed, short timeouts, no token; ``overrides`` per section."""
    sections: dict[str, dict[str, Any]] = {
        "database": {"url": database_url},
        "feeds": {"allow_private_networks": True, "timeout": 2.0, "connect_timeout": 1.0, "jitter": 0.0},
        "telegram": {"token": ""},
    }
    for section, values in overrides.items():
        sections.setdefault(section, {}).update(values)
    return load_settings(None, **sections)


@pytest.fixture
def settings(db: Db) -> Settings:
    return make_settings(db.url)


@pytest.fixture(autouse=True)
def _no_ambient_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see the developer's token or CLAIMBOT_* variables."""
    for key in list(os.environ):
        if key.startswith("CLAIMBOT_") and key != "CLAIMBOT_TEST_DATABASE_URL" or key == "BOT_TOKEN":
            monkeypatch.delenv(key, raising=False)

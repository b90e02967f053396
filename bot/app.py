"""The composition root: settings → database → HTTP client → transport → poller/sender → scheduler.

Nothing here runs at import time; every command builds what it needs and tears it down in reverse.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import multiprocessing
import os
import socket
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.alerts.console import ConsoleTransport
from bot.alerts.send import Sender, Transport
from bot.lifeline import exit_with
from bot.pipeline.claimset import ClaimSet
from bot.pipeline.fetch import FeedClient
from bot.pipeline.poll import Poller, TickSummary, run_tick
from bot.settings import Settings, default_data_dir
from storage import chats
from storage.db import DatabaseConfigError, create_engine, create_sessionmaker, sqlite_path
from storage.migrate import upgrade

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Database:
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]


@contextlib.asynccontextmanager
async def open_database(
    settings: Settings, *, migrate: bool = True, existing: bool = False
) -> AsyncIterator[Database]:
    """The configured database, schema brought up to date; errors become one-line DatabaseConfigError.

    ``existing``: a command that only reads (or changes rows that must be there) never creates a database.
    """
    if existing and (path := missing_database(settings)) is not None:
        raise DatabaseConfigError(
            f"no database at {path} yet: nothing to show; add feeds or claims first, or set database.url"
        )
    if not settings.database.url:
        default_data_dir().mkdir(parents=True, exist_ok=True)
    engine = create_engine(settings.database_url, echo=settings.database.echo)
    try:
        try:
            if migrate:
                await ensure_schema(engine)
            else:
                async with engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
        except (OperationalError, DBAPIError, OSError) as exc:
            raise DatabaseConfigError(
                f"cannot open the database {engine.url!r}: {_first_line(exc)}"
            ) from None
        yield Database(engine, create_sessionmaker(engine))
    finally:
        await engine.dispose()


def missing_database(settings: Settings) -> Path | None:
    """The configured SQLite file when it does not exist (yet, or any more); None otherwise."""
    path = sqlite_path(settings.database_url)
    return path if path is not None and not path.is_file() else None


async def ensure_schema(engine: AsyncEngine) -> None:
    """Apply pending migrations; on PostgreSQL an advisory lock keeps concurrent starters in line."""
    if engine.dialect.name == "postgresql":
        async with engine.connect() as conn:
            await conn.execute(text("SELECT pg_advisory_lock(7243101)"))
            try:
                await upgrade(engine)
            finally:
                await conn.execute(text("SELECT pg_advisory_unlock(7243101)"))
                await conn.commit()
    else:
        await upgrade(engine)


def _first_line(exc: BaseException) -> str:
    message = str(getattr(exc, "orig", None) or exc)
    return message.strip().splitlines()[0] if message.strip() else type(exc).__name__


@contextlib.contextmanager
def single_process_lock(settings: Settings) -> Iterator[None]:
    """SQLite is single-process: a second daemon on the same file is refused with a clear message."""
    path = sqlite_path(settings.database_url)
    if path is None:
        yield
        return
    if not settings.database.url:
        path.parent.mkdir(parents=True, exist_ok=True)
    if not path.parent.is_dir():
        raise DatabaseConfigError(
            f"database folder {path.parent} does not exist; create it or set database.url"
        )
    lock_path = Path(f"{path}.lock")
    try:
        handle = lock_path.open("a")
    except OSError as exc:
        raise DatabaseConfigError(
            f"cannot create {lock_path}: {exc.strerror}; make its folder writable or set database.url"
        ) from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DatabaseConfigError(
                f"another claimbot process is using {path}; SQLite allows one process — "
                "use PostgreSQL (database.url) to run several"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def prepare_chats(db: Database, settings: Settings) -> None:
    """With no token the console chat receives every alert; with one it is switched off."""
    async with db.sessionmaker.begin() as session:
        await chats.ensure_console_chat(session)
        await chats.set_console_active(session, not settings.has_token)


def make_transport(settings: Settings, console: ConsoleTransport | None = None) -> Transport:
    if settings.has_token:
        from bot.telegram.transport import TelegramTransport

        return TelegramTransport.from_settings(settings)
    return console or ConsoleTransport()


@contextlib.contextmanager
def parse_executor(settings: Settings) -> Iterator[Executor | None]:
    """Processes that parse feeds off the event loop (``feeds.parse_workers``; 0: the loop's threads)."""
    workers = settings.feeds.parse_workers
    if workers == 0:
        yield None
        return
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=exit_with, initargs=(os.getpid(),)
    ) as pool:
        yield pool


async def poll_once(
    settings: Settings,
    db: Database,
    client: FeedClient,
    transport: Transport,
    claims: ClaimSet | None = None,
    executor: Executor | None = None,
) -> TickSummary:
    """One tick over every due feed, then one drain of the outbox."""
    poller = Poller(
        db.sessionmaker,
        client,
        claims or ClaimSet(settings.matching),
        settings,
        executor,
        notify=settings.telegram.admins,
    )
    summary = await run_tick(poller, owner=worker_name())
    await Sender(db.sessionmaker, transport, settings.delivery).drain()
    return summary


async def run_once(settings: Settings) -> TickSummary:
    """``claimbot run --once``: poll every due feed, drain the outbox, take no Telegram updates."""
    with single_process_lock(settings), parse_executor(settings) as executor:
        async with open_database(settings) as db, FeedClient(settings.feeds) as client:
            await prepare_chats(db, settings)
            transport = make_transport(settings)
            try:
                return await poll_once(settings, db, client, transport, executor=executor)
            finally:
                await close_transport(transport)


async def close_transport(transport: Transport) -> None:
    close = getattr(transport, "close", None)
    if close is not None:
        await close()

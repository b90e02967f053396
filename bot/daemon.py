"""``claimbot run``: the scheduler (feeds, pruning), the sender (outbox) and the Telegram bot in one process.

SIGTERM/SIGINT stop it within ``daemon.grace`` seconds: no new jobs, running feed transactions finish or
roll back, unsent deliveries stay pending. A second signal exits at once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from datetime import UTC, datetime
from typing import Literal

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.exc import DBAPIError

from bot.alerts.send import Sender, Transport
from bot.app import (
    Database,
    _first_line,
    close_transport,
    ensure_schema,
    make_transport,
    open_database,
    parse_executor,
    prepare_chats,
    single_process_lock,
    worker_name,
)
from bot.health import health_server
from bot.pipeline.claimset import ClaimSet
from bot.pipeline.fetch import FeedClient
from bot.pipeline.poll import Poller, run_tick
from bot.prune import prune
from bot.settings import Settings
from storage.db import DatabaseConfigError, sqlite_path

logger = logging.getLogger(__name__)

Role = Literal["all", "worker", "bot"]


class _Database:
    """The database as the jobs see it: an outage is logged once with its cause, then one short line per
    retry; the jobs back off exponentially (up to ``delivery.outage_backoff_max``); a schema found missing
    (the database dropped and created again) is migrated again."""

    def __init__(self, repair: Callable[[], Awaitable[None]], max_delay: float) -> None:
        self.repair = repair
        self.max_delay = max_delay
        self.since: float | None = None
        self.delay = 0.0
        self.retry_at = 0.0
        self.last_failure = 0.0

    def paused(self) -> bool:
        return self.since is not None and time.monotonic() < self.retry_at

    def ok(self, started: float) -> None:
        if self.since is not None and started >= self.since:
            logger.info("database reachable again after %.0fs", time.monotonic() - self.since)
            self.since, self.delay = None, 0.0

    async def failed(self, name: str, exc: BaseException, started: float) -> None:
        now = time.monotonic()
        if self.since is not None and started <= self.last_failure:
            return  # ran alongside the attempt that already failed: the same failure, counted once
        self.last_failure = now
        self.delay = min(max(self.delay * 2, 1.0), self.max_delay)
        self.retry_at = now + self.delay
        cause = _first_line(exc)
        if self.since is None:
            self.since = now
            logger.error(
                "database unavailable, %s cannot run: %s; jobs back off until it is back", name, cause
            )
        else:
            logger.warning(
                "database still unavailable after %.0fs; retry in %.0fs", now - self.since, self.delay
            )
        if _schema_missing(cause):
            try:
                await self.repair()
            except Exception as problem:  # still unreachable: part of the same outage
                logger.warning("could not re-apply the migrations: %s", _first_line(problem))
            else:
                logger.warning("the database had lost its tables; migrations re-applied (its data is gone)")
                self.retry_at = now


def _is_database_error(exc: BaseException) -> bool:
    return isinstance(exc, DBAPIError | OSError)


def _schema_missing(message: str) -> bool:
    return ("relation" in message and "does not exist" in message) or "no such table" in message


class _Jobs:
    """Tracks running job tasks so shutdown can wait for them, then cancel the stragglers."""

    def __init__(self, database: _Database | None = None) -> None:
        self.running: set[asyncio.Task[object]] = set()
        self.stopping = False
        self.database = database

    def wrap(
        self, name: str, job: Callable[[], Awaitable[object]], *, database: bool = True
    ) -> Callable[[], Awaitable[None]]:
        """``job`` run safely; one that uses the database (``database``) waits out its outages."""
        health = self.database if database else None

        async def run() -> None:
            task = asyncio.current_task()
            if self.stopping or task is None or (health and health.paused()):
                return
            self.running.add(task)
            started = time.monotonic()
            try:
                await job()
                if health:
                    health.ok(started)
            except asyncio.CancelledError:
                if not self.stopping:
                    raise
                # Cancelled by drain(): expected at shutdown, and the scheduler would log it as a crash.
                logger.info("%s cancelled by shutdown; its transaction rolls back", name)
            except Exception as exc:
                if health and _is_database_error(exc):
                    await health.failed(name, exc, started)
                else:
                    logger.exception("%s failed; it runs again at its next interval", name)
            finally:
                self.running.discard(task)

        return run

    async def drain(self, grace: float) -> None:
        self.stopping = True
        if not self.running:
            return
        _, pending = await asyncio.wait(set(self.running), timeout=grace)
        for task in pending:
            task.cancel()
        if pending:
            logger.warning(
                "cancelled %d job(s) still running after %.0fs; they roll back", len(pending), grace
            )
            await asyncio.wait(pending, timeout=5)


class _FileWatch:
    """Notices that the SQLite file was deleted or replaced under the daemon: writes would go to an unlinked
    file and be lost, so the daemon stops with an error instead (checked once per tick interval)."""

    def __init__(self, settings: Settings, stop: asyncio.Event) -> None:
        self.path = sqlite_path(settings.database_url)
        self.stop = stop
        self.identity = self._identity()
        self.problem = ""

    def _identity(self) -> tuple[int, int] | None:
        if self.path is None:
            return None
        try:
            found = os.stat(self.path)
        except FileNotFoundError:
            return None
        return found.st_dev, found.st_ino

    async def check(self) -> None:
        if self.path is None or self.problem or self._identity() == self.identity:
            return
        self.problem = (
            f"the database file {self.path} was deleted or replaced while running; stopped so that nothing "
            "more is written to a file no one can read — restore it or set database.url, then restart"
        )
        logger.error("%s", self.problem)
        self.stop.set()


async def run_daemon(settings: Settings, *, role: Role = "all", grace: float | None = None) -> None:
    stop = asyncio.Event()
    _install_signals(stop)
    with single_process_lock(settings), parse_executor(settings) as executor:
        async with open_database(settings) as db, FeedClient(settings.feeds) as client:
            await prepare_chats(db, settings)
            watch = _FileWatch(settings, stop)
            async with health_server(settings, db.sessionmaker):
                await _serve(settings, db, client, executor, role=role, stop=stop, grace=grace, watch=watch)
    if watch.problem:
        raise DatabaseConfigError(watch.problem)


async def _serve(
    settings: Settings,
    db: Database,
    client: FeedClient,
    executor: Executor | None,
    *,
    role: Role,
    stop: asyncio.Event,
    grace: float | None,
    watch: _FileWatch,
) -> None:
    transport = make_transport(settings)
    jobs = _Jobs(_Database(lambda: ensure_schema(db.engine), settings.delivery.outage_backoff_max))
    scheduler = AsyncIOScheduler(timezone="UTC")
    owner = worker_name()
    _every(
        scheduler, jobs.wrap("database file check", watch.check, database=False), settings.feeds.tick_interval
    )
    if role in ("all", "worker"):
        poller = Poller(
            db.sessionmaker,
            client,
            ClaimSet(settings.matching),
            settings,
            executor,
            notify=settings.telegram.admins,
        )
        _every(
            scheduler, jobs.wrap("tick", lambda: run_tick(poller, owner=owner)), settings.feeds.tick_interval
        )
        _every(
            scheduler,
            jobs.wrap("prune", lambda: prune(db.sessionmaker, settings.retention)),
            settings.retention.interval,
        )
    if role in ("all", "bot"):
        sender = Sender(db.sessionmaker, transport, settings.delivery)
        _every(scheduler, jobs.wrap("drain", sender.drain), settings.delivery.drain_interval)
    scheduler.start()
    logger.info("claimbot running as %s (role %s); stop with SIGTERM or Ctrl-C", owner, role)
    bot_task = _start_bot(settings, db, transport, role)
    try:
        await stop.wait()
    finally:
        limit = settings.daemon.grace if grace is None else grace
        logger.info("stopping: waiting up to %.0fs for running jobs", limit)
        scheduler.pause()  # no new runs; shutdown would cancel the running ones
        if bot_task is not None:
            bot_task.cancel()
            await asyncio.gather(bot_task, return_exceptions=True)
        await jobs.drain(limit)
        scheduler.shutdown(wait=False)
        await close_transport(transport)
        logger.info("stopped")


def _every(scheduler: AsyncIOScheduler, job: Callable[[], Awaitable[None]], seconds: float) -> None:
    scheduler.add_job(
        job, "interval", seconds=seconds, max_instances=1, coalesce=True, next_run_time=datetime.now(UTC)
    )


def _start_bot(
    settings: Settings, db: Database, transport: Transport, role: Role
) -> asyncio.Task[None] | None:
    if role == "worker" or not settings.has_token:
        return None
    from bot.telegram.polling import run_polling

    return asyncio.create_task(run_polling(settings, db.sessionmaker), name="telegram")


def _install_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()

    def handle(signum: int) -> None:
        if stop.is_set():
            logger.warning("second %s: exiting now", signal.Signals(signum).name)
            os._exit(1)
        logger.info("%s received", signal.Signals(signum).name)
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, handle, signum)

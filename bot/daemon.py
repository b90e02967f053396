"""``claimbot run``: the scheduler (feeds, pruning), the sender (outbox) and the Telegram bot in one process.

SIGTERM/SIGINT stop it within ``daemon.grace`` seconds: no new jobs, running feed transactions finish or
roll back, unsent deliveries stay pending. A second signal exits at once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from datetime import UTC, datetime
from typing import Literal

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.alerts.send import Sender, Transport
from bot.app import (
    Database,
    close_transport,
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
from bot.pipeline.poll import Poller
from bot.pipeline.tick import run_tick
from bot.retention import prune
from bot.settings import Settings
from storage.db import DatabaseConfigError, sqlite_path

logger = logging.getLogger(__name__)

Role = Literal["all", "worker", "bot"]


class _Jobs:
    """Tracks running job tasks so shutdown can wait for them, then cancel the stragglers."""

    def __init__(self) -> None:
        self.running: set[asyncio.Task[object]] = set()
        self.stopping = False

    def wrap(self, name: str, job: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            task = asyncio.current_task()
            if self.stopping or task is None:
                return
            self.running.add(task)
            try:
                await job()
            except asyncio.CancelledError:
                if not self.stopping:
                    raise
                # Cancelled by drain(): expected at shutdown, and the scheduler would log it as a crash.
                logger.info("%s cancelled by shutdown; its transaction rolls back", name)
            except Exception:
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
    jobs = _Jobs()
    scheduler = AsyncIOScheduler(timezone="UTC")
    owner = worker_name()
    _every(scheduler, jobs.wrap("database file check", watch.check), settings.feeds.tick_interval)
    if role in ("all", "worker"):
        poller = Poller(db.sessionmaker, client, ClaimSet(settings.matching), settings, executor)
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

"""``claimbot run``: the scheduler (feeds), the sender (outbox) and the Telegram bot in one process.

SIGTERM/SIGINT stop it within ``grace`` seconds: no new jobs, running feed transactions finish or roll
back, unsent deliveries stay pending. A second signal exits at once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Awaitable, Callable
from typing import Literal

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.alerts.send import Sender
from bot.app import (
    Database,
    make_transport,
    open_database,
    prepare_chats,
    single_process_lock,
    worker_name,
    _close,
)
from bot.pipeline.claimset import ClaimSet
from bot.pipeline.fetch import FeedClient
from bot.pipeline.poll import Poller
from bot.pipeline.tick import run_tick
from bot.settings import Settings

logger = logging.getLogger(__name__)

Role = Literal["all", "worker", "bot"]


class _Jobs:
    """Tracks running job tasks so shutdown can wait for them, then cancel the stragglers."""

    def __init__(self) -> None:
        self.running: set[asyncio.Task[None]] = set()
        self.stopping = False

    def wrap(self, name: str, job: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            if self.stopping:
                return
            task = asyncio.current_task()
            assert task is not None
            self.running.add(task)
            try:
                await job()
            except asyncio.CancelledError:
                raise
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
            logger.warning("cancelled %d job(s) still running after %.0fs; their transactions roll back", len(pending), grace)
            await asyncio.wait(pending, timeout=5)


async def run_daemon(settings: Settings, *, role: Role = "all", grace: float = 10.0) -> None:
    stop = asyncio.Event()
    _install_signals(stop)
    with single_process_lock(settings):
        async with open_database(settings) as db, FeedClient(settings.feeds) as client:
            await prepare_chats(db, settings)
            await _serve(settings, db, client, role=role, stop=stop, grace=grace)


async def _serve(
    settings: Settings, db: Database, client: FeedClient, *, role: Role, stop: asyncio.Event, grace: float
) -> None:
    transport = make_transport(settings)
    jobs = _Jobs()
    scheduler = AsyncIOScheduler(timezone="UTC")
    owner = worker_name()
    if role in ("all", "worker"):
        poller = Poller(db.sessionmaker, client, ClaimSet(settings.matching), settings)
        scheduler.add_job(
            jobs.wrap("tick", lambda: run_tick(poller, owner=owner)),
            "interval",
            seconds=settings.feeds.tick_interval,
            id="tick",
            max_instances=1,
            coalesce=True,
            next_run_time=_now(),
        )
    if role in ("all", "bot"):
        sender = Sender(db.sessionmaker, transport, settings.delivery)
        scheduler.add_job(
            jobs.wrap("drain", sender.drain),
            "interval",
            seconds=settings.delivery.drain_interval,
            id="drain",
            max_instances=1,
            coalesce=True,
            next_run_time=_now(),
        )
    scheduler.start()
    logger.info("claimbot running as %s (role %s); stop with SIGTERM or Ctrl-C", owner, role)
    bot_task = _start_bot(settings, db, role)
    try:
        await stop.wait()
    finally:
        logger.info("stopping: waiting up to %.0fs for running jobs", grace)
        scheduler.shutdown(wait=False)
        if bot_task is not None:
            bot_task.cancel()
            await asyncio.gather(bot_task, return_exceptions=True)
        await jobs.drain(grace)
        await _close(transport)
        logger.info("stopped")


def _start_bot(settings: Settings, db: Database, role: Role) -> asyncio.Task[None] | None:
    if role == "worker" or not settings.has_token:
        return None
    from bot.telegram.polling import run_polling

    return asyncio.create_task(run_polling(settings, db.sessionmaker), name="telegram")


def _now() -> object:
    from datetime import UTC, datetime

    return datetime.now(UTC)


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

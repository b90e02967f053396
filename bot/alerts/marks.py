"""Recording sent deliveries in small batches, so per-message commits do not cap the send rate.

A message is *in flight* from the moment its send starts until its "sent" mark is committed; the sender
holds one of its ``delivery.concurrency`` slots for all that time, so a crash can repeat at most that many
messages. Marks are committed every ``delivery.mark_interval`` seconds or as soon as half the slots wait
on them; while the database refuses, the marks are kept and retried (and sending stalls on the slots).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import outbox

logger = logging.getLogger(__name__)


class MarkBuffer:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        interval: float,
        batch: int,
        clock: Callable[[], datetime],
        retry: float = 0.5,
    ) -> None:
        self._sessionmaker, self._interval, self._batch = sessionmaker, interval, max(1, batch)
        self._clock, self._retry = clock, retry
        self._marks: list[tuple[int, int | None]] = []
        self._waiters: list[asyncio.Future[None]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> MarkBuffer:
        self._task = asyncio.create_task(self._run(), name="outbox-marks")
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        if self._marks:  # shutting down: one last attempt, even when cancelled
            await asyncio.shield(self._flush_once())

    async def sent(self, delivery_ids: list[int], message_id: int | None) -> None:
        """Record ``delivery_ids`` as sent; returns once that is committed."""
        waiter = asyncio.get_running_loop().create_future()
        self._marks.extend((delivery_id, message_id) for delivery_id in delivery_ids)
        self._waiters.append(waiter)
        if len(self._waiters) == 1 or len(self._waiters) >= self._batch:
            self._wake.set()
        await asyncio.shield(waiter)  # a cancelled sender still leaves its mark to be committed

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            if len(self._waiters) < self._batch:
                try:
                    await asyncio.wait_for(self._wake.wait(), self._interval)
                except TimeoutError:
                    pass
                self._wake.clear()
            while self._marks and not await self._flush_once():
                await asyncio.sleep(self._retry)

    async def _flush_once(self) -> bool:
        marks, waiters = self._marks, self._waiters
        self._marks, self._waiters = [], []
        try:
            async with self._sessionmaker.begin() as session:
                await outbox.mark_sent_many(session, marks, now=self._clock())
        except BaseException as exc:  # kept for the next attempt (marking twice is harmless)
            self._marks, self._waiters = marks + self._marks, waiters + self._waiters
            if not isinstance(exc, Exception):
                raise
            logger.warning("cannot record %d sent deliveries yet (%s); retrying", len(marks), exc)
            return False
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)
        return True

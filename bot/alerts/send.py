"""Draining the outbox: each due delivery is sent once, after its chat's policy (the batch's plan) has had
its say, and marked sent with its Telegram message id.

*In flight* means: the send has started and its "sent" mark is not yet committed. Marks are committed in
small batches (bot/alerts/marks.py) and a message holds one of the ``delivery.concurrency`` slots until its
mark is in, so a crash can repeat at most ``delivery.concurrency`` messages — the ones in flight — never
more. Deliveries claimed but not sent when a drain stops are handed back at once; after a crash their
lease (``delivery.lease``) runs out.

Failures, by what the transport says (:class:`SendError`):
``outage`` (network error, 5xx: the Bot API is down) pauses all sending with backoff up to
``outage_backoff_max``, counts no attempt and loses nothing — the next drain after the pause probes again;
``chat_gone`` (403, chat not found) deactivates the chat and drops what it was still owed;
``migrate_to`` moves the chat's subscriptions and pending deliveries to the new id (sent next batch);
``maybe_sent`` (an answer came but could not be read) counts an attempt and resends once at most
(storage.outbox.mark_maybe_sent); ``retry_after`` (429) waits within the drain, bounded by
``retry_after_cap``/``retry_after_tries``, then reschedules; ``permanent`` drops the delivery; anything
else retries with exponential backoff until ``max_attempts``.

Several senders may drain one PostgreSQL outbox (``--role bot`` in webhook mode): claims skip deliveries
and chats another sender holds (storage.outbox.claim_pending), so no delivery goes out twice and a chat is
served by one sender at a time; with ``delivery.shared_budget`` (the default) they book the global rate from
the database (bot/alerts/budget.py), so together they keep ``global_per_second``. On SQLite there is one
sender and the in-process throttle alone paces it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.alerts.alert import Alert, Notice
from bot.alerts.budget import SharedBudget
from bot.alerts.marks import MarkBuffer
from bot.alerts.plan import Message, Outgoing, Plan, plan_batch
from bot.alerts.throttle import Throttle
from bot.errors import SendError as SendError
from bot.faults import fault_point
from bot.settings import DeliverySettings
from storage import chats, outbox

logger = logging.getLogger(__name__)


class Transport(Protocol):
    """Where messages go: the console, or Telegram (which sets ``rate_limited = True``)."""

    async def send(self, chat_id: int, topic_id: int, message: Alert | Notice) -> int | None:
        """Deliver ``message``; returns the message id if the transport has one; raises :class:`SendError`."""
        ...


@dataclass(slots=True)
class DrainResult:
    sent: int = 0
    retried: int = 0
    dropped: int = 0
    flood_waits: int = 0
    chats_gone: int = 0
    migrated: int = 0
    deferred: int = 0
    folded: int = 0
    outages: int = 0


def _now() -> datetime:
    return datetime.now().astimezone()


@dataclass(slots=True)
class Outage:
    """The Bot API is down: sending pauses, with exponential backoff, until a send gets through."""

    base: float
    cap: float
    since: float | None = None
    tries: int = 0
    resume_at: float = 0.0

    def paused(self) -> bool:
        return time.monotonic() < self.resume_at

    def failed(self, exc: SendError) -> None:
        if self.paused():
            return  # the other sends that were on their way when it went down
        now = time.monotonic()
        self.since = now if self.since is None else self.since
        delay = min(self.base * 2**self.tries, self.cap)
        self.tries += 1
        self.resume_at = now + delay
        logger.warning("Bot API unreachable (%s); sending paused for %.1fs", exc, delay)

    def ok(self) -> None:
        if self.since is not None:
            logger.info("Bot API reachable again after %.1fs; catching up", time.monotonic() - self.since)
            self.since, self.tries = None, 0


@dataclass(slots=True)
class Sender:
    sessionmaker: async_sessionmaker[AsyncSession]
    transport: Transport
    settings: DeliverySettings
    clock: Callable[[], datetime] = field(default=_now)
    throttle: Throttle | None = None
    outage: Outage = field(init=False)

    def __post_init__(self) -> None:
        if self.throttle is None and getattr(self.transport, "rate_limited", False):
            self.throttle = Throttle(self.settings, budget=self._shared_budget())
        self.outage = Outage(self.settings.backoff_base, self.settings.outage_backoff_max)

    def _shared_budget(self) -> SharedBudget | None:
        """The database's rate budget when several senders may share it (PostgreSQL), else None."""
        bind = self.sessionmaker.kw.get("bind")
        if not self.settings.shared_budget or bind is None or bind.dialect.name != "postgresql":
            return None
        return SharedBudget(
            self.sessionmaker, per_second=self.settings.global_per_second, block=self.settings.budget_block
        )

    async def drain(self, *, batch: int | None = None) -> DrainResult:
        """Send every delivery due now, batch by batch, until none is left (or the Bot API is down)."""
        try:
            return await self._drain(batch)
        finally:
            if self.throttle is not None:
                await asyncio.shield(self.throttle.settle())

    async def _drain(self, batch: int | None) -> DrainResult:
        result = DrainResult()
        size = batch or max(100, int(self.settings.global_per_second * 4))
        messages: dict[int, Message | None] = {}  # one read per event: fan-outs share it
        marks = MarkBuffer(
            self.sessionmaker,
            interval=self.settings.mark_interval,
            batch=self.settings.concurrency // 2,
            clock=self.clock,
        )
        async with marks:
            plan = await self._claim(min(size, max(20, int(self.settings.global_per_second))), messages)
            while plan is not None:
                # The next batch is claimed and planned while this one goes out: no gap between batches.
                ahead = asyncio.create_task(self._claim(size, messages))
                try:
                    result.deferred += plan.deferred
                    result.dropped += plan.dropped
                    result.folded += plan.folded
                    await self._send_batch(plan.by_chat, marks, result)
                    # Empty ahead of time; this batch may have made more due (a migrated chat's deliveries).
                    plan = await ahead
                    if plan is None and not self.outage.paused():
                        plan = await self._claim(size, messages)
                finally:
                    if not ahead.done():
                        ahead.cancel()
                    claimed = (await asyncio.gather(ahead, return_exceptions=True))[0]
                    if isinstance(claimed, Plan) and (plan is not claimed or self.outage.paused()):
                        await asyncio.shield(self._release(claimed.delivery_ids()))
                if self.outage.paused():
                    break
        return result

    async def _claim(self, size: int, messages: dict[int, Message | None]) -> Plan | None:
        async with self.sessionmaker.begin() as session:
            now = self.clock()
            due = await outbox.claim_pending(session, now=now, limit=size, lease=self.settings.lease)
            if not due:
                return None
            return await plan_batch(
                session, due, now=now, default_cooldown=self.settings.cooldown, messages=messages
            )

    async def _send_batch(
        self, by_chat: dict[int, list[Outgoing]], marks: MarkBuffer, result: DrainResult
    ) -> None:
        unsent = {i for items in by_chat.values() for item in items for i in item.delivery_ids}
        gate = asyncio.Semaphore(self.settings.concurrency)

        async def one_chat(items: list[Outgoing]) -> None:
            for item in items:  # one chat's messages go out in order, one at a time
                if not await self._send_one(item, gate, marks, result):
                    return  # the chat is gone or moved (its deliveries are dealt with), or the API is down
                unsent.difference_update(item.delivery_ids)

        try:
            async with asyncio.TaskGroup() as group:  # a failure cancels the siblings before the release
                for items in by_chat.values():
                    group.create_task(one_chat(items))
        finally:
            if unsent:
                await asyncio.shield(self._release(sorted(unsent)))

    async def _release(self, ids: list[int]) -> None:
        async with self.sessionmaker.begin() as session:
            await outbox.release(session, ids)

    async def _send_one(
        self, item: Outgoing, gate: asyncio.Semaphore, marks: MarkBuffer, result: DrainResult
    ) -> bool:
        """Send ``item``, retrying 429s within bounds; False when this chat's remaining items must wait."""
        tries = 0
        while True:
            if self.throttle is not None:
                await self.throttle.wait_chat(item.chat_id)
            error: SendError | None = None
            async with gate:  # held until the mark is committed: a crash repeats at most `concurrency`
                if self.outage.paused():
                    return False
                if self.throttle is not None:
                    await self.throttle.acquire(item.chat_id)  # the rate slot is booked only once we may send
                try:
                    message_id = await self.transport.send(item.chat_id, item.topic_id, item.message)
                except SendError as exc:
                    error = exc
                else:
                    fault_point("send.sent")  # accepted by the transport, not yet recorded
                    await marks.sent(item.delivery_ids, message_id)
            if error is None:
                result.sent += len(item.delivery_ids)
                self.outage.ok()
                return True
            if error.outage:
                result.outages += 1
                self.outage.failed(error)
                return False
            self.outage.ok()  # it answered: the Bot API is up
            if error.maybe_sent:
                await self._maybe_sent(item, error, result)
                return True
            if self._wait_in_drain(error, tries):
                tries += 1
                result.flood_waits += 1
                if self.throttle is not None:
                    self.throttle.hold(item.chat_id, error.retry_after or 0.0)
                else:
                    await asyncio.sleep(error.retry_after or 0.0)
                continue
            await self._failed(item, error, result)
            return error.migrate_to is None and not error.chat_gone

    def _wait_in_drain(self, exc: SendError, tries: int) -> bool:
        return (
            exc.retry_after is not None
            and exc.retry_after <= self.settings.retry_after_cap
            and tries < self.settings.retry_after_tries
        )

    async def _maybe_sent(self, item: Outgoing, exc: SendError, result: DrainResult) -> None:
        at = self.clock() + timedelta(seconds=self.settings.backoff_base)
        async with self.sessionmaker.begin() as session:
            again = [
                await outbox.mark_maybe_sent(session, delivery_id, error=str(exc), at=at)
                for delivery_id in item.delivery_ids
            ]
        result.retried += sum(again)
        result.dropped += len(again) - sum(again)
        logger.warning(
            "deliveries %s to chat %d %s: %s",
            item.delivery_ids,
            item.chat_id,
            "may have been sent; sending once more" if any(again) else "may have been sent twice; not again",
            exc,
        )

    async def _failed(self, item: Outgoing, exc: SendError, result: DrainResult) -> None:
        chat_id, ids = item.chat_id, item.delivery_ids
        async with self.sessionmaker.begin() as session:
            if exc.migrate_to is not None:
                await chats.migrate_chat(session, chat_id, exc.migrate_to)
                await outbox.move_pending(session, chat_id, exc.migrate_to)
                result.migrated += 1
                logger.info("chat %d migrated to %d; its deliveries follow", chat_id, exc.migrate_to)
                return
            if exc.chat_gone:
                await chats.deactivate_chat(session, chat_id)
                result.dropped += await outbox.drop_pending_for_chat(session, chat_id, error=str(exc))
                result.chats_gone += 1
                logger.info("chat %d deactivated: %s", chat_id, exc)
                return
            if exc.permanent:
                for delivery_id in ids:
                    await outbox.mark_dropped(session, delivery_id, error=str(exc))
                result.dropped += len(ids)
                logger.warning("deliveries %s to chat %d dropped: %s", ids, chat_id, exc)
                return
            delay = exc.retry_after
            if delay is None:
                delay = min(self.settings.backoff_base * 2**item.attempts, self.settings.backoff_max)
            for delivery_id in ids:
                await outbox.mark_retry(
                    session,
                    delivery_id,
                    error=str(exc),
                    at=self.clock() + timedelta(seconds=delay),
                    max_attempts=self.settings.max_attempts,
                )
            result.retried += len(ids)
        logger.warning("deliveries %s to chat %d failed: %s", ids, chat_id, exc)

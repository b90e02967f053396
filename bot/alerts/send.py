"""Draining the outbox: each pending delivery is sent once and marked sent in its own small transaction.

A crash can repeat only the messages in flight (at most ``delivery.concurrency``): each is marked sent,
with its Telegram message id, right after the transport returns. Deliveries claimed but not yet sent
when a drain is cancelled are handed back at once; after a crash their lease runs out.

Failures, by what the transport says (:class:`SendError`):
``chat_gone`` (403, chat not found) deactivates the chat and drops what it was still owed;
``migrate_to`` moves the chat's subscriptions and pending deliveries to the new id (sent next batch);
``retry_after`` (429) waits within the drain, bounded by ``retry_after_cap``/``retry_after_tries``,
then reschedules; ``permanent`` drops the delivery; anything else retries with exponential backoff
until ``max_attempts``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.alerts.load import load_message
from bot.alerts.render import Alert, Notice
from bot.alerts.throttle import Throttle
from bot.settings import DeliverySettings
from storage import chats, outbox
from storage.models import Delivery

logger = logging.getLogger(__name__)


class SendError(Exception):
    """A delivery failed; ``retry_after`` set means try again later, ``permanent`` means give up.

    ``chat_gone``: the chat blocked the bot or no longer exists; ``migrate_to``: the group now lives
    under that id.
    """

    def __init__(
        self,
        reason: str,
        *,
        retry_after: float | None = None,
        permanent: bool = False,
        chat_gone: bool = False,
        migrate_to: int | None = None,
    ) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        self.permanent = permanent or chat_gone
        self.chat_gone = chat_gone
        self.migrate_to = migrate_to


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


def _now() -> datetime:
    return datetime.now().astimezone()


@dataclass(slots=True)
class Sender:
    sessionmaker: async_sessionmaker[AsyncSession]
    transport: Transport
    settings: DeliverySettings
    clock: Callable[[], datetime] = field(default=_now)
    throttle: Throttle | None = None

    def __post_init__(self) -> None:
        if self.throttle is None and getattr(self.transport, "rate_limited", False):
            self.throttle = Throttle(self.settings)

    async def drain(self, *, batch: int | None = None) -> DrainResult:
        """Send every delivery due now, batch by batch, until none is left."""
        result = DrainResult()
        size = batch or max(100, int(self.settings.global_per_second * 4))
        while True:
            async with self.sessionmaker.begin() as session:
                due = await outbox.claim_pending(
                    session, now=self.clock(), limit=size, lease=self.settings.lease
                )
                order = [(d.id, d.chat_id) for d in due]
            if not order:
                return result
            await self._send_batch(order, result)

    async def _send_batch(self, order: list[tuple[int, int]], result: DrainResult) -> None:
        by_chat: dict[int, list[int]] = {}
        for delivery_id, chat_id in order:
            by_chat.setdefault(chat_id, []).append(delivery_id)
        unsent = {delivery_id for delivery_id, _ in order}
        gate = asyncio.Semaphore(self.settings.concurrency)
        messages: dict[int, Alert | Notice | None] = {}

        async def one_chat(ids: list[int]) -> None:
            for delivery_id in ids:  # one chat's messages go out in order, one at a time
                await self._send_one(delivery_id, gate, result, messages)
                unsent.discard(delivery_id)

        try:
            async with asyncio.TaskGroup() as group:  # a failure cancels the siblings before the release
                for ids in by_chat.values():
                    group.create_task(one_chat(ids))
        finally:
            if unsent:
                await asyncio.shield(self._release(sorted(unsent)))

    async def _release(self, ids: list[int]) -> None:
        async with self.sessionmaker.begin() as session:
            await outbox.release(session, ids)

    async def _load(
        self, delivery_id: int, messages: dict[int, Alert | Notice | None]
    ) -> tuple[Delivery | None, Alert | Notice | None]:
        """The delivery, if still ours, and its message (read once per event per batch: fan-outs share it)."""
        async with self.sessionmaker() as session:
            delivery = await session.get(Delivery, delivery_id)
            if delivery is None or delivery.status != "sending":
                return None, None  # dropped meanwhile (its chat went away) or taken over
            if delivery.event_id not in messages:
                event = await outbox.get_event(session, delivery.event_id)
                messages[delivery.event_id] = await load_message(session, event) if event else None
        return delivery, messages[delivery.event_id]

    async def _send_one(
        self,
        delivery_id: int,
        gate: asyncio.Semaphore,
        result: DrainResult,
        messages: dict[int, Alert | Notice | None],
    ) -> None:
        delivery, message = await self._load(delivery_id, messages)
        if delivery is None:
            return
        if message is None:
            async with self.sessionmaker.begin() as session:
                await outbox.mark_dropped(session, delivery_id, error="what it was about is gone")
            result.dropped += 1
            return
        tries = 0
        while True:
            if self.throttle is not None:
                await self.throttle.acquire(delivery.chat_id)
            try:
                async with gate:
                    message_id = await self.transport.send(delivery.chat_id, delivery.topic_id, message)
            except SendError as exc:
                if self._wait_in_drain(exc, tries):
                    tries += 1
                    result.flood_waits += 1
                    if self.throttle is not None:
                        self.throttle.hold(delivery.chat_id, exc.retry_after or 0.0)
                    else:
                        await asyncio.sleep(exc.retry_after or 0.0)
                    continue
                await self._failed(delivery, exc, result)
                return
            async with self.sessionmaker.begin() as session:
                await outbox.mark_sent(session, delivery_id, message_id=message_id, now=self.clock())
            result.sent += 1
            return

    def _wait_in_drain(self, exc: SendError, tries: int) -> bool:
        return (
            exc.retry_after is not None
            and exc.retry_after <= self.settings.retry_after_cap
            and tries < self.settings.retry_after_tries
        )

    async def _failed(self, delivery: Delivery, exc: SendError, result: DrainResult) -> None:
        async with self.sessionmaker.begin() as session:
            if exc.migrate_to is not None:
                await chats.migrate_chat(session, delivery.chat_id, exc.migrate_to)
                await outbox.move_pending(session, delivery.chat_id, exc.migrate_to)
                result.migrated += 1
                logger.info("chat %d migrated to %d; its deliveries follow", delivery.chat_id, exc.migrate_to)
                return
            if exc.chat_gone:
                await chats.deactivate_chat(session, delivery.chat_id)
                result.dropped += await outbox.drop_pending_for_chat(
                    session, delivery.chat_id, error=str(exc)
                )
                result.chats_gone += 1
                logger.info("chat %d deactivated: %s", delivery.chat_id, exc)
                return
            if exc.permanent:
                await outbox.mark_dropped(session, delivery.id, error=str(exc))
                result.dropped += 1
                logger.warning("delivery #%d to chat %d dropped: %s", delivery.id, delivery.chat_id, exc)
                return
            delay = exc.retry_after
            if delay is None:
                delay = min(self.settings.backoff_base * 2**delivery.attempts, self.settings.backoff_max)
            await outbox.mark_retry(
                session,
                delivery.id,
                error=str(exc),
                at=self.clock() + timedelta(seconds=delay),
                max_attempts=self.settings.max_attempts,
            )
            result.retried += 1
        logger.warning("delivery #%d to chat %d failed: %s", delivery.id, delivery.chat_id, exc)

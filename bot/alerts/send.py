"""Draining the outbox: each pending delivery is sent once and marked sent in its own small transaction.

A crash can repeat only the message in flight: it is marked sent right after the transport returns.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.alerts.load import load_message
from bot.alerts.render import Alert, Notice
from bot.settings import DeliverySettings
from storage import outbox
from storage.models import Delivery

logger = logging.getLogger(__name__)


class SendError(Exception):
    """A delivery failed; ``retry_after`` set means try again later, ``permanent`` means give up."""

    def __init__(self, reason: str, *, retry_after: float | None = None, permanent: bool = False) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        self.permanent = permanent


class Transport(Protocol):
    """Where messages go: the console, or Telegram."""

    async def send(self, chat_id: int, topic_id: int, message: Alert | Notice) -> int | None:
        """Deliver ``message``; returns the message id if the transport has one; raises :class:`SendError`."""
        ...


@dataclass(slots=True)
class DrainResult:
    sent: int = 0
    retried: int = 0
    dropped: int = 0


@dataclass(slots=True)
class Sender:
    sessionmaker: async_sessionmaker[AsyncSession]
    transport: Transport
    settings: DeliverySettings
    clock: Callable[[], datetime] = field(default=lambda: datetime.now().astimezone())

    async def drain(self, *, batch: int = 100) -> DrainResult:
        """Send every delivery due now, batch by batch, until none is left."""
        result = DrainResult()
        while True:
            async with self.sessionmaker.begin() as session:
                due = await outbox.claim_pending(session, now=self.clock(), limit=batch)
                ids = [d.id for d in due]
            if not ids:
                return result
            for delivery_id in ids:
                await self._send_one(delivery_id, result)

    async def _send_one(self, delivery_id: int, result: DrainResult) -> None:
        async with self.sessionmaker() as session:
            delivery = await session.get(Delivery, delivery_id)
            event = await outbox.get_event(session, delivery.event_id) if delivery else None
            message = await load_message(session, event) if event else None
        if delivery is None:
            return
        async with self.sessionmaker.begin() as session:
            if message is None:
                await outbox.mark_dropped(session, delivery_id, error="what it was about is gone")
                result.dropped += 1
                return
        try:
            message_id = await self.transport.send(delivery.chat_id, delivery.topic_id, message)
        except SendError as exc:
            await self._failed(delivery, exc, result)
            return
        async with self.sessionmaker.begin() as session:
            await outbox.mark_sent(session, delivery_id, message_id=message_id, now=self.clock())
        result.sent += 1

    async def _failed(self, delivery: Delivery, exc: SendError, result: DrainResult) -> None:
        async with self.sessionmaker.begin() as session:
            if exc.permanent:
                await outbox.mark_dropped(session, delivery.id, error=str(exc))
                result.dropped += 1
                return
            delay = exc.retry_after if exc.retry_after is not None else min(2**delivery.attempts, 3600)
            await outbox.mark_retry(
                session,
                delivery.id,
                error=str(exc),
                at=self.clock() + timedelta(seconds=delay),
                max_attempts=self.settings.max_attempts,
            )
            result.retried += 1
        logger.warning("delivery #%d to chat %d failed: %s", delivery.id, delivery.chat_id, exc)

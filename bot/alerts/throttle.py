"""Telegram's send limits kept on our side: per chat, per group per minute, and overall per second.

Slots are reserved synchronously (no await between reading and booking), so concurrent senders in one
event loop never book the same slot; booking continues from the last slot or now, whichever is later, so a
stall is never followed by a catch-up burst. Group chats have negative ids in Telegram.
"""

from __future__ import annotations

import asyncio
import bisect
import time
from collections.abc import Awaitable, Callable

from bot.settings import DeliverySettings

GROUP_WINDOW = 60.0
_PRUNE_AT = 10_000


class Throttle:
    def __init__(
        self,
        settings: DeliverySettings,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.per_chat = settings.per_chat_interval
        self.group_limit = settings.group_per_minute
        self.spacing = 1.0 / settings.global_per_second
        self._clock = clock
        self._sleep = sleep
        self._global_next = 0.0
        self._chat_next: dict[int, float] = {}
        self._group_sent: dict[int, list[float]] = {}

    async def wait_chat(self, chat_id: int) -> None:
        """Wait until ``chat_id`` (and its group window) would take a message; books nothing.

        The sender waits here before taking a concurrency slot, then books the global slot with
        :meth:`acquire` once it holds one, so slots are never booked by sends that cannot go yet.
        """
        while (ready := max(self._chat_next.get(chat_id, 0.0), self._group_ready(chat_id, self._clock()))) > (
            now := self._clock()
        ):
            await self._sleep(ready - now)

    async def acquire(self, chat_id: int) -> None:
        """Wait until a message to ``chat_id`` may go out, and book it."""
        now = self._clock()
        ready = max(now, self._chat_next.get(chat_id, 0.0), self._group_ready(chat_id, now))
        self._chat_next[chat_id] = ready + self.per_chat
        if ready > now:
            await self._sleep(ready - now)
            now = self._clock()
        slot = max(now, self._global_next)
        self._global_next = slot + self.spacing
        self._chat_next[chat_id] = max(self._chat_next[chat_id], slot + self.per_chat)
        if chat_id < 0:
            bisect.insort(self._group_sent.setdefault(chat_id, []), slot)
        if slot > now:
            await self._sleep(slot - now)
        if len(self._chat_next) > _PRUNE_AT:
            self._prune(self._clock())

    def hold(self, chat_id: int, seconds: float) -> None:
        """Telegram asked us to wait (429): nothing more to this chat for ``seconds``."""
        until = self._clock() + seconds
        self._chat_next[chat_id] = max(self._chat_next.get(chat_id, 0.0), until)

    def _group_ready(self, chat_id: int, now: float) -> float:
        if chat_id >= 0:
            return now
        sent = self._group_sent.setdefault(chat_id, [])
        del sent[: bisect.bisect_left(sent, now - GROUP_WINDOW)]
        if len(sent) < self.group_limit:
            return now
        return sent[-self.group_limit] + GROUP_WINDOW

    def _prune(self, now: float) -> None:
        self._chat_next = {c: t for c, t in self._chat_next.items() if t > now}
        self._group_sent = {c: s for c, s in self._group_sent.items() if s and s[-1] > now - GROUP_WINDOW}

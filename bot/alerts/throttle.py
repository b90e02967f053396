"""Telegram's send limits kept on our side: per chat, per group per minute, and overall per second.

Slots are reserved synchronously (no await between reading and booking), so concurrent senders in one
event loop never book the same slot; booking continues from the last slot or now, whichever is later, so a
stall is never followed by a catch-up burst; and a send woken well after its slot (a stalled event loop)
takes a fresh one rather than crowd the next second. Group chats have negative ids in Telegram.

With a :class:`~bot.alerts.budget.SharedBudget` the global slots come from the database instead, shared
with the other senders on it; per-chat and group pacing stay here (a chat is sent to by one sender at a
time: storage.outbox.claim_pending).
"""

from __future__ import annotations

import asyncio
import bisect
import time
from collections.abc import Awaitable, Callable

from bot.alerts.budget import SharedBudget
from bot.settings import DeliverySettings

GROUP_WINDOW = 60.0
LATE = 0.01  # seconds a send may trail its global slot (at least one spacing); later, it takes a new slot
_PRUNE_AT = 10_000


class Throttle:
    def __init__(
        self,
        settings: DeliverySettings,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        budget: SharedBudget | None = None,
    ) -> None:
        self.per_chat = settings.per_chat_interval
        self.group_limit = settings.group_per_minute
        self.spacing = 1.0 / settings.global_per_second
        self._clock = clock
        self._sleep = sleep
        self.budget = budget
        self.late = max(self.spacing, LATE)
        self.late_slots = 0
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
        for retake in (True, False):
            slot = await self._global_slot(now)
            now = self._clock()
            if slot > now:
                await self._sleep(slot - now)
                now = self._clock()
            late = max(self.late, self.budget.late if self.budget is not None else 0.0)
            if not retake or now - slot <= late:
                break
            # Woken too late (a stalled loop): sending now would crowd the next slots' sends into one
            # second, so this slot is given up and a fresh one taken (once: a wrong clock cannot spin here).
            self.late_slots += 1
        self._chat_next[chat_id] = max(self._chat_next[chat_id], slot + self.per_chat)
        if chat_id < 0:
            bisect.insort(self._group_sent.setdefault(chat_id, []), slot)
        if len(self._chat_next) > _PRUNE_AT:
            self._prune(self._clock())

    async def _global_slot(self, now: float) -> float:
        if self.budget is not None:
            return await self.budget.take()
        slot = max(now, self._global_next)
        self._global_next = slot + self.spacing
        return slot

    async def settle(self) -> None:
        """A drain is over: hand back shared slots booked and not used."""
        if self.budget is not None:
            await self.budget.give_back()

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

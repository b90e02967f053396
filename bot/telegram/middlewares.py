"""Outer middlewares on ``update`` (every update type gets them): chat order, flood control, a transaction."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Chat, TelegramObject, Update, User
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.telegram import replies

logger = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class ChatOrder(BaseMiddleware):
    """One update at a time per chat, in arrival order, until its transaction has committed.

    Updates are handled as concurrent tasks; without this, "/mute 1" then "/claims" could read the
    subscription before the mute was committed. Different chats still run side by side.
    """

    def __init__(self) -> None:
        self._locks: dict[int, asyncio.Lock] = {}
        self._queued: Counter[int] = Counter()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        chat: Chat | None = data.get("event_chat")
        if chat is None:
            return await handler(event, data)
        lock = self._locks.setdefault(chat.id, asyncio.Lock())
        self._queued[chat.id] += 1
        try:
            async with lock:
                return await handler(event, data)
        finally:
            self._queued[chat.id] -= 1
            if not self._queued[chat.id]:  # nobody else waits: forget the chat
                del self._queued[chat.id]
                self._locks.pop(chat.id, None)


class DbSession(BaseMiddleware):
    """``session`` for the handlers: one transaction per update, committed when the handler returns.

    The replies the handler returns are sent after the commit, so a failed commit never follows a reply
    that announced its change; the user gets the error router's apology instead.
    """

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        async with self.sessionmaker.begin() as session:
            data["session"] = session
            result = await handler(event, data)
        if not replies.is_reply(result):
            return result
        await replies.send(result)
        return None


class FloodControl(BaseMiddleware):
    """At most ``limit`` messages per user per ``period`` seconds; the rest are ignored after one warning.

    Taps on buttons are cheap and people tap in bursts (pages, settings): they have their own, larger
    budget, and every tap is answered — one over budget with a short "slow down" — so no button is left
    spinning in the client.
    """

    TAPS_PER_MESSAGE = 3

    def __init__(self, limit: int, period: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.period, self.clock = limit, period, clock
        self._messages = _Window(limit, period, clock)
        self._taps = _Window(limit * self.TAPS_PER_MESSAGE, period, clock)
        self._warned: set[int] = set()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None or not isinstance(event, Update):
            return await handler(event, data)
        if event.callback_query is not None:
            if self._taps.allow(user.id):
                return await handler(event, data)
            logger.info("flood control: a tap from user %d answered without work", user.id)
            await event.callback_query.answer(SLOW_DOWN)
            return None
        if self._messages.allow(user.id):
            self._warned.discard(user.id)
            return await handler(event, data)
        if user.id not in self._warned and event.message is not None:
            self._warned.add(user.id)
            await event.message.answer(TOO_FAST)
        logger.info("flood control: ignoring an update from user %d", user.id)
        return None


TOO_FAST = "You are sending commands too fast; I will answer again in a minute."
SLOW_DOWN = "Slow down a little, please: try again in a few seconds."


class _Window:
    """Per-user counts in a sliding window of ``period`` seconds."""

    def __init__(self, limit: int, period: float, clock: Callable[[], float]) -> None:
        self.limit, self.period, self.clock = limit, period, clock
        self._seen: dict[int, deque[float]] = {}

    def allow(self, user_id: int) -> bool:
        now = self.clock()
        seen = self._seen.setdefault(user_id, deque())
        while seen and seen[0] <= now - self.period:
            seen.popleft()
        if len(seen) >= self.limit:
            return False
        seen.append(now)
        if len(self._seen) > 10_000:
            self._seen = {u: s for u, s in self._seen.items() if s and s[-1] > now - self.period}
        return True

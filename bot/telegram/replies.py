"""Replies are returned by handlers and sent only after the update's transaction has committed.

A handler that said "Tracking #1" before its commit failed would have told the user something untrue;
returned replies go out after the commit (see ``DbSession``), or not at all when it fails.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import TelegramMethod

logger = logging.getLogger(__name__)

Reply = TelegramMethod[Any] | Sequence[TelegramMethod[Any]] | None
"""What a handler returns: one bound Bot API call (``message.answer(...)``, not awaited), several, or none."""


def is_reply(result: object) -> bool:
    if isinstance(result, TelegramMethod):
        return True
    return isinstance(result, list | tuple) and all(isinstance(r, TelegramMethod) for r in result)


async def send(reply: Reply) -> None:
    """Send the calls in order; an edit that changes nothing is what the user asked for, not an error."""
    calls = [reply] if isinstance(reply, TelegramMethod) else list(reply or ())
    for call in calls:
        try:
            await call
        except TelegramBadRequest as exc:
            if not not_modified(exc):
                raise
            logger.debug("%s changed nothing: %s", type(call).__name__, exc.message)


def not_modified(exc: TelegramBadRequest) -> bool:
    """Telegram's answer to an edit with the message's current text and buttons (a repeated tap)."""
    return "message is not modified" in exc.message

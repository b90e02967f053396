"""User mistakes become polite replies; anything else is logged and answered with an apology.

Also the fallback for unknown commands in private chats; admin commands refused to others get the very
same answer, so they reveal nothing.
"""

from __future__ import annotations

import html
import logging

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent, Message

from bot.catalog.claims import ClaimError
from bot.errors import UserError as UserError
from bot.telegram.format import sentence_case
from bot.telegram.replies import Reply, not_modified

logger = logging.getLogger(__name__)

UNKNOWN = "I don't know that command. /help lists what I can do."
TRACK_EXAMPLE = "/track Russia moved hundreds of tanks to the border"


async def user_mistake(event: ErrorEvent) -> None:
    text = sentence_case(str(event.exception))
    if isinstance(event.exception, ClaimError):  # worded for the CLI too: add the bot's example
        text += f" For example: {TRACK_EXAMPLE}"
    await _tell(event, text)


async def unexpected(event: ErrorEvent) -> None:
    if isinstance(event.exception, TelegramBadRequest) and not_modified(event.exception):
        if event.update.callback_query is not None:  # a repeated tap: done already; stop the spinner
            await _tell(event, "")
        return
    logger.error("update %d failed", event.update.update_id, exc_info=event.exception)
    await _tell(event, "Something went wrong on my side; please try again in a moment.")


async def _tell(event: ErrorEvent, text: str) -> None:
    update = event.update
    try:
        if update.message is not None:
            await update.message.answer(html.escape(text, quote=False))
        elif update.callback_query is not None:
            await update.callback_query.answer(text[:200] or None, show_alert=bool(text))
    except Exception:  # the apology itself failed (blocked, network): nothing more to do
        logger.warning("could not tell the user about a failed update", exc_info=True)


async def unknown_command(message: Message) -> Reply:
    return message.answer(UNKNOWN)


def make_router() -> Router:
    """A fresh router (a router joins one dispatcher only)."""
    router = Router(name=__name__)
    router.errors.register(user_mistake, ExceptionTypeFilter(UserError, ClaimError))
    router.errors.register(unexpected)
    router.message.register(unknown_command, F.chat.type == "private", F.text.startswith("/"))
    return router

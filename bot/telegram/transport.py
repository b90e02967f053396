"""Sending alerts and notices through the Bot API; aiogram's errors become what the sender acts on."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)

from bot.alerts.render import Alert, Notice, notice_html, to_html
from bot.alerts.send import SendError
from bot.settings import Settings
from bot.telegram.keyboards import alert_keyboard

logger = logging.getLogger(__name__)

_GONE = (
    "chat not found",
    "user not found",
    "have no rights to send",
    "not enough rights",
    "chat_write_forbidden",
)


def make_bot(settings: Settings) -> Bot:
    """A Bot on ``telegram.api_base`` with HTML parse mode and link previews off by default."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram.api_base))
    return Bot(
        settings.telegram.token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


class TelegramTransport:
    rate_limited = True
    """The sender keeps Telegram's limits for this transport."""

    def __init__(self, bot: Bot, *, owns_bot: bool = True) -> None:
        self.bot = bot
        self._owns_bot = owns_bot

    @classmethod
    def from_settings(cls, settings: Settings) -> TelegramTransport:
        return cls(make_bot(settings))

    async def send(self, chat_id: int, topic_id: int, message: Alert | Notice) -> int | None:
        if isinstance(message, Alert):
            text, markup = to_html(message), alert_keyboard(message)
        else:
            text, markup = notice_html(message), None
        try:
            sent = await self.bot.send_message(
                chat_id, text, message_thread_id=topic_id or None, reply_markup=markup
            )
        except TelegramAPIError as exc:
            raise as_send_error(exc) from exc
        except ClientDecodeError as exc:  # a proxy's error page instead of the Bot API
            raise SendError(f"ClientDecodeError: {exc.message}", outage=True) from exc
        return sent.message_id

    async def close(self) -> None:
        if self._owns_bot:
            await self.bot.session.close()


def as_send_error(exc: TelegramAPIError) -> SendError:
    """What the sender should do about an aiogram error."""
    reason = f"{type(exc).__name__}: {exc.message}"
    if isinstance(exc, TelegramRetryAfter):
        return SendError(reason, retry_after=float(exc.retry_after))
    if isinstance(exc, TelegramMigrateToChat):
        return SendError(reason, migrate_to=exc.migrate_to_chat_id)
    if isinstance(exc, TelegramForbiddenError):
        return SendError(reason, chat_gone=True)
    if isinstance(exc, TelegramBadRequest | TelegramNotFound):
        lowered = exc.message.lower()
        return SendError(reason, chat_gone=any(mark in lowered for mark in _GONE), permanent=True)
    if isinstance(exc, TelegramNetworkError | TelegramServerError):
        return SendError(reason, outage=True)
    return SendError(reason)

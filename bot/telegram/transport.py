"""Sending alerts and notices through the Bot API; aiogram's errors become what the sender acts on."""

from __future__ import annotations

import logging
from typing import Any

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

from bot.alerts.alert import Alert, Notice
from bot.alerts.render import notice_html, to_html
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


class UnreadableAnswer(ClientDecodeError):
    """An answer that reached us but cannot be read; ``status`` says whether the server accepted the call."""

    def __init__(self, status: int, cause: ClientDecodeError) -> None:
        super().__init__(cause.message, cause.original, cause.data)
        self.status = status

    @property
    def accepted(self) -> bool:
        """A 2xx: the Bot API (or whatever answered for it) took the request."""
        return 200 <= self.status < 300

    def ok_result(self) -> dict[str, Any] | None:
        """The raw ``result`` of a JSON answer that says ``ok`` but has a shape this aiogram cannot parse."""
        data = self.data
        result = data.get("result") if isinstance(data, dict) and data.get("ok") is True else None
        return result if isinstance(result, dict) else None


class Session(AiohttpSession):
    """aiogram's session; an unreadable answer keeps its HTTP status (sent or not is decided by it)."""

    def check_response(self, bot: Bot, method: Any, status_code: int, content: str) -> Any:
        try:
            return super().check_response(bot, method, status_code, content)
        except ClientDecodeError as exc:
            raise UnreadableAnswer(status_code, exc) from exc


def make_bot(settings: Settings) -> Bot:
    """A Bot on ``telegram.api_base`` with HTML parse mode and link previews off by default."""
    session = Session(api=TelegramAPIServer.from_base(settings.telegram.api_base))
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
        except UnreadableAnswer as exc:
            return _unreadable(chat_id, exc)
        except ClientDecodeError as exc:
            raise SendError(f"ClientDecodeError: {exc.message}", outage=True) from exc
        return sent.message_id

    async def close(self) -> None:
        if self._owns_bot:
            await self.bot.session.close()


def _unreadable(chat_id: int, exc: UnreadableAnswer) -> int | None:
    """What an answer we cannot read means for a send: sent, maybe sent, or an outage (nothing sent)."""
    result = exc.ok_result()
    if result is not None:  # "ok": the message is out, only its shape is new to this aiogram
        logger.warning("sendMessage to %d: sent, but its answer has an unknown shape: %s", chat_id, exc)
        message_id = result.get("message_id")
        return message_id if isinstance(message_id, int) else None
    if exc.accepted:  # a 200 that is not the Bot API's JSON: something answered; it may have been sent
        raise SendError(f"maybe sent: HTTP {exc.status} with an unreadable answer", maybe_sent=True)
    raise SendError(f"HTTP {exc.status} with an unreadable answer (a proxy's error page?)", outage=True)


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

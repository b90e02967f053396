"""Who may do what, and where a message was sent (chat and forum topic)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiogram import Bot
from aiogram.exceptions import ClientDecodeError, TelegramAPIError
from aiogram.filters import Filter
from aiogram.types import CallbackQuery, Message, User
from aiogram.types import Chat as TgChat
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from bot.telegram.errors import UNKNOWN, UserError
from storage import chats
from storage.models import Chat

logger = logging.getLogger(__name__)
GROUPS = ("group", "supergroup")


@dataclass(frozen=True, slots=True)
class Place:
    chat: Chat
    topic: int


def topic_of(message: Message) -> int:
    """The forum topic a message was sent in; 0 outside topics."""
    return message.message_thread_id or 0 if message.is_topic_message else 0


async def place_of(session: AsyncSession, message: Message) -> Place:
    """The chat (registered, and active again: it just wrote to us) and topic of ``message``."""
    chat = await chats.reactivate(
        session, message.chat.id, kind=message.chat.type, title=_title(message.chat)
    )
    return Place(chat, topic_of(message))


def _title(chat: TgChat) -> str:
    return chat.title or chat.full_name or ""


def is_bot_admin(settings: Settings, user: User | None) -> bool:
    return user is not None and user.id in settings.telegram.admins


def require_bot_admin(settings: Settings, user: User | None) -> None:
    """Refuse like an unknown command: a non-admin learns nothing."""
    if not is_bot_admin(settings, user):
        raise UserError(UNKNOWN)


async def require_chat_admin(bot: Bot, chat: TgChat, user: User | None) -> None:
    """In groups only the group's admins change subscriptions or settings."""
    if chat.type not in GROUPS:
        return
    if user is not None:
        try:
            member = await bot.get_chat_member(chat.id, user.id)
        except (TelegramAPIError, ClientDecodeError) as exc:  # no rights, an emulator without it, network
            logger.warning("getChatMember in chat %d failed: %s", chat.id, exc)
            raise UserError(
                "I could not check whether you are an admin of this group, so I changed nothing. "
                "Make sure I am a member of the group (an admin, for a channel), then try again."
            ) from None
        if member.status in ("creator", "administrator"):
            return
    raise UserError("Only this group's admins can change what it tracks or its settings.")


class ChatAdminButton(Filter):
    """A button under one of the bot's messages, pressed by someone who may change the chat (see
    :func:`require_chat_admin`); the handler gets that message as ``message``. Register it after the
    callback-data filter, so only the handler's own buttons are checked."""

    def __init__(self, too_old: str) -> None:
        self.too_old = too_old  # the reply when Telegram no longer sends the message (too old to edit)

    async def __call__(self, query: CallbackQuery, bot: Bot) -> dict[str, Message]:
        if not isinstance(query.message, Message):
            raise UserError(self.too_old)
        await require_chat_admin(bot, query.message.chat, query.from_user)
        return {"message": query.message}

"""/untrack, /mute [duration] and /unmute: one subscription of this chat (and topic) changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.telegram.access import require_chat_admin, topic_of
from bot.telegram.claims import NOT_YOURS
from bot.telegram.errors import UserError
from bot.telegram.format import claim_ref, local_time, parse_duration
from bot.telegram.replies import Reply
from storage import chats
from storage.models import Subscription

FOREVER = timedelta(days=365 * 100)


async def _subscription(
    message: Message, command: CommandObject, session: AsyncSession, bot: Bot
) -> Subscription:
    ref = claim_ref(command.args)
    if ref is None:
        raise UserError(f"Which claim? For example: /{command.command} 12")
    await require_chat_admin(bot, message.chat, message.from_user)
    sub = await chats.get_subscription(session, message.chat.id, ref, topic_id=topic_of(message))
    if sub is None:
        raise UserError(NOT_YOURS.format(ref=ref))
    return sub


async def untrack(message: Message, command: CommandObject, session: AsyncSession, bot: Bot) -> Reply:
    sub = await _subscription(message, command, session, bot)
    await chats.unsubscribe(session, sub.chat_id, sub.claim_id, topic_id=sub.topic_id)
    return message.answer(f"No longer tracking #{sub.claim_id} here.")


async def mute(message: Message, command: CommandObject, session: AsyncSession, bot: Bot) -> Reply:
    sub = await _subscription(message, command, session, bot)
    parts = (command.args or "").split()
    span = parse_duration(parts[1]) if len(parts) > 1 else FOREVER
    if span is None:
        raise UserError("Mute for how long? For example: /mute 12 2h (m, h, d or w), or /mute 12 for good.")
    sub.muted_until = datetime.now(UTC) + span
    chat = await chats.get_chat(session, sub.chat_id)
    zone = chat.timezone if chat else "UTC"
    until = "until /unmute" if span == FOREVER else f"until {local_time(sub.muted_until, zone)}"
    return message.answer(
        f"🔕 #{sub.claim_id} muted {until}. Sightings are still recorded: /claim {sub.claim_id}."
    )


async def unmute(message: Message, command: CommandObject, session: AsyncSession, bot: Bot) -> Reply:
    sub = await _subscription(message, command, session, bot)
    sub.muted_until = None
    return message.answer(f"🔔 #{sub.claim_id} unmuted.")


def make_router() -> Router:
    """A fresh router (a router joins one dispatcher only)."""
    router = Router(name=__name__)
    router.message.register(untrack, Command("untrack"))
    router.message.register(mute, Command("mute"))
    router.message.register(unmute, Command("unmute"))
    return router

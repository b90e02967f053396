"""Following a claim from a chat (articles and the short-text offer): room left, subscription, one line."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import Bot
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from bot.telegram.access import Place, require_chat_admin
from bot.telegram.backfill import backfill
from bot.telegram.errors import UserError
from bot.telegram.format import esc
from storage import chats
from storage.models import Claim


async def message_of(query: CallbackQuery, bot: Bot) -> Message:
    """The message a button was pressed on, once the presser may change what the chat tracks."""
    if not isinstance(query.message, Message):
        raise UserError("That message is too old; send it again.")
    await require_chat_admin(bot, query.message.chat, query.from_user)
    return query.message


async def check_room(session: AsyncSession, place: Place, settings: Settings) -> None:
    """Refuses one more claim in a chat that tracks the most allowed."""
    count = await chats.count_subscriptions(session, place.chat.id)
    if count >= settings.telegram.max_claims_per_chat:
        raise UserError(f"This chat tracks {count} claims, the most allowed. /untrack one first.")


async def follow(session: AsyncSession, place: Place, claim: Claim, settings: Settings) -> str:
    """Subscribe the place to ``claim``; one line: its id, its text and its recent sightings."""
    await chats.subscribe(session, place.chat.id, claim.id, topic_id=place.topic)
    sub = await chats.get_subscription(session, place.chat.id, claim.id, topic_id=place.topic)
    if sub is not None:
        sub.notify = str(place.chat.settings.get("notify", "all"))
    found = await backfill(session, claim, settings.matching, now=datetime.now(UTC))
    seen = f" · {len(found)} sighting(s) in the last 30 days" if found else ""
    return f"<b>#{claim.id}</b> {esc(claim.text, 200)}{seen}"

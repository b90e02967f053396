"""Short plain text in a private chat: offered as a claim to track, or looked up among the tracked claims."""

from __future__ import annotations

from typing import Literal

from aiogram import Bot
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.alerts.render import shorten
from bot.catalog.claims import clean_text, create_claim
from bot.pipeline.claimset import ClaimSet
from bot.settings import Settings
from bot.telegram.access import place_of
from bot.telegram.errors import UserError
from bot.telegram.following import check_room, follow, message_of
from bot.telegram.format import esc
from bot.telegram.keyboards import duplicates_keyboard
from bot.telegram.replies import Reply

OFFER = "pending_text"
SIMILAR = "Similar claims are tracked already. Follow one of them, or create yours?"


class Offer(CallbackData, prefix="txt"):
    """Short plain text: track it as a claim, or look it up among the tracked claims."""

    action: Literal["track", "search"]


async def offer(message: Message, text: str, session: AsyncSession) -> Reply:
    try:
        text = clean_text(text)
    except ValueError as exc:
        raise UserError(f"{str(exc)[:1].upper()}{str(exc)[1:]}.") from None
    place = await place_of(session, message)
    place.chat.settings = {**place.chat.settings, OFFER: text}
    buttons = [
        InlineKeyboardButton(text="Track it as a claim", callback_data=Offer(action="track").pack()),
        InlineKeyboardButton(text="Look it up", callback_data=Offer(action="search").pack()),
    ]
    return message.answer(
        f"“{esc(shorten(text, 200))}”\nTrack this as a claim, or look it up among the tracked claims?",
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[buttons]),
    )


async def offered(
    query: CallbackQuery,
    callback_data: Offer,
    session: AsyncSession,
    bot: Bot,
    settings: Settings,
    claims: ClaimSet,
) -> Reply:
    message = await message_of(query, bot)
    place = await place_of(session, message)
    text = place.chat.settings.get(OFFER)
    if not text:
        raise UserError("That offer has expired; send the text again.")
    await claims.refresh(session)
    found = claims.index.similar(text, 5)
    if callback_data.action == "search":
        hits = [
            c for c in found if c.score >= settings.matching.suggest_threshold and c.claim_id in claims.meta
        ]
        lines = [f"<b>#{c.claim_id}</b> {esc(claims.meta[int(str(c.claim_id))].text, 150)}" for c in hits]
        reply = "\n".join(["Tracked claims like it:", *lines]) if lines else "No tracked claim is like it."
        return query.answer(), message.edit_text(
            reply + "\nTo track your text as a claim: /track followed by it."
        )
    similar = [
        (int(str(c.claim_id)), claims.meta[int(str(c.claim_id))].text)
        for c in found
        if c.score >= settings.matching.duplicate_threshold and c.claim_id in claims.meta
    ][:3]
    place.chat.settings = {k: v for k, v in place.chat.settings.items() if k != OFFER}
    if similar:  # /track's own offer: its buttons are handled by /track
        place.chat.settings = {**place.chat.settings, "pending_track": {"text": text, "topic": place.topic}}
        return query.answer(), message.edit_text(SIMILAR, reply_markup=duplicates_keyboard(similar))
    await check_room(session, place, settings)
    claim = await create_claim(session, text, created_by_chat=place.chat.id)
    return query.answer(), message.edit_text(f"Tracking {await follow(session, place, claim, settings)}")

"""/track: follow a claim, offering the similar ones already tracked instead of creating duplicates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.articles.source import first_link
from bot.catalog.claims import clean_text, create_claim
from bot.matching import extract_facts
from bot.matching.text import spelled_terms
from bot.pipeline.claimset import ClaimSet
from bot.settings import Settings
from bot.telegram import articles
from bot.telegram.access import ChatAdminButton, Place, place_of, require_chat_admin
from bot.telegram.backfill import backfill
from bot.telegram.callbacks import Duplicate
from bot.telegram.errors import UserError
from bot.telegram.format import esc, plural
from bot.telegram.keyboards import duplicates_keyboard
from bot.telegram.replies import Reply
from storage import chats
from storage.claims import get_claim
from storage.models import Claim, Sighting
from storage.sightings import sightings_of

USAGE = "Tell me the claim: /track Russia moved hundreds of tanks to the border"


async def track(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    bot: Bot,
    settings: Settings,
    claims: ClaimSet,
) -> Reply:
    if not (command.args or "").strip():
        raise UserError(USAGE)
    if first_link(command.args or "") == (command.args or "").strip():  # /track <link>: an article
        return await articles.offer_link(message, (command.args or "").strip(), session, bot, settings)
    text = clean_text(command.args or "")
    await require_chat_admin(bot, message.chat, message.from_user)
    place = await place_of(session, message)
    await _check_room(session, place, settings)
    await claims.refresh(session)
    similar = [
        (int(str(c.claim_id)), claims.meta[int(str(c.claim_id))].text)
        for c in claims.index.similar(text, 3)
        if c.score >= settings.matching.duplicate_threshold and c.claim_id in claims.meta
    ]
    if similar:
        place.chat.settings = {**place.chat.settings, "pending_track": {"text": text, "topic": place.topic}}
        return message.answer(
            "Similar claims are tracked already. Follow one of them, or create yours?",
            reply_markup=duplicates_keyboard(similar),
        )
    claim = await create_claim(session, text, created_by_chat=place.chat.id)
    return message.answer(await _follow(session, place, claim, settings, new=True))


async def choose(
    query: CallbackQuery,
    callback_data: Duplicate,
    message: Message,
    session: AsyncSession,
    settings: Settings,
) -> Reply:
    place = await place_of(session, message)
    await _check_room(session, place, settings)
    pending = place.chat.settings.get("pending_track")
    if callback_data.action == "use":
        claim = await get_claim(session, callback_data.claim)
        if claim is None or claim.archived:
            raise UserError("That claim is no longer tracked; send /track again.")
        reply = await _follow(session, place, claim, settings, new=False)
    else:
        if not pending:
            raise UserError("That offer has expired; send /track again.")
        claim = await create_claim(session, pending["text"], created_by_chat=place.chat.id)
        place = Place(place.chat, int(pending.get("topic") or 0))
        reply = await _follow(session, place, claim, settings, new=True)
    place.chat.settings = {k: v for k, v in place.chat.settings.items() if k != "pending_track"}
    return query.answer(), message.edit_text(reply)


async def _check_room(session: AsyncSession, place: Place, settings: Settings) -> None:
    count = await chats.count_subscriptions(session, place.chat.id)
    if count >= settings.telegram.max_claims_per_chat:
        raise UserError(f"This chat tracks {count} claims, the most allowed. /untrack one first.")


async def _follow(session: AsyncSession, place: Place, claim: Claim, settings: Settings, *, new: bool) -> str:
    """Subscribe the place to ``claim``; the reply: its id, how it is matched, its recent sightings."""
    await chats.subscribe(session, place.chat.id, claim.id, topic_id=place.topic)
    sub = await chats.get_subscription(session, place.chat.id, claim.id, topic_id=place.topic)
    if sub is not None:
        sub.notify = str(place.chat.settings.get("notify", "all"))
    now = datetime.now(UTC)
    if new:
        found = await backfill(session, claim, settings.matching, now=now)
    else:
        found = list(await sightings_of(session, claim.id, since=now - timedelta(days=30), limit=20))
    return "\n".join(
        [f"Tracking <b>#{claim.id}</b>: {esc(claim.text, 200)}", *_how(claim, settings), *_found(found)]
    )


def _how(claim: Claim, settings: Settings) -> list[str]:
    words = ", ".join(f"<b>{esc(w)}</b>" for w in spelled_terms(claim.text).values())  # never stems
    facts = extract_facts(claim.text)
    details = [q.raw for q in (*facts.counts, *facts.amounts, *facts.percents)] + sorted(facts.parties)
    details += list(facts.dates) + ([facts.status] if facts.status else [])
    alert = claim.alert_threshold or settings.matching.alert_threshold
    suggest = claim.suggest_threshold or settings.matching.suggest_threshold
    lines = [f"Matched on the words {words or '(none)'} (any form, any order)."]
    if details:
        lines.append(f"Changes are told against: {esc(', '.join(details), 300)}.")
    lines.append(f"Alerts from score {alert:.0f}; from {suggest:.0f} a sighting is kept as a suggestion.")
    return lines


def _found(found: list[Sighting]) -> list[str]:
    if not found:
        return ["No sightings in the stories of the last 30 days yet; I will tell you when one comes."]
    lines = [f"<b>{plural(len(found), 'sighting')}</b> in the stories of the last 30 days:"]
    for s in found[:5]:
        headline = esc(s.story_title or "(untitled)", 120)
        link = f'<a href="{esc(s.story_link)}">{headline}</a>' if s.story_link else headline
        mark = " (suggestion)" if s.level == "suggestion" else ""
        lines.append(f"• {s.created_at:%d %b} · {link} · {s.kind} · {s.score:.0f}{mark}")
    return lines


def make_router() -> Router:
    """A fresh router (a router joins one dispatcher only)."""
    router = Router(name=__name__)
    router.message.register(track, Command("track"))
    router.callback_query.register(
        choose, Duplicate.filter(), ChatAdminButton("That message is too old; send /track again.")
    )
    return router

"""Tracking an article from the chat: /track <link>, a forwarded post with a link, a pasted story; and the
"track this?" offer for short plain text in a private chat.

The proposals wait in the chat's settings (``pending_article``) while the user ticks them; confirming
tracks each ticked one, or shows /track's offer of similar claims for it, one message per claim.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from aiogram import Bot, F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.methods import TelegramMethod
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.articles.article import Article, ArticleError, from_text, remember
from bot.articles.proposals import claims_in
from bot.articles.source import fetch_article, first_link
from bot.catalog.claims import create_claim
from bot.pipeline.claimset import ClaimSet
from bot.settings import Settings
from bot.telegram.access import Place, place_of, require_chat_admin
from bot.telegram.errors import UserError
from bot.telegram.following import check_room, follow, message_of
from bot.telegram.format import esc
from bot.telegram.keyboards import duplicates_keyboard
from bot.telegram.offer import SIMILAR, Offer, offer, offered
from bot.telegram.replies import Reply
from storage.claims import get_claim

logger = logging.getLogger(__name__)

PROPOSED = 10
"""Claims offered from one article (the CLI's default is 15: a terminal has room for more)."""
ARTICLE_LENGTH = 300
"""Plain text longer than this (or with a link) is an article; shorter text is offered as one claim."""
PENDING = "pending_article"
EXPIRED = "That offer has expired; send the article again."


class Pick(CallbackData, prefix="art"):
    """Proposals from an article: tick or untick ``n``, ``go`` (track the ticked ones) or ``drop``."""

    action: Literal["tick", "go", "drop"]
    n: int = 0


class ArticleDuplicate(CallbackData, prefix="artdup"):
    """Proposal ``n`` has similar tracked claims: follow ``claim`` (``use``) or create it (``new``)."""

    action: Literal["use", "new"]
    n: int
    claim: int = 0


async def offer_link(
    message: Message, url: str, session: AsyncSession, bot: Bot, settings: Settings
) -> Reply:
    """/track <link>: fetch the article and propose its claims."""
    await require_chat_admin(bot, message.chat, message.from_user)
    try:
        article = await fetch_article(
            url, settings.feeds, allow_private=settings.telegram.allow_private_feeds
        )
    except ArticleError as exc:
        raise UserError(str(exc)) from None
    return await _propose(message, article, session)


async def plain_text(message: Message, session: AsyncSession, bot: Bot, settings: Settings) -> Reply:
    """Private plain text: an article (long, or with a link) gets proposals; short text gets an offer."""
    text = message.text or message.caption or ""
    link = first_link(text) or _entity_link(message)
    try:
        if len(text) > ARTICLE_LENGTH:
            article = from_text(text, link=link)
        elif link is not None:
            article = await fetch_article(
                link, settings.feeds, allow_private=settings.telegram.allow_private_feeds
            )
        else:
            return await offer(message, text, session)
    except ArticleError as exc:
        raise UserError(str(exc)) from None
    return await _propose(message, article, session)


def _entity_link(message: Message) -> str | None:
    """A link hidden behind words (a ``text_link`` entity), as channels post them."""
    for entity in [*(message.entities or ()), *(message.caption_entities or ())]:
        if entity.type == "text_link" and entity.url:
            return str(entity.url)
    return None


async def _propose(message: Message, article: Article, session: AsyncSession) -> Reply:
    try:
        proposals = claims_in(article, PROPOSED)
    except ArticleError as exc:
        raise UserError(str(exc)) from None
    place = await place_of(session, message)
    pending = {
        "link": article.link,
        "title": article.title,
        "date": article.date,
        "claims": [p.text for p in proposals],
        "ticked": [],
        "topic": place.topic,
    }
    place.chat.settings = {**place.chat.settings, PENDING: pending}
    return message.answer(_proposals_text(pending), reply_markup=_pick_keyboard(pending))


def _proposals_text(pending: dict[str, Any]) -> str:
    title = esc(pending.get("title") or "(untitled)", 150)
    head = f'<a href="{esc(pending["link"])}">{title}</a>' if pending.get("link") else f"<b>{title}</b>"
    if not pending.get("title") and not pending.get("link"):
        head = "your text"
    lines = [f"Claims worth tracking in {head}:"]
    for n, text in enumerate(pending["claims"], 1):
        mark = "☑" if n in pending["ticked"] else "☐"
        lines.append(f"{mark} <b>{n}.</b> {esc(text, 300)}")
    lines.append("\nTick the ones to track, then press Track.")
    return "\n".join(lines)[:4000]


def _pick_keyboard(pending: dict[str, Any]) -> InlineKeyboardMarkup:
    ticks = [
        InlineKeyboardButton(
            text=("☑ " if n in pending["ticked"] else "☐ ") + str(n),
            callback_data=Pick(action="tick", n=n).pack(),
        )
        for n in range(1, len(pending["claims"]) + 1)
    ]
    rows = [ticks[i : i + 5] for i in range(0, len(ticks), 5)]
    count = len(pending["ticked"])
    rows.append(
        [
            InlineKeyboardButton(text=f"Track {count} chosen", callback_data=Pick(action="go").pack()),
            InlineKeyboardButton(text="Cancel", callback_data=Pick(action="drop").pack()),
        ]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def pick(
    query: CallbackQuery,
    callback_data: Pick,
    session: AsyncSession,
    bot: Bot,
    settings: Settings,
    claims: ClaimSet,
) -> Reply:
    message = await message_of(query, bot)
    place = await place_of(session, message)
    pending = place.chat.settings.get(PENDING)
    if not pending:
        raise UserError(EXPIRED)
    if callback_data.action == "drop":
        place.chat.settings = {k: v for k, v in place.chat.settings.items() if k != PENDING}
        return query.answer(), message.edit_text("Cancelled: nothing tracked from that article.")
    if callback_data.action == "tick":
        n = callback_data.n
        ticked = (
            sorted(set(pending["ticked"]) ^ {n}) if 1 <= n <= len(pending["claims"]) else pending["ticked"]
        )
        pending = {**pending, "ticked": ticked}
        place.chat.settings = {**place.chat.settings, PENDING: pending}
        return query.answer(), message.edit_text(
            _proposals_text(pending), reply_markup=_pick_keyboard(pending)
        )
    if not pending["ticked"]:
        raise UserError("Tick at least one claim first, or press Cancel.")
    return [query.answer(), *await _track_ticked(message, place, pending, session, settings, claims)]


async def _track_ticked(
    message: Message,
    place: Place,
    pending: dict[str, Any],
    session: AsyncSession,
    settings: Settings,
    claims: ClaimSet,
) -> list[TelegramMethod[Any]]:
    await claims.refresh(session)
    article = Article("", pending.get("title") or "", pending.get("link"), pending.get("date"))
    tracked, offers = [], []
    for n in pending["ticked"]:
        text = pending["claims"][n - 1]
        similar = [
            (int(str(c.claim_id)), claims.meta[int(str(c.claim_id))].text)
            for c in claims.index.similar(text, 3)
            if c.score >= settings.matching.duplicate_threshold and c.claim_id in claims.meta
        ]
        if similar:
            offers.append((n, similar))
            continue
        await check_room(session, place, settings)
        claim = await create_claim(session, text, created_by_chat=place.chat.id, source="article")
        remember(claim, article)
        tracked.append(await follow(session, place, claim, settings))
    lines = [f"Tracking {len(tracked)} claim(s) from this article:", *tracked] if tracked else []
    if offers:
        lines.append(f"{len(offers)} chosen claim(s) are like claims tracked already: see below.")
    else:
        place.chat.settings = {k: v for k, v in place.chat.settings.items() if k != PENDING}
    replies: list[TelegramMethod[Any]] = [message.edit_text("\n".join(lines)[:4000])]
    for n, similar in offers:
        replies.append(
            message.answer(
                f"<b>{n}.</b> {esc(pending['claims'][n - 1], 300)}\n{SIMILAR}",
                reply_markup=_remap(duplicates_keyboard(similar), n),
            )
        )
    return replies


def _remap(keyboard: InlineKeyboardMarkup, n: int) -> InlineKeyboardMarkup:
    """/track's offer of similar claims, its buttons pointing at proposal ``n`` of the article."""
    rows = []
    for row in keyboard.inline_keyboard:
        out = []
        for button in row:
            claim = int((button.callback_data or "").rsplit(":", 1)[-1] or 0)
            action: Literal["use", "new"] = "use" if claim else "new"
            data = ArticleDuplicate(action=action, n=n, claim=claim).pack()
            out.append(InlineKeyboardButton(text=button.text, callback_data=data))
        rows.append(out)
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def choose(
    query: CallbackQuery, callback_data: ArticleDuplicate, session: AsyncSession, bot: Bot, settings: Settings
) -> Reply:
    message = await message_of(query, bot)
    place = await place_of(session, message)
    pending = place.chat.settings.get(PENDING)
    if callback_data.action == "use":
        claim = await get_claim(session, callback_data.claim)
        if claim is None or claim.archived:
            raise UserError("That claim is no longer tracked; send the article again.")
    else:
        if not pending or not 1 <= callback_data.n <= len(pending["claims"]):
            raise UserError(EXPIRED)
        claim = await create_claim(
            session, pending["claims"][callback_data.n - 1], created_by_chat=place.chat.id, source="article"
        )
        remember(claim, Article("", pending.get("title") or "", pending.get("link"), pending.get("date")))
    await check_room(session, place, settings)
    line = await follow(session, place, claim, settings)
    return query.answer(), message.edit_text(f"Tracking {line}")


def make_router() -> Router:
    """A fresh router (a router joins one dispatcher only); register it after the command routers."""
    router = Router(name=__name__)
    router.callback_query.register(pick, Pick.filter())
    router.callback_query.register(choose, ArticleDuplicate.filter())
    router.callback_query.register(offered, Offer.filter())  # the short-text offer plain_text makes
    private = F.chat.type == "private"
    router.message.register(plain_text, private, F.text, ~F.text.startswith("/"))
    router.message.register(plain_text, private, F.caption, ~F.caption.startswith("/"), ~F.document)
    return router

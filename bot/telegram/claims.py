"""/claims (this chat's claims, paginated) and /claim <id> (one claim's history, and its timeline picture)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.alerts.render import shorten
from bot.settings import Settings
from bot.telegram import timeline
from bot.telegram.access import topic_of
from bot.telegram.callbacks import ClaimsPage
from bot.telegram.errors import UserError
from bot.telegram.format import claim_ref, esc, local_time, plural, sparkline, weekly
from bot.telegram.keyboards import pages_keyboard
from bot.telegram.replies import Reply
from bot.timetext import ago
from storage import chats
from storage.claims import get_claim, states_of
from storage.models import Claim, ClaimState, Sighting, Subscription
from storage.sightings import sighting_times, sightings_of

NOT_YOURS = "This chat does not track claim #{ref}. /claims lists the ones it does."


async def list_claims(message: Message, session: AsyncSession, settings: Settings) -> Reply:
    text, markup = await _page(
        session, message.chat.id, topic_of(message), 0, settings.telegram.claims_page_size
    )
    return message.answer(text, reply_markup=markup)


async def turn_page(
    query: CallbackQuery, callback_data: ClaimsPage, session: AsyncSession, settings: Settings
) -> Reply:
    if not isinstance(query.message, Message):
        return query.answer()
    size = settings.telegram.claims_page_size
    text, markup = await _page(
        session, query.message.chat.id, topic_of(query.message), callback_data.page, size
    )
    return query.answer(), query.message.edit_text(text, reply_markup=markup)


async def _page(
    session: AsyncSession, chat_id: int, topic: int, page: int, size: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    subs = await chats.subscriptions_in(session, chat_id, topic)
    if not subs:
        return "This chat tracks no claims yet. Start with /track &lt;claim&gt;.", None
    pages = (len(subs) + size - 1) // size
    page = min(max(page, 0), pages - 1)
    shown = subs[page * size : (page + 1) * size]
    now = datetime.now(UTC)
    ids = [s.claim_id for s in shown]
    claims = {c.id: c for c in (await session.execute(select(Claim).where(Claim.id.in_(ids)))).scalars()}
    totals = dict(
        (
            await session.execute(
                select(Sighting.claim_id, func.count(Sighting.id))
                .where(Sighting.claim_id.in_(ids))
                .group_by(Sighting.claim_id)
            )
        ).all()
    )
    recent = (
        await session.execute(
            select(Sighting.claim_id, Sighting.created_at).where(
                Sighting.claim_id.in_(ids), Sighting.created_at >= now - timedelta(weeks=8)
            )
        )
    ).all()
    lines = [f"<b>Claims tracked here</b> ({len(subs)})"]
    for sub in shown:
        claim = claims.get(sub.claim_id)
        if claim is None:
            continue
        moments = [at for cid, at in recent if cid == sub.claim_id]
        muted = " 🔕" if sub.muted_until and sub.muted_until > now else ""
        last = ago(max(moments, default=None), now)
        lines.append(
            f"<b>#{claim.id}</b> {esc(claim.text, 60)}{muted}\n"
            f"    {plural(totals.get(claim.id, 0), 'sighting')} · last {last} · "
            f"<code>{sparkline(weekly(moments, now))}</code>"
        )
    return "\n".join(lines), pages_keyboard(page, pages)


async def show_claim(
    message: Message, command: CommandObject, session: AsyncSession, settings: Settings
) -> Reply:
    ref = claim_ref(command.args)
    if ref is None:
        raise UserError("Which claim? For example: /claim 12")
    sub = await chats.get_subscription(session, message.chat.id, ref, topic_id=topic_of(message))
    claim = await get_claim(session, ref) if sub is not None else None
    if sub is None or claim is None:
        raise UserError(NOT_YOURS.format(ref=ref))
    history = message.answer(await _history(session, claim, sub, settings))
    if not timeline.available():
        return history  # without the plot extra, the text alone
    states = await states_of(session, claim.id)
    today = datetime.now(UTC).date()
    since = datetime.combine(today - timedelta(days=timeline.DAYS - 1), time(), UTC)
    line = timeline.timeline(
        await sighting_times(session, claim.id, since=since),
        [timeline.Change(s.created_at.date(), s.note, s.reverted_at is not None) for s in states[1:]],
        today=today,
        born=claim.created_at.date(),
    )
    png = await asyncio.to_thread(timeline.draw, line, f"#{claim.id} {shorten(claim.text, 70)}")
    if png is None:
        return history
    photo = BufferedInputFile(png, filename=f"claim-{claim.id}.png")
    caption = _caption(claim, states, sum(line.counts), len(line.counts))
    return message.answer_photo(photo, caption=caption), history


def _caption(claim: Claim, states: Sequence[ClaimState], sightings: int, days: int) -> str:
    """The picture's caption: the claim and its current state."""
    current = [s for s in states if s.reverted_at is None]
    now = "as first stated" if len(current) <= 1 else current[-1].note or "updated"
    return (
        f"<b>#{claim.id}</b> {esc(claim.text, 200)}\n"
        f"Now: {esc(now, 300)} · {plural(sightings, 'sighting')} in {days} days"
    )


async def _history(session: AsyncSession, claim: Claim, sub: Subscription, settings: Settings) -> str:
    now = datetime.now(UTC)
    alert = (claim.alert_threshold or settings.matching.alert_threshold) + sub.threshold_offset
    lines = [
        f"<b>#{claim.id}</b> {esc(claim.text, 300)}",
        f"Threshold offset here: {sub.threshold_offset:+.0f} (alerts from score {alert:.0f})",
    ]
    if claim.article_link or claim.article_title:
        lines.insert(1, _article_line(claim))
    if sub.muted_until and sub.muted_until > now:
        chat = await chats.get_chat(session, sub.chat_id)
        lines.append(f"🔕 Muted until {local_time(sub.muted_until, chat.timezone if chat else 'UTC')}")
    lines.append("\n<b>States</b>")
    for state in (await states_of(session, claim.id))[-6:]:
        reverted = " (reverted)" if state.reverted_at else ""
        lines.append(f"• {state.created_at:%Y-%m-%d} {esc(state.note or 'update', 150)}{reverted}")
    sightings = await sightings_of(session, claim.id, limit=10)
    lines.append(f"\n<b>Sightings</b> ({len(sightings)} latest)" if sightings else "\nNo sightings yet.")
    for s in sightings:
        headline = esc(s.story_title or "(untitled)", 100)
        link = f'<a href="{esc(s.story_link)}">{headline}</a>' if s.story_link else headline
        source = esc(_host(s.story_link), 40)
        mark = " <i>(suggestion)</i>" if s.level == "suggestion" else ""
        feedback = {"relevant": " ✅", "wrong": " ❌"}.get(s.feedback or "", "")
        lines.append(f"• {s.created_at:%d %b} · {source} · {link} · {s.kind} {s.score:.0f}{mark}{feedback}")
    return "\n".join(lines)[:4000]


def _article_line(claim: Claim) -> str:
    """Where the claim was picked from: the article's title (linked) and date."""
    title = esc(claim.article_title or _host(claim.article_link), 150)
    linked = f'<a href="{esc(claim.article_link)}">{title}</a>' if claim.article_link else title
    return f"From the article {linked}" + (f" ({esc(claim.article_date, 32)})" if claim.article_date else "")


def _host(link: str | None) -> str:
    if not link or "://" not in link:
        return "?"
    return link.split("://", 1)[1].split("/", 1)[0]


def make_router() -> Router:
    """A fresh router (a router joins one dispatcher only)."""
    router = Router(name=__name__)
    router.message.register(list_claims, Command("claims"))
    router.callback_query.register(turn_page, ClaimsPage.filter())
    router.message.register(show_claim, Command("claim"))
    return router

"""Admin commands (``telegram.admins``): /addfeed, /removefeed, /import, /export, /stats.

Others get the unknown-command answer, so nothing is revealed. ``telegram.users_can_add_feeds`` lets
anyone /addfeed. Feeds added from the bot are untrusted (no ``file://``, no private addresses).
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.catalog.feeds import add_feed, export_opml, import_opml
from bot.catalog.opml import OpmlError
from bot.pipeline.urlguard import UnsafeURLError, check_url, redact
from bot.settings import Settings
from bot.telegram.access import require_bot_admin
from bot.telegram.errors import UserError
from bot.telegram.feedcheck import FeedUnusable, describe, try_feed
from bot.telegram.format import esc, plural
from bot.telegram.replies import Reply
from bot.timetext import ago
from storage import feeds, outbox
from storage.models import Chat, Claim
from storage.ticks import last_tick


async def addfeed(
    message: Message, command: CommandObject, session: AsyncSession, settings: Settings
) -> Reply:
    if not settings.telegram.users_can_add_feeds:
        require_bot_admin(settings, message.from_user)
    url = (command.args or "").strip()
    if not url:
        raise UserError("Which feed? For example: /addfeed https://example.com/rss")
    try:
        await check_url(url, trusted=False, allow_private=settings.telegram.allow_private_feeds)
        parsed = await try_feed(url, settings.feeds)
        feed = await add_feed(
            session,
            url,
            settings.feeds,
            trusted=False,
            title=parsed.title,
            allow_private=settings.telegram.allow_private_feeds,
        )
    except (UnsafeURLError, FeedUnusable) as exc:
        raise UserError(f"I can't add that feed: {exc}") from None
    except feeds.FeedExistsError as exc:
        raise UserError(f"That feed is already there as #{exc.feed.id}.") from None
    return message.answer(f"Added feed #{feed.id}: {describe(parsed, redact(feed.url))}")


async def removefeed(
    message: Message, command: CommandObject, session: AsyncSession, settings: Settings
) -> Reply:
    require_bot_admin(settings, message.from_user)
    ref = (command.args or "").strip().lstrip("#")
    if not ref.isdigit() or not await feeds.remove_feed(session, int(ref)):
        raise UserError("There is no such feed; /feeds lists them.")
    return message.answer(f"Removed feed #{ref}.")


async def import_(message: Message, session: AsyncSession, settings: Settings, bot: Bot) -> Reply:
    require_bot_admin(settings, message.from_user)
    document = message.document or (message.reply_to_message.document if message.reply_to_message else None)
    if document is None:
        raise UserError("Send the OPML file with /import as its caption.")
    if (document.file_size or 0) > settings.telegram.max_document_bytes:
        raise UserError("That file is too large for an OPML list.")
    buffer = io.BytesIO()
    await bot.download(document, destination=buffer)
    try:
        report = await import_opml(
            session,
            buffer.getvalue()[: settings.telegram.max_document_bytes],
            settings.feeds,
            trusted=False,
            allow_private=settings.telegram.allow_private_feeds,
        )
    except OpmlError as exc:
        raise UserError(f"I can't import that file: {exc}") from None
    lines = [f"Imported {plural(len(report.added), 'feed')}."]
    lines += [f"• {esc(problem, 200)}" for problem in report.problems[:20]]
    return message.answer("\n".join(lines))


async def export(message: Message, session: AsyncSession, settings: Settings) -> Reply:
    require_bot_admin(settings, message.from_user)
    data = export_opml(await feeds.list_feeds(session))
    return message.answer_document(
        BufferedInputFile(data, filename="claimbot-feeds.opml"), caption="The feeds, as OPML."
    )


async def stats(message: Message, session: AsyncSession, settings: Settings) -> Reply:
    require_bot_admin(settings, message.from_user)
    now = datetime.now(UTC)
    health = await feeds.feed_health(session)
    pending, oldest = await outbox.backlog(session)
    tick = await last_tick(session)
    chats_n = await session.scalar(select(func.count(Chat.id)).where(Chat.active.is_(True), Chat.id != 0))
    claims_n = await session.scalar(select(func.count(Claim.id)).where(Claim.archived.is_(False)))
    lines = [
        "<b>Stats</b>",
        f"Feeds: {health.ok} ok, {health.failing} failing, {health.inactive} deactivated",
        f"Outbox: {pending} pending" + (f", oldest {ago(oldest, now)}" if oldest else ""),
        "Last tick: "
        + (
            "never"
            if tick is None
            else f"{ago(tick.started_at, now)}, {tick.duration:.1f}s, "
            f"{tick.feeds} feeds, {tick.failed} failed"
        ),
        f"Chats: {chats_n or 0} active · claims: {claims_n or 0}",
    ]
    return message.answer("\n".join(lines))


def make_router() -> Router:
    """A fresh router (a router joins one dispatcher only)."""
    router = Router(name=__name__)
    router.message.register(addfeed, Command("addfeed"))
    router.message.register(removefeed, Command("removefeed"))
    router.message.register(import_, Command("import"))
    router.message.register(export, Command("export"))
    router.message.register(stats, Command("stats"))
    return router

"""/feeds: every feed with its health."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.pipeline.urlguard import redact
from bot.telegram.format import esc
from bot.telegram.replies import Reply
from bot.timetext import ago
from storage import feeds
from storage.models import Feed

SHOWN = 40


def health(feed: Feed) -> str:
    if not feed.active:
        return "⛔ deactivated"
    if feed.error_count:
        return f"⚠️ failing ({feed.error_count}×)"
    return "✅ ok" if feed.last_ok_at else "⏳ not polled yet"


async def list_feeds(message: Message, session: AsyncSession) -> Reply:
    all_feeds = await feeds.list_feeds(session)
    if not all_feeds:
        return message.answer("No feeds yet.")
        return
    now = datetime.now(UTC)
    lines = [f"<b>Feeds</b> ({len(all_feeds)})"]
    for feed in all_feeds[:SHOWN]:
        name = esc(feed.title or redact(feed.url), 60)
        lines.append(f"#{feed.id} {name} — {health(feed)}, checked {ago(feed.last_checked_at, now)}")
        if feed.last_error and (feed.error_count or not feed.active):
            lines.append(f"    <i>{esc(feed.last_error, 120)}</i>")
    if len(all_feeds) > SHOWN:
        lines.append(f"… and {len(all_feeds) - SHOWN} more")
    return message.answer("\n".join(lines))


def make_router() -> Router:
    """A fresh router (a router joins one dispatcher only)."""
    router = Router(name=__name__)
    router.message.register(list_feeds, Command("feeds"))
    return router

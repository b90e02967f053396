"""/addfeed tries a feed once before adding it: what it is, or one line on why it cannot be used."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.pipeline.fetch import FeedClient
from bot.pipeline.parse import FeedParseError, ParsedEntry, ParsedFeed, parse_in_executor
from bot.settings import FeedSettings
from bot.telegram.format import esc


class FeedUnusable(Exception):
    """The URL answered, but not with a feed we can poll; the message says why in one line."""


async def try_feed(url: str, settings: FeedSettings) -> ParsedFeed:
    """Fetch and parse ``url`` once, through the same guarded client and parser as the poller."""
    async with FeedClient(settings) as client:
        result = await client.fetch(url)
    if result.outcome != "ok" or result.body is None:
        if result.outcome == "not_modified":
            raise FeedUnusable("it answered with nothing to read; check the address")
        raise FeedUnusable(result.error or f"it answered {result.outcome}")
    try:
        return await parse_in_executor(None, result.body, result.final_url, result.content_type)
    except FeedParseError as exc:
        raise FeedUnusable(exc.reason) from None


def newest(feed: ParsedFeed) -> ParsedEntry | None:
    """The entry published last (feeds list newest first when they give no dates)."""
    dated = [e for e in feed.entries if e.published is not None]
    if dated:
        return max(dated, key=lambda e: e.published or datetime.min.replace(tzinfo=UTC))
    return feed.entries[0] if feed.entries else None


def describe(feed: ParsedFeed, url: str) -> str:
    """Telegram HTML: the feed's title, address, item count and newest item."""
    items = len(feed.entries)
    lines = [f"<b>{esc(feed.title or '(untitled feed)', 100)}</b> {esc(url, 200)}"]
    lines.append(f"{items} item{'' if items == 1 else 's'} now" + ("; the newest:" if items else "."))
    entry = newest(feed)
    if entry is not None:
        when = f" ({entry.published:%d %b %Y})" if entry.published else ""
        lines.append(f"• {esc(entry.title or '(untitled)', 150)}{when}")
    lines.append("Its first poll is a baseline: alerts start with the stories after it.")
    return "\n".join(lines)

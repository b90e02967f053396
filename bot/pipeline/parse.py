"""Turning fetched bytes into clean entries: pure, synchronous, safe on hostile XML.

Run it off the event loop (:func:`parse_in_executor`); :func:`parse_feed` is a top-level function over bytes
and plain dataclasses, so a ``ProcessPoolExecutor`` can run it and pickle the result back.

Speed: :mod:`bot.pipeline.fastparse` handles plain, well-formed UTF-8 RSS/Atom with lxml (~20x faster) and
gives up on anything else; feedparser then parses the document as before. Both paths yield the same
:class:`ParsedFeed` (tests/test_fastparse.py compares them); ``fast=False`` forces feedparser.

Safety: feedparser only ever sees a ``BytesIO`` (handed a ``str`` or ``bytes`` it would treat it as a URL or
a file name and fetch/open it). Its strict parser is expat with external entities off, and before the loose
fallback it keeps only inline entity declarations whose text has no ``&`` and no ``SYSTEM``, so neither
billion laughs nor external entities expand (tests/test_parse_hostile.py proves it).

Identity: :func:`prepare_feed` parses, then fingerprints each distinct entry as the story to store, in the
parse worker: normalising every link and folding every title is per-entry Python work that would otherwise
run on the event loop, which also drives the database writer.

Hygiene: whichever parser ran, its raw fields become a :class:`ParsedFeed` in :func:`_parsed` alone, and that
is where text is cleaned (:func:`bot.plaintext.plain`: no controls, escapes or lone surrogates), titles and
summaries are capped, over-long guids are hashed and links other than http(s) are dropped.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import io
import re
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from time import struct_time
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser  # type: ignore[import-untyped,unused-ignore]

from bot.errors import FeedParseError as FeedParseError
from bot.matching.types import StoryDoc
from bot.pipeline.fastparse import fast_extract
from bot.pipeline.identity import story_fingerprint, title_fingerprint
from bot.plaintext import SUMMARY_MAX, TITLE_MAX, plain
from storage.stories import NewStory

_SY_PERIODS = {
    "hourly": 3600.0,
    "daily": 86400.0,
    "weekly": 604800.0,
    "monthly": 2592000.0,
    "yearly": 31536000.0,
}
_DROP_BLOCKS = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_BLOCK_TAGS = re.compile(
    r"</?(?:p|div|br|li|ul|ol|h[1-6]|tr|td|th|table|blockquote|pre|hr|section|article|"
    r"figure|figcaption|header|footer|dd|dt|dl)\b[^>]*>",
    re.IGNORECASE,
)
_TAGS = re.compile(r"<[^>]*>")
_COMMENTS = re.compile(r"<!--.*?-->", re.DOTALL)
_SPACES = re.compile(r"\s+")
_FEED_TITLE_MAX = 512  # the feeds.title column
_GUID_MAX = 1024  # the story_sources.guid column
_LINK_MAX = 2048  # the link columns
_LINK_SCHEMES = ("http", "https")
_CHARREF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));")


@dataclass(frozen=True, slots=True)
class ParsedEntry:
    guid: str
    title: str
    summary: str
    content: str
    link: str | None
    published: datetime | None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str
    link: str | None
    entries: list[ParsedEntry]
    bozo: str | None
    ttl: float | None


def clean_text(markup: str | None, limit: int | None = None) -> str:
    """Plain text: tags (and script/style bodies) dropped, entities decoded, controls dropped, whitespace
    folded, at most ``limit`` characters."""
    if not markup:
        return ""
    text = markup
    if "<" in text:
        text = _COMMENTS.sub(" ", text)
        text = _DROP_BLOCKS.sub(" ", text)
        text = _BLOCK_TAGS.sub(" ", text)
        text = _TAGS.sub("", text)
    if "&" in text:
        text = html.unescape(text)
    return plain(_SPACES.sub(" ", plain(text)).strip(), limit)


def parse_feed(body: bytes, url: str, content_type: str | None = None, *, fast: bool = True) -> ParsedFeed:
    """Parse one fetched document; :class:`FeedParseError` when it is not a feed or has no entries."""
    extracted = fast_extract(body, url, content_type) if fast else None
    if extracted is not None:
        feed, entries = extracted
        return _parsed(url, feed, entries, None)
    # Without a header feedparser flags every feed bozo; application/xml lets the XML declaration decide.
    headers = {"content-location": url, "content-type": content_type or "application/xml"}
    # A BytesIO, never bytes or str: feedparser would open those as a file name or fetch them as a URL.
    # We keep plain text only, so its HTML sanitiser and relative-URI rewriting are wasted work (~2x).
    if b"&#" in body:
        body = _CHARREF.sub(_defuse_charref, body)
    result = feedparser.parse(
        io.BytesIO(body), response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )
    bozo = _bozo_reason(result)
    if not result.entries:
        if not result.get("version"):
            raise FeedParseError(f"not a feed: {bozo or 'no RSS or Atom root element'}")
        raise FeedParseError(f"the feed has no entries{f' ({bozo})' if bozo else ''}")
    return _parsed(url, result.feed, result.entries, bozo)


def _defuse_charref(found: re.Match[bytes]) -> bytes:
    """A character reference to a control, a surrogate or no character at all is dropped before feedparser
    sees it (its loose parser raises on ``&#xD800;``); the text cleaning would drop the character anyway."""
    hexa, decimal = found.groups()
    code = int(hexa, 16) if hexa else int(decimal)
    if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF or (code < 0x20 and code not in (0x09, 0x0A, 0x0D)):
        return b""
    return found.group(0)


def _parsed(url: str, feed: Mapping[str, Any], entries: list[Any], bozo: str | None) -> ParsedFeed:
    """The clean result from feedparser-shaped raw fields (from feedparser itself or the fast path)."""
    base = _absolute(url, feed.get("link")) or url
    return ParsedFeed(
        title=clean_text(feed.get("title"), _FEED_TITLE_MAX),
        link=_web_link(url, feed.get("link")),
        entries=[_entry(raw, base) for raw in entries],
        bozo=bozo,
        ttl=feed_ttl(feed),
    )


async def parse_in_executor(
    executor: Executor | None, body: bytes, url: str, content_type: str | None = None
) -> ParsedFeed:
    """:func:`parse_feed` in ``executor`` (a thread or process pool; None: the loop's default threads)."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(executor, partial(parse_feed, body, url, content_type))


def feed_ttl(feed: Mapping[str, Any]) -> float | None:
    """Seconds the feed asks us to wait: ``<ttl>`` minutes, else ``sy:updatePeriod / sy:updateFrequency``."""
    ttl = _number(feed.get("ttl"))
    if ttl is not None and ttl > 0:
        return ttl * 60.0
    period = _SY_PERIODS.get(str(feed.get("sy_updateperiod", "")).strip().lower())
    if period is None:
        return None
    frequency = _number(feed.get("sy_updatefrequency"))
    return period / frequency if frequency and frequency > 0 else period


def _entry(raw: dict[str, Any], base: str) -> ParsedEntry:
    title = clean_text(raw.get("title"), TITLE_MAX)
    link = _web_link(base, raw.get("link"))
    # dict.get: FeedParserDict.get("updated_parsed") would warn and hand back published_parsed again.
    published = _utc(dict.get(raw, "published_parsed") or dict.get(raw, "updated_parsed"))
    contents = raw.get("content") or []
    content = clean_text(contents[0].get("value")) if contents else ""
    summary = clean_text(raw.get("summary"), SUMMARY_MAX)
    guid = plain(str(raw.get("id") or "")).strip() or link or _hash_guid(title, published, summary)
    if len(guid) > _GUID_MAX:
        guid = "sha1:" + hashlib.sha1(guid.encode("utf-8")).hexdigest()
    return ParsedEntry(
        guid=guid, title=title, summary=summary, content=content, link=link, published=published
    )


def _hash_guid(title: str, published: datetime | None, summary: str) -> str:
    stamp = published.isoformat() if published else ""
    seed = f"{title}\n{stamp}" if title else summary
    return "sha1:" + hashlib.sha1(seed.encode("utf-8")).hexdigest()


def _absolute(base: str, link: Any) -> str | None:
    if not isinstance(link, str) or not link.strip():
        return None
    return urljoin(base, link.strip())


def _web_link(base: str, link: Any) -> str | None:
    """The absolute http(s) link, or None: ``javascript:``, ``data:`` and the like never reach a reader."""
    absolute = _absolute(base, link)
    if absolute is None:
        return None
    absolute = plain(absolute)
    try:
        scheme = urlsplit(absolute).scheme.lower()
    except ValueError:
        return None
    if scheme not in _LINK_SCHEMES or len(absolute) > _LINK_MAX:
        return None
    return absolute


def _utc(value: Any) -> datetime | None:
    # feedparser normalises every date it understands to a UTC struct_time.
    if not isinstance(value, struct_time):
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC)
    except ValueError:
        return None


def _number(value: Any) -> float | None:
    try:
        return float(str(value).strip())
    except ValueError:
        return None


def _bozo_reason(result: Mapping[str, Any]) -> str | None:
    if not result.get("bozo"):
        return None
    exc = result.get("bozo_exception")
    text = str(exc).splitlines()[0] if exc is not None and str(exc) else ""
    name = type(exc).__name__ if exc is not None else "bozo"
    return f"{name}: {text}" if text else name


TITLE_KEY_MIN_WORDS = 5
"""Shorter titles are too generic to merge stories of different links on."""


@dataclass(frozen=True, slots=True)
class PreparedFeed:
    """A parsed feed as the store needs it; only this crosses back from the worker (small to unpickle)."""

    title: str
    ttl: float | None
    bozo: str | None
    entries: int
    """As parsed, repeated guids included."""
    stories: list[NewStory]
    """One per distinct guid, in feed order (the last entry of a repeated guid wins)."""
    contents: list[str]
    """Each story's full text, for the matcher."""

    def docs(self, keep: Callable[[NewStory], bool]) -> list[StoryDoc]:
        """What the matcher reads, for the stories ``keep`` selects."""
        return [
            StoryDoc(id=s.guid, title=s.title, summary=s.summary, content=content)
            for s, content in zip(self.stories, self.contents, strict=True)
            if keep(s)
        ]


def prepare_feed(body: bytes, url: str, content_type: str | None = None) -> PreparedFeed:
    """:func:`~bot.pipeline.parse.parse_feed`, then each distinct entry as the story to store."""
    parsed = parse_feed(body, url, content_type)
    unique = list({entry.guid: entry for entry in parsed.entries}.values())
    return PreparedFeed(
        title=parsed.title,
        ttl=parsed.ttl,
        bozo=parsed.bozo,
        entries=len(parsed.entries),
        stories=[new_story(entry) for entry in unique],
        contents=[entry.content for entry in unique],
    )


async def prepare_in_executor(
    executor: Executor | None, body: bytes, url: str, content_type: str | None = None
) -> PreparedFeed:
    """:func:`prepare_feed` in ``executor`` (a thread or process pool; None: the loop's default threads)."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(executor, partial(prepare_feed, body, url, content_type))


def new_story(entry: ParsedEntry) -> NewStory:
    words = len(entry.title.split())
    return NewStory(
        guid=entry.guid,
        fingerprint=story_fingerprint(entry.link, entry.title or entry.guid),
        title_key=title_fingerprint(entry.title) if words >= TITLE_KEY_MIN_WORDS else None,
        title=entry.title,
        summary=entry.summary,
        link=entry.link,
        published_at=entry.published,
    )

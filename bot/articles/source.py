"""Getting an article from where the user points: a link (fetched through the feeds' URL guard and caps),
a file, or pasted text."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from bot.articles.article import Article, ArticleError, NotAnArticle, TooLarge, UnsafeAddress, from_text
from bot.articles.page import read_page
from bot.pipeline.fetch import FeedClient, FetchResult
from bot.pipeline.urlguard import UnsafeURLError, check_url, redact
from bot.settings import FeedSettings

LINK = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)


def first_link(text: str) -> str | None:
    """The first http(s) link in ``text``, without trailing punctuation."""
    m = LINK.search(text)
    return m.group().rstrip(".,;:!?)]}’”") if m else None


async def fetch_article(
    url: str, settings: FeedSettings, client: FeedClient | None = None, *, allow_private: bool | None = None
) -> Article:
    """The article at ``url``; :class:`ArticleError` with one line for every way it can fail.

    ``allow_private`` defaults to ``feeds.allow_private_networks`` (the operator's CLI); the bot passes
    its own switch, ``telegram.allow_private_feeds``.
    """
    if allow_private is None:
        allow_private = settings.allow_private_networks
    try:
        checked = await check_url(url, trusted=False, allow_private=allow_private)
    except UnsafeURLError as exc:
        raise _refusal(str(exc), url) from None
    if client is None:
        async with FeedClient(settings) as own:
            result = await own.fetch(checked)
    else:
        result = await client.fetch(checked)
    if result.outcome != "ok" or result.body is None:
        raise _failure(result, settings)
    return await asyncio.to_thread(
        read_page, result.body, url=result.final_url, content_type=result.content_type
    )


def read_file(path: Path, max_bytes: int) -> Article:
    """A saved article: HTML (by its name or its first bytes) or plain text."""
    try:
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise ArticleError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    if len(data) > max_bytes:
        raise TooLarge(f"{path} is larger than the {max_bytes:,}-byte cap.")
    head = data[:1024].lstrip().lower()
    if path.suffix.lower() in (".html", ".htm") or head.startswith((b"<!doctype html", b"<html")):
        return read_page(data, url=path.resolve().as_uri(), content_type="text/html")
    if head.startswith(b"%pdf-"):
        raise NotAnArticle(f"{path} is a PDF: save the article's text instead.")
    return from_text(data.decode("utf-8", "replace"))


def _refusal(reason: str, url: str) -> ArticleError:
    if "not public" in reason or "non-public" in reason:
        return UnsafeAddress(f"I can't fetch {redact(url)}: it points to a private or local address.")
    return ArticleError(f"I can't fetch that link ({reason}): send an http:// or https:// article link.")


def _failure(result: FetchResult, settings: FeedSettings) -> ArticleError:
    reason = result.error or "the page was empty"
    if "not public" in reason or "non-public" in reason:  # a name that resolved to a private address
        return UnsafeAddress("I can't fetch that link: it points to a private or local address.")
    if result.http_status == 404 or result.outcome == "gone":
        return NotAnArticle("That page does not exist (HTTP 404/410): check the link.")
    if "cap" in reason:
        return TooLarge(
            f"That page is too large (over {settings.max_bytes:,} bytes): paste the article's text."
        )
    if result.outcome == "not_modified":
        return NotAnArticle("That page is empty: check the link.")
    return ArticleError(f"I couldn't fetch that page ({reason}): try again later or paste its text.")

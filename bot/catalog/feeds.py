"""Adding feeds under the URL policy, and OPML import/export (shared by the CLI and the bot)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot.catalog.opml import OpmlFeed, parse_opml, render_opml
from bot.pipeline.urlguard import UnsafeURLError, check_url, redact
from bot.settings import FeedSettings
from storage import feeds as queries
from storage.models import Feed


def as_url(target: str) -> str:
    """A feed URL from what an operator typed: an existing local path becomes a ``file://`` URL."""
    target = target.strip()
    if not target:  # Path("") is the current folder, which exists
        raise UnsafeURLError("no feed given: pass an http(s) URL, a file:// URL or the path of a feed file")
    if "://" not in target and Path(target).exists():
        return Path(target).resolve().as_uri()
    return target


async def add_feed(
    session: AsyncSession,
    url: str,
    settings: FeedSettings,
    *,
    trusted: bool,
    title: str = "",
    allow_private: bool | None = None,
) -> Feed:
    """Check ``url`` against the policy (``trusted``: CLI or config) and add it; first poll: a baseline.

    ``allow_private`` defaults to ``feeds.allow_private_networks``, the operator's switch; the bot passes
    its own (``telegram.allow_private_feeds``).
    """
    if allow_private is None:
        allow_private = settings.allow_private_networks
    try:
        checked = await check_url(url, trusted=trusted, allow_private=allow_private)
    except ValueError as exc:  # yarl and the idna codec on a malformed URL ('http://[::1', a 64-byte label)
        raise UnsafeURLError(f"{redact(url)} is not a valid URL ({exc})") from None
    return await queries.add_feed(session, checked, title=title, trusted=trusted)


@dataclass(slots=True)
class ImportReport:
    added: list[Feed] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


async def import_opml(
    session: AsyncSession,
    data: bytes,
    settings: FeedSettings,
    *,
    trusted: bool,
    allow_private: bool | None = None,
) -> ImportReport:
    """Add every feed of an OPML document; bad or duplicate entries are reported, the good ones added."""
    report = ImportReport()
    feeds, problems = parse_opml(data)  # OpmlError: not OPML at all
    report.problems.extend(problems)
    for entry in feeds:
        try:
            async with session.begin_nested():
                report.added.append(
                    await add_feed(
                        session,
                        entry.url,
                        settings,
                        trusted=trusted,
                        title=entry.title,
                        allow_private=allow_private,
                    )
                )
        except UnsafeURLError as exc:
            report.problems.append(f"{redact(entry.url)}: {exc}")
        except queries.FeedExistsError as exc:
            report.problems.append(f"{redact(entry.url)}: already there as feed #{exc.feed.id}")
    return report


def export_opml(feeds: Sequence[Feed]) -> bytes:
    return render_opml(OpmlFeed(title=feed.title or feed.url, url=feed.url) for feed in feeds)

"""Permanent redirects (301/308) on a real server and database: the feed takes the new URL, unless another
feed already polls it; then it is retired as a duplicate and the poll's stories are kept."""

from __future__ import annotations

import io
import logging

import pytest
from sqlalchemy import func, select

from bot.alerts.console import ConsoleTransport
from bot.app import Database, poll_once
from bot.pipeline.fetch import FeedClient
from bot.pipeline.poll import TickSummary
from bot.settings import Settings
from storage import feeds
from storage.models import Event, Feed, Story, StorySource
from testkit.samples import UNRELATED, rss
from tests.conftest import Db, make_settings
from tests.feedserver import FeedServer


async def _tick(db: Db, settings: Settings) -> TickSummary:
    async with FeedClient(settings.feeds) as client:
        return await poll_once(
            settings, Database(db.engine, db.sessionmaker), client, ConsoleTransport(io.StringIO())
        )


async def _add(db: Db, *urls: str) -> list[int]:
    async with db.sessionmaker.begin() as s:
        return [(await feeds.add_feed(s, url)).id for url in urls]


async def _feeds(db: Db) -> dict[int, Feed]:
    async with db.sessionmaker() as s:
        return {feed.id: feed for feed in (await s.execute(select(Feed))).scalars()}


async def _count(db: Db, column: object) -> int:
    async with db.sessionmaker() as s:
        return int(await s.scalar(select(func.count(column))) or 0)  # type: ignore[arg-type]


async def test_permanent_move_to_a_free_url_updates_the_feed(db: Db, settings: Settings) -> None:
    async with FeedServer() as server:
        new = server.feed("/new", rss(("x", "Floods", UNRELATED)))
        (feed_id,) = await _add(db, server.redirect("/old", new, 308))
        summary = await _tick(db, settings)
    feed = (await _feeds(db))[feed_id]
    assert summary.failed == 0 and summary.new_stories == 1
    assert feed.url == new and feed.active and feed.last_error is None


async def test_move_onto_another_feeds_url_retires_the_duplicate_and_keeps_its_url(
    db: Db, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    async with FeedServer() as server:
        new = server.feed("/new", rss(("x", "Floods", UNRELATED)))
        old = server.redirect("/old", new, 301)
        moved, owner = await _add(db, old, new)
        with caplog.at_level(logging.INFO, logger="bot.pipeline"):
            summary = await _tick(db, settings)
            rows = await _feeds(db)
            assert summary.failed == 0 and summary.feeds == 2
            assert rows[moved].url == old and not rows[moved].active
            assert f"duplicate of feed #{owner}" in (rows[moved].last_error or "")
            assert rows[owner].url == new and rows[owner].active and rows[owner].last_error is None
            await _tick(db, settings)  # the duplicate is no longer polled, nor reported again
        assert len(server.requests_to("/old")) == 1
    assert sum("duplicate of feed" in r.getMessage() for r in caplog.records) == 1
    async with db.sessionmaker() as s:
        assert (await s.execute(select(Event.kind, Event.feed_id))).all() == [("feed_deactivated", moved)]
    assert await _count(db, Story.id) == 1 and await _count(db, StorySource.id) == 2  # nothing lost


@pytest.mark.parametrize("concurrency", [1, 8])
async def test_two_feeds_moving_to_one_url_in_one_tick(db: Db, concurrency: int) -> None:
    settings = make_settings(db.url, feeds={"concurrency": concurrency})
    async with FeedServer() as server:
        new = server.feed("/new", rss(("x", "Floods", UNRELATED)))
        ids = await _add(db, server.redirect("/a", new, 301), server.redirect("/b", new, 308))
        summary = await _tick(db, settings)
    rows = await _feeds(db)
    assert summary.failed == 0
    winner = next(i for i in ids if rows[i].url == new)
    (loser,) = set(ids) - {winner}
    assert rows[winner].active and not rows[loser].active
    assert rows[loser].url.endswith(("/a", "/b")) and f"duplicate of feed #{winner}" in (
        rows[loser].last_error or ""
    )


async def test_move_onto_a_url_taken_concurrently_keeps_the_transaction(
    db: Db, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lookup misses a URL another transaction just took: the unique constraint fires in a savepoint."""
    moved, owner = await _add(db, "https://a.example/rss", "https://b.example/rss")
    real = feeds._owner
    lookups: list[str] = []

    async def stale_once(session: object, url: str) -> int | None:
        lookups.append(url)
        return None if len(lookups) == 1 else await real(session, url)  # type: ignore[arg-type]

    monkeypatch.setattr(feeds, "_owner", stale_once)
    async with db.sessionmaker.begin() as s:
        await feeds.add_feed(s, "https://c.example/rss")  # work done earlier in the same transaction
        assert await feeds.move_feed(s, moved, "https://b.example/rss") == owner
        assert await feeds.move_feed(s, moved, "https://d.example/rss") is None
    rows = await _feeds(db)
    assert len(rows) == 3 and rows[moved].url == "https://d.example/rss"

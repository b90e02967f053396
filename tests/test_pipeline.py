"""The whole path on a real feed server and database: fetch → parse → store → match → outbox → alert."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, update

from bot.alerts.console import ConsoleTransport
from bot.app import Database, poll_once, prepare_chats
from bot.catalog.claims import load_seeds, read_seed_file
from bot.pipeline import store as store_module
from bot.pipeline.claimset import ClaimSet
from bot.pipeline.fetch import FeedClient
from bot.pipeline.store import store_matches
from bot.resources import seeds_path
from bot.settings import Settings
from storage import feeds
from storage.models import ClaimState, Delivery, Event, Feed, Sighting, Story, StorySource
from testkit.samples import POLAND, POLAND_CHANGED, UNRELATED, WEAPONS, rss
from tests.conftest import Db, make_settings
from tests.feedserver import FeedServer


async def _setup(db: Db, settings: Settings, *urls: str) -> None:
    async with db.sessionmaker.begin() as s:
        await load_seeds(s, read_seed_file(seeds_path("claims.jsonl")))
        for url in urls:
            await feeds.add_feed(s, url)
    await prepare_chats(Database(db.engine, db.sessionmaker), settings)


async def _tick(db: Db, settings: Settings, out: io.StringIO, claims: ClaimSet | None = None) -> None:
    async with FeedClient(settings.feeds) as client:
        await poll_once(settings, Database(db.engine, db.sessionmaker), client, ConsoleTransport(out), claims)


async def _due_now(db: Db) -> None:
    async with db.sessionmaker.begin() as s:
        await s.execute(update(Feed).values(next_check_at=datetime.now(UTC)))


async def _count(db: Db, column: object) -> int:
    async with db.sessionmaker() as s:
        return int(await s.scalar(select(func.count(column))) or 0)  # type: ignore[arg-type]


async def test_baseline_then_alerts_once(db: Db, settings: Settings) -> None:
    out = io.StringIO()
    async with FeedServer() as server:
        url = server.feed("/rss", rss(("a", "Poland buys Korean arms", POLAND), ("b", "Floods", UNRELATED)))
        await _setup(db, settings, url)
        await _tick(db, settings, out)
        assert out.getvalue() == ""  # first poll is a baseline
        assert await _count(db, Sighting.id) == 1
        server.feed(
            "/rss",
            rss(("c", "Trump presses allies on weapons", WEAPONS), ("a", "Poland buys Korean arms", POLAND)),
        )
        await _due_now(db)
        await _tick(db, settings, out)
        await _due_now(db)
        await _tick(db, settings, out)
    printed = out.getvalue()
    assert printed.count("[RECURS] #1 Trump urges Britain") == 1
    assert "Poland" not in printed  # the baseline story was never pushed, nor polled twice
    assert await _count(db, Story.id) == 3
    assert await _count(db, Delivery.id) == printed.count("    story: ")


async def test_tick_summary_counts_only_alerts_queued_for_sending(db: Db, settings: Settings) -> None:
    out = io.StringIO()
    database = Database(db.engine, db.sessionmaker)
    async with FeedServer() as server:
        url = server.feed("/rss", rss(("a", "Trump presses allies on weapons", WEAPONS)))
        await _setup(db, settings, url)
        async with FeedClient(settings.feeds) as client:
            baseline = await poll_once(settings, database, client, ConsoleTransport(out))
            assert baseline.sightings > 0 and baseline.alerts == 0  # a baseline stores and matches only
            server.feed("/rss", rss(("b", "Trump presses allies on weapons again", WEAPONS)))
            await _due_now(db)
            pushed = await poll_once(settings, database, client, ConsoleTransport(out))
    assert pushed.alerts == await _count(db, Delivery.id) == out.getvalue().count("    story: ") > 0


async def test_changed_sighting_becomes_state_and_is_alerted(db: Db, settings: Settings) -> None:
    out = io.StringIO()
    async with FeedServer() as server:
        url = server.feed("/rss", rss(("a", "Floods", UNRELATED)))
        await _setup(db, settings, url)
        await _tick(db, settings, out)
        server.feed("/rss", rss(("z", "Poland finalises tank deal", POLAND_CHANGED)))
        await _due_now(db)
        await _tick(db, settings, out)
    assert "[CHANGED] #10" in out.getvalue()
    assert "count: hundreds" in out.getvalue() and "180" in out.getvalue()
    async with db.sessionmaker() as s:
        states = (await s.execute(select(ClaimState).where(ClaimState.claim_id == 10))).scalars().all()
    assert len(states) == 2 and states[-1].sighting_id is not None


async def test_syndicated_story_is_one_sighting_with_two_sources(db: Db, settings: Settings) -> None:
    out = io.StringIO()
    async with FeedServer() as server:
        one = server.feed("/one", rss(("x", "Floods", UNRELATED)))
        two = server.feed("/two", rss(("x", "Floods", UNRELATED)))
        await _setup(db, settings, one, two)
        await _tick(db, settings, out)
        server.feed("/one", rss(("w", "Trump presses allies", WEAPONS)))
        server.feed("/two", rss(("w", "Trump presses allies", WEAPONS)))
        await _due_now(db)
        await _tick(db, settings, out)
    assert out.getvalue().count("[RECURS] #1 ") == 1
    assert await _count(db, StorySource.id) == 4 and await _count(db, Story.id) == 2


async def test_failures_back_off_then_deactivate_with_notice(db: Db) -> None:
    settings = make_settings(db.url, feeds={"max_failures": 2})
    out = io.StringIO()
    async with FeedServer() as server:
        url = server.respond("/down", 500)
        await _setup(db, settings, url)
        await _tick(db, settings, out)
        async with db.sessionmaker() as s:
            feed = (await s.execute(select(Feed))).scalar_one()
        assert feed.error_count == 1 and feed.active and feed.next_check_at > datetime.now(UTC)
        assert "500" in (feed.last_error or "")
        await _due_now(db)
        await _tick(db, settings, out)
    async with db.sessionmaker() as s:
        feed = (await s.execute(select(Feed))).scalar_one()
        events = (await s.execute(select(Event.kind))).scalars().all()
    assert not feed.active and events == ["feed_deactivated"]
    assert "[NOTICE] Feed switched off" in out.getvalue()


async def test_gone_deactivates_at_once(db: Db, settings: Settings) -> None:
    async with FeedServer() as server:
        url = server.respond("/gone", 410)
        await _setup(db, settings, url)
        await _tick(db, settings, io.StringIO())
    async with db.sessionmaker() as s:
        feed = (await s.execute(select(Feed))).scalar_one()
    assert not feed.active and "gone" in (feed.last_error or "")


async def test_not_a_feed_is_a_failure_and_stores_nothing(db: Db, settings: Settings) -> None:
    async with FeedServer() as server:
        url = server.respond(
            "/html", 200, b"<html><body>hello</body></html>", **{"Content-Type": "text/html"}
        )
        await _setup(db, settings, url)
        await _tick(db, settings, io.StringIO())
    async with db.sessionmaker() as s:
        feed = (await s.execute(select(Feed))).scalar_one()
    assert feed.error_count == 1 and "not a usable feed" in (feed.last_error or "")
    assert await _count(db, Story.id) == 0


async def test_crash_mid_feed_rolls_back_that_feed_only(
    db: Db, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = store_matches
    calls = {"n": 0}

    async def flaky(*args: object, **kwargs: object) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("disk on fire")
        await real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store_module, "store_matches", flaky)
    async with FeedServer() as server:
        one = server.feed("/one", rss(("a", "Poland buys Korean arms", POLAND)))
        two = server.feed("/two", rss(("b", "Trump presses allies", WEAPONS)))
        await _setup(db, settings, one, two)
        await _tick(db, settings, io.StringIO())
        assert await _count(db, Story.id) == 1  # the crashed feed's transaction rolled back
        async with db.sessionmaker.begin() as s:
            await s.execute(update(Feed).values(lease_until=None, next_check_at=datetime.now(UTC)))
        await _tick(db, settings, io.StringIO())
    assert await _count(db, Story.id) == 2
    async with db.sessionmaker() as s:
        claims_seen = set((await s.execute(select(Sighting.claim_id))).scalars())
    assert {1, 10} <= claims_seen

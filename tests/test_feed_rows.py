"""The feed row after a failure or a deactivation, and the health counts, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage import feeds
from storage.models import Feed
from tests.conftest import Db

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


async def _leased(db: Db, *urls: str) -> list[int]:
    async with db.sessionmaker.begin() as s:
        ids = [(await feeds.add_feed(s, url)).id for url in urls]
        await feeds.lease_due_feeds(
            s, now=datetime.now(UTC) + timedelta(days=1), owner="w", lease=60, limit=9
        )
    return ids


async def test_record_failure_counts_reschedules_and_releases_the_lease(db: Db) -> None:
    [feed_id] = await _leased(db, "https://a.example.test/feed")
    later = NOW + timedelta(minutes=5)
    async with db.sessionmaker.begin() as s:
        await feeds.record_failure(s, feed_id, "x" * 3000, failures=2, now=NOW, next_check_at=later)
    async with db.sessionmaker() as s:
        feed = await s.get(Feed, feed_id)
    assert feed is not None and feed.active
    assert (feed.error_count, len(feed.last_error or ""), feed.lease_owner, feed.lease_until) == (
        2,
        2000,
        None,
        None,
    )
    assert feed.next_check_at == later and feed.last_checked_at == NOW


async def test_deactivate_feed_releases_the_lease_and_keeps_or_sets_the_count(db: Db) -> None:
    kept, counted = await _leased(db, "https://a.example.test/feed", "https://b.example.test/feed")
    async with db.sessionmaker.begin() as s:
        assert await feeds.deactivate_feed(s, kept, "duplicate", now=NOW) == "https://a.example.test/feed"
        assert await feeds.deactivate_feed(s, counted, "gone", now=NOW, error_count=5) is not None
        assert await feeds.deactivate_feed(s, 10_000, "no such feed", now=NOW) is None
    async with db.sessionmaker() as s:
        rows = {f.id: f for f in await feeds.list_feeds(s)}
    assert [(f.active, f.error_count, f.last_error, f.lease_owner, f.lease_until) for f in rows.values()] == [
        (False, 0, "duplicate", None, None),
        (False, 5, "gone", None, None),
    ]


async def test_feed_health_counts_ok_failing_and_inactive(db: Db) -> None:
    ids = await _leased(db, *(f"https://{n}.example.test/feed" for n in "abcdef"))
    async with db.sessionmaker.begin() as s:
        assert await feeds.feed_health(s) == feeds.FeedHealth(ok=6)
        for feed_id in ids[:2]:
            await feeds.record_failure(s, feed_id, "timeout", failures=1, now=NOW, next_check_at=NOW)
        await feeds.deactivate_feed(s, ids[2], "gone", now=NOW, error_count=3)
        assert await feeds.feed_health(s) == feeds.FeedHealth(ok=3, failing=2, inactive=1)

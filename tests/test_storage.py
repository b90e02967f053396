"""Storage invariants on SQLite and PostgreSQL: upserts that cannot duplicate, states, outbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from storage import chats, claims, feeds, outbox, stories
from storage.migrate import current_revision, head_revision
from storage.models import Chat, Delivery, Story, StorySource
from tests.conftest import Db

NOW = datetime(2025, 3, 2, 12, 0, tzinfo=UTC)


def story(
    guid: str, link: str | None = None, title: str = "A title long enough to key on"
) -> stories.NewStory:
    return stories.NewStory(
        guid=guid,
        fingerprint=f"link:{link}" if link else f"title:{guid}",
        title_key=None,
        title=title,
        summary="",
        link=link,
        published_at=NOW,
    )


async def test_migration_reaches_head(db: Db) -> None:
    assert await current_revision(db.engine) == head_revision()


async def test_story_stored_once_with_every_source(db: Db) -> None:
    async with db.sessionmaker.begin() as s:
        a = await feeds.add_feed(s, "https://a.example/rss")
        b = await feeds.add_feed(s, "https://b.example/rss")
        first = await stories.store_stories(s, a.id, [story("g1", "x")], since=NOW - timedelta(days=1))
        again = await stories.store_stories(
            s, b.id, [story("other-guid", "x")], since=NOW - timedelta(days=1)
        )
        repeat = await stories.store_stories(s, a.id, [story("g1", "x")], since=NOW - timedelta(days=1))
    assert first["g1"][1] is True
    assert again["other-guid"] == (first["g1"][0], False)
    assert repeat["g1"] == (first["g1"][0], False)
    async with db.sessionmaker() as s:
        assert await s.scalar(select(func.count(Story.id))) == 1
        assert await s.scalar(select(func.count(StorySource.id))) == 2


async def test_title_key_merges_republished_story_within_window(db: Db) -> None:
    keyed = [
        stories.NewStory("g1", "link:one", "key1", "Same headline everywhere today", "", "one", NOW),
        stories.NewStory("g2", "link:two", "key1", "Same headline everywhere today", "", "two", NOW),
    ]
    async with db.sessionmaker.begin() as s:
        feed = await feeds.add_feed(s, "https://a.example/rss")
        first = await stories.store_stories(s, feed.id, keyed[:1], since=NOW - timedelta(days=1))
        second = await stories.store_stories(s, feed.id, keyed[1:], since=NOW - timedelta(days=1))
    assert second["g2"][0] == first["g1"][0]


async def test_known_guid_survives_story_pruning(db: Db) -> None:
    async with db.sessionmaker.begin() as s:
        feed = await feeds.add_feed(s, "https://a.example/rss")
        ids = await stories.store_stories(s, feed.id, [story("g1", "x")], since=NOW)
        await s.delete(await s.get(Story, ids["g1"][0]))
    async with db.sessionmaker() as s:
        assert await stories.known_guids(s, feed.id, ["g1", "g2"]) == {"g1"}


async def test_claim_states_and_revert(db: Db) -> None:
    async with db.sessionmaker.begin() as s:
        claim = await claims.add_claim(s, "Poland signs a deal", {"status": "signs"})
        await claims.add_state(
            s, claim.id, {"status": "cancels"}, story_id=None, story_published_at=NOW, sighting_id=None
        )
        assert (await claims.current_state(s, claim.id)).facts == {"status": "cancels"}
        back = await claims.revert_state(s, claim.id)
        assert back is not None and back.facts == {"status": "signs"}
        assert (await claims.current_state(s, claim.id)).facts == {"status": "signs"}
        assert await claims.revert_state(s, claim.id) is None


async def test_outbox_delivery_unique_and_claimed_once(db: Db) -> None:
    async with db.sessionmaker.begin() as s:
        claim = await claims.add_claim(s, "Some claim text", {})
        await chats.ensure_chat(s, 2**40)  # 64-bit chat ids
        await chats.subscribe(s, 2**40, claim.id)
        await chats.subscribe(s, 2**40, claim.id, topic_id=7)
        event = await outbox.add_event(s, "sighting", claim_id=claim.id)
        who = await outbox.claim_recipients(s, claim.id, score=80, kind="recurs", alert_threshold=70, now=NOW)
        assert sorted(who) == [(2**40, 0), (2**40, 7)]
        assert await outbox.enqueue(s, event.id, who) == 2
        assert await outbox.enqueue(s, event.id, who) == 0
    async with db.sessionmaker.begin() as s:
        taken = await outbox.claim_pending(s, now=datetime.now(UTC), limit=10)
    async with db.sessionmaker.begin() as s:
        again = await outbox.claim_pending(s, now=datetime.now(UTC), limit=10)
    assert len(taken) == 2 and again == []


async def test_recipients_respect_mute_offset_and_changes_only(db: Db) -> None:
    async with db.sessionmaker.begin() as s:
        claim = await claims.add_claim(s, "Some claim text", {})
        for chat_id in (1, 2, 3):
            await chats.ensure_chat(s, chat_id)
            await chats.subscribe(s, chat_id, claim.id)
        subs = {sub.chat_id: sub for chat_id in (1, 2, 3) for sub in await chats.subscriptions_of(s, chat_id)}
        subs[1].muted_until = NOW + timedelta(hours=1)
        subs[2].threshold_offset = 15
        subs[3].notify = "changes"
        await s.flush()
        assert (
            await outbox.claim_recipients(s, claim.id, score=80, kind="recurs", alert_threshold=70, now=NOW)
            == []
        )
        both = await outbox.claim_recipients(
            s, claim.id, score=90, kind="changed", alert_threshold=70, now=NOW
        )
        assert sorted(both) == [(2, 0), (3, 0)]


async def test_times_are_timezone_aware(db: Db) -> None:
    async with db.sessionmaker.begin() as s:
        await chats.ensure_console_chat(s)
    async with db.sessionmaker() as s:
        chat = await s.get(Chat, 0)
        assert chat is not None and chat.created_at.tzinfo is not None
        assert await s.scalar(select(func.count(Delivery.id))) == 0

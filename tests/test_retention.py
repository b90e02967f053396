"""Pruning keeps everything a sighting needs, and a pruned story's guid never alerts again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy import Table, func, select

from bot.prune import prune
from bot.settings import RetentionSettings
from storage import claims, feeds, sightings, stories
from storage.models import ClaimState, Sighting, Story
from tests.conftest import Db

OLD = datetime(2024, 1, 1, tzinfo=UTC)
_STORIES = cast(Table, Story.__table__)


async def test_prune_in_batches_keeps_history(db: Db) -> None:
    async with db.sessionmaker.begin() as s:
        feed = await feeds.add_feed(s, "https://a.example/rss")
        claim = await claims.add_claim(s, "Some claim text", {})
        batch = [
            stories.NewStory(f"g{i}", f"link:{i}", None, f"Story {i}", "", f"https://a.example/{i}", OLD)
            for i in range(7)
        ]
        ids = await stories.store_stories(s, feed.id, batch, since=OLD)
        for story_id, _ in ids.values():
            await s.execute(_STORIES.update().where(Story.id == story_id).values(fetched_at=OLD))
        first = ids["g0"][0]
        seen = await sightings.add_sighting(
            s,
            claim_id=claim.id,
            story_id=first,
            score=90.0,
            sentence="s",
            kind="changed",
            level="alert",
            story_title="Story 0",
            story_link="https://a.example/0",
        )
        assert seen is not None
        await claims.add_state(
            s, claim.id, {"x": 1}, story_id=first, story_published_at=OLD, sighting_id=seen.id
        )
        fresh = stories.NewStory("new", "link:new", None, "Fresh", "", None, None)
        await stories.store_stories(s, feed.id, [fresh], since=OLD)
    deleted = await prune(db.sessionmaker, RetentionSettings(story_days=30, batch=3))
    assert deleted == 7
    async with db.sessionmaker() as s:
        assert await s.scalar(select(func.count(Story.id))) == 1
        kept = (await s.execute(select(Sighting))).scalar_one()
        assert kept.story_id is None and kept.story_title == "Story 0"
        state = (
            await s.execute(
                select(ClaimState).where(ClaimState.story_id.is_(None), ClaimState.sighting_id.is_not(None))
            )
        ).scalar_one()
        assert state.story_published_at == OLD
        assert await stories.known_guids(s, feed.id, ["g3"]) == {"g3"}
    assert (
        await prune(
            db.sessionmaker, RetentionSettings(story_days=30), now=datetime.now(UTC) + timedelta(days=1)
        )
        == 0
    )

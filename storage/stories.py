"""Stories and their sources: each story stored once, each (feed, guid) known forever."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from storage.models import Feed, Story, StorySource, utcnow
from storage.upsert import ignoring_conflicts


@dataclass(frozen=True, slots=True)
class NewStory:
    guid: str
    fingerprint: str
    title_key: str | None
    title: str
    summary: str
    link: str | None
    published_at: datetime | None


async def known_guids(session: AsyncSession, feed_id: int, guids: Iterable[str]) -> set[str]:
    wanted = list(set(guids))
    known: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        query = select(StorySource.guid).where(StorySource.feed_id == feed_id, StorySource.guid.in_(chunk))
        known.update((await session.execute(query)).scalars())
    return known


async def _ids_by(
    session: AsyncSession, column: InstrumentedAttribute[str], keys: list[str]
) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        query = select(column, Story.id).where(column.in_(chunk))
        found.update({key: story_id for key, story_id in (await session.execute(query)).all()})
    return found


async def store_stories(
    session: AsyncSession, feed_id: int, stories: Sequence[NewStory], *, since: datetime
) -> dict[str, tuple[int, bool]]:
    """Store ``stories`` seen on ``feed_id``: guid → (story id, created now).

    A story already stored under the same fingerprint, or under the same title key since ``since``,
    gains a source instead of a second row. Sources whose (feed, guid) is already known are skipped.
    """
    if not stories:
        return {}
    by_title = {s.title_key: s for s in stories if s.title_key}
    existing = await _ids_by(session, Story.fingerprint, [s.fingerprint for s in stories])
    title_hits: dict[str, int] = {}
    if by_title:
        query = select(Story.title_key, Story.id).where(
            Story.title_key.in_(list(by_title)), Story.fetched_at >= since
        )
        title_hits = {key: sid for key, sid in (await session.execute(query)).all() if key}
    fresh: dict[str, NewStory] = {}
    for s in stories:
        if s.fingerprint not in existing and (s.title_key or "") not in title_hits:
            fresh.setdefault(s.fingerprint, s)
    created = await _insert_stories(session, list(fresh.values()))
    existing.update(created)
    raced = [fp for fp in fresh if fp not in created]  # inserted meanwhile by another transaction
    if raced:
        existing.update(await _ids_by(session, Story.fingerprint, raced))
    result: dict[str, tuple[int, bool]] = {}
    for s in stories:
        story_id = existing.get(s.fingerprint) or title_hits.get(s.title_key or "")
        if story_id is not None:
            result[s.guid] = (story_id, s.fingerprint in created)
    await _add_sources(session, feed_id, stories, result)
    return result


async def _insert_stories(session: AsyncSession, stories: list[NewStory]) -> dict[str, int]:
    """Insert in one executemany; fingerprint → id of the rows this call created."""
    if not stories:
        return {}
    rows = [
        {
            "fingerprint": s.fingerprint,
            "title_key": s.title_key,
            "title": s.title,
            "summary": s.summary,
            "link": s.link,
            "published_at": s.published_at,
            "fetched_at": utcnow(),
        }
        for s in stories
    ]
    stmt = ignoring_conflicts(session, Story).returning(Story.fingerprint, Story.id)
    return {fp: story_id for fp, story_id in (await session.execute(stmt, rows)).all()}


async def _add_sources(
    session: AsyncSession, feed_id: int, stories: Sequence[NewStory], ids: dict[str, tuple[int, bool]]
) -> None:
    rows = [
        {"feed_id": feed_id, "guid": s.guid, "story_id": ids[s.guid][0], "link": s.link, "seen_at": utcnow()}
        for s in stories
        if s.guid in ids
    ]
    if rows:
        await session.execute(ignoring_conflicts(session, StorySource), rows)


async def sources_of(session: AsyncSession, story_id: int) -> list[tuple[str, str | None]]:
    """(feed title or URL, link) for each feed that carried the story."""
    query = (
        select(Feed.title, Feed.url, StorySource.link)
        .join(Feed, Feed.id == StorySource.feed_id)
        .where(StorySource.story_id == story_id)
        .order_by(StorySource.id)
    )
    return [(title or url, link) for title, url, link in (await session.execute(query)).all()]


async def get_story(session: AsyncSession, story_id: int) -> Story | None:
    return await session.get(Story, story_id)

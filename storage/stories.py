"""Stories and their sources: each story stored once, each (feed, guid) known forever."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from storage.models import Feed, Story, StorySource
from storage.upsert import insert_ignore


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


async def _ids_by(session: AsyncSession, column: InstrumentedAttribute[str], keys: list[str]) -> dict[str, int]:
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
    fresh = [s for s in stories if s.fingerprint not in existing and (s.title_key or "") not in title_hits]
    fresh_rows = {
        s.fingerprint: {
            "fingerprint": s.fingerprint,
            "title_key": s.title_key,
            "title": s.title,
            "summary": s.summary,
            "link": s.link,
            "published_at": s.published_at,
        }
        for s in fresh
    }
    created: set[str] = set()
    if fresh_rows:
        rows = list(fresh_rows.values())
        for start in range(0, len(rows), 200):
            stmt = insert_ignore(session, Story, rows[start : start + 200]).returning(Story.fingerprint)
            created.update((await session.execute(stmt)).scalars())
        existing.update(await _ids_by(session, Story.fingerprint, list(fresh_rows)))
    result: dict[str, tuple[int, bool]] = {}
    for s in stories:
        story_id = existing.get(s.fingerprint) or title_hits.get(s.title_key or "")
        if story_id is not None:
            result[s.guid] = (story_id, s.fingerprint in created)
    await _add_sources(session, feed_id, stories, result)
    return result


async def _add_sources(
    session: AsyncSession, feed_id: int, stories: Sequence[NewStory], ids: dict[str, tuple[int, bool]]
) -> None:
    rows = [
        {"feed_id": feed_id, "guid": s.guid, "story_id": ids[s.guid][0], "link": s.link}
        for s in stories
        if s.guid in ids
    ]
    for start in range(0, len(rows), 300):
        await session.execute(insert_ignore(session, StorySource, rows[start : start + 300]))


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

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


async def known_sources(
    session: AsyncSession, guids: Sequence[tuple[int, Iterable[str]]]
) -> set[tuple[int, str]]:
    """The (feed id, guid) pairs among ``guids`` (per feed) already seen: one query per 500 guids."""
    wanted = {(feed_id, guid) for feed_id, feed_guids in guids for guid in feed_guids}
    feed_ids = list({feed_id for feed_id, _ in wanted})
    names = list({guid for _, guid in wanted})
    known: set[tuple[int, str]] = set()
    for start in range(0, len(names), 500):
        query = select(StorySource.feed_id, StorySource.guid).where(
            StorySource.feed_id.in_(feed_ids), StorySource.guid.in_(names[start : start + 500])
        )
        # The IN lists cross feeds and guids: keep only the pairs asked about.
        rows = (await session.execute(query)).all()
        known.update(pair for feed_id, guid in rows if (pair := (feed_id, guid)) in wanted)
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
    stored = await store_batch(session, [(feed_id, stories)], since=since)
    return {guid: value for (_, guid), value in stored.items()}


async def store_batch(
    session: AsyncSession,
    batches: Sequence[tuple[int, Sequence[NewStory]]],
    *,
    since: datetime,
    now: datetime | None = None,
) -> dict[tuple[int, str], tuple[int, bool]]:
    """:func:`store_stories` for several feeds at once: (feed id, guid) → (story id, created now).

    The same as storing the feeds one after another: a story of a later feed whose fingerprint or title
    key an earlier feed of the batch brought is a second source, not a new story. ``now`` stamps the
    new rows (default: the current time).
    """
    now = now or utcnow()
    everything = [s for _, stories in batches for s in stories]
    if not everything:
        return {}
    existing = await _ids_by(session, Story.fingerprint, list({s.fingerprint for s in everything}))
    title_hits = await _recent_titles(session, {s.title_key for s in everything if s.title_key}, since)
    fresh: dict[str, NewStory] = {}
    alias: dict[str, str] = {}  # fingerprint → the fresh story's fingerprint it joins
    keyed: dict[str, tuple[int, str]] = {}  # title key → (feed, fingerprint) of a fresh story
    for feed_id, stories in batches:
        for s in stories:
            if s.fingerprint in existing or (s.title_key or "") in title_hits or s.fingerprint in fresh:
                continue
            earlier = keyed.get(s.title_key or "")
            if earlier is not None and earlier[0] != feed_id:
                alias[s.fingerprint] = earlier[1]
                continue
            fresh[s.fingerprint] = s
            if s.title_key:
                keyed.setdefault(s.title_key, (feed_id, s.fingerprint))
    created = await _insert_stories(session, list(fresh.values()), now)
    existing.update(created)
    raced = [fp for fp in fresh if fp not in created]  # inserted meanwhile by another transaction
    if raced:
        existing.update(await _ids_by(session, Story.fingerprint, raced))
    result: dict[tuple[int, str], tuple[int, bool]] = {}
    for feed_id, stories in batches:
        for s in stories:
            fp = alias.get(s.fingerprint, s.fingerprint)
            story_id = existing.get(fp) or title_hits.get(s.title_key or "")
            if story_id is not None:
                result[feed_id, s.guid] = (story_id, fp in created and fresh.get(fp) is s)
    await _add_sources(session, batches, result, now)
    return result


async def _recent_titles(session: AsyncSession, keys: set[str], since: datetime) -> dict[str, int]:
    found: dict[str, int] = {}
    wanted = list(keys)
    for start in range(0, len(wanted), 500):
        query = select(Story.title_key, Story.id).where(
            Story.title_key.in_(wanted[start : start + 500]), Story.fetched_at >= since
        )
        found.update({key: sid for key, sid in (await session.execute(query)).all() if key})
    return found


async def _insert_stories(
    session: AsyncSession, stories: list[NewStory], fetched: datetime
) -> dict[str, int]:
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
            "fetched_at": fetched,
        }
        for s in stories
    ]
    stmt = ignoring_conflicts(session, Story).returning(Story.fingerprint, Story.id)
    return {fp: story_id for fp, story_id in (await session.execute(stmt, rows)).all()}


async def _add_sources(
    session: AsyncSession,
    batches: Sequence[tuple[int, Sequence[NewStory]]],
    ids: dict[tuple[int, str], tuple[int, bool]],
    seen: datetime,
) -> None:
    rows = [
        {
            "feed_id": feed_id,
            "guid": s.guid,
            "story_id": ids[feed_id, s.guid][0],
            "link": s.link,
            "seen_at": seen,
        }
        for feed_id, stories in batches
        for s in stories
        if (feed_id, s.guid) in ids
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

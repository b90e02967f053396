"""Feeds: add, list, lease the due ones, record what a poll found."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Feed


class FeedExistsError(Exception):
    def __init__(self, feed: Feed) -> None:
        super().__init__(f"feed #{feed.id} already has this URL")
        self.feed = feed


async def add_feed(session: AsyncSession, url: str, *, title: str = "", trusted: bool = False) -> Feed:
    existing = await get_feed_by_url(session, url)
    if existing is not None:
        raise FeedExistsError(existing)
    feed = Feed(url=url, title=title, trusted=trusted)
    session.add(feed)
    await session.flush()
    return feed


async def get_feed(session: AsyncSession, feed_id: int) -> Feed | None:
    return await session.get(Feed, feed_id)


async def get_feed_by_url(session: AsyncSession, url: str) -> Feed | None:
    return (await session.execute(select(Feed).where(Feed.url == url))).scalar_one_or_none()


async def list_feeds(session: AsyncSession) -> Sequence[Feed]:
    return (await session.execute(select(Feed).order_by(Feed.id))).scalars().all()


async def remove_feed(session: AsyncSession, feed_id: int) -> bool:
    result = await session.execute(delete(Feed).where(Feed.id == feed_id))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def lease_due_feeds(
    session: AsyncSession, *, now: datetime, owner: str, lease: float, limit: int
) -> Sequence[Feed]:
    """Take up to ``limit`` due feeds for ``owner`` until ``now + lease``; others skip them (SKIP LOCKED)."""
    query = (
        select(Feed)
        .where(
            Feed.active.is_(True),
            Feed.next_check_at <= now,
            or_(Feed.lease_until.is_(None), Feed.lease_until < now),
        )
        .order_by(Feed.next_check_at, Feed.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    feeds = (await session.execute(query)).scalars().all()
    for feed in feeds:
        feed.lease_owner = owner
        feed.lease_until = now + timedelta(seconds=lease)
    await session.flush()
    return feeds


async def release_leases(session: AsyncSession, owner: str) -> None:
    for feed in (await session.execute(select(Feed).where(Feed.lease_owner == owner))).scalars():
        feed.lease_owner = None
        feed.lease_until = None
    await session.flush()


async def count_due(session: AsyncSession, now: datetime) -> int:
    query = select(Feed.id).where(and_(Feed.active.is_(True), Feed.next_check_at <= now))
    return len((await session.execute(query)).all())

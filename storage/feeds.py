"""Feeds: add, list, lease the due ones, record what a poll found."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.errors import FeedExistsError as FeedExistsError
from storage.models import Feed, valid_id


async def add_feed(session: AsyncSession, url: str, *, title: str = "", trusted: bool = False) -> Feed:
    existing = await get_feed_by_url(session, url)
    if existing is not None:
        raise FeedExistsError(existing)
    feed = Feed(url=url, title=title, trusted=trusted)
    session.add(feed)
    await session.flush()
    return feed


async def get_feed(session: AsyncSession, feed_id: int) -> Feed | None:
    return await session.get(Feed, feed_id) if valid_id(feed_id) else None


async def get_feed_by_url(session: AsyncSession, url: str) -> Feed | None:
    return (await session.execute(select(Feed).where(Feed.url == url))).scalar_one_or_none()


async def list_feeds(session: AsyncSession) -> Sequence[Feed]:
    return (await session.execute(select(Feed).order_by(Feed.id))).scalars().all()


async def remove_feed(session: AsyncSession, feed_id: int) -> bool:
    if not valid_id(feed_id):
        return False
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


@dataclass(frozen=True, slots=True)
class PollMark:
    """What a successful poll writes on its feed row; None keeps the column as it was."""

    feed_id: int
    next_check_at: datetime
    etag: str | None = None
    last_modified: str | None = None
    title: str | None = None
    """The channel's title as the feed states it now (a renamed channel renames the feed); None keeps it."""
    last_error: str | None = None
    """Cleared when None."""


@functools.cache  # built once: constructing it costs more than a 304's whole write on PostgreSQL
def _mark_statement() -> Any:
    table = cast(Table, Feed.__table__)  # Core, not ORM: an executemany keyed by bind names
    c = table.c

    def param(name: str, column: Any) -> Any:
        return bindparam(f"m_{name}", type_=column.type)

    return (
        update(table)
        .where(c.id == param("id", c.id))
        .values(
            etag=func.coalesce(param("etag", c.etag), c.etag),
            last_modified=func.coalesce(param("last_modified", c.last_modified), c.last_modified),
            title=func.coalesce(param("title", c.title), c.title),
            error_count=0,
            last_error=param("last_error", c.last_error),
            baseline_done=True,
            last_checked_at=param("now", c.last_checked_at),
            last_ok_at=param("now", c.last_ok_at),
            lease_owner=None,
            lease_until=None,
            next_check_at=param("next_check_at", c.next_check_at),
        )
    )


async def mark_polled(session: AsyncSession, marks: Sequence[PollMark], *, now: datetime) -> None:
    """Record successful polls in one executemany: validators, schedule, errors cleared, lease released."""
    if not marks:
        return
    rows = [
        {
            "m_id": m.feed_id,
            "m_etag": m.etag,
            "m_last_modified": m.last_modified,
            "m_title": m.title[:512] if m.title else None,
            "m_last_error": m.last_error[:2000] if m.last_error else None,
            "m_now": now,
            "m_next_check_at": m.next_check_at,
        }
        for m in marks
    ]
    await session.execute(_mark_statement(), rows)


async def move_feed(session: AsyncSession, feed_id: int, url: str) -> int | None:
    """Point the feed at ``url``, unless another feed has it: then change nothing and return that feed's id.

    A savepoint catches the unique constraint when a concurrent transaction takes the URL first, so the
    caller's transaction (and what else it stored) survives.
    """
    owner = await _owner(session, url)
    if owner is None:
        try:
            async with session.begin_nested():
                await session.execute(update(Feed).where(Feed.id == feed_id).values(url=url))
            return None
        except IntegrityError:
            owner = await _owner(session, url)
    return owner if owner != feed_id else None


async def deactivate_feed(
    session: AsyncSession, feed_id: int, reason: str, *, now: datetime, error_count: int | None = None
) -> str | None:
    """Stop polling the feed and release its lease; its URL, or None when there is no such feed.

    ``error_count`` None keeps the count (a feed retired for a reason other than failing).
    """
    values: dict[str, Any] = {"active": False, "last_error": reason[:2000], "last_checked_at": now}
    if error_count is not None:
        values["error_count"] = error_count
    stmt = update(Feed).where(Feed.id == feed_id).values(**values, lease_owner=None, lease_until=None)
    return (await session.execute(stmt.returning(Feed.url))).scalar_one_or_none()


async def record_failure(
    session: AsyncSession, feed_id: int, reason: str, *, failures: int, now: datetime, next_check_at: datetime
) -> None:
    """A failed poll: the count of failures in a row, why, when to try again; the lease is released."""
    await session.execute(
        update(Feed)
        .where(Feed.id == feed_id)
        .values(
            error_count=failures,
            last_error=reason[:2000],
            last_checked_at=now,
            lease_owner=None,
            lease_until=None,
            next_check_at=next_check_at,
        )
    )


async def _owner(session: AsyncSession, url: str) -> int | None:
    return (await session.execute(select(Feed.id).where(Feed.url == url))).scalar_one_or_none()


async def release_leases(session: AsyncSession, owner: str) -> None:
    for feed in (await session.execute(select(Feed).where(Feed.lease_owner == owner))).scalars():
        feed.lease_owner = None
        feed.lease_until = None
    await session.flush()


@dataclass(frozen=True, slots=True)
class FeedHealth:
    """How many feeds are polled without trouble, polled but failing, or switched off."""

    ok: int = 0
    failing: int = 0
    inactive: int = 0


async def feed_health(session: AsyncSession) -> FeedHealth:
    """The feeds counted by health, in one query."""
    failing = Feed.error_count > 0
    query = select(Feed.active, failing, func.count(Feed.id)).group_by(Feed.active, failing)
    counts = {"ok": 0, "failing": 0, "inactive": 0}
    for active, has_errors, n in (await session.execute(query)).all():
        counts["inactive" if not active else "failing" if has_errors else "ok"] += n
    return FeedHealth(**counts)


async def count_due(session: AsyncSession, now: datetime) -> int:
    query = select(func.count(Feed.id)).where(and_(Feed.active.is_(True), Feed.next_check_at <= now))
    return int((await session.execute(query)).scalar_one())

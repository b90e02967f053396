"""The per-feed job: fetch → parse → match → one transaction that stores stories, sightings and deliveries."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Callable, Hashable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.faults import fault_point
from bot.matching.types import Match, StoryDoc
from bot.pipeline.claimset import ClaimSet
from bot.pipeline.fetch import FeedClient, FetchResult
from bot.pipeline.identity import story_fingerprint, title_fingerprint
from bot.pipeline.parse import FeedParseError, ParsedEntry, ParsedFeed, parse_in_executor
from bot.pipeline.record import Recorded, StoryRef, record_feed_deactivated, record_matches
from bot.pipeline.schedule import next_check
from bot.pipeline.urlguard import redact
from bot.pipeline.writer import GroupCommit, ItemError
from bot.settings import Settings
from storage.models import Feed
from storage.stories import NewStory, known_guids, store_batch

logger = logging.getLogger(__name__)

_TITLE_KEY_MIN_WORDS = 5


@dataclass(frozen=True, slots=True)
class FeedJob:
    """A snapshot of a feed row, safe to hand to a task that opens its own sessions."""

    id: int
    url: str
    trusted: bool
    baseline_done: bool
    etag: str | None
    last_modified: str | None
    error_count: int
    interval: float | None

    @classmethod
    def of(cls, feed: Feed) -> FeedJob:
        return cls(
            feed.id,
            feed.url,
            feed.trusted,
            feed.baseline_done,
            feed.etag,
            feed.last_modified,
            feed.error_count,
            feed.interval,
        )


@dataclass(slots=True)
class PollResult:
    feed_id: int
    ok: bool
    entries: int = 0
    new_stories: int = 0
    recorded: Recorded = field(default_factory=Recorded)
    error: str | None = None


@dataclass(slots=True)
class Poller:
    """Polls one feed at a time; share one instance across the concurrent tasks of a tick."""

    sessionmaker: async_sessionmaker[AsyncSession]
    client: FeedClient
    claims: ClaimSet
    settings: Settings
    executor: Executor | None = None
    rng: random.Random = field(default_factory=random.Random)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now().astimezone())
    _write_lock: asyncio.Lock | None = field(default=None, init=False)
    _group: GroupCommit[_Write, PollResult] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        bind = self.sessionmaker.kw.get("bind")
        if bind is not None and bind.dialect.name == "sqlite":
            # SQLite has one writer: queue here rather than spin on its busy timeout.
            self._write_lock = asyncio.Lock()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One write transaction, serialized on SQLite."""
        async with self._write_lock or contextlib.nullcontext(), self.sessionmaker.begin() as session:
            yield session

    async def poll(self, job: FeedJob) -> PollResult:
        result = await self.client.fetch(
            job.url, etag=job.etag, last_modified=job.last_modified, trusted=job.trusted
        )
        if result.outcome == "not_modified":
            await self._succeeded(job, result, None)
            return PollResult(job.id, ok=True)
        if result.outcome == "gone":
            await self._deactivate(job, f"the server says the feed is gone ({result.http_status})")
            return PollResult(job.id, ok=False, error="gone")
        if result.outcome == "error" or result.body is None:
            return await self._failed(job, result.error or "empty response", result.retry_after)
        try:
            parsed = await parse_in_executor(
                self.executor, result.body, result.final_url, result.content_type
            )
        except FeedParseError as exc:
            return await self._failed(job, f"not a usable feed: {exc}", None)
        return await self._store(job, result, parsed)

    async def _store(self, job: FeedJob, result: FetchResult, parsed: ParsedFeed) -> PollResult:
        entries = {entry.guid: entry for entry in parsed.entries}
        async with self.sessionmaker() as session:
            known = await known_guids(session, job.id, entries)
        fresh = [entry for guid, entry in entries.items() if guid not in known]
        matches = await self.claims.match([_doc(entry) for entry in fresh], self.executor)
        outcome = await self._writes().submit(_Write(job, result, parsed, fresh, matches))
        for claim_id, facts in outcome.recorded.applied.items():
            self.claims.index.set_facts(claim_id, facts)  # later feeds of this tick compare with it
        fault_point("poll.stored")
        return outcome

    async def _succeeded(self, job: FeedJob, result: FetchResult, ttl: float | None) -> None:
        await self._writes().submit(_Write(job, result, None, [], {}))

    def _writes(self) -> GroupCommit[_Write, PollResult]:
        if self._group is None:
            # PostgreSQL takes concurrent writers: there each feed keeps a transaction of its own.
            sqlite = self._write_lock is not None
            self._group = GroupCommit(
                self.transaction,
                self._write_batch,
                writers=1 if sqlite else 1_000,
                max_items=32 if sqlite else 1,
            )
        return self._group

    async def _write_batch(self, session: AsyncSession, writes: Sequence[_Write]) -> list[PollResult]:
        """Several feeds' stories, sightings and feed rows in the caller's transaction, as if one by one."""
        now = self.clock()
        window = timedelta(seconds=self.settings.matching.syndication_window)
        batches = [(w.job.id, [_new_story(e) for e in w.fresh]) for w in writes]
        stored = await store_batch(session, batches, since=now - window)
        feeds = select(Feed).where(Feed.id.in_([w.job.id for w in writes]))
        (await session.execute(feeds)).scalars().all()  # one read; session.get finds them below
        carried = Recorded()
        outcomes: list[PollResult] = []
        for index, w in enumerate(writes):
            try:
                outcomes.append(await self._write_one(session, w, stored, now, carried))
            except Exception as exc:
                raise ItemError(index) from exc
        return outcomes

    async def _write_one(
        self,
        session: AsyncSession,
        w: _Write,
        stored: dict[tuple[int, str], tuple[int, bool]],
        now: datetime,
        carried: Recorded,
    ) -> PollResult:
        job, parsed = w.job, w.parsed
        outcome = PollResult(job.id, ok=True, entries=len(parsed.entries) if parsed else 0)
        # States an earlier feed of the batch set are what this one compares with, as if it had committed.
        outcome.recorded.applied.update(carried.applied)
        outcome.recorded.applied_published.update(carried.applied_published)
        found: list[tuple[StoryRef, list[Match]]] = []
        for entry in w.fresh:
            story_id, created = stored.get((job.id, entry.guid), (None, False))
            if story_id is not None and created:
                outcome.new_stories += 1
                found.append(
                    (
                        StoryRef(story_id, entry.title, entry.link, entry.published),
                        w.matches.get(entry.guid, []),
                    )
                )
        if found:
            await record_matches(
                session,
                found,
                self.claims.meta,
                push=job.baseline_done,
                now=now,
                tally=outcome.recorded,
                facts_of=self.claims.index.facts,
            )
        carried.applied.update(outcome.recorded.applied)
        carried.applied_published.update(outcome.recorded.applied_published)
        feed = await self._feed(session, job)
        if feed is not None:
            self._mark_ok(feed, w.result, parsed.ttl if parsed else None, now)
            if parsed and parsed.title and not feed.title:
                feed.title = parsed.title[:512]
            if parsed and parsed.bozo:
                feed.last_error = f"accepted with problems: {parsed.bozo}"[:2000]
        return outcome

    def _mark_ok(self, feed: Feed, result: FetchResult, ttl: float | None, now: datetime) -> None:
        feed.etag = result.etag or feed.etag
        feed.last_modified = result.last_modified or feed.last_modified
        if result.moved_permanently_to:
            logger.info("feed #%d moved permanently to %s", feed.id, redact(result.moved_permanently_to))
            feed.url = result.moved_permanently_to
        feed.error_count = 0
        feed.last_error = None
        feed.baseline_done = True
        feed.last_checked_at = feed.last_ok_at = now
        feed.lease_owner = feed.lease_until = None
        feed.next_check_at = self._next(feed, now, failures=0, ttl=ttl, max_age=result.max_age)

    async def _failed(self, job: FeedJob, reason: str, retry_after: float | None) -> PollResult:
        failures = job.error_count + 1
        if failures >= self.settings.feeds.max_failures:
            await self._deactivate(job, f"{failures} failures in a row, last: {reason}")
            return PollResult(job.id, ok=False, error=reason)
        now = self.clock()
        async with self.transaction() as session:
            feed = await self._feed(session, job)
            if feed is not None:
                feed.error_count = failures
                feed.last_error = reason[:2000]
                feed.last_checked_at = now
                feed.lease_owner = feed.lease_until = None
                feed.next_check_at = self._next(feed, now, failures=failures, retry_after=retry_after)
        logger.warning("feed #%d failed (%d in a row): %s", job.id, failures, reason)
        return PollResult(job.id, ok=False, error=reason)

    async def _deactivate(self, job: FeedJob, reason: str) -> None:
        async with self.transaction() as session:
            feed = await self._feed(session, job)
            if feed is None:
                return
            feed.active = False
            feed.error_count = job.error_count + 1
            feed.last_error = reason[:2000]
            feed.last_checked_at = self.clock()
            feed.lease_owner = feed.lease_until = None
            await record_feed_deactivated(
                session, feed.id, url=redact(feed.url), reason=reason, admins=self.settings.telegram.admins
            )
        logger.warning("feed #%d deactivated: %s", job.id, reason)

    def _next(self, feed: Feed, now: datetime, **hints: float | int | None) -> datetime:
        s = self.settings.feeds
        return next_check(
            now,
            interval=feed.interval or s.poll_interval,
            min_interval=s.min_interval,
            max_interval=s.max_interval,
            jitter=s.jitter,
            rng=self.rng,
            **hints,  # type: ignore[arg-type]
        )

    @staticmethod
    async def _feed(session: AsyncSession, job: FeedJob) -> Feed | None:
        return await session.get(Feed, job.id)


@dataclass(frozen=True, slots=True)
class _Write:
    """What a poll hands the writer: the fetch, the parse (None after a 304) and the new entries' matches."""

    job: FeedJob
    result: FetchResult
    parsed: ParsedFeed | None
    fresh: list[ParsedEntry]
    matches: dict[Hashable, list[Match]]


def _doc(entry: ParsedEntry) -> StoryDoc:
    return StoryDoc(id=entry.guid, title=entry.title, summary=entry.summary, content=entry.content)


def _new_story(entry: ParsedEntry) -> NewStory:
    words = len(entry.title.split())
    return NewStory(
        guid=entry.guid,
        fingerprint=story_fingerprint(entry.link, entry.title or entry.guid),
        title_key=title_fingerprint(entry.title) if words >= _TITLE_KEY_MIN_WORDS else None,
        title=entry.title,
        summary=entry.summary,
        link=entry.link,
        published_at=entry.published,
    )

"""The per-feed job: fetch → parse → match → one transaction that stores stories, sightings and deliveries."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.faults import fault_point
from bot.matching.types import StoryDoc
from bot.pipeline.claimset import ClaimSet
from bot.pipeline.fetch import FeedClient, FetchResult
from bot.pipeline.identity import story_fingerprint, title_fingerprint
from bot.pipeline.parse import FeedParseError, ParsedEntry, ParsedFeed, parse_in_executor
from bot.pipeline.record import Recorded, StoryRef, record_feed_deactivated, record_matches
from bot.pipeline.schedule import next_check
from bot.pipeline.urlguard import redact
from bot.settings import Settings
from storage.models import Feed
from storage.stories import NewStory, known_guids, store_stories

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
        matches = await self.claims.match([_doc(entry) for entry in fresh])
        now = self.clock()
        outcome = PollResult(job.id, ok=True, entries=len(entries))
        window = timedelta(seconds=self.settings.matching.syndication_window)
        async with self.transaction() as session:
            stored = await store_stories(session, job.id, [_new_story(e) for e in fresh], since=now - window)
            for entry in fresh:
                story_id, created = stored.get(entry.guid, (None, False))
                if story_id is None or not created:
                    continue
                outcome.new_stories += 1
                ref = StoryRef(story_id, entry.title, entry.link, entry.published)
                await record_matches(
                    session,
                    ref,
                    matches.get(entry.guid, []),
                    self.claims.meta,
                    push=job.baseline_done,
                    now=now,
                    tally=outcome.recorded,
                    facts_of=self.claims.index.facts,
                )
            feed = await self._feed(session, job)
            if feed is not None:
                self._mark_ok(feed, result, parsed.ttl, now)
                if parsed.title and not feed.title:
                    feed.title = parsed.title[:512]
                if parsed.bozo:
                    feed.last_error = f"accepted with problems: {parsed.bozo}"[:2000]
        for claim_id, facts in outcome.recorded.applied.items():
            self.claims.index.set_facts(claim_id, facts)  # later feeds of this tick compare with it
        fault_point("poll.stored")
        return outcome

    async def _succeeded(self, job: FeedJob, result: FetchResult, ttl: float | None) -> None:
        async with self.transaction() as session:
            feed = await self._feed(session, job)
            if feed is not None:
                self._mark_ok(feed, result, ttl, self.clock())

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

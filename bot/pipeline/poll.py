"""Polling: a tick leases the due feeds; each feed is fetched, parsed, matched and stored in one transaction.

:func:`run_tick` is the scheduled job; :meth:`Poller.poll` runs one feed through the stages in the order
the code reads: fetch → parse (with story identity) → match → store (stories, sightings, events, the
outbox) → the committed states into the shared matching index.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import AsyncIterator, Callable, Hashable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.faults import fault_point
from bot.matching.types import Match
from bot.pipeline.claimset import ClaimSet
from bot.pipeline.fetch import FeedClient
from bot.pipeline.groupcommit import GroupCommit
from bot.pipeline.parse import FeedParseError, PreparedFeed, prepare_in_executor
from bot.pipeline.store import FeedStore, FeedWrite, Recorded, Stored
from bot.settings import Settings
from storage.feeds import lease_due_feeds, record_failure
from storage.models import Feed, Tick
from storage.stories import NewStory, known_guids
from storage.ticks import record_tick

logger = logging.getLogger(__name__)


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
    notify: Sequence[int] = ()
    """Who is told when a feed is switched off (the bot's admins)."""
    store: FeedStore = field(init=False)
    _write_lock: asyncio.Lock | None = field(default=None, init=False)
    _group: GroupCommit[FeedWrite, Stored] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        # Through a lambda: the clock may be swapped after construction (the benchmark does).
        self.store = FeedStore(self.claims, self.settings, self.rng, lambda: self.clock(), notify=self.notify)
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
            await self._writes().submit(FeedWrite(job, result, None, [], {}))
            return PollResult(job.id, ok=True)
        if result.outcome == "gone":
            await self._deactivate(job, f"the server says the feed is gone ({result.http_status})")
            return PollResult(job.id, ok=False, error="gone")
        if result.outcome == "error" or result.body is None:
            return await self._failed(job, result.error or "empty response", result.retry_after)
        try:
            prepared = await prepare_in_executor(
                self.executor, result.body, result.final_url, result.content_type
            )
        except FeedParseError as exc:
            return await self._failed(job, f"not a usable feed: {exc}", None)
        stories, matches = await self._match(job, prepared)
        stored = await self._writes().submit(FeedWrite(job, result, prepared, stories, matches))
        self.claims.learn(stored.recorded.applied)  # committed: later feeds of this tick compare with it
        fault_point("poll.stored")
        return PollResult(
            job.id, ok=True, entries=stored.entries, new_stories=stored.new_stories, recorded=stored.recorded
        )

    async def _match(
        self, job: FeedJob, prepared: PreparedFeed
    ) -> tuple[list[NewStory], dict[Hashable, list[Match]]]:
        """The feed's stories not stored yet, and their matches (none without claims: then all stories)."""
        if not self.claims:
            return prepared.stories, {}
        # Match only what is new: known entries are left out before matching, not just before writing.
        async with self.sessionmaker() as session:
            known = await known_guids(session, job.id, (story.guid for story in prepared.stories))
        stories = [story for story in prepared.stories if story.guid not in known]
        docs = prepared.docs(lambda story: story.guid not in known)
        return stories, await self.claims.match(docs, self.executor)

    def _writes(self) -> GroupCommit[FeedWrite, Stored]:
        if self._group is None:
            # PostgreSQL takes concurrent writers: there each feed keeps a transaction of its own.
            sqlite = self._write_lock is not None
            self._group = GroupCommit(
                self.transaction,
                self.store.write,
                writers=1 if sqlite else 1_000,
                max_items=32 if sqlite else 1,
            )
        return self._group

    async def crashed(self, job: FeedJob, exc: Exception) -> PollResult:
        """A poll that raised counts as a failure of its feed (error count, backoff, deactivation).

        Not when the database itself is unreachable: that is no fault of the feed, and the lease retries it.
        """
        text = str(exc).splitlines()[0] if str(exc) else ""
        reason = f"internal error: {type(exc).__name__}{f': {text}' if text else ''}"
        if isinstance(exc, OperationalError | InterfaceError | OSError) or (
            isinstance(exc, DBAPIError) and exc.connection_invalidated
        ):
            return PollResult(job.id, ok=False, error=reason)
        try:
            return await self._failed(job, reason, None)
        except Exception:
            logger.exception("feed #%d: could not record its failure; retried when its lease expires", job.id)
            return PollResult(job.id, ok=False, error=reason)

    async def _failed(self, job: FeedJob, reason: str, retry_after: float | None) -> PollResult:
        failures = job.error_count + 1
        if failures >= self.settings.feeds.max_failures:
            await self._deactivate(job, f"{failures} failures in a row, last: {reason}")
            return PollResult(job.id, ok=False, error=reason)
        now = self.clock()
        due = self.store.next_due(job, now, failures=failures, retry_after=retry_after)
        async with self.transaction() as session:
            await record_failure(session, job.id, reason, failures=failures, now=now, next_check_at=due)
        logger.warning("feed #%d failed (%d in a row): %s", job.id, failures, reason)
        return PollResult(job.id, ok=False, error=reason)

    async def _deactivate(self, job: FeedJob, reason: str) -> None:
        async with self.transaction() as session:
            found = await self.store.retire(
                session, job.id, reason, now=self.clock(), error_count=job.error_count + 1
            )
        if found:
            logger.warning("feed #%d deactivated: %s", job.id, reason)


@dataclass(frozen=True, slots=True)
class TickSummary:
    feeds: int
    failed: int
    new_stories: int
    sightings: int
    alerts: int
    """Alert messages queued for sending (none on a baseline poll, which stores and matches only)."""
    duration: float

    @property
    def all_failed(self) -> bool:
        return self.feeds > 0 and self.failed == self.feeds


async def run_tick(poller: Poller, *, owner: str, limit: int = 1000) -> TickSummary:
    """Poll every feed that is due now (up to ``limit``); one broken feed never stops the others."""
    started = time.perf_counter()
    started_at = poller.clock()
    settings = poller.settings.feeds
    async with poller.transaction() as session:
        feeds = await lease_due_feeds(
            session, now=started_at, owner=owner, lease=max(settings.lease, settings.timeout), limit=limit
        )
        jobs = [FeedJob.of(feed) for feed in feeds]
    if jobs:
        async with poller.sessionmaker() as session:
            await poller.claims.refresh(session)  # once per tick, not per feed
    gate = asyncio.Semaphore(settings.concurrency)

    async def guarded(job: FeedJob) -> PollResult:
        async with gate:
            try:
                return await poller.poll(job)
            except Exception as exc:
                logger.exception("feed #%d: poll crashed; counted as a failure of the feed", job.id)
                return await poller.crashed(job, exc)

    results = await asyncio.gather(*(guarded(job) for job in jobs))
    summary = TickSummary(
        feeds=len(results),
        failed=sum(not r.ok for r in results),
        new_stories=sum(r.new_stories for r in results),
        sightings=sum(r.recorded.sightings for r in results),
        alerts=sum(r.recorded.deliveries for r in results),
        duration=time.perf_counter() - started,
    )
    async with poller.transaction() as session:
        await record_tick(
            session,
            Tick(
                started_at=started_at,
                duration=summary.duration,
                feeds=summary.feeds,
                failed=summary.failed,
                new_stories=summary.new_stories,
                sightings=summary.sightings,
            ),
        )
    logger.info(
        "poll: feeds=%d new=%d sightings=%d alerts=%d failed=%d in %.1fs",
        summary.feeds,
        summary.new_stories,
        summary.sightings,
        summary.alerts,
        summary.failed,
        summary.duration,
    )
    return summary

"""The write side of polls that fetched something: stories, sightings and feed rows, several feeds at once.

:meth:`FeedWriter.write` is what :class:`~bot.pipeline.groupcommit.GroupCommit` runs in one transaction
for every feed queued at that moment (one feed per transaction on PostgreSQL). The result is the same as
writing the feeds one after another; a feed that breaks raises :class:`ItemError` with its index, so the
others are written again without it.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.matching.types import Match
from bot.pipeline.claimset import ClaimSet
from bot.pipeline.fetch import FetchResult
from bot.pipeline.groupcommit import ItemError
from bot.pipeline.job import FeedJob, PollResult
from bot.pipeline.prepare import PreparedFeed
from bot.pipeline.record import Recorded, StoryRef, record_feed_deactivated, record_matches
from bot.pipeline.schedule import next_check
from bot.pipeline.urlguard import redact
from bot.settings import Settings
from storage.feeds import PollMark, deactivate_feed, mark_polled, move_feed
from storage.stories import NewStory, known_sources, store_batch

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FeedWrite:
    """What a poll hands the writer: the fetch, the feed (None after a 304), its stories and their matches.

    ``stories`` may include entries already known; the writer skips those. ``matches`` is keyed by guid.
    """

    job: FeedJob
    result: FetchResult
    prepared: PreparedFeed | None
    stories: list[NewStory]
    matches: dict[Hashable, list[Match]]


@dataclass(slots=True)
class FeedWriter:
    """Writes batches of :class:`FeedWrite`; the claims are those the tick matched against."""

    claims: ClaimSet
    settings: Settings
    rng: random.Random
    clock: Callable[[], datetime]

    async def write(self, session: AsyncSession, writes: Sequence[FeedWrite]) -> list[PollResult]:
        """Several feeds' stories, sightings and feed rows in the caller's transaction, as if one by one."""
        now = self.clock()
        known = await known_sources(session, [(w.job.id, (s.guid for s in w.stories)) for w in writes])
        fresh = [[s for s in w.stories if (w.job.id, s.guid) not in known] for w in writes]
        window = timedelta(seconds=self.settings.matching.syndication_window)
        batches = [(w.job.id, stories) for w, stories in zip(writes, fresh, strict=True)]
        stored = await store_batch(session, batches, since=now - window, now=now)
        carried = Recorded()
        outcomes: list[PollResult] = []
        for index, (w, stories) in enumerate(zip(writes, fresh, strict=True)):
            try:
                outcomes.append(await self._record(session, w, stories, stored, now, carried))
            except Exception as exc:
                raise ItemError(index) from exc
        await mark_polled(session, [self._mark(w, now) for w in writes], now=now)
        for w in writes:
            if w.result.moved_permanently_to:
                await self._move(session, w.job, w.result.moved_permanently_to)
        return outcomes

    async def _record(
        self,
        session: AsyncSession,
        w: FeedWrite,
        stories: list[NewStory],
        stored: dict[tuple[int, str], tuple[int, bool]],
        now: datetime,
        carried: Recorded,
    ) -> PollResult:
        """Count the feed's new stories and record their matches."""
        job = w.job
        outcome = PollResult(job.id, ok=True, entries=w.prepared.entries if w.prepared else 0)
        # States an earlier feed of the batch set are what this one compares with, as if it had committed.
        outcome.recorded.applied.update(carried.applied)
        found: list[tuple[StoryRef, list[Match]]] = []
        for story in stories:
            story_id, created = stored.get((job.id, story.guid), (None, False))
            if story_id is not None and created:
                outcome.new_stories += 1
                ref = StoryRef(story_id, story.title, story.link, story.published_at)
                found.append((ref, w.matches.get(story.guid, [])))
        if found and w.matches:
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
        return outcome

    def _mark(self, w: FeedWrite, now: datetime) -> PollMark:
        result, parsed = w.result, w.prepared
        ttl = parsed.ttl if parsed else None
        return PollMark(
            feed_id=w.job.id,
            next_check_at=self.next_due(w.job, now, failures=0, ttl=ttl, max_age=result.max_age),
            etag=result.etag,
            last_modified=result.last_modified,
            title=parsed.title if parsed else None,
            last_error=f"accepted with problems: {parsed.bozo}" if parsed and parsed.bozo else None,
        )

    async def _move(self, session: AsyncSession, job: FeedJob, url: str) -> None:
        """A permanent redirect: take the new URL, or retire the feed if another feed already polls it."""
        other = await move_feed(session, job.id, url)
        if other is None:
            logger.info("feed #%d moved permanently to %s", job.id, redact(url))
            return
        # Polling both would fetch the same document twice; the old URL is kept to show where it came from.
        reason = f"duplicate of feed #{other}: moved permanently to {redact(url)}, which that feed polls"
        logger.warning("feed #%d deactivated: %s", job.id, reason)
        await deactivate_feed(session, job.id, reason)
        await record_feed_deactivated(
            session, job.id, url=redact(job.url), reason=reason, admins=self.settings.telegram.admins
        )

    def next_due(self, job: FeedJob, now: datetime, **hints: float | int | None) -> datetime:
        s = self.settings.feeds
        return next_check(
            now,
            interval=job.interval or s.poll_interval,
            min_interval=s.min_interval,
            max_interval=s.max_interval,
            jitter=s.jitter,
            rng=self.rng,
            **hints,  # type: ignore[arg-type]
        )

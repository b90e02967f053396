"""One scheduler tick: lease the due feeds, poll them concurrently, record one summary."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from bot.pipeline.job import FeedJob, PollResult
from bot.pipeline.poll import Poller
from storage.feeds import lease_due_feeds
from storage.models import Tick
from storage.ticks import record_tick

logger = logging.getLogger(__name__)


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

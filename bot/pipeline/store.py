"""Store: a poll's stories, the sightings judged from their matches, events, deliveries and the feed row.

:meth:`FeedStore.write` is what :class:`~bot.pipeline.groupcommit.GroupCommit` runs in one transaction
for every feed queued at that moment (one feed per transaction on PostgreSQL). The result is the same as
writing the feeds one after another; a feed that breaks raises :class:`ItemError` with its index, so the
others are written again without it. Every statement is a ``storage`` query and every decision is
:func:`bot.matching.verdict.judge`'s: this module only sequences them.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.matching.types import Facts, Match
from bot.matching.verdict import NewStory as JudgedStory
from bot.matching.verdict import States, Verdict, judge
from bot.pipeline.claimset import ClaimMeta, ClaimSet
from bot.pipeline.fetch import FetchResult
from bot.pipeline.groupcommit import ItemError
from bot.pipeline.parse import PreparedFeed
from bot.pipeline.schedule import next_check
from bot.pipeline.urlguard import redact
from bot.settings import Settings
from storage import outbox
from storage.claims import add_states
from storage.feeds import PollMark, deactivate_feed, mark_polled, move_feed
from storage.sightings import add_sightings
from storage.stories import NewStory, known_sources, store_batch

if TYPE_CHECKING:
    from bot.pipeline.poll import FeedJob

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StoryRef:
    id: int
    title: str
    link: str | None
    published_at: datetime | None


@dataclass(slots=True)
class Recorded:
    sightings: int = 0
    alerts: int = 0
    suggestions: int = 0
    deliveries: int = 0
    states: int = 0
    applied: States = field(default_factory=States)
    """Claims whose state this transaction changed, with their new facts."""


@dataclass(slots=True)
class Stored:
    """What writing one feed came to."""

    entries: int = 0
    new_stories: int = 0
    recorded: Recorded = field(default_factory=Recorded)


@dataclass(frozen=True, slots=True)
class FeedWrite:
    """What a poll hands the store: the fetch, the feed (None after a 304), its stories and their matches.

    ``stories`` may include entries already known; the store skips those. ``matches`` is keyed by guid.
    """

    job: FeedJob
    result: FetchResult
    prepared: PreparedFeed | None
    stories: list[NewStory]
    matches: dict[Hashable, list[Match]]


@dataclass(slots=True)
class FeedStore:
    """Writes batches of :class:`FeedWrite`; the claims are those the tick matched against."""

    claims: ClaimSet
    settings: Settings
    rng: random.Random
    clock: Callable[[], datetime]
    notify: Sequence[int] = ()
    """Who is told when a feed is switched off (the bot's admins)."""

    async def write(self, session: AsyncSession, writes: Sequence[FeedWrite]) -> list[Stored]:
        """Several feeds' stories, sightings and feed rows in the caller's transaction, as if one by one."""
        now = self.clock()
        known = await known_sources(session, [(w.job.id, (s.guid for s in w.stories)) for w in writes])
        fresh = [[s for s in w.stories if (w.job.id, s.guid) not in known] for w in writes]
        window = timedelta(seconds=self.settings.matching.syndication_window)
        batches = [(w.job.id, stories) for w, stories in zip(writes, fresh, strict=True)]
        stored = await store_batch(session, batches, since=now - window, now=now)
        carried = States()
        outcomes: list[Stored] = []
        for index, (w, stories) in enumerate(zip(writes, fresh, strict=True)):
            try:
                outcomes.append(await self._record(session, w, stories, stored, now, carried))
            except Exception as exc:
                raise ItemError(index) from exc
        await mark_polled(session, [self._mark(w, now) for w in writes], now=now)
        for w in writes:
            if w.result.moved_permanently_to:
                await self._move(session, w.job, w.result.moved_permanently_to, now)
        return outcomes

    async def _record(
        self,
        session: AsyncSession,
        w: FeedWrite,
        stories: list[NewStory],
        stored: dict[tuple[int, str], tuple[int, bool]],
        now: datetime,
        carried: States,
    ) -> Stored:
        """Count the feed's new stories and store their matches."""
        job = w.job
        outcome = Stored(entries=w.prepared.entries if w.prepared else 0)
        # States an earlier feed of the batch set are what this one compares with, as if it had committed.
        outcome.recorded.applied.update(carried)
        found: list[tuple[StoryRef, list[Match]]] = []
        for story in stories:
            story_id, created = stored.get((job.id, story.guid), (None, False))
            if story_id is not None and created:
                outcome.new_stories += 1
                ref = StoryRef(story_id, story.title, story.link, story.published_at)
                found.append((ref, w.matches.get(story.guid, [])))
        if found and w.matches:
            await store_matches(
                session,
                found,
                self.claims.meta,
                push=job.baseline_done,
                now=now,
                tally=outcome.recorded,
                facts_of=self.claims.index.facts,
            )
        carried.update(outcome.recorded.applied)
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

    async def _move(self, session: AsyncSession, job: FeedJob, url: str, now: datetime) -> None:
        """A permanent redirect: take the new URL, or retire the feed if another feed already polls it."""
        other = await move_feed(session, job.id, url)
        if other is None:
            logger.info("feed #%d moved permanently to %s", job.id, redact(url))
            return
        # Polling both would fetch the same document twice; the old URL is kept to show where it came from.
        reason = f"duplicate of feed #{other}: moved permanently to {redact(url)}, which that feed polls"
        logger.warning("feed #%d deactivated: %s", job.id, reason)
        await self.retire(session, job.id, reason, now=now)

    async def retire(
        self,
        session: AsyncSession,
        feed_id: int,
        reason: str,
        *,
        now: datetime,
        error_count: int | None = None,
    ) -> bool:
        """Switch the feed off and tell :attr:`notify` why; False when the feed is gone."""
        url = await deactivate_feed(session, feed_id, reason, now=now, error_count=error_count)
        if url is None:
            return False
        await outbox.add_feed_notice(session, feed_id, url=redact(url), reason=reason, admins=self.notify)
        return True

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


async def store_matches(
    session: AsyncSession,
    found: Sequence[tuple[StoryRef, list[Match]]],
    claims: Mapping[int, ClaimMeta],
    *,
    push: bool,
    now: datetime,
    tally: Recorded,
    facts_of: Callable[[int], Facts],
) -> None:
    """Store the matches of stories created in this transaction, in story order, a few statements in all.

    Sightings, states, events and deliveries are each one executemany; alerts become events owed to
    subscribers (unless ``push`` is off: a feed's first poll). The stories are new, so a (claim, story)
    pair can only repeat within ``found``.
    """
    stories = {story.id: story for story, _ in found}
    judged = [JudgedStory(s.id, s.published_at, matches) for s, matches in found]
    verdicts = judge(judged, claims, tally.applied, facts_of)
    tally.sightings += len(verdicts)
    tally.alerts += sum(v.level == "alert" for v in verdicts)
    tally.suggestions += sum(v.level == "suggestion" for v in verdicts)
    tally.states += sum(v.state is not None for v in verdicts)
    if not verdicts:
        return
    ids = await add_sightings(session, [_sighting_row(v, stories[v.story_id], now) for v in verdicts])
    alerts = [
        (v, ids[key]) for v in verdicts if v.level == "alert" and (key := (v.claim_id, v.story_id)) in ids
    ]
    await add_states(
        session, [_state_row(v, stories[v.story_id], sid) for v, sid in alerts if v.state is not None]
    )
    if push and alerts:
        tally.deliveries += await _push(session, alerts, claims, now)


async def _push(
    session: AsyncSession, alerts: list[tuple[Verdict, int]], claims: Mapping[int, ClaimMeta], now: datetime
) -> int:
    """One event per alert and a delivery per recipient; returns how many deliveries are new."""
    events = await outbox.add_sighting_events(session, {sid: v.claim_id for v, sid in alerts})
    audience = await outbox.Audience.load(session, {v.claim_id for v, _ in alerts})
    owed = [
        (events[sid], chat, topic)
        for v, sid in alerts
        for chat, topic in audience.recipients(
            v.claim_id,
            score=v.match.score,
            kind=v.match.kind,
            alert_threshold=claims[v.claim_id].alert_threshold,
            now=now,
        )
    ]
    return await outbox.enqueue_many(session, owed)


def _sighting_row(v: Verdict, story: StoryRef, now: datetime) -> dict[str, Any]:
    return {
        "claim_id": v.claim_id,
        "story_id": v.story_id,
        "score": round(v.match.score, 1),
        "sentence": v.match.sentence,
        "kind": v.match.kind,
        "level": v.level,
        "changes": [str(change) for change in v.match.changes],
        "terms": list(v.match.terms),
        "facts": v.match.facts.to_json(),
        "story_title": story.title,
        "story_link": story.link,
        "created_at": now,
    }


def _state_row(v: Verdict, story: StoryRef, sighting_id: int) -> dict[str, Any]:
    return {
        "claim_id": v.claim_id,
        "facts": v.state.to_json() if v.state else {},
        "story_id": v.story_id,
        "story_published_at": story.published_at,
        "sighting_id": sighting_id,
        "note": "; ".join(str(change) for change in v.match.changes),
        "reverted_at": None,
    }

"""The write side of a poll: sightings, states, events and deliveries, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.matching.types import Facts, Match
from bot.matching.verdict import NewStory, States, Verdict, judge
from bot.pipeline.claimset import ClaimMeta
from storage import outbox
from storage.chats import ensure_chat
from storage.models import ClaimState, Delivery, Event, Sighting
from storage.upsert import ignoring_conflicts


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


async def record_matches(
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
    subscribers. The stories are new, so a (claim, story) pair can only repeat within ``found``.
    """
    stories = {story.id: story for story, _ in found}
    verdicts = judge([NewStory(s.id, s.published_at, m) for s, m in found], claims, tally.applied, facts_of)
    tally.sightings += len(verdicts)
    tally.alerts += sum(v.level == "alert" for v in verdicts)
    tally.suggestions += sum(v.level == "suggestion" for v in verdicts)
    tally.states += sum(v.state is not None for v in verdicts)
    if not verdicts:
        return
    rows = [_sighting_row(v, stories[v.story_id], now) for v in verdicts]
    stmt = ignoring_conflicts(session, Sighting).returning(Sighting.claim_id, Sighting.story_id, Sighting.id)
    ids = {(claim, story): sid for claim, story, sid in (await session.execute(stmt, rows)).all()}
    alerts = [
        (v, ids[key]) for v in verdicts if v.level == "alert" and (key := (v.claim_id, v.story_id)) in ids
    ]
    states = [_state_row(v, stories[v.story_id], sid) for v, sid in alerts if v.state is not None]
    if states:
        await session.execute(insert(ClaimState), states)
    if push and alerts:
        tally.deliveries += await _push(session, alerts, claims, now)


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
    assert v.state is not None
    return {
        "claim_id": v.claim_id,
        "facts": v.state.to_json(),
        "story_id": v.story_id,
        "story_published_at": story.published_at,
        "sighting_id": sighting_id,
        "note": "; ".join(str(change) for change in v.match.changes),
        "reverted_at": None,
    }


async def _push(
    session: AsyncSession, alerts: list[tuple[Verdict, int]], claims: Mapping[int, ClaimMeta], now: datetime
) -> int:
    """One event per alert and a delivery per recipient; returns how many deliveries are new."""
    rows = [
        {"kind": "sighting", "claim_id": v.claim_id, "sighting_id": sid, "payload": {}} for v, sid in alerts
    ]
    stmt = insert(Event).returning(Event.sighting_id, Event.id)
    events = dict((await session.execute(stmt, rows)).all())
    audience = await outbox.Audience.load(session, {v.claim_id for v, _ in alerts})
    deliveries = [
        {"event_id": events[sid], "chat_id": chat, "topic_id": topic}
        for v, sid in alerts
        for chat, topic in audience.recipients(
            v.claim_id,
            score=v.match.score,
            kind=v.match.kind,
            alert_threshold=claims[v.claim_id].alert_threshold,
            now=now,
        )
    ]
    if not deliveries:
        return 0
    stmt = ignoring_conflicts(session, Delivery).returning(Delivery.id)
    return len((await session.execute(stmt, deliveries)).all())


async def record_feed_deactivated(
    session: AsyncSession, feed_id: int, *, url: str, reason: str, admins: list[int]
) -> None:
    """Tell the admins (and the console) that a feed was switched off."""
    event = await outbox.add_event(
        session, "feed_deactivated", feed_id=feed_id, payload={"url": url, "reason": reason}
    )
    for admin in admins:
        await ensure_chat(session, admin)
    recipients = [(admin, 0) for admin in admins]
    recipients += [(chat_id, 0) for chat_id in await outbox.follower_chats(session)]
    await outbox.enqueue(session, event.id, recipients)

"""The write side of a poll: sightings, states, events and deliveries, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.matching.changes import compare, should_apply
from bot.matching.types import Facts, Match
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
    applied: dict[int, Facts] = field(default_factory=dict)
    """Claims whose state this transaction changed, with their new facts."""
    applied_published: dict[int, datetime | None] = field(default_factory=dict)


@dataclass(slots=True)
class _Seen:
    """One sighting to store, and what it leads to."""

    story: StoryRef
    meta: ClaimMeta
    match: Match
    level: str
    state: dict[str, Any] | None = None


def merged(old: Facts, new: Facts) -> Facts:
    """The claim's next state: what the sentence states replaces, what it leaves out is kept."""
    updates = {
        name: getattr(new, name)
        for name in ("amounts", "counts", "percents", "dates", "parties", "groups", "order", "status")
        if getattr(new, name)
    }
    return replace(old, polarity=new.polarity, **updates)


def _rejudge(match: Match, current: Facts | None) -> Match:
    """Compare again when an earlier story of the same transaction changed the claim's state."""
    if current is None:
        return match
    changes = compare(current, match.facts)
    return replace(match, kind="changed" if changes else "recurs", changes=changes)


async def record_matches(
    session: AsyncSession,
    found: Sequence[tuple[StoryRef, list[Match]]],
    claims: dict[int, ClaimMeta],
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
    seen = _judge(found, claims, tally, facts_of)
    if not seen:
        return
    rows = [_sighting_row(s, now) for s in seen]
    stmt = ignoring_conflicts(session, Sighting).returning(Sighting.claim_id, Sighting.story_id, Sighting.id)
    ids = {(claim, story): sid for claim, story, sid in (await session.execute(stmt, rows)).all()}
    alerts = [(s, ids[key]) for s in seen if s.level == "alert" and (key := (s.meta.id, s.story.id)) in ids]
    states = [_state_row(s, sighting_id) for s, sighting_id in alerts if s.state is not None]
    if states:
        await session.execute(insert(ClaimState), states)
    if push and alerts:
        tally.deliveries += await _push(session, alerts, now)


def _judge(
    found: Sequence[tuple[StoryRef, list[Match]]],
    claims: dict[int, ClaimMeta],
    tally: Recorded,
    facts_of: Callable[[int], Facts],
) -> list[_Seen]:
    """Which matches become sightings, at which level, and which alerts become the claim's new state."""
    seen: list[_Seen] = []
    pairs: set[tuple[int, int]] = set()
    for story, matches in found:
        judged: list[_Seen] = []
        for match in matches:
            meta = claims.get(int(match.claim_id))  # type: ignore[call-overload]
            if meta is None or match.score < meta.suggest_threshold or (meta.id, story.id) in pairs:
                continue
            pairs.add((meta.id, story.id))
            match = _rejudge(match, tally.applied.get(meta.id))
            level = "alert" if match.score >= meta.alert_threshold else "suggestion"
            judged.append(_Seen(story, meta, match, level))
        for s in judged:  # states apply after the whole story is judged, as the story's sightings do
            tally.sightings += 1
            if s.level == "suggestion":
                tally.suggestions += 1
                continue
            tally.alerts += 1
            s.state = _maybe_new_state(s, tally, facts_of)
        seen += judged
    return seen


def _sighting_row(s: _Seen, now: datetime) -> dict[str, Any]:
    return {
        "claim_id": s.meta.id,
        "story_id": s.story.id,
        "score": round(s.match.score, 1),
        "sentence": s.match.sentence,
        "kind": s.match.kind,
        "level": s.level,
        "changes": [str(change) for change in s.match.changes],
        "terms": list(s.match.terms),
        "facts": s.match.facts.to_json(),
        "story_title": s.story.title,
        "story_link": s.story.link,
        "created_at": now,
    }


def _state_row(s: _Seen, sighting_id: int) -> dict[str, Any]:
    return {
        "claim_id": s.meta.id,
        "facts": s.state,
        "story_id": s.story.id,
        "story_published_at": s.story.published_at,
        "sighting_id": sighting_id,
        "note": "; ".join(str(change) for change in s.match.changes),
        "reverted_at": None,
    }


def _maybe_new_state(s: _Seen, tally: Recorded, facts_of: Callable[[int], Facts]) -> dict[str, Any] | None:
    """A changed alert becomes the claim's current state unless its story is older than the current one's."""
    meta, match, story = s.meta, s.match, s.story
    current_published = tally.applied_published.get(meta.id, meta.state_published_at)
    if not should_apply(
        kind=match.kind,
        score=match.score,
        alert_threshold=meta.alert_threshold,
        story_published=story.published_at,
        current_published=current_published,
    ):
        return None
    state = merged(tally.applied.get(meta.id) or facts_of(meta.id), match.facts)
    tally.states += 1
    tally.applied[meta.id] = state
    tally.applied_published[meta.id] = story.published_at
    return state.to_json()


async def _push(session: AsyncSession, alerts: list[tuple[_Seen, int]], now: datetime) -> int:
    """One event per alert and a delivery per recipient; returns how many deliveries are new."""
    rows = [
        {"kind": "sighting", "claim_id": s.meta.id, "sighting_id": sid, "payload": {}} for s, sid in alerts
    ]
    stmt = insert(Event).returning(Event.sighting_id, Event.id)
    events = dict((await session.execute(stmt, rows)).all())
    audience = await outbox.Audience.load(session, {s.meta.id for s, _ in alerts})
    deliveries = [
        {"event_id": events[sid], "chat_id": chat, "topic_id": topic}
        for s, sid in alerts
        for chat, topic in audience.recipients(
            s.meta.id, score=s.match.score, kind=s.match.kind, alert_threshold=s.meta.alert_threshold, now=now
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

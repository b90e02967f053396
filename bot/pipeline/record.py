"""The write side of a poll: sightings, states, events and deliveries, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.matching.changes import compare, should_apply
from bot.matching.types import Facts, Match
from bot.pipeline.claimset import ClaimMeta
from storage import claims as claim_queries
from storage import outbox
from storage.chats import ensure_chat
from storage.models import Sighting
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
    story: StoryRef,
    matches: list[Match],
    claims: dict[int, ClaimMeta],
    *,
    push: bool,
    now: datetime,
    tally: Recorded,
    facts_of: Callable[[int], Facts],
) -> None:
    """Store the story's matches as sightings (one insert); alerts become events owed to subscribers."""
    judged: list[tuple[ClaimMeta, Match, str]] = []
    for match in matches:
        meta = claims.get(int(match.claim_id))  # type: ignore[call-overload]
        if meta is None or match.score < meta.suggest_threshold:
            continue
        match = _rejudge(match, tally.applied.get(meta.id))
        judged.append((meta, match, "alert" if match.score >= meta.alert_threshold else "suggestion"))
    if not judged:
        return
    rows = [_sighting_row(story, meta, match, level, now) for meta, match, level in judged]
    stmt = ignoring_conflicts(session, Sighting).returning(Sighting.claim_id, Sighting.id)
    ids = {claim_id: sighting_id for claim_id, sighting_id in (await session.execute(stmt, rows)).all()}
    for meta, match, level in judged:
        sighting_id = ids.get(meta.id)
        if sighting_id is None:
            continue  # this claim was already seen in this story
        tally.sightings += 1
        if level == "suggestion":
            tally.suggestions += 1
            continue
        tally.alerts += 1
        await _maybe_new_state(session, story, meta, match, sighting_id, tally, facts_of)
        if push:
            event = await outbox.add_event(session, "sighting", claim_id=meta.id, sighting_id=sighting_id)
            recipients = await outbox.claim_recipients(
                session,
                meta.id,
                score=match.score,
                kind=match.kind,
                alert_threshold=meta.alert_threshold,
                now=now,
            )
            tally.deliveries += await outbox.enqueue(session, event.id, recipients)


def _sighting_row(
    story: StoryRef, meta: ClaimMeta, match: Match, level: str, now: datetime
) -> dict[str, Any]:
    return {
        "claim_id": meta.id,
        "story_id": story.id,
        "score": round(match.score, 1),
        "sentence": match.sentence,
        "kind": match.kind,
        "level": level,
        "changes": [str(change) for change in match.changes],
        "terms": list(match.terms),
        "facts": match.facts.to_json(),
        "story_title": story.title,
        "story_link": story.link,
        "created_at": now,
    }


async def _maybe_new_state(
    session: AsyncSession,
    story: StoryRef,
    meta: ClaimMeta,
    match: Match,
    sighting_id: int,
    tally: Recorded,
    facts_of: Callable[[int], Facts],
) -> None:
    """A changed alert becomes the claim's current state unless its story is older than the current one's."""
    current_published = tally.applied_published.get(meta.id, meta.state_published_at)
    if not should_apply(
        kind=match.kind,
        score=match.score,
        alert_threshold=meta.alert_threshold,
        story_published=story.published_at,
        current_published=current_published,
    ):
        return
    state = merged(tally.applied.get(meta.id) or facts_of(meta.id), match.facts)
    await claim_queries.add_state(
        session,
        meta.id,
        state.to_json(),
        story_id=story.id,
        story_published_at=story.published_at,
        sighting_id=sighting_id,
        note="; ".join(str(change) for change in match.changes),
    )
    tally.states += 1
    tally.applied[meta.id] = state
    tally.applied_published[meta.id] = story.published_at


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

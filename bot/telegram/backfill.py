"""A new claim's sightings in the stories already stored (recorded as history: nothing is pushed)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.matching import ClaimSpec, StoryDoc, build_index
from bot.matching.types import Match
from bot.settings import MatchingSettings
from storage.models import Claim, Sighting, Story
from storage.sightings import add_sighting

MAX_STORIES = 20_000


async def backfill(
    session: AsyncSession, claim: Claim, matching: MatchingSettings, *, now: datetime, days: int = 30
) -> list[Sighting]:
    """Sightings of ``claim`` in stories fetched in the last ``days``, best first."""
    query = (
        select(Story)
        .where(Story.fetched_at >= now - timedelta(days=days))
        .order_by(Story.fetched_at.desc())
        .limit(MAX_STORIES)
    )
    stories = {s.id: s for s in (await session.execute(query)).scalars()}
    if not stories:
        return []
    spec = ClaimSpec(id=claim.id, text=claim.text, aliases=tuple(claim.aliases))
    docs = [StoryDoc(id=s.id, title=s.title, summary=s.summary) for s in stories.values()]
    floor = claim.suggest_threshold if claim.suggest_threshold is not None else matching.suggest_threshold
    alert = claim.alert_threshold if claim.alert_threshold is not None else matching.alert_threshold

    def match_all() -> list[tuple[int, Match]]:
        index = build_index([spec])
        return [(int(doc.id), m) for doc in docs for m in index.match(doc, floor)]  # type: ignore[call-overload]

    found: list[Sighting] = []
    for story_id, match in await asyncio.to_thread(match_all):
        story = stories[story_id]
        sighting = await add_sighting(
            session,
            claim_id=claim.id,
            story_id=story_id,
            score=round(match.score, 1),
            sentence=match.sentence,
            kind=match.kind,
            level="alert" if match.score >= alert else "suggestion",
            changes=[str(c) for c in match.changes],
            terms=list(match.terms),
            facts=match.facts.to_json(),
            story_title=story.title,
            story_link=story.link,
            created_at=story.published_at or story.fetched_at,
        )
        if sighting is not None:
            found.append(sighting)
    return sorted(found, key=lambda s: -s.score)

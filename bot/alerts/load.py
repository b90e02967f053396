"""Reading what a delivery is about: an event becomes an :class:`Alert` or a :class:`Notice`."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.alerts.render import Alert, Notice, Source
from storage import stories
from storage.models import Claim, Event, Sighting


async def load_message(session: AsyncSession, event: Event) -> Alert | Notice | None:
    """What to tell about ``event``; None when what it refers to is gone."""
    if event.kind == "sighting" and event.sighting_id is not None:
        sighting = await session.get(Sighting, event.sighting_id)
        claim = await session.get(Claim, event.claim_id) if event.claim_id is not None else None
        if sighting is None or claim is None:
            return None
        sources: tuple[Source, ...] = ()
        if sighting.story_id is not None:
            sources = tuple(
                Source(name, link) for name, link in await stories.sources_of(session, sighting.story_id)
            )
        return Alert(
            claim_id=claim.id,
            claim_text=claim.text,
            kind=sighting.kind,
            score=sighting.score,
            headline=sighting.story_title,
            link=sighting.story_link,
            sentence=sighting.sentence,
            terms=tuple(sighting.terms),
            changes=tuple(sighting.changes),
            sources=sources,
            sighting_id=sighting.id,
        )
    if event.kind == "feed_deactivated":
        payload = event.payload
        return Notice(
            "Feed switched off",
            f"Feed #{event.feed_id} {payload.get('url', '')} was deactivated: {payload.get('reason', '')}",
        )
    return Notice(event.kind.replace("_", " "), str(event.payload))

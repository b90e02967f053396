"""Sightings: a claim seen in a story, once per (claim, story)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Sighting
from storage.upsert import ignoring_conflicts, insert_ignore


async def add_sighting(session: AsyncSession, **values: Any) -> Sighting | None:
    """Record a sighting; None when this claim was already seen in this story."""
    stmt = insert_ignore(session, Sighting, [values]).returning(Sighting.id)
    sighting_id = (await session.execute(stmt)).scalar_one_or_none()
    if sighting_id is None:
        return None
    return await session.get(Sighting, sighting_id)


async def add_sightings(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> dict[tuple[int, int], int]:
    """Record many sightings in one executemany; the new ones' ids by (claim, story), repeats left out."""
    if not rows:
        return {}
    stmt = ignoring_conflicts(session, Sighting).returning(Sighting.claim_id, Sighting.story_id, Sighting.id)
    return {(claim, story): sid for claim, story, sid in (await session.execute(stmt, list(rows))).all()}


async def sightings_of(
    session: AsyncSession, claim_id: int, *, since: datetime | None = None, limit: int = 50
) -> Sequence[Sighting]:
    query = select(Sighting).where(Sighting.claim_id == claim_id)
    if since is not None:
        query = query.where(Sighting.created_at >= since)
    query = query.order_by(Sighting.created_at.desc(), Sighting.id.desc()).limit(limit)
    return (await session.execute(query)).scalars().all()


async def sighting_times(session: AsyncSession, claim_id: int, *, since: datetime) -> list[datetime]:
    """When each of the claim's sightings since ``since`` was recorded, oldest first."""
    query = (
        select(Sighting.created_at)
        .where(Sighting.claim_id == claim_id, Sighting.created_at >= since)
        .order_by(Sighting.created_at)
    )
    return list((await session.execute(query)).scalars())


async def get_sighting(session: AsyncSession, sighting_id: int) -> Sighting | None:
    return await session.get(Sighting, sighting_id)

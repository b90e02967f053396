"""Pruning old stories in small batches; sightings, states and known guids keep what they need."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Story


async def prune_batch(session: AsyncSession, *, before: datetime, batch: int) -> int:
    """Delete up to ``batch`` stories fetched before ``before``; returns how many went.

    Sightings keep their copied headline and link, story sources keep their guid (so it never alerts
    again) and claim states keep the story's date: the foreign keys only go NULL.
    """
    ids = (
        (
            await session.execute(
                select(Story.id).where(Story.fetched_at < before).order_by(Story.id).limit(batch)
            )
        )
        .scalars()
        .all()
    )
    if ids:
        await session.execute(delete(Story).where(Story.id.in_(ids)))
    return len(ids)

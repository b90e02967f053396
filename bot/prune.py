"""The pruning job: old stories go in batches, one short transaction each."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.settings import RetentionSettings
from storage.retention import prune_batch

logger = logging.getLogger(__name__)


async def prune(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: RetentionSettings,
    *,
    now: datetime | None = None,
) -> int:
    """Delete stories older than ``story_days``; returns how many were deleted."""
    before = (now or datetime.now(UTC)) - timedelta(days=settings.story_days)
    total = 0
    while True:
        async with sessionmaker.begin() as session:
            deleted = await prune_batch(session, before=before, batch=settings.batch)
        total += deleted
        if deleted < settings.batch:
            break
    if total:
        logger.info("retention: pruned %d stories older than %d days", total, settings.story_days)
    return total

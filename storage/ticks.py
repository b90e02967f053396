"""Scheduler ticks, for status reports."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Tick


async def record_tick(session: AsyncSession, tick: Tick) -> None:
    session.add(tick)
    await session.flush()


async def last_tick(session: AsyncSession) -> Tick | None:
    query = select(Tick).order_by(Tick.id.desc()).limit(1)
    return (await session.execute(query)).scalar_one_or_none()

"""``claimbot status``: the operator's first questions, answered from the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.timetext import ago
from storage import outbox
from storage.feeds import count_due, feed_health
from storage.models import Feed, Sighting, Story
from storage.ticks import last_tick


async def print_status(session: AsyncSession, out: Console) -> None:
    now = datetime.now(UTC)
    day = now - timedelta(days=1)
    tick = await last_tick(session)
    feeds = (await session.execute(select(Feed))).scalars().all()
    health = await feed_health(session)
    stories = await session.scalar(select(func.count(Story.id)).where(Story.fetched_at >= day))
    sightings = await session.scalar(select(func.count(Sighting.id)).where(Sighting.created_at >= day))
    pending, oldest = await outbox.backlog(session)
    table = Table(show_header=False, box=None)
    if tick is None:
        table.add_row("last tick", "never")
    else:
        table.add_row(
            "last tick",
            f"{ago(tick.started_at, now)}, {tick.duration:.1f}s, {tick.feeds} feeds, {tick.failed} failed",
        )
    table.add_row(
        "feeds", f"{health.ok} ok, {health.failing} failing, {health.inactive} deactivated or disabled"
    )
    table.add_row("due now", f"{await count_due(session, now)} feeds")
    table.add_row("last 24 h", f"{stories} stories, {sightings} sightings")
    table.add_row("outbox", f"{pending} pending" + (f", oldest {ago(oldest, now)}" if oldest else ""))
    out.print(table)
    errors = [f for f in feeds if f.last_error][:5]
    for feed in errors:
        out.print(f"  feed #{feed.id}: {feed.last_error}")

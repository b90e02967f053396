"""Optional HTTP endpoint on localhost: ``/healthz`` (database liveness) and Prometheus ``/metrics``."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.settings import Settings
from storage import outbox
from storage.feeds import feed_health
from storage.models import Sighting, Story
from storage.ticks import last_tick

logger = logging.getLogger(__name__)

_SESSIONMAKER = web.AppKey("sessionmaker", async_sessionmaker[AsyncSession])


async def _healthz(request: web.Request) -> web.Response:
    try:
        async with request.app[_SESSIONMAKER]() as session:
            tick = await last_tick(session)
    except Exception as exc:  # the database is what health means here
        return web.Response(status=503, text=f"database unavailable: {type(exc).__name__}\n")
    when = tick.started_at.isoformat() if tick else "never"
    return web.Response(text=f"ok; last tick {when}\n")


async def metrics_text(session: AsyncSession) -> str:
    """The metrics in Prometheus text format."""
    health = await feed_health(session)
    states = {"ok": health.ok, "failing": health.failing, "inactive": health.inactive}
    pending, oldest = await outbox.backlog(session)
    tick = await last_tick(session)
    lines = ["# TYPE claimbot_feeds gauge"]
    lines += [f'claimbot_feeds{{state="{state}"}} {count}' for state, count in states.items()]
    lines += [
        "# TYPE claimbot_stories gauge",
        f"claimbot_stories {await session.scalar(select(func.count(Story.id)))}",
        "# TYPE claimbot_sightings gauge",
        f"claimbot_sightings {await session.scalar(select(func.count(Sighting.id)))}",
        "# TYPE claimbot_outbox_pending gauge",
        f"claimbot_outbox_pending {pending}",
        "# TYPE claimbot_outbox_oldest_age_seconds gauge",
        f"claimbot_outbox_oldest_age_seconds {_age(oldest):.1f}",
    ]
    if tick is not None:
        lines += [
            "# TYPE claimbot_last_tick_timestamp_seconds gauge",
            f"claimbot_last_tick_timestamp_seconds {tick.started_at.timestamp():.3f}",
            "# TYPE claimbot_last_tick_duration_seconds gauge",
            f"claimbot_last_tick_duration_seconds {tick.duration:.3f}",
            "# TYPE claimbot_last_tick_failed_feeds gauge",
            f"claimbot_last_tick_failed_feeds {tick.failed}",
        ]
    return "\n".join(lines) + "\n"


def _age(moment: datetime | None) -> float:
    return 0.0 if moment is None else max((datetime.now(UTC) - moment).total_seconds(), 0.0)


async def _metrics(request: web.Request) -> web.Response:
    async with request.app[_SESSIONMAKER]() as session:
        body = await metrics_text(session)
    return web.Response(text=body, content_type="text/plain", charset="utf-8")


@contextlib.asynccontextmanager
async def health_server(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[None]:
    """Serve the endpoint while the block runs, if ``daemon.health_port`` is set."""
    port = settings.daemon.health_port
    if not port:
        yield
        return
    app = web.Application()
    app[_SESSIONMAKER] = sessionmaker
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/metrics", _metrics)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, settings.daemon.health_host, port).start()
    logger.info("health endpoint on http://%s:%d/healthz and /metrics", settings.daemon.health_host, port)
    try:
        yield
    finally:
        await runner.cleanup()

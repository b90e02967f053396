"""Three workers on one PostgreSQL database: leases keep every feed to one poll per interval."""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from collections import defaultdict

import pytest
from aiohttp import web
from sqlalchemy import func, select

from bot.claimbook import load_seeds, read_seed_file
from bot.resources import seeds_path
from storage import feeds
from storage.db import create_engine, create_sessionmaker
from storage.migrate import upgrade
from storage.models import Delivery, Sighting, Story
from tests.feedserver import FeedServer
from tests.samples import UNRELATED, WEAPONS, rss
from tests.test_daemon import _alerts, _env

pytestmark = pytest.mark.postgres

FEEDS = 12
INTERVAL = 2.0


def _feed_handler(index: int, polls: dict[int, list[float]]) -> web.RequestHandler:  # type: ignore[name-defined]
    base = (f"u{index}", f"Weather report {index}", UNRELATED)
    fresh = (f"w{index}", f"Trump presses allies on weapons, report number {index}", WEAPONS)

    async def handler(request: web.Request) -> web.Response:
        polls[index].append(time.monotonic())
        items = (fresh, base) if len(polls[index]) > 1 else (base,)
        return web.Response(body=rss(*items, title=f"Feed {index}"), content_type="application/rss+xml")

    return handler


async def _stats(url: str) -> tuple[int, int, int]:
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as s:
            return (
                int(await s.scalar(select(func.count(Story.id))) or 0),
                int(await s.scalar(select(func.count(Sighting.id)).where(Sighting.level == "alert")) or 0),
                int(await s.scalar(select(func.count(Delivery.id))) or 0),
            )
    finally:
        await engine.dispose()


async def _prepare(url: str, feed_urls: list[str]) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
        async with create_sessionmaker(engine).begin() as s:
            await load_seeds(s, read_seed_file(seeds_path("claims.jsonl")))
            for feed_url in feed_urls:
                await feeds.add_feed(s, feed_url)
    finally:
        await engine.dispose()


async def test_three_workers_share_feeds_and_survive_a_kill(pg_url: str) -> None:
    polls: dict[int, list[float]] = defaultdict(list)
    env = _env(
        pg_url,
        CLAIMBOT_FEEDS__POLL_INTERVAL=str(INTERVAL),
        CLAIMBOT_FEEDS__MIN_INTERVAL="1",
        CLAIMBOT_FEEDS__LEASE="2",
        CLAIMBOT_FEEDS__ALLOW_PRIVATE_NETWORKS="true",
    )
    async with FeedServer() as server:
        urls = [server.route(f"/feed/{index}", _feed_handler(index, polls)) for index in range(FEEDS)]
        await _prepare(pg_url, urls)
        roles = ["worker", "worker", "all"]
        procs = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                "--role",
                role,
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            for role in roles
        ]
        await asyncio.sleep(7)
        killed_at = time.monotonic()
        procs[0].send_signal(signal.SIGKILL)
        await asyncio.sleep(6)
        outputs = []
        for proc in procs[1:]:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            out, _ = await asyncio.wait_for(proc.communicate(), 30)
            outputs.append(out.decode())
    assert [p.returncode for p in procs] == [-signal.SIGKILL, 0, 0]
    for index, moments in polls.items():
        gaps = [b - a for a, b in zip(moments, moments[1:], strict=False)]
        assert min(gaps) >= INTERVAL * 0.9, (index, gaps)  # never polled twice within an interval
        assert any(m > killed_at + 1 for m in moments), index  # still polled after the kill
    assert len(polls) == FEEDS
    stories, alerts, deliveries = await _stats(pg_url)
    assert stories == 2 * FEEDS  # every story stored once
    printed = _alerts("".join(outputs))
    assert len(printed) == len(set(printed)) == deliveries == alerts >= FEEDS  # every alert sent once

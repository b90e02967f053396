"""Helpers for tests that run claimbot as a real process: environment, spawning, database set-up, counts."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import func, select, update

from bot.catalog.claims import load_seeds, read_seed_file
from bot.resources import seeds_path
from storage import feeds
from storage.db import create_engine, create_sessionmaker
from storage.migrate import upgrade
from storage.models import Delivery, Feed, Sighting, Story


def daemon_env(database_url: str, **extra: str) -> dict[str, str]:
    """Environment for a fast daemon: short intervals, no token, nothing from the caller's config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAIMBOT_") and k != "BOT_TOKEN"}
    env.update(
        CLAIMBOT_DATABASE__URL=database_url,
        CLAIMBOT_FEEDS__TICK_INTERVAL="0.2",
        CLAIMBOT_FEEDS__POLL_INTERVAL="3600",
        CLAIMBOT_FEEDS__MIN_INTERVAL="60",
        CLAIMBOT_FEEDS__JITTER="0",
        CLAIMBOT_FEEDS__LEASE="1",
        CLAIMBOT_FEEDS__TIMEOUT="1",
        CLAIMBOT_FEEDS__PARSE_WORKERS="0",
        CLAIMBOT_DELIVERY__DRAIN_INTERVAL="0.2",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


async def spawn(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    """``python -m bot ARGS`` with stdout and stderr piped."""
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def cli(env: dict[str, str], *args: str, timeout: float = 60) -> tuple[int, str, str]:
    """Run a command to the end: (exit code, stdout, stderr)."""
    proc = await spawn(env, *args)
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def prepare(
    url: str, feed_urls: Sequence[str], *, trusted: bool = True, baseline_done: bool = False
) -> None:
    """Migrate, seed the twelve claims and add ``feed_urls``."""
    engine = create_engine(url)
    try:
        await upgrade(engine)
        async with create_sessionmaker(engine).begin() as s:
            await load_seeds(s, read_seed_file(seeds_path("claims.jsonl")))
            for feed_url in feed_urls:
                feed = await feeds.add_feed(s, feed_url, trusted=trusted)
                feed.baseline_done = baseline_done
    finally:
        await engine.dispose()


async def make_due(url: str) -> None:
    """Every feed due now, leases dropped."""
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine).begin() as s:
            await s.execute(update(Feed).values(next_check_at=datetime.now(UTC), lease_until=None))
    finally:
        await engine.dispose()


async def counts(url: str) -> tuple[int, int, int]:
    """(stories, sightings at alert level, deliveries sent)."""
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as s:
            return (
                int(await s.scalar(select(func.count(Story.id))) or 0),
                int(await s.scalar(select(func.count(Sighting.id)).where(Sighting.level == "alert")) or 0),
                int(await s.scalar(select(func.count(Delivery.id)).where(Delivery.status == "sent")) or 0),
            )
    finally:
        await engine.dispose()


def printed_alerts(out: str) -> list[tuple[str, str]]:
    """(claim id, story headline) for each alert the console transport printed."""
    pairs, claim = [], ""
    for line in out.splitlines():
        if line.startswith("["):
            claim = line.split("#", 1)[1].split()[0]
        elif line.strip().startswith("story: "):
            pairs.append((claim, line.strip()[7:].rsplit(" <", 1)[0]))
    return pairs

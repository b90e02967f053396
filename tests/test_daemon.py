"""The daemon as an operator runs it: a real process, real signals, SIGKILL at named fault points."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import run_once
from bot.claimbook import load_seeds, read_seed_file
from bot.feedbook import add_feed
from bot.resources import seeds_path
from storage.db import create_engine, create_sessionmaker
from storage.migrate import upgrade
from storage.models import Delivery, Sighting, Story
from tests.conftest import make_settings
from tests.samples import POLAND, POLAND_CHANGED, UNRELATED, WEAPONS, rss


def _env(database_url: str, **extra: str) -> dict[str, str]:
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


async def _cli(env: dict[str, str], *args: str, timeout: float = 60) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def _counts(database_url: str) -> tuple[int, int, int]:
    """(stories, sightings at alert level, deliveries sent)."""
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as s:
            return (
                int(await s.scalar(select(func.count(Story.id))) or 0),
                int(await s.scalar(select(func.count(Sighting.id)).where(Sighting.level == "alert")) or 0),
                int(await s.scalar(select(func.count(Delivery.id)).where(Delivery.status == "sent")) or 0),
            )
    finally:
        await engine.dispose()


def _alerts(out: str) -> list[tuple[str, str]]:
    """(claim id, story headline) for each alert printed on the console."""
    pairs, claim = [], ""
    for line in out.splitlines():
        if line.startswith("["):
            claim = line.split("#", 1)[1].split()[0]
        elif line.strip().startswith("story: "):
            pairs.append((claim, line.strip()[7:].rsplit(" <", 1)[0]))
    return pairs


@pytest.fixture
async def feeds(tmp_path: Path, database_url: str) -> tuple[dict[str, str], list[Path]]:
    """Two local feeds already polled once (baseline), with new stories waiting."""
    env = _env(database_url)
    paths = [tmp_path / "one.xml", tmp_path / "two.xml"]
    paths[0].write_bytes(rss(("u1", "Floods", UNRELATED)))
    paths[1].write_bytes(rss(("u2", "Floods again", UNRELATED + " More rain.")))
    settings = make_settings(database_url, feeds={"parse_workers": 0})
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        async with create_sessionmaker(engine).begin() as s:
            await load_seeds(s, read_seed_file(seeds_path("claims.jsonl")))
            for path in paths:
                await add_feed(s, path.as_uri(), settings.feeds, trusted=True)
    finally:
        await engine.dispose()
    await run_once(settings)  # the baseline
    paths[0].write_bytes(rss(("p", "Poland deal", POLAND_CHANGED), ("u1", "Floods", UNRELATED)))
    paths[1].write_bytes(
        rss(("w", "Weapons", WEAPONS), ("k", "Poland", POLAND), ("u2", "Floods again", UNRELATED))
    )
    os.utime(paths[0], (time.time() + 5, time.time() + 5))
    os.utime(paths[1], (time.time() + 5, time.time() + 5))
    await _make_due(database_url)
    return env, paths


async def _make_due(database_url: str) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import update

    from storage.models import Feed

    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine).begin() as s:
            await s.execute(update(Feed).values(next_check_at=datetime.now(UTC)))
    finally:
        await engine.dispose()


async def test_daemon_alerts_then_stops_cleanly_on_sigterm(
    feeds: tuple[dict[str, str], list[Path]], database_url: str
) -> None:
    env, _ = feeds
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    seen = ""
    deadline = time.monotonic() + 30
    while "#1 Trump urges" not in seen or "[CHANGED] #10" not in seen:
        assert time.monotonic() < deadline, seen
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        seen += line.decode()
    proc.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0, err.decode()
    assert "[CHANGED] #10" in seen and "#1 Trump urges" in seen
    assert "SIGTERM received" in err.decode() and "stopped" in err.decode()
    stories, alerts, sent = await _counts(database_url)
    assert stories == 5 and alerts >= 3
    assert sent >= 2  # what was printed was marked sent; anything still pending waits for the next run


async def test_sigkill_mid_tick_then_restart_loses_and_repeats_nothing(
    feeds: tuple[dict[str, str], list[Path]], database_url: str
) -> None:
    env, _ = feeds
    code, out, _ = await _cli({**env, "CLAIMBOT_FAULT": "poll.stored:1"}, "run", "--once")
    assert code == -signal.SIGKILL and out == ""  # died after the first feed's transaction, before sending
    stories_after_crash = (await _counts(database_url))[0]
    assert stories_after_crash in (3, 4)  # one feed's new stories committed, the other's not
    await asyncio.sleep(1.1)  # the dead worker's lease on the other feed expires
    code, out, err = await _cli(env, "run", "--once")
    assert code == 0, err
    pairs = _alerts(out)
    assert len(pairs) == len(set(pairs)), out  # nothing twice
    assert {("10", "Poland deal"), ("10", "Poland"), ("1", "Weapons")} <= set(pairs)
    code, out, _ = await _cli(env, "run", "--once")
    assert code == 0 and out == ""
    stories, alerts, sent = await _counts(database_url)
    assert stories == 5 and alerts == sent >= 3


async def test_second_process_on_sqlite_is_refused(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'one.db'}"
    env = _env(url)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stderr is not None
        while b"claimbot running" not in await asyncio.wait_for(proc.stderr.readline(), 30):
            pass
        code, _, err = await _cli(env, "run", "--once")
        assert code == 1 and "SQLite allows one process" in err
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0

"""Outages the daemon must ride out without a restart: the database gone for a while, a full disk."""

from __future__ import annotations

import asyncio
import io
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import event, func, select, update
from sqlalchemy.engine import make_url

from bot.alerts.console import ConsoleTransport
from bot.app import Database, poll_once, prepare_chats
from bot.claimbook import load_seeds, read_seed_file
from bot.pipeline.fetch import FeedClient
from bot.resources import seeds_path
from storage import feeds
from storage.db import create_engine, create_sessionmaker
from storage.migrate import upgrade
from storage.models import Feed, Story
from tests.conftest import make_settings
from tests.samples import POLAND_CHANGED, UNRELATED, WEAPONS, rss
from tests.tcpproxy import TcpProxy
from tests.test_daemon import _alerts, _env


async def _seed_with_feed(url: str, feed_url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
        async with create_sessionmaker(engine).begin() as s:
            await load_seeds(s, read_seed_file(seeds_path("claims.jsonl")))
            feed = await feeds.add_feed(s, feed_url, trusted=True)
            feed.baseline_done = True  # alert on the very first poll
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_database_outage_is_ridden_out(pg_url: str, tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_bytes(rss(("u", "Floods", UNRELATED)))
    await _seed_with_feed(pg_url, feed.as_uri())
    target = make_url(pg_url)
    async with TcpProxy(target.host or "127.0.0.1", target.port or 5432) as proxy:
        via_proxy = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        env = _env(via_proxy, CLAIMBOT_FEEDS__POLL_INTERVAL="1", CLAIMBOT_FEEDS__MIN_INTERVAL="1")
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        await asyncio.sleep(2.5)
        proxy.cut()
        feed.write_bytes(rss(("w", "Trump presses allies", WEAPONS), ("u", "Floods", UNRELATED)))
        await asyncio.sleep(2.5)  # ticks fail while the database is unreachable
        proxy.restore()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and await _stories(pg_url) < 2:
            await asyncio.sleep(0.3)
        await asyncio.sleep(1.0)
        proc.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()[-2000:]
    assert await _stories(pg_url) == 2
    assert ("1", "Trump presses allies") in _alerts(out.decode())
    assert "failed; it runs again" in err.decode() or "cannot" in err.decode().lower()


async def _stories(url: str) -> int:
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as s:
            return int(await s.scalar(select(func.count(Story.id))) or 0)
    finally:
        await engine.dispose()


async def test_full_disk_loses_nothing_and_recovers(tmp_path: Path) -> None:
    """SQLite's page limit stands in for a full disk: the feed's transaction fails whole, then succeeds."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'small.db'}"
    feed_file = tmp_path / "feed.xml"
    filler = " ".join(["padding"] * 4000)
    feed_file.write_bytes(
        rss(*[(f"g{i}", f"Story number {i}", f"{POLAND_CHANGED} {filler}") for i in range(40)])
    )
    await _seed_with_feed(url, feed_file.as_uri())
    settings = make_settings(url, feeds={"parse_workers": 0})
    engine = create_engine(url)
    limit = {"pages": 0}

    @event.listens_for(engine.sync_engine, "connect")
    def _cap(dbapi_connection: object, _record: object) -> None:
        pages = limit["pages"]
        if pages:
            cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
            cursor.execute(f"PRAGMA max_page_count = {pages}")
            cursor.close()

    db = Database(engine, create_sessionmaker(engine))
    async with db.sessionmaker() as s:
        used = int((await s.execute(select(func.count(Feed.id)))).scalar_one())
    assert used == 1
    await engine.dispose()
    limit["pages"] = 80  # a few pages above what is there now: the stories do not fit
    await prepare_chats(db, settings)
    out = io.StringIO()
    async with FeedClient(settings.feeds) as client:
        summary = await poll_once(settings, db, client, ConsoleTransport(out))
        assert summary.failed == 1 and await _stories(url) == 0
        limit["pages"] = 0
        await engine.dispose()  # new connections, no cap: the disk has room again
        async with db.sessionmaker.begin() as s:
            await s.execute(update(Feed).values(lease_until=None, next_check_at=datetime.now(UTC)))
        summary = await poll_once(settings, db, client, ConsoleTransport(out))
    await engine.dispose()
    assert summary.failed == 0 and await _stories(url) == 40
    assert out.getvalue().count("[CHANGED] #10") == 1  # one claim state change, then recurs

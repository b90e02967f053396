"""Outages the daemon must ride out without a restart: the database gone for a while, a full disk."""

from __future__ import annotations

import asyncio
import io
import signal
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import event, func, select, update
from sqlalchemy.engine import make_url

from bot.alerts.console import ConsoleTransport
from bot.app import Database, poll_once, prepare_chats
from bot.pipeline.fetch import FeedClient
from storage.db import create_engine, create_sessionmaker
from storage.models import Feed
from testkit.procs import counts, daemon_env, prepare, printed_alerts, spawn
from testkit.samples import POLAND_CHANGED, UNRELATED, WEAPONS, rss
from tests.conftest import make_settings
from tests.tcpproxy import TcpProxy


@pytest.mark.postgres
@pytest.mark.slow
async def test_database_outage_is_ridden_out(pg_url: str, tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_bytes(rss(("u", "Floods", UNRELATED)))
    await prepare(pg_url, [feed.as_uri()], baseline_done=True)
    target = make_url(pg_url)
    async with TcpProxy(target.host or "127.0.0.1", target.port or 5432) as proxy:
        via_proxy = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        env = daemon_env(via_proxy, CLAIMBOT_FEEDS__POLL_INTERVAL="1", CLAIMBOT_FEEDS__MIN_INTERVAL="1")
        proc = await spawn(env, "run")
        deadline = time.monotonic() + 30
        while (await counts(pg_url))[0] < 1:  # the daemon is up and has polled once
            assert time.monotonic() < deadline and proc.returncode is None
            await asyncio.sleep(0.2)
        proxy.cut()
        feed.write_bytes(rss(("w", "Trump presses allies", WEAPONS), ("u", "Floods", UNRELATED)))
        deadline = time.monotonic() + 30
        while proxy.refused < 2:  # the daemon tried the database, and failed, while it was unreachable
            assert time.monotonic() < deadline and proc.returncode is None, proxy.refused
            await asyncio.sleep(0.1)
        proxy.restore()
        assert proc.stdout is not None
        seen = b""
        while ("1", "Trump presses allies") not in printed_alerts(seen.decode()):  # stored, then sent
            seen += await asyncio.wait_for(proc.stdout.readline(), 30)
        proc.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()[-2000:]
    assert (await counts(pg_url))[0] == 2
    assert ("1", "Trump presses allies") in printed_alerts((seen + out).decode())
    assert "failed; it runs again" in err.decode() or "cannot" in err.decode().lower()


async def test_full_disk_loses_nothing_and_recovers(tmp_path: Path) -> None:
    """SQLite's page limit stands in for a full disk: the feed's transaction fails whole, then succeeds."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'small.db'}"
    feed_file = tmp_path / "feed.xml"
    filler = " ".join(["padding"] * 4000)
    feed_file.write_bytes(
        rss(*[(f"g{i}", f"Story number {i}", f"{POLAND_CHANGED} {filler}") for i in range(40)])
    )
    await prepare(url, [feed_file.as_uri()], baseline_done=True)
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
        assert summary.failed == 1 and (await counts(url))[0] == 0
        limit["pages"] = 0
        await engine.dispose()  # new connections, no cap: the disk has room again
        async with db.sessionmaker.begin() as s:
            await s.execute(update(Feed).values(lease_until=None, next_check_at=datetime.now(UTC)))
        summary = await poll_once(settings, db, client, ConsoleTransport(out))
    await engine.dispose()
    assert summary.failed == 0 and (await counts(url))[0] == 40
    assert out.getvalue().count("[CHANGED] #10") == 1  # one claim state change, then recurs

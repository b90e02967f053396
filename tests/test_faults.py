"""Faults around a real daemon process: SIGTERM mid-fetch, kill -9, its database deleted or dropped.

Every wait is on an event (a request reaching the feed server, a log line, a process gone) with a deadline.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import time
from pathlib import Path

import pytest
from aiohttp import web
from sqlalchemy.engine import make_url

from storage import feeds
from storage.db import create_engine, create_sessionmaker
from testkit.procs import cli, daemon_env, prepare, spawn
from testkit.samples import UNRELATED, rss
from tests.conftest import _admin
from tests.feedserver import FeedServer


async def _line(stream: asyncio.StreamReader, needle: str, seen: list[str], timeout: float = 30) -> str:
    """Read ``stream`` until a line containing ``needle`` (every line read goes to ``seen``)."""
    deadline = time.monotonic() + timeout
    while True:
        line = (await asyncio.wait_for(stream.readline(), max(deadline - time.monotonic(), 0.1))).decode()
        if not line:
            raise AssertionError(f"stream ended before {needle!r}:\n{''.join(seen)[-3000:]}")
        seen.append(line)
        if needle in line:
            return line


@pytest.mark.slow
async def test_sigterm_during_a_slow_fetch_logs_no_traceback(tmp_path: Path) -> None:
    reached, release = asyncio.Event(), asyncio.Event()

    async def stall(request: web.Request) -> web.StreamResponse:
        reached.set()
        await release.wait()
        return web.Response(status=500)

    async with FeedServer() as server:
        url = server.route("/slow", stall)
        db_url = f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"
        await prepare(db_url, [url])
        env = daemon_env(db_url, CLAIMBOT_FEEDS__TIMEOUT="60", CLAIMBOT_FEEDS__ALLOW_PRIVATE_NETWORKS="true")
        proc = await spawn(env, "run", "--grace", "0.2")
        try:
            await asyncio.wait_for(reached.wait(), 30)
            proc.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(proc.communicate(), 30)
        finally:
            release.set()
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    text = err.decode()
    assert proc.returncode == 0, text[-3000:]
    assert "stopped" in text
    assert "Traceback" not in text and "CancelledError" not in text and " ERROR " not in text, text[-3000:]


def _descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if fields[0] != "Z":  # zombies are dead, waiting for their reaper
                parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process tree from /proc")
async def test_kill_9_leaves_no_orphans(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_bytes(rss(("a", "Floods", UNRELATED)))
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"
    await prepare(db_url, [feed.as_uri()])
    proc = await spawn(daemon_env(db_url, CLAIMBOT_FEEDS__PARSE_WORKERS="2"), "run")
    seen: list[str] = []
    children: set[int] = set()
    try:
        assert proc.stderr is not None
        await _line(proc.stderr, "poll: feeds=1", seen)  # the feed went through a parse worker
        children = _descendants(proc.pid)
        assert len(children) >= 3, children  # forkserver, resource tracker, at least one worker
        proc.kill()  # not proc.wait(): it also waits for the pipes, which orphans would hold open
        deadline = time.monotonic() + 30
        while (left := {pid for pid in children if _alive(pid)}) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert not left, [Path(f"/proc/{pid}/cmdline").read_bytes()[:80] for pid in left]
    finally:
        for pid in [proc.pid, *children]:  # ours: leave nothing behind even when the assertion failed
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        await asyncio.wait_for(proc.wait(), 30)


@pytest.mark.slow
async def test_deleted_sqlite_folder_stops_the_daemon(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    feed = tmp_path / "feed.xml"
    feed.write_bytes(rss(("a", "Floods", UNRELATED)))
    db_url = f"sqlite+aiosqlite:///{folder / 'c.db'}"
    await prepare(db_url, [feed.as_uri()])
    proc = await spawn(daemon_env(db_url), "run")
    seen: list[str] = []
    try:
        assert proc.stderr is not None
        await _line(proc.stderr, "poll: feeds=1", seen)
        shutil.rmtree(folder)
        _, rest = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    text = "".join(seen) + rest.decode()
    assert proc.returncode == 1, text[-3000:]
    assert "was deleted or replaced" in text and "Traceback" not in text
    assert text.strip().splitlines()[-1].startswith("error: the database file")


async def test_read_only_commands_create_no_database(tmp_path: Path) -> None:
    env = daemon_env(f"sqlite+aiosqlite:///{tmp_path / 'c.db'}")
    for args in (["claims", "list"], ["feeds", "list"], ["claims", "show", "1"], ["db", "current"]):
        code, _, err = await cli(env, *args)
        assert code == 1 and err.strip().splitlines() == [err.strip()] and "no database at" in err, err
    code, out, err = await cli(env, "status")
    assert code == 0 and "last tick never" in out and "no database" in out, err
    assert not (tmp_path / "c.db").exists()


@pytest.mark.slow
@pytest.mark.postgres
async def test_dropped_postgres_database_is_logged_once_and_recovered(pg_url: str, tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_bytes(rss(("a", "Floods", UNRELATED)))
    await prepare(pg_url, [feed.as_uri()])
    name = make_url(pg_url).database
    env = daemon_env(pg_url, CLAIMBOT_DELIVERY__OUTAGE_BACKOFF_MAX="2")
    proc = await spawn(env, "run")
    seen: list[str] = []
    try:
        assert proc.stderr is not None
        await _line(proc.stderr, "poll: feeds=1", seen)
        await _admin(f'DROP DATABASE "{name}" WITH (FORCE)')
        start = len(seen)
        await _line(proc.stderr, "database unavailable", seen)
        for _ in range(4):  # several retries, two seconds apart at most: the outage lasts a while
            await _line(proc.stderr, "retry in 2s", seen)
        outage = seen[start:]
        await _admin(f'CREATE DATABASE "{name}"')
        await _line(proc.stderr, "migrations re-applied", seen)
        engine = create_engine(pg_url)
        try:
            async with create_sessionmaker(engine).begin() as session:
                await feeds.add_feed(session, feed.as_uri(), trusted=True)
        finally:
            await engine.dispose()
        await _line(proc.stderr, "poll: feeds=1", seen)  # polling again, on the new database
        proc.send_signal(signal.SIGTERM)
        _, rest = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, "".join(seen)[-3000:] + rest.decode()[-2000:]
    assert len(outage) <= 12, "".join(outage)  # one line with the cause, then one short line per retry
    assert not any("Traceback" in line for line in outage), "".join(outage)
    assert sum("database unavailable" in line for line in seen) == 1, "".join(seen)

"""The daemon as an operator runs it: a real process, real signals, SIGKILL at named fault points."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import pytest

from bot.app import run_once
from testkit.procs import cli, counts, daemon_env, make_due, prepare, printed_alerts, spawn
from testkit.samples import POLAND, POLAND_CHANGED, UNRELATED, WEAPONS, rss
from tests.conftest import make_settings

pytestmark = pytest.mark.slow  # the daemon as a subprocess

Setup = tuple[dict[str, str], list[Path]]


@pytest.fixture
async def feeds(tmp_path: Path, database_url: str) -> Setup:
    """Two local feeds already polled once (baseline), with new stories waiting."""
    paths = [tmp_path / "one.xml", tmp_path / "two.xml"]
    paths[0].write_bytes(rss(("u1", "Floods", UNRELATED)))
    paths[1].write_bytes(rss(("u2", "Floods again", UNRELATED + " More rain.")))
    await prepare(database_url, [path.as_uri() for path in paths])
    await run_once(make_settings(database_url, feeds={"parse_workers": 0}))  # the baseline
    paths[0].write_bytes(rss(("p", "Poland deal", POLAND_CHANGED), ("u1", "Floods", UNRELATED)))
    paths[1].write_bytes(
        rss(("w", "Weapons", WEAPONS), ("k", "Poland", POLAND), ("u2", "Floods again", UNRELATED))
    )
    for path in paths:
        os.utime(path, (time.time() + 5, time.time() + 5))
    await make_due(database_url)
    return daemon_env(database_url), paths


async def test_daemon_alerts_then_stops_cleanly_on_sigterm(feeds: Setup, database_url: str) -> None:
    env, _ = feeds
    proc = await spawn(env, "run")
    assert proc.stdout is not None
    seen = ""
    deadline = time.monotonic() + 30
    while "#1 Trump urges" not in seen or "[CHANGED] #10" not in seen:
        assert time.monotonic() < deadline, seen
        seen += (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
    proc.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0, err.decode()
    assert "SIGTERM received" in err.decode() and "stopped" in err.decode()
    stories, alerts, sent = await counts(database_url)
    assert stories == 5 and alerts >= 3
    assert sent >= 2  # what was printed was marked sent; anything still pending waits for the next run


async def test_sigkill_mid_tick_then_restart_loses_and_repeats_nothing(
    feeds: Setup, database_url: str
) -> None:
    env, _ = feeds
    one_at_a_time = {**env, "CLAIMBOT_FAULT": "poll.stored:1", "CLAIMBOT_FEEDS__CONCURRENCY": "1"}
    code, out, _ = await cli(one_at_a_time, "run", "--once")
    assert code == -signal.SIGKILL and out == ""  # died after the first feed's transaction, before sending
    assert (await counts(database_url))[0] in (3, 4)  # one feed's new stories committed, the other's not
    await asyncio.sleep(1.1)  # the dead worker's lease on the other feed expires
    code, out, err = await cli(env, "run", "--once")
    assert code == 0, err
    pairs = printed_alerts(out)
    assert len(pairs) == len(set(pairs)), out  # nothing twice
    assert {("10", "Poland deal"), ("10", "Poland"), ("1", "Weapons")} <= set(pairs)
    code, out, _ = await cli(env, "run", "--once")
    assert code == 0 and out == ""
    stories, alerts, sent = await counts(database_url)
    assert stories == 5 and alerts == sent >= 3


async def test_second_process_on_sqlite_is_refused(tmp_path: Path) -> None:
    env = daemon_env(f"sqlite+aiosqlite:///{tmp_path / 'one.db'}")
    proc = await spawn(env, "run")
    try:
        assert proc.stderr is not None
        while b"claimbot running" not in await asyncio.wait_for(proc.stderr.readline(), 30):
            pass
        code, _, err = await cli(env, "run", "--once")
        assert code == 1 and "SQLite allows one process" in err
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0

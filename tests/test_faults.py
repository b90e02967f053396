"""Faults around a real daemon process: SIGTERM mid-fetch, kill -9, its database deleted or dropped.

Every wait is on an event (a request reaching the feed server, a log line, a process gone) with a deadline.
"""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import pytest
from aiohttp import web

from tests.feedserver import FeedServer
from tests.procs import daemon_env, prepare, spawn


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

"""Three workers on one PostgreSQL database: leases keep every feed to one poll per interval."""

from __future__ import annotations

import asyncio
import signal
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web

from testkit.procs import counts, daemon_env, prepare, printed_alerts, spawn
from testkit.samples import UNRELATED, WEAPONS, rss
from tests.feedserver import FeedServer, Handler

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

FEEDS = 12
INTERVAL = 2.0


def _feed_handler(index: int, polls: dict[int, list[float]]) -> Handler:
    base = (f"u{index}", f"Weather report {index}", UNRELATED)
    fresh = (f"w{index}", f"Trump presses allies on weapons, report number {index}", WEAPONS)

    async def handler(request: web.Request) -> web.Response:
        polls[index].append(time.monotonic())
        items = (fresh, base) if len(polls[index]) > 1 else (base,)
        return web.Response(body=rss(*items, title=f"Feed {index}"), content_type="application/rss+xml")

    return handler


async def _until(condition: Callable[[], Awaitable[object]], timeout: float = 60.0) -> None:
    """Wait until ``condition`` returns True; on timeout, show what it returned last."""
    deadline = time.monotonic() + timeout
    while (state := await condition()) is not True:
        assert time.monotonic() < deadline, f"timed out waiting for {condition.__name__}: {state}"
        await asyncio.sleep(0.1)


async def test_three_workers_share_feeds_and_survive_a_kill(pg_url: str) -> None:
    polls: dict[int, list[float]] = defaultdict(list)
    env = daemon_env(
        pg_url,
        CLAIMBOT_FEEDS__POLL_INTERVAL=str(INTERVAL),
        CLAIMBOT_FEEDS__MIN_INTERVAL="1",
        CLAIMBOT_FEEDS__LEASE="2",
        CLAIMBOT_FEEDS__ALLOW_PRIVATE_NETWORKS="true",
    )
    async with FeedServer() as server:
        urls = [server.route(f"/feed/{index}", _feed_handler(index, polls)) for index in range(FEEDS)]
        await prepare(pg_url, urls, trusted=False)
        roles = ["worker", "worker", "all"]
        procs = [await spawn(env, "run", "--role", role) for role in roles]

        async def polled_twice() -> object:  # the feed server records each poll
            return len(polls) == FEEDS and all(len(m) >= 2 for m in polls.values()) or dict(polls)

        async def polled_after_the_kill_and_all_sent() -> object:
            late = [i for i in range(FEEDS) if not any(m > killed_at + 1 for m in polls[i])]
            stories, alerts, sent = await counts(pg_url)
            done = not late and stories == 2 * FEEDS and alerts >= FEEDS and sent == alerts
            return done or f"not polled since the kill: {late}; stories={stories} alerts={alerts} sent={sent}"

        await _until(polled_twice)
        killed_at = time.monotonic()
        procs[0].send_signal(signal.SIGKILL)
        await _until(polled_after_the_kill_and_all_sent)
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
    stories, alerts, sent = await counts(pg_url)
    assert stories == 2 * FEEDS  # every story stored once
    printed = printed_alerts("".join(outputs))
    assert len(printed) == len(set(printed)) == sent == alerts >= FEEDS  # every alert sent once

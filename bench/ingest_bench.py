"""Ingestion benchmark: a 1,000-feed tick (most 304, some fresh) through FeedClient + parse_feed.

    python -m bench.ingest_bench [--feeds 1000] [--fresh 100] [--entries 50] [--workers 2] [--burst 200]

Reports feeds/s, entries/s parsed, CPU seconds per feed and peak memory for the claimbot path (concurrent,
conditional GET, parsing in a process pool) and for a naive baseline in the same run (sequential, no
conditional GET, feedparser on the loop), measured over ``--naive-feeds`` feeds and scaled to ``--feeds``;
then a burst where every feed is fresh, for the parse throughput alone.
Storing is not measured here: pass ``store=`` to :func:`claimbot_tick` to time it end to end.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass

import aiohttp

from bench.ingest_server import start_server
from bot.pipeline.fetch import FeedClient
from bot.pipeline.parse import ParsedFeed, parse_feed, parse_in_executor
from bot.settings import FeedSettings

Store = Callable[[int, ParsedFeed], Awaitable[None]]


@dataclass
class Figures:
    label: str
    feeds: int
    wall: float
    cpu: float
    entries: int
    not_modified: int
    errors: int

    def line(self) -> str:
        return (
            f"{self.label:<28} feeds={self.feeds:<5} wall={self.wall:6.2f}s "
            f"feeds/s={self.feeds / self.wall:8.1f} "
            f"entries={self.entries:<6} entries/s={self.entries / self.wall:8.1f} "
            f"cpu/feed={1000 * self.cpu / self.feeds:6.2f}ms 304s={self.not_modified} errors={self.errors}"
        )


def _cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


async def claimbot_tick(
    port: int, feeds: int, fresh: int, executor: Executor, settings: FeedSettings, store: Store | None = None
) -> Figures:
    """One tick as poll.py runs it: every feed fetched with its stored ETag, fresh bodies parsed off-loop."""
    entries = not_modified = errors = 0

    async def one(client: FeedClient, index: int) -> None:
        nonlocal entries, not_modified, errors
        result = await client.fetch(f"http://127.0.0.1:{port}/feed/{index}", etag='"v0"', last_modified=None)
        if result.outcome == "not_modified":
            not_modified += 1
        elif result.outcome == "ok" and result.body is not None:
            parsed = await parse_in_executor(executor, result.body, result.final_url, result.content_type)
            entries += len(parsed.entries)
            if store is not None:
                await store(index, parsed)
        else:
            errors += 1

    started, cpu = time.perf_counter(), _cpu()
    async with FeedClient(settings) as client:
        await asyncio.gather(*(one(client, i) for i in range(feeds)))
    return Figures(
        "claimbot (conditional, pool)",
        feeds,
        time.perf_counter() - started,
        _cpu() - cpu,
        entries,
        not_modified,
        errors,
    )


async def naive_tick(port: int, feeds: int) -> Figures:
    """The baseline: one feed after another, full GET every time, feedparser on the event loop."""
    entries = errors = 0
    started, cpu = time.perf_counter(), _cpu()
    async with aiohttp.ClientSession() as session:
        for index in range(feeds):
            async with session.get(f"http://127.0.0.1:{port}/feed/{index}") as response:
                body = await response.read()
            try:
                entries += len(parse_feed(body, str(response.url)).entries)
            except ValueError:
                errors += 1
    return Figures(
        "naive (sequential, full GET)", feeds, time.perf_counter() - started, _cpu() - cpu, entries, 0, errors
    )


async def pooled_tick(port: int, feeds: int, fresh: int, workers: int, settings: FeedSettings) -> Figures:
    """claimbot_tick with CPU counted for the pool's processes too (their time is reaped at shutdown)."""
    cpu = _cpu()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        await asyncio.gather(*(asyncio.wrap_future(pool.submit(int)) for _ in range(workers)))
        figures = await claimbot_tick(port, feeds, fresh, pool, settings)
    figures.cpu = _cpu() - cpu
    return figures


async def run(args: argparse.Namespace) -> None:
    settings = FeedSettings.model_validate(
        {
            "allow_private_networks": True,
            "concurrency": args.concurrency,
            "per_host": args.concurrency,
            "timeout": 30,
        }
    )
    server = start_server(args.port, args.feeds, args.fresh, args.entries)
    try:
        ours = await pooled_tick(args.port, args.feeds, args.fresh, args.workers, settings)
        naive = await naive_tick(args.port, args.naive_feeds)
    finally:
        server.terminate()
        server.join()
    burst_server = start_server(args.port + 1, args.burst, args.burst, args.entries)
    try:
        burst = await pooled_tick(args.port + 1, args.burst, args.burst, args.workers, settings)
        burst.label = "claimbot, every feed fresh"
    finally:
        burst_server.terminate()
        burst_server.join()
    print(
        f"ingest: {args.feeds} feeds, {args.fresh} fresh with {args.entries} entries, {args.workers} workers"
    )
    for figures in (ours, naive, burst):
        print(figures.line())
    scale = args.feeds / args.naive_feeds
    print(
        f"naive scaled to {args.feeds} feeds: wall~{naive.wall * scale:.1f}s "
        f"(claimbot {naive.wall * scale / ours.wall:.1f}x faster)"
    )
    peak_kib = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    print(f"peak RSS (largest single process): {peak_kib / 1024:.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--fresh", type=int, default=100)
    parser.add_argument("--entries", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--naive-feeds", type=int, default=200)
    parser.add_argument("--burst", type=int, default=200, help="feeds in the every-feed-fresh run")
    parser.add_argument("--port", type=int, default=18931)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()

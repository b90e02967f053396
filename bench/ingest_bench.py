"""Ingestion benchmark: claimbot's real tick (run_tick + Poller + storage) against a local 1,000-feed server.

    python -m bench.ingest_bench                      # SQLite in a temp dir, a few minutes
    python -m bench.ingest_bench --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test
    python -m bench.ingest_bench --runs tick,burst    # only those runs: no matching, about 15 s
    python -m bench.ingest_bench --compare-feeds FEEDS_DIR   # fast path vs feedparser (saved real feeds)

Runs, each on a fresh database (a scratch PostgreSQL database is created and dropped per run):
  tick         --feeds feeds, --fresh of them with --entries new entries, the rest answering 304; no claims
  tick+claims  the same with the twelve seed claims, so matching and sightings are included
  burst        --burst feeds, every one fresh: entries/s parsed and stored is the headline figure
  naive        sequential full GETs and feedparser on the loop, no storing, over --naive-feeds feeds

CPU is this process plus its parse workers (reaped when each run's pool shuts down); the server runs in a
process of its own and is not counted. "main CPU" is this process alone (event loop plus database driver
thread) as a share of wall time: near 100% means the loop, not parsing, sets the pace. Peak memory is the
largest RSS of this process or any child.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bench.ingest_server import start_server
from bot.catalog.claims import load_seeds, read_seed_file
from bot.pipeline.claimset import ClaimSet
from bot.pipeline.fetch import FeedClient
from bot.pipeline.parse import FeedParseError, parse_feed
from bot.pipeline.poll import FeedJob, Poller, PollResult, run_tick
from bot.resources import seeds_path
from bot.settings import Settings, load_settings
from storage.db import create_engine, create_sessionmaker
from storage.migrate import upgrade
from storage.models import Feed, StorySource

RUNS = ("tick", "tick+claims", "burst", "burst+claims", "naive")
console = Console(width=None if sys.stdout.isatty() else 132)


@dataclass
class Figures:
    label: str
    feeds: int
    wall: float
    cpu: float
    main_cpu: float
    parsed: int
    stored: int
    failed: int

    def row(self) -> list[str]:
        return [
            self.label,
            str(self.feeds),
            f"{self.wall:.2f}",
            f"{self.feeds / self.wall:,.0f}",
            f"{self.parsed:,}",
            f"{self.stored:,}",
            f"{self.stored / self.wall:,.0f}" if self.stored else "-",
            f"{1000 * self.cpu / self.feeds:.2f}",
            f"{100 * self.main_cpu / self.wall:.0f}%",
            str(self.failed),
        ]


def _cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _main_cpu() -> float:
    """This process only: the event loop plus the database driver's thread."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


@contextmanager
def _executor(workers: int) -> Iterator[Executor | None]:
    if workers == 0:
        yield None
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(_warm, [b"<rss/>"] * workers))
        yield pool


def _warm(body: bytes) -> None:
    try:
        parse_feed(body, "https://warm.test/")
    except FeedParseError:
        pass


@asynccontextmanager
async def _database(url: str | None) -> AsyncIterator[str]:
    """A URL to an empty database: a temp SQLite file, or a scratch database on ``url``'s server."""
    if url is None:
        with tempfile.TemporaryDirectory(prefix="claimbot-bench-") as folder:
            yield f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        return
    name = f"claimbot_bench_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(url).set(database=name).render_as_string(hide_password=False)
        finally:
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


class _CountingPoller(Poller):
    """A Poller that advances a progress bar; the work is the real one."""

    progress: Progress
    task: TaskID

    async def poll(self, job: FeedJob) -> PollResult:
        try:
            return await super().poll(job)
        finally:
            self.progress.advance(self.task)


async def claimbot_run(
    label: str, args: argparse.Namespace, port: int, feeds: int, *, seeds: bool, progress: Progress
) -> Figures:
    """One real tick on a fresh database whose feeds all hold ETag "v0" (fresh ones have moved on)."""
    settings = _settings(args)
    async with _database(args.database_url) as url:
        engine = create_engine(url)
        try:
            await upgrade(engine)
            sessionmaker = create_sessionmaker(engine)
            async with sessionmaker.begin() as session:
                rows = [
                    {"url": f"http://127.0.0.1:{port}/feed/{i}", "etag": '"v0"', "baseline_done": True}
                    for i in range(feeds)
                ]
                await session.execute(insert(Feed), rows)
                if seeds:
                    await load_seeds(session, read_seed_file(seeds_path("claims.jsonl")))
            task = progress.add_task(label, total=feeds)
            with _executor(args.workers) as executor:
                async with FeedClient(settings.feeds) as client:
                    poller = _CountingPoller(
                        sessionmaker, client, ClaimSet(settings.matching), settings, executor
                    )
                    poller.progress, poller.task = progress, task
                    poller.clock = _later(poller.clock)
                    started, cpu, main_cpu = time.perf_counter(), _cpu(), _main_cpu()
                    summary = await run_tick(poller, owner="bench", limit=feeds)
            wall, cpu, main_cpu = time.perf_counter() - started, _cpu() - cpu, _main_cpu() - main_cpu
            async with sessionmaker() as session:
                stored = (await session.execute(select(func.count()).select_from(StorySource))).scalar_one()
        finally:
            await engine.dispose()
    return Figures(label, feeds, wall, cpu, main_cpu, stored, summary.new_stories, summary.failed)


def _later(clock: Any) -> Any:
    # Feeds are due from creation; a clock a second ahead makes every one of them due at once.
    return lambda: clock() + timedelta(seconds=1)


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(
        feeds={
            "allow_private_networks": True,
            "concurrency": args.concurrency,
            "per_host": args.concurrency,
            "timeout": 60,
            "parse_workers": args.workers,
        },
    )


async def naive_run(port: int, feeds: int, progress: Progress) -> Figures:
    """The baseline: one feed after another, a full GET every time, feedparser on the loop, nothing stored."""
    parsed = failed = 0
    task = progress.add_task("naive", total=feeds)
    started, cpu, main_cpu = time.perf_counter(), _cpu(), _main_cpu()
    async with aiohttp.ClientSession() as session:
        for index in range(feeds):
            async with session.get(f"http://127.0.0.1:{port}/feed/{index}") as response:
                body = await response.read()
            try:
                parsed += len(parse_feed(body, str(response.url), fast=False).entries)
            except FeedParseError:
                failed += 1
            progress.advance(task)
    wall = time.perf_counter() - started
    return Figures(
        "naive (sequential, full GET)", feeds, wall, _cpu() - cpu, _main_cpu() - main_cpu, parsed, 0, failed
    )


async def run(args: argparse.Namespace) -> None:
    figures: list[Figures] = []
    naive: Figures | None = None
    runs = set(args.runs.split(","))
    columns = (TextColumn("{task.description:<14}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        for label, feeds, fresh in (("tick", args.feeds, args.fresh), ("burst", args.burst, args.burst)):
            wanted = [name for name in (label, f"{label}+claims") if name in runs]
            if not wanted and not (label == "tick" and "naive" in runs):
                continue
            port = args.port + (label == "burst")
            server = start_server(port, feeds, fresh, args.entries)
            try:
                for name in wanted:
                    seeds = name.endswith("+claims")
                    figure = await claimbot_run(name, args, port, feeds, seeds=seeds, progress=progress)
                    figures.append(figure)
                if label == "tick" and "naive" in runs:
                    naive = await naive_run(port, args.naive_feeds, progress)
            finally:
                server.terminate()
                server.join()
    if naive is not None:
        figures.append(naive)
    _report(args, figures)


def _report(args: argparse.Namespace, figures: list[Figures]) -> None:
    database = make_url(args.database_url).get_backend_name() if args.database_url else "sqlite (temp)"
    parse = f"{args.workers} parse processes" if args.workers else "parse in threads"
    table = Table(title=f"claimbot ingestion — {database}, {parse}, concurrency {args.concurrency}")
    names = (
        "run",
        "feeds",
        "wall s",
        "feeds/s",
        "parsed",
        "stored",
        "stored/s",
        "CPU ms/feed",
        "main CPU",
        "failed",
    )
    for name in names:
        table.add_column(name, justify="left" if name == "run" else "right")
    for figure in figures:
        table.add_row(*figure.row())
    console.print(table)
    summary = (
        f"tick: {args.feeds} feeds, {args.fresh} fresh × {args.entries} entries; "
        f"burst: {args.burst} fresh feeds."
    )
    tick, naive = figures[0], figures[-1]
    if tick.label == "tick" and naive.label.startswith("naive"):
        scaled = naive.wall * args.feeds / naive.feeds
        times = scaled / tick.wall
        summary += f" naive scaled to {args.feeds} feeds ≈ {scaled:.1f}s ({times:.1f}× the tick)."
    console.print(summary)
    peak = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    console.print(f"peak RSS (largest single process): {peak / 1024:.0f} MiB")


def compare(folder: Path) -> int:
    """Parse every file in ``folder`` both ways; 1 when any result differs."""
    from bot.pipeline.fastparse import fast_extract

    table = Table(title=f"fast path vs feedparser on {folder}")
    for name in ("file", "path", "same", "entries", "feedparser ms", "claimbot ms"):
        table.add_column(name)
    differ = 0
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        body, url = path.read_bytes(), "https://example.test/feed"
        results, times = [], []
        for fast in (False, True):
            started = time.perf_counter()
            for _ in range(5):
                try:
                    result: Any = parse_feed(body, url, fast=fast)
                except FeedParseError as exc:
                    result = exc.reason
            times.append((time.perf_counter() - started) / 5 * 1000)
            results.append(result)
        same = results[0] == results[1]
        differ += not same
        used = "fast" if fast_extract(body, url, None) is not None else "fallback"
        count = len(results[0].entries) if not isinstance(results[0], str) else 0
        table.add_row(
            path.name, used, "yes" if same else "NO", str(count), f"{times[0]:.1f}", f"{times[1]:.1f}"
        )
    console.print(table)
    return 1 if differ else 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--feeds", type=int, default=1000, help="feeds in the tick runs (default 1000)")
    parser.add_argument("--fresh", type=int, default=100, help="of which fresh, the rest 304 (default 100)")
    parser.add_argument("--entries", type=int, default=50, help="entries per fresh feed (default 50)")
    parser.add_argument("--burst", type=int, default=200, help="feeds in the all-fresh runs (default 200)")
    parser.add_argument("--naive-feeds", type=int, default=200, help="feeds the naive baseline fetches")
    parser.add_argument("--workers", type=int, default=2, help="parse processes; 0: threads (default 2)")
    parser.add_argument("--concurrency", type=int, default=20, help="feeds polled at once (default 20)")
    parser.add_argument("--database-url", help="a PostgreSQL server URL to create scratch databases on")
    parser.add_argument("--port", type=int, default=18931, help="first of two local ports for the server")
    parser.add_argument("--log", type=Path, default=Path(tempfile.gettempdir()) / "claimbot-ingest-bench.log")
    parser.add_argument(
        "--runs", default=",".join(RUNS), help=f"comma-separated subset of {','.join(RUNS)} (default all)"
    )
    parser.add_argument("--compare-feeds", type=Path, metavar="FOLDER", help="only compare both parsers")
    args = parser.parse_args()
    if args.compare_feeds:
        raise SystemExit(compare(args.compare_feeds))
    # Failed polls log tracebacks; keep them out of the progress display.
    logging.basicConfig(filename=args.log, filemode="w", level=logging.WARNING)
    asyncio.run(run(args))
    console.print(f"warnings and failures logged to {args.log}")


if __name__ == "__main__":
    main()

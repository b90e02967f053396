"""A compressed soak: thousands of feeds with a steady stream of stories, thousands of subscribers on the
Bot API double, the real daemon (one process, or several workers on PostgreSQL) as separate processes.

    .venv/bin/python -m bench.soak_bench                                  # SQLite, one process
    .venv/bin/python -m bench.soak_bench --workers 3 \
        --database-url postgresql+asyncpg://postgres@127.0.0.1/test

Poll intervals are compressed (default 10 s stands for 15 min). The input runs for ``--intervals`` poll
intervals, then stops. Reported: stories and alerts per second, CPU seconds per story (all daemon
processes), memory growth after warm-up (RSS of each process), and how long the outbox backlog takes to
return to zero after the input stops (the goal: within one poll interval).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.catalog.claims import load_seeds, read_seed_file
from bot.resources import seeds_path
from storage.db import create_engine, create_sessionmaker
from storage.migrate import upgrade
from storage.models import Chat, Claim, Delivery, Feed, Story, Subscription

ROOT = Path(__file__).resolve().parent.parent
RESTATEMENTS = [
    "Donald Trump urged Britain and other Nato allies to buy more American weapons for the alliance.",
    "Poland signed a multi-billion-pound deal for hundreds of tanks, planes and artillery from South Korea.",
    "Nato chief Mark Rutte called on the US to cut bureaucracy so European armies can grow faster.",
]
FILLER = [
    "Heavy rain flooded roads across the region and rescuers helped drivers overnight.",
    "The central bank held interest rates and said inflation was easing slowly.",
    "A new stadium opened with a sell-out crowd and a late winning goal.",
    "Researchers reported a battery design that charges in minutes.",
]


@dataclass
class FeedSite:
    """Feeds that gain stories at a steady total rate; unchanged feeds answer 304."""

    feeds: int
    stories_per_second: float
    alert_share: float
    versions: list[int] = field(default_factory=list)
    items: list[list[tuple[str, str, str]]] = field(default_factory=list)
    running: bool = True
    produced: int = 0

    def __post_init__(self) -> None:
        self.versions = [0] * self.feeds
        self.items = [
            [(f"f{i}-0", f"Feed {i} opening story about local weather", FILLER[0])] for i in range(self.feeds)
        ]

    async def produce(self, rng: random.Random) -> None:
        while self.running:
            await asyncio.sleep(1 / self.stories_per_second)
            index = rng.randrange(self.feeds)
            self.produced += 1
            n = self.produced
            body = rng.choice(RESTATEMENTS) if rng.random() < self.alert_share else rng.choice(FILLER)
            self.items[index] = [
                (f"f{index}-{n}", f"Story {n} from feed {index}: {body[:40]}", body)
            ] + self.items[index][:19]
            self.versions[index] += 1

    async def handle(self, request: web.Request) -> web.Response:
        index = int(request.match_info["index"])
        etag = f'"{self.versions[index]}"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        sys.path.insert(0, str(ROOT))
        from testkit.samples import rss

        return web.Response(
            body=rss(*self.items[index], title=f"Feed {index}"),
            headers={"ETag": etag},
            content_type="application/rss+xml",
        )


async def _scratch_pg(url: str) -> tuple[str, str]:
    name = f"claimbot_soak_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False), name


async def _drop_pg(url: str, name: str) -> None:
    admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


async def _prepare(url: str, feed_urls: list[str], subscribers: int) -> None:
    engine = create_engine(url)
    await upgrade(engine)
    async with create_sessionmaker(engine).begin() as s:
        await load_seeds(s, read_seed_file(seeds_path("claims.jsonl")))
        claim_ids = list((await s.execute(select(Claim.id))).scalars())
        await s.execute(
            insert(Feed),
            [{"url": u, "title": f"Feed {i}", "trusted": False} for i, u in enumerate(feed_urls)],
        )
        await s.execute(insert(Chat), [{"id": 10_000_000 + i, "kind": "private"} for i in range(subscribers)])
        rng = random.Random(7)
        await s.execute(
            insert(Subscription),
            [
                {"chat_id": 10_000_000 + i, "claim_id": rng.choice(claim_ids), "topic_id": 0}
                for i in range(subscribers)
            ],
        )
    await engine.dispose()


def _proc_stats(pid: int) -> tuple[float, int]:
    """(CPU seconds, RSS bytes) of a process from /proc."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    with open(f"/proc/{pid}/statm") as fh:
        rss = int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    return cpu, rss


async def _counts(url: str) -> tuple[int, int, int]:
    engine = create_engine(url)
    async with create_sessionmaker(engine)() as s:
        stories = int(await s.scalar(select(func.count(Story.id))) or 0)
        sent = int(await s.scalar(select(func.count(Delivery.id)).where(Delivery.status == "sent")) or 0)
        pending = int(
            await s.scalar(select(func.count(Delivery.id)).where(Delivery.status.in_(("pending", "sending"))))
            or 0
        )
    await engine.dispose()
    return stories, sent, pending


def _env(url: str, api_base: str, token: str, args: argparse.Namespace) -> dict[str, str]:
    from testkit.procs import daemon_env

    return daemon_env(
        url,
        BOT_TOKEN=token,
        CLAIMBOT_TELEGRAM__API_BASE=api_base,
        CLAIMBOT_FEEDS__POLL_INTERVAL=str(args.interval),
        CLAIMBOT_FEEDS__MIN_INTERVAL="1",
        CLAIMBOT_FEEDS__JITTER="0.1",
        CLAIMBOT_FEEDS__TICK_INTERVAL="0.5",
        CLAIMBOT_FEEDS__LEASE="120",
        CLAIMBOT_FEEDS__TIMEOUT="20",
        CLAIMBOT_FEEDS__ALLOW_PRIVATE_NETWORKS="true",
        CLAIMBOT_FEEDS__CONCURRENCY="50",
        CLAIMBOT_FEEDS__PER_HOST="50",
        CLAIMBOT_FEEDS__PARSE_WORKERS="1",
        CLAIMBOT_DELIVERY__GLOBAL_PER_SECOND=str(args.rate),
        CLAIMBOT_DELIVERY__DRAIN_INTERVAL="0.5",
        CLAIMBOT_DELIVERY__COOLDOWN="0",
        CLAIMBOT_LOG__LEVEL="WARNING",
    )


@dataclass
class Samples:
    cpu: dict[int, float] = field(default_factory=dict)
    rss: dict[int, list[int]] = field(default_factory=dict)

    def take(self, pids: list[int]) -> None:
        for pid in pids:
            try:
                cpu, rss = _proc_stats(pid)
            except OSError:
                continue
            self.cpu[pid] = cpu
            self.rss.setdefault(pid, []).append(rss)


async def soak(args: argparse.Namespace, console: Console) -> dict[str, float]:
    sys.path.insert(0, str(ROOT))
    from testkit.botapi import TOKEN, BotAPI, Limits

    site = FeedSite(args.feeds, args.stories_per_second, args.alert_share)
    app = web.Application()
    app.router.add_get("/feed/{index}", site.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    scratch = None
    with tempfile.TemporaryDirectory() as tmp:
        if args.database_url:
            url, scratch = await _scratch_pg(args.database_url)
        else:
            url = f"sqlite+aiosqlite:///{tmp}/soak.db"
        await _prepare(
            url, [f"http://127.0.0.1:{port}/feed/{i}" for i in range(args.feeds)], args.subscribers
        )
        try:
            async with BotAPI(limits=Limits(global_per_second=args.rate * 1.5, chat_burst=50)) as api:
                result = await _run(args, url, _env(url, api.base, TOKEN, args), site, console)
                result["429s"] = api.too_many
                result["messages"] = len(api.sent)
        finally:
            await runner.cleanup()
            if scratch is not None and args.database_url:
                await _drop_pg(args.database_url, scratch)
    return result


async def _run(
    args: argparse.Namespace, url: str, env: dict[str, str], site: FeedSite, console: Console
) -> dict[str, float]:
    roles = ["all"] if args.workers == 1 else ["bot"] + ["worker"] * args.workers
    procs = [
        await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", "--role", role, env=env)
        for role in roles
    ]
    pids = [p.pid for p in procs]
    samples = Samples()
    rng = random.Random(3)
    producer = asyncio.create_task(site.produce(rng))
    soak_seconds = args.interval * args.intervals
    warm = args.interval * 1.5
    started = time.monotonic()
    warm_rss: dict[int, int] = {}
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("soak", total=soak_seconds)
        while (elapsed := time.monotonic() - started) < soak_seconds:
            await asyncio.sleep(1)
            samples.take(pids)
            if elapsed >= warm and not warm_rss:
                warm_rss = {pid: values[-1] for pid, values in samples.rss.items()}
            progress.update(task, completed=elapsed)
    site.running = False
    await producer
    stopped = time.monotonic()
    drained_after = float("nan")
    while time.monotonic() - stopped < args.interval * 4:
        stories, sent, pending = await _counts(url)
        if pending == 0 and stories >= site.produced + args.feeds:
            drained_after = time.monotonic() - stopped
            break
        await asyncio.sleep(0.5)
    samples.take(pids)
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    await asyncio.gather(*(p.wait() for p in procs))
    stories, sent, pending = await _counts(url)
    growth = max(
        (samples.rss[pid][-1] - warm_rss[pid]) / warm_rss[pid] for pid in warm_rss if samples.rss.get(pid)
    )
    cpu = sum(samples.cpu.values())
    return {
        "seconds": soak_seconds,
        "stories": stories - args.feeds,
        "stories_per_s": (stories - args.feeds) / soak_seconds,
        "sent": sent,
        "pending_at_end": pending,
        "cpu_s": cpu,
        "cpu_ms_per_story": 1000 * cpu / max(stories, 1),
        "rss_mb_max": max(max(v) for v in samples.rss.values()) / 2**20,
        "rss_growth_pct": 100 * growth,
        "backlog_zero_after_s": drained_after,
        "exit_codes": float(sum(abs(p.returncode or 0) for p in procs)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--subscribers", type=int, default=2000)
    parser.add_argument("--stories-per-second", type=float, default=20.0)
    parser.add_argument(
        "--alert-share", type=float, default=0.01, help="share of stories that restate a claim"
    )
    parser.add_argument("--rate", type=float, default=100.0, help="delivery.global_per_second for the daemon")
    parser.add_argument("--interval", type=float, default=10.0, help="compressed poll interval, seconds")
    parser.add_argument("--intervals", type=int, default=6, help="how many poll intervals the input runs")
    parser.add_argument(
        "--workers", type=int, default=1, help="worker processes (more than 1 needs PostgreSQL)"
    )
    parser.add_argument(
        "--database-url", help="PostgreSQL server URL; a scratch database is created and dropped"
    )
    args = parser.parse_args()
    if args.workers > 1 and not args.database_url:
        parser.error("--workers > 1 needs --database-url (SQLite is single-process)")
    console = Console()
    result = asyncio.run(soak(args, console))
    table = Table(
        title=f"soak: {args.feeds} feeds, {args.subscribers} subscribers, {args.workers} worker(s), "
        f"{'PostgreSQL' if args.database_url else 'SQLite'}"
    )
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key, value in result.items():
        table.add_row(key, f"{value:,.2f}" if isinstance(value, float) else str(value))
    console.print(table)


if __name__ == "__main__":
    main()

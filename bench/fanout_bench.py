"""One sighting fanned out to N subscribed chats, drained through the real sender and TelegramTransport
against the Bot API double (testkit/botapi.py) on 127.0.0.1.

    .venv/bin/python -m bench.fanout_bench --chats 2000 --rate 200
    .venv/bin/python -m bench.fanout_bench --chats 2000 --rate 200 --senders 3 \
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres

Reports messages/s sustained, time to drain against the rate-limit ideal (N / rate), the busiest second the
double saw, 429s from the double (none should come: it enforces the same global limit, plus 20% slack for
timer jitter) and peak memory. A PostgreSQL URL only says where the server is: the bench creates a scratch
database ``claimbot_bench_<random>`` next to it and drops it afterwards. ``--senders N`` drains with N
senders at once (PostgreSQL only), sharing the global rate through the database.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import resource
import secrets
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.alerts.send import DrainResult, Sender
from bot.settings import load_settings
from bot.telegram.transport import TelegramTransport
from storage.db import create_engine, create_sessionmaker
from storage.migrate import upgrade


@asynccontextmanager
async def scratch_database(url: str | None) -> AsyncIterator[str]:
    """A throwaway SQLite file, or a fresh database on the PostgreSQL server ``url`` points at."""
    if url is None or not make_url(url).drivername.startswith("postgresql"):
        with tempfile.TemporaryDirectory() as tmp:
            yield url or f"sqlite+aiosqlite:///{tmp}/bench.db"
        return
    name = f"claimbot_bench_{secrets.token_hex(6)}"
    server = make_url(url).set(drivername="postgresql+asyncpg")
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield server.set(database=name).render_as_string(hide_password=False)
        finally:
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


async def run(
    chats: int, rate: float, database_url: str | None, *, senders: int = 1, shared_budget: bool = True
) -> dict[str, float | str]:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from testkit.botapi import TOKEN, BotAPI, Limits, seed_alert

    async with scratch_database(database_url) as url:
        engine = create_engine(url)
        if senders > 1 and engine.dialect.name != "postgresql":
            await engine.dispose()
            raise SystemExit("--senders above 1 needs a PostgreSQL --database-url (SQLite has one sender)")
        await upgrade(engine)
        sessionmaker = create_sessionmaker(engine)
        async with sessionmaker.begin() as session:
            await seed_alert(session, [(1_000_000 + i, 0) for i in range(chats)])
        limits = Limits(global_per_second=rate, slack=0.2)
        try:
            async with BotAPI(limits=limits) as api:
                settings = load_settings(
                    None,
                    database={"url": url},
                    telegram={"token": TOKEN, "api_base": api.base},
                    delivery={"global_per_second": rate, "concurrency": 32, "shared_budget": shared_budget},
                )
                transports = [TelegramTransport.from_settings(settings) for _ in range(senders)]
                started = time.perf_counter()
                mono_start = time.monotonic()
                try:
                    drains = [Sender(sessionmaker, t, settings.delivery).drain() for t in transports]
                    results: list[DrainResult] = await asyncio.gather(*drains)
                    # Measured before the clients close: aiogram's close sleeps 0.25 s, which is not draining.
                    elapsed = time.perf_counter() - started
                    mono_end = time.monotonic()
                finally:
                    for transport in transports:
                        await transport.close()
                times = sorted(s.at for s in api.messages())
        finally:
            await engine.dispose()
    sustained = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
    ideal = (chats - 1) / rate
    return {
        "chats": chats,
        "rate": rate,
        "senders": senders,
        "sent": sum(r.sent for r in results),
        "sent_each": " ".join(str(r.sent) for r in results),
        "http_429": api.too_many,
        "flood_waits": sum(r.flood_waits for r in results),
        "seconds": elapsed,
        "ideal_seconds": ideal,
        "over_ideal_pct": (elapsed / ideal - 1) * 100 if ideal else 0.0,
        "sustained_per_s": sustained,
        "rate_error_pct": (sustained / rate - 1) * 100,
        "busiest_1s": max((bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times)), default=0),
        "to_first_send_s": times[0] - mono_start if times else 0.0,
        "after_last_send_s": mono_end - times[-1] if times else 0.0,
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=200.0, help="messages per second, sender and double")
    parser.add_argument(
        "--database-url",
        default=None,
        help="default: a throwaway SQLite file; PostgreSQL: a scratch database on that server",
    )
    parser.add_argument("--senders", type=int, default=1, help="senders draining at once (PostgreSQL)")
    parser.add_argument(
        "--no-shared-budget", action="store_true", help="pace each sender on its own (to compare)"
    )
    args = parser.parse_args()
    figures = asyncio.run(
        run(
            args.chats,
            args.rate,
            args.database_url,
            senders=args.senders,
            shared_budget=not args.no_shared_budget,
        )
    )
    for key, value in figures.items():
        print(f"{key:>16}: {value:.2f}" if isinstance(value, float) else f"{key:>16}: {value}")
    ok = figures["http_429"] == 0 and figures["sent"] == args.chats
    ok = ok and abs(float(figures["rate_error_pct"])) <= 5 and float(figures["over_ideal_pct"]) < 5
    print("goal met" if ok else "goal NOT met")


if __name__ == "__main__":
    main()

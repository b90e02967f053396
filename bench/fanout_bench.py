"""One sighting fanned out to N subscribed chats, drained through the real sender and TelegramTransport
against the Bot API double (tests/botapi.py) on 127.0.0.1.

    .venv/bin/python -m bench.fanout_bench --chats 2000 --rate 200

Reports messages/s sustained, time to drain against the rate-limit ideal (N / rate), 429s from the double
(none should come: it enforces the same global limit, plus 20% slack for timer jitter) and peak memory.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from pathlib import Path

from bot.alerts.send import Sender
from bot.settings import load_settings
from bot.telegram.transport import TelegramTransport
from storage.db import create_engine, create_sessionmaker
from storage.migrate import upgrade


async def run(chats: int, rate: float, database_url: str | None) -> dict[str, float]:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.botapi import TOKEN, BotAPI, Limits, seed_alert

    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite+aiosqlite:///{tmp}/bench.db"
        engine = create_engine(url)
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
                    delivery={"global_per_second": rate, "concurrency": 32},
                )
                transport = TelegramTransport.from_settings(settings)
                started = time.perf_counter()
                mono_start = time.monotonic()
                try:
                    result = await Sender(sessionmaker, transport, settings.delivery).drain()
                finally:
                    await transport.close()
                elapsed = time.perf_counter() - started
                mono_end = time.monotonic()
                times = sorted(s.at for s in api.messages())
        finally:
            await engine.dispose()
    sustained = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
    ideal = (chats - 1) / rate
    return {
        "chats": chats,
        "rate": rate,
        "sent": result.sent,
        "http_429": api.too_many,
        "flood_waits": result.flood_waits,
        "seconds": elapsed,
        "ideal_seconds": ideal,
        "over_ideal_pct": (elapsed / ideal - 1) * 100 if ideal else 0.0,
        "sustained_per_s": sustained,
        "rate_error_pct": (sustained / rate - 1) * 100,
        "to_first_send_s": times[0] - mono_start if times else 0.0,
        "after_last_send_s": mono_end - times[-1] if times else 0.0,
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=200.0, help="messages per second, sender and double")
    parser.add_argument("--database-url", default=None, help="default: a throwaway SQLite file")
    args = parser.parse_args()
    figures = asyncio.run(run(args.chats, args.rate, args.database_url))
    for key, value in figures.items():
        print(f"{key:>16}: {value:.2f}" if isinstance(value, float) else f"{key:>16}: {value}")
    ok = figures["http_429"] == 0 and figures["sent"] == args.chats and abs(figures["rate_error_pct"]) <= 5
    ok = ok and figures["over_ideal_pct"] < 5
    print("goal met" if ok else "goal NOT met")


if __name__ == "__main__":
    main()

"""``claimbot run`` SIGKILLed mid-burst (at the ``send.sent`` fault point), then restarted:
every delivery arrives, and only the message that was in flight is repeated."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter

import pytest
from sqlalchemy import select

from storage.db import create_engine, create_sessionmaker
from storage.migrate import upgrade
from storage.models import Delivery
from testkit.botapi import TOKEN, BotAPI, seed_alert
from testkit.procs import daemon_env, spawn

pytestmark = pytest.mark.slow  # subprocesses killed and restarted
CHATS = list(range(4001, 4009))


async def _seed(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        async with create_sessionmaker(engine).begin() as session:
            await seed_alert(session, [(c, 0) for c in CHATS])
    finally:
        await engine.dispose()


async def _statuses(database_url: str) -> Counter[str]:
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            return Counter((await session.execute(select(Delivery.status))).scalars())
    finally:
        await engine.dispose()


async def test_sigkill_mid_burst_repeats_only_the_message_in_flight(database_url: str) -> None:
    await _seed(database_url)
    async with BotAPI() as api:
        env = daemon_env(
            database_url,
            BOT_TOKEN=TOKEN,
            CLAIMBOT_TELEGRAM__API_BASE=api.base,
            CLAIMBOT_TELEGRAM__POLLING_TIMEOUT="1",
            CLAIMBOT_DELIVERY__CONCURRENCY="1",  # one message in flight at a time: exactly one may repeat
            CLAIMBOT_DELIVERY__LEASE="1",
        )
        crashed = await spawn({**env, "CLAIMBOT_FAULT": "send.sent:3"}, "run")
        _, err = await asyncio.wait_for(crashed.communicate(), 60)
        assert crashed.returncode == -signal.SIGKILL, err.decode()[-2000:]
        assert len(api.messages()) == 3  # killed after the third was accepted, before it was recorded
        assert (await _statuses(database_url))["sent"] == 2
        restarted = await spawn(env, "run")
        try:
            await api.wait_for(lambda: {s.chat_id for s in api.messages()} == set(CHATS), timeout=60)
            await api.wait_for(lambda: len(api.messages()) == len(CHATS) + 1)
        finally:
            restarted.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(restarted.communicate(), 30)
    assert restarted.returncode == 0, err.decode()[-2000:]
    counts = Counter(s.chat_id for s in api.messages())
    assert set(counts) == set(CHATS)
    assert [c for c, n in counts.items() if n > 1] == [api.messages()[2].chat_id]  # only the one in flight
    assert await _statuses(database_url) == {"sent": len(CHATS)}

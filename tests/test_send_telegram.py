"""The sender over the real TelegramTransport against the Bot API double: limits, 429, 403, migration."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.alerts.send import Sender
from bot.settings import Settings
from bot.telegram.transport import TelegramTransport
from storage.models import Chat, Delivery, Subscription
from tests.botapi import TOKEN, BotAPI, Limits, seed_alert
from tests.conftest import Db, make_settings


def _settings(db: Db, base: str, **delivery: object) -> Settings:
    values = {"per_chat_interval": 0.2, "global_per_second": 50.0, "retry_after_cap": 5.0, **delivery}
    return make_settings(db.url, telegram={"token": TOKEN, "api_base": base}, delivery=values)


async def _drain(db: Db, settings: Settings, **kwargs: object) -> tuple[Sender, object]:
    transport = TelegramTransport.from_settings(settings)
    try:
        sender = Sender(db.sessionmaker, transport, settings.delivery, **kwargs)  # type: ignore[arg-type]
        return sender, await sender.drain()
    finally:
        await transport.close()


async def _statuses(db: Db) -> Counter[str]:
    async with db.sessionmaker() as session:
        return Counter((await session.execute(select(Delivery.status))).scalars())


async def test_alert_arrives_as_html_with_buttons_in_its_topic(db: Db) -> None:
    async with BotAPI() as api:
        settings = _settings(db, api.base)
        async with db.sessionmaker.begin() as session:
            claim_id, sighting_id, _ = await seed_alert(session, [(501, 7)])
        _, result = await _drain(db, settings)
        [sent] = api.messages(501)
        assert sent.thread_id == 7
        assert "✏️ Claim changed" in sent.text and f"#{claim_id}" in sent.text
        assert "&lt;moved&gt;" in sent.text and "<b>tanks</b>" in sent.text
        assert 'href="https://news.example/a?x=1&amp;y=2"' in sent.text
        assert [text for text, _ in sent.buttons()] == ["✅ Relevant", "❌ Not this claim", "🔕 Mute"]
        assert sent.buttons()[0][1] == f"fb:ok:{sighting_id}:{claim_id}"
        call = api.calls_to("sendMessage")[0]
        assert call.params["parse_mode"] == "HTML"
        assert json.loads(call.params["link_preview_options"]) == {"is_disabled": True}
        async with db.sessionmaker() as session:
            delivery = (await session.execute(select(Delivery))).scalar_one()
        assert (delivery.status, delivery.message_id) == ("sent", sent.message_id)


async def test_limits_are_kept_so_the_double_never_says_429(db: Db) -> None:
    limits = Limits(chat_interval=0.2, chat_burst=1, global_per_second=12.0, group_per_minute=20, slack=0.1)
    async with BotAPI(limits=limits) as api:
        settings = _settings(db, api.base, per_chat_interval=0.2, global_per_second=10.0)
        chats = [601, 602, 603, -100604]
        for _ in range(4):  # four alerts, each to every chat
            async with db.sessionmaker.begin() as session:
                await seed_alert(session, [(c, 0) for c in chats])
        started = asyncio.get_running_loop().time()
        _, result = await _drain(db, settings)
        elapsed = asyncio.get_running_loop().time() - started
        assert api.too_many == 0
        assert len(api.messages()) == 16
        assert elapsed >= 15 / 10.0 * 0.95  # the global pace: 16 messages at 10/s
        for chat in chats:
            times = [s.at for s in api.messages(chat)]
            assert all(b - a >= 0.2 * 0.95 for a, b in zip(times, times[1:], strict=False))


async def test_429_storm_waits_retry_after_and_loses_nothing(db: Db) -> None:
    async with BotAPI() as api:
        settings = _settings(db, api.base)
        async with db.sessionmaker.begin() as session:
            await seed_alert(session, [(701, 0), (702, 0), (703, 0)])
        api.flood(times=5, retry_after=1)
        _, result = await _drain(db, settings)
        assert Counter(s.chat_id for s in api.messages()) == {701: 1, 702: 1, 703: 1}
        assert result.flood_waits == 5  # type: ignore[attr-defined]
        assert await _statuses(db) == {"sent": 3}


async def test_long_retry_after_reschedules_instead_of_waiting(db: Db) -> None:
    async with BotAPI() as api:
        settings = _settings(db, api.base, retry_after_cap=2.0)
        async with db.sessionmaker.begin() as session:
            await seed_alert(session, [(711, 0)])
        api.flood(times=1, retry_after=30)
        _, result = await _drain(db, settings)
        assert api.messages() == []
        async with db.sessionmaker() as session:
            delivery = (await session.execute(select(Delivery))).scalar_one()
        assert delivery.status == "pending" and delivery.attempts == 1
        assert delivery.next_attempt_at > datetime.now(UTC) + timedelta(seconds=25)


async def test_blocked_and_missing_chats_are_deactivated(db: Db) -> None:
    async with BotAPI() as api:
        settings = _settings(db, api.base)
        async with db.sessionmaker.begin() as session:
            await seed_alert(session, [(801, 0), (802, 0), (803, 0)])
            await seed_alert(session, [(801, 0), (802, 0)])
        api.block(801)
        api.forget(802)
        _, result = await _drain(db, settings)
        assert [s.chat_id for s in api.messages()] == [803]
        assert result.chats_gone == 2  # type: ignore[attr-defined]
        async with db.sessionmaker() as session:
            active = dict((await session.execute(select(Chat.id, Chat.active))).all())
        assert active[801] is False and active[802] is False and active[803] is True
        assert await _statuses(db) == {"sent": 1, "dropped": 4}
        assert len(api.calls_to("sendMessage")) == 3  # nothing more tried for a chat that is gone


async def test_migrated_group_gets_its_subscriptions_moved_and_the_message_resent(db: Db) -> None:
    async with BotAPI() as api:
        settings = _settings(db, api.base)
        async with db.sessionmaker.begin() as session:
            claim_id, _, _ = await seed_alert(session, [(-901, 0)])
        api.migrate(-901, -100901)
        _, result = await _drain(db, settings)
        assert [s.chat_id for s in api.messages()] == [-100901]
        async with db.sessionmaker() as session:
            subs = (await session.execute(select(Subscription.chat_id, Subscription.claim_id))).all()
            delivery = (await session.execute(select(Delivery))).scalar_one()
        assert subs == [(-100901, claim_id)]
        assert (delivery.chat_id, delivery.status) == (-100901, "sent")


async def test_unreachable_bot_api_counts_no_attempt_and_pauses_sending(db: Db) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = _settings(db, f"http://127.0.0.1:{port}")
    async with db.sessionmaker.begin() as session:
        await seed_alert(session, [(1001, 0), (1002, 0)])
    sender, result = await _drain(db, settings)
    async with db.sessionmaker() as session:
        deliveries = (await session.execute(select(Delivery))).scalars().all()
    assert [(d.status, d.attempts) for d in deliveries] == [("pending", 0)] * 2  # nothing lost, no attempt
    assert result.outages >= 1 and result.sent == 0  # type: ignore[attr-defined]
    assert sender.outage.paused()


async def test_bot_api_down_then_back_catches_up_without_losing_or_repeating(
    db: Db, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.alerts.send")
    chats = [1101, 1102, 1103, -1001104]
    async with BotAPI() as api:
        settings = _settings(db, api.base, backoff_base=0.05, outage_backoff_max=0.2)
        transport = TelegramTransport.from_settings(settings)
        sender = Sender(db.sessionmaker, transport, settings.delivery)

        async def daemon() -> None:  # what the daemon's drain job does, at a short interval
            while True:
                await sender.drain()
                await asyncio.sleep(0.02)

        task = asyncio.create_task(daemon())
        try:
            api.down(502)
            async with db.sessionmaker.begin() as session:
                await seed_alert(session, [(c, 0) for c in chats])
            await api.wait_for(lambda: len(api.calls_to("sendMessage")) >= 3)  # probes, backing off
            statuses = await _statuses(db)  # pending, or claimed by the probing drain
            assert api.messages() == [] and statuses["pending"] + statuses["sending"] == 4
            api.up()
            await api.wait_for(lambda: len(api.messages()) == 4)
            await api.stop()  # now connection refused
            async with db.sessionmaker.begin() as session:
                await seed_alert(session, [(c, 0) for c in chats])
            await api.wait_for(lambda: "TelegramNetworkError" in caplog.text)
            await api.start()
            await api.wait_for(lambda: len(api.messages()) == 8)
            await api.wait_for(lambda: caplog.text.count("reachable again") >= 2)
            # Marks are committed in small batches after the send: stop only once they are in, or a
            # cancel lands inside the in-flight window and hands sent deliveries back (a loaded machine).
            async with asyncio.timeout(30):  # bounds only a failure
                while (await _statuses(db))["sent"] < 8:
                    await asyncio.sleep(0.02)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await transport.close()
    assert Counter(s.chat_id for s in api.messages()) == {c: 2 for c in chats}
    assert await _statuses(db) == {"sent": 8}
    async with db.sessionmaker() as session:
        assert set((await session.execute(select(Delivery.attempts))).scalars()) == {0}
    assert "Bot API unreachable" in caplog.text


async def test_restart_mid_burst_loses_nothing_and_repeats_only_what_was_in_flight(db: Db) -> None:
    async with BotAPI() as api:
        settings = _settings(db, api.base, global_per_second=40.0, concurrency=4)
        chats = list(range(2001, 2041))
        async with db.sessionmaker.begin() as session:
            await seed_alert(session, [(c, 0) for c in chats])
        transport = TelegramTransport.from_settings(settings)
        try:
            sender = Sender(db.sessionmaker, transport, settings.delivery)
            task = asyncio.create_task(sender.drain())
            await api.wait_for(lambda: len(api.messages()) >= 12)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        finally:
            await transport.close()
        first = len(api.messages())
        assert first < len(chats)
        assert (await _statuses(db))["sending"] == 0  # claimed but unsent ones were handed back
        await _drain(db, settings)
        counts = Counter(s.chat_id for s in api.messages())
        assert set(counts) == set(chats)
        assert sum(counts.values()) - len(chats) <= settings.delivery.concurrency  # in flight: sent, unmarked
        assert await _statuses(db) == {"sent": len(chats)}


async def test_crash_leaves_leases_that_a_later_sender_takes_over(db: Db) -> None:
    async with BotAPI() as api:
        settings = _settings(db, api.base)
        async with db.sessionmaker.begin() as session:
            await seed_alert(session, [(3001, 0), (3002, 0)])
            from storage import outbox

            await outbox.claim_pending(
                session, now=datetime.now(UTC), limit=10, lease=300
            )  # the crashed sender
        _, result = await _drain(db, settings)
        assert api.messages() == []  # still leased
        later = datetime.now(UTC) + timedelta(seconds=301)
        _, result = await _drain(db, settings, clock=lambda: later)
        assert sorted(s.chat_id for s in api.messages()) == [3001, 3002]
